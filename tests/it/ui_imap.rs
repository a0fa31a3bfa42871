//! IMAP in the window, as a student clicks it against the practice server: the state above
//! the buttons, the tag on each line, the untagged data under its command, the fetched
//! message decoded, and the same in Chinese.
#![cfg(feature = "gui")]

use crate::common;

use common::TempDir;
use common::window::{H, choose, click, connect, last_server, open, send_by_clicks, shows, texts};
use egui_kittest::kittest::Queryable;
use mailtutor::proto::Lang;
use mailtutor::proto::imap::ImapState;
use mailtutor::session::Protocol;
use mailtutor::transcript::Direction;
use mailtutor::ui::Action;

fn imap_session(h: &mut H) {
    choose(h, "Protocol", "IMAP");
    assert_eq!(h.state().protocol(), Protocol::Imap);
    h.state_mut()
        .perform(Action::SetUsername("teacher@mailtutor.test".into()));
    connect(h);
    assert!(last_server(h).starts_with("* OK"), "{}", last_server(h));
}

#[test]
fn a_mailbox_read_by_clicks_in_imap() {
    let dir = TempDir::new("ui-imap");
    let mut h = open(Lang::En, &dir);
    h.state_mut()
        .perform(Action::SetSubject("Read me over IMAP".into()));
    send_by_clicks(&mut h, false);
    click(&mut h, "QUIT");
    common::window::wait(&mut h, "the close", |a| !a.is_connected());

    imap_session(&mut h);
    // Before a login the state says so, and LOGIN is the step the window suggests.
    shows(&h, "State: not logged in yet");
    shows(&h, "Send LOGIN: ");
    click(&mut h, "LOGIN");
    assert!(last_server(&h).contains(" OK "), "{}", last_server(&h));
    shows(&h, "State: logged in, with no mailbox selected");
    click(&mut h, "SELECT");
    assert!(
        last_server(&h).contains("OK [READ-WRITE]"),
        "{}",
        last_server(&h)
    );
    shows(&h, "State: in mailbox INBOX (1 messages)");
    click(&mut h, "FETCH");
    // The untagged FETCH came before the completion; the header it carried is decoded.
    shows(&h, "The retrieved message, decoded");
    shows(&h, "Read me over IMAP");
    // Every command the window sent has its own tag, and LOGIN's password is masked.
    let sent: Vec<String> = h
        .state()
        .transcript()
        .entries()
        .iter()
        .filter(|e| e.dir == Direction::Client)
        .map(|e| e.text(false))
        .collect();
    assert!(
        sent.iter()
            .any(|t| t.ends_with("LOGIN teacher@mailtutor.test ********")),
        "{sent:?}"
    );
    let tags: Vec<&str> = sent
        .iter()
        .filter_map(|t| t.split(' ').next())
        .filter(|t| t.starts_with('a'))
        .collect();
    let mut unique = tags.clone();
    unique.dedup();
    assert_eq!(tags, unique, "one tag per command");
    assert_eq!(tags.len(), 3, "{sent:?}");
    assert!(!texts(&h).iter().any(|t| t.contains("secret")));

    h.state_mut().perform(Action::SetLang(Lang::Zh));
    h.run_steps(3);
    shows(&h, "现在处于已选中邮箱 INBOX 的状态（1 封邮件）");

    // LOGOUT is the last row: scrolled to, as a person scrolls the command list.
    h.get_by_label("LOGOUT").scroll_to_me();
    h.run_steps(3);
    click(&mut h, "LOGOUT");
    common::window::wait(&mut h, "the close", |a| !a.is_connected());
    assert_eq!(h.state().transcript().imap().state, ImapState::Logout);
}

#[test]
fn a_command_out_of_order_is_marked_and_explained() {
    let dir = TempDir::new("ui-imap-order");
    let mut h = open(Lang::En, &dir);
    imap_session(&mut h);
    // FETCH before a login: the row carries a (!) that predicts the BAD.
    assert!(h.query_all_by_label("(!)").count() > 5);
    click(&mut h, "FETCH");
    assert!(last_server(&h).contains(" BAD "), "{}", last_server(&h));
    let note = h
        .state()
        .transcript()
        .last_server()
        .map(|(_, e)| {
            e.notes
                .iter()
                .map(|n| n.render(Lang::En, false))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    assert!(
        note.iter()
            .any(|n| n.contains("FETCH") && n.contains("not logged in")),
        "{note:?}"
    );
    assert!(h.state().is_connected(), "the session goes on");
}
