//! Fuzz target: see `mailtutor_fuzz::imap_reader`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mailtutor_fuzz::imap_reader(data));
