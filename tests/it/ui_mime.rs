//! The MIME workbench in the window: two files attached (one with a Chinese name, one binary)
//! and an HTML alternative, sent by clicks to the practice server; the message read back from
//! its Maildir has every part intact.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::TempDir;
use common::window::{
    H, choose, click, frames_keep_coming, open_sized, send_by_clicks, shows, wait,
};
use egui_kittest::kittest::Queryable;
use mail_parser::{MessageParser, MimeHeaders};
use mailtutor::proto::mime::NameForm;
use mailtutor::proto::mime_tree;
use mailtutor::ui::theme::Settings;
use mailtutor::ui::{Action, ServerTab};

/// A window tall enough that the composer's attachments, options and tree are all in view.
fn tall(dir: &TempDir) -> H {
    open_sized(egui::vec2(1400.0, 2400.0), Settings::default(), dir)
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\x04\0\x09\xfb\x03\xfd\xe3U\xf2\x9c\0\0\0\0IEND\xaeB`\x82";
const HTML: &str = "<p>作业见附件。<b>SMTP</b></p>";

fn attach_and_send(form: NameForm, tag: &str) {
    let dir = TempDir::new(tag);
    let files = dir.0.join("files");
    std::fs::create_dir_all(&files).unwrap();
    let report = "第一章 SMTP\r\n.a line with a dot\r\n".repeat(50);
    std::fs::write(files.join("作业报告.txt"), &report).unwrap();
    // Every byte value, so no encoding step may change one.
    let png: Vec<u8> = PNG
        .iter()
        .copied()
        .chain((0..=255u8).cycle().take(5000))
        .collect();
    std::fs::write(files.join("pixel.png"), &png).unwrap();

    let mut h = tall(&dir);
    let ctx = h.ctx.clone();
    // The file dialog's way in: a path read on a job thread; and a file dropped on the window.
    h.state_mut()
        .composer_mut()
        .add_file(&ctx, files.join("作业报告.txt"));
    wait(&mut h, "the first file read", |a| {
        a.composer().files.list.len() == 1
    });
    drop_file(&mut h, files.join("pixel.png"));
    wait(&mut h, "the files read", |a| {
        a.composer().files.list.len() == 2
    });
    click(&mut h, "HTML alternative (multipart/alternative)");
    assert!(h.state().composer().html_on);
    h.state_mut().composer_mut().html = HTML.into();
    h.run_steps(2);
    if form == NameForm::Rfc2047 {
        click(
            &mut h,
            "RFC 2047 as QQ Mail and 163 write it (filename=\"=?UTF-8?B?…?=\")",
        );
    }
    assert_eq!(h.state().composer().name_form, form);
    h.run_steps(2);
    // The list and the tree show the parts.
    shows(&h, "作业报告.txt");
    shows(&h, "image/png");
    shows(&h, "multipart/alternative  boundary=");
    h.get_by_label_contains("image/png  base64  attachment")
        .click();
    h.run_steps(2);
    let tree = h.state_mut().composer_mut().tree().unwrap();
    let sel = h.state().composer().selected_part().unwrap();
    assert_eq!(tree.nodes[sel].file_name.as_deref(), Some("pixel.png"));
    shows(&h, "Content-Transfer-Encoding: base64");

    send_by_clicks(&mut h, false);
    let stored = common::mailbox_files(&dir.0.join("teacher@mailtutor.test").join("new"));
    assert_eq!(stored.len(), 1, "one message in the teacher's Maildir");
    let raw = &stored[0];
    let text = String::from_utf8_lossy(raw);
    match form {
        NameForm::Rfc2231 => assert!(text.contains("filename*=UTF-8''%E4%BD%9C"), "{text}"),
        NameForm::Rfc2047 => assert!(text.contains("filename=\"=?UTF-8?B?5L2c"), "{text}"),
    }
    let m = MessageParser::default().parse(raw).unwrap();
    let part = |name: &str| {
        m.parts
            .iter()
            .find(|p| p.attachment_name() == Some(name))
            .unwrap_or_else(|| panic!("no part {name} in {text}"))
    };
    assert_eq!(part("作业报告.txt").contents(), report.as_bytes());
    assert_eq!(part("pixel.png").contents(), &png[..]);
    assert_eq!(m.body_html(0).as_deref(), Some(HTML));
    assert!(m.body_text(0).unwrap().contains("SMTP"));
    let tree = mime_tree::mime_tree(raw).unwrap();
    let types: Vec<&str> = tree.nodes.iter().map(|n| n.content_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "multipart/mixed",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "text/plain",
            "image/png"
        ]
    );
    mailbox_shows_the_tree(&mut h);
}

/// The server's side: the message opened in the Mailbox shows the same tree, and a click on
/// a part its header fields.
fn mailbox_shows_the_tree(h: &mut H) {
    h.state_mut()
        .perform(Action::ShowServerSide(Some(ServerTab::Mailbox)));
    h.run_steps(3);
    wait(h, "the mailbox listing", |a| {
        a.server_side
            .mailbox
            .boxes
            .iter()
            .any(|b| b.address == "teacher@mailtutor.test" && b.messages.len() == 1)
    });
    choose(h, "Account:", "teacher@mailtutor.test (1)");
    h.get_by_label("Hello from mailtutor").click();
    h.run_steps(2);
    wait(h, "the message", |a| a.server_side.mailbox.opened.is_some());
    h.run_steps(2);
    shows(h, "Message tree");
    shows(h, "multipart/alternative  boundary=");
    let png = "image/png  base64  attachment  \"pixel.png\"";
    h.get_all_by_label_contains(png).last().unwrap().click();
    h.run_steps(2);
    let o = h.state().server_side.mailbox.opened.as_ref().unwrap();
    let sel = o.selected.unwrap();
    assert_eq!(
        o.tree.as_ref().unwrap().nodes[sel].file_name.as_deref(),
        Some("pixel.png")
    );
}

/// A file dropped on the window, as the windowing system reports it.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file(h: &mut H, path: PathBuf) {
    h.input_mut().dropped_files.push(Arc::new(Dropped(path)));
    h.run_steps(2);
}

#[test]
fn attachments_and_html_travel_intact_with_rfc2231_names() {
    attach_and_send(NameForm::Rfc2231, "ui-mime-2231");
}

#[test]
fn attachments_and_html_travel_intact_with_qq_style_names() {
    attach_and_send(NameForm::Rfc2047, "ui-mime-2047");
}

#[test]
fn a_file_over_the_cap_is_refused_in_words() {
    let dir = TempDir::new("ui-mime-big");
    std::fs::create_dir_all(&dir.0).unwrap();
    let big = dir.0.join("big.bin");
    let f = std::fs::File::create(&big).unwrap();
    f.set_len(mailtutor::ui::composer::MAX_FILE + 1).unwrap();
    let mut h = tall(&dir);
    let ctx = h.ctx.clone();
    h.state_mut().composer_mut().add_file(&ctx, big);
    wait(&mut h, "the read", |a| !a.composer().files.busy());
    h.run_steps(2);
    shows(&h, "big.bin is larger than 10 MB: it was not attached.");
    assert!(h.state().composer().files.list.is_empty());
}

#[test]
fn megabytes_of_attachment_keep_the_window_responsive() {
    let dir = TempDir::new("ui-mime-large");
    std::fs::create_dir_all(&dir.0).unwrap();
    let path = dir.0.join("scan.png");
    // 6 MB that do not repeat: 8 MB of base64 on the wire.
    let mut x: u32 = 1;
    let big: Vec<u8> = (0..6 * 1024 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(&path, &big).unwrap();
    let mut h = tall(&dir);
    drop_file(&mut h, path);
    wait(&mut h, "the file read", |a| {
        a.composer().files.list.len() == 1
    });
    h.run_steps(2);
    frames_keep_coming(&mut h);
    // The wire view lays out a window of the text, and says how much more there is.
    shows(
        &h,
        "more bytes (select a part in the tree to see its bytes)",
    );
    h.get_by_label_contains("image/png  base64  attachment")
        .click();
    h.run_steps(2);
    frames_keep_coming(&mut h);
    shows(&h, "bytes before");
}

/// A file dropped while another tab shows is attached all the same, and the composer shows.
#[test]
fn a_file_dropped_on_another_tab_is_attached_and_the_composer_shows() {
    let dir = TempDir::new("ui-mime-drop-tab");
    std::fs::create_dir_all(&dir.0).unwrap();
    let path = dir.0.join("notes.txt");
    std::fs::write(&path, b"dropped on the Base64 tab\r\n").unwrap();
    let mut h = tall(&dir);
    h.get_by_label("Base64").click();
    h.run_steps(2);
    assert_eq!(h.state().tab, mailtutor::ui::Tab::Base64);
    drop_file(&mut h, path);
    wait(&mut h, "the dropped file read", |a| {
        a.composer().files.list.len() == 1
    });
    assert_eq!(h.state().tab, mailtutor::ui::Tab::Message);
    h.run_steps(2);
    shows(&h, "notes.txt");
}
