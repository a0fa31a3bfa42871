//! The transcript: every line that crossed the wire, in order, with what proto/ knows about
//! it. Folded from the client connection's events, which say how each line was read and what
//! each reply answered and meant: nothing is parsed here, and nothing when drawn. Exported as
//! telnet-style text or annotated text. Shared by the window, `mailtutor send`, `explain` and
//! the tests.

use std::time::SystemTime;

use crate::proto::Lang;
use crate::proto::auth::{MASK, PromptKind};
use crate::proto::client::event::{Folded, LineRead, ReplyRead, SentLine, SessionState};
use crate::proto::codes;
use crate::proto::explanation::Explanation;
use crate::proto::extension;
use crate::proto::imap::{CommandMistake, ImapState, ImapStatus, ImapWarning, ResponseKind};
use crate::proto::message_lines::MessageLine;
use crate::proto::pop3_state::{Pop3Outcome, Pop3Session};
use crate::proto::reply::{EnhancedStatus, ReplyWarning};
use crate::proto::secret;
use crate::proto::situations::{ReplyContext, ReplyFacts, Situation};
use crate::proto::smtp_state::{Outcome, SmtpSession};
use crate::session::{Answers, ClosedBy, Event, EventKind, Parsed, Protocol, Response, TlsInfo};
use crate::words::{Words, tr, trf};

/// At most this many capabilities of one response are explained (a flood is cut).
const MAX_CAPABILITY_NOTES: usize = 64;
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Client,
    Server,
    Event,
}

/// A correction of what the telnet tutorials get wrong, shown where the student meets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mistake {
    /// The decoded answer ends in a newline: `echo` without `-n` made the base64.
    EchoNewline,
    /// A plain name or password (or a placeholder) sent where base64 was expected.
    NotBase64,
    /// A password sent as base64 over a plain connection: base64 is not encryption.
    Base64IsNotEncryption,
    /// A line sent in clear after `220 Ready to start TLS`: telnet cannot do the handshake.
    TelnetCannotTls,
}

/// Something proto/ knows about an entry, worded in the reader's language when shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// The meaning of an SMTP reply code.
    Code(u16),
    Enhanced(EnhancedStatus),
    /// A POP3 `+OK`/`-ERR`/`+` and an RFC 2449 response code.
    Pop3Status(&'static str),
    Pop3Code(String),
    /// The one explanation of a reply: meaning, cause and next step from the most specific
    /// source with evidence (boxed: most rows have none).
    Explanation(Box<Explanation>),
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
    /// One extension line of an EHLO reply, or one CAPA capability.
    Extension {
        protocol: Protocol,
        line: String,
    },
    /// A line of the message typed after 354.
    Message(MessageLine),
    /// An SMTP extension command (offered by the server, or a private X-command).
    ExtensionCommand(String),
    /// A line that is not a command the tutor knows; with the command its first word names
    /// when only the arguments are wrong.
    NotACommand {
        verb: Option<&'static str>,
        pop3: bool,
    },
    Mistake(Mistake),
    /// Something odd about a reply that was still understood.
    ReplyWarning(ReplyWarning),
    /// A line from the server that is not a reply at all.
    Malformed(Words),
    /// A reply to a command that had already timed out.
    Late,
    /// The one explanation of an IMAP response, in both languages (the knowledge reads it
    /// in the context the session gave, once).
    Imap(Box<ImapNote>),
    /// The state an IMAP command's completion left.
    ImapState(ImapState),
    /// What in an IMAP command line a server refuses.
    ImapMistake {
        mistake: CommandMistake,
        verb: String,
    },
    /// An IMAP command sent in a state that does not allow it.
    ImapNotInState {
        verb: String,
        state: ImapState,
    },
    ImapWarning(ImapWarning),
    /// The bytes of an IMAP literal.
    ImapLiteral,
}

/// An IMAP response's explanation in each language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapNote {
    pub en: crate::proto::imap::knowledge::Note,
    pub zh: crate::proto::imap::knowledge::Note,
    /// What the response answers: `GREETING`, or the command's name (`LOGIN`, `UID FETCH`).
    pub answers: Option<String>,
    /// It ends what it answers: the greeting, a tagged completion, or a `+`.
    pub ends: bool,
}

impl ImapNote {
    pub fn get(&self, lang: Lang) -> &crate::proto::imap::knowledge::Note {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }

    /// Its meaning, then what to do next on a line of its own.
    pub fn lines(&self, lang: Lang) -> Vec<String> {
        let n = self.get(lang);
        let mut out = vec![format!("» {}", n.meaning)];
        if let Some(next) = &n.next {
            out.push(format!("  {}", codes::labelled(lang, "next", next)));
        }
        out
    }
}

impl Note {
    pub fn render(&self, lang: Lang, show_secrets: bool) -> String {
        match self {
            Note::Code(c) => match codes::smtp(*c) {
                Some(e) => format!("{c}: {}", e.meaning.get(lang)),
                None => format!("{c}: {}", tr(lang, "label.unknown")),
            },
            Note::Enhanced(es) => match codes::enhanced(*es).meaning(lang) {
                Some(m) => format!("{es}: {m}"),
                None => format!("{es}: {}", tr(lang, "label.unknown")),
            },
            Note::Pop3Status(t) => codes::pop3(t)
                .map(|e| format!("{t}: {}", e.meaning.get(lang)))
                .unwrap_or_default(),
            Note::Pop3Code(t) => codes::pop3(t)
                .map(|e| format!("[{t}]: {}", e.meaning.get(lang)))
                .unwrap_or_else(|| format!("[{t}]")),
            Note::Explanation(x) => format!("» {}", x.one_line(lang)),
            Note::Prompt { decoded } => trf(lang, "note.prompt", &[("decoded", decoded)]),
            Note::Answer {
                kind,
                decoded,
                secret,
            } => {
                let value = if *secret && !show_secrets {
                    MASK
                } else {
                    decoded.as_str()
                };
                trf(
                    lang,
                    "note.answer",
                    &[("what", &tr(lang, prompt_key(*kind))), ("value", value)],
                )
            }
            Note::Outcome(o) => format!("→ {}", o.describe(lang)),
            Note::Pop3Outcome(o) => format!("→ {}", o.describe(lang)),
            Note::Extension { protocol, line } => extension::describe(*protocol, line, lang),
            Note::Message(m) => message_note(m, lang),
            Note::ExtensionCommand(verb) => trf(lang, "note.extension_command", &[("verb", verb)]),
            Note::NotACommand { verb, pop3 } => {
                let key = match (verb, pop3) {
                    (Some(_), false) => "note.bad_arguments",
                    (Some(_), true) => "note.bad_arguments_pop3",
                    (None, false) => "note.not_a_command",
                    (None, true) => "note.not_a_command_pop3",
                };
                trf(lang, key, &[("verb", verb.unwrap_or(""))])
            }
            Note::Mistake(m) => format!("(!) {}", tr(lang, mistake_key(*m))),
            Note::ReplyWarning(w) => format!("(!) {}", w.words().get(lang)),
            Note::Malformed(w) => format!("(!) {}", w.get(lang)),
            Note::Late => format!("(!) {}", tr(lang, "note.late")),
            Note::Imap(n) => n.lines(lang).join(" "),
            Note::ImapState(state) => format!(
                "→ {}",
                trf(
                    lang,
                    "imap.now",
                    &[(
                        "state",
                        &crate::proto::imap::knowledge::state_words(state, lang)
                    )]
                )
            ),
            Note::ImapMistake { mistake, verb } => format!(
                "(!) {}",
                crate::proto::imap::knowledge::mistake_words(mistake, verb, lang)
            ),
            Note::ImapNotInState { verb, state } => format!(
                "(!) {}",
                crate::proto::imap::knowledge::not_in_state_words(verb, state, lang)
            ),
            Note::ImapWarning(w) => format!("(!) {}", tr(lang, imap_warning_key(*w))),
            Note::ImapLiteral => tr(lang, "imap.literal_sent"),
        }
    }
}

fn imap_warning_key(w: ImapWarning) -> &'static str {
    match w {
        ImapWarning::BareLf => "imap.warn.bare_lf",
        ImapWarning::Ungrammatical => "imap.warn.grammar",
        ImapWarning::NoStatus => "imap.warn.no_status",
    }
}

impl Note {
    /// A detail of a reply, shown on demand (the expanded row, the badge's tooltip,
    /// `explain --verbose`), never beside its explanation: the code's and the enhanced code's
    /// reference meanings, and the state machine's sentence.
    pub fn is_detail(&self) -> bool {
        matches!(
            self,
            Note::Code(_)
                | Note::Enhanced(_)
                | Note::Pop3Status(_)
                | Note::Pop3Code(_)
                | Note::Outcome(_)
                | Note::Pop3Outcome(_)
        )
    }

    /// The note as printed lines: an explanation says its meaning, cause and next step on
    /// lines of their own; details print nothing (see [`Note::detail_lines`]).
    pub fn render_lines(&self, lang: Lang, show_secrets: bool) -> Vec<String> {
        match self {
            Note::Explanation(x) => x.lines(lang),
            Note::Imap(n) => n.lines(lang),
            n if n.is_detail() => Vec::new(),
            other => {
                let text = other.render(lang, show_secrets);
                if text.is_empty() {
                    Vec::new()
                } else {
                    vec![text]
                }
            }
        }
    }
}

impl Note {
    /// A detail note as a printed line, marked as such (for `--verbose` and the expanded row).
    pub fn detail_lines(&self, lang: Lang, show_secrets: bool) -> Vec<String> {
        if !self.is_detail() {
            return Vec::new();
        }
        let text = self.render(lang, show_secrets);
        if text.is_empty() {
            Vec::new()
        } else {
            vec![format!("· {text}")]
        }
    }
}

fn prompt_key(kind: PromptKind) -> &'static str {
    match kind {
        PromptKind::Username => "prompt.username",
        PromptKind::Password => "prompt.password",
        PromptKind::Empty => "prompt.plain",
        PromptKind::Other => "prompt.other",
    }
}

fn mistake_key(m: Mistake) -> &'static str {
    match m {
        Mistake::EchoNewline => "mistake.echo_newline",
        Mistake::NotBase64 => "mistake.not_base64",
        Mistake::Base64IsNotEncryption => "mistake.base64_not_encryption",
        Mistake::TelnetCannotTls => "mistake.telnet_tls",
    }
}

fn message_note(m: &MessageLine, lang: Lang) -> String {
    use MessageLine as M;
    match m {
        M::Header(name) => tr(lang, &format!("msg.header.{name}")),
        M::OtherHeader(name) => trf(lang, "msg.header.other", &[("name", name)]),
        M::Folded => tr(lang, "msg.folded"),
        M::RawNonAscii => tr(lang, "msg.raw_non_ascii"),
        M::HeadersEnd => tr(lang, "msg.headers_end"),
        M::MissingBlankLine => format!("(!) {}", tr(lang, "msg.missing_blank_line")),
        M::MissingFrom => format!("(!) {}", tr(lang, "msg.missing_from")),
        M::MissingSubject => format!("(!) {}", tr(lang, "msg.missing_subject")),
        M::DotStuffed => tr(lang, "msg.dot_stuffed"),
        M::LeadingDot => format!("(!) {}", tr(lang, "msg.leading_dot")),
        M::End { lines } => trf(lang, "msg.end", &[("lines", &lines.to_string())]),
    }
}

/// A connection-event row, worded when shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventRow {
    Connected {
        peer: String,
        local: String,
    },
    Tls(TlsInfo),
    Closed {
        by: ClosedBy,
        why: Words,
    },
    Error(Words),
    Warning(Words),
    /// Words the tutor puts between the lines: a capture's session header (who spoke to
    /// whom, over which packets).
    Heading(Words),
    /// A line of a pasted log that is not part of the session (a prompt, a tool's chatter, a
    /// certificate dump, prose), shown as it was with what printed it.
    Aside {
        text: String,
        what: crate::proto::logs::Aside,
        /// The line with its passwords masked, where it holds one.
        masked: Option<String>,
    },
    /// A line the log leaves out (it shows only the server's side) that the next reply makes
    /// certain: `command` names it, `why` is the key of the reason.
    Inferred {
        command: &'static str,
        why: &'static str,
    },
}

impl EventRow {
    /// The row's words; a pasted line's password settings masked unless `show_secrets`.
    pub fn words(&self, lang: Lang, show_secrets: bool) -> String {
        match self {
            EventRow::Connected { peer, local } => {
                trf(lang, "event.connected", &[("peer", peer), ("local", local)])
            }
            EventRow::Tls(info) => tls_words(info, lang),
            EventRow::Closed { by, why } => {
                let key = match by {
                    ClosedBy::Client => "event.closed_by_client",
                    ClosedBy::Server => "event.closed_by_server",
                    ClosedBy::Error => "event.closed_after_error",
                };
                trf(lang, key, &[("why", &why.get(lang))])
            }
            EventRow::Error(w) => trf(lang, "event.error", &[("what", &w.get(lang))]),
            EventRow::Warning(w) => trf(lang, "event.warning", &[("what", &w.get(lang))]),
            EventRow::Heading(w) => w.get(lang),
            EventRow::Aside { text, what, masked } => {
                let text = match masked {
                    Some(m) if !show_secrets => m,
                    _ => text,
                };
                trf(
                    lang,
                    "event.aside",
                    &[("line", text), ("what", &tr(lang, what.key()))],
                )
            }
            EventRow::Inferred { command, why } => {
                // A command's own verb, or the key of the words for a line that is not one.
                let command = if command.starts_with("infer.") {
                    tr(lang, command)
                } else {
                    (*command).to_owned()
                };
                trf(
                    lang,
                    "event.inferred",
                    &[("command", &command), ("why", &tr(lang, why))],
                )
            }
        }
    }
}

fn tls_words(info: &TlsInfo, lang: Lang) -> String {
    let or_q = |s: &str| {
        if s.is_empty() {
            "?".to_owned()
        } else {
            s.to_owned()
        }
    };
    let mut s = trf(
        lang,
        "event.tls",
        &[
            ("subject", &or_q(&info.subject)),
            ("issuer", &or_q(&info.issuer)),
            ("from", &info.not_before),
            ("until", &info.not_after),
            ("fingerprint", &info.fingerprint),
        ],
    );
    if info.pinned {
        s.push(' ');
        s.push_str(&tr(lang, "event.tls_pinned"));
    }
    s
}

/// One row: a line the client sent, a reply, or a connection event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: SystemTime,
    pub dir: Direction,
    /// The bytes as they crossed the wire (one line for the client); for events, their
    /// description. Empty for a server row: its bytes are the parsed reply's (see [`Entry::raw`]),
    /// held once however long the reply.
    raw: Box<[u8]>,
    /// A password line: shown masked unless secrets are shown.
    pub secret: bool,
    /// What the reply parser made of a server entry (boxed: client and event rows have none).
    pub parsed: Option<Box<Parsed>>,
    /// What the tutor says about it (a boxed slice: entries are many, and their notes are
    /// made once).
    pub notes: Box<[Note]>,
    /// For an event row: what happened, worded when shown. Boxed, like the context: most rows
    /// have neither, and an entry is kept for every line of a long lesson.
    pub event: Option<Box<EventRow>>,
    /// For a reply: the request it answered and the session's state when it came.
    pub context: Option<Box<ReplyContext>>,
}

impl Entry {
    /// The bytes as they crossed the wire (one line for the client, a whole reply for the
    /// server); for events, their description.
    pub fn raw(&self) -> &[u8] {
        match self.parsed.as_deref() {
            Some(p) => p.raw(),
            None => &self.raw,
        }
    }

    /// The SMTP reply code of a server entry, for the colored badge.
    pub fn code(&self) -> Option<u16> {
        match self.parsed.as_deref() {
            Some(Parsed::Response(Response::Smtp(r))) => Some(r.code),
            _ => None,
        }
    }

    /// The badge a reply row shows: its label (`535`, `+OK`, `-ERR`, `+`) and the SMTP code
    /// whose class colors it (a POP3 status like the class it corresponds to: 2xx, 5xx, 3xx).
    pub fn badge(&self) -> Option<(String, u16)> {
        match self.parsed.as_deref() {
            Some(Parsed::Response(Response::Smtp(r))) => Some((r.code.to_string(), r.code)),
            Some(Parsed::Response(Response::Pop3(p))) => {
                use crate::proto::reply::Pop3Indicator;
                let like = match p.status.indicator {
                    Pop3Indicator::Ok => 250,
                    Pop3Indicator::Err => 550,
                    Pop3Indicator::Continue => 334,
                };
                Some((p.status.indicator.token().to_owned(), like))
            }
            Some(Parsed::Response(Response::Imap(r))) => {
                let label = match (&r.kind, r.status) {
                    (ResponseKind::Continuation, _) => "+",
                    (_, Some(s)) => s.word(),
                    (_, None) => "*",
                };
                let like = match (&r.kind, r.status) {
                    (ResponseKind::Continuation, _) => 334,
                    (_, Some(ImapStatus::No)) => 550,
                    (_, Some(ImapStatus::Bad)) => 500,
                    (_, Some(ImapStatus::Bye)) => 421,
                    _ => 250,
                };
                Some((label.to_owned(), like))
            }
            _ => None,
        }
    }

    /// An event row in the reader's language. Other rows are returned as [`Entry::text`]
    /// gives them.
    pub fn event_text(&self, lang: Lang, show_secrets: bool) -> String {
        match &self.event {
            Some(ev) => ev.words(lang, show_secrets),
            None => self.text(show_secrets),
        }
    }

    /// For a reply: the word families its words name and by which words — how its cause was
    /// read, shown among the details for a teacher checking it or adding a family.
    pub fn words_read(&self, lang: Lang) -> Option<String> {
        if self.dir != Direction::Server || self.explanation().is_none() {
            return None;
        }
        let read: Vec<String> = crate::proto::topics::evidence(&self.text(false))
            .into_iter()
            .map(|(id, said)| {
                let said: Vec<String> = said
                    .iter()
                    .map(|p| format!("“{}”", crate::proto::topics::as_quoted(p)))
                    .collect();
                format!("{id} ({})", said.join(", "))
            })
            .collect();
        (!read.is_empty())
            .then(|| format!("· {}: {}", tr(lang, "label.words_read"), read.join("; ")))
    }

    /// The one explanation of this reply, if it is one.
    pub fn explanation(&self) -> Option<&Explanation> {
        self.notes.iter().find_map(|n| match n {
            Note::Explanation(x) => Some(x.as_ref()),
            _ => None,
        })
    }

    /// The situation the knowledge base found for this reply, if its explanation comes from one.
    pub fn situation(&self) -> Option<&'static Situation> {
        self.explanation().and_then(Explanation::situation)
    }

    /// The text of the entry without its line ending, masked when secret.
    pub fn text(&self, show_secrets: bool) -> String {
        if self.secret && !show_secrets {
            return crate::proto::secret::mask(&String::from_utf8_lossy(self.raw()));
        }
        shown_bytes(self.raw())
    }
}

/// Bytes from the wire as one transcript row: see [`crate::proto::line::escaped`]; line
/// breaks inside stay, the final one goes.
pub fn shown_bytes(raw: &[u8]) -> String {
    let raw = raw
        .strip_suffix(b"\n")
        .map(|r| r.strip_suffix(b"\r").unwrap_or(r))
        .unwrap_or(raw);
    crate::proto::line::escaped(raw)
}

/// Which transcript, or which clearing of one, entries belong to: a view that drew another
/// generation draws its rows again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

impl Default for Generation {
    fn default() -> Self {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        Self(NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
    }
}

/// The transcript of one connection (or several, one after another).
#[derive(Debug, Default)]
pub struct Transcript {
    entries: Vec<Entry>,
    generation: Generation,
    protocol: Option<Protocol>,
    /// The session's state as the connection last reported it (shared with the event).
    state: std::sync::Arc<SessionState>,
    /// The index of the newest server entry, so that the window finds the last reply without
    /// walking back over client lines at every frame.
    last_server: Option<usize>,
    /// For a transcript read from a packet capture: each entry's packet number, by entry
    /// index, in order (a live session or a paste has none, and pays nothing for them).
    frames: Vec<(usize, u32)>,
    /// The packet the lines folded now came in, given to each entry pushed.
    frame_now: Option<u32>,
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

    /// Whether `line`, sent now, would carry a secret (the rules of `proto::secret`, with the
    /// AUTH prompt the session is at). Callers decide this before the line is sent, so the
    /// line is masked everywhere it shows, error messages included.
    pub fn is_secret_line(&self, line: &str) -> bool {
        let smtp = &self.state.smtp;
        match self.protocol {
            Some(Protocol::Smtp) if smtp.in_data() => false,
            Some(Protocol::Smtp) => {
                smtp.auth_answer_is_secret() || secret::is_secret(line, smtp.auth_prompt())
            }
            Some(Protocol::Imap) if self.state.imap.auth_answer_due => true,
            _ => secret::is_secret(line, None),
        }
    }

    pub fn smtp(&self) -> &SmtpSession {
        &self.state.smtp
    }

    pub fn pop3(&self) -> &Pop3Session {
        &self.state.pop3
    }

    pub fn imap(&self) -> &crate::proto::client::event::ImapView {
        &self.state.imap
    }

    pub fn protocol(&self) -> Protocol {
        self.protocol.unwrap_or(Protocol::Smtp)
    }

    pub fn generation(&self) -> Generation {
        self.generation
    }

    /// Forgets the rows but not the protocol state: the session goes on.
    pub fn clear_entries(&mut self) {
        self.entries.clear();
        self.frames.clear();
        self.generation = Generation::default();
        self.last_server = None;
    }

    /// Says which packet of a capture the lines folded from now on came in (`None`: not from
    /// a capture); each entry pushed meanwhile keeps that number.
    pub fn set_frame(&mut self, frame: Option<u32>) {
        self.frame_now = frame;
    }

    /// Whether the transcript was read from a capture: its entries have packet numbers.
    pub fn has_frames(&self) -> bool {
        !self.frames.is_empty()
    }

    /// The packet number (as Wireshark counts them) of the entry at `index`, for a transcript
    /// read from a capture.
    pub fn frame(&self, index: usize) -> Option<u32> {
        let i = self.frames.binary_search_by_key(&index, |&(e, _)| e).ok()?;
        self.frames.get(i).map(|&(_, f)| f)
    }

    /// Gives each row the time `at` says for its packet number (a row from a capture takes its
    /// packet's time); a row with none takes the time of the row before it, or of the first
    /// timed row.
    pub fn retime(&mut self, at: impl Fn(u32) -> Option<SystemTime>) {
        let times: Vec<Option<SystemTime>> = (0..self.entries.len())
            .map(|i| self.frame(i).and_then(&at))
            .collect();
        let Some(mut last) = times.iter().flatten().next().copied() else {
            return;
        };
        for (e, t) in self.entries.iter_mut().zip(times) {
            last = t.unwrap_or(last);
            e.at = last;
        }
    }

    /// The newest server entry (a reply or a malformed line) and its index.
    pub fn last_server(&self) -> Option<(usize, &Entry)> {
        let i = self.last_server?;
        self.entries.get(i).map(|e| (i, e))
    }

    pub fn set_protocol(&mut self, protocol: Protocol) {
        self.protocol = Some(protocol);
    }

    fn push(&mut self, at: SystemTime, dir: Direction, raw: Vec<u8>) -> &mut Entry {
        self.entries.push(Entry {
            at,
            dir,
            raw: raw.into_boxed_slice(),
            secret: false,
            parsed: None,
            notes: Box::default(),
            event: None,
            context: None,
        });
        let last = self.entries.len() - 1;
        if dir == Direction::Server {
            self.last_server = Some(last);
        }
        if let Some(f) = self.frame_now {
            self.frames.push((last, f));
        }
        &mut self.entries[last]
    }

    fn event(&mut self, at: SystemTime, row: EventRow) {
        let text = row.words(Lang::En, false);
        let e = self.push(at, Direction::Event, text.into_bytes());
        e.event = Some(Box::new(row));
    }

    /// Adds a heading row (a capture's session header); the session's state is untouched.
    pub fn heading(&mut self, words: Words) {
        self.event(SystemTime::now(), EventRow::Heading(words));
    }

    /// Adds a line of a pasted log that is not part of the session; the session's state is
    /// untouched.
    /// `known` are passwords the log gave elsewhere: masked here too unless shown.
    pub fn aside(&mut self, text: &str, what: crate::proto::logs::Aside, known: &[String]) {
        let text = crate::proto::line::printable(text).into_owned();
        let masked = crate::proto::secret::mask_known(&text, known);
        let masked = (masked != text).then(|| masked.into_owned());
        self.event(SystemTime::now(), EventRow::Aside { text, what, masked });
    }

    /// Folds one event of a client connection (live, or a pasted log's) into the rows.
    pub fn apply(&mut self, event: &Event) {
        let at = event.at;
        match &event.kind {
            EventKind::Connected { peer, local } => self.event(
                at,
                EventRow::Connected {
                    peer: peer.to_string(),
                    local: local.to_string(),
                },
            ),
            EventKind::TlsEstablished(info) => self.event(at, EventRow::Tls(info.clone())),
            EventKind::Sent { lines, .. } => {
                for line in lines {
                    self.sent(at, line);
                }
            }
            EventKind::Received {
                parsed,
                answers: Answers::Late(_),
                ..
            } => {
                // Its command was given up on when it timed out: shown, folded into nothing.
                let e = self.push(at, Direction::Server, Vec::new());
                e.parsed = Some(Box::new(parsed.clone()));
                e.notes = Box::new([Note::Late]);
            }
            EventKind::Received { parsed, read, .. } => self.received(at, parsed, read.as_deref()),
            EventKind::Inferred { command, why } => {
                self.event(at, EventRow::Inferred { command, why })
            }
            EventKind::State(state) => {
                self.protocol = Some(state.protocol);
                self.state = std::sync::Arc::clone(state);
            }
            EventKind::Finished { .. } => {}
            EventKind::Warning(w) => self.event(at, EventRow::Warning(w.clone())),
            EventKind::Error(e) => self.event(at, EventRow::Error(e.clone())),
            EventKind::Closed { by, why } => self.event(
                at,
                EventRow::Closed {
                    by: *by,
                    why: why.clone(),
                },
            ),
        }
    }

    /// A client line, with the notes its reading gives.
    fn sent(&mut self, at: SystemTime, line: &SentLine) {
        let mut notes = Vec::new();
        if line.before_handshake {
            notes.push(Note::Mistake(Mistake::TelnetCannotTls));
        }
        match &line.read {
            LineRead::Command { initial } => {
                if let Some(decoded) = initial {
                    notes.push(Note::Answer {
                        kind: PromptKind::Empty,
                        decoded: decoded.clone(),
                        secret: true,
                    });
                }
            }
            LineRead::NotACommand { verb, protocol } => notes.push(Note::NotACommand {
                verb: *verb,
                pop3: *protocol == Protocol::Pop3,
            }),
            LineRead::SaslCommand => {}
            LineRead::Extension { verb } => notes.push(Note::ExtensionCommand(verb.clone())),
            LineRead::AuthAnswer {
                kind,
                decoded,
                not_base64,
                echo_newline,
                base64_in_clear,
            } => {
                if let Some(decoded) = decoded {
                    notes.push(Note::Answer {
                        kind: *kind,
                        decoded: decoded.clone(),
                        secret: line.secret,
                    });
                }
                if *echo_newline {
                    notes.push(Note::Mistake(Mistake::EchoNewline));
                }
                if *base64_in_clear {
                    notes.push(Note::Mistake(Mistake::Base64IsNotEncryption));
                }
                if *not_base64 {
                    notes.push(Note::Mistake(Mistake::NotBase64));
                }
            }
            LineRead::Message(lines) => notes.extend(lines.iter().cloned().map(Note::Message)),
            LineRead::Imap {
                verb,
                mistakes,
                refused_in,
            } => {
                notes.extend(mistakes.iter().map(|m| Note::ImapMistake {
                    mistake: m.clone(),
                    verb: verb.clone(),
                }));
                if let Some(state) = refused_in {
                    notes.push(Note::ImapNotInState {
                        verb: verb.clone(),
                        state: state.clone(),
                    });
                }
            }
            LineRead::ImapLiteral => notes.push(Note::ImapLiteral),
        }
        let e = self.push(at, Direction::Client, line.raw.clone());
        e.secret = line.secret;
        e.notes = notes.into_boxed_slice();
    }

    /// A response, with the notes its reading gives: the one explanation of it, and the
    /// details beside it.
    fn received(&mut self, at: SystemTime, parsed: &Parsed, read: Option<&ReplyRead>) {
        let mut notes = Vec::new();
        let context = read.map(|r| r.context.clone());
        match parsed {
            Parsed::Response(Response::Smtp(reply)) => {
                let text = reply.text();
                notes.push(Note::Code(reply.code));
                if let Some(es) = reply.enhanced {
                    notes.push(Note::Enhanced(es));
                }
                if let Some(cx) = &context {
                    let facts = ReplyFacts {
                        code: Some(reply.code),
                        enhanced: reply.enhanced,
                        pop3_status: None,
                        resp_code: None,
                        text: &text,
                    };
                    notes.push(Note::Explanation(Box::new(Explanation::of(&facts, cx))));
                }
                if let Some(decoded) = read.and_then(|r| r.prompt.clone()) {
                    notes.push(Note::Prompt { decoded });
                }
                notes.extend(reply.warnings.iter().cloned().map(Note::ReplyWarning));
                if let Some(Folded::Smtp(outcome)) = read.map(|r| &r.outcome) {
                    if matches!(outcome, Outcome::Hello { ehlo: true, .. }) {
                        notes.extend(reply.lines.iter().skip(1).map(|l| Note::Extension {
                            protocol: Protocol::Smtp,
                            line: l.clone(),
                        }));
                    }
                    notes.push(Note::Outcome(outcome.clone()));
                }
            }
            Parsed::Response(Response::Pop3(resp)) => {
                let token = resp.status.indicator.token();
                notes.push(Note::Pop3Status(token));
                if let Some(c) = &resp.status.resp_code {
                    notes.push(Note::Pop3Code(c.clone()));
                }
                if let Some(cx) = &context {
                    let facts = ReplyFacts {
                        code: None,
                        enhanced: None,
                        pop3_status: Some(token),
                        resp_code: resp.status.resp_code.as_deref(),
                        text: &resp.status.text,
                    };
                    notes.push(Note::Explanation(Box::new(Explanation::of(&facts, cx))));
                }
                notes.extend(resp.warnings.iter().cloned().map(Note::ReplyWarning));
                if let Some(Folded::Pop3(outcome)) = read.map(|r| &r.outcome) {
                    if matches!(outcome, Pop3Outcome::Capabilities { .. }) {
                        notes.extend(resp.body_lines().into_iter().map(|line| Note::Extension {
                            protocol: Protocol::Pop3,
                            line,
                        }));
                    }
                    notes.push(Note::Pop3Outcome(outcome.clone()));
                }
            }
            Parsed::Response(Response::Imap(r)) => {
                if let Some(Folded::Imap(x)) = read.map(|r| &r.outcome) {
                    let cx = x.context();
                    use crate::proto::imap::knowledge::explain;
                    notes.push(Note::Imap(Box::new(ImapNote {
                        en: explain(r, cx, Lang::En),
                        zh: explain(r, cx, Lang::Zh),
                        answers: if x.greeting {
                            Some("GREETING".to_owned())
                        } else {
                            x.verb.clone()
                        },
                        ends: x.greeting || x.completed || r.kind == ResponseKind::Continuation,
                    })));
                    if x.completed && x.after != x.state {
                        notes.push(Note::ImapState(x.after.clone()));
                    }
                }
                // Each capability, as EHLO's keywords are: in a CAPABILITY response, or in
                // the [CAPABILITY …] code of a greeting or a LOGIN's OK.
                let caps = match (&r.data, &r.code) {
                    (Some(d), _) if d == "CAPABILITY" => Some(r.text.as_str()),
                    (_, Some(c)) if c.name == "CAPABILITY" => Some(c.args.as_str()),
                    _ => None,
                };
                notes.extend(
                    caps.into_iter()
                        .flat_map(str::split_ascii_whitespace)
                        .take(MAX_CAPABILITY_NOTES)
                        .map(|cap| Note::Extension {
                            protocol: Protocol::Imap,
                            line: cap.to_owned(),
                        }),
                );
                notes.extend(r.warnings.iter().copied().map(Note::ImapWarning));
            }
            Parsed::MalformedSmtp(e) => notes.push(Note::Malformed(e.words())),
            Parsed::MalformedPop3(e) => notes.push(Note::Malformed(e.words())),
            Parsed::ImapTooLarge { size, .. } => notes.push(Note::Malformed(
                Words::new("session.imap_too_large").arg("size", size),
            )),
        }
        let e = self.push(at, Direction::Server, Vec::new());
        e.parsed = Some(Box::new(parsed.clone()));
        e.notes = notes.into_boxed_slice();
        e.context = context.map(Box::new);
    }

    /// Telnet-style text: the lines exactly as they crossed the wire, and telnet's own messages.
    pub fn export_plain(&self, show_secrets: bool) -> String {
        let mut out = String::new();
        for e in &self.entries {
            match e.dir {
                Direction::Event => {
                    if matches!(
                        e.event.as_deref(),
                        Some(EventRow::Connected { .. } | EventRow::Closed { .. })
                    ) {
                        out.push_str(&e.event_text(Lang::En, false));
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
        self.render_entry_with(index, lang, show_secrets, false)
    }

    /// One entry as annotated text; `verbose` adds the details (the codes' reference
    /// meanings and the state's sentence) after the explanation.
    pub fn render_entry_with(
        &self,
        index: usize,
        lang: Lang,
        show_secrets: bool,
        verbose: bool,
    ) -> String {
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
        // A transcript read from a capture starts each line with its packet number.
        let (packet, blank) = if self.has_frames() {
            let n = self.frame(index).map(|n| n.to_string()).unwrap_or_default();
            (format!("{n:>6} "), " ".repeat(7))
        } else {
            (String::new(), String::new())
        };
        let mut out = String::new();
        let text = match e.dir {
            Direction::Event => e.event_text(lang, show_secrets),
            _ => e.text(show_secrets),
        };
        for (i, line) in text.lines().enumerate() {
            if i == 0 {
                out.push_str(&format!("{packet}{secs:>8.3} {prefix} {line}\n"));
            } else {
                out.push_str(&format!("{blank}{:>8} {prefix} {line}\n", ""));
            }
        }
        if text.is_empty() {
            out.push_str(&format!("{packet}{secs:>8.3} {prefix}\n"));
        }
        for n in &e.notes {
            for text in n.render_lines(lang, show_secrets) {
                out.push_str(&format!("{blank}{:>14}{text}\n", ""));
            }
        }
        if verbose {
            for n in &e.notes {
                for text in n.detail_lines(lang, show_secrets) {
                    out.push_str(&format!("{blank}{:>14}{text}\n", ""));
                }
            }
            if let Some(read) = e.words_read(lang) {
                out.push_str(&format!("{blank}{:>14}{read}\n", ""));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_rows_read_in_either_language_and_export_in_english() {
        let mut t = Transcript::new(Protocol::Smtp);
        let peer = "127.0.0.1:25".parse().unwrap();
        let local = "127.0.0.1:40000".parse().unwrap();
        t.apply(&Event::now(EventKind::Connected { peer, local }));
        t.apply(&Event::now(EventKind::Closed {
            by: ClosedBy::Server,
            why: Words::new("closed.by_server"),
        }));
        let [connected, closed] = t.entries() else {
            panic!("{:?}", t.entries());
        };
        assert_eq!(
            connected.event_text(Lang::En, false),
            "Connected to 127.0.0.1:25 (from 127.0.0.1:40000)"
        );
        assert_eq!(
            connected.event_text(Lang::Zh, false),
            "已连接到 127.0.0.1:25（本机 127.0.0.1:40000）"
        );
        // The reason is worded in the reader's language too: no English sentence of ours.
        assert_eq!(
            closed.event_text(Lang::Zh, false),
            "连接已被服务器关闭：服务器关闭了连接"
        );
        assert_eq!(
            t.export_plain(false),
            "Connected to 127.0.0.1:25 (from 127.0.0.1:40000)\nConnection closed by the server: the server closed the connection\n"
        );
    }

    /// The newest reply is known without walking back over the client lines after it (the
    /// window asks at every frame; a long DATA is thousands of client rows).
    #[test]
    fn the_newest_server_entry_is_tracked() {
        use crate::proto::client::Connection;
        let mut t = Transcript::new(Protocol::Smtp);
        let mut c = Connection::<()>::observer(Protocol::Smtp);
        fn fold(t: &mut Transcript, c: &mut Connection<()>) {
            while let Some(k) = c.poll_event() {
                t.apply(&Event::now(k));
            }
        }
        fn reply(t: &mut Transcript, c: &mut Connection<()>, text: &[u8]) {
            c.observe_server(text);
            fold(t, c);
        }
        fn sent(t: &mut Transcript, c: &mut Connection<()>, line: &str) {
            c.sent(None, line.as_bytes(), false, &[]);
            fold(t, c);
        }
        assert!(t.last_server().is_none());
        reply(&mut t, &mut c, b"220 ready\r\n");
        sent(&mut t, &mut c, "EHLO a\r\n");
        reply(&mut t, &mut c, b"250 hi\r\n");
        for _ in 0..1000 {
            sent(&mut t, &mut c, "NOOP\r\n");
        }
        let (i, e) = t.last_server().unwrap_or_else(|| panic!("no reply"));
        assert_eq!((i, e.raw()), (2, &b"250 hi\r\n"[..]));
        t.clear_entries();
        assert!(t.last_server().is_none());
    }
}

#[cfg(test)]
mod shown_bytes_tests {
    use super::shown_bytes;

    #[test]
    fn junk_is_shown_as_escapes() {
        assert_eq!(shown_bytes(b"250 ok\r\n"), "250 ok");
        assert_eq!(shown_bytes("250 好\r\n".as_bytes()), "250 好");
        assert_eq!(
            shown_bytes(b"\x00\x01\xfe\xff\x1b[2J PK\r\n"),
            "\\x00\\x01\\xFE\\xFF\\x1B[2J PK"
        );
        assert_eq!(shown_bytes("a\u{FFFD}b".as_bytes()), "a\\u{FFFD}b");
        assert_eq!(shown_bytes(b"250-a\r\n250 b\r\n"), "250-a\r\n250 b");
    }
}
