//! The transcript's files: the "Open transcript…" form (a file or a pasted session, folded on
//! a background thread) and the "Save transcript…" form (plain, annotated, one HTML page or a
//! pcapng capture, written whole).

use std::path::PathBuf;

use egui::Key;
use poll_promise::Promise;

use super::TranscriptView;
use crate::proto::Lang;
use crate::transcript::Transcript;
use crate::ui::file_dialog::{Browse, Pick};
use crate::ui::i18n::{tr, trf};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Format {
    Plain,
    Annotated,
    /// One self-contained page to hand in.
    Html,
    /// A capture Wireshark opens (see [`crate::capture`]).
    Pcapng,
}

/// Where an opened transcript comes from.
pub(super) enum Source {
    File(PathBuf),
    Pasted(String),
}

/// The "Save transcript…" form and the write it started.
pub(super) struct SaveForm {
    pub(super) open: bool,
    /// Whether the path field takes the keyboard on the next frame (the form just opened).
    pub(super) focus: bool,
    pub(super) path: String,
    pub(super) format: Format,
    /// The student's name, for the HTML page.
    pub(super) student: String,
    pub(super) writing: Option<Promise<Result<PathBuf, String>>>,
    /// The transcript and its length being written.
    pub(super) writing_for: Option<(crate::transcript::Generation, usize)>,
    pub(super) result: Option<Result<PathBuf, String>>,
    /// What the saved file leaves out, said beside "saved" (a capture stops where TLS began).
    pub(super) notice: Option<crate::words::Words>,
    pub(super) browse: Browse,
}

/// The "Open transcript…" form: a file to read or a pasted session, folded into a transcript
/// on a background thread.
pub(super) struct OpenForm {
    pub(super) open: bool,
    /// Whether the path field takes the keyboard on the next frame (the form just opened).
    pub(super) focus: bool,
    pub(super) path: String,
    /// Enter was pressed with no path typed: the field keeps the keyboard and says what it
    /// wants.
    pub(super) empty: bool,
    pub(super) pasted: String,
    pub(super) reading: Option<Promise<Result<Transcript, String>>>,
    pub(super) error: Option<String>,
    /// A transcript read and folded, for the window to show.
    pub(super) done: Option<Transcript>,
    pub(super) browse: Browse,
}

impl TranscriptView {
    /// Shows or hides the "Save transcript…" form (the button and Ctrl+S); it opens with the
    /// keyboard in its path, and Enter there saves.
    pub fn toggle_save_form(&mut self) {
        self.save.open = !self.save.open;
        self.save.focus = self.save.open;
    }

    /// Shows or hides the "Open transcript…" form (the button and Ctrl+O); it opens with the
    /// keyboard in its path, and Enter there opens the file.
    pub fn toggle_open_form(&mut self) {
        self.opener.open = !self.opener.open;
        self.opener.focus = self.opener.open;
    }

    /// A transcript the user opened, once it is read and folded.
    pub fn take_opened(&mut self) -> Option<Transcript> {
        self.opener.done.take()
    }

    /// Takes the file read and folded, once it is (each turn of the window, drawn or not).
    pub fn poll_open(&mut self) {
        if let Some(p) = &self.opener.reading
            && p.ready().is_some()
            && let Some(p) = self.opener.reading.take()
        {
            match p.block_and_take() {
                Ok(t) => {
                    self.opener.done = Some(t);
                    self.opener.open = false;
                    self.opener.error = None;
                }
                Err(e) => self.opener.error = Some(e),
            }
        }
    }

    pub(super) fn open_form(&mut self, ui: &mut egui::Ui, lang: Lang) {
        self.poll_open();
        let reading = self.opener.reading.is_some();
        let mut start: Option<Source> = None;
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr(lang, "open.path"));
            let r = ui
                .add(egui::TextEdit::singleline(&mut self.opener.path).desired_width(260.0))
                .labelled_by(l.id);
            if std::mem::take(&mut self.opener.focus) {
                r.request_focus();
            }
            let entered = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            let blank = self.opener.path.trim().is_empty();
            if entered && blank {
                self.opener.empty = true;
                r.request_focus();
            } else if !blank {
                self.opener.empty = false;
            }
            let enter = entered && !blank;
            let chosen = self.opener.browse.chosen();
            if let Some(p) = &chosen {
                self.opener.path = p.display().to_string();
            }
            if ui
                .add_enabled(!reading, egui::Button::new(tr(lang, "open.read")))
                .clicked()
                || (enter || chosen.is_some()) && !reading
            {
                start = Some(Source::File(PathBuf::from(self.opener.path.trim())));
            }
            let typed = self.opener.path.clone();
            self.opener
                .browse
                .button(ui, lang, "file.browse", Pick::Open(&[]), &typed);
        });
        if self.opener.empty {
            ui.label(tr(lang, "open.empty"));
        }
        let l = ui.label(tr(lang, "open.paste"));
        // A whole page pasted scrolls inside the box, so the button under it stays in view.
        let rows = 6.0 * ui.text_style_height(&egui::TextStyle::Monospace);
        egui::ScrollArea::vertical()
            .id_salt("paste-box")
            .max_height(rows)
            .show(ui, |ui| {
                ui.add(
                    egui::TextEdit::multiline(&mut self.opener.pasted)
                        .desired_rows(4)
                        .desired_width(f32::INFINITY)
                        .code_editor(),
                )
                .labelled_by(l.id);
            });
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    !reading && !self.opener.pasted.trim().is_empty(),
                    egui::Button::new(tr(lang, "open.show")),
                )
                .clicked()
            {
                start = Some(Source::Pasted(self.opener.pasted.clone()));
            }
            if reading {
                ui.spinner();
            }
        });
        if let Some(e) = &self.opener.error {
            ui.colored_label(
                ui.visuals().error_fg_color,
                trf(lang, "open.failed", &[("error", e)]),
            );
        }
        if let Some(source) = start {
            self.start_open(ui.ctx(), source, lang);
        }
    }

    /// Opens a file as the form's Enter does (a demo, a test): read and folded off the
    /// window's thread.
    pub fn open_file(&mut self, ctx: &egui::Context, path: PathBuf, lang: Lang) {
        // The form shows while the file is read, and takes the result when it is.
        self.opener.open = true;
        self.opener.path = path.display().to_string();
        self.start_open(ctx, Source::File(path), lang);
    }

    /// Whether a file is being read and folded, or waits to be shown.
    pub fn is_opening(&self) -> bool {
        self.opener.reading.is_some() || self.opener.done.is_some()
    }

    fn start_open(&mut self, ctx: &egui::Context, source: Source, lang: Lang) {
        self.opener.error = None;
        self.opener.reading = Some(crate::ui::jobs::spawn("open-transcript", ctx, move || {
            let text = match source {
                Source::File(path) => match std::fs::read(&path) {
                    // A Wireshark or tcpdump capture: its mail sessions, one after
                    // another, each line with its packet number.
                    Ok(b) if crate::proto::capture_read::is_capture(&b) => {
                        return crate::proto::capture_read::read_capture(&b)
                            .map(|c| crate::explain::fold_capture(&c))
                            .map_err(|e| {
                                use crate::proto::capture_read::CaptureError as E;
                                let key = match e {
                                    E::NotACapture => "opencapture.not_capture",
                                    E::Truncated => "opencapture.short",
                                };
                                format!("{}: {}", path.display(), tr(lang, key))
                            });
                    }
                    Ok(b) => Ok(crate::explain::decode_paste(&b)),
                    Err(e) => Err(format!("{}: {e}", path.display())),
                },
                Source::Pasted(text) => Ok(text),
            };
            text.map(|t| crate::explain::fold(&t))
        }));
    }

    pub(super) fn save_form(&mut self, ui: &mut egui::Ui, t: &Transcript, lang: Lang, show: bool) {
        if let Some(p) = &self.save.writing
            && let Some(r) = p.ready()
        {
            if r.is_ok() {
                self.saved_for = self.save.writing_for;
            }
            self.save.result = Some(r.clone());
            self.save.writing = None;
        }
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr(lang, "save.path"));
            let r = ui
                .add(egui::TextEdit::singleline(&mut self.save.path).desired_width(260.0))
                .labelled_by(l.id);
            if std::mem::take(&mut self.save.focus) {
                r.request_focus();
            }
            let chosen = self.save.browse.chosen();
            if let Some(p) = &chosen {
                self.save.path = p.display().to_string();
            }
            let enter =
                r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) || chosen.is_some();
            ui.radio_value(&mut self.save.format, Format::Plain, tr(lang, "save.plain"))
                .on_hover_text(tr(lang, "save.plain.tip"));
            ui.radio_value(
                &mut self.save.format,
                Format::Annotated,
                tr(lang, "save.annotated"),
            )
            .on_hover_text(tr(lang, "save.annotated.tip"));
            let html = ui
                .radio_value(&mut self.save.format, Format::Html, tr(lang, "save.html"))
                .on_hover_text(tr(lang, "save.html.tip"));
            if html.clicked() {
                // A page to open in a browser ends in .html.
                let path = PathBuf::from(self.save.path.trim()).with_extension("html");
                self.save.path = path.display().to_string();
            }
            let pcapng = ui
                .radio_value(
                    &mut self.save.format,
                    Format::Pcapng,
                    tr(lang, "capture.format"),
                )
                .on_hover_text(tr(lang, "capture.format.tip"));
            if pcapng.clicked() {
                let path = PathBuf::from(self.save.path.trim()).with_extension("pcapng");
                self.save.path = path.display().to_string();
            }
            if self.save.format == Format::Html {
                let l = ui.label(tr(lang, "save.student"));
                ui.add(egui::TextEdit::singleline(&mut self.save.student).desired_width(160.0))
                    .labelled_by(l.id);
            }
            let writing = self.save.writing.is_some();
            if ui
                .add_enabled(!writing, egui::Button::new(tr(lang, "save.write")))
                .clicked()
                || enter && !writing
            {
                self.save.notice = None;
                let bytes = match self.save.format {
                    Format::Plain => Ok(t.export_plain(show).into_bytes()),
                    Format::Annotated => Ok(t.export_annotated(lang, show).into_bytes()),
                    Format::Pcapng => match crate::capture::pcapng_of(t, lang, show) {
                        Ok(file) => {
                            self.save.notice = file.notice();
                            Ok(file.bytes)
                        }
                        Err(e) => Err(e.words().get(lang)),
                    },
                    Format::Html => {
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map(|d| d.as_secs() as i64)
                            .unwrap_or_default();
                        let page = crate::html_export::transcript_html(
                            t,
                            lang,
                            show,
                            &crate::html_export::Header {
                                student: self.save.student.clone(),
                                date: crate::html_export::date_of(now),
                                lesson: self.lesson_marks.clone(),
                            },
                        );
                        Ok(page.into_bytes())
                    }
                };
                let path = PathBuf::from(self.save.path.trim());
                self.save.writing_for = Some((t.generation(), t.len()));
                self.save.result = None;
                self.save.writing = Some(crate::ui::jobs::spawn(
                    "save-transcript",
                    ui.ctx(),
                    move || {
                        let bytes = bytes?;
                        write_whole(&path, &bytes)
                            .map(|()| path.clone())
                            .map_err(|e| format!("{}: {e}", path.display()))
                    },
                ));
            }
            let typed = self.save.path.clone();
            self.save
                .browse
                .button(ui, lang, "file.browse", Pick::Save, &typed);
            if writing {
                ui.spinner();
            }
        });
        saved_ui(ui, lang, self.save.result.as_ref());
        if let (Some(Ok(_)), Some(n)) = (&self.save.result, &self.save.notice) {
            ui.label(n.get(lang));
        }
    }
}

/// Where a file was written, or why it was not.
pub fn saved_ui(ui: &mut egui::Ui, lang: Lang, result: Option<&Result<PathBuf, String>>) {
    match result {
        Some(Ok(p)) => {
            ui.label(trf(
                lang,
                "save.done",
                &[("path", &p.display().to_string())],
            ));
        }
        Some(Err(e)) => {
            ui.colored_label(
                ui.visuals().error_fg_color,
                trf(lang, "save.failed", &[("error", e)]),
            );
        }
        None => {}
    }
}

/// Writes a file whole or not at all: into a temporary file beside it, then renamed over it, so
/// a page handed in (or read while it is written) is never cut short.
pub(super) fn write_whole(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.part"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}
