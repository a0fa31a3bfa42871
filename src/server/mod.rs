//! The built-in practice server: SMTP and POP3 over one Maildir store, with STARTTLS and
//! implicit TLS, AUTH, limits and staged faults. One thread per connection, blocked in
//! `read` while the client is idle, so idle connections cost no CPU.

pub mod accounts;
mod conn;
pub mod events;
pub mod faults;
pub mod imap;
pub mod keylog;
pub mod lab;
pub mod maildir;
pub mod persona;
pub mod pop3;
pub mod roster;
pub mod smtp;
pub mod tls;

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub use accounts::{Account, Accounts, LiveAccounts};
pub use events::{EventSink, ServerEvent, ServerEventKind, Service, Side};
pub use faults::{Fault, FaultKind, Faults};
pub use maildir::FolderError;
use maildir::{Maildir, StoredMessage};
pub use persona::PersonaId;
use tls::TlsIdentity;

/// What a protocol session asks its connection to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Bytes to send; each line is logged.
    Reply(Vec<u8>),
    /// Bytes to send without logging each line (a message body; a summary is logged instead).
    QuietReply(Vec<u8>),
    /// A line for the session log: what the client sent (passwords masked) or what the
    /// server sent.
    Log(Side, String),
    /// A line of the session log in words, read in the reader's language: a note, or a
    /// summary of what one side sent (`[message: 120 octets, 5 lines] .`).
    Said(Side, crate::words::Words),
    /// The client logged in as this account.
    LoggedIn(String),
    /// The client read this many messages' bodies (IMAP FETCH of a message or its text; POP3
    /// RETR counts from its store read).
    Retrieved(usize),
    /// Run the TLS handshake now (after the reply that said so).
    StartTls,
    /// Do this work on the mail store, then hand the result to
    /// [`ServerSession::store_done`]. A session asks for one piece of work at a time, as its
    /// last output, and reads no further input until it has the answer.
    Store(StoreRequest),
    /// Close the connection.
    Close,
}

/// Work on the Maildir store that a session needs done; the session itself touches no disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreRequest {
    /// Write a message (its `Received:` line included) into each recipient's `new/`, durably,
    /// before the 250 goes out.
    Deliver {
        id: String,
        recipients: Vec<String>,
        message: Vec<u8>,
    },
    /// Lock a maildrop for this connection and list it (POP3 PASS).
    Open { address: String },
    /// Read one message (POP3 RETR and TOP).
    Read(StoredMessage),
    /// Remove these messages, mark `seen` ones \Seen, and release the lock (POP3 QUIT in the
    /// TRANSACTION state, IMAP EXPUNGE and CLOSE).
    Commit {
        delete: Vec<StoredMessage>,
        seen: Vec<StoredMessage>,
    },
    /// Open a folder of a maildrop as an IMAP mailbox (SELECT, EXAMINE, STATUS);
    /// `claim_recent` moves what is in `new/` to `cur/`.
    ImapOpen {
        address: String,
        folder: String,
        claim_recent: bool,
    },
    /// List a maildrop's folders (IMAP LIST), after making or removing one (CREATE, DELETE).
    ImapFolders {
        address: String,
        change: Option<FolderChange>,
    },
    /// Copy messages, with these flag letters, into a folder (IMAP COPY and MOVE).
    ImapCopy {
        address: String,
        folder: String,
        messages: Vec<(StoredMessage, String)>,
    },
    /// Add a message with these flag letters to a folder (IMAP APPEND).
    ImapAppend {
        address: String,
        folder: String,
        message: Vec<u8>,
        letters: String,
    },
    /// Read several messages (IMAP FETCH and SEARCH).
    ReadMany(Vec<StoredMessage>),
    /// Give each message these Maildir flag letters (IMAP STORE, and FETCH's \Seen).
    SetFlags(Vec<(StoredMessage, String)>),
}

/// A folder made or removed (IMAP CREATE and DELETE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderChange {
    Create(String),
    Delete(String),
}

/// The answer to a [`StoreRequest`]; errors are the store's own words, for the log and reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreResult {
    Delivered(Result<(), String>),
    /// `Ok(None)`: another session holds the maildrop.
    Opened(Result<Option<Vec<StoredMessage>>, String>),
    Read(Result<Vec<u8>, String>),
    Committed {
        removed: usize,
        failed: usize,
    },
    ImapOpened(Result<maildir::ImapMailbox, FolderError>),
    /// The folders after a change, INBOX first.
    Folders(Result<Vec<String>, FolderError>),
    /// Messages written into a folder (COPY, MOVE, APPEND).
    Put(Result<(), FolderError>),
    ReadMany(Result<Vec<Vec<u8>>, String>),
    /// Each message's new place, or `None` where its flags could not be written.
    FlagsSet(Vec<Option<StoredMessage>>),
}

/// The longest reply line, CRLF included (RFC 5321 §4.5.3.1.5; RFC 1939 §3 for POP3).
pub const MAX_REPLY_LINE: usize = 512;

/// Cuts a reply line that echoes what the client sent to [`MAX_REPLY_LINE`] with its CRLF,
/// at a character boundary, ending it in `...`.
pub(crate) fn clip_reply_line(line: &str) -> String {
    let room = MAX_REPLY_LINE - 2;
    if line.len() <= room {
        return line.to_owned();
    }
    let mut end = room - 3;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &line[..end])
}

/// Telnet's "interpret as command" byte (RFC 854), which starts every negotiation.
const IAC: u8 = 0xFF;

/// The Telnet option negotiation in a command line (RFC 854, RFC 855): a Telnet client (PuTTY
/// with its connection type Telnet) sends `IAC WILL NAWS`, `IAC DO ECHO` … as it connects, and
/// a mail port reads those bytes as the start of the first command. Returns each sequence by
/// name and the line without them; `None` when the line holds no negotiation.
pub(crate) fn telnet_negotiation(line: &[u8]) -> Option<(Vec<String>, Vec<u8>)> {
    if !line.contains(&IAC) {
        return None;
    }
    let mut names = Vec::new();
    let mut rest = Vec::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if line[i] != IAC {
            rest.push(line[i]);
            i += 1;
            continue;
        }
        let command = line.get(i + 1).copied();
        match command {
            // IAC IAC is one data byte 255.
            Some(IAC) => {
                rest.push(IAC);
                i += 2;
            }
            Some(verb @ 251..=254) => {
                let verb = ["WILL", "WONT", "DO", "DONT"][usize::from(verb - 251)];
                let option = line
                    .get(i + 2)
                    .map_or("?".to_owned(), |&o| telnet_option(o));
                names.push(format!("IAC {verb} {option}"));
                i += 3;
            }
            // Subnegotiation: IAC SB option … IAC SE.
            Some(250) => {
                let option = line
                    .get(i + 2)
                    .map_or("?".to_owned(), |&o| telnet_option(o));
                names.push(format!("IAC SB {option} … IAC SE"));
                let end = line[i + 2..]
                    .windows(2)
                    .position(|w| w == [IAC, 240])
                    .map_or(line.len(), |p| i + 2 + p + 2);
                i = end;
            }
            Some(c @ 240..=249) => {
                let name = [
                    "SE", "NOP", "DM", "BRK", "IP", "AO", "AYT", "EC", "EL", "GA",
                ][usize::from(c - 240)];
                names.push(format!("IAC {name}"));
                i += 2;
            }
            _ => {
                names.push("IAC".to_owned());
                i += 1;
            }
        }
    }
    (!names.is_empty()).then_some((names, rest))
}

/// A Telnet option's name (the IANA Telnet options registry), or its number.
fn telnet_option(option: u8) -> String {
    match option {
        0 => "BINARY",
        1 => "ECHO",
        3 => "SGA",
        5 => "STATUS",
        6 => "TIMING-MARK",
        24 => "TTYPE",
        31 => "NAWS",
        32 => "TSPEED",
        33 => "LFLOW",
        34 => "LINEMODE",
        35 => "XDISPLOC",
        36 => "ENVIRON",
        39 => "NEW-ENVIRON",
        n => return n.to_string(),
    }
    .to_owned()
}

/// The reply to a command line that began with Telnet negotiation: what arrived, named, and
/// that the command must be typed again over a raw connection (the caller adds the code and
/// clips the line). The command is not run: the student sees why the first line failed.
/// Logged for the teacher too.
pub(crate) fn refuse_telnet(
    names: &[String],
    rest: &[u8],
    protocol: &str,
    out: &mut Vec<Output>,
) -> String {
    let command = String::from_utf8_lossy(rest);
    let command = crate::proto::line::escaped_line(command.trim().as_bytes());
    let command = crate::proto::secret::quoted(&command);
    out.push(Output::Said(
        Side::Note,
        crate::words::Words::new("srvlog.telnet")
            .arg("negotiation", names.join(", "))
            .arg("command", &command),
    ));
    format!(
        "Telnet negotiation ({}) before \"{command}\": this port speaks {protocol}, not Telnet; \
         connect raw (PuTTY: Connection type Raw) and type the command again",
        names.join(", ")
    )
}

/// A command line as a session reads it: logged (passwords masked), and returned as text with
/// its verb in capitals.
/// Telnet negotiation in front of the command is logged by name, apart from the command, so a
/// password behind it is still masked.
pub(crate) fn log_command(line: &[u8], out: &mut Vec<Output>) -> (String, String) {
    let (negotiation, line) = match telnet_negotiation(line) {
        Some((names, rest)) => (format!("[{}] ", names.join(", ")), rest),
        None => (String::new(), line.to_vec()),
    };
    let text = String::from_utf8_lossy(&line);
    let text = text.trim_end_matches(['\r', '\n']).to_owned();
    let verb = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    out.push(Output::Log(
        Side::Client,
        format!("{negotiation}{}", crate::proto::secret::shown(&text, None)),
    ));
    (text, verb)
}

/// After a session asked for STARTTLS/STLS: whatever the client pipelined behind it was sent
/// before the handshake, so it is dropped (RFC 3207 §5, RFC 2595 §4) and logged. Returns
/// true when the session's last output was that request.
pub(crate) fn drop_before_handshake(
    lines: &mut crate::proto::line::LineBuffer,
    out: &mut Vec<Output>,
) -> bool {
    if !matches!(out.last(), Some(Output::StartTls)) {
        return false;
    }
    let dropped = lines.take_pending();
    if !dropped.is_empty() {
        out.insert(
            out.len() - 1,
            Output::Said(
                Side::Note,
                crate::words::Words::new("srvlog.tls_dropped").arg("n", dropped.len()),
            ),
        );
    }
    true
}

/// A protocol session (SMTP or POP3) as its connection drives it: bytes and store results in,
/// [`Output`]s out. No sockets and no disk, so it can be tested and fuzzed as a plain value.
pub trait ServerSession {
    /// The first words: a banner, or a staged refusal.
    fn greeting(&mut self) -> Vec<Output>;
    /// Bytes from the client in; what to send and do out, in order.
    fn ingest(&mut self, bytes: &[u8]) -> Vec<Output>;
    /// The goodbye to a client that stayed silent too long.
    fn timeout(&self) -> Vec<u8>;
    /// The goodbye when the server stops.
    fn shutdown(&self) -> Vec<u8>;
    /// TLS is up after STARTTLS/STLS.
    fn tls_established(&mut self);
    /// The result of the [`Output::Store`] the session asked for; it goes on with any input
    /// that waited meanwhile.
    fn store_done(&mut self, result: StoreResult) -> Vec<Output>;
    /// How soon the connection is to call [`Self::tick`] while the client is silent (a
    /// session watching for news, as IMAP's IDLE); `None` waits for the client.
    fn ticks(&self) -> Option<Duration> {
        None
    }
    /// Time passed with nothing from the client: what to send and do.
    fn tick(&mut self) -> Vec<Output> {
        Vec::new()
    }
}

/// Server-wide limits.
#[derive(Debug, Clone)]
pub struct Limits {
    pub max_connections: usize,
    pub idle_timeout: Duration,
    pub max_message_size: usize,
    pub max_recipients: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 100,
            idle_timeout: Duration::from_secs(300),
            max_message_size: 10 * 1024 * 1024,
            max_recipients: 50,
        }
    }
}

/// What the server insists on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// MAIL FROM needs a successful AUTH first (530 5.7.0 otherwise).
    pub require_auth: bool,
    /// AUTH, MAIL and POP3 logins need TLS first.
    pub require_tls: bool,
    /// Ask for the AUTH LOGIN username as NetEase 163 does, `334 dXNlcm5hbWU6`
    /// ("username:"), instead of `334 VXNlcm5hbWU6` ("Username:").
    pub lowercase_prompt: bool,
    /// Answer with a real server's words where it has them on record.
    pub persona: Option<PersonaId>,
}

impl Policy {
    /// A persona's policy: what its server insists on, and its words.
    pub fn of_persona(id: PersonaId) -> Self {
        let p = id.persona();
        Self {
            require_auth: p.require_auth,
            require_tls: p.require_tls,
            lowercase_prompt: p.lowercase_prompt,
            persona: Some(id),
        }
    }
}

/// The policy of a running server, changed from the window while sessions read it: a session
/// reads the policy afresh at every command that depends on it.
#[derive(Debug, Clone, Default)]
pub struct LivePolicy(Arc<Mutex<Policy>>);

impl LivePolicy {
    pub fn new(policy: Policy) -> Self {
        Self(Arc::new(Mutex::new(policy)))
    }

    pub fn get(&self) -> Policy {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set(&self, policy: Policy) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = policy;
    }
}

/// Everything a session needs, shared by all of them. The store is not here: sessions ask
/// their connection for store work ([`Output::Store`]).
pub struct Context {
    pub hostname: String,
    pub accounts: accounts::LiveAccounts,
    pub limits: Limits,
    pub policy: LivePolicy,
    pub faults: Faults,
    pub tls_available: bool,
}

impl Context {
    /// The words of the persona the server answers as, for this moment, when a persona is
    /// chosen and has them (read afresh: the window can change the persona at any time).
    pub(crate) fn persona_text(
        &self,
        pick: impl Fn(&persona::PersonaReplies) -> Option<&persona::CitedText>,
    ) -> Option<String> {
        let id = self.policy.get().persona?;
        pick(&id.persona().replies).map(|c| c.text.clone())
    }
}

/// How to start the server.
#[derive(Clone)]
pub struct ServerConfig {
    pub hostname: String,
    pub smtp: Option<SocketAddr>,
    pub smtps: Option<SocketAddr>,
    pub pop3: Option<SocketAddr>,
    pub pop3s: Option<SocketAddr>,
    pub imap: Option<SocketAddr>,
    pub imaps: Option<SocketAddr>,
    pub data_dir: PathBuf,
    pub accounts: Accounts,
    pub limits: Limits,
    pub policy: Policy,
    pub faults: Vec<Fault>,
    /// Where the server's events (the session log) go.
    pub events: EventSink,
    /// A file to append the TLS sessions' secrets to (SSLKEYLOGFILE format), for Wireshark.
    pub keylog: Option<PathBuf>,
    /// Grade every session of the rubric's protocol as a student's program.
    pub lab: Option<crate::proto::lab::Rubric>,
}

impl ServerConfig {
    /// Every port on 127.0.0.1 chosen by the OS, the default accounts, logs dropped.
    pub fn loopback(data_dir: PathBuf) -> Self {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        Self {
            hostname: "mailtutor.test".into(),
            smtp: Some(any),
            smtps: Some(any),
            pop3: Some(any),
            pop3s: Some(any),
            imap: Some(any),
            imaps: Some(any),
            data_dir,
            accounts: Accounts::default(),
            limits: Limits::default(),
            policy: Policy::default(),
            faults: Vec::new(),
            events: events::discard(),
            keylog: None,
            lab: None,
        }
    }
}

/// The platform's data directory for the Maildirs (e.g. ~/.local/share/mailtutor/maildirs).
pub fn default_data_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("mailtutor")
        .join("maildirs")
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("{}", self.words())]
    Bind { addr: SocketAddr, source: io::Error },
    #[error("{}", self.words())]
    DataDir { path: String, source: io::Error },
    #[error("{}", self.words())]
    Tls(#[from] tls::TlsSetupError),
}

impl StartError {
    /// The error in words, worded when shown; the system's own message is quoted.
    pub fn words(&self) -> crate::words::Words {
        use crate::words::Words;
        match self {
            Self::Bind { addr, source } => Words::new("server.cannot_listen")
                .arg("addr", addr)
                .arg("text", source),
            Self::DataDir { path, source } => Words::new("server.cannot_use_dir")
                .arg("path", path)
                .arg("text", source),
            Self::Tls(tls::TlsSetupError::Certificate(e)) => {
                Words::new("server.certificate").arg("text", e)
            }
            Self::Tls(tls::TlsSetupError::Tls(e)) => {
                Words::new("server.tls_refused").arg("text", e)
            }
        }
    }
}

/// State shared by acceptors and connections.
struct Shared {
    ctx: Arc<Context>,
    store: Maildir,
    tls: Option<Arc<rustls::ServerConfig>>,
    events: EventSink,
    stopping: AtomicBool,
    active: AtomicUsize,
    next_id: AtomicU64,
    /// Clones of live sockets, so shutdown can wake every session blocked in `read`, and a full
    /// server can close one that never said anything.
    live: Mutex<Vec<Live>>,
    /// The lab that grades sessions, when one runs.
    lab: Mutex<Option<Arc<lab::Lab>>>,
}

impl Shared {
    fn lab(&self) -> Option<Arc<lab::Lab>> {
        self.lab.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A connection being served, as the accepting threads see it.
struct Live {
    id: u64,
    tcp: TcpStream,
    service: Service,
    peer: Arc<str>,
    /// Set once the client has sent something (past a TLS handshake): a connection that has
    /// not may be closed to make room when the server is full.
    spoke: Arc<AtomicBool>,
    since: std::time::Instant,
}

/// How long a silent connection keeps its slot when the server is full and a new one comes.
const SILENT_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

impl Shared {
    /// Closes the oldest connection that has sent nothing for [`SILENT_GRACE`], to make room
    /// for a new one; false when every connection is in use.
    fn evict_silent(&self) -> bool {
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        let victim = live
            .iter()
            .enumerate()
            .filter(|(_, l)| !l.spoke.load(Ordering::SeqCst) && l.since.elapsed() >= SILENT_GRACE)
            .min_by_key(|(_, l)| l.since)
            .map(|(i, _)| i);
        let Some(i) = victim else {
            return false;
        };
        // Out of the list at once, so each newcomer closes a different connection; its thread
        // gives back the slot when it sees the socket closed.
        let v = live.swap_remove(i);
        self.emit(
            v.id,
            v.service,
            &v.peer,
            ServerEventKind::Said {
                side: events::Side::Note,
                words: crate::words::Words::new("srvlog.silent_closed")
                    .arg("secs", v.since.elapsed().as_secs()),
            },
        );
        let _ = v.tcp.shutdown(std::net::Shutdown::Both);
        true
    }
}

impl Shared {
    fn emit(&self, session: u64, service: Service, peer: &Arc<str>, kind: ServerEventKind) {
        (self.events)(ServerEvent {
            at: std::time::SystemTime::now(),
            session,
            service,
            peer: Arc::clone(peer),
            kind,
        });
    }
}

/// A started server. Dropping it shuts it down.
pub struct RunningServer {
    pub smtp: Option<SocketAddr>,
    pub smtps: Option<SocketAddr>,
    pub pop3: Option<SocketAddr>,
    pub pop3s: Option<SocketAddr>,
    pub imap: Option<SocketAddr>,
    pub imaps: Option<SocketAddr>,
    /// SHA-256 of the self-signed certificate, for clients to pin.
    pub fingerprint: String,
    pub cert_pem: String,
    pub cert_der: Vec<u8>,
    /// Why TLS could not start, when it could not: then there is no STARTTLS/STLS and no
    /// SMTPS/POP3S port, and the fingerprint is empty.
    pub tls_error: Option<crate::words::Words>,
    pub data_dir: PathBuf,
    keylog: Arc<keylog::KeyLogFile>,
    shared: Arc<Shared>,
    acceptors: Vec<JoinHandle<()>>,
}

impl RunningServer {
    /// The TLS key log: where (if anywhere) the next handshakes' secrets are appended.
    pub fn keylog(&self) -> &keylog::KeyLogFile {
        &self.keylog
    }

    pub fn faults(&self) -> &Faults {
        &self.shared.ctx.faults
    }

    /// The lab grading sessions, if one runs.
    pub fn lab(&self) -> Option<Arc<lab::Lab>> {
        self.shared.lab()
    }

    /// Starts a lab with this rubric (every student's scores start afresh), or stops it.
    /// Sessions already open finish as they began.
    pub fn set_lab(&self, rubric: Option<crate::proto::lab::Rubric>) {
        *self.shared.lab.lock().unwrap_or_else(|p| p.into_inner()) =
            rubric.map(|r| Arc::new(lab::Lab::new(r)));
    }

    /// What the server insists on; changes apply to the next command of every session.
    pub fn policy(&self) -> &LivePolicy {
        &self.shared.ctx.policy
    }

    /// The accounts as they are now.
    pub fn accounts(&self) -> Accounts {
        self.shared.ctx.accounts.snapshot()
    }

    /// Adds accounts (a lesson's, a class's) to the running server: no restart, no
    /// connection dropped.
    pub fn add_accounts(&self, list: Vec<Account>) {
        self.shared.ctx.accounts.add_missing(list);
    }

    pub fn store(&self) -> &Maildir {
        &self.shared.store
    }

    /// Connections open right now.
    pub fn active_connections(&self) -> usize {
        self.shared.active.load(Ordering::SeqCst)
    }

    /// Stops accepting, tells every open session 421 (or -ERR), and waits for the acceptors.
    pub fn shutdown(&mut self) {
        if self.shared.stopping.swap(true, Ordering::SeqCst) {
            return;
        }
        for addr in [
            self.smtp, self.smtps, self.pop3, self.pop3s, self.imap, self.imaps,
        ]
        .into_iter()
        .flatten()
        {
            let mut wake = addr;
            if wake.ip().is_unspecified() {
                wake.set_ip([127, 0, 0, 1].into());
            }
            let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        }
        let live = self.shared.live.lock().unwrap_or_else(|p| p.into_inner());
        for Live { tcp: s, .. } in live.iter() {
            let _ = s.shutdown(std::net::Shutdown::Read);
        }
        drop(live);
        for h in self.acceptors.drain(..) {
            let _ = h.join();
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// A note about the server itself rather than one session (session 0).
fn server_note(events: &EventSink, service: Service, words: crate::words::Words) {
    events(ServerEvent {
        at: std::time::SystemTime::now(),
        session: 0,
        service,
        peer: Arc::from("-"),
        kind: ServerEventKind::Said {
            side: Side::Note,
            words,
        },
    });
}

/// Binds every configured port and starts serving.
pub fn start(config: ServerConfig) -> Result<RunningServer, StartError> {
    let store = Maildir::open(&config.data_dir).map_err(|source| StartError::DataDir {
        path: config.data_dir.display().to_string(),
        source,
    })?;
    // A server whose TLS cannot start (a certificate the platform's TLS library refuses, a
    // host name a certificate cannot hold) still serves plain SMTP and POP3, and says why.
    let keylog = Arc::new(keylog::KeyLogFile::new(
        config.keylog,
        Arc::clone(&config.events),
    ));
    let logged = Arc::clone(&keylog) as Arc<dyn rustls::KeyLog>;
    let (identity, tls_error) = match TlsIdentity::generate_logging(&config.hostname, logged) {
        Ok(identity) => (Some(identity), None),
        Err(e) => {
            let words = StartError::Tls(e).words();
            server_note(
                &config.events,
                Service::Smtp,
                crate::words::Words::new("srvlog.tls_unavailable").arg_words("why", words.clone()),
            );
            (None, Some(words))
        }
    };
    // The class's accounts, kept in the data directory, come on top of the configured ones.
    let mut accounts = config.accounts;
    match roster::Roster::load(&config.data_dir) {
        Ok(r) => accounts.add_missing(r.accounts()),
        Err(e) => server_note(
            &config.events,
            Service::Smtp,
            crate::words::Words::new("srvlog.roster_unread").arg("error", e),
        ),
    }
    let faults = Faults::default();
    for f in config.faults {
        faults.stage(f);
    }
    let ctx = Arc::new(Context {
        hostname: config.hostname,
        accounts: accounts::LiveAccounts::new(accounts),
        limits: config.limits,
        policy: LivePolicy::new(config.policy),
        faults,
        tls_available: identity.is_some(),
    });
    let shared = Arc::new(Shared {
        ctx,
        store,
        tls: identity.as_ref().map(|i| Arc::clone(&i.config)),
        events: config.events,
        stopping: AtomicBool::new(false),
        active: AtomicUsize::new(0),
        next_id: AtomicU64::new(1),
        live: Mutex::new(Vec::new()),
        lab: Mutex::new(config.lab.map(|r| Arc::new(lab::Lab::new(r)))),
    });
    let mut server = RunningServer {
        smtp: None,
        smtps: None,
        pop3: None,
        pop3s: None,
        imap: None,
        imaps: None,
        fingerprint: identity
            .as_ref()
            .map(|i| i.fingerprint.clone())
            .unwrap_or_default(),
        cert_pem: identity
            .as_ref()
            .map(|i| i.cert_pem.clone())
            .unwrap_or_default(),
        cert_der: identity.map(|i| i.cert_der).unwrap_or_default(),
        tls_error,
        data_dir: config.data_dir,
        keylog,
        shared: Arc::clone(&shared),
        acceptors: Vec::new(),
    };
    for (service, addr) in [
        (Service::Smtp, config.smtp),
        (Service::Smtps, config.smtps),
        (Service::Pop3, config.pop3),
        (Service::Pop3s, config.pop3s),
        (Service::Imap, config.imap),
        (Service::Imaps, config.imaps),
    ] {
        let Some(addr) = addr else { continue };
        if service.implicit_tls() && shared.tls.is_none() {
            continue;
        }
        let listener =
            TcpListener::bind(addr).map_err(|source| StartError::Bind { addr, source })?;
        let bound = listener
            .local_addr()
            .map_err(|source| StartError::Bind { addr, source })?;
        match service {
            Service::Smtp => server.smtp = Some(bound),
            Service::Smtps => server.smtps = Some(bound),
            Service::Pop3 => server.pop3 = Some(bound),
            Service::Pop3s => server.pop3s = Some(bound),
            Service::Imap => server.imap = Some(bound),
            Service::Imaps => server.imaps = Some(bound),
        }
        let shared = Arc::clone(&shared);
        let handle = std::thread::Builder::new()
            .name(format!("mailtutor-{}-accept", service.name()))
            .spawn(move || accept_loop(listener, service, shared))
            .map_err(|source| StartError::Bind { addr, source })?;
        server.acceptors.push(handle);
    }
    Ok(server)
}

fn accept_loop(listener: TcpListener, service: Service, shared: Arc<Shared>) {
    for stream in listener.incoming() {
        if shared.stopping.load(Ordering::SeqCst) {
            break;
        }
        let stream = match stream {
            Ok(s) => s,
            Err(e) => {
                // Out of file descriptors (EMFILE) and the like: wait rather than spin.
                server_note(
                    &shared.events,
                    service,
                    crate::words::Words::new("srvlog.accept_failed")
                        .arg("service", service.name())
                        .arg("error", e),
                );
                std::thread::sleep(std::time::Duration::from_millis(100));
                continue;
            }
        };
        let id = shared.next_id.fetch_add(1, Ordering::SeqCst);
        if shared.active.fetch_add(1, Ordering::SeqCst) >= shared.ctx.limits.max_connections
            && !shared.evict_silent()
        {
            shared.active.fetch_sub(1, Ordering::SeqCst);
            conn::refuse(stream, service, id, &shared);
            continue;
        }
        let for_thread = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name(format!("mailtutor-{}-{id}", service.name()))
            .stack_size(256 * 1024)
            .spawn(move || conn::handle(stream, service, id, for_thread));
        if let Err(e) = spawned {
            shared.active.fetch_sub(1, Ordering::SeqCst);
            server_note(
                &shared.events,
                service,
                crate::words::Words::new("srvlog.thread_failed").arg("error", e),
            );
        }
    }
}

#[cfg(test)]
mod reply_line_tests {
    use super::{MAX_REPLY_LINE, clip_reply_line};

    #[test]
    fn long_echoes_are_cut_to_the_rfc_limit() {
        assert_eq!(clip_reply_line("250 ok"), "250 ok");
        let long = format!("501 5.5.4 {}", "é".repeat(400));
        let cut = clip_reply_line(&long);
        assert!(cut.len() + 2 <= MAX_REPLY_LINE, "{}", cut.len());
        assert!(cut.starts_with("501 5.5.4 é") && cut.ends_with("..."));
    }
}

#[cfg(test)]
mod telnet_tests {
    use super::telnet_negotiation;

    #[test]
    fn negotiation_is_named_and_taken_out_of_the_line() {
        assert_eq!(telnet_negotiation(b"EHLO me\r\n"), None);
        let (names, rest) =
            telnet_negotiation(b"\xff\xfb\x1f\xff\xfd\x01USER a\xff\xffb\r\n").unwrap_or_default();
        assert_eq!(names, ["IAC WILL NAWS", "IAC DO ECHO"]);
        // IAC IAC is the data byte 255, kept.
        assert_eq!(rest, b"USER a\xffb\r\n");
        let (names, rest) =
            telnet_negotiation(b"\xff\xfa\x18\x00xterm\xff\xf0\xff\xf1QUIT").unwrap_or_default();
        assert_eq!(names, ["IAC SB TTYPE … IAC SE", "IAC NOP"]);
        assert_eq!(rest, b"QUIT");
        // Cut off at the end of the line: named as far as it goes, never read past the end.
        for cut in [&b"QUIT\xff"[..], b"QUIT\xff\xfb", b"QUIT\xff\xfa\x18ab"] {
            let (names, rest) = telnet_negotiation(cut).unwrap_or_default();
            assert_eq!(names.len(), 1, "{cut:?}");
            assert_eq!(rest, b"QUIT");
        }
        let (names, _) = telnet_negotiation(b"\xff\xfe\xc8").unwrap_or_default();
        assert_eq!(names, ["IAC DONT 200"]);
    }
}
