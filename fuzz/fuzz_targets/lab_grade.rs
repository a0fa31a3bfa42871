//! Fuzz target: see `mailtutor_fuzz::lab_grade`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::lab_grade(data));
