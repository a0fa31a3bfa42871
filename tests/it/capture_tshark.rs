//! Sessions saved as pcapng captures, read back by the real tshark: `send --pcap`, `explain
//! --format pcapng`, and a POP3 session through the engine. tshark must dissect SMTP and POP3
//! in them, with the password masked.
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use crate::common::{TempDir, TestServer};
use mailtutor::proto::Lang;
use mailtutor::proto::pop3::Pop3Command;
use mailtutor::session::{ConnectOptions, Protocol, Security, Session, Target, wait};
use mailtutor::transcript::Transcript;

/// tshark's path; the test fails, saying how to get it, when it is missing.
pub fn tshark() -> PathBuf {
    for p in ["/usr/bin/tshark", "/usr/local/bin/tshark"] {
        if Path::new(p).exists() {
            return PathBuf::from(p);
        }
    }
    if Command::new("tshark").arg("-v").output().is_ok() {
        return PathBuf::from("tshark");
    }
    panic!("tshark is missing: run scripts/setup-debian.sh (CI installs it)");
}

/// tshark's rows of `fields` for the packets `filter` keeps, each field split on tabs;
/// `prefs` are `-o` preferences, or `-d` decode-as rules when they start with `tcp.port==`.
pub fn fields(file: &Path, prefs: &[&str], filter: &str, fields: &[&str]) -> Vec<Vec<String>> {
    let mut cmd = Command::new(tshark());
    cmd.arg("-r").arg(file);
    for p in prefs {
        let flag = if p.starts_with("tcp.port==") {
            "-d"
        } else {
            "-o"
        };
        cmd.args([flag, p]);
    }
    cmd.args(["-Y", filter, "-T", "fields"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split('\t').map(str::to_owned).collect())
        .collect()
}

fn mailtutor(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// A send to the in-process practice server, saved with --pcap.
fn send(tls: &str, pcap: &Path, data: &Path) -> Output {
    mailtutor(&[
        "send",
        "--tls",
        tls,
        "--from",
        "student@mailtutor.test",
        "--to",
        "teacher@mailtutor.test",
        "--subject",
        "capture lab",
        "--data-dir",
        data.to_str().unwrap(),
        "--pcap",
        pcap.to_str().unwrap(),
    ])
}

fn column(rows: &[Vec<String>], i: usize) -> Vec<String> {
    rows.iter()
        .filter_map(|r| r.get(i).filter(|s| !s.is_empty()).cloned())
        .collect()
}

#[test]
fn a_plain_send_saved_with_pcap_is_dissected_as_smtp_by_tshark() {
    let dir = TempDir::new("pcap-send");
    std::fs::create_dir_all(&dir.0).unwrap();
    let pcap = dir.0.join("send.pcapng");
    let out = send("none", &pcap, &dir.0.join("data"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Capture written to"), "{stderr}");
    let rows = fields(
        &pcap,
        &["smtp.decryption:TRUE"],
        "smtp",
        &[
            "frame.number",
            "smtp.req.command",
            "smtp.auth.username",
            "smtp.auth.password",
        ],
    );
    let commands = column(&rows, 1);
    for verb in ["EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"] {
        assert!(commands.iter().any(|c| c == verb), "{verb}: {rows:?}");
    }
    assert_eq!(column(&rows, 2), ["student@mailtutor.test"], "{rows:?}");
    // The password, masked as the transcript masks it.
    assert_eq!(column(&rows, 3), ["********"], "{rows:?}");
    let bytes = std::fs::read(&pcap).unwrap();
    let secret = mailtutor::proto::auth::encode(b"secret");
    assert!(!bytes.windows(secret.len()).any(|w| w == secret.as_bytes()));
    // The message itself, read by Wireshark's mail-format dissector.
    let subjects = column(&fields(&pcap, &[], "imf", &["imf.subject"]), 0);
    assert_eq!(subjects, ["capture lab"]);
    // The practice server's ephemeral port is written as 25; the real one is in a comment.
    let syn = fields(
        &pcap,
        &[],
        "tcp.flags.syn==1 && tcp.flags.ack==0",
        &["tcp.dstport", "frame.comment"],
    );
    assert_eq!(column(&syn, 0), ["25"]);
    assert!(
        column(&syn, 1)[0].contains("really listened on 127.0.0.1:"),
        "{syn:?}"
    );
}

#[test]
fn a_starttls_send_is_written_up_to_tls_and_the_user_is_told() {
    let dir = TempDir::new("pcap-starttls");
    std::fs::create_dir_all(&dir.0).unwrap();
    let pcap = dir.0.join("send.pcapng");
    let out = send("starttls", &pcap, &dir.0.join("data"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("ends where TLS began"), "{stderr}");
    let rows = fields(
        &pcap,
        &[],
        "smtp",
        &[
            "smtp.req.command",
            "smtp.response.code",
            "smtp.command_line",
        ],
    );
    // Wireshark names STARTTLS by its first four letters.
    assert_eq!(column(&rows, 0), ["EHLO", "STAR"], "{rows:?}");
    assert!(column(&rows, 2)[1].starts_with("STARTTLS"), "{rows:?}");
    assert_eq!(column(&rows, 1).last().map(String::as_str), Some("220"));
    let comments = column(&fields(&pcap, &[], "frame.comment", &["frame.comment"]), 0);
    assert!(
        comments
            .iter()
            .any(|c| c.contains("rest of the session was encrypted")),
        "{comments:?}"
    );
    // Implicit TLS: nothing in clear, no file, and the reason said.
    let implicit = dir.0.join("implicit.pcapng");
    let out = send("implicit", &implicit, &dir.0.join("data"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("encrypted from its first byte"), "{stderr}");
    assert!(!implicit.exists());
}

#[test]
fn a_pop3_session_saved_as_pcapng_is_dissected_as_pop_by_tshark() {
    let t = TestServer::start();
    let mut o = ConnectOptions::new(Protocol::Pop3);
    o.reply_timeout = Duration::from_secs(10);
    let s = wait(Session::connect(
        Target::new("127.0.0.1", t.pop3().port()),
        Security::None,
        o,
    ))
    .unwrap_or_else(|e| panic!("connect failed: {e}"));
    let mut tr = Transcript::new(Protocol::Pop3);
    for line in ["USER teacher@mailtutor.test", "PASS secret", "STAT", "QUIT"] {
        let cmd = Pop3Command::parse(line).unwrap();
        wait(s.pop3(&cmd)).unwrap_or_else(|e| panic!("{line}: {e}"));
    }
    while let Some(e) = s.next_event(Duration::from_millis(200)) {
        tr.apply(&e);
    }
    let file = mailtutor::capture::pcapng_of(&tr, Lang::En, false).unwrap();
    assert!(!file.cut_at_tls);
    let dir = TempDir::new("pcap-pop3");
    std::fs::create_dir_all(&dir.0).unwrap();
    let pcap = dir.0.join("pop3.pcapng");
    std::fs::write(&pcap, &file.bytes).unwrap();
    let rows = fields(
        &pcap,
        &[],
        "pop",
        &["pop.request.command", "pop.request.parameter"],
    );
    assert_eq!(
        column(&rows, 0),
        ["USER", "PASS", "STAT", "QUIT"],
        "{rows:?}"
    );
    assert!(
        column(&rows, 1).contains(&"********".to_owned()),
        "{rows:?}"
    );
    let ports = column(&fields(&pcap, &[], "pop", &["tcp.port"]), 0);
    assert!(ports.iter().all(|p| p.contains("110")), "{ports:?}");
}

const PASTED: &str = "220 mx.example.com ESMTP\nEHLO me\n250-mx.example.com\n250 AUTH LOGIN\n\
AUTH LOGIN\n334 VXNlcm5hbWU6\ndXNlckBleGFtcGxlLmNvbQ==\n334 UGFzc3dvcmQ6\naHVudGVyMg==\n\
235 2.7.0 Authentication successful\nQUIT\n221 bye\n";

fn explain_pcapng(extra: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["explain", "--format", "pcapng"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(PASTED.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn explain_writes_a_pasted_log_as_a_capture_to_a_file_or_stdout() {
    let dir = TempDir::new("pcap-explain");
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = dir.0.join("pasted.pcapng");
    let out = explain_pcapng(&["--output", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let piped = explain_pcapng(&[]);
    assert!(piped.status.success());
    let bytes = std::fs::read(&file).unwrap();
    assert_eq!(piped.stdout, bytes, "the same capture either way");
    assert!(!bytes.windows(12).any(|w| w == b"aHVudGVyMg=="));
    let rows = fields(
        &file,
        &["smtp.decryption:TRUE"],
        "smtp",
        &[
            "smtp.req.command",
            "smtp.auth.username",
            "smtp.auth.password",
            "frame.time_relative",
        ],
    );
    assert_eq!(column(&rows, 0), ["EHLO", "AUTH", "QUIT"], "{rows:?}");
    assert_eq!(column(&rows, 1), ["user@example.com"]);
    assert_eq!(column(&rows, 2), ["********"]);
    // Invented addresses: 127.0.0.1 to port 25.
    let hosts = column(&fields(&file, &[], "smtp", &["ip.dst", "tcp.dstport"]), 0);
    assert!(hosts.iter().all(|h| h == "127.0.0.1"), "{hosts:?}");
}

/// Free loopback ports, held until all are chosen so none is chosen twice.
fn free_ports(n: usize) -> Vec<u16> {
    let held: Vec<std::net::TcpListener> = (0..n)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    held.iter()
        .map(|l| l.local_addr().unwrap().port())
        .collect()
}

/// Lines a child prints, read on a thread (so that a silent child cannot hang the test).
fn lines_of(r: impl std::io::Read + Send + 'static) -> std::sync::mpsc::Receiver<String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The first line from `rx` that `pred` accepts, within 20 seconds.
fn line_where(
    rx: &std::sync::mpsc::Receiver<String>,
    what: &str,
    pred: impl Fn(&str) -> bool,
) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(l) if pred(&l) => return l,
            Ok(_) => {}
            Err(_) => break,
        }
    }
    panic!("never saw {what}");
}

/// `serve --keylog`: a real STARTTLS send with AUTH, captured on the loopback interface, is
/// decrypted by tshark with the key log (AUTH seen inside TLS) and not without it.
#[test]
fn the_practice_servers_key_log_lets_tshark_see_auth_inside_starttls() {
    let tshark = tshark();
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    if !root {
        // CI runs as root; capturing on `lo` needs root or capture capabilities.
        eprintln!("skipped: capturing on lo needs root (CI runs as root)");
        return;
    }
    let dir = TempDir::new("keylog");
    std::fs::create_dir_all(&dir.0).unwrap();
    let keys = dir.0.join("keys.log");
    let cap = dir.0.join("lo.pcapng");
    let ports = free_ports(6);
    let addr = |i: usize| format!("127.0.0.1:{}", ports[i]);
    let mut serve = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args([
            "serve",
            "--smtp",
            &addr(0),
            "--smtps",
            &addr(1),
            "--pop3",
            &addr(2),
        ])
        .args(["--pop3s", &addr(3), "--imap", &addr(4), "--imaps", &addr(5)])
        .arg("--data-dir")
        .arg(dir.0.join("data"))
        .arg("--keylog")
        .arg(&keys)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = lines_of(serve.stdout.take().unwrap());
    let cert = line_where(&out, "the certificate line", |l| l.contains("SHA-256"));
    let fingerprint = cert.split_whitespace().last().unwrap().to_owned();
    line_where(&out, "the key log line", |l| l.contains("TLS key log"));
    line_where(&out, "ready", |l| l.starts_with("Ready"));

    let mut capture = Command::new(&tshark)
        .args(["-i", "lo", "-F", "pcapng", "-w"])
        .arg(&cap)
        .args(["-f", &format!("tcp port {}", ports[0])])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let said = lines_of(capture.stderr.take().unwrap());
    line_where(&said, "tshark capturing", |l| l.contains("Capturing on"));
    // The capture is running once its file has a header; a moment more for the filter.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while std::fs::metadata(&cap).map_or(true, |m| m.len() == 0)
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(1000));

    let sent = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["send", "--server", &addr(0), "--tls", "starttls"])
        .args([
            "--user",
            "student@mailtutor.test",
            "--password-env",
            "CAPTURE_PW",
        ])
        .args(["--insecure-accept-cert", &fingerprint])
        .args([
            "--from",
            "student@mailtutor.test",
            "--to",
            "teacher@mailtutor.test",
        ])
        .env("CAPTURE_PW", "secret")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    // Let the last packets reach the capture, then stop it (SIGINT: tshark finishes the file).
    std::thread::sleep(Duration::from_millis(500));
    let _ = Command::new("kill")
        .args(["-INT", &capture.id().to_string()])
        .status();
    let _ = capture.wait();
    let _ = serve.kill();
    let _ = serve.wait();
    assert!(
        sent.status.success(),
        "{}",
        String::from_utf8_lossy(&sent.stdout)
    );

    let log = std::fs::read_to_string(&keys).unwrap();
    assert!(
        log.contains("CLIENT_HANDSHAKE_TRAFFIC_SECRET ") || log.contains("CLIENT_RANDOM "),
        "{log}"
    );
    // The practice port is not one Wireshark knows as SMTP: decode it as SMTP.
    let smtp = format!("tcp.port=={},smtp", ports[0]);
    let with_keys = format!("tls.keylog_file:{}", keys.display());
    let rows = fields(&cap, &[&smtp, &with_keys], "smtp", &["smtp.req.command"]);
    let commands = column(&rows, 0);
    assert!(commands.iter().any(|c| c == "AUTH"), "{commands:?}");
    // Pipelined: MAIL, RCPT and DATA in one segment.
    assert!(commands.iter().any(|c| c.contains("MAIL")), "{commands:?}");
    let rows = fields(&cap, &[&smtp], "smtp", &["smtp.req.command"]);
    let commands = column(&rows, 0);
    assert!(commands.iter().any(|c| c == "STAR"), "{commands:?}");
    assert!(!commands.iter().any(|c| c == "AUTH"), "{commands:?}");
}
