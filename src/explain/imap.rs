//! `mailtutor explain` for an IMAP session (a telnet or `openssl s_client` log, an RFC's
//! example, a library's debug output): the server's responses as `S:` with one explanation
//! each, the client's commands as `C:` with what they do and what in them a server refuses,
//! the state after each completion, and the text around the session as such.

use super::{NOTE_INDENT, Options, Who, clean};
use crate::proto::Protocol;
use crate::proto::client::Connection;
use crate::proto::client::event::TlsInfo;
use crate::proto::codes::labelled;
use crate::proto::imap::knowledge::{self, Context, state_words};
use crate::proto::imap::{
    CommandMistake, ImapEvent, ImapItem, ImapReader, ImapSession, ImapStatus, TypedCommand, VERBS,
};
use crate::proto::line::printable;
use crate::proto::logs::{Aside, Said};
use crate::session::Event;
use crate::words::{tr, trf};

/// Whether the lines are an IMAP session: a greeting that names IMAP, or commands with tags
/// that tagged completions answer.
pub(super) fn looks_imap(said: &[Said]) -> bool {
    let lines: Vec<String> = said
        .iter()
        .filter_map(|s| match s {
            Said::Server(t) | Said::Client(t) | Said::Plain(t) => Some(clean(t).1),
            // curl's and the libraries' `*` lines may be IMAP's untagged responses.
            Said::Aside(Aside::Library, t) if untagged_response(t) => Some(clean(t).1),
            _ => None,
        })
        .collect();
    let greeting = lines.iter().any(|l| {
        let u = l.to_ascii_uppercase();
        (u.starts_with("* OK") || u.starts_with("* PREAUTH") || u.starts_with("* CAPABILITY"))
            && u.contains("IMAP")
    });
    let mut tags: Vec<String> = Vec::new();
    let mut answered = 0;
    for (i, l) in lines.iter().enumerate() {
        let mut words = l.split_whitespace();
        let (Some(tag), Some(second)) = (words.next(), words.next()) else {
            continue;
        };
        // `250 STARTTLS` after `250-SIZE …` is the last line of an SMTP server's EHLO list,
        // not a client's command tagged 250.
        if i > 0
            && lines[i - 1]
                .strip_prefix(tag)
                .is_some_and(|r| r.starts_with('-'))
        {
            continue;
        }
        let second = second.to_ascii_uppercase();
        if ImapStatus::parse(&second)
            .is_some_and(|s| matches!(s, ImapStatus::Ok | ImapStatus::No | ImapStatus::Bad))
            && tags.iter().any(|t| t.eq_ignore_ascii_case(tag))
        {
            answered += 1;
        } else if VERBS.contains(&second.as_str()) && tag != "*" && tag != "+" {
            tags.push(tag.to_owned());
        }
    }
    greeting || answered >= 2
}

/// Annotates an IMAP session.
pub(super) fn annotate(said: &[Said], opts: Options) -> String {
    read(said, opts).out
}

/// Annotates an IMAP session of a capture: each line after its packet number (`frames` runs
/// beside `said`).
pub(super) fn annotate_framed(said: &[Said], frames: &[u32], opts: Options) -> String {
    read_framed(said, frames, opts).out
}

/// Folds an IMAP session into a transcript as the window shows it: the same client connection
/// as a live session's reads each command and response, in the context the log gives.
pub(super) fn fold(said: &[Said]) -> crate::transcript::Transcript {
    fold_framed(said, &[])
}

/// Folds an IMAP session of a capture: each entry keeps the packet number of its line
/// (`frames` runs beside `said`).
pub(super) fn fold_framed(said: &[Said], frames: &[u32]) -> crate::transcript::Transcript {
    let opts = Options {
        lang: crate::proto::Lang::En,
        show_secrets: false,
    };
    read_framed(said, frames, opts).transcript
}

fn read(said: &[Said], opts: Options) -> ImapAnnotator {
    read_framed(said, &[], opts)
}

fn read_framed(said: &[Said], frames: &[u32], opts: Options) -> ImapAnnotator {
    // Passwords the log gives in a setting, to mask wherever it prints them again.
    let mut known: Vec<String> = Vec::new();
    for s in said {
        if let Said::Aside(_, t) | Said::Plain(t) = s {
            for v in crate::proto::secret::setting_values_in(t) {
                if !known.iter().any(|k| k == v) {
                    known.push(v.to_owned());
                }
            }
        }
    }
    let mut a = ImapAnnotator {
        opts,
        out: String::new(),
        session: ImapSession::new(),
        reader: ImapReader::default(),
        literal_left: 0,
        literal: None,
        partial: String::new(),
        last_aside: None,
        asked_to_go_on: false,
        login_disabled: false,
        greeted: false,
        last_client_word: None,
        conn: Connection::observer(Protocol::Imap),
        transcript: crate::transcript::Transcript::new(Protocol::Imap),
        known,
        column: String::new(),
        blank: if frames.is_empty() {
            String::new()
        } else {
            " ".repeat(7)
        },
    };
    a.fold_events();
    for (i, s) in said.iter().enumerate() {
        if let Some(&f) = frames.get(i) {
            a.transcript.set_frame(Some(f));
            a.column = format!("{f:>6} ");
        }
        match s {
            // curl and the libraries mark their own lines with `*`, as IMAP marks untagged
            // responses: in an IMAP session such a line that reads as one is the server's.
            Said::Aside(Aside::Library, t) if untagged_response(t) => a.server(&clean(t).1),
            Said::Aside(what, t) => a.aside(t, *what),
            Said::TlsBegan(t) => {
                a.login_disabled = false;
                a.conn.tls_established(TlsInfo::default());
                a.fold_events();
                if !t.is_empty() {
                    a.aside(t, Aside::Library);
                }
            }
            Said::Server(t) => a.server(&clean(t).1),
            Said::Client(t) => a.client(&clean(t).1),
            Said::Plain(t) => a.plain(t),
        }
    }
    a
}

struct ImapAnnotator {
    opts: Options,
    out: String,
    session: ImapSession,
    reader: ImapReader,
    /// Bytes of a literal a response announced, still to come as lines of the paste.
    literal_left: usize,
    /// The bytes of a literal read so far, while one is being read.
    literal: Option<String>,
    /// The response being read while its literal comes.
    partial: String,
    last_aside: Option<Aside>,
    /// The last response was AUTHENTICATE's `+`: the next client line is its answer.
    asked_to_go_on: bool,
    /// The server listed LOGINDISABLED, and no TLS began since.
    login_disabled: bool,
    greeted: bool,
    /// The first word of the last client line: a command typed without a tag has its first
    /// word read as the tag, and the server's completion starts with it.
    last_client_word: Option<String>,
    /// The client connection the window's transcript is folded from, fed the same lines.
    conn: Connection<()>,
    transcript: crate::transcript::Transcript,
    /// Passwords the log's settings give.
    known: Vec<String>,
    /// From a capture: the packet number printed before the line being read, and the blank
    /// of its width before a note; empty for a paste.
    column: String,
    blank: String,
}

impl ImapAnnotator {
    fn fold_events(&mut self) {
        while let Some(kind) = self.conn.poll_event() {
            self.transcript.apply(&Event::now(kind));
        }
    }

    fn note(&mut self, text: &str) {
        self.out.push_str(&self.blank);
        self.out.push_str(NOTE_INDENT);
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn aside(&mut self, line: &str, what: Aside) {
        let line = printable(line);
        if line.trim().is_empty() {
            self.out.push('\n');
            return;
        }
        self.out.push_str(&format!("{}   {line}\n", self.column));
        self.transcript.aside(&line, what, &self.known);
        if self.last_aside != Some(what) {
            let text = tr(self.opts.lang, what.key());
            self.note(&text);
        }
        self.last_aside = Some(what);
    }

    /// A line no reader placed: a literal's line, a response, a command, or text around them.
    fn plain(&mut self, raw: &str) {
        let (who, line) = clean(raw);
        if self.literal.is_some() {
            return self.server(&line);
        }
        match who {
            Who::Server => return self.server(&line),
            Who::Client => return self.client(&line),
            Who::Unknown => {}
        }
        let t = line.trim();
        if raw.trim_start().starts_with('#') {
            return self.aside(raw.trim(), Aside::Prose);
        }
        if t.is_empty() {
            self.out.push('\n');
            return;
        }
        let first = t.split_whitespace().next().unwrap_or_default();
        let second = t.split_whitespace().nth(1).unwrap_or_default();
        let server = first == "*"
            || first == "+"
            || ImapStatus::parse(second).is_some()
                && (self
                    .session
                    .pending()
                    .any(|(tag, _)| tag.eq_ignore_ascii_case(first))
                    || self
                        .last_client_word
                        .as_deref()
                        .is_some_and(|w| w.eq_ignore_ascii_case(first)));
        if server {
            self.server(t);
        } else if self.asked_to_go_on
            || TypedCommand::parse(t).mistakes.iter().all(|m| {
                !matches!(
                    m,
                    CommandMistake::UnknownCommand(_) | CommandMistake::NoCommand
                )
            })
        {
            self.client(t);
        } else {
            self.aside(t, Aside::Prose);
        }
    }

    fn client(&mut self, line: &str) {
        let lang = self.opts.lang;
        let secret = self.transcript.is_secret_line(line);
        self.conn
            .sent(None, format!("{line}\r\n").as_bytes(), secret, &[]);
        self.fold_events();
        self.last_client_word = line.split_whitespace().next().map(str::to_owned);
        let typed = TypedCommand::parse(line);
        // An answer to AUTHENTICATE's `+` is base64 of the credentials: masked, not a command.
        if std::mem::take(&mut self.asked_to_go_on) {
            let shown = if self.opts.show_secrets {
                line.to_owned()
            } else {
                crate::proto::secret::mask(line)
            };
            self.out
                .push_str(&format!("{}C: {}\n", self.column, printable(&shown)));
            self.note(&tr(lang, "imap.auth_answer"));
            return;
        }
        // LOGIN's password, and AUTHENTICATE's initial response (base64 of the credentials).
        let shown = match typed.verb.as_str() {
            "LOGIN" | "AUTHENTICATE" if !self.opts.show_secrets => masked_login(line, &typed.args),
            _ => line.to_owned(),
        };
        self.out
            .push_str(&format!("{}C: {}\n", self.column, printable(&shown)));
        if let Some(k) = knowledge::command(&typed.verb) {
            self.note(&format!("{}: {}", typed.verb, k.what.get(lang)));
        }
        for m in &typed.mistakes {
            let text = knowledge::mistake_words(m, &typed.verb, lang);
            self.note(&format!("! {text}"));
        }
        let state = self.session.state().clone();
        if typed.mistakes.is_empty() && !state.permits(&typed.verb) && typed.verb != "DONE" {
            let text = knowledge::not_in_state_words(&typed.verb, &state, lang);
            self.note(&format!("! {text}"));
        }
        self.session.sent(&typed);
    }

    /// A server line: a whole response, or part of one whose literal is still coming.
    fn server(&mut self, line: &str) {
        let line = line.trim_end_matches(['\r', '\n']);
        self.out
            .push_str(&format!("{}S: {}\n", self.column, printable(line)));
        let mut rest = line;
        // A literal's lines, as the paste shows them. A paste keeps neither the CRs nor every
        // space of a literal, so its count is a guide: the literal also ends where the
        // response closes (`)`) or another response begins, and it is read with the count of
        // the bytes the paste holds.
        if self.literal.is_some() {
            let ends = rest.trim_start().starts_with(')') || self.starts_response(rest);
            if !ends {
                let left = self.literal_left;
                let body = self.literal.get_or_insert_with(String::new);
                if rest.len() < left || left == 0 {
                    body.push_str(rest);
                    body.push_str("\r\n");
                    self.literal_left = left.saturating_sub(rest.len() + 2);
                    return;
                }
                // The literal ends inside this line; the line goes on after it.
                let cut = (0..=left)
                    .rev()
                    .find(|&i| rest.is_char_boundary(i))
                    .unwrap_or(0);
                body.push_str(&rest[..cut]);
                rest = &rest[cut..];
            }
            let body = self.literal.take().unwrap_or_default();
            self.partial
                .push_str(&format!("{{{}}}\r\n{body}", body.len()));
            self.literal_left = 0;
        }
        if let Some((at, n)) = crate::proto::imap::response::literal_at_end(rest.as_bytes()) {
            self.partial.push_str(&rest[..at]);
            self.literal = Some(String::new());
            self.literal_left = n;
            return;
        }
        let mut text = std::mem::take(&mut self.partial);
        text.push_str(rest);
        text.push_str("\r\n");
        self.conn.observe_server(text.as_bytes());
        self.fold_events();
        self.reader.push(text.as_bytes());
        while let Some(item) = self.reader.next_item() {
            let ImapItem::Response(r) = item else {
                continue;
            };
            self.respond(r);
        }
    }

    /// Whether a line begins a response of its own: untagged data or a status, or a
    /// completion for a command in flight.
    fn starts_response(&self, line: &str) -> bool {
        let mut words = line.split_whitespace();
        let (Some(first), Some(second)) = (words.next(), words.next()) else {
            return false;
        };
        untagged_response(line)
            || ImapStatus::parse(second).is_some()
                && self
                    .session
                    .pending()
                    .any(|(t, _)| t.eq_ignore_ascii_case(first))
    }

    /// Explains one response in its context and follows the state.
    fn respond(&mut self, r: crate::proto::imap::ImapResponse) {
        let lang = self.opts.lang;
        let verb = self.session.command_for(&r).map(str::to_owned);
        let state = self.session.state().clone();
        let listed = |t: &str| {
            t.split_whitespace().any(|w| {
                w.trim_end_matches(']')
                    .eq_ignore_ascii_case("LOGINDISABLED")
            })
        };
        if r.data.as_deref() == Some("CAPABILITY") && listed(&r.text)
            || r.code
                .as_ref()
                .is_some_and(|c| c.name == "CAPABILITY" && listed(&c.args))
        {
            self.login_disabled = true;
        }
        let note = knowledge::explain(
            &r,
            Context {
                verb: verb.as_deref(),
                state: &state,
                login_disabled: self.login_disabled,
                greeting: !std::mem::replace(&mut self.greeted, true),
            },
            lang,
        );
        let warned = r.warnings.clone();
        let capabilities: Vec<String> = match (&r.data, &r.code) {
            (Some(d), _) if d == "CAPABILITY" => r.text.clone(),
            (_, Some(c)) if c.name == "CAPABILITY" => c.args.clone(),
            _ => String::new(),
        }
        .split_ascii_whitespace()
        .take(64)
        .map(|cap| crate::proto::extension::describe(Protocol::Imap, cap, lang))
        .collect();
        let listed_name = match r.data.as_deref() {
            Some("LIST" | "LSUB" | "STATUS") => r.text.clone(),
            _ => String::new(),
        };
        self.asked_to_go_on = r.kind == crate::proto::imap::ResponseKind::Continuation
            && verb.as_deref() == Some("AUTHENTICATE");
        let event = self.session.received(r);
        self.note(&format!("» {}", note.meaning));
        if let Some(n) = &note.next {
            self.note(&format!("  {}", labelled(lang, "next", n)));
        }
        for line in &capabilities {
            self.note(line);
        }
        if let Some(name) = list_name_decoded(&listed_name) {
            self.note(&format!(
                "  {}",
                trf(lang, "imap.mutf7", &[("name", name.as_str())])
            ));
        }
        for w in warned {
            let key = match w {
                crate::proto::imap::ImapWarning::BareLf => continue,
                crate::proto::imap::ImapWarning::Ungrammatical => "imap.warn.grammar",
                crate::proto::imap::ImapWarning::NoStatus => "imap.warn.no_status",
            };
            self.note(&format!("! {}", tr(lang, key)));
        }
        // After STARTTLS the session is encrypted: what the server refused before TLS, it
        // lists anew.
        if self.session.take_tls_start() {
            self.login_disabled = false;
            self.note(&format!("* {}", tr(lang, "imap.tls_now")));
        }
        if let ImapEvent::Completed(c) = event
            && c.after != c.before
        {
            self.note(&format!(
                "→ {}",
                trf(lang, "imap.now", &[("state", &state_words(&c.after, lang))])
            ));
        }
    }
}

/// `a1 LOGIN user password` with the password masked (its last argument), tag or none; the
/// same for `a1 AUTHENTICATE PLAIN <initial response>`.
fn masked_login(line: &str, args: &str) -> String {
    match line.trim_end().rsplit_once(' ') {
        Some((head, pass)) if args.split_whitespace().count() >= 2 => {
            format!("{head} {}", "*".repeat(pass.chars().count().clamp(3, 12)))
        }
        _ => line.to_owned(),
    }
}

/// Whether a line reads as an IMAP untagged response (`* OK`, `* 3 EXISTS`, `* CAPABILITY …`).
fn untagged_response(line: &str) -> bool {
    let cleaned = clean(line).1;
    let Some(rest) = cleaned.trim_start().strip_prefix("* ") else {
        return false;
    };
    let word = rest.split_whitespace().next().unwrap_or_default();
    word.parse::<u32>().is_ok()
        || ImapStatus::parse(word).is_some()
        || knowledge::data(word).is_some()
}

/// The mailbox name at the end of a LIST or LSUB response (or at the start of STATUS's),
/// decoded from modified UTF-7 when it is written so (`&XfJT0ZAB-` is 已发送).
fn list_name_decoded(text: &str) -> Option<String> {
    let name = if text.trim_end().ends_with(')') {
        // STATUS name (items)
        text.split(" (").next().unwrap_or_default()
    } else {
        text.trim_end().rsplit(' ').next().unwrap_or_default()
    };
    let name = name.trim_matches('"');
    if !name.contains('&') {
        return None;
    }
    crate::proto::imap::command::mutf7_decode(name).filter(|d| d != name)
}
