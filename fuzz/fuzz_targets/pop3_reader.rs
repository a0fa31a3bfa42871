//! Feeds arbitrary bytes to the POP3 reader, expecting multi-line bodies as the first byte says.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailtutor::proto::reply::{Pop3Expect, Pop3Reader};

fuzz_target!(|data: &[u8]| {
    let Some((&mask, bytes)) = data.split_first() else {
        return;
    };
    let mut reader = Pop3Reader::new();
    for bit in 0..8 {
        reader.expect(if mask & (1 << bit) != 0 {
            Pop3Expect::MultiLine
        } else {
            Pop3Expect::SingleLine
        });
    }
    reader.push(bytes);
    while reader.next_response().is_some() {}
});
