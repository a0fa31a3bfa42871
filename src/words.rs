//! Every sentence the tutor shows, looked up by key in the translation tables under
//! `assets/i18n/` (English and 简体中文 side by side). Code names a text by its key; the words
//! are data.

use crate::proto::Lang;

/// The locale tag of a language in the translation tables.
pub fn tag(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Zh => "zh-CN",
    }
}

/// The text of `key` in `lang`. A key missing from the tables shows as the key itself, so a
/// gap is visible (and the table tests fail).
pub fn tr(lang: Lang, key: &str) -> String {
    rust_i18n::t!(key, locale = tag(lang)).into_owned()
}

/// Like [`tr`], with `%{name}` placeholders filled in.
pub fn trf(lang: Lang, key: &str, args: &[(&str, &str)]) -> String {
    let names: Vec<&str> = args.iter().map(|(n, _)| *n).collect();
    let values: Vec<String> = args.iter().map(|(_, v)| (*v).to_owned()).collect();
    rust_i18n::replace_patterns(&tr(lang, key), &names, &values)
}

/// True when the tables have `key` (a missing key comes back as itself).
pub fn has(key: &str) -> bool {
    tr(Lang::En, key) != key
}

/// A sentence not yet in a language: its key and the values for its placeholders. Errors and
/// events carry one, and it is worded when shown, in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub key: &'static str,
    pub args: Vec<(&'static str, Arg)>,
}

/// The value of a placeholder: text as it is (an address, a number, a quoted OS message), or
/// another key, worded in the same language as the sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    Text(String),
    Key(&'static str),
    Words(Box<Words>),
}

impl Words {
    pub fn new(key: &'static str) -> Self {
        Self {
            key,
            args: Vec::new(),
        }
    }

    /// Fills the placeholder `%{name}` with a value.
    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, Arg::Text(value.to_string())));
        self
    }

    /// Fills the placeholder `%{name}` with the words of another key.
    pub fn arg_key(mut self, name: &'static str, key: &'static str) -> Self {
        self.args.push((name, Arg::Key(key)));
        self
    }

    /// Fills the placeholder `%{name}` with another sentence.
    pub fn arg_words(mut self, name: &'static str, words: Words) -> Self {
        self.args.push((name, Arg::Words(Box::new(words))));
        self
    }

    /// The sentence in `lang`.
    pub fn get(&self, lang: Lang) -> String {
        let values: Vec<(&str, String)> = self
            .args
            .iter()
            .map(|(n, a)| match a {
                Arg::Text(t) => (*n, t.clone()),
                Arg::Key(k) => (*n, tr(lang, k)),
                Arg::Words(w) => (*n, w.get(lang)),
            })
            .collect();
        let args: Vec<(&str, &str)> = values.iter().map(|(n, v)| (*n, v.as_str())).collect();
        trf(lang, self.key, &args)
    }
}

impl std::fmt::Display for Words {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.get(Lang::En))
    }
}
