//! Fuzz target: see `mailtutor_fuzz::mime_tree`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::mime_tree(data));
