//! The window driven like a student drives it (egui_kittest: click by label, read by label),
//! against its own practice server on 127.0.0.1 with ports from the OS.
#![cfg(feature = "gui")]

use crate::common;

use std::time::{Duration, Instant};

use common::TempDir;
use common::window::{
    H, Memory, choose, click, connect, frames_keep_coming, last_explanation, last_server, open,
    send_by_clicks, shows, texts, wait,
};
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use mailtutor::proto::Lang;
use mailtutor::proto::client::Connection;
use mailtutor::session::{Event, Protocol};
use mailtutor::transcript::Direction;
use mailtutor::ui::theme::Settings;
use mailtutor::ui::{Action, AppOptions, TutorApp};

#[test]
fn a_whole_send_by_clicks_with_explained_codes_in_both_languages() {
    let dir = TempDir::new("ui-send");
    let mut h = open(Lang::En, &dir);
    shows(&h, "student@mailtutor.test / secret");
    h.state_mut()
        .perform(Action::SetSubject("测试 from the window".into()));
    send_by_clicks(&mut h, true);

    // The password never shows: not as text, not as base64.
    let all = texts(&h).join("\n");
    assert!(!all.contains("c2VjcmV0"), "{all}");
    assert!(all.contains("********"), "{all}");
    assert!(h.query_by_label_contains("c2VjcmV0").is_none());

    click(&mut h, "QUIT");
    wait(&mut h, "the close", |a| !a.is_connected());
    assert!(last_server(&h).starts_with("221"));
    assert_eq!(h.state().next_step(), "Connect to the server.");

    let stored = common::mailbox_files(&dir.0.join("teacher@mailtutor.test").join("new"));
    assert_eq!(stored.len(), 1, "one message in the teacher's Maildir");
    let text = String::from_utf8_lossy(&stored[0]);
    assert!(text.contains("Subject: =?utf-8?"), "{text}");
    assert!(text.contains("one SMTP command at a time"), "{text}");
}

#[test]
fn data_first_gets_a_real_503_and_the_explanation_says_why() {
    let dir = TempDir::new("ui-503");
    let mut h = open(Lang::En, &dir);
    connect(&mut h);
    click(&mut h, "EHLO");
    // DATA is out of sequence: still clickable, with a warning that predicts the answer.
    assert!(h.get_all_by_label("(!)").count() >= 1);
    assert!(
        h.state()
            .transcript()
            .smtp()
            .check(mailtutor::proto::smtp::CommandKind::Data)
            .is_some()
    );
    click(&mut h, "DATA");
    assert!(last_server(&h).starts_with("503"), "{}", last_server(&h));
    // The pane shows the reply's one explanation: the situation read from the session state.
    let meaning = last_explanation(&h)
        .map(|x| x.meaning(Lang::En))
        .unwrap_or_default();
    assert!(meaning.contains("DATA"), "{meaning}");
    shows(&h, &meaning);
    shows(&h, "About this reply code");
    // The session goes on, and MAIL FROM is among the expected steps again.
    assert!(h.state().transcript().smtp().expected_next().contains(
        &mailtutor::proto::smtp_state::Step::Command(mailtutor::proto::smtp::CommandKind::MailFrom)
    ));
}

#[test]
fn a_wrong_password_gets_535_explained() {
    let dir = TempDir::new("ui-535");
    let mut h = open(Lang::Zh, &dir);
    h.state_mut().perform(Action::SetPassword("wrong".into()));
    h.get_by_label("连接").click();
    h.run_steps(2);
    wait(&mut h, "the greeting", |a| {
        a.transcript()
            .entries()
            .iter()
            .any(|e| e.dir == Direction::Server)
            && !a.is_busy()
    });
    click(&mut h, "EHLO");
    click(&mut h, "AUTH LOGIN");
    click(&mut h, "发送用户名");
    click(&mut h, "发送密码");
    assert!(last_server(&h).starts_with("535"), "{}", last_server(&h));
    // One explanation in the pane; the code's reference text only when its fold is opened.
    let meaning = last_explanation(&h)
        .map(|x| x.meaning(Lang::Zh))
        .unwrap_or_default();
    assert!(meaning.contains("永久失败"), "{meaning}");
    shows(&h, &meaning);
    assert!(h.query_by_label_contains("用户验证失败").is_none());
    click(&mut h, "关于这个回复码");
    shows(&h, "用户验证失败");
    assert!(h.state().is_connected(), "the app stays usable after a 535");
}

#[test]
fn pop3_reads_the_sent_message_back() {
    let dir = TempDir::new("ui-pop3");
    let mut h = open(Lang::En, &dir);
    h.state_mut()
        .perform(Action::SetSubject("Read me over POP3".into()));
    send_by_clicks(&mut h, false);
    click(&mut h, "QUIT");
    wait(&mut h, "the close", |a| !a.is_connected());

    choose(&mut h, "Protocol", "POP3");
    assert_eq!(h.state().protocol(), Protocol::Pop3);
    h.state_mut()
        .perform(Action::SetUsername("teacher@mailtutor.test".into()));
    connect(&mut h);
    assert!(last_server(&h).starts_with("+OK"), "{}", last_server(&h));
    click(&mut h, "USER");
    click(&mut h, "PASS");
    assert!(last_server(&h).starts_with("+OK"), "{}", last_server(&h));
    click(&mut h, "STAT");
    assert!(last_server(&h).starts_with("+OK 1 "), "{}", last_server(&h));
    click(&mut h, "RETR");
    assert!(last_server(&h).contains("Subject: Read me over POP3"));
    shows(&h, "The retrieved message, decoded");
    shows(&h, "Subject: Read me over POP3");
    // The PASS line is masked in the transcript.
    assert!(texts(&h).iter().any(|t| t == "PASS ********"));
}

#[test]
fn raw_lines_base64_panel_and_zoom() {
    let dir = TempDir::new("ui-raw");
    let mut h = open(Lang::En, &dir);
    connect(&mut h);
    let field = h.get_by_label("Raw line:");
    field.focus();
    field.type_text("EHLO telnet.example");
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    wait(&mut h, "the EHLO reply", |a| !a.is_busy());
    assert!(texts(&h).iter().any(|t| t == "EHLO telnet.example"));
    assert!(last_server(&h).starts_with("250"));
    click(&mut h, "AUTH LOGIN");
    // A click on the 334 line loads its base64 into the panel.
    h.get_by_label("334 VXNlcm5hbWU6").click();
    h.run_steps(3);
    assert_eq!(h.state().base64_panel().text, "Username:");
    h.get_by_label("Decode the last 334 prompt");
    h.get_by_label("AUTH PLAIN builder");

    // The Codes tab explains a code typed by hand, connected or not.
    h.get_by_label("Codes").click();
    h.run_steps(2);
    let field = h.get_by_label("Look up a reply code:");
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Look up a reply code:").type_text("503");
    h.run_steps(2);
    shows(&h, "Bad sequence of commands");
    // A reply copied whole from a tutorial, with the '#' some servers write.
    h.get_by_label("Look up a reply code:").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Look up a reply code:")
        .type_text("235 #2.0.0 OK Authenticated");
    h.run_steps(2);
    shows(&h, "Authentication successful.");
    shows(&h, "2.X.X  Success.");

    assert_eq!(h.state().settings().zoom, 1.0);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Equals);
    h.run_steps(2);
    assert!((h.state().settings().zoom - 1.1).abs() < 1e-6);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Minus);
    h.run_steps(2);
    assert!((h.state().settings().zoom - 1.0).abs() < 1e-6);
}

#[test]
fn the_chinese_window_renders_with_the_bundled_font() {
    let dir = TempDir::new("ui-zh");
    let mut h = open(Lang::Zh, &dir);
    // kittest panics on a glyph no font has, so these frames prove the CJK font is loaded.
    h.run_steps(2);
    h.get_by_label("连接");
    shows(&h, "练习账号");
    h.get_by_label("命令");
    h.get_by_label("刚才发生了什么");

    // QQ Mail fills in its server and says it wants the app password (授权码).
    choose(&mut h, "服务器", "QQ 邮箱");
    assert_eq!(h.state().settings().host, "smtp.qq.com");
    assert_eq!(h.state().settings().port, 25);
    shows(&h, "QQ 和 163 邮箱需要授权码");
    h.get_by_label("授权码");
    choose(&mut h, "安全", "TLS（SMTPS/POP3S）");
    assert_eq!(h.state().settings().port, 465);
}

#[test]
fn a_transcript_of_100k_lines_draws_only_what_is_visible() {
    let dir = TempDir::new("ui-100k");
    let mut h = open(Lang::En, &dir);
    let mut c = Connection::<()>::observer(Protocol::Smtp);
    for i in 0..100_000u32 {
        c.sent(None, format!("NOOP {i}\r\n").as_bytes(), false, &[]);
        while let Some(kind) = c.poll_event() {
            h.state_mut().replay(&Event::now(kind));
        }
    }
    h.run_steps(2);
    assert!(h.state().transcript_rows() >= 100_000);
    let start = Instant::now();
    for _ in 0..10 {
        h.step();
    }
    let per_frame = start.elapsed() / 10;
    eprintln!("100k-line transcript: {per_frame:?} per frame");
    assert!(
        per_frame < Duration::from_millis(250),
        "{per_frame:?} per frame"
    );
    // The newest line is in view (the transcript sticks to the bottom).
    h.get_by_label("NOOP 99999");
}

#[test]
fn starttls_by_click_and_tls_from_the_security_menu() {
    let dir = TempDir::new("ui-tls");
    let mut h = open(Lang::En, &dir);
    connect(&mut h);
    click(&mut h, "EHLO");
    click(&mut h, "STARTTLS");
    assert!(h.state().transcript().smtp().is_tls());
    shows(&h, "TLS established");
    shows(&h, "TLS (pinned certificate)");
    // RFC 3207: after the handshake the client starts over with EHLO.
    assert_eq!(h.state().next_step(), "Send EHLO.");
    click(&mut h, "QUIT");
    wait(&mut h, "the close", |a| !a.is_connected());

    choose(&mut h, "Security", "TLS (SMTPS/POP3S)");
    connect(&mut h);
    assert!(
        h.state().transcript().smtp().is_tls(),
        "implicit TLS from the first byte"
    );
    assert!(last_server(&h).starts_with("220 "));
}

#[test]
fn a_refused_connection_is_explained_and_the_window_stays_usable() {
    let dir = TempDir::new("ui-refused");
    let mut h = open(Lang::En, &dir);
    // A port nothing listens on: bind one, note it, close it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    choose(&mut h, "Server", "Custom server");
    let host = h.get_by_label("Host");
    host.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Host").type_text("127.0.0.1");
    h.run_steps(1);
    let field = h.get_by_label("Port");
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Port").type_text(&port.to_string());
    h.run_steps(2);
    h.get_by_label("Connect").click();
    h.run_steps(2);
    wait(&mut h, "the refusal", |a| !a.is_busy());
    assert!(!h.state().is_connected());
    shows(&h, "cannot connect to 127.0.0.1:");
    // Connect is offered again, and a name that does not resolve says so.
    h.get_by_label("Host").focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Host").type_text("no-such-host.invalid");
    h.run_steps(2);
    h.get_by_label("Connect").click();
    h.run_steps(2);
    wait(&mut h, "the DNS failure", |a| !a.is_busy());
    shows(&h, "cannot resolve no-such-host.invalid");
}

#[test]
fn save_transcript_writes_the_masked_text_on_a_background_thread() {
    let dir = TempDir::new("ui-save");
    let mut h = open(Lang::En, &dir);
    send_by_clicks(&mut h, false);
    h.get_by_label("Save transcript…").click();
    h.run_steps(2);
    let path = dir.0.join("lesson.txt");
    let field = h.get_by_label("File:");
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("File:")
        .type_text(&path.display().to_string());
    h.run_steps(1);
    h.get_by_label("Plain (as in telnet)").click();
    h.run_steps(1);
    h.get_by_label("Save").click();
    let start = Instant::now();
    while !path.exists() && start.elapsed() < Duration::from_secs(10) {
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(3);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("AUTH LOGIN\n334 VXNlcm5hbWU6\n"), "{text}");
    assert!(
        text.contains("\n********\n235 "),
        "the password is masked: {text}"
    );
    assert!(!text.contains("c2VjcmV0"));
    shows(&h, "Saved to");
}

#[test]
fn settings_survive_a_restart_but_the_password_never_is_saved() {
    let dir = TempDir::new("ui-settings");
    let mut h = open(Lang::En, &dir);
    h.get_by_label("简体中文").click();
    h.run_steps(2);
    h.get_by_label("深色").click();
    h.run_steps(2);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Equals);
    h.run_steps(2);
    choose(&mut h, "协议", "POP3");
    h.state_mut()
        .perform(Action::SetPassword("hunter2-secret".into()));
    let mut memory = Memory::default();
    eframe::App::save(h.state_mut(), &mut memory);
    let saved = memory.0.values().cloned().collect::<Vec<_>>().join("\n");
    assert!(!saved.contains("hunter2"), "{saved}");
    assert!(!saved.to_lowercase().contains("password"), "{saved}");

    let memory: &'static Memory = Box::leak(Box::new(memory));
    let options = AppOptions {
        data_dir: Some(dir.0.clone()),
        settings: None,
        demo: None,
        ..Default::default()
    };
    let mut again = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| {
            cc.storage = Some(memory);
            TutorApp::new(cc, options)
        });
    again.run_steps(2);
    let s = again.state().settings();
    assert_eq!(s.lang, Lang::Zh);
    assert!(s.dark);
    assert!((s.zoom - 1.1).abs() < 1e-6);
    assert_eq!(s.protocol, Protocol::Pop3);
    again.get_by_label("连接");
}

#[test]
fn a_slow_server_never_freezes_the_window_and_a_dropped_connection_is_reported() {
    let dir = TempDir::new("ui-faults");
    let mut h = open(Lang::En, &dir);
    let stage = |h: &H, spec: &str| {
        let fault = spec.parse().unwrap();
        h.state().server().expect("no server").faults().stage(fault);
    };

    // Every reply of the next session comes 3 s late; frames keep coming meanwhile.
    stage(&h, "delay=3000");
    h.get_by_label("Connect").click();
    frames_keep_coming(&mut h);
    // On a loaded machine the TCP connection may still be on its way after those frames.
    wait(&mut h, "the connection", |a| a.is_connected());
    assert_eq!(h.state().next_step(), "Wait for the server's 220 greeting.");
    wait(&mut h, "the slow greeting", |a| {
        a.transcript()
            .entries()
            .iter()
            .any(|e| e.dir == Direction::Server)
            && !a.is_busy()
    });
    assert!(last_server(&h).starts_with("220"), "{}", last_server(&h));
    h.get_by_label("EHLO").click();
    h.run_steps(1);
    frames_keep_coming(&mut h);
    assert!(
        h.state().is_busy(),
        "EHLO is still waiting for its late reply"
    );
    wait(&mut h, "the slow EHLO", |a| !a.is_busy());
    assert!(last_server(&h).starts_with("250"), "{}", last_server(&h));

    // The server hangs up instead of answering MAIL FROM.
    stage(&h, "drop-after=MAIL");
    click(&mut h, "MAIL FROM");
    wait(&mut h, "the close", |a| !a.is_connected());
    shows(&h, "Connection closed");
    assert_eq!(h.state().next_step(), "Connect to the server.");
    h.get_by_label("Connect");
}

#[test]
fn a_demo_plays_its_clicks_and_removes_its_scratch_maildir_on_exit() {
    let options = AppOptions {
        data_dir: None,
        settings: Some(Settings::default()),
        demo: Some("base64".into()),
        ..Default::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| TutorApp::new(cc, options));
    wait(&mut h, "the demo's last step", |a| {
        a.base64_panel().text == "Password:"
    });
    let dir = h
        .state()
        .server()
        .map(|s| s.data_dir.clone())
        .expect("no server");
    assert!(dir.starts_with(std::env::temp_dir()), "{}", dir.display());
    assert!(dir.exists());
    eframe::App::on_exit(h.state_mut(), None);
    assert!(!dir.exists(), "{} is left behind", dir.display());
}

/// The demo a teacher plays to show a whole send as real servers want it: STARTTLS on the plain
/// connection, EHLO again inside TLS, AUTH LOGIN, the message, QUIT — and the mail is stored.
#[test]
fn the_tls_demo_plays_a_whole_send_inside_starttls() {
    let options = AppOptions {
        data_dir: None,
        settings: Some(Settings::default()),
        demo: Some("send-tls".into()),
        ..Default::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| TutorApp::new(cc, options));
    wait(&mut h, "the 221 after QUIT", |a| {
        a.transcript()
            .entries()
            .iter()
            .any(|e| e.code() == Some(221))
    });
    let text = h.state().transcript().export_annotated(Lang::En, false);
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{text}"))
    };
    // In this order: the upgrade, then the login and the message inside it.
    assert!(at("C: STARTTLS") < at("TLS established"));
    assert!(at("TLS established") < at("C: AUTH LOGIN"));
    assert!(at("S: 235") < at("C: MAIL FROM"));
    assert!(at("S: 354") < at("S: 250 2.0.0 Ok: queued"));
    let dir = h
        .state()
        .server()
        .map(|s| s.data_dir.join("teacher@mailtutor.test").join("new"))
        .expect("no server");
    let stored = std::fs::read_dir(&dir).map(|d| d.count()).unwrap_or(0);
    assert_eq!(stored, 1, "messages in {}", dir.display());
    eframe::App::on_exit(h.state_mut(), None);
}

/// In the window, a reply is explained by its situation: 530 after AUTH LOGIN on a plain
/// connection says "encrypt first", in the transcript row, the explanation pane and the badge,
/// in English and in Chinese — never "check your password".
#[test]
fn a_reply_is_explained_where_it_came_in_both_languages() {
    for (demo, meaning, next) in [
        (
            "starttls-first",
            "Login refused because the connection is not encrypted yet",
            "Send STARTTLS, then EHLO again, then AUTH LOGIN.",
        ),
        (
            "starttls-first-zh",
            "因为连接还没有加密，登录被拒绝了",
            "发送 STARTTLS，然后重新 EHLO，再 AUTH LOGIN。",
        ),
    ] {
        let options = AppOptions {
            data_dir: None,
            settings: Some(Settings::default()),
            demo: Some(demo.into()),
            ..Default::default()
        };
        let mut h = Harness::builder()
            .with_size(egui::vec2(1280.0, 800.0))
            .build_eframe(move |cc| TutorApp::new(cc, options));
        wait(&mut h, "the 530", |a| {
            a.transcript()
                .entries()
                .iter()
                .any(|e| e.code() == Some(530))
        });
        h.run_steps(4);
        let reply = h
            .state()
            .transcript()
            .entries()
            .iter()
            .rev()
            .find(|e| e.code() == Some(530))
            .expect("no 530");
        assert_eq!(
            reply.situation().map(|s| s.id.as_str()),
            Some("smtp.auth.needs-tls"),
            "{}",
            reply.text(false)
        );
        shows(&h, meaning);
        shows(&h, next);
        assert!(
            h.query_all_by_label_contains("app password")
                .next()
                .is_none()
                && h.query_all_by_label_contains("授权码而不是网页")
                    .next()
                    .is_none(),
            "the 530 is explained as a password problem"
        );
        eframe::App::on_exit(h.state_mut(), None);
    }
}

const SMTP_BUTTONS: [&str; 13] = [
    "HELO",
    "EHLO",
    "STARTTLS",
    "AUTH LOGIN",
    "AUTH PLAIN",
    "MAIL FROM",
    "RCPT TO",
    "DATA",
    "RSET",
    "NOOP",
    "VRFY",
    "HELP",
    "QUIT",
];

/// Where every SMTP command button is on screen, with the pointer away (a hovered button is
/// drawn with another stroke).
fn button_rects(h: &mut H) -> Vec<(&'static str, egui::Rect)> {
    h.event(egui::Event::PointerGone);
    h.run_steps(2);
    SMTP_BUTTONS
        .iter()
        .map(|b| {
            (
                *b,
                h.get_by_role_and_label(egui::accesskit::Role::Button, b)
                    .rect(),
            )
        })
        .collect()
}

/// A student clicking quickly must find each command where it was: no button moves when the
/// connection comes up (plain or TLS), when a step card shows, or in Chinese.
#[test]
fn command_buttons_never_move() {
    for lang in [Lang::En, Lang::Zh] {
        let dir = TempDir::new("ui-still");
        let mut h = open(lang, &dir);
        let before = button_rects(&mut h);
        let same = |h: &mut H, when: &str| {
            assert_eq!(
                button_rects(h),
                before,
                "{lang:?}: the buttons moved {when}"
            );
        };
        connect(&mut h);
        same(&mut h, "after connecting");
        click(&mut h, "EHLO");
        click(&mut h, "AUTH LOGIN");
        assert!(last_server(&h).starts_with("334"), "{}", last_server(&h));
        same(&mut h, "while the username card shows");
        let (username, password, message) = match lang {
            Lang::En => ("Send username", "Send password", "Send message"),
            Lang::Zh => ("发送用户名", "发送密码", "发送邮件"),
        };
        click(&mut h, username);
        same(&mut h, "while the password card shows");
        click(&mut h, password);
        click(&mut h, "MAIL FROM");
        click(&mut h, "RCPT TO");
        click(&mut h, "DATA");
        assert!(last_server(&h).starts_with("354"), "{}", last_server(&h));
        same(&mut h, "while the message card shows");
        click(&mut h, message);
        assert!(last_server(&h).starts_with("250"), "{}", last_server(&h));
        same(&mut h, "after the message was queued");
        click(&mut h, "QUIT");
        wait(&mut h, "the close", |a| !a.is_connected());
        same(&mut h, "after the server closed");
        connect(&mut h);
        click(&mut h, "EHLO");
        click(&mut h, "STARTTLS");
        assert!(h.state().transcript().smtp().is_tls());
        same(&mut h, "after STARTTLS");
    }
}

/// One place for each part of an explanation: the reply's row gives its meaning, whole (never
/// cut with "…"); the likely cause and what to do stand once, in the pane below.
#[test]
fn a_reply_is_explained_once_its_row_the_meaning_and_the_pane_the_rest() {
    let dir = TempDir::new("ui-once");
    let mut h = open(Lang::En, &dir);
    connect(&mut h);
    click(&mut h, "EHLO");
    let x = last_explanation(&h).unwrap();
    assert!(x.meaning(Lang::En).starts_with("EHLO accepted"));
    let row = format!("» {}", x.meaning(Lang::En));
    let cause = mailtutor::proto::codes::labelled(
        Lang::En,
        "cause",
        &x.cause(Lang::En).unwrap_or_default(),
    );
    let next = mailtutor::proto::codes::labelled(Lang::En, "next", &x.next(Lang::En));
    let labels: Vec<String> = h
        .query_all_by_label_contains("")
        .filter_map(|n| n.accesskit_node().value())
        .collect();
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    // The row: the meaning, whole, and no part of the cause or the advice.
    let rows: Vec<&String> = labels
        .iter()
        .filter(|v| v.trim().len() > 8 && row.contains(v.trim()) && **v != x.meaning(Lang::En))
        .collect();
    assert!(!rows.is_empty(), "no row shows {row:?}: {labels:#?}");
    assert_eq!(
        squash(
            &rows
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(" ")
        ),
        squash(&row)
    );
    assert!(!rows.iter().any(|r| r.contains('…')), "{rows:?}");
    // The cause and the advice: once each, in the pane.
    for part in [&cause, &next] {
        let n = labels.iter().filter(|v| v.contains(part.as_str())).count();
        assert_eq!(n, 1, "{part:?} is shown {n} times: {labels:#?}");
    }
}

/// A click on an older reply's row explains that reply in the pane; "Back to the newest
/// reply", or a new reply, shows the newest again.
#[test]
fn a_click_on_an_older_reply_explains_it_in_the_pane() {
    let dir = TempDir::new("ui-older");
    let mut h = open(Lang::En, &dir);
    connect(&mut h);
    click(&mut h, "HELO");
    let greeting = h.state().transcript().entries()[..]
        .iter()
        .find(|e| e.code() == Some(220))
        .and_then(|e| e.explanation().cloned())
        .unwrap();
    let head: String = format!("» {}", greeting.meaning(Lang::En))
        .chars()
        .take(24)
        .collect();
    let cause = greeting.cause(Lang::En).unwrap_or_default();
    assert!(h.query_by_label_contains(&cause).is_none(), "{cause}");
    h.get_by_label_contains(&head).click();
    h.run_steps(3);
    shows(&h, "This reply");
    shows(&h, &cause);
    click(&mut h, "Back to the newest reply");
    shows(&h, "What just happened");
    assert!(h.query_by_label_contains(&cause).is_none(), "{cause}");
    // A new reply takes the pane back to the newest even while an older one is shown.
    h.get_by_label_contains(&head).click();
    h.run_steps(3);
    shows(&h, "This reply");
    click(&mut h, "NOOP");
    shows(&h, "What just happened");
    // The reply's own line does the same.
    h.get_by_label_contains("220 mailtutor.test").click();
    h.run_steps(3);
    shows(&h, "This reply");
    shows(&h, &cause);
}

/// Other long notes (the warning that base64 is not encryption) are shown whole too; a click
/// folds one to one row and another opens it again.
#[test]
fn a_long_note_is_shown_whole_and_folds_on_a_click() {
    let dir = TempDir::new("ui-note");
    let mut h = open(Lang::En, &dir);
    connect(&mut h);
    click(&mut h, "EHLO");
    click(&mut h, "AUTH LOGIN");
    click(&mut h, "Send username");
    let warning = h
        .state()
        .transcript()
        .entries()
        .iter()
        .flat_map(|e| e.notes.iter())
        .find(|n| matches!(n, mailtutor::transcript::Note::Answer { .. }))
        .map(|n| n.render(Lang::En, false));
    let note = warning.unwrap();
    let note = note.as_str();
    let parts = |h: &Harness<'_, TutorApp>| -> Vec<String> {
        h.query_all_by_label_contains(" ")
            .filter_map(|n| n.accesskit_node().value())
            .filter(|v| v.trim().len() > 8 && note.contains(v.trim()))
            .collect()
    };
    let shown = parts(&h);
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert_eq!(
        squash(&shown.join(" ")),
        squash(note),
        "the note's rows: {shown:#?}"
    );
    if shown.len() < 2 {
        return;
    }
    let rows = h.state().transcript_rows();
    // A click on one of its lines folds it into one row, which opens again on a click.
    h.get_by_label(&shown[0]).click();
    h.run_steps(3);
    let folded = h.state().transcript_rows();
    assert_eq!(
        folded,
        rows + 1 - shown.len(),
        "folding left {folded} of {rows} rows"
    );
    h.get_by_label(note).click();
    h.run_steps(3);
    assert_eq!(h.state().transcript_rows(), rows);
}

/// Writes `bytes` to `name` in the test's directory and opens it with *Open transcript…*,
/// the path typed in its field.
fn open_file(h: &mut H, dir: &TempDir, name: &str, bytes: &[u8]) {
    let path = dir.0.join(name);
    std::fs::create_dir_all(&dir.0).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
    h.get_by_label("Open transcript…").click();
    h.run_steps(2);
    let field = h.get_by_label("File to open:");
    field.focus();
    field.type_text(&path.display().to_string());
    h.run_steps(1);
    h.get_by_label("Open").click();
}

/// Enter in the empty path field says what the form wants and leaves the keyboard there, so
/// the path typed next lands in the field.
#[test]
fn enter_in_the_empty_path_field_keeps_the_keyboard_there() {
    let dir = TempDir::new("open-empty");
    let mut h = open(Lang::En, &dir);
    h.get_by_label("Open transcript…").click();
    h.run_steps(2);
    h.get_by_label("File to open:").focus();
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    shows(&h, "Type the path of a file first");
    // Typed without clicking the field again.
    let path = dir.0.join("log.txt");
    std::fs::create_dir_all(&dir.0).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&path, b"S: 220 ready\nC: QUIT\nS: 221 bye\n").unwrap_or_else(|e| panic!("{e}"));
    h.event(egui::Event::Text(path.display().to_string()));
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    common::window::wait_shows(&mut h, "221 bye");
    assert!(
        !texts(&h)
            .iter()
            .any(|t| t.starts_with("Type the path of a file first"))
    );
}

/// An IMAP log opened in the window is read as IMAP by the same client connection as a live
/// session: each response explained in its context, the state followed, the password masked.
#[test]
fn an_imap_log_opened_in_the_window_is_read_as_imap() {
    let dir = TempDir::new("open-imap");
    let mut h = open(Lang::En, &dir);
    let log =
        b"S: * OK IMAP4rev1 Service Ready\nC: a001 login mrc secret\nS: a001 OK LOGIN completed\n\
C: a002 select inbox\nS: * 18 EXISTS\nS: a002 OK [READ-WRITE] SELECT completed\n";
    open_file(&mut h, &dir, "imap.txt", log);
    common::window::wait(&mut h, "the log", |a| a.transcript().len() >= 6);
    let t = h.state().transcript();
    assert_eq!(t.protocol(), Protocol::Imap);
    let text: String = (0..t.len())
        .map(|i| t.render_entry(i, Lang::En, false))
        .collect();
    assert!(
        text.contains("a001 login mrc ********") && !text.contains("secret"),
        "{text}"
    );
    assert!(text.contains("Now in mailbox inbox"), "{text}");
    assert!(!text.contains("not a command"), "{text}");
    shows(&h, "The mailbox is selected read-write");
    // Next follows the log's protocol, not the connection bar's SMTP.
    assert!(
        h.query_by_label_contains("220 greeting").is_none(),
        "an SMTP step offered after an IMAP log"
    );
}

/// An opened file takes the place of a session only once the user says so, when the session
/// was not saved.
#[test]
fn opening_a_file_over_a_session_not_saved_asks_first() {
    let dir = TempDir::new("open-asks");
    let mut h = open(Lang::En, &dir);
    connect(&mut h);
    click(&mut h, "HELO");
    click(&mut h, "Disconnect");
    // The closed connection's own row arrives from the network thread.
    wait(&mut h, "the connection closed", |a| {
        !a.is_connected() && !a.is_busy()
    });
    h.run_steps(5);
    let lines = h.state().transcript().len();
    open_file(
        &mut h,
        &dir,
        "log.txt",
        b"S: 220 ready\nC: QUIT\nS: 221 bye\n",
    );
    common::window::wait_shows(&mut h, "Clear the transcript?");
    shows(&h, "The opened file takes the place of the transcript");
    assert_eq!(h.state().transcript().len(), lines);
    click(&mut h, "Clear it");
    assert_eq!(h.state().transcript().len(), 3);
    assert!(!h.state().asks_to_clear());
}

#[test]
fn a_saved_telnet_session_opens_annotated_from_a_gbk_file_or_a_paste() {
    let dir = TempDir::new("open-transcript");
    let mut h = open(Lang::En, &dir);
    // The tutorial's 163 session, saved by a Chinese Windows tool in GBK.
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/transcripts/tutorial-163.txt"
    ))
    .unwrap();
    let (gbk, _, _) = encoding_rs::GBK.encode(&text);
    assert!(std::str::from_utf8(&gbk).is_err(), "the file really is GBK");
    open_file(&mut h, &dir, "163-gbk.txt", &gbk);
    wait(&mut h, "the opened transcript", |a| {
        a.transcript().len() > 10
    });
    let annotated = h.state().transcript().export_annotated(Lang::En, false);
    assert!(annotated.contains("334 dXNlcm5hbWU6"), "{annotated}");
    assert!(
        annotated.contains("\"username:\""),
        "the prompt is decoded: {annotated}"
    );
    assert!(
        annotated.contains("这里输入你的163邮箱账户"),
        "GBK read right: {annotated}"
    );
    // The view follows the end of the session, as for a live one.
    shows(&h, "221 Bye");

    // A pasted session replaces it, and Ctrl+O brings the form back.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    h.run_steps(2);
    let field = h.get_by_label("Or paste a session here:");
    field.focus();
    field.type_text(
        "220 smtp.qq.com Esmtp QQ Mail Server\nHELO x\n250 OK\nAUTH LOGIN\n535 Login Fail\n",
    );
    h.run_steps(1);
    h.get_by_label("Explain it").click();
    wait(&mut h, "the pasted transcript", |a| {
        a.transcript()
            .export_plain(false)
            .contains("535 Login Fail")
    });
    assert!(
        !h.state()
            .transcript()
            .export_plain(false)
            .contains("163.com")
    );
    shows(&h, "535 Login Fail");

    // While connected, the live transcript is not replaced.
    h.get_by_label("Connect").click();
    wait(&mut h, "the connection", |a| {
        a.is_connected() && !a.is_busy()
    });
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    h.run_steps(2);
    h.get_by_label("Explain it").click();
    wait(&mut h, "the refusal", |a| {
        a.transcript()
            .export_annotated(Lang::En, false)
            .contains("disconnect first")
    });
    shows(&h, "Error: disconnect first");
    assert!(h.state().transcript().export_plain(false).contains("220 "));
}

/// The telnet way, typed in the raw line box: the blank line between the headers and the body
/// is sent with Enter like any other line, and the message is accepted; an Enter pressed on an
/// empty box outside the message sends nothing.
#[test]
fn a_message_typed_the_telnet_way_has_its_blank_line() {
    let dir = TempDir::new("ui-telnet-way");
    let mut h = open(Lang::En, &dir);
    connect(&mut h);
    let typed = |h: &mut H, line: &str| {
        let field = h.get_by_label("Raw line:");
        field.focus();
        if !line.is_empty() {
            field.type_text(line);
        }
        h.run_steps(1);
        h.key_press(egui::Key::Enter);
        h.run_steps(2);
        wait(h, "the line to go", |a| !a.is_busy());
    };
    typed(&mut h, "HELO telnet.example");
    let before = texts(&h).len();
    // An empty box outside the message: nothing goes out.
    typed(&mut h, "");
    assert_eq!(texts(&h).len(), before, "{:?}", texts(&h));
    for line in [
        "MAIL FROM:<student@mailtutor.test>",
        "RCPT TO:<teacher@mailtutor.test>",
        "DATA",
        "From: student@mailtutor.test",
        "Subject: typed by hand",
        "",
        "Hello from the raw line box.",
        ".",
    ] {
        typed(&mut h, line);
    }
    wait(&mut h, "the message's 250", |a| {
        a.transcript()
            .entries()
            .last()
            .is_some_and(|e| e.dir == Direction::Server && e.text(false).starts_with("250"))
    });
    let all = texts(&h);
    let subject = all
        .iter()
        .position(|t| t == "Subject: typed by hand")
        .unwrap();
    assert_eq!(all[subject + 1], "", "the blank line was sent: {all:?}");
    let annotated = h.state().transcript().export_annotated(Lang::En, false);
    assert!(
        annotated.contains("blank line: the headers end here"),
        "{annotated}"
    );
}

/// A tutorial page saved whole and opened with *Open transcript…*: the page's prose is shown
/// as text around the session (not as commands), and the session in it as a session.
#[test]
fn a_tutorial_page_opened_whole_shows_its_prose_as_prose() {
    let dir = TempDir::new("open-page");
    let mut h = open(Lang::En, &dir);
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pages/tutorial-163-pop3.txt"
    ))
    .unwrap();
    open_file(&mut h, &dir, "page.txt", page.as_bytes());
    wait(&mut h, "the opened page", |a| {
        a.transcript()
            .export_plain(false)
            .contains("235 Authentication successful")
    });
    let annotated = h.state().transcript().export_annotated(Lang::En, false);
    assert!(
        annotated.contains(
            "本文仅限技术研究与讨论，严禁用于非法用途，否则产生的一切后果自行承担。   (text around the session, never sent to the server)"
        ),
        "{annotated}"
    );
    assert!(
        !annotated.contains("not a command the server knows"),
        "{annotated}"
    );
    // On screen (the view follows the end of the page: its table of codes), the aside rows
    // say what they are.
    h.run_steps(2);
    shows(&h, "554许多跳");
    shows(&h, "text around the session, never sent to the server");

    // Pasted whole with Ctrl+V into the paste box, as from a browser, the same.
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::O);
    h.run_steps(2);
    h.get_by_label("Or paste a session here:").focus();
    h.run_steps(1);
    let other = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/pages/tutorial-qq-commands.txt"
    ))
    .unwrap();
    h.get_by_label("Or paste a session here:").focus();
    h.event(egui::Event::Paste(other));
    h.run_steps(2);
    h.get_by_label("Explain it").click();
    wait(&mut h, "the pasted page", |a| {
        a.transcript()
            .export_annotated(Lang::En, false)
            .contains("下面的例子是用qq的smtp服务器。   (text around the session")
    });
    let annotated = h.state().transcript().export_annotated(Lang::En, false);
    assert!(
        !annotated.contains("not a command the server knows"),
        "{annotated}"
    );
}

/// The keyboard as the Help menu lists it: Ctrl+Enter sends the raw line, Ctrl+F finds in the
/// transcript, F1 opens the code reference (searchable in both languages), and a clicked code
/// badge opens the reference at its row.
#[test]
fn keyboard_shortcuts_find_and_the_code_reference() {
    let dir = TempDir::new("ui-keys");
    let mut h = open(Lang::En, &dir);
    h.get_by_label("Help").click();
    h.run_steps(2);
    for listed in [
        "Ctrl+Enter",
        "Ctrl+S",
        "Ctrl+O",
        "Ctrl+F",
        "Find in the transcript",
    ] {
        shows(&h, listed);
    }
    h.key_press(egui::Key::Escape);
    h.run_steps(2);

    connect(&mut h);
    let raw = h.get_by_label("Raw line:");
    raw.focus();
    raw.type_text("EHLO keys");
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::Enter);
    h.run_steps(2);
    wait(&mut h, "the EHLO reply", |a| !a.is_busy());
    assert!(
        texts(&h).iter().any(|t| t == "EHLO keys"),
        "{:?}",
        texts(&h)
    );
    assert!(last_server(&h).starts_with("250"), "{}", last_server(&h));

    // Ctrl+F: the find bar, its count, and Next going round.
    h.key_press(egui::Key::Escape);
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::F);
    h.run_steps(2);
    h.get_by_label("Find:").type_text("starttls");
    h.run_steps(3);
    let hits = h.state().view_find_hits();
    assert!(!hits.is_empty());
    shows(&h, &format!("1 of {}", hits.len()));
    h.key_press(egui::Key::Escape);
    h.run_steps(1);
    h.get_by_label("Next").click();
    h.run_steps(2);
    if hits.len() > 1 {
        shows(&h, &format!("2 of {}", hits.len()));
    }

    // F1: the reference, searched in Chinese while the window is in English.
    h.key_press(egui::Key::F1);
    h.run_steps(3);
    shows(&h, "Code reference");
    h.get_by_label("Search:").type_text("授权码");
    h.run_steps(3);
    shows(&h, "535 Login Fail. Please enter your authorization code");
    h.key_press(egui::Key::F1);
    h.run_steps(2);
    assert!(!h.state().reference.open);

    // A clicked badge opens the reference at its code.
    h.key_press(egui::Key::Escape);
    h.run_steps(1);
    h.get_by_label("250").click();
    h.run_steps(3);
    assert!(h.state().reference.open);
    assert_eq!(h.state().reference.query, "250");
    shows(&h, "Requested mail action okay, completed.");
}

/// Next is a button that does what it says, step after step; the step card of a 334 sits
/// below the transcript's rows and covers none of them.
#[test]
fn next_is_a_button_and_the_step_card_covers_no_row() {
    let dir = TempDir::new("ui-next");
    let mut h = open(Lang::En, &dir);
    click(&mut h, "Connect to the server.");
    wait(&mut h, "the greeting", |a| {
        !a.is_busy() && a.transcript().last_server().is_some()
    });
    assert!(last_server(&h).starts_with("220 "), "{}", last_server(&h));
    assert_eq!(h.state().next_step(), "Send EHLO.");
    click(&mut h, "Send EHLO.");
    assert!(last_server(&h).starts_with("250"), "{}", last_server(&h));
    click(&mut h, "Send AUTH LOGIN.");
    assert_eq!(last_server(&h), "334 VXNlcm5hbWU6");
    let heading = "The server asks for your username";
    let card = h
        .get_by_label("Send username")
        .rect()
        .union(h.get_by_label_contains(heading).rect());
    // Every transcript row on screen starts with its direction, "S:" or "C:".
    let rows: Vec<egui::Rect> = h
        .query_all_by(|n| {
            n.bounding_box().is_some()
                && n.role() == egui::accesskit::Role::Label
                && matches!(n.value().as_deref(), Some("S:" | "C:"))
        })
        .map(|n| n.rect())
        .collect();
    // (Each reply's explanation is shown whole, so a few replies fill the view.)
    assert!(
        rows.len() >= 2,
        "the transcript's rows are on screen: {}",
        rows.len()
    );
    for r in rows {
        assert!(
            !card.intersects(r),
            "the card {card:?} covers a row at {r:?}"
        );
    }
    // Next names the step the card's button takes, and takes it too.
    let next = h.state().next_step();
    click(&mut h, &next);
    assert_eq!(last_server(&h), "334 UGFzc3dvcmQ6");
}

/// Zoomed for a projector, the header's tagline gives way to its buttons (cut with "…")
/// instead of being drawn under them. kittest draws at one pixel a point, so 1280x800 at 130%
/// is a window of 985x615 points.
#[test]
fn at_130_percent_the_header_covers_nothing() {
    let dir = TempDir::new("ui-zoom-header");
    let mut h = common::window::open_sized(
        egui::vec2(1280.0 / 1.3, 800.0 / 1.3),
        Settings::default(),
        &dir,
    );
    h.run_steps(4);
    let tagline = h
        .get_by_label_contains("SMTP, POP3 and IMAP, one command at a")
        .rect();
    for button in ["Client's side", "Server's side", "Help", "English"] {
        let b = h.get_by_label(button).rect();
        assert!(
            !tagline.intersects(b),
            "the tagline {tagline:?} runs under {button} {b:?}"
        );
    }
}

/// At 150% the connection bar wraps between a label and the next, never inside a pair, and
/// Connect follows the port on the same row instead of a row of its own (1280x800 at 150% is
/// 853x533 points).
#[test]
fn at_150_percent_the_connection_bar_wraps_by_pairs() {
    let dir = TempDir::new("ui-zoom-bar");
    let mut h = common::window::open_sized(
        egui::vec2(1280.0 / 1.5, 800.0 / 1.5),
        Settings::default(),
        &dir,
    );
    h.run_steps(4);
    let row = |r: egui::Rect| r.center().y;
    let port = h
        .get_by_role_and_label(egui::accesskit::Role::Label, "Port")
        .rect();
    let connect = h.get_by_label("Connect").rect();
    assert!(
        (row(port) - row(connect)).abs() < 4.0,
        "Connect {connect:?} is not on the row of Port {port:?}"
    );
    use egui::accesskit::Role;
    let fields: Vec<egui::Rect> = h
        .query_all_by_role(Role::TextInput)
        .chain(h.query_all_by_role(Role::ComboBox))
        .map(|n| n.rect())
        .collect();
    for label in ["Server", "Protocol", "Security", "Host", "Port"] {
        let l = h.get_by_role_and_label(Role::Label, label).rect();
        let next_to = fields.iter().find(|f| {
            (row(l) - row(**f)).abs() < 4.0 && (0.0..30.0).contains(&(f.left() - l.right()))
        });
        assert!(
            next_to.is_some(),
            "{label} {l:?} has no field beside it on its row: {fields:?}"
        );
    }
}

/// The practice accounts' strip is never cut: the ports follow the accounts only where the
/// row has room for them (a wide window), and are on hover otherwise.
#[test]
fn the_accounts_strip_keeps_the_accounts_whole() {
    for (width, ports) in [(1280.0, false), (2400.0, true)] {
        let dir = TempDir::new("ui-strip");
        let mut h = common::window::open_sized(egui::vec2(width, 800.0), Settings::default(), &dir);
        h.run_steps(4);
        let strip = h.get_by_label_contains("teacher@mailtutor.test / secret");
        let text = strip.accesskit_node().value().unwrap_or_default();
        assert_eq!(text.contains("SMTPS"), ports, "{width}: {text}");
        assert!(strip.rect().right() <= width, "{:?}", strip.rect());
    }
}

/// A transcript shown in place of another (an opened log longer than the session) gets its own
/// notes, not the ones measured for the entries it replaced.
#[test]
fn an_opened_transcript_shows_its_own_notes() {
    let dir = TempDir::new("ui-generation");
    let mut h = open(Lang::En, &dir);
    h.state_mut().show_transcript(mailtutor::explain::fold(
        "S: 220 ready\nC: HELO me\nS: 250 ok\n",
    ));
    h.run_steps(3);
    let next = mailtutor::explain::fold("S: 554 no service\nC: QUIT\nS: 221 bye\nC: QUIT\n");
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let notes: Vec<String> = next
        .entries()
        .iter()
        .flat_map(|e| e.notes.iter().map(|n| squash(&n.render(Lang::En, false))))
        .collect();
    h.state_mut().show_transcript(next);
    h.run_steps(3);
    let shown: Vec<String> = h
        .query_all_by_label_contains("»")
        .filter_map(|n| n.accesskit_node().value())
        .collect();
    assert!(!shown.is_empty());
    for s in &shown {
        assert!(
            notes.iter().any(|n| n.contains(&squash(s))),
            "not a note of the transcript shown: {s}\n{notes:#?}"
        );
    }
}

/// A connection event's words are shown whole, wrapped onto rows of their own, not cut.
#[test]
fn a_connection_event_is_shown_whole() {
    let dir = TempDir::new("ui-event");
    let mut h = open(Lang::En, &dir);
    connect(&mut h);
    click(&mut h, "QUIT");
    wait(&mut h, "the close", |a| !a.is_connected());
    h.run_steps(3);
    let text = h
        .state()
        .transcript()
        .entries()
        .iter()
        .rev()
        .find(|e| e.dir == Direction::Event)
        .map(|e| e.event_text(Lang::En, false))
        .unwrap();
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let shown: Vec<String> = h
        .query_all_by_label_contains("")
        .filter_map(|n| n.accesskit_node().value())
        .filter(|v| v.trim().len() > 8 && squash(&text).contains(&squash(v)))
        .collect();
    // Wider than the transcript's column at 1280x800: it takes two rows.
    assert!(shown.len() >= 2, "the event is one row, cut: {shown:#?}");
    assert_eq!(squash(&shown.join(" ")), squash(&text), "{shown:#?}");
}

/// A session log opened while a lesson runs is read, not done: its rows tick no step; the
/// lesson goes on with the rows of a real connection after it.
#[test]
fn an_opened_log_ticks_no_lesson_step() {
    let dir = TempDir::new("ui-opened-lesson");
    let mut h = open(Lang::En, &dir);
    h.state_mut().start_lesson(0);
    h.run_steps(2);
    assert_eq!(h.state().lesson_ticked(), Some(0));
    let log = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/transcripts/qq-failed.txt"
    ))
    .unwrap();
    h.state_mut()
        .show_transcript(mailtutor::explain::fold(&log));
    h.run_steps(3);
    assert_eq!(h.state().lesson_ticked(), Some(0), "the log ticked a step");
    connect(&mut h);
    h.run_steps(3);
    assert_eq!(
        h.state().lesson_ticked(),
        Some(1),
        "the greeting of a real connection"
    );
}

/// The symbols shell prompts and terminals print around a session (⇒, ✓, box drawing, blocks)
/// are drawn with a glyph, not as empty boxes (egui_kittest fails on a missing glyph).
#[test]
fn terminal_symbols_have_glyphs() {
    let dir = TempDir::new("ui-glyphs");
    let mut h = open(Lang::En, &dir);
    h.state_mut().show_transcript(mailtutor::explain::fold(
        "faner@MBP-FAN:~|⇒  telnet smtp.163.com 25\n\
         ✓ ─│┌┐└┘ █▒░ ● ▶ ★ ➜ ❯\n\
         220 163.com Anti-spam GT for Coremail System\n",
    ));
    h.run_steps(3);
    assert!(
        h.query_all_by_label_contains("⇒").next().is_some(),
        "the prompt is on screen"
    );
}

/// The window's Save writes a pcapng capture tshark dissects, on a background thread, with
/// the password masked.
#[test]
fn save_transcript_as_a_capture_that_tshark_dissects() {
    let dir = TempDir::new("ui-save-pcapng");
    let mut h = open(Lang::En, &dir);
    send_by_clicks(&mut h, false);
    h.get_by_label("Save transcript…").click();
    h.run_steps(2);
    h.get_by_label("Capture (pcapng, for Wireshark)").click();
    h.run_steps(1);
    let path = dir.0.join("lesson.pcapng");
    let field = h.get_by_label("File:");
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("File:")
        .type_text(&path.display().to_string());
    h.run_steps(1);
    h.get_by_label("Save").click();
    let start = Instant::now();
    while !path.exists() && start.elapsed() < Duration::from_secs(10) {
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(3);
    shows(&h, "Saved to");
    let rows = crate::capture_tshark::fields(
        &path,
        &["smtp.decryption:TRUE"],
        "smtp",
        &["smtp.req.command", "smtp.auth.password"],
    );
    let commands: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    for verb in ["EHLO", "AUTH", "MAIL", "RCPT", "DATA"] {
        assert!(commands.contains(&verb), "{verb}: {rows:?}");
    }
    assert!(
        rows.iter()
            .any(|r| r.get(1).is_some_and(|p| p == "********")),
        "{rows:?}"
    );
}
