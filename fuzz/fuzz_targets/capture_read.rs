//! Fuzz target: see `mailtutor_fuzz::capture_read`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::capture_read(data));
