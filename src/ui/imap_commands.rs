//! The IMAP buttons: one per command, in the order a session uses them, each with its
//! arguments, its syntax and RFC on hover, and the tag the window gives it. The state and the
//! selected mailbox stand above them; the step the state expects next is highlighted, and a
//! command the state does not allow carries a (!) that says what the server will answer.

use egui::RichText;

use super::Action;
use super::commands::{CommandPanel, Context, highlight};
use super::i18n::{tr, trf};
use crate::proto::Lang;
use crate::proto::auth::{self, MASK};
use crate::proto::client::event::ImapView;
use crate::proto::imap::knowledge::{self, not_in_state_words, state_words};
use crate::proto::imap::{ImapCommand, ImapKind, ImapState, StoreMode};

/// What FETCH asks for: the items the lessons use.
pub const FETCH_ITEMS: [&str; 7] = [
    "FLAGS",
    "ENVELOPE",
    "BODY[HEADER]",
    "BODY[TEXT]",
    "BODY[]",
    "BODYSTRUCTURE",
    "RFC822.SIZE",
];

/// SEARCH's criteria: the first two alone, the others with the text field.
pub const SEARCH_KEYS: [&str; 4] = ["ALL", "UNSEEN", "FROM", "SUBJECT"];

/// The system flags STORE sets and clears.
pub const FLAGS: [&str; 3] = ["\\Seen", "\\Deleted", "\\Flagged"];

/// The IMAP buttons' argument fields, prefilled for the practice server.
pub struct ImapFields {
    pub mailbox: String,
    pub pattern: String,
    pub set: String,
    pub fetch_item: usize,
    pub search_key: usize,
    pub search_text: String,
    pub store_add: bool,
    pub flag: usize,
    pub target: String,
    /// The UID form of FETCH, SEARCH, STORE, COPY and MOVE.
    pub uid: bool,
}

impl Default for ImapFields {
    fn default() -> Self {
        Self {
            mailbox: "INBOX".into(),
            pattern: "*".into(),
            set: "1".into(),
            fetch_item: 2,
            search_key: 0,
            search_text: String::new(),
            store_add: true,
            flag: 0,
            target: "Trash".into(),
            uid: false,
        }
    }
}

/// The steps the state expects next, the first one most: STARTTLS where the server refuses
/// LOGIN in clear, LOGIN before anything else, SELECT once logged in, FETCH in a mailbox.
pub fn expected(view: &ImapView) -> Vec<ImapKind> {
    use ImapKind as B;
    if !view.greeted || !view.pending.is_empty() {
        return Vec::new();
    }
    match &view.state {
        ImapState::NotAuthenticated if view.login_disabled && !view.tls => {
            vec![B::StartTls, B::Capability]
        }
        ImapState::NotAuthenticated => vec![B::Login, B::AuthPlain, B::Capability],
        ImapState::Authenticated => vec![B::Select, B::List, B::Status, B::Examine, B::Logout],
        ImapState::Selected { .. } => vec![
            B::Fetch,
            B::Search,
            B::Store,
            B::Expunge,
            B::Idle,
            B::Close,
            B::Logout,
        ],
        ImapState::Logout => Vec::new(),
    }
}

/// What the server will answer a command sent now, when the session shows it will refuse it.
fn prediction(button: ImapKind, view: &ImapView, lang: Lang) -> Option<String> {
    let verb = button.verb();
    if !view.state.permits(verb) {
        return Some(format!(
            "BAD: {}",
            not_in_state_words(verb, &view.state, lang)
        ));
    }
    if button == ImapKind::Login && view.login_disabled && !view.tls {
        return Some(format!("NO: {}", tr(lang, "imap.predict_login_disabled")));
    }
    if button == ImapKind::StartTls && view.tls {
        return Some(format!("BAD: {}", tr(lang, "imap.tls_already")));
    }
    None
}

impl CommandPanel {
    /// The state, the mailbox, the IMAP buttons, and AUTHENTICATE's answer when the server
    /// asked for it.
    pub fn imap_buttons(&mut self, ui: &mut egui::Ui, cx: &Context<'_>) -> Option<Action> {
        let lang = cx.lang;
        let view = cx.imap;
        let mut action = None;
        if cx.connected {
            let mut state = state_words(&view.state, lang);
            if let Some(n) = view.exists {
                state.push_str(&trf(lang, "imap.exists", &[("count", &n.to_string())]));
            }
            ui.label(RichText::new(trf(lang, "imap.state_line", &[("state", &state)])).strong());
        }
        if cx.connected && view.auth_answer_due {
            let label = tr(lang, "imap.send_plain");
            let b = egui::Button::new(RichText::new(&label).strong()).fill(highlight(ui));
            if ui.add_enabled(cx.busy.is_none(), b).clicked() {
                action = Some(self.imap_plain_answer());
            }
        }
        if cx.connected && view.idling {
            let b =
                egui::Button::new(RichText::new("DONE").monospace().strong()).fill(highlight(ui));
            let r = ui
                .add_enabled(cx.busy.is_none(), b)
                .on_hover_text(knowledge::command("DONE").map_or("", |c| c.what.get(lang)));
            if r.clicked() {
                action = Some(Action::Imap("DONE", ImapCommand::Done));
            }
        }
        ui.checkbox(&mut self.imap.uid, tr(lang, "imap.uid_form"))
            .on_hover_text(tr(lang, "imap.uid_form.tip"));
        let expected = if cx.connected && !cx.exam {
            expected(view)
        } else {
            Vec::new()
        };
        ui.spacing_mut().item_spacing.y = 6.0;
        for button in ImapKind::ALL {
            let warn = prediction(button, view, lang)
                .filter(|_| cx.connected && !cx.exam)
                .map(|p| trf(lang, "commands.predict", &[("reply", &p)]));
            let label = crate::proto::imap::command::uid_verb(button.verb())
                .filter(|_| self.imap.uid)
                .unwrap_or(button.label());
            let row = super::commands::CommandRow {
                protocol: "imap",
                label,
                next: expected.first() == Some(&button),
                possible: cx.exam || expected.contains(&button),
                warn,
                plain_preview: button == ImapKind::AuthPlain,
            };
            if self.row(ui, cx, row, |p, ui| p.imap_args(ui, cx, button)) {
                action = Some(self.imap_action(button));
            }
        }
        action
    }

    fn imap_args(&mut self, ui: &mut egui::Ui, cx: &Context<'_>, button: ImapKind) {
        let lang = cx.lang;
        let w = self.arg_width();
        let f = &mut self.imap;
        let text = |ui: &mut egui::Ui, value: &mut String, hint: &str, width: f32| {
            ui.add(
                egui::TextEdit::singleline(value)
                    .hint_text(hint)
                    .desired_width(width),
            );
        };
        match button {
            ImapKind::Login => {
                let pass = if cx.show_secrets {
                    self.password.clone()
                } else {
                    MASK.to_owned()
                };
                // As wide as a field, so the (!) after it stays in view.
                let size = egui::vec2(w, ui.spacing().interact_size.y);
                ui.allocate_ui(size, |ui| {
                    ui.add(
                        egui::Label::new(
                            RichText::new(format!("{} {pass}", self.username)).monospace(),
                        )
                        .truncate(),
                    );
                });
            }
            ImapKind::List => text(ui, &mut f.pattern, &tr(lang, "arg.pattern"), w),
            ImapKind::Status | ImapKind::Select | ImapKind::Examine => {
                text(ui, &mut f.mailbox, &tr(lang, "arg.mailbox"), w)
            }
            ImapKind::Fetch => {
                text(ui, &mut f.set, &tr(lang, "arg.set"), 50.0);
                let name = tr(lang, "arg.fetch_items");
                choice(ui, &name, &mut f.fetch_item, &FETCH_ITEMS, w - 56.0);
            }
            ImapKind::Search => {
                let name = tr(lang, "arg.search_key");
                choice(ui, &name, &mut f.search_key, &SEARCH_KEYS, 90.0);
                if f.search_key >= 2 {
                    text(ui, &mut f.search_text, &tr(lang, "arg.search"), w - 96.0);
                }
            }
            ImapKind::Store => {
                text(ui, &mut f.set, &tr(lang, "arg.set"), 36.0);
                let mut sign = usize::from(!f.store_add);
                let name = tr(lang, "arg.store_mode");
                choice(ui, &name, &mut sign, &["+FLAGS", "-FLAGS"], 60.0);
                f.store_add = sign == 0;
                let name = tr(lang, "arg.flag");
                choice(ui, &name, &mut f.flag, &FLAGS, 60.0);
            }
            ImapKind::Copy | ImapKind::Move => {
                text(ui, &mut f.set, &tr(lang, "arg.set"), 50.0);
                text(ui, &mut f.target, &tr(lang, "arg.mailbox"), w - 56.0);
            }
            _ => {}
        }
    }

    /// The command a button sends, built from its argument fields.
    pub fn imap_action(&self, button: ImapKind) -> Action {
        use ImapKind as B;
        let f = &self.imap;
        let uid = f.uid && button.has_uid_form();
        let set = f.set.trim().to_owned();
        let cmd = match button {
            B::Capability => ImapCommand::Capability,
            B::Id => ImapCommand::Id(vec![
                ("name".to_owned(), "mailtutor".to_owned()),
                ("version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
            ]),
            B::StartTls => return Action::StartTls,
            B::Login => ImapCommand::Login {
                user: self.username.clone(),
                password: self.password.clone(),
            },
            B::AuthPlain => ImapCommand::AuthenticatePlain { initial: None },
            B::List => ImapCommand::List {
                reference: String::new(),
                pattern: f.pattern.clone(),
            },
            B::Status => ImapCommand::Status {
                mailbox: f.mailbox.clone(),
                items: ["MESSAGES", "RECENT", "UIDNEXT", "UNSEEN"]
                    .map(str::to_owned)
                    .to_vec(),
            },
            B::Select => ImapCommand::Select(f.mailbox.clone()),
            B::Examine => ImapCommand::Examine(f.mailbox.clone()),
            B::Fetch => ImapCommand::Fetch {
                set,
                items: FETCH_ITEMS[f.fetch_item.min(FETCH_ITEMS.len() - 1)].to_owned(),
                uid,
            },
            B::Search => {
                let key = SEARCH_KEYS[f.search_key.min(SEARCH_KEYS.len() - 1)];
                let criteria = if f.search_key >= 2 {
                    format!(
                        "{key} {}",
                        crate::proto::imap::command::quoted(&f.search_text)
                    )
                } else {
                    key.to_owned()
                };
                ImapCommand::Search { criteria, uid }
            }
            B::Store => ImapCommand::Store {
                set,
                mode: if f.store_add {
                    StoreMode::Add
                } else {
                    StoreMode::Remove
                },
                flags: vec![FLAGS[f.flag.min(FLAGS.len() - 1)].to_owned()],
                silent: false,
                uid,
            },
            B::Copy => ImapCommand::Copy {
                set,
                mailbox: f.target.clone(),
                uid,
            },
            B::Move => ImapCommand::Move {
                set,
                mailbox: f.target.clone(),
                uid,
            },
            B::Expunge => ImapCommand::Expunge,
            B::Close => ImapCommand::Close,
            B::Noop => ImapCommand::Noop,
            B::Idle => ImapCommand::Idle,
            B::Logout => ImapCommand::Logout,
        };
        match command_mistake(&cmd) {
            Some(why) => Action::Invalid(why),
            None => Action::Imap(cmd.verb(), cmd),
        }
    }

    /// AUTHENTICATE PLAIN's answer to the server's `+`: `\0user\0password` in base64.
    pub fn imap_plain_answer(&self) -> Action {
        Action::AuthAnswer {
            what: "AUTHENTICATE",
            base64: auth::plain_response(&self.username, &self.password),
            secret: true,
        }
    }
}

/// A message set or a field that cannot make a line: said before anything is sent.
fn command_mistake(cmd: &ImapCommand) -> Option<crate::words::Words> {
    let set = match cmd {
        ImapCommand::Fetch { set, .. }
        | ImapCommand::Store { set, .. }
        | ImapCommand::Copy { set, .. }
        | ImapCommand::Move { set, .. } => Some(set.as_str()),
        _ => None,
    };
    if let Some(set) = set {
        let valid = !set.is_empty()
            && set.split(',').all(|r| {
                r.split(':')
                    .all(|n| n == "*" || n.parse::<u32>().is_ok_and(|n| n > 0))
            });
        if !valid {
            return Some(crate::words::Words::new("imap.bad_set").arg("set", set));
        }
    }
    let line = cmd.wire("a1");
    if line[..line.len() - 2].contains(&b'\n') || line[..line.len() - 2].contains(&b'\r') {
        return Some(crate::words::Words::new("session.line_break"));
    }
    None
}

/// A small combo box over fixed choices, named `name` for screen readers and tests.
fn choice(ui: &mut egui::Ui, name: &str, chosen: &mut usize, items: &[&str], width: f32) {
    let shown = items.get(*chosen).copied().unwrap_or_default();
    egui::ComboBox::from_id_salt(name)
        .selected_text(RichText::new(shown).monospace())
        .width(width.max(60.0))
        .show_ui(ui, |ui| {
            for (i, item) in items.iter().enumerate() {
                ui.selectable_value(chosen, i, RichText::new(*item).monospace());
            }
        })
        .response
        .accessible_name(name)
        .on_hover_text(name);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_button_has_help_in_both_languages() {
        for b in ImapKind::ALL {
            let h = knowledge::command(b.verb()).unwrap_or_else(|| panic!("{}", b.verb()));
            assert!(h.syntax.contains(b.verb()), "{}", b.verb());
            assert!(h.rfc.starts_with("RFC"), "{}", b.verb());
            assert!(!h.what.en.is_empty() && !h.what.zh.is_empty());
        }
    }

    #[test]
    fn the_state_decides_the_next_step() {
        let mut v = ImapView {
            greeted: true,
            ..ImapView::default()
        };
        assert_eq!(expected(&v).first(), Some(&ImapKind::Login));
        v.login_disabled = true;
        assert_eq!(expected(&v).first(), Some(&ImapKind::StartTls));
        assert!(prediction(ImapKind::Login, &v, Lang::En).is_some_and(|p| p.starts_with("NO")));
        v.state = ImapState::Authenticated;
        assert_eq!(expected(&v).first(), Some(&ImapKind::Select));
        assert!(prediction(ImapKind::Fetch, &v, Lang::En).is_some_and(|p| p.starts_with("BAD")));
        v.pending.push(("a002".into(), "SELECT".into()));
        assert!(expected(&v).is_empty());
    }

    #[test]
    fn a_bad_message_set_is_refused_before_it_is_sent() {
        let mut p = CommandPanel::default();
        p.imap.set = "1,x".into();
        assert!(matches!(p.imap_action(ImapKind::Fetch), Action::Invalid(_)));
        p.imap.set = "2:*".into();
        p.imap.uid = true;
        assert!(matches!(
            p.imap_action(ImapKind::Fetch),
            Action::Imap("UID FETCH", ImapCommand::Fetch { uid: true, .. })
        ));
        // A line break in a field would end the line early: refused before anything is sent.
        p.imap.search_key = 3;
        p.imap.search_text = "a\r\nb".into();
        assert!(matches!(
            p.imap_action(ImapKind::Search),
            Action::Invalid(_)
        ));
        // A mailbox name is written in modified UTF-7, where a line break is base64.
        p.imap.mailbox = "a\r\nb".into();
        assert!(matches!(
            p.imap_action(ImapKind::Select),
            Action::Imap("SELECT", ImapCommand::Select(_))
        ));
    }
}
