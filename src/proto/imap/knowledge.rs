//! What IMAP's statuses, response codes, untagged data and commands mean, from
//! `assets/codes/imap.toml`, and the one explanation of a server's response in its context:
//! the command it answers and the state the connection was in.

use std::sync::LazyLock;

use serde::Deserialize;

use super::response::{ImapResponse, ImapStatus, ResponseKind};
use super::state::ImapState;
use crate::proto::{Bilingual, Lang};
use crate::words::{tr, trf};

const FILE: &str = include_str!("../../../assets/codes/imap.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusEntry {
    pub status: String,
    pub rfc: String,
    pub tagged: Bilingual,
    pub untagged: Bilingual,
    pub next: Bilingual,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodeEntry {
    pub code: String,
    pub rfc: String,
    pub meaning: Bilingual,
    pub next: Bilingual,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataEntry {
    pub name: String,
    pub rfc: String,
    pub meaning: Bilingual,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandEntry {
    pub verb: String,
    pub syntax: String,
    pub rfc: String,
    pub what: Bilingual,
}

/// A capability a server lists (CAPABILITY response, RFC 3501 §7.2.1).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapabilityEntry {
    pub name: String,
    pub rfc: String,
    pub meaning: Bilingual,
}

/// A real server's text, matched by its status, the command it answers and its words.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SituationEntry {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub after: Vec<String>,
    pub any: Vec<String>,
    pub servers: Vec<String>,
    pub sources: Vec<String>,
    pub meaning: Bilingual,
    pub next: Bilingual,
}

impl SituationEntry {
    fn fits(&self, r: &ImapResponse, verb: Option<&str>) -> bool {
        let text = r.text.to_lowercase();
        r.status.is_some_and(|s| s.word() == self.status)
            && (self.after.is_empty()
                || verb.is_some_and(|v| self.after.iter().any(|a| a.eq_ignore_ascii_case(v))))
            && self.any.iter().any(|w| text.contains(&w.to_lowercase()))
    }
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Knowledge {
    #[serde(default)]
    pub situation: Vec<SituationEntry>,
    pub status: Vec<StatusEntry>,
    pub code: Vec<CodeEntry>,
    pub data: Vec<DataEntry>,
    pub command: Vec<CommandEntry>,
    #[serde(default)]
    pub capability: Vec<CapabilityEntry>,
}

/// The file, read once. A file that does not read leaves the tables empty (a test reads it).
pub static KNOWLEDGE: LazyLock<Knowledge> =
    LazyLock::new(|| toml::from_str(FILE).unwrap_or_default());

/// The file read afresh, with its error: for the test that guards it.
pub fn read_file() -> Result<Knowledge, toml::de::Error> {
    toml::from_str(FILE)
}

pub fn status(s: ImapStatus) -> Option<&'static StatusEntry> {
    KNOWLEDGE.status.iter().find(|e| e.status == s.word())
}

pub fn code(name: &str) -> Option<&'static CodeEntry> {
    KNOWLEDGE
        .code
        .iter()
        .find(|e| e.code.eq_ignore_ascii_case(name))
}

pub fn data(name: &str) -> Option<&'static DataEntry> {
    KNOWLEDGE
        .data
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(name))
}

/// A capability's entry, by its name before any `=` (`AUTH=PLAIN`, `THREAD=REFERENCES`).
pub fn capability(name: &str) -> Option<&'static CapabilityEntry> {
    let base = name.split('=').next().unwrap_or(name);
    KNOWLEDGE
        .capability
        .iter()
        .find(|e| e.name.eq_ignore_ascii_case(base))
}

/// A command's entry; `UID FETCH` finds FETCH's.
/// The real server's situation a response is an example of, in reply to `verb`.
pub fn situation(r: &ImapResponse, verb: Option<&str>) -> Option<&'static SituationEntry> {
    KNOWLEDGE.situation.iter().find(|s| s.fits(r, verb))
}

pub fn command(verb: &str) -> Option<&'static CommandEntry> {
    let base = verb.strip_prefix("UID ").unwrap_or(verb);
    KNOWLEDGE
        .command
        .iter()
        .find(|e| e.verb.eq_ignore_ascii_case(base))
}

/// The context a response is read in.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The command it answers (for an untagged response, the one in flight), if any.
    pub verb: Option<&'a str>,
    /// The state the connection was in when that command was sent.
    pub state: &'a ImapState,
    /// The server listed LOGINDISABLED (RFC 3501 §6.2.3): LOGIN is refused on this connection.
    pub login_disabled: bool,
    /// The response is the server's first.
    pub greeting: bool,
}

/// The one explanation of a response: what it means, and what to do next when that is more
/// than going on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub meaning: String,
    pub next: Option<String>,
}

/// Explains a response from the most specific evidence: its response code, then what the
/// session shows (a command the state did not allow), then its status for the command it
/// answers, then its untagged data; a refusal quotes the server's words.
pub fn explain(r: &ImapResponse, cx: Context<'_>, lang: Lang) -> Note {
    // A capability list riding on a greeting or a completion is news beside what the
    // response says: said after it.
    if let Some(c) = r.code.as_ref().filter(|c| c.name == "CAPABILITY")
        && r.status.is_some()
        && let Some(entry) = code(&c.name)
    {
        let mut bare = r.clone();
        bare.code = None;
        let mut n = explain(&bare, cx, lang);
        n.meaning.push_str(sentence_gap(lang));
        n.meaning.push_str(entry.meaning.get(lang));
        return n;
    }
    let words = (!r.text.trim().is_empty()).then(|| r.text.trim().to_owned());
    let quoted = |n: Note| match (&words, r.status) {
        (Some(w), Some(ImapStatus::No | ImapStatus::Bad | ImapStatus::Bye)) => Note {
            meaning: format!(
                "{}{}{}",
                n.meaning,
                sentence_gap(lang),
                trf(lang, "imap.words", &[("words", w.as_str())])
            ),
            next: n.next,
        },
        _ => n,
    };
    if r.kind == ResponseKind::Continuation {
        let key = match cx.verb.map(|v| v.strip_prefix("UID ").unwrap_or(v)) {
            Some("AUTHENTICATE") => "imap.continue_auth",
            Some("IDLE") => "imap.continue_idle",
            _ => "imap.continue",
        };
        return Note {
            meaning: tr(lang, key),
            next: None,
        };
    }
    // A real server's own text, in context.
    if let Some(s) = situation(r, cx.verb) {
        return quoted(Note {
            meaning: s.meaning.get(lang).to_owned(),
            next: Some(s.next.get(lang).to_owned()),
        });
    }
    if let Some(c) = r.code.as_ref().and_then(|c| code(&c.name)) {
        return quoted(Note {
            meaning: c.meaning.get(lang).to_owned(),
            next: Some(c.next.get(lang).to_owned()),
        });
    }
    let tagged = matches!(r.kind, ResponseKind::Tagged(_));
    // LOGIN refused where the server said it would refuse it: before TLS.
    if tagged
        && matches!(r.status, Some(ImapStatus::Bad | ImapStatus::No))
        && cx.verb == Some("LOGIN")
        && cx.login_disabled
    {
        return quoted(Note {
            meaning: tr(lang, "imap.login_disabled"),
            next: Some(tr(lang, "imap.login_disabled_next")),
        });
    }
    // Only an untagged response greets: a tagged one first is a log that starts mid-session.
    if cx.greeting
        && r.kind == ResponseKind::Untagged
        && r.status == Some(ImapStatus::Ok)
        && r.code.is_none()
    {
        // A server that listed LOGINDISABLED takes no LOGIN until TLS is on.
        let key = if cx.login_disabled {
            "imap.greeting_tls_first"
        } else {
            "imap.greeting"
        };
        return Note {
            meaning: tr(lang, key),
            next: None,
        };
    }
    // A command the state did not allow, answered BAD: the session gives the cause. (A NO
    // says the server understood the command; its words give the cause.)
    if tagged
        && r.status == Some(ImapStatus::Bad)
        && let Some(verb) = cx.verb
        && super::state::allowed(verb).is_some()
        && !cx.state.permits(verb)
    {
        return quoted(Note {
            meaning: trf(
                lang,
                "imap.not_in_state",
                &[("verb", verb), ("state", &state_words(cx.state, lang))],
            ),
            next: Some(tr(lang, needed_key(verb))),
        });
    }
    if let Some(s) = r.status.and_then(status) {
        let meaning = if tagged { &s.tagged } else { &s.untagged };
        let next = (r.status != Some(ImapStatus::Ok)).then(|| s.next.get(lang).to_owned());
        return quoted(Note {
            meaning: meaning.get(lang).to_owned(),
            next,
        });
    }
    if let Some(d) = r.data.as_deref().and_then(data) {
        return Note {
            meaning: d.meaning.get(lang).to_owned(),
            next: None,
        };
    }
    Note {
        meaning: tr(lang, "imap.not_a_response"),
        next: None,
    }
}

/// What a student's mistake in a command line is, in words.
pub fn mistake_words(m: &super::CommandMistake, verb: &str, lang: Lang) -> String {
    use super::CommandMistake as M;
    match m {
        M::NoTag => tr(lang, "imap.mistake.no_tag"),
        M::BadTag => tr(lang, "imap.mistake.bad_tag"),
        M::NoCommand => tr(lang, "imap.mistake.no_command"),
        M::UnknownCommand(v) => trf(lang, "imap.mistake.unknown", &[("verb", v.as_str())]),
        M::Ungrammatical => {
            let syntax = command(verb).map(|k| k.syntax.as_str()).unwrap_or_default();
            trf(lang, "imap.mistake.grammar", &[("syntax", syntax)])
        }
    }
}

/// A command sent in a state that does not allow it, in words.
pub fn not_in_state_words(verb: &str, state: &ImapState, lang: Lang) -> String {
    trf(
        lang,
        "imap.not_in_state",
        &[("verb", verb), ("state", &state_words(state, lang))],
    )
}

/// What stands between two sentences: a space in English, nothing in Chinese.
fn sentence_gap(lang: Lang) -> &'static str {
    match lang {
        Lang::En => " ",
        Lang::Zh => "",
    }
}

/// The state in words.
pub fn state_words(s: &ImapState, lang: Lang) -> String {
    match s {
        ImapState::NotAuthenticated => tr(lang, "imap.state.not_authenticated"),
        ImapState::Authenticated => tr(lang, "imap.state.authenticated"),
        ImapState::Selected { mailbox, read_only } => trf(
            lang,
            if *read_only {
                "imap.state.selected_read_only"
            } else {
                "imap.state.selected"
            },
            &[("mailbox", mailbox)],
        ),
        ImapState::Logout => tr(lang, "imap.state.logout"),
    }
}

/// What must come before a command the state did not allow.
fn needed_key(verb: &str) -> &'static str {
    match super::state::allowed(verb) {
        Some(super::state::Allowed::NotAuthenticated) => "imap.need.not_authenticated",
        Some(super::state::Allowed::Selected) => "imap.need.selected",
        _ => "imap.need.authenticated",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::imap::command::VERBS;

    #[test]
    fn the_file_reads_and_covers_every_command_status_and_code_it_needs() {
        let k = read_file().unwrap();
        for s in ["OK", "NO", "BAD", "PREAUTH", "BYE"] {
            assert!(k.status.iter().any(|e| e.status == s), "{s}");
        }
        for v in VERBS {
            assert!(command(v).is_some(), "no entry for {v}");
        }
        // RFC 3501 §7.1's codes and RFC 5530's.
        for c in [
            "ALERT",
            "BADCHARSET",
            "CAPABILITY",
            "PARSE",
            "PERMANENTFLAGS",
            "READ-ONLY",
            "READ-WRITE",
            "TRYCREATE",
            "UIDNEXT",
            "UIDVALIDITY",
            "UNSEEN",
            "UNAVAILABLE",
            "AUTHENTICATIONFAILED",
            "AUTHORIZATIONFAILED",
            "EXPIRED",
            "PRIVACYREQUIRED",
            "CONTACTADMIN",
            "NOPERM",
            "INUSE",
            "EXPUNGEISSUED",
            "CORRUPTION",
            "SERVERBUG",
            "CLIENTBUG",
            "CANNOT",
            "LIMIT",
            "OVERQUOTA",
            "ALREADYEXISTS",
            "NONEXISTENT",
        ] {
            assert!(code(c).is_some(), "no entry for [{c}]");
        }
        for d in [
            "CAPABILITY",
            "FLAGS",
            "EXISTS",
            "RECENT",
            "EXPUNGE",
            "FETCH",
            "LIST",
            "SEARCH",
        ] {
            assert!(data(d).is_some(), "{d}");
        }
        let all = k
            .status
            .iter()
            .flat_map(|e| [&e.tagged, &e.untagged, &e.next])
            .chain(k.code.iter().flat_map(|e| [&e.meaning, &e.next]))
            .chain(k.data.iter().map(|e| &e.meaning))
            .chain(k.command.iter().map(|e| &e.what));
        for b in all {
            assert!(!b.en.trim().is_empty() && !b.zh.trim().is_empty(), "{b:?}");
            assert!(
                b.zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{b:?}"
            );
        }
        assert!(k.code.iter().all(|e| e.rfc.starts_with("RFC ")));
        for s in &k.situation {
            assert!(
                !s.sources.is_empty() && !s.servers.is_empty() && !s.any.is_empty(),
                "{}",
                s.id
            );
            // A real server's text cites where it was seen; the practice server's, its code.
            assert!(
                s.sources
                    .iter()
                    .all(|x| x.starts_with("https://") || x.starts_with("mailtutor src/")),
                "{}",
                s.id
            );
            assert!(ImapStatus::parse(&s.status).is_some(), "{}", s.id);
            for b in [&s.meaning, &s.next] {
                assert!(
                    b.zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                    "{}",
                    s.id
                );
            }
        }
    }

    fn response(line: &str) -> ImapResponse {
        ImapResponse::parse(format!("{line}\r\n").into_bytes(), false)
    }

    #[test]
    fn a_response_is_explained_from_its_code_then_the_state_then_its_status() {
        let na = ImapState::NotAuthenticated;
        let cx = |verb| Context {
            verb: Some(verb),
            state: &na,
            login_disabled: false,
            greeting: false,
        };
        let n = explain(
            &response("a1 NO [AUTHENTICATIONFAILED] Authentication failed."),
            cx("LOGIN"),
            Lang::En,
        );
        assert!(
            n.meaning.contains("user name or password is wrong"),
            "{n:?}"
        );
        assert!(n.meaning.contains("Authentication failed."), "{n:?}");
        let n = explain(
            &response("a2 BAD Command received in Invalid state."),
            cx("FETCH"),
            Lang::En,
        );
        assert!(
            n.meaning.contains("FETCH") && n.meaning.contains("not logged in"),
            "{n:?}"
        );
        let n = explain(
            &response("a2 BAD Command received in Invalid state."),
            cx("FETCH"),
            Lang::Zh,
        );
        assert!(
            n.meaning.contains("FETCH") && n.meaning.contains("登录"),
            "{n:?}"
        );
        // A log that starts with a tagged completion has no greeting: its first response is
        // the answer to the command before it.
        let first = Context {
            verb: Some("LOGIN"),
            state: &na,
            login_disabled: false,
            greeting: true,
        };
        let n = explain(&response(". OK User logged in"), first, Lang::En);
        assert!(!n.meaning.contains("greets"), "{n:?}");
        let n = explain(&response("* OK IMAP4rev1 ready"), first, Lang::En);
        assert!(n.meaning.contains("greets"), "{n:?}");
        let n = explain(
            &response("a3 NO Mailbox doesn't exist: nosuch"),
            cx("SELECT"),
            Lang::En,
        );
        assert!(
            n.meaning.contains("refused") && n.meaning.contains("nosuch"),
            "{n:?}"
        );
        assert!(!n.meaning.contains("not allowed now"), "{n:?}");
        let n = explain(&response("* 18 EXISTS"), cx("SELECT"), Lang::En);
        assert!(n.meaning.contains("How many messages"), "{n:?}");
        let n = explain(&response("+ idling"), cx("IDLE"), Lang::En);
        assert!(n.meaning.contains("DONE"), "{n:?}");
        let n = explain(&response("+ "), cx("AUTHENTICATE"), Lang::En);
        assert!(n.meaning.contains("base64"), "{n:?}");
        let n = explain(
            &response("a0002 BAD Command received in Invalid state."),
            Context {
                login_disabled: true,
                ..cx("LOGIN")
            },
            Lang::En,
        );
        assert!(n.meaning.contains("LOGINDISABLED"), "{n:?}");
        // A real server's text: 163's refusal of a client that sent no ID.
        let selected = ImapState::Authenticated;
        let n = explain(
            &response("a3 NO SELECT Unsafe Login. Please contact kefu@188.com for help"),
            Context {
                state: &selected,
                ..cx("SELECT")
            },
            Lang::En,
        );
        assert!(
            n.meaning.contains("ID command")
                && n.next.as_deref().is_some_and(|x| x.contains("a1 ID")),
            "{n:?}"
        );
        // The same words after another command are not that situation.
        let n = explain(&response("a3 NO Unsafe Login"), cx("LOGIN"), Lang::En);
        assert!(!n.meaning.contains("ID command"), "{n:?}");
        // A success is not told to do anything but go on.
        let n = explain(&response("a1 OK LOGIN completed"), cx("LOGIN"), Lang::En);
        assert_eq!(n.next, None);
    }
}
