//! What the network thread reports, and the errors a request can end in.

use std::net::SocketAddr;
use std::time::SystemTime;

use crate::proto::reply::{MalformedPop3, MalformedReply, Pop3Response, Reply};
use crate::words::Words;

/// A parsed server response of either protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Response {
    Smtp(Reply),
    Pop3(Pop3Response),
}

impl Response {
    pub fn smtp(&self) -> Option<&Reply> {
        match self {
            Response::Smtp(r) => Some(r),
            Response::Pop3(_) => None,
        }
    }

    pub fn pop3(&self) -> Option<&Pop3Response> {
        match self {
            Response::Pop3(r) => Some(r),
            Response::Smtp(_) => None,
        }
    }

    /// 2xx/3xx for SMTP, `+OK`/`+` for POP3.
    pub fn is_positive(&self) -> bool {
        match self {
            Response::Smtp(r) => r.is_positive(),
            Response::Pop3(r) => r.status.indicator != crate::proto::reply::Pop3Indicator::Err,
        }
    }

    pub fn raw(&self) -> &[u8] {
        match self {
            Response::Smtp(r) => &r.raw,
            Response::Pop3(r) => &r.raw,
        }
    }
}

/// What arrived from the server, parsed or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Response(Response),
    MalformedSmtp(MalformedReply),
    MalformedPop3(MalformedPop3),
}

impl Parsed {
    /// The bytes exactly as they arrived.
    pub fn raw(&self) -> &[u8] {
        match self {
            Parsed::Response(r) => r.raw(),
            Parsed::MalformedSmtp(e) => e.raw(),
            Parsed::MalformedPop3(e) => e.raw(),
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
    /// Bytes written to the socket. `secret` marks a password line (masked in transcripts);
    /// `id` is the request they belong to (`None` in a pasted transcript).
    Sent {
        id: Option<RequestId>,
        bytes: Vec<u8>,
        secret: bool,
    },
    /// Bytes read from the socket, as one reply (or one malformed line; `parsed.raw()` has the
    /// bytes), and what it answers.
    Received {
        parsed: Parsed,
        answers: Answers,
    },
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

/// One thing that happened on a connection, stamped when it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: SystemTime,
    pub kind: EventKind,
}

impl Event {
    pub fn now(kind: EventKind) -> Self {
        Self {
            at: SystemTime::now(),
            kind,
        }
    }
}

/// Why a certificate was not trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFailure {
    SelfSigned,
    Expired,
    WrongHost,
    UnknownIssuer,
    /// The pinned fingerprint does not match the certificate presented.
    PinMismatch,
    /// The handshake did not finish within its deadline (a silent or dripping server).
    TimedOut,
    Handshake,
}

impl TlsFailure {
    /// The key of the words that say why.
    pub fn key(self) -> &'static str {
        match self {
            TlsFailure::SelfSigned => "tls.self_signed",
            TlsFailure::Expired => "tls.expired",
            TlsFailure::WrongHost => "tls.wrong_host",
            TlsFailure::UnknownIssuer => "tls.unknown_issuer",
            TlsFailure::PinMismatch => "tls.pin_mismatch",
            TlsFailure::TimedOut => "tls.timed_out",
            TlsFailure::Handshake => "tls.handshake",
        }
    }

    pub fn describe(self, lang: crate::proto::Lang) -> String {
        crate::words::tr(lang, self.key())
    }

    /// Classifies the TLS library's message.
    pub fn classify(message: &str) -> Self {
        let m = message.to_ascii_lowercase();
        if m.contains("self-signed") || m.contains("self signed") {
            TlsFailure::SelfSigned
        } else if m.contains("expired") || m.contains("not yet valid") {
            TlsFailure::Expired
        } else if m.contains("hostname")
            || m.contains("host name")
            || m.contains("ip address mismatch")
        {
            TlsFailure::WrongHost
        } else if m.contains("unable to get local issuer")
            || m.contains("unknown ca")
            || m.contains("issuer")
        {
            TlsFailure::UnknownIssuer
        } else {
            TlsFailure::Handshake
        }
    }
}

/// Why connecting failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    /// `detail` quotes the resolver's own message where it gave one.
    #[error("{}", self.words())]
    Dns { host: String, detail: Words },
    /// `detail` quotes the operating system's message where it gave one.
    #[error("{}", self.words())]
    Connect { target: String, detail: Words },
    #[error("{}", self.words())]
    Timeout { target: String, secs: u64 },
    #[error("{}", self.words())]
    Tls {
        target: String,
        reason: TlsFailure,
        /// The TLS library's message, quoted.
        detail: String,
        /// The presented certificate's fingerprint, for an explicit "accept this certificate".
        fingerprint: Option<String>,
    },
    #[error("{}", self.words())]
    Refused(Words),
}

impl ConnectError {
    /// The error in words, worded when shown.
    pub fn words(&self) -> Words {
        match self {
            Self::Dns { host, detail } => Words::new("connect.dns")
                .arg("host", host)
                .arg_words("detail", detail.clone()),
            Self::Connect { target, detail } => Words::new("connect.refused")
                .arg("target", target)
                .arg_words("detail", detail.clone()),
            Self::Timeout { target, secs } => Words::new("connect.timeout")
                .arg("target", target)
                .arg("secs", secs),
            Self::Tls {
                target,
                reason,
                fingerprint,
                ..
            } => match fingerprint {
                Some(f) => Words::new("connect.tls_fingerprint").arg("fingerprint", f),
                None => Words::new("connect.tls"),
            }
            .arg("target", target)
            .arg_key("reason", reason.key()),
            Self::Refused(w) => w.clone(),
        }
    }
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("{}", self.words())]
    Timeout(u64),
    #[error("{}", self.words())]
    Closed,
    #[error("{}", self.words())]
    Invalid(Words),
    /// The server's reply, quoted.
    #[error("{}", self.words())]
    Refused(String),
    /// The TLS library's message, quoted.
    #[error("{}", self.words())]
    Tls(String),
    /// The operating system's message, quoted.
    #[error("{}", self.words())]
    Io(String),
}

impl SessionError {
    pub fn words(&self) -> Words {
        match self {
            Self::Timeout(secs) => Words::new("session.timeout").arg("secs", secs),
            Self::Closed => Words::new("session.closed"),
            Self::Invalid(w) => w.clone(),
            Self::Refused(text) => Words::new("session.refused").arg("text", text),
            Self::Tls(text) => Words::new("session.tls").arg("text", text),
            Self::Io(text) => Words::new("session.io").arg("text", text),
        }
    }
}
