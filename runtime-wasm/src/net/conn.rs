//! `Dial` and the `Conn` it returns: Go's `net.Conn` over a WebSocket
//! ("ws"/"wss") or a TCP stream through the host's relay ("tcp", "tcp4",
//! "tcp6"). The stream state (queue, deadlines, backpressure) lives in the
//! JS Conn table (js/conn.ts); this side maps results and errors to Go's
//! shapes and makes every wait cancellable by dropping its future.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use js_sys::Uint8Array;
use wasm_bindgen::JsValue;
pub use web_time::SystemTime;

use super::dial::{dial_target, Target};
use super::hostport::join_host_port;
use super::error::{Error, OpError};
use crate::host::bindings as js;
use crate::host::pending::{self, Pending};
use crate::host::wake::Ready;
use crate::host::read;

/// Go's `net.Addr`: a network name and an address string.
pub trait Addr: fmt::Display {
    /// The network name: "ws", "wss", "tcp", ...
    fn network(&self) -> &str;
}

/// The address of one end of a Conn: `network()` is the dialed network
/// ("ws", "wss", "tcp", ...); `String()` is the URL of a WebSocket, or the
/// `host:port` a relay stream was dialed with (the relay resolves names
/// and does not say which address it reached). The local end has no
/// address of its own in a browser, so it is the page's origin
/// (`location.origin`), or "browser" where there is none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WsAddr {
    network: String,
    url: String,
}

impl WsAddr {
    /// The address of `url` on `network`.
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
    /// How long Dial may take (`None`: no limit but the browser's own).
    pub timeout: Option<Duration>,
}

impl Dialer {
    /// Go's `Dialer.Dial`: `ws`/`wss` with a URL, `tcp`/`tcp4`/`tcp6` with `host:port` through the host's relay.
    pub async fn dial(&self, network: &str, address: &str) -> Result<Conn, Error> {
        self.dial_as(network, address, false).await
    }

    /// `dial` for a caller that writes first (TLS): through a Wisp relay the
    /// Conn opens without waiting for the relay's word (`connectWaitMs`), and
    /// a refusal comes as the first read's error ([`dial_error`] says it as
    /// the dial's).
    #[cfg(feature = "tls")]
    pub(crate) async fn dial_speaking_first(&self, network: &str, address: &str) -> Result<Conn, Error> {
        self.dial_as(network, address, true).await
    }

    async fn dial_as(&self, network: &str, address: &str, speak_first: bool) -> Result<Conn, Error> {
        let timeout_ms = self.timeout.map_or(0.0, |t| t.as_secs_f64() * 1000.0);
        let (url, started) = match dial_target(network, address)? {
            Target::WebSocket(url) => {
                let h = js::conn_dial_ws(&url, timeout_ms);
                (url, h)
            }
            Target::Relay { host, port } => (
                join_host_port(&host, &port.to_string()),
                js::conn_dial_relay(network, &host, port, timeout_ms, speak_first),
            ),
        };
        let fail = |e: Error| Error::op("dial", network, Some(&url), e);
        let handle = started.map_err(fail)?;
        let opened = js::conn_opened(handle).map_err(fail)?;
        // Until the dial completes, dropping this future abandons the socket.
        let guard = ReleaseOnDrop(handle);
        js::settled(opened).await.map_err(fail)?;
        std::mem::forget(guard);
        Ok(Conn::new(handle, network, &url))
    }
}

/// An error a Conn opened by `dial_speaking_first` gave before its peer
/// said anything: the relay's refusal (refused, blocked, could not
/// connect) is said as Go's dial error, as a plain dial would have.
#[cfg(feature = "tls")]
pub(crate) fn dial_error(e: Error, network: &str, address: &str) -> Error {
    if let Error::Op(op) = &e {
        let refusal = match op.err.root() {
            Error::Refused | Error::Denied { .. } => true,
            Error::Other { message } => message.contains("Wisp CLOSE"),
            _ => false,
        };
        if refusal && (op.op == "read" || op.op == "write") {
            return Error::op("dial", network, Some(address), op.err.root().clone());
        }
    }
    e
}

/// A deadline as the JS tables take it: epoch ms, 0 for none. Go's zero
/// Time (None) clears; a time before 1970 is simply past.
pub(crate) fn deadline_ms(t: Option<SystemTime>) -> f64 {
    match t {
        None => 0.0,
        Some(t) => t
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(1.0, |d| (d.as_secs_f64() * 1000.0).max(1.0)),
    }
}

struct ReleaseOnDrop(u32);
impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        let _ = js::conn_release(self.0);
    }
}

/// Go's `net.Dial`: `dial("wss", "wss://host/path")`, or
/// `dial("ws", "host:port")` for `ws://host:port/`; `dial("tcp",
/// "host:port")` through the relay the host configured (an error saying
/// so when there is none). Other networks fail with a Go-style error (see
/// `dial_target`).
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

/// How many Conns (WebSocket and relay) are open in the JS table (for leak checks).
pub fn open_conn_count() -> Result<u32, Error> {
    js::conn_count()
}

/// Awaits a value that may be a Promise; dropping the wait tells the Conn
/// table to forget the waiter (see `crate::host::pending`).
async fn settle(handle: u32, v: JsValue) -> Result<JsValue, Error> {
    pending::settle(handle, v, js::conn_forget).await
}

/// The count a write binding returned (a JS number).
fn byte_count(v: &JsValue) -> usize {
    v.as_f64().unwrap_or(0.0) as usize
}

/// Go's `net.Conn` over a WebSocket or a relay stream, from [`dial`].
///
/// Methods take `&self`, so one task can read while another writes (as Go
/// allows). Dropping a Conn without `close` still closes the socket.
pub struct Conn {
    handle: u32,
    local: WsAddr,
    remote: WsAddr,
    closed: Cell<bool>,
    // State for the futures::io poll API.
    poll_read: RefCell<Option<Ready>>,
    poll_write: RefCell<Option<Pending>>,
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

    /// Go's `Read`: waits for data, returns up to `buf.len()` bytes; Err(Eof)
    /// after a clean close once the queue is drained.
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize, Error> {
        if self.closed.get() {
            return Err(self.op_error("read", Error::Closed));
        }
        if buf.is_empty() {
            return Ok(0);
        }
        read::CONN
            .read(self.handle, buf)
            .await
            .map_err(|e| self.op_error("read", e))
    }

    /// One read attempt into `dest` (a view of the caller's memory, or a JS
    /// VM's array): `Some(n)`, or `None` when nothing is queued (wait with
    /// [`Conn::ready`], then try again). For hosts that drive reads
    /// themselves, as the read externs do.
    pub fn try_read(&self, dest: &Uint8Array) -> Result<Option<usize>, Error> {
        if self.closed.get() {
            return Err(self.op_error("read", Error::Closed));
        }
        read::CONN
            .try_read(self.handle, dest)
            .map_err(|e| self.op_error("read", e))
    }

    /// Resolves when a read would not find the queue empty (data, the end,
    /// the read deadline, Close). Dropping it loses nothing.
    pub async fn ready(&self) -> Result<(), Error> {
        read::CONN
            .ready(self.handle)
            .map_err(|e| self.op_error("read", e))?
            .await;
        Ok(())
    }

    /// Go's `Write`: sends `buf` as binary messages. Returns `buf.len()`, or
    /// fewer bytes when a deadline or close interrupted it after some were
    /// sent (the next call then returns the error), as `io::Write` does.
    pub async fn write(&self, buf: &[u8]) -> Result<usize, Error> {
        // SAFETY (the view): JS copies what it keeps before returning.
        let v = self.start_write(&unsafe { Uint8Array::view(buf) })?;
        self.finish_write(v).await
    }

    /// Hands `data` (a view, or a JS VM's array) to the table: the count
    /// sent at once, or a Promise of it ([`Conn::finish_write`]). JS copies
    /// what it cannot send now, so `data` need not outlive the call.
    pub(crate) fn start_write(&self, data: &Uint8Array) -> Result<JsValue, Error> {
        if self.closed.get() {
            return Err(self.op_error("write", Error::Closed));
        }
        js::conn_write(self.handle, data).map_err(|e| self.op_error("write", e))
    }

    /// The count of a write started with [`Conn::start_write`].
    pub(crate) async fn finish_write(&self, v: JsValue) -> Result<usize, Error> {
        let v = settle(self.handle, v)
            .await
            .map_err(|e| self.op_error("write", e))?;
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

    /// Go's `Close`: closes the stream (WebSocket code 1000, Wisp CLOSE 0x02); pending and later operations fail
    /// with `use of closed network connection`, and so does a second Close.
    pub async fn close(&self) -> Result<(), Error> {
        self.close_now()
    }

    /// `close` without a future (it never waits): for the Close extern.
    pub(crate) fn close_now(&self) -> Result<(), Error> {
        if self.closed.replace(true) {
            return Err(self.op_error("close", Error::Closed));
        }
        js::conn_close(self.handle).map_err(|e| self.op_error("close", e))
    }

    fn set(&self, which: u32, t: Option<SystemTime>) -> Result<(), Error> {
        js::conn_set_deadline(self.handle, which, deadline_ms(t)).map_err(|e| {
            Error::Op(OpError {
                op: "set".into(),
                net: self.local.network.clone(),
                source: None,
                addr: Some(self.local.url.clone()),
                err: Box::new(e),
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
    /// Go's `SetReadDeadline` (`None` clears it). A passed deadline fails reads, it does not close the Conn.
    pub fn set_read_deadline(&self, t: Option<SystemTime>) -> Result<(), Error> {
        self.set(READ, t)
    }
    /// Go's `SetWriteDeadline` (`None` clears it).
    pub fn set_write_deadline(&self, t: Option<SystemTime>) -> Result<(), Error> {
        self.set(WRITE, t)
    }

    /// Go's `LocalAddr`: the page's origin.
    pub fn local_addr(&self) -> &WsAddr {
        &self.local
    }
    /// Go's `RemoteAddr`: the address as dialed.
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
            let _ = js::conn_release(self.handle);
        }
    }
}

/// `futures::io::AsyncRead`: EOF is `Ok(0)`; other errors are `io::Error`s
/// holding the `net::Error` (see `From<Error> for io::Error`).
impl futures_io::AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_read(cx, buf)
    }
}

impl futures_io::AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut &*self).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self).poll_flush(cx)
    }
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut &*self).poll_close(cx)
    }
}

/// On `&Conn` too (as std's `Read for &TcpStream`): one task may read
/// while another writes, and a wrapper (TLS, an HTTP connection) can share
/// the Conn with whoever sets its deadlines.
impl futures_io::AsyncRead for &Conn {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this: &Conn = *self;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        if this.closed.get() {
            return Poll::Ready(Err(this.op_error("read", Error::Closed).into()));
        }
        let r = std::task::ready!(read::CONN.poll_read(&this.poll_read, this.handle, cx, buf));
        Poll::Ready(match r {
            Ok(n) => Ok(n),
            Err(e) => match e {
                Error::Eof => Ok(0),
                e => Err(this.op_error("read", e).into()),
            },
        })
    }
}

impl futures_io::AsyncWrite for &Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this: &Conn = *self;
        // Once handed to JS, the bytes are JS's (it copied them): a later poll
        // only collects the count.
        let r = std::task::ready!(pending::poll_op(
            &this.poll_write,
            this.handle,
            js::conn_forget,
            cx,
            // SAFETY (the view): JS copies what it keeps before returning.
            || js::conn_write(this.handle, &unsafe { Uint8Array::view(buf) })
        ));
        Poll::Ready(match r {
            Ok(v) => Ok(byte_count(&v)),
            Err(e) => Err(this.op_error("write", e).into()),
        })
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Bytes are handed to the browser as they are written.
        Poll::Ready(Ok(()))
    }

    fn poll_close(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this: &Conn = *self;
        if this.closed.replace(true) {
            return Poll::Ready(Ok(()));
        }
        Poll::Ready(
            js::conn_close(this.handle).map_err(|e| this.op_error("close", e).into()),
        )
    }
}
