//! The practice server's IMAP side as a student meets it over telnet: tags, states, literals,
//! the mistakes people type, and every response readable by imap-codec.
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::TestServer;
use mailtutor::proto::imap::{ImapItem, ImapReader, ImapResponse};

/// A telnet-like client: writes lines as typed, reads whole responses.
struct Telnet {
    tcp: TcpStream,
    reader: ImapReader,
}

impl Telnet {
    fn connect(t: &TestServer) -> (Self, ImapResponse) {
        let tcp = TcpStream::connect(t.imap()).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut c = Self {
            tcp,
            reader: ImapReader::new(1 << 20),
        };
        let greeting = c.response();
        (c, greeting)
    }

    fn response(&mut self) -> ImapResponse {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(item) = self.reader.next_item() {
                let ImapItem::Response(r) = item else {
                    panic!("response too large")
                };
                // Every response the server sends is grammatical (imap-codec 1.0 has no
                // grammar for RFC 2971's ID response).
                assert!(
                    r.parsed().is_some() || r.raw.starts_with(b"* ID ("),
                    "imap-codec cannot read {:?}",
                    r.shown()
                );
                return r;
            }
            let n = self.tcp.read(&mut buf).unwrap();
            assert!(n > 0, "the server closed the connection");
            self.reader.push(&buf[..n]);
        }
    }

    /// Sends bytes as typed and returns every response up to the one that ends with `until`
    /// at its start (a tag, or "+" for a continuation request).
    fn send(&mut self, bytes: &[u8], until: &str) -> Vec<String> {
        self.tcp.write_all(bytes).unwrap();
        let mut got = Vec::new();
        loop {
            let r = self.response();
            let shown = String::from_utf8_lossy(&r.raw).trim_end().to_owned();
            let done = shown.starts_with(until);
            got.push(shown);
            if done {
                return got;
            }
        }
    }

    fn line(&mut self, line: &str, until: &str) -> Vec<String> {
        self.send(format!("{line}\r\n").as_bytes(), until)
    }
}

fn deliver(t: &TestServer, subjects: &[&str]) {
    let mut c = common::Smtp::connect(t.smtp());
    c.reply();
    c.expect("EHLO lab", "250");
    for s in subjects {
        c.expect("MAIL FROM:<teacher@mailtutor.test>", "250");
        c.expect("RCPT TO:<student@mailtutor.test>", "250");
        c.expect("DATA", "354");
        c.send(format!("Subject: {s}\r\n\r\nbody of {s}\r\n.\r\n").as_bytes());
        assert_eq!(c.reply().code, 250);
    }
    c.expect("QUIT", "221");
}

/// The lesson typed by hand: a tagged command at a time, states enforced with a BAD that says
/// what to do, a literal password after "+", and the mistakes a student makes at a telnet
/// prompt answered in words.
#[test]
fn a_session_typed_by_hand_is_answered_and_its_mistakes_explained() {
    let t = TestServer::start();
    deliver(&t, &["first", "second"]);
    let (mut c, greeting) = Telnet::connect(&t);
    assert!(
        greeting.shown().starts_with("* OK [CAPABILITY IMAP4rev1"),
        "{}",
        greeting.shown()
    );
    // No tag: the untagged BAD names the form.
    let r = c.line("LOGIN student@mailtutor.test secret", "LOGIN BAD");
    assert!(
        r[0].contains("Missing tag") && r[0].contains("a1 LOGIN student@mailtutor.test ********"),
        "{r:?}"
    );
    assert!(!r[0].contains("secret"), "{r:?}");
    // An empty line, as Enter on nothing.
    let r = c.line("", "* BAD");
    assert!(r[0].contains("Empty line"), "{r:?}");
    // A command in the wrong state.
    let r = c.line("a1 SELECT INBOX", "a1");
    assert!(
        r[0].starts_with("a1 BAD") && r[0].contains("log in first"),
        "{r:?}"
    );
    // Unknown command and bad syntax.
    let r = c.line("a2 HELO there", "a2");
    assert!(
        r[0].starts_with("a2 BAD") && r[0].contains("CAPABILITY"),
        "{r:?}"
    );
    // A wrong password, named.
    let r = c.line("a3 LOGIN student@mailtutor.test wrong", "a3");
    assert!(
        r[0].starts_with("a3 NO [AUTHENTICATIONFAILED]") && r[0].contains("wrong password"),
        "{r:?}"
    );
    // LOGIN with a synchronizing literal: the server asks for it with "+".
    let r = c.line("a4 LOGIN student@mailtutor.test {6}", "+");
    assert_eq!(r, ["+ Ready for literal data"]);
    let r = c.line("secret", "a4");
    assert!(r[0].starts_with("a4 OK"), "{r:?}");
    let r = c.line("a5 FETCH 1 FLAGS", "a5");
    assert!(
        r[0].starts_with("a5 BAD") && r[0].contains("SELECT INBOX"),
        "{r:?}"
    );
    let r = c.line("a6 SELECT Sent-Items", "a6");
    assert!(
        r[0].starts_with("a6 NO [NONEXISTENT] Mailbox \"Sent-Items\" does not exist"),
        "{r:?}"
    );
    let r = c.line("a7 select inbox", "a7");
    assert!(r.iter().any(|l| l == "* 2 EXISTS"), "{r:?}");
    assert!(
        r.iter().any(|l| l.starts_with("* OK [UIDVALIDITY ")),
        "{r:?}"
    );
    assert!(r.last().unwrap().starts_with("a7 OK [READ-WRITE]"), "{r:?}");
    let r = c.line("a8 FETCH 3 FLAGS", "a8");
    assert!(
        r[0].starts_with("a8 BAD No such message: the mailbox has 2 messages"),
        "{r:?}"
    );
    let r = c.line("a9 FETCH 2 BODY[HEADER]", "a9");
    assert!(r[0].starts_with("* 2 FETCH (BODY[HEADER] {"), "{r:?}");
    assert!(r[0].contains("Subject: second"), "{r:?}");
    assert!(r[0].contains("FLAGS (\\Seen \\Recent)"), "{r:?}");
    let r = c.line("a10 SEARCH SEEN", "a10");
    assert_eq!(r[0], "* SEARCH 2");
    let r = c.line("a11 STORE 1 +FLAGS (\\Deleted)", "a11");
    assert_eq!(r[0], "* 1 FETCH (FLAGS (\\Deleted \\Recent))");
    let r = c.line("a12 CREATE Lab/One", "a12");
    assert!(
        r[0].starts_with("a12 NO [CANNOT] folders inside folders"),
        "{r:?}"
    );
    let r = c.line("a13 IDLE", "+");
    assert_eq!(r, ["+ idling"]);
    let r = c.line("DONE", "a13");
    assert!(r[0].starts_with("a13 OK"), "{r:?}");
    let r = c.line("a14 EXPUNGE", "a14");
    assert_eq!(r, ["* 1 EXPUNGE", "a14 OK EXPUNGE completed"]);
    let r = c.line("a15 ID NIL", "a15");
    assert!(r[0].starts_with("* ID ("), "{r:?}");
    let r = c.line("a16 LOGOUT", "a16");
    assert!(r[0].starts_with("* BYE"), "{r:?}");
}

/// AUTHENTICATE PLAIN with its base64 on the next line, and in the same line (SASL-IR); the
/// log never shows the credentials.
#[test]
fn authenticate_plain_both_ways_and_starttls_first_when_required() {
    let t = TestServer::with(|c| c.policy.require_tls = true);
    let (mut c, greeting) = Telnet::connect(&t);
    assert!(
        greeting.shown().contains("LOGINDISABLED"),
        "{}",
        greeting.shown()
    );
    // The ALERT for the person follows the greeting; LOGIN is refused with RFC 5530's code.
    let r = c.line("a1 LOGIN student@mailtutor.test secret", "a1");
    assert!(
        r[0].starts_with("* OK [ALERT] This server requires TLS"),
        "{r:?}"
    );
    assert!(r[1].starts_with("a1 NO [PRIVACYREQUIRED]"), "{r:?}");
    let r = c.line("a2 STARTTLS", "a2");
    assert!(r[0].starts_with("a2 OK"), "{r:?}");

    let t = TestServer::start();
    let (mut c, _) = Telnet::connect(&t);
    let r = c.line("b1 AUTHENTICATE PLAIN", "+");
    assert_eq!(r, ["+"]);
    let r = c.line("AHN0dWRlbnRAbWFpbHR1dG9yLnRlc3QAc2VjcmV0", "b1");
    assert!(r[0].starts_with("b1 OK"), "{r:?}");
    let (mut c, _) = Telnet::connect(&t);
    let r = c.line(
        "b2 AUTHENTICATE PLAIN AHN0dWRlbnRAbWFpbHR1dG9yLnRlc3QAd3Jvbmc=",
        "b2",
    );
    assert!(r[0].starts_with("b2 NO [AUTHENTICATIONFAILED]"), "{r:?}");
    let r = c.line("b3 AUTHENTICATE PLAIN", "+");
    assert_eq!(r, ["+"]);
    let r = c.line("not base64!", "b3");
    assert!(r[0].starts_with("b3 BAD"), "{r:?}");
}

/// A line that never ends, a literal too big, and a flood of commands leave the server
/// answering: the memory it keeps for a command is bounded.
#[test]
fn floods_and_huge_literals_are_refused_and_the_session_goes_on() {
    let t = TestServer::start();
    let (mut c, _) = Telnet::connect(&t);
    let r = c.line("a1 LOGIN student@mailtutor.test {999999999}", "a1");
    assert!(r[0].starts_with("a1 NO Literal too big"), "{r:?}");
    let mut long = vec![b'x'; 200_000];
    long.extend_from_slice(b"\r\n");
    let r = c.send(&long, "* BAD");
    assert!(r[0].contains("too long"), "{r:?}");
    let many: String = (0..500).map(|i| format!("n{i} NOOP\r\n")).collect();
    let r = c.send(many.as_bytes(), "n499");
    assert_eq!(r.len(), 500);
    let r = c.line("a2 LOGIN student@mailtutor.test secret", "a2");
    assert!(r[0].starts_with("a2 OK"), "{r:?}");
}

/// PuTTY's Telnet negotiation in front of the first command: named, and the command typed
/// again works.
#[test]
fn telnet_negotiation_in_front_of_a_command_is_named() {
    let t = TestServer::start();
    let (mut c, _) = Telnet::connect(&t);
    let r = c.send(
        b"\xff\xfb\x1f\xff\xfb \xff\xfb\x18\xff\xfb'\xff\xfd\x01\xff\xfb\x03\xff\xfd\x03a1 CAPABILITY\r\n",
        "* BAD",
    );
    assert!(
        r[0].contains("IAC WILL NAWS") && r[0].contains("speaks IMAP"),
        "{r:?}"
    );
    let r = c.line("a1 CAPABILITY", "a1");
    assert!(r[0].starts_with("* CAPABILITY IMAP4rev1"), "{r:?}");
}

/// A telnet session with the practice server, as a student would paste it into `explain`:
/// every response is read as the server's (the completion of a command typed without a tag
/// included), every command as the client's, and the password stays masked.
#[test]
fn a_practice_session_pasted_into_explain_reads_side_by_side() {
    let t = TestServer::start();
    deliver(&t, &["first"]);
    let (mut c, greeting) = Telnet::connect(&t);
    let mut paste = vec![greeting.shown()];
    for (line, until) in [
        ("LOGIN student@mailtutor.test secret", "LOGIN"),
        ("a1 LOGIN student@mailtutor.test secret", "a1"),
        ("a2 FETCH 1 FLAGS", "a2"),
        ("a3 SELECT INBOX", "a3"),
        (
            "a4 FETCH 1 (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
            "a4",
        ),
        ("a5 LOGOUT", "a5"),
    ] {
        paste.push(line.to_owned());
        paste.extend(c.line(line, until));
    }
    let text = paste.join("\n");
    let out = mailtutor::explain::annotate(
        &text,
        mailtutor::explain::Options {
            lang: mailtutor::proto::Lang::En,
            show_secrets: false,
        },
    );
    for want in [
        "S: LOGIN BAD Missing tag",
        "C: a1 LOGIN student@mailtutor.test ******",
        "S: a2 BAD FETCH: no mailbox selected (SELECT INBOX first)",
        "S: a3 OK [READ-WRITE] SELECT completed",
        "S: a5 OK LOGOUT completed",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(want)),
            "no {want:?} in\n{out}"
        );
    }
    assert!(!out.contains("secret"), "{out}");
    assert!(!out.contains("not a command"), "{out}");
    // The practice server's own words are explained as what they are, in both languages.
    assert!(out.contains("typed without a tag"), "{out}");
    let zh = mailtutor::explain::annotate(
        &text,
        mailtutor::explain::Options {
            lang: mailtutor::proto::Lang::Zh,
            show_secrets: false,
        },
    );
    assert!(zh.contains("没有写标签"), "{zh}");
}

/// What a student types in Chinese (a command name, a user name, a mailbox) is echoed in the
/// answer as escapes, so the response stays within IMAP's 7-bit text and any client reads it.
#[test]
fn chinese_typed_at_the_prompt_is_echoed_readably() {
    let t = TestServer::start();
    let (mut c, _) = Telnet::connect(&t);
    let r = c.line("a1 选择 INBOX", "a1");
    assert!(
        r[0].starts_with("a1 BAD Unknown command \\u{9009}\\u{62E9}"),
        "{r:?}"
    );
    let r = c.line("a2 LOGIN 张三@mailtutor.test secret", "a2");
    assert!(
        r[0].starts_with("a2 BAD LOGIN: outside a literal") && r[0].contains("{n}"),
        "{r:?}"
    );
    // As a literal, the name reaches the account check, and is echoed as escapes.
    let name = "张三@mailtutor.test";
    let r = c.line(&format!("a2 LOGIN {{{}}}", name.len()), "+");
    assert_eq!(r, ["+ Ready for literal data"]);
    let r = c.line(&format!("{name} secret"), "a2");
    assert!(
        r[0].starts_with("a2 NO [AUTHENTICATIONFAILED]") && r[0].contains("\\u{5F20}"),
        "{r:?}"
    );
    let r = c.line("a3 LOGIN student@mailtutor.test secret", "a3");
    assert!(r[0].starts_with("a3 OK"), "{r:?}");
    let r = c.line("a4 SELECT 已发送", "a4");
    assert!(
        r[0].starts_with("a4 BAD SELECT: a mailbox name is written in modified UTF-7")
            && r[0].ends_with("is &XfJT0ZAB-"),
        "{r:?}"
    );
    let r = c.line("a5 SELECT &XfJT0ZAB-", "a5");
    assert!(
        r[0].starts_with("a5 NO [NONEXISTENT] Mailbox \"&XfJT0ZAB-\""),
        "{r:?}"
    );
}

/// Answering as NetEase 163, the practice server refuses a mailbox before ID with 163's own
/// words and a wrong password with its login error, so the class rehearses imap.163.com
/// offline; the tutor explains both as 163's.
#[test]
fn as_netease_163_a_mailbox_opens_only_after_id() {
    let t = TestServer::with(|c| {
        c.policy = mailtutor::server::Policy::of_persona(mailtutor::server::PersonaId::Netease163);
    });
    let (mut c, greeting) = Telnet::connect(&t);
    let mut paste = vec![greeting.shown()];
    let mut say = |c: &mut Telnet, line: &str, until: &str| {
        paste.push(line.to_owned());
        let r = c.line(line, until);
        paste.extend(r.clone());
        r
    };
    let r = say(&mut c, "a1 LOGIN student@mailtutor.test wrong", "a1");
    assert_eq!(r, ["a1 NO LOGIN Login error or password error"]);
    let r = say(&mut c, "a2 LOGIN student@mailtutor.test secret", "a2");
    assert!(r[0].starts_with("a2 OK"), "{r:?}");
    let r = say(&mut c, "a3 SELECT INBOX", "a3");
    assert_eq!(
        r,
        ["a3 NO SELECT Unsafe Login. Please contact kefu@188.com for help"]
    );
    let r = say(&mut c, "a4 STATUS INBOX (MESSAGES)", "a4");
    assert!(r[0].starts_with("a4 NO STATUS Unsafe Login."), "{r:?}");
    let r = say(
        &mut c,
        "a5 ID (\"name\" \"mailtutor\" \"version\" \"1.0\")",
        "a5",
    );
    assert!(r.last().unwrap().starts_with("a5 OK"), "{r:?}");
    let r = say(&mut c, "a6 SELECT INBOX", "a6");
    assert!(r.last().unwrap().starts_with("a6 OK [READ-WRITE]"), "{r:?}");
    let out = mailtutor::explain::annotate(
        &paste.join("\n"),
        mailtutor::explain::Options {
            lang: mailtutor::proto::Lang::En,
            show_secrets: false,
        },
    );
    assert!(out.contains("wants the ID command"), "{out}");
    assert!(out.contains("authorization code"), "{out}");
}

#[test]
fn noop_reports_what_other_sessions_changed() {
    let t = TestServer::start();
    deliver(&t, &["one", "two"]);
    let (mut a, _) = Telnet::connect(&t);
    a.line("a1 LOGIN student@mailtutor.test secret", "a1 OK");
    a.line("a2 SELECT INBOX", "a2 OK");
    // Another session marks the first message deleted and expunges it; new mail comes.
    let (mut b, _) = Telnet::connect(&t);
    b.line("b1 LOGIN student@mailtutor.test secret", "b1 OK");
    b.line("b2 SELECT INBOX", "b2 OK");
    b.line("b3 STORE 2 +FLAGS (\\Flagged)", "b3 OK");
    b.line("b4 STORE 1 +FLAGS (\\Deleted)", "b4 OK");
    b.line("b5 EXPUNGE", "b5 OK");
    deliver(&t, &["three"]);
    let got = a.line("a3 NOOP", "a3 OK");
    assert_eq!(
        got,
        [
            "* 1 EXPUNGE",
            "* 1 FETCH (FLAGS (\\Flagged \\Recent))",
            "* 2 EXISTS",
            "a3 OK NOOP completed"
        ]
    );
    // Nothing changed since: NOOP says only OK.
    assert_eq!(a.line("a4 NOOP", "a4 OK"), ["a4 OK NOOP completed"]);
}

/// INBOX and the Maildir++ folders beside it: LIST with the special-use attributes, COPY and
/// MOVE keep flags and report EXPUNGE, APPEND, CREATE and DELETE, each refusal in words; POP3
/// reads INBOX only, as Dovecot's POP3 does.
#[test]
fn folders_copy_move_append_and_pop3_reads_inbox_only() {
    let t = TestServer::start();
    deliver(&t, &["keep", "bin"]);
    let (mut c, _) = Telnet::connect(&t);
    c.line("a1 LOGIN student@mailtutor.test secret", "a1 OK");
    let r = c.line("a2 LIST \"\" *", "a2");
    assert_eq!(
        r,
        [
            "* LIST (\\HasNoChildren) \"/\" INBOX",
            "* LIST (\\HasNoChildren \\Drafts) \"/\" Drafts",
            "* LIST (\\HasNoChildren \\Sent) \"/\" Sent",
            "* LIST (\\HasNoChildren \\Trash) \"/\" Trash",
            "a2 OK LIST completed",
        ]
    );
    c.line("a3 SELECT INBOX", "a3 OK");
    c.line("a4 STORE 1 +FLAGS (\\Flagged)", "a4 OK");
    let r = c.line("a5 COPY 1 Sent", "a5");
    assert_eq!(r, ["a5 OK COPY completed"]);
    let r = c.line("a6 STATUS Sent (MESSAGES UNSEEN)", "a6");
    assert_eq!(
        r,
        [
            "* STATUS Sent (MESSAGES 1 UNSEEN 1)",
            "a6 OK STATUS completed"
        ]
    );
    // MOVE: the copy is made, then the original is expunged and reported.
    let r = c.line("a7 MOVE 2 Trash", "a7");
    assert_eq!(r, ["* 2 EXPUNGE", "a7 OK MOVE completed"]);
    let r = c.line("a8 MOVE 1 Archive", "a8");
    assert!(
        r[0].starts_with("a8 NO [TRYCREATE] Mailbox \"Archive\" does not exist"),
        "{r:?}"
    );
    let r = c.line("a9 MOVE 1 inbox", "a9");
    assert!(r[0].starts_with("a9 NO [CANNOT]"), "{r:?}");
    assert_eq!(
        c.line("a10 CREATE Homework", "a10"),
        ["a10 OK CREATE completed"]
    );
    let r = c.line("a11 CREATE Homework", "a11");
    assert!(r[0].starts_with("a11 NO [ALREADYEXISTS]"), "{r:?}");
    let r = c.line("a12 LIST \"\" H*", "a12");
    assert_eq!(r[0], "* LIST (\\HasNoChildren) \"/\" Homework");
    // APPEND with a literal: the message lands in Drafts with its flag.
    let r = c.line("a13 APPEND Drafts (\\Draft) {14}", "+");
    assert_eq!(r.len(), 1, "{r:?}");
    let r = c.line("Subject: draft", "a13");
    assert_eq!(r, ["a13 OK APPEND completed"]);
    let r = c.line("a14 SELECT Drafts", "a14");
    assert!(r.contains(&"* 1 EXISTS".to_owned()), "{r:?}");
    let r = c.line("a15 FETCH 1 (FLAGS BODY[])", "a15");
    assert!(
        r[0].contains("FLAGS (\\Draft \\Seen)") && r[0].contains("Subject: draft"),
        "{r:?}"
    );
    // The copy kept its flag; the moved message is in Trash.
    c.line("a16 EXAMINE Sent", "a16 OK");
    let r = c.line("a17 FETCH 1 (FLAGS BODY[HEADER.FIELDS (SUBJECT)])", "a17");
    assert!(
        r[0].contains("\\Flagged") && r[0].contains("Subject: keep"),
        "{r:?}"
    );
    let r = c.line("a18 STATUS Trash (MESSAGES)", "a18");
    assert_eq!(r[0], "* STATUS Trash (MESSAGES 1)");
    let r = c.line("a19 DELETE Sent", "a19");
    assert!(r[0].starts_with("a19 NO [INUSE]"), "{r:?}");
    assert_eq!(
        c.line("a20 DELETE Homework", "a20"),
        ["a20 OK DELETE completed"]
    );
    let r = c.line("a21 DELETE INBOX", "a21");
    assert!(r[0].starts_with("a21 NO [CANNOT]"), "{r:?}");
    let r = c.line("a22 LIST \"\" *", "a22");
    assert_eq!(r.len(), 5, "{r:?}");
    c.line("a23 LOGOUT", "a23");

    // On disk, the Maildir++ layout: each folder a `.Name` Maildir beside INBOX's.
    let drop = t.dir.0.join("student@mailtutor.test");
    for folder in [".Sent", ".Drafts", ".Trash"] {
        assert!(drop.join(folder).join("cur").is_dir(), "{folder}");
        assert!(
            drop.join(folder).join("maildirfolder").is_file(),
            "{folder}"
        );
    }
    assert!(!drop.join(".Homework").exists());
    // POP3 reads the maildrop, INBOX: one message is left there.
    let (mut p, _) = common::Pop3::connect(t.pop3());
    p.ok("USER student@mailtutor.test");
    p.ok("PASS secret");
    let stat = String::from_utf8_lossy(&p.ok("STAT").raw).into_owned();
    assert!(stat.starts_with("+OK 1 "), "{stat}");
}

/// POP3 and IMAP on one maildrop follow Dovecot 2.3's rules, as the interop lab's Dovecot
/// showed them with the same steps: POP3 lists a message IMAP only marked \Deleted; RETR makes
/// a message \Seen for IMAP; DELE and QUIT remove it for IMAP too. A message whose flags IMAP
/// changed while POP3 held the maildrop is still deleted at QUIT.
#[test]
fn pop3_and_imap_on_one_maildrop_behave_as_dovecot() {
    let t = TestServer::start();
    deliver(&t, &["m1", "m2", "m3", "m4"]);
    let (mut c, _) = Telnet::connect(&t);
    c.line("a1 LOGIN student@mailtutor.test secret", "a1 OK");
    c.line("a2 SELECT INBOX", "a2 OK");
    c.line("a3 STORE 2 +FLAGS (\\Deleted)", "a3 OK");
    c.line("a4 LOGOUT", "a4 OK");

    let (mut p, _) = common::Pop3::connect(t.pop3());
    p.ok("USER student@mailtutor.test");
    p.ok("PASS secret");
    let stat = String::from_utf8_lossy(&p.ok("STAT").raw).into_owned();
    assert!(stat.starts_with("+OK 4 "), "{stat}");
    p.ok("RETR 3");
    p.ok("TOP 4 0");
    p.ok("DELE 1");
    p.ok("DELE 4");
    // While POP3 holds the maildrop, IMAP flags message 4 (its file is renamed).
    let (mut c, _) = Telnet::connect(&t);
    c.line("b1 LOGIN student@mailtutor.test secret", "b1 OK");
    c.line("b2 SELECT INBOX", "b2 OK");
    c.line("b3 STORE 4 +FLAGS (\\Flagged)", "b3 OK");
    c.line("b4 LOGOUT", "b4 OK");
    p.ok("QUIT");

    let (mut c, _) = Telnet::connect(&t);
    c.line("c1 LOGIN student@mailtutor.test secret", "c1 OK");
    let r = c.line("c2 SELECT INBOX", "c2");
    assert!(r.contains(&"* 2 EXISTS".to_owned()), "{r:?}");
    let r = c.line(
        "c3 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
        "c3",
    );
    assert!(
        r[0].starts_with("* 1 FETCH (FLAGS (\\Deleted)") && r[0].contains("Subject: m2"),
        "{r:?}"
    );
    // RETR made m3 \Seen; TOP alone did not touch m4, which is gone.
    assert!(
        r[1].starts_with("* 2 FETCH (FLAGS (\\Seen)") && r[1].contains("Subject: m3"),
        "{r:?}"
    );
}

/// Each persona greets and refuses a login over IMAP in its service's own words (cited in
/// `assets/codes/imap.toml`), after the practice server's own capability list; the tutor
/// explains each with that service's situation.
#[test]
fn personas_greet_and_refuse_in_their_services_words() {
    use mailtutor::proto::imap::knowledge;
    use mailtutor::server::{PersonaId, Policy};
    let cases = [
        (
            PersonaId::Gmail,
            "Gimap ready for requests from 127.0.0.1 m62mb244108374wme",
            "NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)",
            "gmail.imap-greeting",
        ),
        (
            PersonaId::Outlook,
            "The Microsoft Exchange IMAP4 service is ready. [QgBM",
            "NO LOGIN failed.",
            "outlook.imap-greeting",
        ),
        (
            PersonaId::Qq,
            "QQMail XMIMAP4Server ready",
            "NO Please using authorized code to login.",
            "qq.imap-greeting",
        ),
        (
            PersonaId::Netease163,
            "Coremail System IMap Server Ready(163com[",
            "NO LOGIN Login error or password error",
            "163.imap-greeting",
        ),
    ];
    for (persona, greets, refuses, situation) in cases {
        // Plain connections here: a refused login is the point, not TLS.
        let t = TestServer::with(|c| {
            c.policy = Policy::of_persona(persona);
            c.policy.require_tls = false;
        });
        let (mut c, greeting) = Telnet::connect(&t);
        let shown = greeting.shown();
        assert!(
            shown.starts_with("* OK [CAPABILITY IMAP4rev1") && shown.contains(greets),
            "{persona:?}: {shown}"
        );
        assert_eq!(
            knowledge::situation(&greeting, None).map(|s| s.id.as_str()),
            Some(situation),
            "{persona:?}"
        );
        let r = c.line("a1 LOGIN student@mailtutor.test wrong", "a1");
        assert!(
            r.last().unwrap().starts_with(&format!("a1 {refuses}")),
            "{persona:?}: {r:?}"
        );
    }
    // Outlook's refusal names the command it answers.
    let t = TestServer::with(|c| {
        c.policy = Policy::of_persona(PersonaId::Outlook);
        c.policy.require_tls = false;
    });
    let (mut c, _) = Telnet::connect(&t);
    let r = c.line(
        "b1 AUTHENTICATE PLAIN AHN0dWRlbnRAbWFpbHR1dG9yLnRlc3QAd3Jvbmc=",
        "b1",
    );
    assert_eq!(r, ["b1 NO AUTHENTICATE failed."]);
    let r = c.line("b2 LOGIN student@mailtutor.test wrong", "b2");
    assert_eq!(r, ["b2 NO LOGIN failed."]);
}
