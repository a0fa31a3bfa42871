//! Notes shown whole in the transcript: where a note's text may break and how wide each
//! piece is, measured once, so that wrapping it onto rows at any width is arithmetic.

use crate::proto::Lang;

/// Where a note's text may break and how wide each piece is, measured once for a language and
/// secrets state, so wrapping it at a new width is arithmetic, not text layout. The text itself
/// is not kept: a visible row renders its note again (a long transcript holds tens of
/// thousands of notes).
pub(super) struct Measured {
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
pub(super) struct Widths {
    pub(super) font: egui::FontId,
    ascii: [f32; 128],
    other: std::collections::HashMap<char, f32>,
}

impl Widths {
    pub(super) fn new(ctx: &egui::Context, font: egui::FontId) -> Self {
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

    pub(super) fn get(&mut self, ctx: &egui::Context, c: char) -> f32 {
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
pub(super) const EVENT: u16 = u16::MAX;

impl Measured {
    pub(super) fn new(text: &str, width_of: &mut impl FnMut(char) -> f32) -> Self {
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
    pub(super) fn wrap(&mut self, width: f32, space: f32) {
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

    pub(super) fn lines(&self) -> usize {
        self.breaks.len() + 1
    }

    /// Line `i` of `text`, the text this was measured from.
    pub(super) fn line<'t>(&self, text: &'t str, i: usize) -> Option<&'t str> {
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
pub(super) struct Notes {
    pub(super) measured: std::collections::HashMap<(u32, u16), Measured>,
    /// Notes clicked out of their usual state.
    pub(super) toggled: std::collections::HashSet<(u32, u16)>,
    /// The text width, language and secrets the notes were measured and wrapped for.
    pub(super) wrapped_for: Option<(u32, Lang, bool)>,
    /// The width of a space in the notes' font.
    pub(super) space: f32,
    pub(super) widths: Option<Widths>,
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
