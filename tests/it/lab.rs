//! The lab: students' own programs scored from the server's side. Python's smtplib and poplib
//! and swaks (clients nobody here wrote) score full marks; a socket program with the classic
//! mistakes loses exactly the checks it breaks; a program that sends without waiting is seen.
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{TempDir, TestServer};
use mailtutor::proto::lab::{Rubric, Verdict};
use mailtutor::server::ServerEventKind;
use mailtutor::server::lab::LabResult;

pub(crate) fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "{tool} is missing in CI");
        eprintln!("skipping: {tool} is not installed");
    }
    found
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/labclient.py")
}

pub(crate) struct Lab {
    pub(crate) t: TestServer,
    pub(crate) rubric: Rubric,
    graded: Receiver<Arc<LabResult>>,
}

impl Lab {
    pub(crate) fn start(rubric: &str) -> Self {
        let rubric = Rubric::built_in(rubric).unwrap().unwrap();
        let (tx, graded) = channel();
        let tx = Mutex::new(tx);
        let r = rubric.clone();
        let t = TestServer::with(move |c| {
            c.lab = Some(r);
            c.events = Arc::new(move |e| {
                if let ServerEventKind::Graded(result) = e.kind {
                    let _ = tx.lock().unwrap().send(result);
                }
            });
        });
        Self { t, rubric, graded }
    }

    fn next(&self) -> Arc<LabResult> {
        self.graded
            .recv_timeout(Duration::from_secs(30))
            .expect("no attempt was scored")
    }

    /// Runs the lab client once as `user` and returns the student's card after it.
    pub(crate) fn python(&self, mode: &str, port: u16, user: &str, to: &str) -> Arc<LabResult> {
        let out = Command::new("python3")
            .arg(script())
            .args([mode, "--port", &port.to_string(), "--user", user])
            .args(["--password", "secret", "--to", to])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{mode}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.next()
    }

    fn swaks(&self, user: &str, extra: &[&str]) -> Arc<LabResult> {
        let out = Command::new("swaks")
            .args(["--server", &self.t.smtp().to_string()])
            .args(["--from", user, "--to", "student@mailtutor.test"])
            .args([
                "--auth",
                "LOGIN",
                "--auth-user",
                user,
                "--auth-password",
                "secret",
            ])
            .args(["--body", "Hello\n.signature line\nBye", "--silent", "2"])
            .args(extra)
            .output()
            .unwrap();
        assert!(!out.stdout.is_empty() || out.status.code().is_some());
        self.next()
    }

    /// The checks not passed on the student's latest attempts.
    fn lost(&self, result: &LabResult) -> BTreeSet<String> {
        result
            .card
            .results(&self.rubric)
            .into_iter()
            .filter(|(_, r)| !matches!(r.map(|(r, _)| &r.verdict), Some(Verdict::Pass)))
            .map(|(c, _)| c.id.clone())
            .collect()
    }
}

/// The text of the client line a check failed on, on the student's latest attempts.
fn failed_line(lab: &Lab, result: &LabResult, check: &str) -> String {
    let (r, a) = result
        .card
        .results(&lab.rubric)
        .into_iter()
        .find(|(c, _)| c.id == check)
        .and_then(|(_, f)| f)
        .unwrap();
    let line = r
        .failed_line()
        .unwrap_or_else(|| panic!("{check}: {:?}", r.verdict));
    a.graded.session.lines[line].text()
}

#[test]
fn smtplib_and_swaks_score_full_marks_over_every_stage() {
    if !have("python3") || !have("swaks") {
        return;
    }
    let lab = Lab::start("smtp-client");
    let port = lab.t.smtp().port();
    let stages: Vec<String> = lab.rubric.stages.iter().map(|s| s.id.clone()).collect();
    for stage in &stages {
        let r = lab.python(
            "smtplib",
            port,
            "student@mailtutor.test",
            "teacher@mailtutor.test",
        );
        assert_eq!(r.card.student, "student@mailtutor.test");
        let attempt = r.card.attempts().into_iter().last().unwrap();
        assert_eq!(&attempt.graded.stage, stage);
    }
    let last = lab.python(
        "smtplib",
        port,
        "student@mailtutor.test",
        "teacher@mailtutor.test",
    );
    assert_eq!(lab.lost(&last), BTreeSet::new(), "smtplib");
    assert_eq!(
        (last.total, last.of),
        (lab.rubric.total(), lab.rubric.total())
    );
    for _ in &stages {
        lab.swaks("teacher@mailtutor.test", &[]);
    }
    let swaks = lab.swaks("teacher@mailtutor.test", &["--pipeline"]);
    assert_eq!(
        lab.lost(&swaks),
        BTreeSet::new(),
        "swaks, the last run pipelined"
    );
}

#[test]
fn a_flawed_client_loses_exactly_the_checks_it_breaks() {
    if !have("python3") {
        return;
    }
    let lab = Lab::start("smtp-client");
    let port = lab.t.smtp().port();
    let mut last = None;
    for _ in 0..lab.rubric.stages.len() {
        last = Some(lab.python(
            "flawed",
            port,
            "student@mailtutor.test",
            "teacher@mailtutor.test",
        ));
    }
    let last = last.unwrap();
    let want: BTreeSet<String> = ["crlf", "dot-stuffing", "quit", "after-450"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(lab.lost(&last), want);
    assert!(failed_line(&lab, &last, "crlf").starts_with("To: "));
    assert!(failed_line(&lab, &last, "dot-stuffing").starts_with(".signature"));
    assert_eq!(failed_line(&lab, &last, "after-450"), "DATA");
    let lost: u32 = last
        .card
        .results(&lab.rubric)
        .iter()
        .filter(|(c, _)| want.contains(&c.id))
        .map(|(c, _)| c.points)
        .sum();
    assert_eq!(last.total, lab.rubric.total() - lost);
}

#[test]
fn a_client_that_pipelines_without_pipelining_is_caught() {
    if !have("python3") {
        return;
    }
    let lab = Lab::start("smtp-client");
    let r = lab.python(
        "pipeliner",
        lab.t.smtp().port(),
        "student@mailtutor.test",
        "teacher@mailtutor.test",
    );
    let attempt = r.card.attempts().into_iter().last().unwrap();
    let lost: Vec<&str> = attempt
        .graded
        .results
        .iter()
        .filter(|c| c.verdict != Verdict::Pass)
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(lost, ["waits"]);
    assert!(failed_line(&lab, &r, "waits").starts_with("RCPT TO:"));
}

#[test]
fn poplib_scores_full_marks_and_a_client_without_quit_loses_it() {
    if !have("python3") {
        return;
    }
    let lab = Lab::start("pop3-client");
    let port = lab.t.pop3().port();
    for user in ["student@mailtutor.test", "teacher@mailtutor.test"] {
        lab.t
            .server
            .store()
            .deliver(
                "LAB1",
                &[user.to_owned()],
                b"Subject: hi\r\n\r\nbody\r\n.dot\r\n",
            )
            .unwrap();
    }
    let r = lab.python("poplib", port, "student@mailtutor.test", "");
    assert_eq!(lab.lost(&r), BTreeSet::new());
    // A socket program that reads its mail and deletes it, but closes without QUIT.
    let mut s = TcpStream::connect(lab.t.pop3()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    let mut read_reply = |multi: bool| {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if multi && line.starts_with("+OK") {
            loop {
                let mut l = String::new();
                reader.read_line(&mut l).unwrap();
                if l == ".\r\n" || l.is_empty() {
                    break;
                }
            }
        }
    };
    read_reply(false);
    for (cmd, multi) in [
        ("USER teacher@mailtutor.test", false),
        ("PASS secret", false),
        ("STAT", false),
        ("RETR 1", true),
        ("DELE 1", false),
    ] {
        s.write_all(format!("{cmd}\r\n").as_bytes()).unwrap();
        read_reply(multi);
    }
    // Both handles of the socket go, so the connection closes.
    drop(reader);
    drop(s);
    let r = lab.next();
    assert_eq!(r.card.student, "teacher@mailtutor.test");
    assert_eq!(lab.lost(&r), BTreeSet::from(["quit".to_owned()]));
    // The password is masked in the report.
    let html = mailtutor::lab_report::student_html(
        &lab.rubric,
        &r.card,
        "Teacher",
        mailtutor::proto::Lang::En,
        false,
        0,
    );
    assert!(html.contains("PASS ********") && !html.contains("PASS secret"));
}

#[test]
fn serve_lab_prints_each_attempts_score_and_failed_checks_and_writes_the_reports() {
    if !have("python3") {
        return;
    }
    let dir = TempDir::new("serve-lab");
    std::fs::create_dir_all(&dir.0).unwrap();
    let names = dir.0.join("class.txt");
    std::fs::write(&names, "张三\nLi Lei\n").unwrap();
    let data = dir.0.join("data");
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(["serve", "--lab", "smtp-client", "--roster"])
        .arg(&names)
        .arg("--data-dir")
        .arg(&data)
        .args([
            "--smtp",
            "127.0.0.1:0",
            "--smtps",
            "127.0.0.1:0",
            "--pop3",
            "127.0.0.1:0",
        ])
        .args([
            "--pop3s",
            "127.0.0.1:0",
            "--imap",
            "127.0.0.1:0",
            "--imaps",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut port = 0;
    let mut line = String::new();
    while out.read_line(&mut line).unwrap() > 0 {
        if let Some(rest) = line.trim().strip_prefix("SMTP ") {
            port = rest
                .split_whitespace()
                .next()
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| p.parse().ok())
                .unwrap();
        }
        if line.contains("Lab: SMTP client") {
            break;
        }
        line.clear();
    }
    assert_ne!(port, 0);
    let roster = std::fs::read_to_string(data.join("roster.csv")).unwrap();
    let row = roster.lines().find(|l| l.starts_with("张三")).unwrap();
    let cells: Vec<&str> = row.split(',').collect();
    let (address, password) = (cells[1], cells[2]);
    let status = Command::new("python3")
        .arg(script())
        .args(["flawed", "--port", &port.to_string(), "--user", address])
        .args(["--password", password, "--to", "student@mailtutor.test"])
        .status()
        .unwrap();
    assert!(status.success());
    let mut seen = Vec::new();
    line.clear();
    while out.read_line(&mut line).unwrap() > 0 {
        seen.push(line.trim_end().to_owned());
        if line.contains("✗ quit") {
            break;
        }
        line.clear();
    }
    let _ = child.kill();
    let _ = child.wait();
    let scored = seen.iter().find(|l| l.contains("lab: ")).unwrap();
    assert!(
        scored.contains(&format!("{address}, attempt 1 (send): 9/13 points")),
        "{scored}"
    );
    let failed: Vec<&String> = seen
        .iter()
        .filter(|l| l.trim_start().starts_with('✗'))
        .collect();
    assert_eq!(failed.len(), 3, "{seen:#?}");
    assert!(failed[0].contains("crlf") && failed[0].contains("bare LF"));
    let csv = std::fs::read_to_string(data.join("lab/grades.csv")).unwrap();
    assert!(csv.contains(&format!("张三,{address},1,9,19")), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.starts_with("Li Lei,") && l.contains(",0,,19")),
        "{csv}"
    );
    let mut html = String::new();
    std::fs::File::open(data.join("lab").join(format!("{address}.html")))
        .unwrap()
        .read_to_string(&mut html)
        .unwrap();
    assert!(html.contains("张三") && html.contains("class=\"c fail\""));
    assert!(!html.contains(password));
}

#[test]
fn a_program_that_says_nothing_is_still_the_attempt_of_its_machines_student() {
    if !have("python3") {
        return;
    }
    let lab = Lab::start("smtp-client");
    let port = lab.t.smtp().port();
    lab.python(
        "smtplib",
        port,
        "student@mailtutor.test",
        "teacher@mailtutor.test",
    );
    // Connects, reads the greeting and closes: no EHLO, no login, nothing to name it by.
    let mut s = TcpStream::connect(lab.t.smtp()).unwrap();
    let mut greeting = [0u8; 64];
    let _ = s.read(&mut greeting).unwrap();
    drop(s);
    let r = lab.next();
    assert_eq!(r.card.student, "student@mailtutor.test");
    assert_eq!((r.attempt, r.card.silent), (2, 1));
    // Counted, not scored: the stage it would have had comes with the next run.
    assert_eq!(r.card.attempts().len(), 1);
    let r = lab.python(
        "smtplib",
        port,
        "student@mailtutor.test",
        "teacher@mailtutor.test",
    );
    let attempt = r.card.attempts().into_iter().last().unwrap();
    assert_eq!(
        (attempt.number, attempt.graded.stage.as_str()),
        (3, "rcpt-450")
    );
}
