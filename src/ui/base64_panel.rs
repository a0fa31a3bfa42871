//! The base64 workbench: text ↔ base64 both ways as you type, bytes that are not UTF-8 shown
//! as hex, the last 334 prompt decoded, the AUTH PLAIN builder and an RFC 2047 word decoder.

use super::{Action, View};
use egui::RichText;

use super::i18n::{tr, trf};
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
        ui.horizontal(|ui| {
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
        ui.strong(tr(lang, "b64.words"));
        let l = ui.label(tr(lang, "b64.words.input"));
        ui.add(egui::TextEdit::singleline(&mut self.words).desired_width(f32::INFINITY))
            .labelled_by(l.id);
        ui.label(format!("→ {}", message::decode_encoded_words(&self.words)));
        None
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
}
