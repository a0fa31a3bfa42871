//! `mailtutor check-server` scoring servers: the practice server gets full marks over SMTP and
//! POP3; a deliberately broken server loses exactly the checks it breaks; aiosmtpd (when
//! installed) loses only its documented differences.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::{TempDir, TestServer};
use mailtutor::checkserver::{self, Options, Outcome};

fn check_server(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .arg("check-server")
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn options(timeout: Duration) -> Options {
    let mut o = Options::new(timeout);
    o.quiet = Duration::from_millis(500);
    o
}

#[test]
fn the_practice_server_gets_full_marks_over_smtp_and_pop3() {
    let t = TestServer::start();
    let dir = TempDir::new("check-server");
    std::fs::create_dir_all(&dir.0).unwrap();
    let page = dir.0.join("report.html");
    let out = check_server(&[
        &t.smtp().to_string(),
        "--pop3",
        &t.pop3().to_string(),
        "--user",
        "student@mailtutor.test",
        "--password",
        "secret",
        "--timeout",
        "5",
        "--html",
        page.to_str().unwrap(),
    ]);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(!all.contains('✗'), "{all}");
    // Every SMTP and POP3 check ran and passed; the practice server advertises SIZE and
    // PIPELINING, so none is "not applicable".
    assert_eq!(all.matches('✓').count(), 27, "{all}");
    assert!(all.contains("(0 checks not applicable)"), "{all}");
    assert!(
        all.contains("read back over POP3, the line is .hidden-"),
        "{all}"
    );
    assert!(all.contains("the line went out stuffed"), "{all}");
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("SMTP 127.0.0.1:"));
    assert!(
        !html.contains("<pre>"),
        "no failed check, no exchange shown"
    );
    assert!(
        !html.contains("secret"),
        "the password is not in the report"
    );

    let zh = check_server(&[&t.smtp().to_string(), "--lang", "zh", "--timeout", "5"]);
    let zh_text = text(&zh);
    assert_eq!(zh.status.code(), Some(0), "{zh_text}");
    assert!(zh_text.contains("总分"), "{zh_text}");
    assert!(zh_text.contains("只检查了应答"), "{zh_text}");
}

#[test]
fn usage_and_connect_errors_exit_with_2() {
    assert_eq!(check_server(&[]).status.code(), Some(2));
    let t = TestServer::start();
    let no_user = check_server(&["--pop3", &t.pop3().to_string()]);
    assert_eq!(no_user.status.code(), Some(2), "{}", text(&no_user));
    // A port nobody listens on.
    let free = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = check_server(&[&free.to_string(), "--timeout", "2"]);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(
        text(&refused).contains("cannot connect"),
        "{}",
        text(&refused)
    );
}

/// A student's server with two classic mistakes: it splits lines at a bare LF, so `\n.\n` and
/// `\n.\r\n` end the data (SMTP smuggling), and it takes RCPT before MAIL. Otherwise sound.
fn broken_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || serve_broken(stream));
        }
    });
    addr
}

fn serve_broken(stream: TcpStream) {
    let mut out = stream.try_clone().unwrap();
    let mut input = BufReader::new(stream);
    let mut say = |s: &str| out.write_all(format!("{s}\r\n").as_bytes()).is_ok();
    say("220 broken.test ESMTP");
    let (mut mail, mut rcpts, mut data) = (false, 0, false);
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
            return;
        }
        // The mistake: a bare LF ends a line as CRLF does.
        let l = String::from_utf8_lossy(&line);
        let l = l.trim_end_matches('\n').trim_end_matches('\r');
        if data {
            if l == "." {
                data = false;
                mail = false;
                rcpts = 0;
                say("250 queued");
            }
            continue;
        }
        let verb = l
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let ok = match verb.as_str() {
            "EHLO" => say("250-broken.test\r\n250-PIPELINING\r\n250 8BITMIME"),
            "HELO" | "NOOP" => say("250 ok"),
            "MAIL" => {
                mail = true;
                say("250 ok")
            }
            // The other mistake: no check that MAIL came first.
            "RCPT" => {
                rcpts += 1;
                say("250 ok")
            }
            "DATA" if mail && rcpts > 0 => {
                data = true;
                say("354 go ahead")
            }
            "DATA" => say("503 need RCPT"),
            "RSET" => {
                mail = false;
                rcpts = 0;
                say("250 ok")
            }
            "QUIT" => {
                say("221 bye");
                return;
            }
            _ => say("502 unknown command"),
        };
        if !ok {
            return;
        }
    }
}

#[test]
fn a_broken_server_loses_exactly_the_checks_it_breaks() {
    let addr = broken_server();
    let checks = checkserver::smtp::run(addr, &options(Duration::from_secs(5)));
    assert_eq!(
        checkserver::smtp::failed(&checks),
        [
            "smtp_rcpt_before_mail",
            // RSET is answered 250, but the RCPT after it is taken too, so whether RSET reset
            // anything cannot be seen: the same mistake.
            "smtp_rset",
            "smtp_smuggle_lf",
            "smtp_smuggle_lf_crlf",
        ],
        "{checks:#?}"
    );
    let size = checks.iter().find(|c| c.id == "smtp_size").unwrap();
    assert_eq!(size.outcome, Outcome::NotApplicable, "no SIZE advertised");
    let smuggled = checks.iter().find(|c| c.id == "smtp_smuggle_lf").unwrap();
    assert!(
        smuggled.got.to_string().contains("250 250 250 354 250"),
        "{}",
        smuggled.got
    );
    // The command line says so too, and the page shows the failed exchange.
    let dir = TempDir::new("check-broken");
    std::fs::create_dir_all(&dir.0).unwrap();
    let page = dir.0.join("r.html");
    let out = check_server(&[
        &addr.to_string(),
        "--timeout",
        "5",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert_eq!(text(&out).matches('✗').count(), 4, "{}", text(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    assert_eq!(html.matches("<pre>").count(), 4);
    assert!(
        html.contains("first part\\n"),
        "the bare LF is shown escaped"
    );
}

/// A server that never ends its greeting's line, and one that floods: each check ends with a
/// reason within the timeout, nothing hangs.
#[test]
fn a_server_without_crlf_or_one_that_floods_ends_each_check() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for (i, stream) in listener.incoming().flatten().enumerate() {
            std::thread::spawn(move || {
                let mut s = stream;
                if i % 2 == 0 {
                    let _ = s.write_all(b"220 no end of line");
                    std::thread::sleep(Duration::from_secs(5));
                } else {
                    let chunk = vec![b'2'; 64 * 1024];
                    while s.write_all(&chunk).is_ok() {}
                }
            });
        }
    });
    let started = Instant::now();
    let checks = checkserver::smtp::run(addr, &options(Duration::from_secs(1)));
    assert!(
        checks.iter().all(|c| c.outcome != Outcome::Pass),
        "{checks:#?}"
    );
    let reasons: Vec<String> = checks.iter().map(|c| c.got.to_string()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("no CRLF")),
        "{reasons:#?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("malformed") || r.contains("more than")),
        "{reasons:#?}"
    );
    assert!(started.elapsed() < Duration::from_secs(40));
}

/// A Python that has aiosmtpd, if one is installed.
fn python_with_aiosmtpd() -> Option<&'static str> {
    ["python3", "/usr/bin/python3"].into_iter().find(|p| {
        Command::new(p)
            .args(["-c", "import aiosmtpd"])
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn aiosmtpd_loses_only_its_documented_differences() {
    let Some(python) = python_with_aiosmtpd() else {
        eprintln!("aiosmtpd is not installed (apt install python3-aiosmtpd): test skipped");
        return;
    };
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect(addr).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let checks = checkserver::smtp::run(addr, &options(Duration::from_secs(5)));
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(
        checkserver::smtp::failed(&checks),
        Vec::<&str>::new(),
        "{checks:#?}"
    );
    // aiosmtpd's differences from the practice server and Postfix, none a failure:
    // - no SIZE: `python3 -m aiosmtpd` passes `data_size_limit=args.size`, None without `-s`,
    //   and its EHLO lists `SIZE` only when that limit is set (aiosmtpd/smtp.py, smtp_EHLO);
    // - no PIPELINING: aiosmtpd never advertises it (it reads pipelined lines in turn anyway);
    // - a text line over 1000 octets refuses the whole message with
    //   `500 Line too long (see RFC5321 4.5.3.1.6)` once the final dot has come, and the
    //   session goes on (aiosmtpd/smtp.py, smtp_DATA, `_DataState.TOO_LONG`).
    let na: Vec<&str> = checks
        .iter()
        .filter(|c| c.outcome == Outcome::NotApplicable)
        .map(|c| c.id)
        .collect();
    assert_eq!(na, ["smtp_size", "smtp_pipelining"], "{checks:#?}");
    let long = checks.iter().find(|c| c.id == "smtp_long_line").unwrap();
    assert!(long.got.to_string().contains(" 500 250"), "{}", long.got);
}

/// A login that fails shows its exchange in the page, with the password masked.
#[test]
fn a_failed_login_is_shown_with_the_password_masked() {
    let t = TestServer::start();
    let dir = TempDir::new("check-pop3-wrong");
    std::fs::create_dir_all(&dir.0).unwrap();
    let page = dir.0.join("r.html");
    let out = check_server(&[
        "--pop3",
        &t.pop3().to_string(),
        "--user",
        "student@mailtutor.test",
        "--password",
        "not-the-Password-9",
        "--timeout",
        "2",
        "--html",
        page.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("PASS ********"), "{html}");
    assert!(!html.contains("not-the-Password-9"), "{html}");
    assert!(!text(&out).contains("not-the-Password-9"));
}
