//! One button per command, in session order, each with its help on hover. The step the
//! protocol expects next is highlighted; a command out of sequence stays clickable but carries
//! a (!) mark that predicts the server's answer. AUTH and DATA continue in step cards.

use super::View;
use egui::{Color32, RichText};

use super::Action;
use super::i18n::{tr, trf};
use crate::proto::Lang;
use crate::proto::auth::MASK;
use crate::proto::codes;
use crate::proto::pop3::{Pop3Command, Pop3Kind};
use crate::proto::pop3_state::{Pop3Session, Pop3Step};
use crate::proto::smtp::{CommandKind, SmtpCommand};
use crate::proto::smtp_state::{SmtpSession, Step};
use crate::session::Protocol;

/// The SMTP buttons, in the order a session uses them.
pub const SMTP_BUTTONS: [CommandKind; 13] = [
    CommandKind::Helo,
    CommandKind::Ehlo,
    CommandKind::StartTls,
    CommandKind::AuthLogin,
    CommandKind::AuthPlain,
    CommandKind::MailFrom,
    CommandKind::RcptTo,
    CommandKind::Data,
    CommandKind::Rset,
    CommandKind::Noop,
    CommandKind::Vrfy,
    CommandKind::Help,
    CommandKind::Quit,
];

pub const POP3_BUTTONS: [Pop3Kind; 13] = [
    Pop3Kind::User,
    Pop3Kind::Pass,
    Pop3Kind::Stat,
    Pop3Kind::List,
    Pop3Kind::Uidl,
    Pop3Kind::Retr,
    Pop3Kind::Top,
    Pop3Kind::Dele,
    Pop3Kind::Rset,
    Pop3Kind::Noop,
    Pop3Kind::Quit,
    Pop3Kind::Capa,
    Pop3Kind::Stls,
];

/// What the panel needs to know of the rest of the window.
pub struct Context<'a> {
    pub lang: Lang,
    pub show_secrets: bool,
    pub connected: bool,
    /// The label of the request waiting for an answer.
    pub busy: Option<&'a str>,
    pub protocol: Protocol,
    pub smtp: &'a SmtpSession,
    pub pop3: &'a Pop3Session,
    pub imap: &'a crate::proto::client::event::ImapView,
    /// The provider wants an app password (授权码).
    pub app_password: bool,
    /// Exam mode: the (!) predictions and the next step's highlight are hidden.
    pub exam: bool,
}

/// The argument fields, prefilled for the practice server.
pub struct CommandPanel {
    /// The width of the argument fields, from the panel's width.
    arg_width: f32,
    pub username: String,
    /// Kept in memory only; never saved.
    pub password: String,
    pub domain: String,
    pub mail_from: String,
    pub rcpt_to: String,
    pub vrfy: String,
    pub help: String,
    pub list: String,
    pub uidl: String,
    pub retr: String,
    pub top: String,
    pub top_lines: String,
    pub dele: String,
    pub imap: super::imap_commands::ImapFields,
}

impl Default for CommandPanel {
    fn default() -> Self {
        Self {
            arg_width: 180.0,
            username: "student@mailtutor.test".into(),
            password: "secret".into(),
            domain: "localhost".into(),
            mail_from: "student@mailtutor.test".into(),
            rcpt_to: "teacher@mailtutor.test".into(),
            vrfy: "teacher@mailtutor.test".into(),
            help: String::new(),
            list: String::new(),
            uidl: String::new(),
            retr: "1".into(),
            top: "1".into(),
            top_lines: "5".into(),
            dele: "1".into(),
            imap: Default::default(),
        }
    }
}

/// A field with a hint that also names it for screen readers and tests.
fn field(ui: &mut egui::Ui, value: &mut String, hint: &str, width: f32) -> egui::Response {
    ui.add(
        egui::TextEdit::singleline(value)
            .hint_text(hint)
            .desired_width(width),
    )
}

pub(super) fn highlight(ui: &egui::Ui) -> Color32 {
    ui.visuals().selection.bg_fill
}

impl CommandPanel {
    /// The width of an argument field beside a button.
    pub(super) fn arg_width(&self) -> f32 {
        self.arg_width
    }

    fn credentials(&mut self, ui: &mut egui::Ui, cx: &Context<'_>) {
        egui::Grid::new("credentials")
            .num_columns(2)
            .show(ui, |ui| {
                let l = ui.label(tr(cx.lang, "auth.username"));
                ui.add(
                    egui::TextEdit::singleline(&mut self.username)
                        .desired_width(self.arg_width + 40.0),
                )
                .labelled_by(l.id);
                ui.end_row();
                let key = if cx.app_password {
                    "auth.app_password"
                } else {
                    "auth.password"
                };
                let l = ui.label(tr(cx.lang, key));
                ui.add(
                    egui::TextEdit::singleline(&mut self.password)
                        .password(!cx.show_secrets)
                        .desired_width(200.0),
                )
                .labelled_by(l.id)
                .on_hover_text(tr(cx.lang, "auth.password.tip"));
                ui.end_row();
            });
    }

    /// One row: the button, its argument fields and the (!) mark. True when clicked.
    pub(super) fn row(
        &mut self,
        ui: &mut egui::Ui,
        cx: &Context<'_>,
        row: CommandRow,
        args: impl FnOnce(&mut Self, &mut egui::Ui),
    ) -> bool {
        // Every row is exactly as tall, whatever its button shows (hovered, highlighted,
        // busy), so no row pushes the ones below it.
        let height = ui.spacing().interact_size.y + 4.0;
        let width = ui.available_width();
        ui.allocate_ui_with_layout(
            egui::vec2(width, height),
            egui::Layout::left_to_right(egui::Align::Center),
            |ui| {
                ui.set_min_height(height);
                let clicked = command_button(ui, cx, &row, self);
                args(self, ui);
                warn_mark(ui, row.warn.as_deref());
                clicked
            },
        )
        .inner
    }

    fn smtp_buttons(&mut self, ui: &mut egui::Ui, cx: &Context<'_>) -> Option<Action> {
        let expected = cx.smtp.expected_next();
        let first = expected.first().copied();
        let mut action = None;
        ui.spacing_mut().item_spacing.y = 6.0;
        for kind in SMTP_BUTTONS {
            let step = Step::Command(kind);
            let prediction = cx.smtp.check(kind).filter(|_| cx.connected && !cx.exam);
            let warn = prediction.as_ref().map(|p| {
                let code = match (p.code, p.enhanced) {
                    (0, _) => String::new(),
                    (c, Some(e)) => format!("{c} {e}: "),
                    (c, None) => format!("{c}: "),
                };
                trf(
                    cx.lang,
                    "commands.predict",
                    &[("reply", &format!("{code}{}", p.reason.get(cx.lang)))],
                )
            });
            let row = CommandRow {
                protocol: "smtp",
                label: kind.label(),
                // Exam mode gives no hint of the next step: every button looks the same.
                next: !cx.exam && first == Some(step),
                possible: cx.exam || expected.contains(&step),
                warn,
                plain_preview: kind == CommandKind::AuthPlain,
            };
            let clicked = self.row(ui, cx, row, |p, ui| p.smtp_args(ui, cx.lang, kind));
            if clicked {
                action = Some(self.smtp_action(kind));
            }
        }
        action
    }

    fn smtp_args(&mut self, ui: &mut egui::Ui, lang: Lang, kind: CommandKind) {
        let w = self.arg_width;
        match kind {
            CommandKind::Helo | CommandKind::Ehlo => {
                field(ui, &mut self.domain, &tr(lang, "arg.domain"), w);
            }
            CommandKind::MailFrom => {
                field(ui, &mut self.mail_from, &tr(lang, "arg.sender"), w);
            }
            CommandKind::RcptTo => {
                field(ui, &mut self.rcpt_to, &tr(lang, "arg.recipient"), w);
            }
            CommandKind::Vrfy => {
                field(ui, &mut self.vrfy, &tr(lang, "arg.vrfy"), w);
            }
            CommandKind::Help => {
                field(ui, &mut self.help, &tr(lang, "arg.topic"), w);
            }
            _ => {}
        }
    }

    /// The command a button sends, built from its argument fields.
    pub fn smtp_action(&self, kind: CommandKind) -> Action {
        use CommandKind as K;
        let cmd = match kind {
            K::Helo => SmtpCommand::helo(&self.domain),
            K::Ehlo => SmtpCommand::ehlo(&self.domain),
            K::StartTls => return Action::StartTls,
            K::AuthLogin => Ok(SmtpCommand::AuthLogin { initial: None }),
            K::AuthPlain => Ok(SmtpCommand::AuthPlain { initial: None }),
            K::MailFrom => SmtpCommand::mail_from(&self.mail_from),
            K::RcptTo => SmtpCommand::rcpt_to(&self.rcpt_to),
            K::Data => Ok(SmtpCommand::Data),
            K::Bdat => Ok(SmtpCommand::Bdat {
                size: 0,
                last: true,
            }),
            K::Rset => Ok(SmtpCommand::Rset),
            K::Noop => Ok(SmtpCommand::Noop),
            K::Vrfy => SmtpCommand::vrfy(&self.vrfy),
            K::Expn => SmtpCommand::expn(&self.vrfy),
            K::Help => SmtpCommand::help(&self.help),
            K::Quit => Ok(SmtpCommand::Quit),
        };
        match cmd {
            Ok(c) => Action::Smtp(kind.label(), c),
            Err(e) => Action::Invalid(e.words()),
        }
    }

    fn pop3_buttons(&mut self, ui: &mut egui::Ui, cx: &Context<'_>) -> Option<Action> {
        let expected = cx.pop3.expected_next();
        let first = expected.first().copied();
        let mut action = None;
        ui.spacing_mut().item_spacing.y = 6.0;
        for kind in POP3_BUTTONS {
            let step = Pop3Step::Command(kind);
            let warn = cx
                .pop3
                .check(kind)
                .filter(|_| cx.connected && !cx.exam)
                .map(|p| {
                    trf(
                        cx.lang,
                        "commands.predict",
                        &[("reply", &format!("-ERR: {}", p.reason.get(cx.lang)))],
                    )
                });
            let row = CommandRow {
                protocol: "pop3",
                label: kind.label(),
                // Exam mode gives no hint of the next step: every button looks the same.
                next: !cx.exam && first == Some(step),
                possible: cx.exam || expected.contains(&step),
                warn,
                plain_preview: false,
            };
            let clicked = self.row(ui, cx, row, |p, ui| p.pop3_args(ui, cx, kind));
            if clicked {
                action = Some(self.pop3_action(kind));
            }
        }
        action
    }

    fn pop3_args(&mut self, ui: &mut egui::Ui, cx: &Context<'_>, kind: Pop3Kind) {
        let lang = cx.lang;
        let n = 60.0;
        match kind {
            Pop3Kind::User => {
                ui.add(egui::Label::new(RichText::new(&self.username).monospace()).truncate());
            }
            Pop3Kind::Pass => {
                let shown = if cx.show_secrets {
                    self.password.clone()
                } else {
                    MASK.to_owned()
                };
                ui.label(RichText::new(shown).monospace());
            }
            Pop3Kind::List => {
                field(ui, &mut self.list, &tr(lang, "arg.msg_optional"), n);
            }
            Pop3Kind::Uidl => {
                field(ui, &mut self.uidl, &tr(lang, "arg.msg_optional"), n);
            }
            Pop3Kind::Retr => {
                field(ui, &mut self.retr, &tr(lang, "arg.msg"), n);
            }
            Pop3Kind::Top => {
                field(ui, &mut self.top, &tr(lang, "arg.msg"), n);
                field(ui, &mut self.top_lines, &tr(lang, "arg.lines"), n);
            }
            Pop3Kind::Dele => {
                field(ui, &mut self.dele, &tr(lang, "arg.msg"), n);
            }
            _ => {}
        }
    }

    pub fn pop3_action(&self, kind: Pop3Kind) -> Action {
        use Pop3Kind as K;
        let cmd = match kind {
            K::User => Pop3Command::user(&self.username),
            K::Pass => Pop3Command::pass(&self.password),
            K::Stat => Ok(Pop3Command::Stat),
            K::List => Pop3Command::list(&self.list),
            K::Uidl => Pop3Command::uidl(&self.uidl),
            K::Retr => Pop3Command::retr(&self.retr),
            K::Top => Pop3Command::top(&self.top, &self.top_lines),
            K::Dele => Pop3Command::dele(&self.dele),
            K::Rset => Ok(Pop3Command::Rset),
            K::Noop => Ok(Pop3Command::Noop),
            K::Quit => Ok(Pop3Command::Quit),
            K::Capa => Ok(Pop3Command::Capa),
            K::Stls => return Action::StartTls,
            K::Apop => {
                return Action::Invalid(crate::words::Words::new("session.no_apop"));
            }
        };
        match cmd {
            Ok(c) => Action::Pop3(kind.label(), c),
            Err(e) => Action::Invalid(e.words()),
        }
    }
}

/// The (!) after an out-of-sequence command; its tooltip predicts the reply.
fn warn_mark(ui: &mut egui::Ui, warn: Option<&str>) {
    if let Some(w) = warn {
        ui.label(
            RichText::new("(!)")
                .strong()
                .color(ui.visuals().warn_fg_color),
        )
        .on_hover_text(w);
    }
}

/// What one command row shows: which command, whether it is the expected step (filled) or a
/// possible one (outlined), the reply a wrong order would get, and for AUTH PLAIN the
/// `\0user\0password` its tooltip previews.
pub(super) struct CommandRow {
    pub(super) protocol: &'static str,
    pub(super) label: &'static str,
    pub(super) next: bool,
    pub(super) possible: bool,
    pub(super) warn: Option<String>,
    pub(super) plain_preview: bool,
}

/// A command button with its help tooltip; the next expected step is filled.
fn command_button(
    ui: &mut egui::Ui,
    cx: &Context<'_>,
    row: &CommandRow,
    panel: &CommandPanel,
) -> bool {
    let CommandRow {
        protocol,
        label,
        next,
        possible,
        ref warn,
        plain_preview,
    } = *row;
    let warn = warn.as_deref();
    let lang = cx.lang;
    // Every button has the same stroke width (transparent unless the step is possible) and
    // the same height: a stroke adds to a button's size, and a button that grew would push
    // the ones below it.
    let stroke = if possible && !next {
        highlight(ui)
    } else {
        Color32::TRANSPARENT
    };
    let mut button = egui::Button::new(RichText::new(label).monospace().strong())
        .min_size(egui::vec2(112.0, ui.spacing().interact_size.y))
        .stroke(egui::Stroke::new(1.5, stroke));
    if next {
        button = button.fill(highlight(ui));
    }
    let enabled = cx.connected && cx.busy.is_none();
    let r = ui.add_enabled(enabled, button);
    let help = |ui: &mut egui::Ui| {
        ui.set_max_width(420.0);
        let imap = (protocol == "imap")
            .then(|| {
                crate::proto::imap::knowledge::command(label.strip_prefix("UID ").unwrap_or(label))
            })
            .flatten();
        match (codes::command_help(protocol, label), imap) {
            (Some(h), _) => {
                ui.strong(RichText::new(&h.syntax).monospace());
                ui.label(h.what.get(lang));
                ui.label(RichText::new(&h.rfc).weak());
            }
            (None, Some(h)) => {
                ui.strong(RichText::new(&h.syntax).monospace());
                ui.label(h.what.get(lang));
                ui.label(RichText::new(&h.rfc).weak());
            }
            (None, None) => {
                ui.strong(label);
            }
        }
        if next {
            ui.label(RichText::new(tr(lang, "commands.next")).strong());
        }
        if let Some(w) = warn {
            ui.colored_label(ui.visuals().warn_fg_color, format!("(!) {w}"));
        }
        if plain_preview {
            ui.separator();
            ui.label(tr(lang, "step.plain.preview"));
            let pass = if cx.show_secrets {
                panel.password.clone()
            } else {
                MASK.to_owned()
            };
            ui.monospace(format!("\\0{}\\0{pass}", panel.username));
        }
        if !cx.connected {
            ui.label(RichText::new(tr(lang, "commands.connect_first")).italics());
        }
    };
    let r = r.on_hover_ui(help).on_disabled_hover_ui(help);
    if cx.busy == Some(label) {
        // The spinner sits over the button's right edge, so the grid keeps its columns.
        let rect = egui::Rect::from_center_size(
            r.rect.right_center() - egui::vec2(10.0, 0.0),
            egui::vec2(12.0, 12.0),
        );
        ui.put(rect, egui::Spinner::new());
    }
    r.clicked()
}

impl View for CommandPanel {
    type Context<'a> = Context<'a>;

    fn ui(&mut self, ui: &mut egui::Ui, cx: &Self::Context<'_>) -> Option<Action> {
        // Button, argument field and warning mark share the width.
        self.arg_width = (ui.available_width() - 112.0 - 50.0).clamp(60.0, 220.0);
        ui.heading(tr(cx.lang, "commands.title"));
        self.credentials(ui, cx);
        ui.add_space(8.0);
        match cx.protocol {
            Protocol::Smtp => self.smtp_buttons(ui, cx),
            Protocol::Pop3 => self.pop3_buttons(ui, cx),
            Protocol::Imap => self.imap_buttons(ui, cx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_button_has_help_in_both_languages() {
        let smtp = SMTP_BUTTONS.iter().map(|k| ("smtp", k.label()));
        let pop3 = POP3_BUTTONS.iter().map(|k| ("pop3", k.label()));
        for (protocol, label) in smtp.chain(pop3) {
            let h = codes::command_help(protocol, label)
                .unwrap_or_else(|| panic!("no help for {protocol} {label}"));
            assert!(
                h.syntax.contains(label.split(' ').next().unwrap_or(label)),
                "{label}"
            );
            assert!(h.rfc.starts_with("RFC"), "{label}: {}", h.rfc);
            assert!(!h.what.en.is_empty() && !h.what.zh.is_empty(), "{label}");
        }
    }
}
