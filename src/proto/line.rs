//! Splits a byte stream into protocol lines, whatever chunks the bytes arrive in.

/// The longest line either reader accepts, terminator included.
pub const MAX_LINE: usize = 64 * 1024;

/// One item cut from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineItem {
    /// A whole line, its LF (and CR, if any) still attached.
    Line(Vec<u8>),
    /// A line longer than the limit: the bytes that were thrown away so far.
    /// The rest of that line, up to its LF, is discarded silently.
    TooLong(Vec<u8>),
}

/// A growable buffer that hands out complete lines. Scanning resumes where it
/// stopped, so feeding one byte at a time stays linear.
#[derive(Debug, Default)]
pub struct LineBuffer {
    buf: Vec<u8>,
    start: usize,
    scanned: usize,
    skipping: bool,
    limit: usize,
}

impl LineBuffer {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            ..Self::default()
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start * 2 >= self.buf.len() {
            self.buf.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes received but not yet part of a complete line.
    pub fn pending(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Takes every byte not yet handed out as a line (when the stream stops being lines,
    /// as after DATA or before a TLS handshake).
    pub fn take_pending(&mut self) -> Vec<u8> {
        let out = self.buf[self.start..].to_vec();
        self.buf.clear();
        self.start = 0;
        self.scanned = 0;
        self.skipping = false;
        out
    }

    pub fn next_line(&mut self) -> Option<LineItem> {
        loop {
            let found = self.buf[self.scanned..].iter().position(|&b| b == b'\n');
            match found {
                Some(i) => {
                    let end = self.scanned + i + 1;
                    let line = self.buf[self.start..end].to_vec();
                    self.start = end;
                    self.scanned = end;
                    if self.skipping {
                        self.skipping = false;
                        continue;
                    }
                    if line.len() > self.limit {
                        return Some(LineItem::TooLong(line));
                    }
                    return Some(LineItem::Line(line));
                }
                None => {
                    self.scanned = self.buf.len();
                    let waiting = self.buf.len() - self.start;
                    if waiting > self.limit || (self.skipping && waiting > 0) {
                        let dropped = self.buf[self.start..].to_vec();
                        self.start = self.buf.len();
                        self.scanned = self.start;
                        let first = !self.skipping;
                        self.skipping = true;
                        if first {
                            return Some(LineItem::TooLong(dropped));
                        }
                    }
                    return None;
                }
            }
        }
    }
}

/// Splits a line into its content and whether it ended in a bare LF.
pub fn strip_eol(line: &[u8]) -> (&[u8], bool) {
    match line {
        [rest @ .., b'\r', b'\n'] => (rest, false),
        [rest @ .., b'\n'] => (rest, true),
        other => (other, false),
    }
}

/// Bytes from the wire as text: UTF-8 as it is; bytes that are not UTF-8, control characters
/// (but tab and line breaks) and U+FFFD as `\\xNN` (`\\u{FFFD}`), so binary junk reads as what
/// was sent, never as boxes or replacement characters.
pub fn escaped(raw: &[u8]) -> String {
    let mut out = String::with_capacity(raw.len());
    for chunk in raw.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\t' | '\n' | '\r' => out.push(c),
                '\u{FFFD}' => out.push_str("\\u{FFFD}"),
                c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// [`escaped`] on one line: tab, CR and LF written as `\t`, `\r`, `\n` too, so text from the
/// wire can stand inside a log line or a reply.
pub fn escaped_line(raw: &[u8]) -> String {
    escaped(raw)
        .replace('\t', "\\t")
        .replace('\r', "\\r")
        .replace('\n', "\\n")
}

/// Whether a character would act on a terminal instead of being shown: C0 controls but TAB and
/// LF, DEL, C1 controls, and the bidirectional overrides and isolates that reorder a line.
fn acts_on_terminal(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Text from outside (a server's reply, a pasted log, a client's line) made safe to print on a
/// terminal or in a log: every character that would act on the terminal (ESC sequences that
/// retitle the window or write the clipboard, BEL, C1, a lone CR that overwrites the line, a
/// bidi override) is shown as a visible escape (`\x1B`, `\r`, `\u{202E}`); a CR before LF is
/// dropped. The one function every terminal output and the server's log go through.
pub fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(acts_on_terminal) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' => out.push_str("\\r"),
            c if c.is_control() && (c as u32) < 0x100 && acts_on_terminal(c) => {
                out.push_str(&format!("\\x{:02X}", c as u32));
            }
            c if acts_on_terminal(c) => out.push_str(&format!("\\u{{{:04X}}}", c as u32)),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_shows_what_would_act_on_a_terminal() {
        assert_eq!(printable("250 ok\tfine\n"), "250 ok\tfine\n");
        assert_eq!(
            printable("a\u{1b}]52;c;aGk=\u{7}b"),
            "a\\x1B]52;c;aGk=\\x07b"
        );
        assert_eq!(printable("x\r\ny\rz"), "x\ny\\rz");
        assert_eq!(printable("c1 \u{9b}2J"), "c1 \\x9B2J");
        assert_eq!(printable("\u{202e}txt.exe"), "\\u{202E}txt.exe");
        assert_eq!(printable("nul\0"), "nul\\x00");
        assert_eq!(printable("中文 ok"), "中文 ok");
    }

    #[test]
    fn lines_in_any_chunking() {
        let input = b"one\r\ntwo\nthree\r\n";
        for size in 1..input.len() {
            let mut lb = LineBuffer::new(MAX_LINE);
            let mut out = Vec::new();
            for chunk in input.chunks(size) {
                lb.push(chunk);
                while let Some(item) = lb.next_line() {
                    out.push(item);
                }
            }
            assert_eq!(
                out,
                vec![
                    LineItem::Line(b"one\r\n".to_vec()),
                    LineItem::Line(b"two\n".to_vec()),
                    LineItem::Line(b"three\r\n".to_vec()),
                ]
            );
        }
    }

    #[test]
    fn overlong_line_reported_once_then_skipped() {
        let mut lb = LineBuffer::new(8);
        lb.push(b"0123456789");
        assert!(matches!(lb.next_line(), Some(LineItem::TooLong(_))));
        lb.push(b"abcdefghijkl");
        assert_eq!(lb.next_line(), None);
        lb.push(b"xyz\r\nok\r\n");
        assert_eq!(lb.next_line(), Some(LineItem::Line(b"ok\r\n".to_vec())));
    }

    #[test]
    fn overlong_complete_line() {
        let mut lb = LineBuffer::new(4);
        lb.push(b"abcdef\nok\n");
        assert!(matches!(lb.next_line(), Some(LineItem::TooLong(_))));
        assert_eq!(lb.next_line(), Some(LineItem::Line(b"ok\n".to_vec())));
    }

    #[test]
    fn strip() {
        assert_eq!(strip_eol(b"a\r\n"), (&b"a"[..], false));
        assert_eq!(strip_eol(b"a\n"), (&b"a"[..], true));
    }
}
