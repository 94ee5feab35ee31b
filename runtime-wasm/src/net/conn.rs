//! `Dial("ws"/"wss", url)` and the `Conn` it returns: Go's `net.Conn` over a
//! WebSocket. The socket state (queue, deadlines, backpressure) lives in the
//! JS Conn table (js/ws.ts); this side maps results and errors to Go's
//! shapes and makes every wait cancellable by dropping its future.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use js_sys::{Array, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
pub use web_time::SystemTime;

use super::dial::dial_url;
use super::error::{Error, OpError};
use crate::bindings::{self as js, js_error};
use crate::pending::{self, Pending};

/// Go's `net.Addr`: a network name and an address string.
pub trait Addr: fmt::Display {
    fn network(&self) -> &str;
}

/// The address of one end of a WebSocket Conn: `network()` is "ws" or "wss";
/// `String()` is the URL. The local end has no address of its own in a
/// browser, so it is the page's origin (`location.origin`), or "browser"
/// where there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsAddr {
    network: String,
    url: String,
}

impl WsAddr {
    pub fn new(network: &str, url: &str) -> WsAddr {
        WsAddr {
            network: network.into(),
            url: url.into(),
        }
    }
}

impl Addr for WsAddr {
    fn network(&self) -> &str {
        &self.network
    }
}

impl fmt::Display for WsAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

fn page_origin() -> String {
    let origin = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("location"))
        .and_then(|loc| js_sys::Reflect::get(&loc, &JsValue::from_str("origin")));
    origin
        .ok()
        .and_then(|o| o.as_string())
        .unwrap_or_else(|| "browser".into())
}

/// Go's `net.Dialer`. `timeout` bounds the whole dial (0 or `None`: none).
/// Cancel a dial by dropping its future: the half-open socket is closed.
#[derive(Debug, Clone, Default)]
pub struct Dialer {
    pub timeout: Option<Duration>,
}

impl Dialer {
    pub async fn dial(&self, network: &str, address: &str) -> Result<Conn, Error> {
        let url = dial_url(network, address)?;
        let fail = |e: Error| Error::op("dial", network, Some(&url), e);
        let timeout_ms = self.timeout.map_or(0.0, |t| t.as_secs_f64() * 1000.0);
        let handle = js::ws_connect(&url, timeout_ms).map_err(|e| fail(js_error(e)))?;
        let opened = js::ws_opened(handle).map_err(|e| fail(js_error(e)))?;
        // Until the dial completes, dropping this future abandons the socket.
        let guard = AbortOnDrop(Some(handle));
        JsFuture::from(opened)
            .await
            .map_err(|e| fail(js_error(e)))?;
        std::mem::forget(guard);
        Ok(Conn::new(handle, network, &url))
    }
}

struct AbortOnDrop(Option<u32>);
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(h) = self.0 {
            let _ = js::ws_abort(h);
        }
    }
}

/// Go's `net.Dial`: `dial("wss", "wss://host/path")`, or
/// `dial("ws", "host:port")` for `ws://host:port/`. Other networks fail
/// with a Go-style error (see `dial_url`).
pub async fn dial(network: &str, address: &str) -> Result<Conn, Error> {
    Dialer::default().dial(network, address).await
}

/// Go's `net.DialTimeout`.
pub async fn dial_timeout(network: &str, address: &str, timeout: Duration) -> Result<Conn, Error> {
    Dialer {
        timeout: Some(timeout),
    }
    .dial(network, address)
    .await
}

/// How many WebSocket Conns are open in the JS table (for leak checks).
pub fn open_conn_count() -> Result<u32, Error> {
    js::ws_count().map_err(js_error)
}

/// Awaits a value that may be a Promise; dropping the wait tells the Conn
/// table to forget the waiter (see `crate::pending`).
async fn settle(handle: u32, v: JsValue) -> Result<JsValue, JsValue> {
    pending::settle(handle, v, js::ws_cancel).await
}

/// One poll-API operation on the Conn table (see `crate::pending::poll_op`).
fn poll_op(
    slot: &RefCell<Option<Pending>>,
    handle: u32,
    cx: &mut Context<'_>,
    start: impl FnOnce() -> Result<JsValue, JsValue>,
) -> Poll<Result<JsValue, JsValue>> {
    pending::poll_op(slot, handle, js::ws_cancel, cx, start)
}

/// Copies read bytes (a Uint8Array or an Array of them) into `buf`; any part
/// that does not fit is returned (only the poll API can hit that).
fn copy_out(v: &JsValue, buf: &mut [u8]) -> (usize, Vec<u8>) {
    let mut n = 0;
    let mut rest = Vec::new();
    let mut put = |chunk: Uint8Array| {
        let len = chunk.length() as usize;
        let fit = len.min(buf.len() - n);
        chunk.subarray(0, fit as u32).copy_to(&mut buf[n..n + fit]);
        n += fit;
        if fit < len {
            rest.extend(chunk.subarray(fit as u32, len as u32).to_vec());
        }
    };
    if Array::is_array(v) {
        Array::from(v).iter().for_each(|c| put(c.unchecked_into()));
    } else {
        put(v.clone().unchecked_into());
    }
    (n, rest)
}

/// How many bytes a read binding returned (a Uint8Array or an Array of them).
fn js_len(v: &JsValue) -> usize {
    let len = |c: &JsValue| c.unchecked_ref::<Uint8Array>().length() as usize;
    if Array::is_array(v) {
        Array::from(v).iter().map(|c| len(&c)).sum()
    } else {
        len(v)
    }
}

/// The count a write binding returned (a JS number).
fn byte_count(v: &JsValue) -> usize {
    v.as_f64().unwrap_or(0.0) as usize
}

/// Go's `net.Conn` over a WebSocket, from [`dial`].
///
/// Methods take `&self`, so one task can read while another writes (as Go
/// allows). Dropping a Conn without `close` still closes the socket.
pub struct Conn {
    handle: u32,
    local: WsAddr,
    remote: WsAddr,
    closed: Cell<bool>,
    // State for the futures::io poll API.
    poll_read: RefCell<Option<Pending>>,
    poll_write: RefCell<Option<Pending>>,
    leftover: RefCell<Vec<u8>>,
}

impl fmt::Debug for Conn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conn")
            .field("handle", &self.handle)
            .field("remote", &self.remote.url)
            .finish()
    }
}

const READ: u32 = 1;
const WRITE: u32 = 2;

impl Conn {
    fn new(handle: u32, network: &str, url: &str) -> Conn {
        Conn {
            handle,
            local: WsAddr::new(network, &page_origin()),
            remote: WsAddr::new(network, url),
            closed: Cell::new(false),
            poll_read: RefCell::new(None),
            poll_write: RefCell::new(None),
            leftover: RefCell::new(Vec::new()),
        }
    }

    /// Go wraps Read/Write errors in `OpError` with both addresses; io.EOF
    /// stays bare.
    fn op_error(&self, op: &str, err: Error) -> Error {
        if err == Error::Eof {
            return err;
        }
        Error::Op(OpError {
            op: op.into(),
            net: self.remote.network.clone(),
            source: Some(self.local.url.clone()),
            addr: Some(self.remote.url.clone()),
            err: Box::new(err),
        })
    }

    /// Moves bytes kept from an earlier poll-API read into `buf`.
    fn take_leftover(&self, buf: &mut [u8]) -> usize {
        let mut left = self.leftover.borrow_mut();
        let n = left.len().min(buf.len());
        buf[..n].copy_from_slice(&left[..n]);
        left.drain(..n);
        n
    }

    /// Go's `Read`: waits for data, returns up to `buf.len()` bytes; Err(Eof)
    /// after a clean close once the queue is drained.
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize, Error> {
        if self.closed.get() {
            return Err(self.op_error("read", Error::Closed));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let n = self.take_leftover(buf);
        if n > 0 {
            return Ok(n);
        }
        let v = self.read_js(buf.len()).await?;
        let (n, rest) = copy_out(&v, buf);
        debug_assert!(rest.is_empty(), "JS returned more than asked for");
        Ok(n)
    }

    /// Go's `Read` into a new buffer of at most `max` bytes, sized to what
    /// arrived: for hosts that copy into their own memory anyway (one copy
    /// from JS, no buffer of `max` bytes allocated up front).
    pub async fn read_vec(&self, max: usize) -> Result<Vec<u8>, Error> {
        if self.closed.get() {
            return Err(self.op_error("read", Error::Closed));
        }
        if max == 0 {
            return Ok(Vec::new());
        }
        {
            let mut left = self.leftover.borrow_mut();
            if !left.is_empty() {
                let n = left.len().min(max);
                return Ok(left.drain(..n).collect());
            }
        }
        let v = self.read_js(max).await?;
        let mut out = vec![0; js_len(&v).min(max)];
        copy_out(&v, &mut out);
        Ok(out)
    }

    /// Starts a read of up to `max` bytes in the table and waits for it.
    async fn read_js(&self, max: usize) -> Result<JsValue, Error> {
        let v = js::ws_read(self.handle, max.min(u32::MAX as usize) as u32)
            .map_err(|e| self.op_error("read", js_error(e)))?;
        settle(self.handle, v)
            .await
            .map_err(|e| self.op_error("read", js_error(e)))
    }

    /// Go's `Write`: sends `buf` as binary messages. Returns `buf.len()`, or
    /// fewer bytes when a deadline or close interrupted it after some were
    /// sent (the next call then returns the error), as `io::Write` does.
    pub async fn write(&self, buf: &[u8]) -> Result<usize, Error> {
        if self.closed.get() {
            return Err(self.op_error("write", Error::Closed));
        }
        let v = js::ws_write(self.handle, buf).map_err(|e| self.op_error("write", js_error(e)))?;
        let v = settle(self.handle, v)
            .await
            .map_err(|e| self.op_error("write", js_error(e)))?;
        Ok(byte_count(&v))
    }

    /// Writes all of `buf` (Go's Write contract: all, or an error).
    pub async fn write_all(&self, mut buf: &[u8]) -> Result<(), Error> {
        while !buf.is_empty() {
            let n = self.write(buf).await?;
            buf = &buf[n..];
        }
        Ok(())
    }

    /// Go's `Close`: closes with code 1000; pending and later operations fail
    /// with `use of closed network connection`, and so does a second Close.
    pub async fn close(&self) -> Result<(), Error> {
        self.closed.set(true);
        js::ws_close(self.handle).map_err(|e| self.op_error("close", js_error(e)))
    }

    fn set(&self, which: u32, t: Option<SystemTime>) -> Result<(), Error> {
        // Go's zero Time (None) clears; a time before 1970 is simply past.
        let at = match t {
            None => 0.0,
            Some(t) => t
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(1.0, |d| (d.as_secs_f64() * 1000.0).max(1.0)),
        };
        js::ws_set_deadline(self.handle, which, at).map_err(|e| {
            Error::Op(OpError {
                op: "set".into(),
                net: self.local.network.clone(),
                source: None,
                addr: Some(self.local.url.clone()),
                err: Box::new(js_error(e)),
            })
        })
    }

    /// Go's `SetDeadline`: read and write deadline at once. `None` clears.
    /// A pending operation wakes at the deadline with `i/o timeout`; the
    /// connection stays usable, and extending the deadline lets the next
    /// operation succeed.
    pub fn set_deadline(&self, t: Option<SystemTime>) -> Result<(), Error> {
        self.set(READ | WRITE, t)
    }
    pub fn set_read_deadline(&self, t: Option<SystemTime>) -> Result<(), Error> {
        self.set(READ, t)
    }
    pub fn set_write_deadline(&self, t: Option<SystemTime>) -> Result<(), Error> {
        self.set(WRITE, t)
    }

    pub fn local_addr(&self) -> &WsAddr {
        &self.local
    }
    pub fn remote_addr(&self) -> &WsAddr {
        &self.remote
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        // Pending poll futures are forgotten by the table, then the socket
        // is closed without settling anything.
        self.poll_read.get_mut().take();
        self.poll_write.get_mut().take();
        if !self.closed.get() {
            let _ = js::ws_abort(self.handle);
        }
    }
}

/// `futures::io::AsyncRead`: EOF is `Ok(0)`; other errors are `io::Error`s
/// holding the `net::Error` (see `From<Error> for io::Error`).
impl futures_io::AsyncRead for Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this: &Conn = &self;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        let n = this.take_leftover(buf);
        if n > 0 {
            return Poll::Ready(Ok(n));
        }
        let max = buf.len().min(u32::MAX as usize) as u32;
        let r = std::task::ready!(poll_op(&this.poll_read, this.handle, cx, || js::ws_read(
            this.handle,
            max
        )));
        Poll::Ready(match r {
            Ok(v) => {
                // A Promise started by an earlier poll may carry more than
                // this (smaller) buffer holds: keep the rest for next time.
                let (n, rest) = copy_out(&v, buf);
                this.leftover.borrow_mut().extend(rest);
                Ok(n)
            }
            Err(e) => match js_error(e) {
                Error::Eof => Ok(0),
                e => Err(this.op_error("read", e).into()),
            },
        })
    }
}

impl futures_io::AsyncWrite for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this: &Conn = &self;
        // Once handed to JS, the bytes are JS's (it copied them): a later poll
        // only collects the count.
        let r = std::task::ready!(poll_op(&this.poll_write, this.handle, cx, || js::ws_write(
            this.handle,
            buf
        )));
        Poll::Ready(match r {
            Ok(v) => Ok(byte_count(&v)),
            Err(e) => Err(this.op_error("write", js_error(e)).into()),
        })
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Bytes are handed to the browser as they are written.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this: &Conn = &self;
        if this.closed.replace(true) {
            return Poll::Ready(Ok(()));
        }
        Poll::Ready(
            js::ws_close(this.handle).map_err(|e| this.op_error("close", js_error(e)).into()),
        )
    }
}
