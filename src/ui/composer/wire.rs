//! The wire view: the DATA payload as it travels, with a selected part's bytes highlighted.
//! Only a window of at most [`MAX_PREVIEW`] bytes is laid out (around the selection), so a
//! message with megabytes of attachments keeps the window responsive.

use std::ops::Range;

use egui::FontId;
use egui::text::{LayoutJob, TextFormat};

use crate::proto::Lang;
use crate::ui::i18n::trf;

/// How much of the DATA payload the wire view lays out.
pub const MAX_PREVIEW: usize = 64 * 1024;
/// How much comes before a selected part in the window, for context.
const BEFORE: usize = 512;

/// The byte window shown: the start, or from a little before the selected part.
pub fn window(len: usize, highlight: Option<&Range<usize>>) -> Range<usize> {
    let start = highlight
        .map_or(0, |r| r.start.saturating_sub(BEFORE))
        .min(len);
    start..start.saturating_add(MAX_PREVIEW).min(len)
}

/// How the text of the wire looks: CRLF shown as `\r\n` or as line breaks.
fn shown(bytes: &[u8], show_crlf: bool) -> String {
    let text = String::from_utf8_lossy(bytes);
    if show_crlf {
        text.replace("\r\n", "\\r\\n\n")
    } else {
        text.replace("\r\n", "\n")
    }
}

/// The least height of the wire view, in points (about fifteen lines).
const WIRE_HEIGHT: f32 = 320.0;

/// Draws the payload's window, the selected part highlighted; `reset` scrolls back to the top
/// (the selection changed, and the window now starts just before it).
pub fn wire_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    payload: &[u8],
    highlight: Option<Range<usize>>,
    show_crlf: bool,
    reset: bool,
) {
    let w = window(payload.len(), highlight.as_ref());
    let shown_bytes = payload.get(w.clone()).unwrap_or_default();
    let (hs, he) = match &highlight {
        Some(r) => (
            r.start.clamp(w.start, w.end) - w.start,
            r.end.clamp(w.start, w.end) - w.start,
        ),
        None => (0, 0),
    };
    let font = FontId::monospace(egui::TextStyle::Monospace.resolve(ui.style()).size);
    let plain = TextFormat::simple(font.clone(), ui.visuals().text_color());
    let marked = TextFormat {
        background: ui.visuals().selection.bg_fill,
        color: ui.visuals().strong_text_color(),
        ..TextFormat::simple(font, ui.visuals().text_color())
    };
    let mut job = LayoutJob::default();
    if w.start > 0 {
        job.append(
            &format!(
                "{}\n",
                trf(lang, "mime.wire_before", &[("n", &w.start.to_string())])
            ),
            0.0,
            plain.clone(),
        );
    }
    for (range, format) in [
        (0..hs, &plain),
        (hs..he, &marked),
        (he..shown_bytes.len(), &plain),
    ] {
        if let Some(b) = shown_bytes.get(range).filter(|b| !b.is_empty()) {
            job.append(&shown(b, show_crlf), 0.0, format.clone());
        }
    }
    let rest = payload.len() - w.end;
    if rest > 0 {
        job.append(
            &format!(
                "\n{}",
                trf(lang, "mime.wire_more", &[("n", &rest.to_string())])
            ),
            0.0,
            plain,
        );
    }
    // Lines keep their length, as on the wire; a solid scroll bar always in view says that
    // a long one goes on to the right.
    ui.spacing_mut().scroll = egui::style::ScrollStyle::solid();
    let mut area = egui::ScrollArea::both()
        .id_salt("wire-preview")
        .scroll_bar_visibility(egui::scroll_area::ScrollBarVisibility::AlwaysVisible)
        // The room left in view, or enough for 15 lines (the tools panel scrolls too): the
        // bar stays on screen, not at the foot of a long message.
        .max_height((ui.clip_rect().bottom() - ui.cursor().top() - 8.0).max(WIRE_HEIGHT))
        // Inside the panel's own scroll area the room left in view may be a few lines: the
        // wire keeps this much height, and the panel scrolls to it.
        .min_scrolled_height(WIRE_HEIGHT);
    if reset {
        area = area
            .vertical_scroll_offset(0.0)
            .horizontal_scroll_offset(0.0);
    }
    area.show(ui, |ui| {
        job.wrap.max_width = f32::INFINITY;
        ui.add(egui::Label::new(job).wrap_mode(egui::TextWrapMode::Extend));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_follows_the_selection_and_stays_small() {
        assert_eq!(window(10, None), 0..10);
        assert_eq!(window(10_000_000, None), 0..MAX_PREVIEW);
        let w = window(10_000_000, Some(&(5_000_000..9_000_000)));
        assert_eq!(w.start, 5_000_000 - BEFORE);
        assert_eq!(w.len(), MAX_PREVIEW);
        assert_eq!(window(100, Some(&(200..300))), 0..100);
        assert_eq!(
            window(10_000, Some(&(9_000..9_900))),
            9_000 - BEFORE..10_000
        );
    }
}
