//! A minimal Go `context.Context` for requests: cancellation and a deadline.
//! Cancelling aborts every request made with the context (through the
//! request table's AbortController); the error is Go's `context canceled`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

#[cfg(not(target_arch = "wasm32"))]
use std::time::SystemTime;
#[cfg(target_arch = "wasm32")]
use web_time::SystemTime;

#[derive(Default)]
struct Inner {
    deadline: Option<SystemTime>,
    canceled: Cell<bool>,
    /// Request handles in flight with this context.
    handles: RefCell<Vec<u32>>,
    /// Conns carrying a request through the relay: cancel closes them.
    #[cfg(all(target_arch = "wasm32", feature = "tls"))]
    conns: RefCell<Vec<std::rc::Weak<crate::net::Conn>>>,
}

/// Cheap to clone: clones share the cancellation.
#[derive(Clone, Default)]
pub struct Context(Rc<Inner>);

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("deadline", &self.0.deadline)
            .field("canceled", &self.0.canceled.get())
            .finish()
    }
}

impl Context {
    /// Go's `context.Background()` with a cancel function: never times out.
    pub fn new() -> Context {
        Context::default()
    }

    /// Go's `context.WithTimeout`.
    pub fn with_timeout(d: Duration) -> Context {
        Context::with_deadline(SystemTime::now() + d)
    }

    /// Go's `context.WithDeadline`.
    pub fn with_deadline(at: SystemTime) -> Context {
        Context(Rc::new(Inner {
            deadline: Some(at),
            ..Inner::default()
        }))
    }

    /// When the context expires, if it has a deadline.
    pub fn deadline(&self) -> Option<SystemTime> {
        self.0.deadline
    }

    /// Go's `cancel()`: every request in flight with this context fails with
    /// `context canceled`, and so does every later one.
    pub fn cancel(&self) {
        self.0.canceled.set(true);
        #[cfg(target_arch = "wasm32")]
        for h in self.0.handles.borrow_mut().drain(..) {
            let _ = crate::host::bindings::http_cancel(h);
        }
        #[cfg(all(target_arch = "wasm32", feature = "tls"))]
        for c in self.0.conns.take() {
            if let Some(c) = c.upgrade() {
                let _ = c.close_now();
            }
        }
    }

    /// Whether `cancel` was called (or a parent was cancelled).
    pub fn is_canceled(&self) -> bool {
        self.0.canceled.get()
    }

    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn watch(&self, handle: u32) {
        self.0.handles.borrow_mut().push(handle);
    }

    #[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
    pub(crate) fn unwatch(&self, handle: u32) {
        self.0.handles.borrow_mut().retain(|h| *h != handle);
    }

    #[cfg(all(target_arch = "wasm32", feature = "tls"))]
    pub(crate) fn watch_conn(&self, c: &Rc<crate::net::Conn>) {
        let mut v = self.0.conns.borrow_mut();
        v.retain(|w| w.strong_count() > 0);
        v.push(Rc::downgrade(c));
    }

    #[cfg(all(target_arch = "wasm32", feature = "tls"))]
    pub(crate) fn unwatch_conn(&self, c: &Rc<crate::net::Conn>) {
        self.0.conns.borrow_mut().retain(|w| w.strong_count() > 0 && !std::ptr::eq(w.as_ptr(), Rc::as_ptr(c)));
    }
}
