//! The SMTP checks: greeting, EHLO/HELO, a whole transaction, command order, RSET, NOOP,
//! unknown commands, dot-stuffing, long lines, SIZE, PIPELINING, SMTP smuggling and QUIT.

use std::net::SocketAddr;

use super::{Check, Conn, Failure, Options, Outcome, Spec, Verdict, pop3, run_check, shown};
use crate::proto::reply::{Reply, ReplyWarning};
use crate::words::Words;

const EHLO: &str = "EHLO check.mailtutor.test";

const fn spec(id: &'static str, title: &'static str, points: u32, expected: &'static str) -> Spec {
    Spec {
        id,
        title,
        points,
        expected,
    }
}

/// Reads the greeting and says EHLO; anything but 220 and 250 ends the check.
fn hello(c: &mut Conn) -> Result<Reply, Failure> {
    let g = c.reply()?;
    if g.code != 220 {
        return Err(Failure(
            Words::new("checkserver.fail.greeting").arg("reply", shown(&g)),
        ));
    }
    c.expect(EHLO, &[250])
}

/// MAIL FROM, RCPT TO and DATA, each answered as RFC 5321 §3.3 says.
fn open_data(c: &mut Conn, opts: &Options) -> Result<(), Failure> {
    c.expect(&format!("MAIL FROM:<{}>", opts.from), &[250])?;
    c.expect(&format!("RCPT TO:<{}>", opts.to), &[250, 251])?;
    c.expect("DATA", &[354])?;
    Ok(())
}

/// A message's headers, with a subject naming the check and its marker.
fn headers(opts: &Options, what: &str, mark: &str) -> String {
    format!(
        "From: <{}>\r\nTo: <{}>\r\nSubject: mailtutor check-server {what} {mark}\r\n\r\n",
        opts.from, opts.to
    )
}

/// Sends a whole message (body lines already stuffed) and its final dot; 250 expected.
fn send_message(c: &mut Conn, text: &str) -> Result<Reply, Failure> {
    c.send(format!("{text}\r\n.\r\n").as_bytes())?;
    let r = c.reply()?;
    if r.code == 250 {
        Ok(r)
    } else {
        Err(Failure::step(".", shown(&r)))
    }
}

fn ehlo_has<'a>(ehlo: &'a Reply, keyword: &str) -> Option<&'a str> {
    ehlo.lines.iter().skip(1).find_map(|l| {
        let mut words = l.split_whitespace();
        words
            .next()
            .filter(|w| w.eq_ignore_ascii_case(keyword))
            .map(|_| l.as_str())
    })
}

/// Every SMTP check against the server at `addr`.
pub fn run(addr: SocketAddr, opts: &Options) -> Vec<Check> {
    let mut out = Vec::new();
    let mut check = |s: Spec, steps: &dyn Fn(&mut Conn) -> Result<Verdict, Failure>| {
        out.push(run_check(s, addr, opts, steps));
    };

    check(
        spec(
            "smtp_greeting",
            "checkserver.title.greeting",
            1,
            "checkserver.expect.greeting",
        ),
        &|c| {
            let g = c.reply()?;
            let crlf = g.raw.ends_with(b"\r\n") && !g.warnings.contains(&ReplyWarning::BareLf);
            Ok(if g.code == 220 && crlf {
                Verdict::pass(Words::text(shown(&g)))
            } else {
                Verdict::fail(Words::text(shown(&g)))
            })
        },
    );
    check(
        spec(
            "smtp_ehlo",
            "checkserver.title.ehlo",
            2,
            "checkserver.expect.ehlo",
        ),
        &|c| {
            c.reply()?;
            let r = c.cmd(EHLO)?;
            if r.code != 250 || r.lines.len() < 2 {
                return Ok(Verdict::fail(Words::text(shown(&r))));
            }
            let list: Vec<&str> = r.lines[1..].iter().map(String::as_str).collect();
            Ok(Verdict::pass(
                Words::new("checkserver.got.extensions").arg("list", list.join(", ")),
            ))
        },
    );
    check(
        spec(
            "smtp_helo",
            "checkserver.title.helo",
            1,
            "checkserver.expect.helo",
        ),
        &|c| {
            c.reply()?;
            c.expect("HELO check.mailtutor.test", &[250])?;
            Ok(Verdict::pass(c.seen_words()))
        },
    );
    check(
        spec(
            "smtp_transaction",
            "checkserver.title.transaction",
            3,
            "checkserver.expect.transaction",
        ),
        &|c| {
            hello(c)?;
            open_data(c, opts)?;
            let text = headers(opts, "transaction", &super::marker()) + "Hello.";
            send_message(c, &text)?;
            Ok(Verdict::pass(c.seen_words()))
        },
    );
    check(
        spec(
            "smtp_rcpt_before_mail",
            "checkserver.title.rcpt_before_mail",
            1,
            "checkserver.expect.rcpt_before_mail",
        ),
        &|c| {
            hello(c)?;
            let r = c.cmd(&format!("RCPT TO:<{}>", opts.to))?;
            Ok(verdict(r.code == 503, &r))
        },
    );
    check(
        spec(
            "smtp_data_before_rcpt",
            "checkserver.title.data_before_rcpt",
            1,
            "checkserver.expect.data_before_rcpt",
        ),
        &|c| {
            hello(c)?;
            c.expect(&format!("MAIL FROM:<{}>", opts.from), &[250])?;
            let r = c.cmd("DATA")?;
            Ok(verdict(matches!(r.code, 503 | 554), &r))
        },
    );
    check(
        spec(
            "smtp_rset",
            "checkserver.title.rset",
            2,
            "checkserver.expect.rset",
        ),
        &|c| {
            hello(c)?;
            c.expect(&format!("MAIL FROM:<{}>", opts.from), &[250])?;
            c.expect("RSET", &[250])?;
            let r = c.cmd(&format!("RCPT TO:<{}>", opts.to))?;
            Ok(verdict(r.code == 503, &r))
        },
    );
    check(
        spec(
            "smtp_noop",
            "checkserver.title.noop",
            1,
            "checkserver.expect.noop",
        ),
        &|c| {
            hello(c)?;
            let r = c.cmd("NOOP")?;
            Ok(verdict(r.code == 250, &r))
        },
    );
    check(
        spec(
            "smtp_unknown",
            "checkserver.title.unknown",
            1,
            "checkserver.expect.unknown",
        ),
        &|c| {
            hello(c)?;
            let r = c.cmd("XYZZY")?;
            Ok(verdict(matches!(r.code, 500 | 502), &r))
        },
    );
    check(
        spec(
            "smtp_dot_stuffing",
            "checkserver.title.dot_stuffing",
            2,
            "checkserver.expect.dot_stuffing",
        ),
        &|c| dot_stuffing(c, opts),
    );
    check(
        spec(
            "smtp_long_line",
            "checkserver.title.long_line",
            2,
            "checkserver.expect.long_line",
        ),
        &|c| long_line(c, opts),
    );
    check(
        spec(
            "smtp_size",
            "checkserver.title.size",
            1,
            "checkserver.expect.size",
        ),
        &|c| size(c, opts),
    );
    check(
        spec(
            "smtp_pipelining",
            "checkserver.title.pipelining",
            1,
            "checkserver.expect.pipelining",
        ),
        &|c| pipelining(c, opts),
    );
    for (id, title, ending) in [
        ("smtp_smuggle_lf", "checkserver.title.smuggle_lf", "\n.\n"),
        ("smtp_smuggle_cr", "checkserver.title.smuggle_cr", "\r.\r\n"),
        (
            "smtp_smuggle_lf_crlf",
            "checkserver.title.smuggle_lf_crlf",
            "\n.\r\n",
        ),
    ] {
        check(spec(id, title, 2, "checkserver.expect.smuggle"), &|c| {
            smuggle(c, opts, ending)
        });
    }
    check(
        spec(
            "smtp_quit",
            "checkserver.title.quit",
            1,
            "checkserver.expect.quit",
        ),
        &|c| {
            c.reply()?;
            let r = c.cmd("QUIT")?;
            if r.code != 221 {
                return Ok(Verdict::fail(Words::text(shown(&r))));
            }
            Ok(if c.closes()? {
                Verdict::pass(Words::new("checkserver.got.closed").arg("reply", shown(&r)))
            } else {
                Verdict::fail(Words::new("checkserver.got.stayed_open").arg("reply", shown(&r)))
            })
        },
    );
    out
}

/// Pass when `ok`; either way the reply is what came back.
fn verdict(ok: bool, r: &Reply) -> Verdict {
    let got = Words::text(shown(r));
    if ok {
        Verdict::pass(got)
    } else {
        Verdict::fail(got)
    }
}

/// A body line starting with a dot goes out stuffed (`..hidden`, RFC 5321 §4.5.2). With a
/// POP3 server given, the stored message is read back: the line must have one dot again.
fn dot_stuffing(c: &mut Conn, opts: &Options) -> Result<Verdict, Failure> {
    hello(c)?;
    open_data(c, opts)?;
    let mark = super::marker();
    let text = headers(opts, "dot-stuffing", &mark) + &format!("line one\r\n..hidden-{mark}");
    let r = send_message(c, &text)?;
    if opts.pop3.is_none() {
        return Ok(Verdict::pass(
            Words::new("checkserver.got.stuffing_reply_only").arg("reply", shown(&r)),
        ));
    }
    let want = format!(".hidden-{mark}");
    Ok(match pop3::find_line(opts, &mark)? {
        Some(line) if line == want => Verdict::pass(
            Words::new("checkserver.got.stuffing_read_back")
                .arg("reply", shown(&r))
                .arg("line", line),
        ),
        Some(line) => Verdict::fail(
            Words::new("checkserver.got.stuffing_wrong")
                .arg("reply", shown(&r))
                .arg("line", line),
        ),
        None => Verdict::fail(Words::new("checkserver.got.stuffing_lost").arg("reply", shown(&r))),
    })
}

/// A text line of 1100 octets, over RFC 5321 §4.5.3.1.6's 1000: refused or taken, the next
/// command must get its own reply (the server stays in step with the client).
fn long_line(c: &mut Conn, opts: &Options) -> Result<Verdict, Failure> {
    hello(c)?;
    open_data(c, opts)?;
    let text = headers(opts, "long-line", &super::marker()) + &"x".repeat(1100);
    c.send(format!("{text}\r\n.\r\n").as_bytes())?;
    let r = c.reply()?;
    if !matches!(r.class(), 2 | 5) {
        return Ok(Verdict::fail(Words::text(shown(&r))));
    }
    let (stray, closed) = c.stray_replies(opts.quiet)?;
    if !stray.is_empty() || closed {
        return Ok(Verdict::fail(
            Words::new("checkserver.got.out_of_step").arg("codes", codes(&stray)),
        ));
    }
    let noop = c.cmd("NOOP")?;
    Ok(if noop.code == 250 {
        Verdict::pass(c.seen_words())
    } else {
        Verdict::fail(Words::new("checkserver.got.out_of_step").arg("codes", shown(&noop)))
    })
}

/// RFC 1870 §6: a declared size over the advertised limit is refused at MAIL with 552.
fn size(c: &mut Conn, opts: &Options) -> Result<Verdict, Failure> {
    let ehlo = hello(c)?;
    let limit = ehlo_has(&ehlo, "SIZE")
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|n| *n > 0);
    let Some(limit) = limit else {
        return Ok(Verdict::not_applicable(Words::new(
            "checkserver.got.no_size",
        )));
    };
    let r = c.cmd(&format!("MAIL FROM:<{}> SIZE={}", opts.from, limit + 1))?;
    Ok(verdict(r.code == 552, &r))
}

/// RFC 2920 §3.1: MAIL, RCPT and DATA in one write get their three replies, in order.
fn pipelining(c: &mut Conn, opts: &Options) -> Result<Verdict, Failure> {
    let ehlo = hello(c)?;
    if ehlo_has(&ehlo, "PIPELINING").is_none() {
        return Ok(Verdict::not_applicable(Words::new(
            "checkserver.got.no_pipelining",
        )));
    }
    c.send(
        format!(
            "MAIL FROM:<{}>\r\nRCPT TO:<{}>\r\nDATA\r\n",
            opts.from, opts.to
        )
        .as_bytes(),
    )?;
    let replies = [c.reply()?, c.reply()?, c.reply()?];
    let got: Vec<u16> = replies.iter().map(|r| r.code).collect();
    if !matches!(got[..], [250, 250 | 251, 354]) {
        return Ok(Verdict::fail(Words::text(codes(&replies))));
    }
    send_message(
        c,
        &(headers(opts, "pipelining", &super::marker()) + "Hello."),
    )?;
    Ok(Verdict::pass(c.seen_words()))
}

/// SMTP smuggling: a bare ending (`\n.\n`, `\r.\r\n`, `\n.\r\n`) inside DATA must not end the
/// message (RFC 5321 §4.1.1.4: only CRLF.CRLF does). What follows it looks like a second
/// transaction; a server that answers it has been made to accept a message nobody checked.
fn smuggle(c: &mut Conn, opts: &Options, ending: &str) -> Result<Verdict, Failure> {
    hello(c)?;
    open_data(c, opts)?;
    let text = format!(
        "{}first part{ending}MAIL FROM:<{}>\r\nRCPT TO:<{}>\r\nDATA\r\n{}smuggled\r\n\r\n.\r\n",
        headers(opts, "smuggling", &super::marker()),
        opts.from,
        opts.to,
        headers(opts, "smuggled", &super::marker()),
    );
    c.send(text.as_bytes())?;
    let first = c.reply()?;
    let (stray, _) = c.stray_replies(opts.quiet)?;
    if !stray.is_empty() {
        return Ok(Verdict::fail(
            Words::new("checkserver.got.smuggled")
                .arg("n", stray.len() + 1)
                .arg("codes", format!("{} {}", first.code, codes(&stray))),
        ));
    }
    Ok(match first.class() {
        2 => Verdict::pass(Words::new("checkserver.got.one_message").arg("reply", shown(&first))),
        5 => Verdict::pass(Words::new("checkserver.got.refused_whole").arg("reply", shown(&first))),
        _ => Verdict::fail(Words::text(shown(&first))),
    })
}

fn codes(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.code.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The check ids, in the order they run (for tests and the report).
pub fn ids(checks: &[Check]) -> Vec<&'static str> {
    checks.iter().map(|c| c.id).collect()
}

/// The ids of the checks that failed.
pub fn failed(checks: &[Check]) -> Vec<&'static str> {
    checks
        .iter()
        .filter(|c| c.outcome == Outcome::Fail)
        .map(|c| c.id)
        .collect()
}
