//! The lab on the class tab: pick a rubric, start grading the students' own programs on the
//! practice server, watch each student's score and failed checks arrive, open the session a
//! check failed in, and save every student's HTML report with the class's grades as CSV.

use std::path::PathBuf;
use std::sync::Arc;

use egui::RichText;

use super::Action;
use super::file_dialog::{Browse, Pick};
use super::i18n::{tr, trf};
use super::jobs::{Job, spawn, take_ready};
use crate::lab_report::{Named, load_rubric, reason, write_all};
use crate::proto::Lang;
use crate::proto::lab::rubric::BUILT_IN;
use crate::proto::lab::{Rubric, Verdict};
use crate::server::lab::LabResult;
use crate::server::roster::Roster;

pub struct LabPanel {
    /// The rubric chosen: a built-in one's name, or a file's path.
    pub choice: String,
    loading: Option<Job<Result<Rubric, String>>>,
    /// The rubric the server grades with, while a lab runs.
    pub running: Option<Rubric>,
    pub reports_path: String,
    saving: Option<Job<Result<PathBuf, String>>>,
    pub message: Option<(bool, String)>,
    browse_rubric: Browse,
    browse_reports: Browse,
}

impl Default for LabPanel {
    fn default() -> Self {
        Self {
            choice: BUILT_IN[0].0.to_owned(),
            loading: None,
            running: None,
            reports_path: String::new(),
            saving: None,
            message: None,
            browse_rubric: Browse::default(),
            browse_reports: Browse::default(),
        }
    }
}

impl LabPanel {
    pub fn is_busy(&self) -> bool {
        self.loading.is_some() || self.saving.is_some()
    }

    /// Collects a rubric read from a file (the lab then starts) or reports saved.
    pub fn poll(&mut self, lang: Lang) -> Option<Action> {
        if let Some(r) = take_ready(&mut self.saving) {
            self.message = Some(match r {
                Ok(dir) => (
                    true,
                    trf(lang, "lab.ui.saved", &[("dir", &dir.display().to_string())]),
                ),
                Err(e) => (false, e),
            });
        }
        match take_ready(&mut self.loading)? {
            Ok(rubric) => {
                self.message = None;
                self.running = Some(rubric.clone());
                Some(Action::StartLab(Some(Box::new(rubric))))
            }
            Err(e) => {
                self.message = Some((false, e));
                None
            }
        }
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        results: &std::collections::BTreeMap<String, Arc<LabResult>>,
        roster: &Roster,
    ) -> Option<Action> {
        let mut action = None;
        ui.heading(tr(lang, "lab.ui.heading"));
        match &self.running {
            Some(rubric) => {
                ui.label(trf(
                    lang,
                    "lab.ui.running",
                    &[
                        ("lab", rubric.title(lang)),
                        ("points", &rubric.total().to_string()),
                    ],
                ));
                let stages: Vec<String> = rubric
                    .stages
                    .iter()
                    .enumerate()
                    .map(|(i, s)| format!("{}. {}", i + 1, s.title.get(lang)))
                    .collect();
                ui.label(RichText::new(stages.join("   ")).weak());
                if ui.button(tr(lang, "lab.ui.stop")).clicked() {
                    self.running = None;
                    action = Some(Action::StartLab(None));
                }
            }
            None => {
                ui.label(tr(lang, "lab.ui.what"));
                ui.horizontal_wrapped(|ui| {
                    let l = ui.label(tr(lang, "lab.ui.rubric"));
                    let shown = BUILT_IN
                        .iter()
                        .find(|(n, _)| *n == self.choice)
                        .and_then(|(n, _)| Rubric::built_in(n).and_then(Result::ok))
                        .map(|r| {
                            trf(
                                lang,
                                "lab.ui.rubric_item",
                                &[("lab", r.title(lang)), ("points", &r.total().to_string())],
                            )
                        })
                        .unwrap_or_else(|| self.choice.clone());
                    egui::ComboBox::from_id_salt("lab-rubric")
                        .selected_text(shown)
                        .show_ui(ui, |ui| {
                            for (name, _) in BUILT_IN {
                                if let Some(Ok(r)) = Rubric::built_in(name) {
                                    let label = trf(
                                        lang,
                                        "lab.ui.rubric_item",
                                        &[
                                            ("lab", r.title(lang)),
                                            ("points", &r.total().to_string()),
                                        ],
                                    );
                                    ui.selectable_value(&mut self.choice, name.to_owned(), label);
                                }
                            }
                        })
                        .response
                        .labelled_by(l.id);
                    let chosen = self.browse_rubric.chosen();
                    if let Some(p) = &chosen {
                        self.choice = p.display().to_string();
                    }
                    let typed = self.choice.clone();
                    self.browse_rubric.button(
                        ui,
                        lang,
                        "lab.ui.rubric_file",
                        Pick::Open(&["toml"]),
                        &typed,
                    );
                    let start = ui.add_enabled(
                        self.loading.is_none(),
                        egui::Button::new(tr(lang, "lab.ui.start")),
                    );
                    if start.clicked() || chosen.is_some() {
                        let choice = self.choice.clone();
                        self.loading = Some(spawn("lab-rubric", ui.ctx(), move || {
                            load_rubric(&choice).map_err(|e| e.get(lang))
                        }));
                    }
                    if self.loading.is_some() {
                        ui.spinner();
                    }
                });
            }
        }
        if let Some((ok, text)) = &self.message {
            let color = if *ok {
                ui.visuals().text_color()
            } else {
                ui.visuals().error_fg_color
            };
            ui.colored_label(color, text);
        }
        if let Some(rubric) = self.running.clone() {
            if let Some(a) = self.table(ui, lang, &rubric, results, roster) {
                action = Some(a);
            }
            self.save_row(ui, lang, &rubric, results, roster);
        }
        action
    }

    fn table(
        &self,
        ui: &mut egui::Ui,
        lang: Lang,
        rubric: &Rubric,
        results: &std::collections::BTreeMap<String, Arc<LabResult>>,
        roster: &Roster,
    ) -> Option<Action> {
        if results.is_empty() {
            ui.label(RichText::new(tr(lang, "lab.ui.nobody")).weak());
            return None;
        }
        let mut action = None;
        egui::Grid::new("lab-scores")
            .striped(true)
            .num_columns(6)
            .show(ui, |ui| {
                for key in [
                    "class.name",
                    "class.address_col",
                    "lab.ui.score",
                    "lab.ui.attempts",
                    "lab.ui.failed",
                    "lab.ui.session",
                ] {
                    ui.strong(tr(lang, key));
                }
                ui.end_row();
                // The roster's order first, then programs that logged in with other accounts.
                let mut rows: Vec<(&str, &String, &Arc<LabResult>)> = roster
                    .students
                    .iter()
                    .filter_map(|s| {
                        results
                            .get_key_value(&s.address.to_ascii_lowercase())
                            .map(|(k, r)| (s.name.as_str(), k, r))
                    })
                    .collect();
                for (k, r) in results {
                    if !rows.iter().any(|(_, key, _)| *key == k) {
                        rows.push(("—", k, r));
                    }
                }
                for (name, student, result) in rows {
                    ui.label(name);
                    ui.monospace(student);
                    ui.label(
                        RichText::new(format!("{}/{}", result.total, rubric.total())).strong(),
                    );
                    ui.label(result.card.attempts.to_string());
                    ui.horizontal_wrapped(|ui| {
                        ui.set_min_width(340.0);
                        let mut any = false;
                        for (check, found) in result.card.results(rubric) {
                            let Some((r, _)) = found else { continue };
                            if matches!(r.verdict, Verdict::Pass) {
                                continue;
                            }
                            any = true;
                            let mark = if matches!(r.verdict, Verdict::Fail { .. }) {
                                RichText::new(format!("✗ {}", check.id))
                                    .color(ui.visuals().error_fg_color)
                            } else {
                                RichText::new(format!("– {}", check.id)).weak()
                            };
                            ui.label(mark).on_hover_text(reason(r, lang));
                        }
                        if result.card.silent > 0 {
                            ui.label(
                                RichText::new(trf(
                                    lang,
                                    "lab.ui.silent",
                                    &[("n", &result.card.silent.to_string())],
                                ))
                                .color(ui.visuals().warn_fg_color),
                            )
                            .on_hover_text(tr(lang, "lab.why.said_nothing"));
                        }
                        let untried = result.card.untried(rubric).len();
                        if untried > 0 {
                            ui.label(
                                RichText::new(trf(
                                    lang,
                                    "lab.ui.untried",
                                    &[("n", &untried.to_string())],
                                ))
                                .weak(),
                            );
                        } else if !any {
                            ui.label(tr(lang, "lab.ui.all_passed"));
                        }
                    });
                    let last = result
                        .card
                        .attempts()
                        .into_iter()
                        .find(|a| a.number == result.attempt)
                        .map(|a| a.session);
                    match last {
                        Some(id) => {
                            if ui
                                .link(trf(lang, "lab.ui.open_session", &[("n", &id.to_string())]))
                                .clicked()
                            {
                                action = Some(Action::ShowServerSession(id));
                            }
                        }
                        None => {
                            ui.label("");
                        }
                    }
                    ui.end_row();
                }
            });
        action
    }

    fn save_row(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        rubric: &Rubric,
        results: &std::collections::BTreeMap<String, Arc<LabResult>>,
        roster: &Roster,
    ) {
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr(lang, "lab.ui.save_to"));
            ui.add(
                egui::TextEdit::singleline(&mut self.reports_path)
                    .hint_text("lab-reports")
                    .desired_width(260.0),
            )
            .labelled_by(l.id);
            let chosen = self.browse_reports.chosen();
            if let Some(p) = &chosen {
                self.reports_path = p.display().to_string();
            }
            let ready = !self.reports_path.trim().is_empty() && self.saving.is_none();
            if ui
                .add_enabled(ready, egui::Button::new(tr(lang, "lab.ui.save")))
                .clicked()
                || chosen.is_some() && ready
            {
                let dir = PathBuf::from(self.reports_path.trim());
                let rubric = rubric.clone();
                let cards: Vec<_> = results.values().map(|r| r.card.clone()).collect();
                let class: Vec<Named> = roster
                    .students
                    .iter()
                    .map(|s| Named {
                        name: s.name.clone(),
                        address: s.address.clone(),
                    })
                    .collect();
                self.saving = Some(spawn("lab-save", ui.ctx(), move || {
                    write_all(&dir, &rubric, &cards, &class, lang)
                        .map(|()| dir.clone())
                        .map_err(|e| format!("{}: {e}", dir.display()))
                }));
            }
            let typed = self.reports_path.clone();
            self.browse_reports
                .button(ui, lang, "file.browse", Pick::Folder, &typed);
            if self.saving.is_some() {
                ui.spinner();
            }
        });
    }
}
