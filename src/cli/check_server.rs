//! `mailtutor check-server`: scores a student's own SMTP (and POP3) server with a battery of
//! short sessions and prints each check, or writes them as one HTML page.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use mailtutor::checkserver::{self, Options, Outcome, report};
use mailtutor::proto::Lang;
use mailtutor::proto::line::printable;
use mailtutor::words::Words;

#[derive(clap::Args)]
pub struct CheckServerArgs {
    /// HOST:PORT of the SMTP server to check.
    server: Option<String>,
    /// HOST:PORT of the SMTP server (the same as giving it first); with --pop3, a test
    /// message is delivered through it before the POP3 checks.
    #[arg(long, value_name = "HOST:PORT")]
    smtp: Option<String>,
    /// HOST:PORT of a POP3 server to check (needs --user and --password).
    #[arg(long, value_name = "HOST:PORT")]
    pop3: Option<String>,
    /// POP3 login name of a mailbox holding at least one message.
    #[arg(long)]
    user: Option<String>,
    /// POP3 password (a test account's: it is masked in the report).
    #[arg(long)]
    password: Option<String>,
    /// Read the POP3 password from this environment variable instead.
    #[arg(long, conflicts_with = "password")]
    password_env: Option<String>,
    /// The sender of the test messages.
    #[arg(long, default_value = "teacher@mailtutor.test")]
    from: String,
    /// The recipient of the test messages (default: --user when it is an address, else
    /// student@mailtutor.test).
    #[arg(long)]
    to: Option<String>,
    /// Seconds to wait to connect and for each reply.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Also write the report as one self-contained HTML page.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Language of the report: en or zh.
    #[arg(long, default_value = "en", value_parser = super::parse_lang)]
    lang: Lang,
}

fn today() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    mailtutor::html_export::date_of(now)
}

/// Runs the battery; 0 when every check that applies passed, 1 when one failed, 2 when the
/// command line is wrong or a server cannot be reached.
pub fn check_server(args: CheckServerArgs) -> ExitCode {
    let lang = args.lang;
    let usage = |w: Words| {
        eprintln!("mailtutor check-server: {}", printable(&w.get(lang)));
        ExitCode::from(2)
    };
    let timeout = Duration::from_secs(args.timeout.max(1));
    let mut opts = Options::new(timeout);
    opts.smtp = args.server.or(args.smtp);
    opts.pop3 = args.pop3;
    opts.user = args.user;
    opts.password = match super::read_password(args.password_env.as_deref(), false) {
        Ok(Some(p)) => Some(p),
        Ok(None) => args.password,
        Err(w) => return usage(w),
    };
    opts.from = args.from;
    opts.to = match (args.to, &opts.user) {
        (Some(to), _) => to,
        (None, Some(user)) if user.contains('@') => user.clone(),
        (None, _) => opts.to,
    };
    if opts.smtp.is_none() && opts.pop3.is_none() {
        return usage(Words::new("checkserver.cli.need_server"));
    }
    if opts.pop3.is_some() && (opts.user.is_none() || opts.password.is_none()) {
        return usage(Words::new("checkserver.cli.need_user"));
    }
    let smtp = match opts.smtp.as_deref().map(|s| checkserver::probe(s, timeout)) {
        Some(Err(w)) => return usage(w),
        Some(Ok(a)) => Some(a),
        None => None,
    };
    let pop3 = match opts.pop3.as_deref().map(|s| checkserver::probe(s, timeout)) {
        Some(Err(w)) => return usage(w),
        Some(Ok(a)) => Some(a),
        None => None,
    };
    let mut servers = Vec::new();
    let mut checks = Vec::new();
    if let (Some(addr), Some(name)) = (smtp, &opts.smtp) {
        servers.push(format!("SMTP {name}"));
        checks.extend(checkserver::smtp::run(addr, &opts));
    }
    if let (Some(addr), Some(name)) = (pop3, &opts.pop3) {
        servers.push(format!("POP3 {name}"));
        let mark = checkserver::marker();
        let delivered = match smtp {
            Some(s) => match checkserver::pop3::deliver(s, &opts, &mark) {
                Ok(()) => Some(mark.as_str()),
                Err(why) => {
                    eprintln!(
                        "mailtutor check-server: {}",
                        printable(
                            &Words::new("checkserver.cli.delivery_failed")
                                .arg_words("why", why.0)
                                .get(lang)
                        )
                    );
                    None
                }
            },
            None => None,
        };
        checks.extend(checkserver::pop3::run(addr, &opts, delivered));
    }
    let header = report::Header {
        servers: servers.join(", "),
        date: today(),
    };
    print!("{}", printable(&report::text(&checks, &header, lang)));
    if let Some(path) = &args.html {
        let page = report::html(&checks, &header, lang);
        match std::fs::write(path, page) {
            Ok(()) => println!(
                "{}",
                Words::new("checkserver.cli.html_written")
                    .arg("path", path.display())
                    .get(lang)
            ),
            Err(e) => {
                return usage(
                    Words::new("checkserver.cli.html_failed")
                        .arg("path", path.display())
                        .arg("text", e),
                );
            }
        }
    }
    if checks.iter().any(|c| c.outcome == Outcome::Fail) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
