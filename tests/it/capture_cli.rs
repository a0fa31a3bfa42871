//! `mailtutor explain` on a student's own capture: the real pcap and pcapng files of
//! tests/fixtures/captures (scripts/capture-fixtures.sh), on stdin and named as a file.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const PCAP: &[u8] = include_bytes!("../fixtures/captures/smtp-swaks-auth-login.pcap");
const PCAPNG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/captures/python-smtp-pop3.pcapng"
);

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailtutor"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start mailtutor: {e}"));
    if let Some(mut input) = child.stdin.take() {
        input
            .write_all(stdin)
            .unwrap_or_else(|e| panic!("cannot write stdin: {e}"));
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("mailtutor failed: {e}"))
}

fn stdout(args: &[&str], stdin: &[u8]) -> String {
    let out = run(args, stdin);
    assert!(out.status.success(), "exit status {}", out.status);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The packet numbers printed before the session's lines (`    10 S: …`), in order, once each.
fn packet_numbers(out: &str) -> Vec<u32> {
    let mut numbers: Vec<u32> = out
        .lines()
        .filter_map(|l| {
            let (n, rest) = l.trim_start().split_once(' ')?;
            (rest.starts_with("S:") || rest.starts_with("C:")).then(|| n.parse().ok())?
        })
        .collect();
    numbers.dedup();
    numbers
}

#[test]
fn a_pcap_on_stdin_is_explained_with_wiresharks_packet_numbers() {
    let out = stdout(&["explain"], PCAP);
    assert!(
        out.contains(
            "\nSession 1 of 1: 127.0.0.1:42644 → 127.0.0.1:35705, SMTP, packets 1–27 (27 packets)\n"
        ),
        "{out}"
    );
    assert!(out.contains("    10 S: 334 VXNlcm5hbWU6"), "{out}");
    assert!(out.contains("base64 → \"Username:\""), "{out}");
    assert!(out.contains("    13 C: ********"), "{out}");
    assert!(out.contains("password: ********"), "{out}");
    // The password and its base64 never print unless asked for.
    assert!(
        !out.contains("c2VjcmV0") && !out.contains("secret\n"),
        "{out}"
    );
    assert!(out.contains("    22 S: 250 2.0.0 Ok: queued as"), "{out}");
    // As `tshark -r smtp-swaks-auth-login.pcap -d tcp.port==35705,smtp -Y smtp -T fields
    // -e frame.number` lists them (the practice server's port is not 25, so tshark is told).
    let tshark = [
        4, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
    ];
    assert_eq!(packet_numbers(&out), tshark, "{out}");
    let shown = stdout(&["explain", "--show-secrets"], PCAP);
    assert!(shown.contains("    13 C: c2VjcmV0"), "{shown}");
}

#[test]
fn a_pcapng_file_shows_where_starttls_hid_the_rest_and_the_pop3_session_after() {
    let out = stdout(&["explain", PCAPNG], b"");
    assert!(out.contains("Session 1 of 2:"), "{out}");
    assert!(out.contains("     9 C: STARTTLS"), "{out}");
    assert!(
        out.contains("    10 S: 220 2.0.0 Ready to start TLS"),
        "{out}"
    );
    assert!(out.contains("! Encrypted from packet 11:"), "{out}");
    // Nothing after the handshake is read as a line of the session.
    assert!(!out.contains("AUTH PLAIN"), "{out}");
    assert!(out.contains(", POP3, packets 32–50 (19 packets)"), "{out}");
    assert!(out.contains("    40 C: PASS ********"), "{out}");
    assert!(out.contains("    45 S: +OK 384 octets"), "{out}");
    let zh = stdout(&["explain", "--lang", "zh", PCAPNG], b"");
    assert!(zh.contains("从第 11 个分组起已加密"), "{zh}");
    assert!(zh.contains("第 2 个会话（共 2 个）"), "{zh}");
}

#[test]
fn a_cut_or_foreign_capture_is_said_so() {
    let out = run(&["explain"], &PCAP[..10]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cut short"));
    let cut = stdout(&["explain"], &PCAP[..PCAP.len() - 20]);
    assert!(cut.contains("ends in the middle of a packet"), "{cut}");
    assert!(cut.contains("    22 S: 250 2.0.0 Ok"), "{cut}");
}

#[test]
fn an_imap_session_captured_on_any_interface_is_explained_with_its_login_masked() {
    // tcpdump -i any writes Linux cooked v2 frames.
    let imap = include_bytes!("../fixtures/captures/python-imap-any.pcap");
    let out = stdout(&["explain"], imap);
    assert!(
        out.contains("127.0.0.1:43174 → 127.0.0.1:39987, IMAP, packets 1–22 (22 packets)"),
        "{out}"
    );
    // Each line beside its packet, as tshark numbers them (the LOGIN is packet 9).
    assert!(
        out.contains("     9 C: JHBL1 LOGIN student@mailtutor.test ********"),
        "{out}"
    );
    assert!(
        out.contains("     4 S: * OK [CAPABILITY IMAP4rev1"),
        "{out}"
    );
    assert!(!out.contains("secret"), "{out}");
    assert!(out.contains("S: JHBL5 OK LOGOUT completed"), "{out}");
}

/// Asked to write a capture of a capture, `explain` says the input already is one, and writes
/// nothing rather than printing its annotation as if asked for it.
#[test]
fn a_capture_asked_for_as_pcapng_is_refused_in_words() {
    let pcap = include_bytes!("../fixtures/captures/smtp-swaks-auth-login.pcap");
    let out = run(&["explain", "--format", "pcapng"], pcap);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already a capture"), "{err}");
}
