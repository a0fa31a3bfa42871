//! Helpers for tests that drive the window with egui_kittest against its own practice server.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mailtutor::proto::Lang;
use mailtutor::ui::theme::Settings;
use mailtutor::ui::{AppOptions, TutorApp};

use super::TempDir;

pub type H = Harness<'static, TutorApp>;

/// A 1280x800 window with these settings, once its practice server runs.
pub fn open_with(settings: Settings, dir: &TempDir) -> H {
    let options = AppOptions {
        data_dir: Some(dir.0.clone()),
        settings: Some(settings),
        demo: None,
        ..Default::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
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

/// Asserts some text on screen contains `text`.
pub fn shows(h: &H, text: &str) {
    assert!(
        h.query_all_by_label_contains(text).next().is_some(),
        "nothing on screen contains {text:?}"
    );
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
