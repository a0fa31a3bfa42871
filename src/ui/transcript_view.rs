//! The live transcript: one row per line that crossed the wire, with time, direction, a
//! colored code badge that explains itself on hover, and the decoded base64 underneath.
//! Only the rows in view are drawn, so 100,000 lines scroll smoothly.

use crate::proto::explanation::Explanation;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use egui::{Align, Color32, Key, Layout, RichText, Sense, TextStyle};
use poll_promise::Promise;

use super::file_dialog::{Browse, Pick};
use super::i18n::{tr, trf};
use crate::proto::Lang;
use crate::proto::auth;
use crate::proto::codes;
use crate::proto::reply::EnhancedStatus;
use crate::session::{Parsed, Response};
use crate::transcript::{Direction, Entry, Note, Transcript};

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

/// What a click in the transcript asks of the rest of the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewAction {
    LoadBase64(String),
    /// Open the code reference at this code (a badge was clicked).
    ShowCode(String),
    /// Fold a long note to its first line, or open it again (handled by the view itself).
    ToggleNote {
        entry: u32,
        note: u16,
    },
}

/// Where a note's text may break and how wide each piece is, measured once for a language and
/// secrets state, so wrapping it at a new width is arithmetic, not text layout. The text itself
/// is not kept: a visible row renders its note again (a long transcript holds tens of
/// thousands of notes).
struct Measured {
    /// Each piece's end in bytes (with [`SPACE`] set when it ends with a space) and its width,
    /// that space included: a piece is a word with its space, or one CJK character.
    pieces: Vec<(u32, f32)>,
    /// Where each line after the first starts, at the width last wrapped for.
    breaks: Vec<u32>,
}

/// A character's width in a font; one the fonts lack is drawn as a box about as wide as "M"
/// (asking for it would count as drawing it).
fn glyph_width(f: &mut egui::epaint::text::FontsView<'_>, font: &egui::FontId, c: char) -> f32 {
    if f.has_glyph(font, c) {
        f.glyph_width(font, c)
    } else {
        f.glyph_width(font, 'M')
    }
}

/// Characters' widths in the notes' font, asked of the fonts once each: measuring the notes of
/// a long log opened at once asks for millions.
struct Widths {
    font: egui::FontId,
    ascii: [f32; 128],
    other: std::collections::HashMap<char, f32>,
}

impl Widths {
    fn new(ctx: &egui::Context, font: egui::FontId) -> Self {
        let mut ascii = [0.0; 128];
        ctx.fonts_mut(|f| {
            for (c, w) in (0u8..128).zip(ascii.iter_mut()) {
                *w = glyph_width(f, &font, char::from(c));
            }
        });
        Self {
            font,
            ascii,
            other: std::collections::HashMap::new(),
        }
    }

    fn get(&mut self, ctx: &egui::Context, c: char) -> f32 {
        if let Some(&w) = self.ascii.get(c as usize) {
            return w;
        }
        let font = &self.font;
        *self
            .other
            .entry(c)
            .or_insert_with(|| ctx.fonts_mut(|f| glyph_width(f, font, c)))
    }
}

/// The bit of a piece's end that says it ends with a space.
const SPACE: u32 = 1 << 31;

/// The key under which a connection event's own words are measured, beside its notes'.
const EVENT: u16 = u16::MAX;

impl Measured {
    fn new(text: &str, width_of: &mut impl FnMut(char) -> f32) -> Self {
        let mut pieces: Vec<(u32, f32)> = Vec::new();
        // The word being read: its width so far, and whether it holds anything.
        let (mut word, mut open) = (0.0f32, false);
        for (at, c) in text.char_indices() {
            let w = width_of(c);
            let end = (at + c.len_utf8()) as u32;
            if c == ' ' {
                pieces.push((end | SPACE, word + w));
                (word, open) = (0.0, false);
            } else if c >= '\u{2e80}' {
                // CJK text breaks between any two characters, but not before a closing mark.
                if open {
                    pieces.push((at as u32, word));
                    (word, open) = (0.0, false);
                }
                match pieces.last_mut() {
                    Some(last) if "，。：；、）」』！？》".contains(c) && last.0 & SPACE == 0 =>
                    {
                        last.0 = end;
                        last.1 += w;
                    }
                    _ => pieces.push((end, w)),
                }
            } else {
                word += w;
                open = true;
            }
        }
        if open {
            pieces.push((text.len() as u32, word));
        }
        Self {
            pieces,
            breaks: Vec::new(),
        }
    }

    /// Breaks the text into lines no wider than `width` (`space` is the width of a space):
    /// at spaces and between CJK characters; a word wider than a whole line (a link, base64)
    /// is cut into lines of the bytes that fit, by its average width.
    fn wrap(&mut self, width: f32, space: f32) {
        self.breaks.clear();
        let (mut x, mut prev) = (0.0f32, 0u32);
        for &(flagged, w) in &self.pieces {
            let end = flagged & !SPACE;
            let space = if flagged & SPACE != 0 { space } else { 0.0 };
            if x > 0.0 && x + w - space > width {
                self.breaks.push(prev);
                x = 0.0;
            }
            let inked = w - space;
            if inked > width {
                let n = (end - prev - u32::from(space > 0.0)).max(1);
                let fit = ((width / (inked / n as f32)).floor() as u32).max(1);
                let mut at = prev + fit;
                while at < prev + n {
                    self.breaks.push(at);
                    at += fit;
                }
                x = inked * ((n - 1) % fit + 1) as f32 / n as f32 + space;
            } else {
                x += w;
            }
            prev = end;
        }
    }

    fn lines(&self) -> usize {
        self.breaks.len() + 1
    }

    /// Line `i` of `text`, the text this was measured from.
    fn line<'t>(&self, text: &'t str, i: usize) -> Option<&'t str> {
        let start = if i == 0 { 0 } else { *self.breaks.get(i - 1)? };
        let end = self.breaks.get(i).map_or(text.len(), |&b| b as usize);
        // A cut inside a long word may fall inside a character: move it back to a boundary.
        let floor = |mut at: usize| {
            at = at.min(text.len());
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        text.get(floor(start as usize)..floor(end))
            .map(str::trim_end)
    }
}

/// A reply's explanation and every warning are shown whole, wrapped into rows of their own; an
/// EHLO line's or a message line's gloss is one row, cut with "…". A click on a long note
/// folds or opens it.
#[derive(Default)]
struct Notes {
    measured: std::collections::HashMap<(u32, u16), Measured>,
    /// Notes clicked out of their usual state.
    toggled: std::collections::HashSet<(u32, u16)>,
    /// The text width, language and secrets the notes were measured and wrapped for.
    wrapped_for: Option<(u32, Lang, bool)>,
    /// The width of a space in the notes' font.
    space: f32,
    widths: Option<Widths>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Plain,
    Annotated,
    /// One self-contained page to hand in.
    Html,
}

/// Where an opened transcript comes from.
enum Source {
    File(PathBuf),
    Pasted(String),
}

/// The "Save transcript…" form and the write it started.
struct SaveForm {
    open: bool,
    /// Whether the path field takes the keyboard on the next frame (the form just opened).
    focus: bool,
    path: String,
    format: Format,
    /// The student's name, for the HTML page.
    student: String,
    writing: Option<Promise<Result<PathBuf, String>>>,
    result: Option<Result<PathBuf, String>>,
    browse: Browse,
}

/// The "Open transcript…" form: a file to read or a pasted session, folded into a transcript
/// on a background thread.
struct OpenForm {
    open: bool,
    /// Whether the path field takes the keyboard on the next frame (the form just opened).
    focus: bool,
    path: String,
    pasted: String,
    reading: Option<Promise<Result<Transcript, String>>>,
    error: Option<String>,
    /// A transcript read and folded, for the window to show.
    done: Option<Transcript>,
    browse: Browse,
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
                        Direction::Event => e.event_text(lang),
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
                result: None,
                browse: Browse::default(),
            },
            opener: OpenForm {
                open: false,
                focus: false,
                path: String::new(),
                pasted: String::new(),
                reading: None,
                error: None,
                done: None,
                browse: Browse::default(),
            },
            pinned_tooltip: None,
            lesson_marks: None,
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
                            Measured::new(&e.event_text(lang), &mut |c| widths.get(&ctx, c));
                        m.wrap(width, space);
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
                            let mut m = Measured::new(&note.render(lang, show), &mut |c| {
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
    ) -> Option<ViewAction> {
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
                        if found == Some(row.entry as usize) {
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
        if let Some(ViewAction::ToggleNote { entry, note }) = action {
            self.toggle(entry, note);
            return None;
        }
        action
    }

    /// The width a note's text has in a row.
    fn note_width(ui: &egui::Ui) -> f32 {
        let width = ui.available_width();
        (width - note_indent(width) - 3.0 * ui.spacing().item_spacing.x - 40.0).max(80.0)
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
            for m in self.notes.measured.values_mut() {
                m.wrap(width, space);
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

    /// Shows or hides the "Save transcript…" form (the button and Ctrl+S); it opens with the
    /// keyboard in its path, and Enter there saves.
    pub fn toggle_save_form(&mut self) {
        self.save.open = !self.save.open;
        self.save.focus = self.save.open;
    }

    /// Shows or hides the "Open transcript…" form (the button and Ctrl+O); it opens with the
    /// keyboard in its path, and Enter there opens the file.
    pub fn toggle_open_form(&mut self) {
        self.opener.open = !self.opener.open;
        self.opener.focus = self.opener.open;
    }

    /// A transcript the user opened, once it is read and folded.
    pub fn take_opened(&mut self) -> Option<Transcript> {
        self.opener.done.take()
    }

    fn open_form(&mut self, ui: &mut egui::Ui, lang: Lang) {
        if let Some(p) = &self.opener.reading
            && p.ready().is_some()
            && let Some(p) = self.opener.reading.take()
        {
            match p.block_and_take() {
                Ok(t) => {
                    self.opener.done = Some(t);
                    self.opener.open = false;
                    self.opener.error = None;
                }
                Err(e) => self.opener.error = Some(e),
            }
        }
        let reading = self.opener.reading.is_some();
        let mut start: Option<Source> = None;
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr(lang, "open.path"));
            let r = ui
                .add(egui::TextEdit::singleline(&mut self.opener.path).desired_width(260.0))
                .labelled_by(l.id);
            if std::mem::take(&mut self.opener.focus) {
                r.request_focus();
            }
            let enter = r.lost_focus()
                && ui.input(|i| i.key_pressed(Key::Enter))
                && !self.opener.path.trim().is_empty();
            let chosen = self.opener.browse.chosen();
            if let Some(p) = &chosen {
                self.opener.path = p.display().to_string();
            }
            if ui
                .add_enabled(!reading, egui::Button::new(tr(lang, "open.read")))
                .clicked()
                || (enter || chosen.is_some()) && !reading
            {
                start = Some(Source::File(PathBuf::from(self.opener.path.trim())));
            }
            let typed = self.opener.path.clone();
            self.opener
                .browse
                .button(ui, lang, "file.browse", Pick::Open(&[]), &typed);
        });
        let l = ui.label(tr(lang, "open.paste"));
        // A whole page pasted scrolls inside the box, so the button under it stays in view.
        let rows = 6.0 * ui.text_style_height(&egui::TextStyle::Monospace);
        egui::ScrollArea::vertical()
            .id_salt("paste-box")
            .max_height(rows)
            .show(ui, |ui| {
                ui.add(
                    egui::TextEdit::multiline(&mut self.opener.pasted)
                        .desired_rows(4)
                        .desired_width(f32::INFINITY)
                        .code_editor(),
                )
                .labelled_by(l.id);
            });
        ui.horizontal(|ui| {
            if ui
                .add_enabled(
                    !reading && !self.opener.pasted.trim().is_empty(),
                    egui::Button::new(tr(lang, "open.show")),
                )
                .clicked()
            {
                start = Some(Source::Pasted(self.opener.pasted.clone()));
            }
            if reading {
                ui.spinner();
            }
        });
        if let Some(e) = &self.opener.error {
            ui.colored_label(
                ui.visuals().error_fg_color,
                trf(lang, "open.failed", &[("error", e)]),
            );
        }
        if let Some(source) = start {
            self.opener.error = None;
            self.opener.reading =
                Some(super::jobs::spawn("open-transcript", ui.ctx(), move || {
                    let text = match source {
                        Source::File(path) => std::fs::read(&path)
                            .map(|b| crate::explain::decode_paste(&b))
                            .map_err(|e| format!("{}: {e}", path.display())),
                        Source::Pasted(text) => Ok(text),
                    };
                    text.map(|t| crate::explain::fold(&t))
                }));
        }
    }

    fn save_form(&mut self, ui: &mut egui::Ui, t: &Transcript, lang: Lang, show: bool) {
        if let Some(p) = &self.save.writing
            && let Some(r) = p.ready()
        {
            self.save.result = Some(r.clone());
            self.save.writing = None;
        }
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr(lang, "save.path"));
            let r = ui
                .add(egui::TextEdit::singleline(&mut self.save.path).desired_width(260.0))
                .labelled_by(l.id);
            if std::mem::take(&mut self.save.focus) {
                r.request_focus();
            }
            let chosen = self.save.browse.chosen();
            if let Some(p) = &chosen {
                self.save.path = p.display().to_string();
            }
            let enter =
                r.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) || chosen.is_some();
            ui.radio_value(&mut self.save.format, Format::Plain, tr(lang, "save.plain"))
                .on_hover_text(tr(lang, "save.plain.tip"));
            ui.radio_value(
                &mut self.save.format,
                Format::Annotated,
                tr(lang, "save.annotated"),
            )
            .on_hover_text(tr(lang, "save.annotated.tip"));
            let html = ui
                .radio_value(&mut self.save.format, Format::Html, tr(lang, "save.html"))
                .on_hover_text(tr(lang, "save.html.tip"));
            if html.clicked() {
                // A page to open in a browser ends in .html.
                let path = PathBuf::from(self.save.path.trim()).with_extension("html");
                self.save.path = path.display().to_string();
            }
            if self.save.format == Format::Html {
                let l = ui.label(tr(lang, "save.student"));
                ui.add(egui::TextEdit::singleline(&mut self.save.student).desired_width(160.0))
                    .labelled_by(l.id);
            }
            let writing = self.save.writing.is_some();
            if ui
                .add_enabled(!writing, egui::Button::new(tr(lang, "save.write")))
                .clicked()
                || enter && !writing
            {
                let text = match self.save.format {
                    Format::Plain => t.export_plain(show),
                    Format::Annotated => t.export_annotated(lang, show),
                    Format::Html => {
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map(|d| d.as_secs() as i64)
                            .unwrap_or_default();
                        crate::html_export::transcript_html(
                            t,
                            lang,
                            show,
                            &crate::html_export::Header {
                                student: self.save.student.clone(),
                                date: crate::html_export::date_of(now),
                                lesson: self.lesson_marks.clone(),
                            },
                        )
                    }
                };
                let path = PathBuf::from(self.save.path.trim());
                self.save.result = None;
                self.save.writing =
                    Some(super::jobs::spawn("save-transcript", ui.ctx(), move || {
                        write_whole(&path, text.as_bytes())
                            .map(|()| path.clone())
                            .map_err(|e| format!("{}: {e}", path.display()))
                    }));
            }
            let typed = self.save.path.clone();
            let name = Path::new(typed.trim())
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            self.save
                .browse
                .button(ui, lang, "file.browse", Pick::Save(name), &typed);
            if writing {
                ui.spinner();
            }
        });
        saved_ui(ui, lang, self.save.result.as_ref());
    }

    #[allow(clippy::too_many_arguments)]
    fn row_ui(
        &self,
        ui: &mut egui::Ui,
        e: &Entry,
        index: usize,
        kind: RowKind,
        start: Option<SystemTime>,
        lang: Lang,
        show: bool,
        dark: bool,
    ) -> Option<ViewAction> {
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
                let words = e.event_text(lang);
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
                let whole = note.render(lang, show);
                let text = match measured {
                    Some(m) => m.line(&whole, line).unwrap_or_default().to_owned(),
                    None => whole,
                };
                let label = ui.add(
                    egui::Label::new(RichText::new(text).italics().color(note_color))
                        .sense(Sense::click())
                        .truncate(),
                );
                let r = if folded {
                    label.on_hover_text(tr(lang, "transcript.note_open"))
                } else if long {
                    label.on_hover_text(tr(lang, "transcript.note_close"))
                } else {
                    label
                };
                if r.clicked() {
                    return Some(ViewAction::ToggleNote { entry, note: n });
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
                        let words = e.event_text(lang);
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
                            return Some(ViewAction::LoadBase64(b64));
                        }
                    }
                    _ => {
                        ui.add(egui::Label::new(rich).truncate());
                    }
                }
                clicked_badge.map(ViewAction::ShowCode)
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

/// The colored code of a reply. Hovering it explains the code in the current language.
fn badge_ui(
    ui: &mut egui::Ui,
    e: &Entry,
    index: usize,
    lang: Lang,
    dark: bool,
    width: f32,
    pinned: Option<usize>,
) -> Option<String> {
    let help = match e.parsed.as_deref() {
        Some(Parsed::Response(Response::Smtp(r))) => Some(CodeHelp::Smtp {
            code: r.code,
            enhanced: r.enhanced,
            state: state_sentence(e, lang),
        }),
        Some(Parsed::Response(Response::Pop3(p))) => Some(CodeHelp::Pop3 {
            status: p.status.indicator.token(),
            resp_code: p.status.resp_code.clone(),
            state: state_sentence(e, lang),
        }),
        _ => None,
    };
    let (label, color) = match e.badge() {
        Some((label, like)) => (label, super::theme::code_color(like, dark)),
        None => ("?".into(), Color32::GRAY),
    };
    let text = RichText::new(label.clone())
        .monospace()
        .strong()
        .color(Color32::WHITE)
        .background_color(color);
    let r = ui
        .allocate_ui_with_layout(
            egui::vec2(width, ui.available_height()),
            Layout::left_to_right(Align::Center),
            |ui| {
                ui.set_min_width(width);
                ui.add(egui::Label::new(text).sense(Sense::click()))
            },
        )
        .inner;
    let clicked = r.clicked() && help.is_some();
    if let Some(help) = help {
        if pinned == Some(index) {
            r.show_tooltip_ui(|ui| help.ui(ui, lang));
        } else {
            r.on_hover_ui(|ui| {
                help.ui(ui, lang);
                ui.label(RichText::new(tr(lang, "ref.badge_hint")).weak().small());
            });
        }
    }
    clicked.then_some(label)
}

/// The state machine's sentence about a reply (a detail, shown with the code's reference).
fn state_sentence(e: &Entry, lang: Lang) -> Option<String> {
    e.notes.iter().find_map(|n| match n {
        Note::Outcome(o) => Some(o.describe(lang)),
        Note::Pop3Outcome(o) => Some(o.describe(lang)),
        _ => None,
    })
}

/// What a badge explains: the code's reference text, part by part, and the session state it
/// led to. Details on demand: the reply's one explanation stands in the transcript.
#[derive(Debug, Clone)]
pub enum CodeHelp {
    Smtp {
        code: u16,
        enhanced: Option<EnhancedStatus>,
        state: Option<String>,
    },
    Pop3 {
        status: &'static str,
        resp_code: Option<String>,
        state: Option<String>,
    },
}

/// A reply's one explanation: its meaning, the cause its evidence gives, and what to do; and
/// for a situation, the servers known to send it.
pub fn explanation_ui(ui: &mut egui::Ui, x: &Explanation, lang: Lang) {
    ui.strong(x.meaning(lang));
    if let Some(c) = x.cause(lang) {
        ui.label(codes::labelled(lang, "cause", &c));
    }
    let next = x.next(lang);
    if !next.is_empty() {
        ui.label(RichText::new(codes::labelled(lang, "next", &next)).strong());
    }
    if let Some(s) = x.situation() {
        ui.label(
            RichText::new(codes::labelled(lang, "servers", &s.servers_text(lang)))
                .weak()
                .small(),
        );
    }
}

impl CodeHelp {
    /// The code's meaning, classroom explanation, likely cause and next step, then the
    /// enhanced status code (or POP3 response code) part by part.
    pub fn ui(&self, ui: &mut egui::Ui, lang: Lang) {
        ui.set_max_width(460.0);
        let state = match self {
            CodeHelp::Smtp { state, .. } | CodeHelp::Pop3 { state, .. } => state,
        };
        if let Some(s) = state {
            ui.label(RichText::new(format!("→ {s}")).weak());
            ui.separator();
        }
        match self {
            CodeHelp::Smtp { code, enhanced, .. } => {
                entry_ui(ui, lang, &code.to_string(), codes::smtp(*code));
                if let Some(es) = enhanced {
                    ui.separator();
                    let ex = codes::enhanced(*es);
                    ui.strong(format!(
                        "{es}: {}",
                        ex.meaning(lang)
                            .map(str::to_owned)
                            .unwrap_or_else(|| codes::label(lang, "unknown"))
                    ));
                    for (part, e) in [
                        (tr(lang, "code.class"), ex.class),
                        (tr(lang, "code.subject"), ex.subject),
                        (tr(lang, "code.detail"), ex.detail),
                    ] {
                        if let Some(e) = e {
                            ui.label(format!("{part} {}: {}", e.code, e.meaning.get(lang)));
                        }
                    }
                }
            }
            CodeHelp::Pop3 {
                status, resp_code, ..
            } => {
                entry_ui(ui, lang, status, codes::pop3(status));
                if let Some(c) = resp_code {
                    ui.separator();
                    entry_ui(ui, lang, &format!("[{c}]"), codes::pop3(c));
                }
            }
        }
    }
}

fn entry_ui(ui: &mut egui::Ui, lang: Lang, code: &str, entry: Option<&codes::CodeEntry>) {
    match entry {
        Some(e) => {
            ui.strong(format!("{code}  {}", e.meaning.get(lang)));
            ui.label(e.explain.get(lang));
            ui.label(codes::labelled(lang, "cause", e.cause.get(lang)));
            ui.label(codes::labelled(lang, "next", e.next.get(lang)));
            ui.label(RichText::new(&e.rfc).weak().small());
        }
        None => {
            ui.strong(format!("{code}  {}", codes::label(lang, "unknown")));
        }
    }
}
/// Where a file was written, or why it was not.
pub fn saved_ui(ui: &mut egui::Ui, lang: Lang, result: Option<&Result<PathBuf, String>>) {
    match result {
        Some(Ok(p)) => {
            ui.label(trf(
                lang,
                "save.done",
                &[("path", &p.display().to_string())],
            ));
        }
        Some(Err(e)) => {
            ui.colored_label(
                ui.visuals().error_fg_color,
                trf(lang, "save.failed", &[("error", e)]),
            );
        }
        None => {}
    }
}

/// Writes a file whole or not at all: into a temporary file beside it, then renamed over it, so
/// a page handed in (or read while it is written) is never cut short.
fn write_whole(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.part"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::Measured;

    fn lines(text: &str, width: f32) -> Vec<String> {
        let mut m = Measured::new(text, &mut |_| 10.0);
        m.wrap(width, 10.0);
        (0..m.lines())
            .map(|i| m.line(text, i).unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn notes_wrap_at_spaces_between_cjk_characters_and_inside_long_words() {
        assert_eq!(lines("aaa bbb ccc", 70.0), ["aaa bbb", "ccc"]);
        // A space at the end of a line takes no room.
        assert_eq!(lines("aaa bbb ccc", 110.0), ["aaa bbb ccc"]);
        assert_eq!(lines("说明：你好世界", 40.0), ["说明：你", "好世界"]);
        // A closing mark never starts a line.
        assert_eq!(lines("你好：世界", 20.0), ["你", "好：", "世界"]);
        assert_eq!(lines("see 你好", 50.0), ["see 你", "好"]);
        // A word that fits on a line of its own goes there whole; a longer one is cut.
        assert_eq!(lines("MAIL FROM:<ab@cd>", 130.0), ["MAIL", "FROM:<ab@cd>"]);
        let long = "x".repeat(30);
        assert_eq!(
            lines(&format!("a {long} b"), 100.0),
            ["a", &long[..10], &long[10..20], &long[20..], "b"]
        );
        assert_eq!(lines("", 50.0), [""]);
        // A cut inside a long word of two-byte letters falls back to a character boundary,
        // and no letter is lost.
        let accents = "é".repeat(30);
        let cut = lines(&accents, 100.0);
        assert!(cut.len() > 1);
        assert_eq!(cut.concat(), accents);
        assert_eq!(lines("one", 5.0), ["o", "n", "e"]);
    }
}
