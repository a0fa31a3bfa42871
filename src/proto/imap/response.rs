//! IMAP server responses read incrementally: a response is a line, or a line that announces
//! literals (`{n}`, RFC 3501 §4.3) followed by their bytes and the rest of the line. Each
//! complete response is read leniently (tag, status, response code, text, untagged data) so a
//! student's or a broken server's line is still shown and explained, and by imap-codec, whose
//! reading gives the typed FETCH data; a line it does not read is marked as not IMAP's grammar.

use std::collections::VecDeque;
use std::sync::Arc;

use imap_codec::decode::Decoder;
use imap_codec::imap_types::response::{Greeting, Response};
use imap_codec::{GreetingCodec, ResponseCodec};

use crate::proto::line::escaped;

/// The largest response the reader keeps, literals included: a 10 MB message fetched whole
/// fits; a larger one is reported and skipped, so a flood cannot grow memory without bound.
pub const MAX_RESPONSE: usize = 64 * 1024 * 1024;
/// The longest line of a response outside its literals.
pub const MAX_IMAP_LINE: usize = 64 * 1024;
/// How much of a response too large to keep is kept to be shown.
const KEPT_OF_TOO_LARGE: usize = 4096;

/// The status of a status response (RFC 3501 §7.1, RFC 9051 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImapStatus {
    Ok,
    No,
    Bad,
    Preauth,
    Bye,
}

impl ImapStatus {
    /// Reads a status word, in any case (servers answer `ok` too).
    pub fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_uppercase().as_str() {
            "OK" => Self::Ok,
            "NO" => Self::No,
            "BAD" => Self::Bad,
            "PREAUTH" => Self::Preauth,
            "BYE" => Self::Bye,
            _ => return None,
        })
    }

    /// The word as the protocol writes it.
    pub fn word(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::No => "NO",
            Self::Bad => "BAD",
            Self::Preauth => "PREAUTH",
            Self::Bye => "BYE",
        }
    }
}

/// A response code between brackets after the status (`[UIDVALIDITY 3857529045]`, `[ALERT]`,
/// RFC 5530's `[AUTHENTICATIONFAILED]`): its name in upper case and what follows the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RespCode {
    pub name: String,
    pub args: String,
}

/// Who a response is from the protocol's point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseKind {
    /// `+ text`: the server waits for more of the command (a literal, AUTHENTICATE's answer,
    /// IDLE's DONE).
    Continuation,
    /// `* …`: data or a status that completes no command.
    Untagged,
    /// `tag OK|NO|BAD …`: the command with this tag is done.
    Tagged(String),
}

/// What a response may be marked with when it is not as the RFC writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImapWarning {
    /// A line ended in LF alone; IMAP requires CRLF (RFC 3501 §2.2).
    BareLf,
    /// The line does not follow IMAP's grammar (imap-codec does not read it): a client may
    /// refuse it.
    Ungrammatical,
    /// A tagged line whose word after the tag is not OK, NO or BAD.
    NoStatus,
}

/// One complete server response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapResponse {
    pub kind: ResponseKind,
    /// OK, NO, BAD, PREAUTH or BYE, for a status response.
    pub status: Option<ImapStatus>,
    pub code: Option<RespCode>,
    /// The number before an untagged data name (`* 23 EXISTS`, `* 12 FETCH (…)`).
    pub number: Option<u32>,
    /// The untagged data's name in upper case (`CAPABILITY`, `EXISTS`, `FETCH`, `LIST` …).
    pub data: Option<String>,
    /// The human-readable text of a status response, or what follows the data's name.
    pub text: String,
    /// The bytes as they arrived, literals included.
    pub raw: Arc<Vec<u8>>,
    pub warnings: Vec<ImapWarning>,
    /// imap-codec's reading, when it reads the response.
    parsed: Option<Arc<Response<'static>>>,
}

impl ImapResponse {
    /// Reads one complete response (its literals included). `greeting` reads it as the
    /// server's first words, where `* PREAUTH` may stand.
    pub fn parse(raw: Vec<u8>, greeting: bool) -> Self {
        let mut warnings = Vec::new();
        if bare_lf(&raw) {
            warnings.push(ImapWarning::BareLf);
        }
        let first = first_line(&raw);
        let mut r = Self {
            kind: ResponseKind::Untagged,
            status: None,
            code: None,
            number: None,
            data: None,
            text: String::new(),
            raw: Arc::new(Vec::new()),
            warnings,
            parsed: None,
        };
        r.read_first_line(&first);
        r.parsed = codec_reading(&raw, greeting).map(Arc::new);
        if r.parsed.is_none() {
            r.warnings.push(ImapWarning::Ungrammatical);
        }
        r.raw = Arc::new(raw);
        r
    }

    /// The lenient reading of the line up to its first literal.
    fn read_first_line(&mut self, line: &str) {
        let (head, rest) = split_word(line);
        match head {
            "+" => {
                self.kind = ResponseKind::Continuation;
                self.text = rest.to_owned();
            }
            "*" => {
                let (word, after) = split_word(rest);
                if let Ok(n) = word.parse::<u32>() {
                    let (name, after) = split_word(after);
                    self.number = Some(n);
                    self.data = Some(name.to_ascii_uppercase());
                    self.text = after.to_owned();
                } else if let Some(status) = ImapStatus::parse(word) {
                    self.status = Some(status);
                    self.read_code_and_text(after);
                } else {
                    self.data = Some(word.to_ascii_uppercase());
                    self.text = after.to_owned();
                }
            }
            // `+OK` and friends are not IMAP: the lenient reading leaves them untagged text.
            tag if head.starts_with('+') => {
                self.text = format!("{tag} {rest}").trim_end().to_owned();
            }
            tag => {
                self.kind = ResponseKind::Tagged(tag.to_owned());
                let (word, after) = split_word(rest);
                match ImapStatus::parse(word) {
                    Some(status) => {
                        self.status = Some(status);
                        self.read_code_and_text(after);
                    }
                    None => {
                        self.warnings.push(ImapWarning::NoStatus);
                        self.text = rest.to_owned();
                    }
                }
            }
        }
    }

    /// `[CODE args] text` or `text`.
    fn read_code_and_text(&mut self, s: &str) {
        if let Some(inner) = s.strip_prefix('[')
            && let Some(end) = inner.find(']')
        {
            let (name, args) = split_word(&inner[..end]);
            self.code = Some(RespCode {
                name: name.to_ascii_uppercase(),
                args: args.to_owned(),
            });
            self.text = inner[end + 1..].trim_start().to_owned();
        } else {
            self.text = s.to_owned();
        }
    }

    /// The tag, for a tagged response.
    pub fn tag(&self) -> Option<&str> {
        match &self.kind {
            ResponseKind::Tagged(t) => Some(t),
            _ => None,
        }
    }

    /// imap-codec's reading: the typed FETCH items, capabilities, mailbox data.
    pub fn parsed(&self) -> Option<&Response<'static>> {
        self.parsed.as_deref()
    }

    /// The response as text, safe to show: literals' bytes included, anything that is not
    /// UTF-8 or would act on a terminal escaped.
    pub fn shown(&self) -> String {
        escaped(&self.raw)
    }
}

/// Whether a line of the response (outside the final CRLF rule) ends in LF alone.
fn bare_lf(raw: &[u8]) -> bool {
    raw.iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || raw[i - 1] != b'\r'))
}

/// The response's first line, up to its first literal or line end, as text.
fn first_line(raw: &[u8]) -> String {
    let end = raw.iter().position(|&b| b == b'\n').unwrap_or(raw.len());
    let line = raw[..end].strip_suffix(b"\r").unwrap_or(&raw[..end]);
    let line = match literal_at_end(line) {
        Some((at, _)) => &line[..at],
        None => line,
    };
    String::from_utf8_lossy(line).trim_end().to_owned()
}

/// The first word and the rest after one or more spaces.
pub(super) fn split_word(s: &str) -> (&str, &str) {
    match s.split_once(' ') {
        Some((w, rest)) => (w, rest.trim_start_matches(' ')),
        None => (s, ""),
    }
}

/// imap-codec's reading of a whole response, when it reads all of it.
fn codec_reading(raw: &[u8], greeting: bool) -> Option<Response<'static>> {
    let normalized;
    // The codec wants CRLF at the end; a bare LF there is already a warning of ours.
    let input = if raw.ends_with(b"\r\n") {
        raw
    } else {
        normalized = crlf_at_end(raw);
        &normalized
    };
    if greeting {
        // A greeting the response grammar also reads (`* OK …`) keeps that reading.
        if let Ok((rest, g)) = GreetingCodec::default().decode_static(input)
            && rest.is_empty()
        {
            return Some(greeting_response(g));
        }
    }
    match ResponseCodec::default().decode_static(input) {
        Ok((b"", r)) => Some(r),
        _ => None,
    }
}

/// A greeting as the status response it is, for one reading of every response.
fn greeting_response(g: Greeting<'static>) -> Response<'static> {
    use imap_codec::imap_types::response::{GreetingKind, Status};
    let Greeting { kind, code, text } = g;
    Response::Status(match kind {
        GreetingKind::Ok => Status::Ok {
            tag: None,
            code,
            text,
        },
        GreetingKind::Bye => Status::Bye { code, text },
        // PREAUTH has no place among the responses after the greeting; read as OK, with the
        // lenient reading keeping the word.
        GreetingKind::PreAuth => Status::Ok {
            tag: None,
            code,
            text,
        },
    })
}

fn crlf_at_end(raw: &[u8]) -> Vec<u8> {
    let mut v = raw.strip_suffix(b"\n").unwrap_or(raw).to_vec();
    if v.last() == Some(&b'\r') {
        v.pop();
    }
    v.extend_from_slice(b"\r\n");
    v
}

/// A literal announced at the end of a line (`{123}`, `{123+}`, `~{123}`): where it starts in
/// the line and how many bytes follow the line.
pub fn literal_at_end(line: &[u8]) -> Option<(usize, usize)> {
    let inner = line.strip_suffix(b"}")?;
    let inner = inner.strip_suffix(b"+").unwrap_or(inner);
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
    let at = if open > 0 && line[open - 1] == b'~' {
        open - 1
    } else {
        open
    };
    Some((at, n))
}

/// The bytes of the first literal in a response (a FETCH's `BODY[] {342}` and the message
/// after it), as far as the response holds them.
pub fn first_literal(raw: &[u8]) -> Option<&[u8]> {
    let end = raw.iter().position(|&b| b == b'\n')?;
    let line = raw[..end].strip_suffix(b"\r").unwrap_or(&raw[..end]);
    let (_, n) = literal_at_end(line)?;
    let rest = &raw[end + 1..];
    Some(&rest[..n.min(rest.len())])
}

/// One item cut from the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImapItem {
    Response(ImapResponse),
    /// A response larger than the reader keeps: its first bytes, and how many it had in all
    /// (its literals were read to their end, so the stream stays in step).
    TooLarge {
        head: Vec<u8>,
        size: usize,
    },
}

/// Cuts a server's byte stream into responses, whatever chunks the bytes arrive in.
#[derive(Debug)]
pub struct ImapReader {
    /// The response being read (only its head, when it is too large to keep).
    buf: Vec<u8>,
    /// Where the line being read begins in `buf` (after the last literal).
    line_start: usize,
    /// Bytes of a literal still to come.
    literal_left: usize,
    /// Reading a response too large to keep: its size so far.
    dropping: Option<usize>,
    /// While dropping: the end of the line being read, enough to see a literal's `{n}`.
    tail: Vec<u8>,
    limit: usize,
    /// The next response is the server's greeting.
    greeting: bool,
    items: VecDeque<ImapItem>,
}

/// How much of a line's end is kept to find a literal's `{n}` there.
const TAIL: usize = 32;

impl Default for ImapReader {
    fn default() -> Self {
        Self::new(MAX_RESPONSE)
    }
}

impl ImapReader {
    /// A reader that keeps responses up to `limit` bytes; the first response is read as the
    /// greeting.
    pub fn new(limit: usize) -> Self {
        Self {
            buf: Vec::new(),
            line_start: 0,
            literal_left: 0,
            dropping: None,
            tail: Vec::new(),
            limit: limit.max(KEPT_OF_TOO_LARGE),
            greeting: true,
            items: VecDeque::new(),
        }
    }

    /// Reads the next response as the greeting (a new connection) or not (a log that starts
    /// mid-session, or after STARTTLS).
    pub fn expect_greeting(&mut self, greeting: bool) {
        self.greeting = greeting;
    }

    /// Feeds bytes as they arrive.
    pub fn push(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.literal_left > 0 {
                let n = self.literal_left.min(bytes.len());
                self.take(&bytes[..n]);
                self.literal_left -= n;
                bytes = &bytes[n..];
                if self.literal_left == 0 {
                    // The line goes on after the literal.
                    self.line_start = self.buf.len();
                    self.tail.clear();
                }
                continue;
            }
            match bytes.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.take(&bytes[..=i]);
                    bytes = &bytes[i + 1..];
                    self.line_ended();
                }
                None => {
                    self.take(bytes);
                    bytes = &[];
                }
            }
        }
    }

    /// The next complete response, or one too large to keep.
    pub fn next_item(&mut self) -> Option<ImapItem> {
        self.items.pop_front()
    }

    /// Bytes of a response not yet complete (a stream that stopped mid-response).
    pub fn pending(&self) -> &[u8] {
        &self.buf
    }

    /// Appends bytes of the response being read, or counts them when it is too large.
    fn take(&mut self, bytes: &[u8]) {
        match self.dropping.as_mut() {
            Some(size) => {
                *size += bytes.len();
                let room = KEPT_OF_TOO_LARGE.saturating_sub(self.buf.len());
                self.buf.extend_from_slice(&bytes[..room.min(bytes.len())]);
                if self.literal_left == 0 {
                    self.tail.extend_from_slice(bytes);
                    let excess = self.tail.len().saturating_sub(TAIL);
                    self.tail.drain(..excess);
                }
            }
            None => {
                self.buf.extend_from_slice(bytes);
                let line = self.buf.len() - self.line_start;
                if self.buf.len() > self.limit || self.literal_left == 0 && line > MAX_IMAP_LINE {
                    self.start_dropping();
                }
            }
        }
    }

    /// The response has grown past what is kept: keep its head, count the rest.
    fn start_dropping(&mut self) {
        let size = self.buf.len();
        let tail_from = size.saturating_sub(TAIL).max(self.line_start.min(size));
        self.tail = self.buf[tail_from..].to_vec();
        self.buf.truncate(KEPT_OF_TOO_LARGE);
        self.dropping = Some(size);
    }

    /// A line ended: a literal follows it, or the response is complete.
    fn line_ended(&mut self) {
        let line = match self.dropping {
            Some(_) => &self.tail[..],
            None => &self.buf[self.line_start..],
        };
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some((_, n)) = literal_at_end(line) {
            self.literal_left = n;
            self.tail.clear();
            if n == 0 {
                self.line_start = self.buf.len();
            } else if self.dropping.is_none() && self.buf.len().saturating_add(n) > self.limit {
                // Known to be too large before its bytes come: none of them is kept.
                self.start_dropping();
                self.tail.clear();
            }
            return;
        }
        let raw = std::mem::take(&mut self.buf);
        self.line_start = 0;
        self.tail.clear();
        let item = match self.dropping.take() {
            Some(size) => ImapItem::TooLarge { head: raw, size },
            None => ImapItem::Response(ImapResponse::parse(raw, self.greeting)),
        };
        self.greeting = false;
        self.items.push_back(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3501 §8, the sample session's server side up to SELECT's completion.
    const RFC3501_SELECT: &[u8] = b"* OK IMAP4rev1 Service Ready\r\n\
a001 OK LOGIN completed\r\n\
* 18 EXISTS\r\n\
* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n\
* 2 RECENT\r\n\
* OK [UNSEEN 17] Message 17 is the first unseen message\r\n\
* OK [UIDVALIDITY 3857529045] UIDs valid\r\n\
a002 OK [READ-WRITE] SELECT completed\r\n";

    fn read_all(chunks: &[&[u8]], limit: usize) -> Vec<ImapItem> {
        let mut r = ImapReader::new(limit);
        let mut out = Vec::new();
        for c in chunks {
            r.push(c);
            while let Some(i) = r.next_item() {
                out.push(i);
            }
        }
        out
    }

    fn responses(items: &[ImapItem]) -> Vec<&ImapResponse> {
        items
            .iter()
            .filter_map(|i| match i {
                ImapItem::Response(r) => Some(r),
                ImapItem::TooLarge { .. } => None,
            })
            .collect()
    }

    /// Every split of the stream into chunks of `n` bytes gives the same responses.
    fn same_in_any_chunking(stream: &[u8], limit: usize) -> Vec<ImapItem> {
        let whole = read_all(&[stream], limit);
        for n in [1, 2, 3, 7, 64] {
            let chunks: Vec<&[u8]> = stream.chunks(n).collect();
            assert_eq!(read_all(&chunks, limit), whole, "chunks of {n}");
        }
        whole
    }

    #[test]
    fn the_rfc_sample_reads_as_greeting_data_and_completions() {
        let items = same_in_any_chunking(RFC3501_SELECT, MAX_RESPONSE);
        let r = responses(&items);
        assert_eq!(r.len(), 8);
        assert_eq!(r[0].status, Some(ImapStatus::Ok));
        assert_eq!(r[0].kind, ResponseKind::Untagged);
        assert_eq!(r[0].text, "IMAP4rev1 Service Ready");
        assert_eq!(r[1].tag(), Some("a001"));
        assert_eq!(
            (r[2].number, r[2].data.as_deref()),
            (Some(18), Some("EXISTS"))
        );
        assert_eq!(r[3].data.as_deref(), Some("FLAGS"));
        let code = r[6].code.as_ref().unwrap();
        assert_eq!(
            (code.name.as_str(), code.args.as_str()),
            ("UIDVALIDITY", "3857529045")
        );
        assert_eq!(r[7].code.as_ref().unwrap().name, "READ-WRITE");
        assert_eq!(r[7].text, "SELECT completed");
        // imap-codec reads every line of the RFC's session.
        assert!(
            r.iter()
                .all(|r| r.parsed().is_some() && r.warnings.is_empty())
        );
    }

    #[test]
    fn a_literal_is_read_whole_with_the_rest_of_its_line() {
        let body = b"Date: Wed, 17 Jul 1996 02:23:25 -0700 (PDT)\r\nSubject: a line with a ) and a {5}\r\n\r\n";
        let mut stream = format!("* 12 FETCH (BODY[HEADER] {{{}}}\r\n", body.len()).into_bytes();
        stream.extend_from_slice(body);
        stream.extend_from_slice(b" FLAGS (\\Seen))\r\na004 OK FETCH completed\r\n");
        let mut r = ImapReader::new(MAX_RESPONSE);
        r.expect_greeting(false);
        r.push(&stream);
        let ImapItem::Response(fetch) = r.next_item().unwrap() else {
            panic!()
        };
        assert_eq!(
            (fetch.number, fetch.data.as_deref()),
            (Some(12), Some("FETCH"))
        );
        assert_eq!(
            fetch.raw.len(),
            stream.len() - "a004 OK FETCH completed\r\n".len()
        );
        assert!(fetch.parsed().is_some(), "{:?}", fetch.warnings);
        let ImapItem::Response(done) = r.next_item().unwrap() else {
            panic!()
        };
        assert_eq!(done.tag(), Some("a004"));
        // The same in every chunking, the literal split anywhere.
        let mut whole = b"* OK hi\r\n".to_vec();
        whole.extend_from_slice(&stream);
        assert_eq!(
            responses(&same_in_any_chunking(&whole, MAX_RESPONSE)).len(),
            3
        );
    }

    #[test]
    fn continuation_and_status_words_in_any_case() {
        let items = read_all(&[b"* ok hi\r\n+ idling\r\n+ VXNlcm5hbWU6\r\nA1 no [AUTHENTICATIONFAILED] Authentication failed.\r\n"], MAX_RESPONSE);
        let r = responses(&items);
        assert_eq!(r[1].kind, ResponseKind::Continuation);
        assert_eq!(r[2].text, "VXNlcm5hbWU6");
        assert_eq!(r[3].status, Some(ImapStatus::No));
        assert_eq!(r[3].code.as_ref().unwrap().name, "AUTHENTICATIONFAILED");
    }

    #[test]
    fn what_imap_does_not_write_so_is_still_read_and_marked() {
        let items = read_all(
            &[b"* OK ready\na1 LOGIN failed\r\n+OK POP3 ready\r\n* \r\n\r\n"],
            MAX_RESPONSE,
        );
        let r = responses(&items);
        assert_eq!(r.len(), 5);
        assert!(r[0].warnings.contains(&ImapWarning::BareLf));
        assert_eq!(r[1].tag(), Some("a1"));
        assert!(r[1].warnings.contains(&ImapWarning::NoStatus));
        assert!(r[1].warnings.contains(&ImapWarning::Ungrammatical));
        assert_eq!(r[2].kind, ResponseKind::Untagged);
        assert!(r[2].warnings.contains(&ImapWarning::Ungrammatical));
        assert!(r[4].warnings.contains(&ImapWarning::Ungrammatical));
    }

    #[test]
    fn a_response_too_large_is_counted_and_the_stream_stays_in_step() {
        let limit = 10_000;
        let big = vec![b'x'; 50_000];
        let mut stream = b"* OK hi\r\n".to_vec();
        stream.extend_from_slice(format!("* 1 FETCH (BODY[] {{{}}}\r\n", big.len()).as_bytes());
        stream.extend_from_slice(&big);
        stream.extend_from_slice(b")\r\na1 OK done\r\n");
        // A line without a literal longer than a line may be.
        stream.extend_from_slice(b"* 2 FETCH (");
        stream.extend_from_slice(&vec![b'y'; MAX_IMAP_LINE + 10]);
        stream.extend_from_slice(b")\r\na2 OK done\r\n");
        let items = same_in_any_chunking(&stream, limit);
        assert_eq!(items.len(), 5);
        let ImapItem::TooLarge { head, size } = &items[1] else {
            panic!("{:?}", items[1])
        };
        assert!(head.starts_with(b"* 1 FETCH") && head.len() <= KEPT_OF_TOO_LARGE);
        let first = format!("* 1 FETCH (BODY[] {{{}}}\r\n", big.len()).len() + big.len() + 3;
        assert_eq!(*size, first);
        assert!(matches!(&items[3], ImapItem::TooLarge { .. }));
        assert!(matches!(&items[4], ImapItem::Response(r) if r.tag() == Some("a2")));
    }

    #[test]
    fn literal_markers_are_read_only_at_a_line_end() {
        assert_eq!(literal_at_end(b"* 1 FETCH (BODY[] {342}"), Some((18, 342)));
        assert_eq!(literal_at_end(b"a LOGIN {5+}"), Some((8, 5)));
        assert_eq!(literal_at_end(b"x ~{3}"), Some((2, 3)));
        assert_eq!(literal_at_end(b"{}"), None);
        assert_eq!(literal_at_end(b"{12345678901}"), None);
        assert_eq!(literal_at_end(b"text {3} more"), None);
    }
}
