//! The built-in practice server, started in the background when the window opens, and its tab:
//! ports, accounts, where the mail is kept, the certificate.

use crate::words::Words;
use std::net::SocketAddr;
use std::path::PathBuf;

use egui::RichText;
use poll_promise::Promise;

use super::i18n::{tr, trf};
use crate::proto::Lang;
use crate::server::{self, EventSink, RunningServer, ServerConfig};
use crate::session::{Protocol, Security};

/// The practice server as the connection bar needs it: where it listens and who may log in.
#[derive(Debug, Clone)]
pub struct Practice {
    /// The address this window connects to: loopback, or the LAN address the class uses.
    pub host: std::net::IpAddr,
    pub smtp: u16,
    pub smtps: u16,
    pub pop3: u16,
    pub pop3s: u16,
    /// IMAP and IMAPS: for telnet and IMAP clients (the window speaks SMTP and POP3).
    pub imap: u16,
    pub imaps: u16,
    pub fingerprint: String,
    pub accounts: Vec<(String, String)>,
    /// Why the server runs without TLS, when it does.
    pub tls_error: Option<Words>,
}

impl Default for Practice {
    fn default() -> Self {
        Self {
            host: std::net::IpAddr::from([127, 0, 0, 1]),
            smtp: 0,
            smtps: 0,
            pop3: 0,
            pop3s: 0,
            imap: 0,
            imaps: 0,
            fingerprint: String::new(),
            accounts: Vec::new(),
            tls_error: None,
        }
    }
}

impl Practice {
    pub fn port(&self, protocol: Protocol, security: Security) -> u16 {
        match (protocol, security) {
            (Protocol::Smtp, Security::Implicit) => self.smtps,
            (Protocol::Smtp, _) => self.smtp,
            (Protocol::Pop3, Security::Implicit) => self.pop3s,
            (Protocol::Pop3, _) => self.pop3,
            (Protocol::Imap, Security::Implicit) => self.imaps,
            (Protocol::Imap, _) => self.imap,
        }
    }

    fn of(s: &RunningServer) -> Self {
        let port = |a: Option<SocketAddr>| a.map(|a| a.port()).unwrap_or(0);
        let builtin = server::Accounts::default();
        let host = match s.smtp.map(|a| a.ip()) {
            Some(ip) if !ip.is_unspecified() => ip,
            _ => std::net::IpAddr::from([127, 0, 0, 1]),
        };
        Self {
            host,
            smtp: port(s.smtp),
            smtps: port(s.smtps),
            pop3: port(s.pop3),
            pop3s: port(s.pop3s),
            imap: port(s.imap),
            imaps: port(s.imaps),
            fingerprint: s.fingerprint.clone(),
            tls_error: s.tls_error.clone(),
            accounts: {
                // The built-in accounts first: their passwords are no secret.
                let all = s.accounts();
                let (mut shown, class): (Vec<_>, Vec<_>) = all
                    .iter()
                    .map(|a| (a.address.clone(), a.password.clone()))
                    .partition(|(a, _)| builtin.get(a).is_some());
                shown.extend(class);
                shown
            },
        }
    }

    /// The accounts whose passwords may show on a projector (the built-in two), and how many
    /// others (a class's, a lesson's) there are: their passwords show only on the Class tab.
    pub fn public_accounts(&self) -> (Vec<&(String, String)>, usize) {
        let builtin = server::Accounts::default();
        let (public, others): (Vec<_>, Vec<_>) = self
            .accounts
            .iter()
            .partition(|(a, _)| builtin.get(a).is_some());
        (public, others.len())
    }
}

/// Whether the practice server is up yet.
pub enum PracticeState<'a> {
    Starting,
    Running(&'a Practice),
    Failed(&'a Words),
}

/// Where the window's practice server keeps its mail, where its events go, and whether it
/// serves a class on a LAN address instead of loopback.
#[derive(Clone)]
pub struct Setup {
    pub data_dir: PathBuf,
    pub events: EventSink,
    pub class: Option<std::net::IpAddr>,
}

/// How a server is set up before it starts.
pub type Configure = Box<dyn FnOnce(&mut ServerConfig) + Send>;

/// Work done on a freshly started server before the window uses it.
pub type Prepare = Box<dyn FnOnce(&RunningServer) -> Result<(), Words> + Send>;

pub enum PracticeServer {
    Starting(Promise<Result<Box<RunningServer>, Words>>),
    Running(Box<RunningServer>, Practice),
    Failed(Words),
}

impl PracticeServer {
    /// Starts the server on a background thread (it creates the Maildirs and a certificate).
    pub fn start(setup: Setup, policy: server::Policy, ctx: &egui::Context) -> Self {
        Self::start_with(
            setup,
            Box::new(move |c| c.policy = policy),
            Box::new(|_| Ok(())),
            ctx,
        )
    }

    /// Starts the server as `configure` sets it up (policy, faults, accounts), and runs
    /// `prepare` on it (a lesson puts its mail in the maildrop) before it is handed to the
    /// window. All on a background thread. Its events go to `events`.
    pub fn start_with(
        setup: Setup,
        configure: Configure,
        prepare: Prepare,
        ctx: &egui::Context,
    ) -> Self {
        Self::Starting(super::jobs::spawn("practice-server", ctx, move || {
            let mut config = ServerConfig::loopback(setup.data_dir);
            config.events = setup.events;
            if let Some(ip) = setup.class {
                // The ports `mailtutor serve` uses, so students type what the handout says.
                config.smtp = Some(SocketAddr::new(ip, 2525));
                config.smtps = Some(SocketAddr::new(ip, 4465));
                config.pop3 = Some(SocketAddr::new(ip, 1110));
                config.pop3s = Some(SocketAddr::new(ip, 1995));
                config.imap = Some(SocketAddr::new(ip, 1143));
                config.imaps = Some(SocketAddr::new(ip, 1993));
            }
            configure(&mut config);
            server::start(config)
                .map_err(|e| e.words())
                .and_then(|s| prepare(&s).map(|()| Box::new(s)))
        }))
    }

    /// Replaces the running server by a new one (see [`Self::start_with`]). The old one is
    /// stopped on a thread of its own: stopping waits for its sessions.
    pub fn restart(
        &mut self,
        setup: Setup,
        configure: Configure,
        prepare: Prepare,
        ctx: &egui::Context,
    ) {
        // The old server lets go of its ports before the new one binds them.
        let old = std::mem::replace(self, Self::Failed(Words::new("session.closed")));
        let (tx, rx) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            drop(old);
            let _ = tx.send(());
        });
        *self = Self::start_with(
            setup,
            Box::new(move |c| {
                let _ = rx.recv();
                configure(c);
            }),
            prepare,
            ctx,
        );
    }

    /// Picks up the started server.
    pub fn poll(&mut self) {
        let Self::Starting(p) = self else {
            return;
        };
        if p.ready().is_none() {
            return;
        }
        let Self::Starting(p) = std::mem::replace(self, Self::Failed(Words::new("session.closed")))
        else {
            return;
        };
        *self = match p.block_and_take() {
            Ok(s) => {
                let practice = Practice::of(&s);
                Self::Running(s, practice)
            }
            Err(e) => Self::Failed(e),
        };
    }

    /// Sets up the running server as a lesson (or leaving one) wants it, without a restart:
    /// its policy and staged faults replaced, accounts added; the ports, the certificate and
    /// every connection stay. `false` when no server runs yet (then it is started again).
    pub fn apply(
        &mut self,
        policy: server::Policy,
        faults: Vec<server::Fault>,
        accounts: Vec<server::Account>,
    ) -> bool {
        let Self::Running(s, practice) = self else {
            return false;
        };
        s.policy().set(policy);
        s.faults().clear();
        for f in faults {
            s.faults().stage(f);
        }
        if !accounts.is_empty() {
            s.add_accounts(accounts);
            *practice = Practice::of(s);
        }
        true
    }

    /// Adds accounts (a class's roster) to the running server; `false` when none runs.
    pub fn add_accounts(&mut self, accounts: Vec<server::Account>) -> bool {
        let Self::Running(s, practice) = self else {
            return false;
        };
        s.add_accounts(accounts);
        *practice = Practice::of(s);
        true
    }

    pub fn running(&self) -> Option<&RunningServer> {
        match self {
            Self::Running(s, _) => Some(s),
            _ => None,
        }
    }

    pub fn practice(&self) -> Option<&Practice> {
        match self {
            Self::Running(_, p) => Some(p),
            _ => None,
        }
    }

    pub fn state(&self) -> PracticeState<'_> {
        match self {
            Self::Starting(_) => PracticeState::Starting,
            Self::Running(_, p) => PracticeState::Running(p),
            Self::Failed(e) => PracticeState::Failed(e),
        }
    }

    /// The "Practice server" tab.
    pub fn ui(&self, ui: &mut egui::Ui, lang: Lang) {
        match self {
            Self::Starting(_) => {
                ui.label(tr(lang, "bar.practice_starting"));
            }
            Self::Failed(e) => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    trf(lang, "bar.practice_failed", &[("error", &e.get(lang))]),
                );
            }
            Self::Running(s, p) => {
                if let Some(e) = &p.tls_error {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        trf(lang, "server.no_tls", &[("error", &e.get(lang))]),
                    );
                }
                ui.label(tr(lang, "server.about"));
                egui::Grid::new("practice-ports")
                    .num_columns(2)
                    .show(ui, |ui| {
                        for (name, port) in [
                            ("SMTP", p.smtp),
                            ("SMTPS", p.smtps),
                            ("POP3", p.pop3),
                            ("POP3S", p.pop3s),
                            ("IMAP", p.imap),
                            ("IMAPS", p.imaps),
                        ] {
                            if port == 0 {
                                continue;
                            }
                            ui.label(name);
                            ui.monospace(format!("127.0.0.1:{port}"));
                            ui.end_row();
                        }
                    });
                ui.separator();
                ui.strong(tr(lang, "bar.accounts"));
                let (public, others) = p.public_accounts();
                for (user, pass) in public {
                    ui.monospace(format!("{user} / {pass}"));
                }
                if others > 0 {
                    ui.label(trf(
                        lang,
                        "bar.more_accounts",
                        &[("n", &others.to_string())],
                    ));
                }
                ui.separator();
                ui.label(trf(
                    lang,
                    "server.data",
                    &[("dir", &s.data_dir.display().to_string())],
                ));
                if p.tls_error.is_none() {
                    ui.label(trf(lang, "server.cert", &[("fp", &p.fingerprint)]));
                }
                ui.label(RichText::new(tr(lang, "server.telnet")).weak());
                ui.monospace(format!("telnet 127.0.0.1 {}", p.smtp));
                if p.imap != 0 {
                    ui.monospace(format!("telnet 127.0.0.1 {}", p.imap));
                }
            }
        }
    }
}
