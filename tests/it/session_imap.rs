//! The window's IMAP client (the network thread and the one client connection) against the
//! practice server on port 0: tags, untagged data grouped under its command, STARTTLS and
//! implicit TLS, AUTHENTICATE's continuation, IDLE's news, and the mistakes a student types.
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::time::{Duration, Instant};

use common::TestServer;
use mailtutor::proto::Lang;
use mailtutor::proto::imap::{ImapCommand, ImapState, ResponseKind, StoreMode};
use mailtutor::proto::message::{Draft, Mailbox};
use mailtutor::session::send::{AuthMechanism, Credentials, SendPlan, send_mail};
use mailtutor::session::{
    ConnectOptions, Event, EventKind, Protocol, Response, Security, Session, Target, wait,
};
use mailtutor::transcript::Transcript;

const USER: &str = "teacher@mailtutor.test";

fn options(t: &TestServer, protocol: Protocol) -> ConnectOptions {
    let mut o = ConnectOptions::new(protocol);
    o.trust.pinned.push(t.server.fingerprint.clone());
    o.reply_timeout = Duration::from_secs(10);
    o
}

fn connect(t: &TestServer, port: u16, security: Security) -> Session {
    wait(Session::connect(
        Target::new("localhost", port),
        security,
        options(t, Protocol::Imap),
    ))
    .unwrap_or_else(|e| panic!("connect failed: {e}"))
}

/// Sends one message to the teacher by SMTP.
fn deliver(t: &TestServer, subject: &str) {
    let s = wait(Session::connect(
        Target::new("localhost", t.smtp().port()),
        Security::StartTls,
        options(t, Protocol::Smtp),
    ))
    .unwrap();
    let draft = Draft {
        from: Mailbox::parse("student@mailtutor.test").unwrap_or_default(),
        to: vec![Mailbox::parse(USER).unwrap_or_default()],
        subject: subject.into(),
        body: "Hello over IMAP.\n".into(),
        ..Draft::default()
    };
    let plan = SendPlan {
        ehlo: "lab-pc".into(),
        auth: Some(Credentials {
            mechanism: AuthMechanism::Plain,
            user: "student@mailtutor.test".into(),
            password: "secret".into(),
        }),
        from: "student@mailtutor.test".into(),
        to: vec![USER.into()],
        payload: draft.to_data_payload().unwrap_or_default(),
        pipelining: false,
    };
    send_mail(&s, &plan, Duration::from_secs(10), |_| {}).unwrap();
}

fn drain(s: &Session, t: &mut Transcript) {
    while let Some(e) = s.next_event(Duration::from_millis(100)) {
        t.apply(&e);
    }
}

fn until(s: &Session, t: &mut Transcript, pred: impl Fn(&Event) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Some(e) = s.next_event(Duration::from_millis(50)) {
            t.apply(&e);
            if pred(&e) {
                return;
            }
        }
    }
    panic!("event never came:\n{}", t.export_annotated(Lang::En, false));
}

/// The responses one command got: its untagged data, then its completion.
fn ask(s: &Session, cmd: &ImapCommand) -> Vec<Response> {
    let got = wait(s.imap(cmd)).unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    let last = got.last().and_then(Response::imap).expect("a response");
    assert!(
        last.kind != ResponseKind::Untagged,
        "{cmd:?} ended on untagged data"
    );
    got
}

fn text(t: &Transcript, lang: Lang) -> String {
    (0..t.entries().len())
        .map(|i| t.render_entry_with(i, lang, false, true))
        .collect()
}

#[test]
fn a_mailbox_read_through_the_engine_over_starttls() {
    let t = TestServer::start();
    deliver(&t, "first");
    let stored = t.stored(USER).remove(0);
    let s = connect(&t, t.imap().port(), Security::StartTls);
    let mut tr = Transcript::new(Protocol::Imap);
    let login = ImapCommand::Login {
        user: USER.into(),
        password: "secret".into(),
    };
    assert!(ask(&s, &login).last().unwrap().is_positive());
    let select = ask(&s, &ImapCommand::Select("INBOX".into()));
    // SELECT's untagged data (FLAGS, EXISTS, UIDVALIDITY …) came with it, the OK last.
    assert!(select.len() >= 4, "{select:?}");
    assert!(
        select
            .iter()
            .any(|r| r.imap().unwrap().data.as_deref() == Some("EXISTS"))
    );
    let fetched = ask(
        &s,
        &ImapCommand::Fetch {
            set: "1".into(),
            items: "BODY[]".into(),
            uid: false,
        },
    );
    let data = fetched[0].raw();
    assert!(
        data.windows(stored.len()).any(|w| w == stored.as_slice()),
        "the literal holds the stored message"
    );
    let store = ImapCommand::Store {
        set: "1".into(),
        mode: StoreMode::Add,
        flags: vec!["\\Deleted".into()],
        silent: false,
        uid: false,
    };
    assert!(ask(&s, &store).last().unwrap().is_positive());
    ask(&s, &ImapCommand::Expunge);
    ask(&s, &ImapCommand::Logout);
    drain(&s, &mut tr);
    let en = text(&tr, Lang::En);
    // The connect-time STARTTLS has its own tag; the window's commands are numbered after it.
    assert!(en.contains("C: a0 STARTTLS"), "{en}");
    assert!(en.contains("LOGIN teacher@mailtutor.test ********"), "{en}");
    assert!(!en.contains("secret"), "{en}");
    assert!(en.contains("Now in mailbox INBOX"), "{en}");
    assert!(en.contains("Now logged out") || en.contains("Now "), "{en}");
    let zh = text(&tr, Lang::Zh);
    assert!(zh.contains("现在处于已选中邮箱 INBOX 的状态"), "{zh}");
    assert!(
        common::mailbox_files(&t.dir.0.join(USER).join("cur")).is_empty()
            && t.stored(USER).is_empty(),
        "EXPUNGE removed the message"
    );
    assert_eq!(tr.imap().state, ImapState::Logout);
    // The session's HTML page: the badges and the notes, the password masked, the literal
    // (a message) escaped.
    let header = mailtutor::html_export::Header {
        student: "Li Lei".into(),
        date: "2026-12-05".into(),
        lesson: None,
    };
    let page = mailtutor::html_export::transcript_html(&tr, Lang::En, false, &header);
    assert!(
        page.contains(">OK</span>") && page.contains(">*</span>"),
        "badges"
    );
    assert!(page.contains("Now in mailbox INBOX"));
    assert!(page.contains("LOGIN teacher@mailtutor.test ********") && !page.contains("secret"));
    assert!(
        page.contains("&lt;student@mailtutor.test&gt;"),
        "the message is escaped"
    );
}

#[test]
fn authenticate_answers_the_continuation_and_idle_shows_new_mail() {
    let t = TestServer::start();
    let s = connect(&t, t.imaps().port(), Security::Implicit);
    let mut tr = Transcript::new(Protocol::Imap);
    let plus = ask(&s, &ImapCommand::AuthenticatePlain { initial: None });
    assert_eq!(
        plus.last().unwrap().imap().unwrap().kind,
        ResponseKind::Continuation
    );
    drain(&s, &mut tr);
    assert!(tr.imap().auth_answer_due);
    assert!(tr.is_secret_line("AHRlYWNoZXIAc2VjcmV0"));
    let b64 = mailtutor::proto::auth::plain_response(USER, "secret");
    let done = wait(s.auth_line(&b64, true)).unwrap();
    assert!(done.last().unwrap().is_positive(), "{done:?}");
    ask(&s, &ImapCommand::Select("INBOX".into()));
    let idle = ask(&s, &ImapCommand::Idle);
    assert_eq!(
        idle.last().unwrap().imap().unwrap().kind,
        ResponseKind::Continuation
    );
    drain(&s, &mut tr);
    deliver(&t, "during idle");
    until(&s, &mut tr, |e| {
        matches!(&e.kind, EventKind::Received { parsed, .. }
            if String::from_utf8_lossy(parsed.raw()).contains("* 1 EXISTS"))
    });
    assert!(tr.imap().idling, "{}", text(&tr, Lang::En));
    let ended = ask(&s, &ImapCommand::Done);
    assert!(ended.last().unwrap().is_positive());
    drain(&s, &mut tr);
    assert!(!tr.imap().idling);
    assert_eq!(tr.imap().exists, Some(1));
    let en = text(&tr, Lang::En);
    assert!(!en.contains(&b64), "the PLAIN answer is masked:\n{en}");
}

#[test]
fn typed_mistakes_are_answered_where_they_belong() {
    let t = TestServer::start();
    let s = connect(&t, t.imap().port(), Security::None);
    let mut tr = Transcript::new(Protocol::Imap);
    // No tag: the server's untagged BAD answers it, and the request ends.
    let r = wait(s.raw_line("LOGIN teacher@mailtutor.test secret", true, true)).unwrap();
    assert!(!r.last().unwrap().is_positive(), "{r:?}");
    // FETCH before a mailbox is selected.
    let r = wait(s.raw_line("a1 FETCH 1 FLAGS", true, false)).unwrap();
    assert!(!r.last().unwrap().is_positive(), "{r:?}");
    drain(&s, &mut tr);
    let en = text(&tr, Lang::En);
    assert!(en.contains("(!) "), "{en}");
    assert!(
        en.to_lowercase().contains("tag"),
        "the missing tag is named:\n{en}"
    );
    assert!(!en.contains("secret"), "{en}");
    assert_eq!(tr.imap().state, ImapState::NotAuthenticated);
}
