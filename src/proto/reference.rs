//! The code reference as rows: every SMTP code, enhanced status code, POP3 response code, EHLO
//! keyword, CAPA tag and situation of the knowledge base, with what it means, searchable in
//! both languages at once.

use super::Lang;
use super::codes;
use super::extension;
use super::situations;
use super::vocab::Protocol;

/// What a row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefKind {
    Smtp,
    Enhanced,
    Pop3,
    Ehlo,
    Capa,
    Imap,
    ImapCap,
    Situation,
}

impl RefKind {
    pub const ALL: [RefKind; 8] = [
        RefKind::Smtp,
        RefKind::Enhanced,
        RefKind::Pop3,
        RefKind::Ehlo,
        RefKind::Capa,
        RefKind::Imap,
        RefKind::ImapCap,
        RefKind::Situation,
    ];

    /// The key of its name in the translation tables.
    pub fn label_key(self) -> &'static str {
        match self {
            RefKind::Smtp => "ref.kind.smtp",
            RefKind::Enhanced => "ref.kind.enhanced",
            RefKind::Pop3 => "ref.kind.pop3",
            RefKind::Ehlo => "ref.kind.ehlo",
            RefKind::Capa => "ref.kind.capa",
            RefKind::Imap => "ref.kind.imap",
            RefKind::ImapCap => "ref.kind.imapcap",
            RefKind::Situation => "ref.kind.situation",
        }
    }
}

/// One row of the reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefRow {
    pub kind: RefKind,
    /// The code, keyword or reply as it appears on the wire (`535`, `5.7.8`, `-ERR`,
    /// `STARTTLS`, `535 Login Fail…`).
    pub key: String,
    pub meaning: String,
    /// The longer explanation: what to do, the servers that say it.
    pub detail: String,
    /// Lower-cased text in both languages, for the search.
    haystack: String,
}

fn row(kind: RefKind, key: &str, text: impl Fn(Lang) -> (String, String), lang: Lang) -> RefRow {
    let (meaning, detail) = text(lang);
    let other = match lang {
        Lang::En => Lang::Zh,
        Lang::Zh => Lang::En,
    };
    let (m2, d2) = text(other);
    let haystack = format!("{key}\n{meaning}\n{detail}\n{m2}\n{d2}").to_lowercase();
    RefRow {
        kind,
        key: key.to_owned(),
        meaning,
        detail,
        haystack,
    }
}

fn sorted<'a>(entries: impl Iterator<Item = &'a codes::CodeEntry>) -> Vec<&'a codes::CodeEntry> {
    let mut v: Vec<_> = entries.collect();
    v.sort_by(|a, b| a.code.cmp(&b.code));
    v
}

/// Every row, worded in `lang`.
pub fn rows(lang: Lang) -> Vec<RefRow> {
    let kb = codes::knowledge_base();
    let mut out = Vec::new();
    fn entry_text(e: &codes::CodeEntry) -> impl Fn(Lang) -> (String, String) + '_ {
        move |l: Lang| {
            (
                e.meaning.get(l).to_owned(),
                format!(
                    "{}\n{}",
                    e.explain.get(l),
                    codes::labelled(l, "next", e.next.get(l))
                ),
            )
        }
    }
    for (kind, list) in [
        (RefKind::Smtp, sorted(kb.smtp_codes())),
        (RefKind::Enhanced, sorted(kb.enhanced_codes())),
        (RefKind::Pop3, sorted(kb.pop3_codes())),
    ] {
        for e in list {
            out.push(row(kind, &e.code, entry_text(e), lang));
        }
    }
    let imap_caps = extension::imap_capabilities();
    for (kind, proto, list) in [
        (RefKind::Ehlo, Protocol::Smtp, extension::EHLO_KEYWORDS),
        (RefKind::Capa, Protocol::Pop3, extension::CAPA_TAGS),
        (RefKind::ImapCap, Protocol::Imap, imap_caps.as_slice()),
    ] {
        for keyword in list {
            let text = |l: Lang| {
                let line = extension::describe(proto, keyword, l);
                let meaning = line
                    .split_once(crate::words::tr(l, "label.sep").as_str())
                    .map(|(_, m)| m.to_owned())
                    .unwrap_or(line);
                (meaning, String::new())
            };
            out.push(row(kind, keyword, text, lang));
        }
    }
    // IMAP: the statuses (tagged and untagged), then the response codes.
    let imap = &crate::proto::imap::knowledge::KNOWLEDGE;
    for e in &imap.status {
        // PREAUTH and BYE are only ever untagged (RFC 3501 §7.1.4, §7.1.5): that is their
        // meaning; OK, NO and BAD mean most as a command's completion.
        let untagged_only = matches!(e.status.as_str(), "PREAUTH" | "BYE");
        let text = |l: Lang| {
            let (first, second) = if untagged_only {
                (e.untagged.get(l), e.tagged.get(l))
            } else {
                (e.tagged.get(l), e.untagged.get(l))
            };
            (
                first.to_owned(),
                format!(
                    "{second}\n{}\n{}",
                    codes::labelled(l, "next", e.next.get(l)),
                    e.rfc
                ),
            )
        };
        out.push(row(RefKind::Imap, &e.status, text, lang));
    }
    for e in &imap.code {
        let text = |l: Lang| {
            (
                e.meaning.get(l).to_owned(),
                format!("{}\n{}", codes::labelled(l, "next", e.next.get(l)), e.rfc),
            )
        };
        out.push(row(RefKind::Imap, &format!("[{}]", e.code), text, lang));
    }
    for s in situations::all() {
        let key = s.examples.first().cloned().unwrap_or_else(|| s.id.clone());
        let text = |l: Lang| {
            (
                s.meaning.get(l).to_owned(),
                format!(
                    "{}\n{}\n{}",
                    codes::labelled(l, "cause", s.cause.get(l)),
                    codes::labelled(l, "next", s.next.get(l)),
                    codes::labelled(l, "servers", &s.servers_text(l))
                ),
            )
        };
        out.push(row(RefKind::Situation, &key, text, lang));
    }
    out
}

/// The rows that match: of `kind` when given, and containing every word of `query` (in either
/// language, any case).
pub fn filter(rows: &[RefRow], query: &str, kind: Option<RefKind>) -> Vec<usize> {
    let words: Vec<String> = query.split_whitespace().map(str::to_lowercase).collect();
    rows.iter()
        .enumerate()
        .filter(|(_, r)| kind.is_none_or(|k| r.kind == k))
        .filter(|(_, r)| words.iter().all(|w| r.haystack.contains(w.as_str())))
        .map(|(i, _)| i)
        .collect()
}

/// The row a code badge stands for: the code itself (`535`, `+OK`).
pub fn row_of(rows: &[RefRow], key: &str) -> Option<usize> {
    let kinds = [RefKind::Smtp, RefKind::Pop3, RefKind::Enhanced];
    rows.iter()
        .position(|r| kinds.contains(&r.kind) && r.key.eq_ignore_ascii_case(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_there_and_search_reads_both_languages() {
        let en = rows(Lang::En);
        for k in RefKind::ALL {
            assert!(en.iter().any(|r| r.kind == k), "{k:?}");
        }
        assert_eq!(en.len(), rows(Lang::Zh).len());
        let hits = filter(&en, "授权码", None);
        assert!(
            hits.iter()
                .any(|&i| en[i].key.starts_with("535 Login Fail"))
        );
        let smtp = filter(&en, "535", Some(RefKind::Smtp));
        let own = row_of(&en, "535").unwrap_or(usize::MAX);
        assert!(smtp.contains(&own) && en[own].key == "535");
        assert!(smtp.iter().all(|&i| en[i].kind == RefKind::Smtp));
        assert!(filter(&en, "starttls", Some(RefKind::Ehlo)).len() == 1);
        assert!(filter(&en, "zzqx", None).is_empty());
    }

    /// The IMAP rows: each status by what it means where it stands (BYE is never a tagged
    /// completion), each response code in brackets, each capability by name.
    #[test]
    fn imap_statuses_codes_and_capabilities_read_as_meant() {
        let zh = rows(Lang::Zh);
        let row = |kind, key: &str| {
            zh.iter()
                .find(|r| r.kind == kind && r.key == key)
                .unwrap_or_else(|| panic!("{key}"))
        };
        assert!(row(RefKind::Imap, "BYE").meaning.contains("关闭连接"));
        assert!(!row(RefKind::Imap, "PREAUTH").meaning.contains("从不带标签"));
        assert!(row(RefKind::Imap, "OK").meaning.contains("成功"));
        assert!(row(RefKind::Imap, "[TRYCREATE]").meaning.contains("不存在"));
        assert!(row(RefKind::ImapCap, "IDLE").meaning.contains("RFC 2177"));
        let en = rows(Lang::En);
        assert!(filter(&en, "special-use", Some(RefKind::ImapCap)).len() >= 2);
    }
}
