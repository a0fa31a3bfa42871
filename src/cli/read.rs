//! `mailtutor read`: `send`'s sibling for IMAP. It logs in, opens a mailbox read-only
//! (EXAMINE), lists its messages (flags, size, envelope), reads one whole if asked, and logs
//! out, printing the annotated transcript as it happens.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use mailtutor::proto::Lang;
use mailtutor::proto::line::printable;
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
            match super::server_target(s, default_port) {
                Ok(t) => t,
                Err(e) => return fail(e),
            }
        }
        None => {
            let running = match super::start_practice(
                args.data_dir.clone(),
                lang,
                &mut options.trust.pinned,
                &mut security,
            ) {
                Ok(r) => r,
                Err(e) => return fail(e),
            };
            let addr = match security {
                Security::Implicit => running.imaps,
                _ => running.imap,
            };
            let Some(addr) = addr else {
                return fail(Words::new("cli.practice_no_imap"));
            };
            super::using_practice(addr, &running, lang);
            practice = Some(running);
            Target::new("localhost", addr.port())
        }
    };

    let password = match super::read_password(args.password_env.as_deref(), args.password_stdin) {
        Ok(Some(p)) => p,
        Ok(None) if practice.is_some() => "secret".to_owned(),
        Ok(None) => return fail(Words::new("cli.read_needs_login")),
        Err(e) => return fail(e),
    };
    let user = match (&args.user, &practice) {
        (Some(u), _) => u.clone(),
        (None, Some(_)) => "student@mailtutor.test".to_owned(),
        (None, None) => return fail(Words::new("cli.read_needs_login")),
    };

    let mut transcript = Transcript::new(Protocol::Imap);
    let mut shown = 0;
    let (show, verbose) = (args.show_secrets, args.verbose);
    let print_new =
        |t: &Transcript, shown: &mut usize| super::print_new(t, shown, lang, show, verbose);
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
