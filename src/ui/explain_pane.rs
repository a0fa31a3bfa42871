//! What just happened and what to do next, from proto's state machines, rewritten after
//! every reply; for a retrieved message, what it says once decoded.

use egui::RichText;

use super::i18n::tr;
use super::transcript_view::CodeHelp;
use crate::proto::Lang;
use crate::proto::message;
use crate::session::{Parsed, Protocol, Response};
use crate::transcript::{Direction, Entry, Note, Transcript};

/// How far back to look for the last reply (DATA lines are client rows in between).
const LOOK_BACK: usize = 20_000;

pub struct ExplainContext<'a> {
    pub lang: Lang,
    pub protocol: Protocol,
    pub transcript: &'a Transcript,
    pub last_error: Option<&'a crate::words::Words>,
    /// Exam mode: no "Next:" line.
    pub exam: bool,
}

fn last_server(t: &Transcript) -> Option<&Entry> {
    t.entries()
        .iter()
        .rev()
        .take(LOOK_BACK)
        .find(|e| e.dir == Direction::Server)
}

/// The next steps in words, most expected first.
pub fn next_steps(t: &Transcript, protocol: Protocol, lang: Lang) -> Vec<String> {
    match protocol {
        Protocol::Smtp => t
            .smtp()
            .expected_next()
            .into_iter()
            .map(|s| s.describe(lang))
            .collect(),
        Protocol::Pop3 => t
            .pop3()
            .expected_next()
            .into_iter()
            .map(|s| s.describe(lang))
            .collect(),
    }
}

pub fn ui(ui: &mut egui::Ui, cx: &ExplainContext<'_>) {
    let lang = cx.lang;
    let last = last_server(cx.transcript);
    // Left: what happened and what comes next. Right: the reply code in depth, or the
    // message a RETR brought back.
    ui.columns(2, |cols| {
        let ui = &mut cols[0];
        ui.heading(tr(lang, "explain.title"));
        egui::ScrollArea::vertical()
            .id_salt("explain")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if let Some(e) = cx.last_error {
                    ui.colored_label(ui.visuals().error_fg_color, format!("(!) {}", e.get(lang)));
                }
                match last {
                    Some(e) => outcome_ui(ui, e, lang),
                    None => {
                        ui.label(tr(lang, "explain.start"));
                    }
                }
                let steps = if cx.exam {
                    Vec::new()
                } else {
                    next_steps(cx.transcript, cx.protocol, lang)
                };
                if let Some((first, rest)) = steps.split_first() {
                    ui.horizontal_wrapped(|ui| {
                        ui.label(RichText::new(tr(lang, "explain.next")).strong());
                        ui.label(
                            RichText::new(first)
                                .strong()
                                .color(ui.visuals().hyperlink_color),
                        );
                    });
                    if !rest.is_empty() {
                        ui.horizontal_wrapped(|ui| {
                            ui.label(RichText::new(tr(lang, "explain.also")).weak());
                            ui.label(RichText::new(rest.join(" ")).weak());
                        });
                    }
                }
            });
        let ui = &mut cols[1];
        egui::ScrollArea::vertical()
            .id_salt("explain-code")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                if let Some(e) = last {
                    detail_ui(ui, e, lang);
                }
            });
    });
}

fn outcome_ui(ui: &mut egui::Ui, e: &Entry, lang: Lang) {
    let first_line = crate::proto::line::escaped(&e.raw)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned();
    ui.label(RichText::new(format!("S: {first_line}")).monospace());
    for n in &e.notes {
        match n {
            Note::Outcome(o) => {
                ui.label(RichText::new(o.describe(lang)).strong());
            }
            Note::Pop3Outcome(o) => {
                ui.label(RichText::new(o.describe(lang)).strong());
            }
            Note::Situation(s) => {
                super::transcript_view::situation_ui(ui, s, lang);
            }
            Note::Prompt { .. } | Note::Mistake(_) | Note::ReplyWarning(_) | Note::Malformed(_) => {
                ui.label(n.render(lang, false));
            }
            _ => {}
        }
    }
}

fn detail_ui(ui: &mut egui::Ui, e: &Entry, lang: Lang) {
    match &e.parsed {
        Some(Parsed::Response(Response::Smtp(r))) => {
            ui.strong(tr(lang, "explain.code"));
            CodeHelp::Smtp {
                code: r.code,
                enhanced: r.enhanced,
                situation: None,
            }
            .ui(ui, lang);
        }
        Some(Parsed::Response(Response::Pop3(p))) => {
            if let Some(body) = &p.body
                && let Some(m) = message::parse_message(body)
                && (m.subject.is_some() || !m.from.is_empty())
            {
                ui.strong(tr(lang, "explain.message"));
                let from = m
                    .from
                    .iter()
                    .map(|f| f.address.clone())
                    .collect::<Vec<_>>()
                    .join(", ");
                ui.label(format!("{} {from}", tr(lang, "compose.from")));
                ui.label(format!(
                    "{} {}",
                    tr(lang, "compose.subject"),
                    m.subject.unwrap_or_default()
                ));
                if let Some(b) = m.body {
                    let excerpt: String = b.chars().take(400).collect();
                    ui.label(RichText::new(excerpt).monospace());
                }
                return;
            }
            ui.strong(tr(lang, "explain.code"));
            CodeHelp::Pop3 {
                status: p.status.indicator.token(),
                resp_code: p.status.resp_code.clone(),
                situation: None,
            }
            .ui(ui, lang);
        }
        _ => {}
    }
}
