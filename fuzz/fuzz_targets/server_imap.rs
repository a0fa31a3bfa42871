//! Fuzz target: see `mailtutor_fuzz::server_imap`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::server_imap(data));
