//! This crate's executor: one ready list for the extern calls a VM has
//! pending (`crate::externs`) and for the futures a host spawns with
//! [`spawn_local`].
//!
//! Why our own, and not only `wasm_bindgen_futures::spawn_local`: a wake
//! there always queues a microtask, so a read woken by a WebSocket message
//! runs one hop (and one more entry into wasm) after the message's event.
//! Here a wake that comes from the browser's own event (a message, a timer:
//! no call of ours into JS below it, see `crate::host::wake`) polls the
//! woken tasks at once, inside that event, as Go's js/wasm scheduler resumes
//! a goroutine inside the event handler. A wake during a drain (from a
//! task's own poll) joins that drain's loop, after the poll returns; any
//! other wake (from inside one of our calls into JS) goes through one
//! microtask. Either way no caller's frames are ever re-entered.
//!
//! Futures that never touch this crate's tables work the same on either
//! executor; they just never get the direct path.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Wake, Waker};

/// What the ready list holds: an extern call's token, or a spawned task's
/// slot and generation (a wake for a finished task's old slot is ignored).
#[derive(Clone, Copy)]
pub(crate) enum Job {
    Extern(crate::externs::Token),
    Spawned(u32, u32),
}

type LocalFuture = Pin<Box<dyn Future<Output = ()>>>;

enum Run {
    /// Not being polled: the future waits here.
    Idle(LocalFuture),
    /// Being polled further up the stack; `true` once woken meanwhile (it
    /// goes back on the ready list when that poll returns: no wake is lost,
    /// and a task that wakes itself yields to the others).
    Polling(bool),
}

struct Slot {
    gen: u32,
    run: Option<Run>,
    /// Made once per spawn, cloned (no allocation) for each poll.
    waker: Option<Waker>,
}

#[derive(Default)]
struct Spawned {
    slots: Vec<Slot>,
    free: Vec<u32>,
}

thread_local! {
    static READY: RefCell<VecDeque<Job>> = const { RefCell::new(VecDeque::new()) };
    static FLUSH_QUEUED: Cell<bool> = const { Cell::new(false) };
    /// A drain is running (at the top of a stack: a browser event's
    /// [`wake_direct`] or the microtask's [`run_ready`]): jobs woken
    /// meanwhile join its loop instead of queueing another microtask.
    static DRAINING: Cell<bool> = const { Cell::new(false) };
    static SPAWNED: RefCell<Spawned> = RefCell::new(Spawned::default());
}

/// Puts a job on the ready list; it runs in the drain in progress, or else
/// on the next flush (a microtask).
pub(crate) fn schedule(job: Job) {
    READY.with(|r| r.borrow_mut().push_back(job));
    if !DRAINING.with(Cell::get) && !FLUSH_QUEUED.with(|f| f.replace(true)) {
        queue_flush();
    }
}

/// Runs `wake` (a table's wake from the browser's own event: no Rust frame
/// and no JS call of ours below it, see `crate::host::wake`), then runs the
/// jobs it woke, here: the read a message lets finish runs inside that
/// message's event, with no microtask hop between them, and so does what
/// that read wakes in turn (the task awaiting an extern call).
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
pub(crate) fn wake_direct(wake: impl FnOnce()) {
    if DRAINING.with(|d| d.replace(true)) {
        return wake(); // inside a drain already: it runs what this wakes
    }
    wake();
    drain();
}

/// Runs every ready job, oldest first, including those woken meanwhile,
/// then ends the drain (`DRAINING` is set by the caller).
fn drain() {
    while let Some(job) = READY.with(|r| r.borrow_mut().pop_front()) {
        match job {
            Job::Extern(token) => crate::externs::task::poll(token),
            Job::Spawned(i, gen) => poll_spawned(i, gen),
        }
    }
    DRAINING.with(|d| d.set(false));
}

#[cfg(target_arch = "wasm32")]
fn queue_flush() {
    use wasm_bindgen::{closure::Closure, JsCast};
    thread_local! {
        // One closure for the instance's life: a flush allocates nothing.
        static FLUSH: Closure<dyn Fn()> = Closure::new(run_ready);
    }
    // A microtask runs outside the caller's stack, so a wake from inside a
    // poll never re-enters it.
    if FLUSH.with(|f| crate::host::bindings::queue_microtask(f.as_ref().unchecked_ref())).is_err() {
        wasm_bindgen_futures::spawn_local(async { run_ready() }); // a realm without queueMicrotask
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn queue_flush() {
    // No event loop natively: the host calls `run_ready` (extern calls
    // finish on their first poll there; spawned tasks wait for it).
}

/// Runs every job whose waker fired. The browser build does this by itself
/// from a microtask; natively a host loop calls it, and a host that wants
/// woken work to progress before its next await may call it too.
pub fn run_ready() {
    if DRAINING.with(|d| d.replace(true)) {
        return; // called from inside a drain: that drain runs them
    }
    drain();
    FLUSH_QUEUED.with(|f| f.set(false));
}

struct SpawnWaker(u32, u32);

impl Wake for SpawnWaker {
    fn wake(self: Arc<Self>) {
        schedule(Job::Spawned(self.0, self.1));
    }
    fn wake_by_ref(self: &Arc<Self>) {
        schedule(Job::Spawned(self.0, self.1));
    }
}

/// Runs `fut` to completion on this crate's executor. It is first polled
/// from the ready list (a microtask later, as Go's `go` statement starts a
/// goroutine later, so it never runs inside the caller). Use it in place of `wasm_bindgen_futures::spawn_local` for
/// loops over Conns and bodies: a read woken by a message then runs inside
/// that message's event. The host's own tasks are not bounded here (a
/// guest cannot spawn); each costs one slot, reused once it finishes.
/// Outside a browser there is no event loop: tasks run when the host calls
/// [`run_ready`].
///
/// A panic in `fut` is a panic, as anywhere in wasm: a trap.
pub fn spawn_local<F: Future<Output = ()> + 'static>(fut: F) {
    let (i, gen) = SPAWNED.with(|s| {
        let mut s = s.borrow_mut();
        let i = match s.free.pop() {
            Some(i) => i,
            None => {
                s.slots.push(Slot { gen: 0, run: None, waker: None });
                (s.slots.len() - 1) as u32
            }
        };
        let slot = &mut s.slots[i as usize];
        slot.run = Some(Run::Idle(Box::pin(fut)));
        slot.waker = Some(Waker::from(Arc::new(SpawnWaker(i, slot.gen))));
        (i, slot.gen)
    });
    schedule(Job::Spawned(i, gen));
}

fn poll_spawned(i: u32, gen: u32) {
    let taken = SPAWNED.with(|s| {
        let mut s = s.borrow_mut();
        let slot = s.slots.get_mut(i as usize).filter(|slot| slot.gen == gen)?;
        let waker = slot.waker.clone()?;
        match slot.run.take() {
            Some(Run::Idle(fut)) => {
                slot.run = Some(Run::Polling(false));
                Some((fut, waker))
            }
            Some(Run::Polling(_)) => {
                // Woken while its poll is further up the stack: that
                // poll puts it back on the ready list when it returns.
                slot.run = Some(Run::Polling(true));
                None
            }
            None => None, // finished
        }
    });
    let Some((mut fut, waker)) = taken else { return };
    if fut.as_mut().poll(&mut Context::from_waker(&waker)).is_ready() {
        SPAWNED.with(|s| {
            let mut s = s.borrow_mut();
            let slot = &mut s.slots[i as usize];
            slot.run = None;
            slot.waker = None;
            slot.gen = slot.gen.wrapping_add(1);
            s.free.push(i);
        });
        // Dropped once the table is released: dropping may call into JS.
        drop(fut);
        return;
    }
    let woken = SPAWNED.with(|s| {
        let mut s = s.borrow_mut();
        let slot = &mut s.slots[i as usize];
        let woken = matches!(slot.run, Some(Run::Polling(true)));
        slot.run = Some(Run::Idle(fut));
        woken
    });
    if woken {
        schedule(Job::Spawned(i, gen));
    }
}

/// Spawned tasks still running (for leak checks).
#[cfg_attr(not(feature = "js-api"), allow(dead_code))]
pub(crate) fn spawned_count() -> usize {
    SPAWNED.with(|s| {
        let s = s.borrow();
        s.slots.len() - s.free.len()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    /// Pending once after waking itself: a yield.
    fn yield_now() -> impl Future<Output = ()> {
        let mut yielded = false;
        std::future::poll_fn(move |cx| {
            if yielded {
                return std::task::Poll::Ready(());
            }
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        })
    }

    #[test]
    fn spawned_tasks_run_from_the_ready_list_and_a_self_wake_yields() {
        let log = Rc::new(RefCell::new(Vec::new()));
        for name in ["a", "b"] {
            let log = log.clone();
            spawn_local(async move {
                log.borrow_mut().push(format!("{name}1"));
                yield_now().await;
                log.borrow_mut().push(format!("{name}2"));
            });
        }
        // Not polled inside spawn_local: the caller's frames never run it.
        assert!(log.borrow().is_empty());
        assert_eq!(spawned_count(), 2);
        run_ready();
        // b ran before a's second half: a's self-wake went to the back.
        assert_eq!(*log.borrow(), ["a1", "b1", "a2", "b2"]);
        assert_eq!(spawned_count(), 0);
        // Slots are reused; a stale wake for a finished task's slot is ignored.
        schedule(Job::Spawned(0, 0));
        let ran = Rc::new(Cell::new(0));
        let r = ran.clone();
        spawn_local(async move { r.set(r.get() + 1) });
        run_ready();
        assert_eq!((ran.get(), spawned_count()), (1, 0));
        assert_eq!(SPAWNED.with(|s| s.borrow().slots.len()), 2);
    }

    #[test]
    fn a_wake_while_polled_is_kept_for_after_the_poll() {
        let polls = Rc::new(Cell::new(0));
        let p = polls.clone();
        spawn_local(std::future::poll_fn(move |cx| {
            p.set(p.get() + 1);
            if p.get() == 1 {
                // Woken from inside this poll, and a drain nested in it (a
                // drain never nests, this is the defence should one): the
                // poll in progress is not re-entered, and the wake is kept.
                cx.waker().wake_by_ref();
                run_ready(); // inside the drain: returns at once
                poll_spawned(0, 0); // this very task, being polled
                assert_eq!(READY.with(|r| r.borrow().len()), 1);
                return std::task::Poll::Pending;
            }
            std::task::Poll::Ready(())
        }));
        run_ready();
        assert_eq!((polls.get(), spawned_count()), (2, 0));
    }
}
