//! A nonblocking wasm32-wasip1 program on tokio_wasi (mio_wasi underneath):
//! nonblocking sockets (EINPROGRESS connects, EAGAIN reads), every wait a
//! `poll_oneoff` over socket and clock subscriptions together. The page test
//! (tests-js/page/wasi.test.ts) passes the peers in the environment and reads
//! `ok <name> <detail>` / `FAIL <name>: <error>` lines, then `done`.
use std::io::{self, ErrorKind};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn env_addr(name: &str) -> io::Result<SocketAddr> {
    let v = std::env::var(name).map_err(|_| io::Error::new(ErrorKind::InvalidInput, format!("{name} is not set")))?;
    v.parse().map_err(|e| io::Error::new(ErrorKind::InvalidInput, format!("{name}={v}: {e}")))
}

fn fail(msg: String) -> io::Error {
    io::Error::new(ErrorKind::Other, msg)
}

async fn read_line(s: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut b = [0u8; 1];
    while !out.ends_with(b"\r\n") {
        if s.read(&mut b).await? == 0 {
            return Err(fail("the stream ended".into()));
        }
        out.push(b[0]);
    }
    Ok(out)
}

/// Sixteen connections at once, each a SET and a GET of its own key.
async fn concurrent_redis(redis: SocketAddr) -> io::Result<String> {
    let started = Instant::now();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            tokio::spawn(async move {
                let mut s = TcpStream::connect(redis).await?;
                let key = format!("tokio:{i}");
                let val = format!("value-{i}-{}", "v".repeat(i * 100));
                let cmd = format!("*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n${}\r\n{val}\r\n", key.len(), val.len());
                s.write_all(cmd.as_bytes()).await?;
                if read_line(&mut s).await? != b"+OK\r\n" {
                    return Err(fail(format!("SET {key} failed")));
                }
                s.write_all(format!("*2\r\n$3\r\nGET\r\n${}\r\n{key}\r\n", key.len()).as_bytes()).await?;
                let header = read_line(&mut s).await?;
                let mut body = vec![0u8; val.len() + 2];
                s.read_exact(&mut body).await?;
                if header != format!("${}\r\n", val.len()).into_bytes() || body[..val.len()] != *val.as_bytes() {
                    return Err(fail(format!("GET {key} returned other bytes")));
                }
                Ok::<_, io::Error>(())
            })
        })
        .collect();
    for t in tasks {
        t.await.map_err(|e| fail(format!("task: {e}")))??;
    }
    Ok(format!("16 connections, SET+GET each, in {} ms", started.elapsed().as_millis()))
}

/// Four echo streams of 256 KiB at once, each read back while it is written.
async fn concurrent_echo(echo: SocketAddr) -> io::Result<String> {
    let tasks: Vec<_> = (0..4u8)
        .map(|i| {
            tokio::spawn(async move {
                let s = TcpStream::connect(echo).await?;
                let (mut r, mut w) = s.into_split();
                let data: Vec<u8> = (0..256 * 1024u32).map(|j| (j as u8) ^ i).collect();
                let expect = data.clone();
                let writer = tokio::spawn(async move { w.write_all(&data).await.map(|_| w) });
                let mut got = vec![0u8; expect.len()];
                r.read_exact(&mut got).await?;
                let _w = writer.await.map_err(|e| fail(format!("writer: {e}")))??;
                if got != expect {
                    return Err(fail(format!("stream {i} echoed other bytes")));
                }
                Ok::<_, io::Error>(())
            })
        })
        .collect();
    for t in tasks {
        t.await.map_err(|e| fail(format!("task: {e}")))??;
    }
    Ok("4 streams x 256 KiB echoed concurrently".into())
}

/// A read that waits on a socket and a timer together: the timer wins, the socket stays usable.
async fn timeout_then_usable(redis: SocketAddr) -> io::Result<String> {
    let mut s = TcpStream::connect(redis).await?;
    let mut b = [0u8; 16];
    let started = Instant::now();
    match tokio::time::timeout(Duration::from_millis(300), s.read(&mut b)).await {
        Err(_) => {}
        Ok(r) => return Err(fail(format!("a read with nothing sent returned {r:?}"))),
    }
    let waited = started.elapsed();
    if waited < Duration::from_millis(250) {
        return Err(fail(format!("the timer fired after {} ms", waited.as_millis())));
    }
    s.write_all(b"PING\r\n").await?;
    if read_line(&mut s).await? != b"+PONG\r\n" {
        return Err(fail("no PONG after the timeout".into()));
    }
    Ok(format!("timeout after {} ms, then PING/PONG", waited.as_millis()))
}

/// mio_wasi never reads SO_ERROR after a nonblocking connect, so the
/// refusal surfaces on the first write or read, as POSIX allows.
async fn refused(addr: SocketAddr) -> io::Result<String> {
    let r = async {
        let mut s = TcpStream::connect(addr).await?;
        s.write_all(b"x").await?;
        let mut b = [0u8; 1];
        s.read(&mut b).await
    };
    match r.await {
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => Ok(format!("{addr}: {e}")),
        Err(e) => Err(fail(format!("{addr}: {e} ({:?}), wanted ConnectionRefused", e.kind()))),
        Ok(n) => Err(fail(format!("{addr} connected and read {n} bytes"))),
    }
}

/// The benchmark's workload (bench/www/bench.ts), as bench/src/lib.rs's
/// rust_tcp_echo does it: `total` bytes in `chunk`-byte writes to the TCP echo,
/// read back concurrently; timed from the connected socket to the last byte.
async fn bench_echo(echo: SocketAddr, total: usize, chunk: usize) -> io::Result<f64> {
    let s = TcpStream::connect(echo).await?;
    let (mut r, mut w) = s.into_split();
    let data: Vec<u8> = (0..chunk).map(|i| i as u8).collect();
    let t0 = Instant::now();
    let writer = tokio::spawn(async move {
        let mut sent = 0;
        while sent < total {
            let n = chunk.min(total - sent);
            w.write_all(&data[..n]).await?;
            sent += n;
        }
        Ok::<_, io::Error>(w)
    });
    let mut buf = vec![0u8; 256 * 1024];
    let mut got = 0;
    while got < total {
        let n = r.read(&mut buf).await?;
        if n == 0 {
            return Err(fail(format!("the echo ended after {got} bytes")));
        }
        got += n;
    }
    let _w = writer.await.map_err(|e| fail(format!("writer: {e}")))??;
    Ok(t0.elapsed().as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    if let Ok(spec) = std::env::var("BENCH_ECHO") {
        let (total, chunk) = spec.split_once(',').unwrap_or((&spec, "65536"));
        let (total, chunk) = (total.parse().unwrap_or(1 << 20), chunk.parse().unwrap_or(65536));
        match env_addr("TCP_ECHO") {
            Ok(echo) => match bench_echo(echo, total, chunk).await {
                Ok(ms) => println!("bench_echo {ms:.3}"),
                Err(e) => println!("FAIL bench_echo: {e}"),
            },
            Err(e) => println!("FAIL bench_echo: {e}"),
        }
        return;
    }
    let only = std::env::var("ONLY").ok();
    let wanted = |name: &str| only.as_deref().map_or(true, |o| o.split(',').any(|x| x == name));
    let report = |name: &str, r: io::Result<String>| match r {
        Ok(detail) => println!("ok {name} {detail}"),
        Err(e) => println!("FAIL {name}: {e}"),
    };
    let redis = env_addr("REDIS");
    let echo = env_addr("TCP_ECHO");
    let refused_addr = env_addr("REFUSED");
    match (&redis, &echo, &refused_addr) {
        (Ok(redis), Ok(echo), Ok(refused_addr)) => {
            if wanted("concurrent_redis") {
                report("concurrent_redis", concurrent_redis(*redis).await);
            }
            if wanted("concurrent_echo") {
                report("concurrent_echo", concurrent_echo(*echo).await);
            }
            if wanted("timeout") {
                report("timeout", timeout_then_usable(*redis).await);
            }
            if wanted("refused") {
                report("refused", refused(*refused_addr).await);
            }
        }
        _ => println!("FAIL env: REDIS, TCP_ECHO and REFUSED must be set"),
    }
    println!("done");
}
