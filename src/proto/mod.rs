//! Sans-IO protocol knowledge: parsing, commands, state machines, AUTH, message composition
//! and the reply-code knowledge base. No threads, no sockets, no GUI.

pub mod auth;
pub mod capture_read;
pub mod capture_write;
pub mod client;
pub mod codes;
pub mod explanation;
pub mod extension;
pub mod glossary;
pub mod imap;
pub mod lab;
pub mod line;
pub mod logs;
pub mod message;
pub mod message_lines;
pub mod mime;
pub mod mime_decode;
pub mod mime_tree;
pub mod pop3;
pub mod pop3_reply;
pub mod pop3_state;
pub mod reference;
pub mod reply;
pub mod secret;
pub mod situations;
pub mod smtp;
pub mod smtp_outcome;
pub mod smtp_state;
pub mod spelling;
pub mod topics;
pub mod vocab;

pub use vocab::Protocol;

/// The two languages every explanation comes in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, serde::Serialize, serde::Deserialize,
)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    /// Parses `en`, `zh`, `zh-CN`, `zh_Hans`, … (for flags and OS locales).
    pub fn from_tag(tag: &str) -> Option<Self> {
        let t = tag.to_ascii_lowercase();
        if t.starts_with("zh") {
            Some(Lang::Zh)
        } else if t.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }
}

/// Text in both languages, as the knowledge base's data files write it.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Deserialize)]
pub struct Bilingual {
    pub en: String,
    pub zh: String,
}

impl Bilingual {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Zh => &self.zh,
        }
    }
}
