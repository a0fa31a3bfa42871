//! One connection of the practice server: the socket (plain or TLS), the idle timeout, the
//! session log, and a protocol session that decides what to say.

use crate::words::Words;
use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::lab::{Lab, LabSession, Peek};
use super::maildir::{FolderError, LockGuard, Maildir};
use super::smtp::SmtpServerSession;
use super::{
    FolderChange, Output, ServerEventKind, ServerSession, Service, Shared, Side, StoreRequest,
    StoreResult,
};
use crate::proto::lab::Ending;

enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ServerConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock,
        }
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

struct Conn {
    id: u64,
    service: Service,
    peer: Arc<str>,
    /// The account logged in on this connection, once one is.
    account: Option<String>,
    shared: Arc<Shared>,
    delay: Option<Duration>,
    /// The POP3 maildrop this connection holds; released at QUIT or when the connection ends.
    lock: Option<LockGuard>,
    /// The lab recording this session, when one runs.
    lab: Option<(Arc<Lab>, LabSession)>,
}

impl Conn {
    fn emit(&self, kind: ServerEventKind) {
        self.shared.emit(self.id, self.service, &self.peer, kind);
    }

    fn line(&self, side: Side, text: String) {
        self.emit(ServerEventKind::Line { side, text });
    }

    fn log(&self, note: crate::words::Words) {
        self.emit(ServerEventKind::Said {
            side: Side::Note,
            words: note,
        });
    }

    /// Ends the lab's record of the session (the first ending said is kept).
    fn lab_end(&mut self, how: Ending) {
        if let Some((_, session)) = self.lab.as_mut() {
            session.end(how);
        }
    }

    /// Records a reply about to be written, and whether the client had already sent more.
    fn lab_reply(&mut self, stream: &Stream, bytes: &[u8]) {
        if let Some((_, session)) = self.lab.as_mut() {
            session.server(bytes, waiting(stream.tcp()));
        }
    }

    fn log_reply(&self, bytes: &[u8]) {
        for line in String::from_utf8_lossy(bytes).lines() {
            self.line(Side::Server, line.to_owned());
        }
    }
}

/// What the client has done before the reply about to go out: sent more (without waiting for
/// it), closed its side (without reading it), or nothing yet.
fn waiting(tcp: &TcpStream) -> Peek {
    if tcp.set_nonblocking(true).is_err() {
        return Peek::Nothing;
    }
    let mut byte = [0u8; 1];
    let peeked = tcp.peek(&mut byte);
    let _ = tcp.set_nonblocking(false);
    match peeked {
        Ok(0) => Peek::Closed,
        Ok(_) => Peek::Sent,
        Err(_) => Peek::Nothing,
    }
}

/// How long a client has to finish a TLS handshake (implicit TLS, or after STARTTLS/STLS):
/// machines do handshakes, in milliseconds; a slot is not held for the idle timeout.
pub(super) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Turns away a connection over the limit, on the accepting thread: no session thread and
/// no TLS handshake are spent on it. A plain connection reads 421 (or -ERR) first; an
/// implicit-TLS one is closed at once, since nothing readable can precede its handshake.
pub(super) fn refuse(mut tcp: TcpStream, service: Service, id: u64, shared: &Shared) {
    let peer: Arc<str> = tcp
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "?".into())
        .into();
    let emit = |kind| shared.emit(id, service, &peer, kind);
    let line = |side, text: &str| {
        emit(ServerEventKind::Line {
            side,
            text: text.to_owned(),
        })
    };
    emit(ServerEventKind::Connected);
    let msg: &[u8] = match service {
        Service::Smtp => b"421 4.7.0 Error: too many connections, try again later\r\n",
        Service::Pop3 => b"-ERR [SYS/TEMP] Too many connections, try again later\r\n",
        Service::Imap => b"* BYE Too many connections, try again later\r\n",
        Service::Smtps | Service::Pop3s | Service::Imaps => {
            emit(ServerEventKind::Said {
                side: Side::Note,
                words: Words::new("srvlog.refused_tls"),
            });
            emit(ServerEventKind::Disconnected);
            return;
        }
    };
    // The reply fits in the socket's buffer; a client that reads nothing cannot hold us.
    let _ = tcp.set_write_timeout(Some(Duration::from_millis(200)));
    let _ = tcp.write_all(msg);
    line(Side::Server, String::from_utf8_lossy(msg).trim_end());
    emit(ServerEventKind::Disconnected);
}

/// Serves one accepted connection to its end; the caller has counted it in `active`.
pub(super) fn handle(tcp: TcpStream, service: Service, id: u64, shared: Arc<Shared>) {
    let peer = tcp
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "?".into());
    let mut conn = Conn {
        id,
        service,
        peer: Arc::from(peer.as_str()),
        account: None,
        shared: Arc::clone(&shared),
        delay: shared.ctx.faults.delay_ms().map(Duration::from_millis),
        lock: None,
        lab: None,
    };
    if let Some(lab) = shared.lab()
        && let Some(session) = lab.open(service, &peer)
    {
        let pause = lab.rubric().delay_ms;
        if pause > 0 {
            conn.delay = Some(Duration::from_millis(pause));
        }
        conn.lab = Some((lab, session));
    }
    let ctx = Arc::clone(&shared.ctx);
    let _ = tcp.set_read_timeout(Some(ctx.limits.idle_timeout));
    let _ = tcp.set_write_timeout(Some(Duration::from_secs(30)));
    let _ = tcp.set_nodelay(true);

    let spoke = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let registered = tcp.try_clone().ok();
    if let Some(clone) = registered {
        shared
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(super::Live {
                id,
                tcp: clone,
                service,
                peer: Arc::clone(&conn.peer),
                spoke: Arc::clone(&spoke),
                since: Instant::now(),
            });
    }
    conn.emit(ServerEventKind::Connected);

    let implicit_tls = service.implicit_tls();
    let mut stream = Stream::Plain(tcp);
    if implicit_tls {
        stream = match upgrade(stream, &shared) {
            Ok(s) => {
                spoke.store(true, Ordering::SeqCst);
                conn.log(crate::words::Words::new("srvlog.tls_implicit"));
                s
            }
            Err(e) => {
                conn.log(crate::words::Words::new("srvlog.tls_failed").arg_words("error", e));
                return finish(&mut conn);
            }
        };
    }
    let mut proto: Box<dyn ServerSession> = match service {
        Service::Smtp | Service::Smtps => Box::new(
            SmtpServerSession::new(Arc::clone(&ctx), peer, implicit_tls).with_faults(
                conn.lab
                    .as_ref()
                    .map(|(_, s)| s.faults.clone())
                    .unwrap_or_default(),
            ),
        ),
        Service::Pop3 | Service::Pop3s => Box::new(super::pop3::Pop3ServerSession::new(
            Arc::clone(&ctx),
            implicit_tls,
        )),
        Service::Imap | Service::Imaps => Box::new(
            super::imap::ImapServerSession::new(Arc::clone(&ctx), implicit_tls).with_peer(&peer),
        ),
    };
    let greeting = proto.greeting();
    if let Some(s) = apply(&mut conn, stream, proto.as_mut(), greeting) {
        stream = s;
    } else {
        return finish(&mut conn);
    }

    // The idle timeout runs from the last reply, not the last byte: a client that drips a
    // byte now and then still has to finish its command (or message) in time.
    let idle = ctx.limits.idle_timeout;
    let mut since_reply = Instant::now();
    let mut buf = vec![0u8; 16 * 1024];
    let last = loop {
        let left = idle.saturating_sub(since_reply.elapsed());
        let tick = proto.ticks().filter(|t| *t < left);
        let result = if left.is_zero() {
            Err(io::Error::from(io::ErrorKind::TimedOut))
        } else {
            let _ = stream.tcp().set_read_timeout(Some(tick.unwrap_or(left)));
            stream.read(&mut buf)
        };
        match result {
            Ok(n) if n > 0 => {
                spoke.store(true, Ordering::SeqCst);
                if let Some((lab, session)) = conn.lab.as_mut() {
                    session.client(&buf[..n]);
                    if session.student.is_none()
                        && let Some(who) = LabSession::named_in(&buf[..n])
                    {
                        lab.identify(session, &who);
                    }
                }
                let outputs = proto.ingest(&buf[..n]);
                if outputs.iter().any(|o| {
                    matches!(
                        o,
                        Output::Reply(_) | Output::QuietReply(_) | Output::Store(_)
                    )
                }) {
                    since_reply = Instant::now();
                }
                match apply(&mut conn, stream, proto.as_mut(), outputs) {
                    Some(s) => stream = s,
                    None => {
                        conn.lab_end(Ending::ServerClosed);
                        break None;
                    }
                }
                continue;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // The session's own timer (IDLE's watch), before the idle timeout.
            Err(e)
                if tick.is_some()
                    && !shared.stopping.load(Ordering::SeqCst)
                    && matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
            {
                let outputs = proto.tick();
                match apply(&mut conn, stream, proto.as_mut(), outputs) {
                    Some(s) => stream = s,
                    None => break None,
                }
                continue;
            }
            _ => {}
        }
        if shared.stopping.load(Ordering::SeqCst) {
            let bye = proto.shutdown();
            let _ = stream.write_all(&bye);
            conn.log_reply(&bye);
        } else {
            match result {
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    let bye = proto.timeout();
                    let _ = stream.write_all(&bye);
                    conn.log_reply(&bye);
                    conn.log(crate::words::Words::new("srvlog.idle"));
                    conn.lab_end(Ending::TimedOut);
                }
                Err(e) => {
                    conn.log(crate::words::Words::new("srvlog.conn_error").arg("error", e));
                    conn.lab_end(Ending::Broken);
                }
                Ok(_) => {
                    conn.log(crate::words::Words::new("srvlog.client_closed"));
                    conn.lab_end(Ending::ClientClosed);
                }
            }
        }
        break Some(stream);
    };
    if let Some(Stream::Tls(s)) = last {
        close_notify(*s);
    }
    finish(&mut conn);
}

fn finish(conn: &mut Conn) {
    if let Some((lab, mut session)) = conn.lab.take() {
        session.end(Ending::Broken);
        if let Some(result) = lab.close(session, conn.id) {
            conn.emit(ServerEventKind::Graded(Arc::new(result)));
        }
    }
    conn.emit(ServerEventKind::Disconnected);
    let shared = &conn.shared;
    shared
        .live
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .retain(|l| l.id != conn.id);
    shared.active.fetch_sub(1, Ordering::SeqCst);
}

/// Tells a TLS client the session ends (TLS close_notify) before the socket closes.
fn close_notify(mut s: rustls::StreamOwned<rustls::ServerConnection, TcpStream>) {
    s.conn.send_close_notify();
    let _ = s.conn.complete_io(&mut s.sock);
}

fn upgrade(stream: Stream, shared: &Shared) -> Result<Stream, Words> {
    let Stream::Plain(mut tcp) = stream else {
        return Err(Words::new("srvlog.tls_why.active"));
    };
    let config = shared
        .tls
        .as_ref()
        .ok_or_else(|| Words::new("srvlog.tls_why.no_certificate"))?;
    let mut tls = rustls::ServerConnection::new(Arc::clone(config))
        .map_err(|e| Words::new("srvlog.tls_why.other").arg("error", e))?;
    // The whole handshake happens here, so that a failed one is reported before any reply, and
    // within a deadline of its own: a client that sends nothing (or a byte now and then)
    // cannot hold a connection slot for the whole idle timeout.
    let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
    while tls.is_handshaking() {
        let Some(left) = deadline
            .checked_duration_since(Instant::now())
            .filter(|l| !l.is_zero())
        else {
            return Err(
                Words::new("srvlog.tls_why.deadline").arg("seconds", HANDSHAKE_TIMEOUT.as_secs())
            );
        };
        let _ = tcp.set_read_timeout(Some(left));
        match tls.complete_io(&mut tcp) {
            Ok((0, 0)) => {
                return Err(Words::new("srvlog.tls_why.client_closed"));
            }
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(Words::new("srvlog.tls_why.deadline")
                    .arg("seconds", HANDSHAKE_TIMEOUT.as_secs()));
            }
            Err(e) => return Err(Words::new("srvlog.tls_why.other").arg("error", e)),
        }
    }
    Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(tls, tcp))))
}

/// Does the store work a session asked for. Every step that must be durable is, before the
/// result goes back (and so before the session's reply is sent).
fn perform(store: &Maildir, lock: &mut Option<LockGuard>, req: StoreRequest) -> StoreResult {
    match req {
        StoreRequest::Deliver {
            id,
            recipients,
            message,
        } => StoreResult::Delivered(
            store
                .deliver(&id, &recipients, &message)
                .map_err(|e| e.to_string()),
        ),
        StoreRequest::Open { address } => {
            let opened = match store.try_lock(&address) {
                Ok(Some(guard)) => match store.list(&address) {
                    Ok(list) => {
                        *lock = Some(guard);
                        Ok(Some(list))
                    }
                    Err(e) => Err(e.to_string()),
                },
                Ok(None) => Ok(None),
                Err(e) => Err(e.to_string()),
            };
            StoreResult::Opened(opened)
        }
        StoreRequest::Read(msg) => StoreResult::Read(store.read(&msg).map_err(|e| e.to_string())),
        StoreRequest::Commit { delete, seen } => {
            let failed = delete.iter().filter(|m| store.delete(m).is_err()).count();
            // A flag is not worth failing QUIT for: a message not marked stays unseen.
            for m in seen.iter().filter(|m| !delete.contains(m)) {
                let _ = store.mark_seen(m);
            }
            *lock = None;
            StoreResult::Committed {
                removed: delete.len() - failed,
                failed,
            }
        }
        StoreRequest::ImapOpen {
            address,
            folder,
            claim_recent,
        } => StoreResult::ImapOpened(store.imap_open_folder(&address, &folder, claim_recent)),
        StoreRequest::ImapFolders { address, change } => {
            let changed = match change {
                Some(FolderChange::Create(name)) => store.create_folder(&address, &name),
                Some(FolderChange::Delete(name)) => store.delete_folder(&address, &name),
                None => Ok(()),
            };
            StoreResult::Folders(changed.and_then(|()| store.folders(&address)))
        }
        StoreRequest::ImapCopy {
            address,
            folder,
            messages,
        } => {
            let read: Result<Vec<(Vec<u8>, String)>, FolderError> = messages
                .into_iter()
                .map(|(m, letters)| Ok((store.read(&m)?, letters)))
                .collect();
            StoreResult::Put(read.and_then(|list| store.put(&address, &folder, &list)))
        }
        StoreRequest::ImapAppend {
            address,
            folder,
            message,
            letters,
        } => StoreResult::Put(store.put(&address, &folder, &[(message, letters)])),
        StoreRequest::ReadMany(list) => StoreResult::ReadMany(
            list.iter()
                .map(|m| store.read(m))
                .collect::<Result<_, _>>()
                .map_err(|e| e.to_string()),
        ),
        StoreRequest::SetFlags(list) => StoreResult::FlagsSet(
            list.iter()
                .map(|(m, letters)| store.set_flags(m, letters).ok())
                .collect(),
        ),
    }
}

/// Carries out a session's outputs; `None` when the connection is over.
fn apply(
    conn: &mut Conn,
    mut stream: Stream,
    proto: &mut dyn ServerSession,
    outputs: Vec<Output>,
) -> Option<Stream> {
    let mut queue = VecDeque::from(outputs);
    while let Some(out) = queue.pop_front() {
        match out {
            Output::Store(req) => {
                let delivery = match &req {
                    StoreRequest::Deliver { id, recipients, .. } => {
                        Some((id.clone(), recipients.clone()))
                    }
                    _ => None,
                };
                let result = perform(&conn.shared.store, &mut conn.lock, req);
                match (delivery, &result) {
                    (Some((id, recipients)), StoreResult::Delivered(Ok(()))) => {
                        conn.emit(ServerEventKind::Delivered { id, recipients });
                    }
                    (None, StoreResult::Read(Ok(_))) => {
                        if let Some(account) = conn.account.clone() {
                            conn.emit(ServerEventKind::Retrieved { account, count: 1 });
                        }
                    }
                    _ => {}
                }
                // What the session says next comes before anything still queued.
                for o in proto.store_done(result).into_iter().rev() {
                    queue.push_front(o);
                }
            }
            Output::Reply(bytes) | Output::QuietReply(bytes) if bytes.is_empty() => {}
            Output::Reply(bytes) => {
                if let Some(d) = conn.delay {
                    std::thread::sleep(d);
                }
                conn.lab_reply(&stream, &bytes);
                conn.log_reply(&bytes);
                if let Err(e) = stream.write_all(&bytes) {
                    conn.log(crate::words::Words::new("srvlog.write_failed").arg("error", e));
                    return None;
                }
            }
            Output::QuietReply(bytes) => {
                if let Some(d) = conn.delay {
                    std::thread::sleep(d);
                }
                conn.lab_reply(&stream, &bytes);
                if let Err(e) = stream.write_all(&bytes) {
                    conn.log(crate::words::Words::new("srvlog.write_failed").arg("error", e));
                    return None;
                }
            }
            Output::Log(side, line) => conn.line(side, line),
            Output::Said(side, words) => conn.emit(ServerEventKind::Said { side, words }),
            Output::Retrieved(n) => {
                if let Some(account) = conn.account.clone() {
                    conn.emit(ServerEventKind::Retrieved { account, count: n });
                }
            }
            Output::LoggedIn(account) => {
                if let Some((lab, session)) = conn.lab.as_mut() {
                    lab.identify(session, &account);
                }
                conn.account = Some(account.clone());
                conn.emit(ServerEventKind::LoggedIn { account });
            }
            Output::StartTls => {
                let _ = stream.flush();
                match upgrade(stream, &conn.shared) {
                    Ok(s) => {
                        if let Some((_, session)) = conn.lab.as_mut() {
                            session.tls_up();
                        }
                        conn.log(crate::words::Words::new("srvlog.tls_starttls"));
                        stream = s;
                        proto.tls_established();
                    }
                    Err(e) => {
                        conn.log(
                            crate::words::Words::new("srvlog.tls_failed").arg_words("error", e),
                        );
                        return None;
                    }
                }
            }
            Output::Close => {
                let _ = stream.flush();
                if let Stream::Tls(s) = stream {
                    close_notify(*s);
                }
                return None;
            }
        }
    }
    let _ = stream.flush();
    Some(stream)
}
