//! What the network thread reports, and the errors a request can end in.

use std::net::SocketAddr;
use std::time::SystemTime;

use crate::proto::reply::{MalformedPop3, MalformedReply, Pop3Response, Reply};

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

/// The peer certificate and session of an established TLS connection.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TlsInfo {
    /// `None` where the platform TLS library does not report it (native-tls does not).
    pub protocol: Option<String>,
    pub cipher: Option<String>,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Connected {
        peer: SocketAddr,
        local: SocketAddr,
    },
    /// Bytes written to the socket. `secret` marks a password line (masked in transcripts).
    Sent {
        bytes: Vec<u8>,
        secret: bool,
    },
    /// Bytes read from the socket, as one reply (or one malformed line).
    Received {
        raw: Vec<u8>,
        parsed: Parsed,
    },
    TlsEstablished(TlsInfo),
    Warning(String),
    Error(String),
    Closed {
        by: ClosedBy,
        why: String,
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
    Handshake,
}

impl TlsFailure {
    pub fn describe(self) -> &'static str {
        match self {
            TlsFailure::SelfSigned => {
                "the certificate is self-signed, so no authority vouches for it"
            }
            TlsFailure::Expired => "the certificate has expired (or is not valid yet)",
            TlsFailure::WrongHost => "the certificate was issued for another host name",
            TlsFailure::UnknownIssuer => "the certificate's issuer is not a trusted authority",
            TlsFailure::PinMismatch => {
                "the certificate is not the one whose fingerprint was pinned"
            }
            TlsFailure::Handshake => "the TLS handshake failed",
        }
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
    #[error("cannot resolve {host}: {detail}")]
    Dns { host: String, detail: String },
    #[error("cannot connect to {target}: {detail}")]
    Connect { target: String, detail: String },
    #[error("no answer from {target} within {secs} s (a firewall, or the wrong port?)")]
    Timeout { target: String, secs: u64 },
    #[error("TLS with {target} failed: {}{}", reason.describe(), fingerprint.as_ref().map(|f| format!(". Its SHA-256 fingerprint is {f}; accept it only if you know it is right")).unwrap_or_default())]
    Tls {
        target: String,
        reason: TlsFailure,
        detail: String,
        /// The presented certificate's fingerprint, for an explicit "accept this certificate".
        fingerprint: Option<String>,
    },
    #[error("{0}")]
    Refused(String),
}

/// Why a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("no reply within {0} s: the server may be slow or gone")]
    Timeout(u64),
    #[error("the connection is closed")]
    Closed,
    #[error("{0}")]
    Invalid(String),
    #[error("the server refused: {0}")]
    Refused(String),
    #[error("TLS failed: {0}")]
    Tls(String),
    #[error("network error: {0}")]
    Io(String),
}
