//! Scripted sessions (`mailtutor --demo NAME`): the steps of `assets/demos.toml`, played one
//! after another against the practice server as the clicks a student makes, for the
//! README's screenshots and for a teacher who wants to show a whole send before the class
//! tries it. The model answers what a step waits for; this file reads none of its fields.

use std::collections::VecDeque;

use super::Action;
use super::model::Model;
use crate::proto::Lang;
use crate::script::{Demos, Step, Wait};

/// The demos' names, as `--demo` takes them.
pub fn names() -> Vec<&'static str> {
    Demos::built_in().names()
}

/// What the demo waits for before its next step.
#[derive(Debug, Clone, Copy)]
enum Waiting {
    For(Wait),
    /// One more lesson step ticked than when "Show me" was clicked.
    Ticked(usize),
}

pub struct Demo {
    steps: VecDeque<Step>,
    waiting: Option<Waiting>,
    announced: bool,
    require_tls: bool,
}

impl Demo {
    /// The demo of this name; an unknown name plays nothing (the command line checks names).
    pub fn new(name: &str) -> Self {
        let demo = Demos::built_in().get(name);
        Self {
            steps: demo
                .map(|d| d.steps.iter().filter_map(|s| Step::parse(s)).collect())
                .unwrap_or_default(),
            waiting: None,
            announced: false,
            require_tls: demo.is_some_and(|d| d.require_tls),
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

    /// Every step played, the last wait over, and the end announced.
    pub fn finished(&self) -> bool {
        self.steps.is_empty() && self.waiting.is_none() && self.announced
    }

    /// The next action once the window is ready for it; `None` while waiting (or when the
    /// step was only a wait).
    pub fn next(&mut self, model: &Model) -> Option<Action> {
        // Nothing to talk to until the practice server is up.
        model.server()?;
        let done = match self.waiting {
            Some(Waiting::For(w)) => model.reached(w),
            Some(Waiting::Ticked(n)) => model.lesson_ticked().is_none_or(|t| t > n),
            None => true,
        };
        if !done {
            return None;
        }
        self.waiting = None;
        let step = self.steps.pop_front();
        match &step {
            Some(Step::Wait(w)) => self.waiting = Some(Waiting::For(*w)),
            Some(Step::ShowMe) => {
                self.waiting = Some(Waiting::Ticked(model.lesson_ticked().unwrap_or(0)));
            }
            Some(_) => {}
            None if !self.announced => {
                self.announced = true;
                // The screenshot scripts wait for this line; the transcript after it lets them
                // check what crossed the wire (passwords masked).
                println!("mailtutor demo: done");
                let text = model.transcript().export_annotated(Lang::En, false);
                print!("{}", crate::proto::line::printable(&text));
            }
            None => {}
        }
        step.and_then(|s| action(s, model.lang()))
    }
}

/// The action a scripted step plays: the same one a click makes. A wait plays none; words
/// named by key are taken in `lang`.
pub fn action(step: Step, lang: Lang) -> Option<Action> {
    Some(match step {
        Step::Connect => Action::Connect,
        Step::SendMessage => Action::SendMessage,
        Step::Smtp(kind) => Action::SmtpButton(kind),
        Step::Pop3(kind) => Action::Pop3Button(kind),
        Step::Imap(button) => Action::ImapButton(button),
        Step::Answer(kind) => Action::Answer(kind),
        Step::Raw(line) => Action::Raw(line),
        Step::Username(u) => Action::SetUsername(u),
        Step::Password(p) => Action::SetPassword(p),
        Step::Subject(s) => Action::SetSubject(s),
        Step::SubjectWords(key) => Action::SetSubject(crate::words::tr(lang, &key)),
        Step::Lang(l) => Action::SetLang(l),
        Step::Look { zoom, dark } => Action::SetLook { zoom, dark },
        Step::Protocol(p) => Action::SetProtocol(p),
        Step::Tab(t) => Action::ShowTab(t),
        Step::ServerSide(tab) => Action::ShowServerSide(tab),
        Step::ClearTranscript => Action::ClearTranscript,
        Step::LoadLast334 => Action::LoadLast334,
        Step::PinTooltip(code) => Action::PinTooltip(code),
        Step::Lesson(id) => Action::StartLesson(id),
        Step::ShowMe => Action::LessonShowMe,
        Step::Hint => Action::LessonHint,
        Step::Exam => Action::SetExam(true),
        Step::LeaveLesson => Action::LeaveLesson,
        Step::OpenNewestMail => Action::OpenNewestMail,
        Step::Stage(fault) => Action::StageFault(fault),
        Step::RequireAuth => Action::RequireAuth(true),
        Step::Roster(key) => Action::CreateAccounts(crate::words::tr(lang, &key)),
        Step::Attach(path) => Action::Attach(path.into()),
        Step::Html => Action::SetHtml(true),
        Step::MimePart(n) => Action::SelectMimePart(n),
        Step::Open(path) => Action::OpenFile(path.into()),
        Step::Wait(_) => return None,
    })
}
