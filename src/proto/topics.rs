//! Word families: what a reply's own words say its cause is (SPF, greylisting, a full
//! mailbox, a lockout …), read from any server's text, in English and Chinese. The data is
//! `assets/topics.toml`; a topic names a cause only when the reply's words give it.

use std::sync::LazyLock;

use serde::Deserialize;

use super::situations::ReplyContext;
use super::vocab::{Answers, Protocol};
use super::{Bilingual, Lang};

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
    /// A topic that names no concrete cause: any concrete topic beats it.
    #[serde(default)]
    pub generic: bool,
    /// 1 for a topic that describes what became of the command rather than why; 2 (the
    /// default) for a named cause. Ties between topics go to the higher rank.
    #[serde(default = "named_cause")]
    pub rank: u8,
    /// A topic that reads a failure as passing: not for a 5xx.
    #[serde(default)]
    pub temporary_only: bool,
    /// A cause that does not pass by itself (wrong credentials): not for a 4xx.
    #[serde(default)]
    pub never_temporary: bool,
    /// The cause the words give.
    pub reason: Bilingual,
    pub next: Bilingual,
    #[serde(default)]
    pub next_temporary: Option<Bilingual>,
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
}

/// A pattern: parts that must occur in order, each a whole word (or a word start, with `*`)
/// for ASCII letters, anywhere for Chinese.
#[derive(Debug, Clone)]
struct Pattern {
    parts: Vec<(String, bool)>,
    weight: u32,
}

impl Pattern {
    fn parse(p: &str) -> Self {
        let lower = p.to_lowercase();
        // An address inside a part ("mail from {ip}") is a part of its own.
        let spaced = lower.replace("{ip}", " .. {ip} .. ");
        let parts: Vec<(String, bool)> = spaced
            .split(" .. ")
            .map(str::trim)
            .map(|part| match part.strip_suffix('*') {
                Some(stem) => (stem.to_owned(), true),
                None => (part.to_owned(), false),
            })
            .filter(|(s, _)| !s.is_empty())
            .collect();
        // A Chinese character carries about as much as a short English word; an address
        // as much as a word.
        let weight = parts
            .iter()
            .map(|(s, _)| match s.as_str() {
                "{ip}" => 4,
                s => s.chars().map(|c| if c.is_ascii() { 1 } else { 3 }).sum(),
            })
            .sum();
        Self { parts, weight }
    }

    /// Whether the pattern occurs in `hay` (already lowercase).
    fn matches(&self, hay: &str) -> bool {
        !self.parts.is_empty() && self.matches_from(hay, 0, 0, None)
    }

    /// Whether parts `i..` occur in order from `from`, the first of them starting at or
    /// before `limit`: the parts of a pattern stand close together, in one clause.
    fn matches_from(&self, hay: &str, i: usize, from: usize, limit: Option<usize>) -> bool {
        let Some((part, prefix)) = self.parts.get(i) else {
            return true;
        };
        let mut at = from;
        while let Some((start, end)) = find_word(hay, at, part, *prefix) {
            if limit.is_some_and(|l| start > l) {
                return false;
            }
            if self.matches_from(hay, i + 1, end, Some(end + PART_GAP)) {
                return true;
            }
            at = start + hay[start..].chars().next().map_or(1, char::len_utf8);
        }
        false
    }
}

/// How far apart (in bytes) two parts of a pattern may stand.
const PART_GAP: usize = 40;

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
            // An address in a link's query (`?ip=192.0.2.1`) is not one the words name.
            let in_link = i > 0 && matches!(bytes[i - 1], b'=' | b'/');
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

/// The start and end of the first occurrence of `part` in `hay` at or after `from`, on word
/// boundaries where `part` begins or ends with a letter or digit.
fn find_word(hay: &str, from: usize, part: &str, prefix: bool) -> Option<(usize, usize)> {
    if part == "{ip}" {
        return find_ip(hay, from);
    }
    let rest = hay.get(from..)?;
    let starts_word = part.chars().next().is_some_and(is_word_char);
    let ends_word = part.chars().next_back().is_some_and(is_word_char);
    for (i, _) in rest.match_indices(part) {
        let at = from + i;
        let end = at + part.len();
        let before_ok = !starts_word || !hay[..at].chars().next_back().is_some_and(is_word_char);
        let after_ok = prefix || !ends_word || !hay[end..].chars().next().is_some_and(is_word_char);
        if before_ok && after_ok {
            return Some((at, end));
        }
    }
    None
}

/// The text, and after it the words that run together in CamelCase read apart
/// ("SendAsDeniedException" → "Send As Denied Exception"), as servers that report an
/// exception's name write them.
fn with_camel_split(text: &str) -> std::borrow::Cow<'_, str> {
    let camel = |w: &str| {
        w.chars()
            .zip(w.chars().skip(1))
            .any(|(a, b)| a.is_ascii_lowercase() && b.is_ascii_uppercase())
    };
    if !text.split_whitespace().any(camel) {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() * 2 + 1);
    out.push_str(text);
    out.push('\n');
    let mut prev = ' ';
    for c in text.chars() {
        if prev.is_ascii_lowercase() && c.is_ascii_uppercase() {
            out.push(' ');
        }
        out.push(c);
        prev = c;
    }
    out.into()
}

impl Topic {
    fn compile(&mut self) {
        let all = |v: &[String]| v.iter().map(|p| Pattern::parse(p)).collect();
        self.compiled = Compiled {
            words: all(&self.words),
            unless: all(&self.unless),
            need: all(&self.need),
        };
    }

    /// Whether the topic can answer this request.
    pub fn in_scope(&self, cx: &ReplyContext) -> bool {
        (self.scope.is_empty() || self.scope.contains(&cx.answers))
            && (self.protocols.is_empty() || self.protocols.contains(&cx.protocol))
    }

    /// How strongly the words name this topic: the weight of every pattern found, and of the
    /// heaviest one; `None` when it is not named.
    fn score(&self, hay: &str, cx: &ReplyContext) -> Option<(u32, u32)> {
        if !self.in_scope(cx) {
            return None;
        }
        let c = &self.compiled;
        if c.unless.iter().any(|p| p.matches(hay)) {
            return None;
        }
        if !c.need.is_empty() && !c.need.iter().any(|p| p.matches(hay)) {
            return None;
        }
        let (sum, best) = c
            .words
            .iter()
            .filter(|p| p.matches(hay))
            .fold((0, 0), |(sum, best), p| {
                (sum + p.weight, best.max(p.weight))
            });
        (sum > 0).then_some((sum, best))
    }

    /// What to do, for a temporary or a lasting failure.
    pub fn next_for(&self, temporary: bool, lang: Lang) -> &str {
        match (&self.next_temporary, temporary) {
            (Some(t), true) => t.get(lang),
            _ => self.next.get(lang),
        }
    }
}

#[derive(Debug, Deserialize)]
struct TopicFile {
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
        t.compile();
        all.push(t);
    }
    for t in &all {
        if let Some(y) = t.yields_to.iter().find(|y| all.iter().all(|o| o.id != **y)) {
            return Err(format!(
                "topics.toml: {} yields to the unknown topic {y:?}",
                t.id
            ));
        }
    }
    Ok(all)
}

static TOPICS: LazyLock<Vec<Topic>> = LazyLock::new(|| load().unwrap_or_default());

pub fn all() -> &'static [Topic] {
    &TOPICS
}

pub fn by_id(id: &str) -> Option<&'static Topic> {
    TOPICS.iter().find(|t| t.id == id)
}

/// A topic the words name, and the weight of its heaviest pattern found (a letter 1, a
/// Chinese character 3), to set against a situation's phrase.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    pub topic: &'static Topic,
    pub weight: u32,
}

/// The topic a failure's words name, best first: a concrete cause before a generic one, then
/// the most (and longest) words found. `temporary` says whether the failure passes (a 4xx),
/// lasts (a 5xx), or does not say (a POP3 `-ERR`), for the topics that read only one way.
pub fn read(text: &str, cx: &ReplyContext, temporary: Option<bool>) -> Option<Reading> {
    let hay = with_camel_split(text).to_lowercase();
    let named: Vec<_> = TOPICS
        .iter()
        .filter(|t| temporary != Some(false) || !t.temporary_only)
        .filter(|t| temporary != Some(true) || !t.never_temporary)
        .filter_map(|t| t.score(&hay, cx).map(|score| (t, score)))
        .collect();
    named
        .iter()
        .filter(|(t, _)| {
            !t.yields_to
                .iter()
                .any(|y| named.iter().any(|(o, _)| o.id == *y))
        })
        .max_by_key(|(t, (sum, _))| (!t.generic, t.rank, *sum))
        .map(|(topic, (_, best))| Reading {
            topic,
            weight: *best,
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
            for b in [&t.reason, &t.next] {
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
        assert!(p.matches("550 5.7.23 spf fail"));
        assert!(!p.matches("550 spfx"));
        let p = Pattern::parse("greylist*");
        assert!(p.matches("451 greylisted, come back"));
        let p = Pattern::parse("too many .. connections");
        assert!(p.matches("421 too many concurrent smtp connections"));
        assert!(!p.matches("421 connections: too many"));
        // The parts of a pattern stand within one clause, not anywhere in the reply.
        let p = Pattern::parse("too many .. messages");
        assert!(
            !p.matches("554 too many mime parts.  we do not accept such complicated messages.")
        );
        assert!(p.matches("452 too many parts, too many messages"));
        assert!(Pattern::parse("垃圾邮件").matches("554 dt:spm 发送的邮件内容被识别为垃圾邮件"));
        let p = Pattern::parse("mail from {ip} .. not allowed");
        assert!(p.matches("553 mail from 192.0.2.1 not allowed"));
        assert!(!p.matches("553 mail from 5.7.1 not allowed"));
        assert!(Pattern::parse("{ip} .. blocked").matches("550 [2a01:4f8:171:145e::2] blocked"));
        assert!(!Pattern::parse("{ip}").matches("550 5.7.1 at 10:30:00 rejected"));
        assert!(!Pattern::parse("{ip}").matches("554 arn:aws:iam::123456789012:user/x"));
        assert!(!Pattern::parse("{ip}").matches("550 see http://x.example/r?ip=192.0.2.1"));
        assert!(Pattern::parse("{ip}").matches("517 helo does not match ::ffff:192.0.2.1"));
        assert_eq!(
            with_camel_split("554 Exception:SendAsDeniedException; x"),
            "554 Exception:SendAsDeniedException; x\n554 Exception:Send As Denied Exception; x"
        );
        assert_eq!(with_camel_split("550 Mailbox full"), "550 Mailbox full");
    }

    #[test]
    fn words_name_the_cause_and_a_generic_topic_yields() {
        let cx = ReplyContext::new(Protocol::Smtp, Answers::Rcpt);
        let id =
            |text: &str, temporary| read(text, &cx, Some(temporary)).map(|r| r.topic.id.as_str());
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
        // "try again later" reads as passing only for a temporary failure.
        assert_eq!(id("550 try again later", false), None);
        assert_eq!(id("250 2.1.5 Ok", false), None);
    }
}
