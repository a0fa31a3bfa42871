//! The situation knowledge base: what a reply means in the session where it came, matched on
//! the reply's code, its enhanced code, words of its text, the command it answers and the
//! session state. Real servers' texts (Postfix, Exim, Sendmail, Exchange, Gmail, QQ Mail,
//! NetEase 163/126, Dovecot, aiosmtpd, the practice server …) are data in
//! `assets/situations/*.toml`, each with the servers known to send it and where that text was
//! seen. The most specific matching entry wins; the per-code entries of [`super::codes`] stay
//! the fallback.

use std::sync::LazyLock;

use serde::Deserialize;

use super::reply::EnhancedStatus;
use super::topics;
pub use super::vocab::{Answers, Cond, Flag, Protocol};
use super::{Bilingual, Lang};

/// What a reply answers, and the state the session was in when it came.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyContext {
    pub protocol: Protocol,
    /// The request the reply answers.
    pub answers: Answers,
    /// State flags that hold, one bit each of [`Flag`] (a reply's context is kept with every
    /// reply of a transcript, so a set of bits rather than a list).
    flags: u32,
}

impl ReplyContext {
    pub fn new(protocol: Protocol, answers: Answers) -> Self {
        Self {
            protocol,
            answers,
            flags: 0,
        }
    }

    /// The same state, for a reply that speaks of what another request named (a reason
    /// after "Sender address rejected:" speaks of MAIL FROM's address).
    pub fn answering(&self, answers: Answers) -> Self {
        Self {
            answers,
            ..self.clone()
        }
    }

    /// Sets a flag when `on`.
    pub fn flag(mut self, flag: Flag, on: bool) -> Self {
        if on {
            self.flags |= flag.bit();
        }
        self
    }

    /// Whether a flag holds.
    pub fn has(&self, flag: Flag) -> bool {
        self.flags & flag.bit() != 0
    }

    /// Whether the session itself shows the command out of its place: in SMTP, MAIL FROM
    /// before any EHLO/HELO was accepted, RCPT TO before a sender, DATA before a recipient (in a
    /// transcript that shows the session from its greeting); in POP3, a mailbox command before
    /// the login, or a login command after it.
    pub fn out_of_order(&self) -> bool {
        match self.protocol {
            Protocol::Smtp => {
                self.has(Flag::Greeted)
                    && match self.answers {
                        Answers::Mail => !self.has(Flag::Hello),
                        Answers::Rcpt => !self.has(Flag::Mail),
                        Answers::Data => !self.has(Flag::Rcpt),
                        _ => false,
                    }
            }
            Protocol::Pop3 => {
                self.answers.is_mailbox_command() && self.has(Flag::Authorization)
                    || self.answers.is_login() && self.has(Flag::Transaction)
            }
            Protocol::Imap => false,
        }
    }

    /// Whether a condition of a data file holds.
    pub fn holds(&self, cond: Cond) -> bool {
        self.has(cond.flag) == cond.holds
    }
}

/// What the matcher looks at in a reply.
#[derive(Debug, Clone, Copy)]
pub struct ReplyFacts<'a> {
    /// The SMTP code; `None` for POP3.
    pub code: Option<u16>,
    pub enhanced: Option<EnhancedStatus>,
    /// `+OK`, `-ERR` or `+` for POP3.
    pub pop3_status: Option<&'a str>,
    /// An RFC 2449 response code such as `IN-USE` (without brackets).
    pub resp_code: Option<&'a str>,
    /// The whole text of the reply, every line.
    pub text: &'a str,
}

/// How well a situation fits a reply: compared by its words, then what it answers, then the
/// state, then the code (`said` and `phrase_chars` describe the match; they do not rank it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Score {
    /// The reply's own words: text phrases, enhanced code, POP3 response code.
    pub words: u32,
    /// 1 when the entry names the request the reply answers.
    pub answers: u32,
    /// How many state flags the entry requires.
    pub state: u32,
    /// The bare code or status indicator.
    pub code: u32,
    /// Whether a phrase of the reply's own text matched: evidence for the cause the entry
    /// states. Last, so it does not change the order.
    pub said: bool,
    /// How many characters of the reply's text the matched phrases cover (to weigh them
    /// against a topic the same words name).
    pub phrase_chars: u32,
}

impl Score {
    fn rank(&self) -> (u32, u32, u32, u32) {
        (self.words, self.answers, self.state, self.code)
    }
}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.rank().cmp(&other.rank())
    }
}

/// One situation: a reply in its context, explained.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Situation {
    pub id: String,
    pub protocol: Protocol,
    /// The cause this entry states, as a topic of `assets/topics.toml`: required for a
    /// refusal, so that what the entry teaches can be checked against real replies.
    #[serde(default)]
    pub topic: Option<String>,
    /// SMTP reply codes it applies to; empty means any.
    #[serde(default)]
    pub codes: Vec<u16>,
    /// An enhanced status code, exact (`5.7.0`) or by class and subject (`5.7`).
    #[serde(default)]
    pub enhanced: Option<String>,
    /// The enhanced-code subjects the entry allows (`[0, 1, 5]`: unspecified, an address, the
    /// protocol); a
    /// reply carrying another subject (`5.7.1`, policy) is not this situation.
    #[serde(default)]
    pub subjects: Vec<u16>,
    /// POP3 `+OK` / `-ERR`.
    #[serde(default)]
    pub status: Option<String>,
    /// POP3 response code (`IN-USE`).
    #[serde(default)]
    pub resp_code: Option<String>,
    /// Words that must all occur in the reply text (case is ignored).
    #[serde(default)]
    pub text: Vec<String>,
    /// Words the reply text must begin with (case is ignored): "0 " reads a count of none.
    #[serde(default)]
    pub starts: Option<String>,
    /// Phrases of which one must occur in the reply text: the same situation in several
    /// servers' words.
    #[serde(default)]
    pub any: Vec<String>,
    /// Phrases that, when one occurs, show the reply says what the entry says; the entry
    /// fits without them where its state alone explains the reply.
    #[serde(default)]
    pub also: Vec<String>,
    /// The words settle what the reply is, whatever else they say (the practice server's
    /// "(staged fault)"): no topic the words name, nor the enhanced code, overrides it.
    #[serde(default)]
    pub decisive: bool,
    /// The reply carries no text after its code (AUTH PLAIN's bare "334 "): an entry for a
    /// prompt with nothing to decode says nothing of one whose text is there.
    #[serde(default)]
    pub empty: bool,
    /// Requests the reply may answer (see [`ReplyContext::answers`]); empty means any.
    #[serde(default)]
    pub after: Vec<Answers>,
    /// Words that say the opposite of what the entry tells (lower case): a reply holding one
    /// is not this situation, whatever the state suggests ("You already said HELO" is not a
    /// missing HELO).
    #[serde(default)]
    pub unless: Vec<String>,
    /// State flags that must hold; `!flag` must not.
    #[serde(default)]
    pub when: Vec<Cond>,
    /// The servers known to send this text.
    pub servers: Vec<String>,
    /// Where the text was seen: RFC, server source, documentation, public transcript.
    pub sources: Vec<String>,
    /// Real replies (one line each, as on the wire) this entry is written for.
    #[serde(default)]
    pub examples: Vec<String>,
    pub meaning: Bilingual,
    pub cause: Bilingual,
    pub next: Bilingual,
}

/// Whether a reply says nothing after its code ("334 ", "334").
fn reply_text_is_empty(text: &str) -> bool {
    let t = text.trim();
    let t = t
        .get(3..)
        .filter(|_| t.as_bytes().iter().take(3).all(u8::is_ascii_digit))
        .unwrap_or(t);
    t.trim().is_empty()
}

impl Situation {
    /// How specific the entry is for this reply, or `None` when it does not match. The
    /// reply's own words come first (text, a longer phrase more than a shorter one, and the
    /// enhanced or POP3 response code); then what the reply answers; then the session state;
    /// then the bare code. So a server's exact text always beats a guess from context, and
    /// context beats the digits.
    pub fn score(&self, facts: &ReplyFacts<'_>, cx: &ReplyContext) -> Option<Score> {
        if self.protocol != cx.protocol {
            return None;
        }
        let mut score = Score::default();
        if self.empty && !reply_text_is_empty(facts.text) {
            return None;
        }
        if !self.unless.is_empty() {
            let lower = facts.text.to_lowercase();
            if self.unless.iter().any(|u| lower.contains(u.as_str())) {
                return None;
            }
        }
        if !self.codes.is_empty() {
            facts.code.filter(|c| self.codes.contains(c))?;
            score.code += 1;
        }
        if let Some(want) = &self.status {
            facts.pop3_status.filter(|s| s.eq_ignore_ascii_case(want))?;
            score.code += 1;
        }
        if let Some(es) = facts.enhanced
            && !self.subjects.is_empty()
            && !self.subjects.contains(&es.subject)
        {
            return None;
        }
        if let Some(want) = &self.enhanced {
            let have = facts.enhanced?.to_string();
            if !(have == *want || have.starts_with(&format!("{want}."))) {
                return None;
            }
            score.words += if want.split('.').count() == 3 { 3 } else { 2 };
        }
        if let Some(want) = &self.resp_code {
            facts
                .resp_code
                .filter(|r| r.eq_ignore_ascii_case(want) || starts_with_ci(r, want))?;
            score.words += 4;
        }
        let hay = facts.text.to_lowercase();
        let phrase = |w: &String| 4 + (w.chars().count() / 10) as u32;
        for w in &self.text {
            if !hay.contains(&w.to_lowercase()) {
                return None;
            }
            score.words += phrase(w);
            score.said = true;
            score.phrase_chars += w.chars().count() as u32;
        }
        if let Some(start) = &self.starts {
            if !hay.trim_start().starts_with(&start.to_lowercase()) {
                return None;
            }
            score.words += phrase(start);
            score.said = true;
            score.phrase_chars += start.chars().count() as u32;
        }
        if !self.any.is_empty() {
            let best = self
                .any
                .iter()
                .filter(|w| hay.contains(&w.to_lowercase()))
                .max_by_key(|w| w.chars().count())?;
            score.words += phrase(best);
            score.said = true;
            score.phrase_chars += best.chars().count() as u32;
        }
        if let Some(best) = self
            .also
            .iter()
            .filter(|w| hay.contains(&w.to_lowercase()))
            .max_by_key(|w| w.chars().count())
        {
            score.words += phrase(best);
            score.said = true;
            score.phrase_chars += best.chars().count() as u32;
        }
        if !self.after.is_empty() {
            self.after.iter().find(|a| **a == cx.answers)?;
            score.answers = 1;
        }
        for w in &self.when {
            if !cx.holds(*w) {
                return None;
            }
            score.state += 1;
        }
        Some(score)
    }

    /// What the server added after the entry's phrase, as a clause of its own ("…
    /// authentication failed: this user has no access"): the text after the last phrase it
    /// holds, when a colon, semicolon, dash or parenthesis sets it off. Empty otherwise.
    pub fn added_clause(&self, text: &str) -> String {
        let lower = text.to_lowercase();
        let phrases = self
            .text
            .iter()
            .chain(&self.starts)
            .chain(&self.any)
            .chain(&self.also);
        let end = phrases
            .filter(|p| !p.is_empty())
            .filter_map(|p| {
                let p = p.to_lowercase();
                lower.find(&p).map(|at| at + p.len())
            })
            .max();
        let Some(rest) = end.and_then(|e| lower.get(e..)) else {
            return String::new();
        };
        let rest = rest.trim_start();
        match rest.chars().next() {
            Some(':' | ';' | '-' | '(' | '，' | '：' | '；') => rest.to_owned(),
            _ => String::new(),
        }
    }

    /// The servers known to send this reply, named in the reader's language where a name
    /// has a translation (`the practice server`, `QQ Mail`).
    pub fn servers_text(&self, lang: Lang) -> String {
        let names: Vec<String> = self
            .servers
            .iter()
            .map(|name| {
                let slug: String = name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_ascii_lowercase()
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let key = format!("server_name.{slug}");
                if crate::words::has(&key) {
                    crate::words::tr(lang, &key)
                } else {
                    name.clone()
                }
            })
            .collect();
        names.join(", ")
    }
}

impl PartialEq for Situation {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Situation {}

fn starts_with_ci(s: &str, prefix: &str) -> bool {
    // `get` and not slicing: the reply's text may hold a character across that byte.
    s.get(..prefix.len())
        .is_some_and(|head| head.eq_ignore_ascii_case(prefix))
        && s.as_bytes().get(prefix.len()) == Some(&b'/')
}

#[derive(Debug, Deserialize)]
struct SituationFile {
    #[serde(rename = "situation")]
    situations: Vec<Situation>,
}

/// The files of the knowledge base, compiled in.
pub const FILES: [(&str, &str); 6] = [
    (
        "smtp-session.toml",
        include_str!("../../assets/situations/smtp-session.toml"),
    ),
    (
        "smtp-auth.toml",
        include_str!("../../assets/situations/smtp-auth.toml"),
    ),
    (
        "smtp-mail.toml",
        include_str!("../../assets/situations/smtp-mail.toml"),
    ),
    (
        "smtp-providers.toml",
        include_str!("../../assets/situations/smtp-providers.toml"),
    ),
    (
        "pop3.toml",
        include_str!("../../assets/situations/pop3.toml"),
    ),
    (
        "practice.toml",
        include_str!("../../assets/situations/practice.toml"),
    ),
];

/// Parses one situation file; an error names the file and the line (a misspelt state or
/// request) or the entry (an unknown topic).
pub fn parse_file(name: &str, text: &str) -> Result<Vec<Situation>, String> {
    let file: SituationFile = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
    for s in &file.situations {
        if let Some(t) = &s.topic
            && topics::by_id(t).is_none()
        {
            return Err(format!("{name}: {} names the unknown topic {t:?}", s.id));
        }
    }
    Ok(file.situations)
}

/// Parses the situation files; an error names the file and the entry.
pub fn load() -> Result<Vec<Situation>, String> {
    let mut all: Vec<Situation> = Vec::new();
    for (name, text) in FILES {
        for s in parse_file(name, text)? {
            if all.iter().any(|o| o.id == s.id) {
                return Err(format!("{name}: {} is listed twice", s.id));
            }
            all.push(s);
        }
    }
    Ok(all)
}

static SITUATIONS: LazyLock<Vec<Situation>> = LazyLock::new(|| load().unwrap_or_default());

pub fn all() -> &'static [Situation] {
    &SITUATIONS
}

/// The most specific situation for a reply in its context, with how it matched.
pub fn lookup(facts: &ReplyFacts<'_>, cx: &ReplyContext) -> Option<(Score, &'static Situation)> {
    let mut best: Option<(Score, &'static Situation)> = None;
    for s in SITUATIONS.iter() {
        if let Some(score) = s.score(facts, cx)
            && best.is_none_or(|(b, _)| score > b)
        {
            best = Some((score, s));
        }
    }
    // An entry whose words settle what the reply is comes before any that scores higher.
    SITUATIONS
        .iter()
        .filter(|s| s.decisive)
        .find_map(|s| s.score(facts, cx).filter(|sc| sc.said).map(|sc| (sc, s)))
        .or(best)
}

/// A situation by its id.
pub fn by_id(id: &str) -> Option<&'static Situation> {
    SITUATIONS.iter().find(|s| s.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A response code is compared by its head without cutting a character in two.
    #[test]
    fn a_response_code_with_other_characters_is_compared_safely() {
        assert!(!starts_with_ci("A码/TEMP", "SYS"));
        assert!(!starts_with_ci("SY码", "SYS"));
        assert!(starts_with_ci("sys/temp", "SYS"));
        assert!(!starts_with_ci("SYSTEM", "SYS"));
    }

    #[test]
    fn the_files_load_and_every_entry_is_complete() {
        let all = load().unwrap();
        assert!(all.len() >= 100, "only {} situations", all.len());
        for s in &all {
            for (what, b) in [
                ("meaning", &s.meaning),
                ("cause", &s.cause),
                ("next", &s.next),
            ] {
                assert!(!b.en.trim().is_empty(), "{} has no English {what}", s.id);
                assert!(
                    b.zh.chars().any(|c| c > '\u{2e80}'),
                    "{} has no Chinese {what}",
                    s.id
                );
            }
            assert!(!s.servers.is_empty(), "{} names no server", s.id);
            // Generic names ("every SMTP server") must read in Chinese too.
            let zh = s.servers_text(Lang::Zh);
            for name in &s.servers {
                let generic = name.starts_with("every ") || name.starts_with("the ");
                assert!(
                    !generic || !zh.contains(name.as_str()),
                    "{}: {name} untranslated",
                    s.id
                );
            }
            assert!(!s.sources.is_empty(), "{} cites no source", s.id);
            // An entry that says no more than its code would only repeat the per-code note.
            assert!(
                !s.text.is_empty()
                    || !s.any.is_empty()
                    || !s.after.is_empty()
                    || !s.when.is_empty()
                    || s.resp_code.is_some()
                    || s.enhanced.is_some(),
                "{} is no more specific than its code",
                s.id
            );
        }
    }
}
