//! Requests the crate sends itself, over a Conn through the relay (feature
//! `tls`), for hosts fetch cannot reach (no CORS headers): HTTP/1.1 by
//! hyper's connection-level client on the crate's executor, TLS by rustls
//! inside the page ([`crate::tls`]), so the relay carries only ciphertext.
//! Connections are kept alive in a small bounded pool; bodies stream both
//! ways; redirects are followed here, each hop dialled under the page's
//! policy (fetch would hide where a redirect leads); the client's and the
//! context's deadlines are the Conn's, and a cancelled context closes it.
//!
//! HTTP/2 is left out: the h2 crate reads `std::time::Instant`, which
//! panics on wasm32-unknown-unknown (a reset stream's expiry), and HTTP/1.1
//! with several connections serves one client well.

use std::cell::{Cell, RefCell};
use std::io;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use futures_io::{AsyncRead, AsyncWrite};
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use js_sys::Uint8Array;
use web_time::SystemTime;

use super::context::Context;
use super::header::Header;
use super::request::{Body, Request};
use super::status::status_text;
use super::url::Url;
use crate::net::{self, Conn, Error};
use crate::tls::{self, Shared, TlsConn};

/// Idle and busy connections kept, at most (the oldest goes first).
const MAX_POOLED: usize = 32;
/// Redirects followed, at most (Go's `stopped after 10 redirects`).
const MAX_REDIRECTS: usize = 10;

/// How the page routes a URL (js/http.ts `HttpRoute`).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RelayRoute {
    /// CA certificates (PEM) trusted besides webpki-roots.
    #[serde(default)]
    pub roots: Vec<String>,
    /// The most a whole-body read may hold (http.maxResponseBytes).
    #[serde(default)]
    pub max_response_bytes: f64,
}

/// Which deadline bounds an exchange, for Go's message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum DeadlineKind {
    Client,
    Context,
}

/// A plain or TLS stream under hyper.
enum Stream {
    Plain(Shared),
    Tls(Box<TlsConn>),
}

/// hyper's IO traits over the crate's futures-io stream.
struct Io(Stream);

thread_local! {
    // Reads go through this one buffer (initialized once, shared by every
    // connection: a read copies out before it returns) into hyper's: no
    // unsafe, and no zeroing of hyper's spare capacity on every read.
    static SCRATCH: RefCell<Box<[u8]>> = RefCell::new(vec![0u8; 64 * 1024].into_boxed_slice());
}

impl hyper::rt::Read for Io {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        mut buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            let len = buf.remaining().min(scratch.len());
            let dst = &mut scratch[..len];
            let n = std::task::ready!(match &mut self.0 {
                Stream::Plain(s) => Pin::new(s).poll_read(cx, dst),
                Stream::Tls(s) => Pin::new(&mut **s).poll_read(cx, dst),
            })?;
            buf.put_slice(&dst[..n]);
            Poll::Ready(Ok(()))
        })
    }
}

impl hyper::rt::Write for Io {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match &mut self.0 {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(&mut **s).poll_write(cx, buf),
        }
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        match &mut self.0 {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(&mut **s).poll_flush(cx),
        }
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        match &mut self.0 {
            Stream::Plain(s) => Pin::new(s).poll_close(cx),
            Stream::Tls(s) => Pin::new(&mut **s).poll_close(cx),
        }
    }
}

/// A request body as hyper takes it: none, bytes, or streamed from a reader.
pub(crate) enum ReqBody {
    Empty,
    Bytes(Option<Bytes>),
    Reader(Box<dyn AsyncRead + Unpin>, Box<[u8]>),
}

impl HttpBody for ReqBody {
    type Data = Bytes;
    type Error = io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        match &mut *self {
            ReqBody::Empty => Poll::Ready(None),
            ReqBody::Bytes(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            ReqBody::Reader(r, buf) => {
                let n = std::task::ready!(Pin::new(r).poll_read(cx, buf))?;
                if n == 0 {
                    *self = ReqBody::Empty;
                    return Poll::Ready(None);
                }
                Poll::Ready(Some(Ok(Frame::data(Bytes::copy_from_slice(&buf[..n])))))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            ReqBody::Empty => true,
            ReqBody::Bytes(b) => b.is_none(),
            ReqBody::Reader(..) => false,
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            ReqBody::Empty => SizeHint::with_exact(0),
            ReqBody::Bytes(b) => SizeHint::with_exact(b.as_ref().map_or(0, |b| b.len() as u64)),
            ReqBody::Reader(..) => SizeHint::default(),
        }
    }
}

/// A connection hyper drives, and the Conn under it (for its deadlines).
struct Pooled {
    key: String,
    sender: http1::SendRequest<ReqBody>,
    conn: Rc<Conn>,
}

thread_local! {
    static POOL: RefCell<Vec<Pooled>> = const { RefCell::new(Vec::new()) };
}

/// Connections the pool holds (idle or with a body still being read).
pub fn pooled_connection_count() -> usize {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        p.retain(|c| !c.sender.is_closed());
        p.len()
    })
}

/// Closes every pooled connection (Go's `CloseIdleConnections`, and more:
/// a body still being read fails).
pub fn close_pooled_connections() {
    let all = POOL.with(|p| std::mem::take(&mut *p.borrow_mut()));
    for c in all {
        let _ = c.conn.close_now();
    }
}

fn take_idle(key: &str) -> Option<Pooled> {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        p.retain(|c| !c.sender.is_closed());
        let i = p.iter().position(|c| c.key == key && c.sender.is_ready())?;
        Some(p.remove(i))
    })
}

/// Back into the pool once the response's head has come (the connection
/// is ready again when its body has been read). Past the bound, the
/// oldest idle connection is closed; when none is idle, this one is not
/// kept: hyper finishes its response, then closes it.
fn give_back(c: Pooled) {
    POOL.with(|p| {
        let mut p = p.borrow_mut();
        p.retain(|c| !c.sender.is_closed());
        if p.len() >= MAX_POOLED {
            match p.iter().position(|c| c.sender.is_ready()) {
                Some(i) => {
                    let old = p.remove(i);
                    let _ = old.conn.close_now();
                }
                None => return,
            }
        }
        p.push(c);
    });
}

/// The address to dial and the name to verify.
fn target(u: &Url) -> Result<(String, String), Error> {
    let host = u.hostname().to_string();
    if host.is_empty() {
        return Err(Error::other("http: no Host in request URL"));
    }
    let port = match (u.port(), u.scheme.as_str()) {
        ("", "https") => "443",
        ("", _) => "80",
        (p, _) => p,
    };
    Ok((net::join_host_port(&host, port), host))
}

async fn connect(u: &Url, route: &RelayRoute, key: String, deadline: Option<SystemTime>) -> Result<Pooled, Error> {
    let (addr, host) = target(u)?;
    let timeout = match deadline {
        Some(d) => Some(d.duration_since(SystemTime::now()).map_err(|_| Error::Timeout)?),
        None => None,
    };
    // The client speaks first (a ClientHello, a request line): no wait for
    // the relay's word on the new stream.
    let conn = Rc::new(net::Dialer { timeout }.dial_speaking_first("tcp", &addr).await?);
    conn.set_deadline(deadline)?;
    let stream = if u.scheme == "https" {
        let config = tls::Config {
            next_protos: vec!["http/1.1".into()],
            root_cas: route.roots.clone(),
            ..tls::Config::default()
        };
        let session = tls::client_shared(conn.clone(), &host, &config)
            .await
            .map_err(|e| net::dial_error(e, "tcp", &addr))?;
        Stream::Tls(Box::new(session))
    } else {
        Stream::Plain(Shared::new(conn.clone()))
    };
    let (sender, connection) = http1::handshake(Io(stream)).await.map_err(|e| cause(&e))?;
    crate::task::spawn_local(async move {
        let _ = connection.await;
    });
    Ok(Pooled { key, sender, conn })
}

/// The crate's error inside a hyper error (a Conn's timeout, a TLS
/// failure), or hyper's own text.
fn cause(e: &hyper::Error) -> Error {
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = src {
        if let Some(net) = s.downcast_ref::<Error>() {
            return net.clone();
        }
        if let Some(known) = s.downcast_ref::<io::Error>().and_then(|io| tls::known_io_error(io, "")) {
            return known;
        }
        src = s.source();
    }
    if e.is_incomplete_message() {
        return Error::Eof;
    }
    Error::other(format!("net/http: {e}"))
}

/// A failure in Go's words for the phase it happened in: a passed deadline
/// is Go's Client.Timeout or context message, a cancelled context
/// `context canceled`.
fn in_phase(e: Error, ctx: &Option<Context>, kind: DeadlineKind, body: bool) -> Error {
    if ctx.as_ref().is_some_and(Context::is_canceled) {
        return Error::ContextCanceled;
    }
    if e.is_timeout() {
        let message = match (kind, body) {
            (DeadlineKind::Client, false) => "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
            (DeadlineKind::Client, true) => {
                "context deadline exceeded (Client.Timeout or context cancellation while reading body)"
            }
            _ => "context deadline exceeded",
        };
        return Error::Deadline { message: message.into() };
    }
    e
}

/// One exchange on a pooled or new connection.
async fn exchange(
    req: &Request,
    body: ReqBody,
    route: &RelayRoute,
    deadline: Option<SystemTime>,
    kind: DeadlineKind,
) -> Result<(http::response::Parts, RelayBody), Error> {
    let u = &req.url;
    let key = format!("{}://{}", u.scheme, u.host);
    let ctx = req.context.clone();
    let (mut c, fresh) = match take_idle(&key) {
        Some(c) => {
            c.conn.set_deadline(deadline)?;
            (c, false)
        }
        None => (connect(u, route, key, deadline).await?, true),
    };
    if let Some(x) = &ctx {
        x.watch_conn(&c.conn);
        if x.is_canceled() {
            return Err(Error::ContextCanceled);
        }
    }
    let mut b = http::Request::builder().method(req.method.as_str()).uri(u.request_uri());
    let host = if req.host.is_empty() { &u.host } else { &req.host };
    b = b.header(http::header::HOST, host.as_str());
    if !req.header.has("User-Agent") {
        b = b.header(http::header::USER_AGENT, "Go-http-client/1.1");
    }
    for (k, v) in req.header.pairs() {
        // Go writes these from the request itself, not from its Header.
        if k.eq_ignore_ascii_case("host") || k.eq_ignore_ascii_case("content-length") || k.eq_ignore_ascii_case("transfer-encoding") {
            continue;
        }
        b = b.header(k, v);
    }
    if let (ReqBody::Reader(..), n) = (&body, req.content_length) {
        if n > 0 {
            b = b.header(http::header::CONTENT_LENGTH, n.to_string());
        }
    }
    let hreq = b.body(body).map_err(|e| Error::other(format!("net/http: invalid request: {e}")))?;
    let resp = c.sender.send_request(hreq).await.map_err(|e| match fresh {
        // A plain connection's refusal comes as the first read's error.
        true => net::dial_error(cause(&e), "tcp", &target(u).map(|t| t.0).unwrap_or_default()),
        false => cause(&e),
    });
    let conn = c.conn.clone();
    give_back(c);
    let resp = resp?;
    let (parts, incoming) = resp.into_parts();
    Ok((parts, RelayBody::new(incoming, conn, ctx, kind)))
}

/// Go's `Client.Do` through the relay: follows redirects (Go's rules: 301,
/// 302 and 303 turn into a GET without a body, 307 and 308 repeat the
/// method and a body that can be sent again), each hop routed and dialled
/// under the policy again.
pub(crate) async fn send(
    transport: &super::Transport,
    mut req: Request,
    route: RelayRoute,
    deadline: Option<SystemTime>,
    kind: DeadlineKind,
    follow: bool,
) -> Result<super::Response, Error> {
    let mut route = route;
    for hop in 0..=MAX_REDIRECTS {
        let scheme = req.url.scheme.as_str();
        if scheme != "http" && scheme != "https" {
            return Err(Error::other(format!("unsupported protocol scheme {scheme:?}")));
        }
        let replay = match &req.body {
            Body::Bytes(b) => Some(b.clone()),
            Body::Empty => Some(Vec::new()),
            Body::Reader(_) => None,
        };
        let body = match std::mem::take(&mut req.body) {
            Body::Empty => ReqBody::Empty,
            Body::Bytes(b) => ReqBody::Bytes(Some(Bytes::from(b))),
            Body::Reader(r) => ReqBody::Reader(r, vec![0u8; 64 * 1024].into_boxed_slice()),
        };
        let ctx = req.context.clone();
        let (parts, body) = exchange(&req, body, &route, deadline, kind)
            .await
            .map_err(|e| in_phase(e, &ctx, kind, false))?;
        if req.whole_body && route.max_response_bytes > 0.0 {
            body.limit.set(route.max_response_bytes as u64);
        }
        let code = parts.status.as_u16();
        let location = parts.headers.get(http::header::LOCATION).and_then(|v| v.to_str().ok()).map(str::to_string);
        let redirect = matches!(code, 301 | 302 | 303 | 307 | 308) && location.is_some();
        let repeatable = !matches!(code, 307 | 308) || replay.is_some();
        if !follow || !redirect || !repeatable {
            return Ok(response(req, parts, body, hop > 0));
        }
        if hop == MAX_REDIRECTS {
            return Err(Error::other("stopped after 10 redirects"));
        }
        drop(body); // the connection goes (hyper does not drain an unread body)
        let next = req.url.parse_reference(location.as_deref().unwrap_or(""))?;
        let same_host = next.hostname().eq_ignore_ascii_case(req.url.hostname());
        if matches!(code, 307 | 308) {
            req.body = Body::Bytes(replay.unwrap_or_default());
        } else {
            if req.method != "GET" && req.method != "HEAD" {
                req.method = "GET".into();
            }
            req.body = Body::Empty;
            req.content_length = 0;
            req.header.del("Content-Type");
        }
        if !same_host {
            // Go's shouldCopyHeaderOnRedirect: credentials stay with their host.
            for h in ["Authorization", "Www-Authenticate", "Cookie", "Cookie2"] {
                req.header.del(h);
            }
        }
        req.host = String::new();
        req.url = next;
        match transport.route_for(&req.url)? {
            Some(r) => route = r,
            // A hop the page routes to fetch goes there (and fetch follows the rest).
            None => return transport.fetch(req, deadline).await,
        }
    }
    Err(Error::other("stopped after 10 redirects"))
}

fn response(req: Request, parts: http::response::Parts, body: RelayBody, redirected: bool) -> super::Response {
    let header: Header = parts
        .headers
        .iter()
        .map(|(k, v)| (super::canonical_header_key(k.as_str()), String::from_utf8_lossy(v.as_bytes()).into_owned()))
        .collect();
    let content_length = header.get("Content-Length").trim().parse::<i64>().ok().filter(|n| *n >= 0).unwrap_or(-1);
    let code = parts.status.as_u16();
    let (major, minor) = if parts.version == http::Version::HTTP_10 { (1, 0) } else { (1, 1) };
    super::Response {
        status: format!("{code} {}", status_text(code)),
        status_code: code,
        proto: format!("HTTP/{major}.{minor}"),
        proto_major: major,
        proto_minor: minor,
        header,
        body: super::ResponseBody::relay(body),
        content_length,
        uncompressed: false,
        request: Request {
            host: req.url.host.clone(),
            body: Body::Empty,
            content_length: 0,
            ..req
        },
        redirected,
    }
}

/// A response body read from hyper's stream as it arrives.
pub(crate) struct RelayBody {
    incoming: RefCell<Option<Incoming>>,
    /// What the last frame left unread.
    chunk: RefCell<Bytes>,
    end: RefCell<Option<Error>>,
    conn: Rc<Conn>,
    ctx: Option<Context>,
    kind: DeadlineKind,
    /// A whole-body read's bound (0: none), and what was read so far.
    pub(crate) limit: Cell<u64>,
    read: Cell<u64>,
}

impl RelayBody {
    fn new(incoming: Incoming, conn: Rc<Conn>, ctx: Option<Context>, kind: DeadlineKind) -> RelayBody {
        RelayBody {
            incoming: RefCell::new(Some(incoming)),
            chunk: RefCell::new(Bytes::new()),
            end: RefCell::new(None),
            conn,
            ctx,
            kind,
            limit: Cell::new(0),
            read: Cell::new(0),
        }
    }

    fn finish(&self, e: Error) -> Error {
        *self.end.borrow_mut() = Some(e.clone());
        self.incoming.borrow_mut().take();
        if e == Error::Eof {
            // Idle in the pool now: no deadline may cut it there.
            let _ = self.conn.set_deadline(None);
        }
        if let Some(c) = &self.ctx {
            c.unwatch_conn(&self.conn);
        }
        e
    }

    /// Fills `chunk` from the next frame; Ready(Err) once the body has ended.
    fn poll_chunk(&self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Error>> {
        loop {
            if !self.chunk.borrow().is_empty() {
                return Poll::Ready(Ok(()));
            }
            if let Some(e) = &*self.end.borrow() {
                return Poll::Ready(Err(e.clone()));
            }
            let polled = {
                let mut inc = self.incoming.borrow_mut();
                match inc.as_mut() {
                    Some(i) => Pin::new(i).poll_frame(cx),
                    None => Poll::Ready(None),
                }
            };
            match std::task::ready!(polled) {
                None => return Poll::Ready(Err(self.finish(Error::Eof))),
                Some(Err(e)) => {
                    let e = in_phase(cause(&e), &self.ctx, self.kind, true);
                    return Poll::Ready(Err(self.finish(e)));
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        let total = self.read.get() + data.len() as u64;
                        self.read.set(total);
                        if self.limit.get() > 0 && total > self.limit.get() {
                            return Poll::Ready(Err(self.finish(Error::other(format!(
                                "net/http: response body larger than {} bytes, the most a whole-body read may hold \
                                 (http.maxResponseBytes); read it as a stream (nativeHttpsRequestStream)",
                                self.limit.get()
                            )))));
                        }
                        *self.chunk.borrow_mut() = data;
                    }
                }
            }
        }
    }

    fn take(&self, n: usize) -> Bytes {
        let mut c = self.chunk.borrow_mut();
        let n = n.min(c.len());
        c.split_to(n)
    }

    pub(crate) fn poll_read(&self, cx: &mut TaskContext<'_>, buf: &mut [u8]) -> Poll<Result<usize, Error>> {
        std::task::ready!(self.poll_chunk(cx))?;
        let b = self.take(buf.len());
        buf[..b.len()].copy_from_slice(&b);
        Poll::Ready(Ok(b.len()))
    }

    /// One attempt without waiting: `Some(n)`, or `None` when nothing is here yet.
    pub(crate) fn try_read(&self, dest: &Uint8Array) -> Result<Option<usize>, Error> {
        let mut cx = TaskContext::from_waker(std::task::Waker::noop());
        match self.poll_chunk(&mut cx) {
            Poll::Pending => Ok(None),
            Poll::Ready(Err(e)) => Err(e),
            Poll::Ready(Ok(())) => {
                let b = self.take(dest.length() as usize);
                dest.subarray(0, b.len() as u32).copy_from(&b);
                Ok(Some(b.len()))
            }
        }
    }

    pub(crate) async fn ready(&self) {
        let _ = std::future::poll_fn(|cx| self.poll_chunk(cx)).await;
    }

    pub(crate) fn close(&self) {
        if self.end.borrow().is_none() {
            self.finish(Error::other("http: read on closed response body"));
        }
    }
}

impl Drop for RelayBody {
    fn drop(&mut self) {
        if let Some(c) = &self.ctx {
            c.unwatch_conn(&self.conn);
        }
    }
}
