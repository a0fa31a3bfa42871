//! Log readers: who said what in a session log, in the form the tool that printed it wrote it.
//! One small reader per format (PHPMailer's `SMTPDebug`, Python's smtplib and poplib, curl -v,
//! Nodemailer, JavaMail, Ruby's Net::SMTP, MailKit, openssl s_client, the Windows and Unix
//! telnet clients); each recognises its own lines and says whether a line is the server's, the
//! client's, the tool's own chatter, or a plain line that no reader claims (a telnet session as
//! typed, `S:`/`C:` transcripts, prose around them), which the fold then places by the session's
//! state. The format is found line by line, so a paste can hold several tools' output.

use std::sync::LazyLock;

use serde::Deserialize;

/// What a line of a log is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// A line the server sent.
    Server(String),
    /// A line the client sent.
    Client(String),
    /// A line no reader claims: a session typed by hand, or text around it.
    Plain(String),
    /// Not part of the session: what the tool, the shell or the page around it printed.
    Aside(Aside, String),
    /// The tool says the connection is encrypted from here on (openssl's handshake dump, a
    /// curl TLS line).
    TlsBegan(String),
}

/// What printed a line that is not part of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aside {
    /// A shell or `cmd` prompt and the command typed at it.
    Shell,
    /// The telnet client's own messages ("Connected to …", 正在连接…).
    Telnet,
    /// A mail library's or curl's own messages (timings, connection, a summary of a reply it
    /// already showed).
    Library,
    /// openssl's certificate and TLS session dump.
    Certificate,
    /// Text around the session (a tutorial's prose, a page's title): the fold finds it where
    /// a line is neither the server's nor anything a client sent.
    Prose,
    /// A command a server's log shows another client sending it, in a session the log does
    /// not give the replies of (IIS logs the commands it received, not its answers).
    Received,
}

impl Aside {
    /// The words that say what printed the line.
    pub fn key(self) -> &'static str {
        match self {
            Self::Shell => "explain.shell",
            Self::Telnet => "explain.telnet",
            Self::Library => "explain.library",
            Self::Certificate => "explain.certificate",
            Self::Prose => "explain.prose",
            Self::Received => "explain.received",
        }
    }
}

/// Reads a whole log.
pub fn read(text: &str) -> Vec<Said> {
    let mut r = Reader {
        directions: Directions::of(text),
        csv_server: csv_server_mark(text),
        ..Reader::default()
    };
    let mut out = Vec::new();
    let mut last_len = 0;
    for line in text.lines() {
        let len = std::mem::replace(&mut last_len, line.trim_end().chars().count());
        // A log that writes a multi-line reply as one entry leaves the codes off the lines
        // after its first (go-mail: `C <-- S: 250 smtp.qq.com`, then `PIPELINING`, `SIZE …`):
        // those lines are the reply's, each with the first line's code again.
        if std::mem::take(&mut r.reply_open)
            && keyword_line(line)
            && let Some(Said::Server(first)) = out.last_mut()
            && let Some(code) = first.get(..3).map(str::to_owned)
            && first
                .as_bytes()
                .get(3)
                .is_some_and(|b| matches!(b, b' ' | b'-'))
        {
            first.replace_range(3..4, "-");
            out.push(Said::Server(format!("{code} {}", line.trim())));
            r.reply_open = true;
            continue;
        }
        // A piece of the last Net::Cmd line that what it was pasted through wrapped: the
        // line had no room left for this piece's first word (mail clients wrap at 72).
        let first_word = line
            .split_whitespace()
            .next()
            .map_or(0, |w| w.chars().count());
        // The tool's own message repeating the end of the reply (git send-email prints the
        // server's words again) is not a piece of it.
        if r.perl_last.is_some()
            && !line.trim().is_empty()
            && len + 1 + first_word > WRAP_WIDTH
            && perl_netcmd(line.trim()).is_none()
            && let Some(Said::Server(text) | Said::Client(text)) = out.last_mut()
            && !text.ends_with(line.trim())
        {
            text.push(' ');
            text.push_str(line.trim());
            continue;
        }
        r.line(line, &mut out);
    }
    out
}

/// The width mail clients wrap pasted text at (RFC 3676 §4.2 recommends at most 78, and
/// most wrap at 72).
const WRAP_WIDTH: usize = 72;

/// An EHLO keyword line without its code: `PIPELINING`, `SIZE 73400320`, `AUTH=LOGIN`.
fn keyword_line(line: &str) -> bool {
    let t = line.trim();
    let first = t.split_whitespace().next().unwrap_or("");
    // A keyword has no colon and no arrow: `C --> S: QUIT` is another line of the log.
    t.len() <= 100
        && !t.contains([':', '<', '>'])
        && first
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        && first
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'=')
        && !looks_like_reply(t)
}

/// The state a few formats need across lines.
#[derive(Default, Clone)]
struct Reader {
    /// Inside openssl s_client's dump, from `CONNECTED(` until the session's next line.
    openssl: bool,
    /// Inside a PEM block.
    pem: bool,
    /// The last line was PHPMailer's server line, so an indented line continues it.
    phpmailer_server: bool,
    /// The last line was poplib's `*get*`, so the `*resp*` after it repeats it.
    poplib_got: bool,
    /// After smtplib's `reply: retcode (250); Msg: …`, whose message Python 2 prints over
    /// several lines: the lines until smtplib's next line are that summary's.
    smtplib_summary: bool,
    /// Inside a page's front matter (`---` … `---` at the top).
    front_matter: bool,
    /// Whether a line with text has come.
    started: bool,
    /// curl -v has shown a server line (`< 220 …`): every later `< ` line is what curl read,
    /// a POP3 response's body lines too (`< TOP`, `< .`).
    curl: bool,
    /// Nodemailer 0.x printed `SEND:` (false) or `RECEIVE:` (true): the next line is what
    /// was written or read, as a JSON string.
    quoted_next: Option<bool>,
    /// Nodemailer 0.x's log has begun: its own remarks are the library's.
    old_nodemailer: bool,
    /// The direction labels this log uses, and which side each is.
    directions: Directions,
    /// The last line was a reply a side-and-arrow label named (`C <-- S: 250 …`): lines
    /// without a code after it may continue it.
    reply_open: bool,
    /// The side of the last line Perl's Net::Cmd debug output wrote (`Net::SMTP=GLOB(…)>>>`):
    /// a line without its prefix right after it is that line wrapped by whatever it was pasted
    /// through (a mail client), and is joined to it.
    perl_last: Option<bool>,
    /// A line `S 220 …` has shown that this log marks sides with a bare `S`/`C` (an SMTP
    /// class's debug output).
    side_letters: bool,
    /// Net::Cmd has written a session line: it prefixes every line it writes, so a line
    /// without the prefix is the program's own message (git send-email's "STARTTLS failed!").
    perl_seen: bool,
    /// A server's protocol log in CSV (Exchange's `…,<,220 mx ready,`): which of `<` and `>`
    /// marks the server's lines in this log, learnt from which carries replies.
    csv_server: Option<char>,
    /// The columns of a W3C extended log (IIS's SMTP service) from its `#Fields:` line.
    w3c: Option<W3cFields>,
}

const W3C_DIRECTIVES: [&str; 7] = [
    "#Software:",
    "#Version:",
    "#Date:",
    "#Start-Date:",
    "#End-Date:",
    "#Remark:",
    "#Fields:",
];

/// Where a W3C extended log (IIS SMTPSVC) keeps what a row says: `cs-username` is
/// `OutboundConnectionCommand` or `OutboundConnectionResponse` on the rows of a session IIS
/// opened, `cs-method` a command's verb and `cs-uri-query` its argument or the reply, with
/// `+` for each space and `&lt;` `&gt;` for the brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
struct W3cFields {
    count: usize,
    username: usize,
    method: usize,
    query: usize,
    /// `sc-status`: the code of the answer, on the rows of commands IIS received.
    status: Option<usize>,
}

impl W3cFields {
    /// The columns a `#Fields:` line names, when it has the ones a session needs.
    fn of(t: &str) -> Option<Self> {
        let names: Vec<&str> = t.strip_prefix("#Fields:")?.split_whitespace().collect();
        let at = |n: &str| names.iter().position(|f| f.eq_ignore_ascii_case(n));
        Some(Self {
            count: names.len(),
            username: at("cs-username")?,
            method: at("cs-method")?,
            query: at("cs-uri-query")?,
            status: at("sc-status"),
        })
    }

    /// A row of the log: the outbound session's command or reply, else (a command IIS received,
    /// whose reply it does not log) the row spelt out as the tool's.
    fn row(&self, t: &str) -> Option<Said> {
        let cells: Vec<&str> = t.split_whitespace().collect();
        if cells.len() != self.count {
            return None;
        }
        let cell = |i: usize| cells.get(i).copied().filter(|c| *c != "-");
        Some(iis_said(
            t,
            cell(self.username),
            cell(self.method),
            cell(self.query),
            self.status.and_then(cell),
        ))
    }
}

/// A row of an IIS SMTP log pasted without its `#Fields:` line, in either of the layouts IIS
/// writes by default: the site (`SMTPSVC1`) follows the user name, the method comes four cells
/// later, and the argument or reply is the next cell that is not `-` (`cs-uri-stem` may stand
/// between them) unless the row's numbers come first.
fn iis_headerless(t: &str) -> Option<Said> {
    let cells: Vec<&str> = t.split_whitespace().collect();
    let site = cells.iter().position(|c| {
        c.get(..7)
            .is_some_and(|p| p.eq_ignore_ascii_case("SMTPSVC"))
            && c[7..].bytes().all(|b| b.is_ascii_digit())
    })?;
    let user = cells.get(site.checked_sub(1)?).copied()?;
    let method = cells.get(site + 4).copied()?;
    let query = cells
        .get(site + 5..)?
        .iter()
        .copied()
        .find(|c| *c != "-")
        .filter(|c| !c.bytes().all(|b| b.is_ascii_digit()));
    let method = Some(method).filter(|m| *m != "-");
    let user = Some(user).filter(|u| *u != "-");
    Some(iis_said(t, user, method, query, None))
}

/// What an IIS SMTP log row says: `+` stands for a space and `&lt;` `&gt;` for the brackets.
/// A command IIS received keeps the code it answered with (`status`) beside it.
fn iis_said(
    row: &str,
    user: Option<&str>,
    method: Option<&str>,
    query: Option<&str>,
    status: Option<&str>,
) -> Said {
    let query = query.map(|c| html_unescaped(&c.replace('+', " ")));
    let command = || match (method, &query) {
        (Some(m), Some(q)) if q.starts_with(' ') => Some(format!("{m}{q}")),
        (Some(m), Some(q)) => Some(format!("{m} {q}")),
        (Some(m), None) => Some(m.to_owned()),
        (None, q) => q.clone(),
    };
    match user {
        Some(u) if u.eq_ignore_ascii_case("OutboundConnectionResponse") => {
            Said::Server(query.unwrap_or_default())
        }
        Some(u) if u.eq_ignore_ascii_case("OutboundConnectionCommand") => {
            Said::Client(command().unwrap_or_default())
        }
        _ => {
            let command = command().unwrap_or_else(|| row.to_owned());
            Said::Aside(
                Aside::Received,
                match status {
                    Some(code) => format!("{command}   [sc-status {code}]"),
                    None => command,
                },
            )
        }
    }
}

/// Words a log writes before a line to say which way it went: `Sent:`/`Got:` (a plugin's
/// log), `Send:`/`Recv:` (a webmail's), `SENT:`/`RECEIVED:` (a server's own log, where
/// "sent" is the server's).
const DIRECTION_WORDS: [(&str, bool); 16] = [
    ("got", true),
    ("recv", true),
    ("received", true),
    ("receive", true),
    ("read", true),
    ("response", true),
    ("reply", true),
    ("in", true),
    ("sent", false),
    ("send", false),
    ("write", false),
    ("wrote", false),
    ("written", false),
    ("request", false),
    ("command", false),
    ("out", false),
];

/// The direction labels of one log, each with the side it names. Which side a word names
/// depends on who wrote the log (a client's "sent" is the client's line, a server's "sent"
/// the server's reply), so it is learned from what the lines after each label are: the
/// label whose lines are mostly replies is the server's. Labels on a single line, or on
/// lines none of which is a reply, are no log's.
#[derive(Default, Clone)]
struct Directions(Vec<(String, bool)>);

impl Directions {
    fn of(text: &str) -> Self {
        // label → (lines, replies among them)
        let mut seen: Vec<(String, usize, usize)> = Vec::new();
        for line in text.lines() {
            if let Some((label, rest)) = direction(line) {
                let reply = content(rest).iter().any(|l| looks_like_reply(l.trim()));
                match seen.iter_mut().find(|(l, ..)| *l == label) {
                    Some(e) => {
                        e.1 += 1;
                        e.2 += usize::from(reply);
                    }
                    None => seen.push((label, 1, usize::from(reply))),
                }
            }
        }
        // A log's labels: more than one line, and replies among them.
        let lines: usize = seen.iter().map(|(_, n, _)| n).sum();
        let replies: usize = seen.iter().map(|(_, _, r)| r).sum();
        if lines < 2 || replies == 0 {
            return Self::default();
        }
        let labels: Vec<(String, bool)> = seen
            .iter()
            .map(|(label, n, replies)| {
                let word_says = DIRECTION_WORDS
                    .iter()
                    .find(|(w, _)| label.eq_ignore_ascii_case(w))
                    .is_some_and(|(_, server)| *server);
                // What the lines are decides; where they are half and half, the word does.
                let server = match (2 * replies).cmp(n) {
                    std::cmp::Ordering::Greater => true,
                    std::cmp::Ordering::Less => false,
                    std::cmp::Ordering::Equal => word_says,
                };
                (label.clone(), server)
            })
            .collect();
        Self(labels)
    }

    /// The side a line's label names, and what it carries.
    fn read(&self, line: &str) -> Option<Vec<Said>> {
        let (label, rest) = direction(line)?;
        let (_, server) = self.0.iter().find(|(l, _)| *l == label)?;
        let said = if *server { Said::Server } else { Said::Client };
        Some(content(rest).into_iter().map(said).collect())
    }
}

/// The lines a labelled line carries: a string literal read back (`'250 OK\r\n'`, with a
/// note after it left out), or the text itself without the end of a Markdown code span.
fn content(rest: &str) -> Vec<String> {
    let rest = rest.trim();
    // Python writes bytes as b'…'.
    let literal = rest.strip_prefix('b').unwrap_or(rest);
    if let Some(q) = literal.chars().next().filter(|c| matches!(c, '\'' | '"'))
        && let Some(end) = literal.rfind(q).filter(|&e| e > 0)
        && let Some(v) = unrepr(&literal[..=end])
    {
        return lines_of(&v).collect();
    }
    let rest = if rest.matches('`').count() == 1 {
        rest.trim_matches('`')
    } else {
        rest
    };
    vec![rest.to_owned()]
}

/// A direction word and a colon (`Got: 220 …`), at the start of the line or after a logger's
/// fields and a quote (`…\t"SENT: +OK ready"`), and what follows it, without the quote that
/// closes it.
fn direction(line: &str) -> Option<(String, &str)> {
    let t = line.trim().trim_end_matches('*').trim_end();
    // ASCII lower-casing keeps every byte where it was, so offsets in it are offsets in `t`.
    let lower = t.to_ascii_lowercase();
    for (word, _) in DIRECTION_WORDS {
        let mut from = 0;
        while let Some(at) = lower[from..].find(word) {
            let start = from + at;
            from = start + word.len();
            let before = t[..start].chars().next_back();
            let starts = before.is_none_or(|c| matches!(c, ' ' | '\t' | '"' | '\'' | '[' | '>'));
            // `Got: 220 …`; or, at the start of a line, a lowercase word and a command or a
            // code (`sent QUIT`, `received 221 …`, as check_smtp --verbose prints them).
            let bare = start == 0
                && t[..from].bytes().all(|b| b.is_ascii_lowercase())
                && t[from..].strip_prefix(' ').is_some_and(|r| {
                    r.split_whitespace().next().is_some_and(|w| {
                        w.len() >= 3
                            && w.bytes()
                                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
                    })
                });
            let Some(rest) = t[from..]
                .strip_prefix(": ")
                .or_else(|| t[from..].strip_prefix(' ').filter(|_| bare))
            else {
                continue;
            };
            if !starts || rest.trim().is_empty() {
                continue;
            }
            // What comes before is a logger's: a time, fields, a tag, never words of prose.
            let head = &t[..start];
            if head.split_whitespace().count() > 1 && !head.contains(['\t', '"', '[', ']', '<']) {
                continue;
            }
            let rest = match before {
                Some(q @ ('"' | '\'')) => rest.strip_suffix(q).unwrap_or(rest),
                _ => rest,
            };
            return Some((t[start..from].to_owned(), rest));
        }
    }
    None
}

impl Reader {
    /// Reads one line; a line a logger wrapped (a time, a level, a module in brackets, a
    /// console's name) is read without the wrapping when that shows who said it.
    fn line(&mut self, raw: &str, out: &mut Vec<Said>) {
        let line = raw.trim_end_matches(['\r', '\n']);
        let Some(inner) = unwrapped(line) else {
            let mut said = Vec::new();
            self.read_line(line, &mut said);
            // A line no tool's reader placed may carry one of the log's direction labels.
            if let [Said::Plain(_)] = said.as_slice()
                && let Some(d) = self.directions.read(line)
            {
                return out.extend(d);
            }
            return out.extend(said);
        };
        // Who spoke, as a reader or a reply's code shows it.
        let names = |v: &[Said]| {
            v.iter().any(|s| match s {
                Said::Server(_) | Said::Client(_) | Said::TlsBegan(_) => true,
                Said::Plain(t) => names_a_side(t),
                Said::Aside(..) => false,
            })
        };
        let before = self.clone();
        let mut first = Vec::new();
        self.read_line(line, &mut first);
        if names(&first) {
            return out.extend(first);
        }
        let after_first = std::mem::replace(self, before);
        // A logger's `< ` and `> ` (RainLoop's and SnappyMail's `IMAP[DATA]: < * OK …`): read
        // only where the line agrees with the arrow, so a server's own log that marks what it
        // received with `<` is not turned round.
        if inner.logged {
            if let Some(reply) = inner.text.strip_prefix("< ")
                && (looks_like_reply(reply) || imap_response_line(reply))
            {
                return out.push(Said::Server(reply.to_owned()));
            }
            if let Some(line) = inner.text.strip_prefix("> ")
                && !line.trim().is_empty()
                && !looks_like_reply(line)
                && !imap_response_line(line)
            {
                return out.push(Said::Client(line.to_owned()));
            }
        }
        let mut unwrapped = Vec::new();
        self.read_line(inner.text, &mut unwrapped);
        if names(&unwrapped) {
            return out.extend(unwrapped);
        }
        *self = after_first;
        if let Some(d) = self.directions.read(line) {
            return out.extend(d);
        }
        // Nobody's line: what printed it, shown as the line was.
        let whole = line.trim().to_owned();
        for x in first {
            out.push(match (x, unwrapped.first()) {
                (Said::Plain(_), Some(Said::Aside(kind, _))) => Said::Aside(*kind, whole.clone()),
                (Said::Plain(_), _) if inner.logged => Said::Aside(Aside::Library, whole.clone()),
                (Said::Plain(_), _) if inner.reshaped => Said::Plain(inner.text.to_owned()),
                (other, _) => other,
            });
        }
    }

    fn read_line(&mut self, line: &str, out: &mut Vec<Said>) {
        // A log quoted in source code, as a comment.
        let line = match line.trim_start().strip_prefix("// ") {
            Some(rest) => rest,
            None => line,
        };
        let t = line.trim();
        if let Some(server_mark) = self.csv_server
            && let Some(said) = csv_protocol_line(t, server_mark)
        {
            return out.push(said);
        }
        if let Some(fields) = W3cFields::of(t) {
            self.w3c = Some(fields);
            return out.push(Said::Aside(Aside::Library, t.to_owned()));
        }
        // The directives of a W3C extended log (W3C WD-logfile-960323).
        if W3C_DIRECTIVES.iter().any(|h| t.starts_with(h)) {
            return out.push(Said::Aside(Aside::Library, t.to_owned()));
        }
        if let Some(fields) = &self.w3c {
            if let Some(said) = fields.row(t) {
                return out.push(said);
            }
        } else if let Some(said) = iis_headerless(t) {
            return out.push(said);
        }
        let continues_phpmailer = std::mem::take(&mut self.phpmailer_server);
        let after_get = std::mem::take(&mut self.poplib_got);
        let in_summary = std::mem::take(&mut self.smtplib_summary);
        let first = !self.started && !t.is_empty();
        self.started |= first;
        if self.front_matter || first && t == "---" {
            self.front_matter = !(self.front_matter && t == "---");
            return out.push(Said::Aside(Aside::Prose, t.to_owned()));
        }
        if self.pem || t.starts_with("-----BEGIN ") {
            self.pem = !t.starts_with("-----END ");
            return out.push(Said::Aside(Aside::Certificate, t.to_owned()));
        }
        if t.starts_with("CONNECTED(") {
            self.openssl = true;
            return out.push(Said::Aside(Aside::Certificate, t.to_owned()));
        }
        if self.openssl {
            if openssl_dump(line) || t.is_empty() {
                return out.push(Said::Aside(Aside::Certificate, t.to_owned()));
            }
            // The first line that is not the dump is the session's, now encrypted.
            self.openssl = false;
            out.push(Said::TlsBegan(String::new()));
        }
        if let Some(said) = self.old_nodemailer(t) {
            return out.extend(said);
        }
        if continues_phpmailer && line.starts_with([' ', '\t']) && line.contains('\t') {
            self.phpmailer_server = true;
            return out.push(Said::Server(t.to_owned()));
        }
        if let Some(said) = phpmailer(t) {
            self.phpmailer_server = matches!(said.first(), Some(Said::Server(_)));
            return out.extend(said);
        }
        if let Some(said) = python(t, after_get) {
            self.poplib_got = t.contains("*get*");
            self.smtplib_summary = t.contains("reply: retcode");
            return out.extend(said);
        }
        if in_summary && !t.is_empty() {
            self.smtplib_summary = true;
            return out.push(Said::Aside(Aside::Library, t.to_owned()));
        }
        if self.curl
            && let Some(s) = t.strip_prefix("< ")
        {
            return out.push(Said::Server(s.to_owned()));
        }
        // Once `< ` has marked the server's lines, `> ` marks the client's (curl -v, Symfony
        // Mailer's debug output): written by the tool, which does TLS itself.
        if self.curl
            && let Some(c) = t.strip_prefix("> ")
        {
            return out.push(Said::Client(c.to_owned()));
        }
        self.perl_last = None;
        if let Some((server, said)) = perl_netcmd(t) {
            self.perl_last = server;
            self.perl_seen |= server.is_some();
            return out.push(said);
        }
        if let Some(said) = self.side_letter(t) {
            return out.push(said);
        }
        if let Some(said) = dotnet_reply(t) {
            return out.extend(said);
        }
        if let Some(said) = nodemailer(t)
            .or_else(|| protocol_arrow(t))
            .or_else(|| ruby(t))
            .or_else(|| curl(t))
            .or_else(|| blat(t))
            .or_else(|| smtp_cli(t))
        {
            self.curl |= t.starts_with("< ") && matches!(said.first(), Some(Said::Server(_)));
            return out.extend(said);
        }
        // A shell's trace (`set -x`) of the command that ran the tool: `+ swaks --to …`.
        if let Some(rest) = t.strip_prefix("+ ")
            && rest.split_once(' ').is_some_and(|(cmd, args)| {
                cmd.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') && args.starts_with('-')
            })
        {
            return out.push(Said::Aside(Aside::Shell, t.to_owned()));
        }
        if let Some(said) = side_arrow(t) {
            self.reply_open = matches!(said.as_slice(), [Said::Server(s)] if looks_like_reply(s));
            return out.extend(said);
        }
        if let Some(said) = labelled(t) {
            return out.extend(said);
        }
        if let Some(aside) = chatter(t) {
            return out.push(Said::Aside(aside, t.to_owned()));
        }
        if self.perl_seen && !t.is_empty() {
            return out.push(Said::Aside(Aside::Library, t.to_owned()));
        }
        out.push(Said::Plain(line.to_owned()));
    }
}

impl Reader {
    /// Nodemailer 0.x's debug output: `CONNECTION: 220 …` (the greeting), then `SEND:` or
    /// `RECEIVE:` alone on a line with the data on the next as a JSON string
    /// (`"EHLO [127.0.0.1]\r\n"`).
    fn old_nodemailer(&mut self, t: &str) -> Option<Vec<Said>> {
        let side = self.quoted_next.take();
        if let Some(server) = side
            && t.starts_with('"')
            && let Some(v) = unrepr(t)
        {
            let said = if server { Said::Server } else { Said::Client };
            return Some(lines_of(&v).map(said).collect());
        }
        if t == "SEND:" || t == "RECEIVE:" {
            self.quoted_next = Some(t == "RECEIVE:");
            self.old_nodemailer = true;
            return Some(vec![Said::Aside(Aside::Library, t.to_owned())]);
        }
        if let Some(greeting) = t.strip_prefix("CONNECTION: ")
            && looks_like_reply(greeting)
        {
            self.old_nodemailer = true;
            return Some(vec![Said::Server(greeting.to_owned())]);
        }
        if self.old_nodemailer && t == "Connection established!" {
            return Some(vec![Said::Aside(Aside::Library, t.to_owned())]);
        }
        None
    }
}

/// A line without what was put around it: Markdown's backticks, a tree's branch (`└──`),
/// and a logger's prefix. `logged` when a logger's prefix was taken off.
struct Unwrapped<'a> {
    text: &'a str,
    /// A logger's time, date, level or field was taken off.
    logged: bool,
    /// Backticks or a tree's branch were taken off.
    reshaped: bool,
}

fn unwrapped(line: &str) -> Option<Unwrapped<'_>> {
    let mut t = line.trim();
    // Inline code (a line of a session quoted in Markdown), or a code span's ends.
    // Only a line that is one code span, or opens or closes one: `EHLO me`, not
    // "`subject:` the header".
    let ticks = t.matches('`').count();
    let ticked = !t.starts_with("```")
        && (ticks == 2 && t.starts_with('`') && t.ends_with('`')
            || ticks == 1 && (t.starts_with('`') || t.ends_with('`')));
    if ticked {
        t = t.trim_start_matches('`').trim_end_matches('`');
    }
    let branched = t.starts_with(['└', '├', '│']);
    if branched {
        t = t.trim_start_matches(['└', '├', '│', '─', ' ']);
    }
    let (mut logged, mut stripped) = (false, false);
    loop {
        let next = t.trim_start_matches([' ', '\t', '|']);
        let next = next.strip_prefix("- ").unwrap_or(next);
        let Some((rest, field)) = log_token(next) else {
            // The separator after the logger's fields (`09:41:12 AM - Server: …`) goes too.
            if stripped {
                t = next;
            }
            break;
        };
        t = rest;
        stripped = true;
        logged |= field;
    }
    let t = t.trim_start();
    let reshaped = ticked || branched;
    (reshaped || stripped).then_some(Unwrapped {
        text: t,
        logged,
        reshaped,
    })
}

/// The rest of `t` after one token a logger writes before a line: a time (`19:37:31:628`,
/// `09:41:12 AM`), a date, a level (`DEBUG`), a bracketed or braced field with a digit or a
/// level in it (`[2020-03-02 07:32:28,607]`, `{cps.worker:125}`), or a console's name
/// (`flutter:`), and whether it was a field only a logger writes (a console's name could be
/// a header's, `subject:`). `None` when `t` does not start with one.
fn log_token(t: &str) -> Option<(&str, bool)> {
    let end = t.find([' ', '\t']).unwrap_or(t.len());
    let (word, rest) = t.split_at(end);
    if word.is_empty() {
        return None;
    }
    let b = word.as_bytes();
    let digits_and = |extra: &[u8]| b.iter().all(|c| c.is_ascii_digit() || extra.contains(c));
    // 19:37:31:628, 19:37:31.506611, 07:32:28,607 and an AM/PM after it.
    if b.first().is_some_and(u8::is_ascii_digit) && word.contains(':') && digits_and(b":.,") {
        let rest = rest.trim_start();
        let rest = rest
            .strip_prefix("AM")
            .or_else(|| rest.strip_prefix("PM"))
            .filter(|r| r.is_empty() || r.starts_with([' ', '\t']))
            .unwrap_or(rest);
        return Some((rest, true));
    }
    // 2020-03-02, 2020/03/02, 2020-03-02T07:32:28Z
    if b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && matches!(b[4], b'-' | b'/') {
        return Some((rest, true));
    }
    const LEVELS: [&str; 9] = [
        "DEBUG", "INFO", "TRACE", "WARN", "WARNING", "ERROR", "NOTICE", "VERBOSE", "FATAL",
    ];
    let bare = word.trim_end_matches(':');
    if LEVELS.contains(&bare) {
        return Some((rest, true));
    }
    for (open, close) in [('[', ']'), ('{', '}')] {
        if let Some(inner) = t.strip_prefix(open)
            && let Some(at) = inner.find(close)
        {
            let field = &inner[..at];
            let after = &inner[at + close.len_utf8()..];
            let field_ok = field.bytes().any(|c| c.is_ascii_digit())
                || LEVELS.contains(&field.trim())
                || open == '{';
            // `[S]` and `[C]` say who spoke, `[root@host dir]#` is a shell's prompt, and
            // `[250] 'OK'` is smtp-cli's reply: not a logger's fields.
            if field_ok
                && smtp_cli(t).is_none()
                && field.len() > 1
                && !field.contains('@')
                && (after.is_empty() || after.starts_with([' ', '\t', ':', '[']))
            {
                return Some((after.strip_prefix(':').unwrap_or(after), true));
            }
        }
    }
    // A webmail's channel label: `SMTP[DATA]:`, `IMAP[SECURE]:` (RainLoop and SnappyMail).
    if let Some((proto, channel)) = word.strip_suffix("]:").and_then(|w| w.split_once('['))
        && ["SMTP", "IMAP", "POP3", "SIEVE"].contains(&proto)
        && !channel.is_empty()
        && channel.bytes().all(|c| c.is_ascii_uppercase())
    {
        return Some((rest, true));
    }
    // Where in the program the line was logged: `SmtpMailer.hx:222:`, `main.go:42:`.
    if let Some((file, line)) = word.trim_end_matches(':').rsplit_once(':')
        && !line.is_empty()
        && line.bytes().all(|c| c.is_ascii_digit())
        && let Some((stem, ext)) = file.rsplit_once('.')
        && !stem.is_empty()
        && (1..=5).contains(&ext.len())
        && ext.bytes().all(|c| c.is_ascii_alphabetic())
        && file
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"._/-".contains(&c))
    {
        return Some((rest, true));
    }
    // A console's or a program's name: `flutter:`, `mailer[123]:` — a lowercase word of
    // three letters or more, not a command or a tool's own marker.
    if let Some(name) = word.strip_suffix(':')
        && name.len() >= 3
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c == b'_' || c == b'.')
        && ![
            "send", "reply", "mail", "rcpt", "connect", "user", "pass", "auth",
        ]
        .contains(&name)
    {
        return Some((rest, false));
    }
    None
}

/// Whether a line says who spoke, or is a reply: kept when a logger wrapped it.
fn names_a_side(t: &str) -> bool {
    let t = t.trim_start();
    // A logger's own marker (`>>>>> …`), not a side's.
    if t.starts_with(">>>>") || t.starts_with("<<<<") {
        return looks_like_reply(t);
    }
    looks_like_reply(t)
        || [
            "S:", "C:", "s:", "c:", "<-", "->", "<~", "~>", "<<<", ">>>", "<**",
        ]
        .iter()
        .any(|p| t.starts_with(p))
}

/// A line whose label says who spoke: `[S] 220 …`, `[C] EHLO …` (mailsend), `Server: 220 …`,
/// `Client: EHLO …` (server-side logs such as FakeSMTP's).
fn labelled(t: &str) -> Option<Vec<Said>> {
    // A heading over a side's lines, with nothing after it (`SERVER 1:`, simplesmtp's).
    if let Some(head) = t.strip_suffix(':')
        && let Some((side, n)) = head.split_once(' ')
        && ["SERVER", "CLIENT", "Server", "Client"].contains(&side)
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
    {
        return Some(vec![Said::Aside(Aside::Library, t.to_owned())]);
    }
    for (label, server) in [
        ("[S]", true),
        ("[C]", false),
        ("Server:", true),
        ("Client:", false),
        ("SERVER:", true),
        ("CLIENT:", false),
    ] {
        if let Some(rest) = t.strip_prefix(label) {
            let rest = rest.strip_prefix(' ').unwrap_or(rest);
            let said = if server { Said::Server } else { Said::Client };
            // The data as a string literal (`Server: '+OK ready\r\n'`), read back.
            if rest.ends_with(['\'', '"'])
                && rest.contains("\\r\\n")
                && let Some(v) = unrepr(rest)
            {
                return Some(lines_of(&v).map(said).collect());
            }
            return Some(vec![said(rest.to_owned())]);
        }
    }
    None
}

/// A line labelled with both sides and an arrow between them: `C --> S: EHLO …`,
/// `C <-- S: 250 …` (go-mail's debug log), `S -> C: 220 …`.
fn side_arrow(t: &str) -> Option<Vec<Said>> {
    let (head, rest) = t.split_once(':')?;
    let words: Vec<&str> = head.split_whitespace().collect();
    let [a, arrow, b] = words.as_slice() else {
        return None;
    };
    let side = |w: &str| match w.to_ascii_lowercase().as_str() {
        "c" | "client" => Some(false),
        "s" | "server" => Some(true),
        _ => None,
    };
    let (a, b) = (side(a)?, side(b)?);
    if a == b {
        return None;
    }
    let forward = matches!(*arrow, "->" | "-->" | "=>" | ">>");
    let back = matches!(*arrow, "<-" | "<--" | "<=" | "<<");
    // Who wrote the line: the side the arrow leaves.
    let server = match (forward, back) {
        (true, false) => a,
        (false, true) => b,
        _ => return None,
    };
    let rest = rest.strip_prefix(' ').unwrap_or(rest).to_owned();
    Some(vec![if server {
        Said::Server(rest)
    } else {
        Said::Client(rest)
    }])
}

/// Lines of openssl s_client's connection report.
fn openssl_dump(line: &str) -> bool {
    let t = line.trim_start();
    // The certificate chain (` 0 s:CN = …`, `   i:…`), the session's fields and the hex dump
    // of a session ticket are indented.
    PHRASES.openssl.matches(t) || line.starts_with(' ') && !t.is_empty() && !looks_like_reply(t)
}

/// An IMAP server's line: untagged (`* 3 EXISTS`), a continuation (`+`, `+ Ready`), or a
/// tagged status (`a1 OK …`).
fn imap_response_line(t: &str) -> bool {
    let mut words = t.split_whitespace();
    let first = words.next().unwrap_or("");
    first == "*"
        || first == "+"
        || words
            .next()
            .is_some_and(|w| matches!(w, "OK" | "NO" | "BAD" | "BYE" | "PREAUTH"))
}

/// A reply line: a code and then a space, a hyphen or nothing, or (as some servers write
/// Chinese text) a letter outside ASCII right after the code ("550邮箱不存在").
fn looks_like_reply(t: &str) -> bool {
    let b = t.as_bytes();
    b.len() >= 3
        && b[..3].iter().all(u8::is_ascii_digit)
        && (matches!(b.get(3), None | Some(b' ' | b'-'))
            || (b'2'..=b'5').contains(&b[0]) && b.get(3).is_some_and(|c| !c.is_ascii()))
        || t.starts_with("+OK")
        || t.starts_with("-ERR")
}

/// The telnet client's, a shell's and a few tools' lines that carry no protocol.
fn chatter(t: &str) -> Option<Aside> {
    // A Windows prompt: `C:\Users\me>` with whatever was typed after it.
    let b = t.as_bytes();
    if b.len() >= 3
        && b[0].is_ascii_alphabetic()
        && b[1] == b':'
        && b[2] == b'\\'
        && t.contains('>')
    {
        return Some(Aside::Shell);
    }
    if PHRASES.telnet.matches(t) {
        return Some(Aside::Telnet);
    }
    PHRASES.library.matches(t).then_some(Aside::Library)
}

/// Lines a tool prints, from `assets/logs.toml`.
#[derive(Debug, Default, Deserialize)]
struct Phrases {
    #[serde(default)]
    starts: Vec<String>,
    #[serde(default)]
    contains: Vec<String>,
}

impl Phrases {
    fn matches(&self, t: &str) -> bool {
        self.starts.iter().any(|p| t.starts_with(p.as_str()))
            || self.contains.iter().any(|p| t.contains(p.as_str()))
    }
}

#[derive(Debug, Default, Deserialize)]
struct ToolPhrases {
    #[serde(default)]
    password_names: Vec<String>,
    telnet: Phrases,
    library: Phrases,
    openssl: Phrases,
}

pub const FILE: &str = include_str!("../../assets/logs.toml");

/// The tools' phrases; a file that does not parse (a test checks it does) reads as none.
static PHRASES: LazyLock<ToolPhrases> = LazyLock::new(|| toml::from_str(FILE).unwrap_or_default());

/// The names a password goes by in a tool's settings and chatter (`assets/logs.toml`).
pub fn password_names() -> &'static [String] {
    &PHRASES.password_names
}

/// Text with the entities HTML writes for `<`, `>`, quotes and `&` read back (PHPMailer's HTML
/// output, IIS's log).
fn html_unescaped(t: &str) -> String {
    t.replace("&gt;", ">")
        .replace("&lt;", "<")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&amp;", "&")
}

/// PHPMailer's `SMTPDebug` lines, with or without the date in front, as text or as HTML.
fn phpmailer(t: &str) -> Option<Vec<Said>> {
    let html = t.contains("-&gt;") || t.ends_with("<br>") || t.ends_with("<br />");
    let decoded;
    let t = if html {
        decoded = html_unescaped(t.trim_end_matches("<br />").trim_end_matches("<br>"));
        decoded.as_str()
    } else {
        t
    };
    let (dated, rest) = match date_time(t) {
        Some(rest) => (true, rest),
        // A time stamp of another shape (`201509-03 07:24:00`, a server's clock).
        None => {
            let end = t
                .find(|c: char| !(c.is_ascii_digit() || "-/:.,T ".contains(c) || c == '\t'))
                .unwrap_or(t.len());
            let stamp = &t[..end];
            // A clock's `hh:mm`, not a reply's code (`554 5.7.9: …`).
            let clock = stamp.as_bytes().windows(5).any(|w| {
                w[0].is_ascii_digit()
                    && w[1].is_ascii_digit()
                    && w[2] == b':'
                    && w[3].is_ascii_digit()
                    && w[4].is_ascii_digit()
            });
            if clock && stamp.bytes().filter(u8::is_ascii_digit).count() >= 6 {
                (true, t[end..].trim_start())
            } else {
                (false, t)
            }
        }
    };
    for (prefix, server) in [
        ("SERVER -> CLIENT:", true),
        ("CLIENT -> SERVER:", false),
        ("SMTP -> FROM SERVER:", true),
        ("CLIENT -> SMTP:", false),
    ] {
        if let Some(text) = rest.strip_prefix(prefix) {
            let text = text.strip_prefix(' ').unwrap_or(text);
            return Some(if server {
                unglue(text).into_iter().map(Said::Server).collect()
            } else {
                vec![Said::Client(text.to_owned())]
            });
        }
    }
    const OWN: [&str; 9] = [
        "SMTP -> ",
        "SMTP INBOUND:",
        "SMTP Error:",
        "SMTP ERROR:",
        "SMTP NOTICE:",
        "Connection: ",
        "Auth method",
        "SMTP connect() failed",
        "Mailer Error:",
    ];
    if OWN.iter().any(|p| rest.starts_with(p)) || dated && !rest.is_empty() {
        return Some(vec![Said::Aside(Aside::Library, t.to_owned())]);
    }
    None
}

/// The text after `2024-03-05 10:12:01` (and a tab or spaces), if the line starts with it.
fn date_time(t: &str) -> Option<&str> {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let shape = digits(0..4)
        && b.get(4) == Some(&b'-')
        && digits(5..7)
        && b.get(7) == Some(&b'-')
        && digits(8..10)
        && matches!(b.get(10), Some(b' ' | b'T'))
        && digits(11..13)
        && b.get(13) == Some(&b':')
        && digits(14..16)
        && b.get(16) == Some(&b':')
        && digits(17..19);
    shape.then(|| t.get(19..).unwrap_or("").trim_start())
}

/// A multi-line reply that HTML output glued into one line (`250-mx250-SIZE 10240000250 OK`),
/// split again before each repetition of its code.
fn unglue(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    if b.len() < 4 || !b[..3].iter().all(u8::is_ascii_digit) || b[3] != b'-' {
        return vec![text.to_owned()];
    }
    let code = &text[..3];
    let mut parts = Vec::new();
    let mut start = 0;
    let mut i = 4;
    while let Some(pos) = text.get(i..).and_then(|s| s.find(code)) {
        let at = i + pos;
        if matches!(b.get(at + 3), Some(b'-' | b' ')) || at + 3 == b.len() {
            parts.push(text[start..at].trim_end().to_owned());
            start = at;
        }
        i = at + 3;
    }
    parts.push(text[start..].to_owned());
    parts
}

/// Python's smtplib (`send: '…'`, `reply: b'…'`) and poplib (`*cmd*`, `*get*`, `*resp*`)
/// debug lines, with or without smtplib's time in front.
fn python(t: &str, after_get: bool) -> Option<Vec<Said>> {
    let rest = match t.split_once(' ') {
        Some((time, rest))
            if time.len() >= 8
                && time
                    .bytes()
                    .all(|c| c.is_ascii_digit() || c == b':' || c == b'.')
                && time.contains(':') =>
        {
            rest
        }
        _ => t,
    };
    let (kind, value) = rest.split_once(' ')?;
    match kind {
        "send:" | "*cmd*" => Some(lines_of(&unrepr(value)?).map(Said::Client).collect()),
        "reply:" if value.starts_with("retcode") => {
            Some(vec![Said::Aside(Aside::Library, t.to_owned())])
        }
        "reply:" | "*get*" => Some(lines_of(&unrepr(value)?).map(Said::Server).collect()),
        "*resp*" if after_get => Some(vec![Said::Aside(Aside::Library, t.to_owned())]),
        "*resp*" => Some(lines_of(&unrepr(value)?).map(Said::Server).collect()),
        "*put*" | "connect:" | "data:" | "*welcome*" | "*stat*" => {
            Some(vec![Said::Aside(Aside::Library, t.to_owned())])
        }
        _ => None,
    }
}

/// The lines of a value a tool printed whole (`'ehlo x\r\nmail from:<a>\r\n'`).
fn lines_of(s: &str) -> impl Iterator<Item = String> + '_ {
    let s = s
        .strip_suffix("\r\n")
        .or_else(|| s.strip_suffix('\n'))
        .unwrap_or(s);
    s.split('\n').map(|l| l.trim_end_matches('\r').to_owned())
}

/// A Python `repr` of a str or bytes (`b'250 OK\r\n'`, `'ehlo [127.0.0.1]\r\n'`), or a Ruby
/// `inspect` (`"250 OK\r\n"`), read back.
fn unrepr(v: &str) -> Option<String> {
    let v = v.trim();
    let v = v.strip_prefix('b').unwrap_or(v);
    let q = v.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = v.strip_prefix(q)?.strip_suffix(q)?;
    let mut bytes = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            let mut buf = [0u8; 4];
            bytes.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            continue;
        }
        match chars.next() {
            Some('r') => bytes.push(b'\r'),
            Some('n') => bytes.push(b'\n'),
            Some('t') => bytes.push(b'\t'),
            Some('e') => bytes.push(0x1b),
            Some('0') => bytes.push(0),
            Some('x') => {
                let hex: String = chars.by_ref().take(2).collect();
                bytes.push(u8::from_str_radix(&hex, 16).ok()?);
            }
            Some(other) => {
                let mut buf = [0u8; 4];
                bytes.extend_from_slice(other.encode_utf8(&mut buf).as_bytes());
            }
            None => bytes.push(b'\\'),
        }
    }
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// Nodemailer's logger: `[2024-03-05 10:12:01] DEBUG [id] S: 220 …`, `C: EHLO …` (the time
/// is left out when the logger is given no time stamps).
fn nodemailer(t: &str) -> Option<Vec<Said>> {
    let rest = match t.strip_prefix('[') {
        Some(r) => r.split_once("] ")?.1,
        None => t,
    };
    let (level, rest) = rest.split_once(' ')?;
    if !matches!(
        level,
        "DEBUG" | "INFO" | "WARN" | "ERROR" | "TRACE" | "FATAL"
    ) {
        return None;
    }
    let rest = match rest.strip_prefix('[') {
        Some(r) => r.split_once("] ").map_or(r, |(_, r)| r),
        None => rest,
    };
    Some(vec![if let Some(s) = rest.strip_prefix("S: ") {
        Said::Server(s.to_owned())
    } else if let Some(c) = rest.strip_prefix("C: ")
        && !(c.starts_with('<') && c.contains(" bytes encoded mime message"))
    {
        Said::Client(c.to_owned())
    } else {
        Said::Aside(Aside::Library, t.to_owned())
    }])
}

/// A protocol's name and an arrow, as fetchmail -v writes its session (`POP3< +OK`, `SMTP>
/// EHLO`, `IMAP< * OK`) and Exim's debug output (`SMTP<< 250-…`, `SMTP>> EHLO …`): `<` what
/// was read from the server, `>` what was written to it.
fn protocol_arrow(t: &str) -> Option<Vec<Said>> {
    for name in ["POP3", "SMTP", "ESMTP", "LMTP", "IMAP"] {
        let Some(rest) = t.strip_prefix(name) else {
            continue;
        };
        let server = rest.starts_with('<');
        let Some(text) = rest
            .strip_prefix(if server { "<<" } else { ">>" })
            .or_else(|| rest.strip_prefix(if server { "<" } else { ">" }))
            .and_then(|r| r.strip_prefix(' '))
        else {
            continue;
        };
        let text = text.trim_start().to_owned();
        return Some(vec![if server {
            Said::Server(text)
        } else {
            Said::Client(text)
        }]);
    }
    None
}

/// Ruby's Net::SMTP debug output: `<- "EHLO x\r\n"` was written, `-> "250 ok\r\n"` was read.
fn ruby(t: &str) -> Option<Vec<Said>> {
    if let Some(v) = t.strip_prefix("<- ")
        && v.starts_with('"')
    {
        return Some(lines_of(&unrepr(v)?).map(Said::Client).collect());
    }
    if let Some(v) = t.strip_prefix("-> ")
        && v.starts_with('"')
    {
        return Some(lines_of(&unrepr(v)?).map(Said::Server).collect());
    }
    if t.starts_with("opening connection to ")
        || t == "opened"
        || (t.starts_with("read ") || t.starts_with("wrote ")) && t.ends_with(" bytes")
        || t.starts_with("writing message from ")
        || t.starts_with("Conn ")
    {
        return Some(vec![Said::Aside(Aside::Library, t.to_owned())]);
    }
    None
}

/// curl -v: `< ` the server's lines, `> ` the client's, `* ` curl's own, `{ [` / `} [` data.
fn curl(t: &str) -> Option<Vec<Said>> {
    if let Some(s) = t.strip_prefix("< ")
        && looks_like_reply(s)
    {
        return Some(vec![Said::Server(s.to_owned())]);
    }
    if let Some(rest) = t.strip_prefix("* ") {
        let tls =
            rest.starts_with("SSL connection using") || rest.starts_with("TLS connection using");
        return Some(vec![if tls {
            Said::TlsBegan(t.to_owned())
        } else {
            Said::Aside(Aside::Library, t.to_owned())
        }]);
    }
    if t.starts_with("{ [") || t.starts_with("} [") {
        return Some(vec![Said::Aside(Aside::Library, t.to_owned())]);
    }
    None
}

/// The fields of a CSV line, a quoted field read back (`"250 ok, queued"`); none for a line
/// the CSV reader cannot read.
fn csv_fields(line: &str) -> Vec<String> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(line.as_bytes())
        .records()
        .next()
        .and_then(Result::ok)
        .map(|r| r.iter().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// In a CSV protocol log's line, the direction mark (a field that is exactly `<` or `>`) and
/// the data after it; `Some(None)` for the log's other events (`+` connect, `-` disconnect,
/// `*` remarks), `None` for a line that is no such row.
fn csv_row(line: &str) -> Option<Option<(char, String)>> {
    if line.matches(',').count() < 5 {
        return None;
    }
    let fields = csv_fields(line);
    let at = fields
        .iter()
        .position(|f| matches!(f.trim(), "<" | ">" | "*" | "+" | "-"))?;
    let mark = fields[at].trim().chars().next()?;
    if !matches!(mark, '<' | '>') {
        return Some(None);
    }
    let data = fields.get(at + 1)?.trim().to_owned();
    Some(Some((mark, data)))
}

/// The mark of a CSV protocol log's server lines (Exchange's send and receive logs use `<`
/// and `>` each way round, as seen from the Exchange server): the one whose lines are replies.
fn csv_server_mark(text: &str) -> Option<char> {
    let (mut lt, mut gt) = ((0, 0), (0, 0));
    for line in text.lines() {
        if let Some(Some((mark, data))) = csv_row(line.trim()) {
            let side = if mark == '<' { &mut lt } else { &mut gt };
            side.0 += 1;
            side.1 += usize::from(looks_like_reply(&data));
        }
    }
    let replies = |(n, r): (usize, usize)| n > 0 && 2 * r > n;
    match (replies(lt), replies(gt)) {
        (true, false) => Some('<'),
        (false, true) => Some('>'),
        _ => None,
    }
}

/// A line of a CSV protocol log whose server mark is known: the session's lines by their
/// marks, the log's other rows and its header (`#Fields: …`, `Log-type: …`) as the tool's.
fn csv_protocol_line(t: &str, server: char) -> Option<Said> {
    if let Some(row) = csv_row(t) {
        return Some(match row {
            Some((mark, data)) if mark == server => Said::Server(data),
            Some((_, data)) => Said::Client(data),
            None => Said::Aside(Aside::Library, t.to_owned()),
        });
    }
    // Exchange writes the W3C directives and its own `Log-type:` (a forum may drop the '#').
    let header = t.trim_start_matches('#');
    (header.starts_with("Log-type:")
        || W3C_DIRECTIVES
            .iter()
            .any(|h| header.starts_with(h.trim_start_matches('#'))))
    .then(|| Said::Aside(Aside::Library, t.to_owned()))
}

/// Perl's Net::Cmd debug output (Net::SMTP, Net::POP3; `git send-email --smtp-debug`):
/// `Net::SMTP=GLOB(0x…)>>> EHLO x` was written, `…<<< 250 ok` was read; before the connection
/// it lists its modules' versions (`Net::SMTP>>>   Net::Cmd(2.29)`). Returns the side of a
/// session line (`None` for the versions) and what was said.
fn perl_netcmd(t: &str) -> Option<(Option<bool>, Said)> {
    let (head, server, rest) =
        [(">>>", false), ("<<<", true)]
            .into_iter()
            .find_map(|(mark, server)| {
                let (head, rest) = t.split_once(mark)?;
                Some((head, server, rest))
            })?;
    let package = head.split_once("=GLOB(").map_or(head, |(p, _)| p);
    let perl = package.starts_with("Net::")
        && package.contains("::")
        && package
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b':' || b == b'_');
    if !perl {
        return None;
    }
    if !head.contains("=GLOB(") {
        return Some((None, Said::Aside(Aside::Library, t.to_owned())));
    }
    let text = rest.strip_prefix(' ').unwrap_or(rest).to_owned();
    Some((
        Some(server),
        if server {
            Said::Server(text)
        } else {
            Said::Client(text)
        },
    ))
}

/// The server's reply as .NET's `SmtpException` quotes it: `… The server response was: 5.7.1
/// Client was not authenticated` (the code itself is left out; the enhanced code stays).
fn dotnet_reply(t: &str) -> Option<Vec<Said>> {
    const MARK: &str = "The server response was: ";
    let at = t.find(MARK)?;
    let before = t[..at].trim();
    let mut reply = t[at + MARK.len()..].trim();
    let mut after = "";
    // The message quoted (PowerShell: `Exception calling "Send" …: "… was: 5.7.1 …" At …`):
    // the reply ends where the quote does.
    if before.matches('"').count() % 2 == 1
        && let Some(end) = reply.find('"')
    {
        after = reply[end + 1..].trim();
        reply = reply[..end].trim();
    }
    let mut said = Vec::new();
    if !before.is_empty() {
        said.push(Said::Aside(Aside::Library, before.to_owned()));
    }
    said.push(Said::Server(reply.to_owned()));
    if !after.is_empty() {
        said.push(Said::Aside(Aside::Library, after.to_owned()));
    }
    Some(said)
}

impl Reader {
    /// `S 220 …`, `C EHLO …`: sides marked by a bare letter, once a server line has shown it.
    fn side_letter(&mut self, t: &str) -> Option<Said> {
        if let Some(rest) = t.strip_prefix("S ")
            && (self.side_letters || looks_like_reply(rest))
        {
            self.side_letters = true;
            return Some(Said::Server(rest.to_owned()));
        }
        if self.side_letters
            && let Some(rest) = t.strip_prefix("C ")
        {
            return Some(Said::Client(rest.to_owned()));
        }
        None
    }
}

/// smtp-cli's `--verbose` replies: `[250] 'OK'` (its commands are `> HELO …`).
fn smtp_cli(t: &str) -> Option<Vec<Said>> {
    let rest = t.strip_prefix('[')?;
    let (code, text) = rest.split_at_checked(3)?;
    let text = text.strip_prefix("] '")?.strip_suffix('\'')?;
    code.bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| vec![Said::Server(format!("{code} {text}"))])
}

/// Blat's `-debug` lines (the Windows command-line mailer): `<<<getline<<<` what it read from
/// the server, `>>>putline>>>` what it wrote.
fn blat(t: &str) -> Option<Vec<Said>> {
    if let Some(s) = t.strip_prefix("<<<getline<<<") {
        return Some(vec![Said::Server(s.trim().to_owned())]);
    }
    if let Some(s) = t.strip_prefix(">>>putline>>>") {
        return Some(vec![Said::Client(s.trim().to_owned())]);
    }
    None
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_loggers_arrows_are_read_where_the_line_agrees() {
        let said = read(
            "[16:04:21.316][1201effb] IMAP[DATA]: < * OK ready\n\
             [16:04:21.317][1201effb] IMAP[DATA]: > a1 LOGIN x y\n\
             [16:04:21.318][1201effb] SMTP[DATA]: < 250 2.1.0 Ok\n\
             [10:00:01.000] > 250 ok\n\
             [10:00:02.000] < EHLO client.example",
        );
        assert_eq!(said[0], Said::Server("* OK ready".into()));
        assert_eq!(said[1], Said::Client("a1 LOGIN x y".into()));
        assert_eq!(said[2], Said::Server("250 2.1.0 Ok".into()));
        // A server's own log marking what it sent with `>`: not turned into the client's.
        assert!(!matches!(&said[3], Said::Client(_)), "{:?}", said[3]);
        assert!(!matches!(&said[4], Said::Server(_)), "{:?}", said[4]);
    }
    use super::*;

    fn s(x: &str) -> Said {
        Said::Server(x.to_owned())
    }
    fn c(x: &str) -> Said {
        Said::Client(x.to_owned())
    }

    #[test]
    fn the_tools_phrases_load() {
        let p: ToolPhrases = toml::from_str(FILE).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.telnet.starts.len() > 5 && p.openssl.starts.len() > 20);
    }

    #[test]
    fn a_logs_direction_words_name_the_side_their_lines_show() {
        // A client's log: "Sent:" is the client's, "Got:" the server's.
        assert_eq!(
            read("Got: 220 mx\nSent: EHLO me\nGot: 250 mx\nSent: QUIT"),
            vec![s("220 mx"), c("EHLO me"), s("250 mx"), c("QUIT")]
        );
        // A server's own log: what it "SENT" are the replies, what it "RECEIVED" the
        // commands, inside quoted fields after the logger's.
        assert_eq!(
            read(
                "\"POP3D\"\t12\t\"SENT: +OK ready\"\n\"POP3D\"\t12\t\"RECEIVED: USER a\"\n\"POP3D\"\t12\t\"SENT: +OK\""
            ),
            vec![s("+OK ready"), c("USER a"), s("+OK")]
        );
        // Python's bytes, and a note after them, come off.
        assert_eq!(
            read("send: 'x\\r\\n'\nreply: b'250-a\\r\\n'   # note\nreply: b'250 b\\r\\n'"),
            vec![c("x"), s("250-a"), s("250 b")]
        );
        // A word used once is prose, not a log's label.
        assert_eq!(
            read("Sent: yesterday"),
            vec![Said::Plain("Sent: yesterday".into())]
        );
    }

    #[test]
    fn a_reply_written_as_one_entry_gets_its_code_on_every_line() {
        // go-mail's debug log: the arrow names the side, and a multi-line reply's later
        // lines come without their code.
        assert_eq!(
            read("C --> S: EHLO me\nC <-- S: 250 mx\nPIPELINING\nAUTH LOGIN PLAIN\nC --> S: QUIT"),
            vec![
                c("EHLO me"),
                s("250-mx"),
                s("250-PIPELINING"),
                s("250 AUTH LOGIN PLAIN"),
                c("QUIT")
            ]
        );
        // Not after a client's line, nor after a line no arrow named.
        assert_eq!(
            read("C --> S: EHLO me\nPIPELINING"),
            vec![c("EHLO me"), Said::Plain("PIPELINING".into())]
        );
    }

    #[test]
    fn a_protocol_name_and_an_arrow_say_who_spoke() {
        // fetchmail -v.
        assert_eq!(
            read("fetchmail: POP3< +OK ready\nfetchmail: POP3> CAPA"),
            vec![s("+OK ready"), c("CAPA")]
        );
        // Exim's debug output, as its test suite records it (test/stderr/5820).
        assert_eq!(
            read(
                "  SMTP>> EHLO myhost.test.ex\n  SMTP<< 250-myhost.test.ex Hello the.local.host.name [ip4.ip4.ip4.ip4]"
            ),
            vec![
                c("EHLO myhost.test.ex"),
                s("250-myhost.test.ex Hello the.local.host.name [ip4.ip4.ip4.ip4]")
            ]
        );
    }

    #[test]
    fn once_the_server_is_marked_with_lt_the_client_is_marked_with_gt() {
        assert_eq!(
            read("< 220 mx\n> EHLO me\n< 250 mx"),
            vec![s("220 mx"), c("EHLO me"), s("250 mx")]
        );
        // Without a server line first, `> ` is a quote.
        assert_eq!(read("> EHLO me"), vec![Said::Plain("> EHLO me".into())]);
    }

    #[test]
    fn each_format_says_who_said_it() {
        let lib = |t: &str| Said::Aside(Aside::Library, t.into());
        assert_eq!(
            read(
                "CONNECTION: 220 mx ESMTP\nConnection established!\nSEND:\n\"EHLO [127.0.0.1]\\r\\n\"\nRECEIVE:\n\"502 Error: command \\\"EHLO\\\" not implemented\\r\\n\""
            ),
            vec![
                s("220 mx ESMTP"),
                lib("Connection established!"),
                lib("SEND:"),
                c("EHLO [127.0.0.1]"),
                lib("RECEIVE:"),
                s("502 Error: command \"EHLO\" not implemented"),
            ]
        );
        assert_eq!(
            read(
                "2024-03-05 10:12:01\tSERVER -> CLIENT: 220 smtp.gmail.com ESMTP\n2024-03-05 10:12:01\tCLIENT -> SERVER: EHLO me"
            ),
            vec![s("220 smtp.gmail.com ESMTP"), c("EHLO me")]
        );
        assert_eq!(
            read("SERVER -&gt; CLIENT: 250-mx250-SIZE 10240000250 AUTH LOGIN<br>"),
            vec![s("250-mx"), s("250-SIZE 10240000"), s("250 AUTH LOGIN")]
        );
        assert_eq!(
            read(
                "send: 'ehlo [127.0.1.1]\\r\\n'\nreply: b'250-smtp.example.com\\r\\n'\nreply: retcode (250); Msg: b'smtp.example.com'"
            ),
            vec![
                c("ehlo [127.0.1.1]"),
                s("250-smtp.example.com"),
                Said::Aside(
                    Aside::Library,
                    "reply: retcode (250); Msg: b'smtp.example.com'".into()
                )
            ]
        );
        assert_eq!(
            read("*cmd* 'USER bob'\n*get* b'+OK\\r\\n'\n*resp* b'+OK'"),
            vec![
                c("USER bob"),
                s("+OK"),
                Said::Aside(Aside::Library, "*resp* b'+OK'".into())
            ]
        );
        assert_eq!(
            read("< 220 mx ESMTP\n> EHLO me\n* Connected to mx (192.0.2.1) port 25"),
            vec![
                s("220 mx ESMTP"),
                c("EHLO me"),
                Said::Aside(
                    Aside::Library,
                    "* Connected to mx (192.0.2.1) port 25".into()
                )
            ]
        );
        assert_eq!(
            read(
                "[2024-01-01 10:00:00] DEBUG [Ab1] S: 220 mx\n[2024-01-01 10:00:00] DEBUG [Ab1] C: EHLO me"
            ),
            vec![s("220 mx"), c("EHLO me")]
        );
        assert_eq!(
            read("<- \"EHLO localhost\\r\\n\"\n-> \"250 ok\\r\\n\""),
            vec![c("EHLO localhost"), s("250 ok")]
        );
        // swaks' arrows are not Ruby's: unquoted, they stay plain for the fold.
        assert_eq!(read(" -> EHLO me"), vec![Said::Plain(" -> EHLO me".into())]);
        assert_eq!(
            read("C:\\Users\\me>telnet smtp.qq.com 25\n遗失对主机的连接。"),
            vec![
                Said::Aside(Aside::Shell, "C:\\Users\\me>telnet smtp.qq.com 25".into()),
                Said::Aside(Aside::Telnet, "遗失对主机的连接。".into())
            ]
        );
    }

    #[test]
    fn what_a_logger_or_a_page_put_around_a_line_comes_off() {
        assert_eq!(
            read("[2020-03-02 07:32:28,607] DEBUG {cps.worker:125} send: 'rset\\r\\n'"),
            vec![c("rset")]
        );
        assert_eq!(
            read("09:41:12 AM - Server: 220 mx ready\n09:41:12 AM - Client: EHLO me"),
            vec![s("220 mx ready"), c("EHLO me")]
        );
        assert_eq!(
            read("flutter: S: 220 mx"),
            vec![Said::Plain("S: 220 mx".into())]
        );
        assert_eq!(
            read("`EHLO genmon`"),
            vec![Said::Plain("EHLO genmon".into())]
        );
        assert_eq!(read("[S] 220 mx\n[C] QUIT"), vec![s("220 mx"), c("QUIT")]);
        assert_eq!(read("└──220 mx"), vec![Said::Plain("220 mx".into())]);
        // A logger's own line stays whole; a header, a prompt and a code span inside prose
        // are not a logger's.
        assert_eq!(
            read("2024-01-01 10:00:00 INFO started"),
            vec![Said::Aside(
                Aside::Library,
                "2024-01-01 10:00:00 INFO started".into()
            )]
        );
        assert_eq!(
            read("subject: this is a test"),
            vec![Said::Plain("subject: this is a test".into())]
        );
        assert!(!matches!(
            read("[root@vm1 mail]# nc -v 127.0.0.1 25").first(),
            Some(Said::Aside(Aside::Library, _))
        ));
        assert_eq!(
            read("`subject:` the header"),
            vec![Said::Plain("`subject:` the header".into())]
        );
        assert_eq!(
            read("SERVER 1:"),
            vec![Said::Aside(Aside::Library, "SERVER 1:".into())]
        );
    }

    #[test]
    fn the_openssl_dump_is_an_aside_and_tls_begins_after_it() {
        let log = "CONNECTED(00000003)\ndepth=2 C = US\nverify return:1\n---\nCertificate chain\n 0 s:CN = smtp.gmail.com\n   i:C = US\n-----BEGIN CERTIFICATE-----\nMIIEhjCCA26gAwIBAgIQ\n-----END CERTIFICATE-----\n---\nSSL-Session:\n    Protocol  : TLSv1.3\n    Session-ID: 12AB\n---\n250 SMTPUTF8\nEHLO me";
        let said = read(log);
        let n = said.len();
        assert!(
            said[..n - 3]
                .iter()
                .all(|x| matches!(x, Said::Aside(Aside::Certificate, _))),
            "{said:?}"
        );
        assert_eq!(said[n - 3], Said::TlsBegan(String::new()));
        assert_eq!(said[n - 2], Said::Plain("250 SMTPUTF8".into()));
        assert_eq!(said[n - 1], Said::Plain("EHLO me".into()));
    }

    #[test]
    fn python_and_ruby_strings_are_read_back() {
        assert_eq!(unrepr("b'a\\\\b\\'c\\x41'").as_deref(), Some("a\\b'cA"));
        assert_eq!(unrepr("\"x\\\"y\\r\\n\"").as_deref(), Some("x\"y\r\n"));
        assert_eq!(unrepr("b'\\xe4\\xbd\\xa0'").as_deref(), Some("你"));
        assert_eq!(unrepr("nope"), None);
        // A message sent whole by smtplib is its lines.
        assert_eq!(
            read("send: b'Subject: t\\r\\n\\r\\nhi\\r\\n.\\r\\n'"),
            vec![c("Subject: t"), c(""), c("hi"), c(".")]
        );
    }
}
