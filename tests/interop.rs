//! The engine against real Postfix and Dovecot on loopback, set up by `scripts/interop.sh`.
//! They are ignored unless asked for, so a run without the lab says "ignored" instead of
//! passing while doing nothing: `scripts/test.sh` runs them with `--ignored` when
//! MAILTUTOR_INTEROP is set (`.ci/run` does both).
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use mailtutor::proto::Lang;
use mailtutor::proto::message::{Draft, Mailbox};
use mailtutor::proto::pop3::Pop3Command;
use mailtutor::session::send::{AuthMechanism, Credentials, SendPlan, send_mail};
use mailtutor::session::{
    ConnectError, ConnectOptions, Protocol, Security, Session, Target, TlsFailure, wait,
};
use mailtutor::transcript::Transcript;

/// The lab has one mailbox: its tests take turns, so that one test's mail and deletions are
/// never in another's counts.
static LAB: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn lab_turn() -> std::sync::MutexGuard<'static, ()> {
    LAB.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

const USER: &str = "mtlab@lab.test";
const PASSWORD: &str = "labpass";
const CERT: &str = "/etc/mailtutor-lab/cert.pem";

/// SHA-256 fingerprint of the lab's self-signed certificate.
fn lab_fingerprint() -> String {
    let pem = std::fs::read(CERT).unwrap_or_else(|e| panic!("{CERT}: {e}"));
    let der = native_tls::Certificate::from_pem(&pem)
        .and_then(|c| c.to_der())
        .unwrap();
    mailtutor::cert::fingerprint(&der)
}

fn pinned(protocol: Protocol) -> ConnectOptions {
    let mut o = ConnectOptions::new(protocol);
    o.trust.pinned.push(lab_fingerprint());
    o
}

fn drain(s: &Session, t: &mut Transcript) {
    while let Some(e) = s.next_event(Duration::from_millis(100)) {
        t.apply(&e);
    }
}

/// The transcript as `send --verbose` prints it: each explanation, then the details.
fn verbose(t: &Transcript) -> String {
    (0..t.entries().len())
        .map(|i| t.render_entry_with(i, Lang::En, false, true))
        .collect()
}

fn pop3(s: &Session, t: &mut Transcript, line: &str) -> mailtutor::session::Response {
    let cmd = Pop3Command::parse(line).unwrap();
    let r = wait(s.pop3(&cmd)).unwrap_or_else(|e| panic!("{line}: {e}"));
    drain(s, t);
    r.into_iter()
        .next()
        .unwrap_or_else(|| panic!("{line}: no response"))
}

#[test]
#[ignore = "needs the Postfix and Dovecot lab: scripts/interop.sh, then MAILTUTOR_INTEROP=1 scripts/test.sh"]
fn send_through_postfix_and_read_back_through_dovecot() {
    let _turn = lab_turn();
    // Verified by default: Postfix's self-signed certificate is refused until pinned.
    let refused = wait(Session::connect(
        Target::new("127.0.0.1", 25),
        Security::StartTls,
        ConnectOptions::new(Protocol::Smtp),
    ));
    assert!(matches!(
        refused.err().map(|f| f.error),
        Some(ConnectError::Tls {
            reason: TlsFailure::SelfSigned,
            fingerprint: Some(_),
            ..
        })
    ));

    let subject = format!("interop {}", std::process::id());
    let draft = Draft {
        from: Mailbox::parse(USER).unwrap_or_default(),
        to: vec![Mailbox::parse(USER).unwrap_or_default()],
        subject: subject.clone(),
        body: "Through Postfix.\n.a dotted line\n".into(),
        ..Draft::default()
    };
    let plan = SendPlan {
        ehlo: "mailtutor-test".into(),
        auth: Some(Credentials {
            mechanism: AuthMechanism::Login,
            user: USER.into(),
            password: PASSWORD.into(),
        }),
        from: USER.into(),
        to: vec![USER.into()],
        payload: draft.to_data_payload().unwrap_or_default(),
        pipelining: true,
    };
    let s = wait(Session::connect(
        Target::new("127.0.0.1", 25),
        Security::StartTls,
        pinned(Protocol::Smtp),
    ))
    .unwrap();
    let mut t = Transcript::new(Protocol::Smtp);
    let queued = send_mail(&s, &plan, Duration::from_secs(20), |e| t.apply(e))
        .unwrap_or_else(|e| panic!("{e}\n{}", t.export_annotated(Lang::En, false)));
    drain(&s, &mut t);
    let text = verbose(&t);
    println!("{text}");
    for want in [
        "C: STARTTLS",
        "S: 220 2.0.0 Ready to start TLS",
        "TLS established",
        "C: AUTH LOGIN",
        "base64 → \"Username:\"",
        "base64 → \"Password:\"",
        "C: ********",
        "S: 235 2.7.0 Authentication successful",
        "» Accepted: the server has taken responsibility for the message",
        "→ 250: the message is accepted and queued",
    ] {
        assert!(text.contains(want), "missing {want:?}");
    }
    assert!(queued.text().contains("queued as"));
    assert!(!text.contains(PASSWORD));

    // Dovecot, over STLS: wait for local delivery, then every command once.
    let deadline = Instant::now() + Duration::from_secs(20);
    let (p, mut t, n) = loop {
        let p = wait(Session::connect(
            Target::new("127.0.0.1", 110),
            Security::StartTls,
            pinned(Protocol::Pop3),
        ))
        .unwrap();
        let mut t = Transcript::new(Protocol::Pop3);
        pop3(&p, &mut t, &format!("USER {USER}"));
        assert!(pop3(&p, &mut t, &format!("PASS {PASSWORD}")).is_positive());
        let list = pop3(&p, &mut t, "LIST");
        let count = list.pop3().map(|r| r.body_lines().len()).unwrap_or(0);
        let mut found = None;
        for i in 1..=count {
            let top = pop3(&p, &mut t, &format!("TOP {i} 0"));
            let head =
                String::from_utf8_lossy(top.pop3().and_then(|r| r.body()).unwrap_or_default())
                    .into_owned();
            if head.contains(&subject) {
                found = Some(i);
            }
        }
        if let Some(i) = found {
            break (p, t, i);
        }
        pop3(&p, &mut t, "QUIT");
        assert!(
            Instant::now() < deadline,
            "the message never reached the maildrop"
        );
        std::thread::sleep(Duration::from_millis(300));
    };
    let stat = pop3(&p, &mut t, "STAT");
    assert!(stat.is_positive());
    assert!(pop3(&p, &mut t, "UIDL").is_positive());
    let retr = pop3(&p, &mut t, &format!("RETR {n}"));
    let body = String::from_utf8_lossy(retr.pop3().and_then(|r| r.body()).unwrap_or_default())
        .into_owned();
    assert!(
        body.contains("Through Postfix.\r\n.a dotted line\r\n"),
        "{body}"
    );
    assert!(pop3(&p, &mut t, &format!("DELE {n}")).is_positive());
    assert!(pop3(&p, &mut t, "QUIT").is_positive());
    drain(&p, &mut t);
    let text = verbose(&t);
    println!("{text}");
    for want in [
        "C: STLS",
        "TLS established",
        "C: PASS ********",
        "» Logged in: the maildrop is locked for you",
        "→ Logged in: the maildrop is locked for you",
        "The maildrop holds",
        "lines listed",
        "octets of mail",
        &format!("Message {n} is marked for deletion"),
        "the marked message is deleted now",
    ] {
        assert!(text.contains(want), "missing {want:?}");
    }
    assert!(!text.contains(PASSWORD));
}

#[test]
#[ignore = "needs the Postfix and Dovecot lab: scripts/interop.sh, then MAILTUTOR_INTEROP=1 scripts/test.sh"]
fn pop3s_port_995() {
    let _turn = lab_turn();
    let p = wait(Session::connect(
        Target::new("127.0.0.1", 995),
        Security::Implicit,
        pinned(Protocol::Pop3),
    ))
    .unwrap();
    let mut t = Transcript::new(Protocol::Pop3);
    pop3(&p, &mut t, "CAPA");
    pop3(&p, &mut t, &format!("USER {USER}"));
    let r = pop3(&p, &mut t, "PASS wrong-password");
    assert!(!r.is_positive());
    pop3(&p, &mut t, &format!("USER {USER}"));
    assert!(pop3(&p, &mut t, &format!("PASS {PASSWORD}")).is_positive());
    assert!(pop3(&p, &mut t, "STAT").is_positive());
    pop3(&p, &mut t, "QUIT");
    let text = t.export_annotated(Lang::Zh, false);
    assert!(
        text.contains("登录失败") && text.contains("登录成功"),
        "{text}"
    );
}

#[test]
#[ignore = "needs the Postfix and Dovecot lab: scripts/interop.sh, then MAILTUTOR_INTEROP=1 scripts/test.sh"]
fn send_command_line_through_postfix() {
    let _turn = lab_turn();
    let fp = lab_fingerprint();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args([
            "send",
            "--server",
            "127.0.0.1:25",
            "--tls",
            "starttls",
            "--user",
            USER,
            "--password-env",
            "MT_LAB_PW",
        ])
        .args([
            "--from",
            USER,
            "--to",
            USER,
            "--subject",
            "CLI through Postfix",
        ])
        .args(["--insecure-accept-cert", &fp])
        .env("MT_LAB_PW", PASSWORD)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("S: 235 2.7.0") && stdout.contains("queued as"));
    // A recipient outside the lab is refused, with the explanation.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args([
            "send",
            "--server",
            "127.0.0.1:25",
            "--tls",
            "starttls",
            "--from",
            USER,
            "--to",
            "someone@qq.com",
        ])
        .args(["--insecure-accept-cert", &fp, "--no-pipelining"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("554") || stderr.contains("550"), "{stderr}");
}

/// Sends one message to the lab's account through Postfix with `mailtutor send`.
fn deliver(subject: &str) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["send", "--server", "127.0.0.1:25", "--tls", "starttls"])
        .args(["--user", USER, "--password-env", "MT_LAB_PW"])
        .args(["--from", USER, "--to", USER, "--subject", subject])
        .args(["--insecure-accept-cert", &lab_fingerprint()])
        .env("MT_LAB_PW", PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// An IMAP client made of proto's pieces over a plain socket: commands written by
/// `ImapCommand`, responses cut by `ImapReader`, paired by `ImapSession`; the lines kept as a
/// transcript with S:/C: marks.
struct Imap {
    sock: std::net::TcpStream,
    reader: mailtutor::proto::imap::ImapReader,
    session: mailtutor::proto::imap::ImapSession,
    tags: mailtutor::proto::imap::Tagger,
    log: String,
}

impl Imap {
    fn connect() -> (Self, mailtutor::proto::imap::ImapResponse) {
        let sock = std::net::TcpStream::connect("127.0.0.1:143").unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut c = Imap {
            sock,
            reader: Default::default(),
            session: Default::default(),
            tags: Default::default(),
            log: String::new(),
        };
        let greeting = c.next_response();
        let event = c.session.received(greeting.clone());
        assert!(matches!(
            event,
            mailtutor::proto::imap::ImapEvent::Greeting(_)
        ));
        (c, greeting)
    }

    fn next_response(&mut self) -> mailtutor::proto::imap::ImapResponse {
        use mailtutor::proto::imap::ImapItem;
        use std::io::Read;
        loop {
            if let Some(item) = self.reader.next_item() {
                let ImapItem::Response(r) = item else {
                    panic!("a response too large from Dovecot")
                };
                // Every response Dovecot sends is IMAP's grammar as imap-codec reads it.
                assert!(r.warnings.is_empty(), "{:?}: {}", r.warnings, r.shown());
                for l in r.shown().lines() {
                    self.log.push_str(&format!("S: {l}\n"));
                }
                return r;
            }
            let mut buf = [0u8; 4096];
            let n = self.sock.read(&mut buf).unwrap();
            assert!(n > 0, "Dovecot closed the connection\n{}", self.log);
            self.reader.push(&buf[..n]);
        }
    }

    fn send_line(&mut self, wire: &[u8], shown: &str) {
        use std::io::Write;
        self.sock.write_all(wire).unwrap();
        self.log.push_str(&format!("C: {shown}\n"));
        let typed = mailtutor::proto::imap::TypedCommand::parse(&String::from_utf8_lossy(wire));
        assert!(typed.mistakes.is_empty(), "{shown}: {:?}", typed.mistakes);
        self.session.sent(&typed);
    }

    /// Sends a command and reads until its completion.
    fn run(
        &mut self,
        c: mailtutor::proto::imap::ImapCommand,
    ) -> mailtutor::proto::imap::Completion {
        use mailtutor::proto::imap::{ImapCommand, ImapEvent};
        let tag = self.tags.next_tag();
        let wire = c.wire(&tag);
        let shown = match &c {
            ImapCommand::Login { user, .. } => format!("{tag} LOGIN {user} ********"),
            _ => String::from_utf8_lossy(&wire).trim_end().to_owned(),
        };
        self.send_line(&wire, &shown);
        loop {
            let r = self.next_response();
            if let ImapEvent::Completed(done) = self.session.received(r) {
                assert_eq!(done.tag, tag);
                return done;
            }
        }
    }
}

#[test]
#[ignore = "needs the Postfix and Dovecot lab: scripts/interop.sh, then MAILTUTOR_INTEROP=1 scripts/test.sh"]
fn imap_against_dovecot() {
    let _turn = lab_turn();
    use mailtutor::proto::imap::{
        ImapCommand, ImapEvent, ImapState, ImapStatus, ResponseKind, StoreMode,
    };
    let subject = format!("imap interop {}", std::process::id());
    deliver(&subject);
    let (mut c, greeting) = Imap::connect();
    assert_eq!(greeting.status, Some(ImapStatus::Ok));
    assert!(
        greeting
            .code
            .as_ref()
            .is_some_and(|code| code.name == "CAPABILITY")
    );
    let caps = c.run(ImapCommand::Capability);
    assert_eq!(caps.untagged[0].data.as_deref(), Some("CAPABILITY"));
    // A wrong password: NO with RFC 5530's code, and still not logged in.
    let wrong = c.run(ImapCommand::Login {
        user: USER.into(),
        password: "wrong".into(),
    });
    assert_eq!(wrong.status(), Some(ImapStatus::No));
    assert_eq!(
        wrong.response.code.as_ref().map(|c| c.name.as_str()),
        Some("AUTHENTICATIONFAILED")
    );
    assert_eq!(wrong.after, ImapState::NotAuthenticated);
    // FETCH before SELECT: BAD, and the state says why.
    let early = c.run(ImapCommand::Fetch {
        set: "1".into(),
        items: "FLAGS".into(),
        uid: false,
    });
    assert_eq!(early.status(), Some(ImapStatus::Bad));
    assert!(!early.before.permits("FETCH"));
    let login = c.run(ImapCommand::Login {
        user: USER.into(),
        password: PASSWORD.into(),
    });
    assert_eq!(login.after, ImapState::Authenticated);
    let list = c.run(ImapCommand::List {
        reference: String::new(),
        pattern: "*".into(),
    });
    assert!(
        list.untagged
            .iter()
            .any(|u| u.data.as_deref() == Some("LIST") && u.text.ends_with("INBOX"))
    );
    // Postfix delivers in the background: wait for the message to be in INBOX.
    let mut found = None;
    for _ in 0..50 {
        let select = c.run(ImapCommand::Select("INBOX".into()));
        assert!(
            matches!(select.after, ImapState::Selected { ref mailbox, read_only: false } if mailbox == "INBOX")
        );
        let search = c.run(ImapCommand::Search {
            criteria: format!("SUBJECT \"{subject}\""),
            uid: false,
        });
        found = search.untagged[0]
            .text
            .split_whitespace()
            .last()
            .and_then(|n| n.parse::<u32>().ok());
        if found.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let n = found
        .expect("the message delivered through Postfix never reached INBOX")
        .to_string();
    // The header as a literal, read whole.
    let header = c.run(ImapCommand::Fetch {
        set: n.clone(),
        items: "BODY.PEEK[HEADER]".into(),
        uid: false,
    });
    let fetched = &header.untagged[0];
    assert_eq!(fetched.data.as_deref(), Some("FETCH"));
    assert!(String::from_utf8_lossy(&fetched.raw).contains(&subject));
    assert!(fetched.parsed().is_some());
    let store = c.run(ImapCommand::Store {
        set: n.clone(),
        mode: StoreMode::Add,
        flags: vec!["\\Seen".into()],
        silent: false,
        uid: false,
    });
    assert!(store.untagged[0].text.contains("\\Seen"));
    // IDLE: a message delivered meanwhile is reported as it comes, grouped under IDLE.
    let tag = c.tags.next_tag();
    c.send_line(&ImapCommand::Idle.wire(&tag), &format!("{tag} IDLE"));
    let go_on = c.next_response();
    assert_eq!(go_on.kind, ResponseKind::Continuation);
    assert!(matches!(
        c.session.received(go_on),
        ImapEvent::Continuation { .. }
    ));
    deliver(&format!("{subject} while idling"));
    let news = loop {
        let r = c.next_response();
        if r.data.as_deref() == Some("EXISTS") {
            break r;
        }
        c.session.received(r);
    };
    assert!(matches!(
        c.session.received(news),
        ImapEvent::Grouped { .. }
    ));
    c.send_line(&ImapCommand::Done.wire(""), "DONE");
    let done = loop {
        let r = c.next_response();
        if let ImapEvent::Completed(d) = c.session.received(r) {
            break d;
        }
    };
    assert_eq!(
        (done.verb.as_str(), done.status()),
        ("IDLE", Some(ImapStatus::Ok))
    );
    let bye = c.run(ImapCommand::Logout);
    assert_eq!(bye.after, ImapState::Logout);
    assert!(
        bye.untagged
            .iter()
            .any(|u| u.status == Some(ImapStatus::Bye))
    );
    // The session as a person would paste it, explained: every line placed, no line read as
    // outside IMAP's grammar, the password never shown.
    println!("{}", c.log);
    let out = mailtutor::explain::annotate(
        &c.log,
        mailtutor::explain::Options {
            lang: Lang::En,
            show_secrets: false,
        },
    );
    println!("{out}");
    assert!(!out.contains("no IMAP response the tutor knows"));
    assert!(!out.contains("does not follow IMAP's grammar"));
    assert!(out.contains("AUTHENTICATIONFAILED") || out.contains("user name or password is wrong"));
    assert!(out.contains("FETCH is not allowed now"));
    assert!(out.contains("→ Now in mailbox INBOX."));
    assert!(!out.contains(PASSWORD));
}

/// The window's IMAP client (the network thread and the one client connection) against
/// Dovecot: STARTTLS on 143 and TLS on 993, a wrong password, LOGIN, SELECT, a FETCH of the
/// message Postfix delivered, IDLE, LOGOUT; every response explained, the states followed.
#[test]
#[ignore = "needs the Postfix and Dovecot lab: scripts/interop.sh, then MAILTUTOR_INTEROP=1 scripts/test.sh"]
fn the_windows_imap_client_against_dovecot() {
    let _turn = lab_turn();
    use mailtutor::proto::imap::{ImapCommand, ImapState, ResponseKind};
    use mailtutor::session::Response;
    let subject = format!("window imap {}", std::process::id());
    deliver(&subject);
    for (port, security) in [(143, Security::StartTls), (993, Security::Implicit)] {
        let s = wait(Session::connect(
            Target::new("127.0.0.1", port),
            security,
            pinned(Protocol::Imap),
        ))
        .unwrap_or_else(|e| panic!("{port}: {e}"));
        let mut t = Transcript::new(Protocol::Imap);
        let ask = |cmd: &ImapCommand| -> Vec<Response> {
            let got = wait(s.imap(cmd)).unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
            let last = got.last().and_then(Response::imap).expect("a response");
            assert_ne!(last.kind, ResponseKind::Untagged, "{cmd:?}");
            got
        };
        let wrong = ask(&ImapCommand::Login {
            user: USER.into(),
            password: "not-the-lab-password".into(),
        });
        assert!(!wrong.last().unwrap().is_positive());
        let ok = ask(&ImapCommand::Login {
            user: USER.into(),
            password: PASSWORD.into(),
        });
        assert!(ok.last().unwrap().is_positive(), "{ok:?}");
        // Postfix delivers in the background: wait for the message.
        let mut n = None;
        for _ in 0..50 {
            ask(&ImapCommand::Select("INBOX".into()));
            let found = ask(&ImapCommand::Search {
                criteria: format!("SUBJECT \"{subject}\""),
                uid: false,
            });
            n = found[0]
                .imap()
                .and_then(|r| r.text.split_whitespace().last().map(str::to_owned))
                .filter(|w| w.parse::<u32>().is_ok());
            if n.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let n = n.expect("the message never reached INBOX");
        let header = ask(&ImapCommand::Fetch {
            set: n,
            items: "BODY.PEEK[HEADER]".into(),
            uid: false,
        });
        assert!(
            String::from_utf8_lossy(header[0].raw()).contains(&subject),
            "{header:?}"
        );
        let idle = ask(&ImapCommand::Idle);
        assert_eq!(
            idle.last().and_then(Response::imap).map(|r| r.kind.clone()),
            Some(ResponseKind::Continuation)
        );
        assert!(ask(&ImapCommand::Done).last().unwrap().is_positive());
        ask(&ImapCommand::Logout);
        drain(&s, &mut t);
        let text = verbose(&t);
        assert!(
            !text.contains(PASSWORD) && !text.contains("not-the-lab-password"),
            "{text}"
        );
        assert!(text.contains("Now in mailbox INBOX"), "{text}");
        // Dovecot's NO for the wrong password carries RFC 5530's code, explained as such.
        assert!(text.contains("[AUTHENTICATIONFAILED]"), "{text}");
        assert!(!text.contains("» ?"), "{text}");
        assert_eq!(t.imap().state, ImapState::Logout, "{text}");
        if security == Security::StartTls {
            assert!(text.contains("C: a0 STARTTLS"), "{text}");
        }
    }
}

/// Lines typed to a plain port as a student types them; each call reads up to the line that
/// starts with `until` and returns everything read.
struct Typed {
    sock: std::io::BufReader<std::net::TcpStream>,
}

impl Typed {
    fn connect(port: u16) -> Self {
        let sock = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut t = Self {
            sock: std::io::BufReader::new(sock),
        };
        t.until("");
        t
    }

    fn until(&mut self, until: &str) -> Vec<String> {
        use std::io::BufRead;
        let mut got = Vec::new();
        loop {
            let mut line = String::new();
            assert!(self.sock.read_line(&mut line).unwrap() > 0, "{got:?}");
            let line = line.trim_end().to_owned();
            let done = line.starts_with(until);
            got.push(line);
            if done {
                return got;
            }
        }
    }

    fn line(&mut self, line: &str, until: &str) -> Vec<String> {
        use std::io::Write;
        self.sock
            .get_mut()
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap();
        self.until(until)
    }
}

/// The rules the practice server follows for POP3 and IMAP on one maildrop, seen at Dovecot
/// with the same steps (`server_imap::pop3_and_imap_on_one_maildrop_behave_as_dovecot`): POP3
/// lists a message IMAP only marked \Deleted, RETR makes a message \Seen, DELE and QUIT remove
/// it for IMAP too.
#[test]
#[ignore = "needs the Postfix and Dovecot lab: scripts/interop.sh, then MAILTUTOR_INTEROP=1 scripts/test.sh"]
fn pop3_and_imap_on_one_maildrop_at_dovecot() {
    let _turn = lab_turn();
    let login = format!("a1 LOGIN {USER} {PASSWORD}");
    let mut c = Typed::connect(143);
    c.line(&login, "a1 ");
    c.line("a2 SELECT INBOX", "a2 OK");
    c.line("a3 STORE 1:* +FLAGS (\\Deleted)", "a3 ");
    c.line("a4 EXPUNGE", "a4 OK");
    // One at a time, so that they arrive in this order.
    for (i, subject) in ["m1", "m2", "m3"].iter().enumerate() {
        deliver(subject);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let r = c.line("a5 NOOP", "a5 OK");
            if r.contains(&format!("* {} EXISTS", i + 1)) {
                break;
            }
            assert!(Instant::now() < deadline, "{subject} did not arrive");
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    c.line("a6 SELECT INBOX", "a6 OK");
    c.line("a7 STORE 2 +FLAGS (\\Deleted)", "a7 OK");
    c.line("a8 LOGOUT", "a8 OK");

    let mut p = Typed::connect(110);
    p.line(&format!("USER {USER}"), "+OK");
    p.line(&format!("PASS {PASSWORD}"), "+OK");
    let stat = p.line("STAT", "+");
    assert!(stat[0].starts_with("+OK 3 "), "{stat:?}");
    p.line("RETR 3", ".");
    p.line("DELE 1", "+OK");
    p.line("QUIT", "+OK");

    let mut c = Typed::connect(143);
    c.line(&login, "a1 OK");
    let r = c.line("a2 SELECT INBOX", "a2 OK");
    assert!(r.contains(&"* 2 EXISTS".to_owned()), "{r:?}");
    let r = c.line(
        "a3 FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])",
        "a3 OK",
    );
    let text = r.join("\n");
    let m2 = text.find("Subject: m2").unwrap();
    let m3 = text.find("Subject: m3").unwrap();
    assert!(text[..m2].contains("FLAGS (\\Deleted)"), "{text}");
    assert!(text[m2..m3].contains("FLAGS (\\Seen)"), "{text}");
    c.line("a4 LOGOUT", "a4 OK");
}

/// `mailtutor read` against Dovecot over STARTTLS: the message sent through Postfix listed
/// and read, the password masked.
#[test]
#[ignore = "needs the Postfix and Dovecot lab: scripts/interop.sh, then MAILTUTOR_INTEROP=1 scripts/test.sh"]
fn read_command_line_against_dovecot() {
    let _turn = lab_turn();
    let subject = format!("read cli {}", std::process::id());
    deliver(&subject);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailtutor"))
            .args(["read", "--server", "127.0.0.1:143", "--tls", "starttls"])
            .args(["--user", USER, "--password-env", "MT_LAB_PW"])
            .args(["--insecure-accept-cert", &lab_fingerprint()])
            .env("MT_LAB_PW", PASSWORD)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(out.status.success(), "{text}");
        assert!(!text.contains(PASSWORD), "{text}");
        if text.contains(&subject) {
            assert!(text.contains("[READ-ONLY]"), "{text}");
            break;
        }
        assert!(Instant::now() < deadline, "{subject} never listed:\n{text}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// `check-server` gives Postfix and Dovecot full marks. The lab's Postfix runs with
/// `smtpd_forbid_bare_newline = normalize` (scripts/interop.sh): with the default before
/// Postfix 3.9 ("no"), a bare LF ends a line and `\n.\n` ends DATA, which RFC 5321 §4.1.1.4
/// forbids and postconf(5) calls open to SMTP smuggling, and the two LF smuggling checks fail.
#[test]
#[ignore = "needs the Postfix and Dovecot lab: scripts/interop.sh, then MAILTUTOR_INTEROP=1 scripts/test.sh"]
fn check_server_gives_postfix_and_dovecot_full_marks() {
    let _turn = lab_turn();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["check-server", "127.0.0.1:25", "--pop3", "127.0.0.1:110"])
        .args(["--user", USER, "--password", PASSWORD])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(!text.contains('✗'), "{text}");
    assert!(text.contains("(0 checks not applicable)"), "{text}");
    assert!(
        text.contains("read back over POP3, the line is .hidden-"),
        "{text}"
    );
    assert!(text.contains("SIZE limit — expected 552"), "{text}");
}
