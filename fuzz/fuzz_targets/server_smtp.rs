//! Fuzz target: see `mailtutor_fuzz::server_smtp`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::server_smtp(data));
