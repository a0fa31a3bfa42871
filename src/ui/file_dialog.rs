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
        self.button_with_tip(ui, lang, (label, "file.browse.tip"), pick, typed);
    }

    /// [`Browse::button`] with its own tooltip (`words`: the label's and the tip's keys), for a
    /// button with no path box beside it.
    pub fn button_with_tip(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        (label, tip): (&str, &str),
        pick: Pick,
        typed: &str,
    ) {
        let open = self.open.is_some();
        if ui
            .add_enabled(!open, egui::Button::new(tr(lang, label)))
            .on_hover_text(tr(lang, tip))
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

/// Whether the dialog will be zenity's: rfd falls back to it when the desktop portal cannot
/// be reached, which on Linux needs a session bus.
fn zenity() -> bool {
    cfg!(target_os = "linux") && std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none()
}

/// The name a dialog is given: the typed file's name, or for zenity (which rfd gives no
/// folder) the whole path, so it starts in the typed folder too.
fn proposed_name(pick: &Pick, typed: &Path, dir: Option<&Path>, zenity: bool) -> Option<String> {
    let name = typed.file_name().filter(|_| !typed.is_dir());
    match (pick, zenity, dir) {
        (Pick::Save, false, _) => name.map(|n| n.to_string_lossy().into_owned()),
        (Pick::Save, true, Some(dir)) => name.map(|n| dir.join(n).display().to_string()),
        (Pick::Save, true, None) => name.map(|n| n.to_string_lossy().into_owned()),
        // zenity starts a file or folder chooser in the folder a name ending in "/" names.
        (_, true, Some(dir)) => Some(format!("{}{}", dir.display(), std::path::MAIN_SEPARATOR)),
        _ => None,
    }
}

fn show(pick: &Pick, typed: &Path) -> Option<PathBuf> {
    let mut d = rfd::FileDialog::new();
    let dir = start_dir(typed);
    if let Some(dir) = &dir {
        d = d.set_directory(dir);
    }
    if let Some(name) = proposed_name(pick, typed, dir.as_deref(), zenity()) {
        d = d.set_file_name(name);
    }
    match pick {
        Pick::Open(exts) => {
            if !exts.is_empty() {
                d = d.add_filter(exts.join(", "), exts);
            }
            d.pick_file()
        }
        Pick::Folder => d.pick_folder(),
        Pick::Save => d.save_file(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zenity_is_given_the_typed_folder_in_the_name() {
        let dir = std::env::temp_dir();
        let typed = dir.join("mailtutor-transcript.txt");
        let sep = std::path::MAIN_SEPARATOR;
        let start = start_dir(&typed);
        assert_eq!(start.as_deref(), Some(dir.as_path()));
        let at = start.as_deref();
        assert_eq!(
            proposed_name(&Pick::Save, &typed, at, true),
            Some(typed.display().to_string())
        );
        assert_eq!(
            proposed_name(&Pick::Save, &typed, at, false).as_deref(),
            Some("mailtutor-transcript.txt")
        );
        assert_eq!(
            proposed_name(&Pick::Open(&["txt"]), &typed, at, true),
            Some(format!("{}{sep}", dir.display()))
        );
        assert_eq!(
            proposed_name(&Pick::Open(&["txt"]), &typed, at, false),
            None
        );
        assert_eq!(
            proposed_name(&Pick::Folder, &dir, start_dir(&dir).as_deref(), true),
            Some(format!("{}{sep}", dir.display()))
        );
        // Nothing typed: the dialog starts where it likes.
        assert_eq!(proposed_name(&Pick::Save, Path::new(""), None, true), None);
    }
}
