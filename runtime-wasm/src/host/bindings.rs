//! Every JS function the crate imports, in one place. The `_net*` ones are
//! installed on `globalThis` by `registerNetBindings()` (js/net.ts) under
//! the same names; `queueMicrotask` is the browser's.
//! All are `catch`: a missing binding or a JS exception becomes an `Err`,
//! never an unwinding exception through Rust frames.

use js_sys::{Promise, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::net::Error;

#[wasm_bindgen]
extern "C" {
    // ---- Trap recovery (js/net.ts) ----
    /// Told the panic message just before a panic traps (src/trap.rs).
    #[cfg_attr(not(feature = "js-api"), allow(dead_code))]
    #[wasm_bindgen(js_name = _netPanic, catch)]
    pub fn net_panic(message: &str) -> Result<(), JsValue>;

    // ---- The browser's own ----
    /// Runs `f` once the current task's stack is empty (the extern executor's flush).
    #[wasm_bindgen(js_name = queueMicrotask, catch)]
    pub fn queue_microtask(f: &js_sys::Function) -> Result<(), JsValue>;

    // ---- Wakes (js/wake.ts, src/wake.rs) ----
    /// Registers the instance's wake callback, once; returns its id.
    #[wasm_bindgen(js_name = _netSetWaker, catch)]
    pub fn set_waker(f: &js_sys::Function) -> Result<u32, JsValue>;

    // ---- Conn table (js/conn.ts): WebSocket Conns and relay streams ----
    // The table protocol, shared with the HTTP and UDP tables: `*Read(h, dest)`
    // copies queued bytes into dest and returns the count, or -1 when
    // nothing is queued; `*Ready(h, token)` calls the waker with `token`
    // when a read would not return -1 (src/wake.rs); the end of a stream is
    // a thrown `{code: "eof"}`, a stale handle a thrown `{code: "closed"}`;
    // `*Forget(h, key)` drops a waiter (a Ready token, or a Promise a call
    // returned) without settling or waking it; `*Release(h)` frees a handle
    // without settling anything.
    #[wasm_bindgen(js_name = _netConnDialWs, catch)]
    pub fn conn_dial_ws(url: &str, timeout_ms: f64) -> Result<u32, JsValue>;
    /// A TCP Conn through the host's relay (js/relay.ts): network is
    /// "tcp", "tcp4" or "tcp6"; host and port already checked here.
    #[wasm_bindgen(js_name = _netConnDialRelay, catch)]
    pub fn conn_dial_relay(network: &str, host: &str, port: u16, timeout_ms: f64) -> Result<u32, JsValue>;
    #[wasm_bindgen(js_name = _netConnOpened, catch)]
    pub fn conn_opened(h: u32) -> Result<Promise, JsValue>;
    /// `dest` may be a view into wasm memory (valid during the call only).
    #[wasm_bindgen(js_name = _netConnRead, catch)]
    pub fn conn_read(h: u32, dest: &Uint8Array) -> Result<i32, JsValue>;
    #[wasm_bindgen(js_name = _netConnReady, catch)]
    pub fn conn_ready(h: u32, token: f64) -> Result<(), JsValue>;
    /// The byte count, or a Promise of it. `data` may be a view into wasm
    /// memory, valid only during the call: JS copies what it cannot send at once.
    #[wasm_bindgen(js_name = _netConnWrite, catch)]
    pub fn conn_write(h: u32, data: &Uint8Array) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = _netConnSetDeadline, catch)]
    pub fn conn_set_deadline(h: u32, which: u32, at_ms: f64) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netConnForget, catch)]
    pub fn conn_forget(h: u32, key: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netConnClose, catch)]
    pub fn conn_close(h: u32) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netConnRelease, catch)]
    pub fn conn_release(h: u32) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netConnCount, catch)]
    pub fn conn_count() -> Result<u32, JsValue>;

    // ---- UDP PacketConn table through the relay (js/relay.ts) ----
    // The table protocol above; a read takes one datagram.
    #[wasm_bindgen(js_name = _netUdpListen, catch)]
    pub fn udp_listen(network: &str) -> Result<u32, JsValue>;
    /// `[n, from]`, or -1 when no datagram is queued.
    #[wasm_bindgen(js_name = _netUdpReadFrom, catch)]
    pub fn udp_read_from(h: u32, dest: &Uint8Array) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = _netUdpReady, catch)]
    pub fn udp_ready(h: u32, token: f64) -> Result<(), JsValue>;
    /// The count, or a Promise of it; JS copies what it keeps.
    #[wasm_bindgen(js_name = _netUdpWriteTo, catch)]
    pub fn udp_write_to(h: u32, data: &Uint8Array, host: &str, port: u16) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = _netUdpSetDeadline, catch)]
    pub fn udp_set_deadline(h: u32, which: u32, at_ms: f64) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netUdpForget, catch)]
    pub fn udp_forget(h: u32, key: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netUdpClose, catch)]
    pub fn udp_close(h: u32) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netUdpRelease, catch)]
    pub fn udp_release(h: u32) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netUdpCount, catch)]
    pub fn udp_count() -> Result<u32, JsValue>;

    // ---- The relay's configuration (js/net.ts, js/relay.ts) ----
    /// Merges `relay` (js/relay.ts RelayOptions) into the host's settings.
    #[wasm_bindgen(js_name = _netRelayConfigure, catch)]
    pub fn relay_configure(relay: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netRelayStats, catch)]
    pub fn relay_stats() -> Result<JsValue, JsValue>;

    // ---- DNS over HTTPS (js/dns.ts) ----
    // Each resolves to an Array of strings, or rejects with a net::Error
    // object. `overrides` is a `Resolver`'s settings (servers, format,
    // timeoutMs); unset ones come from registerNetBindings().
    #[wasm_bindgen(js_name = _netLookupHost, catch)]
    pub fn lookup_host(name: &str, overrides: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = _netLookupIP, catch)]
    pub fn lookup_ip(network: &str, name: &str, overrides: &JsValue) -> Result<Promise, JsValue>;
    /// `arpa` is the reverse name (4.3.2.1.in-addr.arpa.); resolves to PTR names.
    #[wasm_bindgen(js_name = _netLookupAddr, catch)]
    pub fn lookup_addr(arpa: &str, overrides: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = _netDnsStats, catch)]
    pub fn dns_stats() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = _netDnsClearCache, catch)]
    pub fn dns_clear_cache() -> Result<(), JsValue>;

    // ---- HTTP client over fetch (js/http.ts); the table protocol above ----
    /// Starts a request described by `spec` (js/http.ts HttpRequestSpec);
    /// `body` is used when spec.body is "bytes" (JS copies it). The handle.
    #[wasm_bindgen(js_name = _netHttpFetch, catch)]
    pub fn http_fetch(spec: &JsValue, body: &[u8]) -> Result<u32, JsValue>;
    /// Resolves with the status line, final URL and headers.
    #[wasm_bindgen(js_name = _netHttpResponse, catch)]
    pub fn http_response(h: u32) -> Result<Promise, JsValue>;
    /// undefined, or a Promise that resolves when the upload has room.
    #[wasm_bindgen(js_name = _netHttpUploadWrite, catch)]
    pub fn http_upload_write(h: u32, data: &[u8]) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = _netHttpUploadClose, catch)]
    pub fn http_upload_close(h: u32) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netHttpRead, catch)]
    pub fn http_read(h: u32, dest: &Uint8Array) -> Result<i32, JsValue>;
    #[wasm_bindgen(js_name = _netHttpReady, catch)]
    pub fn http_ready(h: u32, token: f64) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netHttpForget, catch)]
    pub fn http_forget(h: u32, key: &JsValue) -> Result<(), JsValue>;
    /// Go's context cancellation: everything in flight fails with "context canceled".
    #[wasm_bindgen(js_name = _netHttpCancel, catch)]
    pub fn http_cancel(h: u32) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netHttpRelease, catch)]
    pub fn http_release(h: u32) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netHttpCount, catch)]
    pub fn http_count() -> Result<u32, JsValue>;
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
