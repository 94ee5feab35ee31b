//! The Rust side of the benchmarks (scripts/bench.sh): each workload as an
//! exported async function the bench page times side by side with the same
//! workload on the raw browser API. Timing uses `performance.now()`.
#![cfg(target_arch = "wasm32")]

use futures::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};
use js_sys::Float64Array;
use runtime_wasm::http;
use runtime_wasm::net::{self, Error, Resolver};
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn perf_now() -> f64;
}

fn js_err(e: impl std::fmt::Display) -> JsValue {
    JsError::new(&e.to_string()).into()
}

/// Bytes 0, 1, 2, ... (wrapping), so nothing compresses or dedups.
fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| i as u8).collect()
}

/// How the reads are sized in every Rust workload.
const READ_BUF: usize = 64 * 1024;

/// The echo through the externs, as a VM runs it: `net.dial`, then
/// `blocking_tcpConnWrite` and `blocking_tcpConnRead` into the VM's own
/// buffer (the replay loop of `externs::call`), concurrently.
#[wasm_bindgen(js_name = rustExternEcho)]
pub async fn rust_extern_echo(url: String, total: usize, chunk: usize) -> Result<f64, JsValue> {
    use runtime_wasm::externs::{self, Arg, Value};
    let find = |n: &str| externs::find(n).ok_or_else(|| js_err(format!("no extern {n}")));
    let (dial, read, write, close) = (
        find("net.dial")?,
        find("net.blocking_tcpConnRead")?,
        find("net.blocking_tcpConnWrite")?,
        find("net.tcpConnClose")?,
    );
    let out = externs::call(dial, &mut [Arg::Str("ws"), Arg::Str(&url), Arg::Int(0)])
        .await
        .map_err(js_err)?;
    let h = match out.as_slice() {
        [Value::Int(h), Value::Nil] => *h,
        other => return Err(js_err(format!("dial: {other:?}"))),
    };
    let data = pattern(chunk);
    let t0 = perf_now();
    let writer = async {
        let mut sent = 0;
        while sent < total {
            let n = chunk.min(total - sent);
            let out = externs::call(write, &mut [Arg::Int(h), Arg::Bytes(&data[..n])]).await?;
            if out.get(1) != Some(&Value::Nil) {
                return Err(externs::ExternError(format!("write: {out:?}")));
            }
            sent += n;
        }
        Ok(())
    };
    let reader = async {
        let mut guest = vec![0u8; READ_BUF];
        let mut got = 0;
        while got < total {
            let out = externs::call(read, &mut [Arg::Int(h), Arg::Buf(&mut guest)]).await?;
            match out.as_slice() {
                [Value::Int(n), Value::Nil] => got += *n as usize,
                other => return Err(externs::ExternError(format!("read: {other:?}"))),
            }
        }
        Ok(())
    };
    futures::try_join!(writer, reader).map_err(js_err)?;
    let ms = perf_now() - t0;
    externs::call(close, &mut [Arg::Int(h)]).await.map_err(js_err)?;
    Ok(ms)
}

/// `total` bytes through the echo peer in `chunk`-byte writes while reading
/// them back concurrently; resolves to the elapsed milliseconds.
#[wasm_bindgen(js_name = rustEcho)]
pub async fn rust_echo(url: String, total: usize, chunk: usize) -> Result<f64, JsValue> {
    echo_on(net::dial("ws", &url).await.map_err(js_err)?, total, chunk).await
}

/// The same workload over `Dial("tcp", addr)` through the relay the page
/// configured (a TCP echo behind it).
#[wasm_bindgen(js_name = rustTcpEcho)]
pub async fn rust_tcp_echo(addr: String, total: usize, chunk: usize) -> Result<f64, JsValue> {
    echo_on(net::dial("tcp", &addr).await.map_err(js_err)?, total, chunk).await
}

async fn echo_on(conn: net::Conn, total: usize, chunk: usize) -> Result<f64, JsValue> {
    let data = pattern(chunk);
    let t0 = perf_now();
    let writer = async {
        let mut sent = 0;
        while sent < total {
            let n = chunk.min(total - sent);
            conn.write_all(&data[..n]).await?;
            sent += n;
        }
        Ok::<(), Error>(())
    };
    let reader = async {
        let mut buf = vec![0u8; READ_BUF];
        let mut got = 0;
        while got < total {
            got += conn.read(&mut buf).await?;
        }
        Ok::<(), Error>(())
    };
    futures::try_join!(writer, reader).map_err(js_err)?;
    let ms = perf_now() - t0;
    conn.close().await.map_err(js_err)?;
    Ok(ms)
}

/// The same workload through gloo-net's WebSocket (the peer crate).
#[wasm_bindgen(js_name = glooEcho)]
pub async fn gloo_echo(url: String, total: usize, chunk: usize) -> Result<f64, JsValue> {
    let ws = WebSocket::open(&url).map_err(js_err)?;
    let (mut sink, mut stream) = ws.split();
    let data = pattern(chunk);
    let t0 = perf_now();
    let writer = async {
        let mut sent = 0;
        while sent < total {
            let n = chunk.min(total - sent);
            sink.send(Message::Bytes(data[..n].to_vec()))
                .await
                .map_err(js_err)?;
            sent += n;
        }
        Ok::<(), JsValue>(())
    };
    let reader = async {
        let mut got = 0;
        while got < total {
            match stream.next().await {
                Some(Ok(Message::Bytes(b))) => got += b.len(),
                Some(Ok(Message::Text(t))) => got += t.len(),
                Some(Err(e)) => return Err(js_err(e)),
                None => return Err(js_err("gloo stream ended early")),
            }
        }
        Ok::<(), JsValue>(())
    };
    futures::try_join!(writer, reader)?;
    let ms = perf_now() - t0;
    let _ = sink.close().await;
    Ok(ms)
}

/// `n` one-byte round trips; resolves to each one's milliseconds.
#[wasm_bindgen(js_name = rustPingPong)]
pub async fn rust_ping_pong(url: String, n: usize) -> Result<Float64Array, JsValue> {
    let conn = net::dial("ws", &url).await.map_err(js_err)?;
    let mut times = Vec::with_capacity(n);
    let mut b = [0u8; 1];
    for i in 0..n {
        let t0 = perf_now();
        conn.write_all(&[i as u8]).await.map_err(js_err)?;
        let got = conn.read(&mut b).await.map_err(js_err)?;
        times.push(perf_now() - t0);
        if got != 1 || b[0] != i as u8 {
            return Err(js_err(format!(
                "round trip {i}: got {got} byte(s), {:?}",
                b[0]
            )));
        }
    }
    conn.close().await.map_err(js_err)?;
    Ok(Float64Array::from(times.as_slice()))
}

/// http.Get of `url`, the body read to the end in 64 KiB reads; resolves to
/// `[ms, bytes]`.
#[wasm_bindgen(js_name = rustHttpGet)]
pub async fn rust_http_get(url: String) -> Result<Float64Array, JsValue> {
    let t0 = perf_now();
    let resp = http::get(&url).await.map_err(js_err)?;
    let mut buf = vec![0u8; READ_BUF];
    let mut total = 0usize;
    loop {
        match resp.body.read(&mut buf).await {
            Ok(n) => total += n,
            Err(Error::Eof) => break,
            Err(e) => return Err(js_err(e)),
        }
    }
    Ok(Float64Array::from(
        [perf_now() - t0, total as f64].as_slice(),
    ))
}

/// DoH: one uncached `LookupIP("ip")` (resolves the DoH queries it cost),
/// then `iterations` cached `LookupHost`s; resolves to
/// `[uncached queries, cached µs per lookup, A+AAAA answers]`.
#[wasm_bindgen(js_name = rustDoh)]
pub async fn rust_doh(
    server: String,
    name: String,
    iterations: u32,
) -> Result<Float64Array, JsValue> {
    net::set_default_resolver(Resolver::with_servers([server]));
    net::dns_clear_cache().map_err(js_err)?;
    let q0 = net::dns_stats().map_err(js_err)?.queries;
    let ips = net::lookup_ip("ip", &name).await.map_err(js_err)?;
    let uncached = net::dns_stats().map_err(js_err)?.queries - q0;
    net::lookup_host(&name).await.map_err(js_err)?; // warm
    let t0 = perf_now();
    for _ in 0..iterations {
        net::lookup_host(&name).await.map_err(js_err)?;
    }
    let us = (perf_now() - t0) * 1000.0 / f64::from(iterations.max(1));
    let q1 = net::dns_stats().map_err(js_err)?.queries;
    if q1 != q0 + uncached {
        return Err(js_err(format!(
            "cached lookups sent {} queries",
            q1 - q0 - uncached
        )));
    }
    Ok(Float64Array::from(
        [uncached as f64, us, ips.len() as f64].as_slice(),
    ))
}

/// `n` Dial + Close cycles; resolves to `[ms, open Conns after]`.
#[wasm_bindgen(js_name = rustDialCloseCycles)]
pub async fn rust_dial_close_cycles(url: String, n: u32) -> Result<Float64Array, JsValue> {
    let t0 = perf_now();
    for _ in 0..n {
        let c = net::dial("ws", &url).await.map_err(js_err)?;
        c.close().await.map_err(js_err)?;
    }
    let open = net::open_conn_count().map_err(js_err)?;
    Ok(Float64Array::from(
        [perf_now() - t0, f64::from(open)].as_slice(),
    ))
}

/// `n` http.Get calls, each body read to the end; resolves to `[ms, open
/// requests after]`.
#[wasm_bindgen(js_name = rustHttpGetCycles)]
pub async fn rust_http_get_cycles(url: String, n: u32) -> Result<Float64Array, JsValue> {
    let t0 = perf_now();
    for _ in 0..n {
        let resp = http::get(&url).await.map_err(js_err)?;
        resp.body.bytes().await.map_err(js_err)?;
    }
    let open = http::open_request_count().map_err(js_err)?;
    Ok(Float64Array::from(
        [perf_now() - t0, f64::from(open)].as_slice(),
    ))
}

/// The wasm linear memory's size in bytes (it only grows).
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .dyn_into::<js_sys::WebAssembly::Memory>()
        .ok()
        .and_then(|m| m.buffer().dyn_into::<js_sys::ArrayBuffer>().ok())
        .map_or(0.0, |b| f64::from(b.byte_length()))
}
