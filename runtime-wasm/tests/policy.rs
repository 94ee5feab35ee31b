//! The host's capability policy in front of Dial, fetch and DoH, against the
//! real peers in Chromium. Its own test binary: the policy is page-wide.
#![cfg(target_arch = "wasm32")]

use runtime_wasm::http;
use runtime_wasm::http::{new_request, Body, Client};
use runtime_wasm::net::{dial, lookup_host, open_conn_count, Resolver};
use wasm_bindgen_test::wasm_bindgen_test;

mod common;
use common::browser::*;

fn policy(json: &str) {
    set_net_options(&format!(r#"{{"policy": {json}}}"#));
}

#[wasm_bindgen_test]
async fn denied_calls_fail_with_go_style_errors_and_allowed_ones_work() {
    policy(r#"{"hosts": ["localhost"]}"#);
    let url = echo_url("");
    let e = dial("ws", &url).await.expect_err("denied");
    assert_eq!(
        e.to_string(),
        format!("dial ws {url}: permission denied by network policy (host 127.0.0.1 not allowed)")
    );
    let h = http_url("/hello");
    let e = http::get(&h).await.expect_err("denied");
    assert_eq!(
        e.to_string(),
        format!("Get \"{h}\": permission denied by network policy (host 127.0.0.1 not allowed)")
    );
    // A name the guest could not connect to is not looked up.
    let e = Resolver::with_servers([doh_url()])
        .lookup_host("a.test.example")
        .await
        .expect_err("denied");
    assert_eq!(
        e.to_string(),
        "lookup a.test.example: permission denied by network policy (lookup of a.test.example not allowed)"
    );
    // A DoH server the guest names is checked like any destination.
    policy(r#"{"hosts": ["a.test.example"]}"#);
    let e = Resolver::with_servers([doh_url()])
        .lookup_host("a.test.example")
        .await
        .expect_err("denied");
    assert!(
        e.to_string()
            .ends_with(": permission denied by network policy (host 127.0.0.1 not allowed)"),
        "{e}"
    );
    policy(r#"{"hosts": ["localhost"]}"#);
    // Nothing was opened.
    assert_eq!(open_conn_count(), Ok(0));
    assert_eq!(http::open_request_count(), Ok(0));

    policy(r#"{"schemes": ["ws", "http"], "hosts": ["127.0.0.1"]}"#);
    let c = dial("ws", &url).await.expect("allowed");
    c.close().await.expect("close");
    assert_eq!(http::get(&h).await.expect("allowed").status_code, 200);
    policy("{}");
    assert_eq!(lookup_host("localhost").await.map(|v| v.len()), Ok(2));
}

#[wasm_bindgen_test]
async fn ports_and_the_connection_cap() {
    policy(r#"{"ports": [1]}"#);
    let e = http::get(&http_url("/hello")).await.expect_err("port");
    assert!(
        e.to_string()
            .contains("permission denied by network policy (port "),
        "{e}"
    );
    policy(r#"{"maxConnections": 1}"#);
    let c = dial("ws", &echo_url("")).await.expect("first");
    let e = dial("ws", &echo_url("")).await.expect_err("second");
    assert!(
        e.to_string()
            .ends_with("permission denied by network policy (more than 1 connections not allowed)"),
        "{e}"
    );
    let e = http::get(&http_url("/hello"))
        .await
        .expect_err("counts HTTP too");
    assert!(e.to_string().contains("more than 1 connections"), "{e}");
    c.close().await.expect("close");
    let again = dial_when_room(&echo_url("")).await; // once the browser has let the socket go
    again.close().await.expect("close");
    policy("{}");
}

/// The stalling WebSocket peer: it never answers a Close.
fn stall_url(hold_ms: u32) -> String {
    format!(
        "{}?hold={hold_ms}",
        env!("NET_TEST_WS_STALL_URL", "run the wasm tests through scripts/test.sh")
    )
}

/// Dials once the policy has room (closed sockets count until the browser
/// has released them), within 10 s.
async fn dial_when_room(url: &str) -> runtime_wasm::net::Conn {
    for _ in 0..100 {
        match dial("ws", url).await {
            Ok(c) => return c,
            Err(e) if e.to_string().contains("more than") => sleep(100).await,
            Err(e) => panic!("dial {url}: {e}"),
        }
    }
    panic!("no room for {url} within 10 s")
}

#[wasm_bindgen_test]
async fn a_closed_socket_counts_until_the_browser_releases_it() {
    for transport in transports() {
        set_ws_options(&format!(r#"{{"transport": "{transport}"}}"#));
        policy(r#"{"maxConnections": 1}"#);
        // The peer never answers the close; it cuts TCP after 1.5 s.
        let c = dial_when_room(&stall_url(1500)).await;
        c.close().await.expect("close");
        assert_eq!(open_conn_count(), Ok(0), "{transport}: the Conn is closed");
        let e = dial("ws", &echo_url("")).await.expect_err("the closing socket still counts");
        assert!(e.to_string().contains("more than 1 connections"), "{transport}: {e}");
        let e = http::get(&http_url("/hello")).await.expect_err("for HTTP too");
        assert!(e.to_string().contains("more than 1 connections"), "{transport}: {e}");
        // Once the browser has let the socket go, there is room again.
        dial_when_room(&echo_url("")).await.close().await.expect("close");
    }
    set_ws_options(r#"{"transport": "auto"}"#);
    policy("{}");
}

#[wasm_bindgen_test]
async fn redirects_are_not_followed_blind_while_destinations_are_restricted() {
    // The allowed server redirects a POST (307 replays its body) to a host
    // the policy denies; the hop must never be made.
    let marked = |id: &str| http_url(&format!("/marked?id={id}"));
    let target = |id: &str| http_url(&format!("/mark?id={id}")).replacen("127.0.0.1", "localhost", 1);
    let via = |id: &str| http_url(&format!("/redirect?code=307&to={}", target(id).replace('&', "%26")));
    let post = |url: String| async move {
        let req = new_request("POST", &url, Body::Bytes(b"data".to_vec())).expect("request");
        Client::new().r#do(req).await
    };
    policy(r#"{"hosts": ["127.0.0.1"]}"#);
    let e = post(via("denied")).await.expect_err("denied");
    assert!(
        e.to_string()
            .contains("answered with a redirect, and the browser does not reveal where it leads"),
        "{e}"
    );
    policy("{}");
    let seen = http::get(&marked("denied")).await.expect("marked").body.bytes().await.expect("body");
    assert_eq!(seen, b"0", "the denied host was reached");
    // The same request with nothing restricted follows the redirect (so the
    // check above could have failed).
    let r = post(via("open")).await.expect("followed");
    assert_eq!((r.status_code, r.redirected), (200, true));
    let seen = http::get(&marked("open")).await.expect("marked").body.bytes().await.expect("body");
    assert_eq!(seen, b"1");
}
