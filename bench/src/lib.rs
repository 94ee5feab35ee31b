//! The Rust side of the benchmarks (scripts/bench.sh): each workload as an
//! exported async function the bench page times side by side with the same
//! workload on the raw browser API. Timing uses `performance.now()`.
#![cfg(target_arch = "wasm32")]

use futures::{SinkExt, StreamExt};
use gloo_net::websocket::{futures::WebSocket, Message};
use std::rc::Rc;

use std::future::Future;

use js_sys::{Float64Array, Promise};
use runtime_wasm::http;
use runtime_wasm::net::{self, Error, Resolver};
use runtime_wasm::task;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn perf_now() -> f64;
}

/// Runs one workload of this crate on its own executor, as the README
/// tells users to (`task::spawn_local`: a read woken by a message finishes
/// inside the message's event), settling a Promise with its result. The
/// gloo rows stay on wasm-bindgen-futures, as gloo's users run them.
fn on_task<T: Into<JsValue>>(fut: impl Future<Output = Result<T, JsValue>> + 'static) -> Promise {
    let mut settle = None;
    let p = Promise::new(&mut |ok, fail| settle = Some((ok, fail)));
    let Some((ok, fail)) = settle else {
        return Promise::reject(&js_err("Promise did not call its executor"));
    };
    task::spawn_local(async move {
        let _ = match fut.await {
            Ok(v) => ok.call1(&JsValue::NULL, &v.into()),
            Err(e) => fail.call1(&JsValue::NULL, &e),
        };
    });
    p
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
#[wasm_bindgen(js_name = rustExternEcho, unchecked_return_type = "Promise<number>")]
pub fn rust_extern_echo(url: String, total: usize, chunk: usize) -> Promise {
    on_task(async move {
        let x = ConnExterns::get()?;
        let h = x.dial(&url).await?;
        let data = pattern(chunk);
        let t0 = perf_now();
        let writer = async {
            let mut sent = 0;
            while sent < total {
                let n = chunk.min(total - sent);
                x.write(h, &data[..n]).await?;
                sent += n;
            }
            Ok::<(), JsValue>(())
        };
        let reader = async {
            let mut guest = vec![0u8; READ_BUF];
            let mut got = 0;
            while got < total {
                got += x.read(h, &mut guest).await?;
            }
            Ok::<(), JsValue>(())
        };
        futures::try_join!(writer, reader)?;
        let ms = perf_now() - t0;
        x.close(h).await?;
        Ok(ms)
    })
}

/// `total` bytes through the echo peer in `chunk`-byte writes while reading
/// them back concurrently; resolves to the elapsed milliseconds.
#[wasm_bindgen(js_name = rustEcho, unchecked_return_type = "Promise<number>")]
pub fn rust_echo(url: String, total: usize, chunk: usize) -> Promise {
    on_task(async move {
        echo_on(net::dial("ws", &url).await.map_err(js_err)?, total, chunk).await
    })
}

/// The same workload over `Dial("tcp", addr)` through the relay the page
/// configured (a TCP echo behind it).
#[wasm_bindgen(js_name = rustTcpEcho, unchecked_return_type = "Promise<number>")]
pub fn rust_tcp_echo(addr: String, total: usize, chunk: usize) -> Promise {
    on_task(async move {
        echo_on(net::dial("tcp", &addr).await.map_err(js_err)?, total, chunk).await
    })
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

/// One connection for one-byte round trips, one at a time, so the page can
/// interleave them ping by ping with the raw API's (the Rust Conn, or the
/// externs a VM calls on it).
#[wasm_bindgen]
pub struct Pinger {
    inner: Rc<PingWay>,
    /// Pings run on wasm-bindgen-futures instead of the crate's executor
    /// (the row that shows what `task::spawn_local` saves).
    on_futures: bool,
}

enum PingWay {
    Rust(net::Conn),
    Extern(ConnExterns, i64),
}

#[wasm_bindgen]
impl Pinger {
    /// Dials `addr` with `Dial("tcp")` through the relay the page
    /// configured (a TCP echo behind it): the row against epoxy-tls.
    #[wasm_bindgen(js_name = openTcp)]
    pub async fn open_tcp(addr: String) -> Result<Pinger, JsValue> {
        let c = net::dial("tcp", &addr).await.map_err(js_err)?;
        Ok(Pinger { inner: Rc::new(PingWay::Rust(c)), on_futures: false })
    }

    /// Dials `url` (with the transport the bindings are set to now).
    pub async fn open(url: String, externs: bool, on_futures: bool) -> Result<Pinger, JsValue> {
        let way = if externs {
            let x = ConnExterns::get()?;
            let h = x.dial(&url).await?;
            PingWay::Extern(x, h)
        } else {
            PingWay::Rust(net::dial("ws", &url).await.map_err(js_err)?)
        };
        Ok(Pinger { inner: Rc::new(way), on_futures })
    }

    /// One round trip of byte `b`: resolves to its milliseconds (timed
    /// here, from the Write to the Read that returns the byte).
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn ping(&self, b: u8) -> js_sys::Promise {
        let way = self.inner.clone();
        let ping = async move {
            let mut got = [0u8; 1];
            let t0 = perf_now();
            let n = match &*way {
                PingWay::Rust(c) => {
                    c.write_all(&[b]).await.map_err(js_err)?;
                    c.read(&mut got).await.map_err(js_err)?
                }
                PingWay::Extern(x, h) => {
                    x.write(*h, &[b]).await?;
                    x.read(*h, &mut got).await?
                }
            };
            let ms = perf_now() - t0;
            if n != 1 || got[0] != b {
                return Err(js_err(format!("round trip of {b}: got {n} byte(s), {:?}", got[0])));
            }
            Ok(JsValue::from_f64(ms))
        };
        if self.on_futures {
            wasm_bindgen_futures::future_to_promise(ping)
        } else {
            on_task(ping)
        }
    }

    /// Closes the connection.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> js_sys::Promise {
        let way = self.inner.clone();
        on_task(async move {
            match &*way {
                PingWay::Rust(c) => c.close().await.map_err(js_err)?,
                PingWay::Extern(x, h) => x.close(*h).await?,
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// http.Get of `url`, the body read to the end in 64 KiB reads; resolves to
/// `[ms, bytes]`.
#[wasm_bindgen(js_name = rustHttpGet, unchecked_return_type = "Promise<Float64Array>")]
pub fn rust_http_get(url: String) -> Promise {
    on_task(async move {
        let t0 = perf_now();
        let resp = http::get(&url).await.map_err(js_err)?;
        let ttfb = perf_now() - t0;
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
            [perf_now() - t0, total as f64, ttfb].as_slice(),
        ))
    })
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

// ---- One direction at a time, against the native peer (issue 16) ----
// `url` is the peer's /source (it sends `total` bytes) or /sink (it
// discards, then acknowledges `total` bytes with one text message).

/// Receive only: reads `total` bytes from a source; resolves to ms.
#[wasm_bindgen(js_name = rustReceive, unchecked_return_type = "Promise<number>")]
pub fn rust_receive(url: String, total: usize) -> Promise {
    on_task(async move {
        let conn = net::dial("ws", &url).await.map_err(js_err)?;
        let mut buf = vec![0u8; READ_BUF];
        let t0 = perf_now();
        let mut got = 0;
        while got < total {
            got += conn.read(&mut buf).await.map_err(js_err)?;
        }
        let ms = perf_now() - t0;
        conn.close().await.map_err(js_err)?;
        Ok(ms)
    })
}

/// Send only: writes `total` bytes in `chunk`-byte writes to a sink and
/// waits for its acknowledgement; resolves to ms.
#[wasm_bindgen(js_name = rustSend, unchecked_return_type = "Promise<number>")]
pub fn rust_send(url: String, total: usize, chunk: usize) -> Promise {
    on_task(async move {
        let conn = net::dial("ws", &url).await.map_err(js_err)?;
        let data = pattern(chunk);
        let mut ack = [0u8; 64];
        let t0 = perf_now();
        let mut sent = 0;
        while sent < total {
            let n = chunk.min(total - sent);
            conn.write_all(&data[..n]).await.map_err(js_err)?;
            sent += n;
        }
        conn.read(&mut ack).await.map_err(js_err)?;
        let ms = perf_now() - t0;
        conn.close().await.map_err(js_err)?;
        Ok(ms)
    })
}

/// The externs a VM calls, found once.
struct ConnExterns {
    dial: &'static runtime_wasm::externs::Extern,
    read: &'static runtime_wasm::externs::Extern,
    write: &'static runtime_wasm::externs::Extern,
    close: &'static runtime_wasm::externs::Extern,
}

impl ConnExterns {
    fn get() -> Result<ConnExterns, JsValue> {
        use runtime_wasm::externs;
        let find = |n: &str| externs::find(n).ok_or_else(|| js_err(format!("no extern {n}")));
        Ok(ConnExterns {
            dial: find("net.dial")?,
            read: find("net.blocking_tcpConnRead")?,
            write: find("net.blocking_tcpConnWrite")?,
            close: find("net.tcpConnClose")?,
        })
    }
    async fn dial(&self, url: &str) -> Result<i64, JsValue> {
        use runtime_wasm::externs::{self, Arg, Value};
        let out = externs::call(self.dial, &mut [Arg::Str("ws"), Arg::Str(url), Arg::Int(0)])
            .await
            .map_err(js_err)?;
        match out.as_slice() {
            [Value::Int(h), Value::Nil] => Ok(*h),
            other => Err(js_err(format!("dial: {other:?}"))),
        }
    }
    /// One Read into the guest's buffer: n.
    async fn read(&self, h: i64, guest: &mut [u8]) -> Result<usize, JsValue> {
        use runtime_wasm::externs::{self, Arg, Value};
        let out = externs::call(self.read, &mut [Arg::Int(h), Arg::Buf(guest)])
            .await
            .map_err(js_err)?;
        match out.as_slice() {
            [Value::Int(n), Value::Nil] => Ok(*n as usize),
            other => Err(js_err(format!("read: {other:?}"))),
        }
    }
    async fn write(&self, h: i64, data: &[u8]) -> Result<(), JsValue> {
        use runtime_wasm::externs::{self, Arg, Value};
        let out = externs::call(self.write, &mut [Arg::Int(h), Arg::Bytes(data)])
            .await
            .map_err(js_err)?;
        match out.get(1) {
            Some(Value::Nil) => Ok(()),
            _ => Err(js_err(format!("write: {out:?}"))),
        }
    }
    async fn close(&self, h: i64) -> Result<(), JsValue> {
        use runtime_wasm::externs::{self, Arg};
        externs::call(self.close, &mut [Arg::Int(h)]).await.map_err(js_err)?;
        Ok(())
    }
}

/// Receive only, through the externs (reads into the VM's buffer).
#[wasm_bindgen(js_name = externReceive, unchecked_return_type = "Promise<number>")]
pub fn extern_receive(url: String, total: usize) -> Promise {
    on_task(async move {
        let x = ConnExterns::get()?;
        let h = x.dial(&url).await?;
        let mut guest = vec![0u8; READ_BUF];
        let t0 = perf_now();
        let mut got = 0;
        while got < total {
            got += x.read(h, &mut guest).await?;
        }
        let ms = perf_now() - t0;
        x.close(h).await?;
        Ok(ms)
    })
}

/// Send only, through the externs.
#[wasm_bindgen(js_name = externSend, unchecked_return_type = "Promise<number>")]
pub fn extern_send(url: String, total: usize, chunk: usize) -> Promise {
    on_task(async move {
        let x = ConnExterns::get()?;
        let h = x.dial(&url).await?;
        let data = pattern(chunk);
        let mut ack = [0u8; 64];
        let t0 = perf_now();
        let mut sent = 0;
        while sent < total {
            let n = chunk.min(total - sent);
            x.write(h, &data[..n]).await?;
            sent += n;
        }
        x.read(h, &mut ack).await?;
        let ms = perf_now() - t0;
        x.close(h).await?;
        Ok(ms)
    })
}

/// Receive only through gloo-net.
#[wasm_bindgen(js_name = glooReceive)]
pub async fn gloo_receive(url: String, total: usize) -> Result<f64, JsValue> {
    let mut ws = WebSocket::open(&url).map_err(js_err)?;
    let t0 = perf_now();
    let mut got = 0;
    while got < total {
        match ws.next().await {
            Some(Ok(Message::Bytes(b))) => got += b.len(),
            Some(Ok(Message::Text(t))) => got += t.len(),
            Some(Err(e)) => return Err(js_err(e)),
            None => return Err(js_err("gloo stream ended early")),
        }
    }
    let ms = perf_now() - t0;
    let _ = ws.close(None, None);
    Ok(ms)
}

/// Send only through gloo-net (its Sink), then the sink's acknowledgement.
#[wasm_bindgen(js_name = glooSend)]
pub async fn gloo_send(url: String, total: usize, chunk: usize) -> Result<f64, JsValue> {
    let mut ws = WebSocket::open(&url).map_err(js_err)?;
    let data = pattern(chunk);
    let t0 = perf_now();
    let mut sent = 0;
    while sent < total {
        let n = chunk.min(total - sent);
        ws.send(Message::Bytes(data[..n].to_vec())).await.map_err(js_err)?;
        sent += n;
    }
    match ws.next().await {
        Some(Ok(_)) => {}
        Some(Err(e)) => return Err(js_err(e)),
        None => return Err(js_err("gloo stream ended before the acknowledgement")),
    }
    let ms = perf_now() - t0;
    let _ = ws.close(None, None);
    Ok(ms)
}

/// `conns` Conns to the echo, kept open across the load rows' slices (so
/// 128 Conns can run several slices interleaved with the raw sockets':
/// Chromium refuses new WebSockets to a host while ~256 are still closing).
#[wasm_bindgen]
pub struct Load {
    conns: Rc<Vec<Rc<net::Conn>>>,
}

#[wasm_bindgen]
impl Load {
    /// Dials `conns` Conns to `url` (with the transport the bindings are set to now).
    pub async fn open(url: String, conns: usize) -> Result<Load, JsValue> {
        let mut dialed = Vec::with_capacity(conns);
        for _ in 0..conns {
            dialed.push(Rc::new(net::dial("ws", &url).await.map_err(js_err)?));
        }
        Ok(Load { conns: Rc::new(dialed) })
    }

    /// Every Conn at once does `rounds` round trips of `size` bytes, each
    /// Conn in its own task (as a server's accept loop would spawn them):
    /// resolves to `[ms, payload bytes echoed, p50 ms, p99 ms]` over every
    /// round trip of every Conn.
    #[wasm_bindgen(unchecked_return_type = "Promise<Float64Array>")]
    pub fn run(&self, rounds: usize, size: usize) -> Promise {
        let conns = self.conns.clone();
        on_task(async move {
            let data = Rc::new(pattern(size));
            let t0 = perf_now();
            let mut done = Vec::with_capacity(conns.len());
            for conn in conns.iter() {
                let (tx, rx) = futures::channel::oneshot::channel();
                let (conn, data) = (conn.clone(), data.clone());
                task::spawn_local(async move {
                    let r = async {
                        let mut buf = vec![0u8; size.max(1)];
                        let mut times = Vec::with_capacity(rounds);
                        for _ in 0..rounds {
                            let t = perf_now();
                            conn.write_all(&data).await?;
                            let mut got = 0;
                            while got < size {
                                got += conn.read(&mut buf[got..]).await?;
                            }
                            times.push(perf_now() - t);
                        }
                        Ok::<Vec<f64>, Error>(times)
                    };
                    let _ = tx.send(r.await);
                });
                done.push(rx);
            }
            let mut times = Vec::with_capacity(conns.len() * rounds);
            for rx in done {
                times.extend(rx.await.map_err(js_err)?.map_err(js_err)?);
            }
            let ms = perf_now() - t0;
            times.sort_by(|a, b| a.total_cmp(b));
            let at = |p: f64| times.get(((times.len() as f64 * p) as usize).min(times.len().saturating_sub(1))).copied().unwrap_or(0.0);
            Ok(Float64Array::from(
                [ms, (conns.len() * rounds * size) as f64, at(0.5), at(0.99)].as_slice(),
            ))
        })
    }

    /// Closes every Conn.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise {
        let conns = self.conns.clone();
        on_task(async move {
            for c in conns.iter() {
                c.close().await.map_err(js_err)?;
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}

// ---- TLS inside the page over the relay (feature tls), against epoxy-tls ----

fn tls_config(ca: &str) -> runtime_wasm::tls::Config {
    runtime_wasm::tls::Config { root_cas: vec![ca.to_string()], ..Default::default() }
}

/// `tls::dial` through the relay (dial, handshake), then close: resolves
/// to the milliseconds to the end of the handshake. `skip_verify`: Go's
/// InsecureSkipVerify (no chain check, as epoxy-tls without roots).
#[wasm_bindgen(js_name = rustTlsHandshake, unchecked_return_type = "Promise<number>")]
pub fn rust_tls_handshake(addr: String, ca: String, skip_verify: bool) -> Promise {
    on_task(async move {
        let cfg = runtime_wasm::tls::Config { insecure_skip_verify: skip_verify, ..tls_config(&ca) };
        let t0 = perf_now();
        let mut c = runtime_wasm::tls::dial("tcp", &addr, &cfg).await.map_err(js_err)?;
        let ms = perf_now() - t0;
        let _ = c.close().await;
        Ok(ms)
    })
}

/// The relay echo over TLS (a TLS echo behind the relay): `total` bytes in
/// `chunk` writes, read back concurrently; resolves to the milliseconds
/// after the handshake.
#[wasm_bindgen(js_name = rustTlsEcho, unchecked_return_type = "Promise<number>")]
pub fn rust_tls_echo(addr: String, ca: String, total: usize, chunk: usize) -> Promise {
    use futures::{AsyncReadExt, AsyncWriteExt};
    on_task(async move {
        let c = runtime_wasm::tls::dial("tcp", &addr, &tls_config(&ca)).await.map_err(js_err)?;
        let (mut r, mut w) = c.split();
        let data = pattern(chunk);
        let t0 = perf_now();
        let writer = async {
            let mut sent = 0;
            while sent < total {
                let n = chunk.min(total - sent);
                w.write_all(&data[..n]).await?;
                sent += n;
            }
            w.flush().await
        };
        let reader = async {
            let mut buf = vec![0u8; READ_BUF];
            let mut got = 0;
            while got < total {
                let n = r.read(&mut buf).await?;
                if n == 0 {
                    return Err(std::io::ErrorKind::UnexpectedEof.into());
                }
                got += n;
            }
            Ok::<(), std::io::Error>(())
        };
        futures::try_join!(writer, reader).map_err(js_err)?;
        let ms = perf_now() - t0;
        let _ = w.close().await;
        Ok(ms)
    })
}

/// One-byte round trips over a TLS session through the relay.
#[wasm_bindgen]
pub struct TlsPinger {
    conn: Rc<std::cell::RefCell<Option<runtime_wasm::tls::TlsConn>>>,
}

#[wasm_bindgen]
impl TlsPinger {
    /// Dials the TLS echo at `addr` through the relay the page configured.
    pub async fn open(addr: String, ca: String) -> Result<TlsPinger, JsValue> {
        let c = runtime_wasm::tls::dial("tcp", &addr, &tls_config(&ca)).await.map_err(js_err)?;
        Ok(TlsPinger { conn: Rc::new(std::cell::RefCell::new(Some(c))) })
    }

    /// One round trip of byte `b`: its milliseconds.
    #[wasm_bindgen(unchecked_return_type = "Promise<number>")]
    pub fn ping(&self, b: u8) -> Promise {
        let conn = self.conn.clone();
        on_task(async move {
            // Taken out for the round trip (the pings of one pinger are sequential).
            let mut c = conn.borrow_mut().take().ok_or_else(|| js_err("a ping is in flight"))?;
            let mut got = [0u8; 1];
            let t0 = perf_now();
            let r = async {
                c.write_all(&[b]).await?;
                c.read(&mut got).await
            }
            .await;
            let ms = perf_now() - t0;
            *conn.borrow_mut() = Some(c);
            let n = r.map_err(js_err)?;
            if n != 1 || got[0] != b {
                return Err(js_err(format!("TLS round trip of {b}: got {n} byte(s)")));
            }
            Ok(ms)
        })
    }

    /// Closes the session.
    #[wasm_bindgen(unchecked_return_type = "Promise<void>")]
    pub fn close(&self) -> Promise {
        let conn = self.conn.clone();
        on_task(async move {
            let c = conn.borrow_mut().take();
            if let Some(mut c) = c {
                let _ = c.close().await;
            }
            Ok(JsValue::UNDEFINED)
        })
    }
}

/// Closes the HTTP client's kept-alive relay connections (the leak rows
/// count open Conns).
#[wasm_bindgen(js_name = rustClosePooled)]
pub fn rust_close_pooled() {
    http::close_pooled_connections();
}
