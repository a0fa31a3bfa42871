//! Session logs as tools print them — PHPMailer, smtplib and poplib, curl -v, Nodemailer,
//! JavaMail, Ruby's Net::SMTP, MailKit, openssl s_client, swaks, msmtp, fetchmail, Go's
//! go-mail and go-smtp, Symfony Mailer, Perl's Net::SMTP (git send-email), .NET's
//! SmtpException, Exchange's protocol logs, logs that label lines with direction words (a plugin's, a webmail's, a
//! server's own) or a bare `S`/`C`, hand-written arrow dumps, telnet and nc on Windows and
//! Unix — and tutorial
//! pages pasted whole: real public samples in `tests/fixtures/logs/` (each
//! citing where it was posted) and `tests/fixtures/pages/`, read by `mailtutor explain`.
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use mailtutor::explain::{self, Options};
use mailtutor::proto::Lang;

const UNKNOWN: &str = "not a command the server knows";
const UNKNOWN_POP3: &str = "not a POP3 command the server knows";

/// `mailtutor explain`'s annotation, passwords masked.
pub(crate) fn annotate(text: &str, lang: Lang) -> String {
    explain::annotate(
        text,
        Options {
            lang,
            show_secrets: false,
        },
    )
}

fn fixtures(dir: &str) -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut all: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    all.sort();
    all
}

/// Every sample is read with the server's lines as `S:`, the client's as `C:`, the tools'
/// own lines as asides, and the client lines a log of the server's side makes certain as
/// inferred, as its header says (`# expect-server:`, `# expect-client:`, `# expect-aside:`,
/// `# expect-event:`); no line is called a command the server does not know, and no reply is
/// left without knowing what it answers.
#[test]
fn every_log_format_is_read_from_real_samples() {
    let samples = fixtures("tests/fixtures/logs");
    assert!(samples.len() >= 114, "{}", samples.len());
    let mut failures = Vec::new();
    for (name, text) in &samples {
        let header: Vec<&str> = text.lines().take_while(|l| l.starts_with("# ")).collect();
        assert!(
            header.iter().any(|l| l.starts_with("# source: http")),
            "{name} cites no source"
        );
        let body: String = text
            .lines()
            .skip(header.len())
            .collect::<Vec<_>>()
            .join("\n");
        let out = annotate(&body, Lang::En);
        let lines: Vec<&str> = out.lines().collect();
        for h in &header {
            let (prefix, want) = if let Some(w) = h.strip_prefix("# expect-server: ") {
                ("S: ", w)
            } else if let Some(w) = h.strip_prefix("# expect-client: ") {
                ("C: ", w)
            } else if let Some(w) = h.strip_prefix("# expect-aside: ") {
                ("   ", w)
            } else if let Some(w) = h.strip_prefix("# expect-event: ") {
                ("* ", w)
            } else {
                continue;
            };
            let want = format!("{prefix}{want}");
            if !lines.iter().any(|l| l.trim_end() == want.trim_end()) {
                failures.push(format!("{name}: no line {want:?}"));
            }
        }
        // A sample may hold a line its poster wrote into the log (a redaction), which the
        // server then refuses: the header says how many.
        let allowed: usize = header
            .iter()
            .find_map(|h| h.strip_prefix("# expect-unknown: "))
            .map_or(0, |n| n.trim().parse().unwrap());
        if out.matches(UNKNOWN).count() != allowed {
            failures.push(format!("{name}: {UNKNOWN:?} not {allowed} times in\n{out}"));
        }
        // A POP3 server refuses what a client sent it in SMTP's words (curl's STARTTLS).
        let allowed_pop3: usize = header
            .iter()
            .find_map(|h| h.strip_prefix("# expect-unknown-pop3: "))
            .map_or(0, |n| n.trim().parse().unwrap());
        if out.matches(UNKNOWN_POP3).count() != allowed_pop3 {
            failures.push(format!(
                "{name}: {UNKNOWN_POP3:?} not {allowed_pop3} times in\n{out}"
            ));
        }
        for bad in ["→ ?", "breaks the connection"] {
            if out.contains(bad) {
                failures.push(format!("{name}: {bad:?} in\n{out}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The tutorials this project replaces, pasted whole as their web pages: the prose around
/// the sessions is shown as text around the session, in both languages, and the sessions in
/// them are read as sessions.
#[test]
fn the_tutorials_pasted_whole_keep_their_prose_out_of_the_session() {
    let pages = fixtures("tests/fixtures/pages");
    assert_eq!(pages.len(), 4);
    let prose = [
        (
            "tutorial-qq-126.txt",
            "windows默认没有打开telnet服务，需要手动打开，步骤如下",
        ),
        (
            "tutorial-qq-126.txt",
            "mail from :发件人，格式mail from:<testman1980@126.com>",
        ),
        ("tutorial-163-coolnull.txt", "`subject:` 编辑邮件主题。"),
        ("tutorial-163-pop3.txt", "title: Telnet 测试邮件协议"),
        (
            "tutorial-163-pop3.txt",
            "本文仅限技术研究与讨论，严禁用于非法用途，否则产生的一切后果自行承担。",
        ),
        ("tutorial-qq-commands.txt", "下面的例子是用qq的smtp服务器。"),
    ];
    let session = [
        // The greeting after the page's examples (a 503, a 354 and a 554 shown alone).
        (
            "tutorial-163-coolnull.txt",
            "S: 220 163.com Anti-spam GT for Coremail System (163com[20141201])",
        ),
        ("tutorial-163-coolnull.txt", "C: helo fan2"),
        (
            "tutorial-163-coolnull.txt",
            "S: 235 Authentication successful",
        ),
        ("tutorial-163-pop3.txt", "C: helo 163.com"),
        ("tutorial-163-pop3.txt", "C: pass ********"),
        ("tutorial-qq-commands.txt", "S: 334 VXNlcm5hbWU6"),
    ];
    for (name, text) in &pages {
        for lang in [Lang::En, Lang::Zh] {
            let out = annotate(text, lang);
            assert!(!out.contains(UNKNOWN), "{name}:\n{out}");
            assert!(!out.contains("尚未") || !out.contains("→ ?"), "{name}");
            for (_, line) in prose.iter().filter(|(n, _)| n == name) {
                let shown = format!("   {line}");
                assert!(
                    out.lines().any(|l| l == shown),
                    "{name}: {line} is not shown as text around the session:\n{out}"
                );
            }
            for (_, line) in session.iter().filter(|(n, _)| n == name) {
                assert!(out.lines().any(|l| l == *line), "{name}: no {line}:\n{out}");
            }
        }
        // The page's prose never becomes a client line.
        let out = annotate(text, Lang::En);
        for (_, line) in prose.iter().filter(|(n, _)| n == name) {
            assert!(
                !out.lines().any(|l| l == format!("C: {line}")),
                "{name}: {line}"
            );
        }
    }
}

/// What a tool printed around the session is in the transcript too (the window's *Open
/// transcript…* and the HTML page show it as an aside), and a library's STARTTLS goes on
/// encrypted although its log does not show the handshake.
#[test]
fn asides_reach_the_transcript_and_a_librarys_tls_is_taken_as_done() {
    let log = "send: 'ehlo [127.0.1.1]\\r\\n'\nreply: b'250 STARTTLS\\r\\n'\nreply: retcode (250); Msg: b'STARTTLS'\nsend: 'STARTTLS\\r\\n'\nreply: b'220 2.0.0 Ready to start TLS\\r\\n'\nsend: 'ehlo [127.0.1.1]\\r\\n'\nreply: b'250 AUTH LOGIN\\r\\n'\n";
    let t = explain::fold(log);
    let plain = t.export_annotated(Lang::En, false);
    assert!(plain.contains("reply: retcode (250)"), "{plain}");
    assert!(
        plain.contains("printed by the mail library or tool itself"),
        "{plain}"
    );
    assert!(!plain.contains("breaks the connection"), "{plain}");
    let zh = t.export_annotated(Lang::Zh, false);
    assert!(zh.contains("邮件库或工具自己输出的"), "{zh}");
    // Typed by a person into telnet, the same order is a mistake, and said so.
    let typed = "220 mx\nEHLO me\n250 STARTTLS\nSTARTTLS\n220 go ahead\nEHLO me\n";
    let out = annotate(typed, Lang::En);
    assert!(out.contains("breaks the connection"), "{out}");
}

/// POP3's AUTH (RFC 5034): the line after a `+` challenge is the client's answer, decoded and
/// masked, and the final `-ERR` answers the AUTH; nothing is called an unknown command.
#[test]
fn a_pop3_auth_challenge_is_answered_not_a_command() {
    let out = annotate(
        "+OK ready\nAUTH PLAIN\n+ \ndGVzdAB0ZXN0AHRlc3Q=\n-ERR [AUTH] Authentication failed.\n",
        Lang::En,
    );
    assert!(!out.contains("not a POP3 command"), "{out}");
    assert!(
        !out.contains("dGVzdAB0ZXN0AHRlc3Q="),
        "the answer is masked: {out}"
    );
    assert!(out.contains("C: ********"), "{out}");
    assert!(out.contains("user name or password is wrong"), "{out}");
}

/// A log of the server's lines alone (telnet without local echo) is read reply by reply; a
/// page's table of codes, whose codes only go up, is the page's.
#[test]
fn the_servers_lines_alone_are_a_session_and_a_table_of_codes_is_not() {
    let replies = [
        "220 smtp.qq.com Esmtp QQ Mail Server",
        "250 OK",
        "334 VXNlcm5hbWU6",
        "334 UGFzc3dvcmQ6",
        "235 Authentication successful",
        "250 OK",
        "354 End data with <CR><LF>.<CR><LF>",
        "250 OK: queued as.",
        "221 Bye",
    ];
    let out = annotate(&replies.join("\n"), Lang::En);
    for r in replies {
        assert!(out.lines().any(|l| l == format!("S: {r}")), "{r}:\n{out}");
    }
    assert!(!out.contains("text around the session"), "{out}");
    let table = "SMTP reply codes\n211 System status, or system help reply\n214 Help message\n220 <domain> Service ready\n221 <domain> Service closing transmission channel\n250 Requested mail action okay, completed\n";
    let out = annotate(table, Lang::En);
    assert!(!out.contains("S: "), "{out}");
    assert!(out.contains("   214 Help message"), "{out}");
}

/// Gmail's XOAUTH2 refusal as a telnet session shows it: the JSON challenge is explained,
/// the empty line that answers it is the client's (not a mistake), and AUTH XOAUTH2 is not
/// described as AUTH LOGIN.
#[test]
fn an_oauth_refusal_and_its_empty_answer() {
    let log = "220 smtp.gmail.com ESMTP\nEHLO me\n250-smtp.gmail.com\n250 AUTH LOGIN PLAIN XOAUTH2\nAUTH XOAUTH2 dXNlcj1hQGIuYwFhdXRoPUJlYXJlciB4AQE=\n334 eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIG1hYyIsInNjb3BlIjoiaHR0cHM6Ly9tYWlsLmdvb2dsZS5jb20vIn0K\n\n535 5.7.8 Username and Password not accepted.\n";
    let out = annotate(log, Lang::En);
    assert!(out.contains("refused the OAuth 2.0 access token"), "{out}");
    assert!(out.lines().any(|l| l == "C: "), "{out}");
    assert!(!out.contains("this is not base64"), "{out}");
    assert!(!out.contains("AUTH LOGIN: "), "{out}");
    assert!(
        out.contains("AUTH: Logs in with another mechanism"),
        "{out}"
    );
}

/// PuTTY with its connection type Telnet sends Telnet negotiation in front of the first line
/// typed; the practice server refuses that line and names the negotiation. Its logs read with
/// that refusal explained as such, in both languages, and the command quoted back in the reply
/// is not read as its cause (the words "EHLO" there say nothing of the host name).
#[test]
fn a_putty_telnet_session_explains_the_refused_first_line() {
    for (file, verb) in [
        ("putty-telnet-smtp-1.txt", "EHLO"),
        ("putty-telnet-pop3-1.txt", "USER"),
    ] {
        let path = format!("{}/tests/fixtures/logs/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(path).unwrap();
        let text: String = text
            .lines()
            .filter(|l| !l.starts_with("# "))
            .map(|l| format!("{l}\n"))
            .collect();
        for (lang, want) in [
            (Lang::En, "behind Telnet option negotiation"),
            (Lang::Zh, "Telnet 选项协商"),
        ] {
            let out = annotate(&text, lang);
            let refused = out
                .split("\nS: ")
                .find(|r| r.contains("Telnet negotiation ("))
                .unwrap_or_else(|| panic!("{file}: no refusal in\n{out}"));
            assert!(refused.contains(want), "{file} {lang:?}: {refused}");
            assert!(refused.contains("Raw"), "{file} {lang:?}: {refused}");
            for wrong in ["host name", "主机名", "password", "密码"] {
                assert!(
                    !refused.contains(wrong),
                    "{file} {lang:?}: {wrong:?} in {refused}"
                );
            }
            assert!(out.contains(&format!("C: {verb}")), "{file}");
        }
    }
}

/// A multi-line reply pasted without its last line (a command follows it) still answers its
/// command, said to be cut: the replies after it answer the commands after it.
#[test]
fn a_reply_cut_before_its_last_line_still_answers_its_command() {
    let text = "220 mx ESMTP\nEHLO me\n250-mx\n250-PIPELINING\n250-8BITMIME\nMAIL FROM:<a@example.org>\n250 ok\nRCPT TO:<b@example.org>\n550 5.1.1 User unknown\n";
    let out = annotate(text, Lang::En);
    let at = |s: &str| out.find(s).unwrap_or_else(|| panic!("no {s:?} in\n{out}"));
    assert!(at("EHLO accepted") < at("the reply ends here without its last line"));
    assert!(at("the reply ends here without its last line") < at("C: MAIL FROM"));
    assert!(at("C: MAIL FROM") < at("Sender accepted") && at("Sender accepted") < at("C: RCPT TO"));
    assert!(at("C: RCPT TO") < at("No such mailbox"), "{out}");
}

/// Classmates' servers send replies no grammar allows: a code with its words run on, a POP3
/// failure signed "+ERR" or "ERR". Each is read as the server's reply (with a warning that
/// says what is wrong with it), not as text around the session; a measure is not a code.
#[test]
fn a_reply_written_slightly_wrong_is_still_the_servers() {
    let smtp = "220 mx ESMTP\nEHLO me\n250 mx\nMAIL FROM:<a@example.org>\n250 ok\nRCPT TO:<b@example.org>\n503Bad sequence of commands\n";
    let out = annotate(smtp, Lang::En);
    assert!(out.contains("S: 503Bad sequence"), "{out}");
    assert!(
        out.contains("no space or '-' after the reply code"),
        "{out}"
    );
    for pop3 in [
        "+OK ready\nUSER alcie\n+ERR No such user\n",
        "+OK ready\nUSER alcie\nERR No such user\n",
    ] {
        let out = annotate(pop3, Lang::En);
        assert!(
            out.contains("S: ") && out.contains("No such user\n"),
            "{out}"
        );
        assert!(out.contains("no account by this name"), "{out}");
        assert!(out.contains("is no POP3 status"), "{out}");
        let zh = annotate(pop3, Lang::Zh);
        assert!(zh.contains("不是 POP3 的状态标志"), "{zh}");
    }
    for measure in ["500Mb of storage", "100Mbps link", "100th try"] {
        let prose = format!("220 mx ESMTP\nEHLO me\n250 mx\nNOOP\n{measure}\n");
        let out = annotate(&prose, Lang::En);
        assert!(!out.contains(&format!("S: {measure}")), "{out}");
    }
}

/// Replies to commands sent together (PIPELINING) come in a row with their codes rising, as a
/// page's table of codes does; after the commands they answer they are the session's.
#[test]
fn replies_to_commands_sent_together_are_a_session_not_a_table() {
    let text = "220 mx ESMTP\nEHLO me\n250-mx\n250 PIPELINING\nMAIL FROM:<a@example.org>\nRCPT TO:<b@example.org>\nDATA\n250 OK\n451 Temporary local problem - please try later\n503 Valid RCPT command must precede DATA\n";
    let out = annotate(text, Lang::En);
    for line in [
        "S: 250 OK",
        "S: 451 Temporary local problem",
        "S: 503 Valid RCPT",
    ] {
        assert!(out.contains(line), "{line:?} is missing:\n{out}");
    }
    // The same rows under a heading are a table.
    let table = "Common codes:\n250 OK\n451 Temporary local problem - please try later\n503 Bad sequence of commands\n";
    let out = annotate(table, Lang::En);
    assert!(!out.contains("S: 250 OK"), "{out}");
}
