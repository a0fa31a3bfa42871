//! Captures and MIME at the sizes a lab meets: a 10 MB message sent as an attachment, written
//! as pcapng, read back (TCP put in order, lines found), annotated as `explain` prints it; and
//! the MIME tree of that message. Compare ratios within one run; absolute times are noisy.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mailtutor::explain::{Options, annotate_capture};
use mailtutor::proto::Lang;
use mailtutor::proto::capture_read::read_capture;
use mailtutor::proto::capture_write::{Capture, Chunk, Connection, End, Side, write_pcapng};
use mailtutor::proto::mime_tree::mime_tree;

/// A message with a 10 MB attachment, as it goes after 354 (base64 in 76-character lines).
fn message() -> Vec<u8> {
    let file: Vec<u8> = (0..10_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut m = b"From: <a@mailtutor.test>\r\nTo: <b@mailtutor.test>\r\nSubject: big\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee the file\r\n--b\r\nContent-Type: application/octet-stream; name=\"f.bin\"\r\nContent-Disposition: attachment; filename=\"f.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n".to_vec();
    for line in mailtutor::proto::auth::encode_lines(&file) {
        m.extend_from_slice(line.as_bytes());
        m.extend_from_slice(b"\r\n");
    }
    m.extend_from_slice(b"--b--\r\n");
    m
}

fn session(message: &[u8]) -> Capture {
    let at = |ms: u64| Duration::from_millis(1_700_000_000_000 + ms);
    let chunk = |ms, side, bytes: &[u8]| Chunk {
        at: at(ms),
        side,
        bytes: bytes.to_vec(),
    };
    let mut data = message.to_vec();
    data.extend_from_slice(b".\r\n");
    Capture {
        comment: None,
        connections: vec![Connection {
            client: ([127, 0, 0, 1], 50000).into(),
            server: ([127, 0, 0, 1], 25).into(),
            opened: at(0),
            comment: None,
            chunks: vec![
                chunk(1, Side::Server, b"220 mx ESMTP\r\n"),
                chunk(2, Side::Client, b"EHLO me\r\n"),
                chunk(3, Side::Server, b"250 mx\r\n"),
                chunk(4, Side::Client, b"MAIL FROM:<a@mailtutor.test>\r\n"),
                chunk(5, Side::Server, b"250 ok\r\n"),
                chunk(6, Side::Client, b"RCPT TO:<b@mailtutor.test>\r\n"),
                chunk(7, Side::Server, b"250 ok\r\n"),
                chunk(8, Side::Client, b"DATA\r\n"),
                chunk(9, Side::Server, b"354 go ahead\r\n"),
                chunk(10, Side::Client, &data),
                chunk(900, Side::Server, b"250 queued\r\n"),
            ],
            end: End::Closed {
                at: at(901),
                by: Side::Client,
            },
        }],
    }
}

fn bench(c: &mut Criterion) {
    let message = message();
    let capture = session(&message);
    let Ok(file) = write_pcapng(&capture) else {
        eprintln!("capture: the session could not be written");
        return;
    };
    eprintln!(
        "capture: {} bytes of message, {} bytes of pcapng",
        message.len(),
        file.len()
    );
    let mut g = c.benchmark_group("capture");
    g.sample_size(10);
    g.bench_function("write a 13.5 MB send as pcapng", |b| {
        b.iter(|| black_box(write_pcapng(&capture).map(|f| f.len())))
    });
    g.bench_function("read it back: TCP in order, lines", |b| {
        b.iter(|| black_box(read_capture(&file).map(|c| c.sessions.len())))
    });
    let Ok(read) = read_capture(&file) else {
        eprintln!("capture: the pcapng written could not be read");
        return;
    };
    g.bench_function("annotate it as explain prints it", |b| {
        b.iter(|| {
            black_box(
                annotate_capture(
                    &read,
                    Options {
                        lang: Lang::En,
                        show_secrets: false,
                    },
                    false,
                )
                .len(),
            )
        })
    });
    g.bench_function("the MIME tree of the 13.5 MB message", |b| {
        b.iter(|| black_box(mime_tree(&message).map(|t| t.nodes.len())))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
