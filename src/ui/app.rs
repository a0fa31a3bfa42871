//! The window as a whole: settings, the in-process practice server, the connection, and the
//! panels, drawn top to bottom as they appear on screen.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use egui::{Key, Modifiers, RichText};

use super::base64_panel::Base64Context;
use super::base64_panel::Base64Panel;
use super::commands::{self, CommandPanel};
use super::composer::Composer;
use super::connect_bar::{ConnectBar, Status};
use super::demo::Demo;
use super::explain_pane::{self, ExplainContext};
use super::i18n::{self, tr, trf};
use super::lesson::LessonContext;
use super::lesson::{LessonPanel, Mark};
use super::link::Link;
use super::practice::{Practice, PracticeServer, Setup};
use super::server_side::ServerSide;
use super::theme::{self, Settings};
use super::transcript_view::{TranscriptView, challenge};
use super::{Action, View, install_cjk_font};

use crate::proto::{Lang, codes};
use crate::server::{self, RunningServer};
use crate::session::{ConnectOptions, Protocol, Trust};
use crate::transcript::{Direction, Transcript};

mod lessons;

/// How the window starts.
#[derive(Debug, Clone, Default)]
pub struct AppOptions {
    /// Where the practice server keeps its Maildirs (default: the platform's data directory).
    pub data_dir: Option<PathBuf>,
    /// Settings to use instead of the saved ones (tests).
    pub settings: Option<Settings>,
    /// A scripted session to play (`--demo`), for screenshots and classroom demos.
    pub demo: Option<String>,
    /// How long a command waits for its reply (default: [`ConnectOptions::new`]'s).
    pub reply_timeout: Option<std::time::Duration>,
    /// Certificate authorities (DER) to trust besides the system's, such as a school's own.
    pub roots: Vec<Vec<u8>>,
    /// `--startup-probe`: when the process started; the window prints the milliseconds to its
    /// first painted frame and closes.
    pub startup_probe: Option<std::time::Instant>,
}

/// The tabs of the right-hand panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Message,
    Base64,
    Codes,
    Server,
    Lessons,
}

pub struct TutorApp {
    settings: Settings,
    server: PracticeServer,
    /// The server's side (mailbox, log, faults), and whether it fills the window.
    pub server_side: ServerSide,
    pub show_server_side: bool,
    /// The start time `--startup-probe` measures from, and whether a frame was drawn yet.
    probe: Option<(std::time::Instant, bool)>,
    /// The newest retrieved message, decoded once for the explanation pane.
    retrieved: super::explain_pane::RetrievedCache,
    /// The code reference window (F1).
    pub reference: super::reference::ReferenceWindow,
    link: Link,
    bar: ConnectBar,
    commands: CommandPanel,
    view: TranscriptView,
    base64: Base64Panel,
    composer: Composer,
    pub tab: Tab,
    pub show_secrets: bool,
    raw: String,
    /// The reply code typed in the Codes tab.
    lookup: String,
    /// Certificates the user chose to trust for this run (never saved).
    trusted: Vec<String>,
    /// A click that would send a password in clear to another machine, until the user confirms
    /// or cancels it; and whether the user already confirmed for this connection.
    confirm_plaintext: Option<Action>,
    plaintext_ok: bool,
    /// Extra trusted authorities and the reply timeout, from [`AppOptions`].
    roots: Vec<Vec<u8>>,
    reply_timeout: Option<std::time::Duration>,
    was_in_data: bool,
    demo: Option<Demo>,
    /// The scratch Maildir of a demo, removed when the window closes.
    demo_dir: Option<PathBuf>,
    /// Where the practice server keeps its Maildirs.
    data_dir: PathBuf,
    /// The practice server's policy when no lesson changes it.
    policy: server::Policy,
    lessons: LessonPanel,
    /// Actions a lesson's "Show me" still has to play, one as soon as the last is answered.
    queued: VecDeque<Action>,
    /// A lesson's mail being put in the maildrop of the running practice server.
    lesson_mail: Option<poll_promise::Promise<Result<(), crate::words::Words>>>,
    /// The width of the header's buttons on the right, from the last frame.
    header_right: f32,
    pointer_zoom: theme::PointerZoom,
    ctx: egui::Context,
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
        // Nothing saved yet: the first start, which opens lesson 1.
        let first_start = options.settings.is_none() && saved.is_none() && options.demo.is_none();
        let settings = match (options.settings, saved) {
            (Some(s), _) => s,
            (None, Some(s)) => s,
            (None, None) => Settings {
                lang: i18n::system_lang(),
                ..Settings::default()
            },
        }
        .sanitized();
        theme::install_text_sizes(&ctx);
        theme::apply(&ctx, &settings);
        let demo = options.demo.as_deref().map(Demo::new);
        let data_dir = match (&options.data_dir, &demo) {
            (Some(d), _) => d.clone(),
            (None, Some(_)) => {
                std::env::temp_dir().join(format!("mailtutor-demo-{}", std::process::id()))
            }
            (None, None) => server::default_data_dir(),
        };
        let demo_dir = (options.data_dir.is_none() && demo.is_some()).then(|| data_dir.clone());
        let policy = demo.as_ref().map(Demo::policy).unwrap_or_default();
        let server_side = ServerSide::default();
        let setup = Setup {
            data_dir: data_dir.clone(),
            events: server_side.sink(&ctx),
            class: None,
        };
        let server = PracticeServer::start(setup, policy.clone(), &ctx);
        let composer = Composer::in_language(settings.lang);
        let mut commands = CommandPanel::default();
        commands.username = settings.username.clone();
        let bar = ConnectBar::new(&settings);
        if !bar.is_practice() {
            commands.password.clear();
        }
        let mut app = Self {
            bar,
            commands,
            settings,
            server,
            server_side,
            show_server_side: false,
            reference: Default::default(),
            retrieved: Default::default(),
            probe: options.startup_probe.map(|t| (t, false)),
            link: Link::default(),
            view: TranscriptView::default(),
            base64: Base64Panel::default(),
            composer,
            tab: Tab::Message,
            show_secrets: false,
            raw: String::new(),
            lookup: "535".into(),
            trusted: Vec::new(),
            confirm_plaintext: None,
            plaintext_ok: false,
            roots: options.roots,
            reply_timeout: options.reply_timeout,
            was_in_data: false,
            demo,
            demo_dir,
            data_dir,
            policy,
            lessons: LessonPanel::default(),
            queued: VecDeque::new(),
            lesson_mail: None,
            header_right: 0.0,
            pointer_zoom: theme::PointerZoom::default(),
            ctx,
        };
        if first_start {
            app.start_lesson(0);
        }
        app
    }

    /// How the window's practice server starts: its data, its event sink, and the class's
    /// LAN address when the teacher opened it to the class.
    fn server_setup(&self) -> Setup {
        Setup {
            data_dir: self.data_dir.clone(),
            events: self.server_side.sink(&self.ctx),
            class: self.server_side.class.serving,
        }
    }

    pub fn lang(&self) -> Lang {
        self.settings.lang
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn transcript(&self) -> &Transcript {
        &self.link.transcript
    }

    /// The running practice server, once it is up.
    pub fn server(&self) -> Option<&RunningServer> {
        self.server.running()
    }

    pub fn is_connected(&self) -> bool {
        self.link.is_open()
    }

    /// Whether a connect or a request is waiting for the network.
    pub fn is_busy(&self) -> bool {
        self.link.busy().is_some()
    }

    /// The step "Next" names, in words: the running lesson's, else the protocol's.
    pub fn next_step(&self) -> String {
        self.next().map(|n| n.text).unwrap_or_default()
    }

    /// What "Next" says and does: the running lesson's step (its "Show me", unless the step
    /// asks the student to make the line), else the step the protocol expects. None in exam
    /// mode.
    pub fn next(&self) -> Option<explain_pane::NextStep> {
        if self.lessons.exam && self.lessons.active.is_some() {
            return None;
        }
        // A finished lesson leaves Next to the protocol, and so does a step the newest reply
        // set back where the step's own line is not what the protocol takes now (after a 535
        // the password alone is no answer): the protocol knows how to recover.
        let newest = self.link.transcript.last_server().map(|(i, _)| i);
        let vars = self.lesson_vars();
        if let Some(a) = &self.lessons.active
            && let Some(lesson) = self.lessons.lessons.get(a.index)
            && let Some(i) = a.progress.current()
            && let Some(step) = lesson.steps.get(i)
        {
            let set_back = a
                .progress
                .setbacks
                .iter()
                .any(|s| s.step == i && Some(s.entry) == newest);
            let mends = step
                .show_me
                .first()
                .and_then(|spec| super::lesson::show_me_action(spec, &vars))
                .is_some_and(|act| self.protocol_expects(&act));
            if set_back && !mends {
                return explain_pane::NextStep::from_protocol(
                    &self.link.transcript,
                    self.protocol(),
                    self.lang(),
                );
            }
            return Some(explain_pane::NextStep {
                text: crate::lesson::fill(step.task.get(self.lang()), &vars),
                action: (!step.check.typed && !step.show_me.is_empty())
                    .then_some(Action::LessonShowMe),
                also: Vec::new(),
            });
        }
        explain_pane::NextStep::from_protocol(&self.link.transcript, self.protocol(), self.lang())
    }

    /// Whether the protocol's state machine expects the line this action sends now.
    fn protocol_expects(&self, action: &Action) -> bool {
        use crate::proto::pop3_state::Pop3Step;
        use crate::proto::smtp_state::Step;
        let t = &self.link.transcript;
        match self.protocol() {
            Protocol::Smtp => t.smtp().expected_next().iter().any(|s| {
                matches!(
                    (s, action),
                    (Step::Connect, Action::Connect)
                        | (Step::SendMessage, Action::SendMessage)
                        | (
                            Step::SendUsername | Step::SendPassword | Step::SendPlainResponse,
                            Action::Raw(_) | Action::Answer(_)
                        )
                ) || matches!((s, action), (Step::Command(k), Action::SmtpButton(b)) if k == b)
            }),
            Protocol::Pop3 => t.pop3().expected_next().iter().any(|s| {
                matches!((s, action), (Pop3Step::Connect, Action::Connect))
                    || matches!((s, action), (Pop3Step::Command(k), Action::Pop3Button(b)) if k == b)
            }),
        }
    }

    /// What the command panel and the step card read to draw themselves. It borrows only the
    /// link and the bar, so the command panel can be drawn mutably beside it.
    fn command_context<'a>(
        lang: Lang,
        show_secrets: bool,
        exam: bool,
        link: &'a Link,
        bar: &'a ConnectBar,
    ) -> commands::Context<'a> {
        commands::Context {
            exam,
            lang,
            show_secrets,
            connected: link.is_open(),
            busy: link.busy(),
            protocol: link.protocol().unwrap_or(bar.protocol),
            smtp: link.transcript.smtp(),
            pop3: link.transcript.pop3(),
            app_password: bar.preset().app_password,
        }
    }

    pub fn protocol(&self) -> Protocol {
        self.link.protocol().unwrap_or(self.bar.protocol)
    }

    pub fn base64_panel(&self) -> &Base64Panel {
        &self.base64
    }

    /// Folds an event as if the network thread had reported it (tests and benchmarks).
    pub fn replay(&mut self, event: &crate::session::Event) {
        self.link.transcript.apply(event);
    }

    /// Shows a transcript as if it had been opened from a file (tests and benchmarks).
    pub fn show_transcript(&mut self, t: Transcript) {
        self.link.show_transcript(t);
    }

    /// Replaces the message text in the composer (tests and demos that need a long message).
    pub fn set_message_body(&mut self, body: &str) {
        self.composer.body = body.to_owned();
    }

    /// The transcript entries the find bar matched (tests).
    pub fn view_find_hits(&self) -> Vec<usize> {
        self.view.find.hits.clone()
    }

    pub fn transcript_rows(&self) -> usize {
        self.view.row_count()
    }

    /// The challenge text of the newest 334, for the base64 panel.
    fn last_334(&self) -> Option<String> {
        self.link
            .transcript
            .entries()
            .iter()
            .rev()
            .filter(|e| e.dir == Direction::Server)
            .find_map(challenge)
    }

    fn practice(&self) -> Option<&Practice> {
        self.server.practice()
    }

    /// True while a confirmation to send a password in clear is on screen.
    pub fn asks_to_confirm_plaintext(&self) -> bool {
        self.confirm_plaintext.is_some()
    }

    /// Whether `action` sends a password (or an AUTH PLAIN response) over the wire.
    fn sends_secret(&self, action: &Action) -> bool {
        match action {
            Action::Smtp(_, cmd) => cmd.carries_secret(),
            Action::Pop3(_, cmd) => cmd.carries_secret(),
            Action::AuthAnswer { secret, .. } => *secret,
            Action::Raw(line) => self.link.transcript.is_secret_line(line),
            _ => false,
        }
    }

    /// Carries out a click.
    pub fn perform(&mut self, action: Action) {
        if !self.plaintext_ok
            && self.sends_secret(&action)
            && plaintext_risk(self.link.peer, self.link.tls.is_some())
        {
            // Base64 is not encryption: say so before a password crosses the network in clear.
            self.confirm_plaintext = Some(action);
            return;
        }
        let protocol = self.protocol();
        let link = &mut self.link;
        match action {
            Action::Smtp(what, cmd) => link.smtp(what, &cmd),
            Action::Pop3(what, cmd) => link.pop3(what, &cmd),
            Action::StartTls => {
                let what = match protocol {
                    Protocol::Smtp => "STARTTLS",
                    Protocol::Pop3 => "STLS",
                };
                link.starttls(what);
            }
            Action::AuthAnswer {
                what,
                base64,
                secret,
            } => link.auth_line(what, &base64, secret),
            Action::SendMessage => {
                self.composer.date_now();
                match self.composer.payload() {
                    Ok(p) => {
                        link.data("step.send_message", p);
                        // The next message gets its own Message-ID and date.
                        self.composer.sent();
                    }
                    Err(e) => self.invalid(e.words()),
                }
            }
            Action::Raw(line) => link.raw_line(&line),
            Action::Invalid(e) => self.invalid(e),
            Action::SmtpButton(kind) => {
                let a = self.commands.smtp_action(kind);
                self.perform(a);
            }
            Action::Pop3Button(kind) => {
                let a = self.commands.pop3_action(kind);
                self.perform(a);
            }
            Action::Answer(kind) => {
                let a = self.commands.auth_answer(kind);
                self.perform(a);
            }
            Action::Connect => self.connect(),
            Action::Disconnect => self.disconnect(),
            Action::TrustAndConnect => {
                if let Some(fp) = self.link.untrusted.take() {
                    self.trusted.push(fp);
                }
                self.connect();
            }
            Action::PresetChanged => {
                if self.bar.is_practice() {
                    self.commands = CommandPanel::default();
                } else {
                    self.commands.password.clear();
                }
            }
            Action::LoadBase64(b) => {
                self.base64.load(&b);
                self.tab = Tab::Base64;
            }
            Action::ShowCode(code) => self.reference.open_at(&code),
            Action::RestartForClass => self.restart_for_class(),
            Action::ClassAccountsAdded => {
                let accounts = self.server_side.class.roster.accounts();
                if !self.server.add_accounts(accounts) {
                    self.restart_for_class();
                }
            }
            Action::ClearTranscript => self.link.clear(),
            Action::ShowTab(tab) => self.tab = tab,
            Action::CreateAccounts(names) => {
                if let Some(s) = self.server.running() {
                    let taken = s.accounts().iter().map(|a| a.address.clone()).collect();
                    let names = crate::server::roster::parse_names(&names);
                    self.server_side
                        .class
                        .create(names, &self.data_dir, taken, &self.ctx);
                }
            }
            Action::OpenNewestMail => {
                if let Some(s) = self.server.running() {
                    self.server_side.mailbox.open_newest(s.store(), &self.ctx);
                }
            }
            Action::StageFault(f) => {
                if let Some(s) = self.server.running() {
                    s.faults().stage(f);
                }
            }
            Action::RequireAuth(on) => {
                if let Some(s) = self.server.running() {
                    let mut p = s.policy().get();
                    p.require_auth = on;
                    s.policy().set(p);
                }
            }
            Action::ShowServerSide(tab) => {
                self.show_server_side = tab.is_some();
                if let Some(tab) = tab {
                    self.server_side.tab = tab;
                }
            }
            Action::LoadLast334 => {
                if let Some(c) = self.last_334() {
                    self.base64.load(&c);
                }
            }
            Action::PinTooltip(code) => {
                self.view.pinned_tooltip = self
                    .link
                    .transcript
                    .entries()
                    .iter()
                    .rposition(|e| e.code() == Some(code));
            }
            Action::SetLang(lang) => self.settings.lang = lang,
            Action::SetLook { zoom, dark } => {
                self.settings.zoom = zoom.clamp(theme::MIN_ZOOM, theme::MAX_ZOOM);
                self.settings.dark = dark;
            }
            Action::SetProtocol(protocol) => {
                if !self.link.is_open() {
                    self.bar.protocol = protocol;
                }
            }
            Action::SetUsername(u) => self.commands.username = u,
            Action::SetPassword(p) => self.commands.password = p,
            Action::SetSubject(s) => self.composer.subject = s,
            Action::StartLesson(id) => {
                if let Some(i) = self.lessons.lessons.iter().position(|l| l.id == id) {
                    self.start_lesson(i);
                }
            }
            Action::LeaveLesson => self.stop_lesson(),
            Action::LessonShowMe => {
                let actions = self.lessons.show_me(&self.lesson_vars());
                self.queued.extend(actions);
            }
            Action::LessonHint => self.lessons.open_hint(),
            Action::SetExam(on) => self.lessons.exam = on,
            Action::SaveLessonResult(path) => self.save_lesson_result(path),
        }
    }

    fn invalid(&mut self, e: crate::words::Words) {
        use crate::session::{Event, EventKind};
        self.link
            .transcript
            .apply(&Event::now(EventKind::Error(e.clone())));
        self.link.last_error = Some(e);
    }

    pub fn connect(&mut self) {
        self.plaintext_ok = false;
        self.confirm_plaintext = None;
        let target = match self.bar.target(self.practice()) {
            Ok(t) => t,
            Err(e) => return self.invalid(e),
        };
        let mut options = ConnectOptions::new(self.bar.protocol);
        let ctx = self.ctx.clone();
        options.repaint = Some(Arc::new(move || ctx.request_repaint()));
        options.ehlo_name = self.commands.domain.trim().to_owned();
        if options.ehlo_name.is_empty() {
            options.ehlo_name = "localhost".into();
        }
        let mut pinned = self.trusted.clone();
        if self.bar.is_practice()
            && let Some(p) = self.practice()
        {
            pinned.push(p.fingerprint.clone());
        }
        options.trust = Trust {
            pinned,
            roots: self.roots.clone(),
        };
        if let Some(t) = self.reply_timeout {
            options.reply_timeout = t;
        }
        self.link.connect(target, self.bar.security, options);
    }

    /// Starts the practice server again on the class's address, keeping the policy and
    /// persona chosen on the running one. A connection to the old one is closed.
    pub fn restart_for_class(&mut self) {
        self.link.disconnect();
        let policy = self
            .server
            .running()
            .map(|s| s.policy().get())
            .unwrap_or_else(|| self.policy.clone());
        self.server.restart(
            self.server_setup(),
            Box::new(move |c| c.policy = policy),
            Box::new(|_| Ok(())),
            &self.ctx,
        );
    }

    pub fn disconnect(&mut self) {
        self.link.disconnect();
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
            self.view.toggle_find();
        }
        if help {
            self.reference.toggle();
        }
        if send_raw {
            self.send_raw();
        }
        if open {
            self.view.toggle_open_form();
        }
        if save {
            self.view.toggle_save_form();
        }
        if zoom_in {
            self.zoom_by(theme::ZOOM_STEP);
        }
        if zoom_out {
            self.zoom_by(-theme::ZOOM_STEP);
        }
        if reset {
            self.settings.zoom = 1.0;
        }
    }

    pub fn zoom_by(&mut self, step: f32) {
        let z = ((self.settings.zoom + step) * 10.0).round() / 10.0;
        self.settings.zoom = z.clamp(theme::MIN_ZOOM, theme::MAX_ZOOM);
    }

    fn header(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang();
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
                    self.zoom_by(theme::ZOOM_STEP);
                }
                ui.label(format!("{:.0}%", self.settings.zoom * 100.0));
                if ui
                    .button("A-")
                    .on_hover_text(tr(lang, "app.zoom_out"))
                    .clicked()
                {
                    self.zoom_by(-theme::ZOOM_STEP);
                }
                let theme_label = if self.settings.dark {
                    tr(lang, "app.light")
                } else {
                    tr(lang, "app.dark")
                };
                if ui.button(theme_label).clicked() {
                    self.settings.dark = !self.settings.dark;
                }
                ui.separator();
                ui.selectable_value(&mut self.settings.lang, Lang::Zh, tr(lang, "lang.zh"));
                ui.selectable_value(&mut self.settings.lang, Lang::En, tr(lang, "lang.en"));
                ui.separator();
                self.help_menu(ui, lang);
                ui.separator();
                ui.selectable_value(&mut self.show_server_side, true, tr(lang, "side.server"));
                ui.selectable_value(&mut self.show_server_side, false, tr(lang, "side.client"));
                ui.min_rect().width()
            });
            if (right.inner - self.header_right).abs() > 0.5 {
                self.header_right = right.inner;
                ui.ctx().request_repaint();
            }
        });
    }

    fn tools(&mut self, ui: &mut egui::Ui) {
        let lang = self.lang();
        // Wrapped, so the tabs never push the panel wider than its share (zoomed windows).
        ui.horizontal_wrapped(|ui| {
            // Lessons first: the way in for a new student, never wrapped out of view.
            ui.selectable_value(&mut self.tab, Tab::Lessons, tr(lang, "tab.lessons"));
            ui.selectable_value(&mut self.tab, Tab::Message, tr(lang, "tab.message"));
            ui.selectable_value(&mut self.tab, Tab::Base64, tr(lang, "tab.base64"));
            ui.selectable_value(&mut self.tab, Tab::Codes, tr(lang, "tab.codes"));
            ui.selectable_value(&mut self.tab, Tab::Server, tr(lang, "tab.server"));
        });
        ui.separator();
        if self.tab != Tab::Lessons {
            let vars = self.lesson_vars();
            if let Some(a) = self.lessons.current_ui(ui, lang, &vars) {
                self.perform(a);
            }
        }
        egui::ScrollArea::both()
            .id_salt("tools")
            .auto_shrink([false, false])
            .show(ui, |ui| match self.tab {
                Tab::Message => {
                    self.composer.ui(ui, &lang);
                }
                Tab::Base64 => {
                    let last = self.last_334();
                    self.base64.ui(
                        ui,
                        &Base64Context {
                            lang,
                            show_secrets: self.show_secrets,
                            last_334: last.as_deref(),
                        },
                    );
                }
                Tab::Codes => {
                    let l = ui.label(tr(lang, "codes.lookup"));
                    ui.add(
                        egui::TextEdit::singleline(&mut self.lookup)
                            .hint_text("535, 5.7.8, -ERR, IN-USE")
                            .desired_width(ui.available_width()),
                    )
                    .labelled_by(l.id);
                    // A whole reply line (`235 #2.0.0 OK`) is explained code by code.
                    let input = self.lookup.replace(',', " ");
                    if !input.trim().is_empty() {
                        ui.separator();
                        ui.label(codes::explain_token(&input, lang));
                    }
                }
                Tab::Server => {
                    if ui.button(tr(lang, "side.open")).clicked() {
                        self.show_server_side = true;
                    }
                    self.server.ui(ui, lang);
                }
                Tab::Lessons => {
                    let vars = self.lesson_vars();
                    let cx = LessonContext {
                        lang,
                        marks: &self.settings.lessons,
                        vars: &vars,
                    };
                    if let Some(a) = self.lessons.ui(ui, &cx) {
                        self.perform(a);
                    }
                }
            });
    }

    /// Sends the raw line, when connected and nothing is waiting (Enter in the box, the Send
    /// button, Ctrl+Enter anywhere). An empty line goes out where the session takes one (the
    /// blank line of a message typed the telnet way, an empty AUTH answer); elsewhere an
    /// Enter pressed by mistake sends nothing.
    fn send_raw(&mut self) {
        let something = !self.raw.trim().is_empty() || self.link.takes_empty_line();
        if self.link.is_open() && self.link.busy().is_none() && something {
            let line = std::mem::take(&mut self.raw);
            self.perform(Action::Raw(line));
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
                self.perform(Action::StartLesson("send".into()));
                ui.close();
            }
            ui.separator();
            if ui
                .add(egui::Button::new(tr(lang, "ref.title")).shortcut_text("F1"))
                .clicked()
            {
                self.reference.toggle();
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
        let lang = self.lang();
        let open = self.link.is_open();
        let idle = self.link.busy().is_none();
        ui.horizontal(|ui| {
            let l = ui.label(tr(lang, "raw.label"));
            let r = ui
                .add_enabled(
                    open,
                    egui::TextEdit::singleline(&mut self.raw)
                        .font(egui::TextStyle::Monospace)
                        .hint_text(tr(lang, "raw.hint"))
                        .desired_width(ui.available_width() - 110.0),
                )
                .labelled_by(l.id);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            let clicked = ui
                .add_enabled(open && idle, egui::Button::new(tr(lang, "raw.send")))
                .clicked();
            if (enter || clicked) && idle && open {
                self.send_raw();
                r.request_focus();
            }
        });
    }
}

/// True when a password would cross a network in clear: no TLS, and the server is not on
/// this machine (loopback traffic never leaves it).
pub fn plaintext_risk(peer: Option<std::net::SocketAddr>, tls: bool) -> bool {
    !tls && peer.is_some_and(|p| !p.ip().is_loopback())
}

impl TutorApp {
    fn confirm_plaintext_ui(&mut self, ctx: &egui::Context, lang: Lang) {
        if self.confirm_plaintext.is_none() {
            return;
        }
        let peer = self.link.peer.map(|p| p.to_string()).unwrap_or_default();
        let mut choice = None;
        egui::Modal::new(egui::Id::unique("plaintext-auth")).show(ctx, |ui| {
            ui.set_max_width(520.0);
            ui.heading(tr(lang, "plain_auth.title"));
            ui.label(trf(lang, "plain_auth.text", &[("peer", &peer)]));
            ui.horizontal(|ui| {
                if ui.button(tr(lang, "plain_auth.cancel")).clicked() {
                    choice = Some(false);
                }
                if ui.button(tr(lang, "plain_auth.send")).clicked() {
                    choice = Some(true);
                }
            });
        });
        match choice {
            Some(true) => {
                self.plaintext_ok = true;
                if let Some(a) = self.confirm_plaintext.take() {
                    self.perform(a);
                }
            }
            Some(false) => self.confirm_plaintext = None,
            None => {}
        }
    }
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
        self.server.poll();
        self.poll_lesson_mail();
        self.server_side.poll(&self.server, ctx);
        self.link.poll();
        self.handle_keys(ctx);
        self.composer.follow_language(self.settings.lang);
        let in_data = self.link.transcript.smtp().in_data();
        if in_data && !self.was_in_data {
            self.tab = Tab::Message;
        }
        self.was_in_data = in_data;
        if let Some(mut demo) = self.demo.take() {
            let ready =
                !self.link.is_connecting() && self.link.busy().is_none() && self.queued.is_empty();
            if ready && let Some(a) = demo.next(self) {
                self.perform(a);
            }
            if !demo.finished() {
                ctx.request_repaint_after(std::time::Duration::from_millis(50));
            }
            self.demo = Some(demo);
        }
        self.follow_lesson(ctx);
        self.settings.username = self.commands.username.clone();
        self.bar.store(&mut self.settings);
        theme::apply(ctx, &self.settings);
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        if let Some((_, drawn)) = &mut self.probe {
            *drawn = true;
            ui.ctx().request_repaint();
        }
        let lang = self.lang();
        self.confirm_plaintext_ui(ui.ctx(), lang);
        self.reference.show(ui.ctx(), lang);
        // Exam mode counts only while a lesson runs.
        let exam = self.lessons.exam && self.lessons.active.is_some();
        egui::Panel::top("header").show(ui, |ui| self.header(ui));
        if self.show_server_side {
            let asked = egui::CentralPanel::default()
                .show(ui, |ui| {
                    self.server_side.ui(ui, lang, &self.server, &self.data_dir)
                })
                .inner;
            if let Some(a) = asked {
                self.perform(a);
            }
            return;
        }
        let practice_state = self.server.state();
        let status = Status {
            connected: self.link.is_open(),
            connecting: self.link.is_connecting(),
            peer: self.link.peer,
            tls: self.link.tls.as_ref(),
            untrusted: self.link.untrusted.as_deref(),
        };
        let bar_action = egui::Panel::top("connect")
            .show(ui, |ui| self.bar.ui(ui, lang, practice_state, &status))
            .inner;
        if let Some(a) = bar_action {
            self.perform(a);
        }
        self.retrieved.update(&self.link.transcript);
        let cx = Self::command_context(lang, self.show_secrets, exam, &self.link, &self.bar);
        let next = self.next();
        let next_action = egui::Panel::bottom("explain")
            .default_size(170.0)
            .min_size(90.0)
            .show(ui, |ui| {
                explain_pane::ui(
                    ui,
                    &ExplainContext {
                        lang,
                        protocol: self.protocol(),
                        transcript: &self.link.transcript,
                        retrieved: self.retrieved.get(),
                        last_error: self.link.last_error.as_ref(),
                        next,
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
                    .show(ui, |ui| self.commands.ui(ui, &cx))
                    .inner
            })
            .inner;
        if let Some(a) = action.or(next_action) {
            self.perform(a);
        }
        egui::Panel::right("tools")
            .exact_size((width * 0.26).clamp(220.0, 400.0))
            .show(ui, |ui| self.tools(ui));
        egui::Panel::bottom("raw").show(ui, |ui| self.raw_box(ui));
        // The step card (a 334 to answer, a message to send) sits above the raw line box, in
        // the transcript's column: it covers no row, and no command button moves when it
        // comes or goes. A lesson step that asks the student to make the line has none.
        let cx = Self::command_context(lang, self.show_secrets, exam, &self.link, &self.bar);
        let card = if cx.step_card_due() && !self.lesson_step_is_typed() {
            let commands = &mut self.commands;
            egui::Panel::bottom("step-card")
                .show(ui, |ui| commands.step_card(ui, &cx))
                .inner
        } else {
            None
        };
        if let Some(a) = card {
            self.perform(a);
        }
        let central = egui::CentralPanel::default().show(ui, |ui| {
            self.view
                .ui(ui, &self.link.transcript, lang, &mut self.show_secrets)
        });
        let view_action = central.inner;
        if let Some(t) = self.view.take_opened() {
            if self.link.is_open() {
                self.invalid(crate::words::Words::new("open.disconnect_first"));
            } else {
                self.link.show_transcript(t);
            }
        }
        if let Some(a) = view_action {
            self.perform(a);
        }
    }

    fn on_exit(&mut self, _gl: Option<&eframe::glow::Context>) {
        if let Some(dir) = self.demo_dir.take() {
            // Stop the server before its Maildir goes away.
            self.server = PracticeServer::Failed(crate::words::Words::new("session.closed"));
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    fn raw_input_hook(&mut self, ctx: &egui::Context, raw_input: &mut egui::RawInput) {
        self.pointer_zoom
            .fix(ctx.zoom_factor(), &mut raw_input.events);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if self.demo.is_none() {
            eframe::set_value(storage, Settings::KEY, &self.settings);
        }
    }
}
