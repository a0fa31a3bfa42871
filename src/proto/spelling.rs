//! Words as the knowledge base spells them: British spellings read as American ones
//! ("unrecognised" as "unrecognized"), and a long word one slip away from a word the knowledge
//! uses read as that word ("suported" as "supported"). Servers are written by people; a
//! classmate's server misspells, and the word families should still be read.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

/// Endings spelt two ways: British, then American.
const ENDINGS: [(&str, &str); 9] = [
    ("isations", "izations"),
    ("isation", "ization"),
    ("isers", "izers"),
    ("ising", "izing"),
    ("iser", "izer"),
    ("ised", "ized"),
    ("ises", "izes"),
    ("ise", "ize"),
    ("our", "or"),
];

/// Letters a word keeps before an ending that is rewritten ("author" + "ised"): shorter words
/// ("rise", "your", "noise") are left as they are.
const MIN_STEM: usize = 4;

/// A word's American spelling, or `None` when it already is one (or is too short to tell).
fn american(word: &str) -> Option<String> {
    for (uk, us) in [("cancell", "cancel"), ("graylist", "greylist")] {
        if let Some(rest) = word.strip_prefix(uk) {
            return Some(format!("{us}{rest}"));
        }
    }
    ENDINGS.iter().find_map(|(uk, us)| {
        let stem = word.strip_suffix(uk)?;
        (stem.len() >= MIN_STEM).then(|| format!("{stem}{us}"))
    })
}

/// Applies `f` to each run of ASCII letters of `text`; unchanged text is borrowed.
fn each_word(text: &str, mut f: impl FnMut(&str) -> Option<String>) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    let mut last = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
            i += 1;
        }
        // Only whole words: letters glued to digits or other scripts are an identifier.
        let glued = |b: Option<&u8>| b.is_some_and(|b| b.is_ascii_digit() || *b >= 0x80);
        if glued(start.checked_sub(1).and_then(|p| bytes.get(p))) || glued(bytes.get(i)) {
            continue;
        }
        if let Some(new) = f(&text[start..i]) {
            let o = out.get_or_insert_with(|| String::with_capacity(text.len() + 8));
            o.push_str(&text[last..start]);
            o.push_str(&new);
            last = i;
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

/// Lowercase `text` with contractions written out ("doesn't" as "does not") and British
/// endings written the American way.
pub fn normalized(text: &str) -> Cow<'_, str> {
    match without_contractions(text) {
        Cow::Borrowed(t) => each_word(t, american),
        Cow::Owned(t) => Cow::Owned(each_word(&t, american).into_owned()),
    }
}

/// "can't" as "cannot", "won't" as "will not", any other "n't" as " not" (either apostrophe).
fn without_contractions(text: &str) -> Cow<'_, str> {
    if !text.contains("n't") && !text.contains("n\u{2019}t") {
        return text.into();
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut rest = text;
    while let Some(at) = rest.find(['\'', '\u{2019}']) {
        let (before, from) = rest.split_at(at);
        let quote = from.chars().next().map_or(1, char::len_utf8);
        let after = &from[quote..];
        let contracted = before.ends_with('n')
            && after.starts_with('t')
            && !after[1..].starts_with(|c: char| c.is_ascii_alphanumeric());
        if !contracted {
            out.push_str(before);
            out.push_str(&from[..quote]);
        } else if before.ends_with("can") {
            out.push_str(before);
            out.push_str("not");
        } else if let Some(w) = before.strip_suffix("won") {
            out.push_str(w);
            out.push_str("will not");
        } else {
            out.push_str(&before[..before.len() - 1]);
            out.push_str(" not");
        }
        rest = if contracted { &after[1..] } else { after };
    }
    out.push_str(rest);
    out.into()
}

/// Words written several ways that the knowledge base reads as one ("passwd", "pwd" as
/// "password"; "maildrop" as "mailbox"), from the data files.
#[derive(Debug, Default)]
pub struct Same(HashMap<String, String>);

impl Same {
    /// From a table of a word to the other ways it is written.
    pub fn new(table: &HashMap<String, Vec<String>>) -> Self {
        Self(
            table
                .iter()
                .flat_map(|(word, others)| {
                    others
                        .iter()
                        .map(move |o| (o.to_lowercase(), word.to_lowercase()))
                })
                .collect(),
        )
    }

    /// Lowercase `text` with each word written another way as the one word.
    pub fn applied<'t>(&self, text: &'t str) -> Cow<'t, str> {
        if self.0.is_empty() {
            return text.into();
        }
        each_word(text, |w| self.0.get(w).cloned())
    }
}

/// Words shorter than this are never taken for a slip: "locked" and "blocked" stay apart.
const MIN_CORRECTED: usize = 7;

/// The words the knowledge base uses, to read a slightly misspelt word as one of them.
#[derive(Debug, Default)]
pub struct Vocabulary {
    known: HashSet<String>,
    /// Each long word, and each form of it with one letter left out, to the words it came
    /// from: two words one edit apart share one of these forms.
    deletions: HashMap<String, Vec<usize>>,
    long: Vec<String>,
}

fn without_one(word: &str) -> impl Iterator<Item = String> + '_ {
    (0..word.len()).map(move |i| format!("{}{}", &word[..i], &word[i + 1..]))
}

/// Whether `a` and `b` are one slip of the fingers apart: a letter left out or doubled in the
/// middle of the word, or two neighbouring letters swapped. A letter changed for another
/// ("related", "relayed") or an ending added ("provide", "provider") makes another word.
fn one_slip(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let (ra, rb) = (&a[pre..], &b[pre..]);
    let (long, short) = if ra.len() >= rb.len() {
        (ra, rb)
    } else {
        (rb, ra)
    };
    match long.len() - short.len() {
        0 => {
            long.len() >= 2 && long[0] == short[1] && long[1] == short[0] && long[2..] == short[2..]
        }
        1 => !short.is_empty() && long[1..] == *short,
        _ => false,
    }
}

/// `word` with every run of three or more of one letter cut to `keep`, if it has such a run.
fn held_key(word: &str, keep: usize) -> Option<String> {
    let b = word.as_bytes();
    if !b.windows(3).any(|w| w[0] == w[1] && w[1] == w[2]) {
        return None;
    }
    let mut out = String::with_capacity(word.len());
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        run = if i > 0 && b[i - 1] == c { run + 1 } else { 1 };
        if run <= keep {
            out.push(char::from(c));
        }
    }
    Some(out)
}

impl Vocabulary {
    /// The vocabulary of `words` (lowercase; any text, split into runs of letters).
    pub fn build<'a>(words: impl IntoIterator<Item = &'a str>) -> Self {
        let mut v = Self::default();
        for text in words {
            for w in text
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| !w.is_empty())
            {
                if v.known.insert(w.to_owned()) && w.len() >= MIN_CORRECTED {
                    let id = v.long.len();
                    v.long.push(w.to_owned());
                    for form in std::iter::once(w.to_owned()).chain(without_one(w)) {
                        let ids = v.deletions.entry(form).or_default();
                        if !ids.contains(&id) {
                            ids.push(id);
                        }
                    }
                }
            }
        }
        v
    }

    /// The one known word `word` is a slip of: same first letter, one edit away, and no
    /// other known word as near.
    fn correction(&self, word: &str) -> Option<&str> {
        // A letter struck three times or more ("errror", "fulll") is a held key: the word
        // with that letter twice, or once, if that is a known word.
        if let Some(w) = held_key(word, 2).filter(|w| self.known.contains(w)) {
            return self.known.get(&w).map(String::as_str);
        }
        if let Some(w) = held_key(word, 1).filter(|w| self.known.contains(w)) {
            return self.known.get(&w).map(String::as_str);
        }
        if word.len() < MIN_CORRECTED || self.known.contains(word) {
            return None;
        }
        let mut found: Option<usize> = None;
        for form in std::iter::once(word.to_owned()).chain(without_one(word)) {
            for &id in self.deletions.get(&form).into_iter().flatten() {
                let w = &self.long[id];
                if w.as_bytes()[0] != word.as_bytes()[0] || !one_slip(w, word) {
                    continue;
                }
                match found {
                    Some(f) if f != id => return None,
                    _ => found = Some(id),
                }
            }
        }
        found.map(|id| self.long[id].as_str())
    }

    /// Lowercase `text` with each slightly misspelt long word read as the known word.
    pub fn corrected<'t>(&self, text: &'t str) -> Cow<'t, str> {
        each_word(text, |w| self.correction(w).map(str::to_owned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn british_endings_read_as_american_ones() {
        assert_eq!(
            normalized("500 command not recognised"),
            "500 command not recognized"
        );
        assert_eq!(
            normalized("unauthorised use; behaviour"),
            "unauthorized use; behavior"
        );
        assert_eq!(
            normalized("authentication cancelled"),
            "authentication canceled"
        );
        // Short words and identifiers stay as they are.
        assert_eq!(
            normalized("your hour; rise; noise"),
            "your hour; rise; noise"
        );
        assert_eq!(normalized("id=abcdise9"), "id=abcdise9");
    }

    #[test]
    fn one_slip_in_a_long_word_is_read_as_the_known_word() {
        let v = Vocabulary::build(["not supported", "mailbox locked", "blocked", "recipient*"]);
        assert_eq!(
            v.corrected("-err not suported method"),
            "-err not supported method"
        );
        assert_eq!(v.corrected("-err not supproted"), "-err not supported");
        assert_eq!(v.corrected("550 unkown recipeint"), "550 unkown recipient");
        assert_eq!(v.corrected("550 supporter"), "550 supporter");
        // Words known, short, or of another first letter are left alone.
        assert_eq!(v.corrected("-err mailbox locked"), "-err mailbox locked");
        assert_eq!(v.corrected("-err mailbox clocked"), "-err mailbox clocked");
        assert_eq!(v.corrected("550 supported2"), "550 supported2");
    }

    #[test]
    fn a_letter_held_down_is_read_as_the_known_word() {
        let v = Vocabulary::build(["server error", "mailbox full"]);
        assert_eq!(v.corrected("451 server errror"), "451 server error");
        assert_eq!(v.corrected("452 mailbox fulll"), "452 mailbox full");
        assert_eq!(v.corrected("550 erroooor"), "550 erroooor");
        assert_eq!(v.corrected("id aaab"), "id aaab");
    }

    #[test]
    fn a_slip_is_a_letter_left_out_doubled_or_swapped() {
        assert!(one_slip("supported", "suported"));
        assert!(one_slip("required", "requiered"));
        assert!(one_slip("receive", "recieve"));
        assert!(one_slip("threshold", "treshold"));
        // Another word, not a slip: a letter changed, an ending added, two edits.
        assert!(!one_slip("relayed", "related"));
        assert!(!one_slip("provide", "provider"));
        assert!(!one_slip("receive", "receive"));
        assert!(!one_slip("expected", "excepted"));
        assert!(!one_slip("suspend", "suspect"));
    }
}
