//! Every JS function the crate imports, in one place. They are installed on
//! `globalThis` by `registerNetBindings()` (js/net.ts) under the same names.
//! All are `catch`: a missing binding or a JS exception becomes an `Err`,
//! never an unwinding exception through Rust frames.

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::net::Error;

#[wasm_bindgen]
extern "C" {
    // ---- WebSocket Conn table (js/ws.ts) ----
    #[wasm_bindgen(js_name = _netWsConnect, catch)]
    pub fn ws_connect(url: &str, timeout_ms: f64) -> Result<u32, JsValue>;
    #[wasm_bindgen(js_name = _netWsOpened, catch)]
    pub fn ws_opened(h: u32) -> Result<Promise, JsValue>;
    /// A Uint8Array, an Array of them, or a Promise of either.
    #[wasm_bindgen(js_name = _netWsRead, catch)]
    pub fn ws_read(h: u32, max: u32) -> Result<JsValue, JsValue>;
    /// The byte count, or a Promise of it. `data` is a view into wasm memory,
    /// valid only during the call: JS copies what it cannot send at once.
    #[wasm_bindgen(js_name = _netWsWrite, catch)]
    pub fn ws_write(h: u32, data: &[u8]) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = _netWsSetDeadline, catch)]
    pub fn ws_set_deadline(h: u32, which: u32, at_ms: f64) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netWsCancel, catch)]
    pub fn ws_cancel(h: u32, pending: &Promise) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netWsClose, catch)]
    pub fn ws_close(h: u32) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netWsAbort, catch)]
    pub fn ws_abort(h: u32) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netWsCount, catch)]
    pub fn ws_count() -> Result<u32, JsValue>;

    // ---- DNS over HTTPS (js/dns.ts) ----
    // Each resolves to an Array of strings, or rejects with a net::Error
    // object. `overrides` is a `Resolver`'s settings (servers, format,
    // timeoutMs); unset ones come from registerNetBindings().
    #[wasm_bindgen(js_name = _netLookupHost, catch)]
    pub fn lookup_host(name: &str, overrides: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = _netLookupIP, catch)]
    pub fn lookup_ip(name: &str, network: &str, overrides: &JsValue) -> Result<Promise, JsValue>;
    /// `arpa` is the reverse name (4.3.2.1.in-addr.arpa.); resolves to PTR names.
    #[wasm_bindgen(js_name = _netLookupAddr, catch)]
    pub fn lookup_addr(arpa: &str, overrides: &JsValue) -> Result<Promise, JsValue>;
    #[wasm_bindgen(js_name = _netDnsStats, catch)]
    pub fn dns_stats() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = _netDnsClearCache, catch)]
    pub fn dns_clear_cache() -> Result<(), JsValue>;

    // ---- HTTP client over fetch (js/http.ts) ----
    /// Starts a request described by `spec` (js/http.ts HttpRequestSpec);
    /// `body` is used when spec.body is "bytes" (JS copies it). The handle.
    #[wasm_bindgen(js_name = _netHttpStart, catch)]
    pub fn http_start(spec: &JsValue, body: &[u8]) -> Result<u32, JsValue>;
    /// Resolves with the status line, final URL and headers.
    #[wasm_bindgen(js_name = _netHttpResponse, catch)]
    pub fn http_response(h: u32) -> Result<Promise, JsValue>;
    /// undefined, or a Promise that resolves when the upload has room.
    #[wasm_bindgen(js_name = _netHttpUploadWrite, catch)]
    pub fn http_upload_write(h: u32, data: &[u8]) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = _netHttpUploadClose, catch)]
    pub fn http_upload_close(h: u32) -> Result<(), JsValue>;
    /// A Uint8Array, null at EOF, or a Promise of either.
    #[wasm_bindgen(js_name = _netHttpRead, catch)]
    pub fn http_read(h: u32, max: u32) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(js_name = _netHttpCancel, catch)]
    pub fn http_cancel(h: u32, pending: &Promise) -> Result<(), JsValue>;
    #[wasm_bindgen(js_name = _netHttpAbort, catch)]
    pub fn http_abort(h: u32) -> Result<(), JsValue>;
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
