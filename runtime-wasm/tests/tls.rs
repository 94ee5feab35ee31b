//! TLS for real, in Chromium: `Dial("wss")` to the echo behind TLS, HTTP/2
//! uploads that stream (and wait for a slow server), and a certificate the
//! browser rejects. The peers are servers/tls.mjs, with a throwaway CA made
//! at start-up; scripts/test.sh makes Chromium trust its certificate for
//! this run only (--ignore-certificate-errors-spki-list).
#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use std::rc::Rc;

use futures::channel::mpsc;
use futures::{SinkExt, TryStreamExt};
use runtime_wasm::http::{self, new_request, Body, Client};
use runtime_wasm::net::dial;
use sha2::{Digest, Sha256};
use wasm_bindgen_test::wasm_bindgen_test;

mod common;
use common::browser::*;

fn https(path: &str) -> String {
    format!("{}{path}", env!("NET_TEST_HTTPS_URL", "run the wasm tests through scripts/test.sh"))
}

async fn text(url: &str) -> String {
    let r = http::get(url).await.expect("get");
    String::from_utf8(r.body.bytes().await.expect("body")).expect("utf-8")
}

#[wasm_bindgen_test]
async fn wss_echo_with_deadlines() {
    set_net_options("{}");
    let c = dial("wss", env!("NET_TEST_WSS_URL")).await.expect("dial wss");
    c.write_all(b"over TLS").await.expect("write");
    assert_eq!(read_n(&c, 8).await, b"over TLS");
    // A read deadline fires, and the Conn stays usable.
    c.set_read_deadline(in_ms(100)).expect("deadline");
    let e = c.read(&mut [0u8; 8]).await.expect_err("nothing to read");
    assert!(e.is_timeout(), "{e}");
    c.set_read_deadline(None).expect("clear");
    c.write_all(b"again").await.expect("write");
    assert_eq!(read_n(&c, 5).await, b"again");
    c.close().await.expect("close");
}

#[wasm_bindgen_test]
async fn https_is_http2() {
    set_net_options("{}");
    assert_eq!(text(&https("/hello")).await, "hello over HTTP/2.0\n");
}

/// A streamed body fed from a bounded channel: `send` waits while fetch is
/// not pulling, as a slow network makes it.
fn piped() -> (mpsc::Sender<std::io::Result<Vec<u8>>>, Body) {
    let (tx, rx) = mpsc::channel::<std::io::Result<Vec<u8>>>(0);
    (tx, Body::reader(rx.into_async_read()))
}

/// Sends `req` now, while the test goes on writing its body; the future
/// gives the response body as text.
fn in_background(req: http::Request) -> impl std::future::Future<Output = String> {
    let p = wasm_bindgen_futures::future_to_promise(async move {
        let r = Client::new().r#do(req).await.map_err(|e| e.to_string())?;
        let b = r.body.bytes().await.map_err(|e| e.to_string())?;
        Ok(String::from_utf8_lossy(&b).into_owned().into())
    });
    async move { wasm_bindgen_futures::JsFuture::from(p).await.expect("response").as_string().expect("text") }
}

#[wasm_bindgen_test]
async fn a_streamed_upload_really_streams() {
    set_net_options("{}");
    let id = format!("stream-{}", js_sys::Math::random());
    let (mut tx, body) = piped();
    let req = new_request("POST", &https(&format!("/upload?id={id}")), body).expect("request");
    let response = in_background(req);
    let first = vec![1u8; 64 * 1024];
    tx.send(Ok(first.clone())).await.expect("first chunk");
    let streams = can_stream_uploads();
    // Streaming: the server sees the first bytes while the program has not
    // written the rest. Where the browser cannot stream a body (Firefox,
    // WebKit), it is collected and sent whole: the server sees nothing yet.
    let mut seen = 0;
    for _ in 0..if streams { 100 } else { 5 } {
        seen = text(&https(&format!("/progress?id={id}"))).await.parse::<i64>().unwrap_or(-1);
        if seen >= first.len() as i64 {
            break;
        }
        sleep(50).await;
    }
    if streams {
        assert!(seen >= first.len() as i64, "the server saw {seen} bytes of the first 65536 before the rest was written");
    } else {
        assert!(seen <= 0, "a collected body reached the server before its end: {seen} bytes");
    }
    let rest = vec![2u8; 1 << 20];
    tx.send(Ok(rest.clone())).await.expect("rest");
    drop(tx); // end of body
    let got = response.await;
    let mut h = Sha256::new();
    h.update(&first);
    h.update(&rest);
    let want = format!(r#""length":{},"sha256":"{:x}","proto":"2.0""#, first.len() + rest.len(), h.finalize());
    assert!(got.contains(&want), "{got}");
}

#[wasm_bindgen_test]
async fn an_upload_waits_for_a_slow_server() {
    set_net_options("{}");
    const TOTAL: usize = 16 << 20;
    const CHUNK: usize = 256 << 10;
    let id = format!("slow-{}", js_sys::Math::random());
    let (mut tx, body) = piped();
    let req = new_request("POST", &https(&format!("/slow-upload?id={id}")), body).expect("request");
    let response = in_background(req);
    let sent = Rc::new(Cell::new(0usize));
    let counter = sent.clone();
    let writer = wasm_bindgen_futures::future_to_promise(async move {
        let chunk = vec![7u8; CHUNK];
        while counter.get() < TOTAL {
            tx.send(Ok(chunk.clone())).await.map_err(|e| e.to_string())?;
            counter.set(counter.get() + CHUNK);
        }
        Ok(wasm_bindgen::JsValue::UNDEFINED)
    });
    if can_stream_uploads() {
        // The server reads nothing: the writer must stall (memory stays bounded).
        sleep(1500).await;
        let stalled = sent.get();
        assert!(stalled < TOTAL / 2, "the writer got {stalled} of {TOTAL} bytes out to a server reading nothing");
        sleep(500).await;
        assert!(sent.get() - stalled <= 4 * CHUNK, "still moving while the server reads nothing: {} -> {}", stalled, sent.get());
    } else {
        // A browser that cannot stream a body: it is collected whole first
        // (bounded by http.maxBufferedUploadBytes), then sent.
        while sent.get() < TOTAL {
            sleep(50).await;
        }
        // Sent whole once collected: resume once the server has the request.
        while text(&https(&format!("/resume?id={id}"))).await == "unknown" {
            sleep(50).await;
        }
    }
    assert_eq!(text(&https(&format!("/resume?id={id}"))).await, "resumed");
    wasm_bindgen_futures::JsFuture::from(writer).await.expect("writer");
    let got = response.await;
    assert!(got.contains(&format!(r#""length":{TOTAL}"#)), "{got}");
}

#[wasm_bindgen_test]
async fn a_certificate_the_browser_rejects_is_explained() {
    set_net_options("{}");
    let e = dial("wss", env!("NET_TEST_BAD_WSS_URL")).await.expect_err("untrusted certificate");
    assert!(e.to_string().contains("TLS error"), "{e}");
    let e = http::get(env!("NET_TEST_BAD_HTTPS_URL")).await.expect_err("untrusted certificate");
    assert!(e.to_string().contains("could not be reached") && e.to_string().contains("TLS error"), "{e}");
}
