//! One Maildir per account under a data directory (the layout of maildir(5): tmp/, new/, cur/),
//! with durable delivery and POP3 maildrop locks.

use crate::server::accounts::address_key;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A short unique id for a queued message, as the `250 … queued as <id>` reply shows it.
pub fn new_queue_id() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{:X}{:05X}", now.as_secs(), n & 0xfffff)
}

/// A message as POP3 sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    /// The file name up to any `:2,` (or `;2,`) flags: unique and stable, so it serves as the
    /// UIDL.
    pub uid: String,
    pub path: PathBuf,
    pub size: u64,
}

/// The store: `<root>/<address>/{tmp,new,cur}`.
#[derive(Debug, Clone)]
pub struct Maildir {
    root: PathBuf,
}

/// A directory name for an address, safe on every file system (NTFS included) and one to one:
/// the address is normalised as the accounts are ([`address_key`]); letters, digits and
/// `@.-_+` stay, every other character becomes `%<hex code point>%` (`%` itself included), so
/// two addresses never share a maildrop (`张三@x` and `李四@x` stay apart). A name too long for
/// a file system keeps its start and ends in a hash of the whole.
fn dir_name(address: &str) -> String {
    let mut out = String::new();
    for c in address_key(address).chars() {
        if c.is_ascii_alphanumeric() || "@.-_+".contains(c) {
            out.push(c);
        } else {
            out.push_str(&format!("%{:x}%", u32::from(c)));
        }
    }
    if out.len() > MAX_DIR_NAME {
        use sha2::{Digest, Sha256};
        let hash = Sha256::digest(out.as_bytes());
        let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
        out.truncate(MAX_DIR_NAME - hex.len() - 1);
        out.push('~');
        out.push_str(&hex);
    }
    out
}

/// The longest maildrop directory name, in bytes (file systems allow 255).
const MAX_DIR_NAME: usize = 120;

/// Makes the rename of a new file durable (a no-op where directories cannot be opened).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// How old a file in `tmp/` must be to count as the leftover of a crashed delivery. Another
/// process (the window and `serve` may share a data directory) can be writing the newest ones;
/// qmail's maildir(5) uses the same 36 hours.
pub const TMP_LEFTOVER_AGE: Duration = Duration::from_secs(36 * 60 * 60);

impl Maildir {
    /// Opens (creating) the store and removes leftovers of deliveries that a crash cut short:
    /// files in any account's `tmp/` older than [`TMP_LEFTOVER_AGE`]. They were never
    /// acknowledged, since a message is renamed into `new/` before its 250.
    pub fn open(root: &Path) -> io::Result<Self> {
        fs::create_dir_all(root)?;
        let store = Self {
            root: root.to_path_buf(),
        };
        store.remove_tmp_leftovers(TMP_LEFTOVER_AGE);
        Ok(store)
    }

    /// Removes files in every account's `tmp/` not modified for `age`; returns how many.
    pub fn remove_tmp_leftovers(&self, age: Duration) -> usize {
        let Ok(accounts) = fs::read_dir(&self.root) else {
            return 0;
        };
        let mut removed = 0;
        for account in accounts.flatten() {
            let Ok(files) = fs::read_dir(account.path().join("tmp")) else {
                continue;
            };
            for f in files.flatten() {
                let old = f
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|e| e >= age);
                if old && fs::remove_file(f.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        removed
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The Maildir of one account, created on first use. New directories are durable only
    /// once the directories holding them are fsynced, so a first delivery to an account
    /// cannot lose its whole maildrop in a crash after its 250.
    pub fn mailbox(&self, address: &str) -> io::Result<PathBuf> {
        let dir = self.root.join(dir_name(address));
        let subs = ["tmp", "new", "cur"];
        if subs.iter().all(|s| dir.join(s).is_dir()) {
            return Ok(dir);
        }
        let fresh = !dir.is_dir();
        for sub in subs {
            fs::create_dir_all(dir.join(sub))?;
        }
        sync_dir(&dir)?;
        if fresh {
            sync_dir(&self.root)?;
        }
        Ok(dir)
    }

    /// Stores one copy per recipient. Each copy is written to tmp/, fsynced, renamed into
    /// new/, and the directory fsynced, so a message is on disk before this returns; a failure
    /// leaves nothing in new/.
    pub fn deliver(&self, queue_id: &str, recipients: &[String], message: &[u8]) -> io::Result<()> {
        let mut written = Vec::new();
        for (i, rcpt) in recipients.iter().enumerate() {
            let dir = self.mailbox(rcpt)?;
            let name = fresh_name(queue_id, i);
            let dest = dir.join("new").join(&name);
            if let Err(e) =
                write_durably(&dir, &name, &dest, message).and_then(|()| sync_dir(&dir.join("new")))
            {
                undo(written);
                return Err(e);
            }
            written.push(dest);
        }
        Ok(())
    }

    /// Messages in new/ and cur/ of INBOX, oldest first.
    pub fn list(&self, address: &str) -> io::Result<Vec<StoredMessage>> {
        list_in(&self.mailbox(address)?)
    }

    pub fn read(&self, msg: &StoredMessage) -> io::Result<Vec<u8>> {
        fs::read(&msg.path)
    }

    /// Removes a message. Where another session renamed it since it was listed (new flags,
    /// or moved from new/ to cur/), the file is found again by its unique name.
    pub fn delete(&self, msg: &StoredMessage) -> io::Result<()> {
        let path = match fs::metadata(&msg.path) {
            Ok(_) => msg.path.clone(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => match current_path(msg) {
                Some(p) => p,
                None => return Ok(()),
            },
            Err(e) => return Err(e),
        };
        match fs::remove_file(path) {
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
            other => other,
        }
    }

    /// Adds \Seen to a message's flags (after POP3 sent it whole), wherever it is now.
    pub fn mark_seen(&self, msg: &StoredMessage) -> io::Result<()> {
        let Some(path) = current_path(msg) else {
            return Ok(());
        };
        let letters = flags_of(&path);
        if letters.contains('S') {
            return Ok(());
        }
        let mut all: Vec<char> = letters.chars().chain(['S']).collect();
        all.sort_unstable();
        let now = StoredMessage {
            path,
            ..msg.clone()
        };
        self.set_flags(&now, &all.into_iter().collect::<String>())
            .map(|_| ())
    }
}

/// Writes `bytes` to `dir/tmp/name`, fsyncs it and renames it to `dest` (maildir(5)'s
/// delivery); on failure nothing is left in tmp/.
fn write_durably(dir: &Path, name: &str, dest: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join("tmp").join(name);
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, dest)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes the files a batch wrote before one of it failed, so a batch is all or nothing.
fn undo(written: Vec<PathBuf>) {
    for p in written {
        let _ = fs::remove_file(p);
    }
}

/// A new message file name, unique and zero-padded so that names sort in delivery order
/// (POP3 numbers and IMAP UIDs follow it).
fn fresh_name(queue_id: &str, i: usize) -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:010}.M{:06}P{}Q{:010}R{}_{queue_id}.mailtutor",
        now.as_secs(),
        now.subsec_micros(),
        std::process::id(),
        n,
        i
    )
}

/// Where a message's file is now: its listed path, or the file in new/ or cur/ of its Maildir
/// with the same unique name and other flags.
fn current_path(msg: &StoredMessage) -> Option<PathBuf> {
    if msg.path.is_file() {
        return Some(msg.path.clone());
    }
    let dir = msg.path.parent()?.parent()?;
    ["cur", "new"].iter().find_map(|sub| {
        fs::read_dir(dir.join(sub)).ok()?.flatten().find_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let uid = name.split([':', ';']).next().unwrap_or(&name);
            (uid == msg.uid).then(|| e.path())
        })
    })
}

/// Messages in new/ and cur/ of one Maildir, oldest first.
fn list_in(dir: &Path) -> io::Result<Vec<StoredMessage>> {
    let mut out = Vec::new();
    for sub in ["cur", "new"] {
        for entry in fs::read_dir(dir.join(sub))? {
            let entry = entry?;
            let meta = entry.metadata()?;
            if !meta.is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            // Flags follow `:` (or `;` where `:` is not allowed in a file name, as on
            // Windows).
            let uid = name.split([':', ';']).next().unwrap_or(&name).to_owned();
            out.push(StoredMessage {
                uid,
                path: entry.path(),
                size: meta.len(),
            });
        }
    }
    out.sort_by(|a, b| a.uid.cmp(&b.uid));
    Ok(out)
}

/// A message as IMAP sees it: its UID, its Maildir flag letters (`S`, `T` …) and whether it
/// is new since the mailbox was last selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapStored {
    pub uid: u32,
    pub stored: StoredMessage,
    pub flags: String,
    pub recent: bool,
    /// When the message was delivered (the file's time): IMAP's INTERNALDATE.
    pub received: SystemTime,
}

/// A maildrop as an IMAP mailbox: INBOX with its UIDVALIDITY and UIDNEXT (RFC 3501 §2.3.1.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImapMailbox {
    pub uid_validity: u32,
    pub uid_next: u32,
    pub messages: Vec<ImapStored>,
}

/// Where a maildrop keeps its IMAP UIDs: `validity next` on the first line, then `uid name`.
const UID_FILE: &str = ".imap-uids";

/// The separator before a Maildir file name's flags (`:2,` where the file system allows `:`).
#[cfg(windows)]
const INFO: &str = ";2,";
#[cfg(not(windows))]
const INFO: &str = ":2,";

/// The flags a Maildir file name carries (maildir(5): the letters after `:2,`), with the IMAP
/// system flag each stands for.
pub const MAILDIR_FLAGS: [(char, &str); 5] = [
    ('D', "\\Draft"),
    ('F', "\\Flagged"),
    ('R', "\\Answered"),
    ('S', "\\Seen"),
    ('T', "\\Deleted"),
];

/// A stored message's IMAP flags, as its file name keeps them (`\Seen \Flagged`).
pub fn flag_names(msg: &StoredMessage) -> Vec<&'static str> {
    let letters = flags_of(&msg.path);
    MAILDIR_FLAGS
        .iter()
        .filter(|(c, _)| letters.contains(*c))
        .map(|(_, n)| *n)
        .collect()
}

fn flags_of(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.split_once(":2,")
        .or_else(|| name.split_once(";2,"))
        .map(|(_, f)| f.chars().filter(char::is_ascii_uppercase).collect())
        .unwrap_or_default()
}

/// The folders every maildrop has beside INBOX, with their RFC 6154 special-use attribute:
/// the names Dovecot's example configuration gives them.
pub const DEFAULT_FOLDERS: [(&str, &str); 3] = [
    ("Drafts", "\\Drafts"),
    ("Sent", "\\Sent"),
    ("Trash", "\\Trash"),
];

/// Marks a maildrop whose default folders were made once: a folder the user deletes stays
/// deleted.
const FOLDERS_MADE: &str = ".imap-folders";

/// Why a folder cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderError {
    /// No such folder.
    Missing,
    /// A folder by that name exists already (CREATE).
    Exists,
    /// A name this store cannot keep: it says why.
    Name(&'static str),
    /// The disk's own words.
    Io(String),
}

impl From<io::Error> for FolderError {
    fn from(e: io::Error) -> Self {
        FolderError::Io(e.to_string())
    }
}

/// Whether `name` can be a folder: INBOX is the maildrop itself; another folder is a
/// Maildir++ subfolder `.<name>`, so the name must be a safe directory name on every file
/// system. Modified UTF-7 (RFC 3501 §5.1.3) keeps non-ASCII names to letters, digits and
/// `&+,-`.
fn check_folder_name(name: &str) -> Result<(), FolderError> {
    if name.is_empty() || name.len() > 100 {
        return Err(FolderError::Name("a folder name has 1 to 100 characters"));
    }
    if name.contains(['/', '.']) {
        return Err(FolderError::Name(
            "folders inside folders are not kept here: use a name without '/' or '.'",
        ));
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || " -_&+,".contains(c))
        || name.starts_with(' ')
        || name.ends_with(' ')
    {
        return Err(FolderError::Name(
            "use letters, digits, spaces, '-' and '_' (other characters in modified UTF-7)",
        ));
    }
    Ok(())
}

fn is_maildir(dir: &Path) -> bool {
    ["tmp", "new", "cur"].iter().all(|s| dir.join(s).is_dir())
}

fn make_maildir(dir: &Path) -> io::Result<()> {
    for sub in ["tmp", "new", "cur"] {
        fs::create_dir_all(dir.join(sub))?;
    }
    // Maildir++ marks a subfolder with an empty `maildirfolder` file.
    File::create(dir.join("maildirfolder"))?;
    sync_dir(dir)
}

impl Maildir {
    /// The maildrop with its default folders, made the first time.
    fn maildrop_with_folders(&self, address: &str) -> io::Result<PathBuf> {
        let dir = self.mailbox(address)?;
        if !dir.join(FOLDERS_MADE).exists() {
            for (name, _) in DEFAULT_FOLDERS {
                let sub = dir.join(format!(".{name}"));
                if !is_maildir(&sub) {
                    make_maildir(&sub)?;
                }
            }
            File::create(dir.join(FOLDERS_MADE))?;
            sync_dir(&dir)?;
        }
        Ok(dir)
    }

    /// The directory of a folder (INBOX, case-blind, is the maildrop).
    pub fn folder(&self, address: &str, name: &str) -> Result<PathBuf, FolderError> {
        let dir = self.maildrop_with_folders(address)?;
        if name.eq_ignore_ascii_case("INBOX") {
            return Ok(dir);
        }
        check_folder_name(name).map_err(|_| FolderError::Missing)?;
        let sub = dir.join(format!(".{name}"));
        if is_maildir(&sub) {
            Ok(sub)
        } else {
            Err(FolderError::Missing)
        }
    }

    /// INBOX and the folders beside it, INBOX first, the rest by name.
    pub fn folders(&self, address: &str) -> Result<Vec<String>, FolderError> {
        let dir = self.maildrop_with_folders(address)?;
        let mut names = Vec::new();
        for entry in fs::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if let Some(folder) = name.strip_prefix('.')
                && check_folder_name(folder).is_ok()
                && is_maildir(&entry.path())
            {
                names.push(folder.to_owned());
            }
        }
        names.sort();
        names.insert(0, "INBOX".to_owned());
        Ok(names)
    }

    /// Makes a folder (IMAP CREATE).
    pub fn create_folder(&self, address: &str, name: &str) -> Result<(), FolderError> {
        if name.eq_ignore_ascii_case("INBOX") {
            return Err(FolderError::Exists);
        }
        check_folder_name(name)?;
        let dir = self.maildrop_with_folders(address)?;
        let sub = dir.join(format!(".{name}"));
        if sub.exists() {
            return Err(FolderError::Exists);
        }
        make_maildir(&sub)?;
        sync_dir(&dir)?;
        Ok(())
    }

    /// Moves every message of INBOX into `folder` (made if missing), flags and names kept, so
    /// that a lesson starts from its own mail and nothing is lost. A maildrop a POP3 session
    /// holds is left as it is. Returns how many messages moved.
    pub fn set_aside(&self, address: &str, folder: &str) -> io::Result<usize> {
        let Some(_lock) = self.try_lock(address)? else {
            return Ok(0);
        };
        let messages = self.list(address)?;
        if messages.is_empty() {
            return Ok(0);
        }
        let dest = match self.folder(address, folder) {
            Ok(d) => d,
            Err(FolderError::Missing) => {
                self.create_folder(address, folder)
                    .map_err(|e| io::Error::other(format!("{e:?}")))?;
                self.folder(address, folder)
                    .map_err(|e| io::Error::other(format!("{e:?}")))?
            }
            Err(e) => return Err(io::Error::other(format!("{e:?}"))),
        };
        let mut moved = 0;
        for m in messages {
            let name = m
                .path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // A message from new/ gets the Maildir info part it has in cur/.
            let name = if name.contains(INFO) {
                name
            } else {
                format!("{name}{INFO}")
            };
            fs::rename(&m.path, dest.join("cur").join(name))?;
            moved += 1;
        }
        sync_dir(&dest.join("cur"))?;
        Ok(moved)
    }

    /// Removes a folder and the messages in it (IMAP DELETE). INBOX cannot be removed.
    pub fn delete_folder(&self, address: &str, name: &str) -> Result<(), FolderError> {
        if name.eq_ignore_ascii_case("INBOX") {
            return Err(FolderError::Name("INBOX cannot be deleted"));
        }
        let sub = self.folder(address, name)?;
        fs::remove_dir_all(&sub)?;
        Ok(())
    }

    /// Writes messages into a folder with their flag letters (IMAP COPY, MOVE's copy half and
    /// APPEND): each is written to tmp/, fsynced, and renamed into cur/, so it is on disk
    /// before this returns; a failure leaves none of them.
    pub fn put(
        &self,
        address: &str,
        folder: &str,
        messages: &[(Vec<u8>, String)],
    ) -> Result<(), FolderError> {
        let dir = self.folder(address, folder)?;
        let id = new_queue_id();
        let mut written = Vec::new();
        for (i, (bytes, letters)) in messages.iter().enumerate() {
            let name = fresh_name(&id, i);
            let dest = dir.join("cur").join(format!("{name}{INFO}{letters}"));
            if let Err(e) = write_durably(&dir, &name, &dest, bytes) {
                undo(written);
                return Err(e.into());
            }
            written.push(dest);
        }
        sync_dir(&dir.join("cur"))?;
        Ok(())
    }

    /// The messages of one folder, oldest first.
    pub fn list_folder(
        &self,
        address: &str,
        folder: &str,
    ) -> Result<Vec<StoredMessage>, FolderError> {
        Ok(list_in(&self.folder(address, folder)?)?)
    }

    /// A folder as an IMAP mailbox; see [`imap_open_dir`].
    pub fn imap_open_folder(
        &self,
        address: &str,
        folder: &str,
        claim_recent: bool,
    ) -> Result<ImapMailbox, FolderError> {
        let dir = self.folder(address, folder)?;
        Ok(imap_open_dir(&dir, claim_recent)?)
    }

    /// The maildrop (INBOX) as an IMAP mailbox; see [`imap_open_dir`].
    pub fn imap_open(&self, address: &str, claim_recent: bool) -> io::Result<ImapMailbox> {
        imap_open_dir(&self.mailbox(address)?, claim_recent)
    }
}

/// One Maildir as an IMAP mailbox: UIDs are kept in a small file beside the messages, so a
/// message keeps its UID across sessions; a message delivered since is given the next one.
/// With `claim_recent` (SELECT), messages in `new/` move to `cur/`, as a mail client moves
/// what it has seen (maildir(5)); they are \Recent in this session only.
fn imap_open_dir(dir: &Path, claim_recent: bool) -> io::Result<ImapMailbox> {
    let list = list_in(dir)?;
    let kept = fs::read_to_string(dir.join(UID_FILE)).unwrap_or_default();
    let mut lines = kept.lines();
    let head: Vec<u32> = lines
        .next()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    let (uid_validity, mut uid_next) = match head.as_slice() {
        [v, n] if *v > 0 && *n > 0 => (*v, *n),
        // New (or unreadable): a fresh UIDVALIDITY, so no client trusts old UIDs.
        _ => ((now % u64::from(u32::MAX)).max(1) as u32, 1),
    };
    let known: std::collections::HashMap<&str, u32> = lines
        .filter_map(|l| {
            let (uid, name) = l.split_once(' ')?;
            Some((name, uid.parse().ok()?))
        })
        .collect();
    let mut messages = Vec::new();
    let mut changed = head.len() != 2;
    for msg in list {
        let recent = msg.path.parent().is_some_and(|p| p.ends_with("new"));
        let uid = match known.get(msg.uid.as_str()) {
            Some(&u) => u,
            None => {
                changed = true;
                uid_next += 1;
                uid_next - 1
            }
        };
        let received = fs::metadata(&msg.path)
            .and_then(|m| m.modified())
            .unwrap_or(UNIX_EPOCH);
        let mut stored = msg;
        if recent && claim_recent {
            let dest = dir.join("cur").join(format!("{}{INFO}", stored.uid));
            fs::rename(&stored.path, &dest)?;
            stored.path = dest;
        }
        messages.push(ImapStored {
            uid,
            flags: flags_of(&stored.path),
            stored,
            recent,
            received,
        });
    }
    // UIDs ascend with the delivery order, which the names keep.
    messages.sort_by_key(|m| m.uid);
    if changed || known.len() != messages.len() {
        let mut text = format!("{uid_validity} {uid_next}\n");
        for m in &messages {
            text.push_str(&format!("{} {}\n", m.uid, m.stored.uid));
        }
        let tmp = dir.join(format!("{UID_FILE}.tmp"));
        fs::write(&tmp, text)?;
        fs::rename(&tmp, dir.join(UID_FILE))?;
    }
    Ok(ImapMailbox {
        uid_validity,
        uid_next,
        messages,
    })
}

impl Maildir {
    /// Gives a message these flag letters: it moves to `cur/` under `name:2,LETTERS`.
    pub fn set_flags(&self, msg: &StoredMessage, letters: &str) -> io::Result<StoredMessage> {
        let dir = msg
            .path
            .parent()
            .and_then(Path::parent)
            .ok_or_else(|| io::Error::other("a message outside a maildrop"))?;
        let dest = dir.join("cur").join(format!("{}{INFO}{letters}", msg.uid));
        if dest != msg.path {
            fs::rename(&msg.path, &dest)?;
        }
        Ok(StoredMessage {
            path: dest,
            ..msg.clone()
        })
    }
}

/// A POP3 session's hold on a maildrop (RFC 1939 §8: one session at a time). It is an OS
/// file lock on `.pop3.lock` in the maildrop, so two processes on one data directory (the
/// window, `serve`, `send`) exclude each other too. Released when dropped, or when the
/// process dies.
#[derive(Debug)]
pub struct LockGuard {
    _file: File,
}

impl Maildir {
    /// The maildrop's lock, or `None` while another session (in any process) holds it.
    pub fn try_lock(&self, address: &str) -> io::Result<Option<LockGuard>> {
        let path = self.mailbox(address)?.join(".pop3.lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(LockGuard { _file: file })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(name: &str) -> (PathBuf, Maildir) {
        let root = temp(name);
        let md = Maildir::open(&root).unwrap();
        (root, md)
    }

    fn temp(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mt-md-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        d
    }

    #[test]
    fn deliver_list_read_delete() {
        let root = temp("dl");
        let md = Maildir::open(&root).unwrap();
        let rcpts = vec!["a@x.test".to_string(), "B@x.test".to_string()];
        let id = md.deliver(&new_queue_id(), &rcpts, b"Subject: hi\r\n\r\nbody\r\n");
        assert!(id.is_ok());
        let a = md.list("a@x.test").unwrap_or_default();
        let b = md.list("b@x.test").unwrap_or_default();
        assert_eq!((a.len(), b.len()), (1, 1));
        assert_eq!(a[0].size, 21);
        assert_eq!(
            md.read(&a[0]).ok(),
            Some(b"Subject: hi\r\n\r\nbody\r\n".to_vec())
        );
        assert!(fs::read_dir(root.join("a@x.test/tmp")).is_ok_and(|d| d.count() == 0));
        assert!(md.delete(&a[0]).is_ok());
        assert!(md.list("a@x.test").is_ok_and(|l| l.is_empty()));
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn listed_in_delivery_order() {
        let root = temp("order");
        let md = Maildir::open(&root).unwrap();
        let rcpt = vec!["a@x.test".to_string()];
        for i in 0..30 {
            let _ = md.deliver(&new_queue_id(), &rcpt, format!("n: {i}\r\n").as_bytes());
        }
        let got: Vec<Vec<u8>> = md
            .list("a@x.test")
            .unwrap_or_default()
            .iter()
            .filter_map(|m| md.read(m).ok())
            .collect();
        let want: Vec<Vec<u8>> = (0..30)
            .map(|i| format!("n: {i}\r\n").into_bytes())
            .collect();
        assert_eq!(got, want);
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn one_lock_per_maildrop_even_across_stores() {
        let (root, md) = store("lock");
        // A second store on the same directory stands for a second process.
        let other = Maildir::open(&root).unwrap();
        let g = md.try_lock("a@x.test").ok().flatten();
        assert!(g.is_some());
        assert!(md.try_lock("A@x.test").is_ok_and(|l| l.is_none()));
        assert!(other.try_lock("a@x.test").is_ok_and(|l| l.is_none()));
        assert!(other.try_lock("b@x.test").is_ok_and(|l| l.is_some()));
        drop(g);
        assert!(other.try_lock("a@x.test").is_ok_and(|l| l.is_some()));
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn odd_addresses_make_safe_names() {
        assert_eq!(dir_name("../evil/x@y"), "..%2f%evil%2f%x@y");
        // Nothing Windows forbids in a file name survives.
        let name = dir_name("a<>:\"/\\|?*b@x.test");
        assert!(
            !name.contains(['<', '>', ':', '"', '/', '\\', '|', '?', '*']),
            "{name}"
        );
        // Addresses in Chinese keep maildrops of their own.
        assert_eq!(
            dir_name("张三@mailtutor.test"),
            "%5f20%%4e09%@mailtutor.test"
        );
        assert_ne!(dir_name("张三@x.test"), dir_name("李四@x.test"));
        assert_eq!(dir_name("Student@X.test"), "student@x.test");
        // One to one: an escape cannot be spelt by an address.
        assert_ne!(dir_name("_e9_@x.test"), dir_name("é@x.test"));
        assert_ne!(dir_name("%e9%@x.test"), dir_name("é@x.test"));
        // The accounts' normalisation: the Kelvin sign is a k, É an é.
        assert_eq!(dir_name("\u{212a}ate@x.test"), dir_name("kate@x.test"));
        assert_eq!(dir_name("É@x.test"), dir_name("é@x.test"));
        // Long names fit every file system, and stay apart.
        let long = |c: &str| dir_name(&format!("{}@x.test", c.repeat(200)));
        assert!(long("张").len() <= MAX_DIR_NAME && long("李").len() <= MAX_DIR_NAME);
        assert_ne!(long("张"), long("李"));
    }

    #[test]
    fn chinese_addresses_get_their_own_mail() {
        let (root, md) = store("zh");
        md.deliver(&new_queue_id(), &["张三@x.test".to_owned()], b"a\r\n")
            .unwrap();
        md.deliver(&new_queue_id(), &["李四@x.test".to_owned()], b"b\r\n")
            .unwrap();
        for who in ["张三@x.test", "李四@x.test"] {
            assert_eq!(md.list(who).map(|l| l.len()).unwrap_or(0), 1, "{who}");
        }
        let _ = fs::remove_dir_all(&root);
    }

    #[test]
    fn flags_after_a_semicolon_are_not_part_of_the_uid() {
        let (root, md) = store("semi");
        md.deliver(&new_queue_id(), &["a@x.test".to_owned()], b"a\r\n")
            .unwrap();
        let before = md.list("a@x.test").unwrap_or_default();
        let m = &before[0];
        let cur = m
            .path
            .parent()
            .and_then(|p| p.parent())
            .map(|p| p.join("cur").join(format!("{};2,S", m.uid)))
            .unwrap_or_default();
        std::fs::rename(&m.path, &cur).unwrap();
        let after = md.list("a@x.test").unwrap_or_default();
        assert_eq!(after[0].uid, m.uid);
        let _ = fs::remove_dir_all(&root);
    }
}
