//! The SMTP client session as a state machine fed with what was sent and what came back
//! (RFC 5321 §3 and §4.1.4 on command order, RFC 3207 §4.2, RFC 4954 §4).

use std::collections::VecDeque;

use super::auth::{self, PromptKind};
use super::reply::Reply;
use super::situations::{Proto, ReplyContext};
use super::smtp::{Capabilities, CommandKind, SmtpCommand};
pub use super::smtp_outcome::{Outcome, Step};
use crate::words::Words;

/// The server's most likely answer to a command sent out of sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    pub code: u16,
    pub enhanced: Option<&'static str>,
    pub reason: Words,
    /// What should come first.
    pub needed: Option<Step>,
}

/// A line the client put on the wire, as the state machine needs to know it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientLine {
    Command(SmtpCommand),
    /// A base64 line answering a `334` challenge.
    AuthResponse,
    /// The whole DATA payload, final `.` included.
    Message,
    /// A line that does not parse as a command; the kind its first word names, if any.
    Unparsed(Option<CommandKind>),
}

/// Lines waiting for replies, put aside by [`SmtpSession::set_aside`].
#[derive(Debug)]
pub struct SetAside(VecDeque<Pending>);

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pending {
    Command(SmtpCommand),
    AuthResponse,
    Message,
    Unparsed(Option<CommandKind>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Greeting {
    Waiting,
    Ready,
    Refused,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DataPhase {
    Idle,
    /// 354 arrived: the server now reads message text until `.`.
    Open,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AuthExchange {
    plain: bool,
    /// What the last 334 asked for; `None` while waiting for it.
    asked: Option<PromptKind>,
}

/// The client's view of one SMTP session.
#[derive(Debug, Clone)]
pub struct SmtpSession {
    connected: bool,
    greeting: Greeting,
    hello: Option<CommandKind>,
    caps: Option<Capabilities>,
    tls: bool,
    tls_pending: bool,
    authenticated: bool,
    auth: Option<AuthExchange>,
    mail: bool,
    rcpts: u32,
    data: DataPhase,
    quit_sent: bool,
    pending: VecDeque<Pending>,
}

impl Default for SmtpSession {
    fn default() -> Self {
        Self::new()
    }
}

impl SmtpSession {
    /// A session that is not connected yet.
    pub fn new() -> Self {
        Self {
            connected: false,
            greeting: Greeting::Waiting,
            hello: None,
            caps: None,
            tls: false,
            tls_pending: false,
            authenticated: false,
            auth: None,
            mail: false,
            rcpts: 0,
            data: DataPhase::Idle,
            quit_sent: false,
            pending: VecDeque::new(),
        }
    }

    /// The TCP (or implicit TLS) connection is up; the greeting is next.
    pub fn on_connected(&mut self, tls: bool) {
        *self = Self::new();
        self.connected = true;
        self.tls = tls;
    }

    pub fn on_closed(&mut self) {
        self.connected = false;
        self.pending.clear();
        self.auth = None;
        self.data = DataPhase::Idle;
    }

    /// The STARTTLS handshake finished: RFC 3207 §4.2 says forget what was learnt before.
    pub fn on_tls_established(&mut self) {
        self.tls = true;
        self.tls_pending = false;
        self.hello = None;
        self.caps = None;
        self.authenticated = false;
        self.reset_transaction();
    }

    pub fn is_connected(&self) -> bool {
        self.connected
    }
    pub fn is_tls(&self) -> bool {
        self.tls
    }
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.caps.as_ref()
    }
    /// True after a 220 to STARTTLS, until the handshake is done.
    pub fn tls_pending(&self) -> bool {
        self.tls_pending
    }
    /// True while the server reads message text (after 354, before the final dot).
    pub fn in_data(&self) -> bool {
        self.data == DataPhase::Open
    }
    /// What the last 334 asked for, while an AUTH exchange waits for the client.
    pub fn auth_prompt(&self) -> Option<PromptKind> {
        self.auth.and_then(|a| a.asked)
    }
    pub fn awaiting_replies(&self) -> usize {
        self.pending.len()
    }

    fn reset_transaction(&mut self) {
        self.mail = false;
        self.rcpts = 0;
        self.data = DataPhase::Idle;
    }

    /// What the next reply will answer and the state it will find: the context the
    /// situation knowledge base matches on.
    /// `code` lets a transcript pasted from the middle of a session (its first reply a 354 or
    /// a 334) be read as what it answers.
    pub fn reply_context(&self, code: u16) -> ReplyContext {
        let (answers, malformed) = match self.pending.front() {
            None if self.greeting == Greeting::Waiting && code == 354 => ("DATA", false),
            None if self.greeting == Greeting::Waiting && code == 334 => ("AUTH", false),
            None if self.connected && self.greeting == Greeting::Waiting => ("GREETING", false),
            None => ("NONE", false),
            Some(Pending::Command(cmd)) => (cmd.kind().verb(), false),
            Some(Pending::AuthResponse) => ("AUTH-DATA", false),
            Some(Pending::Message) => ("DOT", false),
            Some(Pending::Unparsed(Some(kind))) => (kind.verb(), true),
            Some(Pending::Unparsed(None)) => ("UNKNOWN", true),
        };
        let caps = self.caps.as_ref();
        ReplyContext::new(Proto::Smtp, answers)
            .flag("malformed", malformed)
            .flag("tls", self.tls)
            .flag("starttls-offered", caps.is_some_and(|c| c.starttls))
            .flag("auth-offered", caps.is_some_and(|c| !c.auth.is_empty()))
            .flag("hello", self.hello.is_some())
            .flag("ehlo", self.hello == Some(CommandKind::Ehlo))
            .flag("authenticated", self.authenticated)
            .flag("mail", self.mail)
            .flag("rcpt", self.rcpts > 0)
    }

    /// Puts the lines waiting for replies aside while a reply that answers none of them (a
    /// greeting that arrives after the first command went out, an unasked 421) is folded.
    pub fn set_aside(&mut self) -> SetAside {
        SetAside(std::mem::take(&mut self.pending))
    }

    /// Ends [`Self::set_aside`]: the lines wait again, ahead of any sent since.
    pub fn take_back(&mut self, aside: SetAside) {
        let mut pending = aside.0;
        pending.append(&mut self.pending);
        self.pending = pending;
    }

    /// Stops waiting for the replies to the `n` oldest lines sent: their request timed out or
    /// was answered with something that is not a reply.
    pub fn abandon(&mut self, n: usize) {
        for _ in 0..n {
            if matches!(self.pending.pop_front(), Some(Pending::AuthResponse)) {
                self.auth = None;
            }
        }
    }

    /// Records a line the client sent.
    pub fn on_sent(&mut self, line: &ClientLine) {
        let waiting_auth = self.auth.is_some_and(|a| a.asked.is_some());
        let entry = match line {
            // While a 334 is open, whatever line comes next is read as the answer.
            ClientLine::Command(_) | ClientLine::AuthResponse | ClientLine::Unparsed(_)
                if waiting_auth =>
            {
                if let Some(a) = self.auth.as_mut() {
                    a.asked = None;
                }
                Pending::AuthResponse
            }
            ClientLine::Command(_) | ClientLine::Unparsed(_) if self.data == DataPhase::Open => {
                return;
            }
            ClientLine::Unparsed(kind) => Pending::Unparsed(*kind),
            ClientLine::Command(cmd) => {
                if cmd.kind() == CommandKind::Quit {
                    self.quit_sent = true;
                }
                Pending::Command(cmd.clone())
            }
            ClientLine::AuthResponse => Pending::AuthResponse,
            ClientLine::Message => {
                self.data = DataPhase::Idle;
                Pending::Message
            }
        };
        self.pending.push_back(entry);
    }

    /// Folds a reply into the state and says what it meant.
    pub fn on_reply(&mut self, reply: &Reply) -> Outcome {
        let code = reply.code;
        let outcome = match self.pending.pop_front() {
            // A transcript pasted from the middle of a session starts with a reply that no
            // greeting can be: the session is taken up where it stands.
            None if self.greeting == Greeting::Waiting && code == 354 => {
                self.greeting = Greeting::Ready;
                self.hello = Some(CommandKind::Helo);
                self.mail = true;
                self.rcpts = 1;
                self.data = DataPhase::Open;
                Outcome::DataGo
            }
            None if self.greeting == Greeting::Waiting && code == 334 => {
                self.greeting = Greeting::Ready;
                self.hello = Some(CommandKind::Helo);
                self.auth = Some(AuthExchange {
                    plain: false,
                    asked: None,
                });
                self.auth_reply(reply)
            }
            None if self.greeting == Greeting::Waiting => {
                self.greeting = if code == 220 {
                    Greeting::Ready
                } else {
                    Greeting::Refused
                };
                Outcome::Greeting { code }
            }
            None => Outcome::Done {
                command: None,
                code,
            },
            Some(Pending::Command(cmd)) => self.command_reply(&cmd, reply),
            Some(Pending::Unparsed(Some(kind))) => self.command_reply(&kind.placeholder(), reply),
            Some(Pending::Unparsed(None)) if reply.class() >= 4 => Outcome::Refused {
                command: None,
                code,
            },
            Some(Pending::Unparsed(None)) => Outcome::Done {
                command: None,
                code,
            },
            Some(Pending::AuthResponse) => self.auth_reply(reply),
            Some(Pending::Message) => {
                self.reset_transaction();
                if code == 250 {
                    Outcome::MessageQueued
                } else {
                    Outcome::Refused {
                        command: Some(CommandKind::Data),
                        code,
                    }
                }
            }
        };
        if code == 421 || (code == 221 && self.quit_sent) {
            self.pending.clear();
            self.auth = None;
            if code == 421 {
                return Outcome::Closing { code };
            }
        }
        outcome
    }

    fn command_reply(&mut self, cmd: &SmtpCommand, reply: &Reply) -> Outcome {
        let code = reply.code;
        let kind = cmd.kind();
        if code == 503 {
            return Outcome::BadSequence {
                command: kind,
                needed: self.check(kind).and_then(|p| p.needed),
            };
        }
        let ok = reply.class() == 2;
        match kind {
            CommandKind::Helo | CommandKind::Ehlo if ok => {
                self.hello = Some(kind);
                self.reset_transaction();
                self.caps = (kind == CommandKind::Ehlo)
                    .then(|| Capabilities::from_ehlo(&reply.raw))
                    .flatten();
                Outcome::Hello {
                    ehlo: kind == CommandKind::Ehlo,
                    extensions: reply.lines.len().saturating_sub(1),
                }
            }
            CommandKind::StartTls if code == 220 => {
                self.tls_pending = true;
                Outcome::TlsReady
            }
            CommandKind::AuthLogin | CommandKind::AuthPlain => {
                self.auth = Some(AuthExchange {
                    plain: kind == CommandKind::AuthPlain,
                    asked: None,
                });
                self.auth_reply(reply)
            }
            CommandKind::MailFrom if ok => {
                self.mail = true;
                self.rcpts = 0;
                Outcome::SenderAccepted
            }
            CommandKind::RcptTo if ok => {
                self.rcpts += 1;
                Outcome::RecipientAccepted { count: self.rcpts }
            }
            CommandKind::Data if code == 354 => {
                self.data = DataPhase::Open;
                Outcome::DataGo
            }
            CommandKind::Bdat if ok => {
                if matches!(cmd, SmtpCommand::Bdat { last: true, .. }) {
                    self.reset_transaction();
                    Outcome::MessageQueued
                } else {
                    Outcome::Done {
                        command: Some(kind),
                        code,
                    }
                }
            }
            CommandKind::Rset if ok => {
                self.reset_transaction();
                Outcome::Reset
            }
            CommandKind::Quit if code == 221 => Outcome::Bye,
            _ if reply.class() >= 4 => Outcome::Refused {
                command: Some(kind),
                code,
            },
            _ => Outcome::Done {
                command: Some(kind),
                code,
            },
        }
    }

    fn auth_reply(&mut self, reply: &Reply) -> Outcome {
        match reply.code {
            334 => {
                let prompt = auth::decode_prompt(reply.last_text());
                let plain = self.auth.is_some_and(|a| a.plain);
                let (kind, decoded) = match prompt {
                    Ok(p) if plain && p.kind == PromptKind::Empty => {
                        (PromptKind::Empty, p.decoded.shown())
                    }
                    Ok(p) => (p.kind, p.decoded.shown()),
                    Err(_) => (PromptKind::Other, reply.last_text().to_owned()),
                };
                self.auth = Some(AuthExchange {
                    plain,
                    asked: Some(kind),
                });
                Outcome::AuthPrompt { kind, decoded }
            }
            235 => {
                self.auth = None;
                self.authenticated = true;
                Outcome::AuthSucceeded
            }
            503 => {
                self.auth = None;
                Outcome::BadSequence {
                    command: CommandKind::AuthLogin,
                    needed: self.check(CommandKind::AuthLogin).and_then(|p| p.needed),
                }
            }
            code => {
                self.auth = None;
                Outcome::AuthFailed { code }
            }
        }
    }

    /// The steps that make sense now, most expected first.
    pub fn expected_next(&self) -> Vec<Step> {
        use CommandKind as K;
        let cmd = Step::Command;
        if !self.connected {
            return vec![Step::Connect];
        }
        if self.quit_sent || self.greeting == Greeting::Refused {
            return vec![Step::Connect];
        }
        if self.greeting == Greeting::Waiting {
            return vec![Step::WaitForGreeting];
        }
        if self.tls_pending {
            return vec![Step::TlsHandshake];
        }
        if let Some(a) = self.auth {
            return match a.asked {
                None => vec![Step::WaitForReply],
                Some(PromptKind::Username) => vec![Step::SendUsername],
                Some(PromptKind::Password) => vec![Step::SendPassword],
                Some(PromptKind::Empty) if a.plain => vec![Step::SendPlainResponse],
                Some(_) => vec![Step::SendUsername, Step::SendPassword],
            };
        }
        if self.data == DataPhase::Open {
            return vec![Step::SendMessage];
        }
        if !self.pending.is_empty() && !self.caps.as_ref().is_some_and(|c| c.pipelining) {
            return vec![Step::WaitForReply];
        }
        let Some(hello) = self.hello else {
            return vec![cmd(K::Ehlo), cmd(K::Helo)];
        };
        if self.mail && self.rcpts > 0 {
            return vec![cmd(K::Data), cmd(K::RcptTo), cmd(K::Rset)];
        }
        if self.mail {
            return vec![cmd(K::RcptTo), cmd(K::Rset)];
        }
        let mut out = Vec::new();
        if !self.authenticated {
            let caps = self.caps.as_ref();
            let auth_offered = caps.is_some_and(|c| !c.auth.is_empty());
            let tls_offered = caps.is_some_and(|c| c.starttls) && !self.tls;
            if tls_offered && !auth_offered {
                out.push(cmd(K::StartTls));
            }
            // After HELO nothing is advertised, yet the seeds' servers still take AUTH LOGIN.
            if auth_offered || hello == K::Helo {
                out.push(cmd(K::AuthLogin));
                out.push(cmd(K::AuthPlain));
            }
            if tls_offered && auth_offered {
                out.push(cmd(K::StartTls));
            }
        }
        out.push(cmd(K::MailFrom));
        out.push(cmd(K::Quit));
        out
    }

    /// Whether `kind` is out of sequence now; if so, what the server will likely answer.
    pub fn check(&self, kind: CommandKind) -> Option<Prediction> {
        use CommandKind as K;
        let p = |code, enhanced, key: &'static str, needed| {
            Some(Prediction {
                code,
                enhanced,
                reason: Words::new(key),
                needed,
            })
        };
        if !self.connected {
            return p(0, None, "smtp.predict.not_connected", Some(Step::Connect));
        }
        if self.greeting == Greeting::Waiting {
            return p(
                554,
                Some("5.5.1"),
                "smtp.predict.before_greeting",
                Some(Step::WaitForGreeting),
            );
        }
        if self.auth.is_some_and(|a| a.asked.is_some()) {
            return p(
                501,
                Some("5.5.2"),
                "smtp.predict.auth_open",
                self.expected_next().first().copied(),
            );
        }
        if self.data == DataPhase::Open {
            return p(0, None, "smtp.predict.in_data", Some(Step::SendMessage));
        }
        let hello_first = |cmd: &str| {
            Some(Prediction {
                code: 503,
                enhanced: Some("5.5.1"),
                reason: Words::new("smtp.predict.hello_first").arg("command", cmd),
                needed: Some(Step::Command(K::Ehlo)),
            })
        };
        let in_tx = self.mail;
        match kind {
            K::Helo | K::Ehlo | K::Rset | K::Noop | K::Help | K::Quit | K::Vrfy | K::Expn => None,
            K::StartTls if self.tls => p(554, Some("5.5.1"), "smtp.predict.tls_active", None),
            K::StartTls if self.hello.is_none() => hello_first("STARTTLS"),
            K::StartTls if self.caps.as_ref().is_some_and(|c| !c.starttls) => {
                p(502, Some("5.5.1"), "smtp.predict.no_starttls", None)
            }
            K::StartTls if in_tx => p(
                503,
                Some("5.5.1"),
                "smtp.predict.starttls_in_tx",
                Some(Step::Command(K::Rset)),
            ),
            K::StartTls => None,
            K::AuthLogin | K::AuthPlain if self.authenticated => p(
                503,
                Some("5.5.1"),
                "smtp.predict.already_auth",
                Some(Step::Command(K::MailFrom)),
            ),
            K::AuthLogin | K::AuthPlain if self.hello.is_none() => hello_first("AUTH"),
            K::AuthLogin | K::AuthPlain if in_tx => p(
                503,
                Some("5.5.1"),
                "smtp.predict.auth_in_tx",
                Some(Step::Command(K::Rset)),
            ),
            K::AuthLogin | K::AuthPlain => {
                let caps = self.caps.as_ref()?;
                let mech = if kind == K::AuthLogin {
                    "LOGIN"
                } else {
                    "PLAIN"
                };
                if caps.auth.is_empty() && caps.starttls && !self.tls {
                    p(
                        530,
                        Some("5.7.0"),
                        "smtp.predict.auth_needs_tls",
                        Some(Step::Command(K::StartTls)),
                    )
                } else if !caps.offers_auth(mech) {
                    Some(Prediction {
                        code: 504,
                        enhanced: Some("5.5.4"),
                        reason: Words::new("smtp.predict.no_mechanism").arg("mechanism", mech),
                        needed: None,
                    })
                } else {
                    None
                }
            }
            K::MailFrom if self.hello.is_none() => hello_first("MAIL FROM"),
            K::MailFrom if in_tx => p(
                503,
                Some("5.5.1"),
                "smtp.predict.nested_mail",
                Some(Step::Command(K::Rset)),
            ),
            K::MailFrom
                if !self.authenticated
                    && self.caps.as_ref().is_some_and(|c| !c.auth.is_empty()) =>
            {
                p(
                    530,
                    Some("5.7.0"),
                    "smtp.predict.auth_required",
                    Some(Step::Command(K::AuthLogin)),
                )
            }
            K::MailFrom => None,
            K::RcptTo if self.hello.is_none() => hello_first("RCPT TO"),
            K::RcptTo if !in_tx => p(
                503,
                Some("5.5.1"),
                "smtp.predict.rcpt_no_mail",
                Some(Step::Command(K::MailFrom)),
            ),
            K::RcptTo => None,
            K::Data | K::Bdat if self.hello.is_none() => hello_first(kind.label()),
            K::Data | K::Bdat if !in_tx => p(
                503,
                Some("5.5.1"),
                "smtp.predict.data_no_mail",
                Some(Step::Command(K::MailFrom)),
            ),
            K::Data | K::Bdat if self.rcpts == 0 => p(
                503,
                Some("5.5.1"),
                "smtp.predict.data_no_rcpt",
                Some(Step::Command(K::RcptTo)),
            ),
            K::Bdat if self.caps.as_ref().is_some_and(|c| !c.chunking) => p(
                502,
                Some("5.5.1"),
                "smtp.predict.no_chunking",
                Some(Step::Command(K::Data)),
            ),
            K::Data | K::Bdat => None,
        }
    }
}

#[cfg(test)]
mod tests {
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
        let cmd = SmtpCommand::parse(line).unwrap_or_else(|e| panic!("{e}"));
        s.on_sent(&ClientLine::Command(cmd));
    }

    fn first(s: &SmtpSession) -> Step {
        s.expected_next()[0]
    }

    #[test]
    fn seed_001_session_walkthrough() {
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
        assert_eq!(first(&s), Step::Command(K::MailFrom));
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

    #[test]
    fn command_during_auth_prompt_is_the_answer() {
        let mut s = SmtpSession::new();
        s.on_connected(false);
        s.on_reply(&reply("220 x\r\n"));
        send(&mut s, "EHLO me");
        s.on_reply(&reply("250-x\r\n250 AUTH LOGIN\r\n"));
        send(&mut s, "AUTH LOGIN");
        s.on_reply(&reply("334 VXNlcm5hbWU6\r\n"));
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
}
