//! Faults and policy by click: stage a refusal, a slow server or a dropped connection on the
//! running practice server, see which are active, clear them; switch require-AUTH and
//! require-TLS. Every change applies to the next command, without a restart.

use egui::RichText;

use super::i18n::tr;
use crate::proto::Lang;
use crate::server::{Fault, FaultKind, PersonaId, Policy, RunningServer};

/// The faults a click stages: the label key and the fault.
const BUTTONS: &[(&str, FaultKind)] = &[
    ("faults.greet_421", FaultKind::Greeting(421)),
    ("faults.greet_554", FaultKind::Greeting(554)),
    ("faults.rcpt_450", FaultKind::Rcpt(450)),
    ("faults.rcpt_550", FaultKind::Rcpt(550)),
    ("faults.rcpt_452", FaultKind::Rcpt(452)),
    ("faults.data_552", FaultKind::Data(552)),
    ("faults.data_554", FaultKind::Data(554)),
];

pub struct FaultsPanel {
    /// Whether a staged fault stays after it fires.
    pub sticky: bool,
    pub delay_ms: u64,
    pub drop_verb: String,
}

impl Default for FaultsPanel {
    fn default() -> Self {
        Self {
            sticky: false,
            delay_ms: 3000,
            drop_verb: "DATA".into(),
        }
    }
}

impl FaultsPanel {
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, server: &RunningServer) {
        ui.heading(tr(lang, "faults.policy"));
        let mut policy = server.policy().get();
        let before = policy.clone();
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr(lang, "faults.persona"));
            let name = |p: Option<PersonaId>| match p {
                Some(id) => id.persona().name(lang).to_owned(),
                None => tr(lang, "faults.persona_own"),
            };
            let mut chosen = policy.persona;
            egui::ComboBox::from_id_salt("persona")
                .selected_text(name(chosen))
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut chosen, None, name(None));
                    for id in PersonaId::ALL {
                        ui.selectable_value(&mut chosen, Some(id), name(Some(id)));
                    }
                })
                .response
                .labelled_by(l.id);
            // Choosing a persona takes on its server's policy too; the switches below can
            // still change it.
            if chosen != policy.persona {
                policy = match chosen {
                    Some(id) => Policy::of_persona(id),
                    None => Policy::default(),
                };
            }
        });
        ui.label(RichText::new(tr(lang, "faults.persona_about")).weak());
        ui.checkbox(&mut policy.require_auth, tr(lang, "faults.require_auth"));
        ui.checkbox(&mut policy.require_tls, tr(lang, "faults.require_tls"));
        ui.checkbox(
            &mut policy.lowercase_prompt,
            tr(lang, "faults.lowercase_prompt"),
        );
        if policy != before {
            server.policy().set(policy);
        }
        ui.separator();
        ui.heading(tr(lang, "faults.stage"));
        ui.label(RichText::new(tr(lang, "faults.about")).weak());
        ui.checkbox(&mut self.sticky, tr(lang, "faults.sticky"));
        let faults = server.faults();
        ui.horizontal_wrapped(|ui| {
            for (key, kind) in BUTTONS {
                if ui.button(tr(lang, key)).clicked() {
                    faults.stage(Fault {
                        kind: kind.clone(),
                        sticky: self.sticky,
                    });
                }
            }
        });
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr(lang, "faults.delay"));
            ui.add(
                egui::DragValue::new(&mut self.delay_ms)
                    .range(100..=60_000)
                    .suffix(" ms"),
            )
            .labelled_by(l.id);
            if ui.button(tr(lang, "faults.stage_delay")).clicked() {
                faults.stage(Fault {
                    kind: FaultKind::DelayMs(self.delay_ms),
                    sticky: self.sticky,
                });
            }
        });
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr(lang, "faults.drop_after"));
            ui.add(egui::TextEdit::singleline(&mut self.drop_verb).desired_width(90.0))
                .labelled_by(l.id);
            let verb = self.drop_verb.trim().to_ascii_uppercase();
            let valid = !verb.is_empty() && verb.chars().all(|c| c.is_ascii_alphabetic());
            if ui
                .add_enabled(valid, egui::Button::new(tr(lang, "faults.stage_drop")))
                .clicked()
            {
                faults.stage(Fault {
                    kind: FaultKind::DropAfter(verb),
                    sticky: self.sticky,
                });
            }
        });
        ui.separator();
        ui.heading(tr(lang, "faults.active"));
        let active = faults.list();
        if active.is_empty() {
            ui.label(RichText::new(tr(lang, "faults.none")).weak());
            return;
        }
        for (i, f) in active.iter().enumerate() {
            ui.horizontal(|ui| {
                ui.monospace(f.to_string());
                let how = if f.sticky {
                    tr(lang, "faults.every_time")
                } else {
                    tr(lang, "faults.once")
                };
                ui.label(RichText::new(how).weak());
                if ui
                    .push_id(i, |ui| ui.small_button(tr(lang, "faults.clear")))
                    .inner
                    .clicked()
                {
                    faults.remove(f);
                }
            });
        }
        if ui.button(tr(lang, "faults.clear_all")).clicked() {
            faults.clear();
        }
    }
}
