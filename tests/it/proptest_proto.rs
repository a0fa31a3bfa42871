//! Property tests: the parsers never panic and give the same result in any chunking; a composed
//! message survives dot-stuffing and parsing byte for byte.

use mailtutor::proto::auth;
use mailtutor::proto::message::{Draft, Mailbox, parse_message, unstuff};
use mailtutor::proto::reply::{Pop3Expect, Pop3Reader, ReplyReader, parse_replies};
use mailtutor::proto::smtp::SmtpCommand;
use proptest::prelude::*;

fn feed_smtp(bytes: &[u8], cuts: &[usize]) -> Vec<String> {
    let mut r = ReplyReader::new();
    let mut out = Vec::new();
    let mut start = 0;
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (bytes.len() + 1)).collect();
    points.sort_unstable();
    points.push(bytes.len());
    for p in points {
        r.push(&bytes[start..p.max(start)]);
        start = p.max(start);
        while let Some(x) = r.next_reply() {
            out.push(format!("{x:?}"));
        }
    }
    out
}

fn feed_pop3(bytes: &[u8], chunk: usize, multi: &[bool]) -> Vec<String> {
    let mut r = Pop3Reader::new();
    for &m in multi {
        r.expect(if m {
            Pop3Expect::MultiLine
        } else {
            Pop3Expect::SingleLine
        });
    }
    let mut out = Vec::new();
    for c in bytes.chunks(chunk.max(1)) {
        r.push(c);
        while let Some(x) = r.next_response() {
            out.push(format!("{x:?}"));
        }
    }
    out
}

/// Bytes that look like replies often enough to reach every branch.
fn replyish() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"250-".to_vec()),
        Just(b"250 ".to_vec()),
        Just(b"550 5.1.1 ".to_vec()),
        Just(b"99 ".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"+OK ".to_vec()),
        Just(b"-ERR [IN-USE] ".to_vec()),
        Just(b".\r\n".to_vec()),
        Just(b"..x\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..12),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn smtp_replies_same_in_any_chunking(bytes in replyish(), cuts in proptest::collection::vec(any::<usize>(), 0..20)) {
        let whole = feed_smtp(&bytes, &[]);
        prop_assert_eq!(feed_smtp(&bytes, &cuts), whole);
    }

    #[test]
    fn smtp_replies_any_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = parse_replies(&bytes);
        let one_by_one = feed_smtp(&bytes, &(0..bytes.len()).collect::<Vec<_>>());
        prop_assert_eq!(one_by_one, feed_smtp(&bytes, &[]));
    }

    #[test]
    fn pop3_same_in_any_chunking(bytes in replyish(), chunk in 1usize..64, multi in proptest::collection::vec(any::<bool>(), 0..8)) {
        prop_assert_eq!(feed_pop3(&bytes, chunk, &multi), feed_pop3(&bytes, bytes.len().max(1), &multi));
    }

    #[test]
    fn well_formed_replies_round_trip(
        code in 200u16..600,
        lines in proptest::collection::vec("[ -~]{0,40}", 1..6),
    ) {
        let mut wire = String::new();
        for (i, l) in lines.iter().enumerate() {
            let sep = if i + 1 == lines.len() { ' ' } else { '-' };
            wire.push_str(&format!("{code}{sep}{l}\r\n"));
        }
        let parsed = parse_replies(wire.as_bytes());
        prop_assert_eq!(parsed.len(), 1);
        let r = parsed.into_iter().next().and_then(Result::ok);
        prop_assert!(r.is_some());
        let r = r.unwrap_or_else(|| unreachable!());
        prop_assert_eq!(r.code, code);
        prop_assert_eq!(&r.lines, &lines);
        prop_assert_eq!(r.raw, wire.into_bytes());
        prop_assert!(r.warnings.is_empty());
    }

    #[test]
    fn base64_round_trip_and_no_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256), junk in ".{0,64}") {
        let enc = auth::encode(&bytes);
        if bytes.is_empty() {
            prop_assert!(auth::decode(&enc).is_err());
        } else {
            prop_assert_eq!(auth::decode(&enc).ok(), Some(bytes));
        }
        let _ = auth::decode(&junk);
        let _ = auth::decode_prompt(&junk);
    }

    #[test]
    fn command_parse_never_panics(line in ".{0,600}") {
        if let Ok(cmd) = SmtpCommand::parse(&line) {
            // Whatever parsed can be written back without a line break inside.
            if let Ok(w) = cmd.to_wire() {
                prop_assert_eq!(w.iter().filter(|&&b| b == b'\n').count(), 1);
            }
        }
        let _ = mailtutor::proto::pop3::Pop3Command::parse(&line);
        let _ = SmtpCommand::rcpt_to(&line);
        let _ = Mailbox::parse(&line);
        let _ = mailtutor::proto::message::decode_encoded_words(&line);
    }

    #[test]
    fn explain_never_panics(text in "(.{0,30}\n){0,20}") {
        let _ = mailtutor::explain::annotate(&text, mailtutor::explain::Options { lang: mailtutor::proto::Lang::Zh, show_secrets: false });
    }

    /// Reply-shaped lines, with text of any script right after the code or a separator.
    #[test]
    fn explain_reply_shaped_lines_never_panic(text in "([1-5][0-9]{2}[ #-]?[\\u{80}-\\u{10ffff}a-z0-9 .:]{0,12}\n|[+-](OK|ERR)[^\n]{0,8}\n|[A-Z]{4} [^\n]{0,10}\n){0,20}") {
        let _ = mailtutor::explain::annotate(&text, mailtutor::explain::Options { lang: mailtutor::proto::Lang::En, show_secrets: false });
        let _ = mailtutor::explain::fold(&text);
    }
}

fn local() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9._-]{0,10}[a-z0-9]".prop_filter("no double dots", |s| !s.contains(".."))
}

fn mailbox() -> impl Strategy<Value = Mailbox> {
    (
        proptest::option::of(prop_oneof![
            "[A-Za-z][A-Za-z ]{0,12}[A-Za-z]",
            "[\u{4e00}-\u{9fa5}]{1,4}"
        ]),
        local(),
        "[a-z]{1,8}\\.(com|cn|test)",
    )
        .prop_map(|(name, l, d)| Mailbox {
            name,
            address: format!("{l}@{d}"),
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn message_round_trip(
        from in mailbox(),
        to in proptest::collection::vec(mailbox(), 1..3),
        cc in proptest::collection::vec(mailbox(), 0..2),
        subject in "[^\u{0}-\u{1f}\u{7f}-\u{9f}]{0,60}",
        body_lines in proptest::collection::vec(prop_oneof![
            "[ -~]{0,70}",
            "\\.[ -~]{0,10}",
            Just(".".to_string()),
            "[\u{4e00}-\u{9fa5}a-z ]{0,30}",
        ], 0..12),
        date in 0i64..4_000_000_000,
    ) {
        let body = body_lines.join("\n");
        let draft = Draft {
            from: from.clone(),
            to: to.clone(),
            cc: cc.clone(),
            subject: subject.clone(),
            date: Some(date),
            body: body.clone(),
            message_id: Some("prop@mailtutor.test".into()),
        };
        let payload = draft.to_data_payload();
        prop_assert!(payload.is_ok());
        let payload = payload.unwrap_or_default();
        prop_assert!(payload.ends_with(b"\r\n.\r\n"));
        // No bare LF and no early end of data anywhere in the payload.
        let text = String::from_utf8_lossy(&payload);
        prop_assert!(!text.replace("\r\n", "").contains('\n'));
        prop_assert_eq!(text.matches("\r\n.\r\n").count(), 1);
        let message = unstuff(&payload);
        let direct = draft.to_message().ok();
        prop_assert_eq!(message.as_ref().ok(), direct.as_ref());
        let parsed = parse_message(&message.unwrap_or_default());
        prop_assert!(parsed.is_some());
        let parsed = parsed.unwrap_or_default();
        prop_assert_eq!(parsed.from, vec![from]);
        prop_assert_eq!(parsed.to, to);
        prop_assert_eq!(parsed.cc, cc);
        let want_subject = subject.trim().to_string();
        prop_assert_eq!(parsed.subject.unwrap_or_default().trim().to_string(), want_subject);
        prop_assert_eq!(parsed.date, Some(date));
        prop_assert_eq!(parsed.body.unwrap_or_default(), draft.wire_body());
    }
}

/// Characters that would act on a terminal (see `printable`).
fn acts(c: char) -> bool {
    (c.is_control() && c != '\t' && c != '\n')
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Whatever a server or a paste holds, what is printed acts on no terminal, and text with
    /// nothing to hide is printed as it is.
    #[test]
    fn printable_text_never_acts_on_a_terminal(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let out = mailtutor::proto::line::printable(&text);
        prop_assert!(!out.chars().any(acts), "{:?}", out);
        if !text.chars().any(acts) {
            prop_assert_eq!(out.as_ref(), text.as_ref());
        }
    }

    #[test]
    fn printable_handles_every_char(s in "\\PC*|[\\x00-\\x1f\\x7f-\\u{9f}\\u{202a}-\\u{202e}\\u{2066}-\\u{2069} a]*") {
        let out = mailtutor::proto::line::printable(&s);
        prop_assert!(!out.chars().any(acts), "{:?}", out);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any files, with any names, in either name form, with or without HTML: every part parses
    /// back to the bytes put in, no line is longer than 78, and the tree finds every file.
    #[test]
    fn mime_round_trip(
        files in proptest::collection::vec(
            (
                "[a-z0-9\u{4e00}-\u{9fa5} ._\"\\\\()-]{1,40}",
                proptest::collection::vec(any::<u8>(), 0..1500),
            ),
            0..4,
        ),
        html in proptest::option::of("[ -~\u{4e00}-\u{9fa5}\n]{0,200}"),
        body in "[ -~\u{4e00}-\u{9fa5}\n]{0,300}",
        qq in any::<bool>(),
    ) {
        use mailtutor::proto::mime::{Attachment, MimeDraft, NameForm};
        use mail_parser::MimeHeaders;
        let d = MimeDraft {
            draft: Draft {
                from: Mailbox::parse("a@mailtutor.test").unwrap_or_default(),
                to: vec![Mailbox::parse("b@mailtutor.test").unwrap_or_default()],
                body: body.clone(),
                date: Some(0),
                message_id: Some("p@mailtutor.test".into()),
                ..Draft::default()
            },
            html: html.clone(),
            inline_image: None,
            attachments: files
                .iter()
                .map(|(n, b)| Attachment::new(n.trim(), b.clone()))
                .collect(),
            name_form: if qq { NameForm::Rfc2047 } else { NameForm::Rfc2231 },
        };
        let msg = d.to_message();
        prop_assert!(msg.is_ok(), "{:?}", msg);
        let msg = msg.unwrap_or_default();
        let text = String::from_utf8_lossy(&msg);
        for line in text.split("\r\n") {
            prop_assert!(line.len() <= 78, "{}", line);
        }
        let m = mail_parser::MessageParser::default().parse(&msg);
        prop_assert!(m.is_some());
        let m = m.unwrap_or_default();
        // The files after the body, in order; a file without a name is there without one.
        let files_in: Vec<_> = m
            .parts
            .iter()
            .filter(|p| p.content_disposition().is_some_and(|d| d.ctype() == "attachment"))
            .collect();
        prop_assert_eq!(files_in.len(), d.attachments.len());
        for (a, p) in d.attachments.iter().zip(files_in) {
            let want = Some(a.name.as_str()).filter(|n| !n.is_empty());
            prop_assert_eq!(p.attachment_name(), want);
            prop_assert_eq!(p.contents(), &a.bytes[..]);
        }
        if let Some(h) = &html {
            prop_assert_eq!(m.body_html(0).unwrap_or_default(), mailtutor::proto::message::to_crlf(h));
        }
        let tree = mailtutor::proto::mime_tree::mime_tree(&msg).unwrap_or_default();
        let files_in: Vec<_> = tree
            .nodes
            .iter()
            .filter(|n| n.disposition.as_deref() == Some("attachment"))
            .collect();
        prop_assert_eq!(files_in.len(), d.attachments.len());
        // The tree reads each file's name back and gives its size as the file's bytes.
        for (a, n) in d.attachments.iter().zip(files_in) {
            let want = Some(a.name.as_str()).filter(|n| !n.is_empty());
            prop_assert_eq!(n.file_name.as_deref(), want);
            prop_assert_eq!(n.size, a.bytes.len());
        }
    }

    /// The tree of any bytes: no panic, ranges inside the input, depth bounded.
    #[test]
    fn mime_tree_of_anything(
        pieces in proptest::collection::vec(prop_oneof![
            Just("Content-Type: multipart/mixed; boundary=b\r\n".to_string()),
            Just("Content-Type: message/rfc822\r\n".to_string()),
            Just("--b\r\n".to_string()),
            Just("--b--\r\n".to_string()),
            Just("\r\n".to_string()),
            Just("Content-Transfer-Encoding: base64\r\n".to_string()),
            Just("From a@mailtutor.test Mon Feb  8 02:53:47 1993\r\n".to_string()),
            Just(" \t\r\n".to_string()),
            "[ -~]{0,20}\r\n",
        ], 0..60),
    ) {
        let raw = pieces.concat();
        if let Some(t) = mailtutor::proto::mime_tree::mime_tree(raw.as_bytes()) {
            for n in &t.nodes {
                prop_assert!(n.range().end <= raw.len());
                prop_assert!(n.headers.start <= n.headers.end && n.body.start <= n.body.end);
                prop_assert!(n.depth <= mailtutor::proto::mime_tree::MAX_DEPTH);
            }
        }
    }
}
