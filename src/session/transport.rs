//! The client's socket: TCP with timeouts, then TLS (native-tls) verified by default or pinned
//! by fingerprint; and what a certificate says.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use super::Protocol;
use super::event::{ConnectError, TlsFailure, TlsInfo};
use crate::cert::fingerprint;
use crate::proto::reply::{Pop3Reader, ReplyReader};
use crate::words::Words;

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<native_tls::TlsStream<Timed>>),
    /// Only while a handshake has taken the socket.
    Gone,
}

impl Stream {
    pub fn tcp(&self) -> Option<&TcpStream> {
        match self {
            Stream::Plain(s) => Some(s),
            Stream::Tls(s) => Some(&s.get_ref().tcp),
            Stream::Gone => None,
        }
    }

    pub fn set_read_timeout(&self, d: Duration) {
        if let Some(s) = self.tcp() {
            let _ = s.set_read_timeout(Some(d));
        }
    }

    /// Reads return `WouldBlock` instead of waiting (the network thread waits in its poller).
    pub fn set_nonblocking(&self, on: bool) {
        if let Some(s) = self.tcp() {
            let _ = s.set_nonblocking(on);
        }
    }

    pub fn is_tls(&self) -> bool {
        matches!(self, Stream::Tls(_))
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Gone => Ok(0),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::Gone => Err(io::Error::new(io::ErrorKind::NotConnected, "no socket")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            Stream::Gone => Ok(()),
        }
    }
}

/// A socket with a deadline for the TLS handshake: each read and write waits only for what is
/// left of it, so a server that sends nothing, or a byte now and then, cannot hold the
/// handshake past it. After the handshake the deadline is lifted.
#[derive(Debug)]
pub struct Timed {
    tcp: TcpStream,
    deadline: Option<Instant>,
}

impl Timed {
    fn left(&self) -> io::Result<Option<Duration>> {
        match self.deadline {
            None => Ok(None),
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Ok(Some(left)),
                _ => Err(io::Error::new(io::ErrorKind::TimedOut, HANDSHAKE_TIMED_OUT)),
            },
        }
    }
}

/// The marker of a handshake that ran out of time, in the TLS library's error text.
const HANDSHAKE_TIMED_OUT: &str = "TLS handshake deadline passed";

impl Read for Timed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if let Some(left) = self.left()? {
            self.tcp.set_read_timeout(Some(left))?;
        }
        self.tcp.read(buf).map_err(|e| match e.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut if self.deadline.is_some() => {
                io::Error::new(io::ErrorKind::TimedOut, HANDSHAKE_TIMED_OUT)
            }
            _ => e,
        })
    }
}

impl Write for Timed {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if let Some(left) = self.left()? {
            self.tcp.set_write_timeout(Some(left))?;
        }
        self.tcp.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// Resolves and connects, trying each address until one answers.
pub fn connect_tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, ConnectError> {
    let target = format!("{host}:{port}");
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| ConnectError::Dns {
            host: host.to_owned(),
            detail: Words::new("detail.os").arg("text", e),
        })?
        .collect();
    if addrs.is_empty() {
        return Err(ConnectError::Dns {
            host: host.to_owned(),
            detail: Words::new("detail.no_addresses"),
        });
    }
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, timeout) {
            Ok(s) => {
                let _ = s.set_nodelay(true);
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(match last {
        Some(e)
            if matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            ConnectError::Timeout {
                target,
                secs: timeout.as_secs().max(1),
            }
        }
        Some(e) => ConnectError::Connect {
            target,
            detail: Words::new("detail.os").arg("text", e),
        },
        None => ConnectError::Connect {
            target,
            detail: Words::new("detail.no_addresses"),
        },
    })
}

/// How to trust the server's certificate.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// Accept exactly these SHA-256 fingerprints (`AB:CD:…`), whoever signed them.
    pub pinned: Vec<String>,
    /// Certificate authorities (DER) trusted besides the system's.
    pub roots: Vec<Vec<u8>>,
}

fn normalise_fp(fp: &str) -> String {
    fp.chars()
        .filter(|c| c.is_ascii_hexdigit())
        .flat_map(|c| c.to_uppercase())
        .collect()
}

/// Runs the TLS handshake over `tcp`. Without a pin, the platform's trust store and host-name
/// check decide; with pins, the certificate must match one of them.
pub fn handshake(
    tcp: TcpStream,
    host: &str,
    trust: &Trust,
    timeout: Duration,
) -> Result<(native_tls::TlsStream<Timed>, TlsInfo), (TlsFailure, String)> {
    let write_timeout = tcp.write_timeout().ok().flatten();
    let timed = Timed {
        tcp,
        deadline: Some(Instant::now() + timeout),
    };
    let mut builder = native_tls::TlsConnector::builder();
    for der in &trust.roots {
        let cert = native_tls::Certificate::from_der(der)
            .map_err(|e| (TlsFailure::Handshake, e.to_string()))?;
        builder.add_root_certificate(cert);
    }
    let pinning = !trust.pinned.is_empty();
    if pinning {
        builder
            .danger_accept_invalid_certs(true)
            .danger_accept_invalid_hostnames(true);
    }
    let connector = builder
        .build()
        .map_err(|e| (TlsFailure::Handshake, e.to_string()))?;
    let mut stream = connector.connect(host, timed).map_err(|e| {
        let detail = e.to_string();
        let reason = if detail.contains(HANDSHAKE_TIMED_OUT)
            || matches!(&e, native_tls::HandshakeError::WouldBlock(_))
        {
            TlsFailure::TimedOut
        } else {
            TlsFailure::classify(&detail)
        };
        (reason, detail)
    })?;
    let timed = stream.get_mut();
    timed.deadline = None;
    let _ = timed.tcp.set_write_timeout(write_timeout);
    let der = stream
        .peer_certificate()
        .ok()
        .flatten()
        .and_then(|c| c.to_der().ok())
        .unwrap_or_default();
    let mut info = certificate_info(&der);
    if pinning {
        let got = normalise_fp(&info.fingerprint);
        if !trust.pinned.iter().any(|p| normalise_fp(p) == got) {
            return Err((
                TlsFailure::PinMismatch,
                format!("presented {}", info.fingerprint),
            ));
        }
        info.pinned = true;
    }
    Ok((stream, info))
}

/// Subject, issuer, validity and fingerprint of a DER certificate.
pub fn certificate_info(der: &[u8]) -> TlsInfo {
    let mut info = TlsInfo {
        fingerprint: fingerprint(der),
        ..TlsInfo::default()
    };
    if let Ok((_, cert)) = x509_parser::parse_x509_certificate(der) {
        info.subject = cert.subject().to_string();
        info.issuer = cert.issuer().to_string();
        info.not_before = cert.validity().not_before.to_string();
        info.not_after = cert.validity().not_after.to_string();
    }
    info
}

/// Reads one complete response on a plain socket (for the probe below), before `deadline`.
fn read_one(tcp: &mut TcpStream, protocol: Protocol, deadline: Instant) -> Option<()> {
    let mut smtp = ReplyReader::new();
    let mut pop3 = Pop3Reader::new();
    let mut imap = crate::proto::imap::ImapReader::default();
    let mut buf = [0u8; 4096];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        if left.is_zero() {
            return None;
        }
        tcp.set_read_timeout(Some(left)).ok()?;
        let n = tcp.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        let done = match protocol {
            Protocol::Smtp => {
                smtp.push(&buf[..n]);
                smtp.next_reply().is_some()
            }
            Protocol::Pop3 => {
                pop3.push(&buf[..n]);
                pop3.next_response().is_some()
            }
            // The greeting, or the completion of the command sent (not its untagged data).
            Protocol::Imap => {
                use crate::proto::imap::{ImapItem, ResponseKind};
                imap.push(&buf[..n]);
                std::iter::from_fn(|| imap.next_item()).any(|i| match i {
                    ImapItem::Response(r) => r.kind != ResponseKind::Untagged || r.data.is_none(),
                    ImapItem::TooLarge { .. } => true,
                })
            }
        };
        if done {
            return Some(());
        }
    }
}

/// Fetches a server's certificate without trusting it, to show its fingerprint after a
/// verification failure. `dance` holds the lines sent on a plain port before the handshake
/// (EHLO and STARTTLS, or STLS), each answered before the next.
pub fn probe_certificate(
    host: &str,
    port: u16,
    timeout: Duration,
    protocol: Protocol,
    dance: Option<&[Vec<u8>]>,
) -> Option<String> {
    let deadline = Instant::now() + timeout;
    let mut tcp = connect_tcp(host, port, timeout).ok()?;
    let _ = tcp.set_read_timeout(Some(timeout));
    if let Some(lines) = dance {
        read_one(&mut tcp, protocol, deadline)?;
        for line in lines {
            tcp.write_all(line).ok()?;
            read_one(&mut tcp, protocol, deadline)?;
        }
    }
    let connector = native_tls::TlsConnector::builder()
        .danger_accept_invalid_certs(true)
        .danger_accept_invalid_hostnames(true)
        .build()
        .ok()?;
    let timed = Timed {
        tcp,
        deadline: Some(deadline),
    };
    let stream = connector.connect(host, timed).ok()?;
    let der = stream.peer_certificate().ok()??.to_der().ok()?;
    Some(fingerprint(&der))
}
