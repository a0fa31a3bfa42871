//! The lab's grading at the sizes a class makes: one attempt with a message as large as a
//! record keeps (4 MiB), against one of a few lines; and a whole class's day (40 students,
//! four attempts each) scored, with every report and grades.csv written in memory. Grading
//! runs on the connection's thread as its session ends, so it must stay far below the
//! server's pause between replies. Compare ratios within one run.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use mailtutor::lab_report::{Named, class_csv, student_html};
use mailtutor::proto::Lang;
use mailtutor::proto::lab::record::{Ending, Protocol, Record};
use mailtutor::proto::lab::{Rubric, Scorecard, grade};

/// A careful send whose message body has `lines` lines of 76 characters.
fn attempt(lines: usize) -> Record {
    let mut r = Record::new(Protocol::Smtp, false);
    let mut step = |client: Option<&[u8]>, reply: &[u8]| {
        if let Some(c) = client {
            let seen = r.replies();
            r.client(0, seen, c);
        }
        r.server(0, reply);
    };
    step(None, b"220 mailtutor.test ESMTP\r\n");
    step(
        Some(b"EHLO pc\r\n"),
        b"250-mailtutor.test\r\n250-PIPELINING\r\n250 AUTH LOGIN PLAIN\r\n",
    );
    step(Some(b"AUTH PLAIN AGFAeABzZWNyZXQ=\r\n"), b"235 ok\r\n");
    step(Some(b"MAIL FROM:<a@x>\r\n"), b"250 ok\r\n");
    step(Some(b"RCPT TO:<b@x>\r\n"), b"250 ok\r\n");
    step(Some(b"DATA\r\n"), b"354 go\r\n");
    let mut m = b"From: a@x\r\nTo: b@x\r\nSubject: s\r\nDate: Sun, 6 Dec 2026 10:00:00 +0800\r\nMessage-ID: <1@x>\r\n\r\n..dot\r\n".to_vec();
    for _ in 0..lines {
        m.extend_from_slice(&[b'Q'; 76]);
        m.extend_from_slice(b"\r\n");
    }
    m.extend_from_slice(b".\r\n");
    step(Some(&m), b"250 queued\r\n");
    step(Some(b"QUIT\r\n"), b"221 bye\r\n");
    r.end(0, Ending::ClientClosed);
    r
}

fn bench(c: &mut Criterion) {
    let rubric = match Rubric::built_in("smtp-client") {
        Some(Ok(r)) => r,
        _ => return,
    };
    let small = attempt(10);
    // 4 MiB of message: what one record keeps at most.
    let big = attempt(4 * 1024 * 1024 / 78);
    let mut g = c.benchmark_group("lab");
    g.sample_size(10);
    g.bench_function("grade an attempt of 10 body lines", |b| {
        b.iter(|| black_box(grade(&rubric, "send", black_box(&small))))
    });
    g.bench_function("grade an attempt of 4 MiB", |b| {
        b.iter(|| black_box(grade(&rubric, "send", black_box(&big))))
    });
    let stages: Vec<String> = rubric.stages.iter().map(|s| s.id.clone()).collect();
    let class: Vec<Named> = (0..40)
        .map(|i| Named {
            name: format!("student {i}"),
            address: format!("s{i}@mailtutor.test"),
        })
        .collect();
    g.bench_function(
        "a class of 40, four attempts each, reports and grades.csv",
        |b| {
            b.iter(|| {
                let mut cards = Vec::new();
                for n in &class {
                    let mut card = Scorecard::new(n.address.clone());
                    for (k, stage) in stages.iter().enumerate() {
                        card.add(&rubric, k as u64, 0, grade(&rubric, stage, &small));
                    }
                    black_box(student_html(&rubric, &card, &n.name, Lang::En, false, 0));
                    cards.push(card);
                }
                black_box(class_csv(&rubric, &cards, &class, Lang::En))
            })
        },
    );
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
