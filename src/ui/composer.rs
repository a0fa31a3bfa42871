//! The message composer: From, To, Subject, Date and body, an HTML alternative and
//! attachments (MIME), exactly the text that goes over the wire after 354 (headers, blank
//! line, dot-stuffed body, the final `.`) and beside it the message's tree of MIME parts.

mod files;
mod wire;

pub use files::{Files, MAX_FILE};

use super::{Action, View};
use std::time::{SystemTime, UNIX_EPOCH};

use egui::RichText;
use mail_parser::DateTime;

use super::i18n::{tr, trf};
use crate::proto::Lang;
use crate::proto::message::{self, ComposeError, Draft, Mailbox};
use crate::proto::mime::{MimeDraft, NameForm};
use crate::proto::mime_tree::{self, MimeTree};

/// The inputs a payload was made from, the payload and its MIME tree.
struct Cached {
    inputs: Vec<String>,
    payload: Result<Vec<u8>, ComposeError>,
    tree: Option<MimeTree>,
    /// Whether the tree's byte ranges are the payload's (no line was dot-stuffed).
    exact: bool,
}

pub struct Composer {
    pub from: String,
    /// One or more addresses, separated by commas.
    pub to: String,
    pub subject: String,
    pub date: String,
    pub body: String,
    pub show_crlf: bool,
    /// Whether the message carries an HTML alternative, and its text.
    pub html_on: bool,
    pub html: String,
    /// The attached files and the reads under way.
    pub files: Files,
    pub name_form: NameForm,
    /// Whether the first attached image is shown inside the HTML (multipart/related, `cid:`)
    /// rather than attached.
    pub inline_image: bool,
    /// The part selected in the tree, highlighted in the wire view.
    selected: Option<usize>,
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
            html_on: false,
            html: String::new(),
            files: Files::default(),
            name_form: NameForm::default(),
            inline_image: false,
            selected: None,
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
            self.html_on.to_string(),
            self.html.clone(),
            format!("{:?}", self.name_form),
            self.inline_image.to_string(),
            self.files.revision.to_string(),
        ]
    }

    /// The message with its MIME extras.
    pub fn mime_draft(&self) -> Result<MimeDraft, ComposeError> {
        let mut attachments = self.files.list.clone();
        let inline = if self.html_on && self.inline_image {
            attachments
                .iter()
                .position(|a| a.content_type.starts_with("image/"))
                .map(|i| attachments.remove(i))
        } else {
            None
        };
        Ok(MimeDraft {
            draft: self.draft()?,
            html: self.html_on.then(|| self.html.clone()),
            inline_image: inline,
            attachments,
            name_form: self.name_form,
        })
    }

    /// Attaches a file: read on a background thread, it joins the list when read (the file
    /// dialog and dropped files come this way).
    pub fn add_file(&mut self, ctx: &egui::Context, path: std::path::PathBuf) {
        self.files.add_path(ctx, path);
    }

    /// Composes again when an input changed.
    fn refresh(&mut self) -> &Cached {
        self.files.take_read();
        let inputs = self.inputs();
        let c = match self.cache.take() {
            Some(c) if c.inputs == inputs => c,
            _ => self.compose(inputs),
        };
        self.cache.insert(c)
    }

    fn compose(&mut self, inputs: Vec<String>) -> Cached {
        let message = self.mime_draft().and_then(|d| d.to_message());
        let tree = message.as_ref().ok().and_then(|m| mime_tree::mime_tree(m));
        self.selected = self
            .selected
            .filter(|&i| tree.as_ref().is_some_and(|t| i < t.nodes.len()));
        let payload = message.as_ref().map(|m| message::data_payload(m));
        // The tree's byte ranges are the message's; they are the wire's too when no line was
        // dot-stuffed (a MIME body never opens a line with `.`: quoted-printable encodes it).
        let exact = match (&message, &payload) {
            (Ok(m), Ok(p)) => p.len() == m.len() + 3,
            _ => false,
        };
        Cached {
            inputs,
            payload: payload.map_err(Clone::clone),
            tree,
            exact,
        }
    }

    /// The part selected in the tree view (its index in [`MimeTree::nodes`]).
    /// Turns the HTML alternative on or off; turned on empty, it starts as the body's text in
    /// HTML paragraphs, for the student to edit.
    pub fn set_html(&mut self, on: bool) {
        self.html_on = on;
        if on && self.html.trim().is_empty() {
            self.html = crate::proto::mime::html_of_text(&self.body);
        }
    }

    /// Chooses a part of the message's tree, as a click on its row does.
    pub fn select_part(&mut self, index: usize) {
        self.selected = Some(index);
    }

    pub fn selected_part(&self) -> Option<usize> {
        self.selected
    }

    /// The message's MIME tree, as the wire view shows it.
    pub fn tree(&mut self) -> Option<MimeTree> {
        self.refresh().tree.clone()
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
        self.refresh().payload.clone()
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
        self.mime_ui(ui, lang);
        ui.separator();
        ui.horizontal_wrapped(|ui| {
            ui.strong(tr(lang, "compose.wire"));
            ui.checkbox(&mut self.show_crlf, tr(lang, "compose.show_crlf"))
                .on_hover_text(tr(lang, "compose.show_crlf.tip"));
        });
        self.refresh();
        let mut selected = self.selected;
        let show_crlf = self.show_crlf;
        let Some(c) = &self.cache else {
            return None;
        };
        let mut changed = false;
        match &c.payload {
            Ok(bytes) => {
                let highlight = selected
                    .filter(|_| c.exact)
                    .and_then(|i| c.tree.as_ref()?.nodes.get(i))
                    .map(|n| n.range());
                // The tree above the wire form, each the panel's whole width: a column of
                // half of it is too narrow for a boundary or a base64 line.
                if let Some(tree) = &c.tree {
                    changed = super::mime_tree::tree_ui(ui, tree, lang, &mut selected);
                    ui.add_space(4.0);
                }
                wire::wire_ui(ui, lang, bytes, highlight, show_crlf, changed);
            }
            Err(e) => {
                ui.colored_label(ui.visuals().error_fg_color, e.to_string());
            }
        }
        self.selected = selected;
        None
    }
}

impl Composer {
    /// The HTML alternative, the attachments and how their names are written.
    fn mime_ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        let mut on = self.html_on;
        if ui.checkbox(&mut on, tr(lang, "mime.html_on")).changed() {
            self.set_html(on);
        }
        if self.html_on {
            let l = ui.label(tr(lang, "mime.html"));
            ui.add(
                egui::TextEdit::multiline(&mut self.html)
                    .code_editor()
                    .desired_rows(3)
                    .desired_width(ui.available_width()),
            )
            .labelled_by(l.id);
            ui.checkbox(&mut self.inline_image, tr(lang, "mime.inline"))
                .on_hover_text(trf(
                    lang,
                    "mime.inline.tip",
                    &[("cid", crate::proto::mime::INLINE_CID)],
                ));
        }
        self.files.ui(ui, lang);
        ui.horizontal_wrapped(|ui| {
            ui.label(tr(lang, "mime.name_form"))
                .on_hover_text(tr(lang, "mime.name_form.tip"));
            for (form, key) in [
                (NameForm::Rfc2231, "mime.name_form.rfc2231"),
                (NameForm::Rfc2047, "mime.name_form.rfc2047"),
            ] {
                ui.radio_value(&mut self.name_form, form, tr(lang, key));
            }
        });
    }
}

/// Longer bodies are not edited in place (see [`Composer::ui`]).
const MAX_EDITABLE: usize = 256 * 1024;

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

    #[test]
    fn the_first_image_goes_inline_in_the_html_when_asked() {
        let mut c = Composer {
            html_on: true,
            html: "<img src=\"cid:image1@mailtutor.test\">".into(),
            ..Composer::default()
        };
        c.files.add_bytes("notes.txt", b"n".to_vec()).unwrap();
        c.files.add_bytes("logo.png", b"\x89PNG".to_vec()).unwrap();
        let kinds = |c: &mut Composer| {
            c.tree()
                .unwrap()
                .nodes
                .iter()
                .map(|n| (n.content_type.clone(), n.content_id.clone()))
                .collect::<Vec<_>>()
        };
        assert!(!kinds(&mut c).iter().any(|(t, _)| t == "multipart/related"));
        c.inline_image = true;
        let k = kinds(&mut c);
        assert!(k.iter().any(|(t, _)| t == "multipart/related"), "{k:?}");
        assert!(
            k.contains(&(
                "image/png".into(),
                Some(crate::proto::mime::INLINE_CID.into())
            )),
            "{k:?}"
        );
        assert_eq!(c.mime_draft().unwrap().attachments.len(), 1);
    }

    /// A plain message whose body opens a line with `.` is dot-stuffed on the wire: its
    /// tree's ranges no longer point into the payload, so nothing is highlighted.
    #[test]
    fn the_highlight_is_only_for_exact_ranges() {
        let mut c = Composer {
            body: "a\n.b\n".into(),
            ..Composer::default()
        };
        assert!(!c.refresh().exact);
        c.files.add_bytes("a.bin", vec![0; 10]).unwrap();
        assert!(c.refresh().exact);
        c.files = Files::default();
        c.body = "plain".into();
        assert!(c.refresh().exact);
    }
}
