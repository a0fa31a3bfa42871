//! The code reference window (F1): every code, keyword and real server's reply the tutor knows,
//! searchable and filtered by kind, in the reader's language. A code badge in the transcript
//! opens it at its row.

use egui::{Align, RichText};
use egui_extras::{Column, TableBuilder};

use super::i18n::{tr, trf};
use crate::proto::Lang;
use crate::proto::reference::{self, RefKind, RefRow};

#[derive(Default)]
pub struct ReferenceWindow {
    pub open: bool,
    pub query: String,
    pub kind: Option<RefKind>,
    /// The rows in the language they were built for (built when first shown).
    rows: Option<(Lang, Vec<RefRow>)>,
    /// The row to bring into view and mark (a clicked badge's code).
    pub selected: Option<String>,
    scroll_pending: bool,
    focus_search: bool,
}

impl ReferenceWindow {
    pub fn toggle(&mut self) {
        self.open = !self.open;
        self.focus_search = self.open;
    }

    /// Opens at the row of a code (`535`, `+OK`), with the search set to it.
    pub fn open_at(&mut self, code: &str) {
        self.open = true;
        self.query = code.to_owned();
        self.kind = None;
        self.selected = Some(code.to_owned());
        self.scroll_pending = true;
    }

    fn rows(&mut self, lang: Lang) -> &[RefRow] {
        if self.rows.as_ref().is_none_or(|(l, _)| *l != lang) {
            self.rows = Some((lang, reference::rows(lang)));
        }
        self.rows
            .as_ref()
            .map(|(_, r)| r.as_slice())
            .unwrap_or_default()
    }

    pub fn show(&mut self, ctx: &egui::Context, lang: Lang) {
        if !self.open {
            return;
        }
        let mut open = self.open;
        egui::Window::new(tr(lang, "ref.title"))
            .id(egui::Id::unique("code-reference"))
            .open(&mut open)
            .default_size([920.0, 560.0])
            .resizable(true)
            .show(ctx, |ui| self.ui(ui, lang));
        self.open = open;
    }

    fn ui(&mut self, ui: &mut egui::Ui, lang: Lang) {
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr(lang, "ref.search"));
            let r = ui
                .add(
                    egui::TextEdit::singleline(&mut self.query)
                        .hint_text(tr(lang, "ref.hint"))
                        .desired_width(240.0),
                )
                .labelled_by(l.id);
            if std::mem::take(&mut self.focus_search) {
                r.request_focus();
            }
            ui.selectable_value(&mut self.kind, None, tr(lang, "ref.all"));
            for k in RefKind::ALL {
                ui.selectable_value(&mut self.kind, Some(k), tr(lang, k.label_key()));
            }
        });
        let query = self.query.clone();
        let kind = self.kind;
        let selected = self.selected.clone();
        let scroll = std::mem::take(&mut self.scroll_pending);
        let rows = self.rows(lang);
        let hits = reference::filter(rows, &query, kind);
        ui.label(
            RichText::new(trf(
                lang,
                "ref.count",
                &[
                    ("n", &hits.len().to_string()),
                    ("total", &rows.len().to_string()),
                ],
            ))
            .weak(),
        );
        let target = selected
            .as_deref()
            .and_then(|code| reference::row_of(rows, code))
            .and_then(|row| hits.iter().position(|&h| h == row));
        let row_h = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        let mut table = TableBuilder::new(ui)
            .id_salt("reference-table")
            .striped(true)
            .auto_shrink([false, false])
            .column(Column::auto().at_least(110.0))
            .column(Column::initial(150.0).at_least(80.0).clip(true))
            .column(Column::remainder().clip(true));
        if scroll && let Some(t) = target {
            table = table.scroll_to_row(t, Some(Align::Center));
        }
        table
            .header(row_h, |mut header| {
                for key in ["ref.kind", "ref.code", "ref.meaning"] {
                    header.col(|ui| {
                        ui.strong(tr(lang, key));
                    });
                }
            })
            .body(|body| {
                body.rows(row_h, hits.len(), |mut row| {
                    let i = row.index();
                    let r = &rows[hits[i]];
                    row.set_selected(target == Some(i));
                    row.col(|ui| {
                        ui.label(RichText::new(tr(lang, r.kind.label_key())).weak());
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(RichText::new(&r.key).monospace()).truncate());
                    });
                    row.col(|ui| {
                        let l = ui.add(egui::Label::new(&r.meaning).truncate());
                        if !r.detail.is_empty() {
                            l.on_hover_ui(|ui| {
                                ui.set_max_width(520.0);
                                ui.strong(&r.meaning);
                                ui.label(&r.detail);
                            });
                        }
                    });
                });
            });
    }
}
