//! Heap bytes a transcript keeps per entry beyond the line's own bytes, counted by a counting
//! global allocator while 100,000 commands and their replies are folded in (what the window
//! holds after a long lesson). Prints the figures; `harness = false`, run with
//! `cargo bench --bench memory`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use mailtutor::proto::reply::ReplyReader;
use mailtutor::session::{Answers, Event, EventKind, Parsed, Response};
use mailtutor::transcript::Transcript;

/// The system allocator, counting the bytes live on the heap.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only a counter is added.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's layout is passed on as it came.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn reply(bytes: &[u8]) -> Parsed {
    let mut r = ReplyReader::new();
    r.push(bytes);
    match r.next_reply() {
        Some(Ok(reply)) => Parsed::Response(Response::Smtp(reply)),
        _ => panic!("not a reply: {bytes:?}"),
    }
}

fn main() {
    let pairs = 50_000usize;
    // Built before counting: the events as the network thread would send them.
    let events: Vec<(Event, Event)> = (0..pairs)
        .map(|i| {
            let sent = format!("RCPT TO:<student{i}@mailtutor.test>\r\n").into_bytes();
            let got = b"250 2.1.5 Ok\r\n".to_vec();
            (
                Event::now(EventKind::Sent {
                    id: None,
                    bytes: sent,
                    secret: false,
                }),
                Event::now(EventKind::Received {
                    parsed: reply(&got),
                    raw: got,
                    answers: Answers::InOrder,
                }),
            )
        })
        .collect();
    let raw: usize = events
        .iter()
        .map(|(a, b)| {
            let len = |e: &Event| match &e.kind {
                EventKind::Sent { bytes, .. } => bytes.len(),
                EventKind::Received { raw, .. } => raw.len(),
                _ => 0,
            };
            len(a) + len(b)
        })
        .sum();
    let mut t = Transcript::new(mailtutor::session::Protocol::Smtp);
    let before = LIVE.load(Ordering::Relaxed);
    for (sent, got) in &events {
        t.apply(sent);
        t.apply(got);
    }
    let after = LIVE.load(Ordering::Relaxed);
    let entries = t.len();
    let held = (after - before) as f64;
    println!(
        "an Entry is {} bytes inline, a parsed reply {} bytes",
        std::mem::size_of::<mailtutor::transcript::Entry>(),
        std::mem::size_of::<Parsed>()
    );
    println!(
        "{entries} entries: {:.1} MB on the heap, {:.0} bytes an entry, {:.0} beyond its own line",
        held / 1e6,
        held / entries as f64,
        (held - raw as f64) / entries as f64
    );
}
