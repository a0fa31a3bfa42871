//! `mailtutor serve` as a separate process: its printed addresses and session log, a message
//! that survives `kill -9` once acknowledged, the order of its fsyncs and its 250 under
//! strace, a maildrop lock that holds across processes, and 200 idle connections costing
//! no CPU.
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use common::{Pop3, Smtp, TempDir, mailbox_files, without_received};
use mailtutor::server::ServerConfig;

struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
    smtp: SocketAddr,
    pop3: Option<SocketAddr>,
    /// The data directory, and its owner when the server made it.
    data: PathBuf,
    _dir: Option<TempDir>,
    /// The strace log, when the server runs under strace.
    trace: Option<PathBuf>,
}

impl Serve {
    fn start(extra: &[&str]) -> Self {
        Self::start_under(None, extra)
    }

    /// With `trace`, the server runs under strace, which writes its log there.
    fn start_under(trace: Option<PathBuf>, extra: &[&str]) -> Self {
        let dir = TempDir::new("serve");
        let data = dir.0.clone();
        Self::start_full(trace, extra, data, Some(dir))
    }

    /// On a data directory that outlives the server (for restarts).
    fn start_in(data: &std::path::Path) -> Self {
        Self::start_full(None, &[], data.to_path_buf(), None)
    }

    fn start_full(
        trace: Option<PathBuf>,
        extra: &[&str],
        data: PathBuf,
        owner: Option<TempDir>,
    ) -> Self {
        let bin = env!("CARGO_BIN_EXE_mailtutor");
        let mut command = match &trace {
            None => Command::new(bin),
            Some(log) => {
                let mut c = Command::new("strace");
                c.args(["-f", "-qq", "-s", "4096", "-o"]).arg(log).args([
                    "-e",
                    "trace=openat,fsync,fdatasync,rename,renameat,renameat2,write,sendto,close",
                    bin,
                ]);
                c
            }
        };
        let mut child = command
            .args(["serve", "--smtp", "127.0.0.1:0", "--smtps", "127.0.0.1:0"])
            .args([
                "--pop3",
                "127.0.0.1:0",
                "--pop3s",
                "127.0.0.1:0",
                "--imap",
                "127.0.0.1:0",
                "--imaps",
                "127.0.0.1:0",
                "--data-dir",
            ])
            .arg(&data)
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start mailtutor serve: {e}"));
        let stdout = child.stdout.take().expect("no stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut smtp = None;
        let mut pop3 = None;
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let Ok(line) = lines.recv_timeout(Duration::from_secs(20)) else {
                break;
            };
            if let Some(addr) = line.trim().strip_prefix("SMTP ") {
                smtp = addr.split_whitespace().next().and_then(|a| a.parse().ok());
            }
            if let Some(addr) = line.trim().strip_prefix("POP3 ") {
                pop3 = addr.split_whitespace().next().and_then(|a| a.parse().ok());
            }
            if line.starts_with("Ready") {
                break;
            }
        }
        let smtp = smtp.expect("serve printed no SMTP address");
        Self {
            child,
            lines,
            smtp,
            pop3,
            data,
            _dir: owner,
            trace,
        }
    }

    fn log_until(&self, needle: &str) -> Vec<String> {
        let mut seen = Vec::new();
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
            let done = line.contains(needle);
            seen.push(line);
            if done {
                return seen;
            }
        }
        panic!("log never showed {needle:?}; saw {seen:#?}");
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        // Killing strace would leave the traced server running: kill the server (the first
        // pid of the trace); strace ends with it.
        if let Some(log) = &self.trace {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            if let Some(pid) = text.split_whitespace().next() {
                let _ = Command::new("kill").args(["-9", pid]).status();
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Logs in as the student and sends `message` (ending in CRLF) to the teacher; the code of
/// the reply to the final dot.
fn send_to_teacher(smtp: SocketAddr, message: &[u8]) -> u16 {
    let mut c = Smtp::connect(smtp);
    c.reply();
    c.expect("EHLO lab", "250");
    c.login("student@mailtutor.test", "secret");
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "250");
    c.expect("DATA", "354");
    c.send(&[message, b".\r\n"].concat());
    c.reply().code
}

#[test]
fn acknowledged_message_survives_kill_9_and_log_shows_every_line() {
    let mut s = Serve::start(&[]);
    let code = send_to_teacher(
        s.smtp,
        b"Subject: durable\r\n\r\nacknowledged means on disk\r\n",
    );
    assert_eq!(code, 250);
    // SIGKILL right after the 250: no chance to flush anything.
    s.child.kill().unwrap_or_else(|e| panic!("kill: {e}"));
    let _ = s.child.wait();
    let stored = mailbox_files(&s.data.join("teacher@mailtutor.test").join("new"));
    assert_eq!(stored.len(), 1);
    assert_eq!(
        without_received(&stored[0]),
        b"Subject: durable\r\n\r\nacknowledged means on disk\r\n".to_vec()
    );

    let log = s.log_until("queued as");
    let has = |needle: &str| log.iter().any(|l| l.contains(needle));
    assert!(
        has("smtp 127.0.0.1:") && has("] C: EHLO lab") && has("] S: 250-mailtutor.test"),
        "{log:#?}"
    );
    assert!(
        has("] S: 334 UGFzc3dvcmQ6") && has("] C: ********"),
        "{log:#?}"
    );
    assert!(!has("c2VjcmV0"), "password logged: {log:#?}");
    assert!(has("C: [message: "), "{log:#?}");
}

#[test]
fn accounts_from_flags() {
    let s = Serve::start(&[
        "--account",
        "alice@lab.test:pw1",
        "--account",
        "bob@lab.test:pw2",
    ]);
    let mut c = Smtp::connect(s.smtp);
    c.reply();
    c.expect("EHLO lab", "250");
    c.login("alice@lab.test", "pw1");
    c.expect("MAIL FROM:<alice@lab.test>", "250");
    c.expect("RCPT TO:<bob@lab.test>", "250");
    c.expect("RCPT TO:<student@mailtutor.test>", "550 5.7.1");
    let bad = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["serve", "--account", "nopassword"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&bad.stderr).contains("ADDRESS:PASSWORD"));
}

#[test]
fn faults_from_flags() {
    let s = Serve::start(&["--fault", "greet=554", "--fault", "rcpt=450:sticky"]);
    let mut c = Smtp::connect(s.smtp);
    assert_eq!(c.reply().code, 554);
    let mut c = Smtp::connect(s.smtp);
    assert_eq!(c.reply().code, 220);
    c.expect("HELO lab", "250");
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "450");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "450");
    let bad = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["serve", "--fault", "explode=1"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown fault"));
}

/// utime + stime of a process, in clock ticks (Linux /proc).
#[cfg(target_os = "linux")]
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let get = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // Fields 14 and 15 of stat(5); index 11 and 12 after the ")".
    get(11) + get(12)
}

#[cfg(target_os = "linux")]
#[test]
fn two_hundred_idle_connections_cost_no_cpu() {
    let s = Serve::start(&["--max-connections", "300"]);
    let mut conns: Vec<Smtp> = (0..200).map(|_| Smtp::connect(s.smtp)).collect();
    for c in &mut conns {
        assert_eq!(c.reply().code, 220);
    }
    std::thread::sleep(Duration::from_millis(300));
    let before = cpu_ticks(s.child.id());
    std::thread::sleep(Duration::from_secs(3));
    let used = cpu_ticks(s.child.id()) - before;
    eprintln!("200 idle connections: {used} ticks of CPU in 3 s");
    // A busy-polling thread per connection would burn hundreds of ticks; idle threads none.
    assert!(used <= 5, "{used} ticks in 3 s");
    // And they all still answer.
    for c in conns.iter_mut().step_by(20) {
        c.expect("NOOP", "250");
    }
}

/// The window, `serve` and `send` share one data directory by default: a maildrop held by a
/// POP3 session in one process is `[IN-USE]` for every other process until its QUIT.
#[test]
fn a_maildrop_is_locked_across_processes() {
    let serve = Serve::start(&[]);
    let pop3 = serve.pop3.expect("serve printed no POP3 address");
    let (mut held, _) = Pop3::connect(pop3);
    held.ok("USER teacher@mailtutor.test");
    held.ok("PASS secret");
    // A second server, in this process, on the same directory.
    let here = mailtutor::server::start(ServerConfig::loopback(serve.data.clone())).unwrap();
    let addr = here.pop3.expect("no pop3 port");
    let (mut other, _) = Pop3::connect(addr);
    other.ok("USER teacher@mailtutor.test");
    let r = other.cmd("PASS secret");
    assert_eq!(
        r.status.resp_code.as_deref(),
        Some("IN-USE"),
        "{:?}",
        r.status
    );
    held.ok("QUIT");
    other.ok("USER teacher@mailtutor.test");
    other.ok("PASS secret");
    other.ok("QUIT");
}

/// What the operating system saw, in order: under `strace`, the 250 for a message goes out
/// only after the message file was fsynced, renamed into new/ and new/ fsynced — and, for the
/// first message to an account, after the directories created for it were fsynced too. The
/// SIGKILL test above cannot see a missing fsync (the page cache survives it); this one does.
#[test]
fn the_250_goes_out_only_after_the_message_and_its_directories_are_fsynced() {
    if Command::new("strace").arg("-V").output().is_err() {
        panic!("strace is missing: scripts/setup-debian.sh installs it");
    }
    let logs = TempDir::new("strace");
    std::fs::create_dir_all(&logs.0).unwrap();
    let log = logs.0.join("strace.log");
    let serve = Serve::start_under(Some(log.clone()), &[]);
    let data = serve.data.clone();
    let smtp = serve.smtp;
    assert_eq!(
        send_to_teacher(smtp, b"Subject: ordered\r\n\r\nfsync first\r\n"),
        250
    );
    drop(serve);
    let text = std::fs::read_to_string(&log).unwrap();
    let events = syscalls(&text);
    let maildrop = data.join("teacher@mailtutor.test");
    let at = |what: &str, pred: &dyn Fn(&Syscall) -> bool| {
        events
            .iter()
            .position(pred)
            .unwrap_or_else(|| panic!("no {what} in the trace:\n{text}"))
    };
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
    let tmp = path(&maildrop.join("tmp"));
    let new = path(&maildrop.join("new"));
    let reply = at(
        "250 on the socket",
        &|e| matches!(e, Syscall::Write(bytes) if bytes.contains("250 2.0.0 Ok: queued")),
    );
    let file_sync = at(
        "fsync of the message",
        &|e| matches!(e, Syscall::Fsync(p) if p.starts_with(&tmp)),
    );
    let rename = at(
        "rename into new/",
        &|e| matches!(e, Syscall::Rename(from, to) if from.starts_with(&tmp) && to.starts_with(&new)),
    );
    let new_sync = at(
        "fsync of new/",
        &|e| matches!(e, Syscall::Fsync(p) if *p == new),
    );
    let drop_sync = at(
        "fsync of the new maildrop",
        &|e| matches!(e, Syscall::Fsync(p) if *p == path(&maildrop)),
    );
    let root_sync = at(
        "fsync of the data directory",
        &|e| matches!(e, Syscall::Fsync(p) if *p == path(&data)),
    );
    assert!(
        file_sync < rename && rename < new_sync && new_sync < reply,
        "{text}"
    );
    assert!(drop_sync < reply && root_sync < reply, "{text}");
}

#[derive(Debug)]
enum Syscall {
    /// fsync or fdatasync of the file or directory at this path.
    Fsync(String),
    Rename(String, String),
    /// Bytes written or sent, as strace prints them.
    Write(String),
}

/// The syscalls of an `strace -f -o` log in order, with file descriptors turned back into
/// the paths they were opened on.
fn syscalls(log: &str) -> Vec<Syscall> {
    let mut fds: std::collections::HashMap<String, String> = Default::default();
    let mut out = Vec::new();
    let quoted =
        |s: &str| -> Vec<String> { s.split('"').skip(1).step_by(2).map(str::to_owned).collect() };
    for line in log.lines() {
        // "<pid> call(args) = result"
        let Some((_, call)) = line.split_once(' ') else {
            continue;
        };
        let call = call.trim_start();
        let result = call.rsplit_once(" = ").map(|(_, r)| r.trim()).unwrap_or("");
        let name = call.split('(').next().unwrap_or("");
        let args = call.split_once('(').map(|(_, a)| a).unwrap_or("");
        let first_arg = args
            .split([',', ')'])
            .next()
            .unwrap_or("")
            .trim()
            .to_owned();
        match name {
            "openat" => {
                if let Some(p) = quoted(args).first() {
                    fds.insert(
                        result.split_whitespace().next().unwrap_or("").to_owned(),
                        p.clone(),
                    );
                }
            }
            "fsync" | "fdatasync" if result.starts_with('0') => {
                if let Some(p) = fds.get(&first_arg) {
                    out.push(Syscall::Fsync(p.clone()));
                }
            }
            "rename" | "renameat" | "renameat2" if result.starts_with('0') => {
                let q = quoted(args);
                if q.len() >= 2 {
                    out.push(Syscall::Rename(q[0].clone(), q[1].clone()));
                }
            }
            "write" | "sendto" => {
                if let Some(b) = quoted(args).first() {
                    out.push(Syscall::Write(b.clone()));
                }
            }
            "close" => {
                fds.remove(&first_arg);
            }
            _ => {}
        }
    }
    out
}

/// A message whose every line names it, so that a copy cut short cannot pass for whole.
fn crash_message(id: u32) -> Vec<u8> {
    let mut m = format!("Subject: crash {id}\r\n\r\n").into_bytes();
    for i in 0..64 {
        m.extend_from_slice(format!("message {id} line {i:02} {}\r\n", "=".repeat(60)).as_bytes());
    }
    m.extend_from_slice(format!("end of message {id}\r\n").as_bytes());
    m
}

/// One send without AUTH, student to teacher; the code of the reply to the final dot, or
/// `None` when the connection broke first. Never panics: the server is killed under it.
fn send_one(addr: SocketAddr, message: &[u8]) -> Option<u16> {
    use mailtutor::proto::reply::ReplyReader;
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut reader = ReplyReader::new();
    let mut next = |s: &mut std::net::TcpStream| -> Option<u16> {
        let mut buf = [0u8; 4096];
        loop {
            if let Some(r) = reader.next_reply() {
                return r.ok().map(|r| r.code);
            }
            match s.read(&mut buf) {
                Ok(0) | Err(_) => return None,
                Ok(n) => reader.push(&buf[..n]),
            }
        }
    };
    next(&mut s)?;
    for line in [
        "EHLO crash",
        "MAIL FROM:<student@mailtutor.test>",
        "RCPT TO:<teacher@mailtutor.test>",
        "DATA",
    ] {
        s.write_all(format!("{line}\r\n").as_bytes()).ok()?;
        if next(&mut s)? >= 400 {
            return None;
        }
    }
    s.write_all(&mailtutor::proto::message::data_payload(message))
        .ok()?;
    let code = next(&mut s);
    let _ = s.write_all(b"QUIT\r\n");
    code
}

/// A small xorshift generator: the test prints its seed, so a failing run can be repeated
/// with MAILTUTOR_CRASH_SEED.
fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn kill_9_at_random_points_during_a_thousand_sends_loses_nothing_acknowledged() {
    use std::collections::BTreeSet;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
    use std::sync::{Arc, Mutex};

    let mut seed = std::env::var("MAILTUTOR_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64 | 1)
                .unwrap_or(88_172_645_463_325_252)
        });
    eprintln!("MAILTUTOR_CRASH_SEED={seed}");
    let data = TempDir::new("crash");
    let new_dir = data.0.join("teacher@mailtutor.test").join("new");
    let tmp_dir = data.0.join("teacher@mailtutor.test").join("tmp");
    let next_id = Arc::new(AtomicU32::new(0));
    let acked = Arc::new(Mutex::new(BTreeSet::new()));
    let (mut rounds, mut leftovers) = (0, 0);
    while next_id.load(Ordering::SeqCst) < 1000 {
        rounds += 1;
        let mut serve = Serve::start_in(&data.0);
        // Leftovers of the last crash were aged past the threshold: start-up removed them.
        let tmp_now = std::fs::read_dir(&tmp_dir).map(|d| d.count()).unwrap_or(0);
        assert_eq!(
            tmp_now, 0,
            "round {rounds}: tmp/ leftovers survived a start-up"
        );
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..4)
            .map(|_| {
                let (stop, next_id, acked) =
                    (Arc::clone(&stop), Arc::clone(&next_id), Arc::clone(&acked));
                let smtp = serve.smtp;
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let id = next_id.fetch_add(1, Ordering::SeqCst);
                        match send_one(smtp, &crash_message(id)) {
                            Some(250) => {
                                acked.lock().unwrap_or_else(|p| p.into_inner()).insert(id);
                            }
                            Some(_) => {}
                            None => break,
                        }
                    }
                })
            })
            .collect();
        let wait_ms = 20 + xorshift(&mut seed) % 150;
        std::thread::sleep(Duration::from_millis(wait_ms));
        serve.child.kill().unwrap_or_else(|e| panic!("kill: {e}"));
        let _ = serve.child.wait();
        stop.store(true, Ordering::SeqCst);
        for c in clients {
            let _ = c.join();
        }

        // Every file in new/ is one whole message; every acknowledged one is there.
        let mut present = BTreeSet::new();
        for file in mailbox_files(&new_dir) {
            let body = without_received(&file);
            let text = String::from_utf8_lossy(&body);
            let id: u32 = text
                .strip_prefix("Subject: crash ")
                .and_then(|t| t.split("\r\n").next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("a partial or foreign file in new/: {text:?}"));
            assert_eq!(body, crash_message(id), "message {id} is not whole");
            present.insert(id);
        }
        let acked_now = acked.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let lost: Vec<_> = acked_now.difference(&present).collect();
        assert!(
            lost.is_empty(),
            "round {rounds}: acknowledged but lost: {lost:?}"
        );

        // Age what the crash left in tmp/, as if a day and a half had passed.
        if let Ok(files) = std::fs::read_dir(&tmp_dir) {
            for f in files.flatten() {
                leftovers += 1;
                let old = std::time::SystemTime::now() - Duration::from_secs(37 * 60 * 60);
                let _ = std::fs::File::options()
                    .write(true)
                    .open(f.path())
                    .and_then(|h| h.set_modified(old));
            }
        }
    }
    let acked = acked.lock().unwrap_or_else(|p| p.into_inner()).len();
    let attempted = next_id.load(Ordering::SeqCst);
    eprintln!(
        "{rounds} kills, {attempted} sends started, {acked} acknowledged and all intact, \
         {leftovers} tmp/ leftovers removed at start-up"
    );
    assert!(
        acked >= 500,
        "too few sends completed to mean anything: {acked}"
    );
    drop(Serve::start_in(&data.0));
}

#[test]
fn the_server_listens_on_loopback_unless_told_otherwise() {
    let help = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&help.stdout);
    for default in [
        "127.0.0.1:2525",
        "127.0.0.1:4465",
        "127.0.0.1:1110",
        "127.0.0.1:1995",
        "127.0.0.1:1143",
        "127.0.0.1:1993",
    ] {
        assert!(text.contains(&format!("[default: {default}]")), "{text}");
    }
    assert!(!text.contains("0.0.0.0"), "{text}");
    let window = ServerConfig::loopback(std::env::temp_dir());
    for addr in [
        window.smtp,
        window.smtps,
        window.pop3,
        window.pop3s,
        window.imap,
        window.imaps,
    ]
    .into_iter()
    .flatten()
    {
        assert!(addr.ip().is_loopback(), "{addr}");
    }
}

/// Python's smtplib, a client nobody here wrote, against `serve --persona qq`: the greeting, the
/// wrong password, MAIL before AUTH and a message without From all come back in QQ Mail's words.
#[test]
fn python_smtplib_meets_qq_mails_words_from_serve_persona_qq() {
    let s = Serve::start(&["--persona", "qq"]);
    let script = r#"
import json, smtplib, sys
out = {}
c = smtplib.SMTP(timeout=10)
out["greeting"] = c.connect("127.0.0.1", int(sys.argv[1]))[1].decode()
c.ehlo("lab-pc")
try:
    c.login("student@mailtutor.test", "my-qq-password")
except smtplib.SMTPAuthenticationError as e:
    out["wrong_password"] = [e.smtp_code, e.smtp_error.decode()]
try:
    c.sendmail("student@mailtutor.test", ["teacher@mailtutor.test"], b"Subject: hi\r\n\r\nhi\r\n")
except smtplib.SMTPSenderRefused as e:
    out["mail_before_auth"] = [e.smtp_code, e.smtp_error.decode()]
c.login("student@mailtutor.test", "secret")
try:
    c.sendmail("student@mailtutor.test", ["teacher@mailtutor.test"], b"Subject: hi\r\n\r\nhi\r\n")
except smtplib.SMTPDataError as e:
    out["no_from"] = [e.smtp_code, e.smtp_error.decode()]
c.quit()
print(json.dumps(out))
"#;
    let run = Command::new("python3")
        .args(["-c", script, &s.smtp.port().to_string()])
        .output()
        .unwrap_or_else(|e| panic!("python3 is needed (scripts/setup-debian.sh installs it): {e}"));
    let got = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{got}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let qq = mailtutor::server::PersonaId::Qq.persona();
    let said = |r: &Option<mailtutor::server::persona::CitedText>| {
        let text = r.as_ref().map(|c| c.text.clone()).unwrap_or_default();
        // JSON as Python writes it: the text after the code, quotes escaped.
        let (_, words) = text.split_at(4);
        words.replace('"', "\\\"")
    };
    assert!(
        got.contains("\"greeting\": \"smtp.qq.com Esmtp QQ Mail Server\""),
        "{got}"
    );
    assert!(
        got.contains(
            "\"wrong_password\": [535, \"Login Fail. Please enter your authorization code"
        ),
        "{got}"
    );
    assert!(got.contains(&said(&qq.replies.auth_failed)), "{got}");
    assert!(
        got.contains("\"mail_before_auth\": [503, \"Error: need EHLO and AUTH first !\"]"),
        "{got}"
    );
    assert!(got.contains("\"no_from\": [550, "), "{got}");
    assert!(got.contains(&said(&qq.replies.rejected)), "{got}");
    // Nothing was stored: the one message had no From.
    assert!(mailbox_files(&s.data.join("teacher@mailtutor.test").join("new")).is_empty());
}

/// `serve --roster names.csv`: one account per student, usable at once, and the list to hand
/// out written next to the data.
#[test]
fn serve_roster_makes_accounts_from_a_class_list() {
    let names = TempDir::new("roster-names");
    std::fs::create_dir_all(&names.0).unwrap();
    let file = names.0.join("class.csv");
    std::fs::write(&file, "姓名,学号\n张三,001\nLi Lei,002\n").unwrap();
    let s = Serve::start(&["--roster", file.to_str().unwrap()]);
    let list = std::fs::read_to_string(s.data.join("roster.csv")).unwrap();
    let rows: Vec<Vec<&str>> = list
        .lines()
        .skip(1)
        .map(|l| l.split(',').collect())
        .collect();
    assert_eq!(rows.len(), 2, "{list}");
    assert_eq!(rows[1][..2], ["Li Lei", "li.lei@mailtutor.test"]);
    for row in &rows {
        let mut c = Smtp::connect(s.smtp);
        c.reply();
        c.expect("EHLO lab", "250");
        c.login(row[1], row[2]);
    }
    drop(s);
}
