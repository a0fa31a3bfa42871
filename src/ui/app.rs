//! The window's frame: it draws the [`Model`] top to bottom as it appears on screen (the
//! header, the connection bar, the command column, the transcript, the tools, the
//! explanation pane) and turns keys and clicks into [`Action`]s the model carries out.

use egui::{Key, Modifiers, RichText};

use super::base64_panel::Base64Context;
use super::connect_bar::Status;
use super::explain_pane::{self, ExplainContext};
use super::i18n::{tr, trf};
use super::lesson::LessonContext;
use super::model::{AppOptions, Model, Tab};
use super::theme::{self, Settings};
use super::{Action, View, install_cjk_font};
use crate::proto::{Lang, codes};

/// The window: the model, and what only drawing needs.
pub struct TutorApp {
    model: Model,
    /// The start time `--startup-probe` measures from, and whether a frame was drawn yet.
    probe: Option<(std::time::Instant, bool)>,
    /// The width of the header's buttons on the right, from the last frame.
    header_right: f32,
    pointer_zoom: theme::PointerZoom,
    /// The raw line box's id, from the last frame (a paste into it is read before it is drawn).
    raw_box_id: Option<egui::Id>,
}

/// Tests, benchmarks and demos read and drive the window through its model.
impl std::ops::Deref for TutorApp {
    type Target = Model;
    fn deref(&self) -> &Model {
        &self.model
    }
}

impl std::ops::DerefMut for TutorApp {
    fn deref_mut(&mut self) -> &mut Model {
        &mut self.model
    }
}

impl TutorApp {
    pub fn new(cc: &eframe::CreationContext<'_>, options: AppOptions) -> Self {
        let ctx = cc.egui_ctx.clone();
        install_cjk_font(&ctx);
        // Ctrl+= / Ctrl+- are handled here, so the zoom is also remembered.
        ctx.options_mut(|o| o.zoom_with_keyboard = false);
        let saved = cc
            .storage
            .and_then(|s| eframe::get_value::<Settings>(s, Settings::KEY));
        theme::install_text_sizes(&ctx);
        let probe = options.startup_probe.map(|t| (t, false));
        let model = Model::new(options, saved, ctx.clone());
        theme::apply(&ctx, model.settings());
        Self {
            model,
            probe,
            header_right: 0.0,
            pointer_zoom: theme::PointerZoom::default(),
            raw_box_id: None,
        }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    fn handle_keys(&mut self, ctx: &egui::Context) {
        let (zoom_in, zoom_out, reset, open, save) = ctx.input_mut(|i| {
            (
                i.consume_key(Modifiers::COMMAND, Key::Equals)
                    || i.consume_key(Modifiers::COMMAND, Key::Plus),
                i.consume_key(Modifiers::COMMAND, Key::Minus),
                i.consume_key(Modifiers::COMMAND, Key::Num0),
                i.consume_key(Modifiers::COMMAND, Key::O),
                i.consume_key(Modifiers::COMMAND, Key::S),
            )
        });
        let (find, help, send_raw) = ctx.input_mut(|i| {
            (
                i.consume_key(Modifiers::COMMAND, Key::F),
                i.consume_key(Modifiers::NONE, Key::F1),
                i.consume_key(Modifiers::COMMAND, Key::Enter),
            )
        });
        if find {
            self.model.view.toggle_find();
        }
        if help {
            self.model.reference.toggle();
        }
        if send_raw {
            self.model.send_raw();
        }
        if open {
            self.model.view.toggle_open_form();
        }
        if save {
            self.model.view.toggle_save_form();
        }
        if zoom_in {
            self.model.zoom_by(theme::ZOOM_STEP);
        }
        if zoom_out {
            self.model.zoom_by(-theme::ZOOM_STEP);
        }
        if reset {
            self.model.settings.zoom = 1.0;
        }
    }

    fn header(&mut self, ui: &mut egui::Ui) {
        let lang = self.model.lang();
        ui.horizontal(|ui| {
            ui.heading(RichText::new("mailtutor").strong());
            // The tagline takes what the buttons on the right leave (measured last frame), cut
            // with "…" rather than drawn under them when the window is zoomed.
            let room = (ui.available_width() - self.header_right - 12.0).max(0.0);
            ui.scope(|ui| {
                ui.set_max_width(room);
                ui.add(egui::Label::new(RichText::new(tr(lang, "app.tagline")).weak()).truncate());
            });
            let right = ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .button("A+")
                    .on_hover_text(tr(lang, "app.zoom_in"))
                    .clicked()
                {
                    self.model.zoom_by(theme::ZOOM_STEP);
                }
                ui.label(format!("{:.0}%", self.model.settings.zoom * 100.0));
                if ui
                    .button("A-")
                    .on_hover_text(tr(lang, "app.zoom_out"))
                    .clicked()
                {
                    self.model.zoom_by(-theme::ZOOM_STEP);
                }
                let theme_label = if self.model.settings.dark {
                    tr(lang, "app.light")
                } else {
                    tr(lang, "app.dark")
                };
                if ui.button(theme_label).clicked() {
                    self.model.settings.dark = !self.model.settings.dark;
                }
                ui.separator();
                ui.selectable_value(&mut self.model.settings.lang, Lang::Zh, tr(lang, "lang.zh"));
                ui.selectable_value(&mut self.model.settings.lang, Lang::En, tr(lang, "lang.en"));
                ui.separator();
                self.help_menu(ui, lang);
                ui.separator();
                ui.selectable_value(
                    &mut self.model.show_server_side,
                    true,
                    tr(lang, "side.server"),
                );
                ui.selectable_value(
                    &mut self.model.show_server_side,
                    false,
                    tr(lang, "side.client"),
                );
                ui.min_rect().width()
            });
            if (right.inner - self.header_right).abs() > 0.5 {
                self.header_right = right.inner;
                ui.ctx().request_repaint();
            }
        });
    }

    fn tools(&mut self, ui: &mut egui::Ui) {
        let lang = self.model.lang();
        // Wrapped, so the tabs never push the panel wider than its share (zoomed windows).
        ui.horizontal_wrapped(|ui| {
            // Lessons first: the way in for a new student, never wrapped out of view.
            ui.selectable_value(&mut self.model.tab, Tab::Lessons, tr(lang, "tab.lessons"));
            ui.selectable_value(&mut self.model.tab, Tab::Message, tr(lang, "tab.message"));
            ui.selectable_value(&mut self.model.tab, Tab::Base64, tr(lang, "tab.base64"));
            ui.selectable_value(&mut self.model.tab, Tab::Codes, tr(lang, "tab.codes"));
            ui.selectable_value(&mut self.model.tab, Tab::Server, tr(lang, "tab.server"));
        });
        ui.separator();
        if self.model.tab != Tab::Lessons {
            let vars = self.model.lesson_vars();
            if let Some(a) = self.model.lessons.current_ui(ui, lang, &vars) {
                self.model.perform(a);
            }
        }
        egui::ScrollArea::both()
            .id_salt("tools")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                self.tools_tab(ui, lang);
            });
    }

    /// The chosen tab's content, inside the panel's scroll area.
    fn tools_tab(&mut self, ui: &mut egui::Ui, lang: Lang) {
        match self.model.tab {
            Tab::Message => {
                self.model.composer.ui(ui, &lang);
            }
            Tab::Base64 => {
                let last = self.model.last_334();
                self.model.base64.ui(
                    ui,
                    &Base64Context {
                        lang,
                        show_secrets: self.model.show_secrets,
                        last_334: last.as_deref(),
                    },
                );
            }
            Tab::Codes => {
                let l = ui.label(tr(lang, "codes.lookup"));
                ui.add(
                    egui::TextEdit::singleline(&mut self.model.lookup)
                        .hint_text("535, 5.7.8, -ERR, IN-USE")
                        .desired_width(ui.available_width()),
                )
                .labelled_by(l.id);
                // A whole reply line (`235 #2.0.0 OK`) is explained code by code.
                let input = self.model.lookup.replace(',', " ");
                if !input.trim().is_empty() {
                    ui.separator();
                    ui.label(codes::explain_token(&input, lang));
                }
            }
            Tab::Server => {
                if ui.button(tr(lang, "side.open")).clicked() {
                    self.model.show_server_side = true;
                }
                self.model.server.ui(ui, lang);
            }
            Tab::Lessons => {
                let vars = self.model.lesson_vars();
                let cx = LessonContext {
                    lang,
                    marks: &self.model.settings.lessons,
                    vars: &vars,
                };
                if let Some(a) = self.model.lessons.ui(ui, &cx) {
                    self.model.perform(a);
                }
            }
        }
    }

    /// The Help menu: the code reference and every keyboard shortcut.
    fn help_menu(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.menu_button(tr(lang, "help.menu"), |ui| {
            ui.label(RichText::new(tr(lang, "help.start")).strong());
            for step in [
                "help.start.1",
                "help.start.2",
                "help.start.3",
                "help.start.4",
            ] {
                ui.label(tr(lang, step));
            }
            if ui.button(tr(lang, "help.start.lesson")).clicked() {
                self.model.perform(Action::StartLesson("send".into()));
                ui.close();
            }
            ui.separator();
            if ui
                .add(egui::Button::new(tr(lang, "ref.title")).shortcut_text("F1"))
                .clicked()
            {
                self.model.reference.toggle();
                ui.close();
            }
            ui.separator();
            ui.label(RichText::new(tr(lang, "help.keys")).strong());
            egui::Grid::new("shortcuts").num_columns(2).show(ui, |ui| {
                for (keys, what) in [
                    ("Ctrl+Enter", "help.key.send_raw"),
                    ("Ctrl+S", "help.key.save"),
                    ("Ctrl+O", "help.key.open"),
                    ("Ctrl+F", "help.key.find"),
                    ("F1", "help.key.reference"),
                    ("Ctrl+= / Ctrl+-", "help.key.zoom"),
                    ("Ctrl+0", "help.key.zoom_reset"),
                ] {
                    ui.monospace(keys);
                    ui.label(tr(lang, what));
                    ui.end_row();
                }
            });
        });
    }

    fn raw_box(&mut self, ui: &mut egui::Ui) {
        let lang = self.model.lang();
        let open = self.model.link.is_open();
        let idle = self.model.link.busy().is_none();
        // A paste of several lines is sent line by line; a one-line box would join them.
        if open
            && let Some(id) = self.raw_box_id
            && ui.memory(|m| m.has_focus(id))
        {
            let mut pasted = None;
            ui.input_mut(|i| {
                i.events.retain(|e| match e {
                    egui::Event::Paste(t) if t.contains('\n') => {
                        pasted = Some(t.clone());
                        false
                    }
                    _ => true,
                });
            });
            if let Some(text) = pasted {
                self.model.paste_lines(&text);
            }
        }
        ui.horizontal(|ui| {
            let l = ui.label(tr(lang, "raw.label"));
            let r = ui
                .add_enabled(
                    open,
                    egui::TextEdit::singleline(&mut self.model.raw)
                        .font(egui::TextStyle::Monospace)
                        .hint_text(tr(lang, "raw.hint"))
                        .desired_width(ui.available_width() - 110.0),
                )
                .labelled_by(l.id);
            self.raw_box_id = Some(r.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            let clicked = ui
                .add_enabled(open && idle, egui::Button::new(tr(lang, "raw.send")))
                .clicked();
            if (enter || clicked) && idle && open {
                self.model.send_raw();
                r.request_focus();
            }
        });
    }

    /// Asks before a lesson start or an opened file clears lines that were not saved.
    fn confirm_clear_ui(&mut self, ctx: &egui::Context, lang: Lang) {
        let key = match &self.model.confirm_clear {
            None => return,
            Some(super::model::Clearing::Lesson(_)) => "clear.lesson",
            Some(super::model::Clearing::Opened(_)) => "clear.open",
        };
        let n = self.model.unsaved_lines().unwrap_or_default().to_string();
        let text = trf(lang, key, &[("n", &n)]);
        if let Some(yes) = confirm(
            ctx,
            "clear-transcript",
            lang,
            "clear.title",
            &text,
            "clear.go",
        ) {
            self.perform(Action::ConfirmClear(yes));
        }
    }

    fn confirm_plaintext_ui(&mut self, ctx: &egui::Context, lang: Lang) {
        if self.model.confirm_plaintext.is_none() {
            return;
        }
        let peer = self
            .model
            .link
            .peer
            .map(|p| p.to_string())
            .unwrap_or_default();
        let text = trf(lang, "plain_auth.text", &[("peer", &peer)]);
        let asked = confirm(
            ctx,
            "plaintext-auth",
            lang,
            "plain_auth.title",
            &text,
            "plain_auth.send",
        );
        if let Some(yes) = asked {
            self.perform(Action::ConfirmPlaintext(yes));
        }
    }
}

/// A question in a modal dialog: Cancel, or the button `go` names. `Some(true)` when the user
/// goes on, `Some(false)` on Cancel, Escape or a click beside the dialog, as in any desktop
/// dialog; `None` while it is open.
fn confirm(
    ctx: &egui::Context,
    id: &str,
    lang: Lang,
    title: &str,
    text: &str,
    go: &str,
) -> Option<bool> {
    let mut choice = None;
    let modal = egui::Modal::new(egui::Id::unique(id)).show(ctx, |ui| {
        ui.set_max_width(520.0);
        ui.heading(tr(lang, title));
        ui.label(text);
        ui.horizontal(|ui| {
            if ui.button(tr(lang, "plain_auth.cancel")).clicked() {
                choice = Some(false);
            }
            if ui.button(tr(lang, go)).clicked() {
                choice = Some(true);
            }
        });
    });
    choice.or_else(|| modal.should_close().then_some(false))
}

impl eframe::App for TutorApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        // The frame before this one has been painted: that is the first one the user sees.
        if let Some((start, true)) = self.probe {
            self.probe = None;
            println!(
                "first frame painted after {} ms",
                start.elapsed().as_millis()
            );
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        self.model.poll();
        self.handle_keys(ctx);
        theme::apply(ctx, &self.model.settings);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if let Some((_, drawn)) = &mut self.probe {
            *drawn = true;
            ui.ctx().request_repaint();
        }
        // A file dropped anywhere on the window is attached in the composer, which then shows;
        // it is read like a chosen one, on a job thread.
        for f in ui.ctx().input(|i| i.raw.dropped_files.clone()) {
            self.model.perform(Action::Attach(f.path().to_path_buf()));
        }
        let lang = self.model.lang();
        self.confirm_plaintext_ui(ui.ctx(), lang);
        self.confirm_clear_ui(ui.ctx(), lang);
        self.model.reference.show(ui.ctx(), lang);
        // Exam mode counts only while a lesson runs.
        let exam = self.model.lessons.exam && self.model.lessons.active.is_some();
        egui::Panel::top("header").show(ui, |ui| self.header(ui));
        if self.model.show_server_side {
            let asked = egui::CentralPanel::default()
                .show(ui, |ui| {
                    self.model
                        .server_side
                        .ui(ui, lang, &self.model.server, &self.model.data_dir)
                })
                .inner;
            if let Some(a) = asked {
                self.model.perform(a);
            }
            return;
        }
        let practice_state = self.model.server.state();
        let status = Status {
            connected: self.model.link.is_open(),
            connecting: self.model.link.is_connecting(),
            peer: self.model.link.peer,
            tls: self.model.link.tls.as_ref(),
            untrusted: self.model.link.untrusted.as_deref(),
        };
        let bar_action = egui::Panel::top("connect")
            .show(ui, |ui| {
                self.model.bar.ui(ui, lang, practice_state, &status)
            })
            .inner;
        if let Some(a) = bar_action {
            self.model.perform(a);
        }
        self.model.retrieved.update(&self.model.link.transcript);
        let cx = Model::command_context(
            lang,
            self.model.show_secrets,
            exam,
            &self.model.link,
            &self.model.bar,
        );
        let next = self.model.next();
        // Tall enough for a refused login's whole explanation at 1280x800; what does not fit
        // scrolls, with a bar in view.
        let next_action = egui::Panel::bottom("explain")
            .default_size(215.0)
            .min_size(90.0)
            .show(ui, |ui| {
                ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
                explain_pane::ui(
                    ui,
                    &ExplainContext {
                        lang,
                        protocol: self.model.protocol(),
                        transcript: &self.model.link.transcript,
                        retrieved: self.model.retrieved.get(),
                        last_error: self.model.link.last_error.as_ref(),
                        next,
                        shown: self.model.shown_reply,
                    },
                )
            })
            .inner;
        // Side panels take a fixed share of the width, so a zoomed (projector) window keeps
        // room for the transcript.
        let width = ui.available_width();
        let action = egui::Panel::left("commands")
            .exact_size((width * 0.28).clamp(230.0, 400.0))
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("commands-scroll")
                    .auto_shrink([false, false])
                    .show(ui, |ui| self.model.commands.ui(ui, &cx))
                    .inner
            })
            .inner;
        if let Some(a) = action.or(next_action) {
            self.model.perform(a);
        }
        egui::Panel::right("tools")
            .exact_size((width * 0.26).clamp(220.0, 400.0))
            .show(ui, |ui| self.tools(ui));
        egui::Panel::bottom("raw").show(ui, |ui| self.raw_box(ui));
        // The step card (a 334 to answer, a message to send) sits above the raw line box, in
        // the transcript's column: it covers no row, and no command button moves when it
        // comes or goes. A lesson step that asks the student to make the line has none.
        let cx = Model::command_context(
            lang,
            self.model.show_secrets,
            exam,
            &self.model.link,
            &self.model.bar,
        );
        let card = if cx.step_card_due() && !self.model.lesson_step_is_typed() {
            let commands = &mut self.model.commands;
            egui::Panel::bottom("step-card")
                .show(ui, |ui| commands.step_card(ui, &cx))
                .inner
        } else {
            None
        };
        if let Some(a) = card {
            self.model.perform(a);
        }
        self.model.view.shown_reply = self.model.shown_reply;
        let central = egui::CentralPanel::default().show(ui, |ui| {
            self.model.view.ui(
                ui,
                &self.model.link.transcript,
                lang,
                &mut self.model.show_secrets,
            )
        });
        let view_action = central.inner;
        self.model.take_opened();
        if let Some(a) = view_action {
            self.model.perform(a);
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        self.model.close();
    }

    fn raw_input_hook(&mut self, ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        self.pointer_zoom
            .fix(ctx.zoom_factor(), &mut raw_input.events);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if !self.model.demo_playing() {
            eframe::set_value(storage, Settings::KEY, self.model.settings());
        }
    }
}
