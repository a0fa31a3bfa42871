//! Background jobs: the file, Maildir, dialog and server work panels start. Each runs on a
//! thread of its own and wakes the window when it is done; the window polls its jobs every
//! frame and never waits for one.

use poll_promise::Promise;

/// A job under way, and then its result.
pub type Job<T> = Promise<T>;

/// Starts `work` on a thread named `name`; the window repaints when it is done.
pub fn spawn<T: Send + 'static>(
    name: &'static str,
    ctx: &egui::Context,
    work: impl FnOnce() -> T + Send + 'static,
) -> Job<T> {
    let ctx = ctx.clone();
    Promise::spawn_thread(name, move || {
        let r = work();
        ctx.request_repaint();
        r
    })
}

/// The result of a job once it is done, leaving the slot empty; `None` while it runs (or when
/// there is none).
pub fn take_ready<T: Send + 'static>(slot: &mut Option<Job<T>>) -> Option<T> {
    if slot.as_ref().is_some_and(|p| p.ready().is_some()) {
        slot.take().map(|p| p.block_and_take())
    } else {
        None
    }
}
