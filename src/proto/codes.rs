//! The reply-code knowledge base: SMTP codes, RFC 3463 enhanced status codes, POP3 status
//! indicators and response codes, and command help, in English and Chinese.
//! The data lives in `assets/codes/*.toml` and is compiled in.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;

use super::reply::EnhancedStatus;
use super::{Bilingual, Lang};
use crate::words::tr;

/// One explained code.
#[derive(Debug, Clone, Deserialize)]
pub struct CodeEntry {
    pub code: String,
    pub rfc: String,
    /// One line: what the code means.
    pub meaning: Bilingual,
    /// A few sentences for the classroom.
    pub explain: Bilingual,
    /// What the student probably did to get it.
    pub cause: Bilingual,
    /// What to do now.
    pub next: Bilingual,
    /// For an enhanced code's detail that names a cause (X.7.23 SPF, X.2.2 mailbox full): the
    /// topic of `assets/topics.toml` it names.
    #[serde(default)]
    pub topic: Option<String>,
    /// The requests for whose replies `topic` holds (empty: all). Servers reuse a detail
    /// outside its registered use: 5.7.8 (credentials invalid) also refuses a bounce at DATA.
    #[serde(default)]
    pub scope: Vec<crate::proto::vocab::Answers>,
}

/// Help for one command button.
#[derive(Debug, Clone, Deserialize)]
pub struct CommandHelp {
    pub protocol: String,
    pub command: String,
    pub syntax: String,
    pub rfc: String,
    pub what: Bilingual,
}

#[derive(Debug, Deserialize)]
struct CodeFile {
    #[serde(rename = "code")]
    codes: Vec<CodeEntry>,
}

#[derive(Debug, Deserialize)]
struct CommandFile {
    #[serde(rename = "command")]
    commands: Vec<CommandHelp>,
}

const SMTP_TOML: &str = include_str!("../../assets/codes/smtp.toml");
const ENHANCED_TOML: &str = include_str!("../../assets/codes/enhanced.toml");
const POP3_TOML: &str = include_str!("../../assets/codes/pop3.toml");
const COMMANDS_TOML: &str = include_str!("../../assets/commands.toml");

/// The whole knowledge base, parsed once.
#[derive(Debug, Default)]
pub struct KnowledgeBase {
    smtp: HashMap<String, CodeEntry>,
    enhanced: HashMap<String, CodeEntry>,
    pop3: HashMap<String, CodeEntry>,
    commands: Vec<CommandHelp>,
}

impl KnowledgeBase {
    /// Parses the compiled-in TOML. An error names the file and the line.
    pub fn load() -> Result<Self, String> {
        fn codes(name: &str, text: &str) -> Result<HashMap<String, CodeEntry>, String> {
            let file: CodeFile = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
            let mut map = HashMap::new();
            for e in file.codes {
                let key = e.code.to_ascii_uppercase();
                if map.insert(key, e.clone()).is_some() {
                    return Err(format!("{name}: {} is listed twice", e.code));
                }
            }
            Ok(map)
        }
        let commands: CommandFile =
            toml::from_str(COMMANDS_TOML).map_err(|e| format!("commands.toml: {e}"))?;
        Ok(Self {
            smtp: codes("smtp.toml", SMTP_TOML)?,
            enhanced: codes("enhanced.toml", ENHANCED_TOML)?,
            pop3: codes("pop3.toml", POP3_TOML)?,
            commands: commands.commands,
        })
    }

    pub fn smtp_codes(&self) -> impl Iterator<Item = &CodeEntry> {
        self.smtp.values()
    }
    pub fn enhanced_codes(&self) -> impl Iterator<Item = &CodeEntry> {
        self.enhanced.values()
    }
    pub fn pop3_codes(&self) -> impl Iterator<Item = &CodeEntry> {
        self.pop3.values()
    }
    pub fn commands(&self) -> &[CommandHelp] {
        &self.commands
    }
}

static KB: LazyLock<KnowledgeBase> = LazyLock::new(|| KnowledgeBase::load().unwrap_or_default());

pub fn knowledge_base() -> &'static KnowledgeBase {
    &KB
}

/// A three-digit SMTP reply code.
pub fn smtp(code: u16) -> Option<&'static CodeEntry> {
    KB.smtp.get(&code.to_string())
}

/// The three parts of an enhanced status code, each explained where the registry defines it.
#[derive(Debug, Clone, Copy)]
pub struct EnhancedExplanation {
    pub status: EnhancedStatus,
    pub class: Option<&'static CodeEntry>,
    pub subject: Option<&'static CodeEntry>,
    pub detail: Option<&'static CodeEntry>,
}

impl EnhancedExplanation {
    /// The most specific one-line meaning.
    pub fn meaning(&self, lang: Lang) -> Option<&'static str> {
        self.detail
            .or(self.subject)
            .or(self.class)
            .map(|e| e.meaning.get(lang))
    }
}

/// Looks up `class.X.X`, `X.subject.X` and `X.subject.detail`.
pub fn enhanced(status: EnhancedStatus) -> EnhancedExplanation {
    let EnhancedStatus {
        class,
        subject,
        detail,
    } = status;
    EnhancedExplanation {
        status,
        class: KB.enhanced.get(&format!("{class}.X.X")),
        subject: KB.enhanced.get(&format!("X.{subject}.X")),
        detail: KB.enhanced.get(&format!("X.{subject}.{detail}")),
    }
}

/// POP3 status indicators (`+OK`, `-ERR`, `+`), RFC 2449/3206 response codes (`IN-USE`,
/// `SYS/TEMP`, …) and CAPA capability names.
pub fn pop3(token: &str) -> Option<&'static CodeEntry> {
    let t = token.trim().trim_start_matches('[').trim_end_matches(']');
    KB.pop3.get(&t.to_ascii_uppercase())
}

/// An RFC 2449 §8 response code, with or without brackets.
pub fn pop3_resp_code(code: &str) -> Option<&'static CodeEntry> {
    pop3(code)
}

/// Help for a command, by protocol (`smtp` or `pop3`) and label (`MAIL FROM`, `RETR`).
pub fn command_help(protocol: &str, label: &str) -> Option<&'static CommandHelp> {
    KB.commands.iter().find(|c| {
        c.protocol.eq_ignore_ascii_case(protocol) && c.command.eq_ignore_ascii_case(label)
    })
}

/// The field labels used when an entry is printed (`meaning`, `explain`, `cause`, `next`,
/// `unknown`).
pub fn label(lang: Lang, field: &str) -> String {
    tr(lang, &format!("label.{field}"))
}

/// `Likely cause: …` / `可能原因：…`: a field label, its separator in the reader's language,
/// then the text.
pub fn labelled(lang: Lang, field: &str, text: &str) -> String {
    format!("{}{}{text}", label(lang, field), tr(lang, "label.sep"))
}

/// A word that is a code of some kind: `535`, `5.7.8`, `#2.0.0`, `+OK`, `-ERR`, `[IN-USE]`.
fn looks_like_code(w: &str) -> bool {
    (w.len() == 3 && w.bytes().all(|b| b.is_ascii_digit()))
        || EnhancedStatus::parse(w).is_some()
        || pop3(w).is_some() && (w.starts_with(['+', '-', '[']))
}

/// An entry as a block of text: the code and its meaning, then the three explanations.
pub fn render(entry: &CodeEntry, lang: Lang) -> String {
    format!(
        "{code}  {meaning}  ({rfc})\n  {explain}\n  {cause}\n  {next}\n",
        code = entry.code,
        meaning = entry.meaning.get(lang),
        rfc = entry.rfc,
        explain = labelled(lang, "explain", entry.explain.get(lang)),
        cause = labelled(lang, "cause", entry.cause.get(lang)),
        next = labelled(lang, "next", entry.next.get(lang)),
    )
}

/// Explains one token a person typed: `535`, `5.7.8`, `+OK`, `-ERR`, `[IN-USE]`, `SYS/TEMP`.
/// A whole reply line (`235 #2.0.0 OK Authenticated`) is explained code by code.
pub fn explain_token(token: &str, lang: Lang) -> String {
    let t = token.trim();
    if t.contains(char::is_whitespace) {
        let parts: Vec<String> = t
            .split_whitespace()
            .filter(|w| looks_like_code(w))
            .map(|w| explain_token(w, lang))
            .collect();
        if !parts.is_empty() {
            return parts.join("\n");
        }
    }
    let t = t.trim_start_matches('#');
    if let Ok(n) = t.parse::<u16>()
        && t.len() == 3
    {
        let key = match n / 100 {
            4 => "rclass.nonstandard_temporary",
            5 => "rclass.nonstandard_permanent",
            _ => "rclass.nonstandard",
        };
        return match smtp(n) {
            Some(e) => render(e, lang),
            None => format!("{t}  {}\n", crate::words::trf(lang, key, &[("code", t)])),
        };
    }
    if let Some(es) = EnhancedStatus::parse(t) {
        let ex = enhanced(es);
        let mut out = String::new();
        for e in [ex.class, ex.subject, ex.detail].into_iter().flatten() {
            out.push_str(&render(e, lang));
        }
        if ex.detail.is_none() {
            out.push_str(&format!("{t}  {}\n", tr(lang, "label.unregistered_detail")));
        }
        return out;
    }
    match pop3(t) {
        Some(e) => render(e, lang),
        None => format!("{t}  {}\n", label(lang, "unknown")),
    }
}
