//! Fuzz target: see `mailtutor_fuzz::session_matcher`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::session_matcher(data));
