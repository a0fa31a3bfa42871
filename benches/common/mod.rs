//! What the window benchmarks share: the window itself, headless.

use std::path::Path;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use mailtutor::ui::theme::Settings;
use mailtutor::ui::{AppOptions, TutorApp};

/// The window at 1280x800 through egui_kittest (no GPU), once its practice server runs.
pub fn open_window(dir: &Path) -> Harness<'static, TutorApp> {
    let options = AppOptions {
        data_dir: Some(dir.to_path_buf()),
        settings: Some(Settings::default()),
        demo: None,
        ..Default::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| TutorApp::new(cc, options));
    let start = Instant::now();
    while h.state().server().is_none() && start.elapsed() < Duration::from_secs(10) {
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    h
}
