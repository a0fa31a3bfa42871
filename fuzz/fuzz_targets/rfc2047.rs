//! Fuzz target: see `mailtutor_fuzz::rfc2047`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::rfc2047(data));
