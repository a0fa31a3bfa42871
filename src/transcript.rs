//! The transcript: every line that crossed the wire, in order, with what proto/ knows about
//! it. Built once per event (no re-parsing when drawn), exported as telnet-style text or
//! annotated text. Shared by the window, `mailtutor send` and the tests.

use std::time::SystemTime;

use crate::proto::Lang;
use crate::proto::auth::{self, Decoded, MASK, PromptKind};
use crate::proto::codes;
use crate::proto::pop3::Pop3Command;
use crate::proto::pop3_state::{Pop3Outcome, Pop3Session};
use crate::proto::reply::EnhancedStatus;
use crate::proto::smtp::SmtpCommand;
use crate::proto::smtp_state::{ClientLine, Outcome, SmtpSession};
use crate::session::{ClosedBy, Event, EventKind, Parsed, Protocol, Response, TlsInfo};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Client,
    Server,
    Event,
}

/// Something proto/ knows about an entry, rendered in the reader's language when shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The meaning of an SMTP reply code.
    Code(u16),
    Enhanced(EnhancedStatus),
    /// A POP3 `+OK`/`-ERR`/`+` and an RFC 2449 response code.
    Pop3Status(&'static str),
    Pop3Code(String),
    /// A decoded 334 challenge.
    Prompt {
        decoded: String,
    },
    /// A decoded base64 line the client sent; `secret` masks the value.
    Answer {
        kind: PromptKind,
        decoded: String,
        secret: bool,
    },
    Outcome(Outcome),
    Pop3Outcome(Pop3Outcome),
    /// One line of message text (after 354), counted.
    MessageEnd {
        lines: usize,
    },
    Text(String),
}

impl Note {
    pub fn render(&self, lang: Lang, show_secrets: bool) -> String {
        match self {
            Note::Code(c) => match codes::smtp(*c) {
                Some(e) => format!("{c}: {}", e.meaning.get(lang)),
                None => format!("{c}: {}", codes::label(lang, "unknown")),
            },
            Note::Enhanced(es) => match codes::enhanced(*es).meaning(lang) {
                Some(m) => format!("{es}: {m}"),
                None => format!("{es}: {}", codes::label(lang, "unknown")),
            },
            Note::Pop3Status(t) => codes::pop3(t)
                .map(|e| format!("{t}: {}", e.meaning.get(lang)))
                .unwrap_or_default(),
            Note::Pop3Code(t) => codes::pop3(t)
                .map(|e| format!("[{t}]: {}", e.meaning.get(lang)))
                .unwrap_or_else(|| format!("[{t}]")),
            Note::Prompt { decoded } => match lang {
                Lang::En => format!("base64 → \"{decoded}\""),
                Lang::Zh => format!("base64 解码 → “{decoded}”"),
            },
            Note::Answer {
                kind,
                decoded,
                secret,
            } => {
                let label = match kind {
                    PromptKind::Username => lang.pick("username", "用户名"),
                    PromptKind::Password => lang.pick("password", "密码"),
                    PromptKind::Empty => lang.pick("\\0user\\0password", "\\0用户名\\0密码"),
                    PromptKind::Other => lang.pick("answer", "回答"),
                };
                let value = if *secret && !show_secrets {
                    MASK
                } else {
                    decoded.as_str()
                };
                format!("base64 → {label}: {value}")
            }
            Note::Outcome(o) => format!("→ {}", o.describe(lang)),
            Note::Pop3Outcome(o) => format!("→ {}", o.describe(lang)),
            Note::MessageEnd { lines } => match lang {
                Lang::En => format!("end of the message ({lines} lines): <CRLF>.<CRLF>"),
                Lang::Zh => format!("邮件内容结束（共 {lines} 行）：<CRLF>.<CRLF>"),
            },
            Note::Text(t) => t.clone(),
        }
    }
}

/// The fixed opening words of a connection-event row; the details after them (addresses,
/// the network thread's messages) are recorded as they came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventLabel {
    Connected,
    ClosedByClient,
    ClosedByServer,
    ClosedAfterError,
    Tls,
    Error,
    Warning,
}

impl EventLabel {
    pub fn words(self, lang: Lang) -> &'static str {
        use EventLabel as L;
        match self {
            L::Connected => lang.pick("Connected to ", "已连接到 "),
            L::ClosedByClient => {
                lang.pick("Connection closed by the client: ", "连接已由客户端关闭：")
            }
            L::ClosedByServer => {
                lang.pick("Connection closed by the server: ", "连接已被服务器关闭：")
            }
            L::ClosedAfterError => {
                lang.pick("Connection closed after an error: ", "连接因错误而关闭：")
            }
            L::Tls => lang.pick("TLS established", "TLS 已建立"),
            L::Error => lang.pick("Error: ", "错误："),
            L::Warning => lang.pick("Warning: ", "警告："),
        }
    }
}

/// One row: a line the client sent, a reply, or a connection event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: SystemTime,
    pub dir: Direction,
    /// The bytes as they crossed the wire (one line for the client, a whole reply for the server);
    /// for events, their description.
    pub raw: Vec<u8>,
    /// A password line: shown masked unless secrets are shown.
    pub secret: bool,
    /// What the reply parser made of a server entry.
    pub parsed: Option<Parsed>,
    pub notes: Vec<Note>,
    /// For an event row: the words its recorded (English) text opens with.
    pub label: Option<EventLabel>,
}

impl Entry {
    /// The SMTP reply code of a server entry, for the colored badge.
    pub fn code(&self) -> Option<u16> {
        match &self.parsed {
            Some(Parsed::Response(Response::Smtp(r))) => Some(r.code),
            _ => None,
        }
    }

    /// An event row in the reader's language: its opening words translated, the details as
    /// recorded. Other rows are returned as [`Entry::text`] gives them.
    pub fn event_text(&self, lang: Lang) -> String {
        let text = self.text(false);
        match self.label {
            Some(l) => {
                let detail = text.get(l.words(Lang::En).len()..).unwrap_or("");
                format!("{}{detail}", l.words(lang))
            }
            None => text,
        }
    }

    /// The text of the entry without its line ending, masked when secret.
    pub fn text(&self, show_secrets: bool) -> String {
        if self.secret && !show_secrets {
            return mask_line(&self.raw);
        }
        String::from_utf8_lossy(&self.raw)
            .trim_end_matches(['\r', '\n'])
            .to_owned()
    }
}

/// `PASS secret` → `PASS ********`, `AUTH PLAIN xxx` → `AUTH PLAIN ********`, `c2VjcmV0` → `********`.
fn mask_line(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let text = text.trim_end_matches(['\r', '\n']);
    let upper = text.to_ascii_uppercase();
    for prefix in ["PASS ", "AUTH PLAIN ", "AUTH LOGIN "] {
        if upper.starts_with(prefix) {
            return format!("{}{MASK}", &text[..prefix.len()]);
        }
    }
    MASK.to_owned()
}

/// The transcript of one connection (or several, one after another).
#[derive(Debug, Default)]
pub struct Transcript {
    entries: Vec<Entry>,
    protocol: Option<Protocol>,
    smtp: SmtpSession,
    pop3: Pop3Session,
    message_lines: usize,
}

impl Transcript {
    pub fn new(protocol: Protocol) -> Self {
        Self {
            protocol: Some(protocol),
            ..Self::default()
        }
    }

    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn smtp(&self) -> &SmtpSession {
        &self.smtp
    }

    pub fn pop3(&self) -> &Pop3Session {
        &self.pop3
    }

    /// Forgets the rows but not the protocol state: the session goes on.
    pub fn clear_entries(&mut self) {
        self.entries.clear();
    }

    pub fn set_protocol(&mut self, protocol: Protocol) {
        self.protocol = Some(protocol);
    }

    fn push(&mut self, at: SystemTime, dir: Direction, raw: Vec<u8>) -> &mut Entry {
        self.entries.push(Entry {
            at,
            dir,
            raw,
            secret: false,
            parsed: None,
            notes: Vec::new(),
            label: None,
        });
        let last = self.entries.len() - 1;
        &mut self.entries[last]
    }

    fn event(&mut self, at: SystemTime, label: EventLabel, detail: &str) {
        let text = format!("{}{detail}", label.words(Lang::En));
        let e = self.push(at, Direction::Event, text.into_bytes());
        e.label = Some(label);
    }

    /// Folds one event from the network thread into the transcript and the protocol state.
    pub fn apply(&mut self, event: &Event) {
        let at = event.at;
        match &event.kind {
            EventKind::Connected { peer, local } => {
                self.smtp.on_connected(false);
                self.pop3.on_connected(false);
                self.message_lines = 0;
                self.event(at, EventLabel::Connected, &format!("{peer} (from {local})"));
            }
            EventKind::TlsEstablished(info) => {
                self.smtp.on_tls_established();
                self.pop3.on_tls_established();
                self.event(at, EventLabel::Tls, &tls_detail(info));
            }
            EventKind::Sent { bytes, secret } => self.sent(at, bytes, *secret),
            EventKind::Received { raw, parsed } => self.received(at, raw, parsed),
            EventKind::Warning(w) => self.event(at, EventLabel::Warning, w),
            EventKind::Error(e) => self.event(at, EventLabel::Error, e),
            EventKind::Closed { by, why } => {
                self.smtp.on_closed();
                self.pop3.on_closed();
                let label = match by {
                    ClosedBy::Client => EventLabel::ClosedByClient,
                    ClosedBy::Server => EventLabel::ClosedByServer,
                    ClosedBy::Error => EventLabel::ClosedAfterError,
                };
                self.event(at, label, why);
            }
        }
    }

    fn sent(&mut self, at: SystemTime, bytes: &[u8], secret: bool) {
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            let text = String::from_utf8_lossy(line)
                .trim_end_matches(['\r', '\n'])
                .to_owned();
            let mut notes = Vec::new();
            let mut line_secret = secret;
            if self.protocol == Some(Protocol::Pop3) {
                if let Ok(cmd) = Pop3Command::parse(&text) {
                    line_secret |= cmd.carries_secret();
                    self.pop3.on_sent(&cmd);
                }
            } else if self.smtp.in_data() {
                if text == "." {
                    self.smtp.on_sent(&ClientLine::Message);
                    notes.push(Note::MessageEnd {
                        lines: self.message_lines,
                    });
                    self.message_lines = 0;
                } else {
                    self.message_lines += 1;
                }
            } else if let Some(kind) = self.smtp.auth_prompt() {
                self.smtp.on_sent(&ClientLine::AuthResponse);
                let is_secret = matches!(kind, PromptKind::Password | PromptKind::Empty);
                line_secret |= is_secret;
                if let Ok(b) = auth::decode(&text) {
                    notes.push(Note::Answer {
                        kind,
                        decoded: Decoded::from_bytes(b).shown(),
                        secret: is_secret,
                    });
                }
            } else if let Ok(cmd) = SmtpCommand::parse(&text) {
                if let SmtpCommand::AuthPlain { initial: Some(b64) } = &cmd {
                    line_secret = true;
                    if let Ok(b) = auth::decode(b64) {
                        notes.push(Note::Answer {
                            kind: PromptKind::Empty,
                            decoded: Decoded::from_bytes(b).shown(),
                            secret: true,
                        });
                    }
                }
                self.smtp.on_sent(&ClientLine::Command(cmd));
            }
            let e = self.push(at, Direction::Client, line.to_vec());
            e.secret = line_secret;
            e.notes = notes;
        }
    }

    fn received(&mut self, at: SystemTime, raw: &[u8], parsed: &Parsed) {
        let mut notes = Vec::new();
        match parsed {
            Parsed::Response(Response::Smtp(reply)) => {
                notes.push(Note::Code(reply.code));
                if let Some(es) = reply.enhanced {
                    notes.push(Note::Enhanced(es));
                }
                if reply.code == 334
                    && let Ok(p) = auth::decode_prompt(reply.last_text())
                    && p.kind != PromptKind::Empty
                {
                    notes.push(Note::Prompt {
                        decoded: p.decoded.shown(),
                    });
                }
                for w in &reply.warnings {
                    notes.push(Note::Text(format!("(!) {w}")));
                }
                notes.push(Note::Outcome(self.smtp.on_reply(reply)));
            }
            Parsed::Response(Response::Pop3(resp)) => {
                notes.push(Note::Pop3Status(resp.status.indicator.token()));
                if let Some(c) = &resp.status.resp_code {
                    notes.push(Note::Pop3Code(c.clone()));
                }
                for w in &resp.warnings {
                    notes.push(Note::Text(format!("(!) {w}")));
                }
                notes.push(Note::Pop3Outcome(self.pop3.on_response(resp)));
            }
            Parsed::MalformedSmtp(e) => notes.push(Note::Text(format!("(!) {e}"))),
            Parsed::MalformedPop3(e) => notes.push(Note::Text(format!("(!) {e}"))),
        }
        let e = self.push(at, Direction::Server, raw.to_vec());
        e.parsed = Some(parsed.clone());
        e.notes = notes;
    }

    /// Telnet-style text: the lines exactly as they crossed the wire, and telnet's own messages.
    pub fn export_plain(&self, show_secrets: bool) -> String {
        let mut out = String::new();
        for e in &self.entries {
            match e.dir {
                Direction::Event => {
                    let text = String::from_utf8_lossy(&e.raw);
                    if text.starts_with("Connected") || text.starts_with("Connection closed") {
                        out.push_str(&text);
                        out.push('\n');
                    }
                }
                Direction::Client => {
                    out.push_str(&e.text(show_secrets));
                    out.push('\n');
                }
                Direction::Server => {
                    for line in e.text(show_secrets).lines() {
                        out.push_str(line);
                        out.push('\n');
                    }
                }
            }
        }
        out
    }

    /// Each row with its time since the first row, `C:`/`S:`/`*`, and its notes.
    pub fn export_annotated(&self, lang: Lang, show_secrets: bool) -> String {
        let mut out = String::new();
        for i in 0..self.entries.len() {
            out.push_str(&self.render_entry(i, lang, show_secrets));
        }
        out
    }

    /// One entry as annotated text (also used to print a transcript as it grows).
    pub fn render_entry(&self, index: usize, lang: Lang, show_secrets: bool) -> String {
        let Some(e) = self.entries.get(index) else {
            return String::new();
        };
        let start = self.entries.first().map(|f| f.at).unwrap_or(e.at);
        let secs =
            e.at.duration_since(start)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0);
        let prefix = match e.dir {
            Direction::Client => "C:",
            Direction::Server => "S:",
            Direction::Event => "* ",
        };
        let mut out = String::new();
        for (i, line) in e.text(show_secrets).lines().enumerate() {
            if i == 0 {
                out.push_str(&format!("{secs:>8.3} {prefix} {line}\n"));
            } else {
                out.push_str(&format!("{:>8} {prefix} {line}\n", ""));
            }
        }
        if e.raw.is_empty() || e.text(show_secrets).is_empty() {
            out.push_str(&format!("{secs:>8.3} {prefix}\n"));
        }
        for n in &e.notes {
            let text = n.render(lang, show_secrets);
            if !text.is_empty() {
                out.push_str(&format!("{:>14}{text}\n", ""));
            }
        }
        out
    }
}

/// What follows "TLS established": the protocol and the certificate.
fn tls_detail(info: &TlsInfo) -> String {
    let mut s = String::new();
    if let Some(p) = &info.protocol {
        s.push_str(&format!(" ({p})"));
    }
    s.push_str(&format!(
        ": certificate for {} issued by {}, valid {} to {}, SHA-256 {}",
        if info.subject.is_empty() {
            "?"
        } else {
            &info.subject
        },
        if info.issuer.is_empty() {
            "?"
        } else {
            &info.issuer
        },
        info.not_before,
        info.not_after,
        info.fingerprint
    ));
    if info.pinned {
        s.push_str(" (accepted because its fingerprint was pinned)");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_rows_read_in_either_language_and_export_in_english() {
        let mut t = Transcript::new(Protocol::Smtp);
        let peer = "127.0.0.1:25".parse().unwrap_or_else(|e| panic!("{e}"));
        let local = "127.0.0.1:40000".parse().unwrap_or_else(|e| panic!("{e}"));
        t.apply(&Event::now(EventKind::Connected { peer, local }));
        t.apply(&Event::now(EventKind::Closed {
            by: ClosedBy::Server,
            why: "the server closed the connection".into(),
        }));
        let [connected, closed] = t.entries() else {
            panic!("{:?}", t.entries());
        };
        assert_eq!(
            connected.event_text(Lang::En),
            "Connected to 127.0.0.1:25 (from 127.0.0.1:40000)"
        );
        assert_eq!(
            connected.event_text(Lang::Zh),
            "已连接到 127.0.0.1:25 (from 127.0.0.1:40000)"
        );
        assert_eq!(
            closed.event_text(Lang::Zh),
            "连接已被服务器关闭：the server closed the connection"
        );
        assert_eq!(
            t.export_plain(false),
            "Connected to 127.0.0.1:25 (from 127.0.0.1:40000)\nConnection closed by the server: the server closed the connection\n"
        );
    }
}
