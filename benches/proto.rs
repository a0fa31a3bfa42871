//! Reply parsing in one piece and byte by byte, dot-stuffing a 5 MB message, folding
//! 100,000 events into a transcript, and folding whole sessions whose replies are matched
//! against the situation knowledge base, and reading the tuned replies' words through the
//! glossary of other languages. Compare ratios within one run; absolute times are noisy.

use criterion::{Criterion, criterion_group, criterion_main};
use mailtutor::proto::client::Connection;
use mailtutor::proto::message::data_payload;
use mailtutor::proto::reply::ReplyReader;
use mailtutor::session::{Event, Protocol};
use mailtutor::transcript::{Direction, Transcript};
use std::hint::black_box;

/// 1,000 replies as a server sends them: an EHLO list, prompts, 250s and errors.
fn stream() -> Vec<u8> {
    let one: &[u8] = b"250-smtp.example.com\r\n250-PIPELINING\r\n250-SIZE 73400320\r\n250-STARTTLS\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n334 VXNlcm5hbWU6\r\n235 2.7.0 Authentication successful\r\n550 5.1.1 <nobody@example.com>: Recipient address rejected\r\n250 2.0.0 Ok: queued as 12345\r\n";
    one.repeat(200)
}

fn count(chunks: &[&[u8]]) -> usize {
    let mut r = ReplyReader::new();
    let mut n = 0;
    for c in chunks {
        r.push(c);
        while r.next_reply().is_some() {
            n += 1;
        }
    }
    n
}

/// Folds the connection's events into the transcript, as the window does.
fn fold(c: &mut Connection<()>, t: &mut Transcript) {
    while let Some(kind) = c.poll_event() {
        t.apply(&Event::now(kind));
    }
}

fn bench(c: &mut Criterion) {
    let bytes = stream();
    let whole = [bytes.as_slice()];
    let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(count(&whole), 1000);
    c.bench_function("1000 replies, one chunk", |b| {
        b.iter(|| count(black_box(&whole)))
    });
    c.bench_function("1000 replies, one byte at a time", |b| {
        b.iter(|| count(black_box(&bytewise)))
    });

    let message =
        b"line of text that is about seventy characters long, give or take a few\r\n.dot\r\n"
            .repeat(5 * 1024 * 1024 / 80);
    c.bench_function("dot-stuff a 5 MB message", |b| {
        b.iter(|| data_payload(black_box(&message)).len())
    });

    let lines: Vec<Vec<u8>> = (0..100_000)
        .map(|i| format!("RCPT TO:<user{i}@example.com>\r\n").into_bytes())
        .collect();
    let mut group = c.benchmark_group("transcript");
    group.sample_size(10);
    // Each line read by the client connection (parsed, the state machine updated) and its
    // events folded into a transcript (annotated).
    group.bench_function("fold 100,000 sent lines", |b| {
        b.iter(|| {
            let mut c = Connection::<()>::observer(Protocol::Smtp);
            let mut t = Transcript::new(Protocol::Smtp);
            for line in &lines {
                c.sent(None, line, false, &[]);
                fold(&mut c, &mut t);
            }
            t.len()
        })
    });
    // Whole sessions: every reply parsed, paired with its command, matched against the
    // situation knowledge base and annotated; 1,000 sessions of 10 replies each.
    let session = include_str!("../tests/fixtures/transcripts/postfix-errors.txt");
    let wire: Vec<(Direction, Vec<u8>)> = mailtutor::explain::fold(session)
        .entries()
        .iter()
        .filter(|e| e.dir != Direction::Event)
        .map(|e| (e.dir, e.raw().to_vec()))
        .collect();
    let n = 1_000 * wire.iter().filter(|(d, _)| *d == Direction::Server).count();
    group.bench_function(format!("fold {n} replies with their situations"), |b| {
        b.iter(|| {
            let mut t = Transcript::new(Protocol::Smtp);
            for _ in 0..1_000 {
                let mut c = Connection::<()>::observer(Protocol::Smtp);
                for (dir, raw) in &wire {
                    match dir {
                        Direction::Client => c.sent(None, raw, false, &[]),
                        _ => c.observe_server(raw),
                    }
                    fold(&mut c, &mut t);
                }
            }
            t.len()
        })
    });
    // Every tuned reply's words read through the glossary of other languages, as each reply's
    // words are before the word families match them.
    let glossary = mailtutor::proto::glossary::Glossary::load().unwrap_or_default();
    let tuned: toml::Table =
        toml::from_str(include_str!("../tests/fixtures/tuning.toml")).unwrap_or_default();
    let texts: Vec<String> = tuned
        .get("case")
        .and_then(|c| c.as_array())
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("reply")?.as_str().map(str::to_lowercase))
        .collect();
    group.bench_function(format!("glossary over {} replies", texts.len()), |b| {
        b.iter(|| {
            texts
                .iter()
                .map(|t| glossary.applied(black_box(t)).len())
                .sum::<usize>()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
