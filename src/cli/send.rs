//! `mailtutor send`: one SMTP send on the session engine, its transcript printed as it happens.

use mailtutor::words::{Words, tr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use mailtutor::proto::Lang;
use mailtutor::proto::line::printable;

#[derive(Clone, Copy, clap::ValueEnum)]
pub(super) enum TlsMode {
    Starttls,
    Implicit,
    None,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum AuthArg {
    Login,
    Plain,
}

#[derive(clap::Args)]
pub struct SendArgs {
    /// HOST:PORT of the SMTP server; without it the practice server starts in-process.
    #[arg(long)]
    server: Option<String>,
    #[arg(long, value_enum, default_value = "starttls")]
    tls: TlsMode,
    #[arg(long, value_enum, default_value = "login")]
    auth: AuthArg,
    /// Login name; without it no AUTH is sent (except to the practice server).
    #[arg(long)]
    user: Option<String>,
    /// Read the password from this environment variable.
    #[arg(long, conflicts_with = "password_stdin")]
    password_env: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    #[arg(long)]
    from: String,
    #[arg(long, required = true)]
    to: Vec<String>,
    #[arg(long, default_value = "mailtutor test")]
    subject: String,
    /// The message body.
    #[arg(long, conflicts_with = "body_file")]
    body: Option<String>,
    /// Read the body from a file.
    #[arg(long)]
    body_file: Option<PathBuf>,
    /// The name given with EHLO.
    #[arg(long, default_value = "mailtutor")]
    ehlo: String,
    /// Language of the annotations: en or zh.
    #[arg(long, default_value = "en", value_parser = super::parse_lang)]
    lang: Lang,
    /// Show passwords instead of masking them.
    #[arg(long)]
    show_secrets: bool,
    /// Also print each reply's details: the codes' reference meanings and the session state.
    #[arg(long)]
    verbose: bool,
    /// Trust the server certificate with this SHA-256 fingerprint even if no authority signed it.
    #[arg(long)]
    insecure_accept_cert: Vec<String>,
    /// Send MAIL, RCPT and DATA one at a time even if the server offers PIPELINING.
    #[arg(long)]
    no_pipelining: bool,
    /// Seconds to wait for each reply.
    #[arg(long, default_value_t = 30)]
    timeout: u64,
    /// Data directory of the in-process practice server (default: the platform data directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// Also save the session as a pcapng capture for Wireshark (it ends where TLS begins).
    #[arg(long, value_name = "FILE")]
    pcap: Option<PathBuf>,
    #[command(flatten)]
    mime: super::attach::MimeArgs,
}

pub fn send(args: SendArgs) -> ExitCode {
    use mailtutor::proto::message::{Draft, Mailbox};
    use mailtutor::session::send::{AuthMechanism, Credentials, SendPlan, send_mail};
    use mailtutor::session::{ConnectOptions, Protocol, Security, Session, Target};
    use mailtutor::transcript::Transcript;

    let lang = args.lang;
    let verbose = args.verbose;
    let fail = |msg: Words| {
        eprintln!("mailtutor send: {}", printable(&msg.get(lang)));
        ExitCode::FAILURE
    };
    let mut security = match args.tls {
        TlsMode::Starttls => Security::StartTls,
        TlsMode::Implicit => Security::Implicit,
        TlsMode::None => Security::None,
    };
    let mut options = ConnectOptions::new(Protocol::Smtp);
    options.reply_timeout = Duration::from_secs(args.timeout.max(1));
    // Connecting and the TLS handshake end within --timeout too.
    options.connect_timeout = options.connect_timeout.min(options.reply_timeout);
    options.ehlo_name = args.ehlo.clone();
    options.trust.pinned = args.insecure_accept_cert.clone();

    // Without --server: the practice server, in this process, its certificate pinned.
    let mut practice = None;
    let target = match &args.server {
        Some(s) => {
            let default_port = match args.tls {
                TlsMode::Starttls => 587,
                TlsMode::Implicit => 465,
                TlsMode::None => 25,
            };
            match super::server_target(s, default_port) {
                Ok(t) => t,
                Err(e) => return fail(e),
            }
        }
        None => {
            // The practice server, in this process, its certificate pinned; without TLS it
            // still takes the mail, in plain text.
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
                Security::Implicit => running.smtps,
                _ => running.smtp,
            };
            let Some(addr) = addr else {
                return fail(Words::new("cli.practice_no_smtp"));
            };
            super::using_practice(addr, &running, lang);
            practice = Some(running);
            Target::new("localhost", addr.port())
        }
    };

    let password = match super::read_password(args.password_env.as_deref(), args.password_stdin) {
        Ok(Some(p)) => Some(p),
        Ok(None) => practice.as_ref().map(|_| "secret".to_owned()),
        Err(e) => return fail(e),
    };
    let user = args
        .user
        .clone()
        .or_else(|| practice.as_ref().map(|_| args.from.clone()));
    let auth = match (user, password) {
        (Some(user), Some(password)) => Some(Credentials {
            mechanism: match args.auth {
                AuthArg::Login => AuthMechanism::Login,
                AuthArg::Plain => AuthMechanism::Plain,
            },
            user,
            password,
        }),
        (Some(_), None) => {
            return fail(Words::new("cli.user_needs_password"));
        }
        (None, _) => None,
    };
    let body = match (&args.body, &args.body_file) {
        (Some(b), _) => b.clone(),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(b) => b,
            Err(e) => {
                return fail(
                    Words::new("cli.cannot_read")
                        .arg("path", path.display())
                        .arg("text", e),
                );
            }
        },
        (None, None) => tr(lang, "cli.default_body"),
    };
    let parse_box = |s: &str| Mailbox::parse(s).map_err(|e| e.words());
    let draft = (|| {
        Ok::<_, Words>(Draft {
            from: parse_box(&args.from)?,
            to: args
                .to
                .iter()
                .map(|t| parse_box(t))
                .collect::<Result<_, _>>()?,
            subject: args.subject.clone(),
            body,
            ..Draft::default()
        })
    })();
    let payload = match draft.and_then(|d| args.mime.payload(d)) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let bare = |s: &str| {
        Mailbox::parse(s)
            .map(|m| m.address)
            .unwrap_or_else(|_| s.to_owned())
    };
    let plan = SendPlan {
        ehlo: args.ehlo.clone(),
        auth,
        from: bare(&args.from),
        to: args.to.iter().map(|t| bare(t)).collect(),
        payload,
        pipelining: !args.no_pipelining,
    };

    let mut transcript = Transcript::new(Protocol::Smtp);
    let mut shown = 0;
    let show = args.show_secrets;
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
    let result = send_mail(
        &session,
        &plan,
        Duration::from_secs(args.timeout.max(1)),
        |e| {
            transcript.apply(e);
            print_new(&transcript, &mut shown);
        },
    );
    drop(practice);
    let saved =
        (args.pcap.as_deref()).is_none_or(|p| super::capture::save(p, &transcript, lang, show));
    match result {
        Ok(_) if saved => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!(
                "\n{}",
                printable(
                    &Words::new("cli.stopped_at")
                        .arg("step", &e.step)
                        .arg_words("why", e.message.clone())
                        .get(lang)
                )
            );
            // The reply was explained once, under its row above; the codes' reference texts
            // are details, printed on demand.
            if let Some(r) = e.reply.as_ref().filter(|_| verbose) {
                eprint!(
                    "{}",
                    mailtutor::proto::codes::explain_token(&r.code.to_string(), lang)
                );
                if let Some(es) = r.enhanced {
                    eprint!(
                        "{}",
                        mailtutor::proto::codes::explain_token(&es.to_string(), lang)
                    );
                }
            }
            ExitCode::FAILURE
        }
    }
}
