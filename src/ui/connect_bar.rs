//! The connection bar: server preset, protocol, security, host and port, Connect /
//! Disconnect, and a status light with the peer and the TLS state.

use crate::words::Words;
use egui::{Color32, RichText};

use super::Action;
use super::i18n::{tr, trf};
use super::practice::{Practice, PracticeState};
use super::presets::{self, Preset};
use super::theme::Settings;
use crate::proto::Lang;
use crate::session::{Protocol, Security, Target, TlsInfo};

pub struct Status<'a> {
    pub connected: bool,
    pub connecting: bool,
    pub peer: Option<std::net::SocketAddr>,
    pub tls: Option<&'a TlsInfo>,
    pub untrusted: Option<&'a str>,
}

pub struct ConnectBar {
    pub presets: Vec<Preset>,
    pub selected: usize,
    pub protocol: Protocol,
    pub security: Security,
    pub host: String,
    pub port: String,
}

impl ConnectBar {
    pub fn new(settings: &Settings) -> Self {
        let presets = presets::load();
        let selected = presets
            .iter()
            .position(|p| p.id == settings.preset)
            .unwrap_or(0);
        let mut bar = Self {
            presets,
            selected,
            protocol: settings.protocol,
            security: settings.security,
            host: settings.host.clone(),
            port: settings.port.to_string(),
        };
        if !bar.preset().custom {
            bar.refill();
        }
        bar
    }

    pub fn preset(&self) -> &Preset {
        &self.presets[self.selected.min(self.presets.len() - 1)]
    }

    pub fn is_practice(&self) -> bool {
        self.preset().builtin
    }

    /// Chooses the practice server, in plain TCP, for `protocol` (a lesson starting).
    pub fn use_practice(&mut self, protocol: Protocol) {
        if let Some(i) = self.presets.iter().position(|p| p.builtin) {
            self.selected = i;
        }
        self.protocol = protocol;
        self.security = Security::None;
        self.refill();
    }

    /// Host and port from the preset for the chosen protocol and security.
    fn refill(&mut self) {
        let p = self.preset().clone();
        if p.builtin {
            self.host = "127.0.0.1".into();
            return;
        }
        if p.custom {
            return;
        }
        self.host = p.host(self.protocol).to_owned();
        if let Some(port) = p.port(self.protocol, self.security) {
            self.port = port.to_string();
        }
    }

    /// Where Connect goes, or why it cannot.
    pub fn target(&self, practice: Option<&Practice>) -> Result<Target, Words> {
        if self.is_practice() {
            return match practice {
                Some(p) if p.tls_error.is_some() && self.security != Security::None => {
                    Err(Words::new("bar.practice_no_tls"))
                }
                Some(p) => Ok(Target::new(
                    p.host.to_string(),
                    p.port(self.protocol, self.security),
                )),
                None => Err(Words::new("bar.practice_starting")),
            };
        }
        let host = self.host.trim();
        if host.is_empty() || host.contains(char::is_whitespace) {
            return Err(Words::new("bar.bad_host"));
        }
        match self.port.trim().parse::<u16>() {
            Ok(p) if p > 0 => Ok(Target::new(host, p)),
            _ => Err(Words::new("bar.bad_port").arg("port", self.port.trim())),
        }
    }

    pub fn store(&self, s: &mut Settings) {
        s.preset = self.preset().id.clone();
        s.protocol = self.protocol;
        s.security = self.security;
        s.host = self.host.clone();
        s.port = self.port.trim().parse().unwrap_or(0);
    }

    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        practice: PracticeState<'_>,
        status: &Status<'_>,
    ) -> Option<Action> {
        let mut action = None;
        let locked = status.connected || status.connecting;
        // Each label stays with its field, and Connect follows the last one: a zoomed window
        // wraps the bar between pairs, never between a label and its field.
        ui.horizontal_wrapped(|ui| {
            let before = (self.selected, self.protocol, self.security);
            let names: Vec<String> = self
                .presets
                .iter()
                .map(|p| p.name.get(lang).to_owned())
                .collect();
            paired(
                ui,
                tr(lang, "bar.server"),
                210.0 + COMBO,
                !locked,
                |ui, l| {
                    egui::ComboBox::from_id_salt("preset")
                        .selected_text(names[self.selected.min(names.len() - 1)].clone())
                        .width(210.0)
                        .show_ui(ui, |ui| {
                            for (i, n) in names.iter().enumerate() {
                                ui.selectable_value(&mut self.selected, i, n);
                            }
                        })
                        .response
                        .labelled_by(l);
                },
            );
            paired(
                ui,
                tr(lang, "bar.protocol"),
                70.0 + COMBO,
                !locked,
                |ui, l| {
                    egui::ComboBox::from_id_salt("protocol")
                        .selected_text(match self.protocol {
                            Protocol::Smtp => "SMTP",
                            Protocol::Pop3 => "POP3",
                            Protocol::Imap => "IMAP",
                        })
                        .width(70.0)
                        .show_ui(ui, |ui| {
                            ui.selectable_value(&mut self.protocol, Protocol::Smtp, "SMTP");
                            ui.selectable_value(&mut self.protocol, Protocol::Pop3, "POP3");
                            ui.selectable_value(&mut self.protocol, Protocol::Imap, "IMAP");
                        })
                        .response
                        .labelled_by(l);
                },
            );
            let protocol = self.protocol;
            let sec = |s: Security| match s {
                Security::None => tr(lang, "bar.sec.none"),
                Security::StartTls => match protocol {
                    Protocol::Smtp | Protocol::Imap => "STARTTLS".to_owned(),
                    Protocol::Pop3 => "STLS".to_owned(),
                },
                Security::Implicit => tr(lang, "bar.sec.tls"),
            };
            paired(
                ui,
                tr(lang, "bar.security"),
                110.0 + COMBO,
                !locked,
                |ui, l| {
                    egui::ComboBox::from_id_salt("security")
                        .selected_text(sec(self.security))
                        .width(110.0)
                        .show_ui(ui, |ui| {
                            for s in [Security::None, Security::StartTls, Security::Implicit] {
                                ui.selectable_value(&mut self.security, s, sec(s));
                            }
                        })
                        .response
                        .labelled_by(l);
                },
            );
            if before != (self.selected, self.protocol, self.security) {
                self.refill();
                if before.0 != self.selected {
                    action = Some(Action::PresetChanged);
                }
            }
            let editable = !locked && !self.is_practice();
            if let (true, PracticeState::Running(p)) = (self.is_practice(), &practice) {
                self.port = p.port(self.protocol, self.security).to_string();
            }
            for (label, text, width) in [
                ("bar.host", &mut self.host, 130.0),
                ("bar.port", &mut self.port, 58.0),
            ] {
                paired(ui, tr(lang, label), width + 8.0, true, |ui, l| {
                    ui.add_enabled(
                        editable,
                        egui::TextEdit::singleline(text).desired_width(width),
                    )
                    .labelled_by(l);
                });
            }
            let ready = !self.is_practice() || matches!(practice, PracticeState::Running(_));
            // Connect and Disconnect take the same width, so nothing after them moves.
            let width = egui::vec2(96.0, 0.0);
            if status.connected {
                let b = egui::Button::new(RichText::new(tr(lang, "disconnect")).strong())
                    .min_size(width);
                if ui.add(b).clicked() {
                    action = Some(Action::Disconnect);
                }
            } else {
                let b = egui::Button::new(RichText::new(tr(lang, "connect")).strong())
                    .fill(ui.visuals().selection.bg_fill)
                    .min_size(width);
                if ui.add_enabled(ready && !status.connecting, b).clicked() {
                    action = Some(Action::Connect);
                }
            }
        });
        // The second row is one line whatever the state: the status, then what this server
        // needs (the practice accounts, the app-password hint, an untrusted certificate).
        // Long text is cut with "…" and shown whole on hover, so the bar's height, and every
        // button below it, stays where it is.
        ui.horizontal(|ui| {
            ui.set_min_height(ui.spacing().interact_size.y);
            status_light(ui, lang, status);
            ui.separator();
            self.server_line(ui, lang, practice, status, &mut action);
        });
        action
    }

    fn server_line(
        &self,
        ui: &mut egui::Ui,
        lang: Lang,
        practice: PracticeState<'_>,
        status: &Status<'_>,
        action: &mut Option<Action>,
    ) {
        match practice {
            _ if !self.is_practice() => {
                if self.preset().app_password {
                    ui.label(
                        RichText::new(tr(lang, "bar.app_password"))
                            .color(ui.visuals().warn_fg_color),
                    );
                }
                if let Some(fp) = status.untrusted
                    && !status.connected
                {
                    if ui.button(tr(lang, "bar.trust")).clicked() {
                        *action = Some(Action::TrustAndConnect);
                    }
                    ui.add(egui::Label::new(trf(lang, "bar.untrusted", &[("fp", fp)])).truncate());
                }
            }
            PracticeState::Starting => {
                ui.spinner();
                ui.label(tr(lang, "bar.practice_starting"));
            }
            PracticeState::Failed(e) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    trf(lang, "bar.practice_failed", &[("error", &e.get(lang))]),
                );
            }
            PracticeState::Running(p) => {
                ui.label(RichText::new(tr(lang, "bar.accounts")).strong());
                // Only the built-in accounts' passwords: the strip is on the projector.
                let (public, others) = p.public_accounts();
                let mut accounts = public
                    .iter()
                    .map(|(user, pass)| format!("{user} / {pass}"))
                    .collect::<Vec<_>>()
                    .join("  ·  ");
                if others > 0 {
                    accounts.push_str("  ·  ");
                    accounts.push_str(&trf(
                        lang,
                        "bar.more_accounts",
                        &[("n", &others.to_string())],
                    ));
                }
                let ports = trf(
                    lang,
                    "bar.practice_ports",
                    &[
                        ("smtp", &p.smtp.to_string()),
                        ("smtps", &p.smtps.to_string()),
                        ("pop3", &p.pop3.to_string()),
                        ("pop3s", &p.pop3s.to_string()),
                    ],
                );
                let mut job = egui::text::LayoutJob::default();
                let style = ui.style();
                RichText::new(accounts).monospace().append_to(
                    &mut job,
                    style,
                    egui::FontSelection::Default,
                    egui::Align::Center,
                );
                // The ports follow when the row has room for them (they are on the Practice
                // tab too); the accounts, which a student types, are never the part cut.
                let ports_text = RichText::new(format!("   {ports}")).weak();
                let fits = {
                    let mut whole = job.clone();
                    ports_text.clone().append_to(
                        &mut whole,
                        style,
                        egui::FontSelection::Default,
                        egui::Align::Center,
                    );
                    ui.fonts_mut(|f| f.layout_job(whole)).size().x <= ui.available_width()
                };
                if fits {
                    ports_text.append_to(
                        &mut job,
                        style,
                        egui::FontSelection::Default,
                        egui::Align::Center,
                    );
                }
                let r = ui.add(egui::Label::new(job).truncate());
                if !fits {
                    r.on_hover_text(ports);
                }
            }
        }
    }
}

/// What a combo box adds to the width it is given: its arrow and margins.
const COMBO: f32 = 30.0;

/// A label and its field, kept on one row: in a wrapped row, the pair moves to the next row
/// as a whole when it does not fit (`field` is the field's width, estimated).
fn paired(
    ui: &mut egui::Ui,
    label: String,
    field: f32,
    enabled: bool,
    add: impl FnOnce(&mut egui::Ui, egui::Id),
) {
    let text = egui::WidgetText::from(label);
    let galley = text.clone().into_galley(
        ui,
        Some(egui::TextWrapMode::Extend),
        f32::INFINITY,
        egui::TextStyle::Body,
    );
    let width = galley.size().x + ui.spacing().item_spacing.x + field;
    let size = egui::vec2(width, ui.spacing().interact_size.y);
    ui.allocate_ui_with_layout(
        size,
        egui::Layout::left_to_right(egui::Align::Center),
        |ui| {
            ui.add_enabled_ui(enabled, |ui| {
                let l = ui.label(text);
                add(ui, l.id);
            });
        },
    );
}

fn status_light(ui: &mut egui::Ui, lang: Lang, s: &Status<'_>) {
    let (color, text) = if s.connecting {
        (
            Color32::from_rgb(0xe0, 0xa0, 0x00),
            tr(lang, "status.connecting"),
        )
    } else if s.connected {
        let peer = s.peer.map(|p| p.to_string()).unwrap_or_default();
        let mut t = trf(lang, "status.connected", &[("peer", &peer)]);
        match s.tls {
            Some(info) if info.pinned => {
                t.push_str(&format!(" · {}", tr(lang, "status.tls_pinned")))
            }
            Some(_) => t.push_str(&format!(" · {}", tr(lang, "status.tls"))),
            None => t.push_str(&format!(" · {}", tr(lang, "status.plain"))),
        }
        let c = if s.tls.is_some() {
            Color32::from_rgb(0x2e, 0xa0, 0x43)
        } else {
            Color32::from_rgb(0x3b, 0x82, 0xf6)
        };
        (c, t)
    } else {
        (Color32::GRAY, tr(lang, "status.disconnected"))
    };
    let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
    ui.painter().circle_filled(rect.center(), 6.0, color);
    let r = ui.label(text);
    if let Some(info) = s.tls {
        r.on_hover_text(format!(
            "{}\n{}\n{} – {}\nSHA-256 {}",
            info.subject, info.issuer, info.not_before, info.not_after, info.fingerprint
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A practice server without TLS: plain connects go through, TLS ones are refused with a
    /// sentence, not a connection error.
    #[test]
    fn no_tls_on_the_practice_server_is_said_before_connecting() {
        let mut bar = ConnectBar::new(&Settings::default());
        assert!(bar.is_practice());
        let practice = Practice {
            smtp: 2525,
            tls_error: Some(Words::new("server.no_tls")),
            ..Practice::default()
        };
        assert!(bar.target(Some(&practice)).is_ok());
        for security in [Security::StartTls, Security::Implicit] {
            bar.security = security;
            assert_eq!(
                bar.target(Some(&practice)).err(),
                Some(Words::new("bar.practice_no_tls"))
            );
        }
        let with_tls = Practice {
            tls_error: None,
            ..practice
        };
        assert!(bar.target(Some(&with_tls)).is_ok());
    }
}
