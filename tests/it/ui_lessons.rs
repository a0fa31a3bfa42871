//! Lessons in the window (egui_kittest): started from the Lessons tab, walked by clicks and
//! typed lines against the practice server, ticked only by the right replies; "Show me"
//! walks every shipped lesson; progress is remembered; a teacher's file opens from disk.
#![cfg(feature = "gui")]

use crate::common;

use std::time::{Duration, Instant};

use common::TempDir;
use common::window::{H, connect, open, open_with, shows, wait, wait_shows};
use egui::accesskit::Role;
use egui_kittest::kittest::{NodeT, Queryable};
use mailtutor::lesson::Lesson;
use mailtutor::proto::Lang;
use mailtutor::ui::TutorApp;
use mailtutor::ui::lesson::Mark;

fn idle(a: &TutorApp) -> bool {
    !a.is_busy() && !a.showing() && a.server().is_some()
}

fn click(h: &mut H, label: &str) {
    if h.query_by_role_and_label(Role::Button, label).is_none() {
        let labels: Vec<String> = h
            .query_all_by_role(Role::Button)
            .filter_map(|n| n.accesskit_node().label())
            .collect();
        panic!(
            "no button {label:?}; active lesson: {:?}; buttons: {labels:?}",
            h.state().lesson_panel().active.as_ref().map(|a| a.index)
        );
    }
    // A person scrolls to a button below the fold before clicking it.
    // (The scroll is animated over a few frames.)
    h.get_by_role_and_label(Role::Button, label).scroll_to_me();
    h.run_steps(10);
    h.get_by_role_and_label(Role::Button, label).click();
    h.run_steps(2);
    wait(h, label, idle);
}

fn ticked(h: &H) -> usize {
    h.state()
        .lesson_panel()
        .active
        .as_ref()
        .map_or(0, |a| a.progress.ticked.len())
}

/// Waits until `n` steps are ticked (or the wait's own time runs out, and the test fails).
fn wait_for_ticks(h: &mut H, n: usize) {
    wait(h, "the step to tick", |a| {
        idle(a)
            && a.lesson_panel()
                .active
                .as_ref()
                .is_some_and(|x| x.progress.ticked.len() >= n)
    });
}

fn type_line(h: &mut H, line: &str) {
    let field = h.get_by_label("Raw line:");
    field.focus();
    field.type_text(line);
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    wait(h, line, idle);
}

fn start(h: &mut H, title: &str) {
    h.get_by_label("Lessons").click();
    h.run_steps(2);
    click(h, title);
    // The last lesson's session is not saved: the window asks before clearing it.
    if h.state().asks_to_clear() {
        shows(h, "Clear the transcript?");
        click(h, "Clear it");
    }
}

/// Starts a lesson and clicks "Show me" until every step is ticked, a click a step (and two
/// to spare).
fn show_me_to_the_end(h: &mut H, lesson: &Lesson) {
    start(h, &lesson.title.en);
    let mut clicks = 0;
    while ticked(h) < lesson.steps.len() {
        clicks += 1;
        assert!(
            clicks <= lesson.steps.len() + 2,
            "lesson {} stuck at step {}:\n{}",
            lesson.id,
            ticked(h) + 1,
            h.state().transcript().export_annotated(Lang::En, false)
        );
        click(h, "Show me");
        // Some replies arrive after the last action is answered (TLS, a close).
        h.run_steps(5);
    }
}

fn b64(s: &str) -> String {
    mailtutor::proto::auth::encode(s.as_bytes())
}

#[test]
fn lesson_one_is_ticked_by_the_wire_not_by_clicks() {
    let dir = TempDir::new("ui-lesson-send");
    let mut h = open(Lang::En, &dir);
    start(&mut h, "Send a mail, command by command");
    shows(&h, "1. Connect to the practice server");
    click(&mut h, "Hint");
    shows(&h, "The server speaks first");
    click(&mut h, "Connect");
    wait(&mut h, "the greeting to tick step 1", |a| {
        idle(a)
            && a.lesson_panel()
                .active
                .as_ref()
                .is_some_and(|x| x.progress.ticked.len() == 1)
    });
    shows(&h, "√ 1.");
    // Out of order: a 503, no tick, and the lesson says what went wrong.
    click(&mut h, "MAIL FROM");
    assert_eq!(ticked(&h), 1);
    shows(&h, "Not yet: the server answered 503");
    // Next follows the lesson (HELO here, where the protocol alone would say EHLO), and is a
    // button that does what it says.
    assert!(h.query_by_label("Next:").is_some());
    assert_eq!(
        h.state().next_step(),
        "Say hello: HELO with your computer's name."
    );
    click(&mut h, "Say hello: HELO with your computer's name.");
    assert_eq!(ticked(&h), 2);
    click(&mut h, "AUTH LOGIN");
    assert_eq!(ticked(&h), 3);
    // A step the student makes: no card makes the base64 for them, no button named Next
    // sends it, and neither the task nor the hint prints it.
    assert!(
        h.query_by_role_and_label(Role::Button, "Send username")
            .is_none()
    );
    assert!(h.state().next_step().starts_with("Make the base64 of"));
    assert!(
        h.query_by_role_and_label(Role::Button, &h.state().next_step())
            .is_none()
    );
    click(&mut h, "Hint");
    let all = common::window::texts(&h).join("\n");
    assert!(!all.contains(&b64("student@mailtutor.test")), "{all}");
    type_line(&mut h, &b64("student@mailtutor.test"));
    assert_eq!(
        ticked(&h),
        4,
        "the typed base64 of the username ticks step 4"
    );
    // A wrong password: 535 does not tick the login step.
    type_line(&mut h, &b64("wrong"));
    assert_eq!(ticked(&h), 4);
    shows(&h, "535");
    // The lesson box says only why the step did not tick; the explanation stands once in the
    // transcript row and once under it. Next recovers as the protocol does.
    shows(
        &h,
        "Not yet: the server answered 535, and this step waits for 235.",
    );
    let meaning = "the account exists, the password is wrong";
    let places = h.query_all_by_label_contains(meaning).count();
    assert!(places <= 2, "the explanation shows in {places} places");
    assert_eq!(h.state().next_step(), "Send AUTH LOGIN.");
    click(&mut h, "AUTH LOGIN");
    click(&mut h, "Send username");
    click(&mut h, "Send password");
    assert_eq!(ticked(&h), 5);
    click(&mut h, "MAIL FROM");
    click(&mut h, "RCPT TO");
    click(&mut h, "DATA");
    click(&mut h, "Send message");
    // After the message the lesson ends with QUIT, and so does Next.
    assert_eq!(h.state().next_step(), "Say goodbye: QUIT.");
    click(&mut h, "QUIT");
    assert_eq!(
        ticked(&h),
        10,
        "{}",
        h.state().transcript().export_plain(false)
    );
    shows(&h, "Lesson finished");
    shows(&h, "mistake(s) met");
    assert_eq!(h.state().settings().lessons.get("send"), Some(&Mark::Done));
}

/// "Show me" alone walks every shipped lesson to its end: every action a lesson names works
/// in the window, and every check is reachable from the buttons.
#[test]
fn show_me_walks_every_lesson_to_the_end() {
    let dir = TempDir::new("ui-lesson-showme");
    let mut h = open(Lang::En, &dir);
    for lesson in Lesson::built_in() {
        show_me_to_the_end(&mut h, &lesson);
        shows(&h, "Lesson finished");
        assert_eq!(
            h.state().settings().lessons.get(&lesson.id),
            Some(&Mark::Done),
            "{}",
            lesson.id
        );
        click(&mut h, "Back to the lessons");
    }
    // The list shows every lesson done, and so does a window started with these settings.
    shows(&h, "done");
    let settings = h.state().settings().clone();
    drop(h);
    let mut again = open_with(settings, &dir);
    again.get_by_label("Lessons").click();
    again.run_steps(2);
    assert_eq!(
        again.query_all_by_label("done").count(),
        Lesson::built_in().len()
    );
    assert_eq!(again.query_all_by_label("not started").count(), 0);
}

/// Starting a lesson, or opening a file, in place of a session that was not saved asks first;
/// Cancel keeps the session, and a saved one is cleared without asking.
#[test]
fn a_session_not_saved_is_not_cleared_without_asking() {
    let dir = TempDir::new("ui-lesson-ask");
    let mut h = open(Lang::En, &dir);
    connect(&mut h);
    click(&mut h, "HELO");
    let lines = h.state().transcript().len();
    h.get_by_label("Lessons").click();
    h.run_steps(2);
    click(&mut h, "Read the error codes");
    shows(&h, "Clear the transcript?");
    shows(&h, &format!("its {lines} lines are not saved"));
    click(&mut h, "Cancel");
    assert!(!h.state().asks_to_clear());
    assert_eq!(h.state().transcript().len(), lines);
    assert!(h.state().lesson_panel().active.is_none());
    // Escape cancels too, as in any desktop dialog.
    click(&mut h, "Read the error codes");
    assert!(h.state().asks_to_clear());
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(!h.state().asks_to_clear());
    assert!(h.state().lesson_panel().active.is_none());
    // Saved whole, it goes without a question.
    h.get_by_label("Save transcript…").click();
    h.run_steps(2);
    let path = dir.0.join("kept.txt");
    h.get_by_label("File:").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("File:")
        .type_text(&path.display().to_string());
    h.run_steps(1);
    h.get_by_label("Save").click();
    wait(&mut h, "the file", |_| path.exists());
    h.run_steps(3);
    click(&mut h, "Read the error codes");
    assert!(!h.state().asks_to_clear());
    assert!(h.state().lesson_panel().active.is_some());
}

#[test]
fn a_teachers_lesson_file_opens_from_disk_and_runs_in_chinese() {
    let dir = TempDir::new("ui-lesson-file");
    let lessons = TempDir::new("ui-lesson-dir");
    let _ = std::fs::create_dir_all(&lessons.0);
    let text = r#"
id = "class-noop"
title = { en = "Class: NOOP", zh = "课堂：NOOP" }
goal = { en = "Say hello and NOOP.", zh = "打招呼，然后 NOOP。" }
intro = { en = "Our own lesson.", zh = "我们自己的课程。" }
[[step]]
task = { en = "Connect and EHLO.", zh = "连接并发 EHLO。" }
hint = { en = "Connect, then EHLO.", zh = "先连接，再 EHLO。" }
show_me = ["connect", "smtp:EHLO"]
check = { code = 250, answers = ["EHLO"] }
[[step]]
task = { en = "NOOP.", zh = "发 NOOP。" }
hint = { en = "Click NOOP.", zh = "点 NOOP。" }
show_me = ["smtp:NOOP"]
check = { code = 250, answers = ["NOOP"] }
"#;
    std::fs::write(lessons.0.join("noop.toml"), text).unwrap();
    std::fs::write(lessons.0.join("broken.txt"), "not a lesson").unwrap();
    let mut h = open(Lang::Zh, &dir);
    h.get_by_label("课程").click();
    h.run_steps(2);
    // A file that is not a lesson says why.
    let bad = lessons.0.join("missing.toml");
    // The field is below the list of lessons: scrolled to, as a person scrolls.
    h.get_by_label("打开").scroll_to_me();
    h.run_steps(2);
    let field = h.get_by_label("打开课程文件或课程文件夹：");
    field.focus();
    field.type_text(&bad.display().to_string());
    h.run_steps(1);
    h.get_by_label("打开").click();
    wait_shows(&mut h, "无法打开课程");
    // The folder: its .toml files join the list.
    let field = h.get_by_label("打开课程文件或课程文件夹：");
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    field.type_text(&lessons.0.display().to_string());
    h.run_steps(1);
    h.get_by_label("打开").click();
    let start = Instant::now();
    while h.query_all_by_label("课堂：NOOP").next().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the lesson never appeared"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.get_by_label("课堂：NOOP").click();
    h.run_steps(2);
    wait(&mut h, "the server", |a| a.server().is_some());
    shows(&h, "连接并发 EHLO。");
    click(&mut h, "演示");
    wait_for_ticks(&mut h, 1);
    assert_eq!(ticked(&h), 1);
    click(&mut h, "NOOP");
    assert_eq!(ticked(&h), 2);
    shows(&h, "课程完成");
}

#[test]
fn exam_mode_hides_the_help_and_saves_the_result() {
    let dir = TempDir::new("ui-lesson-exam");
    let out = TempDir::new("ui-lesson-exam-out");
    let _ = std::fs::create_dir_all(&out.0);
    let mut h = open(Lang::En, &dir);
    h.get_by_label("Lessons").click();
    h.run_steps(2);
    h.get_by_label("Exam mode").click();
    h.run_steps(2);
    start(&mut h, "Read the error codes");
    shows(&h, "Exam mode: no hints");
    click(&mut h, "Connect");
    assert!(h.query_by_role_and_label(Role::Button, "Hint").is_none());
    assert!(h.query_by_role_and_label(Role::Button, "Show me").is_none());
    // Out of sequence, DATA would carry a (!) outside exam mode.
    assert_eq!(h.query_all_by_label("(!)").count(), 0);
    click(&mut h, "MAIL FROM");
    click(&mut h, "HELO");
    assert_eq!(h.query_all_by_label("(!)").count(), 0);
    // Nor does the explanation pane say which command comes next.
    assert!(h.query_by_label("Next:").is_none());
    assert_eq!(ticked(&h), 3);
    let path = out.0.join("result.txt");
    let field = h.get_by_label("Result file:");
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    field.type_text(&path.display().to_string());
    h.run_steps(1);
    h.get_by_role_and_label(Role::Button, "Save result").click();
    let start = Instant::now();
    while !path.exists() || h.query_all_by_label_contains("Saved").next().is_none() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no result file; path field {:?}",
            h.state().lesson_panel().result_path
        );
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(text.starts_with("Read the error codes"), "{text}");
    assert!(text.contains("3 of 13 steps done"), "{text}");
    assert!(text.contains("[x] 2. Provoke 503"), "{text}");
    assert!(text.contains("[ ] 4. Provoke 530"), "{text}");
    assert!(text.contains("503 5.5.1"), "{text}");
    assert!(!text.contains("secret"), "no password in the file: {text}");
}

/// Homework out: a lesson half done, saved as the HTML page a student hands in, has the
/// lesson's check marks (done and not yet), the student's name and no outside address.
#[test]
fn the_html_page_of_a_lesson_session_has_its_check_marks_and_nothing_from_outside() {
    let dir = TempDir::new("ui-lesson-html");
    let mut h = open(Lang::En, &dir);
    let lesson = &Lesson::built_in()[0];
    start(&mut h, &lesson.title.en);
    while ticked(&h) < 3 {
        click(&mut h, "Show me");
        h.run_steps(5);
    }
    let done = ticked(&h);
    assert!(done < lesson.steps.len());
    // Ctrl+S opens the save form.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::S);
    h.run_steps(2);
    h.get_by_label("HTML page").click();
    h.run_steps(2);
    let name = h.get_by_label("Your name:");
    name.focus();
    name.type_text("Li Lei");
    h.run_steps(2);
    let path = dir.0.join("homework.html");
    let field = h.get_by_label("File:");
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run_steps(1);
    h.get_by_label("File:")
        .type_text(&path.display().to_string());
    h.run_steps(2);
    h.get_by_label("Save").click();
    h.run_steps(2);
    let start = std::time::Instant::now();
    while !path.exists() && start.elapsed() < std::time::Duration::from_secs(10) {
        h.run_steps(1);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let page = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    assert!(page.contains("Student: Li Lei"), "{page}");
    assert!(page.contains(&format!("{done} of {} steps done", lesson.steps.len())));
    assert_eq!(page.matches("<span class=\"done\">✓</span>").count(), done);
    assert_eq!(
        page.matches("<span class=\"todo\">○</span>").count(),
        lesson.steps.len() - done
    );
    assert!(page.contains("class=\"badge b2\""), "{page}");
    for outside in ["http://", "https://", "<link", "<script", "<img", "url("] {
        assert!(!page.contains(outside), "{outside}");
    }
    assert!(!page.contains("c2VjcmV0"), "the password is masked");
}

/// A first start (nothing saved) opens lesson 1 on the Lessons tab, which stands first in its
/// row; Help says how to start, in both languages, and starts lesson 1 from there too.
#[test]
fn a_first_start_opens_lesson_one_and_help_says_how_to_start() {
    let dir = TempDir::new("ui-first-start");
    let options = mailtutor::ui::AppOptions {
        data_dir: Some(dir.0.clone()),
        settings: None,
        ..Default::default()
    };
    let mut h = egui_kittest::Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| TutorApp::new(cc, options));
    wait(&mut h, "the practice server", |a| a.server().is_some());
    h.run_steps(3);
    assert_eq!(
        h.state().lesson_panel().active.as_ref().map(|a| a.index),
        Some(0)
    );
    assert_eq!(h.state().tab, mailtutor::ui::Tab::Lessons);
    shows(&h, "1. Connect to the practice server");
    let lessons = h.get_by_label("Lessons").rect();
    let message = h.get_by_label("Message").rect();
    assert!(
        lessons.max.x <= message.min.x && (lessons.center().y - message.center().y).abs() < 2.0,
        "Lessons {lessons:?} comes first, in the row of Message {message:?}"
    );
    // Leaving the lesson, then Help: how to start, and lesson 1 again from there.
    h.state_mut().perform(mailtutor::ui::Action::LeaveLesson);
    h.run_steps(2);
    assert!(h.state().lesson_panel().active.is_none());
    h.get_by_label("Help").click();
    h.run_steps(2);
    shows(&h, "How to start");
    shows(&h, "1. Open the Lessons tab and start lesson 1");
    h.get_by_label("Start lesson 1").click();
    h.run_steps(2);
    assert_eq!(
        h.state().lesson_panel().active.as_ref().map(|a| a.index),
        Some(0)
    );
    h.state_mut()
        .perform(mailtutor::ui::Action::SetLang(Lang::Zh));
    h.run_steps(2);
    h.get_by_label("帮助").click();
    h.run_steps(2);
    shows(&h, "怎样开始");
    shows(&h, "开始第 1 课");
}

/// A typo in a hand-made base64 username is named: the practice server says it has no such
/// account, and the one explanation says so, not "the username or password is wrong".
#[test]
fn a_misspelt_username_typed_as_base64_is_named() {
    let dir = TempDir::new("ui-typo");
    let mut h = open(Lang::En, &dir);
    click(&mut h, "Connect");
    click(&mut h, "EHLO");
    click(&mut h, "AUTH LOGIN");
    type_line(&mut h, &b64("student@mailtutot.test"));
    type_line(&mut h, &b64("secret"));
    let x = common::window::last_explanation(&h).expect("the 535 is explained");
    assert_eq!(
        x.situation().map(|s| s.id.as_str()),
        Some("practice.auth.no-account")
    );
    shows(&h, "no account student@mailtutot.test on this server");
    shows(
        &h,
        "the practice server has no account by the name your base64 decodes to",
    );
    // The decoded name stands under the typed line, to compare with the quoted one.
    shows(&h, "student@mailtutot.test");
}

/// Starting and leaving a lesson set up the running practice server as it runs: the ports
/// and the certificate stay, and a terminal connected to it (a student's telnet) is not
/// dropped; it meets the lesson's policy at its next command.
#[test]
fn a_lesson_sets_up_the_running_server_without_restarting_it() {
    use std::io::{BufRead, BufReader, Write};
    let dir = TempDir::new("ui-lesson-live");
    let mut h = open(Lang::En, &dir);
    let (smtp, fingerprint) = {
        let s = h.state().server().expect("the practice server runs");
        (s.smtp.expect("an SMTP port"), s.fingerprint.clone())
    };
    let telnet = std::net::TcpStream::connect(smtp).unwrap();
    telnet
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(telnet.try_clone().unwrap());
    let mut writer = telnet;
    let mut greeting = String::new();
    reader.read_line(&mut greeting).unwrap();
    assert!(greeting.starts_with("220"), "{greeting}");
    let mut say = |line: &str| -> String {
        writer.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        loop {
            let mut l = String::new();
            reader.read_line(&mut l).unwrap();
            if l.as_bytes().get(3) != Some(&b'-') {
                return l;
            }
        }
    };
    assert!(say("EHLO lab").starts_with("250"));
    assert!(say("MAIL FROM:<student@mailtutor.test>").starts_with("250"));
    assert!(say("RSET").starts_with("250"));

    start(&mut h, "Send a mail, command by command");
    h.run_steps(3);
    let s = h.state().server().expect("the practice server still runs");
    assert_eq!(s.smtp, Some(smtp), "the same port");
    assert_eq!(s.fingerprint, fingerprint, "the same certificate");
    // The terminal's session goes on, under the lesson's policy (log in first).
    assert!(say("NOOP").starts_with("250"));
    let refused = say("MAIL FROM:<student@mailtutor.test>");
    assert!(refused.starts_with("530"), "{refused}");

    h.state_mut().perform(mailtutor::ui::Action::LeaveLesson);
    h.run_steps(3);
    assert_eq!(h.state().server().map(|s| s.smtp), Some(Some(smtp)));
    assert!(say("MAIL FROM:<student@mailtutor.test>").starts_with("250"));
}

/// Buttons stay under the pointer: opening the hint does not move "Show me", and the
/// transcript's line count gaining a digit moves none of the transcript's buttons.
#[test]
fn hint_and_line_count_move_no_button() {
    let dir = TempDir::new("ui-still");
    let mut h = open(Lang::En, &dir);
    start(&mut h, "Send a mail, command by command");
    let show_me = h.get_by_label("Show me").rect();
    h.get_by_label("Hint").click();
    h.run_steps(2);
    shows(&h, "Hide hint");
    assert_eq!(h.get_by_label("Show me").rect(), show_me);
    let copy = h.get_by_label("Copy").rect();
    // Ten lines and more.
    click(&mut h, "Connect");
    for _ in 0..4 {
        click(&mut h, "NOOP");
    }
    assert!(h.state().transcript().len() >= 10);
    assert_eq!(h.get_by_label("Copy").rect(), copy);
}

/// POP3 against IMAP, walked by "Show me": the protocol changes twice in one lesson, each
/// protocol sees what the other did (the wire says so), and mail that was in INBOX before is
/// set aside in a folder, not lost.
#[test]
fn the_pop3_against_imap_lesson_shows_each_protocol_the_others_changes() {
    let dir = TempDir::new("ui-lesson-pop3-imap");
    let mut h = open(Lang::En, &dir);
    let store = mailtutor::server::maildir::Maildir::open(&dir.0).unwrap();
    store
        .deliver(
            "OLD1",
            &["student@mailtutor.test".to_owned()],
            b"Subject: homework kept\r\n\r\nDo not lose me.\r\n",
        )
        .unwrap();
    let lesson = Lesson::built_in()
        .into_iter()
        .find(|l| l.id == "pop3-imap")
        .unwrap();
    show_me_to_the_end(&mut h, &lesson);
    let text = h.state().transcript().export_annotated(Lang::En, false);
    for want in [
        "S: a6 OK MOVE completed",
        "C: STAT",
        "S: +OK 2 ",
        "Marked, not gone",
        "S: * 1 EXISTS",
        "S: * 1 FETCH (FLAGS (\\Seen \\Deleted))",
        "S: * STATUS Trash (MESSAGES 1)",
    ] {
        assert!(text.contains(want), "{want}\n{text}");
    }
    // The homework is in the folder Earlier, whole.
    let kept = store
        .list_folder("student@mailtutor.test", "Earlier")
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert!(String::from_utf8_lossy(&store.read(&kept[0]).unwrap()).contains("Do not lose me."));
}

/// The attachment lesson typed by hand: a part whose base64 is broken is stored by the
/// server but does not tick the step; the lines the Base64 panel makes from a file, pasted
/// into the raw line box at once, go out line by line and do, and the maildrop then holds the
/// file byte for byte.
#[test]
fn an_attachment_typed_by_hand_arrives_whole() {
    let dir = TempDir::new("ui-lesson-attachment");
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = dir.0.join("hello.txt");
    let content = b"Hello from mailtutor!\r\nSecond line, \xe4\xbd\xa0\xe5\xa5\xbd.\r\n";
    std::fs::write(&file, content).unwrap();
    let mut h = open(Lang::En, &dir);
    let lesson = Lesson::built_in()
        .into_iter()
        .find(|l| l.id == "attachment")
        .unwrap();
    start(&mut h, &lesson.title.en);
    for n in 1..=5 {
        click(&mut h, "Show me");
        // The reply that ticks the step may come after the click's own frames.
        wait_for_ticks(&mut h, n);
    }
    assert_eq!(ticked(&h), 5, "connected, EHLO, MAIL, RCPT, DATA");
    let plain = h.state().transcript().export_plain(false);
    let rcpt = plain
        .lines()
        .find_map(|l| l.split_once("RCPT TO:").map(|(_, a)| a.trim().to_owned()))
        .unwrap();
    // The Base64 panel turns the file into its lines.
    h.get_by_label("Base64").click();
    h.run_steps(2);
    let field = h.get_by_label("File");
    field.focus();
    field.type_text(&file.display().to_string());
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    wait_shows(&mut h, "hello.txt: 45 bytes → base64 in 1 line(s)");
    let lines = mailtutor::proto::auth::encode_lines(content);
    let message = |body: &[String]| {
        let mut m: Vec<String> = [
            "From: <student@mailtutor.test>",
            &format!("To: {rcpt}"),
            "Subject: An attachment by hand",
            "MIME-Version: 1.0",
            "Content-Type: multipart/mixed; boundary=\"frontier\"",
            "",
            "--frontier",
            "Content-Type: text/plain; charset=utf-8",
            "",
            "The file is attached.",
            "--frontier",
            "Content-Type: text/plain; name=\"hello.txt\"",
            "Content-Disposition: attachment; filename=\"hello.txt\"",
            "Content-Transfer-Encoding: base64",
            "",
        ]
        .map(str::to_owned)
        .to_vec();
        m.extend(body.iter().cloned());
        m.push("--frontier--".into());
        m.push(".".into());
        m
    };
    // A slip in the base64: the server stores the message, the step stays open.
    let mut broken = lines.clone();
    broken[0].insert(10, '*');
    for line in message(&broken) {
        type_line(&mut h, &line);
    }
    assert!(
        h.state()
            .transcript()
            .export_plain(false)
            .lines()
            .filter(|l| l.contains("250"))
            .count()
            >= 4
    );
    assert_eq!(ticked(&h), 9, "a broken attachment ticks nothing");
    for line in [
        "MAIL FROM:<student@mailtutor.test>".to_owned(),
        format!("RCPT TO:{rcpt}"),
        "DATA".to_owned(),
    ] {
        type_line(&mut h, &line);
    }
    // Pasted at once, as from an editor: the box sends it line by line.
    let field = h.get_by_label("Raw line:");
    field.focus();
    h.run_steps(1);
    h.event(egui::Event::Paste(message(&lines).join("\r\n") + "\r\n"));
    h.run_steps(2);
    wait(&mut h, "the pasted message to tick the dot's step", |a| {
        idle(a)
            && a.lesson_panel()
                .active
                .as_ref()
                .is_some_and(|x| x.progress.ticked.len() == 10)
    });
    assert_eq!(ticked(&h), 10, "the whole attachment ticks the step");
    type_line(&mut h, "QUIT");
    assert_eq!(ticked(&h), lesson.steps.len());
    // In the maildrop, the second message's attachment decodes to the file.
    let store = mailtutor::server::maildir::Maildir::open(&dir.0).unwrap();
    let to = rcpt.trim_matches(['<', '>']);
    let stored: Vec<Vec<u8>> = store
        .list(to)
        .unwrap()
        .iter()
        .map(|m| store.read(m).unwrap())
        .collect();
    let whole = stored
        .iter()
        .filter_map(|m| mail_parser::MessageParser::default().parse(m.as_slice()))
        .filter_map(|m| m.attachment(0).map(|a| a.contents().to_vec()))
        .filter(|c| c.as_slice() == content)
        .count();
    assert_eq!(whole, 1, "one stored message carries the file whole");
}

/// The Wireshark lesson walked in the window, then its session saved as pcapng from the
/// transcript: tshark reads both connections as SMTP, AUTH in the first with the password
/// masked, and the second cut where STARTTLS began, as the lesson's last step says.
#[test]
fn the_wireshark_lessons_session_saves_as_a_capture_tshark_reads() {
    let dir = TempDir::new("ui-lesson-wireshark");
    std::fs::create_dir_all(&dir.0).unwrap();
    let mut h = open(Lang::En, &dir);
    let lesson = Lesson::built_in()
        .into_iter()
        .find(|l| l.id == "wireshark")
        .unwrap();
    show_me_to_the_end(&mut h, &lesson);
    let file = mailtutor::capture::pcapng_of(h.state().transcript(), Lang::En, false).unwrap();
    assert!(file.cut_at_tls, "the second connection went into TLS");
    let path = dir.0.join("wireshark.pcapng");
    std::fs::write(&path, &file.bytes).unwrap();
    let rows = crate::capture_tshark::fields(
        &path,
        &["smtp.decryption:TRUE"],
        "smtp",
        &["tcp.stream", "smtp.command_line", "smtp.auth.password"],
    );
    let stream = |s: &str| -> Vec<String> {
        rows.iter()
            .filter(|r| r[0] == s)
            .map(|r| r[1].clone())
            .collect()
    };
    let (first, second) = (stream("0"), stream("1"));
    assert!(
        first.iter().any(|c| c.starts_with("AUTH LOGIN")),
        "{rows:?}"
    );
    assert!(first.iter().any(|c| c.starts_with("QUIT")), "{rows:?}");
    assert!(
        rows.iter()
            .any(|r| r.get(2).is_some_and(|p| p == "********")),
        "the password is masked: {rows:?}"
    );
    assert!(second.iter().any(|c| c.starts_with("STARTTLS")), "{rows:?}");
    assert!(
        !second.iter().any(|c| c.starts_with("AUTH")),
        "nothing after STARTTLS is written in clear: {rows:?}"
    );
}
