//! A message's MIME tree drawn as indented rows (multipart/mixed → alternative → text/plain…):
//! a click selects a part and shows its header fields; the composer then highlights its bytes
//! in the wire view, the Mailbox in the message text.

use egui::RichText;

use super::i18n::tr;
use crate::proto::Lang;
use crate::proto::mime_tree::{MimeTree, node_line};

/// Draws the tree; a click on a row selects that part (another click unselects it). Returns
/// whether the selection changed.
pub fn tree_ui(
    ui: &mut egui::Ui,
    tree: &MimeTree,
    lang: Lang,
    selected: &mut Option<usize>,
) -> bool {
    let mut changed = false;
    ui.strong(tr(lang, "mime.tree"));
    for (i, n) in tree.nodes.iter().enumerate() {
        let on = *selected == Some(i);
        let mut text = RichText::new(node_line(n, lang)).monospace();
        if n.broken {
            text = text.color(ui.visuals().warn_fg_color);
        }
        // Indented by depth; a long row wraps, so it stays within the column and clickable.
        let clicked = ui
            .horizontal_top(|ui| {
                ui.add_space(16.0 * n.depth as f32);
                ui.add(egui::Button::selectable(on, text).wrap()).clicked()
            })
            .inner;
        if clicked {
            *selected = if on { None } else { Some(i) };
            changed = true;
        }
        if *selected == Some(i) {
            ui.horizontal(|ui| {
                ui.add_space(16.0 * n.depth as f32 + 24.0);
                ui.vertical(|ui| {
                    ui.label(RichText::new(tr(lang, "mime.tree.headers")).weak());
                    for (k, v) in &n.fields {
                        ui.add(
                            egui::Label::new(RichText::new(format!("{k}: {v}")).monospace())
                                .wrap_mode(egui::TextWrapMode::Wrap),
                        );
                    }
                });
            });
        }
    }
    if tree.cut {
        ui.label(RichText::new(tr(lang, "mime.tree.cut")).weak());
    }
    changed
}
