//! The window's side of a lesson: starting and leaving one (the practice server set up for
//! it and back), ticking its steps from the transcript, playing "Show me", saving an exam.

use std::path::PathBuf;

use super::{Mark, Model, Tab};
use crate::lesson::{LessonProtocol, Vars};
use crate::session::Protocol;
use crate::ui::commands::CommandPanel;
use crate::ui::lesson::LessonPanel;

impl Model {
    /// What a lesson's text and checks name in braces: the practice account and the recipient.
    pub(in crate::ui) fn lesson_vars(&self) -> Vars {
        // The practice account, not the fields: a lesson may type a wrong password on purpose.
        let (user, pass) = self
            .practice()
            .and_then(|p| {
                let name = self.commands.username.trim();
                p.accounts
                    .iter()
                    .find(|(a, _)| a.eq_ignore_ascii_case(name))
                    .or(p.accounts.first())
                    .cloned()
            })
            .unwrap_or_else(|| {
                (
                    self.commands.username.trim().to_owned(),
                    self.commands.password.clone(),
                )
            });
        let b64 = |s: &str| crate::proto::auth::encode(s.as_bytes());
        let to = self.composer.to.trim().trim_matches(['<', '>']).to_owned();
        [
            ("username_b64", b64(&user)),
            ("password_b64", b64(&pass)),
            ("username", user),
            ("password", pass),
            ("to", to),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect()
    }

    /// Whether the running lesson's current step wants a line the student makes and types
    /// (no card or button may make it for them).
    pub(in crate::ui) fn lesson_step_is_typed(&self) -> bool {
        self.lessons.active.as_ref().is_some_and(|a| {
            a.progress
                .current()
                .and_then(|i| self.lessons.lessons.get(a.index)?.steps.get(i))
                .is_some_and(|s| s.check.typed)
        })
    }

    /// Starts lesson `index`: a fresh transcript, the practice server set up as the lesson
    /// wants, and the connection bar pointed at it.
    pub fn start_lesson(&mut self, index: usize) {
        let Some(lesson) = self.lessons.lessons.get(index).cloned() else {
            return;
        };
        self.link.disconnect();
        self.link.clear();
        self.queued.clear();
        self.commands = CommandPanel::default();
        let protocol = match lesson.protocol {
            LessonProtocol::Smtp => Protocol::Smtp,
            LessonProtocol::Pop3 => Protocol::Pop3,
            LessonProtocol::Imap => Protocol::Imap,
        };
        self.bar.use_practice(protocol);
        let setup = lesson.setup.clone();
        let (from, to) = (
            self.composer.to.trim().trim_matches(['<', '>']).to_owned(),
            self.commands.username.trim().to_owned(),
        );
        // The running server takes the lesson's set-up as it runs: its ports, certificate and
        // session numbers stay, and a terminal connected to it is not dropped. The lesson's
        // mail is put in the maildrop off the UI thread.
        let extra: Vec<_> = setup.accounts().iter().cloned().collect();
        if self.server.apply(setup.policy(), setup.faults(), extra) {
            if let Some(store) = self.server.running().map(|s| s.store().clone()) {
                self.lesson_mail = Some(crate::ui::jobs::spawn(
                    "lesson-mail",
                    &self.ctx,
                    move || {
                        setup.deliver_mail(&store, &from, &to).map_err(|e| {
                            crate::words::Words::new("lesson.setup_failed").arg("error", e)
                        })
                    },
                ));
            }
        } else {
            let configure = setup.clone();
            self.server.restart(
                self.server_setup(),
                Box::new(move |c| configure.configure(c)),
                Box::new(move |s| {
                    setup.deliver_mail(s.store(), &from, &to).map_err(|e| {
                        crate::words::Words::new("lesson.setup_failed").arg("error", e)
                    })
                }),
                &self.ctx,
            );
        }
        self.settings
            .lessons
            .entry(lesson.id.clone())
            .or_insert(Mark::InProgress);
        self.lessons.begin(index, self.link.transcript.len());
        self.tab = Tab::Lessons;
    }

    /// Writes an exam's result (off the UI thread).
    pub(in crate::ui) fn save_lesson_result(&mut self, path: PathBuf) {
        let vars = self.lesson_vars();
        let Some(a) = self.lessons.active.as_ref() else {
            return;
        };
        let Some(lesson) = self.lessons.lessons.get(a.index) else {
            return;
        };
        let text = crate::lesson::report(
            lesson,
            &a.progress,
            &self.link.transcript,
            self.settings.lang,
            &vars,
        );
        self.lessons.saving = Some(crate::ui::jobs::spawn(
            "save-result",
            &self.ctx,
            move || {
                std::fs::write(&path, text)
                    .map(|()| path.clone())
                    .map_err(|e| format!("{}: {e}", path.display()))
            },
        ));
    }

    /// Leaves the lesson and gives the practice server its usual policy back, with no fault
    /// staged, as it runs (the lesson's accounts stay: a student may still use them).
    pub fn stop_lesson(&mut self) {
        self.lessons.active = None;
        self.queued.clear();
        self.link.disconnect();
        let policy = self.policy.clone();
        if !self.server.apply(policy.clone(), Vec::new(), Vec::new()) {
            self.server.restart(
                self.server_setup(),
                Box::new(move |c| c.policy = policy),
                Box::new(|_| Ok(())),
                &self.ctx,
            );
        }
    }

    /// Collects the lesson's mail delivery: a failure is said where errors are.
    pub(in crate::ui) fn poll_lesson_mail(&mut self) {
        if self
            .lesson_mail
            .as_ref()
            .is_some_and(|p| p.ready().is_some())
            && let Some(p) = self.lesson_mail.take()
            && let Err(e) = p.block_and_take()
        {
            self.link.last_error = Some(e);
        }
    }

    pub fn lesson_panel(&self) -> &LessonPanel {
        &self.lessons
    }

    /// Steps of the lesson under way ticked so far.
    pub fn lesson_ticked(&self) -> Option<usize> {
        self.lessons
            .active
            .as_ref()
            .map(|a| a.progress.ticked.len())
    }

    /// The lesson under way, its steps and which are done, for the HTML page. Passwords in a
    /// step's text are masked, as in the saved result.
    fn lesson_marks(&self, mut vars: Vars) -> Option<crate::html_export::LessonMarks> {
        let a = self.lessons.active.as_ref()?;
        let lesson = self.lessons.lessons.get(a.index)?;
        for k in ["password", "password_b64"] {
            if let Some(v) = vars.get_mut(k) {
                *v = crate::proto::auth::MASK.to_owned();
            }
        }
        let lang = self.settings.lang;
        Some(crate::html_export::LessonMarks {
            title: lesson.title.get(lang).to_owned(),
            steps: lesson
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| {
                    (
                        crate::lesson::fill(step.task.get(lang), &vars),
                        i < a.progress.ticked.len(),
                    )
                })
                .collect(),
        })
    }

    /// "Show me" actions still to play.
    pub fn showing(&self) -> bool {
        !self.queued.is_empty()
    }

    /// Ticks the lesson's steps from the new transcript rows and plays "Show me".
    pub(in crate::ui) fn follow_lesson(&mut self) {
        if self.lessons.active.is_none() {
            self.view.lesson_marks = None;
            return;
        }
        let vars = self.lesson_vars();
        let rows = &self.link.typed_rows;
        if let Some(id) = self.lessons.follow(
            self.link.transcript.entries(),
            self.link.opened_rows,
            &|i| rows.contains(&i),
            &vars,
        ) {
            self.settings.lessons.insert(id, Mark::Done);
            // The summary is on the Lessons tab.
            self.tab = Tab::Lessons;
        }
        self.view.lesson_marks = self.lesson_marks(vars);
        if self.queued.is_empty() {
            return;
        }
        let ready =
            !self.link.is_connecting() && self.link.busy().is_none() && self.practice().is_some();
        if ready && let Some(a) = self.queued.pop_front() {
            self.perform(a);
        }
        self.ctx
            .request_repaint_after(std::time::Duration::from_millis(50));
    }
}
