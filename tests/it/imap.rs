//! IMAP in `mailtutor explain`: a session's responses explained one by one in their context,
//! a student's mistakes named, the states followed, passwords masked, in both languages.

use crate::logs::annotate;
use mailtutor::explain::{self, Options};
use mailtutor::proto::Lang;

/// A note under the line that starts with `line`.
fn notes_under<'a>(out: &'a str, line: &str) -> Vec<&'a str> {
    out.lines()
        .skip_while(|l| !l.starts_with(line))
        .skip(1)
        .take_while(|l| l.starts_with(' ') && !l.starts_with("   ") || l.starts_with("      "))
        .collect()
}

#[test]
fn a_telnet_session_with_a_students_mistakes() {
    // What a student types at `telnet imap.example.com 143`: a command without a tag, FETCH
    // before SELECT, then the right way.
    let log = "* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN] Dovecot ready.\n\
LOGIN alice secret\n\
* BAD Error in IMAP command received by server.\n\
a1 LOGIN alice secret\n\
a1 OK [CAPABILITY IMAP4rev1 IDLE] Logged in\n\
a2 FETCH 1 BODY[HEADER]\n\
a2 BAD No mailbox selected.\n\
a3 SELECT INBOX\n\
* 1 EXISTS\n\
a3 OK [READ-WRITE] Select completed.\n";
    let out = annotate(log, Lang::En);
    assert!(explain::is_imap(log));
    assert!(out.contains("C: LOGIN alice ******"), "{out}");
    assert!(!out.contains("secret"), "{out}");
    let no_tag = notes_under(&out, "C: LOGIN alice").join("\n");
    assert!(no_tag.contains("No tag"), "{no_tag}");
    let bad = notes_under(&out, "S: * BAD").join("\n");
    assert!(bad.contains("no tag to answer it with"), "{bad}");
    let fetch = notes_under(&out, "C: a2 FETCH").join("\n");
    assert!(
        fetch.contains("not allowed now") && fetch.contains("no mailbox selected"),
        "{fetch}"
    );
    let refused = notes_under(&out, "S: a2 BAD").join("\n");
    assert!(
        refused.contains("FETCH is not allowed now") && refused.contains("SELECT INBOX"),
        "{refused}"
    );
    assert!(out.contains("→ Now in mailbox INBOX."), "{out}");
    // The same in Chinese.
    let zh = annotate(log, Lang::Zh);
    assert!(
        zh.contains("没有标签") && zh.contains("现在处于已选中邮箱 INBOX 的状态"),
        "{zh}"
    );
    // Shown when asked.
    let shown = explain::annotate(
        log,
        Options {
            lang: Lang::En,
            show_secrets: true,
        },
    );
    assert!(shown.contains("C: a1 LOGIN alice secret"), "{shown}");
    // AUTHENTICATE's initial response carries the password too.
    let sasl = annotate(
        "S: * OK IMAP4rev1 ready\nC: a1 AUTHENTICATE PLAIN AGFsaWNlAHNlY3JldA==\nS: a1 OK done\n",
        Lang::En,
    );
    assert!(!sasl.contains("AGFsaWNlAHNlY3JldA=="), "{sasl}");
    assert!(sasl.contains("C: a1 AUTHENTICATE PLAIN ****"), "{sasl}");
}

#[test]
fn logindisabled_explains_a_refused_login_until_starttls() {
    // RFC 3501 §6.2.1's example, with the LOGIN the student tries first.
    let log = "C: a001 CAPABILITY\n\
S: * CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\n\
S: a001 OK CAPABILITY completed\n\
C: a000 LOGIN joe password\n\
S: a000 NO LOGIN is disabled\n\
C: a002 STARTTLS\n\
S: a002 OK Begin TLS negotiation now\n\
C: a003 CAPABILITY\n\
S: * CAPABILITY IMAP4rev1 AUTH=PLAIN\n\
S: a003 OK CAPABILITY completed\n\
C: a004 LOGIN joe password\n\
S: a004 OK LOGIN completed\n";
    let out = annotate(log, Lang::En);
    let refused = notes_under(&out, "S: a000 NO").join("\n");
    assert!(
        refused.contains("LOGINDISABLED") && refused.contains("STARTTLS"),
        "{refused}"
    );
    assert!(
        notes_under(&out, "S: a002 OK")
            .join("\n")
            .contains("TLS handshake starts here"),
        "{out}"
    );
    assert!(out.contains("→ Now logged in"), "{out}");
}

#[test]
fn an_smtp_or_pop3_session_is_not_read_as_imap() {
    for log in [
        "220 mx ESMTP\nEHLO me\n250 mx\nQUIT\n221 bye\n",
        "+OK ready\nUSER alice\n+OK\nPASS x\n+OK in\nQUIT\n+OK bye\n",
        "* Trying 192.0.2.1:25...\n* Connected to mx\n< 220 mx ESMTP\n> EHLO me\n< 250 mx\n",
        // An EHLO list that ends in STARTTLS, then two `250 OK`: not a command tagged 250
        // and its two completions.
        "220 mx ESMTP\nEHLO me\n250-mx\n250-SIZE 10240000\n250 STARTTLS\nMAIL FROM:<a@b.c>\n\
         250 OK\nRCPT TO:<d@e.f>\n250 OK\nDATA\n354 go\n.\n552 Too big email\n",
    ] {
        assert!(!explain::is_imap(log), "{log}");
    }
}

#[test]
fn a_literal_pasted_without_its_exact_bytes_still_ends_where_the_response_does() {
    // Pasted from a terminal: the CRs and a folded header's leading tab are gone, so the
    // literal's count no longer matches the bytes shown.
    let log = "S: * OK IMAP4rev1 ready\n\
C: a1 LOGIN alice secret\n\
S: a1 OK done\n\
C: a2 SELECT INBOX\n\
S: a2 OK [READ-WRITE] done\n\
C: a4 FETCH 12 BODY[HEADER]\n\
S: * 12 FETCH (BODY[HEADER] {120}\n\
S: Received: from mail.example.com\n\
S: \tby mx.example.org; Wed, 17 Jul 1996 02:23:25 -0700\n\
S: Subject: hi\n\
S: \n\
S: )\n\
S: a4 OK FETCH completed\n\
C: a5 FETCH 12 BODY[] \n\
S: * 12 FETCH (BODY[] {5}\n\
S: hello FLAGS (\\Seen))\n\
S: a5 OK done\n";
    let out = annotate(log, Lang::En);
    assert!(!out.contains("does not follow IMAP's grammar"), "{out}");
    let done = notes_under(&out, "S: a4 OK FETCH completed").join("\n");
    assert!(done.contains("The command with this tag worked"), "{out}");
    let fetched = notes_under(&out, "S: )").join("\n");
    assert!(fetched.contains("Data about the message"), "{out}");
    // A literal that ends inside a line: the line goes on after it.
    let inline = notes_under(&out, "S: hello FLAGS").join("\n");
    assert!(inline.contains("Data about the message"), "{out}");
}
