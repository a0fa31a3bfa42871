//! POP3 responses read incrementally: `+OK`/`-ERR` status lines with RFC 2449 §8 response
//! codes, and dot-terminated multi-line bodies with dot-unstuffing (RFC 1939 §3).

use std::collections::VecDeque;
use std::sync::Arc;

use super::line::{LineBuffer, LineItem, MAX_LINE, strip_eol};
use super::reply::ReplyWarning;

/// The first line of every POP3 response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pop3Indicator {
    Ok,
    Err,
    /// `+ ` followed by a base64 challenge during AUTH (RFC 5034).
    Continue,
}

impl Pop3Indicator {
    /// The indicator as it appears on the wire.
    pub fn token(&self) -> &'static str {
        match self {
            Pop3Indicator::Ok => "+OK",
            Pop3Indicator::Err => "-ERR",
            Pop3Indicator::Continue => "+",
        }
    }
}

/// A POP3 status line, `+OK text` or `-ERR [CODE] text`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pop3Status {
    pub indicator: Pop3Indicator,
    /// The RFC 2449 §8 response code between brackets, e.g. `IN-USE` or `SYS/TEMP`.
    pub resp_code: Option<String>,
    pub text: String,
}

impl Pop3Status {
    pub fn is_ok(&self) -> bool {
        self.indicator == Pop3Indicator::Ok
    }
}

/// A complete POP3 response: a status line and, for multi-line commands, the body.
///
/// The bytes are held once and shared by every clone (the session's event, the request's
/// answer, the transcript): a retrieved message can be megabytes. The body is a slice of them
/// unless unstuffing changed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pop3Response {
    pub status: Pop3Status,
    body: Option<Body>,
    /// The bytes exactly as they arrived: status line, body and final dot. (An `Arc<Vec>`
    /// rather than an `Arc<[u8]>`, which would copy the megabytes once more to be made.)
    pub raw: Arc<Vec<u8>>,
    pub warnings: Box<[ReplyWarning]>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Body {
    /// The body is `raw[start..end]` as it came: no line was dot-stuffed or ended in a bare LF.
    InRaw { start: usize, end: usize },
    /// The unstuffed body differs from the bytes on the wire.
    Own(Arc<Vec<u8>>),
}

impl Pop3Response {
    /// A single-line response.
    pub fn single(status: Pop3Status, raw: Vec<u8>, warnings: Vec<ReplyWarning>) -> Self {
        Self {
            status,
            body: None,
            raw: raw.into(),
            warnings: warnings.into_boxed_slice(),
        }
    }

    /// Dot-unstuffed body lines, each ending in CRLF; `None` for single-line responses.
    pub fn body(&self) -> Option<&[u8]> {
        match self.body.as_ref()? {
            Body::InRaw { start, end } => self.raw.get(*start..*end),
            Body::Own(b) => Some(b.as_slice()),
        }
    }

    /// How many lines the body has (as [`Pop3Response::body_lines`] counts them), without
    /// copying it.
    pub fn body_line_count(&self) -> usize {
        self.body().map_or(0, |b| {
            let breaks = b.iter().filter(|&&c| c == b'\n').count();
            breaks + usize::from(!b.is_empty() && !b.ends_with(b"\n"))
        })
    }

    /// Body lines as text (see [`super::line::escaped`]), without their line endings; blank lines kept.
    pub fn body_lines(&self) -> Vec<String> {
        self.body()
            .map(|b| super::line::escaped(b).lines().map(str::to_owned).collect())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MalformedPop3 {
    #[error("{}", self.words())]
    NoIndicator { text: String, raw: Vec<u8> },
    #[error("{}", self.words())]
    LineTooLong { len: usize, raw: Vec<u8> },
    /// A multi-line body over [`MAX_BODY`] bytes: read to its final dot and dropped; `raw` is
    /// the status line.
    #[error("{}", self.words())]
    BodyTooLong { len: usize, raw: Vec<u8> },
}

/// The most one POP3 multi-line response may hold (a RETR of a message with large
/// attachments); past it the body is read to its end and dropped, so memory stays bounded.
pub const MAX_BODY: usize = 64 << 20;

impl MalformedPop3 {
    pub fn words(&self) -> crate::words::Words {
        use crate::words::Words;
        match self {
            Self::NoIndicator { text, .. } => {
                Words::new("malformed.no_indicator").arg("text", format!("{text:?}"))
            }
            Self::LineTooLong { len, .. } => Words::new("malformed.too_long")
                .arg("limit", MAX_LINE)
                .arg("len", len),
            Self::BodyTooLong { len, .. } => Words::new("malformed.body_too_long")
                .arg("limit_mb", MAX_BODY >> 20)
                .arg("len", len),
        }
    }
}

impl MalformedPop3 {
    pub fn raw(&self) -> &[u8] {
        match self {
            Self::NoIndicator { raw, .. }
            | Self::LineTooLong { raw, .. }
            | Self::BodyTooLong { raw, .. } => raw,
        }
    }
}

/// Parses `+OK …`, `-ERR [IN-USE] …` or `+ challenge`.
pub fn parse_pop3_status(content: &[u8]) -> Option<Pop3Status> {
    let text = super::line::escaped(content);
    let upper = text.get(..4).map(str::to_ascii_uppercase);
    let (indicator, rest) = if upper.as_deref().is_some_and(|u| u.starts_with("-ERR")) {
        (Pop3Indicator::Err, &text[4..])
    } else if upper.as_deref().is_some_and(|u| u.starts_with("+OK"))
        || text.get(..3).is_some_and(|u| u.eq_ignore_ascii_case("+OK"))
    {
        (Pop3Indicator::Ok, &text[3..])
    } else if text == "+" || text.starts_with("+ ") {
        (Pop3Indicator::Continue, &text[1..])
    } else if let Some(at) = odd_err(&text) {
        // "+ERR" and "ERR" are no indicators, but their word says the command failed.
        (Pop3Indicator::Err, &text[at..])
    } else {
        return None;
    };
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let (resp_code, text) = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((code, tail)) if !code.is_empty() && !code.contains(' ') => {
            (Some(code.to_owned()), tail.trim_start().to_owned())
        }
        _ => (None, rest.to_owned()),
    };
    Some(Pop3Status {
        indicator,
        resp_code,
        text,
    })
}

/// Where the text starts after a failure written without its indicator's form: `+ERR` (a
/// server that put the wrong sign) or `ERR` alone, followed by a space, a bracket or nothing.
fn odd_err(text: &str) -> Option<usize> {
    let starts = |s: &str| {
        text.get(..s.len())
            .is_some_and(|t| t.eq_ignore_ascii_case(s))
    };
    let at = if starts("+ERR") {
        4
    } else if starts("ERR") {
        3
    } else {
        return None;
    };
    matches!(text.as_bytes().get(at), None | Some(b' ' | b'[')).then_some(at)
}

/// The warning for a status line whose indicator is neither `+OK` nor `-ERR` though it was
/// read as one (`+ERR`, `ERR`).
pub fn odd_indicator(content: &[u8]) -> Option<ReplyWarning> {
    let text = super::line::escaped(content);
    let at = odd_err(&text)?;
    Some(ReplyWarning::OddIndicator {
        seen: text[..at].to_owned(),
    })
}

/// Whether the next response carries a dot-terminated body after `+OK`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pop3Expect {
    SingleLine,
    MultiLine,
}

/// Reads POP3 responses. The caller says, per command sent, whether a body follows
/// (LIST and UIDL without argument, RETR, TOP, CAPA); unasked responses are single-line.
#[derive(Debug)]
pub struct Pop3Reader {
    lines: LineBuffer,
    expect: VecDeque<Pop3Expect>,
    current: Option<(Pop3Status, Vec<u8>)>,
    /// Where the current body starts in its raw bytes (after the status line).
    body_start: usize,
    /// The unstuffed body, made only once a line differs from the wire (stuffed, bare LF, cut):
    /// until then the body is a slice of the raw bytes.
    body: Option<Vec<u8>>,
    warnings: Vec<ReplyWarning>,
    limit: usize,
    /// Bytes of the current body past the limit, read and dropped.
    dropped: usize,
}

impl Default for Pop3Reader {
    fn default() -> Self {
        Self::new()
    }
}

impl Pop3Reader {
    pub fn new() -> Self {
        Self::with_limit(MAX_BODY)
    }

    /// A reader whose multi-line responses may hold at most `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            lines: LineBuffer::new(MAX_LINE),
            expect: VecDeque::new(),
            current: None,
            body_start: 0,
            body: None,
            warnings: Vec::new(),
            limit,
            dropped: 0,
        }
    }

    /// Queues what the response to a just-sent command looks like.
    pub fn expect(&mut self, e: Pop3Expect) {
        self.expect.push_back(e);
    }

    pub fn push(&mut self, bytes: &[u8]) {
        self.lines.push(bytes);
    }

    pub fn pending(&self) -> Vec<u8> {
        let mut out = self
            .current
            .as_ref()
            .map(|c| c.1.clone())
            .unwrap_or_default();
        out.extend_from_slice(self.lines.pending());
        out
    }

    pub fn take_pending(&mut self) -> Vec<u8> {
        let out = self.pending();
        *self = Self::with_limit(self.limit);
        out
    }

    pub fn next_response(&mut self) -> Option<Result<Pop3Response, MalformedPop3>> {
        loop {
            let line = match self.lines.next_line()? {
                LineItem::Line(line) => line,
                LineItem::TooLong(dropped) => {
                    if let Some((_, raw)) = self.current.as_mut() {
                        // An overlong body line: keep reading the body, note the loss.
                        let body = self
                            .body
                            .get_or_insert_with(|| raw[self.body_start..].to_vec());
                        body.extend_from_slice(b"[line too long, discarded]\r\n");
                        raw.extend_from_slice(&dropped);
                        continue;
                    }
                    self.expect.pop_front();
                    return Some(Err(MalformedPop3::LineTooLong {
                        len: dropped.len(),
                        raw: dropped,
                    }));
                }
            };
            let (content, bare_lf) = strip_eol(&line);
            if bare_lf && !self.warnings.contains(&ReplyWarning::BareLf) {
                self.warnings.push(ReplyWarning::BareLf);
            }
            if let Some((_, raw)) = self.current.as_mut() {
                // RFC 1939 §3: a line of "." ends the body; a leading "." is stuffing.
                if content == b"." && self.dropped > 0 {
                    let (_, raw) = self.current.take()?;
                    let len = raw.len() + std::mem::take(&mut self.dropped);
                    self.body = None;
                    self.warnings.clear();
                    let status_line = raw.split_inclusive(|&b| b == b'\n').next();
                    return Some(Err(MalformedPop3::BodyTooLong {
                        len,
                        raw: status_line.unwrap_or_default().to_vec(),
                    }));
                }
                if raw.len() + line.len() > self.limit {
                    self.dropped += line.len();
                    continue;
                }
                if content == b"." {
                    let end = raw.len();
                    raw.extend_from_slice(&line);
                    let (status, mut raw) = self.current.take()?;
                    // Growing by doubling left up to half of it unused.
                    raw.shrink_to_fit();
                    let body = match self.body.take() {
                        Some(mut own) => {
                            own.shrink_to_fit();
                            Body::Own(own.into())
                        }
                        None => Body::InRaw {
                            start: self.body_start,
                            end,
                        },
                    };
                    return Some(Ok(Pop3Response {
                        status,
                        body: Some(body),
                        raw: raw.into(),
                        warnings: std::mem::take(&mut self.warnings).into_boxed_slice(),
                    }));
                }
                let unstuffed = content.strip_prefix(b".").unwrap_or(content);
                if self.body.is_none() && (bare_lf || unstuffed.len() != content.len()) {
                    self.body = Some(raw[self.body_start..].to_vec());
                }
                raw.extend_from_slice(&line);
                if let Some(body) = self.body.as_mut() {
                    body.extend_from_slice(unstuffed);
                    body.extend_from_slice(b"\r\n");
                }
                continue;
            }
            let expect = self.expect.pop_front().unwrap_or(Pop3Expect::SingleLine);
            let Some(status) = parse_pop3_status(content) else {
                self.warnings.clear();
                return Some(Err(MalformedPop3::NoIndicator {
                    text: super::line::escaped(content),
                    raw: line,
                }));
            };
            if std::str::from_utf8(content).is_err() {
                self.warnings.push(ReplyWarning::InvalidUtf8);
            }
            if let Some(w) = odd_indicator(content) {
                self.warnings.push(w);
            }
            if status.is_ok() && expect == Pop3Expect::MultiLine {
                self.body_start = line.len();
                self.body = None;
                self.current = Some((status, line));
                continue;
            }
            return Some(Ok(Pop3Response::single(
                status,
                line,
                std::mem::take(&mut self.warnings),
            )));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_over_the_limit_is_read_to_its_end_and_dropped() {
        let mut r = Pop3Reader::with_limit(4096);
        r.expect(Pop3Expect::MultiLine);
        r.push(b"+OK message follows\r\n");
        for _ in 0..10_000 {
            r.push(b"a line of the body\r\n");
            assert!(r.next_response().is_none());
            assert!(r.pending().len() <= 4096 + 64);
        }
        r.push(b".\r\n");
        match r.next_response() {
            Some(Err(MalformedPop3::BodyTooLong { len, raw })) => {
                assert_eq!(raw, b"+OK message follows\r\n".to_vec());
                assert_eq!(len, 21 + 10_000 * 20);
            }
            other => panic!("{other:?}"),
        }
        // The connection goes on: the next response reads.
        r.expect(Pop3Expect::SingleLine);
        r.push(b"+OK bye\r\n");
        assert!(matches!(r.next_response(), Some(Ok(_))));
    }

    /// A body whose lines needed no unstuffing is the wire's bytes, shared by every clone of
    /// the response; one that did is unstuffed; both read the same, bare LF and cut lines too.
    #[test]
    fn a_body_is_the_wire_bytes_unless_unstuffing_changed_it() {
        let read = |input: &[u8]| {
            let mut r = Pop3Reader::with_limit(10 * MAX_LINE);
            r.expect(Pop3Expect::MultiLine);
            r.push(input);
            match r.next_response() {
                Some(Ok(resp)) => resp,
                other => panic!("{other:?}"),
            }
        };
        let plain = read(b"+OK\r\nSubject: hi\r\n\r\nbody\r\n.\r\n");
        let body = plain.body().unwrap_or_default();
        assert_eq!(body, b"Subject: hi\r\n\r\nbody\r\n");
        assert_eq!(
            body.as_ptr(),
            plain.raw[5..].as_ptr(),
            "the body was copied"
        );
        let clone = plain.clone();
        assert!(Arc::ptr_eq(&clone.raw, &plain.raw));
        assert_eq!(plain.body_line_count(), 3);
        assert_eq!(plain.body_line_count(), plain.body_lines().len());

        let stuffed = read(b"+OK\r\na\r\n..b\r\n.\r\n");
        assert_eq!(stuffed.body(), Some(&b"a\r\n.b\r\n"[..]));
        let bare = read(b"+OK\r\na\nb\r\n.\r\n");
        assert_eq!(bare.body(), Some(&b"a\r\nb\r\n"[..]));
        let long = [
            b"+OK\r\na\r\n".to_vec(),
            vec![b'x'; MAX_LINE + 10],
            b"\r\nb\r\n.\r\n".to_vec(),
        ];
        let cut = read(&long.concat());
        assert_eq!(
            cut.body(),
            Some(&b"a\r\n[line too long, discarded]\r\nb\r\n"[..])
        );
        assert_eq!(cut.body_line_count(), cut.body_lines().len());
        assert!(read(b"+OK\r\n.\r\n").body().is_some_and(<[u8]>::is_empty));
    }

    #[test]
    fn pop3_status_lines() {
        let s =
            parse_pop3_status(b"+OK 24 message(s) [643260 byte(s)]").unwrap_or_else(|| panic!());
        assert!(s.is_ok());
        assert_eq!(s.resp_code, None);
        let s = parse_pop3_status(b"-ERR [IN-USE] maildrop locked").unwrap_or_else(|| panic!());
        assert_eq!(s.indicator, Pop3Indicator::Err);
        assert_eq!(s.resp_code.as_deref(), Some("IN-USE"));
        assert_eq!(s.text, "maildrop locked");
        let s = parse_pop3_status(b"-ERR [SYS/TEMP] try later").unwrap_or_else(|| panic!());
        assert_eq!(s.resp_code.as_deref(), Some("SYS/TEMP"));
        assert!(parse_pop3_status(b"+OK").is_some_and(|s| s.text.is_empty()));
        assert!(
            parse_pop3_status(b"+ VXNlcm5hbWU6")
                .is_some_and(|s| s.indicator == Pop3Indicator::Continue)
        );
        assert!(parse_pop3_status(b"OK fine").is_none());
        assert!(parse_pop3_status(b"").is_none());
    }

    #[test]
    fn a_failure_without_its_indicator_form_is_read_as_err_and_said_so() {
        for (line, text) in [
            (&b"+ERR No such mailbox"[..], "No such mailbox"),
            (b"ERR", ""),
            (b"err bad command", "bad command"),
            (b"+ERR [IN-USE] locked", "locked"),
        ] {
            let s = parse_pop3_status(line).unwrap_or_else(|| panic!("{line:?}"));
            assert_eq!(s.indicator, Pop3Indicator::Err, "{line:?}");
            assert_eq!(s.text, text);
            let mut r = Pop3Reader::new();
            r.push(&[line, b"\r\n"].concat());
            let Some(Ok(resp)) = r.next_response() else {
                panic!("{line:?}")
            };
            assert!(
                resp.warnings
                    .iter()
                    .any(|w| matches!(w, ReplyWarning::OddIndicator { .. })),
                "{line:?}"
            );
        }
        // Words that only begin like it are no status line.
        for line in [&b"ERROR: connection refused"[..], b"+ERRATA", b"errands"] {
            assert!(parse_pop3_status(line).is_none(), "{line:?}");
        }
        // A proper -ERR carries no warning.
        assert_eq!(odd_indicator(b"-ERR no"), None);
    }

    #[test]
    fn pop3_multiline_with_dot_unstuffing_any_chunking() {
        let input: &[u8] =
            b"+OK ready\r\n+OK 120 octets\r\nSubject: hi\r\n\r\n..leading dot\r\n.\r\n+OK bye\r\n";
        for size in 1..=input.len() {
            let mut r = Pop3Reader::new();
            r.expect(Pop3Expect::SingleLine);
            r.expect(Pop3Expect::MultiLine);
            let mut out = Vec::new();
            for c in input.chunks(size) {
                r.push(c);
                while let Some(x) = r.next_response() {
                    out.push(x);
                }
            }
            assert_eq!(out.len(), 3, "size {size}");
            let body = out[1]
                .as_ref()
                .ok()
                .and_then(|r| r.body())
                .map(<[u8]>::to_vec);
            assert_eq!(body, Some(b"Subject: hi\r\n\r\n.leading dot\r\n".to_vec()));
            assert_eq!(
                out[1].as_ref().map(|r| r.body_lines()).ok(),
                Some(vec![
                    "Subject: hi".to_string(),
                    String::new(),
                    ".leading dot".to_string()
                ])
            );
            assert_eq!(out[2].as_ref().map(|r| r.body().is_none()).ok(), Some(true));
        }
    }

    #[test]
    fn pop3_err_to_multiline_command_has_no_body() {
        let mut r = Pop3Reader::new();
        r.expect(Pop3Expect::MultiLine);
        r.push(b"-ERR no such message\r\n+OK next\r\n");
        let first = r.next_response();
        assert!(first.is_some_and(|r| r.is_ok_and(|r| r.body().is_none())));
        assert!(matches!(r.next_response(), Some(Ok(_))));
    }

    #[test]
    fn pop3_garbage_is_error() {
        let mut r = Pop3Reader::new();
        r.push(b"hello\r\n");
        assert!(matches!(
            r.next_response(),
            Some(Err(MalformedPop3::NoIndicator { .. }))
        ));
    }
}
