//! Helpers for tests that talk to the practice server on 127.0.0.1, port 0.
#![allow(dead_code)]
// Helpers of tests: a failed unwrap here is a failed test, as in the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use mailtutor::proto::reply::{Pop3Expect, Pop3Reader, Pop3Response, Reply, ReplyReader};
use mailtutor::server::{self, RunningServer, ServerConfig};

#[cfg(feature = "gui")]
pub mod window;

static DIRS: AtomicU32 = AtomicU32::new(0);

/// A directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> Self {
        let n = DIRS.fetch_add(1, Ordering::SeqCst);
        let p =
            std::env::temp_dir().join(format!("mailtutor-test-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        Self(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub struct TestServer {
    pub server: RunningServer,
    pub dir: TempDir,
}

impl TestServer {
    pub fn start() -> Self {
        Self::with(|_| {})
    }

    pub fn with(configure: impl FnOnce(&mut ServerConfig)) -> Self {
        let dir = TempDir::new("srv");
        let mut config = ServerConfig::loopback(dir.0.clone());
        configure(&mut config);
        let server = server::start(config).unwrap_or_else(|e| panic!("server did not start: {e}"));
        Self { server, dir }
    }

    pub fn smtp(&self) -> SocketAddr {
        self.server.smtp.expect("no smtp port")
    }
    pub fn smtps(&self) -> SocketAddr {
        self.server.smtps.expect("no smtps port")
    }
    pub fn pop3(&self) -> SocketAddr {
        self.server.pop3.expect("no pop3 port")
    }
    pub fn pop3s(&self) -> SocketAddr {
        self.server.pop3s.expect("no pop3s port")
    }
    pub fn imap(&self) -> SocketAddr {
        self.server.imap.expect("no imap port")
    }
    pub fn imaps(&self) -> SocketAddr {
        self.server.imaps.expect("no imaps port")
    }

    /// The files in an account's new/ directory, oldest first.
    pub fn stored(&self, address: &str) -> Vec<Vec<u8>> {
        mailbox_files(&self.dir.0.join(address).join("new"))
    }

    /// A TLS connector that trusts exactly this server's certificate.
    pub fn connector(&self) -> native_tls::TlsConnector {
        let cert = native_tls::Certificate::from_pem(self.server.cert_pem.as_bytes())
            .unwrap_or_else(|e| panic!("bad cert: {e}"));
        native_tls::TlsConnector::builder()
            .add_root_certificate(cert)
            .build()
            .unwrap_or_else(|e| panic!("connector: {e}"))
    }
}

pub fn mailbox_files(dir: &Path) -> Vec<Vec<u8>> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    names.sort();
    names.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// Strips the Received: header the server puts on top.
pub fn without_received(stored: &[u8]) -> Vec<u8> {
    let text = stored;
    let mut i = 0;
    // "Received: ..." plus its folded continuation lines.
    while i < text.len() {
        let end = text[i..]
            .iter()
            .position(|&b| b == b'\n')
            .map(|p| i + p + 1)
            .unwrap_or(text.len());
        let line = &text[i..end];
        if i == 0 && line.starts_with(b"Received:") || i > 0 && line.starts_with(b"\t") {
            i = end;
        } else {
            break;
        }
    }
    text[i..].to_vec()
}

pub enum Io {
    Plain(TcpStream),
    Tls(Box<native_tls::TlsStream<TcpStream>>),
    Gone,
}

impl Io {
    /// A plain connection with a 10 s read timeout.
    pub fn plain(addr: SocketAddr) -> Self {
        let s = TcpStream::connect(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"));
        let _ = s.set_read_timeout(Some(Duration::from_secs(10)));
        Io::Plain(s)
    }

    /// The TLS handshake on a plain connection, trusting exactly the test server's certificate.
    pub fn upgrade(&mut self, server: &TestServer) {
        let Io::Plain(s) = std::mem::replace(self, Io::Gone) else {
            panic!("already TLS");
        };
        let tls = server
            .connector()
            .connect("localhost", s)
            .unwrap_or_else(|e| panic!("TLS: {e}"));
        *self = Io::Tls(Box::new(tls));
    }

    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Io::Plain(s) => s.read(buf),
            Io::Tls(s) => s.read(buf),
            Io::Gone => Ok(0),
        }
    }
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        match self {
            Io::Plain(s) => s.write_all(b),
            Io::Tls(s) => s.write_all(b),
            Io::Gone => Ok(()),
        }
    }
}

/// A hand-driven SMTP client that reads replies with proto's reader.
pub struct Smtp {
    pub io: Io,
    reader: ReplyReader,
}

impl Smtp {
    pub fn connect(addr: SocketAddr) -> Self {
        Self {
            io: Io::plain(addr),
            reader: ReplyReader::new(),
        }
    }

    pub fn connect_tls(addr: SocketAddr, server: &TestServer) -> Self {
        let mut io = Io::plain(addr);
        io.upgrade(server);
        Self {
            io,
            reader: ReplyReader::new(),
        }
    }

    /// The next reply, or `None` when the server closed the connection.
    pub fn try_reply(&mut self) -> Option<Reply> {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(r) = self.reader.next_reply() {
                return Some(r.unwrap_or_else(|e| panic!("malformed reply: {e}")));
            }
            match self.io.read(&mut buf) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.reader.push(&buf[..n]),
            }
        }
    }

    pub fn reply(&mut self) -> Reply {
        self.try_reply().expect("connection closed before a reply")
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.io
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("write: {e}"));
    }

    /// Sends one line and returns the reply.
    pub fn cmd(&mut self, line: &str) -> Reply {
        self.send(format!("{line}\r\n").as_bytes());
        self.reply()
    }

    /// `cmd` and assert the code (and the enhanced code when given as "550 5.1.1").
    pub fn expect(&mut self, line: &str, want: &str) -> Reply {
        let r = self.cmd(line);
        let got = match r.enhanced {
            Some(e) => format!("{} {e}", r.code),
            None => r.code.to_string(),
        };
        assert!(
            got.starts_with(want),
            "{line:?}: wanted {want}, got {got} {:?}",
            r.lines
        );
        r
    }

    pub fn starttls(&mut self, server: &TestServer) {
        self.expect("STARTTLS", "220");
        self.io.upgrade(server);
    }

    pub fn login(&mut self, user: &str, password: &str) {
        use mailtutor::proto::auth::encode;
        self.expect("AUTH LOGIN", "334");
        self.expect(&encode(user.as_bytes()), "334");
        self.expect(&encode(password.as_bytes()), "235 2.7.0");
    }
}

/// A hand-driven POP3 client on proto's POP3 reader.
pub struct Pop3 {
    pub io: Io,
    reader: Pop3Reader,
}

impl Pop3 {
    pub fn connect(addr: SocketAddr) -> (Self, Pop3Response) {
        let mut c = Self {
            io: Io::plain(addr),
            reader: Pop3Reader::new(),
        };
        let greeting = c.response();
        (c, greeting)
    }

    /// Connects and reads the greeting; `None` when the server is full (or closed at once).
    pub fn plain_or_busy(addr: SocketAddr) -> Option<Self> {
        let mut c = Self {
            io: Io::plain(addr),
            reader: Pop3Reader::new(),
        };
        let mut buf = [0u8; 8192];
        loop {
            if let Some(r) = c.reader.next_response() {
                return r.ok().filter(|r| r.status.is_ok()).map(|_| c);
            }
            match c.io.read(&mut buf) {
                Ok(0) | Err(_) => return None,
                Ok(n) => c.reader.push(&buf[..n]),
            }
        }
    }

    /// Connects to the implicit-TLS port and reads the greeting.
    pub fn connect_tls(addr: SocketAddr, server: &TestServer) -> (Self, Pop3Response) {
        let mut io = Io::plain(addr);
        io.upgrade(server);
        let mut c = Self {
            io,
            reader: Pop3Reader::new(),
        };
        let greeting = c.response();
        (c, greeting)
    }

    pub fn response(&mut self) -> Pop3Response {
        let mut buf = [0u8; 8192];
        loop {
            if let Some(r) = self.reader.next_response() {
                return r.unwrap_or_else(|e| panic!("malformed POP3 response: {e}"));
            }
            match self.io.read(&mut buf) {
                Ok(0) | Err(_) => panic!("connection closed before a response"),
                Ok(n) => self.reader.push(&buf[..n]),
            }
        }
    }

    pub fn cmd(&mut self, line: &str) -> Pop3Response {
        // Lines the client-side parser refuses still go out: the server must cope with them.
        let expect = mailtutor::proto::pop3::Pop3Command::parse(line)
            .map(|c| c.expect())
            .unwrap_or(Pop3Expect::SingleLine);
        self.reader.expect(expect);
        self.io
            .write_all(format!("{line}\r\n").as_bytes())
            .unwrap_or_else(|e| panic!("write: {e}"));
        self.response()
    }

    pub fn ok(&mut self, line: &str) -> Pop3Response {
        let r = self.cmd(line);
        assert!(r.status.is_ok(), "{line}: {:?}", r.status);
        r
    }

    pub fn stls(&mut self, server: &TestServer) {
        self.ok("STLS");
        self.io.upgrade(server);
    }
}
