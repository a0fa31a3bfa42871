//! The practice server's POP3 side over the same Maildirs as SMTP.

use crate::common;

use common::{Pop3, Smtp, TestServer};
use mailtutor::proto::reply::Pop3Indicator;

/// Sends one message per subject from student to teacher.
fn send(t: &TestServer, subjects: &[&str]) {
    let mut c = Smtp::connect(t.smtp());
    c.reply();
    c.expect("EHLO lab", "250");
    for s in subjects {
        c.expect("MAIL FROM:<student@mailtutor.test>", "250");
        c.expect("RCPT TO:<teacher@mailtutor.test>", "250");
        c.expect("DATA", "354");
        c.send(
            format!("Subject: {s}\r\n\r\nline one\r\n..starts with a dot\r\nline three\r\n.\r\n")
                .as_bytes(),
        );
        assert_eq!(c.reply().code, 250);
    }
    c.expect("QUIT", "221");
}

fn login(t: &TestServer) -> Pop3 {
    let (mut p, greeting) = Pop3::connect(t.pop3());
    assert!(greeting.status.is_ok());
    p.ok("USER teacher@mailtutor.test");
    p.ok("PASS secret");
    p
}

#[test]
fn stat_list_uidl_retr_top() {
    let t = TestServer::start();
    send(&t, &["one", "two"]);
    let stored = t.stored("teacher@mailtutor.test");
    let mut p = login(&t);
    let total: usize = stored.iter().map(Vec::len).sum();
    assert_eq!(p.ok("STAT").status.text, format!("2 {total}"));
    let list = p.ok("LIST");
    assert_eq!(
        list.body_lines(),
        vec![
            format!("1 {}", stored[0].len()),
            format!("2 {}", stored[1].len())
        ]
    );
    assert_eq!(p.ok("LIST 2").status.text, format!("2 {}", stored[1].len()));
    let uidl = p.ok("UIDL");
    assert_eq!(uidl.body_lines().len(), 2);
    let uid1 = uidl.body_lines()[0].clone();
    assert_eq!(p.ok("UIDL 1").status.text, uid1);
    // RETR gives back the stored file byte for byte, dot-unstuffed by the reader.
    let retr = p.ok("RETR 1");
    assert_eq!(retr.body(), Some(stored[0].as_slice()));
    assert!(String::from_utf8_lossy(&retr.raw).contains("\r\n..starts with a dot\r\n"));
    let top = p.ok("TOP 2 1");
    let text = String::from_utf8_lossy(top.body().unwrap_or_default()).into_owned();
    assert!(text.contains("Subject: two\r\n\r\nline one\r\n"));
    assert!(!text.contains("line three"));
    assert_eq!(p.cmd("RETR 3").status.indicator, Pop3Indicator::Err);
    assert_eq!(p.cmd("RETR 0").status.indicator, Pop3Indicator::Err);
    p.ok("NOOP");
    p.ok("QUIT");
}

#[test]
fn dele_takes_effect_only_at_quit_and_rset_undoes() {
    let t = TestServer::start();
    send(&t, &["one", "two", "three"]);
    let mut p = login(&t);
    p.ok("DELE 1");
    assert_eq!(p.cmd("DELE 1").status.indicator, Pop3Indicator::Err);
    assert_eq!(p.cmd("RETR 1").status.indicator, Pop3Indicator::Err);
    assert!(p.ok("STAT").status.text.starts_with("2 "));
    assert_eq!(
        t.stored("teacher@mailtutor.test").len(),
        3,
        "deleted before QUIT"
    );
    p.ok("RSET");
    assert!(p.ok("STAT").status.text.starts_with("3 "));
    p.ok("DELE 2");
    p.ok("DELE 3");
    // A dropped connection is not QUIT: nothing is deleted.
    drop(p);
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert_eq!(t.stored("teacher@mailtutor.test").len(), 3);
    let mut p = login(&t);
    p.ok("DELE 2");
    let bye = p.ok("QUIT");
    assert!(
        bye.status.text.contains("1 message deleted"),
        "{:?}",
        bye.status
    );
    let left = t.stored("teacher@mailtutor.test");
    assert_eq!(left.len(), 2);
    assert!(String::from_utf8_lossy(&left[1]).contains("Subject: three"));
}

#[test]
fn errors_use_response_codes() {
    let t = TestServer::start();
    let (mut p, _) = Pop3::connect(t.pop3());
    assert_eq!(p.cmd("STAT").status.indicator, Pop3Indicator::Err);
    assert_eq!(p.cmd("PASS secret").status.indicator, Pop3Indicator::Err);
    p.ok("USER teacher@mailtutor.test");
    let r = p.cmd("PASS wrong");
    assert_eq!(r.status.resp_code.as_deref(), Some("AUTH"));
    assert!(
        r.status
            .text
            .ends_with("wrong password for teacher@mailtutor.test"),
        "{:?}",
        r.status
    );
    // A misspelt account is named, so the student sees the typo.
    p.ok("USER teacher@mailtutor.tset");
    let r = p.cmd("PASS secret");
    assert!(
        r.status
            .text
            .ends_with("no account teacher@mailtutor.tset on this server"),
        "{:?}",
        r.status
    );
    p.ok("USER teacher@mailtutor.test");
    p.ok("PASS secret");
    // A second session on the same maildrop.
    let (mut q, _) = Pop3::connect(t.pop3());
    q.ok("USER teacher@mailtutor.test");
    let r = q.cmd("PASS secret");
    assert_eq!(
        r.status.resp_code.as_deref(),
        Some("IN-USE"),
        "{:?}",
        r.status
    );
    assert_eq!(p.cmd("USER x").status.indicator, Pop3Indicator::Err);
    p.ok("QUIT");
    // Released at QUIT.
    q.ok("USER teacher@mailtutor.test");
    q.ok("PASS secret");
}

#[test]
fn capa_stls_and_pop3s() {
    let t = TestServer::start();
    send(&t, &["secure"]);
    let (mut p, _) = Pop3::connect(t.pop3());
    let capa = p.ok("CAPA");
    let caps = capa.body_lines();
    for c in ["USER", "TOP", "UIDL", "RESP-CODES", "STLS"] {
        assert!(caps.iter().any(|l| l == c), "{c} missing from {caps:?}");
    }
    p.stls(&t);
    assert!(!p.ok("CAPA").body_lines().iter().any(|l| l == "STLS"));
    assert_eq!(p.cmd("STLS").status.indicator, Pop3Indicator::Err);
    p.ok("USER teacher@mailtutor.test");
    p.ok("PASS secret");
    assert!(p.ok("STAT").status.text.starts_with("1 "));
    p.ok("QUIT");

    let (mut p, greeting) = Pop3::connect_tls(t.pop3s(), &t);
    assert!(greeting.status.is_ok());
    p.ok("USER teacher@mailtutor.test");
    p.ok("PASS secret");
    p.ok("RETR 1");
}

#[test]
fn require_tls_refuses_plain_logins() {
    let t = TestServer::with(|c| c.policy.require_tls = true);
    let (mut p, _) = Pop3::connect(t.pop3());
    let r = p.cmd("USER teacher@mailtutor.test");
    assert_eq!(r.status.resp_code.as_deref(), Some("AUTH"));
    p.stls(&t);
    p.ok("USER teacher@mailtutor.test");
    p.ok("PASS secret");
}
