//! net/http over fetch against a real HTTP server on 127.0.0.1
//! (servers/http.mjs, CORS on every route but /nocors). Runs in Chromium.
#![cfg(target_arch = "wasm32")]

use std::time::Duration;

use futures::io::AsyncReadExt;
use runtime_wasm::http::{self, new_request, Body, Client, Context, Values};
use runtime_wasm::net::Error;
use sha2::{Digest, Sha256};
use wasm_bindgen_test::wasm_bindgen_test;

mod common;
use common::browser::*;

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// Installs the bindings; returns the request table's size, which each test
/// must leave as it found it (a failed test aborts without running
/// destructors, so a fixed 0 would make one failure fail every later test).
fn setup() -> u32 {
    set_net_options("{}");
    http::open_request_count().expect("count")
}

fn assert_no_requests_left(base: u32) {
    assert_eq!(
        http::open_request_count(),
        Ok(base),
        "request handles leaked"
    );
}

#[wasm_bindgen_test]
async fn get_small_body() {
    let base = setup();
    let resp = http::get(&http_url("/hello")).await.expect("GET");
    assert_eq!(
        (resp.status.as_str(), resp.status_code, resp.proto.as_str()),
        ("200 OK", 200, "HTTP/1.1")
    );
    assert_eq!(resp.header.get("content-type"), "text/plain");
    assert_eq!(resp.content_length, 6);
    assert!(!resp.uncompressed && !resp.redirected);
    assert_eq!(resp.body.text().await.as_deref(), Ok("hello\n"));
    assert_eq!(
        resp.body.read(&mut [0; 8]).await,
        Err(Error::Eof),
        "EOF after the end"
    );
    assert_no_requests_left(base); // read to the end: released without a close
}

#[wasm_bindgen_test]
async fn streams_64_mib_verified_by_hash() {
    let base = setup();
    let n = 64 << 20;
    let resp = http::get(&http_url(&format!("/bytes?n={n}&seed=7")))
        .await
        .expect("GET");
    assert_eq!(resp.content_length, n as i64);
    let want = resp.header.get("X-Sha256").to_string();
    assert_eq!(want.len(), 64, "the server's hash header is exposed");
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    let mut total = 0usize;
    let mut reads = 0usize;
    loop {
        match resp.body.read(&mut buf).await {
            Ok(k) => {
                h.update(&buf[..k]);
                total += k;
                reads += 1;
            }
            Err(Error::Eof) => break,
            Err(e) => panic!("read: {e}"),
        }
    }
    assert_eq!(total, n);
    assert!(
        reads > 64,
        "streamed in many chunks, not one buffer ({reads} reads)"
    );
    assert_eq!(hex(&h.finalize()), want);
    assert_no_requests_left(base);
}

#[wasm_bindgen_test]
async fn chunked_and_small_reads() {
    let base = setup();
    let resp = http::get(&http_url("/chunked")).await.expect("GET");
    assert_eq!(resp.content_length, -1, "no Content-Length: unknown");
    // 3-byte reads split the server's chunks; nothing is lost.
    let mut out = Vec::new();
    let mut buf = [0u8; 3];
    loop {
        match resp.body.read(&mut buf).await {
            Ok(k) => out.extend_from_slice(&buf[..k]),
            Err(Error::Eof) => break,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "part 0\npart 1\npart 2\npart 3\npart 4\n"
    );
    assert_no_requests_left(base);
}

#[wasm_bindgen_test]
async fn gzip_is_decoded_and_the_length_is_unknown() {
    let base = setup();
    let resp = http::get(&http_url("/gzip?n=200000")).await.expect("GET");
    assert!(resp.uncompressed);
    assert_eq!(resp.content_length, -1);
    assert_eq!(resp.header.get("Content-Encoding"), "gzip");
    let want = resp.header.get("X-Sha256").to_string();
    let body = resp.body.bytes().await.expect("body");
    assert_eq!(body.len(), 200000);
    assert_eq!(hex(&Sha256::digest(&body)), want);
}

#[wasm_bindgen_test]
async fn async_read_trait() {
    let base = setup();
    let mut resp = http::get(&http_url("/bytes?n=100000&seed=3"))
        .await
        .expect("GET");
    let mut all = Vec::new();
    resp.body.read_to_end(&mut all).await.expect("read_to_end");
    assert_eq!(hex(&Sha256::digest(&all)), resp.header.get("x-sha256"));
}

#[wasm_bindgen_test]
async fn redirects_are_followed_and_the_final_url_kept() {
    let base = setup();
    let start = http_url("/redirect?n=3");
    let resp = http::get(&start).await.expect("GET");
    assert_eq!(resp.status_code, 200);
    assert!(resp.redirected);
    assert_eq!(resp.request.url.to_string(), http_url("/hello"));
    assert_eq!(resp.body.text().await.as_deref(), Ok("hello\n"));
}

#[wasm_bindgen_test]
async fn redirect_modes_from_go_special_headers() {
    let base = setup();
    let mut req = new_request("GET", &http_url("/redirect?n=1"), ()).unwrap();
    req.header.set("js.fetch:redirect", "manual");
    let resp = Client::new().r#do(req).await.expect("manual");
    assert_eq!(
        (resp.status_code, resp.status.as_str()),
        (0, "0 Opaque Redirect")
    );
    drop(resp);
    let mut req = new_request("GET", &http_url("/redirect?n=1"), ()).unwrap();
    req.header.set("js.fetch:redirect", "error");
    let e = Client::new().r#do(req).await.expect_err("redirect refused");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!(
            "Get \"{}\": net/http: fetch() failed: ",
            http_url("/redirect?n=1")
        )),
        "{msg}"
    );
    assert!(msg.contains("redirect"), "{msg}");
    assert_no_requests_left(base);
}

#[wasm_bindgen_test]
async fn status_codes_are_responses_not_errors() {
    let base = setup();
    for (code, status) in [
        (404, "404 Not Found"),
        (500, "500 Internal Server Error"),
        (418, "418 I'm a teapot"),
    ] {
        let resp = http::get(&http_url(&format!("/status/{code}")))
            .await
            .expect("a response");
        assert_eq!((resp.status_code, resp.status.as_str()), (code, status));
        assert_eq!(resp.body.text().await.unwrap(), format!("status {code}\n"));
    }
}

#[wasm_bindgen_test]
async fn head_has_no_body() {
    let base = setup();
    let resp = http::head(&http_url("/bytes?n=5000")).await.expect("HEAD");
    assert_eq!(resp.content_length, 5000);
    assert_eq!(resp.body.bytes().await.map(|b| b.len()), Ok(0));
}

#[wasm_bindgen_test]
async fn post_bytes_strings_and_forms() {
    let base = setup();
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7) as u8).collect();
    let resp = http::post(
        &http_url("/echo"),
        "application/octet-stream",
        bytes.clone(),
    )
    .await
    .expect("POST");
    let echo = resp.body.text().await.unwrap();
    let v: serde_json::Value = serde_json::from_str(&echo).unwrap();
    assert_eq!(v["method"], "POST");
    assert_eq!(v["length"], 100_000);
    assert_eq!(v["sha256"], hex(&Sha256::digest(&bytes)));
    assert_eq!(v["headers"]["content-type"], "application/octet-stream");

    let form: Values = [("b", "x y"), ("a", "1&2"), ("a", "ü")]
        .into_iter()
        .collect();
    let resp = http::post_form(&http_url("/echo"), &form)
        .await
        .expect("form");
    let v: serde_json::Value = serde_json::from_str(&resp.body.text().await.unwrap()).unwrap();
    assert_eq!(v["text"], "a=1%262&a=%C3%BC&b=x+y");
    assert_eq!(
        v["headers"]["content-type"],
        "application/x-www-form-urlencoded"
    );

    let mut req = new_request("PUT", &http_url("/echo"), "text body").unwrap();
    req.header.add("X-Custom", "one");
    req.header.add("x-custom", "two");
    let resp = Client::new()
        .r#do(req)
        .await
        .expect("PUT with custom headers (preflighted)");
    let v: serde_json::Value = serde_json::from_str(&resp.body.text().await.unwrap()).unwrap();
    assert_eq!(
        (v["method"].as_str(), v["text"].as_str()),
        (Some("PUT"), Some("text body"))
    );
    assert_eq!(v["headers"]["x-custom"], "one, two");
}

#[wasm_bindgen_test]
async fn streamed_request_body_is_buffered_over_http1() {
    // Browsers stream uploads only over HTTP/2+, so on http:// the reader is
    // collected and sent whole; the server sees the exact bytes.
    let base = setup();
    let data: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let req = new_request(
        "POST",
        &http_url("/echo"),
        Body::reader(futures::io::Cursor::new(data.clone())),
    )
    .unwrap();
    assert_eq!(
        req.content_length, 0,
        "unknown length, as Go reads 0 with a body"
    );
    let resp = Client::new().r#do(req).await.expect("POST stream");
    let v: serde_json::Value = serde_json::from_str(&resp.body.text().await.unwrap()).unwrap();
    assert_eq!(v["length"], 3_000_000);
    assert_eq!(v["sha256"], hex(&Sha256::digest(&data)));
}

#[wasm_bindgen_test]
async fn client_timeout_while_awaiting_headers() {
    let base = setup();
    let url = http_url("/slow-headers?ms=3000");
    let e = Client::with_timeout(Duration::from_millis(300))
        .get(&url)
        .await
        .expect_err("timeout");
    assert_eq!(
        e.to_string(),
        format!("Get \"{url}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)")
    );
    assert!(e.is_timeout());
    assert_no_requests_left(base);
}

#[wasm_bindgen_test]
async fn client_timeout_covers_reading_the_body() {
    let base = setup();
    let c = Client::with_timeout(Duration::from_millis(400));
    let resp = c
        .get(&http_url("/slow-body?every=50&n=100"))
        .await
        .expect("headers come at once");
    let e = resp.body.bytes().await.expect_err("body too slow");
    assert_eq!(
        e.to_string(),
        "context deadline exceeded (Client.Timeout or context cancellation while reading body)"
    );
    assert!(e.is_timeout());
    assert_no_requests_left(base);
}

#[wasm_bindgen_test]
async fn context_cancel_and_deadline() {
    let base = setup();
    let ctx = Context::new();
    let url = http_url("/slow-headers?ms=3000");
    let req = new_request("GET", &url, ()).unwrap().with_context(&ctx);
    let client = Client::new();
    let fut = client.r#do(req);
    let cancel = async {
        sleep(100).await;
        ctx.cancel();
    };
    let (r, ()) = futures::join!(fut, cancel);
    let e = r.expect_err("canceled");
    assert_eq!(e.to_string(), format!("Get \"{url}\": context canceled"));
    assert!(matches!(e.root(), Error::ContextCanceled) && !e.is_timeout());
    // A canceled context fails later requests at once.
    let req = new_request("GET", &http_url("/hello"), ())
        .unwrap()
        .with_context(&ctx);
    assert!(matches!(
        Client::new().r#do(req).await.unwrap_err().root(),
        Error::ContextCanceled
    ));
    // A context deadline, shorter than the client's timeout.
    let ctx = Context::with_timeout(Duration::from_millis(200));
    let req = new_request("GET", &url, ()).unwrap().with_context(&ctx);
    let e = Client::with_timeout(Duration::from_secs(10))
        .r#do(req)
        .await
        .expect_err("deadline");
    assert_eq!(
        e.to_string(),
        format!("Get \"{url}\": context deadline exceeded")
    );
    assert!(e.is_timeout());
    // Cancel while reading the body.
    let ctx = Context::new();
    let req = new_request("GET", &http_url("/slow-body?every=50&n=100"), ())
        .unwrap()
        .with_context(&ctx);
    let resp = Client::new().r#do(req).await.expect("headers");
    let (r, ()) = futures::join!(resp.body.bytes(), async {
        sleep(150).await;
        ctx.cancel();
    });
    assert_eq!(
        r.expect_err("canceled mid-body").to_string(),
        "context canceled"
    );
    assert_no_requests_left(base);
}

#[wasm_bindgen_test]
async fn close_cancels_and_later_reads_fail() {
    let base = setup();
    let resp = http::get(&http_url("/bytes?n=50000000"))
        .await
        .expect("GET");
    let mut buf = [0u8; 1000];
    assert_eq!(resp.body.read(&mut buf).await.map(|n| n > 0), Ok(true));
    resp.body.close().unwrap();
    assert_no_requests_left(base);
    let e = resp.body.read(&mut buf).await.expect_err("closed");
    assert_eq!(e.to_string(), "http: read on closed response body");
    resp.body.close().expect("close twice is fine");
}

#[wasm_bindgen_test]
async fn dropping_requests_and_bodies_frees_everything() {
    let base = setup();
    for _ in 0..20 {
        let resp = http::get(&http_url("/bytes?n=10000000"))
            .await
            .expect("GET");
        drop(resp); // unread body: the download is cancelled
    }
    // A request future dropped before the headers arrive.
    let slow = http_url("/slow-headers?ms=2000");
    let fut = http::get(&slow);
    let dropped = async {
        let _ = futures::poll!(Box::pin(fut));
    };
    dropped.await;
    assert_no_requests_left(base);
    // A read dropped mid-wait loses nothing: the next read gets the bytes.
    let resp = http::get(&http_url("/slow-body?every=30&n=10"))
        .await
        .expect("GET");
    let mut buf = [0u8; 10];
    {
        let read = Box::pin(resp.body.read(&mut buf));
        let _ = futures::poll!(read);
    }
    assert_eq!(resp.body.bytes().await.map(|b| b.len()), Ok(10));
}

#[wasm_bindgen_test]
async fn server_vanishing_mid_body_is_an_error_not_eof() {
    let base = setup();
    let resp = http::get(&http_url("/drop?after=5000"))
        .await
        .expect("headers");
    assert_eq!(resp.content_length, 50000);
    let e = resp.body.bytes().await.expect_err("truncated");
    assert!(e.to_string().starts_with("unexpected EOF"), "{e}");
    assert_no_requests_left(base);
}

#[wasm_bindgen_test]
async fn cors_refused_and_forbidden_headers_say_what_happened() {
    let base = setup();
    let url = http_url("/nocors");
    let e = http::get(&url).await.expect_err("CORS");
    let msg = e.to_string();
    assert!(
        msg.starts_with(&format!(
            "Get \"{url}\": net/http: fetch() failed: blocked by CORS"
        )),
        "{msg}"
    );
    // The static server answers without CORS (or CORP) headers. The test
    // runner's page is cross-origin isolated (COEP), which blocks the
    // library's no-cors probe there, and the message says exactly that.
    let url = no_cors_url("/nothing-here");
    let e = http::get(&url).await.expect_err("CORS");
    let isolated = js_sys::Reflect::get(&js_sys::global(), &"crossOriginIsolated".into())
        .unwrap()
        .is_truthy();
    let want = if isolated {
        "blocked by CORS or the server could not be reached (DNS failure, connection refused or reset, or a TLS error); this page is cross-origin isolated"
    } else {
        "blocked by CORS: the server answered"
    };
    assert!(e.to_string().contains(want), "{e}");

    let url = format!("{}/x", refused_http_url().trim_end_matches('/'));
    let e = http::get(&url).await.expect_err("refused");
    assert!(
        e.to_string().contains("the server could not be reached"),
        "{e}"
    );
    assert!(!e.to_string().contains("blocked by CORS:"), "{e}");

    let mut req = new_request("GET", &http_url("/hello"), ()).unwrap();
    req.header.set("Cookie", "a=1");
    req.header.set("Sec-Fetch-Mode", "x");
    let e = Client::new().r#do(req).await.expect_err("forbidden");
    assert!(
        e.to_string()
            .contains(r#"the browser does not let a program set "Cookie", "Sec-Fetch-Mode""#),
        "{e}"
    );

    let mut req = new_request("GET", &http_url("/hello"), ()).unwrap();
    req.host = "other.example".into();
    assert!(Client::new()
        .r#do(req)
        .await
        .unwrap_err()
        .to_string()
        .contains("Request.host"));
    assert_no_requests_left(base);
}

#[wasm_bindgen_test]
async fn bad_requests_fail_before_any_fetch() {
    let base = setup();
    let e = http::get("ftp://127.0.0.1/x").await.expect_err("scheme");
    assert_eq!(
        e.to_string(),
        "Get \"ftp://127.0.0.1/x\": unsupported protocol scheme \"ftp\""
    );
    let e = http::get("http:///path").await.expect_err("no host");
    assert_eq!(
        e.to_string(),
        "Get \"http:///path\": http: no Host in request URL"
    );
    let e = http::get("http://a b.example/").await.expect_err("parse");
    assert_eq!(
        e.to_string(),
        "parse \"http://a b.example/\": invalid character \" \" in host name"
    );
    let e = http::get("://x").await.expect_err("scheme");
    assert_eq!(e.to_string(), "parse \"://x\": missing protocol scheme");
    let e = http::post(&http_url("/echo"), "text/plain", "x")
        .await
        .map(|_| ()); // fine
    assert_eq!(e, Ok(()));
    let e = Client::new()
        .r#do(new_request("GET", &http_url("/hello"), "body on GET").unwrap())
        .await
        .unwrap_err();
    assert!(e.to_string().contains("net/http: invalid request: "), "{e}");
    let mut req = new_request("GET", &http_url("/hello"), ()).unwrap();
    req.header.set("X-Bad", "line\nbreak");
    assert!(Client::new()
        .r#do(req)
        .await
        .unwrap_err()
        .to_string()
        .contains("invalid request"));
    assert_no_requests_left(base);
}

/// A page whose bindings predate relay routing (no `_netHttpRoute`): every
/// request goes through fetch, as before, instead of failing.
#[wasm_bindgen_test]
async fn bindings_without_relay_routing_mean_fetch() {
    let base = setup();
    let global = js_sys::global();
    assert!(js_sys::Reflect::delete_property(&global.into(), &"_netHttpRoute".into()).expect("delete"));
    let r = http::get(&http_url("/hello")).await;
    set_net_options("{}"); // puts it back
    let r = r.expect("through fetch");
    assert_eq!(r.body.text().await.expect("body"), "hello\n");
    assert_no_requests_left(base);
}
