//! Scripted sessions (`mailtutor --demo NAME`): the same clicks a student makes, played one
//! after another against the practice server, for the README's screenshots and for a
//! teacher who wants to show a whole send before the class tries it.

use std::collections::VecDeque;

use super::Action;
use super::model::{Model, Tab};
use super::server_side::ServerTab;
use crate::proto::Lang;
use crate::proto::auth::PromptKind;
use crate::proto::pop3::Pop3Kind;
use crate::proto::smtp::CommandKind as K;
use crate::session::Protocol;

pub const SCENARIOS: [&str; 22] = [
    "send",
    "send-zh",
    "send-tls",
    "send-tls-zh",
    "auth-fail",
    "base64",
    "pop3",
    "projector",
    "starttls-first",
    "starttls-first-zh",
    "lessons",
    "lessons-zh",
    "lesson-hint",
    "lesson-hint-zh",
    "lesson-summary",
    "lesson-summary-zh",
    "lesson-exam",
    "lesson-exam-zh",
    "server-mailbox",
    "server-log",
    "server-faults",
    "server-class",
];

#[derive(Debug, Clone)]
pub enum DemoStep {
    Lang(Lang),
    /// Zoom factor and dark theme, as a teacher sets them for a projector.
    Projector(f32, bool),
    Protocol(Protocol),
    Username(&'static str),
    Password(&'static str),
    /// The subject, by its key in the translation tables.
    Subject(&'static str),
    Connect,
    /// Waits for the server's greeting.
    Greeted,
    Smtp(K),
    Pop3(Pop3Kind),
    SendUsername,
    SendPassword,
    SendMessage,
    /// Waits for the server to close after QUIT.
    Closed,
    ClearTranscript,
    Tab(Tab),
    LoadLast334,
    PinTooltip(u16),
    Lesson(&'static str),
    /// The current step's "Show me", played to its end.
    ShowMe,
    Hint,
    Exam,
    LeaveLesson,
    /// The server's side at this tab, or the client's side again.
    ServerSide(Option<ServerTab>),
    /// Waits for the mailbox to list the account's mail, then opens the newest message.
    OpenNewestMail,
    /// Stages a fault on the practice server, written as for `serve --fault`.
    Stage(&'static str),
    RequireAuth,
    /// Makes the class's accounts from the names under this key of the translation tables.
    Roster(&'static str),
    /// Waits until the class's accounts are made and the server runs with them.
    RosterReady,
}

pub struct Demo {
    steps: VecDeque<DemoStep>,
    /// The step taken last, when it must be waited for.
    waiting: Option<DemoStep>,
    announced: bool,
    require_tls: bool,
    /// The steps ticked when the last "Show me" started: the demo goes on once one more is.
    ticked_at_show_me: usize,
}

/// Connect, EHLO, AUTH LOGIN and the username: the server then asks for the password.
fn up_to_password() -> [DemoStep; 5] {
    use DemoStep::*;
    [
        Connect,
        Greeted,
        Smtp(K::Ehlo),
        Smtp(K::AuthLogin),
        SendUsername,
    ]
}

/// The recipient logs in over POP3 to read what was sent.
fn pop3_login() -> [DemoStep; 6] {
    use DemoStep::*;
    [
        Protocol(crate::session::Protocol::Pop3),
        Username("teacher@mailtutor.test"),
        Connect,
        Greeted,
        Pop3(Pop3Kind::User),
        Pop3(Pop3Kind::Pass),
    ]
}

fn send_steps(quit: bool) -> Vec<DemoStep> {
    use DemoStep::*;
    let mut v = vec![Protocol(crate::session::Protocol::Smtp)];
    v.extend(up_to_password());
    v.extend([
        SendPassword,
        Smtp(K::MailFrom),
        Smtp(K::RcptTo),
        Smtp(K::Data),
        SendMessage,
    ]);
    if quit {
        v.extend([Smtp(K::Quit), Closed]);
    }
    v
}

fn lang_of(name: &str) -> DemoStep {
    DemoStep::Lang(if name.ends_with("-zh") {
        crate::proto::Lang::Zh
    } else {
        crate::proto::Lang::En
    })
}

impl Demo {
    pub fn new(name: &str) -> Self {
        use DemoStep::*;
        let steps: Vec<DemoStep> = match name {
            "send-zh" => [Lang(crate::proto::Lang::Zh), Subject("demo.subject.zh")]
                .into_iter()
                .chain(send_steps(false))
                .collect(),
            // The whole send as a real server wants it: STARTTLS first, then a new EHLO and AUTH.
            "send-tls" | "send-tls-zh" => [lang_of(name), Subject("demo.subject.zh")]
                .into_iter()
                .chain([
                    Protocol(crate::session::Protocol::Smtp),
                    Connect,
                    Greeted,
                    Smtp(K::Ehlo),
                    Smtp(K::StartTls),
                    Smtp(K::Ehlo),
                    Smtp(K::AuthLogin),
                    SendUsername,
                    SendPassword,
                    Smtp(K::MailFrom),
                    Smtp(K::RcptTo),
                    Smtp(K::Data),
                    SendMessage,
                    Smtp(K::Quit),
                    Closed,
                ])
                .collect(),
            "projector" => [
                Lang(crate::proto::Lang::Zh),
                Projector(1.3, true),
                Subject("demo.subject.projector"),
            ]
            .into_iter()
            .chain(send_steps(false))
            .collect(),
            "auth-fail" => [Lang(crate::proto::Lang::En), Password("wrong-password")]
                .into_iter()
                .chain(up_to_password())
                .chain([SendPassword, PinTooltip(535)])
                .collect(),
            // AUTH LOGIN on a plain connection to a server that wants TLS first: the 530 is
            // explained as "encrypt first", not as a wrong password.
            "starttls-first" | "starttls-first-zh" => [Lang(if name.ends_with("-zh") {
                crate::proto::Lang::Zh
            } else {
                crate::proto::Lang::En
            })]
            .into_iter()
            .chain([
                Connect,
                Greeted,
                Smtp(K::Ehlo),
                Smtp(K::AuthLogin),
                PinTooltip(530),
            ])
            .collect(),
            "base64" => [Lang(crate::proto::Lang::En)]
                .into_iter()
                .chain(up_to_password())
                .chain([Tab(super::Tab::Base64), LoadLast334])
                .collect(),
            "pop3" => [Lang(crate::proto::Lang::En), Subject("demo.subject.pop3")]
                .into_iter()
                .chain(send_steps(true))
                .chain([ClearTranscript])
                .chain(pop3_login())
                .chain([
                    Pop3(Pop3Kind::Stat),
                    Pop3(Pop3Kind::List),
                    Pop3(Pop3Kind::Retr),
                ])
                .collect(),
            // The list with one lesson done, one under way and the rest not started.
            "lessons" | "lessons-zh" => [lang_of(name), Lesson("two-rcpt")]
                .into_iter()
                .chain(std::iter::repeat_n(ShowMe, 9))
                .chain([LeaveLesson, Lesson("errors"), ShowMe, ShowMe])
                .chain([Smtp(K::Quit), Closed, LeaveLesson])
                .collect(),
            // Lesson one where the student types the base64 of the username, hint open.
            "lesson-hint" | "lesson-hint-zh" => [lang_of(name), Lesson("send")]
                .into_iter()
                .chain([ShowMe, ShowMe, ShowMe, Hint])
                .collect(),
            // A lesson finished with one mistake met and fixed: RCPT TO before MAIL FROM.
            "lesson-summary" | "lesson-summary-zh" => [lang_of(name), Lesson("two-rcpt"), ShowMe]
                .into_iter()
                .chain([Smtp(K::RcptTo)])
                .chain(std::iter::repeat_n(ShowMe, 8))
                .collect(),
            "lesson-exam" | "lesson-exam-zh" => [lang_of(name), Exam, Lesson("errors")]
                .into_iter()
                .chain([
                    Connect,
                    Greeted,
                    Smtp(K::MailFrom),
                    Smtp(K::Helo),
                    Smtp(K::Data),
                ])
                .collect(),
            // The teacher's side after a student's send in Chinese: the message decoded.
            "server-mailbox" => [Lang(crate::proto::Lang::En), Subject("demo.subject.zh")]
                .into_iter()
                .chain(send_steps(true))
                .chain([ServerSide(Some(ServerTab::Mailbox)), OpenNewestMail])
                .collect(),
            // Two sessions in the log: a send, then the message read back over POP3.
            "server-log" => [Lang(crate::proto::Lang::En), Subject("demo.subject.pop3")]
                .into_iter()
                .chain(send_steps(true))
                .chain(pop3_login())
                .chain([
                    Pop3(Pop3Kind::Retr),
                    Pop3(Pop3Kind::Quit),
                    Closed,
                    ServerSide(Some(ServerTab::Log)),
                ])
                .collect(),
            "server-faults" => [
                Lang(crate::proto::Lang::En),
                Stage("rcpt=550:sticky"),
                Stage("greet=421"),
                Stage("delay=3000"),
                RequireAuth,
                ServerSide(Some(ServerTab::Faults)),
            ]
            .into_iter()
            .collect(),
            // A class of five: one student sent mail (with a mistake on the way), the rest
            // have not started.
            "server-class" => [
                Lang(crate::proto::Lang::Zh),
                ServerSide(Some(ServerTab::Class)),
                Roster("demo.class_names"),
                RosterReady,
                ServerSide(None),
                Protocol(crate::session::Protocol::Smtp),
            ]
            .into_iter()
            .chain(up_to_password())
            .chain([
                SendPassword,
                Smtp(K::RcptTo),
                Smtp(K::MailFrom),
                Smtp(K::RcptTo),
                Smtp(K::Data),
                SendMessage,
                ServerSide(Some(ServerTab::Class)),
            ])
            .collect(),
            _ => [
                Lang(crate::proto::Lang::En),
                Subject("compose.default_subject"),
            ]
            .into_iter()
            .chain(send_steps(true))
            .collect(),
        };
        Self {
            steps: steps.into(),
            waiting: None,
            announced: false,
            ticked_at_show_me: 0,
            require_tls: name.starts_with("starttls-first"),
        }
    }

    /// How the practice server behaves for this demo: the STARTTLS demos need it to refuse
    /// logins on a plain connection.
    pub fn policy(&self) -> crate::server::Policy {
        crate::server::Policy {
            require_tls: self.require_tls,
            persona: None,
            ..Default::default()
        }
    }

    pub fn finished(&self) -> bool {
        self.steps.is_empty() && self.waiting.is_none()
    }

    /// The next action once the window is ready for it; `None` while waiting (or when the
    /// step was only a wait).
    pub fn next(&mut self, app: &Model) -> Option<Action> {
        // Nothing to talk to until the practice server is up.
        app.server()?;
        match self.waiting {
            Some(DemoStep::Connect) if !app.is_connected() => return None,
            Some(DemoStep::Greeted) => {
                let greeted = match app.protocol() {
                    Protocol::Smtp => app
                        .transcript()
                        .smtp()
                        .expected_next()
                        .first()
                        .is_some_and(|s| *s != crate::proto::smtp_state::Step::WaitForGreeting),
                    Protocol::Pop3 => app
                        .transcript()
                        .pop3()
                        .expected_next()
                        .first()
                        .is_some_and(|s| *s != crate::proto::pop3_state::Pop3Step::WaitForGreeting),
                };
                if !greeted {
                    return None;
                }
            }
            Some(DemoStep::Closed) if app.is_connected() => return None,
            Some(DemoStep::ShowMe)
                if app
                    .lesson_ticked()
                    .is_some_and(|n| n <= self.ticked_at_show_me) =>
            {
                return None;
            }
            _ => {}
        }
        self.waiting = None;
        match self.steps.front() {
            Some(DemoStep::OpenNewestMail) if app.server_side.mailbox.newest().is_none() => {
                return None;
            }
            Some(DemoStep::RosterReady)
                if app.server_side.class.roster.students.is_empty()
                    || app.server_side.class.is_busy() =>
            {
                return None;
            }
            _ => {}
        }
        let step = self.steps.pop_front();
        match &step {
            Some(s @ (DemoStep::Connect | DemoStep::Greeted | DemoStep::Closed)) => {
                self.waiting = Some(s.clone());
            }
            Some(DemoStep::ShowMe) => {
                self.ticked_at_show_me = app.lesson_ticked().unwrap_or(0);
                self.waiting = Some(DemoStep::ShowMe);
            }
            Some(_) => {}
            None if !self.announced => {
                self.announced = true;
                // The screenshot scripts wait for this line; the transcript after it lets them
                // check what crossed the wire (passwords masked).
                println!("mailtutor demo: done");
                let text = app.transcript().export_annotated(Lang::En, false);
                print!("{}", crate::proto::line::printable(&text));
            }
            None => {}
        }
        step.and_then(|s| s.action(app.lang()))
    }
}

impl DemoStep {
    /// The action this step plays: the same one a click would make.
    fn action(self, lang: Lang) -> Option<Action> {
        Some(match self {
            DemoStep::Lang(l) => Action::SetLang(l),
            DemoStep::Projector(zoom, dark) => Action::SetLook { zoom, dark },
            DemoStep::Protocol(p) => Action::SetProtocol(p),
            DemoStep::Username(u) => Action::SetUsername(u.into()),
            DemoStep::Password(p) => Action::SetPassword(p.into()),
            DemoStep::Subject(key) => Action::SetSubject(crate::words::tr(lang, key)),
            DemoStep::Connect => Action::Connect,
            DemoStep::Greeted | DemoStep::Closed => return None,
            DemoStep::Smtp(kind) => Action::SmtpButton(kind),
            DemoStep::Pop3(kind) => Action::Pop3Button(kind),
            DemoStep::SendUsername => Action::Answer(PromptKind::Username),
            DemoStep::SendPassword => Action::Answer(PromptKind::Password),
            DemoStep::SendMessage => Action::SendMessage,
            DemoStep::ClearTranscript => Action::ClearTranscript,
            DemoStep::Tab(t) => Action::ShowTab(t),
            DemoStep::LoadLast334 => Action::LoadLast334,
            DemoStep::PinTooltip(code) => Action::PinTooltip(code),
            DemoStep::Lesson(id) => Action::StartLesson(id.into()),
            DemoStep::ShowMe => Action::LessonShowMe,
            DemoStep::Hint => Action::LessonHint,
            DemoStep::Exam => Action::SetExam(true),
            DemoStep::LeaveLesson => Action::LeaveLesson,
            DemoStep::ServerSide(tab) => Action::ShowServerSide(tab),
            DemoStep::OpenNewestMail => Action::OpenNewestMail,
            DemoStep::Stage(fault) => match fault.parse() {
                Ok(f) => Action::StageFault(f),
                Err(_) => return None,
            },
            DemoStep::RequireAuth => Action::RequireAuth(true),
            DemoStep::Roster(key) => Action::CreateAccounts(crate::words::tr(lang, key)),
            DemoStep::RosterReady => return None,
        })
    }
}
