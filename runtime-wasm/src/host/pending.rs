//! Waiting on a JS table's Promise from Rust, cancellably: writes that wait
//! for room, dials, response heads. (Reads wait through `crate::host::wake`,
//! without a Promise.) Dropping a `Pending` before it settles tells the
//! table (through `forget`) to drop the waiter without settling it, so no
//! dropped closure is ever called.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use js_sys::Promise;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

pub use crate::host::wake::Forget;
use crate::host::bindings::js_error;
use crate::net::Error;

pub struct Pending {
    handle: u32,
    promise: Promise,
    fut: JsFuture,
    forget: Forget,
    done: bool,
}

impl Pending {
    pub fn new(handle: u32, promise: Promise, forget: Forget) -> Pending {
        Pending {
            handle,
            fut: JsFuture::from(promise.clone()),
            promise,
            forget,
            done: false,
        }
    }
}

impl Future for Pending {
    type Output = Result<JsValue, Error>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let r = std::task::ready!(Pin::new(&mut self.fut).poll(cx));
        self.done = true;
        Poll::Ready(r.map_err(js_error))
    }
}

impl Drop for Pending {
    fn drop(&mut self) {
        if !self.done {
            let _ = (self.forget)(self.handle, &self.promise);
        }
    }
}

/// A value that may be a Promise: await it (cancellably) or take it as is.
pub async fn settle(handle: u32, v: JsValue, forget: Forget) -> Result<JsValue, Error> {
    match v.dyn_into::<Promise>() {
        Ok(p) => Pending::new(handle, p, forget).await,
        Err(v) => Ok(v),
    }
}

/// Drives one poll-API operation (AsyncRead/AsyncWrite): starts it with
/// `start` when none is in flight, returns a synchronous result at once, or
/// keeps the Promise in `slot` until it settles.
pub fn poll_op(
    slot: &RefCell<Option<Pending>>,
    handle: u32,
    forget: Forget,
    cx: &mut Context<'_>,
    start: impl FnOnce() -> Result<JsValue, Error>,
) -> Poll<Result<JsValue, Error>> {
    let mut slot = slot.borrow_mut();
    if slot.is_none() {
        match start().map(|v| v.dyn_into::<Promise>()) {
            Err(e) => return Poll::Ready(Err(e)),
            Ok(Err(v)) => return Poll::Ready(Ok(v)),
            Ok(Ok(p)) => *slot = Some(Pending::new(handle, p, forget)),
        }
    }
    let Some(p) = slot.as_mut() else {
        return Poll::Pending; // not reachable: the slot was filled just above
    };
    let r = std::task::ready!(Pin::new(p).poll(cx));
    *slot = None;
    Poll::Ready(r)
}
