//! The server's side of the lesson, for the teacher: the practice server's overview, its
//! mailboxes, its log of every session and its staged faults, over the whole window.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use super::Action;
use super::class_view::ClassPanel;
use super::faults_panel::FaultsPanel;
use super::i18n::tr;
use super::keylog_panel::KeyLogPanel;
use super::mailbox::MailboxView;
use super::practice::PracticeServer;
use super::server_log::ServerLog;
use crate::proto::Lang;
use crate::server::{EventSink, ServerEvent};

/// The server side's tabs.
pub use crate::script::ServerTab;

pub struct ServerSide {
    pub tab: ServerTab,
    pub log: ServerLog,
    pub mailbox: MailboxView,
    pub faults: FaultsPanel,
    pub class: ClassPanel,
    pub keylog: KeyLogPanel,
    tx: Sender<ServerEvent>,
    rx: Receiver<ServerEvent>,
}

impl Default for ServerSide {
    fn default() -> Self {
        let (tx, rx) = channel();
        Self {
            tab: ServerTab::Overview,
            log: ServerLog::default(),
            mailbox: MailboxView::default(),
            faults: FaultsPanel::default(),
            class: ClassPanel::default(),
            keylog: KeyLogPanel::default(),
            tx,
            rx,
        }
    }
}

impl ServerSide {
    /// Where a practice server started by this window sends its events: to this view, with
    /// a repaint so they show at once.
    pub fn sink(&self, ctx: &egui::Context) -> EventSink {
        let tx = self.tx.clone();
        let ctx = ctx.clone();
        Arc::new(move |e| {
            let _ = tx.send(e);
            ctx.request_repaint();
        })
    }

    /// Folds the events that arrived since the last frame, keeps the mailbox current and
    /// collects the class's finished work (new accounts: the server is to take them).
    pub fn poll(
        &mut self,
        server: &PracticeServer,
        lang: Lang,
        ctx: &egui::Context,
    ) -> Option<Action> {
        while let Ok(e) = self.rx.try_recv() {
            self.log.apply(e);
        }
        // The mailbox is read only while it is on screen; a change shows when it is opened.
        if self.tab == ServerTab::Mailbox
            && let Some(s) = server.running()
        {
            let accounts = s.accounts().iter().map(|a| a.address.clone()).collect();
            self.mailbox
                .follow(s.store(), accounts, self.log.store_changes, ctx);
        }
        self.class.poll(lang)
    }

    /// Draws the tab on screen; the class tab may ask for the server to start again.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        lang: Lang,
        server: &PracticeServer,
        data_dir: &std::path::Path,
    ) -> Option<Action> {
        ui.horizontal_wrapped(|ui| {
            ui.selectable_value(
                &mut self.tab,
                ServerTab::Overview,
                tr(lang, "side.overview"),
            );
            ui.selectable_value(&mut self.tab, ServerTab::Mailbox, tr(lang, "side.mailbox"));
            ui.selectable_value(&mut self.tab, ServerTab::Log, tr(lang, "side.log"));
            ui.selectable_value(&mut self.tab, ServerTab::Faults, tr(lang, "side.faults"));
            ui.selectable_value(&mut self.tab, ServerTab::Class, tr(lang, "side.class"));
        });
        ui.separator();
        let Some(running) = server.running() else {
            server.ui(ui, lang);
            return None;
        };
        self.keylog.apply(running);
        match self.tab {
            ServerTab::Overview => {
                let keylog = &mut self.keylog;
                egui::ScrollArea::vertical()
                    .id_salt("side-overview")
                    .show(ui, |ui| {
                        server.ui(ui, lang);
                        ui.separator();
                        keylog.ui(ui, lang, running);
                    });
            }
            ServerTab::Mailbox => self.mailbox.ui(ui, lang, running.store()),
            ServerTab::Log => self.log.ui(ui, lang),
            ServerTab::Faults => {
                egui::ScrollArea::vertical()
                    .id_salt("side-faults")
                    .show(ui, |ui| self.faults.ui(ui, lang, running));
            }
            ServerTab::Class => {
                let taken = running
                    .accounts()
                    .iter()
                    .map(|a| a.address.clone())
                    .collect();
                let log = &self.log;
                let class = &mut self.class;
                return egui::ScrollArea::vertical()
                    .id_salt("side-class")
                    .show(ui, |ui| class.ui(ui, lang, data_dir, taken, log))
                    .inner;
            }
        }
        None
    }
}
