//! What the practice server tells its watchers: every session's lines on both sides and the
//! milestones a teacher follows (logged in, mail delivered, mail read). `serve` prints each
//! event as a log line; the window folds them into its server log and mailbox.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use crate::proto::Lang;
use crate::words::Words;

/// The four ports of the practice server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    Smtp,
    Smtps,
    Pop3,
    Pop3s,
    Imap,
    Imaps,
}

impl Service {
    pub fn name(self) -> &'static str {
        match self {
            Service::Smtp => "smtp",
            Service::Smtps => "smtps",
            Service::Pop3 => "pop3",
            Service::Pop3s => "pop3s",
            Service::Imap => "imap",
            Service::Imaps => "imaps",
        }
    }

    /// TLS from the first byte (SMTPS, POP3S, IMAPS).
    pub fn implicit_tls(self) -> bool {
        matches!(self, Service::Smtps | Service::Pop3s | Service::Imaps)
    }

    pub fn is_smtp(self) -> bool {
        matches!(self, Service::Smtp | Service::Smtps)
    }
}

/// Who a logged line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// What the client sent, passwords masked.
    Client,
    /// What the server answered.
    Server,
    /// The server's own note (TLS up, a staged fault fired, a timeout).
    Note,
}

/// One thing that happened in a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerEventKind {
    Connected,
    Line {
        side: Side,
        text: String,
    },
    /// A successful AUTH (SMTP) or PASS (POP3).
    LoggedIn {
        account: String,
    },
    /// A message was stored for these recipients (before its 250 went out).
    Delivered {
        id: String,
        recipients: Vec<String>,
    },
    /// A client read messages: POP3 RETR (one), IMAP FETCH of their text (`count`).
    Retrieved {
        account: String,
        count: usize,
    },
    /// A line of the log in words (a note, or a summary of what one side sent), read in the
    /// reader's language.
    Said {
        side: Side,
        words: Words,
    },
    Disconnected,
    /// The lab scored the session as a student's attempt.
    Graded(Arc<super::lab::LabResult>),
}

impl ServerEventKind {
    /// A milestone or a note in words, and the side it stands for. A wire line (`Line`) is
    /// shown as it was sent and has none: it comes back as a note of its own text.
    pub fn said(&self, peer: &str) -> (Side, Words) {
        match self {
            ServerEventKind::Connected => {
                (Side::Note, Words::new("srvlog.connected").arg("peer", peer))
            }
            ServerEventKind::Line { side, text } => (*side, Words::text(text)),
            ServerEventKind::LoggedIn { account } => (
                Side::Note,
                Words::new("srvlog.logged_in").arg("account", account),
            ),
            ServerEventKind::Delivered { id, recipients } => (
                Side::Note,
                Words::new("srvlog.delivered")
                    .arg("id", id)
                    .arg("to", recipients.join(", ")),
            ),
            ServerEventKind::Retrieved { account, count } => (
                Side::Note,
                Words::new("srvlog.retrieved")
                    .arg("account", account)
                    .arg("count", count),
            ),
            ServerEventKind::Said { side, words } => (*side, words.clone()),
            ServerEventKind::Disconnected => (Side::Note, Words::new("srvlog.disconnected")),
            ServerEventKind::Graded(result) => (Side::Note, super::lab::graded_words(result)),
        }
    }
}

/// An event with the session it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerEvent {
    pub at: SystemTime,
    /// Counts up from 1 for every connection the server accepted.
    pub session: u64,
    pub service: Service,
    pub peer: Arc<str>,
    pub kind: ServerEventKind,
}

impl fmt::Display for ServerEvent {
    /// The log line `serve` prints: `[7 smtp 127.0.0.1:50412] C: EHLO pc`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{} {} {}] ",
            self.session,
            self.service.name(),
            self.peer
        )?;
        match &self.kind {
            ServerEventKind::Line { side, text } => match side {
                Side::Client => write!(f, "C: {text}"),
                Side::Server => write!(f, "S: {text}"),
                Side::Note => write!(f, "{text}"),
            },
            kind => {
                let (side, words) = kind.said(&self.peer);
                let text = words.get(Lang::En);
                match side {
                    Side::Client => write!(f, "C: {text}"),
                    Side::Server => write!(f, "S: {text}"),
                    Side::Note => write!(f, "{text}"),
                }
            }
        }
    }
}

/// Where the server's events go: `serve` prints them, the window sends them to its thread.
pub type EventSink = Arc<dyn Fn(ServerEvent) + Send + Sync>;

/// A sink that drops everything.
pub fn discard() -> EventSink {
    Arc::new(|_| {})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_lines_read_as_before() {
        let e = |kind| ServerEvent {
            at: SystemTime::UNIX_EPOCH,
            session: 7,
            service: Service::Smtp,
            peer: Arc::from("127.0.0.1:50412"),
            kind,
        };
        let line = |side, text: &str| ServerEventKind::Line {
            side,
            text: text.into(),
        };
        assert_eq!(
            e(line(Side::Client, "EHLO pc")).to_string(),
            "[7 smtp 127.0.0.1:50412] C: EHLO pc"
        );
        assert_eq!(
            e(line(Side::Server, "250 ok")).to_string(),
            "[7 smtp 127.0.0.1:50412] S: 250 ok"
        );
        assert_eq!(
            e(ServerEventKind::Delivered {
                id: "A1".into(),
                recipients: vec!["a@x".into(), "b@x".into()]
            })
            .to_string(),
            "[7 smtp 127.0.0.1:50412] delivered A1 to a@x, b@x"
        );
    }
}
