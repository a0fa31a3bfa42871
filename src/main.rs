//! The `mailtutor` command: the tutor window, or one of its command-line tools.

use std::io::{IsTerminal, Read, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use mailtutor::explain::{self, Options};
use mailtutor::proto::Lang;
use mailtutor::server::{self, Account, Accounts, Fault, Limits, Policy, ServerConfig};

#[derive(Parser)]
#[command(
    name = "mailtutor",
    version,
    about = "Learn how e-mail really moves: SMTP and POP3, one command at a time"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Send one mail over SMTP and print the annotated transcript as it happens (like swaks).
    Send(Box<SendArgs>),
    /// Run the practice server alone (SMTP + POP3 over one Maildir), e.g. on a teacher's machine.
    Serve(Box<ServeArgs>),
    /// Explain reply codes (535, 5.7.8, +OK, IN-USE), or annotate a transcript read from stdin.
    Explain {
        /// Codes to explain; with none, a transcript is read from standard input.
        codes: Vec<String>,
        /// Language of the explanations: en or zh.
        #[arg(long, default_value = "en", value_parser = parse_lang)]
        lang: Lang,
        /// Show passwords instead of masking them.
        #[arg(long)]
        show_secrets: bool,
    },
}

#[derive(clap::Args)]
struct ServeArgs {
    /// SMTP with STARTTLS.
    #[arg(long, default_value = "127.0.0.1:2525")]
    smtp: SocketAddr,
    /// SMTP over implicit TLS (SMTPS).
    #[arg(long, default_value = "127.0.0.1:4465")]
    smtps: SocketAddr,
    /// POP3 with STLS.
    #[arg(long, default_value = "127.0.0.1:1110")]
    pop3: SocketAddr,
    /// POP3 over implicit TLS (POP3S).
    #[arg(long, default_value = "127.0.0.1:1995")]
    pop3s: SocketAddr,
    /// A TOML file of [[account]] address = "…" password = "…" entries.
    #[arg(long)]
    accounts: Option<PathBuf>,
    /// An account as ADDRESS:PASSWORD (repeat for several; replaces the default accounts).
    #[arg(long = "account", value_parser = parse_account)]
    account: Vec<Account>,
    /// Where the Maildirs live (default: the platform data directory).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// MAIL FROM needs AUTH first.
    #[arg(long)]
    require_auth: bool,
    /// AUTH, MAIL and POP3 logins need STARTTLS/STLS (or the TLS ports) first.
    #[arg(long)]
    require_tls: bool,
    /// The name in the greeting and in Received: headers.
    #[arg(long, default_value = "mailtutor.test")]
    hostname: String,
    /// Maximum simultaneous connections.
    #[arg(long, default_value_t = 100)]
    max_connections: usize,
    /// Seconds of silence before the server says 421 and hangs up.
    #[arg(long, default_value_t = 300)]
    idle_timeout: u64,
    /// Maximum message size in bytes.
    #[arg(long, default_value_t = 10 * 1024 * 1024)]
    max_size: usize,
    /// Maximum recipients per message.
    #[arg(long, default_value_t = 50)]
    max_recipients: usize,
    /// A staged fault: greet=421|554, rcpt=450|550|452, data=554, delay=MS, drop-after=VERB;
    /// add :sticky to keep it after it fires. Repeat for several.
    #[arg(long = "fault", value_parser = |s: &str| s.parse::<Fault>())]
    faults: Vec<Fault>,
}

fn serve(args: ServeArgs) -> ExitCode {
    let mut list: Vec<Account> = Vec::new();
    if let Some(path) = &args.accounts {
        match Accounts::from_file(path) {
            Ok(a) => list.extend(a.iter().cloned()),
            Err(e) => {
                eprintln!("mailtutor serve: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    list.extend(args.account.iter().cloned());
    let accounts = if list.is_empty() {
        Accounts::default()
    } else {
        match Accounts::new(list) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("mailtutor serve: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    for addr in [args.smtp, args.smtps, args.pop3, args.pop3s] {
        if !addr.ip().is_loopback() {
            eprintln!("mailtutor serve: listening on {addr}: reachable from the network");
        }
    }
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(server::default_data_dir);
    let config = ServerConfig {
        hostname: args.hostname,
        smtp: Some(args.smtp),
        smtps: Some(args.smtps),
        pop3: Some(args.pop3),
        pop3s: Some(args.pop3s),
        data_dir,
        accounts,
        limits: Limits {
            max_connections: args.max_connections,
            idle_timeout: Duration::from_secs(args.idle_timeout.max(1)),
            max_message_size: args.max_size,
            max_recipients: args.max_recipients.max(1),
        },
        policy: Policy {
            require_auth: args.require_auth,
            require_tls: args.require_tls,
        },
        faults: args.faults,
        logger: Arc::new(|line: &str| {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }),
    };
    let running = match server::start(config) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("mailtutor serve: {e}");
            return ExitCode::FAILURE;
        }
    };
    let show = |a: Option<SocketAddr>| a.map(|a| a.to_string()).unwrap_or_default();
    println!("mailtutor practice server");
    println!("  SMTP   {}  (STARTTLS)", show(running.smtp));
    println!("  SMTPS  {}  (implicit TLS)", show(running.smtps));
    println!("  POP3   {}  (STLS)", show(running.pop3));
    println!("  POP3S  {}  (implicit TLS)", show(running.pop3s));
    println!("  Maildirs in {}", running.data_dir.display());
    println!("  Certificate SHA-256 {}", running.fingerprint);
    for a in running.accounts().iter() {
        println!("  Account {} / {}", a.address, a.password);
    }
    for f in running.faults().list() {
        println!("  Staged fault {f}");
    }
    println!("Ready; press Ctrl-C to stop. Every session line is logged below.");
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum TlsMode {
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
struct SendArgs {
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
    #[arg(long, default_value = "en", value_parser = parse_lang)]
    lang: Lang,
    /// Show passwords instead of masking them.
    #[arg(long)]
    show_secrets: bool,
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
}

fn send(args: SendArgs) -> ExitCode {
    use mailtutor::proto::message::{Draft, Mailbox};
    use mailtutor::session::send::{AuthMechanism, Credentials, SendPlan, send_mail};
    use mailtutor::session::{ConnectOptions, Protocol, Security, Session, Target};
    use mailtutor::transcript::Transcript;

    let fail = |msg: String| {
        eprintln!("mailtutor send: {msg}");
        ExitCode::FAILURE
    };
    let security = match args.tls {
        TlsMode::Starttls => Security::StartTls,
        TlsMode::Implicit => Security::Implicit,
        TlsMode::None => Security::None,
    };
    let mut options = ConnectOptions::new(Protocol::Smtp);
    options.reply_timeout = Duration::from_secs(args.timeout.max(1));
    options.ehlo_name = args.ehlo.clone();
    options.trust.pinned = args.insecure_accept_cert.clone();

    // Without --server: the practice server, in this process, its certificate pinned.
    let mut practice = None;
    let target = match &args.server {
        Some(s) => {
            let (host, port) = match s.rsplit_once(':') {
                Some((h, p)) => match p.parse::<u16>() {
                    Ok(p) => (h.trim_matches(['[', ']']).to_owned(), p),
                    Err(_) => return fail(format!("{s:?}: the port must be a number")),
                },
                None => (
                    s.clone(),
                    match args.tls {
                        TlsMode::Starttls => 587,
                        TlsMode::Implicit => 465,
                        TlsMode::None => 25,
                    },
                ),
            };
            Target::new(host, port)
        }
        None => {
            let dir = args
                .data_dir
                .clone()
                .unwrap_or_else(server::default_data_dir);
            let running = match server::start(ServerConfig::loopback(dir)) {
                Ok(r) => r,
                Err(e) => return fail(format!("cannot start the practice server: {e}")),
            };
            options.trust.pinned.push(running.fingerprint.clone());
            let addr = match args.tls {
                TlsMode::Implicit => running.smtps,
                _ => running.smtp,
            };
            let Some(addr) = addr else {
                return fail("the practice server has no SMTP port".into());
            };
            println!(
                "Using the built-in practice server at {addr}; mail is stored in {}",
                running.data_dir.display()
            );
            practice = Some(running);
            Target::new("localhost", addr.port())
        }
    };

    let password = if let Some(var) = &args.password_env {
        match std::env::var(var) {
            Ok(p) => Some(p),
            Err(_) => return fail(format!("the environment variable {var} is not set")),
        }
    } else if args.password_stdin {
        let mut line = String::new();
        if let Err(e) = std::io::stdin().read_line(&mut line) {
            return fail(format!("cannot read the password from standard input: {e}"));
        }
        Some(line.trim_end_matches(['\r', '\n']).to_owned())
    } else if practice.is_some() {
        Some("secret".to_owned())
    } else {
        None
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
            return fail("--user needs --password-env VAR or --password-stdin".into());
        }
        (None, _) => None,
    };
    let body = match (&args.body, &args.body_file) {
        (Some(b), _) => b.clone(),
        (None, Some(path)) => match std::fs::read_to_string(path) {
            Ok(b) => b,
            Err(e) => return fail(format!("cannot read {}: {e}", path.display())),
        },
        (None, None) => "Sent with mailtutor.".to_owned(),
    };
    let parse_box = |s: &str| Mailbox::parse(s).map_err(|e| e.to_string());
    let draft = (|| {
        Ok::<_, String>(Draft {
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
    let payload = match draft.and_then(|d| d.to_data_payload().map_err(|e| e.to_string())) {
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
    let (lang, show) = (args.lang, args.show_secrets);
    let print_new = |t: &Transcript, shown: &mut usize| {
        let mut out = std::io::stdout().lock();
        while *shown < t.len() {
            let _ = write!(out, "{}", t.render_entry(*shown, lang, show));
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
            return fail(failure.error.to_string());
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
    match result {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\nmailtutor send: stopped at {}: {}", e.step, e.message);
            if let Some(r) = &e.reply {
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

fn parse_account(s: &str) -> Result<Account, String> {
    match s.split_once(':') {
        Some((address, password)) if !address.is_empty() && !password.is_empty() => Ok(Account {
            address: address.to_owned(),
            password: password.to_owned(),
        }),
        _ => Err(format!("{s:?}: write an account as ADDRESS:PASSWORD")),
    }
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    Lang::from_tag(s).ok_or_else(|| format!("unknown language {s:?}: use en or zh"))
}

#[cfg(feature = "gui")]
fn open_window() -> ExitCode {
    match mailtutor::ui::run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mailtutor: cannot open the window: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "gui"))]
fn open_window() -> ExitCode {
    eprintln!("mailtutor: this build has no window (built without the `gui` feature); see --help");
    ExitCode::FAILURE
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        None => open_window(),
        Some(Command::Serve(args)) => serve(*args),
        Some(Command::Send(args)) => send(*args),
        Some(Command::Explain {
            codes,
            lang,
            show_secrets,
        }) => {
            if !codes.is_empty() {
                print!("{}", explain::explain_codes(&codes, lang));
                return ExitCode::SUCCESS;
            }
            let mut stdin = std::io::stdin();
            if stdin.is_terminal() {
                eprintln!("Paste a transcript, then press Ctrl-D (Ctrl-Z Enter on Windows).");
            }
            let mut bytes = Vec::new();
            if let Err(e) = stdin.read_to_end(&mut bytes) {
                eprintln!("mailtutor explain: cannot read standard input: {e}");
                return ExitCode::FAILURE;
            }
            let text = String::from_utf8_lossy(&bytes);
            print!(
                "{}",
                explain::annotate(&text, Options { lang, show_secrets })
            );
            ExitCode::SUCCESS
        }
    }
}
