//! Word families: what a reply's own words say its cause is (SPF, greylisting, a full
//! mailbox, a lockout …), read from any server's text, in English and Chinese. The data is
//! `assets/topics.toml`; a topic names a cause only when the reply's words give it.

use std::sync::LazyLock;

use serde::Deserialize;

use super::glossary::Glossary;
use super::situations::ReplyContext;
use super::spelling;
use super::vocab::{Answers, Cond, Flag, Protocol};
use super::{Bilingual, Lang};

/// A topic's cause and next step for the replies to some requests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Variant {
    answers: Vec<Answers>,
    reason: Bilingual,
    next: Bilingual,
}

/// The words that, in a 5xx, still name a passing topic's cause, and its cause and next step
/// worded for a failure the server says will not pass by itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InPermanent {
    words: Vec<String>,
    pub reason: Bilingual,
    pub next: Bilingual,
}

/// One topic: the words that name a cause, and what the tutor says about it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Topic {
    pub id: String,
    /// Patterns of which any names the topic (see the file's header for the syntax).
    words: Vec<String>,
    /// Patterns that rule the topic out.
    #[serde(default)]
    unless: Vec<String>,
    /// Patterns of which one must also match (when given).
    #[serde(default)]
    need: Vec<String>,
    /// Patterns that, found with the topic's words, make it beat every other topic named:
    /// words that say the server's own machinery failed ("unable to connect to rspamd") make
    /// whatever check they name one that could not run.
    #[serde(default)]
    prevails: Vec<String>,
    /// Requests the topic can answer; empty means any.
    #[serde(default)]
    scope: Vec<Answers>,
    /// The protocols the topic belongs to; empty means both.
    #[serde(default)]
    protocols: Vec<Protocol>,
    /// More precise topics that, when the words name them too, say the cause instead (a
    /// failed login yields to a lockout or an app password the same words name).
    #[serde(default)]
    yields_to: Vec<String>,
    /// The topic it becomes in a reply to MAIL FROM, where the address the words speak of is
    /// the sender's ("user unknown", "no MX" there refuse the sender).
    #[serde(default)]
    as_sender: Option<String>,
    /// Words of the topic that speak of the address itself ("not local"); when given,
    /// `as_sender` applies only where one of them is found, so that words naming the topic
    /// outright ("relaying denied") keep it in a reply to MAIL FROM, and not to a MAIL line
    /// the tutor could not read ("no sender" there says the line named none it could find).
    #[serde(default)]
    as_sender_words: Vec<String>,
    /// The topic it becomes in a reply to POP3's USER, where no password has been sent yet: a
    /// "wrong login" there refuses the user name.
    #[serde(default)]
    as_user: Option<String>,
    /// The topic it becomes in a reply to the password itself (POP3's PASS and APOP, the
    /// answers to SMTP's AUTH challenges), unless the words speak of the command: "not
    /// authenticated" there says the login just failed.
    #[serde(default)]
    as_password: Option<String>,
    /// The topic it becomes in a reply to STARTTLS or STLS, where the client is already asking
    /// for TLS: words that speak of TLS there say the server cannot start it.
    #[serde(default)]
    starting_tls: Option<String>,
    /// The topic it becomes in a reply to POP3's AUTH itself, the command that names a
    /// mechanism, where the words name neither AUTH nor the command: a bare "not supported"
    /// there refuses the mechanism the client named (SMTP's codes tell that apart: 504 refuses
    /// the mechanism, 502 the command).
    #[serde(default)]
    naming_mechanism: Option<String>,
    /// The topic it becomes in a reply to MAIL FROM in a session that has logged in: the
    /// server then checks the sender against the account, not the domain's published records
    /// ("user alice not allowed to send from ceo@…").
    #[serde(default)]
    logged_in: Option<String>,
    /// The topic it becomes where the session shows the command out of its place (RCPT TO
    /// before MAIL FROM, STAT before the login): words that would name a cause of the
    /// command's content ("invalid command", "invalid PASS") then speak of its order.
    #[serde(default)]
    out_of_order: Option<String>,
    /// The topic it becomes in a reply to a mail command (MAIL FROM, RCPT TO, DATA, the
    /// message) where the session, shown from its greeting, never sent AUTH: "authentication
    /// failed" there cannot refuse a password, so the server wants a login.
    #[serde(default)]
    without_login: Option<String>,
    /// Words that keep the topic where `without_login` would turn it: they say the failed logins
    /// were others' ("excessive authentication failures" from this IP on earlier connections).
    #[serde(default)]
    without_login_unless: Vec<String>,
    /// Conditions on the session under which the topic can be the cause (a message number
    /// cannot be missing from a LIST that names none).
    #[serde(default)]
    when: Vec<Cond>,
    /// The topic it becomes in POP3, where the same words mean another thing: "not
    /// authenticated" before USER and PASS is a command out of order, not a missing AUTH.
    #[serde(default)]
    in_pop3: Option<String>,
    /// The topic it becomes in a reply to the greeting, where the session has sent nothing
    /// yet: a tally of this session's mistakes there counts earlier sessions' from the same
    /// address, so the server refuses the client.
    #[serde(default)]
    at_greeting: Option<String>,
    /// The topic it becomes under an enhanced code of security or policy (`X.7.*`, RFC 3463
    /// §3.8), unless the words rule that one out: a quota a policy sets is a sending
    /// allowance, not the mailbox's storage.
    #[serde(default)]
    under_policy: Option<String>,
    /// The state of the session that shows this cause whatever the words say (a command whose
    /// arguments could not be read; a message number the session does not have).
    #[serde(default)]
    shown_by: Option<Cond>,
    /// A topic that names no concrete cause: any concrete topic beats it.
    #[serde(default)]
    pub generic: bool,
    /// A topic its words name by the check that refused ("Sender address rejected:"): a
    /// concrete reason the server adds after that name says why instead.
    #[serde(default)]
    pub names_the_check: bool,
    /// 1 for a topic that describes what became of the command rather than why; 2 (the
    /// default) for a named cause. Ties between topics go to the higher rank.
    #[serde(default = "named_cause")]
    pub rank: u8,
    /// A topic that reads a failure as passing: not for a 5xx, unless its words themselves say
    /// it passes (`554 Server busy, try again later`).
    #[serde(default)]
    pub temporary_only: bool,
    /// For a topic read only in a 4xx: the words that name its cause in a 5xx as well ("554
    /// Internal server error": the fault is the server's, whatever its code says).
    #[serde(default)]
    pub in_permanent: Option<InPermanent>,
    /// A cause the words may give even for a success (`250 Virus detected; discarded`, `221
    /// Idle timeout`): the server took the command but says what became of it.
    #[serde(default)]
    pub in_success: bool,
    /// For a cause that does not pass by itself (wrong credentials): the words that, in a
    /// 4xx, still name it ("454 invalid username or password"); its note then says that the
    /// code and the words disagree. Without them a 4xx is not read as this cause ("451
    /// Authentication failed" is often a server that could not check).
    #[serde(default)]
    pub lasting: Vec<String>,
    /// The cause the words give.
    pub reason: Bilingual,
    pub next: Bilingual,
    #[serde(default)]
    pub next_temporary: Option<Bilingual>,
    /// The cause and next step worded for where the reply is said, when that differs: a
    /// syntax error after the final dot is in the message's header fields, not in a
    /// command's arguments.
    #[serde(default, rename = "variant")]
    variants: Vec<Variant>,
    pub sources: Vec<String>,
    #[serde(skip)]
    compiled: Compiled,
}

fn named_cause() -> u8 {
    2
}

#[derive(Debug, Clone, Default)]
struct Compiled {
    words: Vec<Pattern>,
    unless: Vec<Pattern>,
    need: Vec<Pattern>,
    prevails: Vec<Pattern>,
    in_permanent: Vec<Pattern>,
}

/// A pattern: parts that must occur in order, each a whole word (or a word start, with `*`)
/// for ASCII letters, anywhere for Chinese.
#[derive(Debug, Clone)]
struct Pattern {
    /// The pattern as written in the data file.
    source: Box<str>,
    parts: Vec<(String, bool)>,
    /// Whether each part stands right after the one before it (an address written into a
    /// part), rather than anywhere in the same clause.
    tight: Vec<bool>,
    /// Each part's number in the index of every part ([`PartIndex`]), once compiled.
    ids: Vec<Option<usize>>,
    weight: u32,
}

impl Pattern {
    fn parse(p: &str) -> Self {
        let lower = LISTS
            .same
            .applied(&spelling::normalized(
                &LISTS.glossary.applied(&p.to_lowercase()),
            ))
            .into_owned();
        // An address inside a part ("mail from {ip}", "blacklisted {address}") is a part of its
        // own, that stands right beside the words it was written with (a bracket or a space
        // between).
        let mut parts: Vec<(String, bool)> = Vec::new();
        let mut tight = Vec::new();
        for chunk in lower.split(" .. ") {
            let spaced = chunk
                .replace("{ip}", " .. {ip} .. ")
                .replace("{address}", " .. {address} .. ");
            let mut first = true;
            // A stem inside a word group ("max* size", "fail* to delete") ends that part; the
            // words after it stand right beside its word.
            for part in spaced
                .split(" .. ")
                .flat_map(|group| group.split_inclusive('*'))
                .map(str::trim)
                .filter(|s| !s.is_empty())
            {
                parts.push(match part.strip_suffix('*') {
                    Some(stem) => (stem.to_owned(), true),
                    None => (part.to_owned(), false),
                });
                tight.push(!first);
                first = false;
            }
        }
        // A Chinese character carries about as much as a short English word; an address
        // as much as a word.
        let weight = parts
            .iter()
            .map(|(s, _)| match s.as_str() {
                "{ip}" | "{address}" => 4,
                s => s.chars().map(|c| if c.is_ascii() { 1 } else { 3 }).sum(),
            })
            .sum();
        Self {
            source: p.into(),
            ids: vec![None; parts.len()],
            parts,
            tight,
            weight,
        }
    }

    /// Whether the pattern occurs in `hay` (already lowercase).
    fn matches(&self, hay: &Hay<'_>) -> bool {
        !self.parts.is_empty()
            && self.ids.iter().flatten().all(|&id| hay.may_hold(id))
            && self.matches_from(hay, 0, 0, None)
    }

    /// Whether parts `i..` occur in order from `from`, the first of them starting at or
    /// before `limit`: the parts of a pattern stand close together, in one clause.
    fn matches_from(&self, hay: &Hay<'_>, i: usize, from: usize, limit: Option<usize>) -> bool {
        let Some((part, prefix)) = self.parts.get(i) else {
            return true;
        };
        let id = self.ids.get(i).copied().flatten();
        let mut at = from;
        while let Some((start, end)) = hay.find(at, part, *prefix, id) {
            if limit.is_some_and(|l| start > l) {
                return false;
            }
            // A stem ("blacklist*") ends where its word does ("blacklisted").
            let end = if *prefix {
                end + hay.text[end..]
                    .find(|c: char| !is_word_char(c))
                    .unwrap_or(hay.text.len() - end)
            } else {
                end
            };
            let gap = if self.tight.get(i + 1).copied().unwrap_or(false) {
                TIGHT_GAP
            } else {
                PART_GAP
            };
            if self.matches_from(hay, i + 1, end, Some(end + gap)) {
                return true;
            }
            at = start + hay.text[start..].chars().next().map_or(1, char::len_utf8);
        }
        false
    }
}

/// How far apart (in bytes) two parts of a pattern may stand.
const PART_GAP: usize = 40;

/// How far an address written into a part may stand from its words: a space and brackets.
const TIGHT_GAP: usize = 3;

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The start and end of the first IPv4 (`192.0.2.1`) or IPv6 (`2a01:4f8::2`, `::ffff:192.0.2.1`)
/// address in `hay` at or after `from`.
fn find_ip(hay: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = hay.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        let starts =
            i == 0 || !(bytes[i - 1].is_ascii_hexdigit() || matches!(bytes[i - 1], b'.' | b':'));
        if starts && (bytes[i].is_ascii_hexdigit() || bytes[i] == b':') {
            let end = i + bytes[i..]
                .iter()
                .take_while(|b| b.is_ascii_hexdigit() || matches!(b, b'.' | b':'))
                .count();
            let token = hay[i..end].trim_end_matches(['.', ':']);
            let v4 = token.parse::<std::net::Ipv4Addr>().is_ok();
            let v6 = token.contains(':') && token.parse::<std::net::Ipv6Addr>().is_ok();
            // An address inside a link (`http://…?ip=192.0.2.1`) is not one the words name.
            let word = hay[..i].rfind(char::is_whitespace).map_or(0, |p| p + 1);
            let in_link = hay[word..i].contains("://");
            if (v4 || v6) && !in_link {
                return Some((i, end));
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    None
}

/// Every literal part of every pattern, in one automaton: a reply's words are scanned once,
/// and each pattern then looks its parts up instead of searching the text again.
#[derive(Debug)]
struct PartIndex {
    ac: aho_corasick::AhoCorasick,
    parts: usize,
}

impl PartIndex {
    /// Numbers the parts of every pattern of `topics` and builds the automaton.
    fn build(topics: &mut [Topic]) -> Result<Self, String> {
        let mut parts: Vec<String> = Vec::new();
        for t in topics.iter_mut() {
            let c = &mut t.compiled;
            for p in c
                .words
                .iter_mut()
                .chain(&mut c.unless)
                .chain(&mut c.need)
                .chain(&mut c.prevails)
                .chain(&mut c.in_permanent)
            {
                for (i, (part, _)) in p.parts.iter().enumerate() {
                    if part == "{ip}" || part == "{address}" {
                        continue;
                    }
                    let id = match parts.iter().position(|q| q == part) {
                        Some(id) => id,
                        None => {
                            parts.push(part.clone());
                            parts.len() - 1
                        }
                    };
                    p.ids[i] = Some(id);
                }
            }
        }
        let ac = aho_corasick::AhoCorasick::new(&parts).map_err(|e| e.to_string())?;
        Ok(Self {
            ac,
            parts: parts.len(),
        })
    }
}

/// A reply's words, lowercased, with where each indexed part occurs in them.
struct Hay<'a> {
    text: &'a str,
    /// Every occurrence of an indexed part, as (part, start), in order: few parts occur in
    /// one reply, so a sorted list rather than a slot for every part.
    found: Vec<(usize, usize)>,
    /// One bit for each part of the index that occurs at all (a quick no for most patterns).
    present: Vec<u64>,
    indexed: bool,
}

impl<'a> Hay<'a> {
    /// Words searched part by part, without an index (when the index could not be built, and
    /// for patterns outside the knowledge base).
    fn plain(text: &'a str) -> Self {
        Self {
            text,
            found: Vec::new(),
            present: Vec::new(),
            indexed: false,
        }
    }

    fn indexed(text: &'a str, index: &PartIndex) -> Self {
        let mut found: Vec<(usize, usize)> = index
            .ac
            .find_overlapping_iter(text)
            .map(|m| (m.pattern().as_usize(), m.start()))
            .collect();
        found.sort_unstable();
        let mut present = vec![0u64; index.parts.div_ceil(64)];
        for &(id, _) in &found {
            if let Some(w) = present.get_mut(id / 64) {
                *w |= 1 << (id % 64);
            }
        }
        Self {
            text,
            found,
            present,
            indexed: true,
        }
    }

    /// Whether the part numbered `id` may occur: always without an index.
    fn may_hold(&self, id: usize) -> bool {
        !self.indexed
            || self
                .present
                .get(id / 64)
                .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    /// The first occurrence of `part` at or after `from` (see [`find_word`]), through the
    /// index when the part has a number in it.
    fn find(
        &self,
        from: usize,
        part: &str,
        prefix: bool,
        id: Option<usize>,
    ) -> Option<(usize, usize)> {
        match id.filter(|_| self.indexed) {
            Some(id) => {
                let first = self.found.partition_point(|&f| f < (id, from));
                self.found[first..]
                    .iter()
                    .take_while(|(p, _)| *p == id)
                    .map(|&(_, at)| at)
                    .find(|&at| on_word_boundaries(self.text, at, part, prefix))
                    .map(|at| (at, at + part.len()))
            }
            None => find_word(self.text, from, part, prefix),
        }
    }
}

/// Whether `part`, found at `at`, stands on word boundaries where it begins or ends with a
/// letter or digit (a `prefix` part may run on).
fn on_word_boundaries(hay: &str, at: usize, part: &str, prefix: bool) -> bool {
    let end = at + part.len();
    let starts_word = part.chars().next().is_some_and(is_word_char);
    let ends_word = part.chars().next_back().is_some_and(is_word_char);
    let before_ok = !starts_word || !hay[..at].chars().next_back().is_some_and(is_word_char);
    let after_ok = prefix || !ends_word || !hay[end..].chars().next().is_some_and(is_word_char);
    before_ok && after_ok
}

/// The start and end of the first occurrence of `part` in `hay` at or after `from`, on word
/// boundaries where `part` begins or ends with a letter or digit.
fn find_word(hay: &str, from: usize, part: &str, prefix: bool) -> Option<(usize, usize)> {
    if part == "{ip}" {
        return find_ip(hay, from);
    }
    let rest = hay.get(from..)?;
    if part == "{address}" {
        let at = from + rest.find(ADDRESS)?;
        return Some((at, at + ADDRESS.len_utf8()));
    }
    rest.match_indices(part)
        .map(|(i, _)| from + i)
        .find(|&at| on_word_boundaries(hay, at, part, prefix))
        .map(|at| (at, at + part.len()))
}

/// The verbs a client's line starts with, in SMTP and POP3: a quoted span that starts with one
/// is the client's own line said back.
const ECHOED_VERBS: &[&str] = &[
    "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "VRFY", "EXPN", "NOOP", "QUIT",
    "AUTH", "STARTTLS", "HELP", "USER", "PASS", "APOP", "STAT", "LIST", "RETR", "DELE", "TOP",
    "UIDL", "CAPA", "STLS",
];

/// The text with every quoted echo of a client's line blanked out (`… before "EHLO lab-pc"`,
/// `unknown command 'MAIL FORM:<a@b>'`): the client's words say nothing of why the server
/// refused.
fn without_echo(text: &str) -> std::borrow::Cow<'_, str> {
    let mut out = String::new();
    let mut rest = text;
    let mut changed = false;
    while let Some(open) = rest.find(['"', '\'', '\u{201C}']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        let close = if quote == '\u{201C}' {
            '\u{201D}'
        } else {
            quote
        };
        let inner_start = open + quote.len_utf8();
        let Some(len) = rest[inner_start..].find(close) else {
            break;
        };
        let inner = &rest[inner_start..inner_start + len];
        let verb = inner
            .split(|c: char| c.is_whitespace() || c == ':')
            .next()
            .unwrap_or("");
        let end = inner_start + len + close.len_utf8();
        out.push_str(&rest[..open]);
        if ECHOED_VERBS.iter().any(|v| v.eq_ignore_ascii_case(verb)) {
            out.push(' ');
            changed = true;
        } else {
            out.push_str(&rest[open..end]);
        }
        rest = &rest[end..];
    }
    if !changed {
        return text.into();
    }
    out.push_str(rest);
    out.into()
}

/// What an e-mail address becomes in the words read (a control character, one byte long as
/// the space it replaced, which no word pattern matches): a pattern part `{address}` finds it,
/// so that "blacklisted <alice@example.org>" speaks of the address.
const ADDRESS: char = '\u{1}';

/// The text with every e-mail address blanked out: a sender called `spammer@` or a mailbox
/// called `blocked@` says nothing of why the server refused.
fn without_addresses(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('@') {
        return text.into();
    }
    let part = |c: char| c.is_alphanumeric() || "._-+%".contains(c);
    let chars: Vec<char> = text.chars().collect();
    let mut blank = vec![false; chars.len()];
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '@') {
        let mut start = at;
        while start > 0 && chars.get(start - 1).copied().is_some_and(part) {
            start -= 1;
        }
        let mut end = at + 1;
        while chars.get(end).copied().is_some_and(part) {
            end += 1;
        }
        // An address has a local part and a domain; a lone "@" is a word of its own.
        if start < at && end > at + 1 {
            blank
                .iter_mut()
                .take(end)
                .skip(start)
                .for_each(|b| *b = true);
        }
    }
    // An address becomes one character, so that the words around it stay as close as they
    // would around a short name.
    let mut out = String::with_capacity(text.len());
    for (i, (c, b)) in chars.iter().zip(&blank).enumerate() {
        if !*b {
            out.push(*c);
        } else if i == 0 || !blank.get(i - 1).copied().unwrap_or(false) {
            out.push(ADDRESS);
        }
    }
    out.into()
}

/// Words that open a clause saying what a rule is for, not why it struck: "greylisting as
/// a means of reducing spam" defers the mail; it does not call it spam.
const PURPOSES: &[&str] = &[
    "means of reducing",
    "means of fighting",
    "to reduce",
    "reducing",
    "to fight",
    "fighting",
    "to combat",
    "combating",
    "combatting",
    "to cut down",
    "in the fight against",
    "in order to",
    "to prevent",
    "to protect against",
];

/// The names of fields that mail servers' logs write as `name=value` (Sendmail's and
/// Postfix's log lines, which bounces quote): where the mail went and how, never why.
const LOG_FIELDS: &[&str] = &[
    "relay", "ip", "client", "host", "helo", "id", "msgid", "queue", "proto", "mailer", "ctladdr",
    "stat", "dsn", "nrcpts", "pri", "delay", "xdelay", "tls", "cipher",
];

/// The names of sender checks, which a server may list with each check's result.
const CHECKS: &[&str] = &["spf", "dkim", "dmarc", "arc", "compauth", "senderid"];

/// The words with what does not name the cause blanked out: a clause of purpose (see
/// [`PURPOSES`], up to the end of its clause) and a check the words say passed
/// ("dkim=pass", "DMARC= Pass"), so that only the failed check is read.
fn without_asides(lower: &str) -> std::borrow::Cow<'_, str> {
    let mut blank: Vec<(usize, usize)> = Vec::new();
    for p in PURPOSES {
        for (at, _) in lower.match_indices(p) {
            if !on_word_boundaries(lower, at, p, false) {
                continue;
            }
            let from = at + p.len();
            let rest = &lower[from..];
            let end = rest
                .find(['.', ',', ';', '!', '?', '(', ')', '\n'])
                .unwrap_or(rest.len());
            blank.push((at, from + end));
        }
    }
    // "EHLO required before STARTTLS": the command after "before" is the one refused, not
    // what the server asks for. Other words after it ("before greeting") are read.
    for (at, _) in lower.match_indices("before ") {
        if !on_word_boundaries(lower, at, "before", false) {
            continue;
        }
        let from = at + "before ".len();
        let word = lower[from..]
            .find(|c: char| !c.is_ascii_alphanumeric() && c != '-')
            .unwrap_or(lower.len() - from);
        let command = Answers::from_name(&lower[from..from + word]).is_some_and(|a| {
            !matches!(
                a,
                Answers::Greeting
                    | Answers::None
                    | Answers::Unknown
                    | Answers::AuthData
                    | Answers::Dot
            )
        });
        if command {
            blank.push((from, from + word));
        }
    }
    // A file's path ("/var/lib/amavis/virusmails/spam-x.gz") names a place, not a cause, and
    // a log's field name ("relay=[192.0.2.1]") names a field, not what happened.
    for token in lower.split_whitespace() {
        // The token's place in the text (whitespace of any width before it).
        let at = token.as_ptr() as usize - lower.as_ptr() as usize;
        if token.starts_with('/') && token.matches('/').count() >= 2 {
            blank.push((at, at + token.len()));
        } else if let Some(eq) = token.find('=') {
            let name = token[..eq].trim_start_matches(|c: char| !c.is_ascii_alphanumeric());
            let start = at + eq - name.len();
            if LOG_FIELDS.contains(&name) {
                blank.push((start, at + eq));
            }
        }
    }
    for c in CHECKS {
        for (at, _) in lower.match_indices(c) {
            if !on_word_boundaries(lower, at, c, false) {
                continue;
            }
            let rest = lower[at + c.len()..].trim_start_matches([' ', '=', ':', '\t']);
            let result = rest
                .split(|ch: char| !ch.is_ascii_alphabetic())
                .next()
                .unwrap_or("");
            if matches!(
                result,
                "pass" | "passed" | "none" | "neutral" | "bestguesspass"
            ) {
                blank.push((at, at + c.len()));
            }
        }
    }
    if blank.is_empty() {
        return lower.into();
    }
    let mut out = lower.to_owned();
    for (start, end) in blank {
        // Spaces, one per byte, keep every other word where it was.
        if out.is_char_boundary(start) && out.is_char_boundary(end) && start <= end {
            out.replace_range(start..end, &" ".repeat(end - start));
        }
    }
    out.into()
}

/// The text, and after it the same words read apart where a server ran them together or
/// marked them: CamelCase ("SendAsDeniedException" → "Send As Denied Exception"), as servers
/// that report an exception's name write them; snake_case ("rate_limited" → "rate limited"),
/// as a filter's verdict is written; and words in double quotes or backticks ('the "from" address'
/// → "the from address").
fn with_words_apart(text: &str) -> std::borrow::Cow<'_, str> {
    let camel = |w: &str| {
        w.chars()
            .zip(w.chars().skip(1))
            .any(|(a, b)| a.is_ascii_lowercase() && b.is_ascii_uppercase())
    };
    // A name in capitals (DKIM_ADSP_NXDOMAIN) is a filter's rule listed with a score, not words.
    let snake = |w: &str| {
        w.bytes().any(|b| b.is_ascii_lowercase())
            && w.as_bytes()
                .windows(3)
                .any(|x| x[0].is_ascii_alphabetic() && x[1] == b'_' && x[2].is_ascii_alphabetic())
    };
    let quoted = |w: &str| w.contains(['"', '`']);
    if !text
        .split_whitespace()
        .any(|w| camel(w) || snake(w) || quoted(w))
    {
        return text.into();
    }
    // The copy stands further from the text than a pattern's parts may: no pattern spans both.
    let mut out = String::with_capacity(text.len() * 2 + PART_GAP + 1);
    out.push_str(text);
    out.push('\n');
    out.push_str(&" ".repeat(PART_GAP));
    for word in text.split_inclusive(char::is_whitespace) {
        let apart = snake(word);
        let mut prev = ' ';
        let mut chars = word.chars().peekable();
        while let Some(c) = chars.next() {
            let next = chars.peek().copied().unwrap_or(' ');
            match c {
                '"' | '`' => {}
                '_' if apart && prev.is_ascii_alphabetic() && next.is_ascii_alphabetic() => {
                    out.push(' ')
                }
                _ => {
                    if prev.is_ascii_lowercase() && c.is_ascii_uppercase() {
                        out.push(' ');
                    }
                    out.push(c);
                }
            }
            prev = c;
        }
    }
    out.into()
}

impl Topic {
    fn compile(&mut self) {
        // A pattern of another language read as one of the list's English patterns is that
        // pattern: kept once, it weighs once.
        let all = |v: &[String]| {
            let mut out: Vec<Pattern> = Vec::with_capacity(v.len());
            for p in v.iter().map(|p| Pattern::parse(p)) {
                if !out.iter().any(|o| o.parts == p.parts && o.tight == p.tight) {
                    out.push(p);
                }
            }
            out
        };
        self.compiled = Compiled {
            words: all(&self.words),
            unless: all(&self.unless),
            need: all(&self.need),
            prevails: all(&self.prevails),
            in_permanent: self
                .in_permanent
                .as_ref()
                .map_or_else(Vec::new, |p| all(&p.words)),
        };
    }

    /// Whether the topic can answer this request. A reply nobody asked for, or one to a line
    /// the tutor could not read, may answer anything: its words decide.
    pub fn in_scope(&self, cx: &ReplyContext) -> bool {
        (self.scope.is_empty()
            || self.scope.contains(&cx.answers)
            || matches!(cx.answers, Answers::None | Answers::Unknown))
            && (self.protocols.is_empty() || self.protocols.contains(&cx.protocol))
            && self.when.iter().all(|c| cx.holds(*c))
    }

    /// How strongly the words name this topic: the weight of every pattern found, and the
    /// heaviest one with its weight; `None` when it is not named.
    fn score(&self, hay: &Hay<'_>, cx: &ReplyContext) -> Option<(u32, u32, &str)> {
        if !self.in_scope(cx) {
            return None;
        }
        let c = &self.compiled;
        let (sum, best, said) =
            c.words
                .iter()
                .filter(|p| p.matches(hay))
                .fold((0, 0, ""), |(sum, best, said), p| {
                    if p.weight > best {
                        (sum + p.weight, p.weight, &*p.source)
                    } else {
                        (sum + p.weight, best, said)
                    }
                });
        if sum == 0
            || c.unless.iter().any(|p| p.matches(hay))
            || !c.need.is_empty() && !c.need.iter().any(|p| p.matches(hay))
        {
            return None;
        }
        Some((sum, best, said))
    }

    /// The topic this one becomes in a reply to MAIL FROM, when it names another.
    pub fn as_sender(&self, cx: &ReplyContext, text: &str) -> Option<&'static Topic> {
        match cx.answers {
            Answers::Mail if self.speaks_of_sender(cx, &text.to_lowercase()) => {
                self.as_sender.as_deref().and_then(by_id)
            }
            _ => None,
        }
    }

    /// The topic this one becomes in a reply to a mail command of a session that, shown from
    /// its greeting, never sent AUTH (`without_login`), unless the lower-case words hold one
    /// of `without_login_unless`.
    pub fn without_login(&self, cx: &ReplyContext, lower: &str) -> Option<&'static Topic> {
        (cx.protocol == Protocol::Smtp
            && cx.answers.is_mail_command()
            && cx.has(Flag::Greeted)
            && !cx.has(Flag::AuthTried)
            && !self
                .without_login_unless
                .iter()
                .any(|w| lower.contains(w.as_str())))
        .then_some(self.without_login.as_deref())
        .flatten()
        .and_then(by_id)
    }

    /// Whether `as_sender` applies to these (lower-case) words, said to a MAIL line read as
    /// one.
    fn speaks_of_sender(&self, cx: &ReplyContext, lower: &str) -> bool {
        self.as_sender_words.is_empty()
            || !cx.has(Flag::Malformed)
                && self
                    .as_sender_words
                    .iter()
                    .any(|w| lower.contains(w.as_str()))
    }

    /// Whether this topic becomes another where the session shows the command out of its
    /// place.
    fn shown_out_of_order(&self, cx: &ReplyContext) -> bool {
        self.out_of_order.is_some() && cx.out_of_order()
    }

    /// The topic this one becomes where the reply is said: to the password, in POP3, after a
    /// login (MAIL FROM), for the sender (MAIL FROM), or for the name alone (POP3's USER,
    /// unless the words speak of a password sent with it).
    fn in_context(
        &self,
        cx: &ReplyContext,
        lower: &str,
        password: bool,
        command: bool,
    ) -> Option<&'static Topic> {
        let becomes = match (cx.protocol, cx.answers) {
            _ if self.shown_out_of_order(cx) => &self.out_of_order,
            _ if self.without_login(cx, lower).is_some() => &self.without_login,
            (_, Answers::StartTls | Answers::Stls) if self.starting_tls.is_some() => {
                &self.starting_tls
            }
            (Protocol::Pop3, Answers::Auth)
                if self.naming_mechanism.is_some() && !command && !lower.contains("auth") =>
            {
                &self.naming_mechanism
            }
            (_, Answers::Pass | Answers::Apop | Answers::AuthData)
                if self.as_password.is_some() && !command =>
            {
                &self.as_password
            }
            (_, Answers::Greeting) if self.at_greeting.is_some() => &self.at_greeting,
            (Protocol::Pop3, _) if self.in_pop3.is_some() => &self.in_pop3,
            (_, Answers::Mail) if cx.has(Flag::Authenticated) && self.logged_in.is_some() => {
                &self.logged_in
            }
            (_, Answers::Mail) if self.speaks_of_sender(cx, lower) => &self.as_sender,
            (_, Answers::User) if !password => &self.as_user,
            _ => return None,
        };
        becomes.as_deref().and_then(by_id)
    }

    /// The topic this one becomes under a security or policy enhanced code (`X.7.*`).
    pub fn under_policy(
        &self,
        text: &str,
        enhanced: Option<super::reply::EnhancedStatus>,
    ) -> Option<&'static Topic> {
        enhanced
            .filter(|e| e.subject == 7)
            .and(self.under_policy.as_deref())
            .and_then(by_id)
            .filter(|t| !t.ruled_out_by(text))
    }

    /// Whether the words rule this topic out (its `unless` patterns: a neighbouring topic's
    /// words), so that a situation naming it cannot be taken for what these words say.
    pub fn ruled_out_by(&self, text: &str) -> bool {
        let lower = spelled(&with_words_apart(&without_addresses(text)).to_lowercase());
        let hay = match &TOPICS.index {
            Some(index) => Hay::indexed(&lower, index),
            None => Hay::plain(&lower),
        };
        self.compiled.unless.iter().any(|p| p.matches(&hay))
    }

    fn variant(&self, answers: Answers) -> Option<&Variant> {
        self.variants.iter().find(|v| v.answers.contains(&answers))
    }

    /// The cause, worded for a reply to `answers`.
    pub fn reason_for(&self, answers: Answers, lang: Lang) -> &str {
        self.variant(answers)
            .map_or(&self.reason, |v| &v.reason)
            .get(lang)
    }

    /// What to do, for a temporary or a lasting failure of `answers`.
    pub fn next_for(&self, temporary: bool, answers: Answers, lang: Lang) -> &str {
        match (self.variant(answers), &self.next_temporary, temporary) {
            (Some(v), _, _) => v.next.get(lang),
            (None, Some(t), true) => t.get(lang),
            _ => self.next.get(lang),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicFile {
    /// Words that say a failure passes.
    #[serde(default)]
    passing: Vec<String>,
    /// Words with a passing word in them that do not say so ("temporary file").
    #[serde(default)]
    not_passing: Vec<String>,
    /// Words that say the server refused: a 5xx with them is not read as passing.
    #[serde(default)]
    refusing: Vec<String>,
    /// Words that say the command failed, whatever the code says.
    #[serde(default)]
    failing: Vec<String>,
    /// Words of a success that say the server goes on all the same ("will forward").
    #[serde(default)]
    carrying_on: Vec<String>,
    /// A reply code's standard text, which names no cause of its own.
    #[serde(default)]
    standard: Vec<String>,
    /// Words that speak of a password.
    #[serde(default)]
    password: Vec<String>,
    /// Words that say the address spoken of is the sender's.
    #[serde(default)]
    sender: Vec<String>,
    /// A word and the other ways servers write it.
    #[serde(default)]
    same: std::collections::HashMap<String, Vec<String>>,
    #[serde(rename = "topic")]
    topics: Vec<Topic>,
}

pub const FILE: &str = include_str!("../../assets/topics.toml");

/// Parses the topics; an error names the line or the topic.
pub fn load() -> Result<Vec<Topic>, String> {
    let file: TopicFile = toml::from_str(FILE).map_err(|e| format!("topics.toml: {e}"))?;
    let mut all: Vec<Topic> = Vec::new();
    for mut t in file.topics {
        if all.iter().any(|o| o.id == t.id) {
            return Err(format!("topics.toml: {} is listed twice", t.id));
        }
        // A pattern listed twice would weigh twice when topics are compared.
        let in_permanent = t.in_permanent.as_ref().map(|p| &p.words);
        for list in [&t.words, &t.unless, &t.need, &t.prevails]
            .into_iter()
            .chain(in_permanent)
        {
            if let Some(p) = list
                .iter()
                .enumerate()
                .find_map(|(i, p)| list[..i].contains(p).then_some(p))
            {
                return Err(format!("topics.toml: {} lists {p:?} twice", t.id));
            }
        }
        if t.in_permanent.is_some() && !t.temporary_only {
            return Err(format!(
                "topics.toml: {} has in_permanent words but is read in a 5xx anyway",
                t.id
            ));
        }
        t.compile();
        all.push(t);
    }
    for t in &all {
        if let Some(y) = t
            .yields_to
            .iter()
            .chain(&t.as_sender)
            .chain(&t.as_user)
            .chain(&t.as_password)
            .chain(&t.starting_tls)
            .chain(&t.naming_mechanism)
            .chain(&t.out_of_order)
            .chain(&t.without_login)
            .chain(&t.logged_in)
            .chain(&t.in_pop3)
            .chain(&t.at_greeting)
            .chain(&t.under_policy)
            .find(|y| all.iter().all(|o| o.id != **y))
        {
            return Err(format!(
                "topics.toml: {} names the unknown topic {y:?}",
                t.id
            ));
        }
    }
    Ok(all)
}

/// The topics, the index of every part of their patterns, and every word the patterns use.
struct Knowledge {
    topics: Vec<Topic>,
    index: Option<PartIndex>,
    /// Every word the patterns use, to read a misspelt one.
    vocabulary: spelling::Vocabulary,
}

static TOPICS: LazyLock<Knowledge> = LazyLock::new(|| {
    let mut topics = load().unwrap_or_default();
    let index = PartIndex::build(&mut topics).ok();
    let vocabulary = spelling::Vocabulary::build(topics.iter().flat_map(|t| {
        let c = &t.compiled;
        c.words
            .iter()
            .chain(&c.unless)
            .chain(&c.need)
            .chain(&c.prevails)
            .chain(&c.in_permanent)
            .flat_map(|p| p.parts.iter().map(|(part, _)| part.as_str()))
    }));
    Knowledge {
        topics,
        index,
        vocabulary,
    }
});

/// The file's word lists, lowercase, read once: the `same` table is needed before the topics'
/// patterns are compiled, since they are written with its words.
struct Lists {
    passing: Vec<String>,
    not_passing: Vec<String>,
    refusing: Vec<String>,
    failing: Vec<String>,
    carrying_on: Vec<String>,
    standard: Vec<String>,
    password: Vec<String>,
    sender: Vec<String>,
    same: spelling::Same,
    /// Words of other languages, read as English.
    glossary: Glossary,
}

static LISTS: LazyLock<Lists> = LazyLock::new(|| {
    let file = toml::from_str::<TopicFile>(FILE).ok();
    let words = |f: fn(&TopicFile) -> &[String]| {
        file.as_ref()
            .map(|t| f(t).iter().map(|w| w.to_lowercase()).collect())
            .unwrap_or_default()
    };
    Lists {
        passing: words(|f| &f.passing),
        not_passing: words(|f| &f.not_passing),
        refusing: words(|f| &f.refusing),
        failing: words(|f| &f.failing),
        carrying_on: words(|f| &f.carrying_on),
        standard: words(|f| &f.standard),
        password: words(|f| &f.password),
        sender: words(|f| &f.sender),
        same: file
            .as_ref()
            .map(|f| spelling::Same::new(&f.same))
            .unwrap_or_default(),
        glossary: Glossary::load().unwrap_or_default(),
    }
});

pub fn all() -> &'static [Topic] {
    &TOPICS.topics
}

pub fn by_id(id: &str) -> Option<&'static Topic> {
    TOPICS.topics.iter().find(|t| t.id == id)
}

/// Whether the words say the failure passes (the file's `passing` words: "try again later",
/// "temporarily" …): a POP3 `-ERR` is called temporary only then (or by its response code).
pub fn says_passing(text: &str) -> bool {
    let lower = text.to_lowercase();
    let hay = blanked(
        LISTS.glossary.applied(&lower).into_owned(),
        &LISTS.not_passing,
    );
    LISTS.passing.iter().any(|w| hay.contains(w.as_str()))
}

/// Whether the words say the failure passes and not that the server refused: "554 Rate
/// limit exceeded. Try again in 37 seconds", not "554 Service refused, please try later".
pub fn says_only_passing(text: &str) -> bool {
    let lower = text.to_lowercase();
    says_passing(&lower) && !LISTS.refusing.iter().any(|w| lower.contains(w.as_str()))
}

/// `lower` with every occurrence of `phrases` turned to spaces.
fn blanked(mut lower: String, phrases: &[String]) -> String {
    for p in phrases.iter().filter(|p| !p.trim().is_empty()) {
        while let Some(at) = lower.find(p.as_str()) {
            lower.replace_range(at..at + p.len(), &" ".repeat(p.len()));
        }
    }
    lower
}

/// The topic a success's words name (see [`Topic::in_success`]).
pub fn read_success(text: &str, cx: &ReplyContext) -> Option<Reading> {
    read_among(text, cx, None, None, true)
}

/// The cause a success's words name where they say the command failed ("250 Invalid sequence
/// of commands"): the server sent the wrong code.
pub fn read_misused(text: &str, cx: &ReplyContext) -> Option<Reading> {
    let lower = prepared_for(text, cx.protocol);
    if !LISTS.failing.iter().any(|w| lower.contains(w.as_str()))
        || LISTS.carrying_on.iter().any(|w| lower.contains(w.as_str()))
    {
        return None;
    }
    read_among(text, cx, None, None, false).filter(|r| !r.topic.generic && !r.topic.in_success)
}

/// A topic the words name, and the weight of its heaviest pattern found (a letter 1, a
/// Chinese character 3), to set against a situation's phrase.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub topic: &'static Topic,
    pub weight: u32,
    /// The heaviest of the topic's patterns found: the words the cause was read from.
    pub said: &'static str,
    /// Read by its `prevails` words: the server's own machinery failed, whatever a code says.
    pub prevails: bool,
    /// The session showed the command out of its place (`out_of_order`), or a mail command
    /// sent without any AUTH (`without_login`): the session says why, and the words are what
    /// the server said of it.
    pub by_session: bool,
}

/// A pattern as the words it finds, to quote to a reader: "relay .. denied" → "relay … denied",
/// "blacklist*" → "blacklist…", an address part → "IP".
/// Whether every part of `pattern` is written in `words` as it stands: a pattern found only
/// once a slip was mended or a British spelling read ("Invaild recipient") is not quoted as the
/// server's words.
pub fn written_in(pattern: &str, words: &str) -> bool {
    let lower = words.to_lowercase();
    pattern
        .to_lowercase()
        .split(" .. ")
        .flat_map(|chunk| chunk.split("{ip}"))
        .map(|part| part.trim().trim_end_matches('*'))
        .filter(|part| !part.is_empty())
        .all(|part| lower.contains(part))
}

/// Whether the words were read through the glossary of other languages: none of the pattern
/// found is written in them, so a note quotes the words themselves.
pub fn read_from_other_language(words: &str) -> bool {
    matches!(
        LISTS.glossary.applied(&words.to_lowercase()),
        std::borrow::Cow::Owned(_)
    )
}

pub fn as_quoted(pattern: &str) -> String {
    pattern
        .replace(" .. ", " … ")
        .replace("{ip}", "IP")
        .replace('*', "…")
}

/// Every topic the words name, with the patterns found (whether or not a neighbour rules
/// the topic out, or the request is outside its scope): what `explain --verbose` shows of how
/// the words were read.
pub fn evidence(text: &str) -> Vec<(&'static str, Vec<&'static str>)> {
    let lower = prepared(text);
    let hay = Hay::plain(&lower);
    TOPICS
        .topics
        .iter()
        .filter_map(|t| {
            let found: Vec<&str> = t
                .compiled
                .words
                .iter()
                .filter(|p| p.matches(&hay))
                .map(|p| &*p.source)
                .collect();
            (!found.is_empty()).then_some((t.id.as_str(), found))
        })
        .collect()
}

/// The cause the session itself shows for a failure of the request a reply answers: the
/// client's own line, as the tutor read it, or the messages the session has seen. Only for a
/// request the tutor knows (a reply nobody asked for shows nothing).
pub fn shown_by_session(cx: &ReplyContext) -> Option<&'static Topic> {
    if matches!(cx.answers, Answers::None | Answers::Unknown) {
        return None;
    }
    TOPICS
        .topics
        .iter()
        .find(|t| t.shown_by.is_some_and(|c| cx.holds(c)) && t.in_scope(cx))
}

/// Whether the words name the topic `id` (by any of its patterns, in or out of scope).
pub fn names(text: &str, id: &str) -> bool {
    let lower = prepared(text);
    let hay = Hay::plain(&lower);
    by_id(id).is_some_and(|t| t.compiled.words.iter().any(|p| p.matches(&hay)))
}

/// The words as every reading sees them: addresses out, CamelCase read apart, lower case,
/// asides blanked.
fn prepared(text: &str) -> String {
    prepared_for(text, Protocol::Smtp)
}

/// [`prepared`] for a reply of `protocol`: an SMTP code's standard text is blanked, since the
/// code speaks for it; a POP3 server that borrows the text has no code, so its words are read.
fn prepared_for(text: &str, protocol: Protocol) -> String {
    let text = without_echo(text);
    let lower = spelled(&with_words_apart(&without_addresses(&text)).to_lowercase());
    let lower = match protocol {
        Protocol::Pop3 => lower,
        _ => blanked(lower, &LISTS.standard),
    };
    without_asides(&lower).into_owned()
}

/// Lowercase words spelt as the patterns spell them: American endings, slips mended.
fn spelled(lower: &str) -> String {
    let english = LISTS.glossary.applied(lower);
    let us = spelling::normalized(&english);
    let same = LISTS.same.applied(&us);
    TOPICS.vocabulary.corrected(&same).into_owned()
}

/// The topic a failure's words name, best first: a concrete cause before a generic one, then
/// the one the enhanced status code names too (`coded`), then the most (and longest) words
/// found. `temporary` says whether the failure passes (a 4xx), lasts (a 5xx), or does not say
/// (a POP3 `-ERR`), for the topics that read only one way; a lasting cause the enhanced code
/// names too is read in a 4xx ("435 4.7.8 authentication failed").
pub fn read(
    text: &str,
    cx: &ReplyContext,
    temporary: Option<bool>,
    coded: Option<&str>,
) -> Option<Reading> {
    read_among(text, cx, temporary, coded, false)
}

/// [`read`], among the topics a success may report only when `success`.
fn read_among(
    text: &str,
    cx: &ReplyContext,
    temporary: Option<bool>,
    coded: Option<&str>,
    success: bool,
) -> Option<Reading> {
    let lower = prepared_for(text, cx.protocol);
    // A 5xx whose own words say the failure passes ("try again later") and not that the
    // server refused is read as they say.
    let temporary = temporary.filter(|&t| t || !says_only_passing(&lower));
    let hay = match &TOPICS.index {
        Some(index) => Hay::indexed(&lower, index),
        None => Hay::plain(&lower),
    };
    let named: Vec<_> = TOPICS
        .topics
        .iter()
        .filter(|t| !success || t.in_success)
        .filter(|t| {
            temporary != Some(false)
                || !t.temporary_only
                || t.compiled.in_permanent.iter().any(|p| p.matches(&hay))
        })
        .filter(|t| {
            temporary != Some(true)
                || t.lasting.is_empty()
                || t.lasting.iter().any(|w| lower.contains(&w.to_lowercase()))
                || coded == Some(t.id.as_str())
        })
        .filter_map(|t| t.score(&hay, cx).map(|score| (t, score)))
        .collect();
    // Words that say the server's own machinery failed settle it (see `Topic::prevails`).
    let prevailing = named.iter().find_map(|(t, (sum, _, _))| {
        let p = t.compiled.prevails.iter().find(|p| p.matches(&hay))?;
        Some((*t, (*sum, p.weight, &*p.source)))
    });
    let (topic, (_, weight, said)) = prevailing.as_ref().or_else(|| {
        named
            .iter()
            .filter(|(t, _)| {
                !t.yields_to
                    .iter()
                    .any(|y| named.iter().any(|(o, _)| o.id == *y))
            })
            .max_by_key(|(t, (sum, _, _))| (!t.generic, t.rank, coded == Some(t.id.as_str()), *sum))
    })?;
    // A reply to USER that speaks of a password refuses one sent with the name ("USER alice
    // secret", which some servers take); otherwise only the name has been sent.
    let password = LISTS.password.iter().any(|w| lower.contains(w.as_str()));
    // Words that speak of the command ("command not accepted without authentication") refuse
    // the command itself, not the credentials it carried.
    let command = lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == "command" || w == "commands");
    // Words that name the sender's address ("sender address not valid") speak of it whatever
    // the command: a cause about an address becomes the sender's, as in a reply to MAIL FROM.
    let sender =
        cx.protocol == Protocol::Smtp && LISTS.sender.iter().any(|w| lower.contains(w.as_str()));
    let (topic, by_session) = match topic.as_sender.as_deref().and_then(by_id) {
        Some(t) if sender && topic.as_sender_words.is_empty() => (t, false),
        _ => (
            topic
                .in_context(cx, &lower, password, command)
                .unwrap_or(topic),
            topic.shown_out_of_order(cx) || topic.without_login(cx, &lower).is_some(),
        ),
    };
    Some(Reading {
        topic,
        weight: *weight,
        said,
        prevails: prevailing.is_some(),
        by_session,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_loads_and_every_topic_speaks_both_languages() {
        let all = load().unwrap_or_else(|e| panic!("{e}"));
        assert!(all.len() >= 40, "{}", all.len());
        for t in &all {
            let variants = t.variants.iter().flat_map(|v| [&v.reason, &v.next]);
            let in_permanent = t.in_permanent.iter().flat_map(|p| [&p.reason, &p.next]);
            for b in [&t.reason, &t.next]
                .into_iter()
                .chain(variants)
                .chain(in_permanent)
            {
                assert!(!b.en.trim().is_empty(), "{}", t.id);
                assert!(b.zh.chars().any(|c| c > '\u{2e80}'), "{}", t.id);
            }
            assert!(!t.sources.is_empty(), "{} cites nothing", t.id);
            assert!(!t.compiled.words.is_empty(), "{}", t.id);
        }
    }

    #[test]
    fn patterns_match_whole_words_in_order() {
        let p = Pattern::parse("spf");
        assert!(p.matches(&Hay::plain("550 5.7.23 spf fail")));
        assert!(!p.matches(&Hay::plain("550 spfx")));
        let p = Pattern::parse("greylist*");
        assert!(p.matches(&Hay::plain("451 greylisted, come back")));
        // A stem inside a word group: its word, then the rest of the group beside it.
        let p = Pattern::parse("message .. max* size");
        assert!(p.matches(&Hay::plain("552 message exceeds maximum size")));
        assert!(!p.matches(&Hay::plain("552 message exceeds maximum allowed size")));
        assert!(Pattern::parse("fail* to delete").matches(&Hay::plain("-err failed to delete 2")));
        assert!(
            Pattern::parse("invalid return*path").matches(&Hay::plain("553 invalid return-path"))
        );
        let p = Pattern::parse("too many .. connections");
        assert!(p.matches(&Hay::plain("421 too many concurrent smtp connections")));
        assert!(!p.matches(&Hay::plain("421 connections: too many")));
        // The parts of a pattern stand within one clause, not anywhere in the reply.
        let p = Pattern::parse("too many .. messages");
        assert!(!p.matches(&Hay::plain(
            "554 too many mime parts.  we do not accept such complicated messages."
        )));
        assert!(p.matches(&Hay::plain("452 too many parts, too many messages")));
        assert!(
            Pattern::parse("垃圾邮件")
                .matches(&Hay::plain("554 dt:spm 发送的邮件内容被识别为垃圾邮件"))
        );
        let p = Pattern::parse("mail from {ip} .. not allowed");
        assert!(p.matches(&Hay::plain("553 mail from 192.0.2.1 not allowed")));
        assert!(p.matches(&Hay::plain("553 mail from [192.0.2.1] not allowed")));
        // An address written into a part stands beside its words, not a clause away.
        assert!(!p.matches(&Hay::plain(
            "554 mail from [ ] mismatches client ip [192.0.2.10] not allowed"
        )));
        assert!(!p.matches(&Hay::plain("553 mail from 5.7.1 not allowed")));
        assert!(
            Pattern::parse("{ip} .. blocked")
                .matches(&Hay::plain("550 [2a01:4f8:171:145e::2] blocked"))
        );
        assert!(!Pattern::parse("{ip}").matches(&Hay::plain("550 5.7.1 at 10:30:00 rejected")));
        assert!(
            !Pattern::parse("{ip}").matches(&Hay::plain("554 arn:aws:iam::123456789012:user/x"))
        );
        assert!(
            !Pattern::parse("{ip}").matches(&Hay::plain("550 see http://x.example/r?ip=192.0.2.1"))
        );
        assert!(
            Pattern::parse("{ip}").matches(&Hay::plain("517 helo does not match ::ffff:192.0.2.1"))
        );
        assert!(Pattern::parse("{ip}").matches(&Hay::plain("554 ip=192.0.2.1 - a problem (bl)")));
        assert_eq!(
            with_words_apart("554 Exception:SendAsDeniedException; x"),
            format!(
                "554 Exception:SendAsDeniedException; x\n{}554 Exception:Send As Denied Exception; x",
                " ".repeat(PART_GAP)
            )
        );
        assert_eq!(with_words_apart("550 Mailbox full"), "550 Mailbox full");
        assert_eq!(
            with_words_apart("451 4.7.1 rate_limited; _x_ SpamAssassin (MISSING_MID)"),
            format!(
                "451 4.7.1 rate_limited; _x_ SpamAssassin (MISSING_MID)\n{}451 4.7.1 rate limited; _x_ Spam Assassin (MISSING_MID)",
                " ".repeat(PART_GAP)
            )
        );
        assert_eq!(
            with_words_apart("550 The \"from\" address"),
            format!(
                "550 The \"from\" address\n{}550 The from address",
                " ".repeat(PART_GAP)
            )
        );
        // A log's field name is blanked where it stands, after whitespace of any width.
        assert_eq!(
            without_asides("550 bad\u{3000}relay=[192.0.2.1] spam=no"),
            "550 bad\u{3000}     =[192.0.2.1] spam=no"
        );
        assert_eq!(
            without_asides("451 failed: /var/lib/amavis/spam-x.gz"),
            format!("451 failed: {}", " ".repeat(25))
        );
        assert_eq!(
            without_echo("500 Telnet negotiation before \"EHLO lab-pc\": not Telnet"),
            "500 Telnet negotiation before  : not Telnet"
        );
        assert_eq!(
            without_echo("502 unknown 'mail form:<a@b>' “RCPT TO:<x>” \"spam\" 'x"),
            "502 unknown     \"spam\" 'x"
        );
        assert_eq!(
            without_addresses("450 sender <promo@spammer.example> refused; a@ b"),
            "450 sender <\u{1}> refused; a@ b"
        );
        assert_eq!(
            without_addresses("see http://x.example/why?sender=al@topel.com&ip=1"),
            "see http://x.example/why?sender=\u{1}&ip=1"
        );
        let p = Pattern::parse("blacklisted {address}");
        let read = |t: &str| p.matches(&Hay::plain(&without_addresses(t).to_lowercase()));
        assert!(read("550 We have blacklisted <alice@example.org>. Stop"));
        assert!(!read(
            "550 blacklisted IP 192.0.2.1, sender <alice@example.org>"
        ));
        // A stem stands beside the address where its whole word does.
        let stem = Pattern::parse("blacklist* {address}");
        assert!(stem.matches(&Hay::plain(&without_addresses(
            "550 blacklisted <alice@example.org>"
        ))));
    }

    /// The index finds what a search part by part finds, for every pattern of every topic, in
    /// the words of every real reply the situations were written for.
    #[test]
    fn the_index_agrees_with_a_plain_search() {
        let index = TOPICS.index.as_ref().unwrap_or_else(|| panic!("no index"));
        let mut checked = 0;
        for s in crate::proto::situations::all() {
            for e in &s.examples {
                let lower = with_words_apart(e).to_lowercase();
                let (plain, indexed) = (Hay::plain(&lower), Hay::indexed(&lower, index));
                for t in all() {
                    let c = &t.compiled;
                    for p in c.words.iter().chain(&c.unless).chain(&c.need) {
                        assert_eq!(p.matches(&plain), p.matches(&indexed), "{t:?} in {e}");
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 10_000, "{checked}");
    }

    #[test]
    fn words_name_the_cause_and_a_generic_topic_yields() {
        let cx = ReplyContext::new(Protocol::Smtp, Answers::Rcpt);
        let id = |text: &str, temporary| {
            read(text, &cx, Some(temporary), None).map(|r| r.topic.id.as_str())
        };
        assert_eq!(
            id(
                "451 4.7.1 Greylisting in action, please come back later",
                true
            ),
            Some("greylist")
        );
        assert_eq!(
            id("550 5.4.5 Daily user sending quota exceeded.", false),
            Some("daily-quota")
        );
        assert_eq!(
            id("452 4.2.2 The email account is over quota", true),
            Some("mailbox-full")
        );
        // A lasting failure reads as passing only where its words say so and not that the
        // server refused.
        assert_eq!(id("550 try again later", false), Some("try-later"));
        assert_eq!(id("550 Service refused, try again later", false), None);
        assert_eq!(id("550 local error", false), None);
        assert_eq!(id("250 2.1.5 Ok", false), None);
    }

    #[test]
    fn a_reply_to_user_refuses_the_name_unless_it_speaks_of_a_password() {
        let cx = ReplyContext::new(Protocol::Pop3, Answers::User);
        let id = |text: &str| read(text, &cx, None, None).map(|r| r.topic.id.as_str());
        assert_eq!(id("-ERR Failed login"), Some("unknown-user"));
        // "USER alice secret": some servers take the password on the USER line.
        assert_eq!(id("-ERR incorrect password"), Some("auth-failed"));
        let cx = ReplyContext::new(Protocol::Pop3, Answers::Pass);
        assert_eq!(
            read("-ERR Failed login", &cx, None, None).map(|r| r.topic.id.as_str()),
            Some("auth-failed")
        );
    }

    #[test]
    fn a_codes_standard_text_names_no_cause_and_a_temporary_file_does_not_pass() {
        let cx = ReplyContext::new(Protocol::Smtp, Answers::Rcpt);
        let id = |text: &str, temporary| {
            read(text, &cx, Some(temporary), None).map(|r| r.topic.id.as_str())
        };
        assert_eq!(
            id(
                "421 Service not available, closing transmission channel",
                true
            ),
            None
        );
        assert_eq!(
            id(
                "552 Requested mail action aborted: exceeded storage allocation",
                false
            ),
            None
        );
        assert_eq!(
            id(
                "421 Server shutting down, closing transmission channel",
                true
            ),
            Some("shutdown")
        );
        assert!(!says_passing(
            "-ERR System error, can't open temporary file"
        ));
        assert!(says_passing("-ERR [SYS/TEMP] temporary failure"));
        // In another language too.
        assert!(says_passing(
            "-ERR Bitte versuchen Sie es später noch einmal"
        ));
        assert!(says_passing("-ERR Веб-сервис временно недоступен"));
    }

    #[test]
    fn words_are_read_in_either_spelling_and_with_a_slip() {
        let read_as = |answers, text: &str| {
            let cx = ReplyContext::new(Protocol::Smtp, answers);
            read(text, &cx, Some(false), None).map(|r| r.topic.id.as_str())
        };
        assert_eq!(
            read_as(Answers::Unknown, "500 Command Not Recognised"),
            Some("unknown-command")
        );
        assert_eq!(
            read_as(Answers::Auth, "504 not suported authorization method"),
            Some("auth-mechanism")
        );
        assert_eq!(
            read_as(Answers::Rcpt, "550 recipent unknown"),
            Some("unknown-user")
        );
        // A word written another way, and a contraction written out.
        assert_eq!(
            read_as(Answers::Auth, "535 invalid passwd"),
            Some("auth-failed")
        );
        assert_eq!(
            read_as(
                Answers::Rcpt,
                "550 Rcpt account isn\u{2019}t a local account"
            ),
            Some("unknown-user")
        );
        // A different word one letter away is not a slip.
        assert_eq!(read_as(Answers::Rcpt, "550 message related to bob"), None);
    }

    #[test]
    fn a_bare_refusal_is_read_for_the_command_it_refuses() {
        use Answers as A;
        use Protocol::{Pop3, Smtp};
        let cases = [
            // POP3's AUTH names a mechanism: "not supported" refuses that one.
            (Pop3, A::Auth, "-ERR not supported.", "auth-mechanism"),
            // Not where the words speak of AUTH or the command itself, nor in SMTP, whose
            // 502 refuses the command and 504 the mechanism.
            (
                Pop3,
                A::Auth,
                "-ERR command not supported",
                "not-implemented",
            ),
            (
                Smtp,
                A::Auth,
                "502 unimplemented (#5.5.1)",
                "not-implemented",
            ),
            // STLS asks for TLS: "not available" there says the server cannot start it.
            (Pop3, A::Stls, "-ERR not available", "tls-unavailable"),
            (Pop3, A::Capa, "-ERR not available", "not-implemented"),
        ];
        for (protocol, answers, text, want) in cases {
            let cx = ReplyContext::new(protocol, answers);
            let got = read(text, &cx, None, None).map(|r| r.topic.id.as_str());
            assert_eq!(got, Some(want), "{text}");
        }
    }
}
