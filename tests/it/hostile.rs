//! Hostile peers on loopback: servers that word their AUTH prompts oddly, and pasted logs that
//! do the same. What the client sends under AUTH after the username is a secret, whatever the
//! prompt says; it is masked in the transcript, its notes and `send`'s and `explain`'s output.
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};

use mailtutor::proto::Lang;
use mailtutor::proto::auth::{encode, plain_message};

const USER: &str = "alice@lab.test";
const PASSWORD: &str = "Tq7-zebra-Lantern";

fn needles() -> [String; 3] {
    [
        PASSWORD.to_owned(),
        encode(PASSWORD.as_bytes()),
        encode(&plain_message("", USER, PASSWORD)),
    ]
}

fn assert_no_secret(what: &str, text: &str) {
    for n in needles() {
        assert!(!text.contains(&n), "{what} shows {n}:\n{text}");
    }
}

/// An SMTP server that asks for the AUTH LOGIN answers with the given 334 prompts (base64),
/// accepts whatever comes, and takes one message.
fn odd_prompts_server(prompts: [&'static str; 2]) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Some(Ok(s)) = l.incoming().next() else {
            return;
        };
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let _ = w.write_all(b"220 odd.test ESMTP\r\n");
        let mut line = String::new();
        let mut in_data = false;
        let mut asked = 0;
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            let up = line.trim_end().to_ascii_uppercase();
            let reply: String = if in_data {
                if up == "." {
                    in_data = false;
                    "250 2.0.0 queued\r\n".into()
                } else {
                    String::new()
                }
            } else if up.starts_with("EHLO") {
                "250-odd.test\r\n250 AUTH LOGIN PLAIN\r\n".into()
            } else if up.starts_with("AUTH LOGIN") || (asked == 1) {
                asked += 1;
                if asked <= 2 {
                    format!("334 {}\r\n", prompts[asked - 1])
                } else {
                    asked = 0;
                    "235 2.7.0 ok\r\n".into()
                }
            } else if up == "DATA" {
                in_data = true;
                "354 go\r\n".into()
            } else if up == "QUIT" {
                let _ = w.write_all(b"221 bye\r\n");
                return;
            } else {
                "250 ok\r\n".into()
            };
            let _ = w.write_all(reply.as_bytes());
            line.clear();
        }
    });
    port
}

#[test]
fn a_password_sent_under_odd_prompts_is_masked_by_send() {
    // "passwd:" and "Username:" asked a second time: the client still sends the password
    // second, and that answer is the secret.
    for prompts in [
        ["VXNlcm5hbWU6", "cGFzc3dkOg=="],
        ["VXNlcm5hbWU6", "VXNlcm5hbWU6"],
        ["dXNlcjo=", "bmV4dDo="],
    ] {
        let port = odd_prompts_server(prompts);
        let run = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
            .args(["send", "--server", &format!("127.0.0.1:{port}")])
            .args(["--tls", "none", "--auth", "login", "--user", USER])
            .args(["--password-env", "HOSTILE_TEST_PASSWORD", "--verbose"])
            .args(["--from", USER, "--to", USER, "--subject", "odd prompts"])
            .env("HOSTILE_TEST_PASSWORD", PASSWORD)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&run.stdout);
        assert!(out.contains("C: ********"), "{out}");
        assert_no_secret(&format!("send with prompts {prompts:?}"), &out);
        assert_no_secret("send's errors", &String::from_utf8_lossy(&run.stderr));
    }
}

#[test]
fn a_password_in_a_pasted_log_is_masked_whatever_the_prompt() {
    let user = encode(USER.as_bytes());
    let pass = encode(PASSWORD.as_bytes());
    for second in ["cGFzc3dkOg==", "VXNlcm5hbWU6", "Q29kZTo="] {
        let log = format!(
            "220 odd.test ESMTP\nEHLO me\n250 odd.test\nAUTH LOGIN\n334 VXNlcm5hbWU6\n{user}\n334 {second}\n{pass}\n235 ok\n"
        );
        let t = mailtutor::explain::fold(&log);
        for lang in [Lang::En, Lang::Zh] {
            let text = t.export_annotated(lang, false);
            assert_no_secret("the annotated transcript", &text);
            // The username stays readable: only the secret is masked.
            assert!(text.contains(USER), "{text}");
        }
        let run = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
            .args(["explain", "--verbose"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                c.stdin.take().unwrap().write_all(log.as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        assert_no_secret("explain", &String::from_utf8_lossy(&run.stdout));
    }
    // AUTH PLAIN: every answer is the secret.
    let plain = encode(&plain_message("", USER, PASSWORD));
    let log = format!("220 x\nEHLO me\n250 x\nAUTH PLAIN\n334 \n{plain}\n235 ok\n");
    assert_no_secret(
        "AUTH PLAIN",
        &mailtutor::explain::fold(&log).export_annotated(Lang::En, false),
    );
}

/// A server that greets, then answers EHLO with `flood` repeated as fast as it can.
fn flooding_server(flood: &'static [u8]) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let Some(Ok(s)) = l.incoming().next() else {
            return;
        };
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let _ = w.write_all(b"220 flood.test ESMTP\r\n");
        let mut line = String::new();
        let _ = r.read_line(&mut line);
        let chunk: Vec<u8> = flood.repeat(64 * 1024 / flood.len());
        let started = std::time::Instant::now();
        // Floods until the client goes away (or a minute, so the test cannot hang).
        while started.elapsed() < std::time::Duration::from_secs(60) {
            if w.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    port
}

/// The most resident memory a process reached (Linux), polled while it runs.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
}

#[test]
fn a_reply_flood_ends_send_within_its_timeout_in_bounded_memory() {
    use std::io::Read;
    use std::time::{Duration, Instant};
    // An EHLO reply that never ends, and complete replies nobody asked for.
    for flood in [&b"250-x\r\n"[..], &b"250 x\r\n"[..]] {
        let port = flooding_server(flood);
        let started = Instant::now();
        let mut child = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
            .args(["send", "--server", &format!("127.0.0.1:{port}")])
            .args(["--tls", "none", "--timeout", "5"])
            .args(["--from", USER, "--to", USER, "--subject", "flood"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = child.id();
        let mut stdout = child.stdout.take().unwrap();
        let reader = std::thread::spawn(move || {
            let mut n = 0usize;
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(k) = stdout.read(&mut buf) {
                if k == 0 {
                    break;
                }
                n += k;
            }
            n
        });
        let mut peak = 0;
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break Some(s);
            }
            peak = peak.max(rss_kib(pid).unwrap_or(0));
            if started.elapsed() > Duration::from_secs(20) {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let secs = started.elapsed().as_secs_f64();
        let printed = reader.join().unwrap();
        let flood = String::from_utf8_lossy(flood);
        eprintln!(
            "flood {:?}: send ended after {secs:.1} s, peak RSS {} MiB, printed {} KiB",
            flood.trim(),
            peak / 1024,
            printed / 1024
        );
        let status = status.unwrap_or_else(|| panic!("{flood:?}: send still ran after 20 s"));
        assert!(!status.success(), "{flood:?}: a flood is not a sent mail");
        assert!(
            secs < 8.0,
            "{flood:?}: send ran {secs:.1} s with --timeout 5"
        );
        assert!(peak < 200 * 1024, "{flood:?}: peak RSS {} MiB", peak / 1024);
        assert!(printed < 8 << 20, "{flood:?}: printed {printed} bytes");
    }
}
