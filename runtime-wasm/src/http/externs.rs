//! The `net/http` externs Vo's standard library declares, with Vo's
//! request-id lifecycle: `nativeNewClientRequest` gives an id,
//! `nativeHttpsRequest(id, ...)` performs it (the body read whole),
//! `nativeCancelClientRequest(id)` is the request context's cancel (from
//! any goroutine: it aborts the fetch in flight, or makes a request not yet
//! started fail at once), and `nativeReleaseClientRequest(id)` frees
//! everything, also for an id that never reached fetch.
//!
//! Three additions a VM may adopt to stream bodies instead of reading them
//! whole: `nativeHttpsRequestStream` (the body stays with the id),
//! `blocking_responseBodyRead` (the same read path as a Conn's: into the
//! guest's buffer) and `responseBodyClose`.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

#[cfg(not(target_arch = "wasm32"))]
use super::native::{Client, Response, ResponseBody};
use super::{new_request, parse_header_lines, Body, Context};
#[cfg(target_arch = "wasm32")]
use super::{Client, Response, ResponseBody};
use crate::externs::Kind::{self, Bytes, Int, Int64, Str, Strings};
use crate::externs::{
    failed_results, register_table, results, Args, Declared, Extern, ExternRegistry, RegisterError, Step, Value,
    ERROR,
};
#[cfg(target_arch = "wasm32")]
use crate::externs::Resume;
use crate::net::Error;

/// This crate's additions to Vo's declarations (streamed bodies); Vo's
/// stdlib declares the rest.
pub const ADDITIONS: &[&str] = &["nativeHttpsRequestStream", "blocking_responseBodyRead", "responseBodyClose"];

/// Request ids held at once, at most (each costs a table entry until
/// released; a guest that never releases hits this instead of the heap).
pub const MAX_REQUESTS: usize = 4096;

#[derive(Default)]
struct Slot {
    ctx: Context,
    /// `nativeHttpsRequest` ran (an id performs once).
    started: bool,
    /// The streamed body, after `nativeHttpsRequestStream`.
    body: Option<Rc<ResponseBody>>,
}

thread_local! {
    static REQUESTS: RefCell<HashMap<i64, Slot>> = RefCell::new(HashMap::new());
    static NEXT: Cell<i64> = const { Cell::new(1) };
}

/// Request ids the VM holds (for leak checks: 0 once every one is released).
pub fn extern_request_count() -> usize {
    REQUESTS.with(|t| t.borrow().len())
}

fn unknown(id: i64) -> Error {
    Error::other(format!(
        "net/http: unknown request id {id} (released, or never created)"
    ))
}

fn new_id() -> Vec<Value> {
    let id = REQUESTS.with(|t| {
        let mut t = t.borrow_mut();
        if t.len() >= MAX_REQUESTS {
            return None;
        }
        let id = NEXT.with(|n| n.replace(n.get() + 1));
        t.insert(id, Slot::default());
        Some(id)
    });
    match id {
        Some(id) => vec![Value::Int(id), Value::Nil],
        None => vec![
            Value::Int(0),
            Value::Error(Error::other(format!(
                "net/http: {MAX_REQUESTS} requests are held; release some (nativeReleaseClientRequest)"
            ))),
        ],
    }
}

/// What one `nativeHttpsRequest` call asks for.
struct Ask {
    id: i64,
    method: String,
    url: String,
    lines: Vec<String>,
    body: Vec<u8>,
    timeout_ns: i64,
    whole: bool,
}

fn ask(a: &Args<'_, '_>, whole: bool) -> Ask {
    Ask {
        id: a.int(0),
        method: a.str(1).to_string(),
        url: a.str(2).to_string(),
        lines: a.strings(3),
        body: a.data(4).to_vec(),
        timeout_ns: a.int(5),
        whole,
    }
}

/// Sends the request of id `ask.id` (once).
async fn perform(ask: Ask) -> Result<Response, Error> {
    let ctx = REQUESTS.with(|t| {
        let mut t = t.borrow_mut();
        let slot = t.get_mut(&ask.id).ok_or_else(|| unknown(ask.id))?;
        if std::mem::replace(&mut slot.started, true) {
            return Err(Error::other(format!(
                "net/http: request id {} was already performed",
                ask.id
            )));
        }
        Ok(slot.ctx.clone())
    })?;
    let body = if ask.body.is_empty() {
        Body::Empty
    } else {
        Body::Bytes(ask.body)
    };
    let method = if ask.method.is_empty() { "GET" } else { &ask.method };
    let body_len = match &body {
        Body::Bytes(b) => b.len(),
        _ => 0,
    };
    let mut req = new_request(method, &ask.url, body)?;
    parse_header_lines(&mut req.header, &ask.lines)?;
    transport_headers(&mut req, body_len)?;
    // The whole body will be held: the host's maxResponseBytes applies.
    req.whole_body = ask.whole;
    let client = if ask.timeout_ns > 0 {
        Client::with_timeout(Duration::from_nanos(ask.timeout_ns as u64))
    } else {
        Client::new()
    };
    client.r#do(req.with_context(&ctx)).await
}

/// The header lines a Go-style client writes for the transport (Vo's
/// http.vo always sends `Content-Length: N` for a body, and `Host:` when it
/// differs from the URL's): Go's transport takes them from the request, not
/// the header map, and so does this one. A Content-Length that is the
/// body's is dropped (fetch sends its own); another one is Go's error. A
/// Host becomes `Request.host`, which the client sends only when it is the
/// URL's host (the browser sets Host) and otherwise refuses, saying so.
fn transport_headers(req: &mut super::Request, body_len: usize) -> Result<(), Error> {
    let lengths = req.header.values("Content-Length").to_vec();
    if !lengths.is_empty() {
        for v in &lengths {
            if v.trim().parse::<u64>().ok() != Some(body_len as u64) {
                return Err(Error::other(format!(
                    "http: ContentLength={} with Body length {body_len}",
                    v.trim()
                )));
            }
        }
        req.header.del("Content-Length");
    }
    let host = req.header.get("Host").to_string();
    if !host.is_empty() {
        req.host = host;
        req.header.del("Host");
    }
    Ok(())
}

/// Vo's http errors: Client.Timeout is `ErrRequestTimeout` itself (what
/// `getHttpErrors()` returns, and what http.vo tests for), so `errors.Is`
/// holds in the guest; anything else is Go's error as it is.
fn http_error(e: Error) -> Error {
    if matches!(e.root(), Error::Deadline { .. }) {
        return Error::RequestTimeout;
    }
    e
}

fn head_values(r: &Response) -> Vec<Value> {
    let lines = r.header.pairs().map(|(k, v)| format!("{k}: {v}"));
    vec![
        Value::Int(r.status_code.into()),
        Value::Str(r.status.clone()),
        Value::Str(r.proto.clone()),
        Value::strings(lines),
    ]
}

/// A failed request's results, with Vo's http error.
fn failed(kinds: &[Kind], e: Error) -> Vec<Value> {
    failed_results(kinds, http_error(e))
}

fn https_request(a: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    let ask = ask(a, true);
    results(async move {
        let resp = match perform(ask).await {
            Ok(r) => r,
            Err(e) => return failed(WHOLE, e),
        };
        match resp.body.bytes().await {
            Ok(body) => {
                let mut v = head_values(&resp);
                v.extend([Value::Bytes(body), Value::Nil]);
                v
            }
            Err(e) => failed(WHOLE, e),
        }
    })
}

fn https_request_stream(a: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    let ask = ask(a, false);
    let id = ask.id;
    results(async move {
        match perform(ask).await {
            Ok(resp) => {
                let mut v = head_values(&resp);
                v.extend([Value::Int(resp.content_length), Value::Nil]);
                let body = Rc::new(resp.body);
                REQUESTS.with(|t| {
                    if let Some(s) = t.borrow_mut().get_mut(&id) {
                        s.body = Some(body);
                    }
                });
                v
            }
            Err(e) => {
                // Content-Length -1 (unknown), as beside any response.
                let mut v = failed(STREAMED, e);
                v[4] = Value::Int(-1);
                v
            }
        }
    })
}

fn body_of(id: i64) -> Result<Rc<ResponseBody>, Error> {
    REQUESTS.with(|t| match t.borrow().get(&id) {
        None => Err(unknown(id)),
        Some(Slot { body: None, .. }) => Err(Error::other(format!(
            "net/http: request id {id} has no streamed body (call nativeHttpsRequestStream first)"
        ))),
        Some(Slot { body: Some(b), .. }) => Ok(b.clone()),
    })
}

/// Natively no streamed body exists (`nativeHttpsRequestStream` fails).
#[cfg(not(target_arch = "wasm32"))]
fn body_read(a: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    let e = body_of(a.int(0)).err().unwrap_or_else(|| unknown(a.int(0)));
    Step::Done(vec![Value::Int(0), Value::Error(e)])
}

/// The Conn read path, for a response body.
#[cfg(target_arch = "wasm32")]
fn body_read(a: &mut Args<'_, '_>, _: Option<u64>) -> Step {
    let fail = |e: Error| Step::Done(vec![Value::Int(0), Value::Error(http_error(e))]);
    let body = match body_of(a.int(0)) {
        Ok(b) => b,
        Err(e) => return fail(e),
    };
    let mut dest = a.dest(1);
    if dest.is_empty() {
        return Step::Done(vec![Value::Int(0), Value::Nil]);
    }
    match body.try_read(&dest.js()) {
        Ok(Some(n)) => Step::Done(vec![Value::Int(n as i64), Value::Nil]),
        Err(e) => fail(e),
        Ok(None) => Step::Wait(Box::pin(async move {
            let _ = body.ready().await;
            Resume::Retry(0)
        })),
    }
}

fn with_slot(id: i64, f: impl FnOnce(&mut Slot)) {
    REQUESTS.with(|t| {
        if let Some(s) = t.borrow_mut().get_mut(&id) {
            f(s)
        }
    })
}

const ID: &[(&str, Kind)] = &[("requestID", Int64)];
/// (statusCode, status, proto, headers, body, err).
const WHOLE: &[Kind] = &[Int, Str, Str, Strings, Bytes, ERROR];
/// (statusCode, status, proto, headers, contentLength, err).
const STREAMED: &[Kind] = &[Int, Str, Str, Strings, Int64, ERROR];
const REQUEST: &[(&str, Kind)] = &[
    ("requestID", Int64),
    ("method", Str),
    ("url", Str),
    ("headers", Strings),
    ("body", Bytes),
    ("timeoutNs", Int64),
];

/// Every `net/http` extern: Vo's five in declaration order, then the
/// streaming additions.
pub static EXTERNS: [Extern; 8] = [
    Extern::now("net/http", "getHttpErrors", "http.ErrRequestTimeout", &[], &[ERROR], |_| {
        vec![Value::Error(Error::RequestTimeout)]
    }),
    Extern::now("net/http", "nativeNewClientRequest", "http.Client.Do (a request id)", &[], &[Int64, ERROR], |_| new_id()),
    Extern::now("net/http", "nativeCancelClientRequest", "the request context's cancel", ID, &[], |a| {
        with_slot(a.int(0), |s| s.ctx.cancel());
        Vec::new()
    }),
    Extern::now("net/http", "nativeReleaseClientRequest", "end of http.Client.Do (frees the id)", ID, &[], |a| {
        // Cancelled first (a perform still running on another goroutine
        // stops), dropped outside the table's borrow (dropping a body
        // calls into JS).
        let slot = REQUESTS.with(|t| t.borrow_mut().remove(&a.int(0)));
        if let Some(s) = &slot {
            s.ctx.cancel();
        }
        drop(slot);
        Vec::new()
    }),
    Extern::wait("net/http", "nativeHttpsRequest", "http.Client.Do + io.ReadAll(resp.Body)", REQUEST, WHOLE, https_request),
    Extern::wait("net/http", "nativeHttpsRequestStream", "http.Client.Do (body left to read)", REQUEST, STREAMED, https_request_stream),
    Extern::wait("net/http", "blocking_responseBodyRead", "http.Response.Body.Read", &[("requestID", Int64), ("b", Bytes)], &[Int, ERROR], body_read),
    Extern::now("net/http", "responseBodyClose", "http.Response.Body.Close", ID, &[ERROR], |a| {
        vec![Value::err(body_of(a.int(0)).and_then(|b| b.close()).err())]
    }),
];

/// Registers the `net/http` externs among `declared` (see
/// `net::register_externs`).
pub fn register_externs<R: ExternRegistry + ?Sized, D: Declared>(
    registry: &mut R,
    declared: &[D],
) -> Result<usize, RegisterError> {
    register_table("net/http", &EXTERNS, registry, declared)
}

