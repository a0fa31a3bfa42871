//! The practice server's SMTP replies, driven by a hand-written client over loopback.
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::{Duration, Instant};

use common::{Smtp, TestServer, without_received};
use mailtutor::server::Fault;

fn fault(s: &str) -> Fault {
    s.parse().unwrap()
}

fn greeted(t: &TestServer) -> Smtp {
    let mut c = Smtp::connect(t.smtp());
    let g = c.reply();
    assert_eq!(g.code, 220);
    assert!(g.text().contains("ESMTP mailtutor practice server"));
    c
}

#[test]
fn ehlo_advertises_the_extensions() {
    let t = TestServer::start();
    let mut c = greeted(&t);
    let r = c.expect("EHLO lab", "250");
    for kw in [
        "SIZE 10485760",
        "8BITMIME",
        "PIPELINING",
        "ENHANCEDSTATUSCODES",
        "SMTPUTF8",
        "STARTTLS",
        "AUTH LOGIN PLAIN",
        "HELP",
        "CHUNKING",
    ] {
        assert!(
            r.lines.iter().any(|l| l == kw),
            "{kw} missing in {:?}",
            r.lines
        );
    }
    c.starttls(&t);
    let r = c.expect("EHLO lab", "250");
    assert!(
        !r.lines.iter().any(|l| l == "STARTTLS"),
        "STARTTLS offered twice"
    );
    c.expect("STARTTLS", "554 5.5.1");
    c.expect("HELO lab", "250");
}

#[test]
fn full_send_is_stored_byte_for_byte() {
    let t = TestServer::start();
    let mut c = greeted(&t);
    c.expect("EHLO lab", "250");
    c.login("student@mailtutor.test", "secret");
    c.expect("MAIL FROM:<student@mailtutor.test>", "250 2.1.0");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "250 2.1.5");
    c.expect("DATA", "354");
    c.send(b"Subject: hi\r\n\r\n..dot line\r\nbody\r\n.\r\n");
    let r = c.reply();
    assert_eq!(r.code, 250);
    assert!(r.text().contains("queued as"), "{:?}", r.lines);
    c.expect("QUIT", "221");
    let stored = t.stored("teacher@mailtutor.test");
    assert_eq!(stored.len(), 1);
    assert!(stored[0].starts_with(b"Received: from lab (127.0.0.1:"));
    assert!(String::from_utf8_lossy(&stored[0]).contains("with ESMTPA id"));
    assert_eq!(
        without_received(&stored[0]),
        b"Subject: hi\r\n\r\n.dot line\r\nbody\r\n".to_vec()
    );
}

#[test]
fn sequence_errors() {
    let t = TestServer::start();
    let mut c = greeted(&t);
    c.expect("MAIL FROM:<a@mailtutor.test>", "503 5.5.1");
    c.expect("AUTH LOGIN", "503 5.5.1");
    c.expect("STARTTLS", "503 5.5.1");
    c.expect("EHLO lab", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "503 5.5.1");
    c.expect("DATA", "503 5.5.1");
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");
    c.expect("MAIL FROM:<student@mailtutor.test>", "503 5.5.1");
    c.expect("DATA", "503 5.5.1");
    c.expect("AUTH LOGIN", "503 5.5.1");
    c.expect("STARTTLS", "503 5.5.1");
    c.expect("RSET", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "503 5.5.1");
}

#[test]
fn addresses_relaying_and_unknown_users() {
    let t = TestServer::start();
    let mut c = greeted(&t);
    c.expect("EHLO lab", "250");
    c.expect("MAIL FROM:<student@mailtutor.test", "553");
    c.expect("MAIL FROM:<>", "250");
    c.expect("RCPT TO:<nobody@mailtutor.test>", "550 5.1.1");
    c.expect("RCPT TO:<someone@qq.com>", "550 5.7.1");
    c.expect("RCPT TO:<a b@c>", "553");
    c.expect("RCPT TO:<TEACHER@mailtutor.test>", "250");
}

#[test]
fn other_commands() {
    let t = TestServer::start();
    let mut c = greeted(&t);
    c.expect("NOOP", "250");
    c.expect("VRFY student", "252");
    c.expect("EXPN staff", "502");
    let h = c.expect("HELP", "214");
    assert!(h.lines.len() > 1 && h.text().contains("RCPT"));
    c.expect("FROB", "500");
    c.expect("EHLO", "501");
    let long = format!("NOOP {}", "x".repeat(1200));
    c.expect(&long, "500 5.5.6");
    c.expect("NOOP", "250");
    let r = c.expect("QUIT", "221");
    assert!(r.text().contains("Bye"));
    assert!(
        c.try_reply().is_none(),
        "connection should be closed after QUIT"
    );
}

#[test]
fn auth_login_plain_and_failures() {
    use mailtutor::proto::auth::{encode, plain_response};
    let t = TestServer::start();
    let mut c = greeted(&t);
    c.expect("EHLO lab", "250");
    let r = c.expect("AUTH LOGIN", "334");
    assert_eq!(r.lines, vec!["VXNlcm5hbWU6"]);
    c.expect("not base64!", "501 5.5.2");
    c.expect("AUTH LOGIN", "334");
    c.expect("*", "501");
    c.expect("AUTH LOGIN", "334");
    c.expect(&encode(b"student@mailtutor.test"), "334");
    let r = c.expect(&encode(b"wrong"), "535 5.7.8");
    assert_eq!(
        r.lines,
        vec!["5.7.8 Error: authentication failed: wrong password for student@mailtutor.test"]
    );
    c.expect("AUTH CRAM-MD5", "504 5.5.4");
    let r = c.expect("AUTH PLAIN", "334");
    assert_eq!(r.lines, vec![String::new()]);
    c.expect(
        &plain_response("student@mailtutor.test", "wrong"),
        "535 5.7.8",
    );
    c.expect(
        &format!(
            "AUTH PLAIN {}",
            plain_response("student@mailtutor.test", "secret")
        ),
        "235 2.7.0",
    );
    c.expect("AUTH PLAIN", "503 5.5.1");

    // AUTH LOGIN with the username as initial response.
    let mut c = greeted(&t);
    c.expect("EHLO lab", "250");
    let r = c.expect(
        &format!("AUTH LOGIN {}", encode(b"teacher@mailtutor.test")),
        "334",
    );
    assert_eq!(r.lines, vec!["UGFzc3dvcmQ6"]);
    c.expect(&encode(b"secret"), "235");
}

#[test]
fn require_auth_and_require_tls() {
    let t = TestServer::with(|c| c.policy.require_auth = true);
    let mut c = greeted(&t);
    c.expect("EHLO lab", "250");
    c.expect("MAIL FROM:<student@mailtutor.test>", "530 5.7.0");
    c.login("student@mailtutor.test", "secret");
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");

    let t = TestServer::with(|c| c.policy.require_tls = true);
    let mut c = greeted(&t);
    let r = c.expect("EHLO lab", "250");
    assert!(
        !r.lines.iter().any(|l| l.starts_with("AUTH")),
        "AUTH offered without TLS"
    );
    c.expect("AUTH LOGIN", "530 5.7.0");
    c.expect("MAIL FROM:<student@mailtutor.test>", "530 5.7.0");
    c.starttls(&t);
    c.expect("MAIL FROM:<student@mailtutor.test>", "503 5.5.1");
    let r = c.expect("EHLO lab", "250");
    assert!(r.lines.iter().any(|l| l == "AUTH LOGIN PLAIN"));
    c.login("student@mailtutor.test", "secret");
}

#[test]
fn limits_size_and_recipients() {
    let t = TestServer::with(|c| {
        c.limits.max_message_size = 1000;
        c.limits.max_recipients = 2;
    });
    let mut c = greeted(&t);
    c.expect("EHLO lab", "250");
    c.expect("MAIL FROM:<student@mailtutor.test> SIZE=5000", "552 5.3.4");
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "250");
    c.expect("RCPT TO:<student@mailtutor.test>", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "452 4.5.3");
    c.expect("DATA", "354");
    let big = format!("Subject: big\r\n\r\n{}\r\n.\r\n", "y".repeat(3000));
    c.send(big.as_bytes());
    let r = c.reply();
    assert_eq!(
        (r.code, r.enhanced.map(|e| e.to_string())),
        (552, Some("5.3.4".into()))
    );
    c.expect("NOOP", "250");
    assert!(t.stored("teacher@mailtutor.test").is_empty());
}

#[test]
fn pipelining_and_bdat() {
    let t = TestServer::start();
    let mut c = greeted(&t);
    c.expect("EHLO lab", "250");
    c.send(b"MAIL FROM:<student@mailtutor.test>\r\nRCPT TO:<teacher@mailtutor.test>\r\nDATA\r\n");
    assert_eq!(
        [c.reply().code, c.reply().code, c.reply().code],
        [250, 250, 354]
    );
    c.send(b"Subject: piped\r\n\r\nx\r\n.\r\nNOOP\r\n");
    assert_eq!([c.reply().code, c.reply().code], [250, 250]);
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "250");
    c.send(b"BDAT 12\r\nSubject: b\r\n");
    assert_eq!(c.reply().code, 250);
    c.send(b"BDAT 6 LAST\r\n\r\nbody");
    let r = c.reply();
    assert!(
        r.code == 250 && r.text().contains("queued"),
        "{:?}",
        r.lines
    );
    let stored = t.stored("teacher@mailtutor.test");
    assert_eq!(stored.len(), 2);
    assert_eq!(
        without_received(&stored[1]),
        b"Subject: b\r\n\r\nbody".to_vec()
    );
}

#[test]
fn bare_lf_is_tolerated_and_noted() {
    let t = TestServer::start();
    let mut c = greeted(&t);
    c.expect("HELO lab", "250");
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "250");
    c.expect("DATA", "354");
    // "\n.\r\n" must not end the data (SMTP smuggling); only CRLF . CRLF does.
    c.send(b"Subject: lf\nline\n.\r\nMAIL FROM:<evil@x>\r\n\r\n.\r\n");
    let r = c.reply();
    assert!(
        r.code == 250 && r.text().contains("bare LF"),
        "{:?}",
        r.lines
    );
    c.expect("NOOP", "250");
    let stored = t.stored("teacher@mailtutor.test");
    assert_eq!(
        without_received(&stored[0]),
        b"Subject: lf\r\nline\r\n.\r\nMAIL FROM:<evil@x>\r\n\r\n".to_vec()
    );
}

#[test]
fn starttls_drops_pipelined_bytes() {
    let t = TestServer::start();
    let mut c = greeted(&t);
    c.expect("EHLO lab", "250");
    // A man in the middle appends a command after STARTTLS (the CVE-2011-0411 class).
    c.send(b"STARTTLS\r\nMAIL FROM:<injected@x>\r\n");
    assert_eq!(c.reply().code, 220);
    c.io.upgrade(&t);
    // Had the injected MAIL been kept, this would be a 503 (no EHLO after TLS) reply to it.
    c.expect("EHLO lab", "250");
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");
}

#[test]
fn implicit_tls_port() {
    let t = TestServer::start();
    let mut c = Smtp::connect_tls(t.smtps(), &t);
    assert_eq!(c.reply().code, 220);
    let r = c.expect("EHLO lab", "250");
    assert!(!r.lines.iter().any(|l| l == "STARTTLS"));
    c.login("teacher@mailtutor.test", "secret");
}

#[test]
fn idle_timeout_says_421() {
    let t = TestServer::with(|c| c.limits.idle_timeout = Duration::from_millis(300));
    let mut c = greeted(&t);
    let r = c.reply();
    assert_eq!(
        (r.code, r.enhanced.map(|e| e.to_string())),
        (421, Some("4.4.2".into()))
    );
    assert!(c.try_reply().is_none());
}

#[test]
fn too_many_connections_get_421() {
    let t = TestServer::with(|c| c.limits.max_connections = 2);
    let _a = greeted(&t);
    let _b = greeted(&t);
    let mut c = Smtp::connect(t.smtp());
    let r = c.reply();
    assert_eq!(
        (r.code, r.enhanced.map(|e| e.to_string())),
        (421, Some("4.7.0".into()))
    );
    drop(_a);
    // The slot frees up once the first session ends.
    let deadline = Instant::now() + Duration::from_secs(5);
    while t.server.active_connections() > 1 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    greeted(&t);
}

/// Over the limit, an implicit-TLS connection is closed at once: no thread waits for its
/// handshake (which a client could hold open for the whole idle timeout).
#[test]
fn excess_connections_are_refused_before_any_tls() {
    let t = TestServer::with(|c| c.limits.max_connections = 2);
    let _a = greeted(&t);
    let _b = greeted(&t);
    let smtps = t.server.smtps.expect("no smtps");
    for _ in 0..20 {
        let mut raw = std::net::TcpStream::connect(smtps).unwrap();
        let _ = raw.set_read_timeout(Some(Duration::from_secs(2)));
        let start = Instant::now();
        let mut buf = [0u8; 64];
        let got = std::io::Read::read(&mut raw, &mut buf);
        assert!(
            matches!(got, Ok(0))
                || got
                    .as_ref()
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
            "expected the connection closed, got {got:?} after {:?}",
            start.elapsed()
        );
        assert!(start.elapsed() < Duration::from_secs(1));
    }
    assert_eq!(t.server.active_connections(), 2);
}

/// Guessing passwords costs a new connection every three tries: after the third 535 the next
/// command gets Postfix's 421 "too many errors" and the connection ends. A right password
/// before that still logs in.
#[test]
fn three_failed_logins_end_the_connection() {
    use mailtutor::proto::auth::encode;
    let fail_logins = |c: &mut Smtp, n: usize| {
        for _ in 0..n {
            c.expect("AUTH LOGIN", "334");
            c.expect(&encode(b"student@mailtutor.test"), "334");
            c.expect(&encode(b"guess"), "535 5.7.8");
        }
    };
    let t = TestServer::start();
    let mut c = greeted(&t);
    c.expect("EHLO lab", "250");
    fail_logins(&mut c, 2);
    c.login("student@mailtutor.test", "secret");
    drop(c);
    let mut c = greeted(&t);
    c.expect("EHLO lab", "250");
    fail_logins(&mut c, 3);
    let r = c.expect("AUTH LOGIN", "421 4.7.0");
    assert!(r.text().contains("too many errors"), "{r:?}");
    // The server ends the session: no connection is left open on its side.
    let deadline = Instant::now() + Duration::from_secs(5);
    while t.server.active_connections() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        t.server.active_connections(),
        0,
        "the connection stays open"
    );
}

#[test]
fn shutdown_says_421_to_open_sessions() {
    let mut t = TestServer::start();
    let mut c = greeted(&t);
    c.expect("EHLO lab", "250");
    t.server.shutdown();
    let r = c.reply();
    assert_eq!(r.code, 421);
    assert!(r.text().contains("shutting down"));
}

#[test]
fn staged_greeting_faults() {
    let t = TestServer::with(|c| c.faults = vec![fault("greet=421"), fault("greet=554")]);
    let mut c = Smtp::connect(t.smtp());
    assert_eq!(c.reply().code, 421);
    assert!(c.try_reply().is_none());
    let mut c = Smtp::connect(t.smtp());
    assert_eq!(c.reply().code, 554);
    c.expect("EHLO lab", "503");
    c.expect("QUIT", "221");
    // Both were one-shot.
    greeted(&t);
}

#[test]
fn staged_rcpt_and_data_faults() {
    let t = TestServer::start();
    let faults = t.server.faults();
    for f in ["rcpt=450", "rcpt=550", "rcpt=452", "data=554"] {
        faults.stage(fault(f));
    }
    let mut c = greeted(&t);
    c.expect("EHLO lab", "250");
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "450 4.2.0");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "550 5.1.1");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "452 4.3.1");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "250");
    c.expect("DATA", "354");
    c.send(b"Subject: spam?\r\n\r\nbuy now\r\n.\r\n");
    let r = c.reply();
    assert_eq!(
        (r.code, r.enhanced.map(|e| e.to_string())),
        (554, Some("5.7.1".into()))
    );
    assert!(t.stored("teacher@mailtutor.test").is_empty());
    // A staged 552 refuses the next message at its final dot, as a size limit would.
    faults.stage(fault("data=552"));
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "250");
    c.expect("DATA", "354");
    c.send(b"Subject: big\r\n\r\nbig\r\n.\r\n");
    assert_eq!(c.reply().code, 552);

    t.server.faults().stage(fault("rcpt=550:sticky"));
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "550");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "550");
    t.server.faults().clear();
    c.expect("RCPT TO:<teacher@mailtutor.test>", "250");
}

#[test]
fn staged_delay_and_drop() {
    let t = TestServer::with(|c| c.faults = vec![fault("delay=200")]);
    let start = Instant::now();
    let mut c = greeted(&t);
    c.expect("NOOP", "250");
    assert!(
        start.elapsed() >= Duration::from_millis(400),
        "{:?}",
        start.elapsed()
    );

    t.server.faults().stage(fault("drop-after=DATA"));
    let mut c = greeted(&t);
    c.expect("HELO lab", "250");
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "250");
    c.send(b"DATA\r\n");
    assert!(
        c.try_reply().is_none(),
        "the server should hang up without a reply"
    );
}

#[test]
fn disconnect_mid_data_leaves_nothing() {
    let t = TestServer::start();
    let mut c = greeted(&t);
    c.expect("HELO lab", "250");
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "250");
    c.expect("DATA", "354");
    c.send(b"Subject: half\r\n\r\nthis message never ends");
    drop(c);
    let deadline = Instant::now() + Duration::from_secs(5);
    while t.server.active_connections() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(t.stored("teacher@mailtutor.test").is_empty());
    let tmp = t.dir.0.join("teacher@mailtutor.test").join("tmp");
    assert_eq!(std::fs::read_dir(tmp).map(|d| d.count()).unwrap_or(0), 0);
}

/// When TLS cannot start (here a host name no certificate can hold), the server still serves
/// plain SMTP and POP3, offers no STARTTLS/STLS and no TLS ports, and says why.
#[test]
fn without_tls_the_server_still_serves_plain_smtp_and_pop3() {
    let t = TestServer::with(|c| c.hostname = "学校.test".into());
    let why = t
        .server
        .tls_error
        .as_ref()
        .map(|w| w.get(mailtutor::proto::Lang::En))
        .expect("TLS should be unavailable");
    assert!(why.contains("certificate"), "{why}");
    assert!(t.server.smtps.is_none() && t.server.pop3s.is_none());
    let mut c = greeted(&t);
    let ehlo = c.expect("EHLO lab", "250");
    assert!(
        !ehlo.lines.iter().any(|l| l.starts_with("STARTTLS")),
        "{:?}",
        ehlo.lines
    );
    c.expect("STARTTLS", "502");
    c.expect("AUTH PLAIN AHN0dWRlbnRAbWFpbHR1dG9yLnRlc3QAc2VjcmV0", "235");
    c.expect("MAIL FROM:<student@mailtutor.test>", "250");
    c.expect("RCPT TO:<teacher@mailtutor.test>", "250");
    c.expect("DATA", "354");
    c.expect("Subject: plain\r\n\r\nno TLS here\r\n.", "250");
    let (mut p, greeting) = common::Pop3::connect(t.pop3());
    assert!(greeting.status.text.contains("POP3"));
    let capa = p.ok("CAPA");
    assert!(!capa.body_lines().iter().any(|l| l == "STLS"), "{capa:?}");
    p.ok("USER teacher@mailtutor.test");
    p.ok("PASS secret");
    let stat = p.ok("STAT");
    assert!(stat.status.text.starts_with("1 "), "{stat:?}");
}

/// Every persona says each of its texts where its server would: the greeting, AUTH or MAIL
/// before STARTTLS, a wrong password, MAIL before AUTH, a message without a header it wants.
#[test]
fn each_persona_answers_with_its_own_texts() {
    use mailtutor::proto::auth::encode;
    use mailtutor::server::{PersonaId, Policy};
    for id in PersonaId::ALL {
        let p = id.persona();
        let t = TestServer::with(|c| c.policy = Policy::of_persona(id));
        let said = |r: &mailtutor::proto::reply::Reply,
                    cited: &Option<mailtutor::server::persona::CitedText>| {
            let text = &cited.as_ref().expect("a text").text;
            assert_eq!(
                text[..3].parse::<u16>().ok(),
                Some(r.code),
                "{id:?}: {text}"
            );
            assert!(text.ends_with(r.last_text()), "{id:?}: {text:?} / {r:?}");
        };
        let mut c = Smtp::connect(t.smtp());
        said(&c.reply(), &p.replies.greeting);
        c.expect("EHLO lab", "250");
        if p.require_tls {
            said(&c.cmd("AUTH LOGIN"), &p.replies.tls_required);
            c.starttls(&t);
            c.expect("EHLO lab", "250");
        }
        if p.require_auth {
            let r = c.cmd("MAIL FROM:<student@mailtutor.test>");
            match &p.replies.auth_required {
                Some(_) => said(&r, &p.replies.auth_required),
                None => assert_eq!(r.code, 530, "{id:?}"),
            }
        }
        c.expect("AUTH LOGIN", "334");
        c.expect(&encode(b"student@mailtutor.test"), "334");
        said(&c.cmd(&encode(b"wrong")), &p.replies.auth_failed);
        if p.replies.rejected.is_some() {
            c.login("student@mailtutor.test", "secret");
            c.expect("MAIL FROM:<student@mailtutor.test>", "250");
            c.expect("RCPT TO:<teacher@mailtutor.test>", "250");
            c.expect("DATA", "354");
            // The first header the persona wants is missing.
            let missing = &p.reject_without[0];
            let head = if missing == "From" {
                "Subject: hi\r\n"
            } else {
                "From: <student@mailtutor.test>\r\n"
            };
            c.send(format!("{head}\r\nhi\r\n.\r\n").as_bytes());
            said(&c.reply(), &p.replies.rejected);
            assert!(t.stored("teacher@mailtutor.test").is_empty(), "{id:?}");
        }
    }
}

#[test]
fn a_misspelt_account_is_named_in_one_reply_line() {
    use mailtutor::proto::auth::encode;
    let t = TestServer::start();
    let mut c = greeted(&t);
    c.expect("EHLO lab", "250");
    // The practice server names a misspelt account; a name with a line break in it stays in
    // its one reply line and starts no reply of its own.
    c.expect("AUTH LOGIN", "334");
    c.expect(&encode(b"student@mailtutot.test"), "334");
    let r = c.expect(&encode(b"secret"), "535 5.7.8");
    assert_eq!(
        r.lines,
        vec![
            "5.7.8 Error: authentication failed: no account student@mailtutot.test on this server"
        ]
    );
    c.expect("AUTH LOGIN", "334");
    c.expect(&encode(b"x\r\n250 2.7.0 forged"), "334");
    let r = c.expect(&encode(b"secret"), "535 5.7.8");
    assert_eq!(r.lines.len(), 1, "{:?}", r.lines);
    assert!(
        r.lines[0].contains("no account x??250 2.7.0 forged"),
        "{:?}",
        r.lines
    );
}
