//! Saving a session as a pcapng capture from the command line (`send --pcap`,
//! `explain --format pcapng`): the file written, or why not, said in words on stderr.

use std::io::Write;
use std::path::Path;

use mailtutor::capture::{CaptureFile, pcapng_of};
use mailtutor::proto::Lang;
use mailtutor::proto::line::printable;
use mailtutor::transcript::Transcript;
use mailtutor::words::Words;

/// The transcript as a capture, or the words that say why there is none.
pub fn capture(t: &Transcript, lang: Lang, show_secrets: bool) -> Result<CaptureFile, Words> {
    pcapng_of(t, lang, show_secrets).map_err(|e| e.words())
}

/// Writes the transcript's capture to `path` and says so (and that it stops at TLS, if it
/// does); false, with the reason said, when nothing was written.
pub fn save(path: &Path, t: &Transcript, lang: Lang, show_secrets: bool) -> bool {
    let file = match capture(t, lang, show_secrets) {
        Ok(f) => f,
        Err(why) => {
            eprintln!("mailtutor: {}", printable(&why.get(lang)));
            return false;
        }
    };
    if let Err(e) = std::fs::write(path, &file.bytes) {
        let why = Words::new("capture.cannot_write")
            .arg("path", path.display())
            .arg("text", e);
        eprintln!("mailtutor: {}", printable(&why.get(lang)));
        return false;
    }
    said(&file, lang);
    let done = Words::new("capture.saved").arg("path", path.display());
    eprintln!("{}", printable(&done.get(lang)));
    true
}

/// Writes the capture to standard output, unless that is a terminal.
pub fn to_stdout(file: &CaptureFile, lang: Lang) -> bool {
    use std::io::IsTerminal;
    let mut out = std::io::stdout().lock();
    if out.is_terminal() {
        eprintln!("mailtutor: {}", Words::new("capture.terminal").get(lang));
        return false;
    }
    if let Err(e) = out.write_all(&file.bytes).and_then(|()| out.flush()) {
        let why = Words::new("capture.cannot_write")
            .arg("path", "-")
            .arg("text", e);
        eprintln!("mailtutor: {}", printable(&why.get(lang)));
        return false;
    }
    said(file, lang);
    true
}

/// Says that the capture stops where TLS began, when it does.
fn said(file: &CaptureFile, lang: Lang) {
    if let Some(n) = file.notice() {
        eprintln!("{}", printable(&n.get(lang)));
    }
}
