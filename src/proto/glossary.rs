//! Words of other languages that servers write, read as the English words the word families
//! use: "Passwort ungültig" is read as "password invalid", "Сообщение 7 не существует" as
//! "message 7 does not exist". Classmates' servers, and many schools' and providers', answer in
//! German, French, Russian, Turkish …; the families are written once, in English (Chinese and
//! Japanese words stay in them as they are).

use std::borrow::Cow;
use std::collections::HashMap;

use serde::Deserialize;

pub const FILE: &str = include_str!("../../assets/glossary.toml");

#[derive(Debug, Deserialize)]
struct GlossaryFile {
    /// Per language, a word or phrase and the English it is read as.
    words: HashMap<String, HashMap<String, String>>,
}

/// One word of a phrase: written out, or a stem (`парол*`) that any ending completes.
#[derive(Debug, Clone)]
struct Part {
    text: String,
    stem: bool,
}

impl Part {
    fn matches(&self, word: &str) -> bool {
        if self.stem {
            word.starts_with(&self.text)
        } else {
            word == self.text
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    parts: Vec<Part>,
    english: String,
}

/// The phrases of every language, found by their first word.
#[derive(Debug, Default)]
pub struct Glossary {
    by_first: HashMap<String, Vec<Entry>>,
    /// Phrases whose first word is a stem, by the stem's first two letters.
    by_stem: HashMap<String, Vec<Entry>>,
}

/// Whether `c` is a letter of a word this module reads: letters of alphabetic scripts, not
/// Chinese, Japanese or Korean, which the word families match as they stand.
fn is_letter(c: char) -> bool {
    c.is_alphabetic()
        && !matches!(c as u32,
            0x1100..=0x11FF | 0x2E80..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF
            | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// A letter without its accent, as servers that write plain ASCII spell it ("ungultig",
/// "boite"); ё as е; a Greek vowel without its tonos (the accent moves as the word is inflected).
fn plain(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ą' | 'ă' => 'a',
        'ç' | 'ć' | 'č' => 'c',
        'ď' => 'd',
        'è' | 'é' | 'ê' | 'ë' | 'ę' | 'ě' => 'e',
        'ğ' => 'g',
        'ì' | 'í' | 'î' | 'ï' | 'ı' => 'i',
        'ł' => 'l',
        'ñ' | 'ń' | 'ň' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ő' => 'o',
        'ř' => 'r',
        'ś' | 'š' | 'ş' => 's',
        'ť' => 't',
        'ù' | 'ú' | 'û' | 'ü' | 'ů' | 'ű' => 'u',
        'ý' | 'ÿ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        'ё' => 'е',
        'ά' => 'α',
        'έ' => 'ε',
        'ή' => 'η',
        'ί' | 'ϊ' | 'ΐ' => 'ι',
        'ό' => 'ο',
        'ύ' | 'ϋ' | 'ΰ' => 'υ',
        'ώ' => 'ω',
        c => c,
    }
}

fn folded(word: &str) -> String {
    word.chars()
        .flat_map(char::to_lowercase)
        .map(plain)
        .collect()
}

/// The words of `text`, each as (start, end) byte offsets. A word glued to a digit is an
/// identifier, not a word, and is left out.
fn words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut glued = false;
    let mut prev: Option<char> = None;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if is_letter(c) {
            if start.is_none() {
                start = Some(i);
                glued = prev.is_some_and(|p| p.is_ascii_digit());
            }
        } else if let Some(s) = start.take()
            && !glued
            && !c.is_ascii_digit()
        {
            out.push((s, i));
        }
        prev = Some(c);
    }
    out
}

/// Whether `c` joins two words into one phrase: a space, an apostrophe ("n'existe") or a
/// hyphen; a stop or a comma ends a phrase.
fn joiner(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\'' | '\u{2019}' | '-')
}

/// Whether the text between two words of a phrase keeps them one phrase.
fn joins(between: &str) -> bool {
    !between.is_empty() && between.chars().all(joiner)
}

/// The first two letters of a word: the key a stem is found by.
fn stem_key(word: &str) -> &str {
    let two = word.char_indices().nth(2).map_or(word.len(), |(at, _)| at);
    &word[..two]
}

impl Glossary {
    pub fn load() -> Result<Self, String> {
        let file: GlossaryFile = toml::from_str(FILE).map_err(|e| format!("glossary.toml: {e}"))?;
        let mut g = Self::default();
        for (lang, table) in &file.words {
            for (phrase, english) in table {
                let parts: Vec<Part> = phrase
                    .split(joiner)
                    .filter(|w| !w.is_empty())
                    .map(|w| match w.strip_suffix('*') {
                        Some(stem) => Part {
                            text: folded(stem),
                            stem: true,
                        },
                        None => Part {
                            text: folded(w),
                            stem: false,
                        },
                    })
                    .collect();
                let Some(first) = parts.first() else {
                    return Err(format!("glossary.toml: an empty phrase in {lang}"));
                };
                if first.stem && first.text.chars().count() < 3 {
                    return Err(format!(
                        "glossary.toml: {phrase:?} ({lang}): stem too short"
                    ));
                }
                let index = if first.stem {
                    &mut g.by_stem
                } else {
                    &mut g.by_first
                };
                let key = if first.stem {
                    stem_key(&first.text)
                } else {
                    &first.text
                };
                index.entry(key.to_owned()).or_default().push(Entry {
                    english: english.to_lowercase(),
                    parts,
                });
            }
        }
        Ok(g)
    }

    /// `text` (lowercase) with each phrase of another language as its English; text with none
    /// is borrowed. The longest phrase found at a word wins.
    pub fn applied<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let spans = words(text);
        if spans.is_empty() {
            return text.into();
        }
        // The text is lowercase already: an ASCII word is its own folded form.
        let folded_words: Vec<Cow<'_, str>> = spans
            .iter()
            .map(|&(s, e)| {
                let w = &text[s..e];
                if w.is_ascii() {
                    Cow::Borrowed(w)
                } else {
                    Cow::Owned(folded(w))
                }
            })
            .collect();
        let mut out: Option<String> = None;
        let mut last = 0;
        let mut i = 0;
        while i < spans.len() {
            let first: &str = &folded_words[i];
            let candidates = self
                .by_first
                .get(first)
                .into_iter()
                .flatten()
                .chain(self.by_stem.get(stem_key(first)).into_iter().flatten());
            let mut best: Option<(usize, &str)> = None;
            for entry in candidates {
                let n = entry.parts.len();
                if i + n > spans.len() || best.is_some_and(|(m, _)| m >= n) {
                    continue;
                }
                let found = entry.parts.iter().enumerate().all(|(k, part)| {
                    part.matches(&folded_words[i + k])
                        && (k == 0 || joins(&text[spans[i + k - 1].1..spans[i + k].0]))
                });
                if found {
                    best = Some((n, &entry.english));
                }
            }
            match best {
                Some((n, english)) => {
                    let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 16));
                    o.push_str(&text[last..spans[i].0]);
                    o.push_str(english);
                    last = spans[i + n - 1].1;
                    i += n;
                }
                None => i += 1,
            }
        }
        match out {
            Some(mut o) => {
                o.push_str(&text[last..]);
                o.into()
            }
            None => text.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every word or phrase the glossary reads, as written in the file, with its English.
    fn entries() -> Vec<(String, String)> {
        toml::from_str::<GlossaryFile>(FILE)
            .map(|f| f.words.into_values().flat_map(|t| t.into_iter()).collect())
            .unwrap_or_default()
    }

    fn read(text: &str) -> String {
        Glossary::load()
            .expect("glossary loads")
            .applied(&text.to_lowercase())
            .into_owned()
    }

    #[test]
    fn the_file_loads() {
        assert!(Glossary::load().is_ok());
        assert!(entries().len() > 100);
    }

    #[test]
    fn phrases_of_other_languages_read_as_english() {
        for (text, english) in [
            ("-ERR Passwort ungültig", "-err password invalid"),
            ("-ERR Passwort ungueltig", "-err password invalid"),
            ("-ERR Mot de passe invalide", "-err password invalid"),
            (
                "-ERR Сообщение 7 не существует",
                "-err message 7 does not exist",
            ),
            ("500 Bilinmeyen komut", "500 unknown command"),
            ("-ERR Άγνωστη εντολή", "-err unknown command"),
            ("-ERR Mật khẩu sai", "-err password wrong"),
            (
                "550 L'utilisateur n'existe pas",
                "550 l'user does not exist",
            ),
            ("-ERR Salasana on väärä", "-err password on wrong"),
            ("-ERR Nom d'usuari desconegut", "-err username unknown"),
            ("-ERR Neplatné heslo", "-err invalid password"),
            ("-ERR Pogrešna lozinka", "-err wrong password"),
            ("-ERR Непознат корисник", "-err unknown user"),
            ("-ERR Neteisingas slaptažodis", "-err wrong password"),
            (
                "-ERR Relay temporär nicht verfügbar",
                "-err relay temporär not available",
            ),
            (
                "-ERR Error al borrar el mensaje",
                "-err error al delete el message",
            ),
            (
                "-ERR Komenda TOP nie jest obsługiwana",
                "-err command top is not supported",
            ),
        ] {
            assert_eq!(read(text), english);
        }
    }

    #[test]
    fn english_chinese_and_identifiers_stay_as_they_are() {
        for text in [
            "550 5.1.1 user unknown",
            "535 认证失败 authentication failed",
            "550 id=passwort42 rejected",
        ] {
            assert_eq!(read(text), text.to_lowercase());
        }
    }

    #[test]
    fn a_phrase_is_not_read_across_a_stop() {
        // "nicht bekannt" is "unknown"; "nicht. bekannt" two sentences.
        assert_eq!(read("nicht bekannt"), "unknown");
        assert_eq!(read("nicht. bekannt"), "not. bekannt");
    }

    /// The words of the topics' English texts.
    fn english_words() -> std::collections::HashSet<String> {
        crate::proto::topics::FILE
            .lines()
            .filter(|l| l.contains("en = \""))
            .flat_map(|l| {
                l.split(|c: char| !c.is_ascii_alphabetic())
                    .filter(|w| w.len() > 1)
                    .map(str::to_lowercase)
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// A word of the glossary that is also an English word would change English replies.
    #[test]
    fn no_glossary_word_is_an_english_word() {
        let english = english_words();
        for (phrase, _) in entries() {
            // Read without its accents, as the glossary reads it ("refusé" is "refuse").
            if let [one] = phrase.split_whitespace().collect::<Vec<_>>()[..] {
                assert!(
                    !english.contains(&folded(one.trim_end_matches('*'))),
                    "{phrase:?} is an English word"
                );
            }
        }
    }

    /// A word of the glossary that is the stem of a pattern ("temporär" read without its
    /// accent is the "temporar" of "temporar*") would turn the pattern into another word, so
    /// that the English words it was written for ("temporary") no longer match it.
    #[test]
    fn no_glossary_word_is_a_patterns_stem() {
        let stems: std::collections::HashSet<String> = crate::proto::topics::FILE
            .split('"')
            .flat_map(|s| s.split_whitespace())
            .filter_map(|w| w.strip_suffix('*'))
            .map(str::to_lowercase)
            .collect();
        assert!(stems.contains("temporar"), "{stems:?}");
        // An English stem begins English words of the topics' texts; a German one
        // ("benutzer*") is meant to be read through the glossary.
        let english = english_words();
        for (phrase, english_of) in entries() {
            let word = folded(phrase.trim_end_matches('*'));
            let english_stem = stems.contains(&word)
                && english
                    .iter()
                    .any(|e| e.len() > word.len() && e.starts_with(&word));
            assert!(
                word == english_of || !english_stem,
                "{phrase:?} is a pattern's stem"
            );
        }
    }
}
