//! Heap bytes a transcript keeps per entry beyond the line's own bytes, counted by a counting
//! global allocator while 100,000 commands and their replies are folded in (what the window
//! holds after a long lesson); and the heap a 10 MB message costs when a session retrieves it
//! from the practice server and the transcript folds it, kept and at the peak. Prints the
//! figures; `harness = false`, run with `cargo bench --bench memory`.

#[cfg(feature = "gui")]
mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use mailtutor::proto::client::Connection;
use mailtutor::session::{Event, EventKind, Parsed};
use mailtutor::transcript::Transcript;

/// The system allocator, counting the bytes live on the heap.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
/// The most bytes live at once since the last reset.
static PEAK: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only a counter is added.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now =
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed) + layout.size() as isize;
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: the caller's layout is passed on as it came.
        unsafe { System.alloc(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // The system's realloc grows a large block in place (mremap), so only the difference
        // is counted, as the process's memory sees it.
        let now = LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        ) + new_size as isize
            - layout.size() as isize;
        PEAK.fetch_max(now, Ordering::Relaxed);
        // SAFETY: `ptr` came from this allocator with `layout`, as the caller promises.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn main() {
    // The window first, in a process that has freed nothing yet: its resident memory then
    // grows with what it holds.
    #[cfg(feature = "gui")]
    window_entries();
    #[cfg(feature = "gui")]
    window_retr();
    entries();
    retr();
}

/// The window's side of 100,000 entries, shown and drawn: the heap and the resident memory
/// they add (run first, in a process that has freed nothing yet).
#[cfg(feature = "gui")]
fn window_entries() {
    use mailtutor::session::Protocol;
    let dir = std::env::temp_dir().join(format!("mailtutor-bench-memory-{}", std::process::id()));
    let mut h = common::open_window(&dir);
    h.run_steps(3);
    let events = pairs(50_000);
    let (heap, rss) = (LIVE.load(Ordering::Relaxed), resident());
    let mut t = Transcript::new(Protocol::Smtp);
    for e in &events {
        t.apply(e);
    }
    h.state_mut().show_transcript(t);
    h.run_steps(5);
    println!(
        "the window, 100,000 entries shown ({} rows): {:.1} MB more on the heap, {:.1} MB more resident",
        h.state().transcript_rows(),
        (LIVE.load(Ordering::Relaxed) - heap) as f64 / 1e6,
        (resident() - rss) as f64 / 1e6
    );
    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The window's side of a 10 MB RETR: the response as the network thread hands it over,
/// folded into the window's transcript and drawn (the explanation pane decodes the message
/// once), counted from before the bytes were read.
#[cfg(feature = "gui")]
fn window_retr() {
    use mailtutor::session::Protocol;
    let dir = std::env::temp_dir().join(format!("mailtutor-bench-memory-{}", std::process::id()));
    let mut h = common::open_window(&dir);
    h.run_steps(3);
    let mut wire =
        b"+OK message follows\r\nFrom: a@mailtutor.test\r\nSubject: big\r\n\r\n".to_vec();
    let line = b"JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9GbGF0ZURlY29k\r\n";
    while wire.len() < 10 * 1024 * 1024 {
        wire.extend_from_slice(line);
    }
    wire.extend_from_slice(b".\r\n");
    let size = wire.len();
    // As the network thread reads it: in 64 KiB pieces.
    let chunks: Vec<Vec<u8>> = wire.chunks(64 * 1024).map(<[u8]>::to_vec).collect();
    drop(wire);
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    // The client connection reads the greeting, the RETR and its response; its events are
    // folded into a transcript as the window folds them.
    let mut c = Connection::<()>::observer(Protocol::Pop3);
    c.observe_server(b"+OK ready\r\n");
    c.sent(None, b"RETR 1\r\n", false, &[]);
    for chunk in &chunks {
        c.observe_server(chunk);
    }
    drop(chunks);
    let mut t = Transcript::new(Protocol::Pop3);
    while let Some(kind) = c.poll_event() {
        t.apply(&Event::now(kind));
    }
    drop(c);
    if t.len() < 3 {
        eprintln!("the RETR did not read");
        return;
    }
    h.state_mut().show_transcript(t);
    h.run_steps(5);
    let kept = LIVE.load(Ordering::Relaxed) - before;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    println!(
        "the window, a {:.1} MB RETR shown: {:.1} MB kept ({:.2}x), {:.1} MB at the peak ({:.2}x)",
        size as f64 / 1e6,
        kept as f64 / 1e6,
        kept as f64 / size as f64,
        peak as f64 / 1e6,
        peak as f64 / size as f64,
    );

    drop(h);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The process's resident memory in bytes (Linux; 0 elsewhere).
#[cfg(feature = "gui")]
fn resident() -> i64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<i64>().ok())
        .map_or(0, |pages| pages * 4096)
}

/// `n` RCPT commands and their replies, as the client connection reports them.
fn pairs(n: usize) -> Vec<Event> {
    let mut c = Connection::<()>::observer(mailtutor::session::Protocol::Smtp);
    let mut events = Vec::new();
    for i in 0..n {
        let sent = format!("RCPT TO:<student{i}@mailtutor.test>\r\n").into_bytes();
        c.sent(None, &sent, false, &[]);
        c.observe_server(b"250 2.1.5 Ok\r\n");
        while let Some(kind) = c.poll_event() {
            events.push(Event::now(kind));
        }
    }
    events
}

/// A 10 MB message retrieved by a POP3 session (RETR) from a loopback server and folded into a
/// transcript as the window does: how much of the heap it takes once everything else (events,
/// the request's answer) is gone, and at the peak. The server writes bytes made before counting
/// starts, so the figures are the client's alone.
fn retr() {
    use mailtutor::proto::pop3::Pop3Command;
    use mailtutor::session::{ConnectOptions, Protocol, Security, Session, Target, wait};
    use std::io::{BufRead, BufReader, Write};
    use std::time::Duration;

    let mut message = b"From: a@mailtutor.test\r\nSubject: big\r\n\r\n".to_vec();
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
    while message.len() < 10 * 1024 * 1024 {
        message.extend_from_slice(line);
    }
    let size = message.len();
    let mut reply = format!("+OK {size} octets\r\n").into_bytes();
    reply.extend_from_slice(&message);
    reply.extend_from_slice(b".\r\n");
    drop(message);
    let Ok(listener) = std::net::TcpListener::bind("127.0.0.1:0") else {
        eprintln!("no loopback listener");
        return;
    };
    let port = listener.local_addr().map_or(0, |a| a.port());
    std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else {
            return;
        };
        let _ = s.write_all(b"+OK ready\r\n");
        let Ok(r) = s.try_clone() else {
            return;
        };
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else {
                return;
            };
            let out: &[u8] = if line.starts_with("RETR") {
                &reply
            } else if line.starts_with("QUIT") {
                let _ = s.write_all(b"+OK bye\r\n");
                return;
            } else {
                b"+OK\r\n"
            };
            if s.write_all(out).is_err() {
                return;
            }
        }
    });
    let Ok(session) = wait(Session::connect(
        Target::new("127.0.0.1", port),
        Security::None,
        ConnectOptions::new(Protocol::Pop3),
    )) else {
        eprintln!("no POP3 session");
        return;
    };
    let mut t = Transcript::new(Protocol::Pop3);
    let fold = |t: &mut Transcript| {
        while let Some(e) = session.next_event(Duration::from_millis(300)) {
            t.apply(&e);
        }
    };
    for cmd in [
        Pop3Command::user("student@mailtutor.test"),
        Pop3Command::pass("secret"),
    ]
    .into_iter()
    .flatten()
    {
        let _ = wait(session.pop3(&cmd));
    }
    fold(&mut t);
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let answer = wait(session.pop3(&Pop3Command::Retr(1)));
    let ok = answer
        .as_ref()
        .is_ok_and(|r| r.iter().all(|r| r.is_positive()));
    drop(answer);
    fold(&mut t);
    let kept = LIVE.load(Ordering::Relaxed) - before;
    let peak = PEAK.load(Ordering::Relaxed) - before;
    println!(
        "a {:.1} MB message retrieved (RETR {}) and folded: {:.1} MB kept ({:.2}x), {:.1} MB at the peak ({:.2}x)",
        size as f64 / 1e6,
        if ok { "+OK" } else { "failed" },
        kept as f64 / 1e6,
        kept as f64 / size as f64,
        peak as f64 / 1e6,
        peak as f64 / size as f64,
    );
    session.close();
}

fn entries() {
    // `cargo bench` passes `--bench`; under `cargo test --all-targets` a smaller run checks
    // that it still works.
    let pairs_n = if std::env::args().any(|a| a == "--bench") {
        50_000usize
    } else {
        5_000
    };
    // Built before counting: the events as the network thread would send them.
    let events = pairs(pairs_n);
    let raw: usize = events
        .iter()
        .map(|e| match &e.kind {
            EventKind::Sent { lines, .. } => lines.iter().map(|l| l.raw.len()).sum(),
            EventKind::Received { parsed, .. } => parsed.raw().len(),
            _ => 0,
        })
        .sum();
    let mut t = Transcript::new(mailtutor::session::Protocol::Smtp);
    let before = LIVE.load(Ordering::Relaxed);
    for e in &events {
        t.apply(e);
    }
    let after = LIVE.load(Ordering::Relaxed);
    let entries = t.len();
    let held = (after - before) as f64;
    println!(
        "an Entry is {} bytes inline, a parsed reply {} bytes, a note {} bytes, a reply's context {} bytes",
        std::mem::size_of::<mailtutor::transcript::Entry>(),
        std::mem::size_of::<Parsed>(),
        std::mem::size_of::<mailtutor::transcript::Note>(),
        std::mem::size_of::<mailtutor::proto::situations::ReplyContext>(),
    );
    let notes: usize = t.entries().iter().map(|e| e.notes.len()).sum();
    println!("notes: {:.1} an entry", notes as f64 / entries as f64);
    println!(
        "{entries} entries: {:.1} MB on the heap, {:.0} bytes an entry, {:.0} beyond its own line",
        held / 1e6,
        held / entries as f64,
        (held - raw as f64) / entries as f64
    );
}
