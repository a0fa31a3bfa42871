//! What just happened and what to do next, from proto's state machines, rewritten after
//! every reply; for a retrieved message, what it says once decoded.

use egui::RichText;

use super::Action;
use super::i18n::{tr, trf};
use super::transcript_view::CodeHelp;
use crate::proto::Lang;
use crate::proto::auth::PromptKind;
use crate::proto::message;
use crate::proto::pop3_state::Pop3Step;
use crate::proto::smtp_state::Step;
use crate::session::{Parsed, Protocol, Response};
use crate::transcript::{Entry, Note, Transcript};

/// How much of a retrieved message is decoded for the pane's excerpt.
const SUMMARY_BYTES: usize = 256 * 1024;

pub struct ExplainContext<'a> {
    pub lang: Lang,
    pub protocol: Protocol,
    pub transcript: &'a Transcript,
    /// The message the last RETR brought back, decoded once when it arrived.
    pub retrieved: Option<&'a Retrieved>,
    pub last_error: Option<&'a crate::words::Words>,
    /// What "Next" says and does; `None` in exam mode.
    pub next: Option<NextStep>,
    /// An older reply the student clicked, explained instead of the newest.
    pub shown: Option<usize>,
}

/// The one next step the pane offers, and the action its button carries out (none while the
/// session waits for the server, or when the step asks the student to make something).
#[derive(Debug, Clone)]
pub struct NextStep {
    pub text: String,
    pub action: Option<Action>,
    /// Other steps the protocol allows now, in words.
    pub also: Vec<String>,
}

impl NextStep {
    /// The protocol's own next step, as the state machines expect it.
    pub fn from_protocol(t: &Transcript, protocol: Protocol, lang: Lang) -> Option<Self> {
        let (first, also): (Option<(String, Option<Action>)>, Vec<String>) = match protocol {
            Protocol::Smtp => {
                let steps = t.smtp().expected_next();
                (
                    steps.first().map(|s| (s.describe(lang), smtp_action(*s))),
                    steps.iter().skip(1).map(|s| s.describe(lang)).collect(),
                )
            }
            Protocol::Pop3 => {
                let steps = t.pop3().expected_next();
                (
                    steps.first().map(|s| (s.describe(lang), pop3_action(*s))),
                    steps.iter().skip(1).map(|s| s.describe(lang)).collect(),
                )
            }
            Protocol::Imap => {
                let steps = super::imap_commands::expected(t.imap());
                let describe = |b: &crate::proto::imap::ImapKind| {
                    let what = crate::proto::imap::knowledge::command(b.verb())
                        .map_or("", |c| c.what.get(lang));
                    trf(lang, "imap.step", &[("verb", b.label()), ("what", what)])
                };
                (
                    steps
                        .first()
                        .map(|b| (describe(b), Some(Action::ImapButton(*b)))),
                    // The others by name only: their help is on their buttons.
                    steps.iter().skip(1).map(|b| b.label().to_owned()).collect(),
                )
            }
        };
        first.map(|(text, action)| Self { text, action, also })
    }
}

/// What clicking an SMTP step does: the button that sends it.
fn smtp_action(step: Step) -> Option<Action> {
    Some(match step {
        Step::Connect => Action::Connect,
        Step::Command(kind) => Action::SmtpButton(kind),
        Step::SendUsername => Action::Answer(PromptKind::Username),
        Step::SendPassword => Action::Answer(PromptKind::Password),
        Step::SendPlainResponse => Action::Answer(PromptKind::Empty),
        Step::SendMessage => Action::SendMessage,
        Step::WaitForGreeting | Step::WaitForReply | Step::TlsHandshake => return None,
    })
}

fn pop3_action(step: Pop3Step) -> Option<Action> {
    Some(match step {
        Pop3Step::Connect => Action::Connect,
        Pop3Step::Command(kind) => Action::Pop3Button(kind),
        Pop3Step::WaitForGreeting | Pop3Step::WaitForReply | Pop3Step::TlsHandshake => {
            return None;
        }
    })
}

/// A retrieved message as the pane shows it: sender, subject and the start of the text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Retrieved {
    pub from: String,
    pub subject: String,
    pub excerpt: String,
}

/// Decodes the message of the newest server reply once, when that reply changes, instead of
/// at every frame (a RETR may be megabytes).
#[derive(Default)]
pub struct RetrievedCache {
    /// The entry and its length the summary was made for.
    key: Option<(usize, usize)>,
    summary: Option<Retrieved>,
}

impl RetrievedCache {
    pub fn get(&self) -> Option<&Retrieved> {
        self.summary.as_ref()
    }

    pub fn update(&mut self, t: &Transcript) -> Option<&Retrieved> {
        let newest = t.last_server();
        // IMAP: the message is in a FETCH before the command's completion.
        let newest = match newest {
            Some((i, e))
                if matches!(
                    e.parsed.as_deref(),
                    Some(Parsed::Response(Response::Imap(_)))
                ) =>
            {
                fetched_message(t, i).or(newest)
            }
            other => other,
        };
        let key = newest.map(|(i, e)| (i, e.raw().len()));
        if key != self.key {
            self.key = key;
            self.summary = newest.and_then(|(_, e)| summarize(e));
        }
        self.summary.as_ref()
    }
}

/// The newest FETCH with a literal among the server's rows since the client's last line.
fn fetched_message(t: &Transcript, newest: usize) -> Option<(usize, &Entry)> {
    let entries = t.entries();
    (0..=newest)
        .rev()
        .map(|i| (i, &entries[i]))
        .take_while(|(_, e)| e.dir != crate::transcript::Direction::Client)
        .find(|(_, e)| match e.parsed.as_deref() {
            Some(Parsed::Response(Response::Imap(r))) => {
                r.data.as_deref() == Some("FETCH")
                    && crate::proto::imap::response::first_literal(&r.raw).is_some()
            }
            _ => false,
        })
}

fn summarize(e: &Entry) -> Option<Retrieved> {
    // The sender, subject and first words are at the start: a message of megabytes (an
    // attachment) is not decoded whole for a 400-character excerpt.
    let body = match e.parsed.as_deref() {
        Some(Parsed::Response(Response::Pop3(p))) => p.body()?,
        Some(Parsed::Response(Response::Imap(r))) => {
            crate::proto::imap::response::first_literal(&r.raw)?
        }
        _ => return None,
    };
    let m = message::parse_message(&body[..body.len().min(SUMMARY_BYTES)])?;
    if m.subject.is_none() && m.from.is_empty() {
        return None;
    }
    Some(Retrieved {
        from: m
            .from
            .iter()
            .map(|f| f.address.clone())
            .collect::<Vec<_>>()
            .join(", "),
        subject: m.subject.unwrap_or_default(),
        excerpt: m
            .body
            .map(|b| b.chars().take(400).collect())
            .unwrap_or_default(),
    })
}

/// Draws the pane; returns what its Next button asks for.
pub fn ui(ui: &mut egui::Ui, cx: &ExplainContext<'_>) -> Option<Action> {
    let lang = cx.lang;
    let mut action = None;
    let older = cx.shown.and_then(|i| cx.transcript.entries().get(i));
    let last = older.or(cx.transcript.last_server().map(|(_, e)| e));
    // What to do next stands first, at a place that does not move as the explanation
    // below grows, so its button is always in view.
    if let Some(next) = &cx.next {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(tr(lang, "explain.next")).strong());
            match &next.action {
                // A button that does what it says.
                Some(a) => {
                    if ui.button(RichText::new(&next.text).strong()).clicked() {
                        action = Some(a.clone());
                    }
                }
                None => {
                    ui.label(RichText::new(&next.text).strong());
                }
            }
            if !next.also.is_empty() {
                ui.add_space(12.0);
                ui.label(RichText::new(tr(lang, "explain.also")).weak());
                ui.label(RichText::new(next.also.join(" ")).weak());
            }
        });
        ui.separator();
    }
    // Left: what happened. Right: the reply code in depth, or the message a RETR brought
    // back.
    ui.columns(2, |cols| {
        // Left-aligned prose: a justified column spreads a wrapped line's words apart.
        cols[0].with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
            if older.is_some() {
                ui.horizontal_wrapped(|ui| {
                    ui.heading(tr(lang, "explain.this_reply"));
                    if ui.button(tr(lang, "explain.newest")).clicked() {
                        action = Some(Action::ShowReply(None));
                    }
                });
            } else {
                ui.heading(tr(lang, "explain.title"));
            }
            egui::ScrollArea::vertical()
                .id_salt("explain")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    if let (Some(e), None) = (cx.last_error, older) {
                        ui.colored_label(
                            ui.visuals().error_fg_color,
                            format!("(!) {}", e.get(lang)),
                        );
                    }
                    match last {
                        Some(e) => outcome_ui(ui, e, lang),
                        None => {
                            ui.label(tr(lang, "explain.start"));
                        }
                    }
                });
        });
        cols[1].with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
            egui::ScrollArea::vertical()
                .id_salt("explain-code")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    if let Some(e) = last {
                        // The decoded message is the newest RETR's.
                        detail_ui(ui, e, lang, cx.retrieved.filter(|_| older.is_none()));
                    }
                });
        });
    });
    action
}

fn outcome_ui(ui: &mut egui::Ui, e: &Entry, lang: Lang) {
    // Only the first line is shown: a reply may be megabytes long.
    let end = e
        .raw()
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(e.raw().len());
    let first_line = crate::proto::line::escaped(&e.raw()[..end])
        .trim_end_matches('\r')
        .to_owned();
    ui.label(RichText::new(format!("S: {first_line}")).monospace());
    for n in &e.notes {
        match n {
            Note::Explanation(x) => {
                super::transcript_view::explanation_ui(ui, x, lang);
            }
            Note::Prompt { .. } | Note::Mistake(_) | Note::ReplyWarning(_) | Note::Malformed(_) => {
                ui.label(n.render(lang, false));
            }
            Note::Imap(x) => {
                let x = x.get(lang);
                ui.label(RichText::new(&x.meaning).strong());
                if let Some(next) = &x.next {
                    ui.label(crate::proto::codes::labelled(lang, "next", next));
                }
            }
            Note::ImapState(_) | Note::ImapWarning(_) => {
                ui.label(n.render(lang, false));
            }
            _ => {}
        }
    }
}

/// An IMAP response's reference: the message a FETCH brought back, else what its response
/// code, status or data is, with the RFC that defines it.
fn imap_detail_ui(
    ui: &mut egui::Ui,
    r: &crate::proto::imap::ImapResponse,
    lang: Lang,
    retrieved: Option<&Retrieved>,
) {
    use crate::proto::imap::knowledge;
    if let Some(m) = retrieved {
        message_ui(ui, m, lang);
        return;
    }
    let reference: Option<(String, &str, &str)> =
        if let Some(c) = r.code.as_ref().and_then(|c| knowledge::code(&c.name)) {
            Some((format!("[{}]", c.code), c.meaning.get(lang), c.rfc.as_str()))
        } else if let Some(s) = r.status.and_then(knowledge::status) {
            let tagged = matches!(r.kind, crate::proto::imap::ResponseKind::Tagged(_));
            let text = if tagged { &s.tagged } else { &s.untagged };
            Some((s.status.clone(), text.get(lang), s.rfc.as_str()))
        } else {
            r.data
                .as_deref()
                .and_then(knowledge::data)
                .map(|d| (d.name.clone(), d.meaning.get(lang), d.rfc.as_str()))
        };
    if let Some((name, meaning, rfc)) = reference {
        egui::CollapsingHeader::new(tr(lang, "explain.code"))
            .id_salt("explain-code-reference")
            .default_open(false)
            .show(ui, |ui| {
                ui.strong(RichText::new(name).monospace());
                ui.label(meaning);
                ui.label(RichText::new(rfc).weak());
            });
    }
}

fn message_ui(ui: &mut egui::Ui, m: &Retrieved, lang: Lang) {
    ui.strong(tr(lang, "explain.message"));
    ui.label(format!("{} {}", tr(lang, "compose.from"), m.from));
    ui.label(format!("{} {}", tr(lang, "compose.subject"), m.subject));
    if !m.excerpt.is_empty() {
        ui.label(RichText::new(&m.excerpt).monospace());
    }
}

fn detail_ui(ui: &mut egui::Ui, e: &Entry, lang: Lang, retrieved: Option<&Retrieved>) {
    match e.parsed.as_deref() {
        Some(Parsed::Response(Response::Smtp(r))) => {
            code_reference(
                ui,
                lang,
                CodeHelp::Smtp {
                    code: r.code,
                    enhanced: r.enhanced,
                    state: None,
                },
            );
        }
        Some(Parsed::Response(Response::Pop3(p))) => {
            if p.body().is_some()
                && let Some(m) = retrieved
            {
                message_ui(ui, m, lang);
                return;
            }
            code_reference(
                ui,
                lang,
                CodeHelp::Pop3 {
                    status: p.status.indicator.token(),
                    resp_code: p.status.resp_code.clone(),
                    state: None,
                },
            );
        }
        Some(Parsed::Response(Response::Imap(r))) => imap_detail_ui(ui, r, lang, retrieved),
        _ => {}
    }
}

/// The code's reference text, folded until asked for: the reply's one explanation stands on
/// the left, and this is detail, not a second explanation.
fn code_reference(ui: &mut egui::Ui, lang: Lang, help: CodeHelp) {
    egui::CollapsingHeader::new(tr(lang, "explain.code"))
        .id_salt("explain-code-reference")
        .default_open(false)
        .show(ui, |ui| help.ui(ui, lang));
}
