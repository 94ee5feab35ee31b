//! The one read path of every byte stream (WebSocket Conns, HTTP bodies,
//! and the read externs over them), shaped like Go's poller
//! (`internal/poll.FD.Read`): try to take queued bytes straight into the
//! destination; only when nothing is queued, wait for readiness, then try
//! again. Bytes are copied once, by JS, from the browser's chunk into the
//! destination (a view of the caller's buffer); nothing is kept in Rust
//! between reads, so there is no leftover buffer and a dropped wait loses
//! nothing. Waiting is `crate::host::wake` (a token the table wakes; no Promise).

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use js_sys::Uint8Array;

use crate::host::bindings as js;
use crate::host::wake::{Forget, Ready, Register};
use crate::net::Error;

/// A JS handle table's read side (see the protocol in `bindings.rs`).
pub struct Table {
    read: fn(u32, &Uint8Array) -> Result<i32, Error>,
    ready: Register,
    forget: Forget,
}

/// The Conn table (js/conn.ts): WebSocket Conns and relay streams.
pub const CONN: Table = Table {
    read: js::conn_read,
    ready: js::conn_ready,
    forget: js::conn_forget,
};

/// The HTTP request table's response bodies (js/http.ts).
pub const HTTP: Table = Table {
    read: js::http_read,
    ready: js::http_ready,
    forget: js::http_forget,
};

/// The poller loop every read shares (Conns, bodies, PacketConns): an
/// attempt, and only when it finds nothing, a wait for readiness, then
/// another attempt.
pub async fn read_loop<T>(
    mut attempt: impl FnMut() -> Result<Option<T>, Error>,
    ready: impl Fn() -> Result<Ready, Error>,
) -> Result<T, Error> {
    loop {
        if let Some(v) = attempt()? {
            return Ok(v);
        }
        ready()?.await;
    }
}

/// A view of `buf` for one binding call. JS writes into it during the call
/// and keeps no reference; nothing allocates in wasm memory meanwhile, so
/// the view cannot be detached by memory growth.
pub fn view_mut(buf: &mut [u8]) -> Uint8Array {
    // SAFETY: see above; the view does not outlive the call it is made for.
    unsafe { Uint8Array::view_mut_raw(buf.as_mut_ptr(), buf.len()) }
}

impl Table {
    /// One attempt: `Some(n)` bytes copied into `dest`, `None` when nothing
    /// is queued. Errors (EOF included) are what the table threw.
    pub fn try_read(&self, h: u32, dest: &Uint8Array) -> Result<Option<usize>, Error> {
        let n = (self.read)(h, dest)?;
        Ok((n >= 0).then_some(n as usize))
    }

    /// Resolves when a read would not find the queue empty (data, the end,
    /// a deadline, Close). Dropping it makes the table forget the waiter.
    pub fn ready(&self, h: u32) -> Result<Ready, Error> {
        Ready::start(h, self.ready, self.forget)
    }

    /// Reads into `buf` as soon as bytes are there.
    pub async fn read(&self, h: u32, buf: &mut [u8]) -> Result<usize, Error> {
        read_loop(|| self.try_read(h, &view_mut(buf)), || self.ready(h)).await
    }

    /// `read` for the poll API (AsyncRead): the readiness wait lives in
    /// `slot` between polls; the bytes go to whatever buffer the poll that
    /// finds them passes.
    pub fn poll_read(
        &self,
        slot: &RefCell<Option<Ready>>,
        h: u32,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<Result<usize, Error>> {
        let mut slot = slot.borrow_mut();
        loop {
            if let Some(p) = slot.as_mut() {
                std::task::ready!(Pin::new(p).poll(cx));
                *slot = None;
            }
            if let Some(n) = self.try_read(h, &view_mut(buf))? {
                return Poll::Ready(Ok(n));
            }
            *slot = Some(self.ready(h)?);
        }
    }
}
