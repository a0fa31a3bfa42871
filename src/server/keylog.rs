//! The practice server's TLS key log: each session's secrets appended to a file in the
//! SSLKEYLOGFILE format (`LABEL <client random hex> <secret hex>`, one line each), so that
//! Wireshark can decrypt a capture of the practice server's TLS. Switched on and off while the
//! server runs; the file is opened, appended to and flushed per line on the connection's
//! thread, never on the window's.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use super::events::{EventSink, Service};
use crate::words::Words;

/// Where the key log goes, if anywhere; handed to rustls as its [`rustls::KeyLog`].
pub struct KeyLogFile {
    path: Mutex<Option<PathBuf>>,
    /// A write already failed for this path: said once in the server log, not per line.
    failed: AtomicBool,
    events: EventSink,
}

impl std::fmt::Debug for KeyLogFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyLogFile")
            .field("path", &self.path())
            .finish()
    }
}

impl KeyLogFile {
    /// A key log to `path` (none: off); a failed write is said through `events`.
    pub fn new(path: Option<PathBuf>, events: EventSink) -> Self {
        Self {
            path: Mutex::new(path),
            failed: AtomicBool::new(false),
            events,
        }
    }

    /// Where the next handshakes' secrets go (none: nowhere). Touches no disk.
    pub fn set(&self, path: Option<PathBuf>) {
        if let Ok(mut p) = self.path.lock() {
            *p = path;
        }
        self.failed.store(false, Ordering::Relaxed);
    }

    pub fn path(&self) -> Option<PathBuf> {
        self.path.lock().ok().and_then(|p| p.clone())
    }
}

impl rustls::KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let Some(path) = self.path() else {
            return;
        };
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        if let Err(why) = append_line(&path, &line)
            && !self.failed.swap(true, Ordering::Relaxed)
        {
            super::server_note(&self.events, Service::Smtp, why);
        }
    }

    fn will_log(&self, _label: &str) -> bool {
        self.path().is_some()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends one line to the key log (created readable by its owner only: it holds secrets),
/// flushed; or the words that say why not.
pub fn append_line(path: &Path, line: &str) -> Result<(), Words> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(line.as_bytes()).and_then(|()| f.flush()))
        .map_err(|e| {
            Words::new("capture.keylog_failed")
                .arg("path", path.display())
                .arg("text", e)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::KeyLog;
    use std::sync::Arc;

    #[test]
    fn lines_are_appended_in_sslkeylogfile_format_and_a_bad_path_is_said_once() {
        let dir = std::env::temp_dir().join(format!("mailtutor-keylog-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("keys.log");
        let _ = std::fs::remove_file(&path);
        let said = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&said);
        let k = KeyLogFile::new(
            None,
            Arc::new(move |e| sink.lock().unwrap().push(e.to_string())),
        );
        assert!(!k.will_log("CLIENT_RANDOM"));
        k.log("CLIENT_RANDOM", &[1, 2], &[0xab]);
        assert!(!path.exists(), "off writes nothing");
        k.set(Some(path.clone()));
        k.log("CLIENT_HANDSHAKE_TRAFFIC_SECRET", &[0, 0xff], &[0xab, 0x01]);
        k.log("SERVER_TRAFFIC_SECRET_0", &[0, 0xff], &[0x02]);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET 00ff ab01\nSERVER_TRAFFIC_SECRET_0 00ff 02\n"
        );
        k.set(Some(dir.join("no-such-dir").join("keys.log")));
        k.log("A", &[1], &[1]);
        k.log("B", &[1], &[1]);
        let said = said.lock().unwrap();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(
            said[0].contains("Could not write the TLS key log"),
            "{said:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
