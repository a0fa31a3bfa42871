//! The message composer: From, To, Subject, Date and body, and exactly the text that goes
//! over the wire after 354 (headers, blank line, dot-stuffed body, the final `.`).

use super::{Action, View};
use std::time::{SystemTime, UNIX_EPOCH};

use egui::RichText;
use mail_parser::DateTime;

use super::i18n::{tr, trf};
use crate::proto::Lang;
use crate::proto::message::{self, ComposeError, Draft, Mailbox};

/// The inputs a payload was made from, and the payload.
type Cached = (Vec<String>, Result<Vec<u8>, ComposeError>);

pub struct Composer {
    pub from: String,
    /// One or more addresses, separated by commas.
    pub to: String,
    pub subject: String,
    pub date: String,
    pub body: String,
    pub show_crlf: bool,
    message_id: String,
    /// The date the composer last set itself; a date the student typed differs from it.
    auto_date: String,
    sent: u32,
    /// The last inputs and the payload made from them; mail-builder runs only on a change.
    cache: Option<Cached>,
    /// The language the example message is written in.
    lang: Lang,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Default for Composer {
    fn default() -> Self {
        let t = now();
        let date = DateTime::from_timestamp(t).to_rfc822();
        Self {
            from: "student@mailtutor.test".into(),
            to: "teacher@mailtutor.test".into(),
            subject: tr(Lang::En, "compose.default_subject"),
            auto_date: date.clone(),
            date,
            body: tr(Lang::En, "compose.default_body"),
            show_crlf: false,
            message_id: format!("<{t}.0@mailtutor.test>"),
            sent: 0,
            cache: None,
            lang: Lang::En,
        }
    }
}

impl Composer {
    /// The example message, written in the reader's language.
    pub fn in_language(lang: Lang) -> Self {
        Self {
            subject: tr(lang, "compose.default_subject"),
            body: tr(lang, "compose.default_body"),
            lang,
            ..Self::default()
        }
    }

    /// After a change of language, the example subject and body follow it, unless the
    /// student has written their own.
    pub fn follow_language(&mut self, lang: Lang) {
        if lang == self.lang {
            return;
        }
        for (field, key) in [
            (&mut self.subject, "compose.default_subject"),
            (&mut self.body, "compose.default_body"),
        ] {
            if *field == tr(self.lang, key) {
                *field = tr(lang, key);
            }
        }
        self.lang = lang;
    }

    fn inputs(&self) -> Vec<String> {
        vec![
            self.from.clone(),
            self.to.clone(),
            self.subject.clone(),
            self.date.clone(),
            self.body.clone(),
            self.message_id.clone(),
        ]
    }

    fn draft(&self) -> Result<Draft, ComposeError> {
        let to = self
            .to
            .split([',', ';'])
            .filter(|s| !s.trim().is_empty())
            .map(Mailbox::parse)
            .collect::<Result<Vec<_>, _>>()?;
        let date = DateTime::parse_rfc822(self.date.trim())
            .map(|d| d.to_timestamp())
            .ok_or_else(|| ComposeError::BadDate(self.date.clone()))?;
        Ok(Draft {
            from: Mailbox::parse(&self.from)?,
            to,
            cc: Vec::new(),
            subject: self.subject.clone(),
            date: Some(date),
            body: self.body.clone(),
            message_id: Some(self.message_id.trim_matches(['<', '>']).to_owned()),
        })
    }

    /// The DATA payload, dot-stuffed and ending in CRLF . CRLF.
    pub fn payload(&mut self) -> Result<Vec<u8>, ComposeError> {
        let inputs = self.inputs();
        match &self.cache {
            Some((k, r)) if *k == inputs => r.clone(),
            _ => {
                let r = self.draft().and_then(|d| d.to_data_payload());
                self.cache = Some((inputs, r.clone()));
                r
            }
        }
    }

    /// Before a message goes out: a date the composer set itself (not one the student typed)
    /// becomes the time of sending, not the time the window opened.
    pub fn date_now(&mut self) {
        if self.date == self.auto_date {
            self.date = DateTime::from_timestamp(now()).to_rfc822();
            self.auto_date = self.date.clone();
        }
    }

    /// After a message was queued: a new Message-ID and date for the next one.
    pub fn sent(&mut self) {
        self.sent += 1;
        let t = now();
        self.message_id = format!("<{t}.{}@mailtutor.test>", self.sent);
        self.date = DateTime::from_timestamp(t).to_rfc822();
        self.auto_date = self.date.clone();
    }
}

impl View for Composer {
    type Context<'a> = Lang;

    fn ui(&mut self, ui: &mut egui::Ui, cx: &Self::Context<'_>) -> Option<Action> {
        let lang = *cx;
        egui::Grid::new("composer")
            .num_columns(2)
            .spacing([8.0, 6.0])
            .show(ui, |ui| {
                for (key, value) in [
                    ("compose.from", &mut self.from),
                    ("compose.to", &mut self.to),
                    ("compose.subject", &mut self.subject),
                    ("compose.date", &mut self.date),
                ] {
                    let l = ui.label(tr(lang, key));
                    ui.add(egui::TextEdit::singleline(value).desired_width(ui.available_width()))
                        .labelled_by(l.id);
                    ui.end_row();
                }
            });
        if !self.subject.is_ascii() {
            ui.label(RichText::new(tr(lang, "compose.encoded")).weak());
            ui.monospace(format!(
                "Subject: {}",
                message::encode_header_text(&self.subject)
            ));
        }
        let l = ui.label(tr(lang, "compose.body"));
        if self.body.len() > MAX_EDITABLE {
            // Laying out megabytes of text every frame would freeze the window: a body this
            // long is sent as it is, and shown only in part below.
            ui.label(
                RichText::new(trf(
                    lang,
                    "compose.too_long_to_edit",
                    &[("size", &self.body.len().to_string())],
                ))
                .strong(),
            );
            if ui.button(tr(lang, "compose.clear_body")).clicked() {
                self.body.clear();
            }
        } else {
            ui.add(
                egui::TextEdit::multiline(&mut self.body)
                    .desired_rows(5)
                    .desired_width(ui.available_width()),
            )
            .labelled_by(l.id);
        }
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            ui.strong(tr(lang, "compose.wire"));
            ui.checkbox(&mut self.show_crlf, tr(lang, "compose.show_crlf"))
                .on_hover_text(tr(lang, "compose.show_crlf.tip"));
        });
        match self.payload() {
            Ok(bytes) => {
                let shown = bytes.get(..MAX_PREVIEW).unwrap_or(&bytes);
                let mut text = String::from_utf8_lossy(shown).into_owned();
                if bytes.len() > shown.len() {
                    text.push_str(&trf(
                        lang,
                        "compose.preview_cut",
                        &[("size", &(bytes.len() - shown.len()).to_string())],
                    ));
                }
                if self.show_crlf {
                    text = text.replace("\r\n", "\\r\\n\n");
                } else {
                    text = text.replace("\r\n", "\n");
                }
                // Lines keep their length, as on the wire; a solid scroll bar always in view
                // says that a long one goes on to the right.
                ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
                egui::ScrollArea::both()
                    .id_salt("wire-preview")
                    .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible)
                    // The room left in view (the tools panel scrolls too): the bar stays on
                    // screen, not at the foot of a long message.
                    .max_height((ui.clip_rect().bottom() - ui.cursor().top() - 8.0).max(120.0))
                    .show(ui, |ui| {
                        ui.add(
                            egui::Label::new(RichText::new(text).monospace())
                                .wrap_mode(egui::TextWrapMode::Extend),
                        );
                    });
            }
            Err(e) => {
                ui.colored_label(ui.visuals().error_fg_color, e.to_string());
            }
        }
        None
    }
}

/// Longer bodies are not edited in place (see [`Composer::ui`]).
const MAX_EDITABLE: usize = 256 * 1024;
/// How much of the DATA payload the wire preview shows.
const MAX_PREVIEW: usize = 64 * 1024;

#[cfg(test)]
mod tests {
    use super::*;

    /// The date the composer set itself becomes the time of sending; one the student typed
    /// stays.
    #[test]
    fn the_date_is_the_time_of_sending_unless_typed() {
        let mut c = Composer::default();
        c.date = "Mon, 1 Jan 2024 00:00:00 +0000".into();
        c.auto_date = c.date.clone();
        c.date_now();
        assert!(!c.date.contains("2024"), "{}", c.date);
        c.date = "Tue, 2 Jan 2024 08:00:00 +0800".into();
        c.date_now();
        assert_eq!(c.date, "Tue, 2 Jan 2024 08:00:00 +0800");
    }

    #[test]
    fn the_example_message_follows_the_language_until_edited() {
        let mut c = Composer::in_language(Lang::En);
        c.follow_language(Lang::Zh);
        assert_eq!(c.subject, tr(Lang::Zh, "compose.default_subject"));
        assert!(c.body.contains("SMTP 命令"), "{}", c.body);
        c.subject = "my own".into();
        c.follow_language(Lang::En);
        assert_eq!(c.subject, "my own");
        assert_eq!(c.body, tr(Lang::En, "compose.default_body"));
    }

    #[test]
    fn chinese_subject_goes_out_as_encoded_words_and_the_payload_ends_right() {
        let mut c = Composer {
            subject: "测试邮件".into(),
            ..Composer::default()
        };
        let p = c.payload().unwrap();
        let text = String::from_utf8_lossy(&p);
        assert!(text.contains("Subject: =?utf-8?"), "{text}");
        assert!(text.ends_with("\r\n.\r\n"));
        assert!(text.contains("\r\n..hidden?"), "dot-stuffed: {text}");
        let parsed = message::parse_message(&message::unstuff(&p).unwrap_or_default());
        assert_eq!(parsed.and_then(|m| m.subject).as_deref(), Some("测试邮件"));
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        let mut c = Composer {
            to: "not an address".into(),
            ..Composer::default()
        };
        assert!(c.payload().is_err());
        let mut c = Composer {
            date: "yesterday".into(),
            ..Composer::default()
        };
        assert!(c.payload().is_err());
        let mut c = Composer {
            subject: "a\r\nBcc: x@y".into(),
            ..Composer::default()
        };
        assert!(c.payload().is_err());
    }
}
