//! A transcript saved as a pcapng capture for Wireshark: its rows turned into one TCP
//! connection per session (a live session's addresses and times, or invented ones for a
//! pasted log), passwords masked, the stream cut where TLS began; then written by
//! [`crate::proto::capture_write`].

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::proto::auth::MASK;
use crate::proto::capture_write::{self, Capture, Chunk, Connection, End, Side, WriteError};
use crate::proto::client::event::{Parsed, Response};
use crate::proto::imap::{ImapStatus, ResponseKind};
use crate::proto::logs::Aside;
use crate::proto::pop3_reply::Pop3Indicator;
use crate::proto::{Lang, Protocol};
use crate::session::ClosedBy;
use crate::transcript::{Direction, Entry, EventRow, Transcript};
use crate::words::Words;

/// Where a pasted log's invented times start: 2026-01-01 00:00:00 UTC.
const PASTED_START: Duration = Duration::from_secs(1_767_225_600);
/// How far apart a pasted log's rows are written.
const PASTED_STEP: Duration = Duration::from_millis(10);
/// A pasted log's invented client port (the next connection takes the next port).
const PASTED_CLIENT_PORT: u16 = 50000;

/// A capture made from a transcript, and whether it stops where TLS began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureFile {
    pub bytes: Vec<u8>,
    /// The stream ends where TLS began (STARTTLS or STLS): what came after is not in it.
    pub cut_at_tls: bool,
}

impl CaptureFile {
    /// What the user is told beside "saved", if anything: that the capture stops at TLS.
    pub fn notice(&self) -> Option<Words> {
        self.cut_at_tls.then(|| Words::new("capture.cut_at_tls"))
    }
}

/// Why no capture was written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.words())]
pub enum CaptureError {
    /// TLS from the first byte (implicit TLS): no byte was in clear.
    AllEncrypted,
    /// Nothing was sent or received.
    Nothing,
    Write(#[from] WriteError),
}

impl CaptureError {
    pub fn words(&self) -> Words {
        match self {
            Self::AllEncrypted => Words::new("capture.all_encrypted"),
            Self::Nothing => Words::new("capture.nothing"),
            Self::Write(e) => e.words(),
        }
    }
}

/// The transcript as pcapng bytes; comments in the pcapng in `lang`; passwords masked unless
/// `show_secrets`.
pub fn pcapng_of(
    t: &Transcript,
    lang: Lang,
    show_secrets: bool,
) -> Result<CaptureFile, CaptureError> {
    let capture = capture_of(t, lang, show_secrets);
    if capture.connections.iter().all(|c| c.chunks.is_empty()) {
        let encrypted = capture
            .connections
            .iter()
            .any(|c| matches!(c.end, End::Encrypted { .. }));
        return Err(if encrypted {
            CaptureError::AllEncrypted
        } else {
            CaptureError::Nothing
        });
    }
    let cut_at_tls = capture
        .connections
        .iter()
        .any(|c| matches!(c.end, End::Encrypted { .. }));
    Ok(CaptureFile {
        bytes: capture_write::write_pcapng(&capture)?,
        cut_at_tls,
    })
}

/// The port a server is written on: its own when it is a standard port of the protocol,
/// else the protocol's plain port, which Wireshark dissects (the practice server listens on
/// an ephemeral port).
pub fn dissected_port(protocol: Protocol, port: u16) -> u16 {
    let standard: &[u16] = match protocol {
        Protocol::Smtp => &[25, 587, 465, 2525],
        Protocol::Pop3 => &[110, 995],
        Protocol::Imap => &[143, 993],
    };
    if standard.contains(&port) {
        port
    } else {
        standard[0]
    }
}

/// The bytes a client row is written as: a password line masked as the transcript masks it
/// (`PASS ********`, `AUTH PLAIN ********`), except that a mask standing for base64 (an AUTH
/// answer or initial response) is written as the base64 of `********`, which Wireshark
/// decodes and shows as `********`.
pub fn wire_bytes(e: &Entry, show_secrets: bool) -> Vec<u8> {
    if !e.secret || show_secrets {
        return e.raw().to_vec();
    }
    let line = String::from_utf8_lossy(e.raw());
    let masked = crate::proto::secret::mask(&line);
    let words: Vec<&str> = line.split_ascii_whitespace().collect();
    let plain_verb = |w: Option<&&str>| {
        w.is_some_and(|w| {
            ["PASS", "APOP", "LOGIN"]
                .iter()
                .any(|v| w.eq_ignore_ascii_case(v))
        })
    };
    let mut out = if plain_verb(words.first()) || plain_verb(words.get(1)) {
        masked
    } else {
        masked.replace(MASK, &crate::proto::auth::encode(MASK.as_bytes()))
    };
    out.push_str("\r\n");
    out.into_bytes()
}

/// The transcript as connections of chunks: one per session it shows.
pub fn capture_of(t: &Transcript, lang: Lang, show_secrets: bool) -> Capture {
    let protocol = t.protocol();
    let entries = t.entries();
    let live = entries
        .iter()
        .any(|e| matches!(e.event.as_deref(), Some(EventRow::Connected { .. })));
    let mut b = Builder {
        protocol,
        lang,
        live,
        capture: Capture::default(),
        open: None,
        step: 0,
    };
    b.capture.comment = Some(
        Words::new(if live {
            "capture.section"
        } else {
            "capture.section_pasted"
        })
        .get(lang),
    );
    for e in entries {
        b.entry(e, show_secrets);
    }
    b.finish(None);
    b.capture
}

/// A connection being filled, and whether TLS began in it.
struct Open {
    connection: Connection,
    encrypted: bool,
    /// The last client command asked for TLS (STARTTLS, STLS): its positive reply starts it.
    asked_tls: bool,
}

struct Builder {
    protocol: Protocol,
    lang: Lang,
    live: bool,
    capture: Capture,
    open: Option<Open>,
    /// A pasted log's rows so far, for their invented times.
    step: u32,
}

impl Builder {
    fn time(&mut self, at: SystemTime) -> Duration {
        if self.live {
            at.duration_since(UNIX_EPOCH).unwrap_or_default()
        } else {
            self.step = self.step.saturating_add(1);
            PASTED_START + PASTED_STEP * self.step
        }
    }

    fn entry(&mut self, e: &Entry, show_secrets: bool) {
        let at = self.time(e.at);
        match (e.dir, e.event.as_deref()) {
            (Direction::Event, Some(EventRow::Connected { peer, local })) => {
                self.finish(Some((at, Side::Client)));
                let server = peer.parse().ok();
                let client = local.parse().ok();
                self.start(at, client, server);
            }
            (Direction::Event, Some(EventRow::Tls(_)))
            | (
                Direction::Event,
                Some(EventRow::Aside {
                    what: Aside::Certificate,
                    ..
                }),
            ) => self.encrypted(),
            (Direction::Event, Some(EventRow::Closed { by, .. })) => {
                let by = match by {
                    ClosedBy::Server => Side::Server,
                    _ => Side::Client,
                };
                self.finish(Some((at, by)));
            }
            (Direction::Event, _) => {}
            (Direction::Client, _) => {
                let bytes = wire_bytes(e, show_secrets);
                let open = self.open_at(at);
                if !open.encrypted {
                    open.asked_tls = asks_tls(&String::from_utf8_lossy(e.raw()));
                    open.connection.chunks.push(Chunk {
                        at,
                        side: Side::Client,
                        bytes,
                    });
                }
            }
            (Direction::Server, _) => {
                let open = self.open_at(at);
                if !open.encrypted {
                    open.connection.chunks.push(Chunk {
                        at,
                        side: Side::Server,
                        bytes: e.raw().to_vec(),
                    });
                    // RFC 3207 §4, RFC 2595 §4, RFC 3501 §6.2.1: after the positive reply
                    // to STARTTLS or STLS the next byte is the TLS handshake's.
                    if open.asked_tls && positive(e.parsed.as_deref()) {
                        self.encrypted();
                    }
                }
            }
        }
    }

    /// The connection rows go to, opened (with invented addresses) if none is.
    fn open_at(&mut self, at: Duration) -> &mut Open {
        let open = match self.open.take() {
            Some(o) => o,
            None => self.opened(at, None, None),
        };
        self.open.insert(open)
    }

    fn start(&mut self, at: Duration, client: Option<SocketAddr>, server: Option<SocketAddr>) {
        self.open = Some(self.opened(at, client, server));
    }

    /// A new connection; a missing address is invented (127.0.0.1, the protocol's port).
    fn opened(&self, at: Duration, client: Option<SocketAddr>, server: Option<SocketAddr>) -> Open {
        let n = self.capture.connections.len() as u16;
        let client = client.unwrap_or_else(|| {
            SocketAddr::from((Ipv4Addr::LOCALHOST, PASTED_CLIENT_PORT.saturating_add(n)))
        });
        let plain = dissected_port(self.protocol, 0);
        let real = server.unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, plain)));
        let port = dissected_port(self.protocol, real.port());
        let comment = (port != real.port()).then(|| {
            Words::new("capture.real_address")
                .arg("real", real)
                .arg("port", port)
                .arg("protocol", protocol_name(self.protocol))
                .get(self.lang)
        });
        Open {
            connection: Connection {
                client,
                server: SocketAddr::new(real.ip(), port),
                opened: at,
                comment,
                chunks: Vec::new(),
                end: End::Closed {
                    at,
                    by: Side::Client,
                },
            },
            encrypted: false,
            asked_tls: false,
        }
    }

    fn encrypted(&mut self) {
        if let Some(open) = &mut self.open {
            open.encrypted = true;
        }
    }

    /// Ends the open connection: closed at `closed` (or after its last row), or cut at TLS.
    fn finish(&mut self, closed: Option<(Duration, Side)>) {
        let Some(mut open) = self.open.take() else {
            return;
        };
        let last = open
            .connection
            .chunks
            .last()
            .map(|c| c.at)
            .unwrap_or(open.connection.opened);
        open.connection.end = if open.encrypted {
            End::Encrypted {
                comment: Words::new("capture.encrypted").get(self.lang),
            }
        } else {
            let (at, by) = match closed {
                Some((at, by)) if self.live => (at, by),
                Some((_, by)) => (last + PASTED_STEP, by),
                None => (last + PASTED_STEP, Side::Client),
            };
            End::Closed { at, by }
        };
        self.capture.connections.push(open.connection);
    }
}

/// Whether a client line asks for TLS: `STARTTLS`, `STLS`, or IMAP's `tag STARTTLS`.
fn asks_tls(line: &str) -> bool {
    let mut words = line.split_ascii_whitespace();
    let is_tls = |w: Option<&str>| {
        w.is_some_and(|w| w.eq_ignore_ascii_case("STARTTLS") || w.eq_ignore_ascii_case("STLS"))
    };
    let first = words.next();
    is_tls(first) || is_tls(words.next()) && words.next().is_none()
}

/// A reply that lets TLS begin: 220, +OK, or a tagged OK.
fn positive(parsed: Option<&Parsed>) -> bool {
    match parsed {
        Some(Parsed::Response(Response::Smtp(r))) => r.code == 220,
        Some(Parsed::Response(Response::Pop3(p))) => p.status.indicator == Pop3Indicator::Ok,
        Some(Parsed::Response(Response::Imap(r))) => {
            matches!(r.kind, ResponseKind::Tagged(_)) && r.status == Some(ImapStatus::Ok)
        }
        _ => false,
    }
}

fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::Smtp => "SMTP",
        Protocol::Pop3 => "POP3",
        Protocol::Imap => "IMAP",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pasted(text: &str) -> Capture {
        capture_of(&crate::explain::fold(text), Lang::En, false)
    }

    fn sent(c: &Connection) -> Vec<String> {
        c.chunks
            .iter()
            .map(|c| String::from_utf8_lossy(&c.bytes).into_owned())
            .collect()
    }

    #[test]
    fn a_pasted_log_gets_invented_addresses_and_times_10_ms_apart() {
        let c = pasted("220 mx ESMTP\nEHLO me\n250 mx\nQUIT\n221 bye\n");
        let [conn] = &c.connections[..] else {
            panic!("{c:?}")
        };
        assert_eq!(conn.server, "127.0.0.1:25".parse().unwrap());
        assert_eq!(conn.client.port(), PASTED_CLIENT_PORT);
        let gaps: Vec<Duration> = conn.chunks.windows(2).map(|w| w[1].at - w[0].at).collect();
        assert!(gaps.iter().all(|g| *g == PASTED_STEP), "{gaps:?}");
        assert!(conn.chunks[0].at >= PASTED_START);
        assert!(matches!(conn.end, End::Closed { .. }));
        assert_eq!(sent(conn)[1], "EHLO me\r\n");
    }

    #[test]
    fn passwords_are_written_masked_as_the_transcript_masks_them() {
        let c = pasted(
            "220 mx\nEHLO me\n250-mx\n250 AUTH LOGIN\nAUTH LOGIN\n334 VXNlcm5hbWU6\n\
             dXNlcg==\n334 UGFzc3dvcmQ6\naHVudGVyMg==\n235 ok\nQUIT\n221 bye\n",
        );
        let lines = sent(&c.connections[0]);
        assert!(lines.contains(&"dXNlcg==\r\n".to_owned()), "{lines:?}");
        // base64 of ******** in place of the password.
        assert!(lines.contains(&"KioqKioqKio=\r\n".to_owned()), "{lines:?}");
        assert!(!lines.iter().any(|l| l.contains("aHVudGVyMg")));
        let shown = capture_of(
            &crate::explain::fold("+OK hi\nUSER a\n+OK\nPASS hunter2\n+OK\n"),
            Lang::En,
            false,
        );
        let lines = sent(&shown.connections[0]);
        assert!(lines.contains(&"PASS ********\r\n".to_owned()), "{lines:?}");
        assert_eq!(shown.connections[0].server.port(), 110);
    }

    #[test]
    fn the_stream_ends_at_the_positive_reply_to_starttls() {
        let c = pasted("220 mx\nEHLO me\n250 STARTTLS\nSTARTTLS\n220 go ahead\nEHLO me\n");
        let conn = &c.connections[0];
        assert_eq!(
            sent(conn).last().map(String::as_str),
            Some("220 go ahead\r\n")
        );
        assert!(matches!(conn.end, End::Encrypted { .. }));
        let file = pcapng_of(
            &crate::explain::fold("220 mx\nSTARTTLS\n220 go ahead\n"),
            Lang::En,
            false,
        )
        .unwrap();
        assert!(file.notice().is_some());
        // A refused STARTTLS leaves the session in clear.
        let c = pasted("220 mx\nSTARTTLS\n454 not now\nQUIT\n221 bye\n");
        assert!(matches!(c.connections[0].end, End::Closed { .. }));
    }

    #[test]
    fn standard_ports_stay_and_others_become_the_plain_port() {
        assert_eq!(dissected_port(Protocol::Smtp, 587), 587);
        assert_eq!(dissected_port(Protocol::Smtp, 40123), 25);
        assert_eq!(dissected_port(Protocol::Pop3, 995), 995);
        assert_eq!(dissected_port(Protocol::Imap, 2525), 143);
    }

    /// A live transcript: rows folded from a connection's events, as the window folds them.
    fn live(t: &mut Transcript, peer: &str, tls_first: bool, lines: &[(&str, bool)]) {
        use crate::proto::client::Connection;
        use crate::session::{Event, EventKind, TlsInfo};
        let connected = EventKind::Connected {
            peer: peer.parse().unwrap(),
            local: "127.0.0.1:40000".parse().unwrap(),
        };
        t.apply(&Event::now(connected));
        if tls_first {
            t.apply(&Event::now(EventKind::TlsEstablished(TlsInfo::default())));
        }
        let mut c = Connection::<()>::observer(Protocol::Smtp);
        for (line, server) in lines {
            if *server {
                c.observe_server(line.as_bytes());
            } else {
                c.sent(None, line.as_bytes(), false, &[]);
            }
            while let Some(k) = c.poll_event() {
                t.apply(&Event::now(k));
            }
        }
        t.apply(&Event::now(EventKind::Closed {
            by: ClosedBy::Server,
            why: Words::new("closed.by_server"),
        }));
    }

    #[test]
    fn implicit_tls_gives_no_packets_and_says_so() {
        let mut t = Transcript::new(Protocol::Smtp);
        live(&mut t, "127.0.0.1:465", true, &[("220 hi\r\n", true)]);
        assert_eq!(
            pcapng_of(&t, Lang::En, false),
            Err(CaptureError::AllEncrypted)
        );
        assert!(
            CaptureError::AllEncrypted
                .words()
                .get(Lang::En)
                .contains("implicit TLS")
        );
    }

    #[test]
    fn each_connection_is_its_own_tcp_connection_with_its_real_address_noted() {
        let mut t = Transcript::new(Protocol::Smtp);
        let session = [
            ("220 hi\r\n", true),
            ("QUIT\r\n", false),
            ("221 bye\r\n", true),
        ];
        live(&mut t, "127.0.0.1:40123", false, &session);
        live(&mut t, "127.0.0.1:587", false, &session);
        let c = capture_of(&t, Lang::En, false);
        let [first, second] = &c.connections[..] else {
            panic!("{c:?}")
        };
        assert_eq!(first.server.port(), 25);
        assert!(
            first
                .comment
                .as_deref()
                .is_some_and(|c| c.contains("127.0.0.1:40123")),
            "{first:?}"
        );
        assert_eq!((second.server.port(), &second.comment), (587, &None));
        assert_eq!(sent(first), ["220 hi\r\n", "QUIT\r\n", "221 bye\r\n"]);
        assert!(matches!(
            first.end,
            End::Closed {
                by: Side::Server,
                ..
            }
        ));
    }

    #[test]
    fn a_transcript_with_nothing_sent_writes_no_file() {
        let t = Transcript::new(Protocol::Smtp);
        assert_eq!(pcapng_of(&t, Lang::En, false), Err(CaptureError::Nothing));
    }
}
