//! The practice server's log in the window: every session it has seen, both sides line by
//! line, folded from the server's event stream and filterable by session or account.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::SystemTime;

use egui::{Color32, RichText};

use super::i18n::{tr, trf};
use crate::proto::Lang;
use crate::server::{ServerEvent, ServerEventKind, Service, Side};
use crate::words::Words;

/// The most log lines kept; older ones are dropped first (a class sends for hours).
pub const MAX_ROWS: usize = 50_000;

/// One line of the log.
#[derive(Debug, Clone)]
pub struct LogRow {
    pub at: SystemTime,
    pub session: u64,
    pub side: Side,
    /// A wire line as it was sent, or a note in words, read in the reader's language.
    pub words: Words,
}

impl LogRow {
    pub fn text(&self, lang: Lang) -> String {
        self.words.get(lang)
    }
}

/// What the server's side knows of one session: where from, who logged in, how far it got.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub service: Service,
    pub peer: Arc<str>,
    pub started: SystemTime,
    pub account: Option<String>,
    pub open: bool,
    pub delivered: usize,
    pub retrieved: usize,
    /// Replies of class 4 or 5, and -ERR.
    pub errors: usize,
}

#[derive(Default)]
pub struct ServerLog {
    rows: VecDeque<LogRow>,
    /// Lines dropped to keep within [`MAX_ROWS`].
    pub dropped: usize,
    pub sessions: BTreeMap<u64, SessionInfo>,
    /// Counts the events that can change a mailbox: deliveries, and the end of a POP3 session
    /// that logged in (its QUIT may delete). The mailbox view lists again when it moves.
    pub store_changes: u64,
    start: Option<SystemTime>,
    filter_session: Option<u64>,
    filter_account: String,
    /// Each student's lab scorecard after their latest attempt, by account or address.
    pub lab: BTreeMap<String, Arc<crate::server::lab::LabResult>>,
}

impl ServerLog {
    /// Shows only this session's lines.
    pub fn show_session(&mut self, id: u64) {
        self.filter_session = Some(id);
    }

    /// Folds one event from the server.
    pub fn apply(&mut self, e: ServerEvent) {
        self.start.get_or_insert(e.at);
        let info = self
            .sessions
            .entry(e.session)
            .or_insert_with(|| SessionInfo {
                service: e.service,
                peer: Arc::clone(&e.peer),
                started: e.at,
                account: None,
                open: true,
                delivered: 0,
                retrieved: 0,
                errors: 0,
            });
        let (side, words) = e.kind.said(&e.peer);
        match &e.kind {
            ServerEventKind::Line { side, text } => {
                if *side == Side::Server && is_error_reply(text) {
                    info.errors += 1;
                }
                // An IMAP session changes the store while it runs (flags, EXPUNGE, COPY,
                // MOVE, APPEND, folders): each completed command may have.
                if *side == Side::Server
                    && matches!(info.service, Service::Imap | Service::Imaps)
                    && info.account.is_some()
                    && imap_completed(text)
                {
                    self.store_changes += 1;
                }
            }
            ServerEventKind::LoggedIn { account } => info.account = Some(account.clone()),
            ServerEventKind::Delivered { .. } => {
                info.delivered += 1;
                self.store_changes += 1;
            }
            ServerEventKind::Retrieved { count, .. } => info.retrieved += count,
            ServerEventKind::Disconnected => {
                info.open = false;
                if !info.service.is_smtp() && info.account.is_some() {
                    self.store_changes += 1;
                }
            }
            ServerEventKind::Connected | ServerEventKind::Said { .. } => {}
            ServerEventKind::Graded(result) => {
                self.lab
                    .insert(result.card.student.clone(), Arc::clone(result));
            }
        }
        let row = LogRow {
            at: e.at,
            session: e.session,
            side,
            words,
        };
        if e.session == 0 {
            // Notes about the server itself belong to no session.
            self.sessions.remove(&0);
        }
        self.rows.push_back(row);
        while self.rows.len() > MAX_ROWS {
            self.rows.pop_front();
            self.dropped += 1;
        }
    }

    pub fn rows(&self) -> impl Iterator<Item = &LogRow> {
        self.rows.iter()
    }

    pub fn clear(&mut self) {
        *self = Self {
            store_changes: self.store_changes,
            ..Self::default()
        };
    }

    /// Whether a row passes the filters: one session, or the sessions of an account.
    fn shows(&self, row: &LogRow) -> bool {
        if let Some(s) = self.filter_session
            && row.session != s
        {
            return false;
        }
        let want = self.filter_account.trim();
        if want.is_empty() {
            return true;
        }
        self.sessions
            .get(&row.session)
            .and_then(|i| i.account.as_deref())
            .is_some_and(|a| a.to_lowercase().contains(&want.to_lowercase()))
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr(lang, "log.session"));
            let shown = match self.filter_session.and_then(|s| self.sessions.get(&s)) {
                Some(info) => session_label(self.filter_session.unwrap_or(0), info),
                None => tr(lang, "log.all_sessions"),
            };
            egui::ComboBox::from_id_salt("log-session")
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    ui.selectable_value(
                        &mut self.filter_session,
                        None,
                        tr(lang, "log.all_sessions"),
                    );
                    for (id, info) in self.sessions.iter().rev() {
                        ui.selectable_value(
                            &mut self.filter_session,
                            Some(*id),
                            session_label(*id, info),
                        );
                    }
                })
                .response
                .labelled_by(l.id);
            let l = ui.label(tr(lang, "log.account"));
            ui.add(
                egui::TextEdit::singleline(&mut self.filter_account)
                    .hint_text("student@mailtutor.test")
                    .desired_width(200.0),
            )
            .labelled_by(l.id);
            if ui.button(tr(lang, "log.clear")).clicked() {
                self.clear();
            }
        });
        if self.dropped > 0 {
            ui.label(
                RichText::new(trf(
                    lang,
                    "log.dropped",
                    &[("n", &self.dropped.to_string())],
                ))
                .weak(),
            );
        }
        ui.separator();
        let rows: Vec<&LogRow> = self.rows.iter().filter(|r| self.shows(r)).collect();
        if rows.is_empty() {
            ui.label(RichText::new(tr(lang, "log.empty")).weak());
            return;
        }
        let start = self.start;
        let height = ui.text_style_height(&egui::TextStyle::Monospace) + 4.0;
        egui::ScrollArea::both()
            .id_salt("server-log")
            .auto_shrink([false, false])
            .stick_to_bottom(true)
            .show_rows(ui, height, rows.len(), |ui, range| {
                for row in &rows[range] {
                    row_ui(ui, row, start, lang);
                }
            });
    }
}

fn session_label(id: u64, info: &SessionInfo) -> String {
    match &info.account {
        Some(a) => format!("#{id} {} {} {a}", info.service.name(), info.peer),
        None => format!("#{id} {} {}", info.service.name(), info.peer),
    }
}

/// A reply that reports a failure: SMTP class 4 or 5, POP3 -ERR.
fn is_error_reply(text: &str) -> bool {
    text.starts_with("-ERR") || text.starts_with('4') || text.starts_with('5')
}

fn row_ui(ui: &mut egui::Ui, row: &LogRow, start: Option<SystemTime>, lang: Lang) {
    let secs = start
        .and_then(|s| row.at.duration_since(s).ok())
        .map(|d| d.as_secs_f32())
        .unwrap_or_default();
    let dark = ui.visuals().dark_mode;
    let (mark, color) = match row.side {
        Side::Client => (
            "C:",
            if dark {
                Color32::from_rgb(120, 180, 255)
            } else {
                Color32::from_rgb(20, 80, 170)
            },
        ),
        Side::Server => (
            "S:",
            if dark {
                Color32::from_rgb(150, 220, 150)
            } else {
                Color32::from_rgb(20, 110, 40)
            },
        ),
        Side::Note => ("··", ui.visuals().weak_text_color()),
    };
    ui.horizontal(|ui| {
        ui.monospace(RichText::new(format!("{secs:>8.1}s #{:<3}", row.session)).weak());
        ui.monospace(RichText::new(mark).color(color).strong());
        let text = RichText::new(row.text(lang)).monospace().color(color);
        ui.add(egui::Label::new(if row.side == Side::Note {
            text.italics()
        } else {
            text
        }));
    });
}

/// A tagged IMAP completion (`a5 OK …`), not untagged data or a continuation.
fn imap_completed(text: &str) -> bool {
    let mut words = text.split_ascii_whitespace();
    matches!(
        (words.next(), words.next()),
        (Some(tag), Some(status)) if tag != "*" && tag != "+" && status.eq_ignore_ascii_case("OK")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(session: u64, kind: ServerEventKind) -> ServerEvent {
        ServerEvent {
            at: SystemTime::now(),
            session,
            service: Service::Smtp,
            peer: Arc::from("127.0.0.1:5000"),
            kind,
        }
    }

    #[test]
    fn folds_sessions_accounts_and_errors() {
        let mut log = ServerLog::default();
        log.apply(event(1, ServerEventKind::Connected));
        log.apply(event(
            1,
            ServerEventKind::Line {
                side: Side::Server,
                text: "535 5.7.8 Error".into(),
            },
        ));
        log.apply(event(
            1,
            ServerEventKind::LoggedIn {
                account: "a@x".into(),
            },
        ));
        log.apply(event(2, ServerEventKind::Connected));
        log.apply(event(1, ServerEventKind::Disconnected));
        let one = &log.sessions[&1];
        assert_eq!(one.account.as_deref(), Some("a@x"));
        assert_eq!(one.errors, 1);
        assert!(!one.open && log.sessions[&2].open);
        log.filter_account = "A@X".into();
        assert_eq!(log.rows().filter(|r| log.shows(r)).count(), 4);
        log.filter_account.clear();
        log.filter_session = Some(2);
        assert_eq!(log.rows().filter(|r| log.shows(r)).count(), 1);
    }

    #[test]
    fn keeps_at_most_max_rows() {
        let mut log = ServerLog::default();
        for _ in 0..MAX_ROWS + 10 {
            log.apply(event(1, ServerEventKind::Connected));
        }
        assert_eq!(log.rows().count(), MAX_ROWS);
        assert_eq!(log.dropped, 10);
    }
}
