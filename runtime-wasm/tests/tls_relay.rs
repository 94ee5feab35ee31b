//! TLS inside the page over the relay (feature `tls`), in Chromium and
//! Firefox against real peers: the TLS origin of servers/tls.mjs (http.mjs's
//! routes with no CORS header at all, a throwaway CA made at start-up)
//! reached through both Wisp relays and wsproxy, a server whose certificate
//! no trusted CA signed, and a tap in front of the origin that records the
//! bytes a relay carries.
#![cfg(target_arch = "wasm32")]

mod common;
use common::browser::*;

use std::time::Duration;

use futures::AsyncReadExt;
use runtime_wasm::externs::{self, Value};
use runtime_wasm::http::{self, new_request, Body, Client, Context, Route, Transport};
use runtime_wasm::net::{dial, open_conn_count, Error, RelayProtocol};
use runtime_wasm::tls;
use sha2::{Digest, Sha256};
use wasm_bindgen_test::wasm_bindgen_test as test;

fn ca() -> String {
    peer("tlsCa")
}

fn origin(path: &str) -> String {
    format!("https://{}{path}", peer("tlsOrigin"))
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The page sends requests for 127.0.0.1 through the relay and trusts the test CA.
fn route_loopback(relay_key: &str, protocol: RelayProtocol) {
    use_relay(&peer(relay_key), protocol);
    let opts = serde_json::json!({ "http": { "relayHosts": ["127.0.0.1"], "tlsRoots": [ca()] }, "policy": {} });
    set_net_options(&opts.to_string());
}

fn config() -> tls::Config {
    tls::Config { root_cas: vec![ca()], next_protos: vec!["http/1.1".into()], ..tls::Config::default() }
}

/// A raw HTTP/1.1 exchange on a TLS session; the response, whole.
async fn raw_get(c: &mut tls::TlsConn, path: &str) -> String {
    let req = format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    c.write_all(req.as_bytes()).await.expect("write");
    let mut out = Vec::new();
    c.read_to_end(&mut out).await.expect("read to the end");
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
async fn tls_dial_through_both_wisp_relays_and_wsproxy() {
    for (key, protocol) in [("wispV2", RelayProtocol::Wisp), ("wispV1", RelayProtocol::Wisp), ("wsproxy", RelayProtocol::Wsproxy)] {
        use_relay(&peer(key), protocol);
        let mut c = tls::dial("tcp", &peer("tlsOrigin"), &config()).await.unwrap_or_else(|e| panic!("{key}: {e}"));
        let st = c.connection_state().clone();
        assert_eq!((st.version, st.negotiated_protocol.as_str()), (0x0304, "http/1.1"), "{key}");
        let resp = raw_get(&mut c, "/hello").await;
        assert!(resp.starts_with("HTTP/1.1 200 OK\r\n") && resp.ends_with("hello\n"), "{key}: {resp}");
        assert!(!resp.to_ascii_lowercase().contains("access-control-allow-origin"), "{key}: the origin sends no CORS");
    }
}

#[test]
async fn a_refusal_is_the_dials_error_though_the_hello_went_out_at_once() {
    for r in WISP_RELAYS {
        route_loopback(r.key, RelayProtocol::Wisp);
        let refused = peer("tcpRefused");
        let e = tls::dial("tcp", &refused, &config()).await.expect_err("refused");
        assert!(e.to_string().starts_with(&format!("dial tcp {refused}: ")), "{}: {e}", r.name);
        if r.version == 1 {
            assert_eq!(e.root(), &Error::Refused, "{}: {e}", r.name);
        }
        for scheme in ["https", "http"] {
            let url = format!("{scheme}://{refused}/");
            let e = Client::new().get(&url).await.expect_err("refused");
            assert!(e.to_string().starts_with(&format!("Get \"{url}\": dial tcp {refused}: ")), "{}: {e}", r.name);
        }
    }
}

#[test]
async fn fetch_cannot_read_the_origin_and_the_relay_route_can() {
    route_loopback("wispV2", RelayProtocol::Wisp);
    let fetch_only = Client { transport: Transport { route: Route::Fetch }, ..Client::default() };
    let err = fetch_only.get(&origin("/hello")).await.expect_err("no CORS header: fetch may not read it");
    assert!(err.to_string().starts_with(&format!("Get \"{}\": ", origin("/hello"))), "{err}");
    let resp = http::get(&origin("/hello")).await.expect("through the relay");
    assert_eq!((resp.status_code, resp.proto.as_str()), (200, "HTTP/1.1"));
    assert_eq!(resp.body.text().await.expect("body"), "hello\n");
    assert_eq!(resp.header.get("Content-Length"), "6");
}

#[test]
async fn sixteen_mib_each_way_with_hashes_through_each_relay() {
    for (key, protocol, n) in [
        ("wispV2", RelayProtocol::Wisp, 16usize << 20),
        ("wispV1", RelayProtocol::Wisp, 4 << 20),
        ("wsproxy", RelayProtocol::Wsproxy, 4 << 20),
    ] {
        route_loopback(key, protocol);
        let resp = http::get(&origin(&format!("/bytes?n={n}&seed=7"))).await.unwrap_or_else(|e| panic!("{key}: {e}"));
        let want = resp.header.get("X-Sha256").to_string();
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 100_000];
        let mut got = 0;
        loop {
            match resp.body.read(&mut buf).await {
                Ok(k) => {
                    h.update(&buf[..k]);
                    got += k;
                }
                Err(Error::Eof) => break,
                Err(e) => panic!("{key}: body: {e}"),
            }
        }
        assert_eq!((got, hex(&h.finalize())), (n, want), "{key}: download");

        // Upload: streamed from a reader (no Content-Length: chunked), hashed by the server.
        let mut x = Xorshift(11);
        let data: Vec<u8> = (0..n).map(|_| x.byte()).collect();
        let mut req = new_request("POST", &origin("/echo"), Body::reader(futures::io::Cursor::new(data.clone()))).expect("request");
        req.header.set("Content-Type", "application/octet-stream");
        let resp = Client::new().r#do(req).await.unwrap_or_else(|e| panic!("{key}: upload: {e}"));
        let echo: serde_json::Value = serde_json::from_str(&resp.body.text().await.expect("echo")).expect("json");
        assert_eq!(echo["length"], n, "{key}");
        assert_eq!(echo["sha256"], hex(&Sha256::digest(&data)), "{key}: upload");
        assert_eq!(echo["headers"]["transfer-encoding"], "chunked", "{key}");
    }
}

#[test]
async fn keep_alive_reuses_one_connection() {
    route_loopback("wispV2", RelayProtocol::Wisp);
    http::close_pooled_connections();
    let before = open_conn_count().expect("count");
    for _ in 0..3 {
        let r = http::get(&origin("/hello")).await.expect("get");
        assert_eq!(r.body.text().await.expect("body"), "hello\n");
    }
    assert_eq!(open_conn_count().expect("count"), before + 1, "three requests, one connection");
    assert_eq!(http::pooled_connection_count(), 1);
    http::close_pooled_connections();
    sleep(50).await;
    assert_eq!(open_conn_count().expect("count"), before);
}

#[test]
async fn forty_requests_at_once_all_finish_and_the_pool_stays_bounded() {
    route_loopback("wispV2", RelayProtocol::Wisp);
    http::close_pooled_connections();
    // More bodies in flight than the pool holds (32): none may be cut.
    let gets = (0..40).map(|i| async move {
        let r = http::get(&origin(&format!("/bytes?n={}&seed={i}", 64 * 1024 + i))).await.expect("get");
        let want = r.header.get("X-Sha256").to_string();
        let body = r.body.bytes().await.expect("body");
        (body.len(), hex(&Sha256::digest(&body)) == want)
    });
    let got = futures::future::join_all(gets).await;
    for (i, (n, ok)) in got.into_iter().enumerate() {
        assert_eq!((n, ok), (64 * 1024 + i, true), "request {i}");
    }
    assert!(http::pooled_connection_count() <= 32, "{}", http::pooled_connection_count());
    http::close_pooled_connections();
}

#[test]
async fn a_bad_certificate_and_a_wrong_name_are_refused_in_gos_words() {
    route_loopback("wispV2", RelayProtocol::Wisp);
    let unknown = "tls: failed to verify certificate: x509: certificate signed by unknown authority";
    let e = tls::dial("tcp", &peer("tlsBad"), &config()).await.expect_err("untrusted CA");
    assert_eq!(e.to_string(), unknown);
    // Not trusted without the test CA either (only webpki-roots).
    let e = tls::dial("tcp", &peer("tlsOrigin"), &tls::Config::default()).await.expect_err("no root");
    assert_eq!(e.to_string(), unknown);
    let url = format!("https://{}/", peer("tlsBad"));
    let e = http::get(&url).await.expect_err("through http");
    assert_eq!(e.to_string(), format!("Get \"{url}\": {unknown}"));

    let conn = dial("tcp", &peer("tlsOrigin")).await.expect("dial");
    let cfg = tls::Config { server_name: "wrong.test".into(), ..config() };
    let e = tls::client(conn, "127.0.0.1", &cfg).await.expect_err("wrong name");
    let msg = e.to_string();
    assert!(msg.starts_with("tls: failed to verify certificate: x509: certificate is valid for "), "{msg}");
    assert!(msg.contains("localhost") && msg.ends_with(", not wrong.test"), "{msg}");

    // A server that does not speak TLS (the plain HTTP peer): Go's words.
    let e = tls::dial("tcp", &peer("tcpHttp"), &config()).await.expect_err("not TLS");
    assert_eq!(e.to_string(), "tls: first record does not look like a TLS handshake");

    // Go's InsecureSkipVerify: the same server accepted, for tests.
    let skip = tls::Config { insecure_skip_verify: true, ..tls::Config::default() };
    let mut c = tls::dial("tcp", &peer("tlsBad"), &skip).await.expect("insecure");
    let resp = raw_get(&mut c, "/").await;
    assert!(resp.starts_with("HTTP/1.1 200 OK\r\n") && resp.contains("you should not see this\n"), "{resp}");
}

#[test]
async fn redirects_are_followed_and_each_hop_is_checked_by_the_policy() {
    route_loopback("wispV2", RelayProtocol::Wisp);
    let r = http::get(&origin("/redirect?n=3")).await.expect("three hops");
    assert_eq!((r.status_code, r.redirected), (200, true));
    assert_eq!(r.request.url.to_string(), origin("/hello"));
    assert_eq!(r.body.text().await.expect("body"), "hello\n");
    // 307 repeats the method and the body.
    let r = Client::new()
        .post(&origin("/redirect?code=307&to=/echo"), "text/plain", b"again".to_vec())
        .await
        .expect("307");
    let echo: serde_json::Value = serde_json::from_str(&r.body.text().await.expect("echo")).expect("json");
    assert_eq!((echo["method"].as_str(), echo["text"].as_str()), (Some("POST"), Some("again")));
    // Eleven hops: Go's limit.
    let e = http::get(&origin("/redirect?n=11")).await.expect_err("too many");
    assert!(e.to_string().ends_with(": stopped after 10 redirects"), "{e}");

    // A hop to a host the policy denies is never dialled.
    let port = peer("tlsOrigin").rsplit(':').next().expect("port").to_string();
    let opts = serde_json::json!({ "http": { "relayHosts": ["127.0.0.1", "localhost"] }, "policy": { "hosts": ["127.0.0.1"] } });
    set_net_options(&opts.to_string());
    let to = format!("https://localhost:{port}/hello");
    let e = http::get(&origin(&format!("/redirect?to={to}"))).await.expect_err("denied hop");
    assert!(e.to_string().contains("permission denied by network policy") && e.to_string().contains("localhost"), "{e}");
    set_net_options(r#"{"policy": {}}"#);
}

#[test]
async fn the_relay_carries_no_plaintext() {
    route_loopback("wispV2", RelayProtocol::Wisp);
    let tap = |q: &str| format!("{}{q}", env!("NET_TEST_HTTPS_URL", "run the wasm tests through scripts/test.sh"));
    assert_eq!(c_fetch(&tap("/tap-reset")).await, "reset");
    let marker = "MARKER-q8Zx41";
    let url = format!("https://{}/echo?{marker}=1", peer("tlsOriginTap"));
    let mut req = new_request("POST", &url, format!("body {marker} body").into_bytes()).expect("request");
    req.header.set("X-Secret", marker);
    let resp = Client::new().r#do(req).await.expect("through the tap");
    let echo = resp.body.text().await.expect("echo");
    assert!(echo.contains(&format!("body {marker} body")), "the origin saw the request: {echo}");
    // The tap recorded the connection (the ClientHello's ALPN is clear text) …
    assert_eq!(c_fetch(&tap("/tap?marker=http/1.1")).await, "1");
    // … and never the marker, in the request or in the response.
    assert_eq!(c_fetch(&tap(&format!("/tap?marker={marker}"))).await, "0");
}

/// A GET through fetch (the tap's control routes are on the https peer, with CORS).
async fn c_fetch(url: &str) -> String {
    let c = Client { transport: Transport { route: Route::Fetch }, ..Client::default() };
    c.get(url).await.expect("fetch").body.text().await.expect("body")
}

#[test]
async fn deadlines_keep_the_session_and_cancellation_closes_it() {
    route_loopback("wispV2", RelayProtocol::Wisp);
    // A TLS read deadline: i/o timeout, then the same session works.
    let mut c = tls::dial("tcp", &peer("tlsOrigin"), &config()).await.expect("dial");
    c.set_read_deadline(in_ms(100)).expect("deadline");
    let mut buf = [0u8; 16];
    let e = c.read(&mut buf).await.expect_err("nothing to read");
    assert!(e.is_timeout(), "{e}");
    c.set_read_deadline(None).expect("clear");
    assert!(raw_get(&mut c, "/hello").await.ends_with("hello\n"));

    // Client.Timeout while awaiting headers, then the client goes on.
    let client = Client::with_timeout(Duration::from_millis(300));
    let e = client.get(&origin("/slow-headers?ms=3000")).await.expect_err("timeout");
    assert!(e.is_timeout(), "{e}");
    assert!(e.to_string().ends_with("(Client.Timeout exceeded while awaiting headers)"), "{e}");
    let r = client.get(&origin("/hello")).await.expect("next request");
    assert_eq!(r.body.text().await.expect("body"), "hello\n");

    // Client.Timeout while reading the body.
    let r = client.get(&origin("/slow-body?every=50&n=100")).await.expect("headers in time");
    let e = r.body.bytes().await.expect_err("the body is too slow");
    assert!(e.to_string().contains("Client.Timeout or context cancellation while reading body"), "{e}");

    // A cancelled context: context canceled, and its connection closed.
    let ctx = Context::new();
    let req = new_request("GET", &origin("/slow-headers?ms=3000"), Body::Empty).expect("req").with_context(&ctx);
    let c2 = ctx.clone();
    runtime_wasm::task::spawn_local(async move {
        sleep(100).await;
        c2.cancel();
    });
    let e = Client::new().r#do(req).await.expect_err("cancelled");
    assert!(e.to_string().ends_with(": context canceled"), "{e}");
}

/// Calls an extern to completion.
async fn call(name: &str, mut args: Vec<Value>) -> Vec<Value> {
    let ext = externs::find(name).unwrap_or_else(|| panic!("no extern {name}"));
    externs::call(ext, &mut externs::args_of(&mut args)).await.unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
async fn vo_externs_reach_a_host_without_cors() {
    route_loopback("wispV1", RelayProtocol::Wisp);
    let s = |v: &str| Value::Str(v.into());
    let out = call("net/http.nativeNewClientRequest", vec![]).await;
    let id = out[0].clone();
    // http.vo's shape: header lines with Host and Content-Length, the body whole.
    let host = peer("tlsOrigin");
    let lines = Value::List(vec![s(&format!("Host: {host}")), s("Content-Length: 9"), s("Content-Type: text/plain")]);
    let out = call(
        "net/http.nativeHttpsRequest",
        vec![id.clone(), s("POST"), s(&origin("/echo")), lines, Value::Bytes(b"vo's body".to_vec()), Value::Int(5_000_000_000)],
    )
    .await;
    assert_eq!(out[5], Value::Nil, "{:?}", out[5]);
    assert_eq!((&out[0], &out[1], &out[2]), (&Value::Int(200), &s("200 OK"), &s("HTTP/1.1")));
    let Value::Bytes(body) = &out[4] else { panic!("body: {:?}", out[4]) };
    let echo: serde_json::Value = serde_json::from_slice(body).expect("json");
    assert_eq!((echo["text"].as_str(), echo["headers"]["content-length"].as_str()), (Some("vo's body"), Some("9")));
    assert_eq!(call("net/http.nativeReleaseClientRequest", vec![id]).await, vec![]);
}
