//! Helpers for tests that drive the window with egui_kittest against its own practice server.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use mailtutor::proto::Lang;
use mailtutor::transcript::{Direction, EventRow};
use mailtutor::ui::theme::Settings;
use mailtutor::ui::{AppOptions, TutorApp};

use super::TempDir;

pub type H = Harness<'static, TutorApp>;

/// A 1280x800 window with these settings, once its practice server runs.
pub fn open_with(settings: Settings, dir: &TempDir) -> H {
    open_sized(egui::vec2(1280.0, 800.0), settings, dir)
}

/// A window of `size` points with these settings, once its practice server runs (kittest
/// draws a point a pixel, so 1280x800 at 150% is 853x533 points).
pub fn open_sized(size: egui::Vec2, settings: Settings, dir: &TempDir) -> H {
    let options = AppOptions {
        data_dir: Some(dir.0.clone()),
        settings: Some(settings),
        demo: None,
        ..Default::default()
    };
    let mut h = Harness::builder()
        .with_size(size)
        .build_eframe(move |cc| TutorApp::new(cc, options));
    wait(&mut h, "the practice server", |a| a.server().is_some());
    h
}

pub fn open(lang: Lang, dir: &TempDir) -> H {
    open_with(
        Settings {
            lang,
            ..Settings::default()
        },
        dir,
    )
}

/// Steps frames until `cond` holds (the network answers on its own threads).
pub fn wait(h: &mut H, what: &str, cond: impl Fn(&TutorApp) -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        h.step();
        if cond(h.state()) {
            h.run_steps(3);
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!(
        "timed out waiting for {what}; transcript:\n{}",
        h.state().transcript().export_plain(false)
    );
}

/// Steps frames until some text on screen contains `text` (work done on a background thread
/// shows up a few frames later, later still on a loaded machine).
/// Whether `text` is on screen: in one label, or across the rows a long note or event was
/// wrapped onto (the labels read in order).
fn on_screen(h: &H, text: &str) -> bool {
    if h.query_all_by_label_contains(text).next().is_some() {
        return true;
    }
    let squash = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let all: Vec<String> = h
        .query_all_by_label_contains("")
        .filter_map(|n| n.accesskit_node().value())
        .collect();
    squash(&all.join(" ")).contains(&squash(text))
}

pub fn wait_shows(h: &mut H, text: &str) {
    let start = Instant::now();
    while !on_screen(h, text) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "nothing on screen came to contain {text:?}"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Asserts some text on screen contains `text`.
pub fn shows(h: &H, text: &str) {
    assert!(on_screen(h, text), "nothing on screen contains {text:?}");
}

/// Ten frames must not take long, whatever the network is doing.
pub fn frames_keep_coming(h: &mut H) {
    let start = Instant::now();
    for _ in 0..10 {
        h.step();
    }
    let took = start.elapsed();
    assert!(
        took < Duration::from_millis(2500),
        "10 frames took {took:?}"
    );
}

/// An in-memory eframe storage, standing for the window's settings file.
#[derive(Default)]
pub struct Memory(pub std::collections::HashMap<String, String>);

impl eframe::Storage for Memory {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

/// Clicks a button and waits until its request is answered.
pub fn click(h: &mut H, label: &str) {
    h.get_by_label(label).click();
    h.run_steps(2);
    wait(h, label, |a| !a.is_busy());
}

/// Opens the combo box labelled `combo` and picks `option`.
pub fn choose(h: &mut H, combo: &str, option: &str) {
    h.get_by_label(combo).click();
    h.run_steps(2);
    h.get_by_label(option).click();
    h.run_steps(2);
}

pub fn texts(h: &H) -> Vec<String> {
    h.state()
        .transcript()
        .entries()
        .iter()
        .map(|e| e.text(false))
        .collect()
}

/// The newest reply's one explanation.
pub fn last_explanation(h: &H) -> Option<mailtutor::proto::explanation::Explanation> {
    h.state()
        .transcript()
        .last_server()
        .and_then(|(_, e)| e.explanation().cloned())
}

pub fn last_server(h: &H) -> String {
    h.state()
        .transcript()
        .entries()
        .iter()
        .rev()
        .find(|e| e.dir == Direction::Server)
        .map(|e| e.text(false))
        .unwrap_or_default()
}

pub fn connect(h: &mut H) {
    let label = mailtutor::words::tr(h.state().lang(), "connect");
    h.get_by_label(&label).click();
    h.run_steps(2);
    // The greeting of this connection: a reply after its "Connected" row (an earlier
    // session's replies may still be in the transcript).
    wait(h, "the greeting", |a| {
        let entries = a.transcript().entries();
        let start = entries
            .iter()
            .rposition(|e| matches!(e.event.as_deref(), Some(EventRow::Connected { .. })));
        start.is_some_and(|i| entries[i..].iter().any(|e| e.dir == Direction::Server))
            && !a.is_busy()
    });
}

/// Hovers the newest badge with this code and checks its tooltip says `meaning`.
pub fn badge_explains(h: &mut H, code: &str, meaning: &str) {
    h.hover_at(egui::pos2(640.0, 5.0));
    h.run_steps(5);
    h.get_by_label(code).hover();
    // Tooltips open after the pointer rests for a moment (egui's tooltip delay).
    h.run_steps(60);
    shows(h, meaning);
}

/// Connect, EHLO, AUTH LOGIN by clicks, MAIL FROM, RCPT TO, DATA, Send message; with
/// `tooltips`, the 235 badge is hovered in English and in Chinese on the way.
pub fn send_by_clicks(h: &mut H, tooltips: bool) {
    connect(h);
    assert!(last_server(h).starts_with("220 "), "{}", last_server(h));
    assert_eq!(h.state().next_step(), "Send EHLO.");
    click(h, "EHLO");
    assert!(last_server(h).starts_with("250"), "{}", last_server(h));
    assert_eq!(h.state().next_step(), "Send AUTH LOGIN.");
    click(h, "AUTH LOGIN");
    assert_eq!(last_server(h), "334 VXNlcm5hbWU6");
    shows(h, "base64 → \"Username:\"");
    assert!(h.state().next_step().contains("username"));
    click(h, "Send username");
    assert_eq!(last_server(h), "334 UGFzc3dvcmQ6");
    shows(h, "base64 → \"Password:\"");
    click(h, "Send password");
    assert!(last_server(h).starts_with("235 "), "{}", last_server(h));
    if tooltips {
        badge_explains(h, "235", "Authentication successful.");
        h.get_by_label("简体中文").click();
        h.run_steps(2);
        badge_explains(h, "235", "认证成功。");
        shows(h, "下一步：");
        h.get_by_label("English").click();
        h.run_steps(2);
    }
    assert_eq!(h.state().next_step(), "Send MAIL FROM.");
    click(h, "MAIL FROM");
    assert!(last_server(h).starts_with("250"));
    assert_eq!(h.state().next_step(), "Send RCPT TO.");
    click(h, "RCPT TO");
    assert_eq!(h.state().next_step(), "Send DATA.");
    click(h, "DATA");
    assert!(last_server(h).starts_with("354"));
    assert!(h.state().next_step().starts_with("Send the message"));
    click(h, "Send message");
    assert!(last_server(h).contains("queued"), "{}", last_server(h));
}
