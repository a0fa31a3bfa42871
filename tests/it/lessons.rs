//! Lessons against the practice server: every shipped lesson reads, and walked line by line
//! on the wire, each step is ticked by the reply it waits for and never by a wrong one.

use crate::common;

use std::time::{Duration, Instant};

use base64::Engine;
use common::TestServer;
use mailtutor::lesson::{BUILT_IN, Lesson, LessonError, Progress, Vars, fill};
use mailtutor::proto::Lang;
use mailtutor::session::{ConnectOptions, EventKind, Protocol, Security, Session, Target, wait};
use mailtutor::transcript::Transcript;

const USER: &str = "student@mailtutor.test";
const PASS: &str = "secret";
const TO: &str = "teacher@mailtutor.test";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn vars() -> Vars {
    [
        ("username", USER.to_owned()),
        ("password", PASS.to_owned()),
        ("username_b64", b64(USER)),
        ("password_b64", b64(PASS)),
        ("to", TO.to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn lesson(id: &str) -> Lesson {
    let text = BUILT_IN
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, t)| *t)
        .unwrap_or_else(|| panic!("no lesson {id}"));
    Lesson::parse(text).unwrap_or_else(|e| panic!("{id}: {e}"))
}

/// One lesson walked on the wire: lines go out as typed in the raw box, events fold into the
/// transcript, and the lesson follows after each reply.
struct Walk {
    lesson: Lesson,
    server: TestServer,
    session: Session,
    transcript: Transcript,
    progress: Progress,
    /// Typed lines count as typed (the raw line box) unless this is off.
    typed: bool,
    /// Whether each transcript row was typed, as the window records it.
    typed_rows: Vec<bool>,
}

impl Walk {
    fn start(id: &str) -> Self {
        let lesson = lesson(id);
        let setup = lesson.setup.clone();
        let server = TestServer::with(|c| setup.configure(c));
        if let Err(e) = setup.deliver_mail(server.server.store(), TO, USER) {
            panic!("seeding mail: {e}");
        }
        let protocol = match lesson.protocol {
            mailtutor::lesson::LessonProtocol::Smtp => Protocol::Smtp,
            mailtutor::lesson::LessonProtocol::Pop3 => Protocol::Pop3,
            mailtutor::lesson::LessonProtocol::Imap => Protocol::Imap,
        };
        let port = match protocol {
            Protocol::Smtp => server.smtp().port(),
            Protocol::Pop3 => server.pop3().port(),
            Protocol::Imap => server.imap().port(),
        };
        let mut o = ConnectOptions::new(protocol);
        o.trust.pinned.push(server.server.fingerprint.clone());
        o.reply_timeout = Duration::from_secs(10);
        let session = wait(Session::connect(
            Target::new("localhost", port),
            Security::None,
            o,
        ))
        .unwrap_or_else(|e| panic!("connect failed: {e}"));
        let progress = Progress::new(&lesson, 0);
        let mut w = Self {
            lesson,
            server,
            session,
            transcript: Transcript::new(protocol),
            progress,
            typed: true,
            typed_rows: Vec::new(),
        };
        w.settle();
        w
    }

    /// Folds events until the line in flight is answered (or the events stop).
    fn settle(&mut self) -> Vec<usize> {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut got_reply = false;
        while Instant::now() < deadline {
            match self
                .session
                .next_event(Duration::from_millis(if got_reply { 50 } else { 2000 }))
            {
                Some(e) => {
                    got_reply |= matches!(e.kind, EventKind::Received { .. });
                    self.apply(&e);
                }
                None if got_reply => break,
                None => break,
            }
        }
        let rows = &self.typed_rows;
        self.progress.follow(
            &self.lesson,
            self.transcript.entries(),
            0,
            &|i| rows.get(i).copied().unwrap_or(false),
            &vars(),
        )
    }

    fn apply(&mut self, e: &mailtutor::session::Event) {
        self.transcript.apply(e);
        self.typed_rows
            .resize(self.transcript.entries().len(), self.typed);
    }

    /// A line the server answers.
    fn line(&mut self, text: &str) -> Vec<usize> {
        let line = fill(text, &vars());
        let secret = self.transcript.is_secret_line(&line);
        let _ = wait(self.session.raw_line(&line, true, secret));
        self.settle()
    }

    /// A line of the message after 354: no answer until the dot.
    fn message_line(&mut self, text: &str) {
        let line = fill(text, &vars());
        let _ = wait(self.session.raw_line(&line, false, false));
        while let Some(e) = self.session.next_event(Duration::from_millis(100)) {
            self.apply(&e);
        }
    }

    fn starttls(&mut self) -> Vec<usize> {
        let r = wait(self.session.starttls());
        assert!(r.is_ok(), "handshake: {r:?}");
        self.settle()
    }

    fn ticked(&self) -> usize {
        self.progress.ticked.len()
    }

    fn transcript_text(&self) -> String {
        self.transcript.export_annotated(Lang::En, false)
    }

    /// Asserts the line ticks exactly the next step.
    fn ticks(&mut self, text: &str) {
        let before = self.ticked();
        let newly = self.line(text);
        assert_eq!(
            newly,
            vec![before],
            "{text:?} should tick step {}\n{}",
            before + 1,
            self.transcript_text()
        );
    }

    /// Asserts the line ticks nothing and is recorded as a setback.
    fn misses(&mut self, text: &str) {
        let before = (self.ticked(), self.progress.setbacks.len());
        let newly = self.line(text);
        assert!(
            newly.is_empty(),
            "{text:?} must not tick step {}\n{}",
            before.0 + 1,
            self.transcript_text()
        );
        assert!(
            self.progress.setbacks.len() > before.1,
            "{text:?} should be a setback\n{}",
            self.transcript_text()
        );
    }

    fn message(&mut self, lines: &[&str]) -> Vec<usize> {
        for l in lines {
            self.message_line(l);
        }
        self.line(".")
    }

    fn done(&self) {
        assert!(
            self.progress.is_done(),
            "lesson {} stopped at step {}\n{}",
            self.lesson.id,
            self.ticked() + 1,
            self.transcript_text()
        );
        assert!(self.progress.elapsed().is_some());
    }
}

const MESSAGE: &[&str] = &[
    "From: <{username}>",
    "To: <{to}>",
    "Subject: Lesson",
    "",
    "Hello.",
];

#[test]
fn every_shipped_lesson_reads_in_both_languages() {
    let lessons = Lesson::built_in();
    assert_eq!(lessons.len(), BUILT_IN.len(), "a lesson failed to read");
    assert!(lessons.len() >= 7);
    let mut ids: Vec<&str> = lessons.iter().map(|l| l.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), lessons.len(), "lesson ids must be unique");
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    for l in &lessons {
        for (what, b) in [("title", &l.title), ("goal", &l.goal), ("intro", &l.intro)]
            .into_iter()
            .chain(
                l.steps
                    .iter()
                    .flat_map(|s| [("task", &s.task), ("hint", &s.hint)]),
            )
        {
            assert!(!b.en.trim().is_empty(), "{}: {what} has no English", l.id);
            assert!(cjk(&b.zh), "{}: {what} has no Chinese: {:?}", l.id, b.zh);
        }
    }
}

#[test]
fn a_broken_lesson_file_says_what_is_wrong() {
    let good = r#"
id = "mine"
title = { en = "Mine", zh = "我的" }
goal = { en = "g", zh = "目标" }
intro = { en = "i", zh = "介绍" }
[[step]]
task = { en = "Say hello", zh = "打招呼" }
hint = { en = "HELO", zh = "HELO" }
show_me = ["smtp:HELO"]
check = { code = 250, answers = ["HELO"] }
"#;
    assert!(Lesson::parse(good).is_ok());
    // A teacher's file read from disk works the same.
    let dir = common::TempDir::new("lesson");
    let _ = std::fs::create_dir_all(&dir.0);
    let path = dir.0.join("mine.toml");
    std::fs::write(&path, good).unwrap();
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(Lesson::parse(&text).map(|l| l.id), Ok("mine".to_owned()));

    let empty_check = good.replace(
        r#"check = { code = 250, answers = ["HELO"] }"#,
        "check = {}",
    );
    assert_eq!(
        Lesson::parse(&empty_check),
        Err(LessonError::EmptyCheck { step: 1 })
    );
    let bad_action = good.replace("smtp:HELO", "smtp:HELLO");
    assert!(matches!(
        Lesson::parse(&bad_action),
        Err(LessonError::UnknownAction { step: 1, .. })
    ));
    // A state the tutor does not track would never hold: the file is refused, not a step
    // that can never be ticked.
    let bad_flag = good.replace(
        r#"check = { code = 250, answers = ["HELO"] }"#,
        r#"check = { code = 250, answers = ["HELO"], flags = ["logged-in"] }"#,
    );
    assert!(matches!(
        Lesson::parse(&bad_flag),
        Err(LessonError::UnknownFlag { step: 1, ref flag }) if flag == "logged-in"
    ));
    let good_flag = good.replace(
        r#"check = { code = 250, answers = ["HELO"] }"#,
        r#"check = { code = 250, answers = ["HELO"], not_flags = ["tls"] }"#,
    );
    assert!(Lesson::parse(&good_flag).is_ok());
    let bad_fault = good.replace("[[step]]", "[setup]\nfaults = [\"rcpt=999\"]\n[[step]]");
    assert!(matches!(
        Lesson::parse(&bad_fault),
        Err(LessonError::Fault(..))
    ));
    let typo = good.replace("answers", "answer");
    assert!(matches!(Lesson::parse(&typo), Err(LessonError::Toml(_))));
    assert!(matches!(
        Lesson::parse("id = \"x\""),
        Err(LessonError::Toml(_))
    ));
}

#[test]
fn lesson_send_is_ticked_by_replies_not_by_clicks() {
    let mut w = Walk::start("send");
    assert_eq!(w.ticked(), 1, "the greeting ticks the first step");
    // MAIL before HELO: a 503, nothing ticked.
    w.misses("MAIL FROM:<{username}>");
    w.ticks("HELO lab");
    w.ticks("AUTH LOGIN");
    // The username sent by a button is not typed: it must not tick a "typed" step.
    w.typed = false;
    let newly = w.line("{username_b64}");
    assert!(newly.is_empty(), "{}", w.transcript_text());
    w.typed = true;
    w.misses("*");
    w.line("AUTH LOGIN");
    // A wrong username decodes to the wrong thing: not ticked.
    let newly = w.line(&b64("someone@else"));
    assert!(newly.is_empty());
    w.misses(&b64("wrong"));
    w.line("AUTH LOGIN");
    w.ticks("{username_b64}");
    // A wrong password: 535, and the login step stays open.
    w.misses(&b64("not-the-password"));
    w.line("AUTH LOGIN");
    w.line("{username_b64}");
    w.ticks("{password_b64}");
    w.ticks("MAIL FROM:<{username}>");
    // A refused recipient does not tick the recipient step.
    w.misses("RCPT TO:<nobody@mailtutor.test>");
    w.ticks("RCPT TO:<{to}>");
    w.ticks("DATA");
    // A message with no blank line after the headers is accepted by the server, but the step
    // asks for the whole message: not ticked.
    let newly = w.message(&["From: <{username}>", "To: <{to}>", "Subject: x", "Hello."]);
    assert!(newly.is_empty(), "{}", w.transcript_text());
    w.line("MAIL FROM:<{username}>");
    w.line("RCPT TO:<{to}>");
    w.line("DATA");
    let newly = w.message(MESSAGE);
    assert_eq!(newly, vec![8], "{}", w.transcript_text());
    w.ticks("QUIT");
    w.done();
    assert!(w.progress.setbacks.iter().all(|s| s.fixed));
    let codes: Vec<String> = w
        .progress
        .setbacks
        .iter()
        .map(|s| s.reply[..3].to_owned())
        .collect();
    assert!(codes.contains(&"503".to_owned()) && codes.contains(&"535".to_owned()));
    assert!(codes.contains(&"550".to_owned()), "{codes:?}");
    // Setbacks carry what the knowledge base says about them.
    assert!(w.progress.setbacks.iter().all(|s| s.explanation.is_some()));
}

#[test]
fn lesson_starttls_needs_the_second_ehlo_over_tls() {
    let mut w = Walk::start("starttls");
    assert_eq!(w.ticked(), 1);
    w.ticks("EHLO lab");
    w.ticks("AUTH LOGIN");
    let newly = w.starttls();
    assert_eq!(newly, vec![3], "{}", w.transcript_text());
    w.ticks("EHLO lab");
    w.line("AUTH LOGIN");
    w.line("{username_b64}");
    w.ticks("{password_b64}");
    w.ticks("QUIT");
    w.done();
}

#[test]
fn lesson_starttls_is_not_ticked_by_a_plain_ehlo() {
    let mut w = Walk::start("starttls");
    w.ticks("EHLO lab");
    w.ticks("AUTH LOGIN");
    // EHLO again without STARTTLS: the STARTTLS step is still open.
    let newly = w.line("EHLO lab");
    assert!(newly.is_empty());
    assert_eq!(w.progress.current(), Some(3));
}

#[test]
fn lesson_pop3_deletes_only_at_quit() {
    let mut w = Walk::start("pop3");
    assert_eq!(w.ticked(), 1);
    w.ticks("USER {username}");
    w.misses("PASS wrong");
    w.line("USER {username}");
    w.ticks("PASS {password}");
    w.ticks("STAT");
    w.ticks("LIST");
    w.ticks("UIDL");
    w.ticks("TOP 1 0");
    w.ticks("RETR 1");
    w.ticks("DELE 1");
    w.ticks("RSET");
    w.ticks("DELE 1");
    w.ticks("QUIT");
    w.done();
    // One of the two messages the lesson put there is gone, at QUIT.
    assert_eq!(w.server.stored(USER).len(), 1);
}

#[test]
fn lesson_errors_meets_every_code_and_its_fix() {
    let mut w = Walk::start("errors");
    w.ticks("MAIL FROM:<{username}>"); // 503
    w.ticks("HELO lab");
    // A 503 where the step asks for 530 does not tick it.
    w.misses("DATA");
    w.ticks("MAIL FROM:<{username}>"); // 530
    w.line("AUTH LOGIN");
    w.line("{username_b64}");
    let newly = w.line(&b64("wrong"));
    assert_eq!(newly, vec![4], "535 ticks the step that asks for it");
    w.line("AUTH LOGIN");
    w.line("{username_b64}");
    w.ticks("{password_b64}");
    w.ticks("MAIL FROM:<{username}> SIZE=999999999"); // 552
    w.ticks("MAIL FROM:<{username}>");
    w.ticks("RCPT TO:<{to}>"); // 550, staged
    w.ticks("RCPT TO:<{to}>");
    w.line("DATA");
    let newly = w.message(MESSAGE); // 554, staged
    assert_eq!(newly, vec![10], "{}", w.transcript_text());
    w.line("MAIL FROM:<{username}>");
    w.line("RCPT TO:<{to}>");
    w.line("DATA");
    let newly = w.message(MESSAGE);
    assert_eq!(newly, vec![11], "{}", w.transcript_text());
    w.ticks("QUIT");
    w.done();
}

#[test]
fn lesson_two_recipients_and_rset() {
    let mut w = Walk::start("two-rcpt");
    w.ticks("EHLO lab");
    w.ticks("MAIL FROM:<{username}>");
    w.ticks("RCPT TO:<{to}>");
    // The step wants the refusal: a second accepted recipient does not tick it.
    let newly = w.line("RCPT TO:<{username}>");
    assert!(newly.is_empty(), "{}", w.transcript_text());
    w.ticks("RCPT TO:<nobody@mailtutor.test>");
    w.line("DATA");
    let newly = w.message(MESSAGE);
    assert_eq!(newly, vec![4], "{}", w.transcript_text());
    w.line("MAIL FROM:<{username}>");
    w.ticks("RCPT TO:<{to}>");
    w.ticks("RSET");
    w.ticks("RCPT TO:<{to}>");
    w.ticks("QUIT");
    w.done();
}

#[test]
fn lesson_telnet_wants_every_line_typed() {
    let mut w = Walk::start("telnet");
    w.typed = false;
    let newly = w.line("HELO mypc");
    assert!(
        newly.is_empty(),
        "a button's HELO does not tick a typed step"
    );
    w.typed = true;
    w.ticks("HELO mypc");
    w.ticks("MAIL FROM:<{username}>");
    w.ticks("RCPT TO:<{to}>");
    w.ticks("DATA");
    // The right message with the wrong subject is not the one the step asks for.
    let newly = w.message(&[
        "From: <{username}>",
        "To: <{to}>",
        "Subject: Other",
        "",
        "x",
    ]);
    assert!(newly.is_empty());
    // The right message sent by the composer, only the dot typed, is not typed either.
    w.line("MAIL FROM:<{username}>");
    w.line("RCPT TO:<{to}>");
    w.line("DATA");
    w.typed = false;
    for l in [
        "From: <{username}>",
        "To: <{to}>",
        "Subject: Typed by hand",
        "",
        "x",
    ] {
        w.message_line(l);
    }
    w.typed = true;
    assert!(w.line(".").is_empty(), "{}", w.transcript_text());
    w.line("MAIL FROM:<{username}>");
    w.line("RCPT TO:<{to}>");
    w.line("DATA");
    let newly = w.message(&[
        "From: <{username}>",
        "To: <{to}>",
        "Subject: Typed by hand",
        "",
        "Hello, typed one line at a time.",
    ]);
    assert_eq!(newly, vec![5], "{}", w.transcript_text());
    w.ticks("QUIT");
    w.done();
}

#[test]
fn lesson_prompts_asks_as_163_does() {
    let mut w = Walk::start("prompts");
    w.ticks("EHLO lab");
    w.ticks("AUTH PLAIN");
    w.ticks("*");
    w.ticks("AUTH LOGIN");
    assert!(w.transcript_text().contains("334 dXNlcm5hbWU6"));
    // A misread prompt answered with the wrong thing ticks nothing.
    let newly = w.line(&b64("Username:"));
    assert!(newly.is_empty());
    w.line("*");
    w.line("AUTH LOGIN");
    w.ticks("{username_b64}");
    let newly = w.line("{password_b64}");
    assert_eq!(newly, vec![5, 6], "{}", w.transcript_text());
    w.ticks("QUIT");
    w.done();
}

/// The lesson file the README shows a teacher reads as written.
#[test]
fn the_readme_example_reads() {
    let readme = include_str!("../../README.md");
    let start = readme
        .find("```toml\nid = \"class-vrfy\"")
        .expect("the README's lesson example is gone");
    let body = &readme[start + "```toml\n".len()..];
    let end = body.find("```").unwrap_or(body.len());
    let lesson = Lesson::parse(&body[..end]).unwrap();
    assert_eq!(lesson.id, "class-vrfy");
    assert_eq!(lesson.setup.faults().len(), 1);
}

/// A lesson's own accounts join the practice server's two, and log in.
#[test]
fn a_lesson_brings_its_own_accounts() {
    let text = r#"
id = "alice"
title = { en = "Alice", zh = "爱丽丝" }
goal = { en = "g", zh = "目标" }
intro = { en = "i", zh = "介绍" }
[setup]
accounts = [{ address = "alice@mailtutor.test", password = "wonderland" }]
[[step]]
task = { en = "Log in", zh = "登录" }
hint = { en = "AUTH", zh = "AUTH" }
check = { code = 235 }
"#;
    let lesson = Lesson::parse(text).unwrap();
    let server = TestServer::with(|c| lesson.setup.configure(c));
    let mut c = common::Smtp::connect(server.smtp());
    c.reply();
    c.expect("EHLO lab", "250");
    c.expect(
        &format!("AUTH PLAIN {}", b64("\0alice@mailtutor.test\0wonderland")),
        "235",
    );
    // The practice server's own accounts stay.
    let mut c = common::Smtp::connect(server.smtp());
    c.reply();
    c.expect("EHLO lab", "250");
    c.expect(
        &format!("AUTH PLAIN {}", b64(&format!("\0{USER}\0{PASS}"))),
        "235",
    );
    // An address that is not one is refused when the lesson is read.
    let bad = text.replace("alice@mailtutor.test", "alice");
    assert!(matches!(Lesson::parse(&bad), Err(LessonError::Accounts(_))));
}

/// The IMAP lesson done the telnet way on the wire: a line without a tag ticks nothing, the
/// BAD for FETCH before SELECT is the step that asks for it, and each typed tag's OK ticks.
#[test]
fn the_imap_telnet_lesson_is_walked_on_the_wire() {
    let mut w = Walk::start("imap-telnet");
    assert_eq!(w.progress.ticked.len(), 1, "the greeting");
    assert!(
        w.line("LOGIN {username} {password}").is_empty(),
        "no tag, no tick"
    );
    assert_eq!(w.line("a1 LOGIN {username} {password}"), [1]);
    assert_eq!(w.line("a2 FETCH 1 FLAGS"), [2]);
    assert_eq!(w.line("a3 SELECT INBOX"), [3]);
    assert_eq!(w.line("a4 FETCH 1 BODY[HEADER]"), [4]);
    assert_eq!(w.line("a5 LOGOUT"), [5]);
    assert!(w.progress.is_done());
    let text = w.transcript.export_annotated(Lang::En, false);
    assert!(
        text.contains("Typed by hand"),
        "the lesson's mail was fetched:\n{text}"
    );
    assert!(!text.contains("secret"), "{text}");
}
