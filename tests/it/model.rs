//! The window's model driven with no frame at all: the same actions a click makes, carried
//! out against the practice server, with `poll` standing for the frames.

use std::time::{Duration, Instant};

use mailtutor::proto::Lang;
use mailtutor::proto::smtp::CommandKind;
use mailtutor::transcript::Direction;
use mailtutor::ui::theme::Settings;
use mailtutor::ui::{Action, AppOptions, Model};

use crate::common::TempDir;

fn model(dir: &TempDir) -> Model {
    let options = AppOptions {
        data_dir: Some(dir.0.clone()),
        settings: Some(Settings {
            lang: Lang::En,
            ..Settings::default()
        }),
        ..Default::default()
    };
    let mut m = Model::new(options, None, egui::Context::default());
    until(&mut m, "the practice server", |m| m.server().is_some());
    m
}

fn until(m: &mut Model, what: &str, cond: impl Fn(&Model) -> bool) {
    let start = Instant::now();
    while !cond(m) {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}; transcript:\n{}",
            m.transcript().export_plain(false)
        );
        m.poll();
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn replied(m: &Model, code: u16) -> bool {
    m.transcript()
        .entries()
        .iter()
        .any(|e| e.dir == Direction::Server && e.code() == Some(code))
}

#[test]
fn a_whole_send_runs_through_the_model_without_a_frame() {
    let dir = TempDir::new("model-send");
    let mut m = model(&dir);
    m.perform(Action::Connect);
    until(&mut m, "the greeting", |m| replied(m, 220));
    for (kind, code) in [(CommandKind::Ehlo, 250), (CommandKind::AuthLogin, 334)] {
        m.perform(Action::SmtpButton(kind));
        until(&mut m, kind.label(), |m| !m.is_busy() && replied(m, code));
    }
    m.perform(Action::Answer(mailtutor::proto::auth::PromptKind::Username));
    until(&mut m, "the password prompt", |m| !m.is_busy());
    m.perform(Action::Answer(mailtutor::proto::auth::PromptKind::Password));
    until(&mut m, "235", |m| replied(m, 235));
    for kind in [
        CommandKind::MailFrom,
        CommandKind::RcptTo,
        CommandKind::Data,
    ] {
        m.perform(Action::SmtpButton(kind));
        until(&mut m, kind.label(), |m| !m.is_busy());
    }
    assert!(replied(&m, 354), "{}", m.transcript().export_plain(false));
    m.perform(Action::SendMessage);
    until(&mut m, "the message accepted", |m| {
        !m.is_busy()
            && m.transcript()
                .entries()
                .iter()
                .filter(|e| e.dir == Direction::Server && e.code() == Some(250))
                .count()
                >= 4
    });
    m.perform(Action::SmtpButton(CommandKind::Quit));
    until(&mut m, "the server to close", |m| !m.is_connected());
    // The practice password (`secret`) is masked in the export, in clear and in base64.
    let text = m.transcript().export_plain(false);
    assert!(!text.contains("c2VjcmV0"), "{text}");
    assert!(!text.lines().any(|l| l.ends_with(" secret")), "{text}");
}

#[test]
fn a_lesson_is_played_by_show_me_through_the_model() {
    let dir = TempDir::new("model-lesson");
    let mut m = model(&dir);
    m.perform(Action::StartLesson("send".into()));
    assert_eq!(m.lesson_ticked(), Some(0));
    m.perform(Action::LessonShowMe);
    until(&mut m, "the first step ticked", |m| {
        m.lesson_ticked().is_some_and(|n| n >= 1)
    });
    m.perform(Action::LeaveLesson);
    assert_eq!(m.lesson_ticked(), None);
}

/// Every demo of `assets/demos.toml` plays to its end against the practice server, with no
/// frame drawn, and no step of it is refused by the window (an error row).
#[test]
fn every_demo_plays_to_its_end() {
    for name in mailtutor::ui::demo_names() {
        let dir = TempDir::new("model-demo");
        let options = AppOptions {
            data_dir: Some(dir.0.clone()),
            settings: Some(Settings::default()),
            demo: Some(name.to_owned()),
            ..Default::default()
        };
        let mut m = Model::new(options, None, egui::Context::default());
        let start = Instant::now();
        let mut steps = 0;
        while !m.demo_done() || m.server().is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(60),
                "demo {name} did not finish; transcript:\n{}",
                m.transcript().export_plain(false)
            );
            m.poll();
            steps += 1;
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(steps > 1, "{name}");
        let refused: Vec<_> = m
            .transcript()
            .entries()
            .iter()
            .filter(|e| {
                matches!(
                    e.event.as_deref(),
                    Some(mailtutor::transcript::EventRow::Error(_))
                )
            })
            .collect();
        let text = m.transcript().export_annotated(Lang::En, false);
        assert!(refused.is_empty(), "demo {name}: {refused:?}\n{text}");
        let demo = mailtutor::script::Demos::built_in().get(name);
        for line in demo.map(|d| d.expect.as_slice()).unwrap_or_default() {
            assert!(
                text.contains(line.as_str()),
                "demo {name}: no {line:?} in\n{text}"
            );
        }
    }
}
