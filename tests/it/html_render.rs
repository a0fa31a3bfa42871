//! The HTML page a student hands in, rendered by a real browser (Debian's Chromium, headless):
//! it parses, shows its badges and notes, and draws to a PNG that `scripts/screenshots.sh`
//! keeps for the README.

use std::path::Path;
use std::process::Command;

use crate::common;

use common::TempDir;

fn chromium() -> &'static str {
    // scripts/test.sh installs it; a machine without it cannot run this test.
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .unwrap_or_else(|| panic!("Chromium is needed: scripts/setup-debian.sh chromium"))
}

fn headless(dir: &Path) -> Command {
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
    ])
    .arg(format!("--user-data-dir={}", dir.join("profile").display()));
    c
}

#[test]
fn the_exported_page_renders_in_headless_chromium() {
    let dir = TempDir::new("html");
    std::fs::create_dir_all(&dir.0).unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["explain", "--format", "html", "--student", "Li Lei"])
        .stdin(
            std::fs::File::open("tests/fixtures/transcripts/qq-failed.txt")
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(out.status.success());
    let page = dir.0.join("session.html");
    std::fs::write(&page, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let url = format!("file://{}", page.display());

    // The DOM as the browser built it: every row and badge is there.
    let dom = headless(&dir.0)
        .args(["--dump-dom", &url])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let dom = String::from_utf8_lossy(&dom.stdout);
    let rows = String::from_utf8_lossy(&out.stdout).matches("<tr ").count();
    assert!(rows > 10, "{rows} rows");
    assert_eq!(dom.matches("<tr ").count(), rows, "{dom}");
    assert!(dom.contains("Student: Li Lei"));

    // And drawn: a PNG of the page.
    let png = std::env::var_os("MAILTUTOR_HTML_PNG")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.0.join("session.png"));
    let shot = headless(&dir.0)
        .arg(format!("--screenshot={}", png.display()))
        .args(["--window-size=1100,1500", &url])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        shot.status.success(),
        "{}",
        String::from_utf8_lossy(&shot.stderr)
    );
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot: {e}"));
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
    assert!(bytes.len() > 20_000, "an empty page? {} bytes", bytes.len());
}

#[test]
fn a_lab_report_renders_in_headless_chromium_with_its_failed_lines_marked() {
    if !crate::lab::have("python3") {
        return;
    }
    let lab = crate::lab::Lab::start("smtp-client");
    let port = lab.t.smtp().port();
    let mut last = None;
    for _ in 0..2 {
        last = Some(lab.python(
            "flawed",
            port,
            "student@mailtutor.test",
            "teacher@mailtutor.test",
        ));
    }
    let card = last.unwrap().card.clone();
    let dir = TempDir::new("lab-html");
    std::fs::create_dir_all(&dir.0).unwrap_or_else(|e| panic!("{e}"));
    let lang = match std::env::var("MAILTUTOR_LAB_LANG").as_deref() {
        Ok("zh") => mailtutor::proto::Lang::Zh,
        _ => mailtutor::proto::Lang::En,
    };
    let html = mailtutor::lab_report::student_html(&lab.rubric, &card, "张三", lang, false, 0);
    let page = dir.0.join("report.html");
    std::fs::write(&page, &html).unwrap_or_else(|e| panic!("{e}"));
    let url = format!("file://{}", page.display());
    let dom = headless(&dir.0)
        .args(["--dump-dom", &url])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let dom = String::from_utf8_lossy(&dom.stdout);
    // Every check has its row; the lines that failed a check are marked, with the reason.
    assert_eq!(
        dom.matches("<td class=\"m ").count(),
        lab.rubric.checks.len(),
        "{dom}"
    );
    assert_eq!(dom.matches("class=\"c fail\"").count(), 4, "{dom}");
    assert!(!dom.contains("c2VjcmV0"), "the password is masked");
    let png = std::env::var_os("MAILTUTOR_LAB_PNG")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.0.join("report.png"));
    let shot = headless(&dir.0)
        .arg(format!("--screenshot={}", png.display()))
        .args(["--window-size=1100,1400", &url])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(shot.status.success());
    let bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("no screenshot: {e}"));
    assert!(bytes.starts_with(b"\x89PNG"), "not a PNG");
}
