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
