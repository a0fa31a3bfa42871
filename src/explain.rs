//! `mailtutor explain`: explains reply codes, and annotates a transcript pasted from a telnet
//! session line by line (replies explained, 334 prompts and base64 answers decoded, secrets masked).

use crate::proto::auth::{self, Decoded, PromptKind};
use crate::proto::codes;
use crate::proto::pop3::Pop3Command;
use crate::proto::reply::parse_replies;
use crate::proto::reply::{EnhancedStatus, parse_pop3_status};
use crate::proto::smtp::SmtpCommand;
use crate::proto::smtp_state::{ClientLine, Outcome, SmtpSession};
use crate::proto::{Lang, auth::MASK};

/// Who wrote a line of a pasted transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Server,
    Client,
    Unknown,
}

/// Removes what people add around the protocol: `>`, `S:`/`C:` prefixes, shell prompts,
/// and comments after ` #` or `//`. Returns the speaker if a prefix named it.
fn clean(line: &str) -> (Who, String) {
    let mut s = line.trim_end_matches(['\r', '\n']).trim_start();
    let mut who = Who::Unknown;
    for (prefix, w) in [
        ("S:", Who::Server),
        ("C:", Who::Client),
        ("s:", Who::Server),
        ("c:", Who::Client),
        ("<<<", Who::Server),
        (">>>", Who::Client),
        (">", Who::Unknown),
    ] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.trim_start();
            who = w;
            break;
        }
    }
    // A line that is only a comment stands for what it describes (often "a blank line here").
    if s.starts_with('#') {
        return (who, String::new());
    }
    let is_reply = s.len() >= 3 && s.as_bytes()[..3].iter().all(u8::is_ascii_digit);
    let mut end = s.len();
    for (i, c) in s.char_indices() {
        let prev = s[..i].chars().next_back();
        let after = &s[i + c.len_utf8()..];
        // "235 #2.0.0 OK" keeps its '#': an enhanced code follows it.
        if c == '#'
            && prev.is_some_and(char::is_whitespace)
            && !(is_reply
                && after
                    .split(' ')
                    .next()
                    .and_then(EnhancedStatus::parse)
                    .is_some())
        {
            end = i;
            break;
        }
        if c == '/' && after.starts_with('/') && prev != Some(':') {
            end = i;
            break;
        }
    }
    (who, s[..end].trim_end().to_owned())
}

/// A shell prompt such as `user@host:~$ cmd` or `⇒  cmd`.
fn shell_prompt(s: &str) -> bool {
    s.contains('⇒')
        || s.starts_with("$ ")
        || s.split_once(' ').is_some_and(|(head, _)| {
            head.contains('@')
                && (head.ends_with('$') || head.ends_with('#') || head.ends_with(":~"))
        })
}

/// Lines that the telnet program itself prints.
fn telnet_chatter(s: &str) -> bool {
    [
        "Trying ",
        "Connected to ",
        "Escape character is",
        "Connection closed by",
    ]
    .iter()
    .any(|p| s.starts_with(p))
        || s.starts_with("telnet ")
        || s.contains("telnet ") && shell_prompt(s)
}

#[derive(Debug, Default)]
struct State {
    session: SmtpSession,
    reply_buf: Vec<u8>,
    pop3: bool,
    in_data: bool,
    in_body: bool,
    prompt: Option<PromptKind>,
}

/// Options for annotating a transcript.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub lang: Lang,
    pub show_secrets: bool,
}

/// Annotates a pasted transcript. Every input line comes out, prefixed `S:`/`C:`, with notes
/// indented under it.
pub fn annotate(text: &str, opts: Options) -> String {
    let lang = opts.lang;
    let mut out = String::new();
    let mut st = State::default();
    st.session.on_connected(false);
    let note = |out: &mut String, s: &str| {
        out.push_str("      ");
        out.push_str(s);
        out.push('\n');
    };
    for raw_line in text.lines() {
        let (who, line) = clean(raw_line);
        if line.is_empty() {
            if st.in_data && !st.in_body {
                st.in_body = true;
                out.push_str("C: \n");
                note(
                    &mut out,
                    lang.pick(
                        "blank line: headers end here, the body begins",
                        "空行：邮件头到此结束，下面是正文",
                    ),
                );
            } else if st.in_data {
                out.push_str("C: \n");
            } else {
                out.push('\n');
            }
            continue;
        }
        if line.starts_with("```") {
            continue;
        }
        if shell_prompt(&line) && !line.contains("telnet ") {
            out.push_str(&format!("   {line}\n"));
            note(
                &mut out,
                lang.pick(
                    "a shell command, not part of the mail session",
                    "这是一条 shell 命令，不属于邮件会话",
                ),
            );
            continue;
        }
        if telnet_chatter(&line) {
            out.push_str(&format!("   {line}\n"));
            note(
                &mut out,
                lang.pick(
                    "printed by telnet itself, not by the server",
                    "这一行是 telnet 程序自己输出的，不是服务器发的",
                ),
            );
            continue;
        }
        let looks_reply = line.len() >= 3
            && line.as_bytes()[..3].iter().all(u8::is_ascii_digit)
            && matches!(line.as_bytes().get(3), None | Some(b' ' | b'-' | b'#'));
        let looks_pop3 = parse_pop3_status(line.as_bytes()).is_some();
        let server = match who {
            Who::Server => true,
            Who::Client => false,
            Who::Unknown => !st.in_data && (looks_reply || looks_pop3),
        };
        if server {
            out.push_str(&format!("S: {line}\n"));
            server_notes(&line, &mut st, lang, &mut |s| note(&mut out, s));
        } else {
            let (shown, notes) = client_line(&line, &mut st, opts);
            out.push_str(&format!("C: {shown}\n"));
            for n in notes {
                note(&mut out, &n);
            }
        }
    }
    out
}

fn server_notes(line: &str, st: &mut State, lang: Lang, note: &mut dyn FnMut(&str)) {
    if let Some(status) = parse_pop3_status(line.as_bytes()) {
        st.pop3 = true;
        let token = status.indicator.token();
        if let Some(e) = codes::pop3(token) {
            note(&format!("{token}: {}", e.meaning.get(lang)));
        }
        if let Some(e) = status.resp_code.as_deref().and_then(codes::pop3) {
            note(&format!("[{}]: {}", e.code, e.meaning.get(lang)));
        }
        return;
    }
    let (Some(head), Some(tail)) = (line.get(..3), line.get(3..)) else {
        return;
    };
    let Ok(code) = head.parse::<u16>() else {
        return;
    };
    let rest = tail.trim_start_matches(['-', ' ']);
    let last = !tail.starts_with('-');
    if last {
        match codes::smtp(code) {
            Some(e) => note(&format!("{code}: {}", e.meaning.get(lang))),
            None => note(&format!("{code}: {}", codes::label(lang, "unknown"))),
        }
        let first = rest.split(' ').next().unwrap_or("").trim_start_matches('#');
        if let Some(es) = EnhancedStatus::parse(first)
            && let Some(m) = codes::enhanced(es).meaning(lang)
        {
            note(&format!("{es}: {m}"));
        }
    }
    st.reply_buf.extend_from_slice(line.as_bytes());
    st.reply_buf.extend_from_slice(b"\r\n");
    if last {
        let buf = std::mem::take(&mut st.reply_buf);
        if let Some(Ok(reply)) = parse_replies(&buf).into_iter().next() {
            let outcome = st.session.on_reply(&reply);
            if !matches!(outcome, Outcome::Done { .. } | Outcome::Refused { .. }) {
                note(&format!("→ {}", outcome.describe(lang)));
            }
        }
    }
    st.prompt = None;
    match code {
        334 => {
            let arg = rest.trim();
            match auth::decode_prompt(arg) {
                Ok(p) => {
                    if p.kind != PromptKind::Empty {
                        note(&format!("base64 {arg} = \"{}\"", p.decoded.shown()));
                    }
                    st.prompt = Some(p.kind);
                }
                Err(e) => note(&format!("base64: {e}")),
            }
        }
        354 => {
            st.in_data = true;
            st.in_body = false;
        }
        _ => {}
    }
}

fn mask_or(show: bool, s: &str) -> String {
    if show { s.to_owned() } else { MASK.to_owned() }
}

fn client_line(line: &str, st: &mut State, opts: Options) -> (String, Vec<String>) {
    let lang = opts.lang;
    let mut notes = Vec::new();
    if st.in_data {
        if line == "." {
            st.in_data = false;
            st.session.on_sent(&ClientLine::Message);
            notes.push(
                lang.pick(
                    "a line with only \".\": end of the message (<CRLF>.<CRLF>)",
                    "只有 \".\" 的一行：邮件内容结束（<CRLF>.<CRLF>）",
                )
                .to_owned(),
            );
        } else if line.starts_with("..") {
            notes.push(
                lang.pick(
                    "dot-stuffing: a line starting with \".\" is sent with one more; the server removes it (RFC 5321 §4.5.2)",
                    "点填充：以 \".\" 开头的行要多加一个点发送，服务器会去掉它（RFC 5321 §4.5.2）",
                )
                .to_owned(),
            );
        } else if !st.in_body
            && let Some((name, _)) = line.split_once(':')
            && ["from", "to", "cc", "subject", "date"]
                .contains(&name.trim().to_ascii_lowercase().as_str())
        {
            notes.push(format!(
                "{} {}",
                lang.pick("message header", "邮件头"),
                name.trim()
            ));
        }
        return (line.to_owned(), notes);
    }
    if let Some(kind) = st.prompt.take() {
        st.session.on_sent(&ClientLine::AuthResponse);
        let secret = kind == PromptKind::Password || kind == PromptKind::Empty;
        return match auth::decode(line) {
            Ok(bytes) => {
                let decoded = Decoded::from_bytes(bytes);
                let label = match kind {
                    PromptKind::Password => lang.pick("password", "密码"),
                    PromptKind::Username => lang.pick("username", "用户名"),
                    _ => lang.pick("answer", "回答"),
                };
                let shown = if secret {
                    mask_or(opts.show_secrets, line)
                } else {
                    line.to_owned()
                };
                let value = if secret {
                    mask_or(opts.show_secrets, &decoded.shown())
                } else {
                    decoded.shown()
                };
                notes.push(format!("base64 → {label}: {value}"));
                (shown, notes)
            }
            Err(e) => {
                notes.push(match lang {
                    Lang::En => {
                        format!("not valid base64 ({e}); the server would answer 501 5.5.2")
                    }
                    Lang::Zh => format!("不是合法的 base64（{e}）；服务器会回复 501 5.5.2"),
                });
                (line.to_owned(), notes)
            }
        };
    }
    let pop3_line = st.pop3 || SmtpCommand::parse(line).is_err();
    if pop3_line && let Ok(cmd) = Pop3Command::parse(line) {
        if let Some(h) = codes::command_help("pop3", cmd.kind().label()) {
            notes.push(format!("{}: {}", h.command, h.what.get(lang)));
        }
        if let Pop3Command::Pass(pass) = &cmd {
            return (format!("PASS {}", mask_or(opts.show_secrets, pass)), notes);
        }
        return (line.to_owned(), notes);
    }
    match SmtpCommand::parse(line) {
        Ok(cmd) => {
            st.session.on_sent(&ClientLine::Command(cmd.clone()));
            let label = cmd.kind().label();
            if let Some(h) = codes::command_help("smtp", label) {
                notes.push(format!("{label}: {}", h.what.get(lang)));
            }
            if let SmtpCommand::AuthPlain { initial: Some(b64) } = &cmd {
                let shown = format!("AUTH PLAIN {}", mask_or(opts.show_secrets, b64));
                if let Some((_, user, pass)) =
                    auth::decode(b64).ok().and_then(|b| auth::split_plain(&b))
                {
                    notes.push(format!(
                        "base64 → \\0{user}\\0{}",
                        mask_or(opts.show_secrets, &pass)
                    ));
                }
                return (shown, notes);
            }
            (line.to_owned(), notes)
        }
        Err(_) => {
            notes.push(
                lang.pick(
                    "not a command the server knows: expect 500 (or a placeholder from a tutorial)",
                    "不是服务器认识的命令：会得到 500（也可能是教程里的占位文字）",
                )
                .to_owned(),
            );
            (line.to_owned(), notes)
        }
    }
}

/// Explains codes given on the command line: `535`, `5.7.8`, `+OK`, `[IN-USE]`.
pub fn explain_codes(codes_in: &[String], lang: Lang) -> String {
    codes_in
        .iter()
        .map(|c| codes::explain_token(c, lang))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn en(text: &str) -> String {
        annotate(
            text,
            Options {
                lang: Lang::En,
                show_secrets: false,
            },
        )
    }

    #[test]
    fn comments_and_prefixes() {
        assert_eq!(
            clean("helo 163.com #163.com可以随便任意字符").1,
            "helo 163.com"
        );
        assert_eq!(clean("auth login\t#认证登陆").1, "auth login");
        assert_eq!(clean("\t\t\t#需空一行表示正文开始").1, "");
        assert_eq!(
            clean("235 #2.0.0 OK Authenticated").1,
            "235 #2.0.0 OK Authenticated"
        );
        assert_eq!(clean(">334 VXNlcm5hbWU6").1, "334 VXNlcm5hbWU6");
        assert_eq!(clean("S: 250 OK\r\n"), (Who::Server, "250 OK".into()));
        assert_eq!(clean("C: DATA"), (Who::Client, "DATA".into()));
        assert_eq!(clean("250 smtp.qq.com//服务器返回").1, "250 smtp.qq.com");
        assert_eq!(
            clean("see http://mail.163.com/help").1,
            "see http://mail.163.com/help"
        );
    }

    #[test]
    fn auth_login_decoded_and_password_masked() {
        let t = "220 smtp.163.com\nhelo fan2\n250 OK\nauth login\n334 dXNlcm5hbWU6\ncGh1bnhtQDE2My5jb20=\n334 UGFzc3dvcmQ6\nc2VjcmV0\n235 Authentication successful\n";
        let out = en(t);
        assert!(out.contains("\"username:\""), "{out}");
        assert!(out.contains("username: phunxm@163.com"), "{out}");
        assert!(out.contains("\"Password:\""), "{out}");
        assert!(
            !out.contains("c2VjcmV0"),
            "raw base64 password leaked:\n{out}"
        );
        assert!(!out.contains("secret"), "password leaked:\n{out}");
        assert!(out.contains("235: Authentication successful"), "{out}");
        let shown = annotate(
            t,
            Options {
                lang: Lang::En,
                show_secrets: true,
            },
        );
        assert!(shown.contains("password: secret"), "{shown}");
    }

    #[test]
    fn data_section_is_message_text() {
        let t = "354 End data with <CR><LF>.<CR><LF>\nsubject:<test>\nfrom:<a@b>\n\nThis is a test\n.\n250 Mail OK queued\nquit\n221 Bye\n";
        let out = en(t);
        assert!(out.contains("message header subject"), "{out}");
        assert!(out.contains("blank line"), "{out}");
        assert!(out.contains("end of the message"), "{out}");
        assert!(out.contains("S: 250 Mail OK queued"), "{out}");
        assert!(out.contains("221: Service closing"), "{out}");
    }

    #[test]
    fn pop3_and_bad_base64_and_telnet_lines() {
        let out = en("Trying 1.2.3.4...\n+OK ready\nuser me\npass hunter2\n-ERR [AUTH] bad\n");
        assert!(out.contains("printed by telnet"), "{out}");
        assert!(out.contains("PASS ********"), "{out}");
        assert!(!out.contains("hunter2"));
        assert!(out.contains("[AUTH]: Authentication failed"), "{out}");
        let out = en("faner@MBP-FAN:~|⇒  echo dXNlcm5hbWU6 | base64 -D\n```\n");
        assert!(out.contains("a shell command"), "{out}");
        assert!(!out.contains("```"), "{out}");
        let out = en("334 VXNlcm5hbWU6\n【这里输入你的163邮箱账户的BASE64编码】\n");
        assert!(out.contains("not valid base64"), "{out}");
    }

    #[test]
    fn chinese_annotations() {
        let out = annotate(
            "503 bad sequence of commands\n",
            Options {
                lang: Lang::Zh,
                show_secrets: false,
            },
        );
        assert!(out.contains("错误的命令序列"), "{out}");
    }

    #[test]
    fn explain_codes_both_languages() {
        let out = explain_codes(&["535".into(), "5.7.8".into()], Lang::En);
        assert!(out.contains("Authentication credentials invalid"));
        assert!(out.contains("Security or policy status"));
        let zh = explain_codes(&["334".into()], Lang::Zh);
        assert!(zh.contains("服务器质询"));
        assert!(explain_codes(&["999".into()], Lang::En).contains("not in the knowledge base"));
        assert!(explain_codes(&["[IN-USE]".into()], Lang::En).contains("in use"));
    }
}
