//! Reply parsing in one piece and byte by byte, dot-stuffing a 5 MB message, folding
//! 100,000 events into a transcript, and folding whole sessions whose replies are matched
//! against the situation knowledge base. Compare ratios within one run; absolute times are noisy.

use criterion::{Criterion, criterion_group, criterion_main};
use mailtutor::proto::message::data_payload;
use mailtutor::proto::reply::ReplyReader;
use mailtutor::session::{Event, EventKind, Protocol};
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

    let events: Vec<Event> = (0..100_000)
        .map(|i| {
            Event::now(EventKind::Sent {
                id: None,
                bytes: format!("RCPT TO:<user{i}@example.com>\r\n").into_bytes(),
                secret: false,
            })
        })
        .collect();
    let mut group = c.benchmark_group("transcript");
    group.sample_size(10);
    group.bench_function("fold 100,000 events", |b| {
        b.iter(|| {
            let mut t = Transcript::new(Protocol::Smtp);
            for e in &events {
                t.apply(e);
            }
            t.len()
        })
    });
    // Whole sessions: every reply parsed, paired with its command, matched against the
    // situation knowledge base and annotated; 1,000 sessions of 10 replies each.
    let session = include_str!("../tests/fixtures/transcripts/postfix-errors.txt");
    let replies: Vec<Event> = {
        let mut out = Vec::new();
        for _ in 0..1_000 {
            let t = mailtutor::explain::fold(session);
            for e in t.entries() {
                let kind = match e.dir {
                    Direction::Client => EventKind::Sent {
                        id: None,
                        bytes: e.raw().to_vec(),
                        secret: false,
                    },
                    Direction::Server => match e.parsed.as_deref() {
                        Some(p) => EventKind::Received {
                            parsed: p.clone(),
                            answers: mailtutor::session::Answers::InOrder,
                        },
                        None => continue,
                    },
                    Direction::Event => continue,
                };
                out.push(Event::now(kind));
            }
        }
        out
    };
    let n = replies
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Received { .. }))
        .count();
    group.bench_function(format!("fold {n} replies with their situations"), |b| {
        b.iter(|| {
            let mut t = Transcript::new(Protocol::Smtp);
            t.assume_connected();
            for e in &replies {
                t.apply(e);
            }
            t.len()
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
