//! Lessons: a goal, an introduction and steps, each ticked only by what happened on the wire —
//! the replies in the transcript and the session state they came in — never by a click alone.
//! Lessons are data (`assets/lessons/*.toml`); this module reads them and follows a transcript.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use serde::Deserialize;

use crate::proto::Bilingual;
use crate::proto::explanation::Explanation;
use crate::proto::message::{Draft, Mailbox};
use crate::proto::message_lines::MessageLine;
use crate::proto::vocab::{Answers, Flag};
use crate::server::maildir::{Maildir, new_queue_id};
use crate::server::{Account, Accounts, Fault, Policy, ServerConfig};
use crate::transcript::{Direction, Entry, Note};
use crate::words::Words;

mod message_checks;
pub use message_checks::intact_attachment;
use message_checks::same_line;

/// The lessons shipped with the app, in the order the list shows them.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("send", include_str!("../assets/lessons/01-send.toml")),
    (
        "starttls",
        include_str!("../assets/lessons/02-starttls.toml"),
    ),
    ("pop3", include_str!("../assets/lessons/03-pop3.toml")),
    ("errors", include_str!("../assets/lessons/04-errors.toml")),
    (
        "two-rcpt",
        include_str!("../assets/lessons/05-two-recipients.toml"),
    ),
    ("telnet", include_str!("../assets/lessons/06-telnet.toml")),
    ("prompts", include_str!("../assets/lessons/07-prompts.toml")),
    ("imap", include_str!("../assets/lessons/08-imap.toml")),
    (
        "imap-telnet",
        include_str!("../assets/lessons/09-imap-telnet.toml"),
    ),
    (
        "pop3-imap",
        include_str!("../assets/lessons/10-pop3-imap.toml"),
    ),
    (
        "attachment",
        include_str!("../assets/lessons/11-attachment.toml"),
    ),
    (
        "wireshark",
        include_str!("../assets/lessons/12-wireshark.toml"),
    ),
];

/// The protocol a lesson speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LessonProtocol {
    #[default]
    Smtp,
    Pop3,
    Imap,
}

/// How a lesson sets up the practice server for itself; undone when the lesson ends.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// MAIL FROM needs AUTH first.
    #[serde(default)]
    pub require_auth: bool,
    /// AUTH, MAIL and POP3 logins need TLS first.
    #[serde(default)]
    pub require_tls: bool,
    /// Faults staged when the lesson starts, as the server's `--fault` option writes them
    /// (`rcpt=550`, `data=554`, `greet=421` …).
    #[serde(default)]
    pub faults: Vec<String>,
    /// How the server words its AUTH LOGIN prompts.
    #[serde(default)]
    pub prompts: Prompts,
    /// Accounts the practice server has besides its own two.
    #[serde(default)]
    pub accounts: Vec<Account>,
    /// Messages put in the student's maildrop first (for reading lessons): subject and body.
    #[serde(default)]
    pub mail: Vec<SeedMail>,
    /// Mail already in the student's INBOX is moved into the folder [`SET_ASIDE_FOLDER`]
    /// first, so that the lesson's message numbers hold; nothing is deleted.
    #[serde(default)]
    pub set_aside: bool,
}

/// Where a lesson with `set_aside` puts the mail that was in INBOX.
pub const SET_ASIDE_FOLDER: &str = "Earlier";

impl Setup {
    /// The practice server's policy while the lesson runs.
    pub fn policy(&self) -> Policy {
        Policy {
            require_auth: self.require_auth,
            require_tls: self.require_tls,
            lowercase_prompt: self.prompts == Prompts::Lowercase,
            persona: None,
        }
    }

    /// The practice server's own accounts and the lesson's (checked when the lesson is read).
    pub fn accounts(&self) -> Accounts {
        self.try_accounts().unwrap_or_default()
    }

    fn try_accounts(&self) -> Result<Accounts, crate::server::accounts::AccountsError> {
        let mut list: Vec<Account> = Accounts::default().iter().cloned().collect();
        list.extend(self.accounts.iter().cloned());
        Accounts::new(list)
    }

    /// Sets up a practice server's configuration as the lesson wants it.
    pub fn configure(&self, config: &mut ServerConfig) {
        config.policy = self.policy();
        config.faults = self.faults();
        config.accounts = self.accounts();
    }

    /// The faults to stage (each was checked when the lesson was read).
    pub fn faults(&self) -> Vec<Fault> {
        self.faults.iter().filter_map(|f| f.parse().ok()).collect()
    }

    /// Puts the lesson's messages in `to`'s maildrop, from `from`. Disk I/O: call it off the
    /// UI thread.
    pub fn deliver_mail(&self, store: &Maildir, from: &str, to: &str) -> std::io::Result<()> {
        if self.set_aside {
            store.set_aside(to, SET_ASIDE_FOLDER)?;
        }
        for m in &self.mail {
            let draft = Draft {
                from: Mailbox::parse(from).unwrap_or_default(),
                to: vec![Mailbox::parse(to).unwrap_or_default()],
                subject: m.subject.clone(),
                body: m.body.clone(),
                ..Draft::default()
            };
            let bytes = draft
                .to_message()
                .map_err(|e| std::io::Error::other(e.to_string()))?;
            store.deliver(&new_queue_id(), &[to.to_owned()], &bytes)?;
        }
        Ok(())
    }
}

/// The AUTH LOGIN username prompt a lesson wants the practice server to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Prompts {
    /// `334 VXNlcm5hbWU6` ("Username:"), as Postfix and most servers ask.
    #[default]
    Standard,
    /// `334 dXNlcm5hbWU6` ("username:"), as NetEase 163 asks (the tutorials' transcripts).
    Lowercase,
}

/// A message a lesson puts in the maildrop before it starts.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedMail {
    pub subject: String,
    pub body: String,
}

/// What a step waits for. Every field given must hold for one transcript row; a row of the
/// client is matched only by `decodes_to`, every other check reads a reply.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The SMTP reply code.
    pub code: Option<u16>,
    /// The POP3 status indicator: `+OK` or `-ERR`.
    pub status: Option<String>,
    /// What the reply must answer, any of these (names as the situation knowledge writes
    /// them: `GREETING`, `EHLO`, `AUTH`, `AUTH-DATA`, `MAIL`, `RCPT`, `DATA`, `DOT`, `USER`,
    /// `RETR` …).
    #[serde(default)]
    pub answers: Vec<String>,
    /// Session state that must hold when the reply came (`tls`, `authenticated`, …).
    #[serde(default)]
    pub flags: Vec<String>,
    /// Session state that must not hold.
    #[serde(default)]
    pub not_flags: Vec<String>,
    /// Text the reply (or a retrieved message) must contain, case-insensitively.
    pub contains: Option<String>,
    /// A base64 line the client sent after a 334 must decode to this.
    pub decodes_to: Option<String>,
    /// The client sent this line (a line of a message typed by hand: a header, a boundary).
    /// Header names and white space are compared loosely, as MIME reads them (RFC 2045 §5.1);
    /// anything else, a boundary line included, exactly.
    pub sent: Option<String>,
    /// The message accepted by a `250` after the final dot must carry this Subject.
    pub subject: Option<String>,
    /// ...and must have been accepted for this recipient.
    pub rcpt: Option<String>,
    /// ...and must have had From, To and Subject and the blank line after the headers.
    #[serde(default)]
    pub whole_message: bool,
    /// ...and must carry an attachment of this file name (`*`: any name) whose base64 body
    /// decodes cleanly: the attachment arrived intact.
    pub attachment: Option<String>,
    /// The client line must have been typed in the raw line box (no button makes it).
    #[serde(default)]
    pub typed: bool,
}

/// One step of a lesson.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What to do.
    pub task: Bilingual,
    /// A hint, shown on request (never in exam mode).
    pub hint: Bilingual,
    /// What "Show me" does: the same actions as the buttons, by name (`connect`,
    /// `smtp:EHLO`, `answer:username`, `send-message`, `pop3:RETR`, `raw:LINE` …).
    #[serde(default)]
    pub show_me: Vec<String>,
    pub check: Check,
}

/// A lesson as its file writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// A short name, unique among the lessons, that progress is kept under.
    pub id: String,
    pub title: Bilingual,
    pub goal: Bilingual,
    pub intro: Bilingual,
    #[serde(default)]
    pub protocol: LessonProtocol,
    #[serde(default)]
    pub setup: Setup,
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

/// Why a lesson file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LessonError {
    #[error("{0}")]
    Toml(String),
    #[error("the lesson has no steps")]
    NoSteps,
    #[error("step {step}: the check is empty, so it could never be ticked")]
    EmptyCheck { step: usize },
    #[error("step {step}: show_me action {action:?} is not one the app knows")]
    UnknownAction { step: usize, action: String },
    #[error("step {step}: the check names the state {flag:?}, which is not one the app knows")]
    UnknownFlag { step: usize, flag: String },
    #[error("fault {0:?}: {1}")]
    Fault(String, String),
    #[error("accounts: {0}")]
    Accounts(String),
}

impl LessonError {
    pub fn words(&self) -> Words {
        match self {
            LessonError::Toml(e) => Words::new("lesson.error.toml").arg("detail", e),
            LessonError::NoSteps => Words::new("lesson.error.no_steps"),
            LessonError::EmptyCheck { step } => {
                Words::new("lesson.error.empty_check").arg("step", step)
            }
            LessonError::UnknownAction { step, action } => {
                Words::new("lesson.error.unknown_action")
                    .arg("step", step)
                    .arg("action", action)
            }
            LessonError::UnknownFlag { step, flag } => Words::new("lesson.error.unknown_flag")
                .arg("step", step)
                .arg("flag", flag)
                .arg(
                    "known",
                    crate::proto::vocab::Flag::ALL
                        .iter()
                        .map(|f| f.name())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
            LessonError::Accounts(e) => Words::new("lesson.error.accounts").arg("detail", e),
            LessonError::Fault(f, e) => Words::new("lesson.error.fault")
                .arg("fault", f)
                .arg("detail", e),
        }
    }
}

/// Whether `action` names something "Show me" can do: a step of [`crate::script`] that is
/// the student's own click or field (`connect`, `smtp:<button>`, `answer:password`, …).
pub fn is_known_action(action: &str) -> bool {
    crate::script::Step::parse(action).is_some_and(|s| s.is_show_me())
}

impl Lesson {
    /// Reads and checks a lesson file.
    pub fn parse(text: &str) -> Result<Self, LessonError> {
        let lesson: Lesson = toml::from_str(text).map_err(|e| LessonError::Toml(e.to_string()))?;
        if lesson.steps.is_empty() {
            return Err(LessonError::NoSteps);
        }
        for (i, s) in lesson.steps.iter().enumerate() {
            if s.check == Check::default() {
                return Err(LessonError::EmptyCheck { step: i + 1 });
            }
            if let Some(a) = s.show_me.iter().find(|a| !is_known_action(a)) {
                return Err(LessonError::UnknownAction {
                    step: i + 1,
                    action: a.clone(),
                });
            }
            let known = |f: &String| crate::proto::vocab::Flag::from_name(f).is_some();
            if let Some(f) = s
                .check
                .flags
                .iter()
                .chain(&s.check.not_flags)
                .find(|f| !known(f))
            {
                return Err(LessonError::UnknownFlag {
                    step: i + 1,
                    flag: f.clone(),
                });
            }
        }
        lesson
            .setup
            .try_accounts()
            .map_err(|e| LessonError::Accounts(e.to_string()))?;
        for f in &lesson.setup.faults {
            f.parse::<Fault>()
                .map_err(|e| LessonError::Fault(f.clone(), e))?;
        }
        Ok(lesson)
    }

    /// The lessons shipped with the app.
    pub fn built_in() -> Vec<Lesson> {
        BUILT_IN
            .iter()
            .filter_map(|(_, text)| Lesson::parse(text).ok())
            .collect()
    }
}

/// Values a lesson's text and checks name in braces: `{username}`, `{password}`, `{to}`.
pub type Vars = BTreeMap<String, String>;

/// `{name}` replaced by its value; an unknown name stays as written.
pub fn fill(text: &str, vars: &Vars) -> String {
    let mut out = text.to_owned();
    for (k, v) in vars {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

/// A reply that was not what the step waited for: the row and what the knowledge base says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setback {
    pub step: usize,
    /// The transcript row of the reply.
    pub entry: usize,
    pub reply: String,
    /// The reply's one explanation, as the transcript shows it.
    pub explanation: Option<Explanation>,
    /// A later step was ticked after it: the student recovered.
    pub fixed: bool,
}

/// The mail transaction seen so far, for the `subject`/`rcpt` checks.
#[derive(Debug, Clone, Default)]
struct Transaction {
    /// The last client command line, for the reply that answers it.
    last_command: String,
    rcpts: Vec<String>,
    subject: Option<String>,
    /// Headers seen in the message being typed (lowercased names).
    headers: Vec<String>,
    /// A line of the message came from the composer, not the raw line box.
    untyped: bool,
    /// The last client line was typed in the raw line box.
    last_typed: bool,
    /// The message lacked the blank line or a header the lesson wants.
    flawed: bool,
    in_headers: bool,
    /// Between the 354 and the final dot.
    in_data: bool,
    /// The message as the server gets it (dot-stuffing undone), up to [`MESSAGE_KEPT`].
    message: Vec<u8>,
}

/// How much of a message a lesson keeps to check its attachment.
const MESSAGE_KEPT: usize = 4 * 1024 * 1024;

/// A student's way through one lesson, fed the transcript as it grows.
#[derive(Debug, Clone)]
pub struct Progress {
    /// Steps ticked, with the transcript row that ticked each.
    pub ticked: Vec<usize>,
    pub setbacks: Vec<Setback>,
    /// Rows already read.
    scanned: usize,
    txn: Transaction,
    started: Option<SystemTime>,
    finished: Option<SystemTime>,
    steps: usize,
}

impl Progress {
    /// Starts following at transcript row `from` (rows before it belong to earlier work).
    pub fn new(lesson: &Lesson, from: usize) -> Self {
        Self {
            ticked: Vec::new(),
            setbacks: Vec::new(),
            scanned: from,
            txn: Transaction::default(),
            started: None,
            finished: None,
            steps: lesson.steps.len(),
        }
    }

    /// The step waiting to be done, or `None` when the lesson is finished.
    pub fn current(&self) -> Option<usize> {
        (self.ticked.len() < self.steps).then_some(self.ticked.len())
    }

    pub fn is_done(&self) -> bool {
        self.current().is_none()
    }

    /// From the first row after the start to the row that ticked the last step.
    pub fn elapsed(&self) -> Option<Duration> {
        let start = self.started?;
        let end = self.finished?;
        end.duration_since(start).ok()
    }

    /// Reads the rows added since the last call; returns the steps ticked by them.
    /// `typed(i)` tells whether client row `i` was typed in the raw line box; rows before
    /// `live_from` came from an opened log, not from a connection, and tick nothing.
    pub fn follow(
        &mut self,
        lesson: &Lesson,
        entries: &[Entry],
        live_from: usize,
        typed: &dyn Fn(usize) -> bool,
        vars: &Vars,
    ) -> Vec<usize> {
        if entries.len() < self.scanned {
            // The transcript was cleared: follow the new rows from the top.
            self.scanned = 0;
            self.txn = Transaction::default();
        }
        if self.scanned < live_from {
            self.scanned = live_from.min(entries.len());
            self.txn = Transaction::default();
        }
        let mut newly = Vec::new();
        for (i, e) in entries.iter().enumerate().skip(self.scanned) {
            self.started.get_or_insert(e.at);
            self.read_client(e, typed(i));
            // A lesson replaced while it runs may have fewer steps: stop, never index past.
            let Some((step, check)) = self
                .current()
                .and_then(|i| Some((i, &lesson.steps.get(i)?.check)))
            else {
                break;
            };
            if self.matches(check, e, typed(i), vars) {
                self.ticked.push(i);
                newly.push(step);
                for s in &mut self.setbacks {
                    s.fixed = true;
                }
                if self.is_done() {
                    self.finished = Some(e.at);
                }
            } else if is_setback(e) {
                self.setbacks.push(Setback {
                    step,
                    entry: i,
                    reply: e.text(false),
                    explanation: e.explanation().cloned(),
                    fixed: false,
                });
            }
            self.after_reply(e);
        }
        self.scanned = entries.len();
        newly
    }

    /// Keeps the mail transaction's recipients and subject as client lines go out.
    fn read_client(&mut self, e: &Entry, typed: bool) {
        if e.dir != Direction::Client {
            return;
        }
        self.txn.last_typed = typed;
        let text = e.text(true);
        if self.txn.in_data {
            self.keep_message_lines(&text);
        }
        let message = e.notes.iter().any(|n| matches!(n, Note::Message(_)));
        if message {
            self.txn.untyped |= !typed;
            if e.notes.iter().any(|n| {
                matches!(
                    n,
                    Note::Message(
                        MessageLine::MissingBlankLine
                            | MessageLine::MissingFrom
                            | MessageLine::MissingSubject
                    )
                )
            }) {
                self.txn.flawed = true;
            }
            if self.txn.in_headers
                && let Some((name, _)) = text.split_once(':')
            {
                self.txn.headers.push(name.trim().to_ascii_lowercase());
            }
            if text.is_empty() {
                self.txn.in_headers = false;
            } else if self.txn.in_headers
                && let Some((name, value)) = text.split_once(':')
                && name.trim().eq_ignore_ascii_case("subject")
            {
                self.txn.subject = Some(crate::proto::message::decode_encoded_words(value.trim()));
            }
            return;
        }
        self.txn.last_command = text;
    }

    /// Keeps the lines of the message being sent, as the server stores them (RFC 5321 §4.5.2:
    /// one leading dot removed), until the final dot.
    fn keep_message_lines(&mut self, text: &str) {
        for line in text.split("\r\n") {
            if line == "." {
                self.txn.in_data = false;
                return;
            }
            let line = line.strip_prefix('.').unwrap_or(line);
            if self.txn.message.len() + line.len() + 2 <= MESSAGE_KEPT {
                self.txn.message.extend_from_slice(line.as_bytes());
                self.txn.message.extend_from_slice(b"\r\n");
            }
        }
    }

    /// Updates the transaction with what a reply decided.
    fn after_reply(&mut self, e: &Entry) {
        let Some(cx) = &e.context else {
            return;
        };
        let ok = e.code().is_some_and(|c| c < 400);
        match cx.answers {
            Answers::Mail if ok => {
                self.txn.rcpts.clear();
                self.txn.subject = None;
            }
            Answers::Rcpt if ok => {
                if let Some(addr) = angle_address(&self.txn.last_command) {
                    self.txn.rcpts.push(addr);
                }
            }
            Answers::Data if e.code() == Some(354) => {
                self.txn.in_data = true;
                self.txn.message.clear();
                self.txn.in_headers = true;
                self.txn.subject = None;
                self.txn.headers.clear();
                self.txn.flawed = false;
                self.txn.untyped = false;
            }
            Answers::Rset | Answers::Ehlo | Answers::Helo if ok => self.txn.rcpts.clear(),
            _ => {}
        }
    }

    fn matches(&self, check: &Check, e: &Entry, typed: bool, vars: &Vars) -> bool {
        if let Some(want) = &check.sent {
            if e.dir != Direction::Client || (check.typed && !typed) {
                return false;
            }
            return same_line(&e.text(true), &fill(want, vars));
        }
        if let Some(want) = &check.decodes_to {
            if e.dir != Direction::Client || (check.typed && !typed) {
                return false;
            }
            let want = fill(want, vars);
            return e
                .notes
                .iter()
                .any(|n| matches!(n, Note::Answer { decoded, .. } if decoded.trim_end() == want));
        }
        if e.dir != Direction::Server {
            return false;
        }
        if let Some(imap) = e.notes.iter().find_map(|n| match n {
            Note::Imap(x) => Some(x),
            _ => None,
        }) {
            return self.matches_imap(check, e, imap, vars);
        }
        let Some(cx) = &e.context else {
            return false;
        };
        if let Some(code) = check.code
            && e.code() != Some(code)
        {
            return false;
        }
        if let Some(status) = &check.status
            && !e
                .notes
                .iter()
                .any(|n| matches!(n, Note::Pop3Status(s) if s == status))
        {
            return false;
        }
        if !check.answers.is_empty()
            && !check
                .answers
                .iter()
                .any(|a| a.eq_ignore_ascii_case(cx.answers.name()))
        {
            return false;
        }
        let has = |f: &String| Flag::from_name(f).is_some_and(|f| cx.has(f));
        if check.flags.iter().any(|f| !has(f)) {
            return false;
        }
        if check.not_flags.iter().any(has) {
            return false;
        }
        if !contains_wanted(check, e, vars) {
            return false;
        }
        // A reply counts as typed when the line it answers was, and a message when every
        // line of it was.
        if check.typed && (!self.txn.last_typed || (cx.answers == Answers::Dot && self.txn.untyped))
        {
            return false;
        }
        if check.subject.is_some()
            || check.rcpt.is_some()
            || check.whole_message
            || check.attachment.is_some()
        {
            if cx.answers != Answers::Dot || e.code() != Some(250) {
                return false;
            }
            if check.whole_message
                && (self.txn.flawed
                    || !["from", "to", "subject"]
                        .iter()
                        .all(|h| self.txn.headers.iter().any(|s| s == h)))
            {
                return false;
            }
            if let Some(s) = &check.subject
                && self.txn.subject.as_deref() != Some(fill(s, vars).as_str())
            {
                return false;
            }
            if let Some(r) = &check.rcpt {
                let r = fill(r, vars);
                if !self.txn.rcpts.iter().any(|a| a.eq_ignore_ascii_case(&r)) {
                    return false;
                }
            }
            if let Some(name) = &check.attachment
                && intact_attachment(&self.txn.message, name).is_none()
            {
                return false;
            }
        }
        true
    }
}

impl Progress {
    /// An IMAP response ticks a step when it ends what it answers (the greeting, a tagged
    /// completion, a `+`): `status` is its status (`OK`, `NO`, `BAD`) or `+`, `answers` the
    /// command's name (the UID form counts as the command).
    fn matches_imap(
        &self,
        check: &Check,
        e: &Entry,
        imap: &crate::transcript::ImapNote,
        vars: &Vars,
    ) -> bool {
        use crate::proto::imap::ResponseKind;
        let Some(crate::session::Parsed::Response(crate::session::Response::Imap(r))) =
            e.parsed.as_deref()
        else {
            return false;
        };
        if !imap.ends {
            return false;
        }
        let status = match (&r.kind, r.status) {
            (ResponseKind::Continuation, _) => "+",
            (_, Some(s)) => s.word(),
            (_, None) => "",
        };
        if check
            .status
            .as_deref()
            .is_some_and(|s| !s.eq_ignore_ascii_case(status))
        {
            return false;
        }
        let answers = imap.answers.as_deref().unwrap_or_default();
        let answers = answers.strip_prefix("UID ").unwrap_or(answers);
        if !check.answers.is_empty()
            && !check
                .answers
                .iter()
                .any(|a| a.eq_ignore_ascii_case(answers))
        {
            return false;
        }
        if !contains_wanted(check, e, vars) {
            return false;
        }
        !check.typed || self.txn.last_typed
    }
}

/// Whether the entry holds the text the check wants (case-insensitively), if it wants one.
fn contains_wanted(check: &Check, e: &Entry, vars: &Vars) -> bool {
    check.contains.as_ref().is_none_or(|text| {
        String::from_utf8_lossy(e.raw())
            .to_lowercase()
            .contains(&fill(text, vars).to_lowercase())
    })
}

/// The result of a lesson as a teacher collects it: the lesson, each step done or not, the
/// mistakes met, the time, and the transcript as it crossed the wire (passwords masked).
pub fn report(
    lesson: &Lesson,
    progress: &Progress,
    transcript: &crate::transcript::Transcript,
    lang: crate::proto::Lang,
    vars: &Vars,
) -> String {
    use crate::words::{tr, trf};
    // The report goes to disk: no password in it, even in a step's text.
    let mut vars = vars.clone();
    for k in ["password", "password_b64"] {
        if let Some(v) = vars.get_mut(k) {
            *v = crate::proto::auth::MASK.to_owned();
        }
    }
    let vars = &vars;
    let mut out = String::new();
    let done = progress.ticked.len();
    let secs = progress.elapsed().map_or(0, |d| d.as_secs());
    out.push_str(&format!("{}\n", lesson.title.get(lang)));
    out.push_str(&trf(
        lang,
        "lesson.report.head",
        &[
            ("done", &done.to_string()),
            ("steps", &lesson.steps.len().to_string()),
            ("time", &format!("{}:{:02}", secs / 60, secs % 60)),
            ("mistakes", &progress.setbacks.len().to_string()),
        ],
    ));
    out.push_str("\n\n");
    for (i, step) in lesson.steps.iter().enumerate() {
        let mark = if i < done { "[x]" } else { "[ ]" };
        out.push_str(&format!(
            "{mark} {}. {}\n",
            i + 1,
            fill(step.task.get(lang), vars)
        ));
        for s in progress.setbacks.iter().filter(|s| s.step == i) {
            out.push_str(&format!("      {}\n", s.reply));
        }
    }
    out.push_str(&format!("\n{}\n", tr(lang, "lesson.report.transcript")));
    out.push_str(&transcript.export_plain(false));
    out
}

/// A reply that refuses or fails: 4xx/5xx, `-ERR`, or a line that is no reply.
fn is_setback(e: &Entry) -> bool {
    if e.dir != Direction::Server {
        return false;
    }
    if let Some(code) = e.code() {
        return code >= 400;
    }
    let imap_refused = matches!(
        e.parsed.as_deref(),
        Some(crate::session::Parsed::Response(crate::session::Response::Imap(r)))
            if matches!(r.status, Some(crate::proto::imap::ImapStatus::No | crate::proto::imap::ImapStatus::Bad))
    );
    imap_refused
        || e.notes
            .iter()
            .any(|n| matches!(n, Note::Pop3Status("-ERR")) || matches!(n, Note::Malformed(_)))
}

/// `RCPT TO:<a@b>` → `a@b`.
fn angle_address(line: &str) -> Option<String> {
    let start = line.find('<')? + 1;
    let end = start + line[start..].find('>')?;
    Some(line[start..end].trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::Lang;

    #[test]
    fn fill_replaces_known_names_only() {
        let vars: Vars = [("to".to_owned(), "a@b".to_owned())].into_iter().collect();
        assert_eq!(
            fill("RCPT TO:<{to}> {other}", &vars),
            "RCPT TO:<a@b> {other}"
        );
    }

    #[test]
    fn angle_address_reads_the_brackets() {
        assert_eq!(angle_address("RCPT TO:< a@b >").as_deref(), Some("a@b"));
        assert_eq!(angle_address("RCPT TO:a@b"), None);
        assert_eq!(angle_address("RCPT TO:<a@b"), None);
    }

    #[test]
    fn errors_are_worded_in_both_languages() {
        for e in [
            LessonError::Toml("x".into()),
            LessonError::NoSteps,
            LessonError::EmptyCheck { step: 2 },
            LessonError::UnknownAction {
                step: 1,
                action: "fly".into(),
            },
            LessonError::UnknownFlag {
                step: 1,
                flag: "logged-in".into(),
            },
            LessonError::Fault("rcpt=9".into(), "bad".into()),
            LessonError::Accounts("x".into()),
        ] {
            for lang in [Lang::En, Lang::Zh] {
                let s = e.words().get(lang);
                assert!(!s.contains("lesson.error"), "{s}");
            }
        }
        assert!(
            LessonError::EmptyCheck { step: 2 }
                .words()
                .get(Lang::Zh)
                .contains("第 2 步")
        );
    }

    #[test]
    fn show_me_actions_are_checked() {
        for ok in [
            "connect",
            "send-message",
            "smtp:RCPT TO",
            "pop3:TOP",
            "answer:password",
            "raw:",
            "subject:Hi",
        ] {
            assert!(is_known_action(ok), "{ok}");
        }
        for bad in [
            "smtp:HELLO",
            "pop3:RCPT TO",
            "answer:name",
            "connect:now",
            "jump",
        ] {
            assert!(!is_known_action(bad), "{bad}");
        }
    }

    /// A step that asks the student to make a line (the base64 of the username, say) keeps
    /// the answer out of its task and hint; "Show me" may give it.
    #[test]
    fn a_step_the_student_makes_does_not_print_its_answer() {
        let vars: Vars = [
            ("username", "student@mailtutor.test"),
            ("password", "secret"),
            ("username_b64", "c3R1ZGVudEBtYWlsdHV0b3IudGVzdA=="),
            ("password_b64", "c2VjcmV0"),
            ("to", "teacher@mailtutor.test"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let mut checked = 0;
        for lesson in Lesson::built_in() {
            for step in lesson.steps.iter().filter(|s| s.check.typed) {
                let Some(answer) = step.check.decodes_to.as_deref() else {
                    continue;
                };
                let answer = crate::proto::auth::encode(fill(answer, &vars).as_bytes());
                for lang in [crate::proto::Lang::En, crate::proto::Lang::Zh] {
                    for text in [step.task.get(lang), step.hint.get(lang)] {
                        assert!(
                            !fill(text, &vars).contains(&answer),
                            "{}: {text}",
                            lesson.id
                        );
                    }
                }
                checked += 1;
            }
        }
        assert!(checked >= 3);
    }
}
