//! The card for the step inside a command: the base64 answer to a 334 (username, password,
//! or AUTH PLAIN's `\0user\0password`), or the message to send after 354. The window shows
//! it above the raw line box.

use egui::RichText;

use super::Action;
use super::commands::{CommandPanel, Context, highlight};
use super::i18n::tr;
use crate::proto::auth::{self, MASK, PromptKind};
use crate::session::Protocol;

impl Context<'_> {
    /// Whether a step inside a command is open: a 334 to answer, or the message after 354.
    pub fn step_card_due(&self) -> bool {
        self.protocol == Protocol::Smtp
            && self.connected
            && (self.smtp.auth_prompt().is_some() || self.smtp.in_data())
    }
}

impl CommandPanel {
    /// The card for the step inside a command: answering a 334, or sending the message. The
    /// window floats it over the transcript, so no command button moves when it comes or goes.
    pub fn step_card(&mut self, ui: &mut egui::Ui, cx: &Context<'_>) -> Option<Action> {
        if !cx.step_card_due() {
            return None;
        }
        let lang = cx.lang;
        let idle = cx.busy.is_none();
        let mut action = None;
        let prompt = cx.smtp.auth_prompt();
        // The button comes first, so it shows even where a long heading is cut at the
        // bottom of the card's place.
        // Opaque, with a shadow: the card floats over the transcript.
        egui::Frame::group(ui.style())
            .fill(ui.visuals().window_fill)
            .shadow(ui.visuals().popup_shadow)
            .stroke(egui::Stroke::new(2.0, highlight(ui)))
            .show(ui, |ui| {
                let mask = |s: &str| {
                    if cx.show_secrets {
                        s.to_owned()
                    } else {
                        MASK.to_owned()
                    }
                };
                match prompt {
                    Some(
                        kind @ (PromptKind::Username | PromptKind::Password | PromptKind::Empty),
                    ) => {
                        let (what, b64, _) = self.answer(kind);
                        let (heading, shown) = match kind {
                            PromptKind::Username => {
                                ("step.username", format!("{}  →  {b64}", self.username))
                            }
                            PromptKind::Password => (
                                "step.password",
                                format!("{}  →  {}", mask(&self.password), mask(&b64)),
                            ),
                            _ => (
                                "step.plain",
                                format!(
                                    "\\0{}\\0{}  →  {}",
                                    self.username,
                                    mask(&self.password),
                                    mask(&b64)
                                ),
                            ),
                        };
                        if step_button(ui, cx, what).clicked() && idle {
                            action = Some(self.auth_answer(kind));
                        }
                        ui.add(egui::Label::new(RichText::new(shown).monospace()).truncate());
                        ui.strong(tr(lang, heading));
                    }
                    Some(PromptKind::Other) => {
                        ui.horizontal(|ui| {
                            for kind in [PromptKind::Username, PromptKind::Password] {
                                let (what, _, _) = self.answer(kind);
                                if step_button(ui, cx, what).clicked() && idle {
                                    action = Some(self.auth_answer(kind));
                                }
                            }
                        });
                        ui.strong(tr(lang, "step.other"));
                    }
                    None => {
                        if step_button(ui, cx, "step.send_message").clicked() && idle {
                            action = Some(Action::SendMessage);
                        }
                        ui.strong(tr(lang, "step.message"));
                        ui.label(tr(lang, "step.message.tip"));
                    }
                }
            });
        action
    }

    /// The step-card button for a 334 that asked for `kind`, the base64 it sends, and whether
    /// that is a secret: the username, the password, or (after the empty 334 of AUTH PLAIN)
    /// `\0user\0password`.
    fn answer(&self, kind: PromptKind) -> (&'static str, String, bool) {
        match kind {
            PromptKind::Password => (
                "step.send_password",
                auth::encode(self.password.as_bytes()),
                true,
            ),
            PromptKind::Empty => (
                "step.send_plain",
                auth::plain_response(&self.username, &self.password),
                true,
            ),
            PromptKind::Username | PromptKind::Other => (
                "step.send_username",
                auth::encode(self.username.as_bytes()),
                false,
            ),
        }
    }

    /// The answer to a 334 that asked for `kind`.
    pub fn auth_answer(&self, kind: PromptKind) -> Action {
        let (what, base64, secret) = self.answer(kind);
        Action::AuthAnswer {
            what,
            base64,
            secret,
        }
    }
}

fn step_button(ui: &mut egui::Ui, cx: &Context<'_>, key: &'static str) -> egui::Response {
    let busy = cx.busy == Some(key);
    let text = RichText::new(tr(cx.lang, key)).strong();
    let r = ui.add_enabled(
        cx.busy.is_none(),
        egui::Button::new(text)
            .fill(highlight(ui))
            .min_size(egui::vec2(160.0, 0.0)),
    );
    if busy {
        ui.spinner();
    }
    r
}
