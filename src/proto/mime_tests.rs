//! Tests of MIME composition: every part parses back to the bytes put in.

use super::*;
use crate::proto::message::Mailbox;
use mail_parser::{MessageParser, MimeHeaders};

fn draft() -> Draft {
    Draft {
        from: Mailbox::parse("student@mailtutor.test").unwrap(),
        to: vec![Mailbox::parse("teacher@mailtutor.test").unwrap()],
        cc: vec![],
        subject: "作业".into(),
        date: Some(1_618_364_054),
        body: "你好,老师。\nThe report is attached; a long line follows: ".to_owned()
            + &"=x ".repeat(60),
        message_id: Some("t@mailtutor.test".into()),
    }
}

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

fn full(form: NameForm) -> MimeDraft {
    let report: Vec<u8> = "第一章\r\n".repeat(40).into_bytes();
    MimeDraft {
        draft: draft(),
        html: Some("<p>你好 <img src=\"cid:image1@mailtutor.test\"></p>".into()),
        inline_image: Some(Attachment::new("logo.png", PNG)),
        attachments: vec![
            Attachment::new("作业报告.txt", report),
            Attachment::new(
                "pixel.png",
                (0..=255u8).cycle().take(3000).collect::<Vec<_>>(),
            ),
        ],
        name_form: form,
    }
}

fn round_trip(form: NameForm) {
    let d = full(form);
    let msg = d.to_message().unwrap();
    let text = String::from_utf8(msg.clone()).unwrap();
    for line in text.split("\r\n") {
        assert!(line.len() <= 78, "line of {}: {line}", line.len());
    }
    let m = MessageParser::default().parse(&msg).unwrap();
    assert_eq!(m.body_text(0).unwrap(), to_crlf(&d.draft.body));
    assert_eq!(m.body_html(0).unwrap(), d.html.clone().unwrap());
    let by_name = |n: &str| {
        m.parts
            .iter()
            .find(|p| p.attachment_name() == Some(n))
            .unwrap_or_else(|| panic!("no part named {n} in {text}"))
    };
    for a in d.attachments.iter().chain(&d.inline_image) {
        let p = by_name(&a.name);
        assert_eq!(p.contents(), &a.bytes[..], "{}", a.name);
        assert_eq!(
            p.content_type().unwrap().ctype(),
            a.content_type.split('/').next().unwrap()
        );
    }
    let logo = by_name("logo.png");
    assert_eq!(logo.content_id(), Some(INLINE_CID));
    // Base64 bodies in lines of 76 (RFC 2045 §6.8).
    assert!(text.lines().any(|l| l.len() == 76), "{text}");
    match form {
        NameForm::Rfc2231 => assert!(
            text.contains("filename*=utf-8''%E4%BD%9C")
                || text.contains("filename*=UTF-8''%E4%BD%9C"),
            "{text}"
        ),
        NameForm::Rfc2047 => {
            assert!(
                text.contains("filename=\"=?UTF-8?B?5L2c5Lia5oql5ZGKLnR4dA==?=\""),
                "{text}"
            );
            assert!(text.contains("name=\"=?UTF-8?B?"), "{text}");
        }
    }
}

#[test]
fn every_part_comes_back_in_the_rfc2231_form() {
    round_trip(NameForm::Rfc2231);
}

#[test]
fn every_part_comes_back_in_the_rfc2047_form() {
    round_trip(NameForm::Rfc2047);
}

#[test]
fn a_long_chinese_name_takes_several_words_and_still_decodes() {
    let name = "很长的文件名".repeat(6) + ".txt";
    for form in [NameForm::Rfc2231, NameForm::Rfc2047] {
        let d = MimeDraft {
            draft: draft(),
            attachments: vec![Attachment::new(name.clone(), b"x".to_vec())],
            name_form: form,
            ..MimeDraft::default()
        };
        let msg = d.to_message().unwrap();
        let text = String::from_utf8_lossy(&msg);
        assert!(text.split("\r\n").all(|l| l.len() <= 78), "{text}");
        let m = MessageParser::default().parse(&msg).unwrap();
        assert_eq!(
            m.attachment(0).and_then(|a| a.attachment_name()),
            Some(name.as_str()),
            "{:?}",
            m.attachment(0).map(|a| a.headers.clone())
        );
    }
}

#[test]
fn quoted_printable_follows_rfc2045() {
    assert_eq!(quoted_printable("a=b"), "a=3Db");
    assert_eq!(quoted_printable("end \r\nx"), "end=20\r\nx");
    assert_eq!(quoted_printable("é"), "=C3=A9");
    assert_eq!(quoted_printable(".\r\na.b"), "=2E\r\na.b");
    let long = quoted_printable(&"中".repeat(40));
    assert!(long.split("\r\n").all(|l| l.len() <= 76), "{long}");
    assert!(long.contains("=\r\n"));
    let plain = "a".repeat(76);
    assert_eq!(quoted_printable(&plain), plain);
}

#[test]
fn text_only_is_the_plain_message_and_bad_names_are_refused() {
    let d = MimeDraft::plain(draft());
    assert_eq!(d.to_message(), draft().to_message());
    let d = MimeDraft {
        attachments: vec![Attachment::new("a\r\nBcc: x@y", b"x".to_vec())],
        ..MimeDraft::plain(draft())
    };
    assert!(d.to_message().is_err());
    assert_eq!(guess_type("A.PNG"), "image/png");
    assert_eq!(guess_type("noext"), "application/octet-stream");
}

/// Nothing in a MIME message opens a line with `.`, so the wire's bytes are the message's and
/// the tree's byte ranges point into the DATA payload as they are.
#[test]
fn the_payload_is_the_message_and_the_final_dot() {
    let mut d = full(NameForm::Rfc2047);
    d.draft.body = ".hidden\n..two\nplain ascii\n".into();
    d.html = Some(".<p>x</p>\n".into());
    let msg = d.to_message().unwrap();
    let payload = data_payload(&msg);
    assert!(
        payload == [&msg[..], b".\r\n"].concat(),
        "a line was dot-stuffed"
    );
    let m = MessageParser::default().parse(&msg).unwrap();
    assert_eq!(m.body_text(0).unwrap(), to_crlf(&d.draft.body));
}
