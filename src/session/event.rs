//! What the network thread reports, and the errors a request can end in.

use std::time::SystemTime;

pub use crate::proto::client::event::{
    Answers, ClosedBy, EventKind, Finish, LineRead, Parsed, ReplyRead, RequestId, Response,
    SentLine, SessionState, TlsInfo,
};
use crate::words::Words;

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
