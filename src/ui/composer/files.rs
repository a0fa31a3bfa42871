//! The composer's attachments: files chosen in the system dialog or dropped on the window,
//! read on a background thread (at most [`MAX_FILE`] bytes each), listed with their size and
//! content type, and removed with a click.

use std::path::PathBuf;

use egui::RichText;
use poll_promise::Promise;

use crate::proto::Lang;
use crate::proto::mime::Attachment;
use crate::ui::file_dialog::{Browse, Pick};
use crate::ui::i18n::tr;
use crate::words::Words;

/// The largest file the composer attaches; a larger one is refused in words.
pub const MAX_FILE: u64 = crate::proto::mime::MAX_ATTACHMENT;

/// The attachments and the reads under way.
#[derive(Default)]
pub struct Files {
    pub list: Vec<Attachment>,
    reading: Vec<Promise<Result<Attachment, Words>>>,
    /// Why the last file was not attached.
    pub error: Option<Words>,
    browse: Browse,
    /// Counts changes to the list, so the composer knows when to compose again.
    pub revision: u64,
}

/// `1.2 MB`, `340 B`: a size for the list.
pub fn size_text(n: usize) -> String {
    match n {
        n if n >= 1024 * 1024 => format!("{:.1} MB", n as f64 / (1024.0 * 1024.0)),
        n if n >= 1024 => format!("{:.1} KB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

impl Files {
    /// Starts reading a file on a background thread; it joins the list when read.
    pub fn add_path(&mut self, ctx: &egui::Context, path: PathBuf) {
        self.reading
            .push(crate::ui::jobs::spawn("attachment-read", ctx, move || {
                crate::attachment::read(&path)
            }));
    }

    /// Attaches bytes already in memory (tests, demos).
    pub fn add_bytes(&mut self, name: &str, bytes: Vec<u8>) -> Result<(), Words> {
        if bytes.len() as u64 > MAX_FILE {
            return Err(crate::attachment::too_big(name));
        }
        self.list.push(Attachment::new(name, bytes));
        self.revision += 1;
        Ok(())
    }

    /// Whether files are still being read.
    pub fn busy(&self) -> bool {
        !self.reading.is_empty()
    }

    /// Takes in finished reads.
    pub fn take_read(&mut self) {
        let mut still = Vec::new();
        for p in self.reading.drain(..) {
            match p.try_take() {
                Ok(Ok(a)) => {
                    self.list.push(a);
                    self.revision += 1;
                    self.error = None;
                }
                Ok(Err(e)) => self.error = Some(e),
                Err(p) => still.push(p),
            }
        }
        self.reading = still;
    }

    /// Takes in finished reads and the dialog's choice (files dropped on the window come
    /// from the window, whichever tab shows).
    pub fn poll(&mut self, ctx: &egui::Context) {
        self.take_read();
        if let Some(path) = self.browse.chosen() {
            self.add_path(ctx, path);
        }
    }

    /// The list, its Remove buttons and the Attach button.
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        self.poll(ui.ctx());
        ui.horizontal_wrapped(|ui| {
            ui.strong(tr(lang, "mime.attachments"));
            self.browse.button_with_tip(
                ui,
                lang,
                ("mime.attach", "mime.attach.tip"),
                Pick::Open(&[]),
                "",
            );
            if self.busy() {
                ui.spinner();
            }
            ui.label(RichText::new(tr(lang, "mime.drop_hint")).weak());
        });
        let mut remove = None;
        // A row a file, wrapped where the panel is narrow (a projector's zoom) rather than
        // widening it.
        for (i, a) in self.list.iter().enumerate() {
            ui.horizontal_wrapped(|ui| {
                ui.label(&a.name);
                ui.monospace(&a.content_type);
                ui.label(size_text(a.bytes.len()));
                if ui.small_button(tr(lang, "mime.remove")).clicked() {
                    remove = Some(i);
                }
            });
        }
        if let Some(i) = remove {
            self.list.remove(i);
            self.revision += 1;
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e.get(lang));
        }
    }
}
