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

    /// Text shown as it is, in every language (a line as a server sent it).
    pub fn text(text: impl ToString) -> Self {
        Self::new("words.as_is").arg("text", text)
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::*;

    const TABLES: [(&str, &str); 7] = [
        ("app.toml", include_str!("../assets/i18n/app.toml")),
        ("tutor.toml", include_str!("../assets/i18n/tutor.toml")),
        ("mime.toml", include_str!("../assets/i18n/mime.toml")),
        ("capture.toml", include_str!("../assets/i18n/capture.toml")),
        (
            "opencapture.toml",
            include_str!("../assets/i18n/opencapture.toml"),
        ),
        ("lab.toml", include_str!("../assets/i18n/lab.toml")),
        (
            "checkserver.toml",
            include_str!("../assets/i18n/checkserver.toml"),
        ),
    ];

    /// Every key of every table, with the file it is in.
    fn keys() -> BTreeMap<String, &'static str> {
        let mut all = BTreeMap::new();
        for (file, text) in TABLES {
            let table: toml::Table = toml::from_str(text).unwrap_or_else(|e| panic!("{file}: {e}"));
            for (key, value) in table {
                if key == "_version" {
                    continue;
                }
                let t = value
                    .as_table()
                    .unwrap_or_else(|| panic!("{file}: {key} is not a table"));
                for lang in ["en", "zh-CN"] {
                    let text = t.get(lang).and_then(|v| v.as_str()).unwrap_or("");
                    assert!(!text.trim().is_empty(), "{file}: {key} has no {lang} text");
                }
                assert_eq!(t.len(), 2, "{file}: {key} has an unknown language");
                if let Some(other) = all.insert(key.clone(), file) {
                    panic!("{key} is in both {other} and {file}: one would hide the other");
                }
            }
        }
        all
    }

    /// The Rust sources outside their test modules.
    fn sources() -> Vec<(String, String)> {
        fn walk(dir: &Path, out: &mut Vec<(String, String)>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    let code = match text.find("#[cfg(test)]") {
                        Some(i) => text[..i].to_owned(),
                        None => text,
                    };
                    out.push((path.display().to_string(), code));
                }
            }
        }
        let mut out = Vec::new();
        walk(
            Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src")),
            &mut out,
        );
        out
    }

    /// String literals of a source, with the line they are on.
    fn literals(code: &str) -> Vec<(usize, String)> {
        let mut out = Vec::new();
        for (n, line) in code.lines().enumerate() {
            let t = line.trim_start();
            if t.starts_with("//") {
                continue;
            }
            let mut rest = line;
            while let Some(i) = rest.find('"') {
                let after = &rest[i + 1..];
                let mut end = None;
                let mut escaped = false;
                for (j, c) in after.char_indices() {
                    match c {
                        '\\' if !escaped => escaped = true,
                        '"' if !escaped => {
                            end = Some(j);
                            break;
                        }
                        _ => escaped = false,
                    }
                }
                let Some(j) = end else { break };
                out.push((n + 1, after[..j].to_owned()));
                rest = &after[j + 1..];
            }
        }
        out
    }

    #[test]
    fn every_entry_has_both_languages_and_one_home() {
        assert!(keys().len() > 400);
    }

    /// A literal that looks like a key of a family the tables use (`smtp.outcome.bye`,
    /// `what.sender`) must be in the tables: a typo would show the key on screen.
    #[test]
    fn every_key_used_in_the_sources_is_in_a_table() {
        let keys = keys();
        let families: std::collections::BTreeSet<&str> =
            keys.keys().filter_map(|k| k.split('.').next()).collect();
        let mut used = 0;
        let mut missing = Vec::new();
        for (file, code) in sources() {
            for (line, lit) in literals(&code) {
                let is_key = lit.contains('.')
                    && !lit.contains(' ')
                    && lit
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
                    && lit.split('.').all(|p| !p.is_empty())
                    && !lit.ends_with(".toml");
                if !is_key || !families.contains(lit.split('.').next().unwrap_or("")) {
                    continue;
                }
                used += 1;
                if !keys.contains_key(&lit) {
                    missing.push(format!("{file}:{line}: {lit}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "keys not in the tables:\n{}",
            missing.join("\n")
        );
        assert!(used > 300, "only {used} keys found: the scan is broken");
        // Keys built at run time.
        for step in [
            "connect",
            "wait_greeting",
            "wait_reply",
            "tls",
            "username",
            "password",
            "plain",
            "message",
        ] {
            assert!(
                keys.contains_key(&format!("smtp.step.{step}.noun")),
                "{step}"
            );
        }
        for field in ["meaning", "explain", "cause", "next", "servers", "unknown"] {
            assert!(keys.contains_key(&format!("label.{field}")), "{field}");
        }
        for name in crate::proto::message_lines::KNOWN {
            assert!(keys.contains_key(&format!("msg.header.{name}")), "{name}");
        }
    }

    /// No sentence of the tutor is written in the code: no Chinese outside the tables and the
    /// knowledge base, and no language switch that picks between two literals.
    #[test]
    fn no_prose_in_the_sources() {
        let mut found = Vec::new();
        for (file, code) in sources() {
            for (n, line) in code.lines().enumerate() {
                let t = line.trim_start();
                if t.starts_with("//") {
                    continue;
                }
                if line.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
                    || line.contains(".pick(")
                    || line.contains("if zh")
                {
                    found.push(format!("{file}:{}: {}", n + 1, line.trim()));
                }
            }
        }
        assert!(found.is_empty(), "prose in the code:\n{}", found.join("\n"));
    }

    /// No English sentence is written in the window's or the command line's code either: every
    /// phrase they show comes from the tables, in the reader's language. A literal of two or more words is
    /// prose unless it is one of the few that are not (key names, a marker other programs
    /// read, addresses and ports).
    #[test]
    fn no_english_phrases_in_the_window_or_command_line_code() {
        const NOT_PROSE: &[&str] = &[
            // Printed for scripts/startup.sh and scripts/screenshots.sh to read, not for people.
            "first frame painted after {} ms",
            "mailtutor demo: done",
            // Key names, codes and addresses, the same in every language.
            "Ctrl+= / Ctrl+-",
            "535, 5.7.8, -ERR, IN-USE",
            "SMTP {ip}:2525   SMTPS {ip}:4465   POP3 {ip}:1110   POP3S {ip}:1995   IMAP {ip}:1143   IMAPS {ip}:1993",
            "  SMTP   {}  (STARTTLS)",
            "  IMAP   {}  (STARTTLS)",
            "  POP3   {}  (STLS)",
            // The command-line tools name themselves before a message made of words.
            "mailtutor serve: {e}",
            "mailtutor serve: {}",
            "mailtutor send: {}",
            "mailtutor read: {}",
            "mailtutor explain: {}",
            "mailtutor check-server: {}",
            // The FETCH items `read` lists a mailbox with: protocol words.
            "(FLAGS RFC822.SIZE ENVELOPE)",
            // The default subject `send` puts in the message it sends.
            "mailtutor test",
        ];
        let mut found = Vec::new();
        for (file, code) in sources() {
            if !file.contains("/src/ui/")
                && !file.contains("/src/cli/")
                && !file.ends_with("main.rs")
            {
                continue;
            }
            for (line, lit) in literals(&code) {
                let without_args: String = {
                    let mut out = String::new();
                    let mut depth = 0;
                    for c in lit.chars() {
                        match c {
                            '{' => depth += 1,
                            '}' => depth = (depth - 1).max(0),
                            c if depth == 0 => out.push(c),
                            _ => {}
                        }
                    }
                    out
                };
                let words = without_args
                    .split(|c: char| !c.is_ascii_alphabetic())
                    .filter(|w| w.len() >= 2)
                    .count();
                if words >= 2 && lit.contains(' ') && !NOT_PROSE.contains(&lit.as_str()) {
                    found.push(format!("{file}:{line}: {lit}"));
                }
            }
        }
        // The server log's own notes are words too: none is a line of text made in the code.
        for (file, code) in sources() {
            for (n, line) in code.lines().enumerate() {
                if line.contains("(Side::Note, \"") {
                    found.push(format!("{file}:{}: {}", n + 1, line.trim()));
                }
            }
        }
        assert!(
            found.is_empty(),
            "English phrases in the window's code or the server log's notes (put them in \
             assets/i18n):\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn words_are_filled_in_the_readers_language() {
        let w = Words::new("connect.tls")
            .arg("target", "mx:25")
            .arg_key("reason", "tls.self_signed");
        assert_eq!(
            w.get(Lang::En),
            "TLS with mx:25 failed: the certificate is self-signed, so no authority vouches for it"
        );
        assert!(
            w.get(Lang::Zh)
                .starts_with("与 mx:25 的 TLS 失败：证书是自签名的")
        );
        assert_eq!(tr(Lang::En, "no.such.key"), "no.such.key");
        assert!(!has("no.such.key"));
    }
}
