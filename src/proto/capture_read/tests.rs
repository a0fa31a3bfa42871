//! Captures built by hand, packet by packet: the formats, the link types, the reassembly and
//! the choice of mail sessions.

use super::*;
use etherparse::PacketBuilder;

const C: ([u8; 4], u16) = ([10, 0, 0, 2], 40000);
const S: ([u8; 4], u16) = ([10, 0, 0, 1], 25);

/// One TCP segment, as the test writes it.
#[derive(Clone)]
struct Seg {
    from_client: bool,
    seq: u32,
    syn: bool,
    ack: bool,
    fin: bool,
    data: Vec<u8>,
}

fn data(from_client: bool, seq: u32, d: &str) -> Seg {
    Seg {
        from_client,
        seq,
        syn: false,
        ack: true,
        fin: false,
        data: d.as_bytes().to_vec(),
    }
}

fn syn(from_client: bool, seq: u32) -> Seg {
    Seg {
        from_client,
        seq,
        syn: true,
        ack: !from_client,
        fin: false,
        data: Vec::new(),
    }
}

/// An Ethernet frame of a segment between `c` and `s`.
fn ether(seg: &Seg, c: ([u8; 4], u16), s: ([u8; 4], u16)) -> Vec<u8> {
    let (a, b) = if seg.from_client { (c, s) } else { (s, c) };
    let mut t = PacketBuilder::ethernet2([1; 6], [2; 6])
        .ipv4(a.0, b.0, 64)
        .tcp(a.1, b.1, seg.seq, 1000);
    if seg.syn {
        t = t.syn();
    }
    if seg.ack {
        t = t.ack(1);
    }
    if seg.fin {
        t = t.fin();
    }
    let mut out = Vec::new();
    t.write(&mut out, &seg.data).unwrap();
    out
}

/// A little-endian microsecond pcap of frames on a link type, one second apart.
fn pcap_le(link: u32, frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&link.to_le_bytes());
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&(1000 + i as u32).to_le_bytes());
        out.extend_from_slice(&500u32.to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

fn block(big: bool, kind: u32, body: &[u8]) -> Vec<u8> {
    let u32b = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut body = body.to_vec();
    while !body.len().is_multiple_of(4) {
        body.push(0);
    }
    let len = body.len() as u32 + 12;
    let mut out = u32b(kind).to_vec();
    out.extend_from_slice(&u32b(len));
    out.extend_from_slice(&body);
    out.extend_from_slice(&u32b(len));
    out
}

/// A pcapng of one section and one interface, in either byte order; `nanos` sets
/// `if_tsresol` to 9. Every frame is an Enhanced Packet Block, but the second a Simple one.
fn pcapng(big: bool, link: u16, nanos: bool, frames: &[Vec<u8>]) -> Vec<u8> {
    let u16b = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut shb = u32b(0x1a2b3c4d).to_vec();
    shb.extend_from_slice(&u16b(1));
    shb.extend_from_slice(&u16b(0));
    shb.extend_from_slice(&[0xff; 8]);
    let mut out = block(big, 0x0a0d0d0a, &shb);
    let mut idb = u16b(link).to_vec();
    idb.extend_from_slice(&u16b(0));
    idb.extend_from_slice(&u32b(0));
    if nanos {
        idb.extend_from_slice(&u16b(9));
        idb.extend_from_slice(&u16b(1));
        idb.extend_from_slice(&[9, 0, 0, 0]);
        idb.extend_from_slice(&[0; 4]);
    }
    out.extend(block(big, 1, &idb));
    for (i, f) in frames.iter().enumerate() {
        if i == 1 {
            let mut spb = u32b(f.len() as u32).to_vec();
            spb.extend_from_slice(f);
            out.extend(block(big, 3, &spb));
            continue;
        }
        let ts: u64 = if nanos { 5_000_000_000 } else { 5_000_000 } + i as u64;
        let mut epb = u32b(0).to_vec();
        epb.extend_from_slice(&u32b((ts >> 32) as u32));
        epb.extend_from_slice(&u32b(ts as u32));
        epb.extend_from_slice(&u32b(f.len() as u32));
        epb.extend_from_slice(&u32b(f.len() as u32));
        epb.extend_from_slice(f);
        out.extend(block(big, 6, &epb));
    }
    out
}

/// A short SMTP session with AUTH LOGIN, after the handshake.
fn smtp_session() -> Vec<Seg> {
    let mut c = 101;
    let mut s = 501;
    let mut out = vec![syn(true, 100), syn(false, 500)];
    let lines: &[(bool, &str)] = &[
        (false, "220 mx ESMTP\r\n"),
        (true, "EHLO me\r\n"),
        (false, "250-mx\r\n250 AUTH LOGIN\r\n"),
        (true, "AUTH LOGIN\r\n"),
        (false, "334 VXNlcm5hbWU6\r\n"),
        (true, "YWxpY2U=\r\n"),
        (false, "334 UGFzc3dvcmQ6\r\n"),
        (true, "c2VjcmV0\r\n"),
        (false, "235 2.7.0 ok\r\n"),
        (true, "QUIT\r\n"),
        (false, "221 bye\r\n"),
    ];
    for (client, l) in lines {
        let seq = if *client { &mut c } else { &mut s };
        out.push(data(*client, *seq, l));
        *seq += l.len() as u32;
    }
    out
}

fn texts(s: &MailSession) -> Vec<(u32, Side, String)> {
    s.lines
        .iter()
        .map(|l| {
            (
                l.frame,
                l.side,
                String::from_utf8_lossy(&l.bytes).into_owned(),
            )
        })
        .collect()
}

fn frames_of(segs: &[Seg]) -> Vec<Vec<u8>> {
    segs.iter().map(|s| ether(s, C, S)).collect()
}

#[test]
fn a_pcap_session_comes_out_as_lines_with_wireshark_frame_numbers() {
    let cap = read_capture(&pcap_le(1, &frames_of(&smtp_session()))).unwrap();
    assert_eq!(cap.packets, 13);
    assert!(!cap.truncated && !cap.cut);
    let [s] = &cap.sessions[..] else {
        panic!("{cap:?}")
    };
    assert_eq!(s.client, "10.0.0.2:40000".parse().unwrap());
    assert_eq!(s.server, "10.0.0.1:25".parse().unwrap());
    assert_eq!(s.protocol, Protocol::Smtp);
    assert_eq!((s.first_frame, s.last_frame, s.packets), (1, 13, 13));
    let t = texts(s);
    assert_eq!(t[0], (3, Side::Server, "220 mx ESMTP".into()));
    assert_eq!(t[1], (4, Side::Client, "EHLO me".into()));
    // Two lines of one packet both carry its number.
    assert_eq!(t[2], (5, Side::Server, "250-mx".into()));
    assert_eq!(t[3], (5, Side::Server, "250 AUTH LOGIN".into()));
    assert_eq!(t[5], (7, Side::Server, "334 VXNlcm5hbWU6".into()));
    assert_eq!(t.len(), 12);
    assert_eq!(s.lines[0].time, Duration::new(1002, 500_000));
    assert_eq!(s.encrypted_from, None);
}

#[test]
fn every_format_and_link_type_reads_the_same_session() {
    let segs = smtp_session();
    let want = texts(
        &read_capture(&pcap_le(1, &frames_of(&segs)))
            .unwrap()
            .sessions[0],
    );
    // Raw IP, BSD loopback, Linux cooked v1 and v2: the IP packet after their headers.
    let ip: Vec<Vec<u8>> = frames_of(&segs).iter().map(|f| f[14..].to_vec()).collect();
    let with = |head: &[u8]| -> Vec<Vec<u8>> { ip.iter().map(|p| [head, p].concat()).collect() };
    let mut sll = vec![0u8; 14];
    sll.extend_from_slice(&0x0800u16.to_be_bytes());
    let mut sll2 = 0x0800u16.to_be_bytes().to_vec();
    sll2.extend_from_slice(&[0; 18]);
    let files = [
        pcap_le(101, &ip),
        pcap_le(0, &with(&[2, 0, 0, 0])),
        pcap_le(113, &with(&sll)),
        pcap_le(276, &with(&sll2)),
        pcapng(false, 1, false, &frames_of(&segs)),
        pcapng(true, 1, true, &frames_of(&segs)),
    ];
    for (i, f) in files.iter().enumerate() {
        let cap = read_capture(f).unwrap();
        assert_eq!(cap.sessions.len(), 1, "file {i}");
        assert_eq!(texts(&cap.sessions[0]), want, "file {i}");
    }
    // A big-endian nanosecond pcap: the same header fields the other way round.
    let mut be = pcap_le(1, &frames_of(&segs));
    be[..4].copy_from_slice(&[0xa1, 0xb2, 0x3c, 0x4d]);
    for range in [4..6, 6..8] {
        be[range].reverse();
    }
    for at in [8, 12, 16, 20] {
        be[at..at + 4].reverse();
    }
    let mut at = 24;
    while at < be.len() {
        let len = u32::from_le_bytes(be[at + 8..at + 12].try_into().unwrap()) as usize;
        for f in 0..4 {
            be[at + f * 4..at + f * 4 + 4].reverse();
        }
        at += 16 + len;
    }
    let cap = read_capture(&be).unwrap();
    assert_eq!(texts(&cap.sessions[0]), want);
    assert_eq!(cap.sessions[0].lines[0].time, Duration::new(1002, 500));
    // pcapng's nanosecond interface: 5 s and 2 ns.
    let ng = read_capture(&pcapng(true, 1, true, &frames_of(&segs))).unwrap();
    assert_eq!(ng.sessions[0].lines[0].time, Duration::new(5, 2));
}

#[test]
fn retransmissions_are_dropped_and_early_segments_placed() {
    let mut segs = smtp_session();
    // The greeting arrives in two pieces, the second first, and the first twice.
    let g = segs[2].clone();
    let (a, b) = g.data.split_at(5);
    segs[2] = data(false, g.seq + 5, std::str::from_utf8(b).unwrap());
    segs.insert(3, data(false, g.seq, std::str::from_utf8(a).unwrap()));
    segs.insert(4, data(false, g.seq, std::str::from_utf8(a).unwrap()));
    // The EHLO line sent again whole.
    segs.insert(6, segs[5].clone());
    let cap = read_capture(&pcap_le(1, &frames_of(&segs))).unwrap();
    let t = texts(&cap.sessions[0]);
    assert_eq!(t[0], (4, Side::Server, "220 mx ESMTP".into()));
    assert_eq!(t[1], (6, Side::Client, "EHLO me".into()));
    assert_eq!(t[2].2, "250-mx");
    assert_eq!(t.len(), 12);
    assert!(cap.sessions[0].lines.iter().all(|l| !l.after_gap));
}

#[test]
fn a_lost_segment_is_a_gap_not_invented_bytes() {
    let mut segs = smtp_session();
    // The 334 Username prompt never made it into the capture.
    segs.remove(6);
    let cap = read_capture(&pcap_le(1, &frames_of(&segs))).unwrap();
    let s = &cap.sessions[0];
    let t = texts(s);
    assert!(!t.iter().any(|l| l.2.contains("VXNlcm5hbWU6")));
    let after = s
        .lines
        .iter()
        .find(|l| l.bytes == b"334 UGFzc3dvcmQ6")
        .unwrap();
    assert!(after.after_gap);
    assert_eq!(s.lines.iter().filter(|l| l.after_gap).count(), 1);
}

#[test]
fn a_line_a_hole_cuts_ends_there_and_is_not_joined_to_what_follows() {
    let segs = [
        data(false, 1, "220 mx\r\n250-part"),
        // Bytes 18..30 never came.
        data(false, 30, "tail\r\n250 ok\r\n"),
    ];
    let cap = read_capture(&pcap_le(1, &frames_of(&segs))).unwrap();
    let t = texts(&cap.sessions[0]);
    let lines: Vec<&str> = t.iter().map(|l| l.2.as_str()).collect();
    assert_eq!(lines, ["220 mx", "250-part", "tail", "250 ok"]);
    let gaps: Vec<bool> = cap.sessions[0].lines.iter().map(|l| l.after_gap).collect();
    assert_eq!(gaps, [false, false, true, false]);
}

#[test]
fn starttls_accepted_ends_the_lines_and_says_where_encryption_starts() {
    let mut segs = vec![syn(true, 100), syn(false, 500)];
    segs.push(data(false, 501, "220 mx\r\n"));
    segs.push(data(true, 101, "STARTTLS\r\n"));
    segs.push(data(false, 509, "220 go ahead\r\n"));
    segs.push(data(true, 111, "\x16\x03\x01\x00\x05hello"));
    segs.push(data(false, 523, "\x16\x03\x03\x00\x05hello"));
    let cap = read_capture(&pcap_le(1, &frames_of(&segs))).unwrap();
    let s = &cap.sessions[0];
    assert_eq!(s.lines.len(), 3);
    assert_eq!(s.encrypted_from, Some(6));
    // Refused, the session goes on in the clear.
    segs[4] = data(false, 509, "454 not now\r\n");
    segs[5] = data(true, 111, "QUIT\r\n");
    segs.truncate(6);
    let cap = read_capture(&pcap_le(1, &frames_of(&segs))).unwrap();
    assert_eq!(cap.sessions[0].lines.len(), 4);
    assert_eq!(cap.sessions[0].encrypted_from, None);
}

#[test]
fn mail_sessions_are_chosen_by_port_or_greeting() {
    let web = [
        syn(true, 1),
        data(true, 2, "GET / HTTP/1.1\r\n"),
        data(false, 9, "HTTP/1.1 200 OK\r\n"),
    ];
    let pop = [data(false, 9, "+OK ready\r\n"), data(true, 2, "USER a\r\n")];
    let tls = [syn(true, 1), data(true, 2, "\x16\x03\x01 hello")];
    let mut frames = Vec::new();
    frames.extend(web.iter().map(|s| ether(s, C, ([10, 0, 0, 1], 80))));
    // The practice server's ephemeral port: its greeting says what it is.
    frames.extend(
        pop.iter()
            .map(|s| ether(s, ([10, 0, 0, 3], 5000), ([10, 0, 0, 1], 41234))),
    );
    frames.extend(tls.iter().map(|s| ether(s, C, ([10, 0, 0, 1], 993))));
    let cap = read_capture(&pcap_le(1, &frames)).unwrap();
    assert_eq!(cap.packets, 7);
    let [pop, imaps] = &cap.sessions[..] else {
        panic!("{cap:?}")
    };
    assert_eq!(pop.protocol, Protocol::Pop3);
    assert_eq!(pop.server.port(), 41234);
    assert_eq!(texts(pop)[1], (5, Side::Client, "USER a".into()));
    assert_eq!(imaps.protocol, Protocol::Imap);
    assert_eq!(imaps.encrypted_from, Some(7));
    assert!(imaps.lines.is_empty());
}

#[test]
fn ipv6_and_vlan_tags_are_read() {
    let seg = data(false, 1, "* OK IMAP ready\r\n");
    let mut p = Vec::new();
    PacketBuilder::ethernet2([1; 6], [2; 6])
        .single_vlan(etherparse::VlanId::try_new(5).unwrap())
        .ipv6([1; 16], [2; 16], 64)
        .tcp(143, 50000, seg.seq, 1000)
        .write(&mut p, &seg.data)
        .unwrap();
    let cap = read_capture(&pcap_le(1, &[p])).unwrap();
    assert_eq!(cap.sessions[0].protocol, Protocol::Imap);
    assert_eq!(cap.sessions[0].lines[0].bytes, b"* OK IMAP ready");
    assert!(cap.sessions[0].server.is_ipv6());
}

#[test]
fn truncated_and_foreign_files_are_said_so_without_panic() {
    assert_eq!(read_capture(b"220 mx"), Err(CaptureError::NotACapture));
    assert_eq!(
        read_capture(&[0xd4, 0xc3, 0xb2, 0xa1, 2]),
        Err(CaptureError::Truncated)
    );
    let whole = pcap_le(1, &frames_of(&smtp_session()));
    for cut in 0..whole.len() {
        let _ = read_capture(&whole[..cut]);
    }
    let cap = read_capture(&whole[..whole.len() - 3]).unwrap();
    assert!(cap.truncated);
    assert_eq!(cap.packets, 12);
    let ng = pcapng(false, 1, false, &frames_of(&smtp_session()));
    for cut in 0..ng.len() {
        let _ = read_capture(&ng[..cut]);
    }
    assert!(read_capture(&ng[..ng.len() - 1]).unwrap().truncated);
    assert!(is_capture(&ng) && is_capture(&whole) && !is_capture(b"EHLO"));
}

#[test]
fn a_session_over_its_cap_is_cut_and_says_so() {
    let mut segs = vec![data(false, 1, "220 mx\r\n")];
    let line = "x".repeat(60_000) + "\r\n";
    let mut seq = 1;
    for _ in 0..(SESSION_CAP / 60_000 + 2) {
        segs.push(data(true, seq, &line));
        seq += line.len() as u32;
    }
    let cap = read_capture(&pcap_le(1, &frames_of(&segs))).unwrap();
    assert!(cap.cut && cap.sessions[0].cut);
    let kept: usize = cap.sessions[0].lines.iter().map(|l| l.bytes.len()).sum();
    assert!(kept <= SESSION_CAP + LINE);
}

/// The longest line kept whole.
const LINE: usize = 16 << 10;

#[test]
fn held_segments_past_their_cap_are_read_after_the_hole() {
    // The greeting, then a hole of 10 bytes, then more early segments than are held.
    let mut segs = vec![data(false, 1, "220 mx\r\n")];
    let mut seq = 9 + 10;
    let line = "250 ".to_owned() + &"y".repeat(9_000) + "\r\n";
    for _ in 0..40 {
        segs.push(data(false, seq, &line));
        seq += line.len() as u32;
    }
    let cap = read_capture(&pcap_le(1, &frames_of(&segs))).unwrap();
    let s = &cap.sessions[0];
    assert_eq!(s.lines.len(), 41);
    assert_eq!(s.lines.iter().filter(|l| l.after_gap).count(), 1);
    assert!(s.lines.windows(2).all(|w| w[0].frame <= w[1].frame));
    assert!(s.lines[1..].iter().all(|l| l.bytes.len() == line.len() - 2));
}

/// A capture made where the network card splits segments (TCP segmentation offload) holds
/// IPv4 packets whose total length reads 0: their bytes are read to the frame's end.
#[test]
fn an_offloaded_segment_with_total_length_zero_is_read() {
    let mut frames = frames_of(&smtp_session());
    // The EHLO's frame (the fourth): Ethernet 14 bytes, then the IPv4 total length.
    frames[3][16..18].copy_from_slice(&[0, 0]);
    let cap = read_capture(&pcap_le(1, &frames)).unwrap();
    let t = texts(&cap.sessions[0]);
    assert_eq!(t[1], (4, Side::Client, "EHLO me".into()), "{t:?}");
    assert_eq!(t.len(), 12);
}

/// A reply that came in two packets is printed line by line beside each line's own packet,
/// as Wireshark lists them, not all beside the packet that completed it.
#[test]
fn a_reply_over_two_packets_prints_each_line_beside_its_packet() {
    let mut segs = smtp_session();
    // Split "250-mx\r\n250 AUTH LOGIN\r\n" (the fifth segment) in two.
    let whole = segs.remove(4);
    let first = data(false, whole.seq, "250-mx\r\n");
    let second = data(false, whole.seq + 8, "250 AUTH LOGIN\r\n");
    segs.insert(4, second);
    segs.insert(4, first);
    let cap = read_capture(&pcap_le(1, &frames_of(&segs))).unwrap();
    let text = crate::explain::annotate_capture(
        &cap,
        crate::explain::Options {
            lang: crate::proto::Lang::En,
            show_secrets: false,
        },
        false,
    );
    assert!(text.contains("     5 S: 250-mx\n"), "{text}");
    assert!(text.contains("     6 S: 250 AUTH LOGIN\n"), "{text}");
}

/// A capture opened in the window keeps the file's clock: each row at its packet's time.
#[test]
fn a_folded_capture_keeps_each_packets_time() {
    let cap = read_capture(&pcap_le(1, &frames_of(&smtp_session()))).unwrap();
    let t = crate::explain::fold_capture(&cap);
    let at = |line: &str| {
        let e = t
            .entries()
            .iter()
            .find(|e| e.text(true) == line)
            .unwrap_or_else(|| panic!("{line}"));
        e.at.duration_since(std::time::UNIX_EPOCH).unwrap()
    };
    // Packets are one second apart from 1000.0005 s: the EHLO is the fourth.
    assert_eq!(at("EHLO me"), Duration::new(1003, 500_000));
    assert_eq!(at("QUIT"), Duration::new(1011, 500_000));
}
