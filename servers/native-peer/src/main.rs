//! A native peer for the benchmarks, so their figures move with the browser
//! and the stack, not with a Node echo server.
//!
//!   native-peer serve
//!       Listens on 127.0.0.1 (ports chosen by the OS) and prints one JSON
//!       line: {"ws": "ws://127.0.0.1:P", "http": "http://127.0.0.1:Q"}.
//!       WebSocket paths: /echo (every message back), /source?size=S&total=T
//!       (T bytes in binary messages of S bytes, as fast as the socket
//!       takes them, then waits for the client's close), /sink?total=T
//!       (discards; after T bytes sends one text message with the count).
//!       HTTP: GET /bytes?n=N (N bytes, content-length, CORS, keep-alive).
//!   native-peer ceiling WS_URL HTTP_URL MIB
//!       The same workloads from a native client, in MiB/s, as one JSON line:
//!       what the peer sustains when the browser is not in the way.

use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::Message;
use tokio_tungstenite::tungstenite::Bytes;

const MIB: f64 = 1024.0 * 1024.0;
/// One buffer every source message and HTTP body is cut from (cheap clones).
const BLOCK: usize = 1 << 20;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    match args.get(1).map(String::as_str) {
        Some("serve") => serve().await,
        Some("ceiling") if args.len() == 5 => {
            let mib: usize = args[4].parse().expect("MIB is a number");
            ceiling(&args[2], &args[3], mib).await
        }
        _ => {
            eprintln!("usage: native-peer serve | native-peer ceiling WS_URL HTTP_URL MIB");
            std::process::exit(2);
        }
    }
}

fn block() -> Bytes {
    Bytes::from((0..BLOCK).map(|i| (i * 31 % 251) as u8).collect::<Vec<u8>>())
}

/// `name=value` from a query string, as a number.
fn param(query: &str, name: &str, default: usize) -> usize {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(default)
}

async fn serve() {
    let ws = TcpListener::bind("127.0.0.1:0").await.expect("bind ws");
    let http = TcpListener::bind("127.0.0.1:0").await.expect("bind http");
    println!(
        "{{\"ws\": \"ws://{}\", \"http\": \"http://{}\"}}",
        ws.local_addr().unwrap(),
        http.local_addr().unwrap()
    );
    let data = block();
    let d = data.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = http.accept().await {
            let _ = s.set_nodelay(true);
            tokio::spawn(http_conn(s, d.clone()));
        }
    });
    while let Ok((s, _)) = ws.accept().await {
        let _ = s.set_nodelay(true);
        tokio::spawn(ws_conn(s, data.clone()));
    }
}

async fn ws_conn(s: TcpStream, data: Bytes) {
    let mut target = String::new();
    let cb = |req: &Request, resp: Response| {
        target = req.uri().to_string();
        Ok(resp)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(s, cb).await else { return };
    let (path, query) = target.split_once('?').unwrap_or((target.as_str(), ""));
    match path {
        "/source" => {
            let size = param(query, "size", 65536).clamp(1, BLOCK);
            let mut left = param(query, "total", 64 << 20);
            while left > 0 {
                let n = left.min(size);
                if ws.feed(Message::Binary(data.slice(..n))).await.is_err() {
                    return;
                }
                left -= n;
            }
            if ws.flush().await.is_err() {
                return;
            }
            // Wait for the client's close (or anything) before dropping.
            while let Some(Ok(m)) = ws.next().await {
                if m.is_close() {
                    break;
                }
            }
        }
        "/sink" => {
            let total = param(query, "total", usize::MAX);
            let mut got = 0usize;
            while let Some(Ok(m)) = ws.next().await {
                match m {
                    Message::Binary(b) => got += b.len(),
                    Message::Text(t) => got += t.len(),
                    Message::Close(_) => break,
                    _ => continue,
                }
                if got >= total {
                    let _ = ws.send(Message::text(got.to_string())).await;
                    got = 0;
                }
            }
        }
        _ => {
            // /echo, and any other path.
            while let Some(Ok(m)) = ws.next().await {
                match m {
                    Message::Binary(_) | Message::Text(_) => {
                        if ws.send(m).await.is_err() {
                            return;
                        }
                    }
                    Message::Close(_) => break,
                    _ => {}
                }
            }
        }
    }
}

async fn http_conn(mut s: TcpStream, data: Bytes) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut have = 0usize;
    loop {
        // Read one request head (no bodies: GET/HEAD/OPTIONS only).
        let (path, method, used) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut req = httparse::Request::new(&mut headers);
            match req.parse(&buf[..have]) {
                Ok(httparse::Status::Complete(n)) => {
                    break (req.path.unwrap_or("/").to_string(), req.method.unwrap_or("GET").to_string(), n)
                }
                Ok(httparse::Status::Partial) if have < buf.len() => {
                    match s.read(&mut buf[have..]).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => have += n,
                    }
                }
                _ => return,
            }
        };
        buf.copy_within(used..have, 0);
        have -= used;
        let (p, query) = path.split_once('?').unwrap_or((path.as_str(), ""));
        let cors = "access-control-allow-origin: *\r\naccess-control-allow-headers: *\r\naccess-control-expose-headers: *\r\n";
        if method == "OPTIONS" {
            let head = format!("HTTP/1.1 204 No Content\r\n{cors}content-length: 0\r\n\r\n");
            if s.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            continue;
        }
        if p != "/bytes" {
            let head = format!("HTTP/1.1 404 Not Found\r\n{cors}content-length: 0\r\n\r\n");
            if s.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            continue;
        }
        let n = param(query, "n", 1024);
        let head = format!(
            "HTTP/1.1 200 OK\r\n{cors}content-type: application/octet-stream\r\ncache-control: no-store\r\ncontent-length: {n}\r\n\r\n"
        );
        if s.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        if method == "HEAD" {
            continue;
        }
        let mut left = n;
        while left > 0 {
            let k = left.min(BLOCK);
            if s.write_all(&data[..k]).await.is_err() {
                return;
            }
            left -= k;
        }
    }
}

/// The workloads from a native client: receive, send, echo (64 KiB
/// messages) and an HTTP body, in MiB/s.
/// Reads `total` bytes of `size`-byte messages from the peer's source;
/// returns the seconds it took.
async fn drain_source(ws: &str, size: usize, total: usize) -> f64 {
    let (mut c, _) = tokio_tungstenite::connect_async(format!("{ws}/source?size={size}&total={total}"))
        .await
        .expect("connect source");
    let t = Instant::now();
    let mut got = 0;
    while got < total {
        match c.next().await {
            Some(Ok(Message::Binary(b))) => got += b.len(),
            Some(Ok(_)) => {}
            _ => panic!("source ended early"),
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let _ = c.close(None).await;
    secs
}

async fn ceiling(ws: &str, http: &str, mib: usize) {
    let total = mib << 20;
    let size = 65536;
    let data = block().slice(..size);

    // Receive: the peer's source, as fast as it sends.
    let receive = total as f64 / MIB / drain_source(ws, size, total).await;

    // Send: the peer's sink, until it acknowledges every byte.
    let (mut c, _) = tokio_tungstenite::connect_async(format!("{ws}/sink?total={total}"))
        .await
        .expect("connect sink");
    let t = Instant::now();
    for _ in 0..total / size {
        c.feed(Message::Binary(data.clone())).await.expect("send");
    }
    c.flush().await.expect("flush");
    loop {
        match c.next().await {
            Some(Ok(Message::Text(_))) => break,
            Some(Ok(_)) => {}
            _ => panic!("sink ended early"),
        }
    }
    let send = total as f64 / MIB / t.elapsed().as_secs_f64();
    let _ = c.close(None).await;

    // Echo: write and read at once.
    let (c, _) = tokio_tungstenite::connect_async(format!("{ws}/echo")).await.expect("connect echo");
    let (mut tx, mut rx) = c.split();
    let t = Instant::now();
    let d = data.clone();
    let writer = tokio::spawn(async move {
        for _ in 0..total / size {
            tx.feed(Message::Binary(d.clone())).await.expect("send");
        }
        tx.flush().await.expect("flush");
        tx
    });
    let mut got = 0;
    while got < total / size * size {
        match rx.next().await {
            Some(Ok(Message::Binary(b))) => got += b.len(),
            Some(Ok(_)) => {}
            _ => panic!("echo ended early"),
        }
    }
    let echo = total as f64 / MIB / t.elapsed().as_secs_f64();
    let _ = writer.await;

    // Small messages: one-byte messages from the source, per second (the
    // headroom of the page's small-message rows).
    let n = 200_000;
    let small = n as f64 / drain_source(ws, 1, n).await;

    // HTTP: one body over a raw connection, read to its end.
    let addr = http.trim_start_matches("http://");
    let mut s = TcpStream::connect(addr).await.expect("connect http");
    let t = Instant::now();
    s.write_all(format!("GET /bytes?n={total} HTTP/1.1\r\nhost: {addr}\r\n\r\n").as_bytes())
        .await
        .expect("request");
    let mut buf = vec![0u8; 1 << 20];
    let mut got = 0usize;
    let mut head_len = None;
    while head_len.map_or(true, |h| got < h + total) {
        let n = s.read(&mut buf).await.expect("read");
        assert!(n > 0, "http body ended early");
        if head_len.is_none() {
            if let Some(i) = buf[..n].windows(4).position(|w| w == b"\r\n\r\n") {
                head_len = Some(got + i + 4);
            }
        }
        got += n;
    }
    let http_mibs = total as f64 / MIB / t.elapsed().as_secs_f64();

    println!(
        "{{\"receive\": {receive:.1}, \"send\": {send:.1}, \"echo\": {echo:.1}, \"http\": {http_mibs:.1}, \"smallMessages\": {small:.0}, \"mib\": {mib}}}"
    );
}
