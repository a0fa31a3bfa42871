//! `mailtutor read`, `send`'s sibling for IMAP, against the practice server over STARTTLS:
//! the annotated transcript printed, the password masked, a refusal named as the step it
//! stopped at.
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::process::{Command, Output};

use common::TestServer;

fn read(t: &TestServer, password: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args([
            "read",
            "--server",
            &t.imap().to_string(),
            "--tls",
            "starttls",
        ])
        .args(["--insecure-accept-cert", &t.server.fingerprint])
        .args([
            "--user",
            "student@mailtutor.test",
            "--password-env",
            "MT_READ_PW",
        ])
        .args(extra)
        .env("MT_READ_PW", password)
        .output()
        .unwrap()
}

#[test]
fn read_lists_a_mailbox_and_reads_a_message_without_changing_it() {
    let t = TestServer::start();
    // An empty mailbox: nothing to list, and that is no failure.
    let out = read(&t, "secret", &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("EXAMINE INBOX") && !text.contains("FETCH 1:*"),
        "{text}"
    );

    let mut c = common::Smtp::connect(t.smtp());
    c.reply();
    c.expect("EHLO lab", "250");
    c.expect("MAIL FROM:<teacher@mailtutor.test>", "250");
    c.expect("RCPT TO:<student@mailtutor.test>", "250");
    c.expect("DATA", "354");
    c.send(b"Subject: read by the cli\r\n\r\nHello from the lab.\r\n.\r\n");
    assert_eq!(c.reply().code, 250);
    c.expect("QUIT", "221");

    let out = read(&t, "secret", &["--message", "1", "--lang", "zh"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for want in [
        "C: a0 STARTTLS",
        "LOGIN student@mailtutor.test ********",
        "C: a003 EXAMINE INBOX",
        "C: a004 FETCH 1:* (FLAGS RFC822.SIZE ENVELOPE)",
        "C: a005 FETCH 1 BODY.PEEK[]",
        "Hello from the lab.",
        "现在处于以只读方式选中邮箱 INBOX 的状态",
        "LOGOUT",
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
    assert!(!text.contains(" secret"), "{text}");
    // Read-only: the message is still unseen.
    let stored = std::fs::read_dir(t.dir.0.join("student@mailtutor.test").join("cur"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect::<Vec<_>>();
    assert!(stored.iter().all(|n| !n.ends_with('S')), "{stored:?}");

    // A wrong password: the NO explained, and the step named.
    let out = read(&t, "wrong", &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("[AUTHENTICATIONFAILED]"), "{text}");
    assert!(err.contains("stopped at LOGIN"), "{err}");
    assert!(!text.contains("EXAMINE"), "{text}");
}
