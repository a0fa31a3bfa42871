//! The window. For now a single panel that looks up reply codes in the knowledge base.

use crate::proto::{Lang, codes};

/// Opens the window and runs until it is closed.
pub fn run() -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("mailtutor")
            .with_inner_size([1280.0, 800.0]),
        ..Default::default()
    };
    eframe::run_native(
        "mailtutor",
        options,
        Box::new(|cc| {
            install_cjk_font(&cc.egui_ctx);
            Ok(Box::new(CodeLookup::default()))
        }),
    )
}

/// The GB2312 subset of Noto Sans SC, compiled in, as the fallback for every family, so
/// Chinese renders on machines with no CJK font (assets/fonts/OFL.txt).
pub fn install_cjk_font(ctx: &egui::Context) {
    use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
    const NOTO_SC: &[u8] = include_bytes!("../../assets/fonts/NotoSansSC-GB2312.otf");
    let families = [egui::FontFamily::Proportional, egui::FontFamily::Monospace]
        .into_iter()
        .map(|family| InsertFontFamily {
            family,
            priority: FontPriority::Lowest,
        })
        .collect();
    ctx.add_font(FontInsert::new(
        "noto-sans-sc",
        egui::FontData::from_static(NOTO_SC),
        families,
    ));
}

/// Type a code (`535`, `5.7.8`, `+OK`, `IN-USE`) and read its explanation.
#[derive(Default)]
pub struct CodeLookup {
    query: String,
}

impl eframe::App for CodeLookup {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default().show(ui, |ui| {
            ui.heading("mailtutor");
            ui.horizontal(|ui| {
                let label = ui.label("Reply code:");
                ui.text_edit_singleline(&mut self.query)
                    .labelled_by(label.id);
            });
            ui.separator();
            let q = self.query.trim();
            if !q.is_empty() {
                egui::ScrollArea::vertical().show(ui, |ui| {
                    ui.monospace(codes::explain_token(q, Lang::En));
                });
            }
        });
    }
}
