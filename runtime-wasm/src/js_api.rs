//! The functions a JS host calls directly (wasm-bindgen exports). Results
//! and errors cross as plain objects: `{ok: true, ...}` or
//! `{ok: false, error: {code, ...}}`, where `error` is the serde form of
//! `net::Error` (see `js/net.ts`'s `NetError`).

use std::cell::RefCell;
use std::collections::HashMap;

use js_sys::{Array, ArrayBuffer, BigInt, Function, Object, Promise, Reflect, Uint8Array};
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::externs::{self, Arg, Extern, ExternCall, ExternResult, Value};
use crate::net::{self, Error};

fn to_js<T: Serialize>(v: &T) -> JsValue {
    // Plain objects, not JS `Map`s: `#[serde(flatten)]` serializes through a
    // map, which serde-wasm-bindgen would otherwise turn into a `Map`. Only
    // plain structs and strings pass through here; should serialization still
    // fail, JS receives the message as a string instead of a panic.
    let ser = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    v.serialize(&ser)
        .unwrap_or_else(|e| JsValue::from_str(&e.to_string()))
}

#[derive(Serialize)]
struct Outcome<T: Serialize> {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorView>,
}

/// An error as JS sees it: the serde form plus Go's message, predicates and
/// the sentinel it matches (`errors.Is`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorView {
    #[serde(flatten)]
    error: Error,
    message: String,
    timeout: bool,
    temporary: bool,
    not_found: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    sentinel: Option<&'static str>,
    /// `{package, index}` when the error *is* one of Vo's sentinels
    /// (`getNetErrors()[index]`, `getHttpErrors()`, `io.EOF`): return the
    /// cached value.
    #[serde(skip_serializing_if = "Option::is_none")]
    vo_sentinel: Option<VoSentinel>,
    /// `{package, index}` when the error ends in one of them without being
    /// it (`dial ws URL: i/o timeout`): an error with `message` and that
    /// sentinel as its cause keeps both the text and `errors.Is`.
    #[serde(skip_serializing_if = "Option::is_none")]
    vo_cause: Option<VoSentinel>,
}

#[derive(Serialize)]
struct VoSentinel {
    package: &'static str,
    index: usize,
}

impl From<Error> for ErrorView {
    fn from(e: Error) -> ErrorView {
        ErrorView {
            message: e.to_string(),
            timeout: e.is_timeout(),
            temporary: e.is_temporary(),
            not_found: e.is_not_found(),
            sentinel: e.sentinel(),
            vo_sentinel: e
                .vo_sentinel()
                .map(|(package, index)| VoSentinel { package, index }),
            vo_cause: e
                .vo_sentinel()
                .is_none()
                .then(|| e.root().vo_sentinel())
                .flatten()
                .map(|(package, index)| VoSentinel { package, index }),
            error: e,
        }
    }
}

fn outcome<T: Serialize>(r: Result<T, Error>) -> JsValue {
    match r {
        Ok(v) => to_js(&Outcome {
            ok: true,
            value: Some(v),
            error: None,
        }),
        Err(e) => to_js(&Outcome::<T> {
            ok: false,
            value: None,
            error: Some(e.into()),
        }),
    }
}

/// `net.ParseIP(s).String()`, or `null` when `s` is not an IP address.
#[wasm_bindgen(js_name = parseIP)]
pub fn parse_ip(s: &str) -> Option<String> {
    net::parse_ip(s).map(|ip| ip.to_string())
}

/// `net.ParseCIDR(s)` as `{ok, value: {ip, net}}` or `{ok: false, error}`.
#[wasm_bindgen(js_name = parseCIDR)]
pub fn parse_cidr(s: &str) -> JsValue {
    #[derive(Serialize)]
    struct Cidr {
        ip: String,
        net: String,
    }
    outcome(net::parse_cidr(s).map(|(ip, n)| Cidr {
        ip: ip.to_string(),
        net: n.to_string(),
    }))
}

/// `net.SplitHostPort(s)` as `{ok, value: [host, port]}` or `{ok: false, error}`.
#[wasm_bindgen(js_name = splitHostPort)]
pub fn split_host_port(s: &str) -> JsValue {
    outcome(net::split_host_port(s))
}

#[wasm_bindgen(js_name = joinHostPort)]
/// Go's `net.JoinHostPort`.
pub fn join_host_port(host: &str, port: &str) -> String {
    net::join_host_port(host, port)
}

/// Reads an error object made in JS (`{code: "timeout"}`, ...) the way Rust
/// code will read errors returned by the `_net*` bindings, and returns its Go
/// message; an object that is not a valid error gives a message saying so.
#[wasm_bindgen(js_name = errorMessage)]
pub fn error_message(err: JsValue) -> String {
    match serde_wasm_bindgen::from_value::<Error>(err) {
        Ok(e) => e.to_string(),
        Err(e) => format!("invalid net error object: {e}"),
    }
}

/// The error codes Rust knows, for the JS side to check its own list against.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    Error::CODES.iter().map(|c| c.to_string()).collect()
}

// ---- Externs, for a VM written in JS (see `crate::externs`). ----

/// An argument from JS, owned for the length of a call (its replays
/// included). A `Uint8Array` stays the caller's: reads fill it in place.
enum JsArg {
    Nil,
    Int(i64),
    Str(String),
    Strings(Vec<String>),
    Bytes(Uint8Array),
}

impl JsArg {
    fn as_arg(&self) -> Arg<'_> {
        match self {
            JsArg::Nil => Arg::Nil,
            JsArg::Int(n) => Arg::Int(*n),
            JsArg::Str(s) => Arg::Str(s),
            JsArg::Strings(l) => Arg::Strings(l.iter().map(String::as_str).collect()),
            JsArg::Bytes(a) => Arg::Js(a.clone()),
        }
    }
}

/// `at()` names the argument in an error; it is formatted only then (a
/// call's arguments are read on every invoke, its errors rarely).
fn arg_from_js(v: &JsValue, at: impl Fn() -> String) -> Result<JsArg, String> {
    if v.is_null() || v.is_undefined() {
        return Ok(JsArg::Nil);
    }
    if let Some(s) = v.as_string() {
        return Ok(JsArg::Str(s));
    }
    if let Some(n) = v.as_f64() {
        if n.fract() != 0.0 || n.abs() > MAX_SAFE_INTEGER {
            return Err(format!(
                "{}: {n} is not an integer (pass a BigInt for large values)",
                at()
            ));
        }
        return Ok(JsArg::Int(n as i64));
    }
    if v.is_bigint() {
        let b: &BigInt = v.unchecked_ref();
        return i64::try_from(b.clone())
            .map(JsArg::Int)
            .map_err(|_| format!("{}: BigInt out of the int64 range", at()));
    }
    if let Some(bytes) = v.dyn_ref::<Uint8Array>() {
        return Ok(JsArg::Bytes(bytes.clone()));
    }
    if let Some(buf) = v.dyn_ref::<ArrayBuffer>() {
        return Ok(JsArg::Bytes(Uint8Array::new(buf)));
    }
    if Array::is_array(v) {
        return Array::from(v)
            .iter()
            .enumerate()
            .map(|(i, x)| {
                x.as_string()
                    .ok_or_else(|| format!("{}[{i}]: a []string holds strings only", at()))
            })
            .collect::<Result<_, _>>()
            .map(JsArg::Strings);
    }
    Err(format!(
        "{}: a {} cannot be passed to an extern (use null, number, BigInt, string, Uint8Array or an Array of strings)",
        at(),
        v.js_typeof().as_string().unwrap_or_default()
    ))
}

const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

fn value_to_js(v: Value) -> JsValue {
    match v {
        Value::Nil => JsValue::NULL,
        Value::Int(n) if (n as f64).abs() <= MAX_SAFE_INTEGER => (n as f64).into(),
        Value::Int(n) => BigInt::from(n).into(),
        Value::Str(s) => s.into(),
        Value::Bytes(b) => Uint8Array::from(b.as_slice()).into(),
        Value::List(l) => l.into_iter().map(value_to_js).collect::<Array>().into(),
        Value::Error(e) => to_js(&ErrorView::from(e)),
        Value::Addr(a) => {
            let o = Object::new();
            let _ = Reflect::set(&o, &"IP".into(), &Uint8Array::from(a.ip.as_slice()));
            let _ = Reflect::set(&o, &"Port".into(), &(a.port as f64).into());
            let _ = Reflect::set(&o, &"Zone".into(), &a.zone.into());
            o.into()
        }
    }
}

fn values_to_js(v: Vec<Value>) -> Array {
    v.into_iter().map(value_to_js).collect()
}

/// The extern a name spells, looked up once per spelling: a JS VM names
/// its extern on every invoke (a read loop does so per message).
fn find_extern(name: &str) -> Option<&'static Extern> {
    thread_local! {
        static FOUND: RefCell<HashMap<String, &'static Extern>> = RefCell::new(HashMap::new());
    }
    if let Some(e) = FOUND.with(|f| f.borrow().get(name).copied()) {
        return Some(e);
    }
    let e = externs::find(name)?;
    // Bounded: a few spellings per extern; past that, no more are cached.
    FOUND.with(|f| {
        let mut f = f.borrow_mut();
        if f.len() < 1024 {
            f.insert(name.to_owned(), e);
        }
    });
    Some(e)
}

/// The extern and its arguments, or the message of why not.
fn prepare(name: &str, args: &JsValue) -> Result<(&'static Extern, Vec<JsArg>), String> {
    let ext = find_extern(name).ok_or_else(|| {
        format!("unknown extern {name:?} (externList() lists them; names are \"net.dial\", \"vo1:3:net:4:dial\" or \"net_dial\")")
    })?;
    if args.is_null() || args.is_undefined() {
        return Ok((ext, Vec::new()));
    }
    if !Array::is_array(args) {
        return Err(format!("{name}: arguments must be an Array"));
    }
    let args = Array::from(args)
        .iter()
        .enumerate()
        .map(|(i, v)| arg_from_js(&v, || format!("{name}: argument {}", i + 1)))
        .collect::<Result<_, _>>()?;
    Ok((ext, args))
}

fn invoke(ext: &'static Extern, args: &[JsArg], resume: Option<u32>) -> ExternResult {
    ext.call(ExternCall {
        args: args.iter().map(JsArg::as_arg).collect(),
        resume,
    })
}

/// A `callExtern` that went pending: replayed from the flush that finds
/// its wait over (`externs::on_done`), its Promise settled there.
struct PendingCall {
    ext: &'static Extern,
    args: Vec<JsArg>,
    resolve: Function,
    reject: Function,
}

impl PendingCall {
    fn wait(self, token: u32) {
        if externs::is_ready(token) == Some(true) {
            // Over already (a wait that kept ending at once): one hop, so
            // a call that keeps doing so cannot recurse here.
            wasm_bindgen_futures::spawn_local(async move { self.replay(token) });
        } else {
            externs::on_done(token, Box::new(move || self.replay(token)));
        }
    }

    fn replay(self, token: u32) {
        match invoke(self.ext, &self.args, Some(token)) {
            ExternResult::Done(values) => {
                let _ = self.resolve.call1(&JsValue::UNDEFINED, &values_to_js(values));
            }
            ExternResult::Pending(token) => self.wait(token),
            ExternResult::Fail(e) => {
                let _ = self.reject.call1(&JsValue::UNDEFINED, &JsError::new(&e.to_string()).into());
            }
        }
    }
}

/// Runs an extern to completion: resolves to its results (Go errors are
/// error objects among them: `{code, message, timeout, sentinel,
/// voSentinel, ...}`), rejects with an `Error` for misuse (unknown name,
/// wrong arguments). A `Uint8Array` argument of a read is filled in place.
/// The first attempt runs now: a call that need not wait (a read that
/// finds bytes queued) returns an already resolved Promise; one that waits
/// is replayed and settled from the flush that ends its wait, with no
/// executor or extra Promise in between.
#[wasm_bindgen(js_name = callExtern)]
pub fn call_extern(name: &str, args: JsValue) -> Promise {
    let (ext, args) = match prepare(name, &args) {
        Ok(p) => p,
        Err(m) => return Promise::reject(&JsError::new(&m).into()),
    };
    match invoke(ext, &args, None) {
        ExternResult::Done(values) => Promise::resolve(&JsValue::from(values_to_js(values))),
        ExternResult::Fail(e) => Promise::reject(&JsError::new(&e.to_string()).into()),
        ExternResult::Pending(token) => {
            let mut args = Some(args);
            Promise::new(&mut |resolve, reject| {
                if let Some(args) = args.take() {
                    PendingCall { ext, args, resolve, reject }.wait(token);
                }
            })
        }
    }
}

/// One step of the replay model, for a JS VM with its own loop:
/// `{done: true, values}` or `{done: false, token}`. Once
/// `externWait(token)` resolves, call again with the same arguments and
/// the token. Throws for misuse.
#[wasm_bindgen(js_name = externInvoke)]
pub fn extern_invoke(name: &str, args: JsValue, resume: Option<u32>) -> Result<JsValue, JsError> {
    let (ext, owned) = prepare(name, &args).map_err(|m| JsError::new(&m))?;
    thread_local! {
        // The result's keys, made once: an invoke per read must not build
        // JS strings for them each time.
        static KEYS: [JsValue; 3] = [JsValue::from_str("done"), JsValue::from_str("values"), JsValue::from_str("token")];
    }
    let out = Object::new();
    let set = |k: usize, v: JsValue| KEYS.with(|keys| Reflect::set(&out, &keys[k], &v).map(|_| ()));
    let r = match invoke(ext, &owned, resume) {
        ExternResult::Done(values) => set(0, true.into()).and(set(1, values_to_js(values).into())),
        ExternResult::Pending(token) => set(0, false.into()).and(set(2, token.into())),
        ExternResult::Fail(e) => return Err(JsError::new(&e.to_string())),
    };
    r.map_err(|_| JsError::new("externInvoke: could not build the result object"))?;
    Ok(out.into())
}

/// Resolves when the pending call is done (or cancelled, or the token is
/// unknown): already resolved if it is, else resolved directly from the
/// flush that ends the call's wait (no executor in between).
#[wasm_bindgen(js_name = externWait)]
pub fn extern_wait(token: u32) -> Promise {
    if externs::is_ready(token) != Some(false) {
        return Promise::resolve(&JsValue::UNDEFINED);
    }
    Promise::new(&mut |resolve, _| {
        externs::on_done(
            token,
            Box::new(move || {
                let _ = resolve.call0(&JsValue::UNDEFINED);
            }),
        )
    })
}

/// Abandons a pending call (the browser operation is cancelled).
#[wasm_bindgen(js_name = externCancel)]
pub fn extern_cancel(token: u32) -> bool {
    externs::cancel(token)
}

/// Every extern: `{package, name, canonical, go, signature, params: [{name,
/// type}], results, canWait}`.
#[wasm_bindgen(js_name = externList)]
pub fn extern_list() -> JsValue {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Param {
        name: &'static str,
        r#type: &'static str,
    }
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Entry {
        package: &'static str,
        name: &'static str,
        canonical: String,
        go: &'static str,
        signature: String,
        params: Vec<Param>,
        results: Vec<&'static str>,
        can_wait: bool,
    }
    let list: Vec<Entry> = externs::all()
        .map(|e| Entry {
            package: e.package,
            name: e.name,
            canonical: e.canonical_name(),
            go: e.go,
            signature: e.signature(),
            params: e
                .params
                .iter()
                .map(|(n, k)| Param {
                    name: n,
                    r#type: k.go_type(),
                })
                .collect(),
            results: e.results.iter().map(|k| k.go_type()).collect(),
            can_wait: e.may_wait(),
        })
        .collect();
    to_js(&list)
}

/// Live handles, for leak checks: pending extern calls, Conns and requests
/// held by externs, the JS tables underneath, reads waiting on them, and
/// tasks spawned on the crate's executor.
#[wasm_bindgen(js_name = externCounts)]
pub fn extern_counts() -> JsValue {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Counts {
        pending: usize,
        conns: usize,
        requests: usize,
        js_conns: u32,
        js_requests: u32,
        /// Reads waiting on a table (src/host/wake.rs slots in use).
        waits: usize,
        /// Tasks on this crate's executor still running (`task::spawn_local`).
        spawned: usize,
    }
    to_js(&Counts {
        pending: externs::pending_count(),
        conns: net::extern_conn_count(),
        requests: crate::http::extern_request_count(),
        js_conns: net::open_conn_count().unwrap_or(0),
        js_requests: crate::http::open_request_count().unwrap_or(0),
        waits: crate::host::wake::waiting(),
        spawned: crate::task::spawned_count(),
    })
}
