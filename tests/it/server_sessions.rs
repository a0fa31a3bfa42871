//! The practice server's SMTP and POP3 sessions as plain values, with no socket and no disk:
//! they ask for store work and wait for its answer before reading on.

use std::sync::Arc;

use mailtutor::server::maildir::StoredMessage;
use mailtutor::server::pop3::Pop3ServerSession;
use mailtutor::server::smtp::SmtpServerSession;
use mailtutor::server::{
    Accounts, Context, Faults, Limits, LiveAccounts, LivePolicy, Output, ServerSession,
    StoreRequest, StoreResult,
};

fn context() -> Arc<Context> {
    Arc::new(Context {
        hostname: "mail.mailtutor.test".into(),
        accounts: LiveAccounts::new(Accounts::default()),
        limits: Limits::default(),
        policy: LivePolicy::default(),
        faults: Faults::default(),
        tls_available: false,
    })
}

fn replies(out: &[Output]) -> Vec<String> {
    out.iter()
        .filter_map(|o| match o {
            Output::Reply(b) | Output::QuietReply(b) => Some(String::from_utf8_lossy(b).into()),
            _ => None,
        })
        .collect()
}

const PIPELINED_SEND: &[u8] = b"EHLO me\r\nMAIL FROM:<student@mailtutor.test>\r\n\
RCPT TO:<teacher@mailtutor.test>\r\nDATA\r\nSubject: hi\r\n\r\n..dot\r\n.\r\nQUIT\r\n";

#[test]
fn a_message_goes_to_the_store_and_the_250_waits_for_its_answer() {
    let mut s = SmtpServerSession::new(context(), "192.0.2.1:4000".into(), false);
    s.greeting();
    let out = s.ingest(PIPELINED_SEND);
    let Some(Output::Store(StoreRequest::Deliver {
        recipients,
        message,
        ..
    })) = out.last()
    else {
        panic!("no delivery asked for: {out:?}");
    };
    assert_eq!(recipients, &["teacher@mailtutor.test".to_string()]);
    assert!(message.starts_with(b"Received: from me"));
    assert!(message.ends_with(b"Subject: hi\r\n\r\n.dot\r\n"));
    // Neither the 250 nor the QUIT pipelined behind the message is answered yet.
    let said = replies(&out).concat();
    assert!(said.contains("354 "), "{said}");
    assert!(
        !said.contains("250 2.0.0") && !said.contains("221"),
        "{said}"
    );

    let out = s.store_done(StoreResult::Delivered(Ok(())));
    let said = replies(&out);
    assert!(said[0].starts_with("250 2.0.0 Ok: queued as"), "{said:?}");
    assert!(said[1].starts_with("221 "), "{said:?}");
    assert_eq!(out.last(), Some(&Output::Close));
}

#[test]
fn a_failed_delivery_is_a_451_and_never_a_250() {
    let mut s = SmtpServerSession::new(context(), "192.0.2.1:4000".into(), false);
    s.greeting();
    let out = s.ingest(PIPELINED_SEND);
    assert!(matches!(out.last(), Some(Output::Store(_))));
    let said = replies(&s.store_done(StoreResult::Delivered(Err("disk full".into())))).concat();
    assert!(said.starts_with("451 4.3.0"), "{said}");
    assert!(!said.contains("250 2.0.0"), "{said}");
}

fn stored(n: usize) -> Vec<StoredMessage> {
    (1..=n)
        .map(|i| StoredMessage {
            uid: format!("m{i}"),
            path: format!("/nonexistent/m{i}").into(),
            size: 10,
        })
        .collect()
}

#[test]
fn pop3_asks_the_store_to_open_read_and_commit() {
    let mut s = Pop3ServerSession::new(context(), false);
    s.greeting();
    let out = s.ingest(b"USER student@mailtutor.test\r\nPASS secret\r\nSTAT\r\n");
    assert_eq!(
        out.last(),
        Some(&Output::Store(StoreRequest::Open {
            address: "student@mailtutor.test".into()
        }))
    );
    let said = replies(&s.store_done(StoreResult::Opened(Ok(Some(stored(2)))))).concat();
    assert!(
        said.contains("+OK Logged in, 2 messages (20 octets)"),
        "{said}"
    );
    assert!(
        said.contains("+OK 2 20"),
        "the pipelined STAT waited: {said}"
    );

    let out = s.ingest(b"TOP 1 0\r\nDELE 1\r\n");
    assert_eq!(
        out.last(),
        Some(&Output::Store(StoreRequest::Read(stored(1).remove(0))))
    );
    let said =
        replies(&s.store_done(StoreResult::Read(Ok(b"A: 1\r\n\r\nbody\r\n".to_vec())))).concat();
    assert!(
        said.starts_with("+OK Top of message 1 follows\r\nA: 1\r\n\r\n.\r\n"),
        "{said}"
    );
    assert!(said.contains("+OK Message 1 marked for deletion"), "{said}");

    let out = s.ingest(b"QUIT\r\n");
    assert_eq!(
        out.last(),
        Some(&Output::Store(StoreRequest::Commit {
            delete: stored(1),
            seen: Vec::new()
        }))
    );
    let out = s.store_done(StoreResult::Committed {
        removed: 1,
        failed: 0,
    });
    assert!(
        replies(&out)
            .concat()
            .starts_with("+OK Logging out, 1 message deleted")
    );
    assert_eq!(out.last(), Some(&Output::Close));
}

#[test]
fn a_locked_maildrop_is_in_use() {
    let mut s = Pop3ServerSession::new(context(), false);
    s.greeting();
    s.ingest(b"USER student@mailtutor.test\r\nPASS secret\r\n");
    let said = replies(&s.store_done(StoreResult::Opened(Ok(None)))).concat();
    assert!(said.starts_with("-ERR [IN-USE]"), "{said}");
    let said = replies(&s.ingest(b"STAT\r\n")).concat();
    assert!(said.starts_with("-ERR Not logged in"), "{said}");
}

/// What PuTTY 0.78 sends when its connection type is Telnet, recorded from the wire before
/// the first line typed: IAC WILL NAWS, WILL TSPEED, WILL TTYPE, WILL NEW-ENVIRON, DO ECHO,
/// WILL SGA, DO SGA.
const PUTTY_TELNET: &[u8] =
    b"\xff\xfb\x1f\xff\xfb \xff\xfb\x18\xff\xfb'\xff\xfd\x01\xff\xfb\x03\xff\xfd\x03";

fn with_putty(line: &[u8]) -> Vec<u8> {
    [PUTTY_TELNET, line].concat()
}

/// A Telnet client's negotiation in front of the first command is named in the reply, the
/// command is not run, and the same command typed again works; a password behind it is masked.
#[test]
fn telnet_negotiation_before_a_command_is_named_and_the_command_can_be_typed_again() {
    let mut s = SmtpServerSession::new(context(), "192.0.2.1:4000".into(), false);
    s.greeting();
    let said = replies(&s.ingest(&with_putty(b"EHLO lab-pc\r\n"))).concat();
    assert!(said.starts_with("500 5.5.2 "), "{said}");
    for want in [
        "IAC WILL NAWS, IAC WILL TSPEED, IAC WILL TTYPE, IAC WILL NEW-ENVIRON, IAC DO ECHO, IAC WILL SGA, IAC DO SGA",
        "\"EHLO lab-pc\"",
        "not Telnet",
        "Raw",
    ] {
        assert!(said.contains(want), "{want:?} not in {said}");
    }
    assert!(said.is_ascii(), "{said}");
    let said = replies(&s.ingest(b"EHLO lab-pc\r\n")).concat();
    assert!(said.starts_with("250-"), "{said}");

    let mut p = Pop3ServerSession::new(context(), false);
    p.greeting();
    let out = p.ingest(&with_putty(b"PASS hunter2\r\n"));
    let said = replies(&out).concat();
    assert!(
        said.starts_with("-ERR Telnet negotiation (IAC WILL NAWS"),
        "{said}"
    );
    assert!(
        said.contains("speaks POP3") && said.contains("PASS ****"),
        "{said}"
    );
    assert!(!format!("{out:?}").contains("hunter2"), "{out:?}");
    let said = replies(&p.ingest(&with_putty(b"USER teacher@mailtutor.test\r\n"))).concat();
    assert!(said.contains("\"USER teacher@mailtutor.test\""), "{said}");
    let said = replies(&p.ingest(b"USER teacher@mailtutor.test\r\n")).concat();
    assert!(said.starts_with("+OK"), "{said}");
}

/// The IMAP session's log masks LOGIN's password and AUTHENTICATE's credentials whether or not
/// the student typed a tag, and in a literal; the replies never echo them either.
#[test]
fn imap_passwords_never_reach_the_log() {
    use mailtutor::server::imap::ImapServerSession;
    for typed in [
        &b"LOGIN teacher@mailtutor.test hunter2\r\n"[..],
        b"a1 LOGIN teacher@mailtutor.test hunter2\r\n",
        b"a1 login \"teacher@mailtutor.test\" \"hunter2\"\r\n",
        b"a1 LOGIN teacher@mailtutor.test {7}\r\nhunter2\r\n",
        b"a1 AUTHENTICATE PLAIN AHRlYWNoZXJAbWFpbHR1dG9yLnRlc3QAaHVudGVyMg==\r\n",
        b"a1 AUTHENTICATE PLAIN\r\nAHRlYWNoZXJAbWFpbHR1dG9yLnRlc3QAaHVudGVyMg==\r\n",
    ] {
        let mut s = ImapServerSession::new(context(), false);
        s.greeting();
        let out = s.ingest(typed);
        let all = format!("{out:?}");
        assert!(!all.contains("hunter2"), "{all}");
        assert!(!all.contains("aHVudGVyMg"), "{all}");
        assert!(all.contains("********"), "{all}");
    }
}

#[test]
fn an_auth_line_with_its_answer_is_logged_once() {
    for line in [
        &b"AUTH PLAIN AHN0dWRlbnRAbWFpbHR1dG9yLnRlc3QAc2VjcmV0\r\n"[..],
        b"AUTH LOGIN c3R1ZGVudEBtYWlsdHV0b3IudGVzdA==\r\n",
    ] {
        let mut s = SmtpServerSession::new(context(), "192.0.2.1:4000".into(), false);
        s.greeting();
        s.ingest(b"EHLO me\r\n");
        let out = s.ingest(line);
        let logged: Vec<&String> = out
            .iter()
            .filter_map(|o| match o {
                Output::Log(mailtutor::server::Side::Client, text) => Some(text),
                _ => None,
            })
            .collect();
        assert_eq!(logged.len(), 1, "{logged:?}");
        assert!(logged[0].starts_with("AUTH "), "{logged:?}");
        assert!(!logged[0].contains("c2VjcmV0"), "{logged:?}");
    }
}
