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
    // `AUTH=LOGIN` is the pre-RFC form some servers still add next to `AUTH LOGIN`.
    let (keyword, args) = match line.split_once([' ', '=']) {
        Some((k, a)) => (k.to_ascii_uppercase(), a.trim()),
        None => (line.to_ascii_uppercase(), ""),
    };
    let family = match protocol {
        Protocol::Smtp => "ehlo",
        // IMAP's capabilities are described by `proto::imap::knowledge`.
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
    format!("{line}{}{what}", tr(lang, "label.sep"))
}
