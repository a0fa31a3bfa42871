//! One frame of the whole window with a transcript of 100 lines, of 100,000 lines, and of a
//! POP3 session whose RETR brought back a 10 MB message (the explanation pane showing it),
//! drawn headless through egui_kittest. Only visible rows are laid out and nothing is parsed
//! per frame, so all three should cost about the same; compare the ratios, not the times.
//! The same for an IMAP session whose FETCH BODY[] brought back a 10 MB message as a literal.
//! Then the first frame after a log of 100,000 entries is opened, when every explanation is
//! measured and wrapped onto rows once.

mod common;

use criterion::{Criterion, criterion_group, criterion_main};
use egui_kittest::Harness;
use mailtutor::proto::Protocol;
use mailtutor::proto::client::Connection;
use mailtutor::session::Event;
use mailtutor::ui::TutorApp;

fn window(lines: u32) -> Harness<'static, TutorApp> {
    let dir = std::env::temp_dir().join(format!("mailtutor-bench-{}-{lines}", std::process::id()));
    let mut h = common::open_window(&dir);
    let mut c = Connection::<()>::observer(Protocol::Smtp);
    for i in 0..lines {
        c.sent(None, format!("NOOP {i}\r\n").as_bytes(), false, &[]);
        while let Some(kind) = c.poll_event() {
            h.state_mut().replay(&Event::now(kind));
        }
    }
    h.run_steps(3);
    h
}

/// A pasted POP3 session that reads one message of about `size` bytes (base64 lines of a
/// PDF attachment, as a mail program sends it).
fn retr_session(size: usize) -> String {
    let line = "JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9GbGF0ZURlY29k\n";
    let mut s = String::from(
        "S: +OK POP3 ready\nC: USER teacher@mailtutor.test\nS: +OK\nC: PASS secret\n\
S: +OK Logged in\nC: RETR 1\nS: +OK message follows\n\
S: From: student@mailtutor.test\nS: Subject: report\nS: MIME-Version: 1.0\n\
S: Content-Type: application/pdf\nS: Content-Transfer-Encoding: base64\nS: \n",
    );
    while s.len() < size {
        s.push_str("S: ");
        s.push_str(line);
    }
    s.push_str("S: .\n");
    s
}

/// An IMAP session folded as the window folds a live one: SELECT, then a FETCH of BODY[] whose
/// literal is a message of about `size` bytes.
fn fetch_session(h: &mut Harness<'static, TutorApp>, size: usize) {
    let line = "JVBERi0xLjQKJcfsj6IKNSAwIG9iago8PC9MZW5ndGggNiAwIFIvRmlsdGVyIC9GbGF0ZURlY29k\r\n";
    let mut message = String::from(
        "From: student@mailtutor.test\r\nSubject: report\r\nMIME-Version: 1.0\r\n\
         Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n",
    );
    while message.len() < size {
        message.push_str(line);
    }
    let mut c = Connection::<()>::new(Protocol::Imap);
    let local = std::net::SocketAddr::from(([127, 0, 0, 1], 50000));
    let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 143));
    c.connected(peer, local);
    c.observe_server(b"* OK IMAP4rev1 ready\r\n");
    c.sent(
        None,
        b"a1 LOGIN teacher@mailtutor.test secret\r\n",
        true,
        &[],
    );
    c.observe_server(b"a1 OK LOGIN completed\r\n");
    c.sent(None, b"a2 SELECT INBOX\r\n", false, &[]);
    c.observe_server(b"* 1 EXISTS\r\na2 OK [READ-WRITE] SELECT completed\r\n");
    c.sent(None, b"a3 FETCH 1 BODY[]\r\n", false, &[]);
    let mut fetched = format!("* 1 FETCH (BODY[] {{{}}}\r\n", message.len()).into_bytes();
    fetched.extend_from_slice(message.as_bytes());
    fetched.extend_from_slice(b")\r\na3 OK FETCH completed\r\n");
    c.observe_server(&fetched);
    while let Some(kind) = c.poll_event() {
        h.state_mut().replay(&Event::now(kind));
    }
    h.run_steps(3);
}

/// The 10 MB reply is one transcript entry, not split into many.
fn one_big_entry(h: &Harness<'static, TutorApp>, what: &str) {
    let biggest = h
        .state()
        .transcript()
        .entries()
        .iter()
        .map(|e| e.raw().len())
        .max();
    assert!(
        biggest.unwrap_or(0) > 10_000_000,
        "the {what} was not one entry: {biggest:?}"
    );
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("window frame");
    g.sample_size(30);
    for lines in [100u32, 100_000] {
        let mut h = window(lines);
        g.bench_function(format!("{lines} transcript lines"), |b| b.iter(|| h.step()));
    }
    let mut h = window(0);
    let t = mailtutor::explain::fold(&retr_session(10 * 1024 * 1024));
    h.state_mut().show_transcript(t);
    h.run_steps(3);
    one_big_entry(&h, "RETR");
    g.bench_function("a 10 MB RETR", |b| b.iter(|| h.step()));
    let mut h = window(0);
    fetch_session(&mut h, 10 * 1024 * 1024);
    one_big_entry(&h, "FETCH");
    g.bench_function("a 10 MB IMAP BODY[]", |b| b.iter(|| h.step()));
    g.finish();

    // The first frame of a log of 50,000 refused recipients (100,000 entries) opened at once:
    // every reply's explanation is measured and wrapped onto rows.
    let mut log = String::from("S: 220 ready\n");
    for i in 0..50_000 {
        log.push_str(&format!(
            "C: RCPT TO:<u{i}@example.com>\nS: 550 5.1.1 <u{i}@example.com>: Recipient address \
             rejected: User unknown in local recipient table\n"
        ));
    }
    let mut g = c.benchmark_group("opening a log");
    g.sample_size(10);
    let mut h = window(0);
    g.bench_function("first frame of 100,000 entries", |b| {
        b.iter_batched(
            || mailtutor::explain::fold(&log),
            |t| {
                h.state_mut().show_transcript(t);
                h.step();
            },
            criterion::BatchSize::PerIteration,
        )
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
