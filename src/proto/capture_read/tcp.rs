//! TCP reassembly for the capture reader: each connection's two directions put back in
//! sequence order (RFC 9293 §3.4: duplicates and retransmissions dropped, segments that came
//! early held until the bytes before them come, a hole left as a gap), cut into lines, and
//! kept only for the connections that are mail sessions, up to STARTTLS or TLS.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::time::Duration;

use super::{CONNECTION_CAP, SESSION_CAP, Segment, TOTAL_CAP, greeting_protocol, port_protocol};
use crate::proto::Protocol;

/// Bytes of segments held out of order in one direction before the hole is taken as a gap.
const PENDING_CAP: usize = 256 << 10;
/// A line longer than this is kept as several.
const LINE_CAP: usize = 16 << 10;

/// Which end of the connection sent a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// One line of a session as it crossed the wire, without its line ending.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapturedLine {
    /// The packet that completed the line, numbered as Wireshark does (1 is the file's first).
    pub frame: u32,
    /// When that packet was captured (since the Unix epoch).
    pub time: Duration,
    pub side: Side,
    pub bytes: Vec<u8>,
    /// Bytes of this direction are missing before the line (a packet the capture lost).
    pub after_gap: bool,
}

/// One mail session of a capture: a TCP connection to a mail server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailSession {
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// The protocol its port or its server's greeting shows.
    pub protocol: Protocol,
    /// Both directions' lines, in the order their packets came.
    pub lines: Vec<CapturedLine>,
    /// The numbers of the connection's first and last packets, and how many it has.
    pub first_frame: u32,
    pub last_frame: u32,
    pub packets: u32,
    /// The packet from which the session is TLS (after STARTTLS or STLS was accepted, or
    /// from its start on an implicit-TLS port): no lines are read from there on.
    pub encrypted_from: Option<u32>,
    /// Lines were left out to keep memory bounded.
    pub cut: bool,
}

/// What a connection turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// No bytes yet.
    Unknown,
    Mail(Protocol),
    /// Not a mail session: its bytes are not kept.
    Other,
}

/// One direction of a connection.
#[derive(Debug, Default)]
struct Dir {
    /// The sequence number offsets count from (the first byte's, or the SYN's + 1).
    base: Option<u32>,
    /// The offset of the next byte in order.
    next: u32,
    /// Segments that came before the bytes ahead of them, by offset.
    pending: BTreeMap<u32, (u32, Duration, Vec<u8>)>,
    pending_bytes: usize,
    /// The line being read.
    partial: Vec<u8>,
    /// A hole was skipped: the next line says so.
    gap: bool,
}

#[derive(Debug)]
struct Conn {
    /// The two ends: `ends[0]` sent the connection's first packet seen.
    ends: [SocketAddr; 2],
    /// Which end is the client, once known.
    client: Option<usize>,
    dirs: [Dir; 2],
    kind: Kind,
    first_frame: u32,
    last_frame: u32,
    /// When the last packet came.
    last_time: Duration,
    packets: u32,
    lines: Vec<CapturedLine>,
    bytes: usize,
    cut: bool,
    /// No more lines are read: TLS began, or the cap was reached.
    stopped: bool,
    /// TLS was agreed: the next bytes are ciphertext.
    tls: bool,
    encrypted_from: Option<u32>,
    /// The client asked for TLS (STARTTLS, STLS; IMAP's with its tag) and the server has
    /// not answered yet.
    tls_asked: Option<Vec<u8>>,
    /// A FIN or RST was seen: a new SYN on the same ports starts a new connection.
    closed: bool,
}

/// Every TCP connection of a capture, followed packet by packet.
#[derive(Debug, Default)]
pub(crate) struct Streams {
    by_ends: HashMap<(SocketAddr, SocketAddr), usize>,
    conns: Vec<Conn>,
    total: usize,
    cut: bool,
}

fn key(a: SocketAddr, b: SocketAddr) -> (SocketAddr, SocketAddr) {
    if a <= b { (a, b) } else { (b, a) }
}

impl Streams {
    /// One TCP segment, in the order the file holds the packets.
    pub(crate) fn packet(&mut self, frame: u32, time: Duration, seg: Segment<'_>) {
        let k = key(seg.src, seg.dst);
        let fresh_syn = seg.syn && !seg.ack;
        let index = match self.by_ends.get(&k) {
            Some(&i) if !(fresh_syn && self.conns.get(i).is_some_and(|c| c.closed)) => i,
            _ => {
                if self.conns.len() >= CONNECTION_CAP {
                    self.cut = true;
                    return;
                }
                self.conns.push(Conn::new(seg.src, seg.dst, frame));
                self.by_ends.insert(k, self.conns.len() - 1);
                self.conns.len() - 1
            }
        };
        let Some(conn) = self.conns.get_mut(index) else {
            return;
        };
        conn.segment(frame, time, seg, &mut self.total);
        self.cut |= conn.cut;
    }

    /// The mail sessions, once every packet was read: held segments placed after their
    /// holes, unfinished lines ended.
    pub(crate) fn finish(mut self) -> (Vec<MailSession>, bool) {
        let mut out = Vec::new();
        for conn in &mut self.conns {
            let Kind::Mail(protocol) = conn.kind else {
                continue;
            };
            for d in 0..2 {
                conn.drain(d, None, &mut self.total);
                conn.end_line(d, None);
            }
            conn.lines.sort_by_key(|l| l.frame);
            let c = conn.client.unwrap_or(0);
            out.push(MailSession {
                client: conn.ends[c],
                server: conn.ends[1 - c],
                protocol,
                lines: std::mem::take(&mut conn.lines),
                first_frame: conn.first_frame,
                last_frame: conn.last_frame,
                packets: conn.packets,
                encrypted_from: conn.encrypted_from,
                cut: conn.cut,
            });
            self.cut |= conn.cut;
        }
        (out, self.cut)
    }
}

impl Conn {
    fn new(src: SocketAddr, dst: SocketAddr, frame: u32) -> Self {
        Self {
            ends: [src, dst],
            client: None,
            dirs: [Dir::default(), Dir::default()],
            kind: Kind::Unknown,
            first_frame: frame,
            last_frame: frame,
            last_time: Duration::ZERO,
            packets: 0,
            lines: Vec::new(),
            bytes: 0,
            cut: false,
            stopped: false,
            tls: false,
            encrypted_from: None,
            tls_asked: None,
            closed: false,
        }
    }

    fn segment(&mut self, frame: u32, time: Duration, seg: Segment<'_>, total: &mut usize) {
        self.packets = self.packets.saturating_add(1);
        self.last_frame = frame;
        self.last_time = time;
        let d = usize::from(seg.src != self.ends[0]);
        if seg.syn {
            // The SYN's sender without ACK opens the connection: the client (RFC 9293
            // §3.5). The data's first byte is the one after the SYN's number.
            if self.client.is_none() {
                self.client = Some(if seg.ack { 1 - d } else { d });
            }
            if self.dirs[d].base.is_none() {
                self.dirs[d].base = Some(seg.seq.wrapping_add(1));
            }
        }
        self.closed |= seg.fin || seg.rst;
        if seg.payload.is_empty() || self.kind == Kind::Other {
            return;
        }
        if self.stopped {
            if self.tls && self.encrypted_from.is_none() {
                self.encrypted_from = Some(frame);
            }
            return;
        }
        let dir = &mut self.dirs[d];
        let base = *dir.base.get_or_insert(seg.seq);
        let off = seg.seq.wrapping_sub(base);
        let ahead = off.wrapping_sub(dir.next) as i32;
        if ahead > 0 {
            // Early: held until the bytes before it come, within bounds.
            if dir.pending_bytes + seg.payload.len() <= PENDING_CAP
                && !dir.pending.contains_key(&off)
            {
                dir.pending_bytes += seg.payload.len();
                dir.pending.insert(off, (frame, time, seg.payload.to_vec()));
            } else {
                // Too much is missing: each hole is a gap, what is held is read in order,
                // and this segment after it.
                self.drain(d, None, total);
                self.take(d, frame, time, off, seg.payload, total);
            }
            return;
        }
        self.take(d, frame, time, off, seg.payload, total);
        self.drain(d, Some((frame, time)), total);
    }

    /// Bytes at offset `off` of direction `d`: the part not already read is read.
    fn take(
        &mut self,
        d: usize,
        frame: u32,
        time: Duration,
        off: u32,
        data: &[u8],
        total: &mut usize,
    ) {
        let behind = self.dirs[d].next.wrapping_sub(off) as i32;
        let fresh = if behind > 0 {
            // A retransmission, whole or in part.
            match data.get(behind as usize..) {
                Some(rest) if !rest.is_empty() => rest,
                _ => return,
            }
        } else {
            if behind < 0 {
                // A hole: the line before it ends where the bytes stop, and the next line
                // says that some are missing before it.
                self.end_line(d, Some((frame, time)));
                self.dirs[d].gap = true;
            }
            data
        };
        self.dirs[d].next = off.wrapping_add(data.len() as u32);
        self.bytes_in(d, frame, time, fresh, total);
    }

    /// Reads the held segments that the bytes read so far reach; with `now` none, at the
    /// file's end, every held segment, each hole before one taken as a gap. A segment
    /// placed in order by a later packet is complete at that packet.
    fn drain(&mut self, d: usize, now: Option<(u32, Duration)>, total: &mut usize) {
        loop {
            let dir = &mut self.dirs[d];
            let Some((&off, _)) = dir.pending.iter().next() else {
                return;
            };
            let ahead = off.wrapping_sub(dir.next) as i32;
            if ahead > 0 && now.is_some() {
                return;
            }
            let Some((frame, time, data)) = dir.pending.remove(&off) else {
                return;
            };
            dir.pending_bytes = dir.pending_bytes.saturating_sub(data.len());
            let (frame, time) = match now {
                Some(n) if n.0 > frame => n,
                _ => (frame, time),
            };
            if self.stopped {
                self.dirs[d].pending.clear();
                self.dirs[d].pending_bytes = 0;
                return;
            }
            self.take(d, frame, time, off, &data, total);
        }
    }

    /// Bytes in order: the connection's kind found from its first ones, then lines.
    fn bytes_in(&mut self, d: usize, frame: u32, time: Duration, data: &[u8], total: &mut usize) {
        if self.kind == Kind::Unknown {
            self.kind = self.kind_from(d, data);
            if self.kind == Kind::Other {
                self.dirs = [Dir::default(), Dir::default()];
                return;
            }
            // An implicit-TLS port, or a TLS handshake record (RFC 8446 §5.1) first.
            let implicit = self
                .client
                .and_then(|c| port_protocol(self.ends[1 - c].port()))
                .is_some_and(|(_, tls)| tls);
            if implicit || data.starts_with(&[0x16, 0x03]) {
                self.tls = true;
                self.stopped = true;
                self.encrypted_from = Some(frame);
                return;
            }
        }
        let mut rest = data;
        while !rest.is_empty() && !self.stopped {
            let room = LINE_CAP.saturating_sub(self.dirs[d].partial.len()).max(1);
            let (chunk, ends) = match rest.iter().position(|&b| b == b'\n') {
                Some(i) if i < room => (&rest[..=i], true),
                _ if rest.len() >= room => (&rest[..room], true),
                _ => (rest, false),
            };
            self.dirs[d].partial.extend_from_slice(chunk);
            rest = &rest[chunk.len()..];
            if ends {
                self.end_line(d, Some((frame, time)));
                self.count(total);
            }
        }
        if self.stopped && self.tls && !rest.is_empty() && self.encrypted_from.is_none() {
            self.encrypted_from = Some(frame);
        }
    }

    /// Which end is the server and what it speaks, from the first bytes in order (sent by
    /// end `d`): a greeting names its sender the server; else a mail port does.
    fn kind_from(&mut self, d: usize, data: &[u8]) -> Kind {
        if let Some(p) = greeting_protocol(data)
            && (self.client.is_none() || self.client == Some(1 - d))
        {
            self.client = Some(1 - d);
            return Kind::Mail(p);
        }
        if self.client.is_none() {
            if port_protocol(self.ends[1 - d].port()).is_some() {
                self.client = Some(d);
            } else if port_protocol(self.ends[d].port()).is_some() {
                self.client = Some(1 - d);
            }
        }
        match self
            .client
            .and_then(|c| port_protocol(self.ends[1 - c].port()))
        {
            Some((p, _)) => Kind::Mail(p),
            None => Kind::Other,
        }
    }

    /// Keeps the totals within their caps: past one, the session is cut there.
    fn count(&mut self, total: &mut usize) {
        let last = self.lines.last().map_or(0, |l| l.bytes.len());
        self.bytes += last;
        *total += last;
        if self.bytes > SESSION_CAP || *total > TOTAL_CAP {
            self.cut = true;
            self.stopped = true;
            self.dirs = [Dir::default(), Dir::default()];
        }
    }

    /// Ends direction `d`'s line (at the file's end, where `now` is none, if it has bytes).
    fn end_line(&mut self, d: usize, now: Option<(u32, Duration)>) {
        let dir = &mut self.dirs[d];
        if dir.partial.is_empty() {
            return;
        }
        let mut bytes = std::mem::take(&mut dir.partial);
        if bytes.ends_with(b"\n") {
            bytes.pop();
            if bytes.ends_with(b"\r") {
                bytes.pop();
            }
        }
        let after_gap = std::mem::take(&mut dir.gap);
        let (frame, time) = now.unwrap_or((self.last_frame, self.last_time));
        let side = if self.client == Some(d) {
            Side::Client
        } else {
            Side::Server
        };
        self.tls_turn(side, &bytes);
        self.lines.push(CapturedLine {
            frame,
            time,
            side,
            bytes,
            after_gap,
        });
    }

    /// Follows STARTTLS (RFC 3207 §4), STLS (RFC 2595 §4) and IMAP's STARTTLS (RFC 9051
    /// §6.2.1): once the server accepts, the lines after its answer are ciphertext.
    fn tls_turn(&mut self, side: Side, line: &[u8]) {
        let Kind::Mail(protocol) = self.kind else {
            return;
        };
        let upper = line.to_ascii_uppercase();
        match side {
            Side::Client => {
                let asked = match protocol {
                    Protocol::Smtp => upper.trim_ascii() == b"STARTTLS",
                    Protocol::Pop3 => upper.trim_ascii() == b"STLS",
                    Protocol::Imap => upper.trim_ascii().ends_with(b" STARTTLS"),
                };
                self.tls_asked = asked.then(|| {
                    let tag = upper.split(|&b| b == b' ').next().unwrap_or_default();
                    tag.to_vec()
                });
            }
            Side::Server => {
                let Some(tag) = &self.tls_asked else {
                    return;
                };
                let (yes, final_line) = match protocol {
                    Protocol::Smtp => (upper.starts_with(b"220 "), upper.get(3) != Some(&b'-')),
                    Protocol::Pop3 => (upper.starts_with(b"+OK"), true),
                    Protocol::Imap => {
                        let mut ok = tag.clone();
                        ok.extend_from_slice(b" OK");
                        (upper.starts_with(&ok), upper.starts_with(tag))
                    }
                };
                if yes {
                    self.tls = true;
                    self.stopped = true;
                    self.dirs = [Dir::default(), Dir::default()];
                }
                if final_line {
                    self.tls_asked = None;
                }
            }
        }
    }
}
