//! The `net/http` externs a VM's stdlib declares (see `crate::externs` for
//! the calling model and README "Externs" for the Go-name table).
//!
//! A request is a handle: create it (method, URL, headers as "Key: Value"
//! lines, body, Client.Timeout), perform it whole or streamed, cancel it at
//! any point (Go's context cancel), release it when done. Releasing drops an
//! unread body, which cancels its download.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use super::{new_request, Body, Client, Context, Request, Response, ResponseBody};
use crate::externs::Kind::{self, Bytes, Int, Str, Strings};
use crate::externs::{
    boxed, register_table, Args, Extern, ExternFuture, ExternRegistry, RegisterError, Value, ERROR,
};
use crate::net::Error;

struct Slot {
    client: Client,
    ctx: Context,
    /// Until performed.
    req: Option<Request>,
    /// The streamed body, after `requestPerformStream`.
    body: Option<Rc<ResponseBody>>,
}

thread_local! {
    static REQUESTS: RefCell<HashMap<i64, Slot>> = RefCell::new(HashMap::new());
    static NEXT: Cell<i64> = const { Cell::new(1) };
}

/// Requests the VM holds (for leak checks: 0 once every one is released).
pub fn extern_request_count() -> usize {
    REQUESTS.with(|t| t.borrow().len())
}

fn unknown(id: i64) -> Error {
    Error::other(format!(
        "net/http: no request with handle {id} (released, or never created)"
    ))
}

/// "Key: Value" lines into the request's header.
fn parse_header_lines(req: &mut Request, lines: &[String]) -> Result<(), Error> {
    for line in lines {
        let Some((k, v)) = line.split_once(':') else {
            return Err(Error::other(format!(
                "net/http: malformed header line {line:?} (want \"Key: Value\")"
            )));
        };
        req.header.add(k.trim(), v.trim_start());
    }
    Ok(())
}

fn create(
    method: &str,
    url: &str,
    lines: &[String],
    body: Vec<u8>,
    timeout_ns: i64,
) -> Result<i64, Error> {
    let body = if body.is_empty() {
        Body::Empty
    } else {
        Body::Bytes(body)
    };
    let mut req = new_request(method, url, body)?;
    parse_header_lines(&mut req, lines)?;
    let ctx = Context::new();
    let client = if timeout_ns > 0 {
        Client::with_timeout(Duration::from_nanos(timeout_ns as u64))
    } else {
        Client::new()
    };
    let id = NEXT.with(|n| n.replace(n.get() + 1));
    let slot = Slot {
        client,
        req: Some(req.with_context(&ctx)),
        ctx,
        body: None,
    };
    REQUESTS.with(|t| t.borrow_mut().insert(id, slot));
    Ok(id)
}

fn create_ext(mut a: Args) -> Vec<Value> {
    let lines = a.strings(2);
    let body = a.bytes(3);
    match create(a.str(0), a.str(1), &lines, body, a.int(4)) {
        Ok(id) => vec![Value::Int(id), Value::Nil],
        Err(e) => vec![Value::Int(0), Value::Error(e)],
    }
}

/// Sends the request of handle `id` (once).
async fn perform(id: i64) -> Result<Response, Error> {
    let taken = REQUESTS.with(|t| {
        t.borrow_mut()
            .get_mut(&id)
            .map(|s| (s.client.clone(), s.req.take()))
    });
    match taken {
        None => Err(unknown(id)),
        Some((_, None)) => Err(Error::other(format!(
            "net/http: request {id} was already performed"
        ))),
        Some((client, Some(req))) => client.r#do(req).await,
    }
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

/// (statusCode, status, proto, header, body, err), the whole body read.
fn perform_ext(a: Args) -> ExternFuture {
    boxed(perform_all(a.int(0)))
}

/// `perform`'s results when it failed.
fn perform_failed(e: Error) -> Vec<Value> {
    vec![
        Value::Int(0),
        Value::Str(String::new()),
        Value::Str(String::new()),
        Value::List(Vec::new()),
        Value::Bytes(Vec::new()),
        Value::Error(e),
    ]
}

async fn perform_all(id: i64) -> Vec<Value> {
    let resp = match perform(id).await {
        Ok(r) => r,
        Err(e) => return perform_failed(e),
    };
    match resp.body.bytes().await {
        Ok(body) => {
            let mut v = head_values(&resp);
            v.extend([Value::Bytes(body), Value::Nil]);
            v
        }
        Err(e) => perform_failed(e),
    }
}

/// (statusCode, status, proto, header, contentLength, err); the body stays
/// with the handle for `bodyRead`.
fn perform_stream_ext(a: Args) -> ExternFuture {
    let id = a.int(0);
    boxed(async move {
        match perform(id).await {
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
            Err(e) => vec![
                Value::Int(0),
                Value::Str(String::new()),
                Value::Str(String::new()),
                Value::List(Vec::new()),
                Value::Int(-1),
                Value::Error(e),
            ],
        }
    })
}

fn body_of(id: i64) -> Result<Rc<ResponseBody>, Error> {
    REQUESTS.with(|t| match t.borrow().get(&id) {
        None => Err(unknown(id)),
        Some(Slot { body: None, .. }) => Err(Error::other(format!(
            "net/http: request {id} has no streamed body (call net_http_requestPerformStream first)"
        ))),
        Some(Slot { body: Some(b), .. }) => Ok(b.clone()),
    })
}

fn body_read_ext(a: Args) -> ExternFuture {
    let (id, max) = (a.int(0), a.read_max(1));
    boxed(async move {
        let r = match body_of(id) {
            Ok(b) => b.read_vec(max).await,
            Err(e) => Err(e),
        };
        match r {
            Ok(b) => vec![Value::Bytes(b), Value::Nil],
            Err(e) => vec![Value::Bytes(Vec::new()), Value::Error(e)],
        }
    })
}

const REQ: &[(&str, Kind)] = &[("req", Int)];

/// Every `net/http` extern, in README order.
pub static EXTERNS: [Extern; 8] = [
    Extern::now(
        "net_http_requestCreate",
        "http.NewRequest + Client{Timeout}",
        &[
            ("method", Str),
            ("url", Str),
            ("header", Strings),
            ("body", Bytes),
            ("timeoutNs", Int),
        ],
        &[Int, ERROR],
        create_ext,
    ),
    Extern::wait(
        "net_http_requestPerform",
        "http.Client.Do + io.ReadAll(resp.Body)",
        REQ,
        &[Int, Str, Str, Strings, Bytes, ERROR],
        perform_ext,
    ),
    Extern::wait(
        "net_http_requestPerformStream",
        "http.Client.Do (body left to read)",
        REQ,
        &[Int, Str, Str, Strings, Int, ERROR],
        perform_stream_ext,
    ),
    Extern::wait(
        "net_http_bodyRead",
        "http.Response.Body.Read",
        &[("req", Int), ("max", Int)],
        &[Bytes, ERROR],
        body_read_ext,
    ),
    Extern::now(
        "net_http_bodyClose",
        "http.Response.Body.Close",
        REQ,
        &[ERROR],
        |a| vec![Value::err(body_of(a.int(0)).and_then(|b| b.close()).err())],
    ),
    Extern::now(
        "net_http_requestCancel",
        "context.CancelFunc (the request's context)",
        REQ,
        &[],
        |a| {
            let ctx = REQUESTS.with(|t| t.borrow().get(&a.int(0)).map(|s| s.ctx.clone()));
            if let Some(ctx) = ctx {
                ctx.cancel();
            }
            Vec::new()
        },
    ),
    Extern::now(
        "net_http_requestRelease",
        "(end of a request's life: frees its handle)",
        REQ,
        &[],
        |a| {
            // Dropped outside the table's borrow: dropping a body calls into JS.
            let slot = REQUESTS.with(|t| t.borrow_mut().remove(&a.int(0)));
            drop(slot);
            Vec::new()
        },
    ),
    // The one extern the Vo web runtime declares today, one-shot: create,
    // perform, release.
    Extern::wait(
        "net_http_nativeHttpsRequest",
        "http.Client.Do (Vo's one-shot form)",
        &[
            ("method", Str),
            ("url", Str),
            ("header", Strings),
            ("body", Bytes),
            ("timeoutNs", Int),
        ],
        &[Int, Str, Str, Strings, Bytes, ERROR],
        |mut a| {
            let (lines, body) = (a.strings(2), a.bytes(3));
            let created = create(a.str(0), a.str(1), &lines, body, a.int(4));
            boxed(async move {
                let id = match created {
                    Ok(id) => id,
                    Err(e) => return perform_failed(e),
                };
                let _release = Release(id);
                perform_all(id).await
            })
        },
    ),
];

/// Releases a request when the call ends (or is cancelled).
struct Release(i64);
impl Drop for Release {
    fn drop(&mut self) {
        let slot = REQUESTS.with(|t| t.borrow_mut().remove(&self.0));
        drop(slot);
    }
}

/// Names `net/http` answers for: `net_http_*`.
fn owns(name: &str) -> bool {
    name.starts_with("net_http_")
}

/// Registers the `net/http` externs among `declared` (see
/// `net::register_externs`).
pub fn register_externs<R: ExternRegistry + ?Sized, S: AsRef<str>>(
    registry: &mut R,
    declared: &[S],
) -> Result<usize, RegisterError> {
    register_table("net/http", &EXTERNS, owns, registry, declared)
}
