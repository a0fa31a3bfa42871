//! Fuzz target: see `mailtutor_fuzz::client_connection`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::client_connection(data));
