//! The Lessons tab: every lesson with its progress, and the lesson under way, each step
//! ticked by what came back on the wire. "Show me" plays the same actions as the buttons.

use super::View;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use egui::RichText;
use poll_promise::Promise;
use serde::{Deserialize, Serialize};

use super::Action;
use super::file_dialog::{Browse, Pick};
use super::i18n::{tr, trf};
use crate::lesson::{Lesson, Progress, Step, Vars, fill};
use crate::proto::Lang;
use crate::transcript::Entry;
use crate::words::Words;

/// How far a student got in a lesson, kept across restarts under the lesson's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Mark {
    InProgress,
    Done,
}

/// The lesson under way.
pub struct Active {
    pub index: usize,
    pub progress: Progress,
    hint_open: bool,
    /// The step last scrolled into view.
    scrolled_to: Option<usize>,
}

pub struct LessonPanel {
    pub lessons: Vec<Lesson>,
    pub active: Option<Active>,
    /// Exam mode: no hints, no "Show me", no (!) predictions.
    pub exam: bool,
    /// A lesson file or a folder of them, as the teacher typed it.
    path: String,
    loading: Option<Promise<Result<Vec<Lesson>, Words>>>,
    load_result: Option<Result<usize, Words>>,
    /// Where an exam's result is written.
    pub result_path: String,
    pub saving: Option<Promise<Result<PathBuf, String>>>,
    saved: Option<Result<PathBuf, String>>,
    browse_file: Browse,
    browse_folder: Browse,
    browse_result: Browse,
}

impl Default for LessonPanel {
    fn default() -> Self {
        Self {
            lessons: Lesson::built_in(),
            active: None,
            exam: false,
            path: String::new(),
            browse_file: Browse::default(),
            browse_folder: Browse::default(),
            browse_result: Browse::default(),
            loading: None,
            load_result: None,
            result_path: String::new(),
            saving: None,
            saved: None,
        }
    }
}

/// Reads one lesson file, or every `.toml` file of a folder, sorted by name; a failure says
/// which file and why, in words for either language.
pub fn read_lessons(path: &Path) -> Result<Vec<Lesson>, Words> {
    let in_file = |p: &Path, why: Words| {
        Words::new("lesson.error.in_file")
            .arg("file", p.display())
            .arg_words("why", why)
    };
    let unreadable = |p: &Path, e: std::io::Error| {
        in_file(p, Words::new("lesson.error.unreadable").arg("error", e))
    };
    let files = if path.is_dir() {
        let mut v: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| unreadable(path, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        v.sort();
        v
    } else {
        vec![path.to_path_buf()]
    };
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| unreadable(&f, e))?;
        let lesson = Lesson::parse(&text).map_err(|e| in_file(&f, e.words()))?;
        out.push(lesson);
    }
    if out.is_empty() {
        return Err(in_file(path, Words::new("lesson.error.no_files")));
    }
    Ok(out)
}

/// A "Show me" entry as the action a click would make: only the student's own clicks and
/// fields, never the rest of the window.
pub fn show_me_action(spec: &str, vars: &Vars) -> Option<Action> {
    let step = crate::script::Step::parse(&fill(spec, vars))?;
    if !step.is_show_me() {
        return None;
    }
    super::demo::action(step, crate::proto::Lang::En)
}

impl LessonPanel {
    /// Starts following a lesson from the transcript row `from`.
    pub fn begin(&mut self, index: usize, from: usize) {
        if let Some(lesson) = self.lessons.get(index) {
            // The home directory comes from the environment; nothing is read here.
            let dir = dirs::home_dir().unwrap_or_else(std::env::temp_dir);
            self.result_path = dir
                .join(format!("mailtutor-{}-result.txt", lesson.id))
                .display()
                .to_string();
            self.saved = None;
            self.active = Some(Active {
                index,
                progress: Progress::new(lesson, from),
                hint_open: false,
                scrolled_to: None,
            });
        }
    }

    /// The current step's "Show me", as the actions the buttons make.
    pub fn show_me(&self, vars: &Vars) -> Vec<Action> {
        let Some(a) = &self.active else {
            return Vec::new();
        };
        let step = a
            .progress
            .current()
            .and_then(|i| self.lessons.get(a.index)?.steps.get(i));
        step.map(|s| {
            s.show_me
                .iter()
                .filter_map(|x| show_me_action(x, vars))
                .collect()
        })
        .unwrap_or_default()
    }

    /// Opens the current step's hint (not in exam mode).
    pub fn open_hint(&mut self) {
        if let Some(a) = &mut self.active
            && !self.exam
        {
            a.hint_open = true;
        }
    }

    pub fn lesson(&self) -> Option<&Lesson> {
        self.active.as_ref().and_then(|a| self.lessons.get(a.index))
    }

    /// Reads the new transcript rows; returns the id of a lesson that just finished.
    pub fn follow(
        &mut self,
        entries: &[Entry],
        live_from: usize,
        typed: &dyn Fn(usize) -> bool,
        vars: &Vars,
    ) -> Option<String> {
        let a = self.active.as_mut()?;
        let lesson = self.lessons.get(a.index)?;
        if a.progress.is_done() {
            return None;
        }
        let newly = a.progress.follow(lesson, entries, live_from, typed, vars);
        if !newly.is_empty() {
            a.hint_open = false;
        }
        a.progress.is_done().then(|| lesson.id.clone())
    }

    fn poll_loading(&mut self) {
        let Some(p) = &self.loading else {
            return;
        };
        if p.ready().is_none() {
            return;
        }
        let Some(p) = self.loading.take() else {
            return;
        };
        self.load_result = Some(match p.block_and_take() {
            Ok(new) => {
                let n = new.len();
                for l in new {
                    // A lesson with the id of one already listed replaces it.
                    match self.lessons.iter().position(|x| x.id == l.id) {
                        Some(i) => self.lessons[i] = l,
                        None => self.lessons.push(l),
                    }
                }
                Ok(n)
            }
            Err(e) => Err(e),
        });
    }

    /// The step under way, for the top of the other tabs (the composer after 354, say), so
    /// the lesson never leaves the screen.
    pub fn current_ui(&mut self, ui: &mut egui::Ui, lang: Lang, vars: &Vars) -> Option<Action> {
        let exam = self.exam;
        let a = self.active.as_mut()?;
        let lesson = self.lessons.get(a.index)?;
        let i = a.progress.current()?;
        let step = lesson.steps.get(i)?;
        let mut action = None;
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.label(
                RichText::new(format!(
                    "{} · {}. {}",
                    lesson.title.get(lang),
                    i + 1,
                    fill(step.task.get(lang), vars)
                ))
                .strong(),
            );
            action = step_help(ui, lang, a, i, step, exam, vars);
        });
        action
    }

    fn active_ui(&mut self, ui: &mut egui::Ui, lang: Lang, vars: &Vars) -> Option<Action> {
        let exam = self.exam;
        let a = self.active.as_mut()?;
        let lesson = self.lessons.get(a.index)?;
        let mut action = None;
        let top = ui.heading(lesson.title.get(lang)).rect;
        // Leaving and the summary come first, so they are in view without scrolling.
        let key = if a.progress.is_done() {
            "lesson.close"
        } else {
            "lesson.stop"
        };
        if ui.button(tr(lang, key)).clicked() {
            action = Some(Action::LeaveLesson);
        }
        if a.progress.is_done() {
            summary_ui(ui, lang, &a.progress, lesson.steps.len());
            // The list was scrolled down to the last step: the summary and the way back
            // come into view once the lesson is done.
            if a.scrolled_to != Some(usize::MAX) {
                a.scrolled_to = Some(usize::MAX);
                let block = top.union(egui::Rect::from_min_size(ui.cursor().min, egui::Vec2::ZERO));
                ui.scroll_to_rect(block, Some(egui::Align::Min));
            }
        }
        if exam {
            if let Some(p) = &self.saving
                && let Some(r) = p.ready()
            {
                self.saved = Some(r.clone());
                self.saving = None;
            }
            ui.horizontal_wrapped(|ui| {
                let l = ui.label(tr(lang, "lesson.result.path"));
                ui.add(egui::TextEdit::singleline(&mut self.result_path).desired_width(220.0))
                    .labelled_by(l.id);
                let busy = self.saving.is_some();
                let chosen = self.browse_result.chosen();
                if let Some(p) = &chosen {
                    self.result_path = p.display().to_string();
                }
                if ui
                    .add_enabled(!busy, egui::Button::new(tr(lang, "lesson.result.save")))
                    .clicked()
                    || chosen.is_some() && !busy
                {
                    action = Some(Action::SaveLessonResult(PathBuf::from(
                        self.result_path.trim(),
                    )));
                }
                let typed = self.result_path.clone();
                self.browse_result
                    .button(ui, lang, "file.browse", Pick::Save, &typed);
                if busy {
                    ui.spinner();
                }
            });
            super::transcript_view::saved_ui(ui, lang, self.saved.as_ref());
        }
        ui.separator();
        if exam {
            ui.label(RichText::new(tr(lang, "lesson.exam.on")).strong());
        }
        ui.label(fill(lesson.goal.get(lang), vars));
        ui.label(RichText::new(fill(lesson.intro.get(lang), vars)).weak());
        ui.separator();
        let current = a.progress.current();
        for (i, step) in lesson.steps.iter().enumerate() {
            let done = i < a.progress.ticked.len();
            let here = current == Some(i);
            let mark = if done {
                "√"
            } else if here {
                "→"
            } else {
                "○"
            };
            let text = format!("{mark} {}. {}", i + 1, fill(step.task.get(lang), vars));
            let text = if here {
                RichText::new(text).strong()
            } else if done {
                RichText::new(text).weak()
            } else {
                RichText::new(text)
            };
            let row = ui.label(text);
            if !here {
                continue;
            }
            if let Some(act) = step_help(ui, lang, a, i, step, exam, vars) {
                action = Some(act);
            }
            // A new step and its buttons come into view by themselves: the list outgrows the
            // panel. Only as far as needed, so the top stays in view when it can.
            if a.scrolled_to != Some(i) {
                a.scrolled_to = Some(i);
                let block = egui::Rect::from_min_max(
                    row.rect.min,
                    egui::pos2(row.rect.max.x, ui.cursor().top()),
                );
                ui.scroll_to_rect(block, None);
            }
        }
        action
    }
}

/// Under the current step: what went wrong (a reply that was not the step's), the hint and
/// "Show me" (both hidden in exam mode).
fn step_help(
    ui: &mut egui::Ui,
    lang: Lang,
    a: &mut Active,
    i: usize,
    step: &Step,
    exam: bool,
    vars: &Vars,
) -> Option<Action> {
    let mut action = None;
    if let Some(s) = a.progress.setbacks.iter().rev().find(|s| s.step == i) {
        // Only what the lesson adds: why the step did not tick, and how to go on. The reply's
        // explanation stands in the transcript and under it, once.
        ui.group(|ui| {
            let got = s.reply.split_whitespace().next().unwrap_or_default();
            let want = step
                .check
                .code
                .map(|c| c.to_string())
                .or_else(|| step.check.status.clone());
            match want {
                Some(want) => ui.label(trf(
                    lang,
                    "lesson.setback_waits",
                    &[("got", got), ("want", &want)],
                )),
                None => ui.label(trf(lang, "lesson.setback", &[("reply", got)])),
            };
            if let Some(x) = &s.explanation {
                ui.label(
                    RichText::new(trf(lang, "lesson.recover", &[("next", &x.next(lang))])).strong(),
                );
            }
        });
    }
    if exam {
        return None;
    }
    // "Show me" first: the hint's button changes its label (Hint / Hide hint), and nothing
    // after it moves when it does.
    ui.horizontal(|ui| {
        if ui
            .add_enabled(
                !step.show_me.is_empty(),
                egui::Button::new(tr(lang, "lesson.show_me")),
            )
            .clicked()
        {
            action = Some(Action::LessonShowMe);
        }
        let key = if a.hint_open {
            "lesson.hint.hide"
        } else {
            "lesson.hint"
        };
        if ui.button(tr(lang, key)).clicked() {
            a.hint_open = !a.hint_open;
        }
    });
    if a.hint_open {
        ui.label(RichText::new(fill(step.hint.get(lang), vars)).italics());
    }
    action
}

fn summary_ui(ui: &mut egui::Ui, lang: Lang, p: &Progress, steps: usize) {
    ui.label(RichText::new(tr(lang, "lesson.finished")).heading());
    let secs = p.elapsed().unwrap_or(Duration::ZERO).as_secs();
    let time = format!("{}:{:02}", secs / 60, secs % 60);
    let fixed = p.setbacks.iter().filter(|s| s.fixed).count();
    ui.label(trf(
        lang,
        "lesson.summary",
        &[
            ("steps", &steps.to_string()),
            ("mistakes", &p.setbacks.len().to_string()),
            ("fixed", &fixed.to_string()),
            ("time", &time),
        ],
    ));
    for s in &p.setbacks {
        ui.label(RichText::new(format!("{}. {}", s.step + 1, s.reply)).monospace());
    }
}

/// What the Lessons tab reads: the language, each lesson's progress, and the values its
/// texts name.
pub struct LessonContext<'a> {
    pub lang: Lang,
    pub marks: &'a BTreeMap<String, Mark>,
    pub vars: &'a Vars,
}

impl View for LessonPanel {
    type Context<'a> = LessonContext<'a>;

    fn ui(&mut self, ui: &mut egui::Ui, cx: &Self::Context<'_>) -> Option<Action> {
        let (lang, marks, vars) = (cx.lang, cx.marks, cx.vars);
        self.poll_loading();
        if self.active.is_some() {
            return self.active_ui(ui, lang, vars);
        }
        let mut action = None;
        ui.checkbox(&mut self.exam, tr(lang, "lesson.exam"))
            .on_hover_text(tr(lang, "lesson.exam.tip"));
        ui.separator();
        for l in &self.lessons {
            let (mark, key) = match marks.get(&l.id) {
                Some(Mark::Done) => ("√", "lesson.done"),
                Some(Mark::InProgress) => ("◎", "lesson.in_progress"),
                None => ("○", "lesson.not_started"),
            };
            // The state on a line of its own under the title: it never wraps mid-word.
            ui.horizontal(|ui| {
                ui.label(RichText::new(mark).strong())
                    .on_hover_text(tr(lang, key));
                // A long title (or a zoomed window) wraps inside the panel, never clipped.
                if ui
                    .add(egui::Button::new(l.title.get(lang)).wrap())
                    .on_hover_text(l.goal.get(lang))
                    .clicked()
                {
                    action = Some(Action::StartLesson(l.id.clone()));
                }
            });
            ui.horizontal(|ui| {
                ui.add_space(22.0);
                ui.label(RichText::new(tr(lang, key)).small().weak());
            });
        }
        ui.separator();
        let l = ui.label(tr(lang, "lesson.open"));
        ui.add(
            egui::TextEdit::singleline(&mut self.path)
                .hint_text(tr(lang, "lesson.open.hint"))
                .desired_width(ui.available_width()),
        )
        .labelled_by(l.id);
        let busy = self.loading.is_some();
        ui.horizontal(|ui| {
            let chosen = self
                .browse_file
                .chosen()
                .or_else(|| self.browse_folder.chosen());
            if let Some(p) = &chosen {
                self.path = p.display().to_string();
            }
            if ui
                .add_enabled(
                    !busy && !self.path.trim().is_empty(),
                    egui::Button::new(tr(lang, "lesson.open.button")),
                )
                .clicked()
                || chosen.is_some() && !busy
            {
                let path = PathBuf::from(self.path.trim());
                self.load_result = None;
                self.loading = Some(super::jobs::spawn("read-lessons", ui.ctx(), move || {
                    read_lessons(&path)
                }));
            }
            let typed = self.path.clone();
            self.browse_file
                .button(ui, lang, "file.browse", Pick::Open(&["toml"]), &typed);
            self.browse_folder
                .button(ui, lang, "file.browse_folder", Pick::Folder, &typed);
            if busy {
                ui.spinner();
            }
        });
        match &self.load_result {
            Some(Ok(n)) => {
                ui.label(trf(lang, "lesson.opened", &[("count", &n.to_string())]));
            }
            Some(Err(e)) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    trf(lang, "lesson.open.failed", &[("error", &e.get(lang))]),
                );
            }
            None => {}
        }
        action
    }
}

#[cfg(test)]
mod tests {
    use super::read_lessons;
    use crate::proto::Lang;

    #[test]
    fn a_lesson_that_cannot_be_read_is_said_in_the_readers_language() {
        let dir = std::env::temp_dir().join(format!("mailtutor-lessons-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let Err(w) = read_lessons(&dir) else {
            panic!("an empty folder gave lessons")
        };
        assert!(
            w.get(Lang::Zh).contains("没有 .toml 课程文件"),
            "{}",
            w.get(Lang::Zh)
        );
        assert!(w.get(Lang::En).contains("no .toml lesson files"));
        std::fs::write(dir.join("a.toml"), "id = \"x\"\n[[step]]\n").unwrap();
        let Err(w) = read_lessons(&dir) else {
            panic!("a broken lesson was read")
        };
        assert!(w.get(Lang::Zh).contains("a.toml："), "{}", w.get(Lang::Zh));
        assert!(w.get(Lang::Zh).contains("课程"), "{}", w.get(Lang::Zh));
        let _ = std::fs::remove_dir_all(&dir);
        let Err(w) = read_lessons(&dir.join("missing.toml")) else {
            panic!("a missing file was read")
        };
        assert!(w.get(Lang::Zh).contains("无法读取"), "{}", w.get(Lang::Zh));
    }
}
