//! Go's `http.Client`, `Transport` and `Response` over the browser's fetch
//! (the request table is in js/http.ts). Every wait can be dropped: a
//! dropped request is aborted, a dropped read forgotten by the table, a
//! dropped body released.

use futures_io::AsyncRead;
use std::cell::{Cell, RefCell};
use std::io;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use js_sys::Uint8Array;
use serde::{Deserialize, Serialize};
use web_time::SystemTime;

use super::context::Context;
use super::header::Header;
use super::request::{new_request, Body, Request};
use super::status::status_text;
use super::url::{self, Values};
use crate::host::bindings as js;
use crate::net::{Error, UrlError};
use crate::host::pending::{self, Pending};
use crate::host::wake::Ready;
use crate::host::read;

/// What js/http.ts `HttpRequestSpec` expects.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Spec<'a> {
    method: &'a str,
    url: String,
    headers: Vec<(&'a str, &'a str)>,
    body: &'static str,
    deadline: f64,
    deadline_kind: &'static str,
    whole: bool,
}

/// What js/http.ts `HttpResponseHead` carries.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Head {
    status: u16,
    url: String,
    redirected: bool,
    r#type: String,
    headers: Vec<(String, String)>,
}

/// Go's `http.Transport`: one fetch per request, or (feature `tls`) an
/// exchange the crate makes itself through the relay. Its knobs (streamed
/// uploads, the failure probe, which hosts go through the relay, extra
/// roots) are the host's: `registerNetBindings({http})`.
#[derive(Debug, Clone, Default)]
pub struct Transport {
    /// Which way each request goes.
    pub route: Route,
}

/// Which way a request goes: fetch (CORS decides what a page may read), or
/// the relay (any host the policy allows; TLS inside the page).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Route {
    /// As the page says: the hosts in `http.relayHosts` through the relay,
    /// every other through fetch.
    #[default]
    Page,
    /// Always fetch.
    Fetch,
    /// Always the relay (feature `tls`; a relay must be configured). Roots
    /// besides webpki-roots are the page's `http.tlsRoots`.
    Relay,
}

/// What js/http.ts `HttpRoute` answers: null (fetch) or the relay's settings.
#[cfg(not(feature = "tls"))]
pub(crate) enum RelayRoute {}

#[cfg(feature = "tls")]
use super::relay::{self, DeadlineKind, RelayRoute};

/// Go's `http.Client`. `timeout` covers the whole exchange, reading the
/// body included; a request's context adds cancellation and its own
/// deadline (the earlier one wins).
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// Go's `Client.Timeout`: the whole exchange, including reading the body (`None`: no limit).
    pub timeout: Option<Duration>,
    /// How requests are made (Go's `Client.Transport`).
    pub transport: Transport,
}

/// Go's `http.Response`.
#[derive(Debug)]
pub struct Response {
    /// "200 OK": the code and Go's `StatusText` (HTTP/2 has no reason phrase,
    /// so the browser's is not used).
    pub status: String,
    /// Go's `StatusCode`: 200, 404, ...
    pub status_code: u16,
    /// fetch does not reveal the protocol: always "HTTP/1.1".
    pub proto: String,
    /// Go's `ProtoMajor` (1 for every fetch response: the browser does not say).
    pub proto_major: u8,
    /// Go's `ProtoMinor`.
    pub proto_minor: u8,
    /// The response headers the browser exposes (CORS limits them across origins).
    pub header: Header,
    /// The body, streamed: read it to the end or drop it to release the request.
    pub body: ResponseBody,
    /// From Content-Length; -1 when unknown or when the browser decoded a
    /// Content-Encoding (the length would be the encoded one).
    pub content_length: i64,
    /// The browser removed a Content-Encoding (gzip, br, ...).
    pub uncompressed: bool,
    /// The request as it ended: its URL is the final one, after redirects.
    pub request: Request,
    /// The browser followed at least one redirect.
    pub redirected: bool,
}

/// Go's `urlErrorOp`: "GET" -> "Get".
fn url_error_op(method: &str) -> String {
    let mut c = method.chars();
    match c.next() {
        None => "Get".into(),
        Some(first) => first.to_string() + &c.as_str().to_ascii_lowercase(),
    }
}

fn epoch_ms(t: SystemTime) -> f64 {
    t.duration_since(web_time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// Releases a request handle unless disarmed (the response body took it).
struct Guard {
    handle: u32,
    ctx: Option<Context>,
    armed: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if self.armed {
            let _ = js::http_release(self.handle);
            if let Some(c) = &self.ctx {
                c.unwatch(self.handle);
            }
        }
    }
}

impl Transport {
    /// Go's `RoundTrip`: errors are not wrapped in a `url.Error`, and
    /// redirects are not followed.
    pub async fn round_trip(&self, req: Request) -> Result<Response, Error> {
        self.send(req, None, false).await
    }

    /// The relay's settings when `url` goes through it; `None`: fetch.
    pub(crate) fn route_for(&self, url: &url::Url) -> Result<Option<RelayRoute>, Error> {
        if self.route == Route::Fetch {
            return Ok(None);
        }
        let v = match js::http_route(&url.to_string(), self.route == Route::Relay) {
            Ok(v) => v,
            // Bindings older than the crate (no _netHttpRoute): they route
            // nothing through the relay.
            Err(_) if self.route == Route::Page => return Ok(None),
            Err(e) => return Err(e),
        };
        if v.is_null() || v.is_undefined() {
            return Ok(None);
        }
        #[cfg(not(feature = "tls"))]
        return Err(Error::unsupported(format!(
            "net/http: the page sends requests for {:?} through the relay (http.relayHosts), \
             but this build has no TLS inside the page (the crate's feature tls; go-net-wasm/tls)",
            url.hostname()
        )));
        #[cfg(feature = "tls")]
        serde_wasm_bindgen::from_value(v)
            .map(Some)
            .map_err(|e| Error::other(format!("bad _netHttpRoute result: {e}")))
    }

    /// One request, by the way its URL is routed.
    #[cfg_attr(not(feature = "tls"), allow(unused_variables))]
    async fn send(&self, req: Request, client_deadline: Option<SystemTime>, follow: bool) -> Result<Response, Error> {
        match self.route_for(&req.url)? {
            None => self.fetch(req, client_deadline).await,
            #[cfg(feature = "tls")]
            Some(route) => {
                let (deadline, kind) = effective_deadline(client_deadline, req.context.as_ref());
                let kind = if kind == "client" { DeadlineKind::Client } else { DeadlineKind::Context };
                if req.context.as_ref().is_some_and(Context::is_canceled) {
                    return Err(Error::ContextCanceled);
                }
                relay::send(self, req, route, deadline, kind, follow).await
            }
            #[cfg(not(feature = "tls"))]
            Some(r) => match r {},
        }
    }

    pub(crate) async fn fetch(
        &self,
        mut req: Request,
        client_deadline: Option<SystemTime>,
    ) -> Result<Response, Error> {
        let scheme = req.url.scheme.as_str();
        if scheme != "http" && scheme != "https" {
            return Err(Error::other(format!(
                "unsupported protocol scheme {scheme:?}"
            )));
        }
        if req.url.host.is_empty() {
            return Err(Error::other("http: no Host in request URL"));
        }
        if !req.host.is_empty() && req.host != req.url.host {
            return Err(Error::other(format!(
                "net/http: the browser sets Host from the URL; Request.host {:?} cannot be sent",
                req.host
            )));
        }
        let ctx = req.context.clone();
        if ctx.as_ref().is_some_and(Context::is_canceled) {
            return Err(Error::ContextCanceled);
        }
        let (deadline, kind) = effective_deadline(client_deadline, ctx.as_ref());
        if kind == "context" && deadline.is_some_and(|d| d <= SystemTime::now()) {
            return Err(Error::Deadline {
                message: "context deadline exceeded".into(),
            });
        }
        let body = std::mem::take(&mut req.body);
        let spec = Spec {
            method: &req.method,
            url: req.url.to_string(),
            headers: req.header.pairs().collect(),
            body: match body {
                Body::Empty => "none",
                Body::Bytes(_) => "bytes",
                Body::Reader(_) => "stream",
            },
            deadline: deadline.map(epoch_ms).unwrap_or(0.0),
            deadline_kind: kind,
            whole: req.whole_body,
        };
        let spec_js = serde_wasm_bindgen::to_value(&spec)
            .map_err(|e| Error::other(format!("request spec: {e}")))?;
        let bytes: &[u8] = match &body {
            Body::Bytes(b) => b,
            _ => &[],
        };
        let handle = js::http_fetch(&spec_js, bytes)?;
        let mut guard = Guard {
            handle,
            ctx: ctx.clone(),
            armed: true,
        };
        if let Some(c) = &ctx {
            c.watch(handle);
        }
        if let Body::Reader(r) = body {
            upload(handle, r).await?;
        }
        let p = js::http_response(handle)?;
        let v = Pending::new(handle, p, js::http_forget)
            .await
            ?;
        let head: Head = serde_wasm_bindgen::from_value(v)
            .map_err(|e| Error::other(format!("bad _netHttpResponse result: {e}")))?;
        guard.armed = false;
        Ok(response(req, head, ResponseBody(BodyInner::Fetch(FetchBody::new(handle, ctx)))))
    }
}

/// The earlier of the client's and the context's deadlines, and which it is.
fn effective_deadline(client: Option<SystemTime>, ctx: Option<&Context>) -> (Option<SystemTime>, &'static str) {
    match (client, ctx.and_then(Context::deadline)) {
        (Some(c), Some(x)) if x < c => (Some(x), "context"),
        (Some(c), _) => (Some(c), "client"),
        (None, x) => (x, "context"),
    }
}

/// Streams a reader to the request table, waiting whenever it has no room.
async fn upload(handle: u32, mut r: Box<dyn futures_io::AsyncRead + Unpin>) -> Result<(), Error> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = std::future::poll_fn(|cx| Pin::new(&mut r).poll_read(cx, &mut buf))
            .await
            .map_err(|e| Error::other(format!("reading the request body: {e}")))?;
        if n == 0 {
            return js::http_upload_close(handle);
        }
        let v = js::http_upload_write(handle, &buf[..n])?;
        pending::settle(handle, v, js::http_forget)
            .await
            ?;
    }
}

fn response(req: Request, head: Head, body: ResponseBody) -> Response {
    let header: Header = head.headers.into_iter().collect();
    let encoding = header.get("Content-Encoding").trim().to_ascii_lowercase();
    let uncompressed = !encoding.is_empty() && encoding != "identity";
    let content_length = match header.get("Content-Length").trim().parse::<i64>() {
        Ok(n) if n >= 0 && !uncompressed => n,
        _ => -1,
    };
    let (status, code) = if head.r#type == "opaqueredirect" {
        // js.fetch:redirect "manual": the browser hides the redirect itself.
        ("0 Opaque Redirect".to_string(), 0)
    } else {
        (
            format!("{} {}", head.status, status_text(head.status)),
            head.status,
        )
    };
    let final_url = url::parse(&head.url).unwrap_or_else(|_| req.url.clone());
    Response {
        status,
        status_code: code,
        proto: "HTTP/1.1".into(),
        proto_major: 1,
        proto_minor: 1,
        header,
        body,
        content_length,
        uncompressed,
        request: Request {
            method: req.method,
            host: final_url.host.clone(),
            url: final_url,
            header: req.header,
            body: Body::Empty,
            content_length: 0,
            context: req.context,
            whole_body: req.whole_body,
        },
        redirected: head.redirected,
    }
}

impl Client {
    /// A client with no timeout and the default transport (Go's `&http.Client{}`).
    pub fn new() -> Client {
        Client::default()
    }

    /// A client whose `timeout` covers each whole exchange.
    pub fn with_timeout(timeout: Duration) -> Client {
        Client {
            timeout: Some(timeout),
            ..Client::default()
        }
    }

    /// Go's `Client.Do`: errors are Go's `url.Error` (`Get "URL": ...`).
    pub async fn r#do(&self, req: Request) -> Result<Response, Error> {
        let op = url_error_op(&req.method);
        let url = req.url.to_string();
        let deadline = self.timeout.map(|t| SystemTime::now() + t);
        self.transport.send(req, deadline, true).await.map_err(|err| {
            Error::Url(UrlError {
                op,
                url,
                err: Box::new(err),
            })
        })
    }

    async fn send(
        &self,
        method: &str,
        url: &str,
        body: Body,
        content_type: Option<&str>,
    ) -> Result<Response, Error> {
        let mut req = new_request(method, url, body)?;
        if let Some(ct) = content_type {
            req.header.set("Content-Type", ct);
        }
        self.r#do(req).await
    }

    /// Go's `Client.Get`.
    pub async fn get(&self, url: &str) -> Result<Response, Error> {
        self.send("GET", url, Body::Empty, None).await
    }

    /// Go's `Client.Head`.
    pub async fn head(&self, url: &str) -> Result<Response, Error> {
        self.send("HEAD", url, Body::Empty, None).await
    }

    /// Go's `Client.Post`.
    pub async fn post(
        &self,
        url: &str,
        content_type: &str,
        body: impl Into<Body>,
    ) -> Result<Response, Error> {
        self.send("POST", url, body.into(), Some(content_type))
            .await
    }

    /// Go's `Client.PostForm`: the values URL-encoded.
    pub async fn post_form(&self, url: &str, data: &Values) -> Result<Response, Error> {
        self.send(
            "POST",
            url,
            data.encode().into(),
            Some("application/x-www-form-urlencoded"),
        )
        .await
    }
}

/// Go's `http.Get` on the default client (no timeout, as Go's).
pub async fn get(url: &str) -> Result<Response, Error> {
    Client::default().get(url).await
}

/// Go's `http.Head` on the default client.
pub async fn head(url: &str) -> Result<Response, Error> {
    Client::default().head(url).await
}

/// Go's `http.Post` on the default client.
pub async fn post(url: &str, content_type: &str, body: impl Into<Body>) -> Result<Response, Error> {
    Client::default().post(url, content_type, body).await
}

/// Go's `http.PostForm` on the default client.
pub async fn post_form(url: &str, data: &Values) -> Result<Response, Error> {
    Client::default().post_form(url, data).await
}

/// How many requests the JS table holds (for leak checks): each lives from
/// the request until its body is closed, dropped, or read to the end.
pub fn open_request_count() -> Result<u32, Error> {
    js::http_count()
}

/// A response body, streamed as it is read (from fetch's ReadableStream,
/// or from the relay's connection). `read` returns `Err(Error::Eof)` at the
/// end (Go's io.EOF); `AsyncRead` returns `Ok(0)`. Reading after `close`
/// is Go's `http: read on closed response body`. Dropping the body cancels
/// the rest of the download.
pub struct ResponseBody(BodyInner);

enum BodyInner {
    Fetch(FetchBody),
    #[cfg(feature = "tls")]
    Relay(RelayBodyState),
}

#[cfg(feature = "tls")]
struct RelayBodyState {
    body: relay::RelayBody,
    closed: Cell<bool>,
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            BodyInner::Fetch(b) => f
                .debug_struct("ResponseBody")
                .field("handle", &b.handle)
                .field("closed", &b.closed.get())
                .finish(),
            #[cfg(feature = "tls")]
            BodyInner::Relay(r) => f.debug_struct("ResponseBody").field("relay", &true).field("closed", &r.closed.get()).finish(),
        }
    }
}

#[cfg(feature = "tls")]
impl RelayBodyState {
    fn check(&self) -> Result<(), Error> {
        if self.closed.get() {
            return Err(Error::other("http: read on closed response body"));
        }
        Ok(())
    }
}

impl ResponseBody {
    #[cfg(feature = "tls")]
    pub(crate) fn relay(body: relay::RelayBody) -> ResponseBody {
        ResponseBody(BodyInner::Relay(RelayBodyState { body, closed: Cell::new(false) }))
    }

    /// Reads up to `buf.len()` bytes as they arrive.
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize, Error> {
        match &self.0 {
            BodyInner::Fetch(b) => b.read(buf).await,
            #[cfg(feature = "tls")]
            BodyInner::Relay(r) => {
                if buf.is_empty() {
                    return Ok(0);
                }
                r.check()?;
                std::future::poll_fn(|cx| r.body.poll_read(cx, buf)).await
            }
        }
    }

    /// One read attempt into `dest` (a view of the caller's memory, or a JS
    /// VM's array): `Some(n)`, or `None` when nothing is queued (wait with
    /// [`ResponseBody::ready`]). For hosts that drive reads themselves.
    pub fn try_read(&self, dest: &Uint8Array) -> Result<Option<usize>, Error> {
        match &self.0 {
            BodyInner::Fetch(b) => b.try_read(dest),
            #[cfg(feature = "tls")]
            BodyInner::Relay(r) => {
                r.check()?;
                r.body.try_read(dest)
            }
        }
    }

    /// Resolves when a read would not find the queue empty.
    pub async fn ready(&self) -> Result<(), Error> {
        match &self.0 {
            BodyInner::Fetch(b) => b.ready().await,
            #[cfg(feature = "tls")]
            BodyInner::Relay(r) => {
                r.check()?;
                r.body.ready().await;
                Ok(())
            }
        }
    }

    /// Go's `io.ReadAll`: the rest of the body. Each byte is copied once,
    /// from the stream's chunk into the returned Vec.
    pub async fn bytes(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        loop {
            if out.capacity() - out.len() < 16 * 1024 {
                out.reserve((out.len()).clamp(64 * 1024, 8 << 20));
            }
            let at = out.len();
            out.resize(out.capacity(), 0);
            match self.read(&mut out[at..]).await {
                Ok(n) => out.truncate(at + n),
                Err(Error::Eof) => {
                    out.truncate(at);
                    return Ok(out);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The rest of the body as UTF-8 (invalid sequences replaced).
    pub async fn text(&self) -> Result<String, Error> {
        Ok(String::from_utf8_lossy(&self.bytes().await?).into_owned())
    }

    /// Go's `Body.Close`: cancels the rest of the download. Idempotent.
    pub fn close(&self) -> Result<(), Error> {
        match &self.0 {
            BodyInner::Fetch(b) => b.close(),
            #[cfg(feature = "tls")]
            BodyInner::Relay(r) => {
                r.closed.set(true);
                r.body.close();
                Ok(())
            }
        }
    }
}

impl futures_io::AsyncRead for ResponseBody {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        match &self.0 {
            BodyInner::Fetch(b) => b.poll_read(cx, buf),
            #[cfg(feature = "tls")]
            BodyInner::Relay(r) => {
                if buf.is_empty() {
                    return Poll::Ready(Ok(0));
                }
                if let Err(e) = r.check() {
                    return Poll::Ready(Err(e.into()));
                }
                Poll::Ready(match std::task::ready!(r.body.poll_read(cx, buf)) {
                    Ok(n) => Ok(n),
                    Err(Error::Eof) => Ok(0),
                    Err(e) => Err(e.into()),
                })
            }
        }
    }
}

/// A body streamed from fetch's ReadableStream through the request table.
/// Reads go through the one read path (`crate::host::read`): each byte is copied
/// once, from the stream's chunk into the caller's buffer.
struct FetchBody {
    handle: u32,
    ctx: Option<Context>,
    closed: Cell<bool>,
    /// The table has let go of the request (EOF, error or close).
    released: Cell<bool>,
    /// How the body ended (EOF or an error), once it has.
    end: RefCell<Option<Error>>,
    poll_read: RefCell<Option<Ready>>,
}

impl FetchBody {
    fn new(handle: u32, ctx: Option<Context>) -> FetchBody {
        FetchBody {
            handle,
            ctx,
            closed: Cell::new(false),
            released: Cell::new(false),
            end: RefCell::new(None),
            poll_read: RefCell::new(None),
        }
    }

    fn release(&self) {
        if !self.released.replace(true) {
            let _ = js::http_release(self.handle);
            if let Some(c) = &self.ctx {
                c.unwatch(self.handle);
            }
        }
    }

    /// Why a read cannot go to the table: closed, or already ended.
    fn check(&self) -> Result<(), Error> {
        if self.closed.get() {
            return Err(Error::other("http: read on closed response body"));
        }
        match &*self.end.borrow() {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// Maps what the table threw; the end (EOF or an error) releases the
    /// request and is remembered for later reads.
    fn ended(&self, e: Error) -> Error {
        let e = match e {
            // The table lets go of a request once released.
            Error::Closed => Error::other("http: read on closed response body"),
            e => e,
        };
        *self.end.borrow_mut() = Some(e.clone());
        self.release();
        e
    }

    /// Reads up to `buf.len()` bytes as they arrive.
    pub async fn read(&self, buf: &mut [u8]) -> Result<usize, Error> {
        if buf.is_empty() {
            return Ok(0);
        }
        self.check()?;
        read::HTTP
            .read(self.handle, buf)
            .await
            .map_err(|e| self.ended(e))
    }

    /// One read attempt into `dest` (a view of the caller's memory, or a JS
    /// VM's array): `Some(n)`, or `None` when nothing is queued (wait with
    /// [`ResponseBody::ready`]). For hosts that drive reads themselves.
    pub fn try_read(&self, dest: &Uint8Array) -> Result<Option<usize>, Error> {
        self.check()?;
        read::HTTP
            .try_read(self.handle, dest)
            .map_err(|e| self.ended(e))
    }

    /// Resolves when a read would not find the queue empty.
    pub async fn ready(&self) -> Result<(), Error> {
        self.check()?;
        read::HTTP.ready(self.handle).map_err(|e| self.ended(e))?.await;
        Ok(())
    }

    /// Go's `Body.Close`: cancels the rest of the download. Idempotent.
    pub fn close(&self) -> Result<(), Error> {
        self.closed.set(true);
        self.poll_read.borrow_mut().take();
        self.release();
        Ok(())
    }
}

impl Drop for FetchBody {
    fn drop(&mut self) {
        self.poll_read.get_mut().take();
        self.release();
    }
}

impl FetchBody {
    fn poll_read(&self, cx: &mut TaskContext<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        let this = self;
        if buf.is_empty() {
            return Poll::Ready(Ok(0));
        }
        match this.check() {
            Err(Error::Eof) => return Poll::Ready(Ok(0)),
            Err(e) => return Poll::Ready(Err(e.into())),
            Ok(()) => {}
        }
        let r = std::task::ready!(read::HTTP.poll_read(&this.poll_read, this.handle, cx, buf));
        Poll::Ready(match r.map_err(|e| this.ended(e)) {
            Ok(n) => Ok(n),
            Err(Error::Eof) => Ok(0),
            Err(e) => Err(e.into()),
        })
    }
}
