//! No file the tutor writes holds a password: a whole AUTH session (LOGIN and PLAIN over
//! SMTP, USER/PASS over POP3) through `mailtutor serve` and `mailtutor send`, every export
//! format, the server's log and the window's saved settings are written into one folder, and
//! every file there is searched for the password in clear and in base64.
#![cfg(feature = "gui")]
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::TempDir;
use common::window::{Memory, open};
use mailtutor::proto::Lang;
use mailtutor::proto::auth::{encode, plain_message};
use mailtutor::proto::pop3::Pop3Command;
use mailtutor::proto::smtp::SmtpCommand;
use mailtutor::session::{ConnectOptions, Protocol, Security, Session, Target, wait};
use mailtutor::transcript::Transcript;
use mailtutor::ui::Action;

const USER: &str = "alice@lab.test";
const PASSWORD: &str = "Tq7-zebra-Lantern";

/// What must never be found: the password, and every base64 form it went over the wire in.
fn needles() -> Vec<String> {
    vec![
        PASSWORD.to_owned(),
        encode(PASSWORD.as_bytes()),
        encode(&plain_message("", USER, PASSWORD)),
    ]
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Every file under `dir` that holds a needle, with the needle.
fn leaks(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut found = Vec::new();
    for f in files_under(dir) {
        let bytes = std::fs::read(&f).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for n in needles() {
            if let Some(line) = text.lines().find(|l| l.contains(&n)) {
                found.push((f.clone(), format!("{n} in {line:?}")));
            }
        }
    }
    found
}

struct Serve {
    child: std::process::Child,
    smtp: u16,
    pop3: u16,
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `mailtutor serve` with one account, its log going to `log`.
fn serve(data: &Path, log: &Path) -> Serve {
    let log_file = std::fs::File::create(log).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["serve", "--smtp", "127.0.0.1:0", "--pop3", "127.0.0.1:0"])
        .args(["--smtps", "127.0.0.1:0", "--pop3s", "127.0.0.1:0"])
        .args(["--imap", "127.0.0.1:0", "--imaps", "127.0.0.1:0"])
        .args(["--account", &format!("{USER}:{PASSWORD}"), "--data-dir"])
        .arg(data)
        .stdout(Stdio::piped())
        .stderr(log_file)
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().expect("no stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    let log = log.to_path_buf();
    std::thread::spawn(move || {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = writeln!(f, "{line}");
            let _ = tx.send(line);
        }
    });
    let (mut smtp, mut pop3) = (0, 0);
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(20)) {
        let port = |l: &str| {
            l.split_whitespace()
                .next()
                .and_then(|a| a.parse::<std::net::SocketAddr>().ok())
                .map_or(0, |a| a.port())
        };
        if let Some(a) = line.trim().strip_prefix("SMTP ") {
            smtp = port(a);
        }
        if let Some(a) = line.trim().strip_prefix("POP3 ") {
            pop3 = port(a);
        }
        if line.starts_with("Ready") {
            break;
        }
    }
    assert!(smtp > 0 && pop3 > 0, "serve printed no ports");
    Serve { child, smtp, pop3 }
}

#[test]
fn no_file_written_holds_the_password_unless_asked_to_show_it() {
    let dir = TempDir::new("secrets");
    let out = dir.0.join("written");
    std::fs::create_dir_all(&out).unwrap();
    let server = serve(&out.join("maildirs"), &out.join("server.log"));

    // `mailtutor send` with AUTH LOGIN and AUTH PLAIN, its output saved.
    for auth in ["login", "plain"] {
        let run = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
            .args(["send", "--server", &format!("127.0.0.1:{}", server.smtp)])
            .args(["--tls", "none", "--auth", auth, "--user", USER])
            .args(["--password-env", "SECRETS_TEST_PASSWORD"])
            .args(["--from", USER, "--to", USER, "--subject", auth])
            .env("SECRETS_TEST_PASSWORD", PASSWORD)
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        std::fs::write(out.join(format!("send-{auth}.txt")), &run.stdout).unwrap();
    }

    // The engine: AUTH LOGIN over SMTP and USER/PASS over POP3, every export format.
    let mut t = Transcript::new(Protocol::Smtp);
    let s = wait(Session::connect(
        Target::new("127.0.0.1", server.smtp),
        Security::None,
        ConnectOptions::new(Protocol::Smtp),
    ))
    .unwrap_or_else(|e| panic!("{}", e.error));
    let ehlo = SmtpCommand::ehlo("lab").unwrap_or(SmtpCommand::Noop);
    let _ = wait(s.smtp(&ehlo));
    let _ = wait(s.smtp(&SmtpCommand::AuthLogin { initial: None }));
    let _ = wait(s.auth_line(&encode(USER.as_bytes()), false));
    let _ = wait(s.auth_line(&encode(PASSWORD.as_bytes()), true));
    let _ = wait(s.smtp(&SmtpCommand::Quit));
    while let Some(e) = s.next_event(Duration::from_millis(200)) {
        t.apply(&e);
    }
    let p = wait(Session::connect(
        Target::new("127.0.0.1", server.pop3),
        Security::None,
        ConnectOptions::new(Protocol::Pop3),
    ))
    .unwrap_or_else(|e| panic!("{}", e.error));
    let mut tp = Transcript::new(Protocol::Pop3);
    let _ = wait(p.pop3(&Pop3Command::User(USER.into())));
    let _ = wait(p.pop3(&Pop3Command::Pass(PASSWORD.into())));
    let _ = wait(p.pop3(&Pop3Command::Quit));
    while let Some(e) = p.next_event(Duration::from_millis(200)) {
        tp.apply(&e);
    }
    assert!(
        t.export_plain(false).contains("235 "),
        "{}",
        t.export_plain(false)
    );
    for (name, tr) in [("smtp", &t), ("pop3", &tp)] {
        let write = |file: String, text: String| std::fs::write(out.join(file), text).unwrap();
        write(format!("{name}-plain.txt"), tr.export_plain(false));
        write(
            format!("{name}-annotated-en.txt"),
            tr.export_annotated(Lang::En, false),
        );
        write(
            format!("{name}-annotated-zh.txt"),
            tr.export_annotated(Lang::Zh, false),
        );
    }

    // The window's saved settings, after a password was typed into it.
    let mut h = open(Lang::En, &dir);
    h.state_mut().perform(Action::SetPassword(PASSWORD.into()));
    let mut memory = Memory::default();
    eframe::App::save(h.state_mut(), &mut memory);
    let settings = memory.0.values().cloned().collect::<Vec<_>>().join("\n");
    std::fs::write(out.join("app.ron"), settings).unwrap();

    drop(server);
    let written = files_under(&out);
    assert!(written.len() >= 10, "{written:#?}");
    let found = leaks(&out);
    assert!(found.is_empty(), "the password was written: {found:#?}");

    // The search can find it: an export the user asked to show secrets in has it.
    std::fs::write(out.join("shown.txt"), t.export_plain(true)).unwrap();
    std::fs::write(out.join("shown-pop3.txt"), tp.export_plain(true)).unwrap();
    let found = leaks(&out);
    assert!(
        found
            .iter()
            .any(|(f, n)| f.ends_with("shown.txt") && n.starts_with(&encode(PASSWORD.as_bytes())))
            && found
                .iter()
                .any(|(f, n)| f.ends_with("shown-pop3.txt") && n.starts_with(PASSWORD)),
        "{found:#?}"
    );
}
