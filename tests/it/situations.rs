//! The situation knowledge base against real replies: a corpus of replies from real servers,
//! each after a short session context, must resolve to the situation written for it, in both
//! languages; and the tutorials' transcripts and the captures from real servers leave no
//! reply on the per-code note alone.
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;

use mailtutor::explain::{self, Options};
use mailtutor::proto::Lang;
use mailtutor::proto::situations;
use mailtutor::transcript::{Direction, Entry, Note};
use serde::Deserialize;

#[derive(Deserialize)]
struct Corpus {
    group: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    name: String,
    before: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    reply: String,
    expect: String,
    source: String,
}

fn corpus() -> Corpus {
    toml::from_str(include_str!("../fixtures/replies.toml")).unwrap()
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// What a reply's explanation came from: a situation's id, `topic:ID` for a topic its words or
/// enhanced code name, or "" for the code with its class and words alone.
fn resolved(reply: &Entry) -> String {
    use mailtutor::proto::explanation::Source;
    match reply.explanation().map(|x| x.source) {
        Some(Source::Situation(s)) => s.id.clone(),
        Some(Source::Topic { topic, .. }) => format!("topic:{}", topic.id),
        _ => String::new(),
    }
}

fn last_reply(entries: &[Entry]) -> Option<&Entry> {
    entries.iter().rev().find(|e| e.dir == Direction::Server)
}

#[test]
fn every_real_reply_resolves_to_its_situation_in_both_languages() {
    let corpus = corpus();
    let mut count = 0;
    let mut wrong = Vec::new();
    for g in &corpus.group {
        for c in &g.cases {
            count += 1;
            assert!(
                !c.source.trim().is_empty(),
                "{}: {:?} has no source",
                g.name,
                c.reply
            );
            let text = if g.before.is_empty() {
                c.reply.clone()
            } else {
                format!("{}\n{}", g.before, c.reply)
            };
            let t = explain::fold(&text);
            let Some(reply) = last_reply(t.entries()) else {
                wrong.push(format!("{}: {:?} was not read as a reply", g.name, c.reply));
                continue;
            };
            let found = resolved(reply);
            if found != c.expect {
                wrong.push(format!(
                    "{}: {:?} → {found:?}, expected {:?}",
                    g.name, c.reply, c.expect
                ));
                continue;
            }
            // The note is there in both languages, and the Chinese one is Chinese.
            for n in &reply.notes {
                let en = n.render_lines(Lang::En, false).join("\n");
                let zh = n.render_lines(Lang::Zh, false).join("\n");
                if let Note::Explanation(x) = n {
                    assert!(en.contains(&x.meaning(Lang::En)), "{en}");
                    assert!(has_cjk(&zh), "{found}: no Chinese in {zh:?}");
                }
                if matches!(n, Note::Outcome(_) | Note::Pop3Outcome(_)) {
                    let zh = n.render(Lang::Zh, false);
                    assert!(has_cjk(&zh), "{}: {zh:?}", g.name);
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {count} cases:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert!(count >= 200, "only {count} real replies in the corpus");
}

/// Every situation is exercised by the corpus: an entry no real reply reaches is either dead
/// or shadowed by a more specific one.
#[test]
fn every_situation_is_reached_by_a_real_reply() {
    let mut reached: BTreeMap<&str, usize> = BTreeMap::new();
    let corpus = corpus();
    for g in &corpus.group {
        for c in &g.cases {
            *reached.entry(c.expect.as_str()).or_default() += 1;
        }
    }
    let missing: Vec<&str> = situations::all()
        .iter()
        .map(|s| s.id.as_str())
        .filter(|id| !reached.contains_key(id))
        .collect();
    assert!(missing.is_empty(), "no real reply reaches {missing:?}");
}

/// The tutorials' transcripts and the sessions captured from real servers (Postfix and
/// Dovecot from scripts/interop.sh, swaks against the practice server): every reply gets a
/// situation, not just the meaning of its digits.
#[test]
fn transcripts_and_captures_leave_no_reply_on_a_generic_note() {
    let files: [(&str, &str); 17] = [
        (
            "tutorial-163",
            include_str!("../fixtures/transcripts/tutorial-163.txt"),
        ),
        (
            "tutorial-163-annotated",
            include_str!("../fixtures/transcripts/tutorial-163-annotated.txt"),
        ),
        (
            "tutorial-163-spam",
            include_str!("../fixtures/transcripts/tutorial-163-spam.txt"),
        ),
        (
            "tutorial-sina",
            include_str!("../fixtures/transcripts/tutorial-sina.txt"),
        ),
        (
            "tutorial-qq",
            include_str!("../fixtures/transcripts/tutorial-qq.txt"),
        ),
        (
            "tutorial-pop3-163",
            include_str!("../fixtures/transcripts/tutorial-pop3-163.txt"),
        ),
        (
            "postfix-plain",
            include_str!("../fixtures/transcripts/postfix-plain.txt"),
        ),
        (
            "postfix-helo",
            include_str!("../fixtures/transcripts/postfix-helo.txt"),
        ),
        (
            "postfix-no-ehlo",
            include_str!("../fixtures/transcripts/postfix-no-ehlo.txt"),
        ),
        (
            "postfix-starttls-auth",
            include_str!("../fixtures/transcripts/postfix-starttls-auth.txt"),
        ),
        (
            "postfix-errors",
            include_str!("../fixtures/transcripts/postfix-errors.txt"),
        ),
        (
            "postfix-delivery",
            include_str!("../fixtures/transcripts/postfix-delivery.txt"),
        ),
        (
            "dovecot-pop3",
            include_str!("../fixtures/transcripts/dovecot-pop3.txt"),
        ),
        (
            "swaks-practice-tls",
            include_str!("../fixtures/transcripts/swaks-practice-tls.txt"),
        ),
        (
            "swaks-practice-unknown-user",
            include_str!("../fixtures/transcripts/swaks-practice-unknown-user.txt"),
        ),
        (
            "qq-failed",
            include_str!("../fixtures/transcripts/qq-failed.txt"),
        ),
        (
            "163-failed",
            include_str!("../fixtures/transcripts/163-failed.txt"),
        ),
    ];
    let mut generic = Vec::new();
    let mut replies = 0;
    for (name, text) in files {
        let t = explain::fold(text);
        for e in t.entries().iter().filter(|e| e.dir == Direction::Server) {
            replies += 1;
            if resolved(e).is_empty() {
                generic.push(format!("{name}: {}", e.text(false)));
            }
        }
    }
    assert!(replies > 100, "only {replies} replies read");
    assert!(
        generic.is_empty(),
        "left on the per-code note:\n{}",
        generic.join("\n")
    );
}

fn explain_zh_en(text: &str) -> (String, String) {
    let run = |lang| {
        explain::annotate(
            text,
            Options {
                lang,
                show_secrets: false,
            },
        )
    };
    (run(Lang::En), run(Lang::Zh))
}

/// Notes in context: the same digits mean different things after different commands.
#[test]
fn the_command_and_the_state_decide_the_note() {
    // 530 answering AUTH LOGIN on a plain connection that offered STARTTLS: encrypt first,
    // not "check your password".
    let (en, zh) = explain_zh_en(
        "220 mx ESMTP\nEHLO me\n250-mx\n250-STARTTLS\n250 AUTH LOGIN\nAUTH LOGIN\n530 5.7.0 Must issue a STARTTLS command first\n",
    );
    assert!(en.contains("not encrypted yet"), "{en}");
    assert!(!en.contains("app password"), "{en}");
    assert!(zh.contains("这不是密码错误"), "{zh}");
    // 503 before HELO, before MAIL, before RCPT.
    for (before, want) in [
        ("220 mx\nAUTH LOGIN", "wants EHLO"),
        (
            "220 mx\nEHLO me\n250 mx\nRCPT TO:<a@b.c>",
            "RCPT TO came before MAIL FROM",
        ),
        (
            "220 mx\nEHLO me\n250 mx\nMAIL FROM:<a@b.c>\n250 ok\nDATA",
            "DATA came before any accepted recipient",
        ),
    ] {
        let (en, _) = explain_zh_en(&format!("{before}\n503 5.5.1 Bad sequence of commands\n"));
        assert!(en.contains(want), "{before}: {en}");
    }
    // No garbled sequence sentence, whatever the state machine expected.
    let (en, _) = explain_zh_en("220 mx\nAUTH LOGIN\n503 5.5.1 Error: send HELO/EHLO first\n");
    assert!(!en.contains("expects Wait for"), "{en}");
    // 550 after RCPT is about the address; after the final dot, about the message.
    let rcpt =
        "220 mx\nEHLO me\n250 mx\nMAIL FROM:<a@b.c>\n250 ok\nRCPT TO:<x@y.z>\n550 5.7.1 Rejected\n";
    let (en, _) = explain_zh_en(rcpt);
    assert!(en.contains("This recipient is refused"), "{en}");
    let dot = "220 mx\nEHLO me\n250 mx\nMAIL FROM:<a@b.c>\n250 ok\nRCPT TO:<x@y.z>\n250 ok\nDATA\n354 go\nFrom: a@b.c\n\nhi\n.\n550 5.7.1 Rejected\n";
    let (en, _) = explain_zh_en(dot);
    assert!(en.contains("The message itself was refused"), "{en}");
    // 554 as a greeting vs after the message.
    let (en, _) = explain_zh_en("554 5.7.1 No SMTP service here\n");
    assert!(en.contains("refuses to talk to you at all"), "{en}");
    // 421: too many errors, idle timeout, shutdown.
    for (reply, want) in [
        (
            "421 4.7.0 mx Error: too many errors",
            "Too many wrong commands",
        ),
        ("421 4.4.2 mx Error: timeout exceeded", "idle too long"),
        (
            "421 4.3.2 mx Service shutting down, closing transmission channel",
            "shutting down",
        ),
    ] {
        let (en, _) = explain_zh_en(&format!("220 mx\nEHLO me\n250 mx\n{reply}\n"));
        assert!(en.contains(want), "{reply}: {en}");
    }
    // A MAIL FROM whose address does not parse is still a MAIL FROM, not "no command".
    let (en, _) = explain_zh_en(
        "220 mx\nEHLO me\n250 mx\nMAIL FROM:<bad-syntax\n501 5.1.7 Bad sender address syntax\n",
    );
    assert!(
        en.contains("MAIL FROM with its argument missing or not written"),
        "{en}"
    );
    assert!(!en.contains("not a command the server knows"), "{en}");
    assert!(en.contains("could not read the sender address"), "{en}");
    // POP3: a mailbox command before login is out of order whatever the server calls it; a
    // paste that does not show the login says no more than the words.
    let (en, zh) = explain_zh_en("+OK ready\nSTAT\n-ERR Unrecognized command\n");
    assert!(en.contains("Not logged in yet"), "{en}");
    assert!(zh.contains("还没有登录"), "{zh}");
    let (en, _) = explain_zh_en("STAT\n-ERR Unrecognized command\n");
    assert!(!en.contains("Not logged in yet"), "{en}");
    assert!(en.contains("did not recognise the command word"), "{en}");
    let (en, _) = explain_zh_en("+OK ready\nUSER a\n+OK\nPASS b\n+OK in\nUSER c\n-ERR what\n");
    assert!(en.contains("logged in already"), "{en}");
    // A word in an address is not the server's reason: the sender is not called a spammer.
    let (en, _) = explain_zh_en(
        "220 mx\nEHLO me\n250 mx\nMAIL FROM:<promo@spammer.example>\n450 4.7.1 sender <promo@spammer.example> temporary failure\n",
    );
    assert!(!en.contains("to be spam"), "{en}");
    // Words that read two ways ("invalid command", "not allowed at this point"): the reply
    // code's own meaning (503, bad sequence) settles it.
    let (en, _) = explain_zh_en(
        "220 mx\nEHLO me\n250 mx\nMAIL FROM:<a@b.c>\n503 5.5.1 Invalid command: Command not allowed at this point.\n",
    );
    assert!(en.contains("came out of order"), "{en}");
}

/// The tutorials' mistakes are corrected where the student meets them.
#[test]
fn the_tutorials_mistakes_are_corrected_in_place() {
    // echo without -n: the decoded username ends in a newline.
    let (en, zh) = explain_zh_en(
        "220 mx\nHELO me\n250 OK\nauth login\n334 dXNlcm5hbWU6\ncGh1bnhtQDE2My5jb20K\n",
    );
    assert!(en.contains("phunxm@163.com\\n"), "{en}");
    assert!(en.contains("echo without -n"), "{en}");
    assert!(zh.contains("echo 没加 -n"), "{zh}");
    // 334 answers AUTH LOGIN (not 250); 235 is success (not 335); base64 is not encryption.
    let (en, _) = explain_zh_en(
        "220 mx\nHELO me\n250 OK\nauth login\n334 dXNlcm5hbWU6\ncGh1bnhtQDE2My5jb20=\n334 UGFzc3dvcmQ6\nc2VjcmV0\n235 Authentication successful\n",
    );
    assert!(en.contains("tutorials that say 250 are wrong"), "{en}");
    assert!(en.contains("tutorials that write 335 are wrong"), "{en}");
    assert!(en.contains("base64 is not encryption"), "{en}");
    // telnet after STARTTLS: the next line goes out in clear and breaks the session.
    let (en, _) = explain_zh_en(
        "220 smtp.qq.com Esmtp QQ Mail Server\nhelo sis\n250 smtp.qq.com\nSTARTTLS\n220 Ready to start TLS\nauth login\n",
    );
    assert!(en.contains("telnet cannot do TLS"), "{en}");
    assert!(en.contains("openssl s_client -starttls smtp"), "{en}");
    // Said once, where the student meets it, not under every later line.
    let (en, _) = explain_zh_en(include_str!("../fixtures/transcripts/tutorial-qq.txt"));
    assert_eq!(en.matches("telnet cannot do TLS").count(), 1, "{en}");
    // `235 #2.0.0`: the enhanced code is read past the '#', live and in the code lookup.
    let en = explain::annotate_verbose(
        "220 mx\nHELO me\n250 ok\nAUTH LOGIN\n334 VXNlcm5hbWU6\ndQ==\n334 UGFzc3dvcmQ6\ncA==\n235 #2.0.0 OK Authenticated\n",
        Options {
            lang: Lang::En,
            show_secrets: false,
        },
    );
    assert!(en.contains("2.0.0: "), "{en}");
    let codes = explain::explain_codes(&["235 #2.0.0 OK".into()], Lang::En);
    assert!(codes.contains("Authentication successful"), "{codes}");
    assert!(codes.contains("2.0.0: "), "{codes}");
}

/// The extension notes of a pasted session, in `lang`.
fn extension_notes(text: &str, lang: Lang) -> Vec<String> {
    explain::fold(text)
        .entries()
        .iter()
        .flat_map(|e| e.notes.iter())
        .filter(|n| matches!(n, Note::Extension { .. }))
        .map(|n| n.render(lang, false))
        .collect()
}

/// EHLO and CAPA are explained line by line.
#[test]
fn ehlo_and_capa_are_explained_line_by_line() {
    let lines = extension_notes(
        include_str!("../fixtures/transcripts/postfix-starttls-auth.txt"),
        Lang::En,
    );
    for want in [
        "PIPELINING: you may send several commands",
        "SIZE 10240000: the largest message this server takes: 9.8 MB",
        "STARTTLS: the connection can be encrypted",
        "AUTH PLAIN LOGIN: you may log in; the methods offered: PLAIN",
        "ENHANCEDSTATUSCODES: replies carry enhanced codes",
        "8BITMIME:",
        "SMTPUTF8:",
        "CHUNKING:",
        "DSN:",
        "VRFY:",
        "ETRN:",
    ] {
        assert!(
            lines.iter().any(|l| l.starts_with(want)),
            "{want} in {lines:#?}"
        );
    }
    let (en, _) = explain_zh_en(
        "220 mx\nEHLO me\n250-mx\n250-XCLIENT NAME ADDR\n250-X-FOO\n250-SIZE\n250 AUTH=LOGIN\n",
    );
    for want in [
        "XCLIENT NAME ADDR: a Postfix extension",
        "X-FOO: a private extension",
        "SIZE: the server checks message sizes",
        "AUTH=LOGIN: the same login methods in an old pre-RFC spelling",
    ] {
        assert!(en.contains(want), "{want} in {en}");
    }
    let capa = extension_notes(
        include_str!("../fixtures/transcripts/dovecot-pop3.txt"),
        Lang::Zh,
    );
    for want in [
        "TOP：",
        "UIDL：",
        "RESP-CODES：",
        "STLS：",
        "USER：",
        "SASL PLAIN LOGIN：",
    ] {
        assert!(
            capa.iter().any(|l| l.starts_with(want) && has_cjk(l)),
            "{want} in {capa:#?}"
        );
    }
}

/// The replies a student was taught a wrong thing about: each is now read from its own words,
/// in both languages, and no longer given the cause the command and code alone suggested.
#[test]
fn replies_are_read_from_their_words_not_from_the_code() {
    use mailtutor::proto::explanation::Class;
    let rcpt =
        "220 mx ESMTP\nEHLO me\n250 mx\nMAIL FROM:<a@example.com>\n250 ok\nRCPT TO:<b@example.org>";
    let login = "+OK ready\nUSER alice\n+OK\nPASS secret";
    let cases: [(String, &str, &str, &str); 11] = [
        (format!("{rcpt}\n550 5.7.1 Message rejected: SPF check failed for 192.0.2.1"), "spf", "SPF", "does not exist"),
        (format!("{rcpt}\n550 5.7.606 Access denied, banned sending IP [192.0.2.1]"), "blocked-ip", "block list", "does not exist"),
        (format!("{rcpt}\n550 5.4.5 Daily user sending quota exceeded."), "daily-quota", "sending allowance", "mailbox is full"),
        (format!("{rcpt}\n451 4.7.1 Greylisting in action, please come back later"), "greylist", "greylisting", "relaying"),
        ("220 mx ESMTP\nRCPT TO:<b@example.org>\n501 please say HELO/EHLO first".to_owned(), "command-order", "out of order", "could not read the recipient"),
        (format!("{login}\n-ERR maildrop already locked"), "mailbox-locked", "another session", "password is wrong"),
        ("+OK ready\nPASS secret\n-ERR Must give USER command".to_owned(), "command-order", "USER", "password is wrong"),
        ("+OK ready\nAUTH CRAM-SHA9\n-ERR Unsupported authentication mechanism".to_owned(), "auth-mechanism", "login method", "password is wrong"),
        (format!("{login}\n-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) connections"), "tls-required", "encrypted", "password is wrong"),
        ("220 mx ESMTP\nEHLO me\n250 mx\nAUTH LOGIN\n334 VXNlcm5hbWU6\ndQ==\n334 UGFzc3dvcmQ6\ncA==\n535 5.7.8 Too many failed login attempts, account temporarily locked".to_owned(), "lockout", "too many failed attempts", "may be right"),
        ("220 mx ESMTP\nEHLO me\n250 mx\nAUTH LOGIN\n334 VXNlcm5hbWU6\ndQ==\n334 UGFzc3dvcmQ6\ncA==\n526 Authentication failure".to_owned(), "auth-failed", "Non-standard code 526", "not in the knowledge base"),
    ];
    for (text, topic, en_has, en_not) in &cases {
        let t = explain::fold(text);
        let reply = last_reply(t.entries()).unwrap();
        let x = reply.explanation().unwrap();
        assert_eq!(x.topic(), Some(*topic), "{text}\n{}", x.one_line(Lang::En));
        let (en, zh) = explain_zh_en(text);
        assert!(en.contains(en_has), "{en}");
        assert!(!en.contains(en_not), "{en}");
        assert!(has_cjk(&zh), "{zh}");
        // The class comes first: a 4xx says temporary, a 5xx permanent.
        match x.class {
            Class::Temporary => {
                assert!(en.contains("Temporary") || en.contains("temporary"), "{en}")
            }
            Class::Permanent => assert!(en.contains("ermanent"), "{en}"),
            _ => {}
        }
    }
}

/// How the tutor decides between readings: an address refused in a reply to MAIL FROM is the
/// sender's; the enhanced code settles which of two causes the words name; a situation whose
/// cause the words rule out does not speak; concrete words beat a generic phrase; a lock is a
/// lockout only when the words tie it to failed logins.
#[test]
fn the_evidence_decides_between_readings() {
    let mail = "220 mx ESMTP\nEHLO me\n250 mx\nMAIL FROM:<a@example.com>";
    let rcpt = format!("{mail}\n250 ok\nRCPT TO:<b@example.org>");
    let dot = format!("{rcpt}\n250 ok\nDATA\n354 go ahead\nSubject: t\n\nhi\n.");
    let login = "+OK ready\nUSER alice\n+OK\nPASS secret";
    let auth =
        "220 mx ESMTP\nEHLO me\n250 mx\nAUTH LOGIN\n334 VXNlcm5hbWU6\ndQ==\n334 UGFzc3dvcmQ6\ncA==";
    let logged_in = format!("{auth}\n235 2.7.0 ok\nMAIL FROM:<ceo@example.com>");
    let cases: [(String, Option<&str>); 187] = [
        (
            format!("{mail}\n550 5.1.1 User unknown"),
            Some("sender-rejected"),
        ),
        (
            format!("{mail}\n550 No such domain"),
            Some("sender-rejected"),
        ),
        (
            format!("{dot}\n451 4.7.23 SPF authentication failed with a temporary error"),
            Some("spf"),
        ),
        (
            format!("{rcpt}\n451 Name server timeout"),
            Some("try-later"),
        ),
        (
            format!("{rcpt}\n421 Your address has been graylisted. Try again later."),
            Some("greylist"),
        ),
        // A lock is a lockout only when the words tie it to failed logins.
        (
            format!(
                "{login}\n-ERR [AUTH] This account has been locked at the request of the user."
            ),
            Some("account-disabled"),
        ),
        (
            format!("{login}\n-ERR Too many failed logins: account temporarily locked"),
            Some("lockout"),
        ),
        // A 5xx whose words say it passes is read as passing, unless they say it was refused.
        (
            format!("{dot}\n554 Transaction failed: service temporarily unavailable"),
            Some("try-later"),
        ),
        (
            format!("{dot}\n550 Service refused, please try later"),
            None,
        ),
        // A 4xx whose words name wrong credentials is read as they say.
        (
            format!("{auth}\n454 4.7.0 invalid username or password"),
            Some("auth-failed"),
        ),
        // A checker's own timeout is a passing fault on the server's side, not the session's
        // idle limit, nor the checker's verdict.
        (format!("{dot}\n450 Rspamd scan timeout"), Some("try-later")),
        (
            format!("{dot}\n450 Virus scanner timeout (AVG)"),
            Some("try-later"),
        ),
        // What is blacklisted decides: a phrase in the message is content, not the IP.
        (
            format!("{dot}\n550 Blacklisted keyphrase found"),
            Some("spam"),
        ),
        // A sender refused in a session that logged in is checked against the account.
        (
            format!(
                "{logged_in}\n550 User 'alice' not allowed to send from address 'ceo@example.com'."
            ),
            Some("sender-mismatch"),
        ),
        (
            format!("{mail}\n550 Host not allowed to send from address 'a@example.com'."),
            Some("sender-auth"),
        ),
        // An address the words call not valid is written wrongly, whatever X.1.2 says.
        (
            format!(
                "{mail}\n250 ok\nRCPT TO:<admin>\n553 5.1.2 The recipient address <admin> is not a valid RFC-5321 address."
            ),
            Some("syntax"),
        ),
        // Logins at once are a limit on connections, not failed attempts.
        (
            format!(
                "{login}\n-ERR [SYS/TEMP] The maximum number of concurrent login attempts has been reached. Please try again later."
            ),
            Some("rate-limit"),
        ),
        // In POP3, "not authenticated" before USER and PASS is a step skipped.
        (
            "+OK ready\nLIST\n-ERR Not authenticated".to_owned(),
            Some("command-order"),
        ),
        // A lasting cause the enhanced code names too is read in a 4xx.
        (
            format!("{auth}\n435 4.7.8 Error: authentication failed:"),
            Some("auth-failed"),
        ),
        (
            format!("{dot}\n550 5.7.1 black listed URL host bad.example by uribl.example"),
            Some("spam"),
        ),
        (
            "220 mx ESMTP\nFOO\n500 unrecognised\nBAR\n221 Too many bad commands. Bye!".to_owned(),
            Some("too-many-errors"),
        ),
        (
            format!("{dot}\n554 From: header line is missing"),
            Some("syntax"),
        ),
        // A checker that could not run, or a check that could not be completed, gives no
        // verdict; a permanent error in the sender's SPF record is SPF's.
        (
            format!("{dot}\n451 4.3.0 Problem running virus-scanner"),
            Some("try-later"),
        ),
        (
            format!("{mail}\n451 Temporary DNS error while checking SPF record.  Try again later."),
            Some("try-later"),
        ),
        (
            format!("{mail}\n550 5.7.0 Permanent DNS error while checking SPF record."),
            Some("spf"),
        ),
        // What makes an attachment dangerous here is its type, not a virus found.
        (
            format!(
                "{dot}\n550 Bad attachment filename (invoice.exe): executable files are dangerous in email"
            ),
            Some("attachment-type"),
        ),
        // A user name that does not match its password is a failed login, not a sender's.
        (
            format!("{login}\n-ERR [AUTH] mismatched username and password"),
            Some("auth-failed"),
        ),
        // The words name the cause where the response code names another.
        (
            format!("{login}\n+OK\nSTAT\n-ERR [IN-USE] Maximum session duration exceeded"),
            Some("timeout"),
        ),
        (
            format!(
                "{mail}\n451 Number of sent emails has exceeded our IP limit. Come back later."
            ),
            Some("rate-limit"),
        ),
        // What is "in use" or "internal" decides: TLS already on is a step repeated, a
        // signer's own error passes.
        (
            format!(
                "{mail}\n250 ok\nSTARTTLS\n503 5.5.1 Bad sequence of commands (TLS already in use)"
            ),
            Some("command-order"),
        ),
        (
            format!("{dot}\n451 4.7.0 internal DKIM error"),
            Some("try-later"),
        ),
        // An IP address not allowed to relay is refused relaying, not blocked.
        (
            format!(
                "{rcpt}\n550 5.7.1 Your IP address 192.0.2.10 is not allowed to relay to email address <bob@example.net> via our server; MX rule"
            ),
            Some("relay"),
        ),
        // A file's extension or a document's macro is the attachment's type.
        (
            format!("{dot}\n554 The extension of the attached file is blacklisted"),
            Some("attachment-type"),
        ),
        (
            format!("{dot}\n554 5.7.1 Rejected suspicious office document macro"),
            Some("attachment-type"),
        ),
        // A success at QUIT can report deletions not done.
        (
            format!("{login}\n+OK\nDELE 1\n+OK\nQUIT\n+OK Some messages couldn't be deleted"),
            Some("update-failed"),
        ),
        // "msgs" is read as "messages".
        (
            format!("{mail}\n451 You can only send 250 msgs per 15m"),
            Some("rate-limit"),
        ),
        // A user name too long is an argument, not a line.
        (
            format!("+OK ready\nUSER {}\n-ERR username too long", "a".repeat(80)),
            Some("syntax"),
        ),
        // An empty line is no command word at all.
        (
            format!("{login}\n+OK\n\n-ERR Syntax error, blank command unrecognized"),
            Some("syntax"),
        ),
        // Postfix names the check, then the reason: a concrete reason says why, and one after
        // "Sender address rejected:" speaks of the sender, whatever the command.
        (
            format!(
                "{mail}\n503 <a@example.com>: Sender address rejected: Improper use of SMTP command pipelining"
            ),
            Some("pipelining"),
        ),
        (
            format!(
                "{rcpt}\n450 4.1.8 <a@example.com>: Sender address rejected: Domain not found"
            ),
            Some("sender-rejected"),
        ),
        // A reply nobody asked for may answer anything: its words decide.
        (
            "220 mx ESMTP\nHELO nowhere.example\n250 mx\n553 sorry, helo domain must exist (#5.1.8)"
                .to_owned(),
            Some("helo"),
        ),
        // SMTP's standard text names no cause where a code speaks for it; a POP3 server that
        // borrows it has no code, so its words are read.
        (
            format!("{login}\n+OK\nSTAT\n-ERR localhost service not available, closing transmission channel"),
            Some("shutdown"),
        ),
        (
            format!("{dot}\n421 Service not available, closing transmission channel"),
            None,
        ),
        // Where the words name no cause, the session may show one: a command sent without its
        // argument, a message number the session does not have (above STAT's count, or one
        // marked with DELE, whose number STAT no longer counts).
        (
            "+OK ready\nUSER alice\n+OK\nPASS\n-ERR Must send password".to_owned(),
            Some("syntax"),
        ),
        (
            format!("{login}\n+OK\nSTAT\n+OK 2 320\nRETR 7\n-ERR That does not compute."),
            Some("no-such-message"),
        ),
        (
            format!("{login}\n+OK\nDELE 2\n+OK\nSTAT\n+OK 1 160\nRETR 2\n-ERR It got scared away"),
            Some("no-such-message"),
        ),
        // A login by AUTH (RFC 5034) ends AUTHORIZATION as PASS's does: a refusal after it
        // is not a command sent before logging in.
        (
            "+OK ready\nAUTH PLAIN\n+ \nAGFsaWNlAHNlY3JldA==\n+OK Plain authentication succeeded\nRETR 1\n-ERR Internal error".to_owned(),
            Some("try-later"),
        ),
        // Words that only tell what became of the command say less than the session: EHLO
        // sent without a name is refused for its argument.
        (
            "220 mx ESMTP\nEHLO\n501 Syntax error, tell me who you are!".to_owned(),
            Some("syntax"),
        ),
        // A reply with no words says what its code's standard meaning says.
        (
            "220 mx ESMTP\nEHLO me\n250 mx\nVRFY bob\n502".to_owned(),
            Some("not-implemented"),
        ),
        // A contraction written without its apostrophe is read as written out.
        (
            "+OK ready\nUSER bob\n-ERR User bob doesnt exist".to_owned(),
            Some("unknown-user"),
        ),
        // The words that say the fault passes, or a code that names its own cause, speak
        // against the session's reading.
        (
            "220 mx ESMTP\nEHLO me\n250 mx\nVRFY\n502 Command not implimented".to_owned(),
            Some("not-implemented"),
        ),
        (
            format!("{login}\n+OK\nTOP 1\n-ERR Server busy, try again later"),
            Some("try-later"),
        ),
        // A check the server could not run is its own passing problem, whatever it checks;
        // a lookup of the client's own name that failed still speaks of that name.
        (
            format!("{dot}\n451 4.3.0 Unable to connect to the spam filter"),
            Some("try-later"),
        ),
        (
            format!("{rcpt}\n450 4.7.1 Client host rejected: IP name lookup failed"),
            Some("rdns"),
        ),
        // Words of TLS in a reply to STARTTLS or STLS: the server cannot start it.
        (
            "220 mx ESMTP\nEHLO me\n250 mx\nSTARTTLS\n501 STARTTLS refused".to_owned(),
            Some("tls-unavailable"),
        ),
        // A server that says it is unavailable in a reply to STLS cannot start TLS now.
        (
            "+OK ready\nSTLS\n-ERR currently unavailable".to_owned(),
            Some("tls-unavailable"),
        ),
        // A relay that is busy has not refused to relay; a domain "not configured on this
        // relay" is one the server does not take mail for, not one that does not exist.
        (
            format!("{dot}\n451 4.3.2 mail relay is busy, please retry later"),
            Some("try-later"),
        ),
        (
            format!("{rcpt}\n550 No such domain configured on this relay: example.net"),
            Some("relay"),
        ),
        // A disabled account named with "cannot relay" is the account's state.
        (
            format!("{rcpt}\n550 5.7.1 <a@example.com>: Sender address rejected: Account is deactivated and cannot relay"),
            Some("sender-rejected"),
        ),
        // An hourly recipient limit is a limit over time, not too many in one mail.
        (
            format!("{rcpt}\n451 4.7.0 Hourly recipient limit reached, try again later"),
            Some("rate-limit"),
        ),
        // "Malicious" said of the connecting IP address is its reputation, not a virus.
        (
            "554 5.7.1 IP reported as malicious by a reputation service".to_owned(),
            Some("blocked-ip"),
        ),
        // A mechanism called too weak where the words ask for TLS wants TLS first.
        (
            format!("{auth}\n538 Mechanism too weak, use TLS first"),
            Some("tls-required"),
        ),
        (
            format!("{login}\n-ERR Login blocked after excessive failures"),
            Some("lockout"),
        ),
        (
            format!("{login}\n-ERR usuário ou senha inválidos"),
            Some("auth-failed"),
        ),
        // Chinese text written right after the code is still a reply.
        (format!("{rcpt}\n550用户不存在"), Some("unknown-user")),
        // At the greeting no account is known yet: "no permission" is not a disabled one.
        ("-ERR You have no permission".to_owned(), None),
        // Words that name the sender's address speak of it whatever the command.
        (
            format!("{rcpt}\n550 Sender address is not valid: no such user here"),
            Some("sender-rejected"),
        ),
        (
            format!("{login}\n+OK\nRETR 9\n-ERR Le message n'existe pas"),
            Some("no-such-message"),
        ),
        // A 5xx whose words name the server's own failure is read as that, not as a cause in
        // the command; a 5xx without them is not read as passing.
        (
            format!("{rcpt}\n554 An internal error prevented mail delivery."),
            Some("try-later"),
        ),
        (format!("{rcpt}\n550 Mailbox unavailable"), None),
        // A letter held down is read as the word.
        (
            format!("{dot}\n451 4.3.0 Internal server errror"),
            Some("try-later"),
        ),
        // An enhanced code whose class disagrees with the reply's still names its subject.
        (format!("{rcpt}\n550 4.4.6 Routing error"), Some("loop")),
        // DATA with no recipient accepted: RFC 5321 lets the server answer 554.
        (
            format!("{mail}\n250 ok\nDATA\n554 5.5.1 to whom?"),
            Some("command-order"),
        ),
        // Before the message is sent, "spam" can only be about the sender.
        (
            format!("{mail}\n550 we do not like spam!"),
            Some("sender-rejected"),
        ),
        // After the final dot the session's TLS is settled: "encryption needed" there is not
        // a call for STARTTLS.
        (format!("{dot}\n523 5.7.1 Encryption Needed"), None),
        // A parse failure is the client's message, not a passing fault of the server.
        (format!("{dot}\n450 Failed to parse message"), None),
        // A check the server could not finish gives no verdict, whatever cause its code names.
        (
            format!("{rcpt}\n450 4.1.1 <b@example.org>: Recipient address rejected: unverified address: Address verification in progress"),
            Some("try-later"),
        ),
        // An address the words call not valid is written wrongly, even under X.1.1.
        (
            format!("{rcpt}\n550 5.1.1 Invalid recipient address"),
            Some("syntax"),
        ),
        (format!("{rcpt}\n550 Invalid recipient"), Some("unknown-user")),
        // X.7.1 says only that a rule refused: that, where the words name nothing else…
        (format!("{rcpt}\n551 5.7.1 Go away!"), Some("policy")),
        // …and never over words that do.
        (
            format!("{rcpt}\n450 4.7.1 <b@example.org>: Recipient address rejected: Internal error, API request failed"),
            Some("try-later"),
        ),
        // Replies in other languages are read by their words as English ones are.
        (
            format!("{login}\n-ERR Passwort ist ungültig"),
            Some("auth-failed"),
        ),
        (
            format!("{rcpt}\n550 Der Benutzer ist nicht bekannt."),
            Some("unknown-user"),
        ),
        (
            format!("{login}\n+OK logged in\nRETR 7\n-ERR Сообщение 7 не существует"),
            Some("no-such-message"),
        ),
        (
            format!("{mail}\n250 ok\nVRFY mehmet\n500 Bilinmeyen komut: VRFY mehmet"),
            Some("unknown-command"),
        ),
        // A command not found is no message not found, in any language.
        (
            format!("{login}\n+OK logged in\nXLIST\n-ERR Befehl wurde nicht gefunden"),
            Some("unknown-command"),
        ),
        (
            format!("{login}\n+OK logged in\nXLIST\n-ERR Command not found"),
            Some("unknown-command"),
        ),
        // Words run together with underscores, or marked with quotes, are read apart.
        (format!("{dot}\n451 4.7.1 rate_limited"), Some("rate-limit")),
        (
            format!("{logged_in}\n550 The \"from\" address must be from *your* account."),
            Some("sender-mismatch"),
        ),
        // Failures with no login in this session are its own errors, unless the words say
        // they were failed logins (from this IP, on other connections).
        (
            format!("{rcpt}\n550 5.7.1 too many failures 10 from client.example.net [192.0.2.1]"),
            Some("too-many-errors"),
        ),
        (
            format!("{rcpt}\n554 Your IP is generating excessive authentication failures."),
            Some("lockout"),
        ),
        (
            format!("{auth}\n454 authentication temporarily blocked, retry in 287 seconds"),
            Some("lockout"),
        ),
        // The word after "before" is read unless it is the command refused.
        (
            "220 mx ESMTP\nEHLO me\n421 input before greeting".to_string(),
            Some("pipelining"),
        ),
        (format!("{mail}\n503 5.5.1 EHLO required before MAIL"), Some("command-order")),
        // A sender that is not the account's, where no login was made, is a refused sender.
        (
            format!("{rcpt}\n554 5.7.1 <a@example.com>: Sender address rejected: you cannot send on behalf of example.com"),
            Some("sender-rejected"),
        ),
        (
            format!("{logged_in}\n553 5.7.1 you cannot send on behalf of example.com"),
            Some("sender-mismatch"),
        ),
        // A loopback address is no mail loop; a null MX in X.7.27 is the sender's domain's.
        (
            format!("{rcpt}\n554 5.7.1 <a@example.com>: Sender address rejected: Domain MX in loopback network"),
            Some("sender-rejected"),
        ),
        (format!("{dot}\n554 5.4.6 Mail loop detected"), Some("loop")),
        (format!("{rcpt}\n550 5.7.27 <a@example.com>"), Some("sender-rejected")),
        // Plural attachments; a sender unauthorised is the account's only after a login.
        (
            format!("{dot}\n554 5.7.1 Your mail contains BANNED ATTACHMENTS."),
            Some("attachment-type"),
        ),
        (
            format!("{rcpt}\n550 5.1.1 <a@example.com>: unauthorized sender"),
            Some("sender-rejected"),
        ),
        (
            format!("{logged_in}\n553 unauthorized sender"),
            Some("sender-mismatch"),
        ),
        // "No user at this address" refuses a recipient; it is no POP3 command out of order.
        (
            format!("{rcpt}\n450 4.1.1 <b@example.org>: Recipient address rejected: unverified address: No user at this address"),
            Some("unknown-user"),
        ),
        // A domain that is blocked is not the client's IP address.
        (
            format!("{mail}\n550 5.7.1 Domain is permanently blocked."),
            Some("policy"),
        ),
        // A malicious link is the filter's verdict on the content, not a virus found.
        (
            format!("{dot}\n550 Rejected: Cached malicious URL (Malware)"),
            Some("spam"),
        ),
        // The server's own connection failing is its passing fault, whatever the code.
        (
            format!("{dot}\n554 creating client failed: dial tcp 192.0.2.25:25: i/o timeout"),
            Some("try-later"),
        ),
        (
            format!("{rcpt}\n503 5.1.1 Connection error: 0x80040115"),
            Some("try-later"),
        ),
        (format!("{rcpt}\n250 ok\nDATA\n503 5.1.1 No recipients"), Some("command-order")),
        (format!("{auth}\n535 5.7.8 Domain disabled"), Some("account-disabled")),
        (format!("{auth}\n535 IP not authorized for SMTP relay"), Some("policy")),
        (
            format!("{mail}\n451 4.0.0 anonymous users are not allowed to send mail"),
            Some("auth-required"),
        ),
        (format!("{mail}\n503 AUTH first (#5.5.1)"), Some("auth-required")),
        (format!("{mail}\n550 5.7.1 Client not authorized"), Some("blocked-ip")),
        (format!("{login}\n-ERR Username to long"), Some("syntax")),
        (
            format!("{logged_in}\n554 5.7.1 alice@example.com is unauthorized to send mail as ceo@example.com"),
            Some("sender-mismatch"),
        ),
        // A 501 to a login answer is a cancelled login only when its words say so.
        (
            format!("{auth}\n501 malformed auth input (#5.5.4)"),
            Some("syntax"),
        ),
        // STLS refused because the login is done is out of order, not a TLS failure.
        (
            format!("{login}\n+OK logged in\nSTLS\n-ERR STLS only allowed in AUTHORIZATION state"),
            Some("command-order"),
        ),
        (
            format!("{login}\n+OK logged in\nSTLS\n-ERR STLS not allowed after authentication"),
            Some("command-order"),
        ),
        (format!("{login}\n-ERR Bad USER or PASS"), Some("auth-failed")),
        // An hourly allowance is a rate, not a daily quota.
        (
            format!("{rcpt}\n451 4.7.1 hourly sending limit exceeded"),
            Some("rate-limit"),
        ),
        // The server's own configuration failing is not a block of the client.
        (
            format!("{rcpt}\n451 4.3.5 Client host rejected: Server configuration error"),
            Some("try-later"),
        ),
        (
            format!("{mail}\n451 4.0.0 无效的发件人地址: a@example.com"),
            Some("sender-rejected"),
        ),
        // A sender's domain that says it takes no mail (RFC 7505) is the sender's fault.
        (
            format!("{mail}\n550 Sender address has null MX"),
            Some("sender-rejected"),
        ),
        // "Domain owner policy" is the DMARC policy of the From: domain, not the client's IP.
        (
            format!(
                "{dot}\n550 5.7.0 Unfortunately, messages from (192.0.2.85) on behalf of \
                 (yahoo.com) could not be delivered due to domain owner policy restrictions."
            ),
            Some("dmarc"),
        ),
        (
            format!("{rcpt}\n554 5.7.1 Unverified Client host rejected: Generic - Please relay via ISP"),
            Some("rdns"),
        ),
        (
            format!("{rcpt}\n550 Only one receipient accepted for NULL sender"),
            Some("too-many-recipients"),
        ),
        (
            format!("{dot}\n550 MIME_ERROR : Proposed filename too long"),
            Some("attachment-type"),
        ),
        (
            format!("{dot}\n554 5.2.0 STOREDRV.Submission.Exception:SubmissionQuotaExceededException"),
            Some("daily-quota"),
        ),
        (format!("{mail}\n501 Invalid Params"), Some("syntax")),
        (
            format!("{auth}\n550 Login credentials no longer valid. Please re-authenticate."),
            Some("auth-failed"),
        ),
        // A check that could not be done now passes; a 5xx after it says the address failed.
        (
            format!("{rcpt}\n421 unable to verify recipient (#4.3.0)"),
            Some("try-later"),
        ),
        (
            format!("{rcpt}\n550 unable to verify recipient"),
            Some("unknown-user"),
        ),
        (
            format!("{login}\n+OK\nDELE 1\n+OK\nQUIT\n-ERR some messages could not be removed (1 failed)"),
            Some("update-failed"),
        ),
        // Mistakes counted at the greeting are earlier sessions': the client is refused.
        (
            "550 Too many invalid recipients. Contact your provider.".to_owned(),
            Some("blocked-ip"),
        ),
        (
            format!("{rcpt}\n550 Too many invalid recipients. Contact your provider."),
            Some("too-many-errors"),
        ),
        (
            "220 mx ESMTP\nEHLO me\n250 mx\nAUTH PLAIN\n334 \nAHU=\n501 5.5.2 Invalid AUTH PLAIN value".to_owned(),
            Some("syntax"),
        ),
        (
            format!("{dot}\n451 4.3.0 First-time sender tempfailed as anti-spam measure; please try again"),
            Some("greylist"),
        ),
        (
            format!("{rcpt}\n452 Too many recipients received this hour"),
            Some("rate-limit"),
        ),
        (
            format!("{rcpt}\n451 4.3.2 Relay temporär nicht verfügbar"),
            Some("try-later"),
        ),
        (format!("{auth}\n535 Relay authentication failed"), Some("auth-failed")),
        (
            "220 mx ESMTP\nHELO me\n502 5.5.1 Must use EHLO".to_owned(),
            Some("not-implemented"),
        ),
        (
            format!("{mail}\n503 5.0.0 AUTH requires EHLO"),
            Some("command-order"),
        ),
        // Relaying refused "as" an address refuses sending as it, not the recipient's domain.
        (
            format!("{logged_in}\n553 Relaying disallowed as ceo@example.com"),
            Some("sender-mismatch"),
        ),
        // A busy server passes, whatever its code.
        (format!("{rcpt}\n554 Server Busy"), Some("try-later")),
        (
            format!("{rcpt}\n451 4.3.5 System incorrectly configured"),
            Some("try-later"),
        ),
        (format!("{rcpt}\n553 5.6.7 SMTPUTF8 required"), Some("syntax")),
        // Not allowed to send from an address: the account's, unless SPF names the client's IP.
        (
            format!("{logged_in}\n554 You are not allowed to send email from [ceo@example.com]"),
            Some("sender-mismatch"),
        ),
        (
            format!("{mail}\n550 192.0.2.1 is not allowed to send from <example.jp> per its SPF Record"),
            Some("spf"),
        ),
        (format!("{dot}\n550 5.7.1 Message body rejected [301]"), Some("spam")),
        (
            format!("{rcpt}\n451 4.7.1 Too many new addresses, try again later"),
            Some("rate-limit"),
        ),
        (
            "220 mx ESMTP\nHELO 192.0.2.2\n550 5.0.0 HELO with bare IP must use [IP] format".to_owned(),
            Some("helo"),
        ),
        (
            format!("{rcpt}\n550 Cannot deliver mail for this domain."),
            Some("relay"),
        ),
        (
            format!("{dot}\n550 5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy"),
            Some("dmarc"),
        ),
        (
            format!("{rcpt}\n450 Cannot send message with multiple To addresses"),
            Some("too-many-recipients"),
        ),
        // A server that cannot read its own store fails on its side, whatever the message.
        (
            format!("{login}\n+OK\nRETR 2\n-ERR cannot read message file"),
            Some("try-later"),
        ),
        // DATA has no arguments to get wrong: a syntax error where no recipient was accepted
        // is the order of the commands.
        (
            format!("{rcpt}\n550 No such user\nDATA\n501 syntax error: DATA"),
            Some("command-order"),
        ),
        (
            format!("{mail}\n250 ok\nDATA\n501 Syntax error"),
            Some("command-order"),
        ),
        // Words spelt short or misspelt are read as the words they stand for.
        (
            "220 mx\nHELO me\n250 mx\nRCPT TO:<b@example.org>\n500 cmd unknown".to_owned(),
            Some("command-order"),
        ),
        (
            format!("{rcpt}\n550 Receiver address unknown"),
            Some("unknown-user"),
        ),
        (
            "220 mx\nHELO me\n250 mx\nMAIL FROM:<a@example.com>\n250 ok\nRCPT TO:<x@example.org>\n250 Invaild receptor".to_owned(),
            Some("unknown-user"),
        ),
        (
            format!("{rcpt}\n550 <b@example.org>, destin. sconosciuto"),
            Some("unknown-user"),
        ),
        (
            "554 connections from your country are not allowed".to_owned(),
            Some("blocked-ip"),
        ),
        (
            "+OK ready\nUSER alice\n-ERR Logins only over TLS: use STLS first".to_owned(),
            Some("tls-required"),
        ),
        (
            format!("{dot}\n552 Headers length 70000 bytes: over the limit"),
            Some("size"),
        ),
        // A check that failed to run, a store out of reach, a failed DNS lookup: the server's
        // side, whatever the check was for.
        (
            format!("{dot}\n451 4.7.1 Temporary virus check failure, try again later"),
            Some("try-later"),
        ),
        (
            format!("{login}\n+OK\nRETR 1\n-ERR Message storage unavailable"),
            Some("try-later"),
        ),
        (
            format!("{login}\n+OK\nRETR 1\n-ERR unable to retrieve message content"),
            Some("try-later"),
        ),
        (
            "220 mx ESMTP\nEHLO me\n250 mx\nMAIL FROM:<a@example.com>\n450 4.1.8 <a@example.com>... MX lookup failure for example.com".to_owned(),
            Some("try-later"),
        ),
        (
            "500 mx.example.org is busy".to_owned(),
            Some("try-later"),
        ),
        (
            format!("{rcpt}\n550 Unknown target address"),
            Some("unknown-user"),
        ),
        (
            format!("{rcpt}\n550 Unexpected domain example.org"),
            Some("unknown-domain"),
        ),
        (
            "220 mx ESMTP\nEHLO me\n250 mx\nAUTH PLAIN AGEAYg==\n504 Only LOGIN authentication is supported".to_owned(),
            Some("auth-mechanism"),
        ),
        (
            format!("{login}\n+OK\nDELE 2\n-ERR message is locked"),
            Some("mailbox-locked"),
        ),
        (
            format!("{mail}\n554 refused mailfrom: valid local sender address required"),
            Some("sender-rejected"),
        ),
        (
            format!("{rcpt}\n551 You are not a list member"),
            Some("sender-rejected"),
        ),
        (
            format!("{mail}\n451 4.1.8 Possibly forged hostname for 192.0.2.1"),
            Some("rdns"),
        ),
        (
            format!("{rcpt}\n550 5.6.3 Your IPv6 address must be sent with encryption"),
            Some("tls-required"),
        ),
        (
            format!("{mail}\n530 Client does not have permission to submit mail to this server"),
            Some("auth-required"),
        ),
        (
            "220 mx ESMTP\nHELO [192.0.2.7]\n550 [192.0.2.7] is not a fully qualified domain name".to_owned(),
            Some("helo"),
        ),
        (
            format!("{dot}\n554 Expected only 7 bit data"),
            Some("syntax"),
        ),
        (
            "220 mx ESMTP\nEHLO me\n250 mx\nDATA\n503 need 'RCPT TO' before 'DATA'".to_owned(),
            Some("command-order"),
        ),
        (
            format!("{mail}\n421 Too many commands without progressing, bye"),
            Some("too-many-errors"),
        ),
        (
            format!("{dot}\n451 TEMPFAIL requested by the content filter"),
            Some("try-later"),
        ),
        (
            format!("{rcpt}\n550 The recipient mailbox is not available here"),
            Some("unknown-user"),
        ),
        (format!("{login}\n-ERR 1 attempts left"), Some("auth-failed")),
        (
            format!("{dot}\n552 Message content must be less than 10 MB"),
            Some("size"),
        ),
        (
            format!("{mail}\n450 You cannot send mail for another 5 minutes"),
            Some("rate-limit"),
        ),
    ];
    // A 5xx read as the server's own failure says both what its code and its words say.
    let (en, zh) = explain_zh_en(&format!("{rcpt}\n550 server internal error"));
    assert!(
        en.contains("Permanent by its code (5xx), though the server's words put the fault in the server itself")
            && en.contains("Nothing in your command needs to change"),
        "{en}"
    );
    assert!(zh.contains("故障出在服务器自己身上"), "{zh}");
    // Words of another language are quoted whole, as no English pattern is written in them;
    // English words are quoted as the pattern found.
    let (en, zh) = explain_zh_en(&format!("{login}\n-ERR Passwort ist ungültig"));
    assert!(
        en.contains("the server's words “Passwort ist ungültig” say why: the server did not accept the login"),
        "{en}"
    );
    assert!(
        zh.contains("服务器原话中的“Passwort ist ungültig”说明了原因"),
        "{zh}"
    );
    // A success code whose words say the command failed: the cause they name, and that the
    // code is the server's mistake. A success about the session's own lock is none.
    let (en, zh) = explain_zh_en(&format!(
        "{mail}\n250 ok\nDATA\n250 : Invalid sequence of Commands!"
    ));
    assert!(
        en.contains("Its code says success") && en.contains("the command came out of order"),
        "{en}"
    );
    assert!(zh.contains("是服务器发错了代码"), "{zh}");
    // A success whose words say the server goes on all the same is an acceptance.
    let (en, _) = explain_zh_en(&format!(
        "{rcpt}\n250 ok\nRCPT TO:<c@example.net>\n250 Recipient not found, but will try to forward the email"
    ));
    assert!(!en.contains("Its code says success"), "{en}");
    let (en, _) = explain_zh_en(&format!(
        "{rcpt}\n250 ok\nRCPT TO:<c@example.net>\n250 Recipient not found"
    ));
    assert!(en.contains("Its code says success"), "{en}");
    let (en, _) = explain_zh_en("+OK ready\nUSER a\n+OK\nPASS b\n+OK Maildrop locked and ready");
    assert!(!en.contains("Its code says success"), "{en}");
    // An unknown name in a POP3 login is the account's, corrected with USER, not a recipient.
    let (en, zh) = explain_zh_en("+OK ready\nUSER alcie\n-ERR No such user");
    assert!(
        en.contains("no account by this name") && en.contains("send USER with the right name"),
        "{en}"
    );
    assert!(!en.contains("send to an address"), "{en}");
    assert!(zh.contains("用正确的名字重新发送 USER"), "{zh}");
    let (en, _) = explain_zh_en(&format!("{login}\n-ERR invalid password, sorry"));
    assert!(
        en.contains("the server's words “invalid password” say why"),
        "{en}"
    );
    // EHLO's argument is worded as EHLO's, not as an address.
    let (en, zh) = explain_zh_en("220 mx ESMTP\nEHLO\n501 Syntax error, tell me who you are!");
    assert!(
        en.contains("argument of EHLO/HELO") && !en.contains("MAIL FROM:<you"),
        "{en}"
    );
    assert!(zh.contains("EHLO/HELO 的参数"), "{zh}");
    let (en, zh) = explain_zh_en("220 mx ESMTP\nEHLO me\n250 mx\nVRFY bob\n502");
    assert!(
        en.contains("the reply has no words; its code 502 says"),
        "{en}"
    );
    assert!(zh.contains("这条回复没有文字"), "{zh}");
    // A message marked with DELE keeps its number: STAT's count after it leaves it out.
    let kept = format!("{login}\n+OK\nDELE 1\n+OK\nSTAT\n+OK 1 160\nRETR 2\n-ERR Something odd");
    let t = explain::fold(&kept);
    let x = last_reply(t.entries())
        .and_then(|e| e.explanation())
        .unwrap();
    assert_eq!(x.topic(), None, "{}", x.one_line(Lang::En));
    // The session's reading says where it comes from, and quotes the server's words.
    let (en, zh) = explain_zh_en("+OK ready\nUSER alice\n+OK\nPASS\n-ERR Must send password");
    assert!(
        en.contains("the session shows why") && en.contains("“Must send password”"),
        "{en}"
    );
    assert!(!en.contains("password is wrong"), "{en}");
    assert!(zh.contains("会话本身说明了原因"), "{zh}");
    // A syntax error after the final dot is in the message's header fields.
    let (en, zh) = explain_zh_en(&cases[21].0);
    assert!(
        en.contains("header field") && !en.contains("MAIL FROM:<you"),
        "{en}"
    );
    assert!(zh.contains("头字段"), "{zh}");
    // One in POP3 is in the command's arguments, written as POP3 writes them.
    let pop3 = cases
        .iter()
        .find(|(t, _)| t.ends_with("-ERR username too long"))
        .unwrap();
    let (en, zh) = explain_zh_en(&pop3.0);
    assert!(
        en.contains("RETR 1") && !en.contains("MAIL FROM:<you"),
        "{en}"
    );
    assert!(zh.contains("邮件编号"), "{zh}");
    // The class the code gives and the one the words give are both said.
    let (en, zh) = explain_zh_en(&cases[7].0);
    assert!(en.contains("Permanent by its code (5xx), though"), "{en}");
    assert!(zh.contains("稍后重试"), "{zh}");
    // So are they when the cause's topic lasts but the words say when to try again; a
    // refusal that also says "try later" stays a refusal.
    let (en, zh) = explain_zh_en(&format!(
        "{rcpt}\n554 Rate limit exceeded. Try again in 37 seconds"
    ));
    assert!(en.contains("Permanent by its code (5xx), though"), "{en}");
    assert!(zh.contains("稍后重试"), "{zh}");
    let (en, _) = explain_zh_en(&format!("{rcpt}\n554 Service refused, please try later"));
    assert!(!en.contains("Permanent by its code (5xx), though"), "{en}");
    let (en, zh) = explain_zh_en(&cases[9].0);
    assert!(en.contains("Temporary by its code (4xx), though"), "{en}");
    assert!(zh.contains("不会自行消失"), "{zh}");
    // A link or an address on a block list is not the client's IP address, POP3 has no SIZE
    // limit, and a clause of purpose is not the cause.
    for text in [
        format!("{login}\n+OK\nUIDL 3\n-ERR message too large"),
        format!(
            "{auth}\n235 ok\nAUTH LOGIN\n503 authentication is allowed only once per message in order to slow down bruteforce cracking"
        ),
        format!("{dot}\n550 5.7.1 black listed URL host bad.example by dbl.spamhaus.org"),
        format!("{mail}\n550 5.7.1 black listed <promo@spammy.example> by ebl.msbl.org"),
    ] {
        let t = explain::fold(&text);
        let x = last_reply(t.entries())
            .and_then(|e| e.explanation())
            .unwrap();
        assert!(
            !matches!(x.topic(), Some("blocked-ip" | "rate-limit" | "size")),
            "{}",
            x.one_line(Lang::En)
        );
    }
    // Too many connections from the client's IP is a limit, not a block list.
    let t = explain::fold(&format!(
        "{rcpt}\n421 Server busy, too many connections from your IP"
    ));
    let x = last_reply(t.entries())
        .and_then(|e| e.explanation())
        .unwrap();
    assert_ne!(x.topic(), Some("blocked-ip"), "{}", x.one_line(Lang::En));
    // A lock the words do not tie to failed logins is not taught as a lockout.
    let t = explain::fold(&format!("{login}\n-ERR 您的帐号已被锁定"));
    let x = last_reply(t.entries())
        .and_then(|e| e.explanation())
        .unwrap();
    assert_ne!(x.topic(), Some("lockout"), "{}", x.one_line(Lang::En));
    for (text, topic) in &cases {
        let t = explain::fold(text);
        let x = last_reply(t.entries())
            .and_then(|e| e.explanation())
            .unwrap();
        match topic {
            Some(topic) => assert_eq!(x.topic(), Some(*topic), "{text}\n{}", x.one_line(Lang::En)),
            None => assert!(
                !matches!(x.topic(), Some("timeout" | "try-later")),
                "{text}\n{}",
                x.one_line(Lang::En)
            ),
        }
    }
}

/// "Does not exist" names a missing mailbox only when it is said of one: a storage bucket, key
/// or label that does not exist is the server's own matter.
#[test]
fn what_does_not_exist_is_read_from_its_subject() {
    let login = "+OK ready\nUSER alice\n+OK\nPASS secret";
    let rcpt =
        "220 mx ESMTP\nEHLO me\n250 mx\nMAIL FROM:<a@example.com>\n250 ok\nRCPT TO:<b@example.org>";
    for (text, unknown_user) in [
        (
            format!("{login}\n-ERR NoSuchKey: The specified key does not exist."),
            false,
        ),
        (
            format!("{login}\n-ERR The specified bucket does not exist"),
            false,
        ),
        (
            format!("{rcpt}\n550 The label you requested does not exist."),
            false,
        ),
        (format!("{rcpt}\n550 <b@example.org> does not exist"), true),
        (format!("{login}\n-ERR mailbox file does not exist"), true),
    ] {
        let t = explain::fold(&text);
        let x = last_reply(t.entries())
            .and_then(|e| e.explanation())
            .unwrap();
        assert_eq!(
            x.topic() == Some("unknown-user"),
            unknown_user,
            "{text}\n{}",
            x.one_line(Lang::En)
        );
    }
}

/// What the session itself shows outweighs words that would name another cause: a command out
/// of its place, a command without its argument, a listing that names no message.
#[test]
fn the_session_shows_what_the_words_leave_open() {
    // STAT before the login: "invalid PASS" speaks of the order, not of a password.
    let (en, zh) = explain_zh_en("+OK ready\nUSER alice\n+OK\nSTAT\n-ERR invalid PASS command");
    assert!(
        en.contains("Not logged in yet") && !en.contains("credentials are not valid"),
        "{en}"
    );
    assert!(!zh.contains("凭据"), "{zh}");
    // USER after the login: this session's own login, not another session holding the box.
    let (en, _) = explain_zh_en(
        "+OK ready\nUSER a\n+OK\nPASS b\n+OK in\nUSER c\n-ERR already logged in, please quit before issuing USER command",
    );
    assert!(
        en.contains("logged in already") && !en.contains("another session"),
        "{en}"
    );
    // RCPT TO before MAIL FROM, in a session shown from its greeting.
    let rcpt = "HELO c.example.org\n250 Ok\nRCPT TO:<bob@example.com>\n501 Invalid Command \"RCPT TO:<bob@example.com>\"";
    let (en, _) = explain_zh_en(&format!("220 mx ESMTP\n{rcpt}"));
    assert!(
        en.contains("the session shows why: the command came out of order")
            && !en.contains("did not recognise the command word"),
        "{en}"
    );
    assert!(en.contains("Send MAIL FROM:<your address> first"), "{en}");
    // Pasted from the middle, the session does not show what came before: the words decide.
    let (en, _) = explain_zh_en(rcpt);
    assert!(!en.contains("came out of order"), "{en}");
    // "Authentication failed" to a mail command where no AUTH was ever sent refuses no
    // password: the server wants a login. After an AUTH, or pasted without the session's
    // start, the words are read as they stand.
    let mail =
        "EHLO me\n250-mx\n250 AUTH LOGIN\nMAIL FROM:<a@example.org>\n535 Authentication failed";
    let (en, zh) = explain_zh_en(&format!("220 mx ESMTP\n{mail}"));
    assert!(
        en.contains("the session shows why: the server takes mail only from users who logged in")
            && !en.contains("credentials are not valid"),
        "{en}"
    );
    assert!(
        zh.contains("还没有成功登录") && !zh.contains("凭据"),
        "{zh}"
    );
    let (en, _) = explain_zh_en(mail);
    assert!(
        en.contains("password is wrong") && !en.contains("only from users who logged in"),
        "{en}"
    );
    let tried = "220 mx ESMTP\nEHLO me\n250-mx\n250 AUTH LOGIN CRAM-MD5\nAUTH CRAM-MD5\n334 PDEyMz4=\nYWxpY2UgZGVhZGJlZWY=\n535 Authentication failed\nMAIL FROM:<a@example.org>\n530 Authentication failed";
    let (en, _) = explain_zh_en(tried);
    assert!(
        en.rsplit("530")
            .next()
            .is_some_and(|n| n.contains("credentials are not valid")),
        "{en}"
    );
    // An address without its domain, refused with 500: "syntax error, command unrecognized"
    // for a command word the tutor knows is the syntax error the session shows; for a word it
    // does not know, 500 keeps its reading.
    let (en, _) = explain_zh_en(
        "220 mx ESMTP\nEHLO me\n250 ok\nMAIL FROM:<bob>\n500 unacceptable email address",
    );
    assert!(
        en.contains("the session shows why: the server could not read"),
        "{en}"
    );
    let (en, _) = explain_zh_en("220 mx ESMTP\nEHLO me\n250 ok\nMAIK FROM:<bob>\n500 what?");
    assert!(!en.contains("the session shows why"), "{en}");
    // MAIL FROM before any EHLO/HELO: "hello command" does not speak of the name given.
    let (en, _) = explain_zh_en(
        "220 mx ESMTP\nMAIL FROM:<a@example.org>\n554 unknown server error:MAIL command before EHLO/HELLO command",
    );
    assert!(
        en.contains("came out of order") && !en.contains("the name you gave"),
        "{en}"
    );
    // EHLO alone, refused as unknown: the missing name, not an RFC 821 server.
    let (en, zh) = explain_zh_en("220 mx ESMTP\nEHLO\n502 5.5.2 Error: Command Not Recognized");
    assert!(
        en.contains("no name") || en.contains("without a name"),
        "{en}"
    );
    assert!(!en.contains("RFC 821"), "{en}");
    assert!(zh.contains("没有带名字"), "{zh}");
    let (en, _) = explain_zh_en("220 mx ESMTP\nEHLO me\n500 Syntax error, command unrecognized");
    assert!(en.contains("RFC 821"), "{en}");
    // LIST without a number names no message that could be missing.
    let login = "+OK ready\nUSER a\n+OK\nPASS b\n+OK 0 messages";
    let (en, _) = explain_zh_en(&format!("{login}\nLIST\n-ERR no messages found"));
    assert!(!en.contains("no message with that number"), "{en}");
    let (en, _) = explain_zh_en(&format!("{login}\nRETR 5\n-ERR no message 5"));
    assert!(en.contains("no message with that number"), "{en}");
    // "Not local" in a reply to MAIL FROM speaks of the sender; "relay" keeps its meaning.
    let (en, _) = explain_zh_en(
        "220 mx ESMTP\nHELO c\n250 ok\nMAIL FROM:<a@example.net>\n551 User not local.",
    );
    assert!(!en.contains("recipient is not a mailbox"), "{en}");
    let (en, _) = explain_zh_en(
        "220 mx ESMTP\nHELO c\n250 ok\nMAIL FROM:<a@example.net>\n550 Insecure Mail Relay",
    );
    assert!(en.contains("recipient is not a mailbox"), "{en}");
    // "No sender" to MAIL FROM:<> speaks of the address the line gave, not of the order.
    let (en, _) =
        explain_zh_en("220 mx ESMTP\nHELO c\n250 ok\nMAIL FROM:<>\n554 No sender email address.");
    assert!(
        en.contains("refuses the sender address") && !en.contains("came out of order"),
        "{en}"
    );
    // A refused sender whose words point at SPF is read as SPF, the more precise cause.
    let (en, _) = explain_zh_en(
        "220 mx ESMTP\nHELO c\n250 ok\nMAIL FROM:<a@example.com>\n554 Invalid sender - see http://www.openspf.org/Introduction",
    );
    assert!(en.contains("checked SPF"), "{en}");
}

/// What is not the cause is not read as one: a clause of purpose ("as a means of reducing
/// spam"), a check the words say passed, the command after "before"; a situation that fits only
/// the code and the command gives way to words it does not know; a success may report a
/// failure in its words.
#[test]
fn only_the_words_that_give_the_cause_are_read() {
    let ehlo = "220 mx ESMTP\nEHLO me\n250-mx\n250 STARTTLS";
    let mail = "220 mx ESMTP\nEHLO me\n250 mx\nMAIL FROM:<a@example.com>";
    let rcpt = format!("{mail}\n250 ok\nRCPT TO:<b@example.org>");
    let dot = format!("{rcpt}\n250 ok\nDATA\n354 go ahead\nSubject: t\n\nhi\n.");
    let topic = |text: &str| {
        let t = explain::fold(text);
        let x = last_reply(t.entries())
            .and_then(|e| e.explanation())
            .unwrap();
        (x.topic().map(str::to_owned), x.one_line(Lang::En))
    };
    for (text, want) in [
        (
            format!(
                "{rcpt}\n451 This server employs greylisting as a means of reducing spam. Please resend e-mail shortly"
            ),
            Some("greylist"),
        ),
        (
            format!(
                "{dot}\n550 5.7.515 Access denied, sending domain EXAMPLE.JP fails. Spf= Fail , Dkim= Pass , DMARC= Pass"
            ),
            Some("spf"),
        ),
        (
            format!("{ehlo}\nSTARTTLS\n503 EHLO required before STARTTLS"),
            Some("command-order"),
        ),
        // The code alone would say "an address written wrongly"; these words say something
        // else, which the tutor quotes instead of guessing.
        (format!("{mail}\n501 Frobnicated zorble"), None),
        (
            format!("{mail}\n501 Syntax: MAIL FROM: <address>"),
            Some("syntax"),
        ),
        (
            format!("{dot}\n250 Virus Detected; Discarded Email"),
            Some("virus"),
        ),
        (
            "220 mx ESMTP no viruses here\nEHLO me\n250 mx".to_owned(),
            None,
        ),
        // A log's field name ("relay=") and a file's path name no cause.
        (
            format!(
                "{rcpt}\n550 5.2.1 <b@example.org>... blank mailhost - invalid address, relay=[192.0.2.10]"
            ),
            Some("syntax"),
        ),
        (
            format!(
                "{dot}\n451 4.5.0 Error in processing: delivery to /var/lib/amavis/virusmails/spam-x.gz failed"
            ),
            Some("try-later"),
        ),
        // An address written into a pattern ("mail from {ip}") stands beside its words: here
        // the address is the client's, a clause away, not a sender from a blocked IP.
        (
            format!(
                "{mail}\n554 Connection refused(mx). MAIL FROM [a@example.com] mismatches client IP [192.0.2.10]."
            ),
            Some("policy"),
        ),
    ] {
        let (got, line) = topic(&text);
        assert_eq!(got.as_deref(), want, "{text}\n{line}");
    }
    let (_, line) = topic(&format!("{mail}\n501 Frobnicated zorble"));
    assert!(line.contains("Frobnicated zorble"), "{line}");
    // A server that adds its own reason after a phrase a situation knows gives the cause in
    // those words, and the note quotes the words it read.
    let auth = "220 mx ESMTP\nEHLO me\n250-mx\n250 AUTH LOGIN PLAIN\nAUTH PLAIN AGEAYg==";
    let (got, line) = topic(&format!(
        "{auth}\n535 5.7.8 Error: authentication failed: This user does not have access rights to this service"
    ));
    assert_eq!(got.as_deref(), Some("account-disabled"), "{line}");
    assert!(line.contains("“not have access … service”"), "{line}");
    let (got, line) = topic(&format!(
        "{auth}\n535 5.7.8 Error: authentication failed: Your message looks like spam. You need to use web for sending or prove you are not a robot"
    ));
    assert_eq!(got.as_deref(), Some("spam"), "{line}");
    let (got, line) = topic(&format!("{auth}\n535 5.7.8 Error: authentication failed"));
    assert_eq!(got.as_deref(), Some("auth-failed"), "{line}");
    // The advice names no login method the student did not use (this one sent AUTH PLAIN).
    assert!(!line.contains("AUTH LOGIN"), "{line}");
}

/// One explanation per reply, everywhere: the annotated transcript, `explain`, `send`'s
/// printing (the same render) and the HTML page show each reply's explanation once, and no
/// code's reference meaning beside it.
#[test]
fn every_reply_is_explained_once_everywhere() {
    let text = "220 mx ESMTP\nEHLO me\n250-mx\n250 AUTH LOGIN\nAUTH LOGIN\n334 VXNlcm5hbWU6\ndQ==\n334 UGFzc3dvcmQ6\ncA==\n535 5.7.8 Authentication credentials invalid\nMAIL FROM:<a@example.com>\n530 5.7.0 Authentication required\nQUIT\n221 2.0.0 Bye\n";
    let t = explain::fold(text);
    let replies: Vec<_> = t
        .entries()
        .iter()
        .filter(|e| e.dir == Direction::Server)
        .collect();
    assert!(replies.len() >= 6);
    let annotated = t.export_annotated(Lang::En, false);
    let pasted = explain::annotate(
        text,
        Options {
            lang: Lang::En,
            show_secrets: false,
        },
    );
    let header = mailtutor::html_export::Header {
        student: String::new(),
        date: String::new(),
        lesson: None,
    };
    let html = mailtutor::html_export::transcript_html(&t, Lang::En, false, &header);
    for e in &replies {
        let n = e
            .notes
            .iter()
            .filter(|n| matches!(n, Note::Explanation(_)))
            .count();
        assert_eq!(n, 1, "{:?}", e.text(false));
        let x = e.explanation().unwrap();
        let meaning = x.meaning(Lang::En);
        for (where_, out) in [("annotated", &annotated), ("explain", &pasted)] {
            assert_eq!(
                out.matches(&format!("» {meaning}")).count(),
                1,
                "{where_}: {meaning}\n{out}"
            );
        }
    }
    // The page: one explanation row per reply.
    assert_eq!(
        html.matches("<div class=\"note\">» ").count(),
        replies.len(),
        "{html}"
    );
    // No code's reference meaning beside an explanation (they are details on demand).
    for out in [&annotated, &pasted] {
        assert!(
            !out.contains("535: Authentication credentials invalid"),
            "{out}"
        );
        assert!(!out.contains("5.7.8: "), "{out}");
        assert!(
            !out.lines().any(|l| l.trim_start().starts_with("→ ")),
            "{out}"
        );
    }
    let verbose = explain::annotate_verbose(
        text,
        Options {
            lang: Lang::En,
            show_secrets: false,
        },
    );
    assert!(verbose.contains("· 5.7.8: "), "{verbose}");
}
