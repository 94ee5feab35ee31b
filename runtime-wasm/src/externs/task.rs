//! Pending extern calls: a tiny single-threaded executor keyed by token.
//!
//! A call's future is polled once when the extern is invoked; if it is not
//! done it is kept here under a token, and its waker puts it on the
//! executor's ready list (`crate::task`: a microtask later in the browser,
//! or inside the browser event that woke it). The result waits here until the re-invoked
//! extern takes it. Cancelling drops the future, which cancels the JS
//! operation underneath (see `crate::host::pending`).

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake as WakeFn, Waker};

use super::{Extern, ExternError, ExternFuture, Resume};

/// Identifies one pending call. Never 0.
pub type Token = u32;

/// Calls pending or finished-but-uncollected at once, at most: a guest that
/// starts calls and never collects them gets an error result instead of
/// growing the table without bound.
pub const MAX_PENDING: usize = 1 << 16;

/// Concurrent waits on one token, at most. A wait past this ends at once
/// (a spurious wake: the replay finds the call still pending and waits
/// again), so a host that waits on one token in a loop cannot grow memory.
pub const MAX_WAITERS: usize = 16;

enum State {
    /// The future; `None` while it is being polled.
    Running(Option<ExternFuture>),
    Done(Resume),
}

/// What runs once a call is done or cancelled: a JS host's waiting Promise
/// resolved directly (`externWait`), or `callExtern`'s replay.
pub type OnDone = Box<dyn FnOnce()>;

struct Task {
    owner: &'static Extern,
    state: State,
    waiters: Vec<Waker>,
    /// Run, in order, when the call is done or cancelled (at most
    /// MAX_WAITERS, as `waiters`).
    on_done: Vec<OnDone>,
    /// Wakes this task; made once, cloned (no allocation) for each poll.
    waker: Waker,
    /// Report the token to [`next_done`] when the call is done (a host
    /// loop that waits for any of its calls, as `crate::vo`'s runner does).
    notify: bool,
}

/// Tokens of notifying calls that are done, oldest first, and the futures
/// waiting for them (one per task: a runner re-polls with the same waker).
#[derive(Default)]
struct Done {
    queue: VecDeque<Token>,
    wakers: Vec<Waker>,
}

thread_local! {
    static TASKS: RefCell<HashMap<Token, Task>> = RefCell::new(HashMap::new());
    static NEXT: Cell<Token> = const { Cell::new(1) };
    static DONE: RefCell<Done> = RefCell::new(Done::default());
}

/// Puts the call back on the executor's ready list (`crate::task`: a
/// microtask later, or inside the browser event that woke it).
struct TaskWaker(Token);

impl WakeFn for TaskWaker {
    fn wake(self: Arc<Self>) {
        crate::task::schedule(crate::task::Job::Extern(self.0));
    }
    fn wake_by_ref(self: &Arc<Self>) {
        crate::task::schedule(crate::task::Job::Extern(self.0));
    }
}

fn new_token() -> Token {
    TASKS.with(|tasks| {
        let tasks = tasks.borrow();
        loop {
            let t = NEXT.with(|n| {
                let t = n.get();
                n.set(t.checked_add(1).unwrap_or(1));
                t
            });
            if !tasks.contains_key(&t) {
                return t;
            }
        }
    })
}

fn insert(owner: &'static Extern, state: State) -> Token {
    let token = new_token();
    TASKS.with(|t| {
        t.borrow_mut().insert(
            token,
            Task {
                owner,
                state,
                waiters: Vec::new(),
                on_done: Vec::new(),
                waker: Waker::from(Arc::new(TaskWaker(token))),
                notify: false,
            },
        )
    });
    token
}

/// A token whose wait is already over, ending with `wake` (the host waits,
/// which returns at once, and replays).
pub(crate) fn spawn_ready(owner: &'static Extern, wake: Resume) -> Token {
    insert(owner, State::Done(wake))
}

/// Starts a call: `Ok(wake)` when it finished on its first poll, else
/// `Err(token)`.
pub(crate) fn spawn(owner: &'static Extern, fut: ExternFuture) -> Result<Resume, Token> {
    let token = insert(owner, State::Running(Some(fut)));
    poll(token);
    let done = TASKS.with(|t| {
        let mut tasks = t.borrow_mut();
        match tasks.get(&token).map(|task| &task.state) {
            Some(State::Done(_)) => tasks.remove(&token),
            _ => None,
        }
    });
    match done {
        Some(Task {
            state: State::Done(values),
            ..
        }) => Ok(values),
        _ => Err(token),
    }
}

/// Polls one call (the executor runs this for a ready `Job::Extern`).
pub(crate) fn poll(token: Token) {
    let fut = TASKS.with(|t| match t.borrow_mut().get_mut(&token) {
        Some(Task {
            state: State::Running(f),
            waker,
            ..
        }) => f.take().map(|f| (f, waker.clone())),
        _ => None,
    });
    // Done, cancelled, or already being polled further up the stack.
    let Some((mut fut, waker)) = fut else { return };
    let polled = fut.as_mut().poll(&mut Context::from_waker(&waker));
    // Whatever is dropped here (a cancelled call's future) is dropped after
    // the table is released, since dropping may call into JS.
    let mut orphan: Option<ExternFuture> = None;
    let mut notify = false;
    let (waiters, on_done) = TASKS.with(|t| {
        let mut tasks = t.borrow_mut();
        let Some(task) = tasks.get_mut(&token) else {
            orphan = Some(fut);
            return Default::default();
        };
        match polled {
            Poll::Ready(values) => {
                task.state = State::Done(values);
                notify = task.notify;
                (std::mem::take(&mut task.waiters), std::mem::take(&mut task.on_done))
            }
            Poll::Pending => {
                task.state = State::Running(Some(fut));
                Default::default()
            }
        }
    });
    drop(orphan);
    // Reported once the table is released (the report may look into it).
    if notify {
        report_done(token);
    }
    waiters.into_iter().for_each(Waker::wake);
    // Here, in the flush that found the call done: a JS host's Promise is
    // resolved (or its replay run) without another hop through an executor.
    on_done.into_iter().for_each(|f| f());
}

/// How a finished call ended, removing it: `Ok(None)` while it is still
/// running. A token that is unknown, cancelled, already collected or
/// belongs to another extern is an error.
pub(crate) fn take(token: Token, owner: &'static Extern) -> Result<Option<Resume>, ExternError> {
    TASKS.with(|t| {
        let mut tasks = t.borrow_mut();
        match tasks.get(&token) {
            None => Err(ExternError(format!(
                "{}.{}: no pending call with token {token} (already collected, cancelled, or never issued)",
                owner.package, owner.name
            ))),
            Some(task) if !std::ptr::eq(task.owner, owner) => Err(ExternError(format!(
                "{}.{}: token {token} belongs to a pending {}.{} call",
                owner.package, owner.name, task.owner.package, task.owner.name
            ))),
            Some(Task {
                state: State::Running(_),
                ..
            }) => Ok(None),
            Some(_) => match tasks.remove(&token) {
                Some(Task {
                    state: State::Done(values),
                    ..
                }) => Ok(Some(values)),
                _ => Ok(None),
            },
        }
    })
}

/// `Some(true)` when the call is done (re-invoke to collect), `Some(false)`
/// while it runs, `None` for a token with no call behind it.
pub fn is_ready(token: Token) -> Option<bool> {
    TASKS.with(|t| {
        t.borrow()
            .get(&token)
            .map(|task| matches!(task.state, State::Done(_)))
    })
}

/// Resolves when the call is done (or cancelled, or the token is unknown;
/// or at once past MAX_WAITERS waits on the token): then re-invoke the
/// extern with `ExternCall::resume(token)`.
pub fn wait(token: Token) -> impl Future<Output = ()> {
    std::future::poll_fn(move |cx| {
        TASKS.with(|t| match t.borrow_mut().get_mut(&token) {
            Some(task) if matches!(task.state, State::Running(_)) => {
                if task.waiters.iter().any(|w| w.will_wake(cx.waker())) {
                    Poll::Pending
                } else if task.waiters.len() < MAX_WAITERS {
                    task.waiters.push(cx.waker().clone());
                    Poll::Pending
                } else {
                    Poll::Ready(())
                }
            }
            _ => Poll::Ready(()),
        })
    })
}

/// Abandons a call: its future is dropped (which cancels the browser
/// operation) and its result, if any, discarded. False if the token had no
/// call behind it.
pub fn cancel(token: Token) -> bool {
    let task = TASKS.with(|t| t.borrow_mut().remove(&token));
    let Some(mut task) = task else { return false };
    task.waiters.iter().for_each(Waker::wake_by_ref);
    let on_done = std::mem::take(&mut task.on_done);
    drop(task);
    on_done.into_iter().for_each(|f| f());
    true
}

/// Runs `f` once the call is done or cancelled: at once if it already is
/// (or the token has no call behind it, or MAX_WAITERS are already
/// registered on it, a spurious end the replay tolerates). The callback
/// form of [`wait`], for a JS host: no future, no executor between the
/// call's end and `f`.
pub fn on_done(token: Token, f: OnDone) {
    let f = TASKS.with(|t| match t.borrow_mut().get_mut(&token) {
        Some(task) if matches!(task.state, State::Running(_)) && task.on_done.len() < MAX_WAITERS => {
            task.on_done.push(f);
            None
        }
        _ => Some(f),
    });
    if let Some(f) = f {
        f();
    }
}

/// Reports `token` to [`next_done`] once its call is done (at once if it is
/// already); nothing for a token with no call behind it.
#[cfg_attr(not(feature = "vo"), allow(dead_code))]
pub(crate) fn notify_when_done(token: Token) {
    let done = TASKS.with(|t| match t.borrow_mut().get_mut(&token) {
        None => false,
        Some(task) => {
            task.notify = true;
            matches!(task.state, State::Done(_))
        }
    });
    if done {
        report_done(token);
    }
}

fn report_done(token: Token) {
    let waker = DONE.with(|d| {
        let mut d = d.borrow_mut();
        // Collected or cancelled calls leave their token behind until
        // popped; should a host collect without ever asking, drop those so
        // the queue stays within the live calls.
        if d.queue.len() >= 2 * MAX_PENDING {
            TASKS.with(|t| {
                let t = t.borrow();
                d.queue.retain(|k| t.contains_key(k));
            });
        }
        d.queue.push_back(token);
        std::mem::take(&mut d.wakers)
    });
    waker.into_iter().for_each(Waker::wake);
}

/// The next notifying call that is done (see [`notify_when_done`]), oldest
/// first; its token may since have been collected or cancelled, which the
/// caller checks. Every waiting task is woken by a report (each re-polls;
/// a task waiting again with the same waker is kept once).
#[cfg_attr(not(feature = "vo"), allow(dead_code))]
pub(crate) fn next_done(cx: &mut Context<'_>) -> Poll<Token> {
    DONE.with(|d| {
        let mut d = d.borrow_mut();
        match d.queue.pop_front() {
            Some(t) => Poll::Ready(t),
            None => {
                if !d.wakers.iter().any(|w| w.will_wake(cx.waker())) {
                    d.wakers.push(cx.waker().clone());
                }
                Poll::Pending
            }
        }
    })
}

/// Calls started and not yet collected or cancelled (for leak checks).
pub fn pending_count() -> usize {
    TASKS.with(|t| t.borrow().len())
}
