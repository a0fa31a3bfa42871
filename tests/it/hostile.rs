//! Hostile peers on loopback: servers that word their AUTH prompts oddly, and pasted logs that
//! do the same. What the client sends under AUTH after the username is a secret, whatever the
//! prompt says; it is masked in the transcript, its notes and `send`'s and `explain`'s output.
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
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

/// A loopback server for one client: its port; `serve` runs on its own thread with the
/// connection.
fn one_client(serve: impl FnOnce(std::net::TcpStream) + Send + 'static) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().unwrap().port();
    std::thread::spawn(move || {
        if let Some(Ok(s)) = l.incoming().next() {
            serve(s);
        }
    });
    port
}

/// An SMTP server that asks for the AUTH LOGIN answers with the given 334 prompts (base64),
/// accepts whatever comes, and takes one message.
fn odd_prompts_server(prompts: [&'static str; 2]) -> u16 {
    one_client(move |s| {
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
    })
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
    one_client(move |s| {
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
    })
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

/// Characters that act on a terminal: C0 controls but TAB and LF, DEL, C1, and the bidi
/// overrides and isolates. None may reach the terminal from a server, a paste or a client.
fn acting(text: &str) -> Vec<String> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\t' && c != '\n')
                || ('\u{202A}'..='\u{202E}').contains(&c)
                || ('\u{2066}'..='\u{2069}').contains(&c)
        })
        .map(|c| format!("U+{:04X}", c as u32))
        .collect()
}

fn assert_inert(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    let found = acting(&text);
    assert!(found.is_empty(), "{what} printed {found:?}:\n{text}");
}

/// A greeting, EHLO keywords and an AUTH prompt full of terminal escapes.
const EVIL: &[&str] = &[
    "220 evil.test\u{1b}]0;pwned\u{7} ESMTP\u{1b}]52;c;aGVsbG8=\u{7}",
    "250-evil.test \u{1b}[2J\u{1b}[H",
    "250-X-\u{9b}31mRED",
    "250-\u{202e}gnp.exe",
    "250 AUTH LOGIN\roverwritten",
];

#[test]
fn terminal_escapes_from_a_paste_never_reach_the_terminal() {
    let prompt = encode("Us\0er\u{1b}[31m:".as_bytes());
    let mut log = String::from(
        "C:\\Users\\me>\u{1b}[2Jtelnet evil.test 25\nTrying 192.0.2.1...\u{1b}]52;c;aGk=\u{7}\nConnected to \u{202e}evil.test.\n",
    );
    log.push_str(EVIL[0]);
    log.push_str("\nEHLO me\n");
    for l in &EVIL[1..] {
        log.push_str(l);
        log.push('\n');
    }
    log.push_str(&format!(
        "AUTH LOGIN\n334 {prompt}\n{}\n",
        encode(b"a\x1b[5mb")
    ));
    log.push_str("535 5.7.8 bad\u{7}\u{7}\u{7}\n");
    for args in [
        &["explain"][..],
        &["explain", "--verbose"],
        &["explain", "--format", "html"],
        &["explain", "535", "\u{1b}[2J"],
    ] {
        let run = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                c.stdin.take().unwrap().write_all(log.as_bytes())?;
                c.wait_with_output()
            })
            .unwrap();
        assert_inert(&format!("{args:?}"), &run.stdout);
        assert_inert(&format!("{args:?} (errors)"), &run.stderr);
        assert!(!run.stdout.is_empty(), "{args:?} printed nothing");
    }
}

#[test]
fn terminal_escapes_from_a_server_never_reach_the_terminal() {
    let port = one_client(move |s| {
        let mut w = s.try_clone().unwrap();
        let mut r = BufReader::new(s);
        let _ = w.write_all(format!("{}\r\n", EVIL[0]).as_bytes());
        let mut line = String::new();
        let _ = r.read_line(&mut line);
        let _ = w.write_all(format!("{}\r\n", EVIL[1..].join("\r\n")).as_bytes());
        line.clear();
        let _ = r.read_line(&mut line);
        let _ = w.write_all("550 5.7.1 no \u{1b}]0;title\u{7}\u{9b}2J\rspoof\r\n".as_bytes());
        line.clear();
        let _ = r.read_line(&mut line);
        let _ = w.write_all(b"221 bye\r\n");
    });
    let run = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["send", "--server", &format!("127.0.0.1:{port}")])
        .args(["--tls", "none", "--timeout", "5", "--verbose"])
        .args(["--from", USER, "--to", USER, "--subject", "escapes"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&run.stdout).contains("550"));
    assert_inert("send", &run.stdout);
    assert_inert("send (errors)", &run.stderr);
}

/// `mailtutor serve` on loopback with one account and `extra` arguments: the process, its log
/// as it comes, and its SMTP and POP3 ports.
struct Served {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    log: String,
    smtp: u16,
    pop3: u16,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Served {
    fn start(dir: &std::path::Path, extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
            .args(["serve", "--smtp", "127.0.0.1:0", "--pop3", "127.0.0.1:0"])
            .args(["--smtps", "127.0.0.1:0", "--pop3s", "127.0.0.1:0"])
            .args(["--imap", "127.0.0.1:0", "--imaps", "127.0.0.1:0"])
            .args(["--account", &format!("{USER}:{PASSWORD}"), "--data-dir"])
            .arg(dir.join("data"))
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            let mut r = BufReader::new(out);
            let mut buf = Vec::new();
            while r.read_until(b'\n', &mut buf).unwrap_or(0) > 0 {
                let _ = tx.send(String::from_utf8_lossy(&buf).into_owned());
                buf.clear();
            }
        });
        let mut s = Self {
            child,
            lines,
            log: String::new(),
            smtp: 0,
            pop3: 0,
        };
        while let Ok(line) = s.lines.recv_timeout(std::time::Duration::from_secs(20)) {
            s.log.push_str(&line);
            let port = |a: &str| {
                a.split_whitespace()
                    .next()
                    .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
                    .map_or(0, |a| a.port())
            };
            if let Some(a) = line.trim().strip_prefix("SMTP ") {
                s.smtp = port(a);
            }
            if let Some(a) = line.trim().strip_prefix("POP3 ") {
                s.pop3 = port(a);
            }
            if line.starts_with("Ready") {
                break;
            }
        }
        assert!(s.smtp > 0 && s.pop3 > 0, "{}", s.log);
        s
    }

    /// Sends each line to `port` (after the greeting), reading each reply whole.
    fn talk(&self, port: u16, lines: &[&str]) -> String {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let mut r = BufReader::new(s.try_clone().unwrap());
        let mut seen = String::new();
        let mut line = String::new();
        let _ = r.read_line(&mut line);
        seen.push_str(&line);
        for l in lines {
            let _ = s.write_all(format!("{l}\r\n").as_bytes());
            line.clear();
            let _ = r.read_line(&mut line);
            seen.push_str(&line);
            // A multi-line SMTP reply.
            while line.as_bytes().get(3) == Some(&b'-') {
                line.clear();
                let _ = r.read_line(&mut line);
                seen.push_str(&line);
            }
        }
        seen
    }

    /// The log so far, after a moment for the last lines.
    fn log(&mut self) -> String {
        std::thread::sleep(std::time::Duration::from_millis(300));
        while let Ok(line) = self.lines.try_recv() {
            self.log.push_str(&line);
        }
        self.log.clone()
    }
}

#[test]
fn terminal_escapes_from_a_client_never_reach_the_servers_log() {
    let dir = crate::common::TempDir::new("hostile-serve");
    let mut served = Served::start(&dir.0, &[]);
    served.talk(
        served.smtp,
        &[
            "EHLO \u{1b}]0;pwned\u{7}",
            "MAIL FROM:<\u{9b}2J@x>",
            "X\u{202e}YZ \rover",
            "QUIT",
        ],
    );
    served.talk(
        served.pop3,
        &["USER \u{1b}[2J", "NOPE \u{1b}]52;c;aGk=\u{7}", "QUIT"],
    );
    let log = served.log();
    assert!(log.contains("EHLO"), "{log}");
    assert_inert("serve's log", log.as_bytes());
}

#[test]
fn the_servers_log_never_echoes_a_credential() {
    let dir = crate::common::TempDir::new("hostile-creds");
    // TLS required: AUTH LOGIN gets 530 in plain text, and the client's two base64 lines
    // arrive as unknown commands.
    let mut served = Served::start(&dir.0, &["--require-tls"]);
    let user = encode(USER.as_bytes());
    let pass = encode(PASSWORD.as_bytes());
    let plain = encode(&plain_message("", USER, PASSWORD));
    let smtp = served.talk(
        served.smtp,
        &[
            "EHLO me",
            "AUTH LOGIN",
            &user,
            &pass,
            &format!("AUTH PLAIN {plain}"),
            "QUIT",
        ],
    );
    let pop3 = served.talk(
        served.pop3,
        &[
            &format!("AUTH PLAIN {plain}"),
            &format!("USER {USER}"),
            &format!("PASS\t{PASSWORD}"),
            &format!("PASS  {PASSWORD}"),
            "QUIT",
        ],
    );
    let log = served.log();
    assert!(log.contains("AUTH LOGIN"), "{log}");
    assert_no_secret("serve's log", &log);
    // Nor do the replies the client gets back quote it.
    assert_no_secret("the SMTP replies", &smtp);
    assert_no_secret("the POP3 replies", &pop3);
}

/// Every file in a `new` directory under `dir`: the messages delivered.
fn delivered(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() && p.file_name().is_some_and(|n| n == "new") {
            out.extend(
                std::fs::read_dir(&p)
                    .into_iter()
                    .flatten()
                    .flatten()
                    .map(|e| e.path()),
            );
        } else if p.is_dir() {
            out.extend(delivered(&p));
        }
    }
    out
}

#[test]
fn one_address_is_one_account_and_one_maildrop() {
    use mailtutor::server::{Account, Accounts};
    let acct = |a: &str, p: &str| Account {
        address: a.into(),
        password: p.into(),
    };
    // The Kelvin sign (U+212A) is a K: "Kate" with it is kate, and cannot get a password of
    // its own over kate's maildrop.
    assert!(
        Accounts::new(vec![
            acct("kate@x.test", "one"),
            acct("\u{212a}ate@x.test", "two")
        ])
        .is_err()
    );
    assert!(Accounts::new(vec![acct("é@x.test", "one"), acct("É@x.test", "two")]).is_err());
    let a = Accounts::new(vec![acct("kate@x.test", "one")]).unwrap();
    assert!(a.check("\u{212a}ATE@X.test", "one").is_some());
    assert!(a.check("\u{212a}ate@x.test", "two").is_none());
    // The server refuses to start with two such accounts.
    let dir = crate::common::TempDir::new("hostile-kelvin");
    let run = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["serve", "--smtp", "127.0.0.1:0", "--pop3", "127.0.0.1:0"])
        .args(["--smtps", "127.0.0.1:0", "--pop3s", "127.0.0.1:0"])
        .args(["--imap", "127.0.0.1:0", "--imaps", "127.0.0.1:0"])
        .args([
            "--account",
            "kate@x.test:one",
            "--account",
            "\u{212a}ate@x.test:two",
        ])
        .arg("--data-dir")
        .arg(dir.0.join("data"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!run.status.success());
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("one address"),
        "{run:?}"
    );

    // Mail for the same recipient named three ways (and twice) arrives once, in one maildrop.
    let dir = crate::common::TempDir::new("hostile-rcpt");
    let served = Served::start(&dir.0, &[]);
    let r = served.talk(
        served.smtp,
        &[
            "EHLO me",
            &format!("MAIL FROM:<{USER}>"),
            &format!("RCPT TO:<{USER}>"),
            &format!("RCPT TO:<{}>", USER.to_uppercase()),
            &format!("RCPT TO:<{USER}>"),
            "DATA",
            "Subject: once\r\n\r\nonce\r\n.",
            "QUIT",
        ],
    );
    assert!(r.contains("250 2.0.0"), "{r}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let got = delivered(&dir.0.join("data"));
    assert_eq!(got.len(), 1, "{got:?}\n{r}");
}

#[cfg(unix)]
#[test]
fn the_class_list_is_private_and_opens_safely_in_a_spreadsheet() {
    use std::os::unix::fs::PermissionsExt;
    let dir = crate::common::TempDir::new("hostile-roster");
    std::fs::create_dir_all(&dir.0).unwrap();
    let names = dir.0.join("names.csv");
    std::fs::write(
        &names,
        "name,id\n=HYPERLINK(\"http://evil.test\",\"x\"),1\n+SUM(A1),2\n\"Smith, John\",3\n@cmd,4\n-1+2,5\n",
    )
    .unwrap();
    let data = dir.0.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let served = Served::start(&dir.0, &["--roster", names.to_str().unwrap()]);
    drop(served);
    let list = data.join("roster.csv");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&list), 0o600);
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("roster.toml")), 0o600);
    let text = std::fs::read_to_string(&list).unwrap();
    let mut r = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let first: Vec<String> = r
        .records()
        .map(|x| x.unwrap().get(0).unwrap_or_default().to_owned())
        .collect();
    assert_eq!(first.len(), 5, "{text}");
    assert!(
        first.iter().all(|c| !c.starts_with(['=', '+', '-', '@'])),
        "{first:?}"
    );
    assert!(first.contains(&"Smith, John".to_owned()), "{first:?}");
}

/// A TLS-looking peer that sends a record header, then one byte every `every`, for a minute.
fn drip(mut s: std::net::TcpStream, every: std::time::Duration) {
    let _ = s.write_all(&[0x16, 0x03, 0x01]);
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(every);
        if s.write_all(&[0x00]).is_err() {
            return;
        }
    }
}

#[test]
fn a_silent_or_dripping_tls_server_ends_send_within_its_timeout() {
    use std::time::{Duration, Instant};
    for dripping in [false, true] {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        std::thread::spawn(move || {
            // Every connection (the handshake, and any certificate probe after it).
            for s in l.incoming().flatten() {
                std::thread::spawn(move || {
                    if dripping {
                        drip(s, Duration::from_millis(500));
                    } else {
                        std::thread::sleep(Duration::from_secs(60));
                        drop(s);
                    }
                });
            }
        });
        let started = Instant::now();
        let run = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
            .args(["send", "--server", &format!("127.0.0.1:{port}")])
            .args(["--tls", "implicit", "--timeout", "3"])
            .args(["--from", USER, "--to", USER, "--subject", "slow tls"])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let secs = started.elapsed().as_secs_f64();
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&run.stdout),
            String::from_utf8_lossy(&run.stderr)
        );
        assert!(!run.status.success());
        assert!(
            secs < 5.0,
            "dripping {dripping}: send took {secs:.1} s with --timeout 3\n{all}"
        );
        assert!(all.contains("did not finish in time"), "{all}");
    }
}

#[test]
fn silent_connections_cannot_hold_the_servers_slots() {
    use std::time::{Duration, Instant};
    let dir = crate::common::TempDir::new("hostile-slots");
    let mut served = Served::start(&dir.0, &["--max-connections", "3"]);
    // An SMTPS port gets no ClientHello, or one byte at a time: closed at the handshake's
    // deadline, not after the idle timeout.
    let smtps = served
        .log
        .lines()
        .find_map(|l| l.trim().strip_prefix("SMTPS "))
        .and_then(|a| a.split_whitespace().next())
        .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
        .map(|a| a.port())
        .unwrap();
    let silent = std::net::TcpStream::connect(("127.0.0.1", smtps)).unwrap();
    let dripping = std::net::TcpStream::connect(("127.0.0.1", smtps)).unwrap();
    std::thread::spawn(move || drip(dripping, Duration::from_secs(2)));
    let started = Instant::now();
    let mut sink = [0u8; 64];
    silent
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let _ = (&silent).read(&mut sink);
    let closed_after = started.elapsed();
    assert!(
        closed_after < Duration::from_secs(13),
        "a silent SMTPS connection held its slot {closed_after:?}"
    );
    std::thread::sleep(Duration::from_secs(2));
    let log = served.log();
    assert!(log.contains("no TLS handshake within 10 s"), "{log}");

    // Three plain connections that read the greeting and say nothing fill the server; a
    // student who comes after a few seconds is still served: the oldest silent one goes.
    let hogs: Vec<_> = (0..3)
        .map(|_| {
            let s = std::net::TcpStream::connect(("127.0.0.1", served.smtp)).unwrap_or_else(|e| {
                let status = served.child.try_wait();
                panic!("{e}; the server: {status:?}\n{}", served.log())
            });
            let mut r = BufReader::new(s.try_clone().unwrap());
            let mut g = String::new();
            let _ = r.read_line(&mut g);
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(5500));
    let student = served.talk(served.smtp, &["EHLO student", "QUIT"]);
    assert!(student.starts_with("220 "), "{student}");
    assert!(student.contains("250"), "{student}");
    let log = served.log();
    assert!(log.contains("silent for"), "{log}");
    drop(hogs);
}

#[test]
fn a_greeting_that_is_no_reply_is_named_at_once() {
    use std::time::{Duration, Instant};
    for greeting in ["999 what\r\n", "hello there\r\n"] {
        let port = one_client(move |mut s| {
            let _ = s.write_all(greeting.as_bytes());
            std::thread::sleep(Duration::from_secs(10));
        });
        let started = Instant::now();
        let run = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
            .args(["send", "--server", &format!("127.0.0.1:{port}")])
            .args(["--tls", "none", "--timeout", "5"])
            .args(["--from", USER, "--to", USER])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&run.stderr);
        assert!(!run.status.success());
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{greeting:?}: {err}"
        );
        assert!(!err.contains("no reply within"), "{greeting:?}: {err}");
    }
}

#[test]
fn an_address_too_long_for_a_file_name_still_gets_its_mail() {
    let dir = crate::common::TempDir::new("hostile-long");
    let long = format!("{}@mailtutor.test", "张".repeat(60));
    let served = Served::start(&dir.0, &["--account", &format!("{long}:pw")]);
    let r = served.talk(
        served.smtp,
        &[
            "EHLO me",
            &format!("MAIL FROM:<{USER}>"),
            &format!("RCPT TO:<{long}>"),
            "DATA",
            "Subject: long\r\n\r\nhi\r\n.",
            "QUIT",
        ],
    );
    assert!(r.contains("250 2.0.0"), "{r}");
    let p = served.talk(
        served.pop3,
        &[&format!("USER {long}"), "PASS pw", "STAT", "QUIT"],
    );
    assert!(p.contains("+OK 1 "), "{p}");
}
