//! `mailtutor explain` as a person runs it: codes on the command line, a transcript on stdin.

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], stdin: &[u8]) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start mailtutor: {e}"));
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin)
            .unwrap_or_else(|e| panic!("cannot write stdin: {e}"));
    }
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("mailtutor failed: {e}"));
    assert!(out.status.success(), "exit status {}", out.status);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn explains_codes_in_english_and_chinese() {
    let out = run(&["explain", "535", "5.7.8"], b"");
    assert!(
        out.contains("535  Authentication credentials invalid."),
        "{out}"
    );
    assert!(out.contains("app password"), "{out}");
    assert!(
        out.contains("X.7.8  Authentication credentials invalid."),
        "{out}"
    );
    assert!(out.contains("5.X.X  Permanent failure"), "{out}");
    let zh = run(&["explain", "--lang", "zh", "334"], b"");
    assert!(zh.contains("334  服务器质询"), "{zh}");
    assert!(zh.contains("下一步"), "{zh}");
}

#[test]
fn annotates_a_pasted_transcript() {
    let input = include_bytes!("fixtures/transcript_practice.txt");
    let out = run(&["explain"], input);
    for expected in [
        "   Trying 127.0.0.1...",
        "S: 220 mailtutor.test ESMTP mailtutor practice server",
        "C: EHLO lab-pc-07",
        "C: AUTH LOGIN",
        "base64 → \"Username:\"",
        "base64 → username: student@mailtutor.test",
        "base64 → \"Password:\"",
        "C: ********",
        "base64 → password: ********",
        "2.7.0: Security status: 2.7.0 a security step succeeded",
        "→ 503 bad sequence: RCPT TO must wait for MAIL FROM.",
        "→ 250: the message is accepted and queued",
        "503: Bad sequence of commands.",
        "5.5.1: Invalid command",
        "header Subject: the title",
        "(!) the headers have no From: QQ Mail and 163 reject such mail",
        "» The server wants MAIL FROM first",
        "SIZE 10485760: the largest message this server takes: 10.0 MB",
        "AUTH LOGIN PLAIN: you may log in; the methods offered: LOGIN",
        "C: ..and a line that starts with a dot",
        "dot-stuffing",
        "end of the message",
        "221: Service closing transmission channel.",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    assert!(!out.contains("c2VjcmV0"), "masked password leaked:\n{out}");
    assert!(!out.contains("start logging in"), "comment kept:\n{out}");
    let shown = run(&["explain", "--show-secrets"], input);
    assert!(shown.contains("base64 → password: secret"), "{shown}");
}

#[test]
fn bad_language_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["explain", "--lang", "fr", "250"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("use en or zh"));
}
