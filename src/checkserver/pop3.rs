//! The POP3 checks (RFC 1939): greeting, USER/PASS, STAT, LIST, RETR with its final dot and
//! dot-stuffing, DELE undone by RSET, DELE made real at QUIT, a wrong password, a command
//! before login, QUIT. With an SMTP server given too, one marked message is delivered first.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::{Check, Conn, Failure, Options, Spec, Verdict, pop3_shown, run_check};
use crate::proto::reply::{Pop3Expect, Pop3Response};
use crate::words::Words;

const ONE: Pop3Expect = Pop3Expect::SingleLine;
const MANY: Pop3Expect = Pop3Expect::MultiLine;

const fn spec(id: &'static str, title: &'static str, points: u32, expected: &'static str) -> Spec {
    Spec {
        id,
        title,
        points,
        expected,
    }
}

fn user(opts: &Options) -> &str {
    opts.user.as_deref().unwrap_or("")
}

fn password(opts: &Options) -> &str {
    opts.password.as_deref().unwrap_or("")
}

/// Greeting, USER and PASS, each `+OK`.
fn login(c: &mut Conn, opts: &Options) -> Result<(), Failure> {
    c.use_pop3();
    let g = c.pop3_response(ONE)?;
    if !g.status.is_ok() {
        return Err(Failure(
            Words::new("checkserver.fail.greeting").arg("reply", pop3_shown(&g)),
        ));
    }
    c.pop3_ok(&format!("USER {}", user(opts)), ONE)?;
    c.secret_line(&format!("PASS {}", password(opts)))?;
    let r = c.pop3_response(ONE)?;
    if r.status.is_ok() {
        Ok(())
    } else {
        Err(Failure::step("PASS ********", pop3_shown(&r)))
    }
}

/// Logs in, retrying a little while the maildrop is still locked by the last session.
fn login_again(addr: SocketAddr, opts: &Options) -> Result<Conn, Failure> {
    let deadline = Instant::now() + opts.timeout;
    loop {
        let mut c = Conn::open(addr, opts.timeout)?;
        match login(&mut c, opts) {
            Ok(()) => return Ok(c),
            Err(f) if Instant::now() >= deadline => return Err(f),
            Err(_) => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}

/// STAT's message count.
fn stat(c: &mut Conn) -> Result<u64, Failure> {
    let r = c.pop3_ok("STAT", ONE)?;
    r.status
        .text
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| Failure::step("STAT", pop3_shown(&r)))
}

/// The message numbers to look through for a marked message: the newest ten.
fn newest(n: u64) -> impl Iterator<Item = u64> {
    (n.saturating_sub(9).max(1)..=n).rev()
}

/// The number and the unstuffed marked line of the message carrying `mark`, if there is one.
fn find_in(c: &mut Conn, mark: &str) -> Result<Option<(u64, String, Pop3Response)>, Failure> {
    let n = stat(c)?;
    let needle = format!("hidden-{mark}");
    for i in newest(n) {
        let r = c.pop3_ok(&format!("RETR {i}"), MANY)?;
        if let Some(line) = r.body_lines().into_iter().find(|l| l.contains(&needle)) {
            return Ok(Some((i, line, r)));
        }
    }
    Ok(None)
}

/// Reads back the line a marked message's dot-stuffing check sent, as the POP3 server gives
/// it, waiting up to the timeout for the delivery. `None`: the message never arrived.
pub fn find_line(opts: &Options, mark: &str) -> Result<Option<String>, Failure> {
    let Some(server) = &opts.pop3 else {
        return Ok(None);
    };
    let addr = super::resolve(server).map_err(Failure)?;
    let deadline = Instant::now() + opts.timeout;
    loop {
        let mut c = login_again(addr, opts)?;
        let found = find_in(&mut c, mark)?;
        let _ = c.line("QUIT");
        if let Some((_, line, _)) = found {
            return Ok(Some(line));
        }
        if Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// Delivers one message with a stuffed line over SMTP, for the RETR check to find.
pub fn deliver(smtp: SocketAddr, opts: &Options, mark: &str) -> Result<(), Failure> {
    let mut c = Conn::open(smtp, opts.timeout)?;
    c.reply()?;
    c.expect("EHLO check.mailtutor.test", &[250])?;
    c.expect(&format!("MAIL FROM:<{}>", opts.from), &[250])?;
    c.expect(&format!("RCPT TO:<{}>", opts.to), &[250, 251])?;
    c.expect("DATA", &[354])?;
    c.send(
        format!(
            "From: <{}>\r\nTo: <{}>\r\nSubject: mailtutor check-server pop3 {mark}\r\n\r\n\
             line one\r\n..hidden-{mark}\r\n.\r\n",
            opts.from, opts.to
        )
        .as_bytes(),
    )?;
    let r = c.reply()?;
    if r.code != 250 {
        return Err(Failure::step(".", super::shown(&r)));
    }
    let _ = c.cmd("QUIT");
    Ok(())
}

/// Every POP3 check against the server at `addr`; `mark` names a message delivered first.
pub fn run(addr: SocketAddr, opts: &Options, mark: Option<&str>) -> Vec<Check> {
    let mut out = Vec::new();
    let mut check = |s: Spec, steps: &dyn Fn(&mut Conn) -> Result<Verdict, Failure>| {
        out.push(run_check(s, addr, opts, steps));
    };
    check(
        spec(
            "pop3_greeting",
            "checkserver.title.pop3_greeting",
            1,
            "checkserver.expect.pop3_greeting",
        ),
        &|c| {
            c.use_pop3();
            let g = c.pop3_response(ONE)?;
            let got = Words::text(pop3_shown(&g));
            Ok(Verdict::judge(g.status.is_ok(), got))
        },
    );
    check(
        spec(
            "pop3_login",
            "checkserver.title.pop3_login",
            2,
            "checkserver.expect.pop3_login",
        ),
        &|c| {
            login(c, opts)?;
            Ok(Verdict::pass(c.seen_words()))
        },
    );
    check(
        spec(
            "pop3_stat",
            "checkserver.title.pop3_stat",
            1,
            "checkserver.expect.pop3_stat",
        ),
        &|c| {
            login(c, opts)?;
            let n = stat(c)?;
            Ok(if n > 0 {
                Verdict::pass(Words::new("checkserver.got.messages").arg("n", n))
            } else {
                Verdict::fail(Words::new("checkserver.got.empty_mailbox"))
            })
        },
    );
    check(
        spec(
            "pop3_list",
            "checkserver.title.pop3_list",
            1,
            "checkserver.expect.pop3_list",
        ),
        &|c| {
            login(c, opts)?;
            let n = stat(c)?;
            let r = c.pop3_ok("LIST", MANY)?;
            let listed = r.body_line_count() as u64;
            let got = Words::new("checkserver.got.listed")
                .arg("n", n)
                .arg("listed", listed);
            Ok(Verdict::judge(listed == n && n > 0, got))
        },
    );
    check(
        spec(
            "pop3_retr",
            "checkserver.title.pop3_retr",
            2,
            "checkserver.expect.pop3_retr",
        ),
        &|c| retr(c, opts, mark),
    );
    check(
        spec(
            "pop3_dele_rset",
            "checkserver.title.pop3_dele_rset",
            2,
            "checkserver.expect.pop3_dele_rset",
        ),
        &|c| {
            login(c, opts)?;
            let n = stat(c)?;
            c.pop3_ok("DELE 1", ONE)?;
            c.pop3_ok("RSET", ONE)?;
            let after = stat(c)?;
            let got = Words::new("checkserver.got.counts")
                .arg("before", n)
                .arg("after", after);
            let _ = c.line("QUIT");
            Ok(Verdict::judge(after == n, got))
        },
    );
    check(
        spec(
            "pop3_before_login",
            "checkserver.title.pop3_before_login",
            1,
            "checkserver.expect.pop3_before_login",
        ),
        &|c| {
            c.use_pop3();
            c.pop3_response(ONE)?;
            let r = c.pop3_cmd("STAT", ONE)?;
            let got = Words::text(pop3_shown(&r));
            Ok(Verdict::judge(!r.status.is_ok(), got))
        },
    );
    check(
        spec(
            "pop3_wrong_password",
            "checkserver.title.pop3_wrong_password",
            1,
            "checkserver.expect.pop3_wrong_password",
        ),
        &|c| {
            c.use_pop3();
            c.pop3_response(ONE)?;
            let r = c.pop3_cmd(&format!("USER {}", user(opts)), ONE)?;
            if !r.status.is_ok() {
                // Refusing at USER is allowed too (RFC 1939 §7); the password is never taken.
                return Ok(Verdict::pass(Words::text(pop3_shown(&r))));
            }
            c.secret_line(&format!("PASS {}-wrong", password(opts)))?;
            let r = c.pop3_response(ONE)?;
            let got = Words::text(pop3_shown(&r));
            Ok(Verdict::judge(!r.status.is_ok(), got))
        },
    );
    check(
        spec(
            "pop3_dele_quit",
            "checkserver.title.pop3_dele_quit",
            2,
            "checkserver.expect.pop3_dele_quit",
        ),
        &|c| dele_quit(c, addr, opts, mark),
    );
    check(
        spec(
            "pop3_quit",
            "checkserver.title.pop3_quit",
            1,
            "checkserver.expect.pop3_quit",
        ),
        &|c| {
            login(c, opts)?;
            let r = c.pop3_cmd("QUIT", ONE)?;
            if !r.status.is_ok() {
                return Ok(Verdict::fail(Words::text(pop3_shown(&r))));
            }
            Ok(if c.closes()? {
                Verdict::pass(Words::new("checkserver.got.closed").arg("reply", pop3_shown(&r)))
            } else {
                Verdict::fail(
                    Words::new("checkserver.got.stayed_open").arg("reply", pop3_shown(&r)),
                )
            })
        },
    );
    out
}

/// RETR ends with a line of one dot; a body line starting with a dot comes stuffed (RFC 1939
/// §3) and reads back with one dot. Without a delivered message, message 1 is read.
fn retr(c: &mut Conn, opts: &Options, mark: Option<&str>) -> Result<Verdict, Failure> {
    login(c, opts)?;
    let Some(mark) = mark else {
        let r = c.pop3_ok("RETR 1", MANY)?;
        return Ok(Verdict::pass(
            Words::new("checkserver.got.retr_plain").arg("lines", r.body_line_count()),
        ));
    };
    let Some((_, line, r)) = find_in(c, mark)? else {
        return Ok(Verdict::fail(
            Words::new("checkserver.got.stuffing_lost").arg("reply", ""),
        ));
    };
    let want = format!(".hidden-{mark}");
    let stuffed = format!("\r\n.{want}\r\n");
    let on_wire = r
        .raw
        .windows(stuffed.len())
        .any(|w| w == stuffed.as_bytes());
    Ok(if line == want && on_wire {
        Verdict::pass(Words::new("checkserver.got.retr_stuffed").arg("line", line))
    } else {
        Verdict::fail(Words::new("checkserver.got.retr_unstuffed").arg("line", line))
    })
}

/// DELE then QUIT removes the message: the next login has one fewer (RFC 1939 §6, the UPDATE
/// state). The delivered message is the one deleted, when there is one.
fn dele_quit(
    c: &mut Conn,
    addr: SocketAddr,
    opts: &Options,
    mark: Option<&str>,
) -> Result<Verdict, Failure> {
    login(c, opts)?;
    let which = match mark {
        Some(mark) => find_in(c, mark)?.map(|(i, _, _)| i),
        None => None,
    };
    let n = stat(c)?;
    if n == 0 {
        return Ok(Verdict::fail(Words::new("checkserver.got.empty_mailbox")));
    }
    c.pop3_ok(&format!("DELE {}", which.unwrap_or(n)), ONE)?;
    c.pop3_ok("QUIT", ONE)?;
    let _ = c.closes();
    let mut again = login_again(addr, opts)?;
    let after = stat(&mut again)?;
    let _ = again.line("QUIT");
    let got = Words::new("checkserver.got.counts")
        .arg("before", n)
        .arg("after", after);
    Ok(Verdict::judge(after + 1 == n, got))
}
