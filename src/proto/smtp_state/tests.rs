//! The state machine fed with the tutorials' sessions and the mistakes students make.

use super::*;
use crate::proto::Lang;
use crate::proto::reply::parse_replies;

fn reply(s: &str) -> Reply {
    parse_replies(s.as_bytes())
        .into_iter()
        .next()
        .and_then(Result::ok)
        .unwrap_or_else(|| panic!("bad reply {s:?}"))
}

fn send(s: &mut SmtpSession, line: &str) {
    let cmd = SmtpCommand::parse(line).unwrap();
    s.on_sent(&ClientLine::Command(cmd));
}

fn first(s: &SmtpSession) -> Step {
    s.expected_next()[0]
}

#[test]
fn tutorial_session_walkthrough() {
    use CommandKind as K;
    let mut s = SmtpSession::new();
    assert_eq!(first(&s), Step::Connect);
    s.on_connected(false);
    assert_eq!(first(&s), Step::WaitForGreeting);
    let o = s.on_reply(&reply(
        "220 163.com Anti-spam GT for Coremail System (163com[20141201])\r\n",
    ));
    assert_eq!(o, Outcome::Greeting { code: 220 });
    assert_eq!(first(&s), Step::Command(K::Ehlo));
    send(&mut s, "helo fan2");
    assert_eq!(first(&s), Step::WaitForReply);
    assert!(matches!(
        s.on_reply(&reply("250 OK\r\n")),
        Outcome::Hello { ehlo: false, .. }
    ));
    assert_eq!(first(&s), Step::Command(K::AuthLogin));
    send(&mut s, "auth login");
    let o = s.on_reply(&reply("334 dXNlcm5hbWU6\r\n"));
    assert_eq!(
        o,
        Outcome::AuthPrompt {
            kind: PromptKind::Username,
            decoded: "username:".into()
        }
    );
    assert_eq!(first(&s), Step::SendUsername);
    assert!(s.check(K::MailFrom).is_some_and(|p| p.code == 501));
    s.on_sent(&ClientLine::AuthResponse);
    s.on_reply(&reply("334 UGFzc3dvcmQ6\r\n"));
    assert_eq!(first(&s), Step::SendPassword);
    s.on_sent(&ClientLine::AuthResponse);
    assert_eq!(
        s.on_reply(&reply("235 Authentication successful\r\n")),
        Outcome::AuthSucceeded
    );
    assert!(s.is_authenticated());
    assert_eq!(first(&s), Step::Command(K::MailFrom));
    assert!(s.check(K::RcptTo).is_some_and(|p| p.code == 503));
    send(&mut s, "mail from:<phunxm@163.com>");
    s.on_reply(&reply("250 Mail OK\r\n"));
    assert_eq!(first(&s), Step::Command(K::RcptTo));
    assert!(
        s.check(K::Data)
            .is_some_and(|p| p.needed == Some(Step::Command(K::RcptTo)))
    );
    send(&mut s, "rcpt to:<2306328146@qq.com>");
    s.on_reply(&reply("250 Mail OK\r\n"));
    assert_eq!(first(&s), Step::Command(K::Data));
    send(&mut s, "data");
    assert_eq!(
        s.on_reply(&reply("354 End data with <CR><LF>.<CR><LF>\r\n")),
        Outcome::DataGo
    );
    assert_eq!(first(&s), Step::SendMessage);
    assert!(s.check(K::Quit).is_some());
    s.on_sent(&ClientLine::Message);
    assert_eq!(
        s.on_reply(&reply(
            "250 Mail OK queued as smtp7,C8CowAA3m23W0uhWLbauAg--.61473S2 1458098971\r\n"
        )),
        Outcome::MessageQueued
    );
    // The mail is sent: the tutorials end with QUIT; another mail is the other choice.
    assert_eq!(
        s.expected_next()[..2],
        [Step::Command(K::Quit), Step::Command(K::MailFrom)]
    );
    send(&mut s, "quit");
    assert_eq!(s.on_reply(&reply("221 Bye\r\n")), Outcome::Bye);
    assert_eq!(first(&s), Step::Connect);
}

#[test]
fn bad_sequence_explained() {
    let mut s = SmtpSession::new();
    s.on_connected(false);
    s.on_reply(&reply("220 hi\r\n"));
    send(&mut s, "EHLO me");
    s.on_reply(&reply("250 hi\r\n"));
    let p = s.check(CommandKind::RcptTo).unwrap_or_else(|| panic!());
    assert_eq!((p.code, p.enhanced), (503, Some("5.5.1")));
    send(&mut s, "RCPT TO:<a@b>");
    let o = s.on_reply(&reply("503 5.5.1 Error: need MAIL command\r\n"));
    assert_eq!(
        o.describe(Lang::En),
        "503 bad sequence: RCPT TO must wait for MAIL FROM."
    );
    assert!(o.describe(Lang::Zh).contains("MAIL FROM"));
    send(&mut s, "DATA");
    let o = s.on_reply(&reply("503 5.5.1 Error: need RCPT command\r\n"));
    assert!(matches!(
        o,
        Outcome::BadSequence {
            command: CommandKind::Data,
            needed: Some(Step::Command(CommandKind::MailFrom))
        }
    ));
}

#[test]
fn ehlo_starttls_auth_order() {
    use CommandKind as K;
    let mut s = SmtpSession::new();
    s.on_connected(false);
    s.on_reply(&reply("220 smtp.example ESMTP\r\n"));
    assert!(s.check(K::StartTls).is_some_and(|p| p.code == 503));
    send(&mut s, "EHLO me");
    s.on_reply(&reply(
        "250-smtp.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n",
    ));
    assert_eq!(first(&s), Step::Command(K::StartTls));
    let p = s.check(K::AuthLogin).unwrap_or_else(|| panic!());
    assert_eq!((p.code, p.needed), (530, Some(Step::Command(K::StartTls))));
    send(&mut s, "STARTTLS");
    assert_eq!(
        s.on_reply(&reply("220 2.0.0 Ready to start TLS\r\n")),
        Outcome::TlsReady
    );
    assert_eq!(first(&s), Step::TlsHandshake);
    s.on_tls_established();
    assert!(s.is_tls());
    assert_eq!(first(&s), Step::Command(K::Ehlo));
    send(&mut s, "EHLO me");
    s.on_reply(&reply(
        "250-smtp.example\r\n250-AUTH PLAIN LOGIN\r\n250 SIZE 1000\r\n",
    ));
    assert_eq!(first(&s), Step::Command(K::AuthLogin));
    assert!(s.check(K::StartTls).is_some_and(|p| p.code == 554));
    assert!(s.check(K::MailFrom).is_some_and(|p| p.code == 530));
    send(&mut s, "AUTH PLAIN");
    s.on_reply(&reply("334 \r\n"));
    assert_eq!(first(&s), Step::SendPlainResponse);
    s.on_sent(&ClientLine::AuthResponse);
    let o = s.on_reply(&reply("535 5.7.8 Error: authentication failed\r\n"));
    assert_eq!(o, Outcome::AuthFailed { code: 535 });
    assert!(o.describe(Lang::En).contains("app password"));
    assert!(!s.is_authenticated());
    assert_eq!(first(&s), Step::Command(K::AuthLogin));
}

/// A session that sent AUTH LOGIN and got "334 Username:".
fn at_username_prompt() -> SmtpSession {
    let mut s = SmtpSession::new();
    s.on_connected(false);
    s.on_reply(&reply("220 x\r\n"));
    send(&mut s, "EHLO me");
    s.on_reply(&reply("250-x\r\n250 AUTH LOGIN\r\n"));
    send(&mut s, "AUTH LOGIN");
    s.on_reply(&reply("334 VXNlcm5hbWU6\r\n"));
    s
}

#[test]
fn command_during_auth_prompt_is_the_answer() {
    let mut s = at_username_prompt();
    send(&mut s, "MAIL FROM:<a@b>");
    let o = s.on_reply(&reply("501 5.5.2 Cannot decode response\r\n"));
    assert_eq!(o, Outcome::AuthFailed { code: 501 });
    assert_eq!(first(&s), Step::Command(CommandKind::AuthLogin));
}

#[test]
fn refused_greeting_and_421() {
    let mut s = SmtpSession::new();
    s.on_connected(false);
    let o = s.on_reply(&reply("554 5.7.1 No SMTP service here\r\n"));
    assert_eq!(o, Outcome::Greeting { code: 554 });
    assert_eq!(first(&s), Step::Connect);
    let mut s = SmtpSession::new();
    s.on_connected(false);
    s.on_reply(&reply("220 x\r\n"));
    send(&mut s, "NOOP");
    let o = s.on_reply(&reply("421 4.4.2 Timeout, closing\r\n"));
    assert_eq!(o, Outcome::Closing { code: 421 });
    assert!(o.describe(Lang::Zh).contains("421"));
}

#[test]
fn rset_and_rejected_message() {
    let mut s = SmtpSession::new();
    s.on_connected(false);
    s.on_reply(&reply("220 x\r\n"));
    send(&mut s, "HELO me");
    s.on_reply(&reply("250 x\r\n"));
    send(&mut s, "MAIL FROM:<a@b>");
    s.on_reply(&reply("250 ok\r\n"));
    send(&mut s, "RCPT TO:<nobody@b>");
    let o = s.on_reply(&reply("550 5.1.1 no such user\r\n"));
    assert!(matches!(o, Outcome::Refused { code: 550, .. }));
    assert!(
        s.check(CommandKind::Data)
            .is_some_and(|p| p.needed == Some(Step::Command(CommandKind::RcptTo)))
    );
    send(&mut s, "RCPT TO:<c@b>");
    s.on_reply(&reply("250 ok\r\n"));
    send(&mut s, "DATA");
    s.on_reply(&reply("354 go\r\n"));
    s.on_sent(&ClientLine::Message);
    let o = s.on_reply(&reply("554 DT:SPM 163 smtp13\r\n"));
    assert!(matches!(o, Outcome::Refused { code: 554, .. }));
    assert_eq!(first(&s), Step::Command(CommandKind::AuthLogin));
    send(&mut s, "MAIL FROM:<a@b>");
    s.on_reply(&reply("250 ok\r\n"));
    send(&mut s, "RSET");
    assert_eq!(s.on_reply(&reply("250 ok\r\n")), Outcome::Reset);
    assert!(s.check(CommandKind::RcptTo).is_some());
}

#[test]
fn every_step_describes_itself_in_both_languages() {
    let mut steps = vec![
        Step::Connect,
        Step::WaitForGreeting,
        Step::WaitForReply,
        Step::TlsHandshake,
        Step::SendUsername,
        Step::SendPassword,
        Step::SendPlainResponse,
        Step::SendMessage,
    ];
    steps.extend(CommandKind::ALL.map(Step::Command));
    for s in steps {
        assert!(!s.describe(Lang::En).is_empty());
        assert!(
            s.describe(Lang::Zh).chars().any(|c| c > '\u{2e80}'),
            "{s:?}"
        );
    }
}

/// AUTH LOGIN takes the username first and the password second, whatever the prompts say: a
/// second 334 that asks "passwd:" or "Username:" again wants the password, and that answer is
/// the secret.
#[test]
fn the_second_login_answer_is_the_password_whatever_the_prompt() {
    for second in [
        "334 cGFzc3dkOg==\r\n",
        "334 VXNlcm5hbWU6\r\n",
        "334 Q29kZTo=\r\n",
    ] {
        let mut s = at_username_prompt();
        assert_eq!(first(&s), Step::SendUsername);
        assert!(!s.auth_answer_is_secret());
        s.on_sent(&ClientLine::AuthResponse);
        s.on_reply(&reply(second));
        assert_eq!(first(&s), Step::SendPassword, "{second}");
        assert!(s.auth_answer_is_secret(), "{second}");
    }
}
