//! What the SMTP state machine says in words: the steps a student can take next and what
//! each reply meant, in English and Chinese.

use super::Lang;
use super::auth::PromptKind;
use super::codes;
use super::smtp::CommandKind;

/// What the student can do next: a command, or a step inside one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    Connect,
    WaitForGreeting,
    WaitForReply,
    TlsHandshake,
    Command(CommandKind),
    SendUsername,
    SendPassword,
    /// The `\0user\0pass` response to an empty `334` after `AUTH PLAIN`.
    SendPlainResponse,
    /// The message text after `354`, ending with a line holding only `.`.
    SendMessage,
}

impl Step {
    pub fn describe(self, lang: Lang) -> String {
        let s = match self {
            Step::Connect => lang.pick("Connect to the server.", "连接服务器。"),
            Step::WaitForGreeting => lang.pick(
                "Wait for the server's 220 greeting.",
                "等待服务器的 220 欢迎信息。",
            ),
            Step::WaitForReply => lang.pick("Wait for the server's reply.", "等待服务器回复。"),
            Step::TlsHandshake => lang.pick(
                "Start the TLS handshake, then send EHLO again.",
                "开始 TLS 握手，然后重新发送 EHLO。",
            ),
            Step::SendUsername => lang.pick(
                "Send your username (the e-mail address) in base64.",
                "发送 base64 编码的用户名（邮箱地址）。",
            ),
            Step::SendPassword => lang.pick(
                "Send your password (for QQ/163: the app password, 授权码) in base64.",
                "发送 base64 编码的密码（QQ/163 邮箱用授权码）。",
            ),
            Step::SendPlainResponse => lang.pick(
                "Send base64 of \\0username\\0password.",
                "发送 \\0用户名\\0密码 的 base64 编码。",
            ),
            Step::SendMessage => lang.pick(
                "Send the message: headers, a blank line, the body, then a line with only \".\".",
                "发送邮件内容：邮件头、一个空行、正文，最后单独一行 \".\"。",
            ),
            Step::Command(kind) => {
                return match lang {
                    Lang::En => format!("Send {kind}."),
                    Lang::Zh => format!("发送 {kind} 命令。"),
                };
            }
        };
        s.to_owned()
    }
}

/// What a reply meant, in the terms of the session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Greeting {
        code: u16,
    },
    Hello {
        ehlo: bool,
        extensions: usize,
    },
    TlsReady,
    AuthPrompt {
        kind: PromptKind,
        decoded: String,
    },
    AuthSucceeded,
    AuthFailed {
        code: u16,
    },
    SenderAccepted,
    RecipientAccepted {
        count: u32,
    },
    DataGo,
    MessageQueued,
    Reset,
    Bye,
    Closing {
        code: u16,
    },
    BadSequence {
        command: CommandKind,
        needed: Option<Step>,
    },
    Refused {
        command: Option<CommandKind>,
        code: u16,
    },
    Done {
        command: Option<CommandKind>,
        code: u16,
    },
}

impl Outcome {
    /// The one line "what just happened".
    pub fn describe(&self, lang: Lang) -> String {
        let zh = lang == Lang::Zh;
        let meaning = |code: u16| {
            codes::smtp(code)
                .map(|e| e.meaning.get(lang).to_owned())
                .unwrap_or_else(|| format!("{code}"))
        };
        let cmd = |c: &Option<CommandKind>| c.map(|c| c.label()).unwrap_or("?");
        match self {
            Outcome::Greeting { code: 220 } if zh => {
                "服务器已就绪（220）。用 EHLO 或 HELO 表明你的身份。".into()
            }
            Outcome::Greeting { code: 220 } => {
                "The server is ready (220). Introduce yourself with EHLO or HELO.".into()
            }
            Outcome::Greeting { code } if zh => {
                format!("服务器拒绝了这次会话（{code}）：{}", meaning(*code))
            }
            Outcome::Greeting { code } => {
                format!("The server refused the session ({code}): {}", meaning(*code))
            }
            Outcome::Hello { ehlo: true, extensions } if zh => format!(
                "服务器接受了 EHLO，并列出了它支持的 {extensions} 项扩展（每行一个）。"
            ),
            Outcome::Hello { ehlo: true, extensions } => format!(
                "The server accepted EHLO and listed {extensions} extensions it supports, one per line."
            ),
            Outcome::Hello { .. } if zh => {
                "服务器接受了 HELO。HELO 不会列出扩展；想看扩展请用 EHLO。".into()
            }
            Outcome::Hello { .. } => {
                "The server accepted HELO. HELO lists no extensions; EHLO would.".into()
            }
            Outcome::TlsReady if zh => {
                "服务器准备好 TLS 了。握手之后连接被加密，必须重新发送 EHLO（RFC 3207）。".into()
            }
            Outcome::TlsReady => "The server is ready for TLS. After the handshake the connection is encrypted and you must send EHLO again (RFC 3207).".into(),
            Outcome::AuthPrompt { kind, decoded } => {
                let what = match kind {
                    PromptKind::Username => lang.pick("your username", "用户名"),
                    PromptKind::Password => lang.pick("your password", "密码"),
                    PromptKind::Empty => {
                        lang.pick("the \\0user\\0password string", "\\0用户名\\0密码")
                    }
                    PromptKind::Other => lang.pick("an answer", "回答"),
                };
                if zh {
                    format!("334：服务器用 base64 提问“{decoded}”，请发送 base64 编码的{what}。")
                } else {
                    format!(
                        "334: the server asks \"{decoded}\" in base64. Send {what}, base64-encoded."
                    )
                }
            }
            Outcome::AuthSucceeded => lang
                .pick(
                    "235: you are logged in. Now say who the mail is from with MAIL FROM.",
                    "235：登录成功。接下来用 MAIL FROM 指明发件人。",
                )
                .into(),
            Outcome::AuthFailed { code } if zh => format!(
                "{code}：登录失败。{} 检查用户名，并确认密码是授权码而不是网页登录密码。",
                meaning(*code)
            ),
            Outcome::AuthFailed { code } => format!(
                "{code}: login failed. {} Check the username, and that the password is the app password, not the web login.",
                meaning(*code)
            ),
            Outcome::SenderAccepted => lang
                .pick(
                    "The sender is accepted. Name each recipient with RCPT TO.",
                    "发件人已接受。用 RCPT TO 指明每个收件人。",
                )
                .into(),
            Outcome::RecipientAccepted { count } if zh => format!(
                "收件人已接受（共 {count} 个）。可以再加收件人，或发送 DATA 开始写信。"
            ),
            Outcome::RecipientAccepted { count } => format!(
                "Recipient accepted ({count} so far). Add another with RCPT TO, or send DATA."
            ),
            Outcome::DataGo => lang
                .pick(
                    "354: the server now reads the message until a line with only \".\".",
                    "354：服务器开始接收邮件内容，直到单独一行的 \".\" 为止。",
                )
                .into(),
            Outcome::MessageQueued => lang
                .pick(
                    "250: the message is accepted and queued for delivery. Send another with MAIL FROM, or QUIT.",
                    "250：邮件已被接受并排队投递。可以用 MAIL FROM 再发一封，或 QUIT 退出。",
                )
                .into(),
            Outcome::Reset => lang
                .pick(
                    "The mail transaction is cleared; start again with MAIL FROM.",
                    "当前邮件事务已清空；从 MAIL FROM 重新开始。",
                )
                .into(),
            Outcome::Bye => lang
                .pick(
                    "221: the server says goodbye and closes the connection.",
                    "221：服务器道别并关闭连接。",
                )
                .into(),
            Outcome::Closing { code } if zh => {
                format!("{code}：服务器要关闭连接。{}", meaning(*code))
            }
            Outcome::Closing { code } => {
                format!("{code}: the server is closing the connection. {}", meaning(*code))
            }
            Outcome::BadSequence { command, needed } => {
                let needed = needed
                    .map(|s| match s {
                        Step::Command(k) => k.label().to_owned(),
                        other => other.describe(lang),
                    })
                    .unwrap_or_else(|| "?".into());
                if zh {
                    format!("503 命令顺序错误：服务器要求先完成 {needed}，再发送 {command}。")
                } else {
                    format!(
                        "503 bad sequence: the server expects {needed} before {command}."
                    )
                }
            }
            Outcome::Refused { command, code } if zh => {
                format!("{} 被拒绝（{code}）：{}", cmd(command), meaning(*code))
            }
            Outcome::Refused { command, code } => {
                format!("{} was refused ({code}): {}", cmd(command), meaning(*code))
            }
            Outcome::Done { command, code } if zh => {
                format!("{} → {code}：{}", cmd(command), meaning(*code))
            }
            Outcome::Done { command, code } => {
                format!("{} → {code}: {}", cmd(command), meaning(*code))
            }
        }
    }
}
