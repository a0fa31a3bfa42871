//! The teacher's "Write a TLS key log" switch: the practice server appends its TLS sessions'
//! secrets to a file Wireshark reads, so a capture of STARTTLS shows AUTH inside TLS. The
//! switch only tells the server where to write; the file is written on the server's threads.

use std::path::PathBuf;

use super::file_dialog::{Browse, Pick};
use super::i18n::tr;
use crate::proto::Lang;
use crate::server::RunningServer;

pub struct KeyLogPanel {
    pub on: bool,
    pub path: String,
    browse: Browse,
}

impl Default for KeyLogPanel {
    fn default() -> Self {
        Self {
            on: false,
            path: std::env::temp_dir()
                .join("mailtutor-tls-keys.log")
                .display()
                .to_string(),
            browse: Browse::default(),
        }
    }
}

impl KeyLogPanel {
    /// Where the key log should go now (none: off).
    pub fn wanted(&self) -> Option<PathBuf> {
        let path = self.path.trim();
        (self.on && !path.is_empty()).then(|| PathBuf::from(path))
    }

    /// Tells the server where to write, when that changed (a restarted server starts with
    /// none). A lock and a compare: cheap at every frame.
    pub fn apply(&self, running: &RunningServer) {
        let wanted = self.wanted();
        if running.keylog().path() != wanted {
            running.keylog().set(wanted);
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, running: &RunningServer) {
        let tip = tr(lang, "capture.keylog_tip");
        ui.horizontal_wrapped(|ui| {
            ui.checkbox(&mut self.on, tr(lang, "capture.keylog_switch"))
                .on_hover_text(&tip);
            let l = ui.label(tr(lang, "capture.keylog_path"));
            ui.add(egui::TextEdit::singleline(&mut self.path).desired_width(260.0))
                .labelled_by(l.id)
                .on_hover_text(&tip);
            if let Some(p) = self.browse.chosen() {
                self.path = p.display().to_string();
            }
            let typed = self.path.clone();
            self.browse
                .button(ui, lang, "file.browse", Pick::Save, &typed);
        });
        self.apply(running);
    }
}
