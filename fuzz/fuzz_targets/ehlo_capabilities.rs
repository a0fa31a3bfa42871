//! Fuzz target: see `mailtutor_fuzz::ehlo_capabilities`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::ehlo_capabilities(data));
