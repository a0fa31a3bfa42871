//! Fuzz target: see `mailtutor_fuzz::explain_annotate`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::explain_annotate(data));
