//! What a client connection reports: the lines it sent and how it read them, the responses it
//! read and what each answers and meant, and how requests and the connection ended.

use std::net::SocketAddr;

use crate::proto::Protocol;
use crate::proto::auth::PromptKind;
use crate::proto::imap::{CommandMistake, ImapResponse, ImapState, ImapStatus, ResponseKind};
use crate::proto::message_lines::MessageLine;
use crate::proto::pop3_state::{Pop3Outcome, Pop3Session};
use crate::proto::reply::{MalformedPop3, MalformedReply, Pop3Response, Reply};
use crate::proto::situations::ReplyContext;
use crate::proto::smtp_state::{Outcome, SmtpSession};
use crate::words::Words;

/// A parsed server response of either protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Smtp(Reply),
    Pop3(Pop3Response),
    Imap(ImapResponse),
}

impl Response {
    pub fn smtp(&self) -> Option<&Reply> {
        match self {
            Response::Smtp(r) => Some(r),
            _ => None,
        }
    }

    pub fn pop3(&self) -> Option<&Pop3Response> {
        match self {
            Response::Pop3(r) => Some(r),
            _ => None,
        }
    }

    pub fn imap(&self) -> Option<&ImapResponse> {
        match self {
            Response::Imap(r) => Some(r),
            _ => None,
        }
    }

    /// 2xx/3xx for SMTP, `+OK`/`+` for POP3; for IMAP anything but NO, BAD and BYE (data and
    /// `+` included).
    pub fn is_positive(&self) -> bool {
        match self {
            Response::Smtp(r) => r.is_positive(),
            Response::Pop3(r) => r.status.indicator != crate::proto::reply::Pop3Indicator::Err,
            Response::Imap(r) => !matches!(
                r.status,
                Some(ImapStatus::No | ImapStatus::Bad | ImapStatus::Bye)
            ),
        }
    }

    /// Whether the response may end a request: for IMAP a tagged completion or a `+` (untagged
    /// data belongs to the command in flight without ending it); every SMTP and POP3 reply.
    pub fn ends_request(&self) -> bool {
        match self {
            Response::Imap(r) => r.kind != ResponseKind::Untagged,
            _ => true,
        }
    }

    pub fn raw(&self) -> &[u8] {
        match self {
            Response::Smtp(r) => &r.raw,
            Response::Pop3(r) => &r.raw,
            Response::Imap(r) => &r.raw,
        }
    }
}

/// What arrived from the server, parsed or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Response(Response),
    MalformedSmtp(MalformedReply),
    MalformedPop3(MalformedPop3),
    /// An IMAP response larger than the client keeps: its first bytes, and its size.
    ImapTooLarge {
        head: Vec<u8>,
        size: usize,
    },
}

impl Parsed {
    /// The bytes exactly as they arrived.
    pub fn raw(&self) -> &[u8] {
        match self {
            Parsed::Response(r) => r.raw(),
            Parsed::MalformedSmtp(e) => e.raw(),
            Parsed::MalformedPop3(e) => e.raw(),
            Parsed::ImapTooLarge { head, .. } => head,
        }
    }
}

/// The peer certificate and session of an established TLS connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsInfo {
    pub subject: String,
    pub issuer: String,
    pub not_before: String,
    pub not_after: String,
    /// SHA-256 of the certificate, `AB:CD:…`.
    pub fingerprint: String,
    /// True when the certificate was accepted because its fingerprint was pinned.
    pub pinned: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedBy {
    Client,
    Server,
    Error,
}

/// Names one write of the network thread (a request), so that replies and the request's end
/// can say which one they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// Which request a response answers. The network thread is the one place that decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answers {
    /// The oldest request still waiting.
    Request(RequestId),
    /// A request that already timed out: shown, but it answers nothing now.
    Late(RequestId),
    /// Nothing was waiting: a greeting, or something the server said on its own (a 421).
    Unasked,
    /// No network thread took part (a pasted transcript): replies pair with commands in order.
    InOrder,
}

/// How a request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    /// Every reply it waited for came.
    Answered,
    /// No reply within the reply timeout; replies that come after are late.
    TimedOut { secs: u64 },
    /// The server answered with a line that is not a reply; `what` names the request
    /// (passwords masked).
    Invalid { what: String },
    /// The connection ended first.
    Closed,
    /// Refused before anything was written, for this reason.
    Rejected(Words),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Connected {
        peer: SocketAddr,
        local: SocketAddr,
    },
    /// Lines written to the socket, each as the connection read it when it went out; `id` is
    /// the request they belong to (`None` in a pasted transcript).
    Sent {
        id: Option<RequestId>,
        lines: Vec<SentLine>,
    },
    /// Bytes read from the socket, as one reply (or one malformed line; `parsed.raw()` has the
    /// bytes), what it answers, and what it meant to the session (`None`: it was folded into
    /// nothing, a late reply or a line that is no reply).
    Received {
        parsed: Parsed,
        answers: Answers,
        read: Option<Box<ReplyRead>>,
    },
    /// A client line that a log of the server's side leaves out and the next reply makes
    /// certain: `command` names it, `why` is the key of the reason.
    Inferred {
        command: &'static str,
        why: &'static str,
    },
    /// The session's state as the event after it left it (sent just before that event): what
    /// a view asks (the next step, whether a line is a secret) without folding anything.
    State(std::sync::Arc<SessionState>),
    /// A request ended; `unanswered` replies it waited for will not be paired with anything.
    Finished {
        id: RequestId,
        finish: Finish,
        unanswered: usize,
    },
    TlsEstablished(TlsInfo),
    Warning(Words),
    Error(Words),
    Closed {
        by: ClosedBy,
        why: Words,
    },
}

/// One line the client sent, as the connection read it at the moment it went out (the
/// session's state decides: after 354 it is message text, after 334 an AUTH answer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentLine {
    /// The bytes, line ending included.
    pub raw: Vec<u8>,
    /// It carries a password: masked wherever it shows.
    pub secret: bool,
    pub read: LineRead,
    /// The first line sent in clear while a TLS handshake was due (once per STARTTLS).
    pub before_handshake: bool,
}

/// What a client line was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineRead {
    /// A command of the session's protocol; `initial` is AUTH PLAIN's initial response,
    /// decoded.
    Command { initial: Option<String> },
    /// Not a command the tutor knows; `verb` is the command its first word names when only
    /// the arguments are wrong.
    NotACommand {
        verb: Option<&'static str>,
        protocol: Protocol,
    },
    /// A POP3 AUTH line with a mechanism (RFC 5034): a command, though not one of the
    /// lesson's.
    SaslCommand,
    /// An SMTP command outside the standard set that a server may know: one its EHLO reply
    /// offered, or a private one (RFC 5321 §4.1.5: verbs that begin with X, as XCLIENT).
    Extension { verb: String },
    /// The answer to an AUTH challenge: `decoded` is its base64 decoded (`None`: not base64,
    /// `not_base64` says whether that is a mistake), `echo_newline` that the decoded value
    /// ends in a newline, `base64_in_clear` that a password went as base64 on a plain
    /// connection for the first time.
    AuthAnswer {
        kind: PromptKind,
        decoded: Option<String>,
        not_base64: bool,
        echo_newline: bool,
        base64_in_clear: bool,
    },
    /// A line of the message after 354 (the final dot included), with what it is.
    Message(Vec<MessageLine>),
    /// An IMAP command, with what in it a server refuses (nothing for a button's), and the
    /// state it was sent in when that state does not allow it.
    Imap {
        verb: String,
        mistakes: Vec<CommandMistake>,
        refused_in: Option<ImapState>,
    },
    /// The bytes of an IMAP literal, sent after the server's `+`.
    ImapLiteral,
}

/// What a reply meant to the session: what it answered and the state it found (the context
/// the knowledge base matches on), and what became of the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyRead {
    pub context: ReplyContext,
    pub outcome: Folded,
    /// What a 334 challenge asks, decoded (not for an empty one).
    pub prompt: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Folded {
    Smtp(Outcome),
    Pop3(Pop3Outcome),
    Imap(Box<ImapRead>),
}

/// What an IMAP response meant to the session: the command it answers and the state that
/// command was sent in (the context the knowledge reads it in), and the state it left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapRead {
    pub verb: Option<String>,
    pub state: ImapState,
    pub after: ImapState,
    /// The server had listed LOGINDISABLED, and no TLS began since.
    pub login_disabled: bool,
    pub greeting: bool,
    /// A tagged completion (the state after it is shown).
    pub completed: bool,
}

impl ImapRead {
    pub fn context(&self) -> crate::proto::imap::knowledge::Context<'_> {
        crate::proto::imap::knowledge::Context {
            verb: self.verb.as_deref(),
            state: &self.state,
            login_disabled: self.login_disabled,
            greeting: self.greeting,
        }
    }
}

/// The client's view of an IMAP session.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ImapView {
    pub state: ImapState,
    /// Commands sent and not yet completed: (tag, verb), oldest first.
    pub pending: Vec<(String, String)>,
    pub login_disabled: bool,
    /// The capabilities the server listed last.
    pub capabilities: Vec<String>,
    /// `* n EXISTS` of the selected mailbox.
    pub exists: Option<u32>,
    /// The server's `+` to AUTHENTICATE: the next line is the answer.
    pub auth_answer_due: bool,
    /// IDLE was answered `+`: DONE ends it.
    pub idling: bool,
    /// STARTTLS was answered OK and the handshake is still to come.
    pub tls_pending: bool,
    pub tls: bool,
    /// The greeting was read.
    pub greeted: bool,
}

/// The client's view of the session, as the connection holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionState {
    pub protocol: Protocol,
    pub smtp: SmtpSession,
    pub pop3: Pop3Session,
    pub imap: ImapView,
}

impl Default for SessionState {
    fn default() -> Self {
        Self {
            protocol: Protocol::Smtp,
            smtp: SmtpSession::new(),
            pop3: Pop3Session::new(),
            imap: ImapView::default(),
        }
    }
}
