//! Fuzz target: see `mailtutor_fuzz::smtp_command`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::smtp_command(data));
