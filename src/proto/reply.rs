//! Server replies read incrementally from a byte stream: SMTP (RFC 5321 §4.2) and POP3 (RFC 1939 §3, RFC 2449 §8).

use std::fmt;

use crate::words::Words;

use smtp_proto::response::parser::ResponseReceiver;

use super::line::{LineBuffer, LineItem, MAX_LINE, strip_eol};
pub use super::pop3_reply::{
    MalformedPop3, Pop3Expect, Pop3Indicator, Pop3Reader, Pop3Response, Pop3Status,
    parse_pop3_status,
};

/// An RFC 3463 enhanced status code, `class.subject.detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnhancedStatus {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl EnhancedStatus {
    /// Parses `5.7.8` (RFC 3463 §2: class 2, 4 or 5; subject and detail up to three digits).
    /// A leading `#`, as some servers and the tutorials write it (`235 #2.0.0`), is allowed.
    pub fn parse(s: &str) -> Option<Self> {
        let mut parts = s.strip_prefix('#').unwrap_or(s).split('.');
        let class = parts.next()?;
        let subject = parts.next()?;
        let detail = parts.next()?;
        if parts.next().is_some() {
            return None;
        }
        let num = |p: &str, max: usize| -> Option<u16> {
            if p.is_empty() || p.len() > max || !p.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            p.parse().ok()
        };
        let class = num(class, 1)? as u8;
        if !matches!(class, 2 | 4 | 5) {
            return None;
        }
        Some(Self {
            class,
            subject: num(subject, 3)?,
            detail: num(detail, 3)?,
        })
    }
}

impl fmt::Display for EnhancedStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// Something odd about a reply that was still understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyWarning {
    /// A line ended in LF alone; RFC 5321 §2.3.8 requires CRLF.
    BareLf,
    /// Bytes that are not UTF-8; they are shown with U+FFFD.
    InvalidUtf8,
    /// A continuation line carried another code than the first line (RFC 5321 §4.2.1).
    MixedCodes { first: u16, other: u16 },
    /// No space or hyphen after the code.
    MissingSeparator,
    /// A POP3 status line that starts with neither `+OK` nor `-ERR` but with a failure's word
    /// (`+ERR`, `ERR`): read as `-ERR`.
    OddIndicator { seen: String },
}

impl ReplyWarning {
    pub fn words(&self) -> Words {
        match self {
            Self::BareLf => Words::new("warn.bare_lf"),
            Self::InvalidUtf8 => Words::new("warn.invalid_utf8"),
            Self::MixedCodes { first, other } => Words::new("warn.mixed_codes")
                .arg("first", first)
                .arg("other", other),
            Self::MissingSeparator => Words::new("warn.missing_separator"),
            Self::OddIndicator { seen } if seen.starts_with('+') => {
                Words::new("warn.plus_err").arg("seen", seen)
            }
            Self::OddIndicator { seen } => Words::new("warn.bare_err").arg("seen", seen),
        }
    }
}

impl fmt::Display for ReplyWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.words().fmt(f)
    }
}

/// A complete SMTP reply: one or more lines sharing a code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub code: u16,
    pub enhanced: Option<EnhancedStatus>,
    /// The text after `NNN-` / `NNN ` of each line, enhanced code included.
    pub lines: Vec<String>,
    /// The bytes exactly as they arrived.
    pub raw: Vec<u8>,
    /// Usually none (a boxed slice: a reply is kept with every row of a transcript).
    pub warnings: Box<[ReplyWarning]>,
}

impl Reply {
    /// 2 positive completion, 3 intermediate, 4 transient failure, 5 permanent failure.
    pub fn class(&self) -> u8 {
        (self.code / 100) as u8
    }

    pub fn is_positive(&self) -> bool {
        matches!(self.class(), 2 | 3)
    }

    /// All lines' text joined with newlines.
    pub fn text(&self) -> String {
        self.lines.join("\n")
    }

    /// The text of the last line, without an enhanced status code in front.
    pub fn last_text(&self) -> &str {
        let last = self.lines.last().map(String::as_str).unwrap_or("");
        match (self.enhanced, last.split_once(' ')) {
            (Some(es), Some((head, tail))) if EnhancedStatus::parse(head) == Some(es) => tail,
            (Some(es), None) if EnhancedStatus::parse(last) == Some(es) => "",
            _ => last,
        }
    }
}

/// A line that is not a reply at all. It carries the bytes so nothing is lost.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MalformedReply {
    #[error("{}", self.words())]
    NoCode { text: String, raw: Vec<u8> },
    #[error("{}", self.words())]
    CodeOutOfRange { code: u16, raw: Vec<u8> },
    #[error("{}", self.words())]
    LineTooLong { len: usize, raw: Vec<u8> },
    /// A multi-line reply that went on past [`MAX_REPLY`] bytes; `raw` holds what was kept.
    #[error("{}", self.words())]
    ReplyTooLong { lines: usize, raw: Vec<u8> },
    /// The input ended inside a multi-line reply (a pasted transcript cut short).
    #[error("{}", self.words())]
    Unfinished { raw: Vec<u8> },
}

/// The most one SMTP reply may hold. The longest real ones (EHLO, HELP) are a few hundred
/// bytes; a server sending `250-` lines for ever must not fill the client's memory.
pub const MAX_REPLY: usize = 1 << 20;

impl MalformedReply {
    pub fn words(&self) -> Words {
        match self {
            Self::NoCode { text, .. } => {
                Words::new("malformed.no_code").arg("text", format!("\"{text}\""))
            }
            Self::CodeOutOfRange { code, .. } => {
                Words::new("malformed.code_range").arg("code", code)
            }
            Self::LineTooLong { len, .. } => Words::new("malformed.too_long")
                .arg("limit", MAX_LINE)
                .arg("len", len),
            Self::ReplyTooLong { lines, .. } => Words::new("malformed.reply_too_long")
                .arg("limit", MAX_REPLY)
                .arg("lines", lines),
            Self::Unfinished { .. } => Words::new("malformed.unfinished"),
        }
    }

    pub fn raw(&self) -> &[u8] {
        match self {
            Self::NoCode { raw, .. }
            | Self::CodeOutOfRange { raw, .. }
            | Self::LineTooLong { raw, .. }
            | Self::ReplyTooLong { raw, .. }
            | Self::Unfinished { raw } => raw,
        }
    }

    /// The bytes shown for it (a pasted block keeps all its lines).
    pub fn raw_mut(&mut self) -> &mut Vec<u8> {
        match self {
            Self::NoCode { raw, .. }
            | Self::CodeOutOfRange { raw, .. }
            | Self::LineTooLong { raw, .. }
            | Self::ReplyTooLong { raw, .. }
            | Self::Unfinished { raw } => raw,
        }
    }
}

struct ParsedLine {
    code: u16,
    last: bool,
    text: String,
}

/// Parses one reply line. Lenient where a human would still understand it.
fn parse_reply_line(
    content: &[u8],
    warnings: &mut Vec<ReplyWarning>,
) -> Result<ParsedLine, &'static str> {
    let digits = content.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits != 3 {
        return Err("code");
    }
    let code = content[..3]
        .iter()
        .fold(0u16, |acc, b| acc * 10 + u16::from(b - b'0'));
    if !(200..=599).contains(&code) {
        return Err("range");
    }
    let (last, rest) = match content.get(3) {
        None => (true, &content[3..]),
        Some(b' ') => (true, &content[4..]),
        Some(b'-') => (false, &content[4..]),
        Some(_) => {
            warnings.push(ReplyWarning::MissingSeparator);
            (true, &content[3..])
        }
    };
    let text = match std::str::from_utf8(rest) {
        Ok(s) => s.to_owned(),
        Err(_) => {
            warnings.push(ReplyWarning::InvalidUtf8);
            super::line::escaped(rest)
        }
    };
    Ok(ParsedLine { code, last, text })
}

/// Reads SMTP replies from a stream in any chunking.
#[derive(Debug)]
pub struct ReplyReader {
    lines: LineBuffer,
    code: Option<u16>,
    texts: Vec<String>,
    raw: Vec<u8>,
    warnings: Vec<ReplyWarning>,
    limit: usize,
}

impl Default for ReplyReader {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplyReader {
    pub fn new() -> Self {
        Self::with_limit(MAX_REPLY)
    }

    /// A reader whose replies may hold at most `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            lines: LineBuffer::new(MAX_LINE),
            code: None,
            texts: Vec::new(),
            raw: Vec::new(),
            warnings: Vec::new(),
            limit,
        }
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.lines.push(bytes);
    }

    /// Bytes of a reply that has started but not finished (for a transcript on disconnect).
    pub fn pending(&self) -> Vec<u8> {
        let mut out = self.raw.clone();
        out.extend_from_slice(self.lines.pending());
        out
    }

    /// Takes everything buffered, complete or not (after STARTTLS's 220, RFC 3207 §4.2).
    pub fn take_pending(&mut self) -> Vec<u8> {
        let out = self.pending();
        *self = Self::with_limit(self.limit);
        out
    }

    /// The next complete reply, a malformed line, or `None` until more bytes arrive.
    pub fn next_reply(&mut self) -> Option<Result<Reply, MalformedReply>> {
        loop {
            let line = match self.lines.next_line()? {
                LineItem::Line(line) => line,
                LineItem::TooLong(dropped) => {
                    let mut raw = std::mem::take(&mut self.raw);
                    let len = dropped.len();
                    raw.extend_from_slice(&dropped);
                    self.reset_reply();
                    return Some(Err(MalformedReply::LineTooLong { len, raw }));
                }
            };
            self.raw.extend_from_slice(&line);
            let (content, bare_lf) = strip_eol(&line);
            if bare_lf && !self.warnings.contains(&ReplyWarning::BareLf) {
                self.warnings.push(ReplyWarning::BareLf);
            }
            let parsed = match parse_reply_line(content, &mut self.warnings) {
                Ok(p) => p,
                Err(kind) => {
                    let raw = std::mem::take(&mut self.raw);
                    self.reset_reply();
                    let text = super::line::escaped(content);
                    return Some(Err(if kind == "range" {
                        let code = text[..3].parse().unwrap_or(0);
                        MalformedReply::CodeOutOfRange { code, raw }
                    } else {
                        MalformedReply::NoCode { text, raw }
                    }));
                }
            };
            match self.code {
                None => self.code = Some(parsed.code),
                Some(first) if first != parsed.code => {
                    let w = ReplyWarning::MixedCodes {
                        first,
                        other: parsed.code,
                    };
                    if !self.warnings.contains(&w) {
                        self.warnings.push(w);
                    }
                }
                Some(_) => {}
            }
            self.texts.push(parsed.text);
            if parsed.last {
                return Some(Ok(self.finish()));
            }
            if self.raw.len() > self.limit {
                let lines = self.texts.len();
                let raw = std::mem::take(&mut self.raw);
                self.reset_reply();
                return Some(Err(MalformedReply::ReplyTooLong { lines, raw }));
            }
        }
    }

    fn finish(&mut self) -> Reply {
        let raw = std::mem::take(&mut self.raw);
        let code = self.code.unwrap_or(0);
        let lines = std::mem::take(&mut self.texts);
        let warnings = std::mem::take(&mut self.warnings).into_boxed_slice();
        self.reset_reply();
        // A failure's enhanced code whose class disagrees with the reply's (`550 4.4.6`) still
        // names its subject; a success's never stands with a failure's. A code written after
        // the text (qmail's `(#4.4.2)`) counts only with the reply's own class.
        let c = code / 100;
        let failure = |class: u16| matches!(class, 4 | 5);
        let enhanced = enhanced_status(&raw)
            .or_else(|| lines.first().and_then(|l| leading_enhanced(l)))
            .filter(|es| {
                let e = u16::from(es.class);
                e == c || failure(e) && failure(c)
            })
            .or_else(|| {
                lines
                    .last()
                    .and_then(|l| trailing_qmail(l))
                    .filter(|es| u16::from(es.class) == c)
            });
        Reply {
            code,
            enhanced,
            lines,
            raw,
            warnings,
        }
    }

    fn reset_reply(&mut self) {
        self.code = None;
        self.texts.clear();
        self.raw.clear();
        self.warnings.clear();
    }
}

/// The enhanced status code as smtp-proto's response parser reads it.
fn enhanced_status(raw: &[u8]) -> Option<EnhancedStatus> {
    let mut receiver = ResponseReceiver::default();
    let response = receiver.parse(&mut raw.iter()).ok()?;
    let [class, subject, detail] = response.esc;
    (class != 0).then_some(EnhancedStatus {
        class,
        subject: subject.into(),
        detail: detail.into(),
    })
}

/// An enhanced status code at the start of a text (for lines smtp-proto refuses, e.g. over 4 KiB).
fn leading_enhanced(text: &str) -> Option<EnhancedStatus> {
    EnhancedStatus::parse(text.split(' ').next()?)
}

/// qmail's enhanced status code, written after the text in brackets with a hash: `553 sorry,
/// that domain isn't in my list of allowed rcpthosts (#5.7.1)`.
fn trailing_qmail(text: &str) -> Option<EnhancedStatus> {
    let inner = text.trim_end().strip_suffix(')')?;
    let at = inner.rfind("(#")?;
    EnhancedStatus::parse(&inner[at + 2..])
}

/// Parses every reply in a complete byte string (tests, transcripts).
pub fn parse_replies(bytes: &[u8]) -> Vec<Result<Reply, MalformedReply>> {
    let mut reader = ReplyReader::new();
    reader.push(bytes);
    std::iter::from_fn(|| reader.next_reply()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(input: &[u8]) -> Reply {
        let mut all = parse_replies(input);
        assert_eq!(all.len(), 1, "{all:?}");
        match all.remove(0) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    fn chunked(input: &[u8], size: usize) -> Vec<Result<Reply, MalformedReply>> {
        let mut r = ReplyReader::new();
        let mut out = Vec::new();
        for c in input.chunks(size) {
            r.push(c);
            while let Some(x) = r.next_reply() {
                out.push(x);
            }
        }
        out
    }

    #[test]
    fn single_line_with_enhanced_code() {
        let r = one(b"550 5.1.1 <nobody@example.com>: Recipient address rejected\r\n");
        assert_eq!(r.code, 550);
        assert_eq!(r.class(), 5);
        assert_eq!(
            r.enhanced,
            Some(EnhancedStatus {
                class: 5,
                subject: 1,
                detail: 1
            })
        );
        assert_eq!(
            r.last_text(),
            "<nobody@example.com>: Recipient address rejected"
        );
        assert!(r.warnings.is_empty());
    }

    #[test]
    fn multi_line_ehlo() {
        let input = b"250-smtp.qq.com\r\n250-PIPELINING\r\n250-SIZE 73400320\r\n250-STARTTLS\r\n250-AUTH LOGIN PLAIN\r\n250 8BITMIME\r\n";
        let r = one(input);
        assert_eq!(r.code, 250);
        assert_eq!(r.enhanced, None);
        assert_eq!(r.lines.len(), 6);
        assert_eq!(r.lines[2], "SIZE 73400320");
        assert_eq!(r.raw, input.to_vec());
    }

    #[test]
    fn tutorial_replies() {
        let input = b"220 163.com Anti-spam GT for Coremail System (163com[20141201])\r\n250 OK\r\n334 dXNlcm5hbWU6\r\n235 #2.0.0 OK Authenticated\r\n354 End data with <CR><LF>.<CR><LF>\r\n554 DT:SPM 163 smtp13,EcCowACn10fou+hW+JiyAg--.\r\n";
        let codes: Vec<u16> = parse_replies(input)
            .into_iter()
            .map(|r| r.map(|r| r.code).unwrap_or(0))
            .collect();
        assert_eq!(codes, vec![220, 250, 334, 235, 354, 554]);
    }

    #[test]
    fn every_chunking_gives_same_replies() {
        let input: &[u8] = b"220 ready\r\n250-a\r\n250-b\r\n250 c\r\n99 bad\r\n550 5.7.1 no\n";
        let whole = chunked(input, input.len());
        for size in 1..input.len() {
            assert_eq!(chunked(input, size), whole, "chunk size {size}");
        }
        assert_eq!(whole.len(), 4);
    }

    #[test]
    fn no_code_and_short_code() {
        let out = parse_replies(b"hello there\r\n99 bad\r\n");
        assert!(matches!(out[0], Err(MalformedReply::NoCode { .. })));
        assert!(matches!(out[1], Err(MalformedReply::NoCode { .. })));
        assert_eq!(
            out[1].as_ref().err().map(|e| e.raw().to_vec()),
            Some(b"99 bad\r\n".to_vec())
        );
    }

    #[test]
    fn code_out_of_range() {
        let out = parse_replies(b"199 what\r\n600 x\r\n");
        assert!(matches!(
            out[0],
            Err(MalformedReply::CodeOutOfRange { code: 199, .. })
        ));
        assert!(matches!(
            out[1],
            Err(MalformedReply::CodeOutOfRange { code: 600, .. })
        ));
    }

    #[test]
    fn mixed_codes_is_lenient_with_warning() {
        let r = one(b"250-first\r\n251 second\r\n");
        assert_eq!(r.code, 250);
        assert_eq!(
            &*r.warnings,
            [ReplyWarning::MixedCodes {
                first: 250,
                other: 251
            }]
        );
    }

    #[test]
    fn bare_lf_and_invalid_utf8_are_noted() {
        let r = one(b"250 caf\xe9\n");
        assert!(r.warnings.contains(&ReplyWarning::BareLf));
        assert!(r.warnings.contains(&ReplyWarning::InvalidUtf8));
        assert_eq!(
            r.lines[0], "caf\\xE9",
            "the byte that is not UTF-8, as it came"
        );
    }

    #[test]
    fn code_alone_and_missing_separator() {
        assert_eq!(one(b"250\r\n").lines, vec![String::new()]);
        let r = one(b"250OK\r\n");
        assert_eq!(&*r.warnings, [ReplyWarning::MissingSeparator]);
    }

    #[test]
    fn overlong_line_is_an_error_and_stream_recovers() {
        let mut input = b"250 ".to_vec();
        input.extend(std::iter::repeat_n(b'x', MAX_LINE + 10));
        input.extend_from_slice(b"\r\n221 bye\r\n");
        let out = chunked(&input, 4096);
        assert!(matches!(out[0], Err(MalformedReply::LineTooLong { .. })));
        assert_eq!(out[1].as_ref().map(|r| r.code).ok(), Some(221));
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn an_endless_multiline_reply_is_cut_at_the_limit() {
        let mut r = ReplyReader::with_limit(4096);
        let mut errors = 0;
        for _ in 0..10_000 {
            r.push(b"250-still going\r\n");
            while let Some(item) = r.next_reply() {
                match item {
                    Err(MalformedReply::ReplyTooLong { raw, lines }) => {
                        assert!(raw.len() <= 4096 + 17 && lines > 1);
                        errors += 1;
                    }
                    other => panic!("{other:?}"),
                }
            }
            assert!(r.pending().len() <= 4096 + 17);
        }
        assert!(errors > 0);
        // The next real reply still reads.
        r.push(b"250 done\r\n");
        let last = std::iter::from_fn(|| r.next_reply()).last();
        assert!(
            matches!(last, Some(Ok(ref reply)) if reply.code == 250),
            "{last:?}"
        );
    }

    #[test]
    fn long_line_under_limit_keeps_enhanced_code() {
        let mut input = b"550 5.7.1 ".to_vec();
        input.extend(std::iter::repeat_n(b'y', 8000));
        input.extend_from_slice(b"\r\n");
        let r = one(&input);
        assert_eq!(r.enhanced.map(|e| e.to_string()), Some("5.7.1".into()));
    }

    #[test]
    fn enhanced_class_must_match() {
        assert_eq!(one(b"250 5.1.1 odd\r\n").enhanced, None);
        assert_eq!(one(b"421 2.0.0 Bye\r\n").enhanced, None);
        // Between a temporary and a permanent failure the subject still counts.
        assert_eq!(
            one(b"550 4.4.6 Routing error\r\n")
                .enhanced
                .map(|e| e.to_string()),
            Some("4.4.6".into())
        );
    }

    #[test]
    fn enhanced_status_parse() {
        assert_eq!(EnhancedStatus::parse("5.7.11").map(|e| e.detail), Some(11));
        assert_eq!(EnhancedStatus::parse("2.0.0").map(|e| e.class), Some(2));
        assert_eq!(EnhancedStatus::parse("3.0.0"), None);
        assert_eq!(EnhancedStatus::parse("5.1"), None);
        assert_eq!(EnhancedStatus::parse("5.1.1.1"), None);
        assert_eq!(EnhancedStatus::parse("5.1234.1"), None);
    }

    #[test]
    fn qmail_writes_its_enhanced_code_after_the_text() {
        let code = |bytes: &[u8]| match parse_replies(bytes).pop() {
            Some(Ok(r)) => r.enhanced.map(|e| (e.class, e.subject, e.detail)),
            _ => None,
        };
        assert_eq!(
            code(b"553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)\r\n"),
            Some((5, 7, 1))
        );
        assert_eq!(code(b"451 timeout(#4.4.2)\r\n"), Some((4, 4, 2)));
        // Its class must still be the reply's, and a hash alone is no code.
        assert_eq!(code(b"550 sorry (#4.4.2)\r\n"), None);
        assert_eq!(code(b"550 see ticket (#12345)\r\n"), None);
    }

    #[test]
    fn pending_bytes_kept() {
        let mut r = ReplyReader::new();
        r.push(b"250-one\r\n250 tw");
        assert!(r.next_reply().is_none());
        assert_eq!(r.pending(), b"250-one\r\n250 tw".to_vec());
    }
}
