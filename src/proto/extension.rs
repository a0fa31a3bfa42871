//! EHLO extension lines (RFC 5321 §4.1.1.1 and the extensions' RFCs) and POP3 CAPA
//! capabilities (RFC 2449 §6), each explained in the reader's language. The words are in
//! `assets/i18n/tutor.toml` under `ehlo.*` and `capa.*`.

use super::Lang;
use super::vocab::Protocol;
use crate::words::{has, tr, trf};

/// The EHLO keywords the tutor explains (each has its words under `ehlo.*`).
pub const EHLO_KEYWORDS: &[&str] = &[
    "SIZE",
    "AUTH",
    "PIPELINING",
    "STARTTLS",
    "8BITMIME",
    "SMTPUTF8",
    "CHUNKING",
    "BINARYMIME",
    "DSN",
    "ENHANCEDSTATUSCODES",
    "VRFY",
    "EXPN",
    "ETRN",
    "HELP",
    "DELIVERBY",
    "MT-PRIORITY",
    "REQUIRETLS",
    "XCLIENT",
    "XFORWARD",
    "ONEX",
    "XUSR",
    "VERB",
    "MAILCOMPRESS",
    "LIMITS",
];

/// The POP3 CAPA tags the tutor explains (each has its words under `capa.*`).
pub const CAPA_TAGS: &[&str] = &[
    "USER",
    "TOP",
    "UIDL",
    "STLS",
    "SASL",
    "RESP-CODES",
    "AUTH-RESP-CODE",
    "PIPELINING",
    "EXPIRE",
    "LOGIN-DELAY",
    "IMPLEMENTATION",
    "UTF8",
    "CAPA",
];

/// One extension line, explained: `SIZE 10240000` → the limit in MB, `AUTH PLAIN LOGIN` →
/// each mechanism, an `X-…` keyword → a private extension.
pub fn describe(protocol: Protocol, line: &str, lang: Lang) -> String {
    let line = line.trim();
    if protocol == Protocol::Imap {
        return imap_capability(line, lang);
    }
    // `AUTH=LOGIN` is the pre-RFC form some servers still add next to `AUTH LOGIN`.
    let (keyword, args) = match line.split_once([' ', '=']) {
        Some((k, a)) => (k.to_ascii_uppercase(), a.trim()),
        None => (line.to_ascii_uppercase(), ""),
    };
    let family = match protocol {
        Protocol::Smtp => "ehlo",
        Protocol::Pop3 | Protocol::Imap => "capa",
    };
    let key = format!("{family}.{keyword}");
    let what = if keyword == "SIZE" && protocol == Protocol::Smtp {
        match args.parse::<u64>() {
            Ok(0) | Err(_) => tr(lang, "ehlo.SIZE.none"),
            Ok(n) => trf(
                lang,
                "ehlo.SIZE",
                &[("mb", &format!("{:.1}", n as f64 / 1_048_576.0))],
            ),
        }
    } else if keyword == "AUTH" || (keyword == "SASL" && protocol == Protocol::Pop3) {
        let mechanisms: Vec<String> = args
            .split_whitespace()
            .map(|m| {
                let mk = format!("auth.mech.{}", m.to_ascii_uppercase());
                if has(&mk) {
                    format!("{m} ({})", tr(lang, &mk))
                } else {
                    m.to_owned()
                }
            })
            .collect();
        let base = if line.contains('=') && protocol == Protocol::Smtp {
            "ehlo.AUTH.old"
        } else {
            "ehlo.AUTH"
        };
        trf(lang, base, &[("mechanisms", &mechanisms.join(", "))])
    } else if has(&key) {
        trf(lang, &key, &[("args", args)])
    } else if keyword.starts_with('X') {
        trf(lang, "ehlo.private", &[("keyword", &keyword)])
    } else {
        trf(lang, "ehlo.unknown", &[("keyword", &keyword)])
    };
    // Some words start with their keyword; the line already shows it.
    let sep = tr(lang, "label.sep");
    let what = what
        .strip_prefix(&format!("{keyword}{sep}"))
        .map(str::to_owned)
        .unwrap_or(what);
    format!("{line}{sep}{what}")
}

/// One IMAP capability, explained from the knowledge file (`[[capability]]` in
/// `assets/codes/imap.toml`): `AUTH=PLAIN` names the login method, others say what they allow
/// and their RFC.
fn imap_capability(cap: &str, lang: Lang) -> String {
    let (keyword, args) = cap.split_once('=').unwrap_or((cap, ""));
    let what = if keyword.eq_ignore_ascii_case("AUTH") {
        // IMAP's prompt is "+", where SMTP's is 334: LOGIN's words say so.
        let imap_mk = format!("imapcap.mech.{}", args.to_ascii_uppercase());
        let mk = if has(&imap_mk) {
            imap_mk
        } else {
            format!("auth.mech.{}", args.to_ascii_uppercase())
        };
        let mechanism = if has(&mk) {
            format!("{args} ({})", tr(lang, &mk))
        } else {
            args.to_owned()
        };
        trf(lang, "imapcap.AUTH", &[("mechanism", &mechanism)])
    } else if let Some(e) = super::imap::knowledge::capability(keyword) {
        match lang {
            Lang::En => format!("{} ({})", e.meaning.get(lang), e.rfc),
            Lang::Zh => format!("{}（{}）", e.meaning.get(lang), e.rfc),
        }
    } else if keyword.starts_with(['X', 'x']) {
        trf(lang, "ehlo.private", &[("keyword", keyword)])
    } else {
        trf(lang, "ehlo.unknown", &[("keyword", keyword)])
    };
    format!("{cap}{}{what}", tr(lang, "label.sep"))
}

/// The IMAP capabilities the tutor explains, by name.
pub fn imap_capabilities() -> Vec<&'static str> {
    super::imap::knowledge::KNOWLEDGE
        .capability
        .iter()
        .map(|e| e.name.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Dovecot 2.3.19's lists before and after LOGIN, as the interop lab's server sent them.
    const DOVECOT: &str = "IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS \
        AUTH=PLAIN AUTH=LOGIN SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS \
        THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE \
        UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN \
        CONTEXT=SEARCH LIST-STATUS BINARY MOVE SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE \
        SAVEDATE NOTIFY";

    #[test]
    fn every_capability_a_real_dovecot_lists_is_explained_in_both_languages() {
        let unknown_en = tr(Lang::En, "ehlo.unknown");
        for cap in DOVECOT.split_whitespace() {
            for lang in [Lang::En, Lang::Zh] {
                let line = describe(Protocol::Imap, cap, lang);
                assert!(line.starts_with(cap), "{line}");
                assert!(!line.contains(&unknown_en), "{line}");
                assert!(!line.contains("334 prompt"), "{line}");
                assert!(!line.contains("本软件不认识"), "{line}");
            }
        }
        let plain = describe(Protocol::Imap, "AUTH=PLAIN", Lang::En);
        assert!(plain.contains("AUTHENTICATE PLAIN"), "{plain}");
        let idle = describe(Protocol::Imap, "IDLE", Lang::Zh);
        assert!(
            idle.contains("RFC 2177") && idle.contains("新邮件"),
            "{idle}"
        );
        // A private name is called private; an unlisted one is not given a meaning.
        let x = describe(Protocol::Imap, "XAPPLEPUSHSERVICE", Lang::En);
        assert!(x.contains("private"), "{x}");
        let other = describe(Protocol::Imap, "FROBNICATE", Lang::En);
        assert!(other.contains("does not know"), "{other}");
    }

    #[test]
    fn every_capability_entry_cites_its_source_in_both_languages() {
        let caps = imap_capabilities();
        assert!(caps.len() > 50, "{}", caps.len());
        for e in &crate::proto::imap::knowledge::KNOWLEDGE.capability {
            assert!(!e.rfc.is_empty() && !e.name.contains('='), "{}", e.name);
            assert!(!e.meaning.get(Lang::En).is_empty(), "{}", e.name);
            assert!(!e.meaning.get(Lang::Zh).is_empty(), "{}", e.name);
        }
    }
}
