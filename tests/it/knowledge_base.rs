//! The knowledge base covers every code of the seeds and of the RFCs the tutor teaches,
//! with all four explanations in both languages.

use mailtutor::proto::codes::{self, CodeEntry, KnowledgeBase};
use mailtutor::proto::pop3::Pop3Kind;
use mailtutor::proto::reply::EnhancedStatus;
use mailtutor::proto::smtp::CommandKind;

const SEED_CODES: &str = include_str!("../fixtures/seed_codes.txt");

/// RFC 5321 §4.2, RFC 4954 §6, RFC 3207 §4, RFC 1870, RFC 3030, RFC 7504.
const RFC_SMTP: &[u16] = &[
    211, 214, 220, 221, 235, 250, 251, 252, 334, 354, 421, 432, 450, 451, 452, 454, 455, 500, 501,
    502, 503, 504, 521, 530, 534, 535, 538, 550, 551, 552, 553, 554, 555, 556,
];

/// RFC 3463 §3.3–§3.9 details, RFC 4954 and RFC 5248 additions.
const RFC_DETAILS: &[&str] = &[
    "0.0", "1.0", "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "1.8", "2.0", "2.1", "2.2",
    "2.3", "2.4", "3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "4.0", "4.1", "4.2", "4.3", "4.4",
    "4.5", "4.6", "4.7", "5.0", "5.1", "5.2", "5.3", "5.4", "5.5", "5.6", "6.0", "6.1", "6.2",
    "6.3", "6.4", "6.5", "7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "7.7", "7.8", "7.9",
    "7.10", "7.11", "7.12",
];

/// RFC 1939, RFC 2449 (response codes and CAPA tags), RFC 2595, RFC 3206, RFC 5034.
const RFC_POP3: &[&str] = &[
    "+OK",
    "-ERR",
    "+",
    "IN-USE",
    "LOGIN-DELAY",
    "SYS/TEMP",
    "SYS/PERM",
    "AUTH",
    "TOP",
    "USER",
    "SASL",
    "RESP-CODES",
    "PIPELINING",
    "EXPIRE",
    "UIDL",
    "IMPLEMENTATION",
    "STLS",
];

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

fn assert_complete(e: &CodeEntry) {
    for (field, b) in [
        ("meaning", &e.meaning),
        ("explain", &e.explain),
        ("cause", &e.cause),
        ("next", &e.next),
    ] {
        assert!(b.en.trim().len() > 3, "{} lacks an English {field}", e.code);
        assert!(has_cjk(&b.zh), "{} lacks a Chinese {field}", e.code);
    }
    assert!(!e.rfc.is_empty(), "{} names no RFC", e.code);
}

#[test]
fn knowledge_base_parses() {
    let kb = KnowledgeBase::load();
    assert!(kb.is_ok(), "{:?}", kb.err());
}

#[test]
fn every_entry_is_complete_in_both_languages() {
    let kb = codes::knowledge_base();
    let all: Vec<&CodeEntry> = kb
        .smtp_codes()
        .chain(kb.enhanced_codes())
        .chain(kb.pop3_codes())
        .collect();
    assert!(all.len() > 100, "only {} entries", all.len());
    for e in all {
        assert_complete(e);
    }
}

fn covered_enhanced(code: &str) {
    let es = EnhancedStatus::parse(code).unwrap_or_else(|| panic!("{code} does not parse"));
    let ex = codes::enhanced(es);
    let class = ex
        .class
        .unwrap_or_else(|| panic!("no class entry for {code}"));
    let subject = ex
        .subject
        .unwrap_or_else(|| panic!("no subject entry for {code}"));
    let detail = ex
        .detail
        .unwrap_or_else(|| panic!("no detail entry for {code}"));
    for e in [class, subject, detail] {
        assert_complete(e);
    }
}

#[test]
fn every_seed_code_is_explained() {
    let mut n = 0;
    for line in SEED_CODES.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        n += 1;
        if line.contains('.') {
            covered_enhanced(line);
        } else {
            let code: u16 = line
                .parse()
                .unwrap_or_else(|_| panic!("bad fixture {line}"));
            let e = codes::smtp(code).unwrap_or_else(|| panic!("seed code {code} unexplained"));
            assert_complete(e);
        }
    }
    assert_eq!(n, 47, "fixture list changed size");
}

#[test]
fn every_rfc_code_is_explained() {
    for &code in RFC_SMTP {
        let e = codes::smtp(code).unwrap_or_else(|| panic!("RFC code {code} unexplained"));
        assert_complete(e);
    }
    for class in [2, 4, 5] {
        for d in RFC_DETAILS {
            covered_enhanced(&format!("{class}.{d}"));
        }
    }
    for t in RFC_POP3 {
        let e = codes::pop3(t).unwrap_or_else(|| panic!("POP3 {t} unexplained"));
        assert_complete(e);
    }
    assert!(codes::pop3("[IN-USE]").is_some());
}

#[test]
fn every_command_has_help_in_both_languages() {
    for k in CommandKind::ALL {
        let h = codes::command_help("smtp", k.label()).unwrap_or_else(|| panic!("no help for {k}"));
        assert!(
            h.syntax
                .starts_with(k.label().split(' ').next().unwrap_or("?"))
        );
        assert!(!h.rfc.is_empty() && !h.what.en.is_empty() && has_cjk(&h.what.zh));
    }
    for k in Pop3Kind::ALL {
        let h = codes::command_help("pop3", k.label()).unwrap_or_else(|| panic!("no help for {k}"));
        assert!(h.syntax.starts_with(k.label()));
        assert!(!h.rfc.is_empty() && !h.what.en.is_empty() && has_cjk(&h.what.zh));
    }
}

#[test]
fn unknown_detail_falls_back_to_class_and_subject() {
    let ex = codes::enhanced(EnhancedStatus {
        class: 5,
        subject: 7,
        detail: 99,
    });
    assert!(ex.detail.is_none());
    assert_eq!(
        ex.meaning(mailtutor::proto::Lang::En),
        Some("Security or policy status.")
    );
}

/// A persona never invents a text: each is, byte for byte, an example of the situation it
/// names, and that situation is said of the persona's server and cites its source.
#[test]
fn every_persona_text_is_an_example_of_its_cited_situation() {
    use mailtutor::proto::situations;
    use mailtutor::server::PersonaId;
    for id in PersonaId::ALL {
        let p = id.persona();
        assert!(!p.texts().is_empty(), "{id:?} has no texts");
        for cited in p.texts() {
            let s = situations::by_id(&cited.situation)
                .unwrap_or_else(|| panic!("{id:?}: no situation {:?}", cited.situation));
            assert!(
                s.examples.contains(&cited.text),
                "{id:?}: {:?} is not an example of {}",
                cited.text,
                s.id
            );
            assert!(
                s.servers.iter().any(|srv| p.servers.contains(srv)),
                "{id:?}: {} is said of {:?}, not of {:?}",
                s.id,
                s.servers,
                p.servers
            );
            assert!(!s.sources.is_empty(), "{}: no source", s.id);
        }
    }
}

/// A persona's IMAP texts, as its server sends them after a tag, are each read as the real
/// server's situation they name, said of that server.
#[test]
fn every_persona_imap_text_is_read_as_its_cited_situation() {
    use mailtutor::proto::imap::{ImapResponse, knowledge};
    use mailtutor::server::PersonaId;
    let mut seen = 0;
    for id in PersonaId::ALL {
        let p = id.persona();
        for cited in p.imap_texts() {
            for verb in ["LOGIN", "SELECT", "EXAMINE", "STATUS"] {
                let line = if cited.situation.ends_with("unsafe-login") {
                    format!("a1 NO {verb} {}\r\n", cited.text)
                } else if cited.situation.ends_with("imap-greeting") {
                    let text = cited.text.replace("{client}", "192.0.2.7");
                    format!("* OK [CAPABILITY IMAP4rev1] {text}\r\n")
                } else {
                    format!("a1 NO {}\r\n", cited.text)
                };
                let r = ImapResponse::parse(line.into_bytes(), false);
                let Some(s) = knowledge::situation(&r, Some(verb)) else {
                    continue;
                };
                assert_eq!(s.id, cited.situation, "{id:?}: {}", cited.text);
                let name = p.servers[0].split_whitespace().next().unwrap_or("?");
                assert!(s.servers.iter().any(|srv| srv.contains(name)), "{}", s.id);
                seen += 1;
            }
        }
    }
    assert!(seen >= 8, "{seen}");
}

/// A state, a request or a topic misspelt in a situation file would make the situation never
/// match: the file is refused when it is read, naming the file and the line.
#[test]
fn a_misspelt_state_request_or_topic_fails_with_the_file_and_line() {
    use mailtutor::proto::situations;
    for (name, text) in situations::FILES {
        assert!(situations::parse_file(name, text).is_ok(), "{name}");
    }
    let (name, text) = situations::FILES[0];
    for (good, bad) in [
        ("\"!tls\"", "\"!tsl\""),
        ("after = [\"RCPT\"]", "after = [\"RCTP\"]"),
    ] {
        let Some((name, text, at)) = situations::FILES
            .iter()
            .find_map(|(n, t)| t.find(good).map(|at| (*n, *t, at)))
        else {
            panic!("no file has {good}");
        };
        let line = text[..at].matches('\n').count() + 1;
        let broken = text.replacen(good, bad, 1);
        let err = situations::parse_file(name, &broken)
            .err()
            .unwrap_or_default();
        assert!(
            err.contains(name) && err.contains(&format!("line {line}")),
            "{good} → {bad}: {err}"
        );
    }
    let broken = text.replacen("[[situation]]\n", "[[situation]]\ntopic = \"spff\"\n", 1);
    let err = situations::parse_file(name, &broken)
        .err()
        .unwrap_or_default();
    assert!(err.contains(name) && err.contains("spff"), "{err}");
}
