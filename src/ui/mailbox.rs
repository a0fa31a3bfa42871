//! The practice server's mailboxes in the window: each account's INBOX as POP3 numbers it and
//! its IMAP folders (Drafts, Sent, Trash …), each message with the IMAP flags its file name
//! keeps; one message's raw source beside its decoded view, and deleting or emptying a folder.
//! Every read and delete runs on a background thread.

use egui::RichText;
use poll_promise::Promise;

use super::i18n::{tr, trf};
use super::take_ready;
use crate::proto::Lang;
use crate::proto::message::{ParsedMail, PartContent, parse_message};
use crate::server::maildir::{Maildir, StoredMessage, flag_names};
use crate::words::Words;

/// One message in a mailbox list.
#[derive(Debug, Clone)]
pub struct MessageRow {
    /// The number POP3 gives it (LIST, RETR n).
    pub number: usize,
    pub stored: StoredMessage,
    pub from: String,
    pub subject: String,
    pub date: String,
    /// IMAP's flags for it (`\\Seen`, `\\Deleted` …), as its file name keeps them.
    pub flags: Vec<&'static str>,
}

/// One IMAP folder beside INBOX and its messages.
#[derive(Debug, Clone)]
pub struct FolderBox {
    pub name: String,
    pub messages: Vec<MessageRow>,
}

/// One account and its messages.
#[derive(Debug, Clone)]
pub struct AccountBox {
    pub address: String,
    /// INBOX: the maildrop POP3 reads.
    pub messages: Vec<MessageRow>,
    /// The other folders, by name.
    pub folders: Vec<FolderBox>,
}

/// A message opened for reading.
pub struct Opened {
    pub uid: String,
    /// The source as stored, bytes that are not UTF-8 shown as `\xNN`.
    pub source: String,
    pub parsed: Option<ParsedMail>,
    /// The message's MIME parts as a tree, and the one selected in it.
    pub tree: Option<crate::proto::mime_tree::MimeTree>,
    pub selected: Option<usize>,
    /// No empty line ends the headers: every line, the text meant as the body too, was read
    /// as a header (RFC 5322 §2.1).
    pub no_blank_line: bool,
}

/// What a background job reports: its result, or why it failed, in words for either language.
type Job<T> = Promise<Result<T, Words>>;

pub struct MailboxView {
    pub boxes: Vec<AccountBox>,
    listing: Option<Job<Vec<AccountBox>>>,
    /// The server's store changes count at the last listing.
    listed_at: Option<u64>,
    pub account: Option<String>,
    /// The folder on screen: INBOX, or one of the account's other folders.
    pub folder: String,
    pub opened: Option<Opened>,
    opening: Option<Job<Opened>>,
    changing: Option<Job<usize>>,
    /// An empty-the-mailbox click waiting for its confirmation.
    confirm_reset: bool,
    pub error: Option<Words>,
}

impl Default for MailboxView {
    fn default() -> Self {
        Self {
            boxes: Vec::new(),
            listing: None,
            listed_at: None,
            account: None,
            folder: "INBOX".to_owned(),
            opened: None,
            opening: None,
            changing: None,
            confirm_reset: false,
            error: None,
        }
    }
}

impl MailboxView {
    /// Lists every mailbox again when the server reports a change (a delivery, a POP3 QUIT)
    /// since the last listing.
    pub fn follow(
        &mut self,
        store: &Maildir,
        accounts: Vec<String>,
        changes: u64,
        ctx: &egui::Context,
    ) {
        self.poll();
        if self.listed_at != Some(changes) && self.listing.is_none() && self.changing.is_none() {
            self.listed_at = Some(changes);
            self.refresh(store, accounts, ctx);
        }
    }

    /// Whether a listing, an opening or a delete is under way.
    pub fn is_busy(&self) -> bool {
        self.listing.is_some() || self.opening.is_some() || self.changing.is_some()
    }

    fn refresh(&mut self, store: &Maildir, accounts: Vec<String>, ctx: &egui::Context) {
        let store = store.clone();
        self.listing = Some(super::jobs::spawn("mailbox-list", ctx, move || {
            list_all(&store, &accounts)
        }));
    }

    fn poll(&mut self) {
        if let Some(r) = take_ready(&mut self.listing) {
            match r {
                Ok(boxes) => {
                    self.boxes = boxes;
                    // At first, the first account that has mail (the lesson's recipient).
                    if self.account.is_none() {
                        let pick = self
                            .boxes
                            .iter()
                            .find(|b| !b.messages.is_empty())
                            .or(self.boxes.first());
                        self.account = pick.map(|b| b.address.clone());
                    }
                    // An opened message that is gone (read and deleted over POP3) closes.
                    if let Some(o) = &self.opened
                        && !self.messages().iter().any(|m| m.stored.uid == o.uid)
                    {
                        self.opened = None;
                    }
                }
                Err(e) => self.error = Some(e),
            }
        }
        if let Some(r) = take_ready(&mut self.opening) {
            match r {
                Ok(o) => self.opened = Some(o),
                Err(e) => self.error = Some(e),
            }
        }
        if let Some(r) = take_ready(&mut self.changing) {
            if let Err(e) = r {
                self.error = Some(e);
            }
            // List again after the change.
            self.listed_at = None;
        }
    }

    fn account_box(&self) -> Option<&AccountBox> {
        self.boxes
            .iter()
            .find(|b| Some(&b.address) == self.account.as_ref())
    }

    /// The messages of the folder on screen.
    fn messages(&self) -> &[MessageRow] {
        let Some(b) = self.account_box() else {
            return &[];
        };
        if self.folder == "INBOX" {
            return &b.messages;
        }
        b.folders
            .iter()
            .find(|f| f.name == self.folder)
            .map(|f| f.messages.as_slice())
            .unwrap_or_default()
    }

    /// The newest message of the account on screen.
    pub fn newest(&self) -> Option<&MessageRow> {
        self.messages().last()
    }

    pub fn open_newest(&mut self, store: &Maildir, ctx: &egui::Context) {
        if let Some(row) = self.newest().cloned() {
            self.open(store, &row, ctx);
        }
    }

    fn open(&mut self, store: &Maildir, row: &MessageRow, ctx: &egui::Context) {
        let store = store.clone();
        let stored = row.stored.clone();
        self.opening = Some(super::jobs::spawn("mailbox-open", ctx, move || {
            store
                .read(&stored)
                .map(|bytes| Opened {
                    uid: stored.uid.clone(),
                    source: crate::proto::line::escaped(&bytes),
                    parsed: parse_message(&bytes),
                    tree: crate::proto::mime_tree::mime_tree(&bytes),
                    selected: None,
                    no_blank_line: !crate::proto::message::has_header_end(&bytes),
                })
                .map_err(|e| Words::new("mailbox.error").arg("error", e))
        }));
    }

    /// Deletes messages of `address`, unless a POP3 session holds that maildrop.
    fn delete(
        &mut self,
        store: &Maildir,
        address: String,
        doomed: Vec<StoredMessage>,
        ctx: &egui::Context,
    ) {
        let store = store.clone();
        self.changing = Some(super::jobs::spawn(
            "mailbox-delete",
            ctx,
            move || match store.try_lock(&address) {
                Ok(Some(_guard)) => {
                    let failed = doomed.iter().filter(|m| store.delete(m).is_err()).count();
                    if failed == 0 {
                        Ok(doomed.len())
                    } else {
                        Err(Words::new("mailbox.not_removed")
                            .arg("failed", failed)
                            .arg("all", doomed.len()))
                    }
                }
                Ok(None) => Err(Words::new("mailbox.in_use")),
                Err(e) => Err(Words::new("mailbox.error").arg("error", e)),
            },
        ));
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, store: &Maildir) {
        let ctx = ui.ctx().clone();
        ui.horizontal_wrapped(|ui| {
            let l = ui.label(tr(lang, "mailbox.account"));
            egui::ComboBox::from_id_salt("mailbox-account")
                .selected_text(self.account.clone().unwrap_or_default())
                .show_ui(ui, |ui| {
                    for b in &self.boxes {
                        let label = format!("{} ({})", b.address, b.messages.len());
                        if ui
                            .selectable_label(self.account.as_ref() == Some(&b.address), label)
                            .clicked()
                        {
                            self.account = Some(b.address.clone());
                            self.folder = "INBOX".to_owned();
                            self.opened = None;
                        }
                    }
                })
                .response
                .labelled_by(l.id);
            // INBOX and the IMAP folders beside it, each with its count.
            let folders: Vec<(String, usize)> = self
                .account_box()
                .map(|b| {
                    std::iter::once(("INBOX".to_owned(), b.messages.len()))
                        .chain(b.folders.iter().map(|f| (f.name.clone(), f.messages.len())))
                        .collect()
                })
                .unwrap_or_default();
            let l = ui.label(tr(lang, "mailbox.folder"));
            // A modified UTF-7 name (`&XfJT0ZAB-`) is shown decoded too (已发送).
            let shown = |name: &str, n: usize| match crate::proto::imap::command::mutf7_decode(name)
            {
                Some(d) if d != name => format!("{name} = {d} ({n})"),
                _ => format!("{name} ({n})"),
            };
            let current = folders
                .iter()
                .find(|(n, _)| *n == self.folder)
                .map(|(n, c)| shown(n, *c))
                .unwrap_or_else(|| self.folder.clone());
            egui::ComboBox::from_id_salt("mailbox-folder")
                .selected_text(current)
                .show_ui(ui, |ui| {
                    for (name, n) in &folders {
                        if ui
                            .selectable_label(self.folder == *name, shown(name, *n))
                            .clicked()
                        {
                            self.folder.clone_from(name);
                            self.opened = None;
                        }
                    }
                })
                .response
                .labelled_by(l.id);
            if ui.button(tr(lang, "mailbox.refresh")).clicked() {
                self.listed_at = None;
            }
            let count = self.messages().len();
            if ui
                .add_enabled(
                    count > 0 && !self.is_busy(),
                    egui::Button::new(tr(lang, "mailbox.reset")),
                )
                .clicked()
            {
                self.confirm_reset = true;
            }
            if self.is_busy() {
                ui.spinner();
            }
        });
        if self.confirm_reset {
            let account = self.account.clone().unwrap_or_default();
            ui.horizontal_wrapped(|ui| {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    trf(lang, "mailbox.reset_confirm", &[("account", &account)]),
                );
                if ui.button(tr(lang, "mailbox.reset_yes")).clicked() {
                    let doomed = self.messages().iter().map(|m| m.stored.clone()).collect();
                    self.delete(store, account.clone(), doomed, &ctx);
                    self.opened = None;
                    self.confirm_reset = false;
                }
                if ui.button(tr(lang, "plain_auth.cancel")).clicked() {
                    self.confirm_reset = false;
                }
            });
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e.get(lang));
        }
        ui.separator();
        let rows: Vec<MessageRow> = self.messages().to_vec();
        if rows.is_empty() {
            ui.label(RichText::new(tr(lang, "mailbox.empty")).weak());
            return;
        }
        let mut open = None;
        let mut delete = None;
        egui::ScrollArea::vertical()
            .id_salt("mailbox-list")
            .max_height(ui.available_height() * 0.35)
            .show(ui, |ui| {
                egui::Grid::new("mailbox-messages")
                    .striped(true)
                    .num_columns(8)
                    .show(ui, |ui| {
                        // The delete button before the long unique name, so it is never
                        // pushed out of the window. INBOX's names are POP3's UIDLs; another
                        // folder's are the files' unique names.
                        let inbox = self.folder == "INBOX";
                        for h in [
                            "mailbox.no",
                            "mailbox.from",
                            "mailbox.subject",
                            "mailbox.date",
                            "mailbox.size",
                            "mailbox.flags",
                            "",
                            if inbox { "UIDL" } else { "mailbox.unique" },
                        ] {
                            ui.strong(match h {
                                "" | "UIDL" => h.to_owned(),
                                _ => tr(lang, h),
                            });
                        }
                        ui.end_row();
                        for row in &rows {
                            let selected = self
                                .opened
                                .as_ref()
                                .is_some_and(|o| o.uid == row.stored.uid);
                            ui.monospace(row.number.to_string());
                            ui.label(&row.from);
                            if ui.selectable_label(selected, &row.subject).clicked() {
                                open = Some(row.clone());
                            }
                            ui.label(&row.date);
                            ui.monospace(row.stored.size.to_string());
                            ui.monospace(row.flags.join(" "));
                            if ui.small_button(tr(lang, "mailbox.delete")).clicked() {
                                delete = Some(row.stored.clone());
                            }
                            ui.monospace(&row.stored.uid);
                            ui.end_row();
                        }
                    });
            });
        if let Some(row) = open {
            self.open(store, &row, &ctx);
        }
        if let Some(m) = delete
            && let Some(account) = self.account.clone()
        {
            if self.opened.as_ref().is_some_and(|o| o.uid == m.uid) {
                self.opened = None;
            }
            self.delete(store, account, vec![m], &ctx);
        }
        ui.separator();
        match &mut self.opened {
            None => {
                ui.label(RichText::new(tr(lang, "mailbox.pick")).weak());
            }
            Some(o) => opened_ui(ui, lang, o),
        }
    }
}

fn opened_ui(ui: &mut egui::Ui, lang: Lang, o: &mut Opened) {
    ui.columns(2, |cols| {
        cols[0].strong(tr(lang, "mailbox.source"));
        egui::ScrollArea::both()
            .id_salt("mailbox-source")
            .auto_shrink([false, false])
            .show(&mut cols[0], |ui| {
                ui.add(egui::Label::new(RichText::new(&o.source).monospace()).extend());
            });
        cols[1].strong(tr(lang, "mailbox.decoded"));
        egui::ScrollArea::both()
            .id_salt("mailbox-decoded")
            .auto_shrink([false, false])
            .show(&mut cols[1], |ui| {
                if o.no_blank_line {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        tr(lang, "mailbox.no_blank_line"),
                    );
                }
                // The parts as a tree; a click shows a part's header fields.
                if let Some(tree) = &o.tree {
                    super::mime_tree::tree_ui(ui, tree, lang, &mut o.selected);
                    ui.separator();
                }
                match &o.parsed {
                    None => {
                        ui.label(tr(lang, "mailbox.unreadable"));
                    }
                    Some(p) => decoded_ui(ui, lang, p),
                }
            });
    });
}

fn decoded_ui(ui: &mut egui::Ui, lang: Lang, p: &ParsedMail) {
    egui::Grid::new("mailbox-headers")
        .num_columns(2)
        .show(ui, |ui| {
            for (name, value) in &p.headers {
                ui.strong(name);
                ui.add(egui::Label::new(value).wrap());
                ui.end_row();
            }
        });
    for (i, part) in p.parts.iter().enumerate() {
        ui.separator();
        let encoding = if part.transfer_encoding.is_empty() {
            String::new()
        } else {
            format!(" · {}", part.transfer_encoding)
        };
        ui.label(
            RichText::new(format!(
                "{} {} · {}{encoding}",
                tr(lang, "mailbox.part"),
                i + 1,
                part.content_type
            ))
            .weak(),
        );
        match &part.content {
            PartContent::Text(t) => {
                ui.add(egui::Label::new(t).wrap());
            }
            PartContent::Binary { name, size } => {
                ui.label(trf(
                    lang,
                    "mailbox.binary",
                    &[
                        ("name", name.as_deref().unwrap_or("-")),
                        ("size", &size.to_string()),
                    ],
                ));
            }
            PartContent::Container => {}
        }
    }
}

/// Lists every account's maildrop, reading each message's header for the list.
fn list_all(store: &Maildir, accounts: &[String]) -> Result<Vec<AccountBox>, Words> {
    accounts
        .iter()
        .map(|address| {
            let trouble = |e: &dyn std::fmt::Display| {
                Words::new("mailbox.error").arg("error", format!("{address}: {e}"))
            };
            let list = store.list(address).map_err(|e| trouble(&e))?;
            let names = store
                .folders(address)
                .map_err(|e| trouble(&format!("{e:?}")))?;
            let mut folders = Vec::new();
            for name in names.into_iter().filter(|n| n != "INBOX") {
                let list = store
                    .list_folder(address, &name)
                    .map_err(|e| trouble(&format!("{e:?}")))?;
                folders.push(FolderBox {
                    name,
                    messages: rows_of(store, list),
                });
            }
            Ok(AccountBox {
                address: address.clone(),
                messages: rows_of(store, list),
                folders,
            })
        })
        .collect()
}

/// A folder's messages for the list, each header read for its sender, subject and date.
fn rows_of(store: &Maildir, list: Vec<StoredMessage>) -> Vec<MessageRow> {
    list.into_iter()
        .enumerate()
        .map(|(i, stored)| {
            let parsed = store.read(&stored).ok().and_then(|b| parse_message(&b));
            let parsed = parsed.unwrap_or_default();
            MessageRow {
                number: i + 1,
                from: parsed
                    .from
                    .first()
                    .map(|m| match &m.name {
                        Some(n) => format!("{n} <{}>", m.address),
                        None => m.address.clone(),
                    })
                    .unwrap_or_default(),
                subject: parsed.subject.unwrap_or_default(),
                date: parsed
                    .date
                    .map(|t| mail_parser::DateTime::from_timestamp(t).to_rfc822())
                    .unwrap_or_default(),
                flags: flag_names(&stored),
                stored,
            }
        })
        .collect()
}
