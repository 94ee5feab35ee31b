//! DNS over HTTPS against a real DoH server on 127.0.0.1: dnsdist (RFC 8484
//! over HTTP, with a CORS header) in front of dnsmasq holding the test zone
//! of servers/doh.mjs. Runs in headless Chromium.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use futures::future::join_all;
use runtime_wasm::net::*;
use wasm_bindgen_test::wasm_bindgen_test;

mod common;
use common::browser::*;

/// The resolver every test uses: the real peer, nothing else.
fn peer() -> Resolver {
    set_net_options("{}");
    Resolver::with_servers([doh_url()])
}

fn texts(ips: &[IP]) -> Vec<String> {
    ips.iter().map(IP::to_string).collect()
}

#[wasm_bindgen_test]
async fn a_records() {
    let r = peer();
    let ips = r.lookup_ip("ip4", "a.test.example").await.expect("A");
    assert_eq!(texts(&ips), ["10.1.2.3"]);
    assert_eq!(ips[0].len(), 4, "A records are 4-byte IPs, as in Go");
    // dnsmasq answers the AAAA question for an --address name with NXDOMAIN:
    // one family failing still returns the other.
    assert_eq!(
        r.lookup_host("a.test.example").await,
        Ok(vec!["10.1.2.3".to_string()])
    );
}

#[wasm_bindgen_test]
async fn aaaa_records() {
    let r = peer();
    let ips = r.lookup_ip("ip6", "six.test.example").await.expect("AAAA");
    assert_eq!(
        (texts(&ips), ips[0].len()),
        (vec!["fd00::6".to_string()], 16)
    );
    assert_eq!(
        r.lookup_host("six.test.example").await,
        Ok(vec!["fd00::6".to_string()])
    );
    // ip4 only: the name has no A record (NODATA).
    let e = r
        .lookup_ip("ip4", "six.test.example")
        .await
        .expect_err("no A");
    assert!(e.is_not_found(), "{e}");
    assert_eq!(
        e.to_string(),
        format!("lookup six.test.example on {}: no such host", doh_url())
    );
}

#[wasm_bindgen_test]
async fn dual_stack() {
    let r = peer();
    assert_eq!(
        r.lookup_host("dual.test.example").await,
        Ok(vec!["10.9.8.7".to_string(), "fd00::7".to_string()])
    );
    assert_eq!(
        texts(&r.lookup_ip("ip", "DUAL.test.example.").await.expect("ip")),
        ["10.9.8.7", "fd00::7"]
    );
    assert_eq!(
        texts(&r.lookup_ip("ip4", "dual.test.example").await.expect("ip4")),
        ["10.9.8.7"]
    );
    assert_eq!(
        texts(&r.lookup_ip("ip6", "dual.test.example").await.expect("ip6")),
        ["fd00::7"]
    );
}

#[wasm_bindgen_test]
async fn cname_chains_are_followed() {
    let r = peer();
    let want = vec!["10.9.8.7".to_string(), "fd00::7".to_string()];
    assert_eq!(r.lookup_host("alias.test.example").await, Ok(want.clone()));
    assert_eq!(r.lookup_host("chain.test.example").await, Ok(want)); // chain -> alias -> dual
}

#[wasm_bindgen_test]
async fn nxdomain_is_not_found_naming_the_server() {
    let r = peer();
    let e = r
        .lookup_host("nope.test.example")
        .await
        .expect_err("NXDOMAIN");
    assert_eq!(
        e.to_string(),
        format!("lookup nope.test.example on {}: no such host", doh_url())
    );
    assert!(e.is_not_found() && !e.is_timeout() && !e.is_temporary());
    // A name with only a TXT record has no address: not found, never the TXT.
    let e = r.lookup_host("txt.test.example").await.expect_err("NODATA");
    assert!(e.is_not_found(), "{e}");
}

#[wasm_bindgen_test]
async fn refused_is_server_misbehaving() {
    // Outside the local zone, with no upstream, dnsmasq answers REFUSED.
    let e = peer()
        .lookup_ip("ip4", "outside.invalid")
        .await
        .expect_err("REFUSED");
    assert_eq!(
        e.to_string(),
        format!(
            "lookup outside.invalid on {}: server misbehaving (rcode REFUSED)",
            doh_url()
        )
    );
    assert!(!e.is_not_found());
}

#[wasm_bindgen_test]
async fn ptr_records() {
    let r = peer();
    assert_eq!(
        r.lookup_addr("10.9.8.7").await,
        Ok(vec!["dual.test.example.".to_string()])
    );
    assert_eq!(
        r.lookup_addr("fd00::7").await,
        Ok(vec!["dual.test.example.".to_string()])
    );
    let e = r.lookup_addr("10.9.8.99").await.expect_err("no PTR");
    assert_eq!(
        e.to_string(),
        format!(
            "lookup 99.8.9.10.in-addr.arpa. on {}: no such host",
            doh_url()
        )
    );
    assert!(e.is_not_found());
}

#[wasm_bindgen_test]
async fn registered_servers_serve_the_default_resolver() {
    // Configured from JS (registerNetBindings), then from Rust at run time.
    set_net_options(&format!(r#"{{"dns": {{"servers": ["{}"]}}}}"#, doh_url()));
    assert_eq!(
        lookup_host("dual.test.example").await.map(|v| v.len()),
        Ok(2)
    );
    set_net_options(&format!(
        r#"{{"dns": {{"servers": ["{}"]}}}}"#,
        refused_http_url()
    ));
    set_default_resolver(Resolver::with_servers([doh_url()]));
    assert_eq!(
        texts(
            &lookup_ip("ip4", "a.test.example")
                .await
                .expect("Rust-side servers win")
        ),
        ["10.1.2.3"]
    );
    set_default_resolver(Resolver::default());
    let e = lookup_ip("ip4", "a.test.example")
        .await
        .expect_err("JS servers: refused port");
    assert!(e.to_string().contains(&refused_http_url()), "{e}");
    set_net_options(&format!(r#"{{"dns": {{"servers": ["{}"]}}}}"#, doh_url()));
}

#[wasm_bindgen_test]
async fn falls_back_to_the_next_server() {
    let r = Resolver::with_servers([refused_http_url(), doh_url().to_string()]);
    set_net_options("{}");
    assert_eq!(
        texts(
            &r.lookup_ip("ip6", "dual.test.example")
                .await
                .expect("second server")
        ),
        ["fd00::7"]
    );
    // Alone, the unreachable server gives an error that says what happened.
    let e = Resolver::with_servers([refused_http_url()])
        .lookup_ip("ip4", "b.test.example")
        .await
        .expect_err("refused");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!(
            "lookup b.test.example on {}: DoH request failed",
            refused_http_url()
        )),
        "{msg}"
    );
    assert!(msg.contains("unreachable") && msg.contains("CORS"), "{msg}");
    assert!(e.is_temporary() && !e.is_not_found());
}

#[wasm_bindgen_test]
async fn a_server_without_cors_is_reported() {
    let e = Resolver::with_servers([no_cors_url("/dns-query")])
        .lookup_ip("ip4", "a.test.example")
        .await
        .expect_err("CORS");
    assert!(
        e.to_string().contains("does not allow this origin (CORS)"),
        "{e}"
    );
}

#[wasm_bindgen_test]
async fn a_silent_server_times_out() {
    let r = Resolver {
        timeout: Some(Duration::from_millis(300)),
        ..Resolver::with_servers([blackhole_http_url()])
    };
    set_net_options("{}");
    let e = r
        .lookup_ip("ip4", "a.test.example")
        .await
        .expect_err("timeout");
    assert_eq!(
        e.to_string(),
        format!(
            "lookup a.test.example on {}: i/o timeout",
            blackhole_http_url()
        )
    );
    assert!(e.is_timeout() && e.is_temporary());
}

/// dnsdist has no JSON API, and its error replies carry no CORS header, so
/// the browser hides the 400 behind a network error: the message still names
/// the server and the likely causes.
#[wasm_bindgen_test]
async fn json_format_against_a_wire_only_server_fails_clearly() {
    let r = Resolver {
        format: Some(DohFormat::Json),
        ..peer()
    };
    let e = r
        .lookup_ip("ip4", "a.test.example")
        .await
        .expect_err("dnsdist has no JSON API");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!(
            "lookup a.test.example on {}: DoH request failed",
            doh_url()
        )),
        "{msg}"
    );
    assert!(msg.contains("CORS"), "{msg}");
}

#[wasm_bindgen_test]
async fn concurrent_lookups_share_one_query_per_type_then_hit_the_cache() {
    let r = peer();
    dns_clear_cache().expect("clear");
    let before = dns_stats().expect("stats");
    let all = join_all((0..20).map(|_| r.lookup_host("alias.test.example"))).await;
    for a in &all {
        assert_eq!(a.as_deref().map(<[String]>::len), Ok(2));
    }
    let mid = dns_stats().expect("stats");
    assert_eq!(
        mid.queries - before.queries,
        2,
        "one query for A, one for AAAA"
    );
    assert_eq!(mid.joined - before.joined, 38);
    assert_eq!(mid.in_flight, 0);
    // The zone's TTL is 60 s: the next lookups are answered from the cache.
    for _ in 0..5 {
        r.lookup_host("alias.test.example").await.expect("cached");
    }
    let after = dns_stats().expect("stats");
    assert_eq!(after.queries, mid.queries);
    assert_eq!(after.cache_hits - mid.cache_hits, 10);
    // Another server list never shares those answers.
    let other = Resolver::with_servers([format!("{}?", doh_url())]);
    other
        .lookup_host("alias.test.example")
        .await
        .expect("other");
    assert_eq!(dns_stats().expect("stats").queries - after.queries, 2);
}
