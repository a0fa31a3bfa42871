//! The base64 workbench: text ↔ base64 both ways as you type, bytes that are not UTF-8 shown
//! as hex, the last 334 prompt decoded, the AUTH PLAIN builder, a file turned into the base64
//! lines of a MIME attachment, and an RFC 2047 word decoder.

use super::{Action, View};
use egui::RichText;

use super::file_dialog::{Browse, Pick};
use super::i18n::{tr, trf};
use super::jobs::{Job, spawn, take_ready};
use crate::proto::Lang;
use crate::proto::auth::{self, Decoded, MASK};
use crate::proto::message;

pub struct Base64Panel {
    pub text: String,
    pub base64: String,
    /// Which side was edited last, so the other follows it.
    last_text: String,
    last_base64: String,
    pub plain_user: String,
    pub plain_password: String,
    pub words: String,
    /// The file to turn into base64 lines, as typed or chosen.
    pub file_path: String,
    browse: Browse,
    reading: Option<Job<Result<FileLines, String>>>,
    /// The last file read, as base64 lines.
    pub file: Option<Result<FileLines, String>>,
}

/// A file as the base64 lines of a MIME attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileLines {
    pub name: String,
    pub size: usize,
    pub lines: Vec<String>,
}

/// The lines drawn; the rest are copied with the others.
const SHOWN_LINES: usize = 40;

/// The largest file the panel encodes: its lines are for typing or pasting, a few at a time.
pub const FILE_LIMIT: u64 = 256 * 1024;

/// Reads a file (up to [`FILE_LIMIT`]) and encodes it. Disk I/O: runs on a job's thread.
pub fn read_file_lines(path: &std::path::Path, lang: Lang) -> Result<FileLines, String> {
    use std::io::Read;
    let shown = path.display().to_string();
    let fail = |e: std::io::Error| {
        trf(
            lang,
            "b64.file.error",
            &[("path", &shown), ("error", &e.to_string())],
        )
    };
    let file = std::fs::File::open(path).map_err(fail)?;
    let mut bytes = Vec::new();
    file.take(FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > FILE_LIMIT {
        return Err(trf(
            lang,
            "b64.file.too_big",
            &[("path", &shown), ("kb", &(FILE_LIMIT / 1024).to_string())],
        ));
    }
    let name = path
        .file_name()
        .map_or_else(|| shown.clone(), |n| n.to_string_lossy().into_owned());
    Ok(FileLines {
        name,
        size: bytes.len(),
        lines: auth::encode_lines(&bytes),
    })
}

impl Default for Base64Panel {
    fn default() -> Self {
        let text = "Username:".to_owned();
        let base64 = auth::encode(text.as_bytes());
        Self {
            last_text: text.clone(),
            last_base64: base64.clone(),
            text,
            base64,
            plain_user: "student@mailtutor.test".into(),
            plain_password: "secret".into(),
            words: "=?utf-8?B?5rWL6K+V6YKu5Lu2?=".into(),
            file_path: String::new(),
            browse: Browse::default(),
            reading: None,
            file: None,
        }
    }
}

impl Base64Panel {
    /// Puts a base64 string in the panel (a click in the transcript, or the last 334).
    pub fn load(&mut self, base64: &str) {
        self.base64 = base64.trim().to_owned();
        self.sync();
    }

    /// What the base64 side decodes to, for display: text, `\0`-separated text, or hex.
    pub fn decoded(&self) -> Result<Decoded, String> {
        auth::decode(&self.base64)
            .map(Decoded::from_bytes)
            .map_err(|e| e.to_string())
    }

    /// Makes the side that did not change follow the one that did.
    fn sync(&mut self) {
        if self.base64 != self.last_base64 {
            if let Ok(d) = self.decoded()
                && let Decoded::Text(t) = d
            {
                self.text = t;
            }
        } else if self.text != self.last_text {
            self.base64 = auth::encode(self.text.as_bytes());
        }
        self.last_text = self.text.clone();
        self.last_base64 = self.base64.clone();
    }
}

/// What the base64 panel reads: the language, whether secrets show, and the challenge text
/// of the newest 334 in the transcript, if any.
pub struct Base64Context<'a> {
    pub lang: Lang,
    pub show_secrets: bool,
    pub last_334: Option<&'a str>,
}

impl View for Base64Panel {
    type Context<'a> = Base64Context<'a>;

    /// `last_334` is the challenge text of the newest 334 in the transcript, if any.
    fn ui(&mut self, ui: &mut egui::Ui, cx: &Self::Context<'_>) -> Option<Action> {
        let (lang, show_secrets, last_334) = (cx.lang, cx.show_secrets, cx.last_334);
        let l = ui.label(tr(lang, "b64.text"));
        ui.add(
            egui::TextEdit::multiline(&mut self.text)
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        let l = ui.label(tr(lang, "b64.base64"));
        ui.add(
            egui::TextEdit::multiline(&mut self.base64)
                .font(egui::TextStyle::Monospace)
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(l.id);
        self.sync();
        match self.decoded() {
            Ok(Decoded::Text(_)) => {}
            Ok(d @ Decoded::Binary(_)) => {
                ui.label(tr(lang, "b64.binary"));
                ui.monospace(d.shown());
            }
            Err(e) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    trf(lang, "b64.invalid", &[("error", &e)]),
                );
            }
        }
        ui.horizontal_wrapped(|ui| {
            let r = ui.add_enabled(
                last_334.is_some(),
                egui::Button::new(tr(lang, "b64.last334")),
            );
            if r.clicked()
                && let Some(p) = last_334
            {
                self.load(p);
            }
            if last_334.is_none() {
                ui.label(RichText::new(tr(lang, "b64.no334")).weak());
            }
        });

        ui.separator();
        ui.strong(tr(lang, "b64.plain"));
        egui::Grid::new("plain-builder")
            .num_columns(2)
            .show(ui, |ui| {
                let l = ui.label(tr(lang, "b64.plain.user"));
                ui.add(egui::TextEdit::singleline(&mut self.plain_user).desired_width(200.0))
                    .labelled_by(l.id);
                ui.end_row();
                let l = ui.label(tr(lang, "b64.plain.password"));
                ui.add(
                    egui::TextEdit::singleline(&mut self.plain_password)
                        .password(!show_secrets)
                        .desired_width(200.0),
                )
                .labelled_by(l.id);
                ui.end_row();
            });
        let pass = if show_secrets {
            self.plain_password.as_str()
        } else {
            MASK
        };
        let b64 = auth::plain_response(&self.plain_user, &self.plain_password);
        ui.monospace(format!("\\0{}\\0{pass}", self.plain_user));
        ui.monospace(format!(
            "→ {}",
            if show_secrets { b64.as_str() } else { MASK }
        ));
        ui.label(RichText::new(tr(lang, "b64.plain.tip")).weak());

        ui.separator();
        self.file_ui(ui, lang);

        ui.separator();
        ui.strong(tr(lang, "b64.words"));
        let l = ui.label(tr(lang, "b64.words.input"));
        ui.add(egui::TextEdit::singleline(&mut self.words).desired_width(f32::INFINITY))
            .labelled_by(l.id);
        ui.label(format!("→ {}", message::decode_encoded_words(&self.words)));
        None
    }
}

impl Base64Panel {
    /// A file in, its base64 lines out: what an attachment's body is (RFC 2045 §6.8).
    fn file_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if let Some(r) = take_ready(&mut self.reading) {
            self.file = Some(r);
        }
        if let Some(p) = self.browse.chosen() {
            self.file_path = p.display().to_string();
            self.start_reading(ui.ctx(), lang);
        }
        ui.strong(tr(lang, "b64.file"));
        let mut go = false;
        ui.horizontal(|ui| {
            let l = ui.label(tr(lang, "b64.file.path"));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.file_path)
                        .desired_width(ui.available_width() - 8.0),
                )
                .labelled_by(l.id);
            go |= r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        });
        ui.horizontal_wrapped(|ui| {
            self.browse.button(
                ui,
                lang,
                "b64.file.browse",
                Pick::Open(&[]),
                &self.file_path,
            );
            let idle = self.reading.is_none();
            go |= ui
                .add_enabled(
                    idle && !self.file_path.trim().is_empty(),
                    egui::Button::new(tr(lang, "b64.file.encode")),
                )
                .clicked();
            if !idle {
                ui.spinner();
            }
        });
        if go && self.reading.is_none() && !self.file_path.trim().is_empty() {
            self.start_reading(ui.ctx(), lang);
        }
        match &self.file {
            None => {
                ui.label(RichText::new(tr(lang, "b64.file.tip")).weak());
            }
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            Some(Ok(f)) => {
                let (size, lines) = (f.size.to_string(), f.lines.len().to_string());
                ui.horizontal_wrapped(|ui| {
                    ui.label(trf(
                        lang,
                        "b64.file.done",
                        &[("name", &f.name), ("size", &size), ("lines", &lines)],
                    ));
                    if ui.button(tr(lang, "b64.file.copy")).clicked() {
                        ui.ctx().copy_text(f.lines.join("\r\n"));
                    }
                });
                // One row a line, never wrapped: a wrapped row would look like two lines.
                egui::ScrollArea::horizontal()
                    .id_salt("b64-file-lines")
                    .show(ui, |ui| {
                        for line in f.lines.iter().take(SHOWN_LINES) {
                            ui.add(
                                egui::Label::new(RichText::new(line).monospace())
                                    .wrap_mode(egui::TextWrapMode::Extend),
                            );
                        }
                    });
                if f.lines.len() > SHOWN_LINES {
                    let more = (f.lines.len() - SHOWN_LINES).to_string();
                    ui.label(RichText::new(trf(lang, "b64.file.more", &[("n", &more)])).weak());
                }
            }
        }
    }

    fn start_reading(&mut self, ctx: &egui::Context, lang: Lang) {
        let path = std::path::PathBuf::from(self.file_path.trim());
        self.reading = Some(spawn("base64-file", ctx, move || {
            read_file_lines(&path, lang)
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions_follow_the_last_edit() {
        let mut p = Base64Panel::default();
        p.load("UGFzc3dvcmQ6");
        assert_eq!(p.text, "Password:");
        p.text = "你好".into();
        p.sync();
        assert_eq!(p.base64, "5L2g5aW9");
        p.base64 = "//79".into();
        p.sync();
        assert_eq!(p.text, "你好", "non-UTF-8 leaves the text side alone");
        assert_eq!(p.decoded().map(|d| d.shown()), Ok("ff fe fd".into()));
        p.base64 = "not base64!".into();
        p.sync();
        assert!(p.decoded().is_err());
    }

    #[test]
    fn a_file_becomes_76_character_lines_and_a_big_one_is_refused() {
        let dir = std::env::temp_dir().join(format!("mt-b64-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let small = dir.join("作业.txt");
        std::fs::write(&small, vec![b'x'; 100]).unwrap();
        let f = read_file_lines(&small, Lang::En).unwrap();
        assert_eq!((f.name.as_str(), f.size), ("作业.txt", 100));
        assert_eq!(
            f.lines.iter().map(String::len).collect::<Vec<_>>(),
            [76, 60]
        );
        let big = dir.join("big.bin");
        std::fs::write(&big, vec![0u8; FILE_LIMIT as usize + 1]).unwrap();
        let e = read_file_lines(&big, Lang::En).unwrap_err();
        assert!(e.contains("256 KB"), "{e}");
        let e = read_file_lines(&dir.join("missing"), Lang::En).unwrap_err();
        assert!(e.contains("missing"), "{e}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
