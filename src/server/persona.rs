//! Personas: the practice server speaking with the words and policies of a real server (QQ Mail,
//! NetEase 163, Gmail, Outlook, Postfix), so a lab without internet rehearses what the real one
//! will say. The texts are data in `assets/personas/`; each is an example of a situation in the
//! knowledge base, which cites where it was seen.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::proto::Lang;

/// The servers a persona can stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PersonaId {
    Qq,
    Netease163,
    Gmail,
    Outlook,
    Postfix,
}

impl PersonaId {
    pub const ALL: [PersonaId; 5] = [
        PersonaId::Qq,
        PersonaId::Netease163,
        PersonaId::Gmail,
        PersonaId::Outlook,
        PersonaId::Postfix,
    ];

    /// The name `serve --persona` takes.
    pub fn name(self) -> &'static str {
        match self {
            PersonaId::Qq => "qq",
            PersonaId::Netease163 => "163",
            PersonaId::Gmail => "gmail",
            PersonaId::Outlook => "outlook",
            PersonaId::Postfix => "postfix",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
    }

    fn source(self) -> &'static str {
        match self {
            PersonaId::Qq => include_str!("../../assets/personas/qq.toml"),
            PersonaId::Netease163 => include_str!("../../assets/personas/163.toml"),
            PersonaId::Gmail => include_str!("../../assets/personas/gmail.toml"),
            PersonaId::Outlook => include_str!("../../assets/personas/outlook.toml"),
            PersonaId::Postfix => include_str!("../../assets/personas/postfix.toml"),
        }
    }

    /// The persona's data, read once from the compiled-in TOML.
    pub fn persona(self) -> &'static Persona {
        static ALL: OnceLock<BTreeMap<PersonaId, Persona>> = OnceLock::new();
        let all = ALL.get_or_init(|| {
            PersonaId::ALL
                .into_iter()
                // The files are checked by a test; a broken one gives an empty persona,
                // which answers with the practice server's own words.
                .map(|id| (id, toml::from_str(id.source()).unwrap_or_default()))
                .collect()
        });
        static EMPTY: OnceLock<Persona> = OnceLock::new();
        all.get(&self)
            .unwrap_or_else(|| EMPTY.get_or_init(Persona::default))
    }
}

impl std::str::FromStr for PersonaId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::from_name(s).ok_or_else(|| {
            let names: Vec<&str> = Self::ALL.iter().map(|p| p.name()).collect();
            format!("unknown persona {s:?}: use one of {}", names.join(", "))
        })
    }
}

/// A reply text and the knowledge-base situation it is an example of.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct CitedText {
    pub text: String,
    pub situation: String,
}

/// The moments where a persona says its own words.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct PersonaReplies {
    /// The 220 banner.
    pub greeting: Option<CitedText>,
    /// AUTH or MAIL before STARTTLS, when TLS is required.
    pub tls_required: Option<CitedText>,
    /// A wrong username or password.
    pub auth_failed: Option<CitedText>,
    /// MAIL FROM before a successful AUTH.
    pub auth_required: Option<CitedText>,
    /// A message refused at its final dot for a missing header (see `reject_without`).
    pub rejected: Option<CitedText>,
    /// IMAP: SELECT, EXAMINE or STATUS before the client said who it is with ID (NetEase's
    /// refusal), written after `tag NO VERB `.
    #[serde(default)]
    pub imap_unsafe_login: Option<CitedText>,
    /// IMAP: a wrong user name or password, written after `tag NO `. A text that starts with
    /// `LOGIN ` says `AUTHENTICATE ` instead after AUTHENTICATE, as Outlook's does.
    #[serde(default)]
    pub imap_auth_failed: Option<CitedText>,
    /// IMAP: the greeting's words, after `* OK [CAPABILITY …] ` (the practice server still
    /// lists what it can do); `{client}` stands for the client's address, as Gmail names it.
    #[serde(default)]
    pub imap_greeting: Option<CitedText>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LocalName {
    pub en: String,
    pub zh: String,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Persona {
    pub name: LocalName,
    /// The server names the knowledge base uses for this server.
    pub servers: Vec<String>,
    pub require_auth: bool,
    pub require_tls: bool,
    pub lowercase_prompt: bool,
    /// Header fields whose absence gets the message `rejected` at its final dot.
    pub reject_without: Vec<String>,
    pub replies: PersonaReplies,
}

impl Persona {
    pub fn name(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.name.en,
            Lang::Zh => &self.name.zh,
        }
    }

    /// Every text with its situation, for the checks against the knowledge base.
    pub fn texts(&self) -> Vec<&CitedText> {
        let r = &self.replies;
        [
            &r.greeting,
            &r.tls_required,
            &r.auth_failed,
            &r.auth_required,
            &r.rejected,
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The IMAP texts with their situations (in `assets/codes/imap.toml`).
    pub fn imap_texts(&self) -> Vec<&CitedText> {
        let r = &self.replies;
        [&r.imap_unsafe_login, &r.imap_auth_failed, &r.imap_greeting]
            .into_iter()
            .flatten()
            .collect()
    }

    /// The header field a message lacks that this persona refuses it for.
    pub fn missing_header<'a>(&'a self, message: &[u8]) -> Option<&'a str> {
        self.replies.rejected.as_ref()?;
        let end = message
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or(message.len());
        let head = String::from_utf8_lossy(&message[..end]).to_ascii_lowercase();
        self.reject_without
            .iter()
            .map(String::as_str)
            .find(|field| {
                let wanted = format!("{}:", field.to_ascii_lowercase());
                !head.split("\r\n").any(|line| line.starts_with(&wanted))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_persona_reads_and_names_round_trip() {
        for id in PersonaId::ALL {
            let p: Persona = toml::from_str(id.source()).unwrap_or_else(|e| panic!("{id:?}: {e}"));
            assert!(
                !p.name.en.is_empty() && p.replies.greeting.is_some(),
                "{id:?}"
            );
            assert_eq!(id.name().parse::<PersonaId>(), Ok(id));
        }
        assert!("yahoo".parse::<PersonaId>().is_err());
    }

    #[test]
    fn missing_headers_are_found_in_the_header_only() {
        let p = PersonaId::Netease163.persona();
        assert_eq!(
            p.missing_header(b"From: a@b\r\n\r\nSubject: in the body\r\n"),
            Some("Subject")
        );
        assert_eq!(
            p.missing_header(b"From: a@b\r\nSubject: hi\r\n\r\nbody\r\n"),
            None
        );
        assert_eq!(
            PersonaId::Qq
                .persona()
                .missing_header(b"Subject: hi\r\n\r\n"),
            Some("From")
        );
        assert_eq!(PersonaId::Gmail.persona().missing_header(b"\r\n\r\n"), None);
    }
}
