//! Feeds arbitrary bytes, split at arbitrary points, to the SMTP reply reader: it must never
//! panic, and the replies must not depend on how the bytes were split.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mailtutor::proto::reply::ReplyReader;

fn collect(chunks: &[&[u8]]) -> Vec<String> {
    let mut reader = ReplyReader::new();
    let mut out = Vec::new();
    for c in chunks {
        reader.push(c);
        while let Some(r) = reader.next_reply() {
            out.push(format!("{r:?}"));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some((&split, bytes)) = data.split_first() else {
        return;
    };
    let cut = usize::from(split) % (bytes.len() + 1);
    let (a, b) = bytes.split_at(cut);
    assert_eq!(collect(&[a, b]), collect(&[bytes]));
});
