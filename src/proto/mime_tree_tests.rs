//! Tests of the MIME tree: a whole message, broken ones, and deep nesting.

use super::*;

const MSG: &str = "From: a@mailtutor.test\r\n\
Subject: t\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"outer\"\r\n\
\r\n\
preamble\r\n\
--outer\r\n\
Content-Type: multipart/alternative; boundary=inner\r\n\
\r\n\
--inner\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\
\r\n\
caf=C3=A9\r\n\
--inner\r\n\
Content-Type: text/html; charset=utf-8\r\n\
\r\n\
<p>hi</p>\r\n\
--inner--\r\n\
--outer\r\n\
Content-Type: image/png; name=\"=?UTF-8?B?5L2c5Lia5oql5ZGKLnBuZw==?=\"\r\n\
Content-Disposition: attachment;\r\n filename*=utf-8''%E4%BD%9C%E4%B8%9A%E6%8A%A5%E5%91%8A.png\r\n\
Content-Transfer-Encoding: base64\r\n\
\r\n\
AAECAw==\r\n\
--outer--\r\n";

#[test]
fn a_mixed_message_is_a_tree_with_byte_ranges() {
    let t = mime_tree(MSG.as_bytes()).unwrap();
    let types: Vec<(usize, &str)> = t
        .nodes
        .iter()
        .map(|n| (n.depth, n.content_type.as_str()))
        .collect();
    assert_eq!(
        types,
        [
            (0, "multipart/mixed"),
            (1, "multipart/alternative"),
            (2, "text/plain"),
            (2, "text/html"),
            (1, "image/png")
        ]
    );
    assert_eq!(t.nodes[0].boundary.as_deref(), Some("outer"));
    assert_eq!(t.nodes[0].children, [1, 4]);
    assert_eq!(t.nodes[1].children, [2, 3]);
    assert_eq!(t.nodes[1].boundary.as_deref(), Some("inner"));
    let text = &t.nodes[2];
    assert_eq!(text.transfer_encoding.as_deref(), Some("quoted-printable"));
    assert_eq!(text.charset.as_deref(), Some("utf-8"));
    assert_eq!(text.size, "café".len());
    assert!(MSG[text.headers.clone()].starts_with("Content-Type: text/plain"));
    assert!(
        MSG[text.body.clone()].starts_with("caf=C3=A9"),
        "{:?}",
        &MSG[text.body.clone()]
    );
    let png = &t.nodes[4];
    assert_eq!(png.file_name.as_deref(), Some("作业报告.png"));
    assert_eq!(png.disposition.as_deref(), Some("attachment"));
    assert_eq!(png.size, 4);
    assert!(MSG[png.body.clone()].starts_with("AAECAw=="));
    assert!(
        png.fields
            .iter()
            .any(|(k, v)| k == "Content-Disposition" && v.contains("filename*=utf-8''%E4")),
        "{:?}",
        png.fields
    );
    assert!(t.nodes.iter().all(|n| !n.broken), "{t:?}");
    let text = t.to_text(Lang::Zh);
    assert!(
        text.contains("\n    text/plain  charset=utf-8  quoted-printable  5 字节\n"),
        "{text}"
    );
    assert!(text.contains("作业报告.png"), "{text}");
}

#[test]
fn a_missing_closing_boundary_still_gives_the_parts() {
    let cut = MSG.replace("--outer--\r\n", "");
    let t = mime_tree(cut.as_bytes()).unwrap();
    assert!(t.nodes.len() >= 4, "{t:?}");
    assert!(
        t.nodes.iter().any(|n| n.content_type == "image/png"),
        "{t:?}"
    );
    for n in &t.nodes {
        assert!(n.range().end <= cut.len());
    }
}

#[test]
fn a_multipart_without_boundary_is_marked_broken() {
    let raw = "Content-Type: multipart/mixed\r\n\r\n--x\r\nContent-Type: text/plain\r\n\r\nhi\r\n--x--\r\n";
    let t = mime_tree(raw.as_bytes()).unwrap();
    assert!(!t.nodes.is_empty());
    assert!(t.nodes[0].broken, "{t:?}");
    assert!(t.to_text(Lang::En).contains("malformed"));
}

#[test]
fn deep_nesting_and_garbage_do_not_panic() {
    let mut raw = String::new();
    for i in 0..200 {
        raw.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n"
        ));
    }
    raw.push_str("\r\nend\r\n");
    let t = mime_tree(raw.as_bytes()).unwrap_or_default();
    assert!(t.nodes.iter().all(|n| n.depth <= MAX_DEPTH));
    for junk in [
        &b""[..],
        b"\r\n",
        b"--",
        b"Content-Type: multipart/x; boundary=\"\"\r\n\r\n--\r\n",
        &[0xff; 64],
    ] {
        let _ = mime_tree(junk);
    }
}

#[test]
fn a_message_is_told_from_a_session() {
    assert!(is_message(MSG.as_bytes()));
    assert!(is_message(
        b"Received: from x\r\n\tby y\r\nSubject: a\r\n\r\nbody"
    ));
    assert!(!is_message(
        b"220 mail.example.com ESMTP\r\nEHLO x\r\n250 ok\r\n\r\n"
    ));
    assert!(!is_message(b"S: 220 hi\r\nC: EHLO x\r\n"));
    assert!(!is_message(b"X-Only: a\r\n\r\n"));
    assert!(!is_message(b""));
    let out = explain_message(MSG.as_bytes(), Lang::En).unwrap();
    assert!(out.starts_with("The message's MIME structure"), "{out}");
    assert!(
        out.contains("\n  multipart/alternative  boundary=\"inner\"\n"),
        "{out}"
    );
}
