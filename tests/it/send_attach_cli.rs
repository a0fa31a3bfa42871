//! `mailtutor send --attach FILE --html FILE` against the practice server: the stored message
//! has every part intact, the Chinese file name decoding in both name forms; a file over the
//! cap is refused before connecting.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::process::{Command, Output};

use common::{TempDir, TestServer};
use mail_parser::{MessageParser, MimeHeaders};

fn send(t: &TestServer, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args([
            "send",
            "--server",
            &t.smtp().to_string(),
            "--tls",
            "starttls",
        ])
        .args(["--insecure-accept-cert", &t.server.fingerprint])
        .args([
            "--from",
            "student@mailtutor.test",
            "--to",
            "teacher@mailtutor.test",
        ])
        .args(["--body", "See the files."])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn attachments_and_html_are_stored_intact() {
    let files = TempDir::new("send-attach");
    std::fs::create_dir_all(&files.0).unwrap();
    let report = files.0.join("作业报告.txt");
    std::fs::write(&report, "第一章\r\n.dot\r\n".repeat(30)).unwrap();
    let png = files.0.join("pixel.png");
    let png_bytes: Vec<u8> = (0..=255u8).cycle().take(4000).collect();
    std::fs::write(&png, &png_bytes).unwrap();
    let html = files.0.join("body.html");
    std::fs::write(&html, "<p>见附件</p>").unwrap();

    let t = TestServer::start();
    for (n, form) in ["rfc2231", "rfc2047"].into_iter().enumerate() {
        let out = send(
            &t,
            &[
                "--attach",
                report.to_str().unwrap(),
                "--attach",
                png.to_str().unwrap(),
                "--html",
                html.to_str().unwrap(),
                "--name-form",
                form,
            ],
        );
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stored = t.stored("teacher@mailtutor.test");
        assert_eq!(stored.len(), n + 1);
        let raw = stored.iter().find(|m| {
            let s = String::from_utf8_lossy(m);
            if form == "rfc2047" {
                s.contains("filename=\"=?UTF-8?B?")
            } else {
                s.contains("filename*=")
            }
        });
        let raw = raw.unwrap_or_else(|| panic!("no message with {form} names"));
        let m = MessageParser::default().parse(raw).unwrap();
        let part = |name: &str| {
            m.parts
                .iter()
                .find(|p| p.attachment_name() == Some(name))
                .unwrap_or_else(|| panic!("no part {name}"))
                .contents()
                .to_vec()
        };
        assert_eq!(part("作业报告.txt"), std::fs::read(&report).unwrap());
        assert_eq!(part("pixel.png"), png_bytes);
        assert_eq!(m.body_html(0).as_deref(), Some("<p>见附件</p>"));
        assert_eq!(m.body_text(0).as_deref(), Some("See the files."));
    }
}

#[test]
fn a_file_over_the_cap_is_refused_in_words() {
    let files = TempDir::new("send-big");
    std::fs::create_dir_all(&files.0).unwrap();
    let big = files.0.join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(mailtutor::proto::mime::MAX_ATTACHMENT + 1)
        .unwrap();
    let t = TestServer::start();
    let out = send(&t, &["--attach", big.to_str().unwrap(), "--lang", "zh"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("big.bin 大于 10 MB"), "{err}");
    assert!(t.stored("teacher@mailtutor.test").is_empty());
}
