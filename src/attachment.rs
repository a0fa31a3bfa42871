//! A file read as an attachment, at most [`MAX_ATTACHMENT`] bytes: the composer's (on a job
//! thread) and `mailtutor send --attach`'s.

use std::io::Read;
use std::path::Path;

use crate::proto::mime::{Attachment, MAX_ATTACHMENT};
use crate::words::Words;

/// Reads a file, refusing one over [`MAX_ATTACHMENT`] without reading it all (disk I/O: the
/// window calls it on a job thread).
pub fn read(path: &Path) -> Result<Attachment, Words> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let fail = |e: std::io::Error| {
        Words::new("mime.file.unreadable")
            .arg("name", path.display())
            .arg("error", e)
    };
    let f = std::fs::File::open(path).map_err(fail)?;
    let mut bytes = Vec::new();
    // One byte more than allowed says the file is too big, whatever its metadata claims.
    f.take(MAX_ATTACHMENT + 1)
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > MAX_ATTACHMENT {
        return Err(too_big(&name));
    }
    Ok(Attachment::new(name, bytes))
}

/// A file over the cap, refused in words.
pub fn too_big(name: &str) -> Words {
    Words::new("mime.file.too_big")
        .arg("name", name)
        .arg("max", MAX_ATTACHMENT / (1024 * 1024))
}
