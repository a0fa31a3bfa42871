//! Decoding for the MIME tree: RFC 2231 parameter values (continuations and charsets) read
//! from a raw header field, and the size of a body once its transfer encoding is undone.

use mail_parser::decoders::base64::base64_decode;
use mail_parser::decoders::charsets::map::charset_decoder;

/// How many RFC 2231 continuation segments one parameter may have before the rest is ignored.
const MAX_SEGMENTS: usize = 1000;

/// A parameter's RFC 2231 value (`name*=…`, `name*0*=…; name*1=…`) in a raw header field
/// (`attachment; filename*0*=…`), decoded to text; `None` when the field has the parameter
/// only in plain form (or not at all).
pub fn rfc2231_param(field: &str, name: &str) -> Option<String> {
    let mut whole = None;
    let mut segments: Vec<(u32, bool, String)> = Vec::new();
    for (attr, value) in params(field) {
        let Some(rest) = attr
            .get(..name.len())
            .filter(|a| a.eq_ignore_ascii_case(name))
            .and_then(|_| attr.get(name.len()..))
            .and_then(|r| r.strip_prefix('*'))
        else {
            continue;
        };
        if rest.is_empty() {
            // `name*=charset'lang'value` (§4), first one wins.
            whole.get_or_insert(value);
            continue;
        }
        // `name*N=` taken literally, `name*N*=` percent-encoded (§3, §4.1).
        let (digits, encoded) = match rest.strip_suffix('*') {
            Some(d) => (d, true),
            None => (rest, false),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let Ok(n) = digits.parse::<u32>() else {
            continue;
        };
        if segments.len() < MAX_SEGMENTS && !segments.iter().any(|s| s.0 == n) {
            segments.push((n, encoded, value));
        }
    }
    if let Some(value) = whole {
        let (charset, text) = split_charset(&value);
        return Some(to_text(charset, &percent_decode(text)));
    }
    if segments.is_empty() {
        return None;
    }
    // Segments are joined in the order of their numbers, not as written (§3); the
    // percent-decoded bytes are joined before the charset is applied, since one character
    // may be split across two segments.
    segments.sort_by_key(|s| s.0);
    let mut charset = "";
    let mut bytes = Vec::new();
    for (i, (n, encoded, value)) in segments.iter().enumerate() {
        if *encoded {
            let mut text = value.as_str();
            // Only the first segment carries `charset'language'` (§4.1).
            if i == 0 && *n == 0 {
                let (c, t) = split_charset(text);
                charset = c;
                text = t;
            }
            bytes.extend(percent_decode(text));
        } else {
            bytes.extend_from_slice(value.as_bytes());
        }
    }
    Some(to_text(charset, &bytes))
}

/// `charset'language'text` split into charset and text; all text when the quotes are missing.
fn split_charset(value: &str) -> (&str, &str) {
    let mut parts = value.splitn(3, '\'');
    match (parts.next(), parts.next(), parts.next()) {
        (Some(charset), Some(_lang), Some(text)) => (charset, text),
        _ => ("", value),
    }
}

/// `%XX` octets decoded (RFC 2231 §4); a `%` not followed by two hex digits stays as it is.
fn percent_decode(text: &str) -> Vec<u8> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = (b[i] == b'%')
            .then(|| b.get(i + 1..i + 3))
            .flatten()
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match hex {
            Some(v) => {
                out.push(v);
                i += 3;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    out
}

/// Bytes in the named charset as text; UTF-8 when the charset is empty or unknown.
fn to_text(charset: &str, bytes: &[u8]) -> String {
    let c = charset.trim().to_ascii_lowercase();
    if c.is_empty() || c == "utf-8" || c == "utf8" || c == "us-ascii" {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    match charset_decoder(c.as_bytes()) {
        Some(decode) => decode(bytes),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// A raw header field's parameters (`type; a=1; b="x;y"` → `a`/`1`, `b`/`x;y`): names
/// trimmed, quoted strings unquoted (RFC 2045 §5.1). A quoted extended value, as some
/// mailers write, simply loses its quotes.
fn params(field: &str) -> Vec<(String, String)> {
    let mut pieces = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for ch in field.chars() {
        if escaped {
            cur.push(ch);
            escaped = false;
        } else if quoted && ch == '\\' {
            cur.push(ch);
            escaped = true;
        } else if ch == '"' {
            quoted = !quoted;
            cur.push(ch);
        } else if ch == ';' && !quoted {
            pieces.push(std::mem::take(&mut cur));
        } else {
            cur.push(ch);
        }
    }
    pieces.push(cur);
    pieces
        .into_iter()
        .skip(1)
        .filter_map(|p| {
            let (attr, value) = p.split_once('=')?;
            Some((attr.trim().to_owned(), unquote(value.trim())))
        })
        .collect()
}

/// A quoted string's content without its quotes and backslashes; other text as it is.
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"') else {
        return value.to_owned();
    };
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(ch) = chars.next() {
        match ch {
            '\\' => out.extend(chars.next()),
            '"' => break,
            _ => out.push(ch),
        }
    }
    out
}

/// A body's size once its transfer encoding is undone (RFC 2045 §6), before any charset
/// conversion: what a saved file holds. `None` when base64 is not valid.
pub fn decoded_size(body: &[u8], transfer_encoding: Option<&str>) -> Option<usize> {
    match transfer_encoding {
        Some("base64") => base64_decode(body).map(|d| d.len()),
        Some("quoted-printable") => Some(quoted_printable_len(body)),
        _ => Some(body.len()),
    }
}

/// The length of a quoted-printable body decoded (RFC 2045 §6.7): `=XX` is one octet, `=`
/// at a line's end is a soft line break, white space at a line's end is dropped (rule 3),
/// and an `=` not followed by two hex digits stays as it is.
fn quoted_printable_len(body: &[u8]) -> usize {
    let mut len = 0;
    let mut lines = body.split(|&b| b == b'\n').peekable();
    while let Some(line) = lines.next() {
        let hard_break = lines.peek().is_some();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let line = trim_end_ws(line);
        let (line, soft) = match line.strip_suffix(b"=") {
            Some(l) => (l, true),
            None => (line, false),
        };
        let mut i = 0;
        while i < line.len() {
            let hex = line[i] == b'='
                && line
                    .get(i + 1..i + 3)
                    .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            i += if hex { 3 } else { 1 };
            len += 1;
        }
        if hard_break && !soft {
            len += 2;
        }
    }
    len
}

fn trim_end_ws(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !matches!(b, b' ' | b'\t'))
        .map_or(0, |p| p + 1);
    line.get(..end).unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuations_join_bytes_before_the_charset() {
        // 複数.txt with 数 (E6 95 B0) split across the two segments.
        let f = "attachment; filename*0*=utf-8''%E8%A4%87%E6; filename*1*=%95%B0.txt";
        assert_eq!(rfc2231_param(f, "filename").as_deref(), Some("複数.txt"));
    }

    #[test]
    fn segments_go_by_number_and_plain_ones_are_literal() {
        let f =
            "attachment; FILENAME*2=\"%41 b.txt\"; filename*1*=%C3%A9; filename*0*=UTF-8'en'caf";
        assert_eq!(
            rfc2231_param(f, "filename").as_deref(),
            Some("café%41 b.txt")
        );
        let f = "attachment; filename*1=\"two\"; filename*0=\"one \"";
        assert_eq!(rfc2231_param(f, "filename").as_deref(), Some("one two"));
    }

    #[test]
    fn extended_values_decode_their_charset_quoted_or_not() {
        let f = "attachment; filename*=\"iso-8859-1''Hasen%20und%20Fr%F6sche.txt\"";
        assert_eq!(
            rfc2231_param(f, "filename").as_deref(),
            Some("Hasen und Frösche.txt")
        );
        let f = "image/gif; name*=gb2312''%D6%D0%CE%C4.gif";
        assert_eq!(rfc2231_param(f, "name").as_deref(), Some("中文.gif"));
    }

    #[test]
    fn plain_parameters_are_left_to_the_parser() {
        assert_eq!(
            rfc2231_param("attachment; filename=\"a;b*0*\"", "filename"),
            None
        );
        assert_eq!(rfc2231_param("attachment; filenames*=x", "filename"), None);
        assert_eq!(rfc2231_param("attachment", "filename"), None);
        // Broken escapes stay as written rather than failing.
        assert_eq!(
            rfc2231_param("a; filename*=''100%zz", "filename").as_deref(),
            Some("100%zz")
        );
    }

    #[test]
    fn sizes_undo_the_transfer_encoding_only() {
        assert_eq!(decoded_size(b"6eno\r\n", Some("base64")), Some(3));
        assert_eq!(decoded_size(b"\xe9\xe9", None), Some(2));
        assert_eq!(decoded_size(b"!!", Some("base64")), None);
        assert_eq!(
            decoded_size(b"caf=E9 \r\nab=\r\ncd =3D=", Some("quoted-printable")),
            // caf é CRLF ab cd SP =
            Some(12)
        );
        assert_eq!(quoted_printable_len(b"a=4"), 3);
    }
}
