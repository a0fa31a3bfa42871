//! The window against loopback servers that misbehave: each fault ends in a clear, specific
//! message on screen, the window keeps drawing frames, and Connect works again afterwards.
#![cfg(feature = "gui")]
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use common::TempDir;
use common::window::{H, frames_keep_coming, shows, wait};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use mailtutor::proto::Lang;
use mailtutor::session::Security;
use mailtutor::ui::theme::Settings;
use mailtutor::ui::{AppOptions, TutorApp};

/// What the first connection to a fake server does; later connections get a well-behaved
/// server, so the test can check that the window connects again.
type Script = Box<dyn FnOnce(TcpStream) + Send>;

fn read_line(s: &mut impl Read) -> Option<String> {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    loop {
        match s.read(&mut b) {
            Ok(1) => {
                out.push(b[0]);
                if b[0] == b'\n' {
                    return Some(String::from_utf8_lossy(&out).into_owned());
                }
            }
            _ => return None,
        }
    }
}

/// A polite SMTP server: 220, then 250 to everything but QUIT.
fn well_behaved(mut s: TcpStream) {
    let _ = s.write_all(b"220 fake.test ESMTP ready again\r\n");
    while let Some(line) = read_line(&mut s) {
        if line.to_ascii_uppercase().starts_with("QUIT") {
            let _ = s.write_all(b"221 2.0.0 Bye\r\n");
            return;
        }
        let _ = s.write_all(b"250 2.0.0 Ok\r\n");
    }
}

fn fake_server(script: Script) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = l.local_addr().map(|a| a.port()).unwrap_or(0);
    std::thread::spawn(move || {
        let mut script = Some(script);
        for s in l.incoming().flatten() {
            match script.take() {
                Some(f) => {
                    std::thread::spawn(move || f(s));
                }
                None => {
                    std::thread::spawn(move || well_behaved(s));
                }
            }
        }
    });
    port
}

/// Greets, answers EHLO, then runs `then` on the next line.
fn after_ehlo(then: impl FnOnce(TcpStream, String) + Send + 'static) -> Script {
    Box::new(move |mut s| {
        let _ = s.write_all(b"220 fake.test ESMTP\r\n");
        let _ = read_line(&mut s);
        let _ = s.write_all(b"250-fake.test\r\n250 8BITMIME\r\n");
        if let Some(line) = read_line(&mut s) {
            then(s, line);
        }
    })
}

fn window(port: u16, security: Security, roots: Vec<Vec<u8>>, dir: &TempDir) -> H {
    let options = AppOptions {
        data_dir: Some(dir.0.clone()),
        settings: Some(Settings {
            lang: Lang::En,
            preset: "custom".into(),
            host: "localhost".into(),
            port,
            security,
            ..Settings::default()
        }),
        reply_timeout: Some(Duration::from_secs(2)),
        roots,
        ..Default::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| TutorApp::new(cc, options));
    h.run_steps(2);
    h
}

fn connect_click(h: &mut H) {
    h.get_by_label("Connect").click();
    h.run_steps(2);
    frames_keep_coming(h);
}

/// Clicks a command, keeps checking frames while it runs, and waits for it to end.
fn click(h: &mut H, label: &str) {
    h.get_by_label(label).click();
    h.run_steps(2);
    frames_keep_coming(h);
    wait(h, label, |a| !a.is_busy());
}

/// After the fault: the window is disconnected (or says why it could not connect), Connect is
/// there, and a new connection to the same port gets its greeting.
fn connects_again(h: &mut H) {
    wait(h, "the end of the faulty connection", |a| {
        !a.is_connected() && !a.is_busy()
    });
    connect_click(h);
    wait(h, "the second greeting", |a| {
        a.transcript()
            .export_plain(false)
            .contains("ESMTP ready again")
    });
    assert!(h.state().is_connected());
}

fn run(name: &str, script: Script, steps: &[&str], expect: &[&str]) {
    let dir = TempDir::new(name);
    let port = fake_server(script);
    let mut h = window(port, Security::None, Vec::new(), &dir);
    connect_click(&mut h);
    wait(&mut h, "the connection", |a| {
        a.is_connected() && !a.is_busy()
    });
    for step in steps {
        if h.state().is_connected() {
            click(&mut h, step);
        }
    }
    wait(&mut h, "the fault to show", |a| {
        let text = a.transcript().export_annotated(Lang::En, false);
        expect.iter().all(|e| text.contains(e))
    });
    for e in expect {
        shows(&h, e);
    }
    if h.state().is_connected() {
        h.get_by_label("Disconnect").click();
        h.run_steps(2);
    }
    connects_again(&mut h);
}

#[test]
fn the_server_closes_in_the_middle_of_a_reply() {
    run(
        "fault-cut-reply",
        after_ehlo(|mut s, _| {
            let _ = s.write_all(b"250-first line of a reply\r\n250-and the sec");
        }),
        &["EHLO", "MAIL FROM"],
        &[
            "the connection ended in the middle of a reply",
            "the server closed the connection",
        ],
    );
}

#[test]
fn the_server_closes_in_the_middle_of_data() {
    run(
        "fault-cut-data",
        after_ehlo(|mut s, _| {
            let _ = s.write_all(b"250 2.1.0 Ok\r\n"); // MAIL
            let _ = read_line(&mut s);
            let _ = s.write_all(b"250 2.1.5 Ok\r\n"); // RCPT
            let _ = read_line(&mut s);
            let _ = s.write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n");
            let _ = read_line(&mut s);
            // Gone after the first line of the message.
        }),
        &["EHLO", "MAIL FROM", "RCPT TO", "DATA", "Send message"],
        // The server hung up with the message unread, so its system says "reset by peer".
        &["Connection closed"],
    );
}

#[test]
fn the_server_sends_a_line_of_a_megabyte() {
    run(
        "fault-long-line",
        after_ehlo(|mut s, _| {
            let mut line = b"250 ".to_vec();
            line.extend(std::iter::repeat_n(b'a', 1 << 20));
            line.extend_from_slice(b"\r\n");
            let _ = s.write_all(&line);
            std::thread::sleep(Duration::from_secs(5));
        }),
        &["EHLO", "MAIL FROM"],
        &["was discarded"],
    );
}

#[test]
fn the_server_sends_binary_junk() {
    run(
        "fault-junk",
        after_ehlo(|mut s, _| {
            let _ = s.write_all(b"\x00\x01\xfe\xff\x1b[2J PK\x03\x04 junk\r\n");
            std::thread::sleep(Duration::from_secs(5));
        }),
        &["EHLO", "MAIL FROM"],
        &["does not start with a three-digit reply code"],
    );
}

#[test]
fn the_server_never_answers() {
    run(
        "fault-silent",
        after_ehlo(|s, _| {
            std::thread::sleep(Duration::from_secs(8));
            drop(s);
        }),
        &["EHLO", "MAIL FROM"],
        &["no reply to MAIL FROM:<student@mailtutor.test> within 2 s"],
    );
}

#[test]
fn the_server_drips_its_reply_a_byte_every_100_ms() {
    run(
        "fault-drip",
        after_ehlo(|mut s, _| {
            for b in b"250 2.1.0 Ok, slowly\r\n" {
                let _ = s.write_all(&[*b]);
                std::thread::sleep(Duration::from_millis(100));
            }
            std::thread::sleep(Duration::from_secs(3));
        }),
        &["EHLO", "MAIL FROM"],
        // Slow but within the timeout: the reply arrives whole and is explained.
        &["250 2.1.0 Ok, slowly"],
    );
}

#[test]
fn the_server_stops_reading_during_data() {
    let dir = TempDir::new("fault-stall");
    let port = fake_server(after_ehlo(|mut s, _| {
        let _ = s.write_all(b"250 2.1.0 Ok\r\n");
        let _ = read_line(&mut s);
        let _ = s.write_all(b"250 2.1.5 Ok\r\n");
        let _ = read_line(&mut s);
        let _ = s.write_all(b"354 go ahead\r\n");
        // Reads nothing more: the client's writes fill the socket buffers and stall.
        std::thread::sleep(Duration::from_secs(20));
    }));
    let mut h = window(port, Security::None, Vec::new(), &dir);
    connect_click(&mut h);
    wait(&mut h, "the connection", |a| {
        a.is_connected() && !a.is_busy()
    });
    for step in ["EHLO", "MAIL FROM", "RCPT TO", "DATA"] {
        click(&mut h, step);
    }
    // A body far larger than the loopback socket buffers.
    h.state_mut()
        .set_message_body(&"x".repeat(76).repeat(400_000));
    h.get_by_label("Send message").click();
    h.run_steps(2);
    frames_keep_coming(&mut h);
    wait(&mut h, "the stalled write to fail", |a| !a.is_connected());
    shows(&h, "the server stopped reading");
    connects_again(&mut h);
}

/// A TLS server on the first connection with this certificate chain; later connections are
/// well-behaved plain servers (the test reconnects without TLS).
fn tls_server(chain: Vec<Vec<u8>>, key: Vec<u8>) -> u16 {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_no_client_auth().with_single_cert(
                chain.into_iter().map(Into::into).collect(),
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
            )
        })
        .unwrap();
    let config = Arc::new(config);
    fake_server(Box::new(move |s| {
        if let Ok(conn) = rustls::ServerConnection::new(config) {
            let mut tls = rustls::StreamOwned::new(conn, s);
            let _ = tls.write_all(b"220 tls.fake ESMTP\r\n");
            let _ = read_line(&mut tls);
        }
    }))
}

struct Ca {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    der: Vec<u8>,
}

fn ca() -> Ca {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Mailtutor Test School CA");
    let cert = params.self_signed(&key).unwrap();
    Ca {
        der: cert.der().to_vec(),
        issuer: rcgen::Issuer::new(params, key),
    }
}

/// A leaf for `names`, signed by `ca` (self-signed without one), valid `from`..`until` years.
fn leaf(names: &[&str], ca: Option<&Ca>, years: (i32, i32)) -> (Vec<u8>, Vec<u8>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let mut params =
        rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
            .unwrap();
    params.not_before = rcgen::date_time_ymd(years.0, 1, 1);
    params.not_after = rcgen::date_time_ymd(years.1, 1, 1);
    let cert = match ca {
        Some(ca) => params.signed_by(&key, &ca.issuer),
        None => params.self_signed(&key),
    }
    .unwrap();
    (cert.der().to_vec(), key.serialize_der())
}

fn tls_fault(name: &str, cert: (Vec<u8>, Vec<u8>), roots: Vec<Vec<u8>>, expect: &str) {
    let dir = TempDir::new(name);
    let port = tls_server(vec![cert.0], cert.1);
    let mut h = window(port, Security::Implicit, roots, &dir);
    connect_click(&mut h);
    wait(&mut h, "the TLS failure", |a| {
        !a.is_busy() && !a.is_connected()
    });
    shows(&h, expect);
    // Never a silent fallback to plain text: the user chooses plain SMTP and connects again.
    choose_plain(&mut h);
    connects_again(&mut h);
}

fn choose_plain(h: &mut H) {
    h.get_by_label("Security").click();
    h.run_steps(2);
    h.get_by_label("None (plain TCP)").click();
    h.run_steps(2);
}

#[test]
fn an_expired_certificate_is_named() {
    let ca = ca();
    let cert = leaf(&["localhost"], Some(&ca), (2019, 2020));
    tls_fault(
        "fault-expired",
        cert,
        vec![ca.der.clone()],
        "the certificate has expired",
    );
}

#[test]
fn a_certificate_for_another_host_is_named() {
    let ca = ca();
    let cert = leaf(&["mail.elsewhere.test"], Some(&ca), (2020, 2090));
    tls_fault(
        "fault-wrong-host",
        cert,
        vec![ca.der.clone()],
        "the certificate was issued for another host name",
    );
}

#[test]
fn a_self_signed_certificate_is_named_with_its_fingerprint() {
    let cert = leaf(&["localhost"], None, (2020, 2090));
    tls_fault(
        "fault-self-signed",
        cert,
        Vec::new(),
        "the certificate is self-signed",
    );
    // (The message goes on with the SHA-256 fingerprint and "accept it only if you know it is
    // right"; trusting it is the user's explicit choice.)
}

#[test]
fn plaintext_injected_after_ready_to_start_tls_is_discarded_and_reported() {
    let ca = ca();
    let (cert, key) = leaf(&["localhost"], Some(&ca), (2020, 2090));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| {
            b.with_no_client_auth().with_single_cert(
                vec![cert.into()],
                rustls::pki_types::PrivateKeyDer::Pkcs8(key.into()),
            )
        })
        .unwrap();
    let config = Arc::new(config);
    let port = fake_server(after_ehlo(move |mut s, _starttls| {
        // The 220 and an injected reply in one packet, as a man in the middle would send.
        let _ = s.write_all(b"220 2.0.0 Ready to start TLS\r\n250 injected\r\n");
        if let Ok(conn) = rustls::ServerConnection::new(config) {
            let mut tls = rustls::StreamOwned::new(conn, s);
            while let Some(line) = read_line(&mut tls) {
                let _ = tls.write_all(b"250 2.0.0 after TLS\r\n");
                if line.starts_with("QUIT") {
                    break;
                }
            }
        }
    }));
    let dir = TempDir::new("fault-injection");
    let mut h = window(port, Security::None, vec![ca.der.clone()], &dir);
    connect_click(&mut h);
    wait(&mut h, "the connection", |a| {
        a.is_connected() && !a.is_busy()
    });
    click(&mut h, "EHLO");
    click(&mut h, "STARTTLS");
    shows(&h, "discarded 14 bytes");
    assert!(h.state().transcript().smtp().is_tls());
    click(&mut h, "EHLO");
    let text = h.state().transcript().export_plain(false);
    assert!(text.contains("250 2.0.0 after TLS"), "{text}");
    assert!(
        !text.lines().any(|l| l.starts_with("S: 250 injected")),
        "the injected line was read as a reply: {text}"
    );
    h.get_by_label("Disconnect").click();
    h.run_steps(2);
    connects_again(&mut h);
}

/// This machine's address on its first non-loopback interface, if it has one: a server bound
/// there is "another host" to the window, while the traffic still never leaves the machine.
fn own_address() -> Option<std::net::IpAddr> {
    let s = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    // Connecting a UDP socket sends nothing; it only picks the outgoing interface.
    s.connect("192.0.2.1:9").ok()?;
    let ip = s.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn a_password_in_clear_to_another_host_needs_a_confirmation() {
    assert!(!mailtutor::ui::plaintext_risk(
        Some("127.0.0.1:25".parse().unwrap()),
        false
    ));
    assert!(!mailtutor::ui::plaintext_risk(
        Some("192.0.2.7:25".parse().unwrap()),
        true
    ));
    assert!(mailtutor::ui::plaintext_risk(
        Some("192.0.2.7:25".parse().unwrap()),
        false
    ));
    let Some(ip) = own_address() else {
        eprintln!("SKIPPED the window part: this machine has no address but loopback");
        return;
    };
    let l = TcpListener::bind((ip, 0)).unwrap();
    let port = l.local_addr().map(|a| a.port()).unwrap_or(0);
    let heard = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = Arc::clone(&heard);
    std::thread::spawn(move || {
        let Ok((mut s, _)) = l.accept() else { return };
        let _ = s.write_all(b"220 remote.test ESMTP\r\n");
        while let Some(line) = read_line(&mut s) {
            log.lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(line.clone());
            let reply: &[u8] = match line.trim_end() {
                l if l.starts_with("EHLO") => b"250-remote.test\r\n250 AUTH LOGIN PLAIN\r\n",
                "AUTH LOGIN" => b"334 VXNlcm5hbWU6\r\n",
                l if l == mailtutor::proto::auth::encode(b"student@mailtutor.test") => {
                    b"334 UGFzc3dvcmQ6\r\n"
                }
                _ => b"235 2.7.0 Authentication successful\r\n",
            };
            let _ = s.write_all(reply);
        }
    });
    let dir = TempDir::new("plain-auth");
    let options = AppOptions {
        data_dir: Some(dir.0.clone()),
        settings: Some(Settings {
            lang: Lang::En,
            preset: "custom".into(),
            host: ip.to_string(),
            port,
            security: Security::None,
            ..Settings::default()
        }),
        reply_timeout: Some(Duration::from_secs(5)),
        ..Default::default()
    };
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_eframe(move |cc| TutorApp::new(cc, options));
    h.run_steps(2);
    h.state_mut()
        .perform(mailtutor::ui::Action::SetPassword("pw-on-the-lan".into()));
    connect_click(&mut h);
    wait(&mut h, "the connection", |a| {
        a.is_connected() && !a.is_busy()
    });
    click(&mut h, "EHLO");
    click(&mut h, "AUTH LOGIN");
    click(&mut h, "Send username");
    h.get_by_label("Send password").click();
    h.run_steps(3);
    assert!(h.state().asks_to_confirm_plaintext());
    shows(&h, "Base64 is not encryption");
    let b64 = mailtutor::proto::auth::encode(b"pw-on-the-lan");
    let sent = |heard: &Arc<std::sync::Mutex<Vec<String>>>| {
        heard
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .any(|l| l.contains(&b64))
    };
    assert!(!sent(&heard), "sent before the user confirmed");
    h.get_by_label("Cancel").click();
    h.run_steps(3);
    assert!(!h.state().asks_to_confirm_plaintext());
    std::thread::sleep(Duration::from_millis(200));
    assert!(!sent(&heard), "sent although the user cancelled");
    h.get_by_label("Send password").click();
    h.run_steps(3);
    h.get_by_label("Send it in clear").click();
    h.run_steps(2);
    wait(&mut h, "the 235", |a| {
        a.transcript().export_plain(false).contains("235 2.7.0")
    });
    assert!(sent(&heard));
}
