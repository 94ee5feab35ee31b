//! Helpers for the tests that talk to the real peers from Chromium.

use std::time::Duration;

use js_sys::{Function, Promise, Reflect};
use runtime_wasm::net::{dial, Conn, SystemTime};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

// The real js/net.ts, bundled by scripts/test.sh (esbuild).
#[wasm_bindgen(module = "/tests/support/net-bindings.js")]
extern "C" {
    #[wasm_bindgen(js_name = registerNetBindings)]
    fn register_net_bindings(opts: JsValue) -> JsValue;
}

/// Installs the bindings (idempotent) and merges `ws` options given as JSON.
pub fn set_ws_options(ws_json: &str) {
    let opts = js_sys::JSON::parse(&format!(r#"{{"ws": {ws_json}}}"#)).expect("options JSON");
    register_net_bindings(opts);
}

/// Installs the bindings (idempotent) and merges any options given as JSON
/// (`{"dns": {...}}`, `{"ws": {...}}`).
pub fn set_net_options(json: &str) {
    register_net_bindings(js_sys::JSON::parse(json).expect("options JSON"));
}

/// The HTTP peer (servers/http.mjs), with a path.
pub fn http_url(path: &str) -> String {
    format!(
        "{}{}",
        env!(
            "NET_TEST_HTTP_URL",
            "run the wasm tests through scripts/test.sh"
        ),
        path
    )
}

pub fn doh_url() -> &'static str {
    env!(
        "NET_TEST_DOH_URL",
        "run the wasm tests through scripts/test.sh, which starts the peers"
    )
}

/// The static page server: it sends no CORS header, so a fetch from the test
/// page's origin to it fails the way a CORS-less server does.
pub fn no_cors_url(path: &str) -> String {
    format!(
        "{}{}",
        env!("NET_TEST_PAGE_URL").trim_end_matches('/'),
        path
    )
}

/// An http:// URL on the peer that accepts and never answers.
pub fn blackhole_http_url() -> String {
    env!("NET_TEST_BLACKHOLE_URL").replacen("ws://", "http://", 1)
}

/// An http:// URL on a port nothing listens on.
pub fn refused_http_url() -> String {
    env!("NET_TEST_REFUSED_URL").replacen("ws://", "http://", 1)
}

pub fn echo_url(query: &str) -> String {
    let base = env!(
        "NET_TEST_WS_URL",
        "run the wasm tests through scripts/test.sh, which starts the peers"
    );
    if query.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{query}")
    }
}

/// Dials the echo peer with the given controls (see servers/ws-echo.mjs),
/// on the default transport (WebSocketStream in Chromium).
pub async fn dial_echo(query: &str) -> Conn {
    dial_echo_on("auto", query).await
}

/// Both JS transports, for tests that must hold on each.
pub const TRANSPORTS: [&str; 2] = ["stream", "classic"];

/// Dials the echo peer over a given transport ("auto", "stream", "classic").
pub async fn dial_echo_on(transport: &str, query: &str) -> Conn {
    set_ws_options(&format!(r#"{{"transport": "{transport}"}}"#));
    let c = dial("ws", &echo_url(query))
        .await
        .expect("dial the echo peer");
    set_ws_options(r#"{"transport": "auto"}"#);
    c
}

pub async fn sleep(ms: i32) {
    let p = Promise::new(&mut |resolve, _| {
        let set_timeout: Function = Reflect::get(&js_sys::global(), &"setTimeout".into())
            .expect("setTimeout")
            .into();
        set_timeout
            .call2(&JsValue::NULL, &resolve, &ms.into())
            .expect("setTimeout call");
    });
    JsFuture::from(p).await.expect("timer");
}

/// A deadline `ms` from now (negative: in the past).
pub fn in_ms(ms: i64) -> Option<SystemTime> {
    let now = SystemTime::now();
    Some(if ms >= 0 {
        now + Duration::from_millis(ms as u64)
    } else {
        now - Duration::from_millis((-ms) as u64)
    })
}

/// Reads exactly `n` bytes.
pub async fn read_n(c: &Conn, n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    let mut got = 0;
    while got < n {
        got += c.read(&mut out[got..]).await.expect("read");
    }
    out
}

/// Deterministic bytes for stream checks.
pub struct Xorshift(pub u64);
impl Xorshift {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn byte(&mut self) -> u8 {
        (self.next() >> 32) as u8
    }
}
