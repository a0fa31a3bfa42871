//! `mailtutor explain`: explains reply codes, and annotates a transcript pasted from a telnet
//! session line by line (replies explained in their situation, 334 prompts and base64 answers
//! decoded, secrets masked) through the same fold as the window's transcript.

use crate::proto::Lang;
use crate::proto::auth::{self, PromptKind};
use crate::proto::client::{Connection, Typed};
use crate::proto::codes;
use crate::proto::logs::{self, Aside, Said};
use crate::proto::pop3::Pop3Command;
use crate::proto::reply::Reply;
use crate::proto::reply::{
    EnhancedStatus, MalformedReply, Pop3Expect, Pop3Reader, parse_pop3_status, parse_replies,
};
use crate::proto::smtp::SmtpCommand;
use crate::proto::smtp_state::{ClientLine, SmtpSession, Step};
use crate::session::{Event, EventKind, Parsed, Protocol, Response, TlsInfo};
use crate::transcript::Transcript;
use crate::words::{Words, tr};

mod capture;
mod imap;

pub use capture::{annotate_capture, fold_capture};

/// Who wrote a line of a pasted transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Server,
    Client,
    Unknown,
}

/// True for a pasted line that stands for nothing on the wire once cleaned: blank, a comment,
/// or a Markdown code fence from a chat paste. Every other line comes out of [`annotate`].
pub fn stands_for_nothing(line: &str) -> bool {
    let (_, s) = clean(line);
    s.trim().is_empty() || s.starts_with("```")
}

/// The marks people and tools put before a line to say who wrote it, longest first where one
/// begins another.
const SIDE_MARKS: &[(&str, Who)] = &[
    ("S:", Who::Server),
    ("C:", Who::Client),
    ("s:", Who::Server),
    ("c:", Who::Client),
    ("<<<", Who::Server),
    (">>>", Who::Client),
    // swaks: `<-`/`->` in clear, `<~`/`~>` under TLS, `<**` for an error reply (`<~*`
    // under TLS).
    ("<**", Who::Server),
    ("<~*", Who::Server),
    // msmtp -v: `<--` read from the server, `-->` written to it.
    ("<--", Who::Server),
    ("-->", Who::Client),
    ("<-", Who::Server),
    ("->", Who::Client),
    ("<~", Who::Server),
    ("~>", Who::Client),
    (">", Who::Unknown),
];

/// The arrows among [`SIDE_MARKS`]: they can be written the wrong way round by hand.
const ARROWS: [&str; 4] = ["<--", "-->", "<-", "->"];

/// Removes what people add around the protocol: `>`, `S:`/`C:` prefixes, shell prompts,
/// and comments after ` #` or `//`. Returns the speaker if a prefix named it.
fn clean(line: &str) -> (Who, String) {
    let mut s = line.trim_end_matches(['\r', '\n']).trim_start();
    let mut who = Who::Unknown;
    // A run of four or more marks is a logger's decoration (`>>>>> …`), not a side's.
    if s.starts_with(">>>>") || s.starts_with("<<<<") {
        return (
            who,
            s.trim_start_matches(['>', '<']).trim_start().to_owned(),
        );
    }
    for &(prefix, w) in SIDE_MARKS {
        if let Some(rest) = s.strip_prefix(prefix) {
            // `->from("me@x")`, `->send;`: a method call in code pasted around a log, not
            // an arrow naming a side.
            let word_end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            if ARROWS.contains(&prefix)
                && rest.starts_with(|c: char| c.is_ascii_alphabetic())
                && rest[word_end..].starts_with(['(', ';'])
            {
                break;
            }
            s = rest.trim_start();
            who = w;
            break;
        }
    }
    // A quoted log (Markdown's or an e-mail's `> `) still names its speaker after the mark.
    if who == Who::Unknown {
        for (prefix, w) in [("S:", Who::Server), ("C:", Who::Client)] {
            if let Some(rest) = s.strip_prefix(prefix) {
                s = rest.trim_start();
                who = w;
                break;
            }
        }
    }
    // A line that is only a comment stands for what it describes (often "a blank line here").
    if s.starts_with('#') {
        return (who, String::new());
    }
    let is_reply = s.len() >= 3 && s.as_bytes()[..3].iter().all(u8::is_ascii_digit);
    // A server writes '#' in its own words ("See RFC 2821 #2.7.1.", "#MS42204", "rule #7)"):
    // on a reply's line only a '#' with a space or another script after it is a comment.
    let status = is_reply || parse_pop3_status(s.as_bytes()).is_some();
    let servers_own =
        |after: &str| status && after.starts_with(|c: char| !c.is_whitespace()) && after.is_ascii();
    let mut end = s.len();
    for (i, c) in s.char_indices() {
        let prev = s[..i].chars().next_back();
        let after = &s[i + c.len_utf8()..];
        // "235 #2.0.0 OK" keeps its '#': an enhanced code follows it; so does a number
        // ("Exim 4.86_1 #1", a build number in cPanel's banners; "ticket #123").
        if c == '#'
            && prev.is_some_and(char::is_whitespace)
            && !number_after_hash(after)
            && !servers_own(after)
            && !(is_reply
                && after
                    .split(' ')
                    .next()
                    .and_then(EnhancedStatus::parse)
                    .is_some())
        {
            end = i;
            break;
        }
        if c == '/' && after.starts_with('/') && prev != Some(':') {
            end = i;
            break;
        }
    }
    (who, s[..end].trim_end().to_owned())
}

/// Whether the text after a `#` is a number standing alone (`#1 Thu, …`), not a comment
/// that starts with digits (`#163.com可以随便…`).
fn number_after_hash(after: &str) -> bool {
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && after[digits..]
            .chars()
            .next()
            .is_none_or(char::is_whitespace)
}

/// A shell prompt such as `user@host:~$ cmd` or `⇒  cmd`.
fn shell_prompt(s: &str) -> bool {
    s.contains('⇒')
        || s.starts_with("$ ")
        || s.split_once(' ').is_some_and(|(head, _)| {
            head.contains('@')
                && (head.ends_with('$') || head.ends_with('#') || head.ends_with(":~"))
        })
}

/// Lines that the telnet program itself prints.
fn telnet_chatter(s: &str) -> bool {
    [
        "Trying ",
        "Connected to ",
        "Escape character is",
        "Connection closed by",
    ]
    .iter()
    .any(|p| s.starts_with(p))
        || s.starts_with("telnet ")
        // Commands of the Windows telnet client, typed at its own prompt.
        || s.starts_with("set localecho")
        || s.starts_with("open ")
        || s.starts_with("Microsoft Telnet>")
        || s.contains("telnet ") && shell_prompt(s)
}

/// Options for annotating a transcript.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub lang: Lang,
    pub show_secrets: bool,
}

/// Options and whether to print the details too (see [`annotate_verbose`]).
#[derive(Debug, Clone, Copy)]
struct Printing {
    opts: Options,
    verbose: bool,
}

/// Feeds a pasted transcript, line by line, into the same [`Transcript`] fold the window and
/// `mailtutor send` use, and prints each entry with its notes.
struct Annotator {
    opts: Options,
    verbose: bool,
    out: String,
    /// The session as the log shows it: the same client connection a live session has,
    /// as an observer.
    conn: Connection<()>,
    transcript: Transcript,
    /// Whether a reply or command has shown which protocol this is.
    protocol_known: bool,
    /// The lines of an SMTP reply whose last line has not come yet.
    reply: Vec<u8>,
    /// A POP3 response with a body, until its final `.`.
    body: Option<Vec<u8>>,
    /// What printed the last line, when it was not part of the session.
    last_aside: Option<Aside>,
    /// Whether a new connection may have begun since the last server line.
    reconnect: bool,
    /// Whether the line being placed is a row of a table of codes on a page.
    table_row: bool,
    /// Whether a mail library or tool printed the log (it does TLS where a person at telnet
    /// cannot).
    library_log: bool,
    /// Whether a server's reply comes next, before any other line the client could have sent,
    /// and whether it is a refusal.
    next_reply: Option<bool>,
    /// Whether the log showed a client line in this session: a log of the server's side only
    /// (nc, telnet without local echo) has the commands its replies make certain inferred.
    client_seen: bool,
    /// The line being placed as it was pasted: a line that is not part of the session is
    /// shown so, not as cleaned for reading.
    pasted: Option<String>,
    /// Whether a line with only "." comes later in the paste: while none does, a refusal in
    /// the middle of a message is the server cutting it short (a size limit, a bare LF, an
    /// idle timeout), not message text.
    dot_later: bool,
    /// Whether the line being placed comes right after a server's line, with no blank line
    /// between: where a person at telnet types, not where a page's text goes on.
    after_reply: bool,
    /// Whether the log's arrows (`-->`, `<--`) say who wrote a line: not where a server's
    /// arrow carries a command and a client's a reply (a dump written by hand).
    arrows_name_sides: bool,
    /// Passwords the log gives in its settings and chatter: masked wherever they stand.
    secrets: Vec<String>,
    /// A tool's marks named a client line: it marks every line it sent, so a bare blank line
    /// in its log is the paste's spacing, not a line of the message.
    client_marked: bool,
    /// A line marked `<<<` was the server's: a log that marks the server's lines so (a
    /// sendmail bounce's transcript) writes its own status lines (`550 5.1.1 … User unknown`
    /// after the server's `<<< 550 …`) without the mark.
    server_chevrons: bool,
    /// For lines read from a packet capture: each fed line's packet number and whether bytes
    /// were lost before it, in the order of the lines. Printed lines then start with a column
    /// of packet numbers, and the transcript's entries keep them (see
    /// [`Transcript::frame`]). Empty for a paste.
    marks: Vec<capture::Mark>,
    /// The packet of each server line read so far from a capture (the newest last, a bounded
    /// tail): a reply spread over several packets prints each line beside its own.
    server_frames: Vec<u32>,
}

impl Annotator {
    fn new(p: Printing) -> Self {
        let mut a = Self {
            opts: p.opts,
            verbose: p.verbose,
            out: String::new(),
            conn: Connection::observer(Protocol::Smtp),
            transcript: Transcript::new(Protocol::Smtp),
            protocol_known: false,
            reply: Vec::new(),
            body: None,
            last_aside: None,
            reconnect: false,
            table_row: false,
            library_log: false,
            next_reply: None,
            client_seen: false,
            pasted: None,
            dot_later: false,
            after_reply: false,
            arrows_name_sides: true,
            secrets: Vec::new(),
            client_marked: false,
            server_chevrons: false,
            marks: Vec::new(),
            server_frames: Vec::new(),
        };
        a.fold_events();
        a
    }

    /// Folds the connection's events into the transcript.
    fn fold_events(&mut self) {
        while let Some(kind) = self.conn.poll_event() {
            self.transcript.apply(&Event::now(kind));
        }
    }

    fn tls_began(&mut self) {
        self.conn.tls_established(TlsInfo::default());
        self.fold_events();
    }

    fn new_session(&mut self) {
        self.conn.assume_connected();
        self.fold_events();
    }

    fn note(&mut self, text: &str) {
        let column = self.column(None);
        self.out.push_str(&column);
        self.out.push_str(NOTE_INDENT);
        self.out.push_str(text);
        self.out.push('\n');
    }

    /// Reads a whole log: each tool's lines by its reader, the rest by the session's state.
    fn feed(&mut self, said: Vec<Said>) {
        // Passwords the log gives in a setting, to mask wherever it prints them again.
        for s in &said {
            if let Said::Aside(_, t) | Said::Plain(t) = s {
                for v in crate::proto::secret::setting_values_in(t) {
                    if !self.secrets.iter().any(|k| k == v) {
                        self.secrets.push(v.to_owned());
                    }
                }
            }
        }
        self.arrows_name_sides = arrows_name_sides(&said);
        let table = table_rows(&said);
        // For each line, whether a lone "." comes after it.
        let mut dot_after = vec![false; said.len()];
        let mut seen = false;
        for (i, s) in said.iter().enumerate().rev() {
            dot_after[i] = seen;
            seen |= matches!(s, Said::Plain(t) | Said::Client(t) if t.trim() == ".");
        }
        for (i, s) in said.iter().enumerate() {
            if let Some(m) = self.marks.get(i).copied() {
                self.transcript.set_frame(Some(m.frame));
                if matches!(s, Said::Server(_)) {
                    if self.server_frames.len() >= 2 * SERVER_FRAMES_KEPT {
                        self.server_frames.drain(..SERVER_FRAMES_KEPT);
                    }
                    self.server_frames.push(m.frame);
                }
                if m.after_gap {
                    self.warn(Words::new("opencapture.gap"));
                }
            }
            self.table_row = table.get(i).copied().unwrap_or(false);
            self.dot_later = dot_after.get(i).copied().unwrap_or(true);
            self.after_reply = i > 0
                && match &said[i - 1] {
                    Said::Server(_) => true,
                    Said::Plain(t) => reply_like(&clean(t).1),
                    _ => false,
                };
            match s {
                Said::Server(t) => self.place(Who::Server, t.clone()),
                Said::Client(t) => {
                    self.library_log = true;
                    self.client_marked = true;
                    self.place(Who::Client, t.clone());
                }
                Said::Aside(what, t) => self.aside(t, *what),
                Said::TlsBegan(t) => {
                    self.finish_smtp();
                    if !self.in_tls() {
                        self.tls_began();
                    }
                    if !t.is_empty() {
                        self.aside(t, Aside::Library);
                    }
                }
                Said::Plain(t) => {
                    self.next_reply = next_reply(&said[i + 1..]);
                    self.pasted = Some(t.trim().to_owned());
                    self.line(t);
                    self.pasted = None;
                }
            }
        }
    }

    /// A line that is not part of the session: shown as it was, in the transcript too, and
    /// what printed it said once for a run of such lines.
    fn aside(&mut self, line: &str, what: Aside) {
        let pasted = self.pasted.take();
        let line = crate::proto::line::printable(pasted.as_deref().unwrap_or(line));
        if line.trim().is_empty() {
            self.out.push('\n');
            return;
        }
        let shown = if self.opts.show_secrets {
            std::borrow::Cow::Borrowed(line.as_ref())
        } else {
            crate::proto::secret::mask_known(&line, &self.secrets)
        };
        self.out.push_str(&format!("   {shown}\n"));
        if self.last_aside != Some(what) {
            let text = tr(self.opts.lang, what.key());
            self.note(&text);
        }
        self.transcript.aside(&line, what, &self.secrets);
        self.last_aside = Some(what);
        // A prompt, the telnet client or openssl may open a new connection: a greeting after
        // them starts a session of its own.
        if matches!(what, Aside::Shell | Aside::Telnet | Aside::Certificate) {
            self.reconnect = true;
        }
        self.library_log |= what == Aside::Library;
    }

    fn line(&mut self, raw_line: &str) {
        let trimmed = raw_line.trim();
        // Where the paste shows that TLS began (an event row of an exported transcript, or
        // swaks' `~` arrows), the session goes on encrypted, as it did on the wire.
        let tls_row = trimmed.starts_with('*') && trimmed.contains("TLS established");
        let swaks_tls = trimmed.starts_with("<~") || trimmed.starts_with("~>");
        if (tls_row || swaks_tls) && !self.in_tls() {
            self.tls_began();
        }
        if tls_row {
            self.out.push_str(&format!("   {trimmed}\n"));
            return;
        }
        if self.body.is_some() {
            // Body lines are the server's, but for one the log marks as the client's (the
            // body's dot is missing then).
            let (who, line) = clean(raw_line);
            let who = if who == Who::Client { who } else { Who::Server };
            return self.place(who, line);
        }
        let (mut who, line) = clean(raw_line);
        if !self.arrows_name_sides && arrow(raw_line).is_some() {
            who = Who::Unknown;
        }
        let in_data = self.conn.smtp().in_data();
        if line.is_empty() {
            // An empty line is message text after 354, and an answer to a 334 challenge
            // (XOAUTH2's error asks for one); so is a comment there ("# a blank line").
            // Elsewhere a comment or a Markdown heading is the page's text. A tool that
            // marks its lines writes the message's blank lines with its mark: a bare blank
            // line in its log is the paste's spacing.
            let comment = raw_line.trim();
            if in_data && !self.client_marked || self.expects_free_text() {
                self.client("");
            } else if comment.trim_start_matches(['>', ' ']).starts_with('#') {
                self.aside(comment, Aside::Prose);
            } else {
                self.out.push('\n');
            }
            return;
        }
        if line.starts_with("```") {
            // A page's code block that shows a message being typed ends with the block, dot or
            // not: the text after it is the page's again.
            if in_data {
                self.new_session();
                self.protocol_known = false;
            }
            return;
        }
        if !in_data && shell_prompt(&line) && !line.contains("telnet ") {
            return self.aside(&line, Aside::Shell);
        }
        if !in_data && telnet_chatter(&line) {
            return self.aside(&line, Aside::Telnet);
        }
        if who == Who::Server && trimmed.starts_with("<<<") {
            self.server_chevrons = true;
        } else if who == Who::Unknown && self.server_chevrons && !in_data && reply_like(&line) {
            return self.aside(&line, Aside::Library);
        }
        self.place(who, line);
    }

    /// A line whose speaker a reader or a prefix named, or that the session's state places.
    fn place(&mut self, who: Who, line: String) {
        // A line the log marks as the client's ends a body whose dot the log left out.
        if who == Who::Client && self.body.is_some() {
            self.finish_pop3();
        }
        // The lines of a POP3 response's body, until its final dot.
        if let Some(body) = self.body.as_mut() {
            body.extend_from_slice(line.as_bytes());
            body.extend_from_slice(b"\r\n");
            if line == "." {
                self.finish_pop3();
            }
            return;
        }
        let in_data = self.conn.smtp().in_data();
        let looks_reply = reply_like(&line);
        let looks_pop3 = parse_pop3_status(line.as_bytes()).is_some();
        let server = match who {
            Who::Server => true,
            Who::Client => false,
            // Inside a message a reply-shaped line is message text, unless the log shows
            // only the server's side (then it is the reply to the message's final dot), or it
            // is a refusal or a goodbye and the message never ends (the server cut it short).
            Who::Unknown => {
                (!in_data || !self.client_seen || !self.dot_later && cuts_short(&line))
                    && (looks_reply || looks_pop3)
            }
        };
        if !server {
            // A line nobody named is the client's only where the session expects one (message
            // text, an AUTH answer), where it reads as a command, or where the server answers
            // it; otherwise it is text around the session.
            // A command that a reply answers, or one written whole with no reply shown; any
            // line that draws a refusal (a typo). Not a line about a command or a label that a
            // success follows.
            // Chinese outside the message text and the AUTH answers is the page's, not typed
            // into telnet.
            // A lone "." outside a message ends one whose start the page left out.
            // Markdown's inline code (`msmtp -v`) is written about a session, not typed in it.
            let markdown = line.matches('`').count() >= 2;
            let latin = !has_cjk(&line) && line != "." && !markdown;
            // After the session ended (QUIT answered), a line that draws no reply was not
            // sent: nothing was listening.
            let over = self.session_over();
            let sent = who != Who::Unknown
                || in_data
                || self.expects_free_text()
                || latin
                    && match self.next_reply {
                        // Not a line that introduces what follows ("This is the response:").
                        // A typo draws the refusal: a word, not an application's output.
                        Some(refusal) => {
                            refusal && !line.ends_with(':') && typo_like(&line)
                                || self.is_command(&line)
                        }
                        // A word typed right under the last reply (`exit`, `bye`) was
                        // sent, though the log ends before the server answers it.
                        None => {
                            !over
                                && (self.parses_as_command(&line)
                                    || self.after_reply && typed_word(&line))
                        }
                    };
            if !sent {
                return self.aside(&line, Aside::Prose);
            }
            self.last_aside = None;
            // A library that was told "220 go ahead" to STARTTLS did the handshake before its
            // next line, though its log does not show it.
            if self.library_log && self.tls_pending() {
                self.tls_began();
            }
            // A reply whose last line the log left out ends where the client speaks again.
            self.finish_smtp();
            return self.client(&line);
        }
        // A page's table of codes is not a session, nor is a page's Chinese line shaped like
        // an SMTP reply inside a POP3 session (a POP3 server may still close with an SMTP-like
        // 421).
        if who == Who::Unknown && self.table_row {
            return self.aside(&line, Aside::Prose);
        }
        let pop3_session = self.protocol_known && self.conn.protocol() == Protocol::Pop3;
        if who == Who::Unknown
            && looks_reply
            && !looks_pop3
            && pop3_session
            && has_cjk(&line)
            && !self.reconnect
        {
            return self.aside(&line, Aside::Prose);
        }
        self.last_aside = None;
        let greeting = line.starts_with("220") || line.starts_with("+OK");
        // A 220 after the session ended (QUIT answered) is the greeting of a new connection.
        let over = line.starts_with("220")
            && self.conn.protocol() == Protocol::Smtp
            && self.conn.smtp().greeted()
            && self.conn.smtp().expected_next().first() == Some(&Step::Connect);
        if (std::mem::take(&mut self.reconnect) || over) && greeting && self.reply.is_empty() {
            self.new_session();
            self.protocol_known = false;
            self.client_seen = false;
        }
        if looks_pop3 {
            self.set_protocol(Protocol::Pop3);
            let status_ok = line.starts_with("+OK");
            if status_ok && self.conn.pop3().next_expects_body() {
                self.body = Some(format!("{line}\r\n").into_bytes());
                return;
            }
            return self.pop3_response(format!("{line}\r\n").into_bytes(), Pop3Expect::SingleLine);
        }
        self.set_protocol(Protocol::Smtp);
        self.reply.extend_from_slice(line.as_bytes());
        self.reply.extend_from_slice(b"\r\n");
        if line.as_bytes().get(3) != Some(&b'-') {
            self.finish_smtp();
        }
    }

    /// Whether the session was ended by a QUIT the server answered.
    fn session_over(&self) -> bool {
        match self.conn.protocol() {
            Protocol::Smtp => self.conn.smtp().quit_answered(),
            Protocol::Pop3 => {
                self.conn.pop3().state() == crate::proto::pop3_state::Pop3State::Disconnected
            }
            Protocol::Imap => *self.conn.imap().state() == crate::proto::imap::ImapState::Logout,
        }
    }

    /// Whether the session waits for a line that is not a command: an AUTH answer.
    fn expects_free_text(&self) -> bool {
        match self.conn.protocol() {
            Protocol::Smtp => self.conn.smtp().auth_prompt().is_some(),
            Protocol::Pop3 => self.conn.pop3().awaiting_sasl(),
            Protocol::Imap => self.conn.state().imap.auth_answer_due,
        }
    }

    /// Whether a line is a whole command of the session's protocol (of either, before the
    /// protocol is known).
    fn parses_as_command(&self, line: &str) -> bool {
        // HELO and EHLO take one name: "HELO is sent without waiting" is a sentence.
        let hello = ["HELO ", "EHLO "]
            .iter()
            .any(|v| line.get(..5).is_some_and(|w| w.eq_ignore_ascii_case(v)));
        if hello && line[5..].split_whitespace().count() > 1 {
            return false;
        }
        // `user "me@example.com"` is a setting in a config file (.fetchmailrc), not typed.
        if line
            .split_once(' ')
            .is_some_and(|(_, arg)| arg.len() > 2 && arg.starts_with('"') && arg.ends_with('"'))
        {
            return false;
        }
        let smtp = SmtpCommand::parse(line).is_ok();
        let pop3 = Pop3Command::parse(line).is_ok();
        match (self.protocol_known, self.conn.protocol()) {
            (true, Protocol::Smtp) => smtp,
            (true, Protocol::Pop3) => pop3,
            (true, Protocol::Imap) => crate::proto::imap::TypedCommand::parse(line)
                .mistakes
                .is_empty(),
            (false, _) => smtp || pop3,
        }
    }

    /// Whether a line starts with a command word of either protocol.
    fn is_command(&self, line: &str) -> bool {
        let verb = line
            .split(|c: char| c.is_whitespace() || c == ':')
            .next()
            .unwrap_or("");
        KNOWN_VERBS.iter().any(|v| v.eq_ignore_ascii_case(verb))
    }

    fn tls_pending(&self) -> bool {
        match self.conn.protocol() {
            Protocol::Smtp => self.conn.smtp().tls_pending(),
            Protocol::Pop3 => self.conn.pop3().tls_pending(),
            Protocol::Imap => self.conn.state().imap.tls_pending,
        }
    }

    fn in_tls(&self) -> bool {
        match self.conn.protocol() {
            Protocol::Smtp => self.conn.smtp().is_tls(),
            Protocol::Pop3 => self.conn.pop3().is_tls(),
            Protocol::Imap => self.conn.state().imap.tls,
        }
    }

    fn set_protocol(&mut self, protocol: Protocol) {
        if !self.protocol_known {
            self.protocol_known = true;
            self.conn.set_protocol(protocol);
            self.fold_events();
        }
    }

    fn client(&mut self, line: &str) {
        self.client_seen = true;
        // After a new connection whose greeting the log leaves out, a POP3 command starts a
        // POP3 session (and HELO/EHLO an SMTP one).
        if std::mem::take(&mut self.reconnect) {
            let pop3 = SmtpCommand::parse(line).is_err() && Pop3Command::parse(line).is_ok();
            let hello = ["HELO", "EHLO"]
                .iter()
                .any(|v| line.get(..4).is_some_and(|w| w.eq_ignore_ascii_case(v)));
            if pop3 || hello {
                self.new_session();
                self.protocol_known = false;
            }
        }
        if !self.protocol_known
            && SmtpCommand::parse(line).is_err()
            && Pop3Command::parse(line).is_ok()
        {
            self.set_protocol(Protocol::Pop3);
        }
        // A log of the client's side only leaves out the 334 challenges: the base64 lines
        // after AUTH are its answers.
        let answer = self.conn.protocol() == Protocol::Smtp
            && self.conn.smtp().awaiting_challenge()
            && SmtpCommand::parse(line).is_err()
            && auth::decode(line).is_ok();
        let typed: &[Typed] = if answer { &[Typed::AuthAnswer] } else { &[] };
        self.conn
            .sent(None, format!("{line}\r\n").as_bytes(), false, typed);
        self.fold_events();
        self.print_last("C:");
        if let Some(help) = self.command_help(line) {
            self.note(&help);
        }
    }

    /// What the command on a client line does, from the command help (not for message text
    /// or base64 answers, which have notes of their own).
    fn command_help(&self, line: &str) -> Option<String> {
        let e = self.transcript.entries().last()?;
        if !e.notes.is_empty() {
            return None;
        }
        let (protocol, label) = match self.conn.protocol() {
            Protocol::Pop3 => ("pop3", Pop3Command::parse(line).ok()?.kind().label()),
            Protocol::Smtp => match SmtpCommand::parse(line).ok()? {
                // A mechanism other than LOGIN and PLAIN.
                SmtpCommand::Auth { .. } => ("smtp", "AUTH"),
                c => ("smtp", c.kind().label()),
            },
            // IMAP commands are read by `explain::imap`.
            Protocol::Imap => return None,
        };
        let h = codes::command_help(protocol, label)?;
        Some(format!("{label}: {}", h.what.get(self.opts.lang)))
    }

    fn finish_smtp(&mut self) {
        let raw = std::mem::take(&mut self.reply);
        if raw.is_empty() {
            return;
        }
        // Server lines pasted together are one reply; whatever else is among them (a line
        // that starts another reply) stays in the row, as pasted.
        let mut cut = false;
        let parsed = match parse_replies(&raw).into_iter().next() {
            Some(Ok(mut reply)) => {
                reply.raw = raw;
                Parsed::Response(Response::Smtp(reply))
            }
            Some(Err(mut e)) => {
                *e.raw_mut() = raw;
                Parsed::MalformedSmtp(e)
            }
            // The paste ends inside a multi-line reply (or a command comes before its last
            // line): read as if the last line pasted were its last, so that it still answers
            // its command; shown as it is, and said so.
            None => match as_ended(&raw) {
                Some(mut reply) => {
                    reply.raw = raw;
                    cut = true;
                    Parsed::Response(Response::Smtp(reply))
                }
                None => Parsed::MalformedSmtp(MalformedReply::Unfinished { raw }),
            },
        };
        // A mail library's log shows its commands but not the message it sent after 354.
        let infer = !self.client_seen || self.library_log && self.conn.smtp().in_data();
        if infer
            && let Parsed::Response(Response::Smtp(reply)) = &parsed
            && let Some((line, command, why)) = inferred_command(self.conn.smtp(), reply)
        {
            self.conn.infer(line, command, why);
            self.fold_events();
            self.print_last("*");
        }
        self.received(parsed);
        if cut {
            self.transcript
                .apply(&Event::now(EventKind::Warning(Words::new(
                    "malformed.unfinished",
                ))));
            self.print_last("!");
        }
    }

    fn finish_pop3(&mut self) {
        let Some(raw) = self.body.take() else {
            return;
        };
        let mut reader = Pop3Reader::new();
        reader.expect(Pop3Expect::MultiLine);
        reader.push(&raw);
        if reader.next_response().is_some() {
            return self.pop3_response(raw, Pop3Expect::MultiLine);
        }
        // The paste ends inside a body: read it as if its final dot had come, show the lines
        // as they were, and say that the end is missing.
        let mut whole = raw.clone();
        whole.extend_from_slice(b".\r\n");
        let mut reader = Pop3Reader::new();
        reader.expect(Pop3Expect::MultiLine);
        reader.push(&whole);
        if let Some(r) = reader.next_response() {
            let parsed = match r {
                Ok(mut resp) => {
                    // Shown as pasted, without the dot added to read it (the body ends where
                    // the paste does, so it is still a slice of these bytes).
                    resp.raw = raw.into();
                    Parsed::Response(Response::Pop3(resp))
                }
                Err(e) => Parsed::MalformedPop3(e),
            };
            self.received(parsed);
        }
        self.transcript
            .apply(&Event::now(EventKind::Warning(Words::new(
                "warn.unfinished_body",
            ))));
        self.print_last("!");
    }

    fn pop3_response(&mut self, raw: Vec<u8>, expect: Pop3Expect) {
        let mut reader = Pop3Reader::new();
        reader.expect(expect);
        reader.push(&raw);
        let parsed = match reader.next_response() {
            Some(Ok(resp)) => Parsed::Response(Response::Pop3(resp)),
            Some(Err(e)) => Parsed::MalformedPop3(e),
            None => return,
        };
        self.received(parsed);
    }

    fn received(&mut self, parsed: Parsed) {
        self.conn.response(parsed);
        self.fold_events();
        self.print_last("S:");
    }

    /// Prints the newest entry: its lines (masked where secret) and its notes.
    fn print_last(&mut self, prefix: &str) {
        let Some(e) = self.transcript.entries().last() else {
            return;
        };
        let mut out = String::new();
        let column = self.column(self.transcript.frame(self.transcript.len() - 1));
        let blank = self.column(None);
        let text = e.text(self.opts.show_secrets);
        if text.is_empty() {
            out.push_str(&format!("{column}{prefix} \n"));
        }
        // A reply's lines from a capture, each beside the packet it came in.
        let count = text.lines().count();
        let own: &[u32] = match self.server_frames.len().checked_sub(count) {
            Some(from) if prefix == "S:" && !self.marks.is_empty() => &self.server_frames[from..],
            _ => &[],
        };
        for (i, line) in text.lines().enumerate() {
            let column = own
                .get(i)
                .map_or_else(|| column.clone(), |&f| self.column(Some(f)));
            out.push_str(&format!("{column}{prefix} {line}\n"));
        }
        for n in &e.notes {
            for l in n.render_lines(self.opts.lang, self.opts.show_secrets) {
                out.push_str(&blank);
                out.push_str(NOTE_INDENT);
                out.push_str(&l);
                out.push('\n');
            }
        }
        if self.verbose {
            let details = e
                .notes
                .iter()
                .flat_map(|n| n.detail_lines(self.opts.lang, self.opts.show_secrets));
            for l in details.chain(e.words_read(self.opts.lang)) {
                out.push_str(&blank);
                out.push_str(NOTE_INDENT);
                out.push_str(&l);
                out.push('\n');
            }
        }
        self.out.push_str(&out);
    }

    /// The packet-number column of a printed line from a capture (blank where the line has
    /// no packet of its own); nothing for a paste.
    fn column(&self, frame: Option<u32>) -> String {
        match (self.marks.is_empty(), frame) {
            (true, _) => String::new(),
            (false, Some(f)) => format!("{f:>6} "),
            (false, None) => " ".repeat(7),
        }
    }

    /// A warning row in the transcript, printed with its words.
    fn warn(&mut self, words: Words) {
        let text = words.get(self.opts.lang);
        self.transcript
            .apply(&Event::now(EventKind::Warning(words)));
        let column = self.column(
            self.transcript
                .frame(self.transcript.len().saturating_sub(1)),
        );
        self.out.push_str(&format!("{column}! {text}\n"));
    }

    /// At the end of the paste: a reply cut after a `NNN-` line is read as far as it goes.
    fn flush(&mut self) {
        if let Some(pos) = self.reply.windows(2).rposition(|w| w == b"\r\n") {
            let start = self.reply[..pos]
                .windows(2)
                .rposition(|w| w == b"\r\n")
                .map_or(0, |p| p + 2);
            if self.reply.get(start + 3) == Some(&b'-') {
                self.reply[start + 3] = b' ';
            }
        }
        self.finish_smtp();
        self.finish_pop3();
    }

    fn finish(mut self) -> String {
        self.flush();
        self.out
    }
}

/// How many server lines' packets a capture's annotation keeps (at least; at most twice).
const SERVER_FRAMES_KEPT: usize = 4096;

const NOTE_INDENT: &str = "      ";

/// A multi-line reply whose last line never came, read as if the last line pasted were its
/// last (`250-8BITMIME` as `250 8BITMIME`).
fn as_ended(raw: &[u8]) -> Option<Reply> {
    let body = raw.strip_suffix(b"\n").unwrap_or(raw);
    let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let mut whole = raw.to_vec();
    if whole.get(start + 3) != Some(&b'-') {
        return None;
    }
    whole[start + 3] = b' ';
    parse_replies(&whole).into_iter().next()?.ok()
}

/// The client line a reply makes certain, in a log that shows only the server's side: the line
/// the state machine takes as sent, what to call it (a verb, or the key of its words), and the
/// key of the reason. `None` where the reply could answer more than one line (a plain 250).
fn inferred_command(
    s: &SmtpSession,
    reply: &Reply,
) -> Option<(ClientLine, &'static str, &'static str)> {
    if !s.greeted() || s.awaiting_replies() > 0 {
        return None;
    }
    // After 354 the next reply answers the message's final dot; while a 334 is open, the
    // next reply answers the client's base64 line.
    if s.in_data() {
        return Some((ClientLine::Message, "infer.cmd.message", "infer.message"));
    }
    if s.auth_prompt().is_some() {
        return Some((ClientLine::AuthResponse, "infer.cmd.answer", "infer.answer"));
    }
    let asks_username =
        || auth::decode_prompt(reply.last_text()).is_ok_and(|p| p.kind == PromptKind::Username);
    let text = reply.text().to_ascii_lowercase();
    let (line, verb, why) = match reply.code {
        354 => ("DATA", "DATA", "infer.data"),
        334 if asks_username() => ("AUTH LOGIN", "AUTH LOGIN", "infer.auth"),
        // Only EHLO is answered with the server's name and a list of extensions.
        250 if reply.lines.len() > 1 && s.capabilities().is_none() => {
            ("EHLO localhost", "EHLO", "infer.ehlo")
        }
        // A 220 after the greeting, where STARTTLS was offered and is not done yet.
        220 if s.capabilities().is_some_and(|c| c.starttls) && !s.is_tls() => {
            ("STARTTLS", "STARTTLS", "infer.starttls")
        }
        221 if !["timeout", "time out", "timed out", "idle"]
            .iter()
            .any(|w| text.contains(w)) =>
        {
            ("QUIT", "QUIT", "infer.quit")
        }
        _ => return None,
    };
    let cmd = SmtpCommand::parse(line).ok()?;
    Some((ClientLine::Command(cmd), verb, why))
}

/// The command words of SMTP (with its extensions) and POP3 that a client line may start with.
const KNOWN_VERBS: [&str; 31] = [
    "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "VRFY", "EXPN", "HELP", "NOOP",
    "QUIT", "AUTH", "STARTTLS", "ETRN", "USER", "PASS", "APOP", "STAT", "LIST", "UIDL", "RETR",
    "TOP", "DELE", "CAPA", "STLS", "XCLIENT", "ATRN", "SEND", "TURN",
];

/// Which lines are rows of a table of reply codes on a page: three or more lines shaped like
/// replies, one after another (blank lines between them allowed), their codes never going
/// down. A session's replies go down somewhere (334 then 235, 354 then 250, 250 then 221),
/// or begin with a greeting and HELO's 250, so a log of the server's lines alone is still read
/// as a session.
fn table_rows(said: &[Said]) -> Vec<bool> {
    let mut rows = vec![false; said.len()];
    let mut run: Vec<(usize, u16)> = Vec::new();
    // Whether the line before the run is a command: replies that answer commands sent
    // together (PIPELINING: "250 OK", "451 …", "503 …") are a session, not a table.
    let mut after_command = false;
    let mut answering = false;
    let close = |run: &mut Vec<(usize, u16)>, rows: &mut Vec<bool>, answering: bool| {
        // A greeting answered by a 250 (HELO's) begins a session, not a table.
        let session = answering
            || run.first().is_some_and(|r| r.1 == 220) && run.get(1).is_some_and(|r| r.1 == 250);
        if run.len() >= 3 && !session && run.windows(2).all(|w| w[0].1 <= w[1].1) {
            for (i, _) in run.iter() {
                if let Some(r) = rows.get_mut(*i) {
                    *r = true;
                }
            }
        }
        run.clear();
    };
    for (i, s) in said.iter().enumerate() {
        let Said::Plain(t) = s else {
            close(&mut run, &mut rows, answering);
            after_command = matches!(s, Said::Client(_));
            continue;
        };
        let (who, line) = clean(t);
        if line.trim().is_empty() {
            continue;
        }
        match line.get(..3).and_then(|c| c.parse::<u16>().ok()) {
            Some(code)
                if who == Who::Unknown
                    && reply_like(&line)
                    && line.as_bytes().get(3) != Some(&b'-') =>
            {
                if run.is_empty() {
                    answering = after_command;
                }
                run.push((i, code));
                after_command = false;
            }
            _ => {
                close(&mut run, &mut rows, answering);
                after_command = SmtpCommand::parse(&line).is_ok();
            }
        }
    }
    close(&mut run, &mut rows, answering);
    rows
}

/// A line in the shape of an SMTP reply: three digits, then a space, a dash, `#` or nothing.
/// The side an arrow at the start of a line names, as [`clean`] reads it.
fn arrow(line: &str) -> Option<Who> {
    let t = line.trim_start();
    SIDE_MARKS
        .iter()
        .find(|(mark, _)| t.starts_with(mark))
        .filter(|(mark, _)| ARROWS.contains(mark))
        .map(|&(_, who)| who)
}

/// Whether a log's arrows name who wrote each line: not when lines under the server's arrow
/// read as commands while lines under the client's read as replies (a dump whose arrows were
/// written by hand, each way round).
fn arrows_name_sides(said: &[Said]) -> bool {
    let (mut server_says_command, mut client_says_reply) = (false, false);
    for s in said {
        let Said::Plain(t) = s else { continue };
        let Some(side) = arrow(t) else { continue };
        let (_, line) = clean(t);
        let reply = reply_like(&line);
        match side {
            Who::Server => server_says_command |= !reply && command_word(&line),
            _ => client_says_reply |= reply,
        }
    }
    !(server_says_command && client_says_reply)
}

/// Whether a line reads as an SMTP or POP3 command.
fn command_word(line: &str) -> bool {
    SmtpCommand::parse(line).is_ok() || Pop3Command::parse(line).is_ok()
}

/// One word of letters, as a person types to leave a session (`exit`, `quit`, `bye`).
fn typed_word(line: &str) -> bool {
    (2..=10).contains(&line.len()) && line.bytes().all(|b| b.is_ascii_alphabetic())
}

/// A reply line a console wrapped at its width joined again: a long reply line followed,
/// with no blank line between, by a line that starts with a digit or a mark, where no
/// command or reply can start (`…ready at Thu, 9 Mar 2` / `017 15:46:43 +0800`).
fn join_wrapped(said: Vec<Said>) -> Vec<Said> {
    let mut out: Vec<Said> = Vec::with_capacity(said.len());
    for s in said {
        // Only a line no tool marked (a console's): a tool's own line after its marked
        // reply is its own. The piece may have been taken for a tool's chatter (a time in
        // it): no session line starts so.
        if let Said::Plain(t) | Said::Aside(_, t) = &s
            && let Some(Said::Plain(prev)) = out.last_mut()
            && continues_wrapped(prev, t)
        {
            prev.push_str(t.trim_end());
            continue;
        }
        out.push(s);
    }
    out
}

/// Whether `next` is the rest of the reply line `prev` that a console wrapped. Never after a
/// 3xx: what follows a 354 is the message ("..com" dot-stuffed, "2024 report"), what follows
/// a 334 is base64.
pub fn continues_wrapped(prev: &str, next: &str) -> bool {
    let p = prev.trim_end_matches(['\r', '\n']);
    let first = next.chars().next();
    p.chars().count() >= 60
        && reply_like(p.trim_start())
        && !p.trim_start().starts_with('3')
        && !p.ends_with(' ')
        && first.is_some_and(|c| c.is_ascii_digit() || ".,;)]".contains(c))
        && !reply_like(next.trim())
        && parse_pop3_status(next.trim().as_bytes()).is_none()
}

fn reply_like(line: &str) -> bool {
    line.len() >= 3
        && line.as_bytes()[..3].iter().all(u8::is_ascii_digit)
        // A reply code's first digit is 1 to 5 (RFC 5321 §4.2.1): "017 15:46" is the rest of
        // a line the console wrapped.
        && (b'1'..=b'5').contains(&line.as_bytes()[0])
        && (matches!(line.as_bytes().get(3), None | Some(b' ' | b'-' | b'#'))
            // Chinese text written right after the code ("550邮箱不存在").
            || line.as_bytes().get(3).is_some_and(|c| !c.is_ascii())
            // A word written right after the code, as a server that forgot the space sends
            // it ("503Bad sequence of commands"); not a measure ("100th", "500Mb", "100Mbps").
            || line.as_bytes()[0] >= b'2' && run_on_word(&line[3..]))
}

/// Whether text begins with a capitalised word of three letters or more that is no unit of
/// measure ("Bad", "User"; not "Mb", "Mbps", "GB").
fn run_on_word(text: &str) -> bool {
    let word: Vec<u8> = text.bytes().take_while(u8::is_ascii_alphabetic).collect();
    let unit = matches!(word.first(), Some(b'K' | b'M' | b'G' | b'T'))
        && matches!(word.get(1), Some(b'b' | b'B' | b'i' | b'H' | b'h'));
    word.len() >= 3
        && word[0].is_ascii_uppercase()
        && word[1..].iter().all(u8::is_ascii_lowercase)
        && !unit
}

/// Whether a reply-shaped line is one a server may send in the middle of a message to end it:
/// a refusal (4xx, 5xx) or a goodbye (221), with words after the code.
fn cuts_short(line: &str) -> bool {
    let words = line
        .get(4..)
        .is_some_and(|w| w.split_whitespace().count() >= 2);
    words && (line.starts_with(['4', '5']) || line.starts_with("221"))
}

/// The reply the next line a reader placed is (past asides and blank lines), if it is one:
/// whether it is a refusal, which even a line that is no command draws.
fn next_reply(rest: &[Said]) -> Option<bool> {
    let refusal = |l: &str| l.starts_with(['4', '5']) || l.starts_with("-ERR");
    for s in rest {
        match s {
            Said::Server(l) => return Some(refusal(l)),
            Said::Client(_) => return None,
            Said::Aside(..) | Said::TlsBegan(_) => continue,
            Said::Plain(t) => {
                let (who, line) = clean(t);
                if line.trim().is_empty() {
                    continue;
                }
                let reply = reply_like(&line) || parse_pop3_status(line.as_bytes()).is_some();
                return (who == Who::Server || who == Who::Unknown && reply)
                    .then(|| refusal(&line));
            }
        }
    }
    None
}

/// Whether a line could be a command mistyped: its first word is letters (and digits), as a
/// command's verb is.
fn typo_like(line: &str) -> bool {
    line.split_whitespace().next().is_some_and(|w| {
        w.len() <= 16
            && w.chars().next().is_some_and(char::is_alphabetic)
            && w.chars()
                .all(|c| c.is_alphanumeric() || ":-+/=".contains(c))
    })
}

fn has_cjk(s: &str) -> bool {
    s.chars()
        .any(|c| ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c))
}

/// The text of a transcript file or paste: UTF-8 (a byte-order mark dropped), or else GB18030,
/// the superset of GBK that Chinese Windows tools save in.
pub fn decode_paste(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::GB18030.decode(bytes).0.into_owned(),
    }
}

/// Folds a pasted transcript as [`annotate`] does and returns the transcript itself, with
/// every reply's notes (its situation included).
pub fn fold(text: &str) -> Transcript {
    let said = join_wrapped(logs::read(text));
    if imap::looks_imap(&said) {
        return imap::fold(&said);
    }
    let mut a = Annotator::new(Printing {
        opts: Options {
            lang: Lang::En,
            show_secrets: false,
        },
        verbose: false,
    });
    a.feed(said);
    a.flush();
    a.transcript
}

/// Annotates a pasted transcript. Every input line comes out, prefixed `S:`/`C:`, with notes
/// indented under it.
pub fn annotate(text: &str, opts: Options) -> String {
    annotate_with(
        text,
        Printing {
            opts,
            verbose: false,
        },
    )
}

/// Like [`annotate`], with each reply's details after its explanation: the codes' reference
/// meanings and the state machine's sentence.
pub fn annotate_verbose(text: &str, opts: Options) -> String {
    annotate_with(
        text,
        Printing {
            opts,
            verbose: true,
        },
    )
}

/// Whether a paste is an IMAP session (it is annotated as one, as text).
pub fn is_imap(text: &str) -> bool {
    imap::looks_imap(&join_wrapped(logs::read(text)))
}

fn annotate_with(text: &str, p: Printing) -> String {
    let said = join_wrapped(logs::read(text));
    if imap::looks_imap(&said) {
        return imap::annotate(&said, p.opts);
    }
    let mut a = Annotator::new(p);
    a.feed(said);
    a.finish()
}

/// Explains codes given on the command line: `535`, `5.7.8`, `+OK`, `[IN-USE]`. A whole
/// reply (`"550 5.7.23 SPF validation failed"`) is explained as a reply, once, from its words.
pub fn explain_codes(codes_in: &[String], lang: Lang) -> String {
    codes_in
        .iter()
        .map(|c| {
            let t = c.trim();
            let reply = t.contains(char::is_whitespace)
                && (t.len() > 3 && t.as_bytes()[..3].iter().all(u8::is_ascii_digit)
                    || parse_pop3_status(t.as_bytes()).is_some());
            if reply {
                annotate_verbose(
                    t,
                    Options {
                        lang,
                        show_secrets: false,
                    },
                )
            } else {
                codes::explain_token(c, lang)
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn en(text: &str) -> String {
        annotate(
            text,
            Options {
                lang: Lang::En,
                show_secrets: false,
            },
        )
    }

    /// A refusal in the middle of a message that never ends is the server cutting it short;
    /// a reply-shaped line in a message that does end is message text.
    #[test]
    fn a_refusal_in_the_middle_of_a_message_cuts_it_short() {
        let session = "220 mx ESMTP\nEHLO me\n250 mx\nMAIL FROM:<a@example.com>\n250 ok\nRCPT TO:<b@example.org>\n250 ok\nDATA\n354 go ahead\nSubject: scans\n\n";
        let cut = en(&format!(
            "{session}(10 MB of attachment)\n552 Actual message size 10489856 bytes exceeds maximum allowed size\n"
        ));
        assert!(cut.contains("S: 552 Actual message size"), "{cut}");
        assert!(!cut.contains("final dot"), "{cut}");
        assert!(cut.contains("bigger than the server accepts"), "{cut}");
        let kept = en(&format!(
            "{session}550 people came to the meeting\n.\n250 ok queued\n"
        ));
        assert!(kept.contains("C: 550 people came"), "{kept}");
        assert!(kept.contains("S: 250 ok queued"), "{kept}");
    }

    /// An address without <> is refused by strict servers only: the note says so and does not
    /// foretell a 501 that a lenient server (Postfix by default) does not send.
    #[test]
    fn an_address_without_brackets_is_not_foretold_a_refusal() {
        let out = en("220 mx ESMTP\nEHLO me\n250 mx\nMAIL From: a@example.com\n250 OK\n");
        assert!(out.contains("a strict server answers 501"), "{out}");
        assert!(!out.contains("expect 501"), "{out}");
    }

    #[test]
    fn comments_and_prefixes() {
        assert_eq!(
            clean("helo 163.com #163.com可以随便任意字符").1,
            "helo 163.com"
        );
        assert_eq!(clean("auth login\t#认证登陆").1, "auth login");
        assert_eq!(clean("\t\t\t#需空一行表示正文开始").1, "");
        assert_eq!(
            clean("235 #2.0.0 OK Authenticated").1,
            "235 #2.0.0 OK Authenticated"
        );
        assert_eq!(
            clean("220-mx.example ESMTP Exim 4.86_1 #1 Thu, 03 Mar 2016 15:30:06 -0500").1,
            "220-mx.example ESMTP Exim 4.86_1 #1 Thu, 03 Mar 2016 15:30:06 -0500"
        );
        assert_eq!(clean(">334 VXNlcm5hbWU6").1, "334 VXNlcm5hbWU6");
        // A server's own '#' stays; a note after a reply goes.
        for reply in [
            "501 CR and LF must be CRLF paired.  See RFC 2821 #2.7.1.",
            "450 Your account reached its email quota limit. #MS42204",
            "550 Rejected by local policy (MSFE-NG rule #7)",
            "-ERR Authorization failed #end#",
        ] {
            assert_eq!(clean(reply).1, reply);
        }
        assert_eq!(clean("250 OK # the mail is queued").1, "250 OK");
        assert_eq!(
            clean("334 VXNlcm5hbWU6 #服务器要用户名").1,
            "334 VXNlcm5hbWU6"
        );
        // Code pasted around a log: a method call, not the client's side.
        assert_eq!(clean("  ->from(\"me@x\")").0, Who::Unknown);
        assert_eq!(clean("-> EHLO x"), (Who::Client, "EHLO x".into()));
        assert_eq!(clean("S: 250 OK\r\n"), (Who::Server, "250 OK".into()));
        assert_eq!(clean("C: DATA"), (Who::Client, "DATA".into()));
        assert_eq!(clean("250 smtp.qq.com//服务器返回").1, "250 smtp.qq.com");
        assert_eq!(
            clean("see http://mail.163.com/help").1,
            "see http://mail.163.com/help"
        );
    }

    /// Server lines pasted together that hold more than one reply are one row, every line
    /// of it shown (the first reply explains it).
    #[test]
    fn every_line_of_a_pasted_block_is_shown() {
        let out = en("C: EHLO a\nS: 250-ok\nS: 761-SIZE 1\nS: 250 more\nC: QUIT");
        for line in ["S: 250-ok", "S: 761-SIZE 1", "S: 250 more"] {
            assert!(out.contains(line), "{line:?} is missing:\n{out}");
        }
    }

    #[test]
    fn auth_login_decoded_and_password_masked() {
        let t = "220 smtp.163.com\nhelo fan2\n250 OK\nauth login\n334 dXNlcm5hbWU6\ncGh1bnhtQDE2My5jb20=\n334 UGFzc3dvcmQ6\nc2VjcmV0\n235 Authentication successful\n";
        let out = en(t);
        assert!(out.contains("\"username:\""), "{out}");
        assert!(out.contains("username: phunxm@163.com"), "{out}");
        assert!(out.contains("\"Password:\""), "{out}");
        assert!(
            !out.contains("c2VjcmV0"),
            "raw base64 password leaked:\n{out}"
        );
        assert!(!out.contains("secret"), "password leaked:\n{out}");
        assert!(out.contains("Logged in. (Success is 235"), "{out}");
        let shown = annotate(
            t,
            Options {
                lang: Lang::En,
                show_secrets: true,
            },
        );
        assert!(shown.contains("password: secret"), "{shown}");
    }

    /// A POP3 body whose final dot the log left out ends where the log marks a client line,
    /// and a `+` continuation starts no body: every line comes out.
    #[test]
    fn a_body_without_its_dot_loses_no_line() {
        let t = "S: +OK ready\nC: CAPA\nS: + go on\nC: CAPA\nS: +OK\nS: TOP\nS: UIDL\n\
                 C: RETR 1\nS: -ERR There's no message 1.\nC: QUIT\n";
        let out = en(t);
        for want in [
            "S: TOP",
            "S: UIDL",
            "C: RETR 1",
            "S: -ERR There's no message 1.",
            "C: QUIT",
        ] {
            assert!(out.lines().any(|l| l == want), "{want:?} missing:\n{out}");
        }
    }

    /// A server's protocol log in CSV: which mark is the server's is learnt from the log (a
    /// send log's `<` is the remote server, a receive log's `>` is this server's reply), and
    /// the blank lines a forum put between rows are no message text.
    #[test]
    fn a_csv_protocol_log_is_read_either_way_round() {
        for (server, client) in [('<', '>'), ('>', '<')] {
            let row = |n: u32, mark: char, data: &str| {
                format!(
                    "2022-10-19T08:44:3{n}.035Z,Conn,08DA,{n},10.0.0.1:25,192.0.2.9:5100,{mark},{data},\n\n"
                )
            };
            let log = [
                row(1, '+', ""),
                row(2, server, "220 mx.example.org ESMTP"),
                row(3, client, "EHLO client.example.net"),
                row(4, server, "250 mx.example.org Hello"),
                row(5, client, "DATA"),
                row(6, server, "354 Start mail input"),
                row(7, server, "250 2.0.0 queued"),
                row(8, client, "QUIT"),
                row(9, server, "221 bye"),
            ]
            .concat();
            let out = en(&log);
            for want in [
                "S: 220 mx.example.org ESMTP",
                "C: EHLO client.example.net",
                "S: 354 Start mail input",
                "C: QUIT",
            ] {
                assert!(out.lines().any(|l| l == want), "{want:?} missing:\n{out}");
            }
            assert!(
                !out.lines().any(|l| l.trim_end() == "C:"),
                "a blank line became message text:\n{out}"
            );
        }
    }

    /// A password in a tool's chatter or a pasted setting is masked like one on the wire: in
    /// the printed annotation and in the transcript the window and the HTML page show.
    #[test]
    fn password_settings_among_asides_are_masked() {
        let t = "$ swaks --to bob@x.test --auth-user a@x.test --auth-password Tq7zebra\n\
                 WARNING: {pass=S15cQFO8kk50, userName=bot@x.test}\n\
                 INFO >>>>> title = [bot@x.test], s = [S15cQFO8kk50]\n\
                 220 mx.x.test ESMTP\nEHLO a\n250 mx.x.test\nQUIT\n221 bye\n";
        let out = en(t);
        let shown = annotate(
            t,
            Options {
                lang: Lang::En,
                show_secrets: true,
            },
        );
        for secret in ["Tq7zebra", "S15cQFO8kk50"] {
            assert!(!out.contains(secret), "{secret} leaked:\n{out}");
            assert!(shown.contains(secret), "{shown}");
        }
        assert!(out.contains("--auth-password ********"), "{out}");
        let folded = fold(t);
        let rows: Vec<String> = folded
            .entries()
            .iter()
            .map(|e| e.event_text(Lang::Zh, false))
            .collect();
        let rows = rows.join("\n");
        assert!(
            rows.contains("{pass=********, userName=bot@x.test}"),
            "{rows}"
        );
        assert!(
            !rows.contains("S15cQFO8kk50") && !rows.contains("Tq7zebra"),
            "{rows}"
        );
        let page = crate::html_export::transcript_html(
            &folded,
            Lang::En,
            false,
            &crate::html_export::Header::default(),
        );
        assert!(!page.contains("S15cQFO8kk50"), "the HTML page leaks it");
    }

    #[test]
    fn data_section_is_message_text() {
        let t = "354 End data with <CR><LF>.<CR><LF>\nsubject:<test>\nfrom:<a@b>\n\nThis is a test\n.\n250 Mail OK queued\nquit\n221 Bye\n";
        let out = en(t);
        assert!(out.contains("header Subject: the title"), "{out}");
        assert!(out.contains("blank line"), "{out}");
        assert!(out.contains("end of the message"), "{out}");
        assert!(out.contains("S: 250 Mail OK queued"), "{out}");
        assert!(out.contains("Goodbye: the server closes"), "{out}");
    }

    #[test]
    fn a_message_line_after_a_long_354_is_not_joined_to_it() {
        let out = en(
            "DATA\n354 Start mail input; end with <CRLF>.<CRLF> (maximum 10 MB, be brief)\n..hidden\n2024 figures\n.\n250 OK\n",
        );
        let lines: Vec<&str> = out.lines().collect();
        assert!(
            lines.iter().any(|l| l.trim_end().ends_with("..hidden")),
            "{out}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("2024 figures") && !l.contains("354")),
            "{out}"
        );
        // A long refusal a console wrapped is still joined.
        let out = en(
            "RCPT TO:<b@example.com>\n550 5.1.1 <b@example.com>: Recipient address rejected: User unknown in virtual mailbox ta\n017 ble\n",
        );
        assert!(out.contains("mailbox ta017 ble"), "{out}");
    }

    #[test]
    fn words_read_through_a_slip_are_not_quoted_as_the_servers() {
        let session = |reply: &str| {
            en(&format!(
                "220 mx.example.com ESMTP\nEHLO pc\n250 mx.example.com\nMAIL FROM:<a@example.org>\n250 OK\nRCPT TO:<b@example.com>\n{reply}\n"
            ))
        };
        let out = session("550 Invalid recipient");
        assert!(
            out.contains("the server's words “invalid recipient” say why"),
            "{out}"
        );
        let out = session("550 Invaild recipient");
        assert!(out.contains("the user does not exist"), "{out}");
        assert!(!out.contains("“invalid recipient”"), "{out}");
    }

    #[test]
    fn pop3_and_bad_base64_and_telnet_lines() {
        let out = en("Trying 1.2.3.4...\n+OK ready\nuser me\npass hunter2\n-ERR [AUTH] bad\n");
        assert!(out.contains("printed by telnet"), "{out}");
        assert!(out.contains("pass ********"), "{out}");
        assert!(!out.contains("hunter2"));
        assert!(
            out.contains("[AUTH]: the server says the user name or password is wrong"),
            "{out}"
        );
        let out = en("faner@MBP-FAN:~|⇒  echo dXNlcm5hbWU6 | base64 -D\n```\n");
        assert!(out.contains("a shell command"), "{out}");
        assert!(!out.contains("```"), "{out}");
        let out = en("334 VXNlcm5hbWU6\n【这里输入你的163邮箱账户的BASE64编码】\n");
        assert!(out.contains("this is not base64"), "{out}");
    }

    #[test]
    fn chinese_annotations() {
        let out = annotate(
            "503 bad sequence of commands\n",
            Options {
                lang: Lang::Zh,
                show_secrets: false,
            },
        );
        assert!(
            out.contains("永久失败（5xx") && out.contains("先 EHLO"),
            "{out}"
        );
    }

    #[test]
    fn explain_codes_both_languages() {
        let out = explain_codes(&["535".into(), "5.7.8".into()], Lang::En);
        assert!(out.contains("Authentication credentials invalid"));
        assert!(out.contains("Security or policy status"));
        let zh = explain_codes(&["334".into()], Lang::Zh);
        assert!(zh.contains("服务器质询"));
        assert!(explain_codes(&["999".into()], Lang::En).contains("Non-standard code 999"));
        assert!(explain_codes(&["[IN-USE]".into()], Lang::En).contains("in use"));
    }
}
