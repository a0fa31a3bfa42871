//! Tests of the MIME tree: structure, names, sizes, byte ranges and malformed input.

// The attribute marks where test code starts for the scans of src/words.rs, as inline.
#[cfg(test)]
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
fn file_names_in_rfc2231_segments_are_joined_before_decoding() {
    // 複数.txt: 数 (E6 95 B0) is split across segments, which are written out of order.
    let raw = "From: a@mailtutor.test\r\n\
MIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\n\
Content-Type: text/plain\r\n\
Content-Disposition: attachment; filename*=\"iso-8859-1''Hasen%20und%20Fr%F6sche.txt\"\r\n\r\n\
hi\r\n\
--b\r\n\
Content-Type: application/octet-stream\r\n\
Content-Disposition: attachment;\r\n filename*1*=%95%B0.txt;\r\n filename*0*=utf-8''%E8%A4%87%E6\r\n\r\n\
x\r\n\
--b--\r\n";
    let t = mime_tree(raw.as_bytes()).unwrap();
    let names: Vec<_> = t.nodes.iter().map(|n| n.file_name.as_deref()).collect();
    assert_eq!(
        names,
        [None, Some("Hasen und Frösche.txt"), Some("複数.txt")],
        "{t:?}"
    );
}

#[test]
fn sizes_are_the_decoded_bytes_in_their_own_charset() {
    // "é" x 6 in ISO-8859-1 (6 bytes, 12 once UTF-8), base64 and quoted-printable.
    let raw = "From: a@mailtutor.test\r\n\
Content-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\n\
Content-Transfer-Encoding: base64\r\n\r\n\
6enp\r\n6enp\r\n\
--b\r\n\
Content-Type: text/plain; charset=iso-8859-1\r\n\
Content-Transfer-Encoding: quoted-printable\r\n\r\n\
=E9=E9=\r\n=E9\r\n\
--b--\r\n";
    let t = mime_tree(raw.as_bytes()).unwrap();
    let sizes: Vec<_> = t.nodes.iter().map(|n| n.size).collect();
    assert_eq!(sizes, [0, 6, 3], "{t:?}");
}

#[test]
fn a_multipart_whose_boundary_never_appears_is_kept_and_marked_broken() {
    let outer = "From: a@mailtutor.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\n\
Content-Type: multipart/alternative; boundary=zz\r\n\r\nhello --zz\r\n--b--\r\n";
    let top = "From: a@mailtutor.test\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n\
hello --zz\r\nbye\r\n";
    for (raw, at) in [(outer, 2), (top, 0)] {
        let t = mime_tree(raw.as_bytes()).unwrap();
        let n = &t.nodes[at];
        assert!(n.is_multipart() && n.children.is_empty(), "{t:?}");
        assert!(n.broken, "{t:?}");
        assert!(raw[n.body.clone()].starts_with("hello --zz"), "{t:?}");
        assert_eq!(n.size, n.body.len());
        let text = t.to_text(Lang::En);
        assert!(text.contains("malformed"), "{text}");
    }
}

#[test]
fn an_attached_messages_parts_point_at_its_own_bytes() {
    let raw = "From: a@mailtutor.test\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n\
--b\r\nContent-Type: message/rfc822\r\n\r\n\
From: c@mailtutor.test\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n\
--zz\r\nContent-Type: text/plain\r\n\r\ninner text\r\n--zz--\r\n--b--\r\n";
    // A blank line first: the skipped bytes and the attached message's offsets add up.
    let raw = format!("\r\n{raw}");
    let t = mime_tree(raw.as_bytes()).unwrap();
    let types: Vec<_> = t.nodes.iter().map(|n| n.content_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "multipart/mixed",
            "message/rfc822",
            "multipart/mixed",
            "text/plain"
        ]
    );
    assert!(
        raw[t.nodes[2].range()].starts_with("From: c@mailtutor.test\r\n"),
        "{t:?}"
    );
    assert_eq!(&raw[t.nodes[3].body.clone()], "inner text", "{t:?}");
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

/// An attached message cut short by its parent's boundary trips a debug_assert! inside
/// mail-parser; Cargo.toml turns its debug assertions off, as in the release build.
#[test]
fn an_attached_message_cut_by_the_boundary_does_not_panic() {
    let raw = "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
Content-Type: message/rfc822\r\n\r\nContent-Type: message/rfc822\r\n\r\n\r\n--b--\r\n";
    let t = mime_tree(raw.as_bytes()).unwrap_or_default();
    assert!(t.nodes.iter().all(|n| n.range().end <= raw.len()));
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
fn an_mbox_line_or_blank_lines_before_the_header_are_skipped() {
    for before in [
        "From sender@example.com Mon Feb  8 02:53:47 1993\r\n",
        "\r\n \t\r\n",
        "\n\nFrom sender@example.com Mon Feb  8 02:53:47 1993\n",
    ] {
        let raw = format!("{before}{MSG}");
        assert!(is_message(raw.as_bytes()), "{before:?}");
        let t = mime_tree(raw.as_bytes()).unwrap();
        assert_eq!(t.nodes.len(), 5, "{before:?} {t:?}");
        assert_eq!(t.nodes[0].headers.start, before.len());
        assert!(raw[t.nodes[0].range()].starts_with("From: a@mailtutor.test\r\n"));
        assert!(raw[t.nodes[4].body.clone()].starts_with("AAECAw=="));
        assert_eq!(
            t.nodes[4].file_name.as_deref(),
            Some("作业报告.png"),
            "{before:?}"
        );
        assert!(explain_message(raw.as_bytes(), Lang::En).is_some());
    }
    for before in [
        "Hello,\r\n",
        "Dear all\r\n\r\n",
        "From a Mon\r\nFrom b Tue\r\n",
        "From \r\n",
        "> From a\r\n",
    ] {
        let raw = format!("{before}{MSG}");
        assert!(!is_message(raw.as_bytes()), "{before:?}");
    }
    assert_eq!(leading_lines(b"\r\n\r\n"), 4);
    assert!(!is_message(b"\r\n\r\n"));
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
