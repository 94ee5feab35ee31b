//! Every JS function the crate imports, in one place. The `_net*` ones are
//! installed on `globalThis` by `registerNetBindings()` (js/net.ts) under
//! the same names; `queueMicrotask` is the browser's.
//! All are `catch`: a missing binding or a JS exception becomes an `Err`,
//! never an unwinding exception through Rust frames.

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::net::Error;

/// Declares each JS function once: the raw import (`catch`, so a JS
/// exception is an `Err`, never an unwinding exception through Rust frames)
/// in `raw`, and the function the crate calls, whose error is already a
/// `net::Error` (`js_error`): JS errors are converted here and nowhere else.
macro_rules! bindings {
    ($( $(#[$m:meta])* $js:ident => fn $name:ident($($arg:ident: $ty:ty),*) -> $ret:ty; )*) => {
        mod raw {
            #[allow(unused_imports)]
            use super::*;
            #[wasm_bindgen]
            extern "C" {
                $(
                    #[wasm_bindgen(js_name = $js, catch)]
                    pub(super) fn $name($($arg: $ty),*) -> Result<$ret, JsValue>;
                )*
            }
        }
        $(
            $(#[$m])*
            pub fn $name($($arg: $ty),*) -> Result<$ret, Error> {
                let _call = InJs::enter();
                raw::$name($($arg),*).map_err(js_error)
            }
        )*
    };
}

thread_local! {
    static IN_JS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// Counts the calls into these bindings in progress: a table that calls
/// back into wasm synchronously (a wake from inside `_netConnClose`) has
/// Rust frames below it, one called from a browser event has none.
struct InJs;

impl InJs {
    fn enter() -> InJs {
        IN_JS.with(|d| d.set(d.get() + 1));
        InJs
    }
}

impl Drop for InJs {
    fn drop(&mut self) {
        IN_JS.with(|d| d.set(d.get() - 1));
    }
}

/// True while one of these bindings is running (see [`InJs`]).
pub fn in_js() -> bool {
    IN_JS.with(|d| d.get() > 0)
}

bindings! {
    // ---- Trap recovery (js/net.ts) ----
    /// Told the panic message just before a panic traps (src/trap.rs).
    #[cfg_attr(not(feature = "js-api"), allow(dead_code))]
    _netPanic => fn net_panic(message: &str) -> ();

    // ---- The browser's own ----
    /// Runs `f` once the current task's stack is empty (the extern executor's flush).
    queueMicrotask => fn queue_microtask(f: &js_sys::Function) -> ();

    // ---- Wakes (js/wake.ts, src/host/wake.rs) ----
    /// Registers the instance's wake callback, once; returns its id.
    _netSetWaker => fn set_waker(f: &js_sys::Function) -> u32;

    // ---- Conn table (js/conn.ts): WebSocket Conns and relay streams ----
    // The table protocol, shared with the HTTP and UDP tables: `*Read(h, dest)`
    // copies queued bytes into dest and returns the count, or -1 when
    // nothing is queued; `*Ready(h, token)` calls the waker with `token`
    // when a read would not return -1 (src/host/wake.rs); the end of a stream is
    // a thrown `{code: "eof"}`, a stale handle a thrown `{code: "closed"}`;
    // `*Forget(h, key)` drops a waiter (a Ready token, or a Promise a call
    // returned) without settling or waking it; `*Release(h)` frees a handle
    // without settling anything.
    _netConnDialWs => fn conn_dial_ws(url: &str, timeout_ms: f64) -> u32;
    /// A TCP Conn through the host's relay (js/relay.ts): network is
    /// "tcp", "tcp4" or "tcp6"; host and port already checked here.
    /// `speak_first`: the caller writes first (a TLS ClientHello), so the
    /// Conn opens at once instead of waiting up to `relay.connectWaitMs`
    /// for the relay's word; a refusal is then the first read's error.
    _netConnDialRelay => fn conn_dial_relay(network: &str, host: &str, port: u16, timeout_ms: f64, speak_first: bool) -> u32;
    _netConnOpened => fn conn_opened(h: u32) -> Promise;
    /// `dest` may be a view into wasm memory (valid during the call only).
    _netConnRead => fn conn_read(h: u32, dest: &Uint8Array) -> i32;
    _netConnReady => fn conn_ready(h: u32, token: f64) -> ();
    /// The byte count, or a Promise of it. `data` may be a view into wasm
    /// memory, valid only during the call: JS copies what it cannot send at once.
    _netConnWrite => fn conn_write(h: u32, data: &Uint8Array) -> JsValue;
    _netConnSetDeadline => fn conn_set_deadline(h: u32, which: u32, at_ms: f64) -> ();
    _netConnForget => fn conn_forget(h: u32, key: &JsValue) -> ();
    _netConnClose => fn conn_close(h: u32) -> ();
    _netConnRelease => fn conn_release(h: u32) -> ();
    _netConnCount => fn conn_count() -> u32;

    // ---- UDP PacketConn table through the relay (js/relay.ts) ----
    // The table protocol above; a read takes one datagram.
    _netUdpListen => fn udp_listen(network: &str) -> u32;
    /// `[n, from]`, or -1 when no datagram is queued.
    _netUdpReadFrom => fn udp_read_from(h: u32, dest: &Uint8Array) -> JsValue;
    _netUdpReady => fn udp_ready(h: u32, token: f64) -> ();
    /// The count, or a Promise of it; JS copies what it keeps.
    _netUdpWriteTo => fn udp_write_to(h: u32, data: &Uint8Array, host: &str, port: u16) -> JsValue;
    _netUdpSetDeadline => fn udp_set_deadline(h: u32, which: u32, at_ms: f64) -> ();
    _netUdpForget => fn udp_forget(h: u32, key: &JsValue) -> ();
    _netUdpClose => fn udp_close(h: u32) -> ();
    _netUdpRelease => fn udp_release(h: u32) -> ();
    _netUdpCount => fn udp_count() -> u32;

    // ---- The relay's configuration (js/net.ts, js/relay.ts) ----
    /// Merges `relay` (js/relay.ts RelayOptions) into the host's settings.
    _netRelayConfigure => fn relay_configure(relay: &JsValue) -> ();
    _netRelayStats => fn relay_stats() -> JsValue;

    // ---- DNS over HTTPS (js/dns.ts) ----
    // Each resolves to an Array of strings, or rejects with a net::Error
    // object. `overrides` is a `Resolver`'s settings (servers, format,
    // timeoutMs); unset ones come from registerNetBindings().
    _netLookupHost => fn lookup_host(name: &str, overrides: &JsValue) -> Promise;
    _netLookupIP => fn lookup_ip(network: &str, name: &str, overrides: &JsValue) -> Promise;
    /// `arpa` is the reverse name (4.3.2.1.in-addr.arpa.); resolves to PTR names.
    _netLookupAddr => fn lookup_addr(arpa: &str, overrides: &JsValue) -> Promise;
    _netDnsStats => fn dns_stats() -> JsValue;
    _netDnsClearCache => fn dns_clear_cache() -> ();

    // ---- HTTP client over fetch (js/http.ts); the table protocol above ----
    /// Starts a request described by `spec` (js/http.ts HttpRequestSpec);
    /// `body` is used when spec.body is "bytes" (JS copies it). The handle.
    _netHttpFetch => fn http_fetch(spec: &JsValue, body: &[u8]) -> u32;
    /// Resolves with the status line, final URL and headers.
    _netHttpResponse => fn http_response(h: u32) -> Promise;
    /// undefined, or a Promise that resolves when the upload has room.
    _netHttpUploadWrite => fn http_upload_write(h: u32, data: &[u8]) -> JsValue;
    _netHttpUploadClose => fn http_upload_close(h: u32) -> ();
    _netHttpRead => fn http_read(h: u32, dest: &Uint8Array) -> i32;
    _netHttpReady => fn http_ready(h: u32, token: f64) -> ();
    _netHttpForget => fn http_forget(h: u32, key: &JsValue) -> ();
    /// Go's context cancellation: everything in flight fails with "context canceled".
    _netHttpCancel => fn http_cancel(h: u32) -> ();
    _netHttpRelease => fn http_release(h: u32) -> ();
    _netHttpCount => fn http_count() -> u32;
    /// How `url` goes: null (fetch) or the relay's settings (js/http.ts
    /// HttpRoute); `relay` asks for the relay's settings whatever the page routes.
    _netHttpRoute => fn http_route(url: &str, relay: bool) -> JsValue;
}

/// Waits for a Promise a binding returned: its value, or what it rejected
/// with, as a `net::Error`.
pub async fn settled(p: Promise) -> Result<JsValue, Error> {
    wasm_bindgen_futures::JsFuture::from(p).await.map_err(js_error)
}

/// Reads what a binding threw or rejected with: a `net::Error` object, or
/// any JS exception (turned into `Error::Other` with its message).
pub fn js_error(v: JsValue) -> Error {
    if v.is_object() && js_sys::Reflect::has(&v, &JsValue::from_str("code")).unwrap_or(false) {
        if let Ok(e) = serde_wasm_bindgen::from_value::<Error>(v.clone()) {
            return e;
        }
    }
    let msg = match v.dyn_ref::<js_sys::Error>() {
        Some(e) => format!("{}: {}", String::from(e.name()), String::from(e.message())),
        None => v.as_string().unwrap_or_else(|| format!("{v:?}")),
    };
    if msg.contains("_net") && msg.contains("not defined") {
        return Error::other(format!(
            "{msg} (the host must call registerNetBindings() from js/net.ts before using net)"
        ));
    }
    Error::other(format!("javascript error: {msg}"))
}
