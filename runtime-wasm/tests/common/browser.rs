//! Helpers for the tests that talk to the real peers from Chromium.

use std::time::Duration;

use js_sys::{Function, Promise, Reflect};
use runtime_wasm::net::{dial, open_conn_count, set_relay, Conn, Relay, RelayProtocol, SystemTime};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

// The real js/net.ts, as the crate ships it (feature `js-glue`,
// glue/net-bindings.js, rebuilt by scripts/test.sh before these tests).
fn register_net_bindings(opts: JsValue) {
    runtime_wasm::glue::register_net_bindings(&opts).expect("registerNetBindings");
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

/// Does this browser have WebSocketStream (Chromium; not Firefox or WebKit)?
/// Found by feature detection, never by the user agent.
pub fn has_websocket_stream() -> bool {
    Reflect::get(&js_sys::global(), &"WebSocketStream".into()).is_ok_and(|v| v.is_function())
}

/// Can this browser stream a request body (`duplex: "half"`)? The feature
/// test js/http.ts makes (Chromium yes; Firefox and WebKit collect the body).
pub fn can_stream_uploads() -> bool {
    js_sys::Function::new_no_args(
        "let d = false; try { const h = new Request('https://x/', { body: new ReadableStream(), method: 'POST', \
         get duplex() { d = true; return 'half'; } }).headers.has('Content-Type'); return d && !h; } catch { return false; }",
    )
    .call0(&JsValue::NULL)
    .is_ok_and(|v| v.is_truthy())
}

/// The JS transports this browser has, for tests that must hold on each:
/// both in Chromium, the classic WebSocket alone where there is no WebSocketStream.
pub fn transports() -> Vec<&'static str> {
    if has_websocket_stream() {
        vec!["stream", "classic"]
    } else {
        vec!["classic"]
    }
}

/// Where there is no WebSocketStream, what a dial asking for it gets: a
/// clear error naming it, not the browser's "is not a constructor".
pub async fn stream_transport_is_refused() {
    set_ws_options(r#"{"transport": "stream"}"#);
    let e = dial("ws", &echo_url("")).await.expect_err("no WebSocketStream here");
    set_ws_options(r#"{"transport": "auto"}"#);
    assert!(e.to_string().contains(r#"ws.transport "stream" needs WebSocketStream"#), "{e}");
}

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

/// Every peer servers/start.mjs started, by name (its JSON line).
pub fn peers() -> serde_json::Value {
    serde_json::from_str(env!(
        "NET_TEST_PEERS",
        "run the wasm tests through scripts/test.sh, which starts the peers"
    ))
    .expect("NET_TEST_PEERS is JSON")
}

/// One peer's URL or address.
pub fn peer(name: &str) -> String {
    match &peers()[name] {
        serde_json::Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// A Wisp relay of servers/relay.mjs.
#[derive(Debug, Clone, Copy)]
pub struct RelayPeer {
    pub name: &'static str,
    /// Its key in NET_TEST_PEERS.
    pub key: &'static str,
    /// Does it withhold CONTINUE credit while its destination is not
    /// reading (the spec's flow control)? wisp-server-node re-credits every
    /// 127 packets whatever its socket does.
    pub honors_credit: bool,
    /// The Wisp version it speaks with this client.
    pub version: u8,
}

/// Both Wisp relays: every relay test runs against each.
pub const WISP_RELAYS: [RelayPeer; 2] = [
    RelayPeer { name: "wisp-js", key: "wispV2", honors_credit: true, version: 2 },
    RelayPeer { name: "wisp-server-node", key: "wispV1", honors_credit: false, version: 1 },
];

/// Points Dial("tcp") and ListenPacket("udp") at a relay (through the Rust API).
pub fn use_relay(url: &str, protocol: RelayProtocol) {
    register_net_bindings(JsValue::UNDEFINED);
    set_relay(&Relay {
        url: Some(url.into()),
        protocol: Some(protocol),
        ..Relay::default()
    })
    .expect("set_relay");
}

/// Where the nettest cases run: the WebSocket echo peer, or a TCP
/// destination through a Wisp relay.
#[derive(Debug, Clone, Copy)]
pub enum Peer {
    Ws,
    Relay(RelayPeer),
}

/// The WebSocket peer and both relays.
pub fn all_peers() -> Vec<Peer> {
    let mut v = vec![Peer::Ws];
    v.extend(WISP_RELAYS.map(Peer::Relay));
    v
}

impl Peer {
    pub fn network(&self) -> &'static str {
        match self {
            Peer::Ws => "ws",
            Peer::Relay(_) => "tcp",
        }
    }

    async fn tcp(&self, dest: &str) -> Conn {
        let Peer::Relay(r) = self else { unreachable!() };
        use_relay(&peer(r.key), RelayProtocol::Wisp);
        dial("tcp", &peer(dest))
            .await
            .unwrap_or_else(|e| panic!("dial {dest} through {}: {e}", r.name))
    }

    /// An echo: every byte written comes back.
    pub async fn echo(&self) -> Conn {
        match self {
            Peer::Ws => dial_echo("").await,
            Peer::Relay(_) => self.tcp("tcpEcho").await,
        }
    }

    /// A peer that never sends anything and stops reading (servers/relay.mjs tcpSink).
    pub async fn silent(&self) -> Conn {
        match self {
            Peer::Ws => dial_echo("silent=1").await,
            Peer::Relay(_) => {
                let c = self.tcp("tcpSink").await;
                c.write_all(b"HOLD 600000\n").await.expect("write HOLD");
                c
            }
        }
    }

    /// A conn whose writes will block: the peer stops reading (through a
    /// relay that honors credit; one that does not buffers what it gets).
    pub async fn blocking_writer(&self) -> Conn {
        match self {
            Peer::Ws => {
                set_ws_options(r#"{"writeHighWaterBytes": 65536}"#);
                let c = dial("ws", &echo_url("pause=1")).await.expect("dial");
                set_ws_options(r#"{"writeHighWaterBytes": 1048576}"#);
                c
            }
            Peer::Relay(_) => self.silent().await,
        }
    }
}

/// Writes `total` bytes in random-sized writes while reading them back
/// concurrently, comparing every byte; then closes and checks for leaks.
pub async fn echo_bytes(c: Conn, total: usize) {
    let writer = async {
        let mut gen = Xorshift(7);
        let mut sizes = Xorshift(99);
        let mut sent = 0;
        let mut buf = vec![0u8; 64 << 10];
        while sent < total {
            let n = (1 + sizes.next() as usize % buf.len()).min(total - sent);
            buf[..n].iter_mut().for_each(|b| *b = gen.byte());
            c.write_all(&buf[..n]).await.expect("write");
            sent += n;
        }
    };
    let reader = async {
        let mut want = Xorshift(7);
        let mut got = 0;
        let mut buf = vec![0u8; 48 << 10];
        while got < total {
            let n = c.read(&mut buf).await.expect("read");
            assert!(n > 0);
            for (i, b) in buf[..n].iter().enumerate() {
                assert_eq!(*b, want.byte(), "byte {} differs", got + i);
            }
            got += n;
        }
        got
    };
    let ((), got) = futures::join!(writer, reader);
    assert_eq!(got, total);
    c.close().await.expect("close");
    assert_eq!(open_conn_count(), Ok(0));
}

/// GETs `url` with fetch and expects a 2xx (a control endpoint of a peer).
pub async fn fetch_ok(url: &str) {
    let fetch: Function = Reflect::get(&js_sys::global(), &"fetch".into())
        .expect("fetch")
        .into();
    let resp = JsFuture::from(Promise::from(fetch.call1(&JsValue::NULL, &url.into()).expect("fetch call")))
        .await
        .expect("fetch");
    let ok = Reflect::get(&resp, &"ok".into()).expect("ok").as_bool();
    assert_eq!(ok, Some(true), "GET {url}");
}
