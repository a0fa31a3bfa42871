//! The window's model: its state (settings, the in-process practice server, the connection,
//! the panels' fields, the lesson under way, a demo playing) and `perform`, which carries out
//! every click. It draws nothing, so it runs and is tested without a frame; `app` draws it.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;

use super::Action;
use super::base64_panel::Base64Panel;
use super::commands::{self, CommandPanel};
use super::composer::Composer;
use super::connect_bar::ConnectBar;
use super::demo::Demo;
use super::explain_pane;
use super::i18n;
use super::lesson::{LessonPanel, Mark};
use super::link::Link;
use super::practice::{Practice, PracticeServer, Setup};
use super::server_side::ServerSide;
use super::theme::{self, Settings};
use super::transcript_view::{TranscriptView, challenge};

use crate::proto::Lang;
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

/// What waits for "Clear the transcript?" to be answered.
pub enum Clearing {
    /// Starting the lesson of this index.
    Lesson(usize),
    /// A transcript opened from a file, to take the place of the one on screen.
    Opened(Box<Transcript>),
}

/// The tabs of the right-hand panel.
pub use crate::script::Tab;

pub struct Model {
    pub(super) settings: Settings,
    pub(super) server: PracticeServer,
    /// The server's side (mailbox, log, faults), and whether it fills the window.
    pub server_side: ServerSide,
    pub show_server_side: bool,
    /// The newest retrieved message, decoded once for the explanation pane.
    pub(super) retrieved: super::explain_pane::RetrievedCache,
    /// The code reference window (F1).
    pub reference: super::reference::ReferenceWindow,
    pub(super) link: Link,
    pub(super) bar: ConnectBar,
    pub(super) commands: CommandPanel,
    pub(super) view: TranscriptView,
    pub(super) base64: Base64Panel,
    pub(super) composer: Composer,
    pub tab: Tab,
    pub show_secrets: bool,
    pub(super) raw: String,
    /// Lines pasted into the raw line box, still to send (one each time the link is free).
    pub(super) pasted: VecDeque<String>,
    /// The reply code typed in the Codes tab.
    pub(super) lookup: String,
    /// Certificates the user chose to trust for this run (never saved).
    pub(super) trusted: Vec<String>,
    /// A click that would send a password in clear to another machine, until the user confirms
    /// or cancels it; and whether the user already confirmed for this connection.
    pub(super) confirm_plaintext: Option<Action>,
    pub(super) plaintext_ok: bool,
    /// Extra trusted authorities and the reply timeout, from [`AppOptions`].
    pub(super) roots: Vec<Vec<u8>>,
    pub(super) reply_timeout: Option<std::time::Duration>,
    pub(super) was_in_data: bool,
    pub(super) demo: Option<Demo>,
    /// The scratch Maildir of a demo, removed when the window closes.
    pub(super) demo_dir: Option<PathBuf>,
    /// Where the practice server keeps its Maildirs.
    pub(super) data_dir: PathBuf,
    /// The practice server's policy when no lesson changes it.
    pub(super) policy: server::Policy,
    pub(super) lessons: LessonPanel,
    /// Actions a lesson's "Show me" still has to play, one as soon as the last is answered.
    pub(super) queued: VecDeque<Action>,
    /// A lesson's mail being put in the maildrop of the running practice server.
    pub(super) lesson_mail: Option<poll_promise::Promise<Result<(), crate::words::Words>>>,
    /// A lesson start or an opened file that would clear lines not saved, until the user
    /// says to go on or not.
    pub(super) confirm_clear: Option<Clearing>,
    /// An older reply the pane explains instead of the newest, until a new reply comes.
    pub(super) shown_reply: Option<usize>,
    /// The newest reply seen, to know when a new one comes.
    newest_reply: Option<usize>,
    pub(super) ctx: egui::Context,
}

impl Model {
    /// The model of a window that starts with `options` and the settings saved last time
    /// (`None` on a first start, which opens lesson 1). `ctx` is only asked to repaint when
    /// background work finishes; a test can pass a `Context::default()` that draws nothing.
    pub fn new(options: AppOptions, saved: Option<Settings>, ctx: egui::Context) -> Self {
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
            link: Link::default(),
            view: TranscriptView::default(),
            base64: Base64Panel::default(),
            composer,
            tab: Tab::Message,
            show_secrets: false,
            raw: String::new(),
            pasted: VecDeque::new(),
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
            shown_reply: None,
            newest_reply: None,
            confirm_clear: None,
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
        // A log opened while not connected is followed in its own protocol.
        let t = &self.link.transcript;
        let protocol = if !self.link.is_open() && !t.is_empty() {
            t.protocol()
        } else {
            self.protocol()
        };
        explain_pane::NextStep::from_protocol(t, protocol, self.lang())
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
            Protocol::Imap => match action {
                Action::Connect => !self.link.is_open(),
                Action::Imap(verb, _) => super::imap_commands::expected(t.imap())
                    .iter()
                    .any(|b| b.verb() == verb.strip_prefix("UID ").unwrap_or(verb)),
                _ => false,
            },
        }
    }

    /// What the command panel and the step card read to draw themselves. It borrows only the
    /// link and the bar, so the command panel can be drawn mutably beside it.
    pub(super) fn command_context<'a>(
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
            imap: link.transcript.imap(),
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

    pub fn composer(&self) -> &Composer {
        &self.composer
    }

    /// The composer (tests attach files and switch its MIME options through it).
    pub fn composer_mut(&mut self) -> &mut Composer {
        &mut self.composer
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
    pub(super) fn last_334(&self) -> Option<String> {
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
            Action::Imap(_, cmd) => cmd.carries_secret(),
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
            Action::Imap(what, cmd) => link.imap(what, &cmd),
            Action::StartTls => {
                let what = match protocol {
                    Protocol::Smtp | Protocol::Imap => "STARTTLS",
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
            Action::ImapButton(button) => {
                let a = self.commands.imap_action(button);
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
            Action::StartLab(rubric) => {
                self.server_side.log.lab.clear();
                if let Some(s) = self.server.running() {
                    s.set_lab(rubric.map(|r| *r));
                }
            }
            Action::ShowServerSession(id) => {
                self.server_side.log.show_session(id);
                self.server_side.tab = crate::ui::ServerTab::Log;
            }
            Action::ClearTranscript => self.link.clear(),
            Action::ShowTab(tab) => self.tab = tab,
            Action::Attach(path) => {
                self.composer.add_file(&self.ctx, path);
                self.tab = Tab::Message;
            }
            Action::SetHtml(on) => self.composer.set_html(on),
            Action::SelectMimePart(n) => self.composer.select_part(n),
            Action::OpenFile(path) => self.view.open_file(&self.ctx, path, self.settings.lang),
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
                    if self.unsaved_lines().is_some() {
                        self.confirm_clear = Some(Clearing::Lesson(i));
                    } else {
                        self.start_lesson(i);
                    }
                }
            }
            Action::ConfirmClear(yes) => match self.confirm_clear.take() {
                Some(Clearing::Lesson(i)) if yes => self.start_lesson(i),
                Some(Clearing::Opened(t)) if yes => self.link.show_transcript(*t),
                _ => {}
            },
            Action::LeaveLesson => self.stop_lesson(),
            Action::LessonShowMe => {
                let actions = self.lessons.show_me(&self.lesson_vars());
                self.queued.extend(actions);
            }
            Action::LessonHint => self.lessons.open_hint(),
            Action::SetExam(on) => self.lessons.exam = on,
            Action::SaveLessonResult(path) => self.save_lesson_result(path),
            Action::ShowReply(entry) => {
                self.shown_reply = entry.filter(|&i| {
                    self.link
                        .transcript
                        .entries()
                        .get(i)
                        .is_some_and(|e| e.dir == Direction::Server)
                        && self.link.transcript.last_server().map(|(n, _)| n) != Some(i)
                });
            }
            Action::ConfirmPlaintext(yes) => match self.confirm_plaintext.take() {
                Some(a) if yes => {
                    self.plaintext_ok = true;
                    self.perform(a);
                }
                _ => {}
            },
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
        let lab = self.server_side.class.lab.running.clone();
        self.server_side.log.lab.clear();
        self.server.restart(
            self.server_setup(),
            Box::new(move |c| {
                c.policy = policy;
                c.lab = lab;
            }),
            Box::new(|_| Ok(())),
            &self.ctx,
        );
    }

    pub fn disconnect(&mut self) {
        self.link.disconnect();
    }

    /// One turn of the model, before each frame: collects what background threads reported,
    /// follows the lesson and plays the next step of a demo or a "Show me".
    pub fn poll(&mut self) {
        self.server.poll();
        self.poll_lesson_mail();
        if let Some(a) = self
            .server_side
            .poll(&self.server, self.settings.lang, &self.ctx)
        {
            self.perform(a);
        }
        self.link.poll();
        self.send_pasted();
        // Files the composer and "Open transcript…" read on their threads.
        self.composer.files.take_read();
        self.view.poll_open();
        self.take_opened();
        let newest = self.link.transcript.last_server().map(|(i, _)| i);
        if newest != self.newest_reply {
            // A new reply (or another transcript): the pane follows the newest again.
            self.newest_reply = newest;
            self.shown_reply = None;
        }
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
                self.ctx
                    .request_repaint_after(std::time::Duration::from_millis(50));
            }
            self.demo = Some(demo);
        }
        self.follow_lesson();
        self.settings.username = self.commands.username.clone();
        self.bar.store(&mut self.settings);
    }

    /// Shows a transcript the view opened from a file, unless a live session would be lost.
    pub(super) fn take_opened(&mut self) {
        if let Some(t) = self.view.take_opened() {
            if self.link.is_open() {
                self.invalid(crate::words::Words::new("open.disconnect_first"));
            } else if self.unsaved_lines().is_some() {
                self.confirm_clear = Some(Clearing::Opened(Box::new(t)));
            } else {
                self.link.show_transcript(t);
            }
        }
    }

    /// How many lines clearing the transcript would lose: lines of a session (not of an
    /// opened file) not saved whole since they came. `None` when nothing would be lost.
    pub fn unsaved_lines(&self) -> Option<usize> {
        let t = &self.link.transcript;
        let session = t.len() > self.link.opened_rows;
        let saved = self.view.saved_for == Some((t.generation(), t.len()));
        (session && !saved).then_some(t.len())
    }

    /// Whether "Clear the transcript?" is on screen.
    pub fn asks_to_clear(&self) -> bool {
        self.confirm_clear.is_some()
    }

    /// Whether what a script waits for has come: the greeting on an open connection, the
    /// connection closed, the newest mail listed, the class's accounts made.
    pub fn reached(&self, wait: crate::script::Wait) -> bool {
        use crate::proto::pop3_state::Pop3Step;
        use crate::proto::smtp_state::Step;
        use crate::script::Wait;
        let t = &self.link.transcript;
        match wait {
            Wait::Greeted => {
                self.link.is_open()
                    && match self.protocol() {
                        Protocol::Smtp => t
                            .smtp()
                            .expected_next()
                            .first()
                            .is_some_and(|s| *s != Step::WaitForGreeting),
                        Protocol::Pop3 => t
                            .pop3()
                            .expected_next()
                            .first()
                            .is_some_and(|s| *s != Pop3Step::WaitForGreeting),
                        Protocol::Imap => t.imap().greeted,
                    }
            }
            Wait::Closed => !self.link.is_open(),
            Wait::MailListed => self.server_side.mailbox.newest().is_some(),
            Wait::Attached => !self.composer.files.busy() && !self.composer.files.list.is_empty(),
            Wait::Opened => !self.view.is_opening() && !t.is_empty(),
            Wait::ClassReady => {
                !self.server_side.class.roster.students.is_empty()
                    && !self.server_side.class.is_busy()
            }
        }
    }

    /// Whether a demo played its last step and nothing it asked for is still on the wire.
    pub fn demo_done(&self) -> bool {
        self.demo.as_ref().is_none_or(Demo::finished) && self.queued.is_empty() && !self.is_busy()
    }

    /// Whether a demo is playing (its settings are not saved).
    pub fn demo_playing(&self) -> bool {
        self.demo.is_some()
    }

    /// Stops the practice server and removes a demo's scratch Maildir (the window closes).
    pub fn close(&mut self) {
        if let Some(dir) = self.demo_dir.take() {
            // Stop the server before its Maildir goes away.
            self.server = PracticeServer::Failed(crate::words::Words::new("session.closed"));
            let _ = std::fs::remove_dir_all(dir);
        }
    }

    pub fn zoom_by(&mut self, step: f32) {
        let z = ((self.settings.zoom + step) * 10.0).round() / 10.0;
        self.settings.zoom = z.clamp(theme::MIN_ZOOM, theme::MAX_ZOOM);
    }

    /// Sends the raw line, when connected and nothing is waiting (Enter in the box, the Send
    /// button, Ctrl+Enter anywhere). An empty line goes out where the session takes one (the
    /// blank line of a message typed the telnet way, an empty AUTH answer); elsewhere an
    /// Enter pressed by mistake sends nothing.
    pub(super) fn send_raw(&mut self) {
        let something = !self.raw.trim().is_empty() || self.link.takes_empty_line();
        if self.link.is_open() && self.link.busy().is_none() && something {
            let line = std::mem::take(&mut self.raw);
            self.perform(Action::Raw(line));
        }
    }
}

/// The most pasted lines kept waiting to go out.
const PASTE_LIMIT: usize = 100_000;

impl Model {
    /// Text pasted into the raw line box with line breaks in it: each whole line goes out in
    /// turn, as a terminal sends a paste (the lines of a message, an attachment's base64);
    /// what follows the last line break stays in the box.
    pub(super) fn paste_lines(&mut self, text: &str) {
        let mut pieces: Vec<&str> = text.split('\n').collect();
        let rest = pieces.pop().unwrap_or_default();
        for (i, piece) in pieces.into_iter().enumerate() {
            let piece = piece.strip_suffix('\r').unwrap_or(piece);
            let line = if i == 0 {
                std::mem::take(&mut self.raw) + piece
            } else {
                piece.to_owned()
            };
            if self.pasted.len() < PASTE_LIMIT {
                self.pasted.push_back(line);
            }
        }
        self.raw.push_str(rest.trim_end_matches('\r'));
    }

    /// Sends the next pasted line once the last one is answered (inside DATA at once: no reply
    /// comes until the final dot). A blank line goes only where the session takes one.
    fn send_pasted(&mut self) {
        if self.pasted.is_empty() {
            return;
        }
        if !self.link.is_open() {
            self.pasted.clear();
            return;
        }
        if self.link.busy().is_none()
            && let Some(line) = self.pasted.pop_front()
            && (!line.trim().is_empty() || self.link.takes_empty_line())
        {
            self.perform(Action::Raw(line));
        }
        self.ctx
            .request_repaint_after(std::time::Duration::from_millis(20));
    }
}

/// True when a password would cross a network in clear: no TLS, and the server is not on
/// this machine (loopback traffic never leaves it).
pub fn plaintext_risk(peer: Option<std::net::SocketAddr>, tls: bool) -> bool {
    !tls && peer.is_some_and(|p| !p.ip().is_loopback())
}
