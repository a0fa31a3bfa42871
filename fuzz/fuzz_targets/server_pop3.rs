//! Fuzz target: see `mailtutor_fuzz::server_pop3`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::server_pop3(data));
