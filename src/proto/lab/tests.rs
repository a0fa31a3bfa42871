//! Grading tables: sessions written out as the server saw them, fed in arbitrary chunks, with
//! the checks each must pass or fail and on which line.

use super::grade::{Verdict, grade};
use super::record::{Ending, Protocol, Record};
use super::rubric::Rubric;

/// A session as it happened: `S` a reply written, `C` client bytes read after everything above.
enum Step<'a> {
    S(&'a str),
    C(&'a str),
    Tls,
    /// The client has closed before the next reply.
    Gone,
}
use Step::{C, Gone, S, Tls};

fn record(protocol: Protocol, steps: &[Step], chunk: usize) -> Record {
    let mut r = Record::new(protocol, false);
    for step in steps {
        match step {
            S(text) => r.server(0, text.as_bytes()),
            C(text) => {
                let seen = r.replies();
                for piece in text.as_bytes().chunks(chunk.max(1)) {
                    r.client(0, seen, piece);
                }
            }
            Tls => r.tls_up(0),
            Gone => r.client_gone(),
        }
    }
    r.end(0, Ending::ClientClosed);
    r
}

/// The verdict of each check of `stage`, as `id` → `(passed, failed line text)`.
fn verdicts(rubric: &str, stage: &str, steps: &[Step]) -> Vec<(String, bool, Option<String>)> {
    let rubric = Rubric::built_in(rubric).unwrap().unwrap();
    let mut first: Option<Vec<(String, bool, Option<String>)>> = None;
    // The same session in one piece, a byte at a time and in sevens grades the same.
    for chunk in [usize::MAX, 1, 7] {
        let g = grade(&rubric, stage, &record(rubric.protocol, steps, chunk));
        let got: Vec<_> = g
            .results
            .iter()
            .map(|r| {
                let line = r.failed_line().map(|l| g.session.lines[l].text());
                (r.id.clone(), r.verdict == Verdict::Pass, line)
            })
            .collect();
        match &first {
            None => first = Some(got),
            Some(f) => assert_eq!(f, &got, "chunks of {chunk}"),
        }
    }
    first.unwrap_or_default()
}

fn failed(v: &[(String, bool, Option<String>)]) -> Vec<(&str, Option<&str>)> {
    v.iter()
        .filter(|(_, pass, _)| !pass)
        .map(|(id, _, line)| (id.as_str(), line.as_deref()))
        .collect()
}

const EHLO: &str = "250-mailtutor.test\r\n250-PIPELINING\r\n250 AUTH LOGIN PLAIN\r\n";
const MESSAGE: &str = "From: a@x\r\nTo: b@x\r\nSubject: s\r\nDate: Sat, 5 Dec 2026 10:00:00 +0800\r\nMessage-ID: <1@x>\r\n\r\nhi\r\n..dot\r\n.\r\n";

fn good_send<'a>(message: &'a str, user_b64: &'a str) -> Vec<Step<'a>> {
    vec![
        S("220 hi\r\n"),
        C("EHLO pc\r\n"),
        S(EHLO),
        C("AUTH LOGIN\r\n"),
        S("334 VXNlcm5hbWU6\r\n"),
        C(user_b64),
        S("334 UGFzc3dvcmQ6\r\n"),
        C("c2VjcmV0\r\n"),
        S("235 ok\r\n"),
        C("MAIL FROM:<a@x>\r\n"),
        S("250 ok\r\n"),
        C("RCPT TO:<b@x>\r\n"),
        S("250 ok\r\n"),
        C("DATA\r\n"),
        S("354 go\r\n"),
        C(message),
        S("250 queued\r\n"),
        C("QUIT\r\n"),
        S("221 bye\r\n"),
    ]
}

#[test]
fn a_careful_send_passes_every_check() {
    let v = verdicts("smtp-client", "send", &good_send(MESSAGE, "YUB4\r\n"));
    assert_eq!(failed(&v), []);
    assert_eq!(v.len(), 10);
}

#[test]
fn base64_made_with_echo_and_its_newline_is_named() {
    // `echo a@x | base64` encodes "a@x\n".
    let v = verdicts("smtp-client", "send", &good_send(MESSAGE, "YUB4Cg==\r\n"));
    assert_eq!(failed(&v), [("auth", Some("YUB4Cg=="))]);
}

#[test]
fn missing_fields_and_a_missing_blank_line_are_found_in_the_message() {
    let no_date = "From: a@x\r\nTo: b@x\r\nSubject: s\r\nhi there\r\n..dot\r\n.\r\n";
    let v = verdicts("smtp-client", "send", &good_send(no_date, "YUB4\r\n"));
    assert_eq!(
        failed(&v),
        [
            ("headers", Some("From: a@x")),
            ("blank-line", Some("hi there"))
        ]
    );
    let unstuffed = MESSAGE.replace("..dot", ".dot");
    let v = verdicts("smtp-client", "send", &good_send(&unstuffed, "YUB4\r\n"));
    assert_eq!(failed(&v), [("dot-stuffing", Some(".dot"))]);
}

#[test]
fn a_pipelined_group_is_allowed_where_rfc_2920_allows_it_and_nowhere_else() {
    let grouped = [
        S("220 hi\r\n"),
        C("EHLO pc\r\n"),
        S(EHLO),
        C("MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n"),
        S("250 ok\r\n"),
        S("250 ok\r\n"),
        S("354 go\r\n"),
        C(MESSAGE),
        S("250 queued\r\n"),
        C("QUIT\r\n"),
        S("221 bye\r\n"),
    ];
    let v = verdicts("smtp-client", "send", &grouped);
    assert!(!failed(&v).iter().any(|(id, _)| *id == "waits"), "{v:?}");
    // The message itself before its 354: not allowed, PIPELINING or not.
    let eager = [
        S("220 hi\r\n"),
        C("EHLO pc\r\n"),
        S(EHLO),
        C("MAIL FROM:<a@x>\r\nRCPT TO:<b@x>\r\nDATA\r\n"),
        S("250 ok\r\n"),
        S("250 ok\r\n"),
        C(MESSAGE),
        S("354 go\r\n"),
        S("250 queued\r\n"),
        C("QUIT\r\n"),
        S("221 bye\r\n"),
    ];
    let v = verdicts("smtp-client", "send", &eager);
    assert!(failed(&v).contains(&("waits", Some("From: a@x"))), "{v:?}");
    // EHLO before the greeting.
    let v = verdicts(
        "smtp-client",
        "send",
        &[C("EHLO pc\r\n"), S("220 hi\r\n"), S(EHLO)],
    );
    assert!(failed(&v).contains(&("waits", Some("EHLO pc"))), "{v:?}");
}

#[test]
fn what_follows_a_staged_fault_is_scored() {
    let ignored_450 = [
        S("220 hi\r\n"),
        C("EHLO pc\r\n"),
        S(EHLO),
        C("MAIL FROM:<a@x>\r\n"),
        S("250 ok\r\n"),
        C("RCPT TO:<b@x>\r\n"),
        S("450 4.2.0 busy\r\n"),
        C("DATA\r\n"),
        S("503 need RCPT\r\n"),
    ];
    let v = verdicts("smtp-client", "rcpt-450", &ignored_450);
    assert_eq!(failed(&v), [("after-450", Some("DATA"))]);
    let on_after_421 = [S("421 closing\r\n"), C("EHLO pc\r\n"), S("421 closing\r\n")];
    let v = verdicts("smtp-client", "greet-421", &on_after_421);
    assert_eq!(failed(&v), [("after-421", Some("EHLO pc"))]);
    let quit_after_421 = [S("421 closing\r\n"), C("QUIT\r\n"), S("221 bye\r\n")];
    assert_eq!(
        failed(&verdicts("smtp-client", "greet-421", &quit_after_421)),
        []
    );
    let resent = [
        S("220 hi\r\n"),
        C("EHLO pc\r\n"),
        S(EHLO),
        C("DATA\r\n"),
        S("354 go\r\n"),
        C(".\r\n"),
        S("554 5.7.1 spam\r\n"),
        C("DATA\r\n"),
        S("503 no\r\n"),
    ];
    let v = verdicts("smtp-client", "dot-554", &resent);
    assert_eq!(failed(&v), [("after-554", Some("DATA"))]);
}

#[test]
fn a_password_before_tls_is_caught_and_one_after_it_is_not() {
    let mut rubric = Rubric::built_in("smtp-client").unwrap().unwrap();
    rubric.checks.retain(|c| c.id == "auth");
    rubric.checks[0].kind = super::rubric::CheckKind::Tls;
    let clear = record(Protocol::Smtp, &good_send(MESSAGE, "YUB4\r\n"), 9);
    let g = grade(&rubric, "send", &clear);
    assert_eq!(
        g.results[0]
            .failed_line()
            .map(|l| g.session.lines[l].text()),
        Some("AUTH LOGIN".into())
    );
    let mut steps = vec![
        S("220 hi\r\n"),
        C("EHLO pc\r\n"),
        S(EHLO),
        C("STARTTLS\r\n"),
        S("220 go ahead\r\n"),
        Tls,
    ];
    steps.extend(good_send(MESSAGE, "YUB4\r\n").into_iter().skip(1));
    let g = grade(&rubric, "send", &record(Protocol::Smtp, &steps, 5));
    assert_eq!(g.results[0].verdict, Verdict::Pass);
    // The password line is masked in every report.
    let secret: Vec<String> = g
        .secret_lines
        .iter()
        .map(|l| g.session.lines[*l].text())
        .collect();
    assert_eq!(secret, ["c2VjcmV0"]);
}

#[test]
fn pop3_order_stat_and_quit_are_read_from_the_state() {
    let careful = [
        S("+OK ready\r\n"),
        C("USER a\r\n"),
        S("+OK\r\n"),
        C("PASS secret\r\n"),
        S("+OK logged in\r\n"),
        C("STAT\r\n"),
        S("+OK 1 10\r\n"),
        C("RETR 1\r\n"),
        S("+OK\r\nhi\r\n.\r\n"),
        C("DELE 1\r\n"),
        S("+OK\r\n"),
        C("QUIT\r\n"),
        S("+OK bye\r\n"),
    ];
    assert_eq!(failed(&verdicts("pop3-client", "read", &careful)), []);
    let hasty = [
        S("+OK ready\r\n"),
        C("RETR 0\r\n"),
        S("-ERR not logged in\r\n"),
        C("PASS secret\r\n"),
        S("-ERR USER first\r\n"),
    ];
    assert_eq!(
        failed(&verdicts("pop3-client", "read", &hasty)),
        [
            ("login", Some("PASS secret")),
            ("order", Some("RETR 0")),
            ("stat", Some("RETR 0")),
            ("retr", Some("RETR 0")),
            ("dele", None),
            ("quit", Some("PASS secret")),
        ]
    );
}

#[test]
fn a_message_the_server_read_as_commands_is_blamed_on_the_message_not_on_waiting() {
    // DATA refused, the message sent anyway in one write: each of its lines got a 500.
    let refused = [
        S("220 hi\r\n"),
        C("EHLO pc\r\n"),
        S(EHLO),
        C("MAIL FROM: <a@x>\r\n"),
        S("501 syntax\r\n"),
        C("DATA\r\n"),
        S("503 need MAIL\r\n"),
        C("Subject: s\r\n\r\nhi\r\n.\r\n"),
        S("500 unknown\r\n"),
        S("500 unknown\r\n"),
        S("500 unknown\r\n"),
        S("500 unknown\r\n"),
        C("QUIT\r\n"),
        S("221 bye\r\n"),
    ];
    let v = verdicts("smtp-client", "send", &refused);
    let lost = failed(&v);
    assert!(lost.contains(&("final-dot", Some("DATA"))), "{lost:?}");
    assert!(!lost.iter().any(|(id, _)| *id == "waits"), "{lost:?}");
    // A lone "." in the body ends the message early; the rest is read as commands.
    let early_end = MESSAGE.replace("hi\r\n", "hi\r\n.\r\nmore\r\n");
    let steps = [
        S("220 hi\r\n"),
        C("EHLO pc\r\n"),
        S(EHLO),
        C("DATA\r\n"),
        S("354 go\r\n"),
        C(&early_end),
        S("250 queued\r\n"),
        S("500 unknown\r\n"),
        S("500 unknown\r\n"),
        S("500 unknown\r\n"),
        C("QUIT\r\n"),
        // The program read one reply for its QUIT (a 500 meant for its text) and left.
        Gone,
        S("221 bye\r\n"),
    ];
    let v = verdicts("smtp-client", "send", &steps);
    let lost = failed(&v);
    assert!(lost.contains(&("dot-stuffing", Some("."))), "{lost:?}");
    // Charged once: not again as a missed wait, nor as a QUIT reply it did not read.
    assert!(
        !lost.iter().any(|(id, _)| *id == "waits" || *id == "quit"),
        "{lost:?}"
    );
}

#[test]
fn a_program_that_closes_before_reading_quits_reply_is_seen() {
    let rubric = Rubric::built_in("smtp-client").unwrap().unwrap();
    let mut r = record(Protocol::Smtp, &good_send(MESSAGE, "YUB4\r\n"), 64);
    let mut items = r.items.clone();
    // The 221 went out after the client had closed.
    r = Record::new(Protocol::Smtp, false);
    items.retain(|i| !matches!(i, super::record::Item::End { .. }));
    let last = items.len() - 1;
    for (n, item) in items.into_iter().enumerate() {
        match item {
            super::record::Item::Client { seen, bytes, .. } => r.client(0, seen, &bytes),
            super::record::Item::Server { bytes, .. } => {
                if n == last {
                    r.client_gone();
                }
                r.server(0, &bytes);
            }
            _ => {}
        }
    }
    let g = grade(&rubric, "send", &r);
    let quit = g.results.iter().find(|c| c.id == "quit").unwrap();
    assert_eq!(
        quit.failed_line().map(|l| g.session.lines[l].text()),
        Some("QUIT".into())
    );
}
