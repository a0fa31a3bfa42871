//! Reads a packet capture (pcap or pcapng, as Wireshark and tcpdump save them) into the mail
//! sessions it holds: each TCP connection's two directions put back in order, cut into lines,
//! each line with the number Wireshark gives the packet that completed it. Pure: bytes in,
//! sessions out; a truncated or hostile file yields what could be read, never a panic.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use etherparse::{LaxNetSlice, LaxSlicedPacket, TransportSlice};

use crate::proto::Protocol;

mod tcp;

pub use tcp::{CapturedLine, MailSession, Side};

/// Bytes of lines kept for one session; the rest is cut, and said so.
pub const SESSION_CAP: usize = 4 << 20;
/// Bytes of lines kept for the whole capture.
pub const TOTAL_CAP: usize = 32 << 20;
/// TCP connections followed at once: a capture of a port scan has no mail worth the memory.
pub const CONNECTION_CAP: usize = 4096;

/// What a capture file held.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capture {
    /// The mail sessions, in the order their first packet came.
    pub sessions: Vec<MailSession>,
    /// Packets in the file, as Wireshark numbers them (the last one's number).
    pub packets: u32,
    /// The file ends in the middle of a record (a capture cut short, or not saved whole).
    pub truncated: bool,
    /// Some lines were left out to keep memory bounded (a session, the total, or the
    /// number of connections over its cap).
    pub cut: bool,
}

/// Why bytes are not a capture this reader can open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaptureError {
    /// Neither pcap's nor pcapng's magic number.
    NotACapture,
    /// The file header itself is cut short.
    Truncated,
}

/// The container formats, told apart by their first four bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    /// Classic pcap: big-endian or not, nanosecond timestamps or micro.
    Pcap {
        big: bool,
        nanos: bool,
    },
    Pcapng,
}

fn format_of(bytes: &[u8]) -> Option<Format> {
    let magic: [u8; 4] = bytes.get(..4)?.try_into().ok()?;
    Some(match magic {
        [0xd4, 0xc3, 0xb2, 0xa1] => Format::Pcap {
            big: false,
            nanos: false,
        },
        [0xa1, 0xb2, 0xc3, 0xd4] => Format::Pcap {
            big: true,
            nanos: false,
        },
        [0x4d, 0x3c, 0xb2, 0xa1] => Format::Pcap {
            big: false,
            nanos: true,
        },
        [0xa1, 0xb2, 0x3c, 0x4d] => Format::Pcap {
            big: true,
            nanos: true,
        },
        [0x0a, 0x0d, 0x0d, 0x0a] => Format::Pcapng,
        _ => return None,
    })
}

/// Whether `bytes` start like a pcap or pcapng file (to tell a capture from a pasted log).
pub fn is_capture(bytes: &[u8]) -> bool {
    format_of(bytes).is_some()
}

/// Reads every packet of a capture and returns the mail sessions found in it.
pub fn read_capture(bytes: &[u8]) -> Result<Capture, CaptureError> {
    let format = format_of(bytes).ok_or(CaptureError::NotACapture)?;
    let mut tcp = tcp::Streams::default();
    let mut frame: u32 = 0;
    let mut each = |link: u32, time: Duration, data: &[u8]| {
        frame = frame.saturating_add(1);
        if let Some(seg) = segment(link, data) {
            tcp.packet(frame, time, seg);
        }
    };
    let truncated = match format {
        Format::Pcap { big, nanos } => pcap(bytes, big, nanos, &mut each)?,
        Format::Pcapng => pcapng(bytes, &mut each),
    };
    let (sessions, cut) = tcp.finish();
    Ok(Capture {
        sessions,
        packets: frame,
        truncated,
        cut,
    })
}

/// Reads a u16 or u32 in the file's byte order.
#[derive(Debug, Clone, Copy)]
struct Order {
    big: bool,
}

impl Order {
    fn u16(self, b: &[u8], at: usize) -> Option<u16> {
        let a: [u8; 2] = b.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big {
            u16::from_be_bytes(a)
        } else {
            u16::from_le_bytes(a)
        })
    }
    fn u32(self, b: &[u8], at: usize) -> Option<u32> {
        let a: [u8; 4] = b.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big {
            u32::from_be_bytes(a)
        } else {
            u32::from_le_bytes(a)
        })
    }
}

/// Classic pcap: a 24-byte file header, then records of 16 bytes and the packet. Returns
/// whether the file ends inside a record.
fn pcap(
    bytes: &[u8],
    big: bool,
    nanos: bool,
    each: &mut impl FnMut(u32, Duration, &[u8]),
) -> Result<bool, CaptureError> {
    let o = Order { big };
    // The link type is the low 16 bits; some writers put FCS flags above them.
    let link = o.u32(bytes, 20).ok_or(CaptureError::Truncated)? & 0xffff;
    let mut at = 24;
    while at < bytes.len() {
        let (Some(secs), Some(frac), Some(len)) =
            (o.u32(bytes, at), o.u32(bytes, at + 4), o.u32(bytes, at + 8))
        else {
            return Ok(true);
        };
        let start = at + 16;
        let Some(data) = start
            .checked_add(len as usize)
            .and_then(|end| bytes.get(start..end))
        else {
            return Ok(true);
        };
        let sub = if nanos {
            frac
        } else {
            frac.saturating_mul(1000)
        };
        each(
            link,
            Duration::new(u64::from(secs), sub.min(999_999_999)),
            data,
        );
        at = start + data.len();
    }
    Ok(false)
}

/// One interface of a pcapng section: its link type and its timestamps' unit.
#[derive(Debug, Clone, Copy)]
struct Interface {
    link: u32,
    /// `if_tsresol`: a power of ten, or of two when the high bit is set (pcapng §4.2).
    tsresol: u8,
}

/// Interfaces a section may describe before the rest is ignored.
const INTERFACE_CAP: usize = 256;

/// pcapng (draft-ietf-opsawg-pcapng): blocks of type, length, body, length. Packets are the
/// Enhanced (6), Simple (3) and obsolete Packet (2) blocks; every one counts as a frame, as
/// Wireshark counts it. Returns whether the file ends inside a block.
fn pcapng(bytes: &[u8], each: &mut impl FnMut(u32, Duration, &[u8])) -> bool {
    let mut o = Order { big: false };
    let mut interfaces: Vec<Interface> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        // A Section Header Block says the byte order of what follows (§4.1).
        if rest.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]) {
            match rest.get(8..12) {
                Some([0x1a, 0x2b, 0x3c, 0x4d]) => o.big = true,
                Some([0x4d, 0x3c, 0x2b, 0x1a]) => o.big = false,
                _ => return true,
            }
            interfaces.clear();
        }
        let (Some(kind), Some(len)) = (o.u32(rest, 0), o.u32(rest, 4)) else {
            return true;
        };
        let len = len as usize;
        if len < 12 || len > rest.len() {
            return true;
        }
        // The body, without the type, the lengths and the trailing length.
        let body = &rest[8..len - 4];
        match kind {
            1 if interfaces.len() < INTERFACE_CAP => {
                let link = o.u16(body, 0).map_or(u32::MAX, u32::from);
                interfaces.push(Interface {
                    link,
                    tsresol: tsresol(o, body.get(8..).unwrap_or_default()),
                });
            }
            6 => {
                let iface = o.u32(body, 0).and_then(|i| interfaces.get(i as usize));
                let ts = u64::from(o.u32(body, 4).unwrap_or(0)) << 32
                    | u64::from(o.u32(body, 8).unwrap_or(0));
                let caplen = o.u32(body, 12).unwrap_or(0) as usize;
                let data = body.get(20..).unwrap_or_default();
                let data = data.get(..caplen).unwrap_or(data);
                packet(iface, ts, data, each);
            }
            3 => {
                // A Simple Packet Block: interface 0, no timestamp, the data up to the
                // block's end (its padding included when the original was longer).
                let orig = o.u32(body, 0).unwrap_or(0) as usize;
                let data = body.get(4..).unwrap_or_default();
                let data = data.get(..orig).unwrap_or(data);
                packet(interfaces.first(), 0, data, each);
            }
            2 => {
                let iface = o.u16(body, 0).and_then(|i| interfaces.get(usize::from(i)));
                let ts = u64::from(o.u32(body, 4).unwrap_or(0)) << 32
                    | u64::from(o.u32(body, 8).unwrap_or(0));
                let caplen = o.u32(body, 12).unwrap_or(0) as usize;
                let data = body.get(20..).unwrap_or_default();
                let data = data.get(..caplen).unwrap_or(data);
                packet(iface, ts, data, each);
            }
            _ => {}
        }
        at += len;
    }
    false
}

/// A packet of a pcapng file, on its interface (none: a packet with no interface described
/// still counts, but is not read).
fn packet(
    iface: Option<&Interface>,
    ts: u64,
    data: &[u8],
    each: &mut impl FnMut(u32, Duration, &[u8]),
) {
    let (link, time) = match iface {
        Some(i) => (i.link, time_of(ts, i.tsresol)),
        None => (u32::MAX, Duration::ZERO),
    };
    each(link, time, data);
}

/// The `if_tsresol` option (code 9) of an Interface Description Block's options; 6
/// (microseconds) when absent.
fn tsresol(o: Order, mut opts: &[u8]) -> u8 {
    while let (Some(code), Some(len)) = (o.u16(opts, 0), o.u16(opts, 2)) {
        let len = usize::from(len);
        if code == 0 {
            break;
        }
        if code == 9 && len == 1 {
            return opts.get(4).copied().unwrap_or(6);
        }
        let padded = (len + 3) & !3;
        match opts.get(4 + padded..) {
            Some(rest) => opts = rest,
            None => break,
        }
    }
    6
}

/// A timestamp in units of the interface's resolution, as time since the epoch.
fn time_of(ts: u64, tsresol: u8) -> Duration {
    let exp = u32::from(tsresol & 0x7f);
    let nanos: u128 = if tsresol & 0x80 != 0 {
        (u128::from(ts) * 1_000_000_000)
            .checked_shr(exp)
            .unwrap_or(0)
    } else {
        match 10u128.checked_pow(exp) {
            Some(unit) => u128::from(ts) * 1_000_000_000 / unit,
            None => 0,
        }
    };
    let nanos = u64::try_from(nanos).unwrap_or(u64::MAX);
    Duration::from_nanos(nanos)
}

/// A TCP segment as the reassembly needs it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub payload: &'a [u8],
}

/// The TCP segment in a packet of a link type, if it carries one over IPv4 or IPv6.
fn segment(link: u32, data: &[u8]) -> Option<Segment<'_>> {
    let ip = match link {
        // Ethernet, with any 802.1Q / 802.1ad tags before the EtherType.
        1 => {
            let mut at = 12;
            let mut kind = u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?);
            while matches!(kind, 0x8100 | 0x88a8 | 0x9100) {
                at += 4;
                kind = u16::from_be_bytes(data.get(at..at + 2)?.try_into().ok()?);
            }
            data.get(at + 2..)?
        }
        // Linux cooked capture v1 (16-byte header) and v2 (20 bytes).
        113 => data.get(16..)?,
        276 => data.get(20..)?,
        // BSD loopback: the address family in four bytes, then the packet.
        0 | 108 => data.get(4..)?,
        // Raw IP (the DLT values some systems save, and the link types).
        12 | 14 | 101 | 228 | 229 => data,
        _ => return None,
    };
    // Lax: an IPv4 total length of 0, as captures of TCP segmentation offload hold, is
    // taken as "the rest of the frame" (Wireshark presumes the same).
    let p = LaxSlicedPacket::from_ip(ip).ok()?;
    let (src, dst): (IpAddr, IpAddr) = match p.net? {
        LaxNetSlice::Ipv4(v4) => (
            v4.header().source_addr().into(),
            v4.header().destination_addr().into(),
        ),
        LaxNetSlice::Ipv6(v6) => (
            v6.header().source_addr().into(),
            v6.header().destination_addr().into(),
        ),
        LaxNetSlice::Arp(_) => return None,
    };
    let TransportSlice::Tcp(t) = p.transport? else {
        return None;
    };
    Some(Segment {
        src: SocketAddr::new(src, t.source_port()),
        dst: SocketAddr::new(dst, t.destination_port()),
        seq: t.sequence_number(),
        syn: t.syn(),
        ack: t.ack(),
        fin: t.fin(),
        rst: t.rst(),
        payload: t.payload(),
    })
}

/// The protocol a server port is known for, and whether its sessions are TLS from the start.
pub fn port_protocol(port: u16) -> Option<(Protocol, bool)> {
    Some(match port {
        25 | 587 | 2525 => (Protocol::Smtp, false),
        465 => (Protocol::Smtp, true),
        110 => (Protocol::Pop3, false),
        995 => (Protocol::Pop3, true),
        143 => (Protocol::Imap, false),
        993 => (Protocol::Imap, true),
        _ => return None,
    })
}

/// The protocol a server's first bytes greet in: `220 ` (SMTP, RFC 5321 §4.2), `+OK` (POP3,
/// RFC 1939 §4), `* OK` / `* PREAUTH` (IMAP, RFC 9051 §7.1).
pub fn greeting_protocol(first: &[u8]) -> Option<Protocol> {
    if first.starts_with(b"220 ") || first.starts_with(b"220-") {
        Some(Protocol::Smtp)
    } else if first.starts_with(b"+OK") {
        Some(Protocol::Pop3)
    } else if first.starts_with(b"* OK") || first.starts_with(b"* PREAUTH") {
        Some(Protocol::Imap)
    } else {
        None
    }
}

#[cfg(test)]
mod tests;
