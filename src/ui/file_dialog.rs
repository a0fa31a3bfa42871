//! The system's file dialog beside a typed path: the native one on Windows, the desktop portal
//! (or zenity) on Linux. It runs on a thread of its own, so the window keeps drawing while it
//! is open; where a machine has none, it returns nothing and the typed path still works.

use std::path::{Path, PathBuf};

use poll_promise::Promise;

use super::i18n::tr;
use super::take_ready;
use crate::proto::Lang;

/// What the dialog is asked for.
#[derive(Debug, Clone)]
pub enum Pick {
    /// A file to read, of these extensions (none: any file).
    Open(&'static [&'static str]),
    /// A folder to read.
    Folder,
    /// A file to write; the name typed beside the button is proposed.
    Save,
}

/// One "Browse…" button and the dialog it opened.
#[derive(Default)]
pub struct Browse {
    open: Option<Promise<Option<PathBuf>>>,
}

impl Browse {
    /// Whether the dialog is open.
    pub fn is_open(&self) -> bool {
        self.open.is_some()
    }

    /// The path chosen, once the dialog has closed with one.
    pub fn chosen(&mut self) -> Option<PathBuf> {
        take_ready(&mut self.open).flatten()
    }

    /// Draws the button (`label` names it; `typed` is the path in the box beside it, where the
    /// dialog starts); a click opens the dialog, whose answer [`Browse::chosen`] gives.
    pub fn button(&mut self, ui: &mut egui::Ui, lang: Lang, label: &str, pick: Pick, typed: &str) {
        let open = self.open.is_some();
        if ui
            .add_enabled(!open, egui::Button::new(tr(lang, label)))
            .on_hover_text(tr(lang, "file.browse.tip"))
            .clicked()
        {
            // Where the dialog starts is looked up on the dialog's thread: it asks the disk.
            let typed = PathBuf::from(typed.trim());
            self.open = Some(super::jobs::spawn("file-dialog", ui.ctx(), move || {
                show(&pick, &typed)
            }));
        }
    }
}

/// The folder a typed path names or sits in, when it exists.
fn start_dir(typed: &Path) -> Option<PathBuf> {
    if typed.as_os_str().is_empty() {
        return None;
    }
    if typed.is_dir() {
        return Some(typed.to_path_buf());
    }
    typed
        .parent()
        .filter(|p| !p.as_os_str().is_empty() && p.is_dir())
        .map(Path::to_path_buf)
}

fn show(pick: &Pick, typed: &Path) -> Option<PathBuf> {
    let mut d = rfd::FileDialog::new();
    if let Some(dir) = start_dir(typed) {
        d = d.set_directory(dir);
    }
    match pick {
        Pick::Open(exts) => {
            if !exts.is_empty() {
                d = d.add_filter(exts.join(", "), exts);
            }
            d.pick_file()
        }
        Pick::Folder => d.pick_folder(),
        Pick::Save => {
            if let Some(name) = typed.file_name() {
                d = d.set_file_name(name.to_string_lossy());
            }
            d.save_file()
        }
    }
}
