//! The client connection as tables: what the client writes, what the server's bytes are and
//! when time passes, and what the connection reports. Every table runs with the server's
//! bytes whole, one byte at a time and in pseudo-random chunks, and must report the same.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use super::event::{Answers, EventKind, Finish, LineRead, RequestId};
use super::{Connection, Typed};
use crate::proto::Protocol;
use crate::proto::smtp::SmtpCommand;

enum Step {
    /// The client writes these bytes and waits for this many replies.
    Send(&'static str, usize),
    /// A button writes this command.
    Typed(SmtpCommand),
    /// The server's bytes.
    Recv(&'static str),
    /// Time passes to this many seconds after the start (replies are due after 30).
    At(u64),
}

/// One line per thing reported (the state reports are left out).
fn describe(kind: &EventKind) -> Vec<String> {
    match kind {
        EventKind::Sent { id, lines } => lines
            .iter()
            .map(|l| {
                let text = String::from_utf8_lossy(&l.raw).trim_end().to_owned();
                let text = if l.secret {
                    "<secret>".to_owned()
                } else {
                    text
                };
                let read = match &l.read {
                    LineRead::Command { initial: None } => "command".to_owned(),
                    LineRead::Command { initial: Some(d) } => format!("command, initial {d}"),
                    LineRead::NotACommand { verb, .. } => format!("not a command ({verb:?})"),
                    LineRead::SaslCommand => "sasl".to_owned(),
                    LineRead::Extension { verb } => format!("extension {verb}"),
                    LineRead::AuthAnswer {
                        decoded,
                        not_base64,
                        base64_in_clear,
                        ..
                    } => format!(
                        "auth answer {decoded:?}{}{}",
                        if *not_base64 { ", not base64" } else { "" },
                        if *base64_in_clear { ", in clear" } else { "" }
                    ),
                    LineRead::Message(_) => "message".to_owned(),
                    LineRead::Imap {
                        mistakes,
                        refused_in,
                        ..
                    } => format!("imap {mistakes:?} {refused_in:?}"),
                    LineRead::ImapLiteral => "literal".to_owned(),
                };
                let id = id.map_or(0, |i| i.0);
                format!("C#{id} {text}: {read}")
            })
            .collect(),
        EventKind::Received {
            parsed,
            answers,
            read,
        } => {
            let raw = String::from_utf8_lossy(parsed.raw());
            let first = raw.lines().next().unwrap_or_default().to_owned();
            let answers = match answers {
                Answers::Request(id) => format!("#{}", id.0),
                Answers::Late(id) => format!("late #{}", id.0),
                Answers::Unasked => "unasked".to_owned(),
                Answers::InOrder => "in order".to_owned(),
            };
            let read = match read {
                Some(r) => {
                    // The outcome's variant name: `Smtp(Closing { .. })` is "Closing".
                    let outcome = format!("{:?}", r.outcome);
                    let outcome = outcome
                        .split_once('(')
                        .map_or("", |(_, inner)| inner)
                        .split(['(', '{', ')', ' '])
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    format!("{:?} {outcome}", r.context.answers)
                }
                None => "not folded".to_owned(),
            };
            vec![format!("S {first} -> {answers}: {read}")]
        }
        EventKind::Finished {
            id,
            finish,
            unanswered,
        } => {
            let finish = match finish {
                Finish::Answered => "answered",
                Finish::TimedOut { .. } => "timed out",
                Finish::Invalid { .. } => "invalid",
                Finish::Closed => "closed",
                Finish::Rejected(_) => "rejected",
            };
            vec![format!("F#{} {finish}, {unanswered} unanswered", id.0)]
        }
        EventKind::State(_) | EventKind::Connected { .. } => Vec::new(),
        other => vec![format!("{other:?}")],
    }
}

/// Runs a table, the server's bytes of each step cut by `split`; the report, and the
/// connection at the end.
fn run(
    protocol: Protocol,
    steps: &[Step],
    split: &dyn Fn(&[u8]) -> Vec<Vec<u8>>,
) -> (Vec<String>, Connection<u64>) {
    let t0 = Instant::now();
    let addr = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 25);
    let mut c: Connection<u64> = Connection::new(protocol);
    c.connected(addr, addr);
    let mut next = 0u64;
    let mut out = Vec::new();
    let wait = |c: &mut Connection<u64>, id: u64, replies: usize| {
        if replies > 0 {
            c.wait_for(RequestId(id), replies, t0 + Duration::from_secs(30), id);
        } else {
            c.finished(RequestId(id), Finish::Answered, 0);
        }
    };
    for step in steps {
        match step {
            Step::Send(bytes, replies) => {
                next += 1;
                c.sent(Some(RequestId(next)), bytes.as_bytes(), false, &[]);
                wait(&mut c, next, *replies);
            }
            Step::Typed(cmd) => {
                next += 1;
                let wire = cmd.to_wire().unwrap_or_default();
                c.sent(
                    Some(RequestId(next)),
                    &wire,
                    false,
                    &[Typed::Smtp(cmd.clone())],
                );
                wait(&mut c, next, 1);
            }
            Step::Recv(bytes) => {
                for chunk in split(bytes.as_bytes()) {
                    c.receive(&chunk);
                    while let Some(h) = c.next_response() {
                        if let Some(done) = h.ended {
                            let finish = if done.remaining > 0 {
                                Finish::Invalid {
                                    what: String::new(),
                                }
                            } else {
                                Finish::Answered
                            };
                            c.finished(done.id, finish, done.remaining);
                        }
                    }
                }
            }
            Step::At(secs) => {
                for w in c.expire(t0 + Duration::from_secs(*secs)) {
                    c.finished(w.id, Finish::TimedOut { secs: 30 }, w.remaining);
                }
            }
        }
        while let Some(k) = c.poll_event() {
            out.extend(describe(&k));
        }
    }
    (out, c)
}

/// A way to cut bytes into the pieces a socket read returns.
type Split = Box<dyn Fn(&[u8]) -> Vec<Vec<u8>>>;

/// Cuts of the same bytes: whole, one byte at a time, and pseudo-random pieces of 1–7 bytes.
fn splits() -> Vec<Split> {
    let mut all: Vec<Split> = vec![
        Box::new(|b: &[u8]| vec![b.to_vec()]),
        Box::new(|b: &[u8]| b.chunks(1).map(<[u8]>::to_vec).collect()),
    ];
    for seed in [7u64, 1234, 99_999] {
        all.push(Box::new(move |b: &[u8]| {
            let mut state = seed.wrapping_add(b.len() as u64);
            let mut out = Vec::new();
            let mut rest = b;
            while !rest.is_empty() {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                let n = ((state >> 33) % 7 + 1) as usize;
                let (head, tail) = rest.split_at(n.min(rest.len()));
                out.push(head.to_vec());
                rest = tail;
            }
            out
        }));
    }
    all
}

/// The report of a table, the same in every chunking.
fn report(protocol: Protocol, steps: &[Step]) -> (Vec<String>, Connection<u64>) {
    let all = splits();
    let (first, c) = run(protocol, steps, &all[0]);
    for split in &all[1..] {
        let (other, _) = run(protocol, steps, split);
        assert_eq!(first, other, "the report depends on how the bytes were cut");
    }
    (first, c)
}

#[test]
fn a_command_sent_before_the_greeting_waits_for_its_own_reply() {
    use Step::*;
    let (out, c) = report(
        Protocol::Smtp,
        &[
            Send("EHLO me\r\n", 1),
            Recv("220 mx.example.com ESMTP\r\n250-mx.example.com\r\n250 PIPELINING\r\n"),
        ],
    );
    assert_eq!(
        out,
        [
            "C#1 EHLO me: command",
            "S 220 mx.example.com ESMTP -> unasked: Greeting Greeting",
            "S 250-mx.example.com -> #1: Ehlo Hello",
            "F#1 answered, 0 unanswered",
        ]
    );
    assert!(c.smtp().capabilities().is_some_and(|caps| caps.pipelining));
    assert_eq!(c.smtp().awaiting_replies(), 0);
}

#[test]
fn a_reply_after_a_timeout_is_late_and_the_next_command_gets_its_own() {
    use Step::*;
    let (out, c) = report(
        Protocol::Smtp,
        &[
            Recv("220 mx\r\n"),
            Send("NOOP\r\n", 1),
            At(31),
            Recv("250 2.0.0 slow ok\r\n"),
            Send("RSET\r\n", 1),
            Recv("250 2.0.0 reset\r\n"),
        ],
    );
    assert_eq!(
        out,
        [
            "S 220 mx -> unasked: Greeting Greeting",
            "C#1 NOOP: command",
            "F#1 timed out, 1 unanswered",
            "S 250 2.0.0 slow ok -> late #1: not folded",
            "C#2 RSET: command",
            "S 250 2.0.0 reset -> #2: Rset Reset",
            "F#2 answered, 0 unanswered",
        ]
    );
    assert_eq!(c.smtp().awaiting_replies(), 0);
}

#[test]
fn a_line_that_is_no_reply_ends_its_request_and_the_next_pairs_right() {
    use Step::*;
    let (out, _) = report(
        Protocol::Smtp,
        &[
            Recv("220 mx\r\n"),
            Send("HELO me\r\n", 1),
            Recv("hello there\r\n"),
            Send("MAIL FROM:<a@example.com>\r\n", 1),
            Recv("250 2.1.0 Ok\r\n"),
        ],
    );
    assert_eq!(out[1], "C#1 HELO me: command");
    assert!(
        out[2].starts_with("S hello there -> #1: not folded"),
        "{out:?}"
    );
    assert_eq!(out[3], "F#1 invalid, 1 unanswered");
    assert_eq!(out[5], "S 250 2.1.0 Ok -> #2: Mail SenderAccepted");
}

#[test]
fn an_unasked_421_closes_and_nothing_waits_after_it() {
    use Step::*;
    let (out, c) = report(
        Protocol::Smtp,
        &[
            Recv("220 mx\r\n"),
            Send("EHLO me\r\n", 1),
            Recv("250 mx\r\n421 4.4.2 mx Error: timeout exceeded\r\n"),
        ],
    );
    assert_eq!(out[3], "F#1 answered, 0 unanswered");
    assert_eq!(
        out[4],
        "S 421 4.4.2 mx Error: timeout exceeded -> unasked: None Closing"
    );
    assert_eq!(c.smtp().awaiting_replies(), 0);
}

/// A greeting that comes after a command went out answers none of the commands waiting;
/// a refusing one (421) ends the session, and the command waits for nothing more.
#[test]
fn a_late_refusing_greeting_ends_what_waits() {
    use Step::*;
    let (out, c) = report(
        Protocol::Smtp,
        &[
            Send("EHLO me\r\n", 1),
            Recv("421 4.3.2 Service not available, too busy\r\n"),
        ],
    );
    assert_eq!(
        out[1],
        "S 421 4.3.2 Service not available, too busy -> unasked: Greeting Closing"
    );
    assert_eq!(c.smtp().awaiting_replies(), 0);
    // A 220 greeting after a command leaves the command waiting for its own reply.
    let (_, c) = report(
        Protocol::Smtp,
        &[Send("EHLO me\r\n", 1), Recv("220 mx\r\n")],
    );
    assert_eq!(c.smtp().awaiting_replies(), 1);
}

#[test]
fn auth_answers_are_read_as_answers_and_the_password_is_a_secret() {
    use Step::*;
    let (out, _) = report(
        Protocol::Smtp,
        &[
            Recv("220 mx\r\n"),
            Send("EHLO me\r\n", 1),
            Recv("250-mx\r\n250 AUTH LOGIN PLAIN\r\n"),
            Send("AUTH LOGIN\r\n", 1),
            Recv("334 VXNlcm5hbWU6\r\n"),
            Send("c3R1ZGVudA==\r\n", 1),
            Recv("334 UGFzc3dvcmQ6\r\n"),
            Send("c2VjcmV0\r\n", 1),
            Recv("235 2.7.0 Authentication successful\r\n"),
        ],
    );
    let sent: Vec<&String> = out.iter().filter(|l| l.starts_with('C')).collect();
    assert_eq!(sent[2], "C#3 c3R1ZGVudA==: auth answer Some(\"student\")");
    assert_eq!(
        sent[3],
        "C#4 <secret>: auth answer Some(\"secret\"), in clear"
    );
    assert!(
        out.iter()
            .any(|l| l == "S 235 2.7.0 Authentication successful -> #4: AuthData AuthSucceeded"),
        "{out:?}"
    );
}

#[test]
fn the_message_after_354_is_message_text_until_the_dot() {
    use Step::*;
    let (out, c) = report(
        Protocol::Smtp,
        &[
            Recv("220 mx\r\n"),
            Typed(SmtpCommand::Data),
            Recv("354 End data with <CR><LF>.<CR><LF>\r\n"),
            Send("Subject: hi\r\n\r\nQUIT\r\n..dot\r\n.\r\n", 1),
            Recv("250 2.0.0 Ok: queued as 1\r\n"),
        ],
    );
    assert_eq!(out[1], "C#1 DATA: command");
    for (i, text) in ["Subject: hi", "", "QUIT", "..dot", "."].iter().enumerate() {
        assert_eq!(out[4 + i], format!("C#2 {text}: message"), "{out:?}");
    }
    assert_eq!(
        out[9],
        "S 250 2.0.0 Ok: queued as 1 -> #2: Dot MessageQueued"
    );
    assert!(!c.smtp().in_data());
}

/// A command outside the standard set is an extension where the server offered it or it is
/// a private X-command, and unknown otherwise.
#[test]
fn extension_commands_are_not_unknown_commands() {
    use Step::*;
    let (out, _) = report(
        Protocol::Smtp,
        &[
            Recv("220 mx\r\n"),
            Send("EHLO me\r\n", 1),
            Recv("250-mx\r\n250-ETRN\r\n250 XCLIENT ADDR NAME\r\n"),
            Send("ETRN example.com\r\n", 1),
            Send("XCLIENT ADDR=192.0.2.1\r\n", 1),
            Send("XYZZY\r\n", 1),
            Send("FOO bar\r\n", 1),
        ],
    );
    let sent: Vec<&String> = out.iter().filter(|l| l.starts_with("C#")).collect();
    assert_eq!(sent[1], "C#2 ETRN example.com: extension ETRN");
    assert_eq!(sent[2], "C#3 XCLIENT ADDR=192.0.2.1: extension XCLIENT");
    assert_eq!(sent[3], "C#4 XYZZY: extension XYZZY");
    assert_eq!(sent[4], "C#5 FOO bar: not a command (None)");
}

#[test]
fn a_typed_command_reads_as_the_same_line_parsed() {
    use Step::*;
    let typed = report(
        Protocol::Smtp,
        &[Recv("220 mx\r\n"), Typed(SmtpCommand::Helo("me".into()))],
    );
    let parsed = report(
        Protocol::Smtp,
        &[Recv("220 mx\r\n"), Send("HELO me\r\n", 1)],
    );
    assert_eq!(typed.0, parsed.0);
    assert_eq!(typed.1.state(), parsed.1.state());
}

#[test]
fn pop3_bodies_are_framed_in_any_chunking() {
    use Step::*;
    let (out, c) = report(
        Protocol::Pop3,
        &[
            Send("USER student\r\n", 1),
            Recv("+OK POP3 ready\r\n+OK\r\n"),
            Send("PASS secret\r\n", 1),
            Recv("+OK Logged in\r\n"),
            Send("LIST\r\n", 1),
            Recv("+OK 1 messages\r\n1 120\r\n.\r\n"),
            Send("RETR 1\r\n", 1),
            Recv("+OK 120 octets\r\nSubject: hi\r\n\r\n..a dot\r\n.\r\n"),
            Send("DELE 1\r\n", 1),
            Recv("+OK deleted\r\n"),
        ],
    );
    assert_eq!(out[0], "C#1 USER student: command");
    assert_eq!(out[1], "S +OK POP3 ready -> unasked: Greeting Greeting");
    assert_eq!(out[4], "C#2 <secret>: command");
    let retr = out.iter().position(|l| l == "C#4 RETR 1: command");
    let retr = retr.unwrap_or_else(|| panic!("{out:?}"));
    assert!(
        out[retr + 1].starts_with("S +OK 120 octets -> #4: Retr"),
        "{out:?}"
    );
    assert!(
        out[retr + 4].starts_with("S +OK deleted -> #5: Dele"),
        "{out:?}"
    );
    assert!(c.pop3().is_deleted(1));
}

#[test]
fn pop3_sasl_answers_are_secrets_not_commands() {
    use Step::*;
    let (out, _) = report(
        Protocol::Pop3,
        &[
            Recv("+OK ready\r\n"),
            Send("AUTH PLAIN\r\n", 1),
            Recv("+ \r\n"),
            Send("AHN0dWRlbnQAc2VjcmV0\r\n", 1),
            Recv("+OK Logged in\r\n"),
            Send("STAT\r\n", 1),
            Recv("+OK 0 0\r\n"),
        ],
    );
    assert_eq!(out[1], "C#1 AUTH PLAIN: sasl");
    assert!(
        out[4].starts_with("C#2 <secret>: auth answer Some("),
        "{out:?}"
    );
    assert!(
        out.iter().any(|l| l.starts_with("S +OK 0 0 -> #3: Stat")),
        "{out:?}"
    );
}

/// The observer (a pasted log) pairs replies with the lines before them in order and reads
/// the lines as a live session does.
#[test]
fn an_observer_reads_a_log_as_the_live_connection_does() {
    let mut c: Connection<()> = Connection::observer(Protocol::Smtp);
    c.observe_server(b"220 mx\r\n");
    c.sent(None, b"HELO me\r\n", false, &[]);
    c.observe_server(b"250 mx\r\n");
    c.sent(None, b"MAIL FROM:<a@example.com>\r\n", false, &[]);
    c.observe_server(b"550 5.7.1 Relaying denied\r\n");
    let mut out = Vec::new();
    while let Some(k) = c.poll_event() {
        out.extend(describe(&k));
    }
    assert_eq!(
        out,
        [
            "S 220 mx -> in order: Greeting Greeting",
            "C#0 HELO me: command",
            "S 250 mx -> in order: Helo Hello",
            "C#0 MAIL FROM:<a@example.com>: command",
            "S 550 5.7.1 Relaying denied -> in order: Mail Refused",
        ]
    );
}

/// IMAP through the one connection: untagged data stays with the command in flight and the
/// tagged completion ends it; a `+` ends a request that asked for more; an untagged BAD
/// answers the line sent without a tag; a literal's bytes are read as such.
#[test]
fn imap_responses_end_the_request_their_tag_or_plus_ends() {
    use crate::proto::imap::ImapState;
    let t0 = Instant::now();
    let later = t0 + Duration::from_secs(30);
    let mut c: Connection<()> = Connection::new(Protocol::Imap);
    c.connected(addr(), addr());
    c.receive(b"* OK [CAPABILITY IMAP4rev1 LOGINDISABLED] ready\r\n");
    let greeting = c.next_response().expect("greeting");
    assert_eq!(greeting.answers, Answers::Unasked);
    assert!(c.state().imap.login_disabled);
    // SELECT's data, split anywhere, stays with it until its completion.
    c.sent(Some(RequestId(1)), b"a1 LOGIN alice pw\r\n", true, &[]);
    c.wait_for(RequestId(1), 1, later, ());
    c.receive(b"a1 OK done\r\n");
    assert!(c.next_response().and_then(|h| h.ended).is_some());
    c.sent(Some(RequestId(2)), b"a2 SELECT INBOX\r\n", false, &[]);
    c.wait_for(RequestId(2), 1, later, ());
    let bytes = b"* 2 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\na2 OK [READ-WRITE] done\r\n";
    for chunk in bytes.chunks(5) {
        c.receive(chunk);
    }
    let mut ended = None;
    let mut count = 0;
    while let Some(h) = c.next_response() {
        count += 1;
        assert_eq!(h.answers, Answers::Request(RequestId(2)));
        if let Some(e) = h.ended {
            ended = Some(e);
        }
    }
    assert_eq!(count, 3);
    assert_eq!(
        ended.map(|e| e.got.len()),
        Some(3),
        "the data comes with the completion"
    );
    let st = c.state();
    assert_eq!(st.imap.exists, Some(2));
    assert!(matches!(st.imap.state, ImapState::Selected { .. }));
    // A line without a tag: the untagged BAD answers it.
    c.sent(Some(RequestId(3)), b"FETCH 1 FLAGS\r\n", false, &[]);
    c.wait_for(RequestId(3), 1, later, ());
    c.receive(b"* BAD Missing tag\r\n");
    assert!(c.next_response().and_then(|h| h.ended).is_some());
    // A literal: the `+` ends the command's request, and the next line is its bytes.
    c.sent(Some(RequestId(4)), b"a4 SEARCH SUBJECT {5}\r\n", false, &[]);
    c.wait_for(RequestId(4), 1, later, ());
    c.receive(b"+ Ready for literal data\r\n");
    assert!(c.next_response().and_then(|h| h.ended).is_some());
    c.sent(Some(RequestId(5)), b"hello\r\n", false, &[]);
    let mut reads = Vec::new();
    while let Some(e) = c.poll_event() {
        if let EventKind::Sent { lines, .. } = e {
            reads.extend(lines.into_iter().map(|l| (l.secret, l.read)));
        }
    }
    assert!(reads[0].0, "LOGIN's line is a secret");
    assert!(matches!(&reads[2].1, LineRead::Imap { mistakes, .. } if !mistakes.is_empty()));
    assert_eq!(reads.last().map(|r| &r.1), Some(&LineRead::ImapLiteral));
}

fn addr() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 143)
}
