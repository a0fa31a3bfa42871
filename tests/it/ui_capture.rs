//! A student's own capture opened in the window: *Open transcript…* with the path of a pcap
//! or pcapng file reads its mail sessions, explained as a pasted log is, each line with the
//! number Wireshark gives its packet.

use crate::common::TempDir;
use crate::common::window::{open_sized, shows, wait, wait_shows};
use egui_kittest::kittest::Queryable;
use mailtutor::proto::Lang;
use mailtutor::transcript::Direction;
use mailtutor::ui::theme::Settings;

fn fixture(name: &str) -> String {
    format!(
        "{}/tests/fixtures/captures/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

/// A window tall enough that every row of the capture's session is drawn.
fn tall_window(dir: &TempDir) -> crate::common::window::H {
    let settings = Settings {
        lang: Lang::En,
        ..Settings::default()
    };
    open_sized(egui::vec2(1400.0, 4000.0), settings, dir)
}

/// Types `path` in the *Open transcript…* form and presses Enter.
fn open_by_path(h: &mut crate::common::window::H, path: &str) {
    h.get_by_label("Open transcript…").click();
    h.run_steps(2);
    let field = h.get_by_label("File to open:");
    field.focus();
    field.type_text(path);
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
}

#[test]
fn a_pcap_opened_in_the_window_shows_its_session_with_packet_numbers() {
    let dir = TempDir::new("open-pcap");
    let mut h = tall_window(&dir);
    open_by_path(&mut h, &fixture("smtp-swaks-auth-login.pcap"));
    wait_shows(&mut h, "334 VXNlcm5hbWU6");
    shows(&h, "Username:");
    shows(
        &h,
        "Session 1 of 1: 127.0.0.1:42644 → 127.0.0.1:35705, SMTP",
    );
    // The password line, masked, and the packet numbers beside the lines (as tshark lists
    // them: the greeting in packet 4, the prompt in 10, the password in 13).
    shows(&h, "********");
    for n in [4, 10, 13, 24] {
        let label = format!("{n:>6}");
        assert!(
            h.query_by_label(&label).is_some(),
            "no packet number {n} beside a line"
        );
    }
    let t = h.state().transcript();
    let prompt = (0..t.len())
        .find(|&i| t.entries()[i].text(false).contains("334 VXNlcm5hbWU6"))
        .unwrap_or_else(|| panic!("no 334 entry"));
    assert_eq!(t.frame(prompt), Some(10));
    assert!(!t.export_plain(false).contains("c2VjcmV0"));
}

#[test]
fn a_pcapng_with_two_sessions_shows_both_one_after_another() {
    let dir = TempDir::new("open-pcapng");
    let mut h = tall_window(&dir);
    open_by_path(&mut h, &fixture("python-smtp-pop3.pcapng"));
    wait(&mut h, "the capture's sessions", |a| {
        a.transcript()
            .export_plain(false)
            .contains("+OK Logging out")
    });
    let t = h.state().transcript();
    let plain = t.export_plain(false);
    assert!(
        plain.contains("STARTTLS") && plain.contains("PASS ********"),
        "{plain}"
    );
    // Both sessions' connections, and where TLS hid the first one's rest.
    let events: Vec<String> = (0..t.len())
        .filter(|&i| t.entries()[i].dir == Direction::Event)
        .map(|i| t.entries()[i].event_text(Lang::En, false))
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e.contains("Encrypted from packet 11")),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e.starts_with("Session 2 of 2")),
        "{events:?}"
    );
    let pass = (0..t.len())
        .find(|&i| t.entries()[i].text(false) == "PASS ********")
        .unwrap_or_else(|| panic!("no PASS line"));
    assert_eq!(t.frame(pass), Some(40));
    wait_shows(&mut h, "Encrypted from packet 11");
}

#[test]
fn an_imap_capture_opened_in_the_window_is_read_as_imap_with_packet_numbers() {
    let dir = TempDir::new("open-imap-capture");
    let mut h = tall_window(&dir);
    open_by_path(&mut h, &fixture("python-imap-any.pcap"));
    wait_shows(&mut h, "JHBL5 OK LOGOUT completed");
    shows(&h, "JHBL1 LOGIN student@mailtutor.test ********");
    let t = h.state().transcript();
    assert_eq!(t.protocol(), mailtutor::session::Protocol::Imap);
    let login = (0..t.len())
        .find(|&i| t.entries()[i].text(false).contains("LOGIN student"))
        .unwrap_or_else(|| panic!("no LOGIN line"));
    // tshark -d tcp.port==39987,imap -Y 'imap.request.command == "LOGIN"'
    let tshark_login_packet = 9;
    assert_eq!(t.frame(login), Some(tshark_login_packet));
}

/// Saved as annotated text, a capture's transcript keeps the packet numbers.
#[test]
fn a_captures_transcript_exports_with_its_packet_numbers() {
    let bytes = std::fs::read(fixture("smtp-swaks-auth-login.pcap")).unwrap();
    let cap = mailtutor::proto::capture_read::read_capture(&bytes).unwrap();
    let t = mailtutor::explain::fold_capture(&cap);
    let text = t.export_annotated(Lang::En, false);
    let prompt = text
        .lines()
        .find(|l| l.contains("S: 334 VXNlcm5hbWU6"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(prompt.starts_with("    10 "), "{prompt}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("    13 ") && l.ends_with("C: ********"))
    );
}
