//! A networking program as a user writes it with runtime-wasm: Go's
//! LookupHost over DoH, Dial("ws") with a read deadline that expires
//! without killing the Conn, and a streamed http.Get checked by hash.
//! The page and the Web Worker (web/) run the same function.

use std::time::Duration;

use runtime_wasm::http;
use runtime_wasm::net::{self, Resolver, SystemTime};
use serde::Serialize;
use sha2::{Digest, Sha256};
use wasm_bindgen::prelude::*;

#[derive(Serialize, Default)]
struct Report {
    addrs: Vec<String>,
    echoed: String,
    deadline_error: String,
    deadline_is_timeout: bool,
    after_deadline: String,
    http_status: u16,
    http_bytes: usize,
    http_reads: usize,
    http_hash_matches: bool,
    open_conns: u32,
}

/// Runs the program against the given peers; rejects with the Go error text.
#[wasm_bindgen(js_name = runProgram)]
pub async fn run_program(doh: String, ws: String, http_url: String) -> Result<JsValue, JsValue> {
    run(doh, ws, http_url)
        .await
        .map_err(|e| JsValue::from_str(&e.to_string()))
        .and_then(|r| serde_wasm_bindgen::to_value(&r).map_err(JsValue::from))
}

async fn run(doh: String, ws: String, http_url: String) -> Result<Report, net::Error> {
    let mut r = Report::default();
    // 1. net.LookupHost over DNS-over-HTTPS.
    net::set_default_resolver(Resolver::with_servers([doh]));
    r.addrs = net::lookup_host("dual.test.example").await?;

    // 2. Dial("ws"), echo, a deadline that passes, then the same Conn again.
    let conn = net::dial_timeout("ws", &ws, Duration::from_secs(5)).await?;
    conn.write_all(b"hello from the consumer").await?;
    r.echoed = read_text(&conn, 23).await?;
    conn.set_read_deadline(Some(SystemTime::now() + Duration::from_millis(50)))?;
    let mut buf = [0u8; 64];
    match conn.read(&mut buf).await {
        Ok(n) => return Err(net::Error::other(format!("read {n} bytes past the deadline"))),
        Err(e) => {
            r.deadline_is_timeout = e.is_timeout();
            r.deadline_error = e.to_string();
        }
    }
    conn.set_read_deadline(None)?;
    conn.write_all(b"still alive").await?;
    r.after_deadline = read_text(&conn, 11).await?;
    conn.close().await?;

    // 3. http.Get, the body streamed in reads and hashed as it comes.
    let resp = http::get(&format!("{http_url}/bytes?n=2097152&seed=7")).await?;
    r.http_status = resp.status_code;
    let want = resp.header.get("x-sha256").to_string();
    let mut hasher = Sha256::new();
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let n = match resp.body.read(&mut chunk).await {
            Ok(n) => n,
            Err(net::Error::Eof) => break, // Go's io.EOF
            Err(e) => return Err(e),
        };
        hasher.update(&chunk[..n]);
        r.http_bytes += n;
        r.http_reads += 1;
    }
    let got: String = hasher.finalize().iter().map(|b| format!("{b:02x}")).collect();
    r.http_hash_matches = got == want;
    r.open_conns = net::open_conn_count()?;
    Ok(r)
}

async fn read_text(conn: &net::Conn, want: usize) -> Result<String, net::Error> {
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    while out.len() < want {
        let n = conn.read(&mut buf).await?;
        out.extend_from_slice(&buf[..n]);
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}
