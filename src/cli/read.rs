//! `mailtutor read`: `send`'s sibling for IMAP. It logs in, opens a mailbox read-only
//! (EXAMINE), lists its messages (flags, size, envelope), reads one whole if asked, and logs
//! out, printing the annotated transcript as it happens.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use mailtutor::proto::Lang;
use mailtutor::proto::line::printable;
use mailtutor::server::{self, ServerConfig};
use mailtutor::words::Words;

use super::send::TlsMode;

#[derive(clap::Args)]
pub struct ReadArgs {
    /// HOST:PORT of the IMAP server; without it the practice server starts in-process.
    #[arg(long)]
    server: Option<String>,
    #[arg(long, value_enum, default_value = "starttls")]
    tls: TlsMode,
    /// Login name (default with the practice server: student@mailtutor.test).
    #[arg(long)]
    user: Option<String>,
    /// Read the password from this environment variable.
    #[arg(long, conflicts_with = "password_stdin")]
    password_env: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// The mailbox to open, read-only.
    #[arg(long, default_value = "INBOX")]
    mailbox: String,
    /// Which messages to list, as an IMAP sequence set (1:* is all of them).
    #[arg(long, default_value = "1:*")]
    list: String,
    /// Also read this message whole (by number; its \Seen flag is left as it was).
    #[arg(long)]
    message: Option<u32>,
    /// Language of the annotations: en or zh.
    #[arg(long, default_value = "en", value_parser = super::parse_lang)]
    lang: Lang,
    /// Show passwords instead of masking them.
    #[arg(long)]
    show_secrets: bool,
    /// Also print each response's details.
    #[arg(long)]
    verbose: bool,
    /// Trust the server certificate with this SHA-256 fingerprint even if no authority signed it.
    #[arg(long)]
    insecure_accept_cert: Vec<String>,
    /// Seconds to wait for each response.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Data directory of the in-process practice server (default: the platform data directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

pub fn read(args: ReadArgs) -> ExitCode {
    use mailtutor::proto::imap::ImapCommand;
    use mailtutor::session::{ConnectOptions, Protocol, Security, Session, Target};
    use mailtutor::transcript::Transcript;

    let lang = args.lang;
    let fail = |msg: Words| {
        eprintln!("mailtutor read: {}", printable(&msg.get(lang)));
        ExitCode::FAILURE
    };
    let mut security = match args.tls {
        TlsMode::Starttls => Security::StartTls,
        TlsMode::Implicit => Security::Implicit,
        TlsMode::None => Security::None,
    };
    let timeout = Duration::from_secs(args.timeout.max(1));
    let mut options = ConnectOptions::new(Protocol::Imap);
    options.reply_timeout = timeout;
    options.connect_timeout = options.connect_timeout.min(timeout);
    options.trust.pinned = args.insecure_accept_cert.clone();

    let mut practice = None;
    let target = match &args.server {
        Some(s) => {
            let default_port = match args.tls {
                TlsMode::Implicit => 993,
                TlsMode::Starttls | TlsMode::None => 143,
            };
            match s.rsplit_once(':') {
                Some((h, p)) => match p.parse::<u16>() {
                    Ok(p) => Target::new(h.trim_matches(['[', ']']), p),
                    Err(_) => {
                        return fail(Words::new("cli.bad_port").arg("server", format!("{s:?}")));
                    }
                },
                None => Target::new(s.as_str(), default_port),
            }
        }
        None => {
            let dir = args
                .data_dir
                .clone()
                .unwrap_or_else(server::default_data_dir);
            let running = match server::start(ServerConfig::loopback(dir)) {
                Ok(r) => r,
                Err(e) => return fail(Words::new("cli.practice_failed").arg("text", e)),
            };
            options.trust.pinned.push(running.fingerprint.clone());
            if let Some(e) = &running.tls_error {
                println!(
                    "{}",
                    printable(
                        &Words::new("server.no_tls")
                            .arg("error", e.get(lang))
                            .get(lang)
                    )
                );
                security = Security::None;
            }
            let addr = match security {
                Security::Implicit => running.imaps,
                _ => running.imap,
            };
            let Some(addr) = addr else {
                return fail(Words::new("cli.practice_no_imap"));
            };
            println!(
                "{}",
                Words::new("cli.using_practice")
                    .arg("addr", addr)
                    .arg("dir", running.data_dir.display())
                    .get(lang)
            );
            practice = Some(running);
            Target::new("localhost", addr.port())
        }
    };

    let password = if let Some(var) = &args.password_env {
        match std::env::var(var) {
            Ok(p) => p,
            Err(_) => return fail(Words::new("cli.env_unset").arg("var", var)),
        }
    } else if args.password_stdin {
        let mut line = String::new();
        if let Err(e) = std::io::stdin().read_line(&mut line) {
            return fail(Words::new("cli.stdin_password").arg("text", e));
        }
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else if practice.is_some() {
        "secret".to_owned()
    } else {
        return fail(Words::new("cli.read_needs_login"));
    };
    let user = match (&args.user, &practice) {
        (Some(u), _) => u.clone(),
        (None, Some(_)) => "student@mailtutor.test".to_owned(),
        (None, None) => return fail(Words::new("cli.read_needs_login")),
    };

    let mut transcript = Transcript::new(Protocol::Imap);
    let mut shown = 0;
    let (show, verbose) = (args.show_secrets, args.verbose);
    let print_new = |t: &Transcript, shown: &mut usize| {
        let mut out = std::io::stdout().lock();
        while *shown < t.len() {
            let entry = t.render_entry_with(*shown, lang, show, verbose);
            let _ = write!(out, "{}", printable(&entry));
            *shown += 1;
        }
        let _ = out.flush();
    };
    let session = match Session::connect(target, security, options).block_and_take() {
        Ok(s) => s,
        Err(failure) => {
            for e in &failure.events {
                transcript.apply(e);
            }
            print_new(&transcript, &mut shown);
            return fail(failure.error.words());
        }
    };
    // Each command in turn; the transcript is printed as its lines come. A refusal ends the
    // session with LOGOUT, named as the step it stopped at.
    let mut run = |cmd: &ImapCommand, transcript: &mut Transcript| -> Result<(), Words> {
        let answer = session.imap(cmd).block_and_take();
        while let Some(e) = session.next_event(Duration::from_millis(50)) {
            transcript.apply(&e);
        }
        print_new(transcript, &mut shown);
        match answer {
            Ok(responses) if responses.last().is_some_and(|r| r.is_positive()) => Ok(()),
            Ok(responses) => Err(Words::text(
                responses
                    .last()
                    .and_then(|r| r.imap())
                    .map(|r| r.shown())
                    .unwrap_or_default(),
            )),
            Err(e) => Err(e.words()),
        }
    };
    let steps = || {
        let mut plan = vec![
            ImapCommand::Login {
                user: user.clone(),
                password: password.clone(),
            },
            ImapCommand::Examine(args.mailbox.clone()),
        ];
        plan.push(ImapCommand::Fetch {
            set: args.list.clone(),
            items: "(FLAGS RFC822.SIZE ENVELOPE)".into(),
            uid: false,
        });
        if let Some(n) = args.message {
            plan.push(ImapCommand::Fetch {
                set: n.to_string(),
                items: "BODY.PEEK[]".into(),
                uid: false,
            });
        }
        plan
    };
    let mut stopped = None;
    for cmd in steps() {
        // An empty mailbox has nothing to list: FETCH 1:* would be refused.
        if matches!(&cmd, ImapCommand::Fetch { .. }) && transcript.imap().exists == Some(0) {
            continue;
        }
        if let Err(why) = run(&cmd, &mut transcript) {
            stopped = Some((cmd.verb().to_owned(), why));
            break;
        }
    }
    let _ = run(&ImapCommand::Logout, &mut transcript);
    drop(practice);
    match stopped {
        None => ExitCode::SUCCESS,
        Some((step, why)) => {
            eprintln!(
                "\n{}",
                printable(
                    &Words::new("cli.read_stopped_at")
                        .arg("step", step)
                        .arg_words("why", why)
                        .get(lang)
                )
            );
            ExitCode::FAILURE
        }
    }
}
