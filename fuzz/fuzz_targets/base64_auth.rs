//! Fuzz target: see `mailtutor_fuzz::base64_auth`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::base64_auth(data));
