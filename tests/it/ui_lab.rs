//! The lab in the teacher's window: started by a click on the class tab, it shows each
//! student's score and failed checks as their programs run, links to the session, and saves
//! the reports and the grades.
#![cfg(feature = "gui")]
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::Path;
use std::process::Command;

use common::TempDir;
use common::window::{H, open, shows, wait, wait_shows};
use egui_kittest::kittest::Queryable;
use mailtutor::proto::Lang;
use mailtutor::ui::{Action, ServerTab};

/// Runs the lab's Python client once as `user` (a student's program) on a thread of its own.
fn student_program(h: &H, mode: &str, user: &str, password: &str) -> std::thread::JoinHandle<()> {
    let port = h.state().server().and_then(|s| s.smtp).unwrap().port();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/labclient.py");
    let (mode, user, password) = (mode.to_owned(), user.to_owned(), password.to_owned());
    std::thread::spawn(move || {
        let status = Command::new("python3")
            .arg(script)
            .args([&mode, "--port", &port.to_string(), "--user", &user])
            .args(["--password", &password, "--to", "teacher@mailtutor.test"])
            .status()
            .unwrap();
        assert!(status.success());
    })
}

/// Steps frames until the thread is done (the window keeps drawing meanwhile).
fn finish(h: &mut H, program: std::thread::JoinHandle<()>) {
    while !program.is_finished() {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    program.join().unwrap();
}

#[test]
fn the_class_view_shows_three_students_scores_as_their_programs_run() {
    let python = Command::new("python3").arg("--version").status().is_ok();
    if !python {
        assert!(std::env::var_os("CI").is_none(), "python3 is missing in CI");
        eprintln!("skipping: python3 is not installed");
        return;
    }
    let dir = TempDir::new("ui-lab");
    let mut h = open(Lang::En, &dir);
    h.state_mut()
        .perform(Action::ShowServerSide(Some(ServerTab::Class)));
    h.run_steps(3);
    wait(&mut h, "the roster read", |a| {
        !a.server_side.class.is_busy()
    });
    // Three students on the roster.
    let names = "Student names (one per line, or CSV with the name first):";
    h.get_by_label(names).click();
    h.run_steps(1);
    h.get_by_label(names).type_text("张三\nLi Lei\n王五");
    h.run_steps(2);
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    h.get_by_label("Create 3 accounts").click();
    wait(&mut h, "the class's accounts", |a| {
        a.server()
            .is_some_and(|s| s.accounts().get("li.lei@mailtutor.test").is_some())
    });
    let roster = h.state().server_side.class.roster.clone();

    // The lab, with the rubric shown first (the SMTP client's).
    shows(&h, "SMTP client (19 points)");
    h.get_by_label("Start the lab").click();
    wait(&mut h, "the lab on the server", |a| {
        a.server().is_some_and(|s| s.lab().is_some())
    });
    wait_shows(&mut h, "No program has been scored yet.");

    // Each program's score shows as soon as its session ends, before the next one runs.
    let runs = [
        ("smtplib", "19"),
        ("flawed", "9/19"),
        ("pipeliner", "11/19"),
    ];
    for (student, (mode, score)) in roster.students.iter().zip(runs) {
        let program = student_program(&h, mode, &student.address, &student.password);
        finish(&mut h, program);
        wait(&mut h, "the attempt scored", |a| {
            a.server_side.log.lab.contains_key(&student.address)
        });
        wait_shows(&mut h, &student.name);
        if mode != "smtplib" {
            wait_shows(&mut h, score);
        }
    }
    shows(&h, "13/19");
    assert_eq!(h.state().server_side.log.lab.len(), 3);
    // The flawed program's failed checks, each with its reason on hover; the pipeliner's one.
    for check in ["✗ crlf", "✗ dot-stuffing", "✗ quit", "✗ waits"] {
        shows(&h, check);
    }
    shows(&h, "3 attempts to go");

    // A student's session opens in the server log.
    let flawed = &roster.students[1].address;
    let session = h.state().server_side.log.lab[flawed]
        .card
        .attempts()
        .last()
        .unwrap()
        .session;
    h.get_by_label(&format!("session {session}")).click();
    h.run_steps(3);
    assert_eq!(h.state().server_side.tab, ServerTab::Log);
    wait_shows(&mut h, "EHLO student-pc");

    // The reports and the grades, saved from the class tab.
    h.state_mut()
        .perform(Action::ShowServerSide(Some(ServerTab::Class)));
    h.run_steps(3);
    let out = dir.0.join("reports");
    h.get_by_label("Save the reports and grades.csv to:")
        .click();
    h.run_steps(1);
    h.get_by_label("Save the reports and grades.csv to:")
        .type_text(&out.display().to_string());
    h.run_steps(1);
    h.get_by_label("Save reports").click();
    wait(&mut h, "the reports saved", |a| {
        !a.server_side.class.is_busy()
    });
    let csv = std::fs::read_to_string(out.join("grades.csv")).unwrap();
    assert!(csv.contains(&format!("Li Lei,{flawed},1,9,19")), "{csv}");
    assert!(out.join(format!("{flawed}.html")).exists());

    // Stopping the lab stops the grading.
    h.get_by_label("Stop the lab").click();
    h.run_steps(3);
    assert!(h.state().server().unwrap().lab().is_none());
}
