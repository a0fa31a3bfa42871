//! The SMTP client session as a state machine fed with what was sent and what came back
//! (RFC 5321 §3 and §4.1.4 on command order, RFC 3207 §4.2, RFC 4954 §4).

use std::collections::VecDeque;

use super::auth::{self, PromptKind};
use super::reply::Reply;
use super::situations::{Answers, Flag, Protocol, ReplyContext};
use super::smtp::{Capabilities, CommandKind, SmtpCommand};
pub use super::smtp_outcome::{Outcome, Step};
use crate::words::Words;

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
    /// Answers the client has given in this exchange (an initial response counts).
    answers: u8,
}

/// The client's view of one SMTP session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSession {
    connected: bool,
    greeting: Greeting,
    hello: Option<CommandKind>,
    /// Shared, so that a snapshot of the state costs no copy of the list.
    caps: Option<std::sync::Arc<Capabilities>>,
    tls: bool,
    tls_pending: bool,
    authenticated: bool,
    /// AUTH was sent in this session (whatever became of it).
    auth_tried: bool,
    auth: Option<AuthExchange>,
    mail: bool,
    rcpts: u32,
    data: DataPhase,
    quit_sent: bool,
    /// A message was accepted (250 after its dot) and no new mail was begun since.
    delivered: bool,
    pending: VecDeque<Pending>,
    /// Lines waiting that a [`Self::snapshot`] leaves out (none in the session itself).
    cut: usize,
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
            auth_tried: false,
            auth: None,
            mail: false,
            rcpts: 0,
            data: DataPhase::Idle,
            quit_sent: false,
            delivered: false,
            pending: VecDeque::new(),
            cut: 0,
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
        self.caps.as_deref()
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
    /// Whether the answer the open 334 waits for is a secret: whatever the prompt says, every
    /// answer of AUTH PLAIN, and every answer of AUTH LOGIN after the username (a server that
    /// asks "passwd:" or "Username:" twice still gets the password second); and any answer to
    /// a prompt that asks for a password.
    pub fn auth_answer_is_secret(&self) -> bool {
        match self.auth {
            Some(AuthExchange {
                plain,
                asked: Some(kind),
                answers,
            }) => plain || answers > 0 || matches!(kind, PromptKind::Password | PromptKind::Empty),
            _ => false,
        }
    }
    /// The AUTH command still waiting for its first reply, if the newest line sent is one.
    fn auth_sent(&self) -> Option<&SmtpCommand> {
        match self.pending.back() {
            Some(Pending::Command(cmd)) if cmd.kind().answers() == Answers::Auth => Some(cmd),
            _ => None,
        }
    }

    /// Whether QUIT was sent and answered: the session is over.
    pub fn quit_answered(&self) -> bool {
        self.quit_sent && self.pending.is_empty() && self.cut == 0
    }

    /// Whether an AUTH exchange waits for the server's next challenge (or its verdict): AUTH
    /// was the last line sent, or a challenge was answered.
    pub fn awaiting_challenge(&self) -> bool {
        self.auth.is_some_and(|a| a.asked.is_none()) || self.auth_sent().is_some()
    }

    /// Records an answer to an AUTH exchange whose challenge a log of the client's side only
    /// leaves out; says whether it is a secret (AUTH PLAIN's, or AUTH LOGIN's after the
    /// username).
    pub fn on_unprompted_answer(&mut self) -> bool {
        if self.auth.is_none() {
            let plain = self
                .auth_sent()
                .is_some_and(|c| c.kind() == CommandKind::AuthPlain);
            self.auth = Some(AuthExchange {
                plain,
                asked: None,
                answers: 0,
            });
        }
        let secret = self.auth.is_some_and(|a| a.plain || a.answers > 0);
        if let Some(a) = self.auth.as_mut() {
            a.answers = a.answers.saturating_add(1);
        }
        self.pending.push_back(Pending::AuthResponse);
        secret
    }

    /// Whether the greeting has come (or the session was taken up in its middle).
    pub fn greeted(&self) -> bool {
        self.greeting != Greeting::Waiting
    }
    pub fn awaiting_replies(&self) -> usize {
        self.pending.len() + self.cut
    }

    /// A copy for a view, cheap however many lines wait: of those only the oldest (what the
    /// next reply answers) is kept, and how many there are.
    pub fn snapshot(&self) -> Self {
        Self {
            connected: self.connected,
            greeting: self.greeting,
            hello: self.hello,
            caps: self.caps.clone(),
            tls: self.tls,
            tls_pending: self.tls_pending,
            authenticated: self.authenticated,
            auth_tried: self.auth_tried,
            auth: self.auth,
            mail: self.mail,
            rcpts: self.rcpts,
            data: self.data,
            quit_sent: self.quit_sent,
            delivered: self.delivered,
            pending: self.pending.front().cloned().into_iter().collect(),
            cut: self.awaiting_replies().saturating_sub(1),
        }
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
            None if self.greeting == Greeting::Waiting && code == 354 => (Answers::Data, false),
            None if self.greeting == Greeting::Waiting && code == 334 => (Answers::Auth, false),
            None if self.connected && self.greeting == Greeting::Waiting => {
                (Answers::Greeting, false)
            }
            // A refusal while the message is being sent answers the message.
            None if self.data == DataPhase::Open && code >= 400 => (Answers::Dot, false),
            None => (Answers::None, false),
            Some(Pending::Command(cmd)) => (cmd.kind().answers(), false),
            Some(Pending::AuthResponse) => (Answers::AuthData, false),
            Some(Pending::Message) => (Answers::Dot, false),
            Some(Pending::Unparsed(Some(kind))) => (kind.answers(), true),
            Some(Pending::Unparsed(None)) => (Answers::Unknown, true),
        };
        let caps = self.caps.as_ref();
        ReplyContext::new(Protocol::Smtp, answers)
            .flag(Flag::Malformed, malformed)
            .flag(Flag::Tls, self.tls)
            .flag(Flag::StarttlsOffered, caps.is_some_and(|c| c.starttls))
            .flag(Flag::AuthOffered, caps.is_some_and(|c| !c.auth.is_empty()))
            .flag(Flag::Hello, self.hello.is_some())
            .flag(Flag::Ehlo, self.hello == Some(CommandKind::Ehlo))
            .flag(Flag::Authenticated, self.authenticated)
            .flag(Flag::Mail, self.mail)
            .flag(Flag::Rcpt, self.rcpts > 0)
            .flag(Flag::Greeted, self.greeting == Greeting::Ready)
            .flag(Flag::AuthTried, self.auth_tried)
    }

    /// Puts the lines waiting for replies aside while a reply that answers none of them (a
    /// greeting that arrives after the first command went out, an unasked 421) is folded.
    pub(in crate::proto) fn set_aside(&mut self) -> SetAside {
        SetAside(std::mem::take(&mut self.pending))
    }

    /// Ends [`Self::set_aside`]: the lines wait again, ahead of any sent since.
    pub(in crate::proto) fn take_back(&mut self, aside: SetAside) {
        let mut pending = aside.0;
        pending.append(&mut self.pending);
        self.pending = pending;
    }

    /// Stops waiting for the replies to the `n` oldest lines sent: their request timed out or
    /// was answered with something that is not a reply.
    pub(in crate::proto) fn abandon(&mut self, n: usize) {
        for _ in 0..n {
            if matches!(self.pending.pop_front(), Some(Pending::AuthResponse)) {
                self.auth = None;
            }
        }
    }

    /// Records a line the client sent.
    pub fn on_sent(&mut self, line: &ClientLine) {
        let waiting_auth = self.auth.is_some_and(|a| a.asked.is_some());
        let auth = |k: CommandKind| k.answers() == Answers::Auth;
        self.auth_tried |= match line {
            ClientLine::Command(cmd) => auth(cmd.kind()),
            ClientLine::Unparsed(kind) => kind.is_some_and(auth),
            ClientLine::AuthResponse => true,
            ClientLine::Message => false,
        };
        let entry = match line {
            // While a 334 is open, whatever line comes next is read as the answer.
            ClientLine::Command(_) | ClientLine::AuthResponse | ClientLine::Unparsed(_)
                if waiting_auth =>
            {
                if let Some(a) = self.auth.as_mut() {
                    a.asked = None;
                    a.answers = a.answers.saturating_add(1);
                }
                Pending::AuthResponse
            }
            ClientLine::Command(_) | ClientLine::Unparsed(_) if self.data == DataPhase::Open => {
                return;
            }
            ClientLine::Unparsed(kind) => Pending::Unparsed(*kind),
            ClientLine::Command(cmd) => {
                match cmd.kind() {
                    CommandKind::Quit => self.quit_sent = true,
                    CommandKind::MailFrom | CommandKind::Rset => self.delivered = false,
                    _ => {}
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
                    answers: 0,
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
            // A refusal in the middle of the message: the server cut it short (a size limit,
            // a bare LF), and the transaction is over.
            None if self.data == DataPhase::Open && reply.class() >= 4 => {
                self.reset_transaction();
                Outcome::Refused {
                    command: Some(CommandKind::Data),
                    code,
                }
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
                self.delivered = code == 250;
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
                    .flatten()
                    .map(std::sync::Arc::new);
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
                    answers: u8::from(matches!(
                        cmd,
                        SmtpCommand::AuthLogin { initial: Some(_) }
                            | SmtpCommand::AuthPlain { initial: Some(_) }
                    )),
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
                let answers = self.auth.map_or(0, |a| a.answers);
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
                    answers,
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
}

mod advice;
pub use advice::Prediction;

#[cfg(test)]
mod tests;
