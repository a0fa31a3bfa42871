//! Fuzz target: see `mailtutor_fuzz::dot_stuffing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::dot_stuffing(data));
