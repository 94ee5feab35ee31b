//! The host's capability policy in front of Dial, fetch and DoH, against the
//! real peers in Chromium. Its own test binary: the policy is page-wide.
#![cfg(target_arch = "wasm32")]

use runtime_wasm::http;
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
    let e = Resolver::with_servers([doh_url()])
        .lookup_host("a.test.example")
        .await
        .expect_err("denied");
    assert!(
        e.to_string()
            .ends_with(": permission denied by network policy (host 127.0.0.1 not allowed)"),
        "{e}"
    );
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
    let again = dial("ws", &echo_url(""))
        .await
        .expect("room again after close");
    again.close().await.expect("close");
    policy("{}");
}
