//! Fuzz target: see `mailtutor_fuzz::imap_session`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::imap_session(data));
