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
    let input = include_bytes!("../fixtures/transcript_practice.txt");
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
        "header Subject: the title",
        "(!) the headers have no From: QQ Mail and 163 reject such mail",
        "The server wants MAIL FROM first",
        "SIZE 10485760: the largest message this server takes: 10.0 MB",
        "AUTH LOGIN PLAIN: you may log in; the methods offered: LOGIN",
        "C: ..and a line that starts with a dot",
        "dot-stuffing",
        "end of the message",
        "Goodbye: the server closes the connection after QUIT.",
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
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("use en or zh"));
}

/// A failed QQ session and a failed 163 session: for each refusal the explanation says, in
/// English and in Chinese, what happened and what to do, in the provider's own terms.
#[test]
fn explains_failed_qq_and_163_sessions_in_both_languages() {
    let qq = include_bytes!("../fixtures/transcripts/qq-failed.txt");
    let en = run(&["explain"], qq);
    let zh = run(&["explain", "--lang", "zh"], qq);
    for want in [
        "QQ Mail refused the login: it wants the authorization code (授权码), not your QQ password.",
        "What to do: In QQ Mail's web settings",
        "QQ Mail wants EHLO and a successful login before MAIL FROM.",
        "(!) the headers have no From: QQ Mail and 163 reject such mail",
        "QQ Mail refused the message: its From: header is missing or not a valid address.",
        "What to do: Start the message with From: you@qq.com",
        "MAILCOMPRESS: a private extension of QQ Mail",
    ] {
        assert!(en.contains(want), "missing {want:?} in\n{en}");
    }
    for want in [
        "QQ 邮箱拒绝登录：它要的是授权码，而不是 QQ 密码。",
        "下一步：在 QQ 邮箱网页设置",
        "QQ 邮箱要求在 MAIL FROM 之前先 EHLO 并登录成功。",
        "(!) 邮件头里没有 From：QQ 邮箱和 163 会拒收这样的邮件",
        "QQ 邮箱拒收：邮件的 From: 头缺失或不是有效地址。",
        "下一步：邮件开头写 From: you@qq.com",
    ] {
        assert!(zh.contains(want), "missing {want:?} in\n{zh}");
    }

    let n163 = include_bytes!("../fixtures/transcripts/163-failed.txt");
    let en = run(&["explain"], n163);
    let zh = run(&["explain", "--lang", "zh"], n163);
    for want in [
        "163 wants you logged in before MAIL FROM.",
        "What to do: AUTH LOGIN with your 163 address and authorization code (授权码), then MAIL FROM.",
        "(!) this line is not a header, and no blank line came before it",
        "163's spam filter (DT:SPM) refused the message.",
        "What to do: Write From: <your 163 address>, To:, Subject:, a blank line and a real sentence",
    ] {
        assert!(en.contains(want), "missing {want:?} in\n{en}");
    }
    for want in [
        "163 要求在 MAIL FROM 之前登录。",
        "下一步：用 163 邮箱地址和授权码 AUTH LOGIN，然后 MAIL FROM。",
        "163 的反垃圾系统（DT:SPM）拒收了这封邮件。",
        "下一步：写上 From: <你的 163 地址>",
    ] {
        assert!(zh.contains(want), "missing {want:?} in\n{zh}");
    }
    // Nothing of ours is left in English in the Chinese annotation's notes.
    for line in zh.lines().filter(|l| l.starts_with("      ")) {
        let note = line.trim();
        let ours = [
            "Likely cause",
            "What to do",
            "not a command",
            "login failed",
        ];
        assert!(
            !ours.iter().any(|w| note.contains(w)),
            "English note in the Chinese output: {note}"
        );
    }
}

/// `explain --format html`: the tutorials' failed QQ session (GBK or UTF-8 on stdin) as one page
/// to hand in, with badges, notes, the student's name, and nothing loaded from outside.
#[test]
fn a_tutorial_transcript_becomes_one_self_contained_html_page() {
    let qq = include_bytes!("../fixtures/transcripts/qq-failed.txt");
    let args = [
        "explain",
        "--format",
        "html",
        "--lang",
        "zh",
        "--student",
        "李雷",
    ];
    let page = run(&args, qq);
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(page.contains("学生：李雷"));
    assert!(page.contains("class=\"badge b5\""), "a red 5xx badge");
    assert!(page.contains("QQ 邮箱拒绝登录：它要的是授权码，而不是 QQ 密码。"));
    for outside in ["<link", "<script", "<img", "url(", " src=", " href="] {
        assert!(!page.contains(outside), "{outside}");
    }
    // The same paste in GBK gives the same page, but for the time of day it was made.
    let gbk = encoding_rs::GBK
        .encode(&String::from_utf8_lossy(qq))
        .0
        .into_owned();
    let again = run(&args, &gbk);
    assert_eq!(page.lines().count(), again.lines().count());
    assert!(again.contains("QQ 邮箱拒绝登录"));
}

#[test]
fn an_imap_session_is_annotated_as_text_and_as_an_html_page() {
    let log = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/logs/imap-rfc3501-1.txt"
    ))
    .unwrap_or_default();
    let body: String = log
        .lines()
        .filter(|l| !l.starts_with("# "))
        .map(|l| format!("{l}\n"))
        .collect();
    let out = run(&["explain", "--lang", "zh"], body.as_bytes());
    assert!(
        out.contains("S: a002 OK [READ-WRITE] SELECT completed"),
        "{out}"
    );
    assert!(out.contains("现在处于已选中邮箱 inbox 的状态"), "{out}");
    let html = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["explain", "--format", "html"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            if let Some(mut i) = c.stdin.take() {
                i.write_all(body.as_bytes())?;
            }
            c.wait_with_output()
        })
        .unwrap_or_else(|e| panic!("mailtutor failed: {e}"));
    assert!(html.status.success());
    let page = String::from_utf8_lossy(&html.stdout);
    // The page reads the session as IMAP: the completions' badges, each explained, the state
    // followed, the password masked.
    assert!(
        page.contains(">OK</span>") && page.contains(">BYE</span>"),
        "{page}"
    );
    assert!(page.contains("Now in mailbox inbox"), "{page}");
    assert!(page.contains("a001 login mrc ********") && !page.contains("mrc secret"));
    assert!(!page.contains("not a command"), "{page}");
}

/// Each capability of a real server's list is explained, as EHLO's keywords are: Dovecot
/// 2.3.19's greeting as the interop lab's server sent it.
#[test]
fn an_imap_servers_capabilities_are_explained_one_by_one() {
    let log = "S: * OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ \
               STARTTLS AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.\n\
               C: a1 LOGOUT\nS: * BYE Logging out\nS: a1 OK Logout completed.\n";
    let out = run(&["explain", "--lang", "en"], log.as_bytes());
    for want in [
        "SASL-IR: AUTHENTICATE may carry its first answer on the same line",
        "IDLE: the client may wait with IDLE",
        "AUTH=PLAIN: you may log in with AUTHENTICATE PLAIN",
        "(RFC 2221)",
    ] {
        assert!(out.contains(want), "{want}\n{out}");
    }
    assert!(!out.contains("does not know"), "{out}");
}

/// A greeting that lists LOGINDISABLED says STARTTLS comes first, and the ALERT after it is
/// read as words for the person: the practice server's session when TLS is required.
#[test]
fn a_greeting_with_logindisabled_says_starttls_first() {
    let log = "S: * OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] ready\n\
               S: * OK [ALERT] This server requires TLS: send STARTTLS before LOGIN\n\
               C: a1 STARTTLS\nS: a1 OK Begin TLS negotiation now\n";
    let out = run(&["explain", "--lang", "en"], log.as_bytes());
    assert!(out.contains("Next: a1 STARTTLS, then log in"), "{out}");
    assert!(!out.contains("Next: a1 LOGIN user password"), "{out}");
    assert!(out.contains("shown to the person at the keyboard"), "{out}");
    let plain = "S: * OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\n";
    let out = run(&["explain", "--lang", "en"], plain.as_bytes());
    assert!(out.contains("Next: a1 LOGIN user password"), "{out}");
}

#[test]
fn a_whole_message_on_stdin_is_shown_as_its_mime_tree() {
    let msg = b"From: a@mailtutor.test\r\nSubject: t\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\n\
Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
caf=C3=A9\r\n--outer\r\nContent-Type: application/octet-stream\r\n\
Content-Disposition: attachment; filename=\"=?UTF-8?B?5L2c5Lia5oql5ZGKLnR4dA==?=\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--outer--\r\n";
    let zh = run(&["explain", "--lang", "zh"], msg);
    assert!(zh.starts_with("这封邮件的 MIME 结构"), "{zh}");
    assert!(
        zh.contains("\nmultipart/mixed  boundary=\"outer\"\n"),
        "{zh}"
    );
    assert!(
        zh.contains("\n  text/plain  charset=utf-8  quoted-printable  5 字节\n"),
        "{zh}"
    );
    assert!(
        zh.contains("  application/octet-stream  base64  attachment  \"作业报告.txt\"  3 字节"),
        "{zh}"
    );
    // A session is still annotated, not read as a message.
    let en = run(&["explain"], b"220 mx ESMTP\r\nEHLO x\r\n250 ok\r\n");
    assert!(!en.contains("MIME structure"), "{en}");
}

#[test]
fn a_message_saved_from_an_mbox_shows_its_names_and_saved_sizes() {
    // An mbox separator line first; a Latin-1 text in base64 (4 bytes, 8 once UTF-8); a file
    // name whose 数 (E6 95 B0) is split across two RFC 2231 segments.
    let msg = b"From sender@example.com Mon Feb  8 02:53:47 1993\n\
From: a@mailtutor.test\nMIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=b\n\n--b\n\
Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n\
6enp6Q==\n--b\nContent-Type: application/octet-stream\n\
Content-Disposition: attachment; filename*0*=utf-8''%E8%A4%87%E6;\n filename*1*=%95%B0.txt\n\n\
x\n--b--\n";
    let en = run(&["explain"], msg);
    assert!(en.starts_with("The message's MIME structure"), "{en}");
    assert!(
        en.contains("\n  text/plain  charset=iso-8859-1  base64  4 bytes\n"),
        "{en}"
    );
    assert!(en.contains("attachment  \"複数.txt\"  1 bytes\n"), "{en}");
}
