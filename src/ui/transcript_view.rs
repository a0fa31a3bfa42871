//! The live transcript: one row per line that crossed the wire, with time, direction, a
//! colored code badge that explains itself on hover, and the decoded base64 underneath.
//! Only the rows in view are drawn, so 100,000 lines scroll smoothly.

use std::time::SystemTime;

use egui::{Align, Color32, Key, Layout, RichText, Sense, TextStyle};

use super::Action;
use super::file_dialog::Browse;
use super::i18n::{tr, trf};
use crate::proto::Lang;
use crate::proto::auth;
use crate::session::{Parsed, Response};
use crate::transcript::{Direction, Entry, Note, Transcript};

mod badge;
mod files;
mod wrap;

use badge::badge_ui;
pub use badge::{CodeHelp, explanation_ui};
pub use files::saved_ui;
use files::{Format, OpenForm, SaveForm};
use wrap::{EVENT, Measured, Notes, Widths};

/// The longest part of a line drawn in a row; the rest is in Copy and Save.
const MAX_DRAWN: usize = 2_000;

#[derive(Debug, Clone, Copy)]
enum RowKind {
    /// Bytes `start..end` of the entry's text; `first` carries the time and badge.
    Line {
        start: u32,
        end: u32,
        first: bool,
    },
    Note(u16),
    /// A further line of a note wrapped onto several rows.
    NoteMore {
        note: u16,
        line: u16,
    },
}

/// How far notes are indented under their line.
const NOTE_INDENT: f32 = 150.0;

/// In a narrow transcript (a zoomed window on a projector) notes hang this little instead, so
/// their lines keep room for words.
const NARROW_INDENT: f32 = 36.0;

/// The transcript width below which notes hang by [`NARROW_INDENT`].
const NARROW: f32 = 560.0;

/// How far notes are indented in a transcript this wide.
fn note_indent(width: f32) -> f32 {
    if width < NARROW {
        NARROW_INDENT
    } else {
        NOTE_INDENT
    }
}

#[derive(Debug, Clone, Copy)]
struct Row {
    entry: u32,
    kind: RowKind,
}

/// What a click on a row asks: of the window, or of the view itself.
enum RowClick {
    Act(Action),
    /// Fold a long note to its first line, or open it again.
    ToggleNote {
        entry: u32,
        note: u16,
    },
}

/// The find bar (Ctrl+F): the entries that contain the text, and the one shown.
#[derive(Default)]
pub struct Find {
    pub open: bool,
    pub query: String,
    /// Entries that match, in order.
    pub hits: Vec<usize>,
    /// Which hit is shown.
    pub current: usize,
    /// The query and transcript length the hits were found for.
    found_for: Option<(String, usize, bool)>,
    focus: bool,
    /// Scroll to the current hit on the next frame.
    jump: bool,
}

impl Find {
    /// Finds the entries (their text, or a note under them) containing the query, any case.
    fn search(&mut self, t: &Transcript, lang: Lang, show: bool) {
        let key = (self.query.clone(), t.len(), show);
        if self.found_for.as_ref() == Some(&key) {
            return;
        }
        let q = self.query.trim().to_lowercase();
        self.hits = if q.is_empty() {
            Vec::new()
        } else {
            t.entries()
                .iter()
                .enumerate()
                .filter(|(_, e)| {
                    let text = match e.dir {
                        Direction::Event => e.event_text(lang, show),
                        _ => e.text(show),
                    };
                    text.to_lowercase().contains(&q)
                        || e.notes
                            .iter()
                            .any(|n| n.render(lang, show).to_lowercase().contains(&q))
                })
                .map(|(i, _)| i)
                .collect()
        };
        if self
            .found_for
            .as_ref()
            .is_none_or(|(q0, _, _)| *q0 != key.0)
        {
            self.current = 0;
            self.jump = !self.hits.is_empty();
        }
        self.current = self.current.min(self.hits.len().saturating_sub(1));
        self.found_for = Some(key);
    }

    pub fn current_entry(&self) -> Option<usize> {
        self.hits.get(self.current).copied()
    }

    fn step(&mut self, forward: bool) {
        let n = self.hits.len();
        if n == 0 {
            return;
        }
        self.current = if forward {
            (self.current + 1) % n
        } else {
            (self.current + n - 1) % n
        };
        self.jump = true;
    }
}

pub struct TranscriptView {
    rows: Vec<Row>,
    /// How many transcript entries `rows` covers, and of which transcript.
    indexed: usize,
    generation: Option<crate::transcript::Generation>,
    save: SaveForm,
    opener: OpenForm,
    /// Keeps the code tooltip of this entry open (for the scripted screenshots).
    pub pinned_tooltip: Option<usize>,
    pub find: Find,
    /// Where the rows start on screen, below the toolbar and any open form: the step card
    /// floats there, so it never covers the forms.
    pub rows_top: f32,
    /// The running lesson's steps and marks, for the HTML page (set by the window).
    pub lesson_marks: Option<crate::html_export::LessonMarks>,
    /// The transcript and its length when it was last saved whole.
    pub saved_for: Option<(crate::transcript::Generation, usize)>,
    /// The older reply the pane below explains, marked in the transcript (set by the window).
    pub shown_reply: Option<usize>,
    notes: Notes,
}

impl Default for TranscriptView {
    fn default() -> Self {
        // The home directory comes from the environment; no file is read on the UI thread.
        let dir = dirs::home_dir().unwrap_or_else(std::env::temp_dir);
        Self {
            rows: Vec::new(),
            indexed: 0,
            generation: None,
            save: SaveForm {
                open: false,
                focus: false,
                path: dir.join("mailtutor-transcript.txt").display().to_string(),
                format: Format::Annotated,
                student: String::new(),
                writing: None,
                writing_for: None,
                result: None,
                notice: None,
                browse: Browse::default(),
            },
            opener: OpenForm {
                open: false,
                focus: false,
                path: String::new(),
                empty: false,
                pasted: String::new(),
                reading: None,
                error: None,
                done: None,
                browse: Browse::default(),
            },
            pinned_tooltip: None,
            lesson_marks: None,
            shown_reply: None,
            saved_for: None,
            rows_top: 0.0,
            find: Find::default(),
            notes: Notes::default(),
        }
    }
}

/// Notes shown as rows of their own; the details (codes' reference texts, the state's
/// sentence) are in the badge's tooltip instead.
fn inline(note: &Note) -> bool {
    !note.is_detail()
}

/// Notes shown whole unless clicked: all but the glosses of EHLO lines and message lines,
/// which a reader scans rather than reads.
fn opens(note: &Note) -> bool {
    !matches!(note, Note::Extension { .. } | Note::Message(_))
}

/// A note as its row shows it. A reply's explanation shows its meaning only: the likely
/// cause and what to do stand in the pane below, once, for the newest or the clicked reply.
fn row_text(note: &Note, lang: Lang, show: bool) -> String {
    match note {
        Note::Explanation(x) => format!("» {}", x.meaning(lang)),
        other => other.render(lang, show),
    }
}

impl TranscriptView {
    /// Indexes entries added since the last frame (entries are only ever appended or cleared).
    fn index(&mut self, ui: &egui::Ui, t: &Transcript, lang: Lang, show: bool) {
        if t.len() < self.indexed || self.generation != Some(t.generation()) {
            // Another transcript: its entries are not the ones the notes were measured for.
            self.rows.clear();
            self.indexed = 0;
            self.notes = Notes::default();
            self.generation = Some(t.generation());
        }
        let width = Self::note_width(ui);
        self.notes.wrapped_for = Some((width as u32, lang, show));
        let font = TextStyle::Body.resolve(ui.style());
        let ctx = ui.ctx().clone();
        let mut widths = match self.notes.widths.take() {
            Some(w) if w.font == font => w,
            _ => Widths::new(&ctx, font),
        };
        let space = widths.get(&ctx, ' ');
        self.notes.space = space;
        for (i, e) in t.entries().iter().enumerate().skip(self.indexed) {
            let entry = i as u32;
            let raw = e.raw();
            let mut start = 0usize;
            let mut first = true;
            while start < raw.len() || first {
                let end = raw[start..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map(|p| start + p + 1)
                    .unwrap_or(raw.len());
                self.rows.push(Row {
                    entry,
                    kind: RowKind::Line {
                        start: start as u32,
                        end: end as u32,
                        first,
                    },
                });
                first = false;
                start = end;
                if end >= raw.len() || e.dir == Direction::Client {
                    break;
                }
            }
            if e.dir == Direction::Event {
                // A connection event's words are shown whole too, on rows of their own.
                let measured = self
                    .notes
                    .measured
                    .entry((entry, EVENT))
                    .or_insert_with(|| {
                        let mut m =
                            Measured::new(&e.event_text(lang, show), &mut |c| widths.get(&ctx, c));
                        m.wrap(Self::wrap_event_at(ui, width), space);
                        m
                    });
                for line in 1..measured.lines() {
                    self.rows.push(Row {
                        entry,
                        kind: RowKind::NoteMore {
                            note: EVENT,
                            line: line as u16,
                        },
                    });
                }
            }
            for (n, note) in e.notes.iter().enumerate() {
                if inline(note) {
                    let n = n as u16;
                    self.rows.push(Row {
                        entry,
                        kind: RowKind::Note(n),
                    });
                    // A folded note is one row and is measured only when opened.
                    let more = if opens(note) == self.notes.toggled.contains(&(entry, n)) {
                        0
                    } else {
                        let measured = self.notes.measured.entry((entry, n)).or_insert_with(|| {
                            let mut m = Measured::new(&row_text(note, lang, show), &mut |c| {
                                widths.get(&ctx, c)
                            });
                            m.wrap(width, space);
                            m
                        });
                        measured.lines()
                    };
                    for line in 1..more {
                        self.rows.push(Row {
                            entry,
                            kind: RowKind::NoteMore {
                                note: n,
                                line: line as u16,
                            },
                        });
                    }
                }
            }
        }
        self.indexed = t.len();
        self.notes.widths = Some(widths);
    }

    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        t: &Transcript,
        lang: Lang,
        show_secrets: &mut bool,
    ) -> Option<Action> {
        self.rewrap(ui, lang, *show_secrets);
        self.index(ui, t, lang, *show_secrets);
        self.toolbar(ui, t, lang, show_secrets);
        ui.separator();
        self.rows_top = ui.cursor().top();
        let mut action = None;
        let text_h = ui
            .text_style_height(&TextStyle::Monospace)
            .max(ui.text_style_height(&TextStyle::Body));
        let row_h = text_h + 4.0;
        let dark = ui.visuals().dark_mode;
        let start = t.entries().first().map(|e| e.at);
        let found = self.find.open.then(|| self.find.current_entry()).flatten();
        // A transcript read from a capture shows each line's packet number in a column.
        let framed = t.has_frames();
        let mut scroll = egui::ScrollArea::vertical()
            .id_salt("transcript")
            .auto_shrink([false, false])
            .stick_to_bottom(found.is_none());
        if std::mem::take(&mut self.find.jump)
            && let Some(entry) = found
            && let Some(i) = self.rows.iter().position(|r| r.entry as usize == entry)
        {
            // The found row a few rows below the top, with its context above it.
            let spacing = ui.spacing().item_spacing.y;
            scroll =
                scroll.vertical_scroll_offset((i.saturating_sub(3)) as f32 * (row_h + spacing));
        }
        let highlight = ui.visuals().selection.bg_fill.gamma_multiply(0.35);
        // Rows keep one height (so only visible rows are drawn); a long line is cut with "…"
        // and shown whole on hover, in Copy and in Save.
        scroll.show_rows(ui, row_h, self.rows.len(), |ui, range| {
            for row in &self.rows[range] {
                let Some(e) = t.entries().get(row.entry as usize) else {
                    continue;
                };
                ui.allocate_ui_with_layout(
                    egui::vec2(ui.available_width(), row_h),
                    Layout::left_to_right(Align::Center),
                    |ui| {
                        ui.set_min_height(row_h);
                        let shown = self.shown_reply == Some(row.entry as usize);
                        if found == Some(row.entry as usize) || shown {
                            let rect = egui::Rect::from_min_size(
                                ui.max_rect().min,
                                egui::vec2(ui.max_rect().width(), row_h),
                            );
                            ui.painter().rect_filled(rect, 2.0, highlight);
                        }
                        let a = self.row_ui(
                            ui,
                            e,
                            row.entry as usize,
                            row.kind,
                            framed.then(|| t.frame(row.entry as usize)),
                            start,
                            lang,
                            *show_secrets,
                            dark,
                        );
                        if a.is_some() {
                            action = a;
                        }
                    },
                );
            }
        });
        match action {
            Some(RowClick::ToggleNote { entry, note }) => {
                self.toggle(entry, note);
                None
            }
            Some(RowClick::Act(a)) => Some(a),
            None => None,
        }
    }

    /// The width a note's text has in a row.
    fn note_width(ui: &egui::Ui) -> f32 {
        let width = ui.available_width();
        (width - note_indent(width) - 3.0 * ui.spacing().item_spacing.x - 40.0).max(80.0)
    }

    /// The width an event's words wrap at: its first line stands after the time, the side
    /// and the badge's place (about [`NOTE_INDENT`]) even where notes hang less, so every
    /// line is cut to fit that, and none is cut short with "…".
    fn wrap_event_at(ui: &egui::Ui, note_width: f32) -> f32 {
        if note_indent(ui.available_width()) < NOTE_INDENT {
            (note_width - (NOTE_INDENT - NARROW_INDENT)).max(80.0)
        } else {
            note_width
        }
    }

    /// Folds a long note to its first line, or opens it again.
    fn toggle(&mut self, entry: u32, note: u16) {
        if !self.notes.toggled.remove(&(entry, note)) {
            self.notes.toggled.insert((entry, note));
        }
        self.rows.clear();
        self.indexed = 0;
    }

    /// Wraps the notes again when the width changed, and measures them again when the
    /// language or the secrets did.
    fn rewrap(&mut self, ui: &egui::Ui, lang: Lang, show: bool) {
        let width = Self::note_width(ui);
        let now = (width as u32, lang, show);
        let Some(was) = self.notes.wrapped_for else {
            return;
        };
        if was == now {
            return;
        }
        if (was.1, was.2) != (lang, show) {
            self.notes.measured.clear();
        } else {
            let space = self.notes.space;
            let event = Self::wrap_event_at(ui, width);
            for (&(_, note), m) in self.notes.measured.iter_mut() {
                m.wrap(if note == EVENT { event } else { width }, space);
            }
        }
        self.notes.wrapped_for = Some(now);
        self.rows.clear();
        self.indexed = 0;
    }

    fn toolbar(&mut self, ui: &mut egui::Ui, t: &Transcript, lang: Lang, show: &mut bool) {
        ui.horizontal_wrapped(|ui| {
            ui.strong(tr(lang, "transcript.title"));
            ui.checkbox(show, tr(lang, "transcript.show_secrets"))
                .on_hover_text(tr(lang, "transcript.show_secrets.tip"));
            if ui
                .button(tr(lang, "transcript.copy"))
                .on_hover_text(tr(lang, "transcript.copy.tip"))
                .clicked()
            {
                ui.ctx().copy_text(t.export_plain(*show));
            }
            if ui.button(tr(lang, "transcript.save")).clicked() {
                self.toggle_save_form();
            }
            if ui
                .button(tr(lang, "transcript.open"))
                .on_hover_text(tr(lang, "transcript.open.tip"))
                .clicked()
            {
                self.toggle_open_form();
            }
            // Last, so that a count gaining a digit moves no button.
            ui.label(
                RichText::new(trf(
                    lang,
                    "transcript.lines",
                    &[("n", &t.len().to_string())],
                ))
                .weak(),
            );
        });
        if self.save.open {
            self.save_form(ui, t, lang, *show);
        }
        if self.opener.open {
            self.open_form(ui, lang);
        }
        if self.find.open {
            self.find_bar(ui, t, lang, *show);
        }
    }

    /// Shows or hides the find bar (Ctrl+F); it opens with the keyboard in its field.
    pub fn toggle_find(&mut self) {
        self.find.open = !self.find.open;
        self.find.focus = self.find.open;
    }

    fn find_bar(&mut self, ui: &mut egui::Ui, t: &Transcript, lang: Lang, show: bool) {
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr(lang, "find.label"));
            let r = ui
                .add(egui::TextEdit::singleline(&mut self.find.query).desired_width(220.0))
                .labelled_by(l.id);
            if std::mem::take(&mut self.find.focus) {
                r.request_focus();
            }
            self.find.search(t, lang, show);
            let enter = r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter));
            let n = self.find.hits.len();
            let counted = if n == 0 {
                tr(lang, "find.none")
            } else {
                trf(
                    lang,
                    "find.count",
                    &[
                        ("i", &(self.find.current + 1).to_string()),
                        ("n", &n.to_string()),
                    ],
                )
            };
            ui.label(RichText::new(counted).weak());
            if ui
                .add_enabled(n > 0, egui::Button::new(tr(lang, "find.previous")))
                .clicked()
            {
                self.find.step(false);
            }
            if ui
                .add_enabled(n > 0, egui::Button::new(tr(lang, "find.next")))
                .clicked()
                || enter
            {
                self.find.step(true);
                if enter {
                    r.request_focus();
                }
            }
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn row_ui(
        &self,
        ui: &mut egui::Ui,
        e: &Entry,
        index: usize,
        kind: RowKind,
        // For a transcript read from a capture: the entry's packet number, if it has one.
        packet: Option<Option<u32>>,
        start: Option<SystemTime>,
        lang: Lang,
        show: bool,
        dark: bool,
    ) -> Option<RowClick> {
        let mono = |s: String| RichText::new(s).monospace();
        let note_color = if dark {
            Color32::from_rgb(0x9f, 0xc4, 0xff)
        } else {
            Color32::from_rgb(0x1f, 0x4f, 0x9f)
        };
        let entry = index as u32;
        match kind {
            RowKind::NoteMore { note: EVENT, line } => {
                ui.add_space(note_indent(ui.available_width()));
                let words = e.event_text(lang, show);
                let text = self
                    .notes
                    .measured
                    .get(&(entry, EVENT))
                    .and_then(|m| m.line(&words, line as usize))
                    .unwrap_or_default();
                ui.add(
                    egui::Label::new(RichText::new(text).color(event_color(dark)).italics())
                        .truncate(),
                );
                None
            }
            RowKind::Note(n) | RowKind::NoteMore { note: n, .. } => {
                let note = e.notes.get(n as usize)?;
                ui.add_space(note_indent(ui.available_width()));
                // A note shows one wrapped line a row; a folded one its first line, cut with
                // "…". A click on a long note folds or opens it in place.
                let folded = opens(note) == self.notes.toggled.contains(&(entry, n));
                let measured = self.notes.measured.get(&(entry, n)).filter(|_| !folded);
                let long = measured.is_some_and(|m| m.lines() > 1);
                let line = match kind {
                    RowKind::NoteMore { line, .. } => line as usize,
                    _ => 0,
                };
                let whole = row_text(note, lang, show);
                let text = match measured {
                    Some(m) => m.line(&whole, line).unwrap_or_default().to_owned(),
                    None => whole,
                };
                let label = ui.add(
                    egui::Label::new(RichText::new(text).italics().color(note_color))
                        .sense(Sense::click())
                        .truncate(),
                );
                if matches!(note, Note::Explanation(_)) {
                    // The whole explanation is the pane's: a click shows this reply there.
                    let r = label.on_hover_text(tr(lang, "transcript.show_in_pane"));
                    return r
                        .clicked()
                        .then_some(RowClick::Act(Action::ShowReply(Some(index))));
                }
                let r = if folded {
                    label.on_hover_text(tr(lang, "transcript.note_open"))
                } else if long {
                    label.on_hover_text(tr(lang, "transcript.note_close"))
                } else {
                    label
                };
                if r.clicked() {
                    return Some(RowClick::ToggleNote { entry, note: n });
                }
                None
            }
            RowKind::Line {
                start: s,
                end,
                first,
            } => {
                let secs = start
                    .and_then(|st| e.at.duration_since(st).ok())
                    .map(|d| d.as_secs_f64())
                    .unwrap_or(0.0);
                let time = if first {
                    format!("{secs:>8.3}")
                } else {
                    " ".repeat(8)
                };
                match packet {
                    Some(Some(n)) if first => {
                        let n = n.to_string();
                        ui.label(mono(format!("{n:>6}")).weak()).on_hover_text(trf(
                            lang,
                            "opencapture.frame_hover",
                            &[("n", &n)],
                        ));
                    }
                    Some(_) => {
                        ui.label(mono(" ".repeat(6)));
                    }
                    None => {}
                }
                ui.label(mono(time).weak());
                let (dir, color) = match e.dir {
                    Direction::Client => ("C:", ui.visuals().strong_text_color()),
                    Direction::Server => ("S:", theme_server(dark)),
                    Direction::Event => ("* ", ui.visuals().weak_text_color()),
                };
                ui.label(mono(dir.into()).color(color).strong());
                let badge_w = 46.0;
                let mut clicked_badge = None;
                if first && e.dir == Direction::Server {
                    clicked_badge =
                        badge_ui(ui, e, index, lang, dark, badge_w, self.pinned_tooltip);
                } else {
                    ui.add_space(badge_w + ui.spacing().item_spacing.x);
                }
                let text = if e.dir == Direction::Server {
                    let bytes = e.raw().get(s as usize..end as usize).unwrap_or(&[]);
                    crate::transcript::shown_bytes(bytes)
                } else {
                    e.text(show)
                };
                let text = if text.len() > MAX_DRAWN {
                    let mut cut = MAX_DRAWN;
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    format!("{} …", &text[..cut])
                } else {
                    text
                };
                let rich = match e.dir {
                    Direction::Event => RichText::new({
                        let words = e.event_text(lang, show);
                        match self.notes.measured.get(&(entry, EVENT)) {
                            Some(m) => m.line(&words, 0).unwrap_or_default().to_owned(),
                            None => words,
                        }
                    })
                    .color(event_color(dark))
                    .italics(),
                    _ => mono(text),
                };
                match base64_of(e, show) {
                    Some(b64) if first => {
                        let r = ui
                            .add(
                                egui::Label::new(rich.underline())
                                    .sense(Sense::click())
                                    .truncate(),
                            )
                            .on_hover_text(tr(lang, "transcript.load_base64"));
                        if r.clicked() {
                            return Some(RowClick::Act(Action::LoadBase64(b64)));
                        }
                    }
                    // A reply's own line, like its explanation, shows it in the pane.
                    _ if e.dir == Direction::Server => {
                        let r = ui
                            .add(egui::Label::new(rich).sense(Sense::click()).truncate())
                            .on_hover_text(tr(lang, "transcript.show_in_pane"));
                        if r.clicked() {
                            return Some(RowClick::Act(Action::ShowReply(Some(index))));
                        }
                    }
                    _ => {
                        ui.add(egui::Label::new(rich).truncate());
                    }
                }
                clicked_badge.map(|c| RowClick::Act(Action::ShowCode(c)))
            }
        }
    }
}

fn theme_server(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0x7e, 0xd6, 0x9a)
    } else {
        Color32::from_rgb(0x1b, 0x6f, 0x35)
    }
}

fn event_color(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0xd0, 0xa8, 0xff)
    } else {
        Color32::from_rgb(0x6a, 0x3d, 0x9a)
    }
}

/// The base64 a row carries, for loading into the base64 panel: a 334 challenge, an answer
/// to one, or the initial response of AUTH PLAIN. Masked secrets are not offered.
fn base64_of(e: &Entry, show: bool) -> Option<String> {
    if e.secret && !show {
        return None;
    }
    match e.dir {
        Direction::Server => challenge(e).filter(|t| auth::decode(t).is_ok()),
        Direction::Client => {
            if e.notes.iter().any(|n| matches!(n, Note::Answer { .. })) {
                // Only a client line is read here, and only an AUTH answer: a short line.
                let text = String::from_utf8_lossy(e.raw());
                let text = text.trim_end_matches(['\r', '\n']);
                let word = text.rsplit(' ').next().unwrap_or("").to_owned();
                (!word.is_empty()).then_some(word)
            } else {
                None
            }
        }
        Direction::Event => None,
    }
}

/// The base64 challenge of a non-empty 334 reply.
pub fn challenge(e: &Entry) -> Option<String> {
    match e.parsed.as_deref() {
        Some(Parsed::Response(Response::Smtp(r))) if r.code == 334 => {
            Some(r.last_text().trim().to_owned()).filter(|t| !t.is_empty())
        }
        _ => None,
    }
}
