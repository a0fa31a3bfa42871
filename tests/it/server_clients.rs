//! The practice server driven by real clients nobody here wrote: swaks, and Python's smtplib
//! and poplib. `.ci/run` installs them; elsewhere a missing tool skips the test with a note.
// Helpers here unwrap as tests do: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{TempDir, TestServer, without_received};

fn have(tool: &str) -> bool {
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
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/pyclient.py")
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

struct Rig {
    t: TestServer,
    work: TempDir,
    cafile: PathBuf,
}

impl Rig {
    fn new() -> Self {
        let t = TestServer::start();
        let work = TempDir::new("clients");
        let _ = std::fs::create_dir_all(&work.0);
        let cafile = work.0.join("server.pem");
        std::fs::write(&cafile, &t.server.cert_pem).unwrap();
        Self { t, work, cafile }
    }

    fn py_send(
        &self,
        port: u16,
        security: &str,
        auth: &str,
        to: &[&str],
        subject: &str,
        body: &str,
    ) -> Vec<u8> {
        let body_file = self.work.0.join("body.txt");
        let expected = self.work.0.join("expected.eml");
        std::fs::write(&body_file, body).unwrap();
        let mut cmd = Command::new("python3");
        cmd.arg(script()).args([
            "send",
            "--port",
            &port.to_string(),
            "--security",
            security,
            "--auth",
            auth,
        ]);
        cmd.arg("--cafile").arg(&self.cafile);
        cmd.args([
            "--user",
            "student@mailtutor.test",
            "--password",
            "secret",
            "--from",
            "student@mailtutor.test",
        ]);
        for t in to {
            cmd.args(["--to", t]);
        }
        cmd.args(["--subject", subject])
            .arg("--body-file")
            .arg(&body_file)
            .arg("--expected")
            .arg(&expected);
        run(&mut cmd);
        std::fs::read(&expected).unwrap()
    }
}

#[test]
fn python_smtplib_sends_and_poplib_reads_back() {
    if !have("python3") {
        return;
    }
    let r = Rig::new();
    let body = "Hello from smtplib.\n.a line that starts with a dot\n..and one with two\n.\nend\n";
    let first = r.py_send(
        r.t.smtp().port(),
        "starttls",
        "LOGIN",
        &["teacher@mailtutor.test", "student@mailtutor.test"],
        "测试 practice 作业",
        body,
    );
    assert!(
        String::from_utf8_lossy(&first).contains("=?utf-8?"),
        "subject should be RFC 2047 encoded"
    );
    let big_body = "0123456789abcdef".repeat(64) + "\n";
    let big_body = big_body.repeat(5 * 1024 * 1024 / big_body.len() + 1);
    let second = r.py_send(
        r.t.smtps().port(),
        "ssl",
        "PLAIN",
        &["teacher@mailtutor.test"],
        "five megabytes",
        &big_body,
    );
    assert!(second.len() > 5 * 1024 * 1024);

    let teacher = r.t.stored("teacher@mailtutor.test");
    let student = r.t.stored("student@mailtutor.test");
    assert_eq!((teacher.len(), student.len()), (2, 1));
    assert_eq!(without_received(&teacher[0]), first);
    assert_eq!(without_received(&student[0]), first);
    assert_eq!(without_received(&teacher[1]), second);
    assert!(String::from_utf8_lossy(&teacher[0]).contains("with ESMTPSA id"));

    for (security, port) in [("stls", r.t.pop3().port()), ("ssl", r.t.pop3s().port())] {
        let out_dir = r.work.0.join(format!("fetched-{security}"));
        let _ = std::fs::create_dir_all(&out_dir);
        let mut cmd = Command::new("python3");
        cmd.arg(script())
            .args(["fetch", "--port", &port.to_string(), "--security", security]);
        cmd.arg("--cafile").arg(&r.cafile).args([
            "--user",
            "teacher@mailtutor.test",
            "--password",
            "secret",
        ]);
        cmd.arg("--out-dir").arg(&out_dir);
        if security == "ssl" {
            cmd.arg("--delete");
        }
        let summary = run(&mut cmd);
        assert!(summary.contains("\"count\": 2"), "{summary}");
        for (i, stored) in teacher.iter().enumerate() {
            let got = std::fs::read(out_dir.join(format!("{}.eml", i + 1))).unwrap_or_default();
            assert_eq!(&got, stored, "message {} over {security} differs", i + 1);
        }
    }
    // The POP3S session deleted both at QUIT.
    assert!(r.t.stored("teacher@mailtutor.test").is_empty());
    let decoded = mailtutor::proto::message::parse_message(&student[0]).unwrap_or_default();
    assert_eq!(decoded.subject.as_deref(), Some("测试 practice 作业"));
}

#[test]
fn swaks_auth_login_over_starttls_and_plain_over_smtps() {
    if !have("swaks") {
        return;
    }
    let r = Rig::new();
    let out = run(Command::new("swaks").args([
        "--server",
        &r.t.smtp().to_string(),
        "--tls",
        "--auth",
        "LOGIN",
        "--auth-user",
        "student@mailtutor.test",
        "--auth-password",
        "secret",
        "--from",
        "student@mailtutor.test",
        "--to",
        "teacher@mailtutor.test",
        "--header",
        "Subject: swaks over STARTTLS",
        "--body",
        "hello from swaks",
    ]));
    for expected in [
        "<-  220 2.0.0 Ready to start TLS",
        "<~  334 VXNlcm5hbWU6",
        "<~  334 UGFzc3dvcmQ6",
        "<~  235 2.7.0 Authentication successful",
        "<~  250 2.0.0 Ok: queued as",
        "<~  221 2.0.0",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in\n{out}");
    }
    let out = run(Command::new("swaks").args([
        "--server",
        &r.t.smtps().to_string(),
        "--tls-on-connect",
        "--auth",
        "PLAIN",
        "--auth-user",
        "teacher@mailtutor.test",
        "--auth-password",
        "secret",
        "--from",
        "teacher@mailtutor.test",
        "--to",
        "teacher@mailtutor.test",
        "--header",
        "Subject: swaks over SMTPS",
    ]));
    assert!(out.contains("<~  235 2.7.0"), "{out}");
    let stored = r.t.stored("teacher@mailtutor.test");
    assert_eq!(stored.len(), 2);
    let texts: Vec<String> = stored
        .iter()
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Subject: swaks over STARTTLS") && t.contains("hello from swaks"))
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("Subject: swaks over SMTPS"))
    );
    // A wrong password is a 535 for swaks too.
    let out = Command::new("swaks")
        .args([
            "--server",
            &r.t.smtp().to_string(),
            "--tls",
            "--auth",
            "LOGIN",
            "--auth-user",
            "student@mailtutor.test",
            "--auth-password",
            "nope",
            "--to",
            "teacher@mailtutor.test",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("535 5.7.8"));
}

/// Sends `n` messages to student by SMTP and returns them as the maildrop stored them.
fn deliver_numbered(t: &TestServer, n: usize) -> Vec<Vec<u8>> {
    let mut c = common::Smtp::connect(t.smtp());
    c.reply();
    c.expect("EHLO lab", "250");
    for i in 1..=n {
        c.expect("MAIL FROM:<teacher@mailtutor.test>", "250");
        c.expect("RCPT TO:<student@mailtutor.test>", "250");
        c.expect("DATA", "354");
        c.send(
            format!(
                "Subject: number {i}\r\nFrom: Teacher <teacher@mailtutor.test>\r\n\
                 To: student@mailtutor.test\r\n\r\nline one of {i}\r\n..a dot line\r\n.\r\n"
            )
            .as_bytes(),
        );
        assert_eq!(c.reply().code, 250);
    }
    c.expect("QUIT", "221");
    let stored = t.stored("student@mailtutor.test");
    assert_eq!(stored.len(), n);
    stored
}

/// Python's imaplib, a client nobody here wrote, over plain IMAP, STARTTLS and IMAPS: logs
/// in (and is refused with a wrong password), lists, selects, searches, fetches every message
/// byte for byte, marks, deletes and expunges; a second session finds the flags, UIDs and
/// UIDVALIDITY kept, and EXAMINE read-only.
#[test]
fn python_imaplib_reads_flags_and_expunges() {
    if !have("python3") {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/clients/imapclient.py");
    for (security, port) in [("plain", 0), ("starttls", 0), ("ssl", 1)] {
        let rig = Rig::new();
        let stored = deliver_numbered(&rig.t, 4);
        let dir = rig.work.0.join("expected");
        std::fs::create_dir_all(&dir).unwrap();
        for (i, m) in stored.iter().enumerate() {
            std::fs::write(dir.join(format!("{}.eml", i + 1)), m).unwrap();
        }
        let addr = if port == 0 {
            rig.t.imap()
        } else {
            rig.t.imaps()
        };
        let out = run(Command::new("python3")
            .arg(&script)
            .args(["--port", &addr.port().to_string(), "--security", security])
            .arg("--cafile")
            .arg(&rig.cafile)
            .args(["--user", "student@mailtutor.test", "--password", "secret"])
            .args(["--sent", "4"])
            .arg("--expected-dir")
            .arg(&dir));
        assert!(out.contains("4 messages fetched"), "{security}: {out}");
        // The expunged message is gone from the maildrop; the others are in cur/ with their
        // flags in their names.
        let cur = common::mailbox_files(&rig.t.dir.0.join("student@mailtutor.test").join("cur"));
        assert_eq!(cur.len(), 3, "{security}");
    }
}

/// curl, another client nobody here wrote: lists INBOX and fetches a message by UID over
/// STARTTLS (curl --ssl-reqd), as `curl imap://…/INBOX;UID=1` does.
#[test]
fn curl_lists_and_fetches_over_imap() {
    if !have("curl") {
        return;
    }
    let rig = Rig::new();
    let stored = deliver_numbered(&rig.t, 2);
    let base = format!("imap://127.0.0.1:{}", rig.t.imap().port());
    let curl = |path: &str| {
        run(Command::new("curl")
            .args(["-s", "-S", "--ssl-reqd", "--max-time", "20"])
            .arg("--cacert")
            .arg(&rig.cafile)
            .args(["-u", "student@mailtutor.test:secret"])
            .arg(format!("{base}{path}")))
    };
    let list = curl("/");
    assert!(list.contains("INBOX"), "{list}");
    let second = curl("/INBOX;UID=2");
    assert_eq!(second.as_bytes(), stored[1].as_slice());
    let search = run(Command::new("curl")
        .args([
            "-s",
            "-S",
            "--max-time",
            "20",
            "-u",
            "student@mailtutor.test:secret",
        ])
        .args(["-X", "SEARCH SUBJECT \"number 1\""])
        .arg(format!("{base}/INBOX")));
    assert!(search.contains("SEARCH 1"), "{search}");
}

/// mbsync (isync), a real mail client in batch mode: pulls INBOX over STARTTLS into a local
/// Maildir, every message byte for byte, then runs again and finds nothing new; the flags it
/// reads come from the Maildir file names on the server's side.
#[test]
fn mbsync_pulls_the_mailbox_over_starttls() {
    if !have("mbsync") {
        return;
    }
    let rig = Rig::new();
    let stored = deliver_numbered(&rig.t, 3);
    let local = rig.work.0.join("local");
    std::fs::create_dir_all(&local).unwrap();
    let config = rig.work.0.join("mbsyncrc");
    std::fs::write(
        &config,
        format!(
            "IMAPAccount practice\nHost 127.0.0.1\nPort {port}\nUser student@mailtutor.test\n\
             Pass secret\nSSLType STARTTLS\nCertificateFile {ca}\n\n\
             IMAPStore practice-far\nAccount practice\n\n\
             MaildirStore practice-near\nPath {dir}/\nInbox {dir}/INBOX\n\n\
             Channel practice\nFar :practice-far:\nNear :practice-near:\nPatterns INBOX\n\
             Create Near\nSync Pull\nSyncState *\n",
            port = rig.t.imap().port(),
            ca = rig.cafile.display(),
            dir = local.display(),
        ),
    )
    .unwrap();
    let sync = || {
        run(Command::new("mbsync")
            .arg("-V")
            .arg("-c")
            .arg(&config)
            .arg("practice"))
    };
    let first = sync();
    let mut pulled = common::mailbox_files(&local.join("INBOX").join("new"));
    pulled.extend(common::mailbox_files(&local.join("INBOX").join("cur")));
    assert_eq!(pulled.len(), 3, "{first}");
    // mbsync writes LF where the wire had CRLF (a Maildir keeps Unix line endings), and adds
    // its own X-TUID header to each message it copies.
    let lf = |m: &Vec<u8>| {
        String::from_utf8_lossy(m)
            .replace("\r\n", "\n")
            .lines()
            .filter(|l| !l.starts_with("X-TUID: "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    let pulled: Vec<String> = pulled.iter().map(lf).collect();
    for m in &stored {
        assert!(
            pulled.contains(&lf(m)),
            "a message changed on the way:\n{first}"
        );
    }
    // Nothing new the second time.
    let second = sync();
    let mut again = common::mailbox_files(&local.join("INBOX").join("new"));
    again.extend(common::mailbox_files(&local.join("INBOX").join("cur")));
    assert_eq!(again.len(), 3, "{second}");
}
