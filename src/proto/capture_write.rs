//! A session written as a pcapng capture that Wireshark dissects: one Ethernet interface, and
//! per connection a synthetic TCP three-way handshake, the bytes each side sent as data
//! segments of at most [`MSS`] bytes each acknowledged by the other side, at the times they
//! crossed the wire, and a FIN/ACK close. Pure: bytes in, bytes out; the words of the comments
//! come from the caller.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use etherparse::PacketBuilder;
use pcap_file::DataLink;
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};

use crate::words::Words;

/// The most payload one segment carries: Ethernet's 1500-byte MTU less 40 bytes of IPv4 and
/// TCP headers (RFC 9293 §3.7.1).
pub const MSS: usize = 1460;

/// The receive window every segment advertises.
const WINDOW: u16 = 65535;

/// The time between a segment and the one answering it (an ACK, the handshake's steps).
const RTT: Duration = Duration::from_micros(50);

/// The initial sequence numbers (any value serves; Wireshark shows them relative to these).
const CLIENT_ISN: u32 = 0x1000_0000;
const SERVER_ISN: u32 = 0x2000_0000;

/// Locally administered MAC addresses: the link layer of a loopback capture has none.
const CLIENT_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x01];
const SERVER_MAC: [u8; 6] = [0x02, 0, 0, 0, 0, 0x02];

/// Which end of the connection sent a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Client,
    Server,
}

/// Bytes one side sent, at a time since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub at: Duration,
    pub side: Side,
    pub bytes: Vec<u8>,
}

/// How a connection's written stream ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum End {
    /// Closed with FIN/ACK at this time, the side given sending the first FIN.
    Closed { at: Duration, by: Side },
    /// TLS began here: the rest of the connection was encrypted and is not written; the last
    /// packet carries the comment.
    Encrypted { comment: String },
}

/// One TCP connection: its addresses as written, the chunks in order, and how it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// When the handshake was made.
    pub opened: Duration,
    /// A comment on the SYN packet (where the real address differs from the one written).
    pub comment: Option<String>,
    pub chunks: Vec<Chunk>,
    pub end: End,
}

/// A whole capture: a comment on the section, and its connections one after another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capture {
    pub comment: Option<String>,
    pub connections: Vec<Connection>,
}

/// Why the capture could not be written (a packet the libraries refused).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.words())]
pub struct WriteError(String);

impl WriteError {
    pub fn words(&self) -> Words {
        Words::new("capture.write_failed").arg("text", &self.0)
    }
}

/// The capture as pcapng bytes (a section header, one Ethernet interface with nanosecond
/// timestamps, then the packets).
pub fn write_pcapng(capture: &Capture) -> Result<Vec<u8>, WriteError> {
    let err = |e: pcap_file::PcapError| WriteError(e.to_string());
    let mut options = vec![SectionHeaderOption::UserApplication(Cow::Borrowed(
        concat!("mailtutor ", env!("CARGO_PKG_VERSION")),
    ))];
    if let Some(c) = &capture.comment {
        options.push(SectionHeaderOption::Comment(Cow::Owned(c.clone())));
    }
    let section = SectionHeaderBlock {
        options,
        ..SectionHeaderBlock::default()
    };
    let mut w = PcapNgWriter::with_section_header(Vec::new(), section).map_err(err)?;
    // pcap-file writes timestamps in nanoseconds: the interface says so (if_tsresol 9).
    let interface = InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 0,
        options: vec![InterfaceDescriptionOption::IfTsResol(9)],
    };
    w.write_pcapng_block(interface).map_err(err)?;
    let mut packets = Vec::new();
    for c in &capture.connections {
        connection_packets(c, &mut packets)?;
    }
    for p in packets {
        let mut options = Vec::new();
        if let Some(c) = p.comment {
            options.push(EnhancedPacketOption::Comment(Cow::Owned(c)));
        }
        let block = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: p.at,
            original_len: u32::try_from(p.frame.len()).unwrap_or(u32::MAX),
            data: Cow::Owned(p.frame),
            options,
        };
        w.write_pcapng_block(block).map_err(err)?;
    }
    Ok(w.into_inner())
}

/// One frame and when it was seen.
struct Packet {
    at: Duration,
    frame: Vec<u8>,
    comment: Option<String>,
}

/// TCP flags of a segment.
#[derive(Clone, Copy, Default)]
struct Flags {
    syn: bool,
    ack: bool,
    psh: bool,
    fin: bool,
}

const ACK: Flags = Flags {
    syn: false,
    ack: true,
    psh: false,
    fin: false,
};

/// One connection's packets, appended to `out`; each at or after the one before.
fn connection_packets(c: &Connection, out: &mut Vec<Packet>) -> Result<(), WriteError> {
    let client = same_family(c.client, c.server);
    let ends = Ends {
        client,
        server: c.server,
    };
    let mut seq = [CLIENT_ISN, SERVER_ISN];
    let mut now = c.opened;
    let tick = |at: Duration, now: &mut Duration| {
        *now = at.max(*now);
        *now
    };
    // RFC 9293 §3.5: SYN, SYN/ACK, ACK; each SYN takes one sequence number.
    let syn = Flags {
        syn: true,
        ..Flags::default()
    };
    let at = tick(c.opened, &mut now);
    let mut p = ends.segment(Side::Client, seq[0], 0, syn, &[], at)?;
    p.comment = c.comment.clone();
    out.push(p);
    let at = tick(now + RTT, &mut now);
    let syn_ack = Flags { ack: true, ..syn };
    out.push(ends.segment(
        Side::Server,
        seq[1],
        seq[0].wrapping_add(1),
        syn_ack,
        &[],
        at,
    )?);
    seq = [seq[0].wrapping_add(1), seq[1].wrapping_add(1)];
    let at = tick(now + RTT, &mut now);
    out.push(ends.segment(Side::Client, seq[0], seq[1], ACK, &[], at)?);

    for chunk in &c.chunks {
        let (me, other) = index(chunk.side);
        let pieces: Vec<&[u8]> = chunk.bytes.chunks(MSS).collect();
        let last = pieces.len().saturating_sub(1);
        for (i, piece) in pieces.into_iter().enumerate() {
            let at = tick(chunk.at, &mut now);
            let flags = Flags {
                psh: i == last,
                ..ACK
            };
            out.push(ends.segment(chunk.side, seq[me], seq[other], flags, piece, at)?);
            seq[me] = seq[me].wrapping_add(piece.len() as u32);
            // The other side acknowledges each segment.
            let at = tick(now + RTT, &mut now);
            out.push(ends.segment(other_side(chunk.side), seq[other], seq[me], ACK, &[], at)?);
        }
    }

    match &c.end {
        End::Closed { at, by } => {
            // RFC 9293 §3.6: each FIN takes one sequence number and is acknowledged.
            let fin = Flags { fin: true, ..ACK };
            let (first, second) = (*by, other_side(*by));
            let (a, b) = index(first);
            let at = tick(*at, &mut now);
            out.push(ends.segment(first, seq[a], seq[b], fin, &[], at)?);
            seq[a] = seq[a].wrapping_add(1);
            let at = tick(now + RTT, &mut now);
            out.push(ends.segment(second, seq[b], seq[a], fin, &[], at)?);
            seq[b] = seq[b].wrapping_add(1);
            let at = tick(now + RTT, &mut now);
            out.push(ends.segment(first, seq[a], seq[b], ACK, &[], at)?);
        }
        End::Encrypted { comment } => {
            if let Some(p) = out.last_mut() {
                p.comment = Some(match p.comment.take() {
                    Some(before) => format!("{before}\n{comment}"),
                    None => comment.clone(),
                });
            }
        }
    }
    Ok(())
}

fn index(side: Side) -> (usize, usize) {
    match side {
        Side::Client => (0, 1),
        Side::Server => (1, 0),
    }
}

fn other_side(side: Side) -> Side {
    match side {
        Side::Client => Side::Server,
        Side::Server => Side::Client,
    }
}

/// The client's address in the server's family (IPv4 and IPv6 cannot share a packet).
fn same_family(client: SocketAddr, server: SocketAddr) -> SocketAddr {
    let ip = match (client.ip(), server.ip()) {
        (IpAddr::V4(c), IpAddr::V6(_)) => IpAddr::V6(c.to_ipv6_mapped()),
        (IpAddr::V6(c), IpAddr::V4(_)) => {
            IpAddr::V4(c.to_ipv4_mapped().unwrap_or(Ipv4Addr::LOCALHOST))
        }
        (ip, _) => ip,
    };
    SocketAddr::new(ip, client.port())
}

/// The two ends of a connection.
struct Ends {
    client: SocketAddr,
    server: SocketAddr,
}

impl Ends {
    /// One Ethernet frame holding one TCP segment, checksums computed.
    fn segment(
        &self,
        from: Side,
        seq: u32,
        ack: u32,
        flags: Flags,
        payload: &[u8],
        at: Duration,
    ) -> Result<Packet, WriteError> {
        let (src, dst, smac, dmac) = match from {
            Side::Client => (self.client, self.server, CLIENT_MAC, SERVER_MAC),
            Side::Server => (self.server, self.client, SERVER_MAC, CLIENT_MAC),
        };
        let eth = PacketBuilder::ethernet2(smac, dmac);
        let ip = match (src.ip(), dst.ip()) {
            (IpAddr::V6(s), IpAddr::V6(d)) => eth.ipv6(s.octets(), d.octets(), 64),
            (IpAddr::V4(s), IpAddr::V4(d)) => eth.ipv4(s.octets(), d.octets(), 64),
            // Made one family by `same_family`.
            _ => eth.ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64),
        };
        let mut tcp = ip.tcp(src.port(), dst.port(), seq, WINDOW);
        if flags.syn {
            tcp = tcp.syn();
        }
        if flags.ack {
            tcp = tcp.ack(ack);
        }
        if flags.psh {
            tcp = tcp.psh();
        }
        if flags.fin {
            tcp = tcp.fin();
        }
        let mut frame = Vec::with_capacity(tcp.size(payload.len()));
        tcp.write(&mut frame, payload)
            .map_err(|e| WriteError(e.to_string()))?;
        Ok(Packet {
            at,
            frame,
            comment: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use etherparse::{NetSlice, SlicedPacket, TransportSlice};
    use pcap_file::pcapng::{Block, PcapNgReader};

    /// A decoded packet: who sent it, seq, ack, flags (S, A, P, F), payload, time, comment.
    #[derive(Debug)]
    struct Seen {
        from_client: bool,
        seq: u32,
        ack: u32,
        flags: String,
        payload: Vec<u8>,
        at: Duration,
        comment: Option<String>,
    }

    fn read_back(bytes: &[u8]) -> (Option<String>, Vec<Seen>) {
        let mut r = PcapNgReader::new(bytes).unwrap();
        let section = r.section().options.iter().find_map(|o| match o {
            SectionHeaderOption::Comment(c) => Some(c.to_string()),
            _ => None,
        });
        assert_eq!(r.interfaces().len(), 0);
        let mut seen = Vec::new();
        while let Some(b) = r.next_block() {
            match b.unwrap() {
                Block::InterfaceDescription(i) => {
                    assert_eq!(i.linktype, DataLink::ETHERNET);
                    assert!(
                        i.options
                            .contains(&InterfaceDescriptionOption::IfTsResol(9))
                    );
                }
                Block::EnhancedPacket(p) => {
                    let s = SlicedPacket::from_ethernet(&p.data).unwrap();
                    let Some(NetSlice::Ipv4(ip)) = &s.net else {
                        panic!("not IPv4")
                    };
                    // The IPv4 header's checksum holds.
                    let h = ip.header().to_header();
                    assert_eq!(h.header_checksum, h.calc_header_checksum());
                    let Some(TransportSlice::Tcp(t)) = &s.transport else {
                        panic!("not TCP")
                    };
                    let sum = t.to_header().calc_checksum_ipv4(&h, t.payload()).unwrap();
                    assert_eq!(sum, t.checksum(), "TCP checksum");
                    let mut flags = String::new();
                    for (on, c) in [
                        (t.syn(), 'S'),
                        (t.ack(), 'A'),
                        (t.psh(), 'P'),
                        (t.fin(), 'F'),
                    ] {
                        if on {
                            flags.push(c);
                        }
                    }
                    seen.push(Seen {
                        from_client: t.source_port() == 50000,
                        seq: t.sequence_number(),
                        ack: t.acknowledgment_number(),
                        flags,
                        payload: t.payload().to_vec(),
                        at: p.timestamp,
                        comment: p.options.iter().find_map(|o| match o {
                            EnhancedPacketOption::Comment(c) => Some(c.to_string()),
                            _ => None,
                        }),
                    });
                }
                other => panic!("unexpected block {other:?}"),
            }
        }
        (section, seen)
    }

    fn secs(s: u64, ms: u64) -> Duration {
        Duration::from_secs(s) + Duration::from_millis(ms)
    }

    fn session(chunks: Vec<(u64, Side, &[u8])>, end: End) -> Capture {
        Capture {
            comment: Some("section words".into()),
            connections: vec![Connection {
                client: "127.0.0.1:50000".parse().unwrap(),
                server: "127.0.0.1:25".parse().unwrap(),
                opened: secs(1000, 0),
                comment: Some("real address".into()),
                chunks: chunks
                    .into_iter()
                    .map(|(ms, side, b)| Chunk {
                        at: secs(1000, ms),
                        side,
                        bytes: b.to_vec(),
                    })
                    .collect(),
                end,
            }],
        }
    }

    /// Each side's data continues where its last segment ended, and every ACK number is the
    /// other side's next sequence number.
    fn assert_continuous(seen: &[Seen]) {
        let mut next = [None::<u32>, None];
        for s in seen {
            let me = usize::from(!s.from_client);
            if let Some(n) = next[me] {
                assert_eq!(s.seq, n, "{s:?}");
            }
            let mut len = s.payload.len() as u32;
            if s.flags.contains('S') || s.flags.contains('F') {
                len += 1;
            }
            next[me] = Some(s.seq.wrapping_add(len));
            if s.flags.contains('A') {
                assert_eq!(Some(s.ack), next[1 - me], "{s:?}");
            }
        }
    }

    #[test]
    fn a_session_reads_back_as_handshake_data_acks_and_close() {
        let c = session(
            vec![
                (5, Side::Server, b"220 hi\r\n"),
                (7, Side::Client, b"QUIT\r\n"),
                (9, Side::Server, b"221 bye\r\n"),
            ],
            End::Closed {
                at: secs(1000, 10),
                by: Side::Server,
            },
        );
        let (section, seen) = read_back(&write_pcapng(&c).unwrap());
        assert_eq!(section.as_deref(), Some("section words"));
        let flags: Vec<&str> = seen.iter().map(|s| s.flags.as_str()).collect();
        assert_eq!(
            flags,
            [
                "S", "SA", "A", "AP", "A", "AP", "A", "AP", "A", "AF", "AF", "A"
            ]
        );
        assert_eq!(seen[0].comment.as_deref(), Some("real address"));
        assert_eq!(seen[3].payload, b"220 hi\r\n");
        assert!(!seen[3].from_client && seen[5].from_client);
        assert_eq!(
            seen[3].at,
            secs(1000, 5),
            "a segment is at its entry's time"
        );
        assert_eq!(seen[5].at, secs(1000, 7));
        assert!(seen.windows(2).all(|w| w[0].at <= w[1].at));
        assert!(!seen[9].from_client, "the server closes first");
        assert_continuous(&seen);
    }

    #[test]
    fn a_long_reply_is_split_into_mss_segments() {
        let long = vec![b'x'; 2 * MSS + 100];
        let c = session(
            vec![(1, Side::Server, &long), (2, Side::Client, b"QUIT\r\n")],
            End::Closed {
                at: secs(1000, 3),
                by: Side::Client,
            },
        );
        let (_, seen) = read_back(&write_pcapng(&c).unwrap());
        let sizes: Vec<usize> = seen
            .iter()
            .filter(|s| !s.from_client && !s.payload.is_empty())
            .map(|s| s.payload.len())
            .collect();
        assert_eq!(sizes, [MSS, MSS, 100]);
        // Only the last segment of the reply is pushed.
        let data: Vec<&str> = seen
            .iter()
            .filter(|s| !s.payload.is_empty())
            .map(|s| s.flags.as_str())
            .collect();
        assert_eq!(data, ["A", "A", "AP", "AP"]);
        assert_continuous(&seen);
    }

    #[test]
    fn a_stream_cut_at_tls_ends_with_the_comment_and_no_close() {
        let c = session(
            vec![
                (1, Side::Server, b"220 hi\r\n"),
                (2, Side::Client, b"STARTTLS\r\n"),
                (3, Side::Server, b"220 go ahead\r\n"),
            ],
            End::Encrypted {
                comment: "encrypted from here".into(),
            },
        );
        let (_, seen) = read_back(&write_pcapng(&c).unwrap());
        let last = seen.last().unwrap();
        assert_eq!(last.comment.as_deref(), Some("encrypted from here"));
        assert!(seen.iter().all(|s| !s.flags.contains('F')));
        assert_continuous(&seen);
    }

    #[test]
    fn times_never_go_back() {
        // An entry stamped before the one above it (clocks differ between threads).
        let c = session(
            vec![
                (9, Side::Server, b"220 hi\r\n"),
                (2, Side::Client, b"QUIT\r\n"),
            ],
            End::Closed {
                at: secs(1000, 1),
                by: Side::Client,
            },
        );
        let (_, seen) = read_back(&write_pcapng(&c).unwrap());
        assert!(seen.windows(2).all(|w| w[0].at <= w[1].at));
    }
}
