//! The server's side of the window, driven as a teacher drives it: the mailbox shows what the
//! lesson sent, decoded; the server log shows both sides of every session; faults and the
//! policy change by click on the running server.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;

use common::TempDir;
use common::window::{H, choose, click, connect, last_server, open, send_by_clicks, shows, wait};
use egui_kittest::kittest::Queryable;
use mailtutor::proto::Lang;
use mailtutor::ui::{Action, ServerTab};

fn show_server(h: &mut H, tab: ServerTab) {
    h.state_mut().perform(Action::ShowServerSide(Some(tab)));
    h.run_steps(3);
}

fn show_client(h: &mut H) {
    h.get_by_label("Client's side").click();
    h.run_steps(3);
}

/// Sends a message the way an old Chinese mail program did: GB2312 words in the subject and
/// a GBK body in base64, written to the practice server's SMTP port by hand.
fn send_gbk_message(h: &H) {
    by_hand(
        h,
        &[
            (&b""[..], "220"),
            (b"EHLO foxmail\r\n", "250"),
            (b"MAIL FROM:<student@mailtutor.test>\r\n", "250"),
            (b"RCPT TO:<teacher@mailtutor.test>\r\n", "250"),
            (b"DATA\r\n", "354"),
            // "你好,SMTP" in GBK is xOO6wyxTTVRQ in base64; "测试" in GB2312 is suLK1A==.
            (
                b"From: student@mailtutor.test\r\nSubject: =?gb2312?B?suLK1A==?=\r\n\
MIME-Version: 1.0\r\nContent-Type: text/plain; charset=gbk\r\n\
Content-Transfer-Encoding: base64\r\n\r\nxOO6wyxTTVRQ\r\n.\r\n",
                "250",
            ),
            (b"QUIT\r\n", "221"),
        ],
    );
}

/// Writes each line to the practice server's SMTP port and checks each reply's code.
fn by_hand(h: &H, session: &[(&[u8], &str)]) {
    let addr = h.state().server().and_then(|s| s.smtp).expect("smtp port");
    let mut s = TcpStream::connect(addr).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut expect = |send: &[u8], code: &str| {
        if !send.is_empty() {
            s.write_all(send).unwrap();
        }
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            assert!(line.starts_with(code), "{line}");
            if line.as_bytes().get(3) == Some(&b' ') {
                break;
            }
        }
    };
    for (send, code) in session {
        expect(send, code);
    }
}

#[test]
fn a_sent_message_appears_in_the_mailbox_decoded() {
    let dir = TempDir::new("ui-mailbox");
    let mut h = open(Lang::En, &dir);
    h.state_mut()
        .perform(Action::SetSubject("课堂练习 lesson mail".into()));
    send_by_clicks(&mut h, false);
    show_server(&mut h, ServerTab::Mailbox);
    wait(&mut h, "the mailbox listing", |a| {
        a.server_side
            .mailbox
            .boxes
            .iter()
            .any(|b| b.address == "teacher@mailtutor.test" && b.messages.len() == 1)
    });
    // A message delivered while the mailbox is on screen appears without a click.
    send_gbk_message(&h);
    wait(&mut h, "the new message", |a| {
        a.server_side
            .mailbox
            .boxes
            .iter()
            .any(|b| b.address == "teacher@mailtutor.test" && b.messages.len() == 2)
    });
    choose(&mut h, "Account:", "teacher@mailtutor.test (2)");
    // The subject decoded from its RFC 2047 words (UTF-8 from the composer, GB2312 by hand).
    shows(&h, "课堂练习 lesson mail");
    h.get_by_label("测试").click();
    h.run_steps(2);
    wait(&mut h, "the message", |a| {
        a.server_side.mailbox.opened.is_some()
    });
    // The source as stored, next to the decoded header and the GBK body.
    shows(&h, "xOO6wyxTTVRQ");
    shows(&h, "=?gb2312?B?suLK1A==?=");
    shows(&h, "你好,SMTP");
    shows(&h, "text/plain; charset=gbk · base64");
    // POP3 numbers and UIDLs are in the list.
    let opened = h.state().server_side.mailbox.opened.as_ref().unwrap();
    shows(&h, &opened.uid.clone());

    // Deleting the message removes it from the maildrop on disk.
    let before = common::mailbox_files(&dir.0.join("teacher@mailtutor.test").join("new")).len();
    assert_eq!(before, 2);
    h.get_by_label("Empty this mailbox…").click();
    h.run_steps(2);
    h.get_by_label("Delete all").click();
    h.run_steps(2);
    wait(&mut h, "the emptied mailbox", |a| {
        !a.server_side.mailbox.is_busy()
            && a.server_side
                .mailbox
                .boxes
                .iter()
                .any(|b| b.address == "teacher@mailtutor.test" && b.messages.is_empty())
    });
    assert!(common::mailbox_files(&dir.0.join("teacher@mailtutor.test").join("new")).is_empty());
}

#[test]
fn the_server_log_shows_both_sides_of_every_session_with_the_password_masked() {
    let dir = TempDir::new("ui-log");
    let mut h = open(Lang::En, &dir);
    send_by_clicks(&mut h, false);
    click(&mut h, "QUIT");
    wait(&mut h, "the close", |a| !a.is_connected());
    send_gbk_message(&h);

    show_server(&mut h, ServerTab::Log);
    wait(&mut h, "two sessions in the log", |a| {
        a.server_side
            .log
            .sessions
            .values()
            .filter(|s| !s.open)
            .count()
            >= 2
    });
    // Both sides, line by line, in order: what the client sent and what the server answered.
    let log: Vec<String> = h
        .state()
        .server_side
        .log
        .rows()
        .map(|r| r.text(Lang::En))
        .collect();
    let at = |text: &str| {
        log.iter()
            .position(|t| t.starts_with(text))
            .unwrap_or_else(|| panic!("{text:?} not in {log:?}"))
    };
    assert!(at("AUTH LOGIN") < at("334 VXNlcm5hbWU6"));
    assert!(at("334 VXNlcm5hbWU6") < at("235 2.7.0"));
    assert!(at("logged in as student@mailtutor.test") < at("delivered"));
    assert!(at("delivered") < at("EHLO foxmail"));
    // The newest lines are on screen.
    shows(&h, "EHLO foxmail");
    shows(&h, "221 2.0.0");
    // The log's own notes read in the reader's language; the wire lines stay as sent.
    h.state_mut().perform(Action::SetLang(Lang::Zh));
    h.run_steps(3);
    shows(&h, "连接已断开");
    shows(&h, "221 2.0.0");
    h.state_mut().perform(Action::SetLang(Lang::En));
    h.run_steps(3);
    shows(&h, "disconnected");
    // The password crossed the wire as base64 of "secret"; the log shows it masked.
    assert!(log.iter().all(|t| !t.contains("c2VjcmV0")), "{log:?}");
    assert!(log.iter().any(|t| t == "********"), "{log:?}");
    assert!(
        h.query_all_by_label_contains("c2VjcmV0").next().is_none(),
        "the password is on screen"
    );

    // Filtered by account: only the session that logged in as student stays.
    h.get_by_label("Account:").click();
    h.run_steps(1);
    h.get_by_label("Account:").type_text("student@");
    h.run_steps(3);
    shows(&h, "235 2.7.0 Authentication successful");
    assert!(
        h.query_all_by_label_contains("EHLO foxmail")
            .next()
            .is_none()
    );
}

#[test]
fn faults_and_policy_change_by_click_on_the_running_server() {
    let dir = TempDir::new("ui-faults");
    let mut h = open(Lang::En, &dir);
    show_server(&mut h, ServerTab::Faults);
    shows(&h, "None: the server answers normally.");
    h.get_by_label("Every time (otherwise once)").click();
    h.run_steps(2);
    h.get_by_label("RCPT 550").click();
    h.run_steps(2);
    shows(&h, "rcpt=550:sticky");
    shows(&h, "every time");

    show_client(&mut h);
    connect(&mut h);
    click(&mut h, "EHLO");
    click(&mut h, "AUTH LOGIN");
    click(&mut h, "Send username");
    click(&mut h, "Send password");
    click(&mut h, "MAIL FROM");
    click(&mut h, "RCPT TO");
    assert!(
        last_server(&h).starts_with("550 5.1.1"),
        "{}",
        last_server(&h)
    );
    click(&mut h, "RCPT TO");
    assert!(last_server(&h).starts_with("550"), "{}", last_server(&h));

    // Cleared by click: the next RCPT is accepted, on the same connection.
    show_server(&mut h, ServerTab::Faults);
    h.get_by_label("Clear").click();
    h.run_steps(2);
    shows(&h, "None: the server answers normally.");
    show_client(&mut h);
    click(&mut h, "RCPT TO");
    assert!(last_server(&h).starts_with("250"), "{}", last_server(&h));
    click(&mut h, "QUIT");
    wait(&mut h, "the close", |a| !a.is_connected());

    // Require AUTH, live: MAIL FROM without logging in now gets 530.
    show_server(&mut h, ServerTab::Faults);
    h.get_by_label("Require AUTH before MAIL FROM (530 otherwise)")
        .click();
    h.run_steps(2);
    assert!(h.state().server().unwrap().policy().get().require_auth);
    show_client(&mut h);
    connect(&mut h);
    click(&mut h, "EHLO");
    click(&mut h, "MAIL FROM");
    assert!(last_server(&h).starts_with("530"), "{}", last_server(&h));
}

#[test]
fn the_qq_persona_answers_a_wrong_password_in_qq_mails_words_and_the_note_names_the_code() {
    let dir = TempDir::new("ui-persona");
    let mut h = open(Lang::En, &dir);
    show_server(&mut h, ServerTab::Faults);
    choose(&mut h, "Answer as:", "QQ Mail");
    let policy = h.state().server().unwrap().policy().get();
    assert_eq!(policy.persona, Some(mailtutor::server::PersonaId::Qq));
    assert!(policy.require_auth, "QQ Mail's policy comes with it");

    show_client(&mut h);
    h.state_mut()
        .perform(Action::SetPassword("my-qq-password".into()));
    connect(&mut h);
    assert_eq!(last_server(&h), "220 smtp.qq.com Esmtp QQ Mail Server");
    click(&mut h, "EHLO");
    click(&mut h, "AUTH LOGIN");
    click(&mut h, "Send username");
    click(&mut h, "Send password");
    assert!(
        last_server(&h).starts_with("535 Login Fail. Please enter your authorization code"),
        "{}",
        last_server(&h)
    );
    shows(
        &h,
        "it wants the authorization code (授权码), not your QQ password",
    );
}

/// Logs in over SMTP with AUTH PLAIN, by hand; true on 235.
fn can_log_in(addr: std::net::SocketAddr, user: &str, password: &str) -> bool {
    let mut s = TcpStream::connect(addr).unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut last = String::new();
    let mut reply = |r: &mut BufReader<TcpStream>| loop {
        last.clear();
        r.read_line(&mut last).unwrap();
        if last.as_bytes().get(3) != Some(&b'-') {
            return last.clone();
        }
    };
    reply(&mut r);
    s.write_all(b"EHLO lab\r\n").unwrap();
    reply(&mut r);
    let token = mailtutor::proto::auth::plain_response(user, password);
    s.write_all(format!("AUTH PLAIN {token}\r\nQUIT\r\n").as_bytes())
        .unwrap();
    reply(&mut r).starts_with("235")
}

#[test]
fn a_roster_of_three_names_makes_three_accounts_that_log_in_and_outlive_a_restart() {
    let dir = TempDir::new("ui-class");
    let mut h = open(Lang::En, &dir);
    show_server(&mut h, ServerTab::Class);
    // The roster on disk is read first; "Create" waits for it.
    wait(&mut h, "the roster read", |a| {
        !a.server_side.class.is_busy()
    });
    h.get_by_label("Student names (one per line, or CSV with the name first):")
        .click();
    h.run_steps(1);
    h.get_by_label("Student names (one per line, or CSV with the name first):")
        .type_text("张三\nLi Lei\n王五");
    h.run_steps(2);
    // A multi-line field keeps the keyboard until Escape; a click elsewhere needs it back.
    h.key_press(egui::Key::Escape);
    h.run_steps(2);

    h.get_by_label("Create 3 accounts").click();
    h.run_steps(2);
    wait(&mut h, "the server with the class's accounts", |a| {
        a.server()
            .is_some_and(|s| s.accounts().get("li.lei@mailtutor.test").is_some())
    });
    let roster = h.state().server_side.class.roster.clone();
    assert_eq!(roster.students.len(), 3);
    shows(&h, "3 accounts created");
    // Passwords are hidden on the projected screen until asked for.
    for s in &roster.students {
        assert!(
            h.query_all_by_label_contains(&s.password).next().is_none(),
            "{} is on screen",
            s.password
        );
    }
    // Nor on the Overview tab, nor in the client's accounts strip: the built-in account
    // stays first there, the class's are counted.
    show_server(&mut h, ServerTab::Overview);
    shows(&h, "+3 class accounts");
    h.state_mut()
        .perform(mailtutor::ui::Action::ShowServerSide(None));
    h.run_steps(3);
    shows(&h, "student@mailtutor.test / secret");
    shows(&h, "+3 class accounts");
    for s in &roster.students {
        assert!(
            h.query_all_by_label_contains(&s.password).next().is_none(),
            "{} is on screen",
            s.password
        );
    }
    show_server(&mut h, ServerTab::Class);
    let smtp = h.state().server().and_then(|s| s.smtp).unwrap();
    for s in &roster.students {
        assert!(can_log_in(smtp, &s.address, &s.password), "{s:?}");
        assert!(!can_log_in(smtp, &s.address, "wrong"), "{s:?}");
    }
    // The class view shows who logged in.
    wait(&mut h, "the logins in the class view", |a| {
        let p = mailtutor::ui::class_view::progress(&a.server_side.log);
        roster
            .students
            .iter()
            .all(|s| p.get(&s.address).is_some_and(|p| p.logged_in))
    });
    shows(&h, "li.lei@mailtutor.test");

    // The list to hand out.
    let csv = dir.0.join("class.csv");
    h.get_by_label("Export the list to:").click();
    h.run_steps(1);
    h.state_mut().server_side.class.export_path = csv.display().to_string();
    h.get_by_label("Export list").click();
    h.run_steps(2);
    wait(&mut h, "the export", |a| !a.server_side.class.is_busy());
    let text = std::fs::read_to_string(&csv).unwrap();
    for s in &roster.students {
        assert!(
            text.contains(&format!("{},{},{}", s.name, s.address, s.password)),
            "{text}"
        );
    }

    // A class list file from a Chinese spreadsheet (GBK, a header row) is imported too.
    let list = dir.0.join("names.csv");
    std::fs::write(
        &list,
        encoding_rs::GBK.encode("姓名,学号\r\n赵六,004\r\n").0,
    )
    .unwrap();
    let field = h.get_by_label("Import names from a file:");
    field.focus();
    field.type_text(&list.display().to_string());
    h.run_steps(1);
    h.key_press(egui::Key::Escape);
    h.run_steps(1);
    h.get_by_label("Import").click();
    h.run_steps(2);
    wait(&mut h, "the import", |a| !a.server_side.class.is_busy());
    assert_eq!(
        h.state().server_side.class.names.trim(),
        "姓名,学号\r\n赵六,004".replace("\r", "")
    );
    h.get_by_label("Create 1 accounts").click();
    h.run_steps(2);
    wait(&mut h, "the fourth account", |a| {
        a.server()
            .is_some_and(|s| s.accounts().get("student04@mailtutor.test").is_some())
    });
    let roster = h.state().server_side.class.roster.clone();
    assert_eq!(roster.students.len(), 4);
    assert_eq!(roster.students[3].name, "赵六");

    // The accounts live in the data directory: a new window on it has them.
    drop(h);
    let h = open(Lang::En, &dir);
    let server = h.state().server().unwrap();
    for s in &roster.students {
        assert!(server.accounts().check(&s.address, &s.password).is_some());
    }
}

#[test]
fn the_class_is_served_on_the_address_the_teacher_chose_after_a_warning() {
    let dir = TempDir::new("ui-lan");
    let mut h = open(Lang::En, &dir);
    show_server(&mut h, ServerTab::Class);
    // 127.0.0.2 stands for the lab's LAN address: traffic stays on this machine.
    h.get_by_label("This computer's LAN address:").click();
    h.run_steps(1);
    h.get_by_label("This computer's LAN address:")
        .type_text("127.0.0.2");
    h.run_steps(2);
    h.get_by_label("Open to the class").click();
    h.run_steps(2);
    shows(&h, "base64 — readable by anyone on the network");
    h.get_by_label("Open it").click();
    h.run_steps(2);
    wait(&mut h, "the server on the class's address", |a| {
        a.server()
            .and_then(|s| s.smtp)
            .is_some_and(|s| s.ip().to_string() == "127.0.0.2" && s.port() == 2525)
    });
    shows(&h, "SMTP 127.0.0.2:2525");
    // The teacher's own window talks to the same server.
    show_client(&mut h);
    connect(&mut h);
    assert!(last_server(&h).starts_with("220 "), "{}", last_server(&h));
    click(&mut h, "QUIT");
    wait(&mut h, "the close", |a| !a.is_connected());

    show_server(&mut h, ServerTab::Class);
    h.get_by_label("Back to this computer only").click();
    h.run_steps(2);
    wait(&mut h, "the server back on loopback", |a| {
        a.server()
            .and_then(|s| s.smtp)
            .is_some_and(|s| s.ip().to_string() == "127.0.0.1")
    });
}

/// A message typed without the empty line after its headers: the mailbox says why its body
/// is empty.
#[test]
fn a_message_without_its_blank_line_is_shown_with_a_warning() {
    let dir = TempDir::new("ui-mailbox-noblank");
    let mut h = open(Lang::En, &dir);
    by_hand(
        &h,
        &[
            (&b""[..], "220"),
            (b"HELO me\r\n", "250"),
            (b"MAIL FROM:<student@mailtutor.test>\r\n", "250"),
            (b"RCPT TO:<teacher@mailtutor.test>\r\n", "250"),
            (b"DATA\r\n", "354"),
            (b"Subject: no blank line\r\nHello teacher.\r\n.\r\n", "250"),
        ],
    );
    show_server(&mut h, ServerTab::Mailbox);
    wait(&mut h, "the mailbox listing", |a| {
        a.server_side
            .mailbox
            .boxes
            .iter()
            .any(|b| b.address == "teacher@mailtutor.test" && b.messages.len() == 1)
    });
    choose(&mut h, "Account:", "teacher@mailtutor.test (1)");
    h.get_by_label("no blank line").click();
    h.run_steps(2);
    wait(&mut h, "the message", |a| {
        a.server_side.mailbox.opened.is_some()
    });
    shows(&h, "No empty line ends this message's headers");
}

/// The server side's overview lists the practice server's IMAP port beside SMTP and POP3, and
/// what it lists answers as an IMAP server does: a telnet to it is greeted and can log in.
#[test]
fn the_overview_lists_the_imap_port_and_it_answers() {
    let dir = TempDir::new("ui-imap-port");
    let mut h = open(Lang::En, &dir);
    show_server(&mut h, ServerTab::Overview);
    shows(&h, "IMAP");
    shows(&h, "IMAPS");
    let port = h
        .state()
        .server()
        .and_then(|s| s.imap)
        .map_or(0, |a| a.port());
    assert_ne!(port, 0);
    shows(&h, &format!("127.0.0.1:{port}"));
    let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(tcp.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("* OK [CAPABILITY IMAP4rev1"), "{line}");
    (&tcp)
        .write_all(b"a1 LOGIN teacher@mailtutor.test secret\r\n")
        .unwrap();
    line.clear();
    reader.read_line(&mut line).unwrap();
    assert!(line.starts_with("a1 OK"), "{line}");
}

/// Writes tagged lines to the practice server's IMAP port, reading up to each tag's OK; the
/// session stays open.
fn imap_by_hand(h: &H, lines: &[&str]) -> TcpStream {
    let addr = h.state().server().and_then(|s| s.imap).expect("imap port");
    let tcp = TcpStream::connect(addr).unwrap();
    tcp.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut reader = BufReader::new(tcp.try_clone().unwrap());
    let mut line = String::new();
    reader.read_line(&mut line).unwrap();
    for (i, l) in lines.iter().enumerate() {
        let tag = format!("t{i}");
        (&tcp)
            .write_all(format!("{tag} {l}\r\n").as_bytes())
            .unwrap();
        loop {
            line.clear();
            reader.read_line(&mut line).unwrap();
            if line.starts_with(&tag) {
                assert!(line.starts_with(&format!("{tag} OK")), "{l}: {line}");
                break;
            }
        }
    }
    tcp
}

/// What an IMAP client does shows in the teacher's Mailbox without a click: the flags a
/// message has, and the folders beside INBOX with what was moved there.
#[test]
fn the_mailbox_shows_imap_flags_and_folders() {
    let dir = TempDir::new("ui-mailbox-imap");
    let mut h = open(Lang::En, &dir);
    send_gbk_message(&h);
    send_gbk_message(&h);
    show_server(&mut h, ServerTab::Mailbox);
    wait(&mut h, "the mailbox listing", |a| {
        a.server_side
            .mailbox
            .boxes
            .iter()
            .any(|b| b.address == "teacher@mailtutor.test" && b.messages.len() == 2)
    });
    // The session stays open: the Mailbox follows it while it runs.
    let _session = imap_by_hand(
        &h,
        &[
            "LOGIN teacher@mailtutor.test secret",
            "SELECT INBOX",
            "FETCH 1 BODY.PEEK[HEADER]",
            "STORE 1 +FLAGS (\\Flagged \\Seen)",
            "FETCH 2 BODY[]",
            "MOVE 2 Trash",
        ],
    );
    wait(&mut h, "the move", |a| {
        a.server_side.mailbox.boxes.iter().any(|b| {
            b.address == "teacher@mailtutor.test"
                && b.messages.len() == 1
                && b.folders
                    .iter()
                    .any(|f| f.name == "Trash" && f.messages.len() == 1)
        })
    });
    choose(&mut h, "Account:", "teacher@mailtutor.test (1)");
    shows(&h, "\\Flagged \\Seen");
    choose(&mut h, "Folder:", "Trash (1)");
    shows(&h, "测试");
    assert_eq!(h.state().server_side.mailbox.folder, "Trash");
    // The class view counts the one message read (its header alone is not a read).
    let p = mailtutor::ui::class_view::progress(&h.state().server_side.log);
    assert_eq!(p["teacher@mailtutor.test"].read, 1, "{p:?}");
}

/// The teacher's "Write a TLS key log" switch makes the running practice server append the
/// secrets of the next STARTTLS session to the file named, and switching it off stops that.
#[test]
fn the_key_log_switch_writes_the_next_tls_sessions_secrets() {
    use mailtutor::session::{ConnectOptions, Protocol, Security, Session, Target, wait as done};
    let dir = TempDir::new("ui-keylog");
    std::fs::create_dir_all(&dir.0).unwrap();
    let mut h = open(Lang::En, &dir);
    show_server(&mut h, ServerTab::Overview);
    let keys = dir.0.join("keys.log");
    let field = h.get_by_label("Key log file:");
    field.focus();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_label("Key log file:")
        .type_text(&keys.display().to_string());
    h.run_steps(2);
    h.get_by_label("Write a TLS key log").click();
    h.run_steps(2);
    let starttls = |h: &H| {
        let server = h.state().server().unwrap();
        let mut o = ConnectOptions::new(Protocol::Smtp);
        o.trust.pinned.push(server.fingerprint.clone());
        let port = server.smtp.unwrap().port();
        let s = done(Session::connect(
            Target::new("localhost", port),
            Security::StartTls,
            o,
        ))
        .unwrap_or_else(|e| panic!("connect failed: {e}"));
        drop(s);
    };
    starttls(&h);
    let log = std::fs::read_to_string(&keys).unwrap_or_default();
    assert!(log.contains("CLIENT_TRAFFIC_SECRET_0 "), "{log:?}");
    let lines = log.lines().count();
    // Off: the next session adds nothing.
    h.get_by_label("Write a TLS key log").click();
    h.run_steps(2);
    starttls(&h);
    let after = std::fs::read_to_string(&keys).unwrap_or_default();
    assert_eq!(after.lines().count(), lines);
}
