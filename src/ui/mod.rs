//! The tutor window: a connection bar, one button per command, the live transcript, the
//! base64 workbench, the composer and the explanation pane. egui only: the panels draw
//! state and turn clicks into [`Action`]s; the network runs on the session's threads.

mod app;
pub mod base64_panel;
pub mod class_view;
pub mod commands;
pub mod composer;
pub mod connect_bar;
mod demo;
pub mod explain_pane;
pub mod faults_panel;
pub mod file_dialog;
pub mod i18n;
pub mod imap_commands;
pub mod jobs;
pub mod keylog_panel;
pub mod lab_panel;
pub mod lesson;
mod link;
pub mod mailbox;
pub mod mime_tree;
pub mod model;
pub mod practice;
pub mod presets;
pub mod reference;
pub mod server_log;
pub mod server_side;
pub mod step_card;
pub mod theme;
pub mod transcript_view;

pub use app::TutorApp;
pub use demo::names as demo_names;
pub use model::{AppOptions, Model, Tab, plaintext_risk};
pub use server_side::ServerTab;

use crate::proto::pop3::Pop3Command;
use crate::proto::smtp::SmtpCommand;

pub(crate) use jobs::take_ready;

/// The shape every side panel shares, after egui_demo_lib's `View`: a panel draws itself from
/// its own state and what it reads from the rest of the window, and answers with what the
/// user asked for, which the window carries out.
pub trait View {
    /// What the panel reads from the rest of the window.
    type Context<'a>;
    fn ui(&mut self, ui: &mut egui::Ui, cx: &Self::Context<'_>) -> Option<Action>;
}

/// What a click asks for. Panels return these, scripted demos play them, and the app carries
/// them out: one way in for every change a person or a script makes.
#[derive(Debug, Clone)]
pub enum Action {
    /// An SMTP command, with the label of the button that sent it.
    Smtp(&'static str, SmtpCommand),
    Pop3(&'static str, Pop3Command),
    /// An IMAP command; the window tags it.
    Imap(&'static str, crate::proto::imap::ImapCommand),
    /// STARTTLS (SMTP) or STLS (POP3), then the handshake.
    StartTls,
    /// The base64 answer to a 334 challenge.
    AuthAnswer {
        what: &'static str,
        base64: String,
        secret: bool,
    },
    /// The composer's message after 354.
    SendMessage,
    /// A line typed in the raw box.
    Raw(String),
    /// A command whose arguments do not make a valid line (shown in the transcript).
    Invalid(crate::words::Words),
    /// A command button, with the arguments in the panel's fields.
    SmtpButton(crate::proto::smtp::CommandKind),
    Pop3Button(crate::proto::pop3::Pop3Kind),
    ImapButton(crate::proto::imap::ImapKind),
    /// The step card's button for a 334 that asked for this.
    Answer(crate::proto::auth::PromptKind),
    Connect,
    Disconnect,
    /// Trusts the certificate the last connect refused, and connects again.
    TrustAndConnect,
    /// The connection bar's server preset changed: the login fields are filled again.
    PresetChanged,
    /// Loads this base64 (a transcript row's) into the base64 panel.
    LoadBase64(String),
    /// Opens the code reference at this code (a badge was clicked).
    ShowCode(String),
    /// Starts the practice server again on the class's address.
    RestartForClass,
    /// The class roster gained accounts: the running server takes them as it runs.
    ClassAccountsAdded,
    /// Starts grading the students' programs with this rubric (scores start afresh), or stops.
    StartLab(Option<Box<crate::proto::lab::Rubric>>),
    /// Shows one session of the server's log (a lab attempt's).
    ShowServerSession(u64),
    ClearTranscript,
    ShowTab(Tab),
    /// Attaches a file in the composer (read on a background thread).
    Attach(std::path::PathBuf),
    /// Turns the composer's HTML alternative on or off.
    SetHtml(bool),
    /// Chooses a part of the composed message's tree: its bytes are highlighted on the wire.
    SelectMimePart(usize),
    /// Opens a transcript, log or capture file, as "Open transcript…" does.
    OpenFile(std::path::PathBuf),
    /// Shows the server's side at this tab, or (`None`) the client's side again.
    ShowServerSide(Option<ServerTab>),
    /// Makes a practice account for each name (one per line, or CSV).
    CreateAccounts(String),
    /// Opens the newest message of the account the mailbox shows.
    OpenNewestMail,
    /// Stages a fault on the running practice server.
    StageFault(crate::server::Fault),
    /// Switches the running practice server's require-AUTH policy.
    RequireAuth(bool),
    /// Loads the newest 334 challenge into the base64 panel.
    LoadLast334,
    /// Keeps the tooltip of the newest reply with this code open.
    PinTooltip(u16),
    SetLang(crate::proto::Lang),
    /// Zoom and theme, as a teacher sets them for a projector.
    SetLook {
        zoom: f32,
        dark: bool,
    },
    SetProtocol(crate::session::Protocol),
    SetUsername(String),
    SetPassword(String),
    SetSubject(String),
    /// Starts the lesson with this id.
    StartLesson(String),
    LeaveLesson,
    /// Plays the current step's "Show me".
    LessonShowMe,
    LessonHint,
    /// Exam mode: no hints, no "Show me", no (!) predictions.
    SetExam(bool),
    /// Writes the exam's result to this file.
    SaveLessonResult(std::path::PathBuf),
    /// Explains this reply (a transcript entry) in the pane, or (`None`) the newest again.
    ShowReply(Option<usize>),
    /// The answer to "clear the transcript?": go on with the lesson or the opened file, or not.
    ConfirmClear(bool),
    /// The answer to "send this password in clear?": send it, or drop the click.
    ConfirmPlaintext(bool),
}

/// Opens the window and runs until it is closed.
pub fn run(options: AppOptions) -> eframe::Result {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("mailtutor")
        .with_app_id("mailtutor")
        .with_inner_size([1280.0, 800.0])
        .with_min_inner_size([800.0, 500.0]);
    // The project's icon (assets/icon), for the title bar and the task bar.
    if let Ok(icon) =
        eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icon/mailtutor-256.png"))
    {
        viewport = viewport.with_icon(std::sync::Arc::new(icon));
    }
    let native = eframe::NativeOptions {
        viewport,
        persist_window: options.demo.is_none(),
        ..Default::default()
    };
    eframe::run_native(
        "mailtutor",
        native,
        Box::new(move |cc| Ok(Box::new(TutorApp::new(cc, options)))),
    )
}

/// The GB2312 subset of Noto Sans SC, compiled in, as the fallback for every family, so
/// Chinese renders on machines with no CJK font (assets/fonts/OFL.txt); then DejaVu Sans's
/// arrows, box drawing and dingbats, for the symbols terminals print that Noto lacks
/// (assets/fonts/DejaVu-LICENSE.txt).
pub fn install_cjk_font(ctx: &egui::Context) {
    use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
    const NOTO_SC: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-GB2312.otf");
    const SYMBOLS: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Symbols.ttf");
    let families = || {
        [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
            .into_iter()
            .map(|family| InsertFontFamily {
                family,
                priority: FontPriority::Lowest,
            })
            .collect()
    };
    ctx.add_font(FontInsert::new(
        "noto-sans-sc",
        egui::FontData::from_static(NOTO_SC),
        families(),
    ));
    ctx.add_font(FontInsert::new(
        "dejavu-symbols",
        egui::FontData::from_static(SYMBOLS),
        families(),
    ));
}
