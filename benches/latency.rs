//! Click to wire and wire to window, over 10,000 NOOP round trips against the practice server
//! on loopback, in plain SMTP and after STARTTLS.
//!
//! A stand-in for the window's thread does what the window does: it makes a request, sleeps
//! until the session's repaint callback wakes it, then folds the session's events into a
//! transcript. Measured:
//! - click to wire: from the request being made to its `Sent` event (stamped once the bytes
//!   are written to the socket);
//! - reply to fold: from a `Received` event (stamped when the network thread has read and
//!   parsed the reply) to the window's thread folding it;
//! - and how often an idle connected session's thread wakes.
//!
//! `harness = false`; run with `cargo bench --bench latency`. Under `cargo test` (no
//! `--bench` argument) it makes 200 round trips and idles 1 s, to check that it still runs.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use mailtutor::proto::smtp::SmtpCommand;
use mailtutor::server::{self, ServerConfig};
use mailtutor::session::{ConnectOptions, EventKind, Protocol, Security, Session, Target, wait};
use mailtutor::transcript::Transcript;

/// `cargo bench` passes `--bench`; `cargo test --all-targets` runs the same binary without it.
fn quick() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

fn since(earlier: SystemTime, later: SystemTime) -> Duration {
    later.duration_since(earlier).unwrap_or_default()
}

/// Median, 99th percentile and worst, in milliseconds.
fn summary(mut d: Vec<Duration>) -> String {
    if d.is_empty() {
        return "no samples".into();
    }
    d.sort();
    let at = |q: f64| d[((d.len() - 1) as f64 * q).round() as usize].as_secs_f64() * 1e3;
    format!(
        "median {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        at(0.5),
        at(0.99),
        at(1.0)
    )
}

fn run(name: &str, security: Security, port: u16, fingerprint: &str) {
    let (trips_n, idle) = if quick() {
        (200, Duration::from_secs(1))
    } else {
        (10_000, Duration::from_secs(5))
    };
    let (tick_tx, tick_rx) = mpsc::channel::<()>();
    let tick = Mutex::new(tick_tx);
    let mut options = ConnectOptions::new(Protocol::Smtp);
    options.trust.pinned.push(fingerprint.to_owned());
    options.repaint = Some(Arc::new(move || {
        if let Ok(t) = tick.lock() {
            let _ = t.send(());
        }
    }));
    let session = match wait(Session::connect(
        Target::new("127.0.0.1", port),
        security,
        options,
    )) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{name}: connect failed: {e}");
            return;
        }
    };
    let mut transcript = Transcript::new(Protocol::Smtp);
    let mut fold_until = |until: &dyn Fn(&EventKind) -> bool, folds: &mut Vec<Duration>| {
        let mut sent_at = None;
        loop {
            if tick_rx.recv_timeout(Duration::from_secs(10)).is_err() {
                eprintln!("{name}: no event for 10 s");
                return sent_at;
            }
            let mut done = false;
            for e in session.events() {
                let now = SystemTime::now();
                transcript.apply(&e);
                match &e.kind {
                    EventKind::Received { .. } => folds.push(since(e.at, now)),
                    EventKind::Sent { .. } => sent_at = Some(e.at),
                    _ => {}
                }
                done |= until(&e.kind);
            }
            if done {
                return sent_at;
            }
        }
    };
    let mut ignored = Vec::new();
    let ehlo = SmtpCommand::ehlo("bench").unwrap_or(SmtpCommand::Noop);
    let _ = session.smtp(&ehlo);
    fold_until(&|k| matches!(k, EventKind::Finished { .. }), &mut ignored);

    let mut wire = Vec::with_capacity(trips_n);
    let mut folds = Vec::with_capacity(trips_n);
    let mut trips = Vec::with_capacity(trips_n);
    for _ in 0..trips_n {
        let clicked = SystemTime::now();
        let started = Instant::now();
        let _answer = session.smtp(&SmtpCommand::Noop);
        let sent = fold_until(&|k| matches!(k, EventKind::Finished { .. }), &mut folds);
        trips.push(started.elapsed());
        if let Some(at) = sent {
            wire.push(since(clicked, at));
        }
    }
    println!("{name}, {trips_n} NOOP round trips:");
    println!("  click to wire:  {}", summary(wire));
    println!("  reply to fold:  {}", summary(folds));
    println!("  round trip:     {}", summary(trips));

    // Idle: nothing asked, nothing arriving.
    let before = session.wakeups();
    std::thread::sleep(idle);
    let woke = session.wakeups() - before;
    println!(
        "  idle {} s:       the network thread woke {woke} times",
        idle.as_secs()
    );
    session.close();
}

fn main() {
    let dir = std::env::temp_dir().join(format!("mailtutor-bench-latency-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let server = match server::start(ServerConfig::loopback(dir.clone())) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("the practice server did not start: {e}");
            return;
        }
    };
    let port = server.smtp.map_or(0, |a| a.port());
    run("plain SMTP", Security::None, port, &server.fingerprint);
    run(
        "SMTP after STARTTLS",
        Security::StartTls,
        port,
        &server.fingerprint,
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
