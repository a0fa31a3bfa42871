//! A reply's code badge and what it explains on demand: the code's and the enhanced code's
//! reference texts and the state's sentence (the badge's tooltip, the code reference), and the
//! reply's one explanation as the explanation pane shows it.

use egui::{Align, Color32, Layout, RichText, Sense};

use crate::proto::Lang;
use crate::proto::codes;
use crate::proto::explanation::Explanation;
use crate::proto::reply::EnhancedStatus;
use crate::session::{Parsed, Response};
use crate::transcript::{Entry, Note};
use crate::ui::i18n::tr;

/// The colored code of a reply. Hovering it explains the code in the current language.
pub(super) fn badge_ui(
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
        Some((label, like)) => (label, crate::ui::theme::code_color(like, dark)),
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
