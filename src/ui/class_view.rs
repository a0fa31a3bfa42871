//! A class on the window's practice server: open it on a LAN address, make one account per
//! student from a list of names, hand the list out, and watch how far each student got.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use egui::RichText;
use poll_promise::Promise;

use super::Action;
use super::file_dialog::{Browse, Pick};
use super::i18n::{tr, trf};
use super::server_log::ServerLog;
use super::take_ready;
use crate::proto::Lang;
use crate::server::roster::{Roster, parse_names};

type Job<T> = Promise<Result<T, String>>;

/// How far one student (or one unnamed computer) got, from the server's side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    pub connected: bool,
    pub greeted: bool,
    pub logged_in: bool,
    pub sent: usize,
    pub read: usize,
    pub errors: usize,
}

/// Each account's progress (and, under the peer's address, sessions that never logged in).
pub fn progress(log: &ServerLog) -> BTreeMap<String, Progress> {
    let mut out: BTreeMap<String, Progress> = BTreeMap::new();
    for info in log.sessions.values() {
        let key = match &info.account {
            Some(a) => a.clone(),
            None => info
                .peer
                .rsplit_once(':')
                .map(|(ip, _)| ip.to_owned())
                .unwrap_or_else(|| info.peer.to_string()),
        };
        let p = out.entry(key).or_default();
        p.connected |= info.open;
        p.greeted = true;
        p.logged_in |= info.account.is_some();
        p.sent += info.delivered;
        p.read += info.retrieved;
        p.errors += info.errors;
    }
    out
}

pub struct ClassPanel {
    pub names: String,
    /// A class list file to read the names from (CSV or one per line, UTF-8 or GBK).
    pub import_path: String,
    importing: Option<Job<String>>,
    pub roster: Roster,
    loading: Option<Job<Roster>>,
    loaded: bool,
    adding: Option<Job<(Roster, usize)>>,
    pub show_passwords: bool,
    pub export_path: String,
    exporting: Option<Job<PathBuf>>,
    /// The LAN address typed for the class.
    pub address: String,
    /// The address the practice server serves the class on, when it does.
    pub serving: Option<IpAddr>,
    confirm_open: Option<IpAddr>,
    /// The outcome of the last action: true for success.
    pub message: Option<(bool, String)>,
    browse_import: Browse,
    browse_export: Browse,
    /// Grading the students' own programs.
    pub lab: super::lab_panel::LabPanel,
}

impl Default for ClassPanel {
    fn default() -> Self {
        Self {
            names: String::new(),
            import_path: String::new(),
            importing: None,
            roster: Roster::default(),
            loading: None,
            loaded: false,
            adding: None,
            show_passwords: false,
            export_path: dirs::document_dir()
                .unwrap_or_else(std::env::temp_dir)
                .join("mailtutor-class.csv")
                .display()
                .to_string(),
            exporting: None,
            browse_import: Browse::default(),
            browse_export: Browse::default(),
            address: String::new(),
            serving: None,
            confirm_open: None,
            message: None,
            lab: super::lab_panel::LabPanel::default(),
        }
    }
}

impl ClassPanel {
    pub fn is_busy(&self) -> bool {
        self.loading.is_some()
            || self.adding.is_some()
            || self.exporting.is_some()
            || self.importing.is_some()
            || self.lab.is_busy()
    }

    /// Collects finished background work; `AccountsAdded` when new accounts were saved.
    pub fn poll(&mut self, lang: Lang) -> Option<Action> {
        if let Some(a) = self.lab.poll(lang) {
            return Some(a);
        }
        if let Some(r) = take_ready(&mut self.loading) {
            match r {
                Ok(roster) => self.roster = roster,
                Err(e) => self.message = Some((false, e)),
            }
        }
        if let Some(r) = take_ready(&mut self.importing) {
            match r {
                // The file's names go into the field, to be read over before "Create".
                Ok(text) => {
                    if !self.names.is_empty() && !self.names.ends_with('\n') {
                        self.names.push('\n');
                    }
                    self.names.push_str(&text.replace("\r\n", "\n"));
                }
                Err(e) => self.message = Some((false, e)),
            }
        }
        if let Some(r) = take_ready(&mut self.exporting) {
            self.message = Some(match r {
                Ok(path) => (
                    true,
                    trf(
                        lang,
                        "class.exported",
                        &[("path", &path.display().to_string())],
                    ),
                ),
                Err(e) => (false, e),
            });
        }
        match take_ready(&mut self.adding)? {
            Ok((roster, added)) => {
                self.roster = roster;
                self.names.clear();
                self.message = Some((
                    true,
                    trf(lang, "class.created", &[("n", &added.to_string())]),
                ));
                (added > 0).then_some(Action::ClassAccountsAdded)
            }
            Err(e) => {
                self.message = Some((false, e));
                None
            }
        }
    }

    /// Adds an account for each new name to the roster in `data_dir`, on a background thread;
    /// the server starts again with them once they are saved.
    pub fn create(
        &mut self,
        names: Vec<String>,
        data_dir: &std::path::Path,
        taken: Vec<String>,
        ctx: &egui::Context,
    ) {
        let dir = data_dir.to_path_buf();
        self.adding = Some(super::jobs::spawn("roster-add", ctx, move || {
            Roster::load(&dir).and_then(|mut roster| {
                let added = roster.add(&names, &taken)?.len();
                roster.save(&dir)?;
                Ok((roster, added))
            })
        }));
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        data_dir: &std::path::Path,
        taken: Vec<String>,
        log: &ServerLog,
    ) -> Option<Action> {
        let ctx = ui.ctx().clone();
        if !self.loaded {
            self.loaded = true;
            let dir = data_dir.to_path_buf();
            self.loading = Some(super::jobs::spawn("roster-load", &ctx, move || {
                Roster::load(&dir)
            }));
        }
        let mut action = None;

        ui.heading(tr(lang, "class.serve"));
        match self.serving {
            Some(ip) => {
                ui.label(trf(lang, "class.serving", &[("ip", &ip.to_string())]));
                ui.monospace(format!(
                    "SMTP {ip}:2525   SMTPS {ip}:4465   POP3 {ip}:1110   POP3S {ip}:1995   IMAP {ip}:1143   IMAPS {ip}:1993"
                ));
                if ui.button(tr(lang, "class.stop_serving")).clicked() {
                    self.serving = None;
                    action = Some(Action::RestartForClass);
                }
            }
            None => {
                ui.horizontal_wrapped(|ui| {
                    let l = ui.label(tr(lang, "class.address"));
                    ui.add(
                        egui::TextEdit::singleline(&mut self.address)
                            .hint_text("192.168.1.10")
                            .desired_width(160.0),
                    )
                    .labelled_by(l.id);
                    let ip = self.address.trim().parse::<IpAddr>().ok();
                    if ui
                        .add_enabled(ip.is_some(), egui::Button::new(tr(lang, "class.open")))
                        .clicked()
                    {
                        self.confirm_open = ip;
                    }
                });
                if let Some(ip) = self.confirm_open {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        trf(lang, "class.open_warning", &[("ip", &ip.to_string())]),
                    );
                    ui.horizontal(|ui| {
                        if ui.button(tr(lang, "class.open_yes")).clicked() {
                            self.serving = Some(ip);
                            self.confirm_open = None;
                            action = Some(Action::RestartForClass);
                        }
                        if ui.button(tr(lang, "plain_auth.cancel")).clicked() {
                            self.confirm_open = None;
                        }
                    });
                }
            }
        }

        ui.separator();
        ui.heading(tr(lang, "class.roster"));
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr(lang, "class.import_from"));
            ui.add(
                egui::TextEdit::singleline(&mut self.import_path)
                    .hint_text("names.csv")
                    .desired_width(280.0),
            )
            .labelled_by(l.id);
            let chosen = self.browse_import.chosen();
            if let Some(p) = &chosen {
                self.import_path = p.display().to_string();
            }
            let ready = !self.import_path.trim().is_empty() && self.importing.is_none();
            if ui
                .add_enabled(ready, egui::Button::new(tr(lang, "class.import")))
                .clicked()
                || chosen.is_some() && ready
            {
                let path = PathBuf::from(self.import_path.trim());
                self.importing = Some(super::jobs::spawn("roster-import", &ctx, move || {
                    std::fs::read(&path)
                        .map(|bytes| crate::explain::decode_paste(&bytes))
                        .map_err(|e| format!("{}: {e}", path.display()))
                }));
            }
            let typed = self.import_path.clone();
            self.browse_import
                .button(ui, lang, "file.browse", Pick::Open(&["csv", "txt"]), &typed);
        });
        let l = ui.label(tr(lang, "class.names"));
        ui.add(
            egui::TextEdit::multiline(&mut self.names)
                .hint_text(tr(lang, "class.names_hint"))
                .desired_rows(4)
                .desired_width(ui.available_width().min(480.0)),
        )
        .labelled_by(l.id);
        let names = parse_names(&self.names);
        ui.horizontal_wrapped(|ui| {
            let create = ui.add_enabled(
                !names.is_empty() && !self.is_busy(),
                egui::Button::new(trf(
                    lang,
                    "class.create",
                    &[("n", &names.len().to_string())],
                )),
            );
            if create.clicked() {
                self.create(names, data_dir, taken, &ctx);
            }
            if self.is_busy() {
                ui.spinner();
            }
        });
        if let Some((ok, text)) = &self.message {
            let color = if *ok {
                ui.visuals().text_color()
            } else {
                ui.visuals().error_fg_color
            };
            ui.colored_label(color, text);
        }
        ui.separator();
        if let Some(a) = self.lab.ui(ui, lang, &log.lab, &self.roster) {
            action = Some(a);
        }
        ui.separator();
        ui.heading(tr(lang, "class.live"));
        self.class_table(ui, lang, log);
        action
    }

    fn class_table(&mut self, ui: &mut egui::Ui, lang: Lang, log: &ServerLog) {
        let progress = progress(log);
        if self.roster.students.is_empty() && progress.is_empty() {
            ui.label(RichText::new(tr(lang, "class.nobody")).weak());
            return;
        }
        if !self.roster.students.is_empty() {
            self.export_row(ui, lang);
        }
        let done = |on: bool| if on { "√" } else { "·" };
        egui::ScrollArea::vertical()
            .id_salt("class-table")
            .show(ui, |ui| {
                egui::Grid::new("class-roster")
                    .striped(true)
                    .num_columns(9)
                    .show(ui, |ui| {
                        for key in [
                            "class.name",
                            "class.address_col",
                            "class.password",
                            "class.online",
                            "class.greeted",
                            "class.logged_in",
                            "class.sent",
                            "class.read",
                            "class.errors",
                        ] {
                            ui.strong(tr(lang, key));
                        }
                        ui.end_row();
                        // The roster first, then whoever else the server has seen: other
                        // accounts, and computers that have not logged in (by address).
                        let named = self.roster.students.iter().map(|s| {
                            let password = if self.show_passwords {
                                s.password.as_str()
                            } else {
                                "********"
                            };
                            (s.name.as_str(), s.address.as_str(), password)
                        });
                        let others = progress
                            .keys()
                            .filter(|k| !self.roster.students.iter().any(|s| &s.address == *k))
                            .map(|k| ("—", k.as_str(), ""));
                        for (name, address, password) in named.chain(others) {
                            let p = progress.get(address).cloned().unwrap_or_default();
                            ui.label(name);
                            ui.monospace(address);
                            ui.monospace(password);
                            ui.label(if p.connected { "●" } else { "○" });
                            ui.label(done(p.greeted));
                            ui.label(done(p.logged_in));
                            ui.label(p.sent.to_string());
                            ui.label(p.read.to_string());
                            let errors = RichText::new(p.errors.to_string());
                            ui.label(if p.errors > 0 {
                                errors.color(ui.visuals().warn_fg_color)
                            } else {
                                errors
                            });
                            ui.end_row();
                        }
                    });
            });
    }

    fn export_row(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal_wrapped(|ui| {
            ui.checkbox(&mut self.show_passwords, tr(lang, "class.show_passwords"));
            let l = ui.label(tr(lang, "class.export_to"));
            ui.add(egui::TextEdit::singleline(&mut self.export_path).desired_width(280.0))
                .labelled_by(l.id);
            let chosen = self.browse_export.chosen();
            if let Some(p) = &chosen {
                self.export_path = p.display().to_string();
            }
            if ui
                .add_enabled(
                    self.exporting.is_none(),
                    egui::Button::new(tr(lang, "class.export")),
                )
                .clicked()
                || chosen.is_some() && self.exporting.is_none()
            {
                let path = PathBuf::from(self.export_path.trim());
                let csv = self.roster.to_csv();
                self.exporting = Some(super::jobs::spawn("roster-export", ui.ctx(), move || {
                    // A byte order mark, so spreadsheet programs read the Chinese names.
                    // It holds passwords: readable by the teacher only.
                    crate::server::roster::write_private(&path, format!("\u{feff}{csv}").as_bytes())
                        .map(|()| path.clone())
                        .map_err(|e| format!("{}: {e}", path.display()))
                }));
            }
            let typed = self.export_path.clone();
            self.browse_export
                .button(ui, lang, "file.browse", Pick::Save, &typed);
        });
    }
}
