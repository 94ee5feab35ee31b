//! A blocking wasm32-wasip1 program on `wasmedge_wasi_socket`, as a user
//! would write one: every call blocks (the page does not: go-net-wasm/wasi
//! suspends the guest through JSPI). The page test (tests-js/page/wasi.test.ts)
//! passes the peers in the environment and reads one line per check from
//! stdout: `ok <name> <detail>` or `FAIL <name>: <error>`, then `done`.
use std::io::{self, ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use wasmedge_wasi_socket::socket::{AddressFamily, Socket, SocketType};
use wasmedge_wasi_socket::{nslookup, Shutdown, TcpStream, UdpSocket};

fn env_addr(name: &str) -> io::Result<SocketAddr> {
    let v = std::env::var(name).map_err(|_| io::Error::new(ErrorKind::InvalidInput, format!("{name} is not set")))?;
    v.parse().map_err(|e| io::Error::new(ErrorKind::InvalidInput, format!("{name}={v}: {e}")))
}

fn fail(msg: String) -> io::Error {
    io::Error::new(ErrorKind::Other, msg)
}

/// Reads until `buf` ends with `suffix` (or the end of the stream).
fn read_until(s: &mut TcpStream, suffix: &[u8], buf: &mut Vec<u8>) -> io::Result<()> {
    let mut chunk = [0u8; 16 * 1024];
    while !buf.ends_with(suffix) {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(fail(format!("the stream ended after {} bytes", buf.len())));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(())
}

fn resp(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

fn redis_ping(redis: SocketAddr) -> io::Result<String> {
    let mut s = TcpStream::connect(redis)?;
    s.write_all(b"PING\r\n")?;
    let mut buf = Vec::new();
    read_until(&mut s, b"\r\n", &mut buf)?;
    if buf != b"+PONG\r\n" {
        return Err(fail(format!("PING answered {:?}", String::from_utf8_lossy(&buf))));
    }
    let peer = s.peer_addr()?;
    if peer != redis {
        return Err(fail(format!("peer_addr {peer}, dialed {redis}")));
    }
    Ok(format!("+PONG from {peer}"))
}

fn redis_big_value(redis: SocketAddr) -> io::Result<String> {
    let mut s = TcpStream::connect(redis)?;
    let value: Vec<u8> = (0..1 << 20).map(|i: u32| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
    let started = Instant::now();
    s.write_all(&resp(&[b"SET", b"wasi:big", &value]))?;
    let mut buf = Vec::new();
    read_until(&mut s, b"\r\n", &mut buf)?;
    if buf != b"+OK\r\n" {
        return Err(fail(format!("SET answered {:?}", String::from_utf8_lossy(&buf))));
    }
    s.write_all(&resp(&[b"GET", b"wasi:big"]))?;
    let header = format!("${}\r\n", value.len()).into_bytes();
    let mut got = Vec::with_capacity(value.len() + 32);
    let mut chunk = vec![0u8; 64 * 1024];
    while got.len() < header.len() + value.len() + 2 {
        let n = s.read(&mut chunk)?;
        if n == 0 {
            return Err(fail(format!("GET ended after {} bytes", got.len())));
        }
        got.extend_from_slice(&chunk[..n]);
    }
    if !got.starts_with(&header) || got[header.len()..header.len() + value.len()] != value[..] {
        return Err(fail("GET returned other bytes than SET stored".into()));
    }
    Ok(format!("1 MiB SET and GET back equal in {} ms", started.elapsed().as_millis()))
}

fn redis_pipeline(redis: SocketAddr) -> io::Result<String> {
    let mut s = TcpStream::connect(redis)?;
    let mut batch = resp(&[b"DEL", b"wasi:counter"]);
    for _ in 0..200 {
        batch.extend_from_slice(&resp(&[b"INCR", b"wasi:counter"]));
    }
    s.write_all(&batch)?;
    let mut buf = Vec::new();
    read_until(&mut s, b":200\r\n", &mut buf)?;
    let replies = buf.split(|&b| b == b'\n').filter(|l| l.starts_with(b":")).count();
    if replies != 201 {
        return Err(fail(format!("{replies} integer replies, wanted 201")));
    }
    Ok("201 pipelined commands, 201 replies, counter 200".into())
}

fn http_get(http: SocketAddr) -> io::Result<String> {
    let mut s = TcpStream::connect(http)?;
    write!(s, "GET /hello HTTP/1.1\r\nHost: {http}\r\nConnection: close\r\n\r\n")?;
    let mut all = Vec::new();
    s.read_to_end(&mut all)?;
    let text = String::from_utf8_lossy(&all);
    let (head, body) = text.split_once("\r\n\r\n").ok_or_else(|| fail(format!("no header end in {text:?}")))?;
    if !head.starts_with("HTTP/1.1 200") || body != "hello\n" {
        return Err(fail(format!("status line {:?}, body {body:?}", head.lines().next())));
    }
    // A POST whose body the server hashes and counts.
    let mut s = TcpStream::connect(http)?;
    let body = vec![b'x'; 300_000];
    write!(s, "POST /echo HTTP/1.1\r\nHost: {http}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len())?;
    s.write_all(&body)?;
    let mut all = Vec::new();
    s.read_to_end(&mut all)?;
    let text = String::from_utf8_lossy(&all);
    if !text.contains("\"length\":300000") {
        return Err(fail(format!("POST /echo answered {}", &text[..text.len().min(300)])));
    }
    Ok("GET /hello body \"hello\\n\", POST /echo of 300000 bytes counted".into())
}

fn udp_echo(echo: SocketAddr) -> io::Result<String> {
    let sock = UdpSocket::bind("0.0.0.0:0".parse::<SocketAddr>().unwrap())?;
    let mut got = 0;
    for i in 0..5u8 {
        let msg = [b'u', b'd', b'p', i, 0xff, 0];
        sock.send_to(&msg, echo)?;
        let mut buf = [0u8; 1500];
        let (n, from) = sock.recv_from(&mut buf)?;
        if buf[..n] != msg || from != echo {
            return Err(fail(format!("datagram {i}: {:?} from {from}", &buf[..n])));
        }
        got += 1;
    }
    Ok(format!("{got} datagrams echoed from {echo}"))
}

fn lookup() -> io::Result<String> {
    let a = nslookup("a.test.example", "http")?;
    if a != ["10.1.2.3:80".parse::<SocketAddr>().unwrap()] {
        return Err(fail(format!("a.test.example -> {a:?}")));
    }
    let dual = nslookup("dual.test.example", "8080")?;
    if !dual.contains(&"10.9.8.7:8080".parse().unwrap()) {
        return Err(fail(format!("dual.test.example -> {dual:?}")));
    }
    match nslookup("nx.test.example", "80") {
        Err(_) => {}
        Ok(v) if v.is_empty() => {}
        Ok(v) => return Err(fail(format!("nx.test.example -> {v:?}"))),
    }
    Ok(format!("a.test.example -> {a:?}, dual.test.example -> {dual:?} (over DoH)"))
}

fn read_timeout(redis: SocketAddr) -> io::Result<String> {
    let s = Socket::new(AddressFamily::Inet4, SocketType::Stream)?;
    s.connect(&redis)?;
    s.set_recv_timeout(Some(Duration::from_millis(300)))?;
    let mut buf = [0u8; 64];
    let started = Instant::now();
    match s.recv(&mut buf) {
        Err(e) if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::TimedOut => {}
        other => return Err(fail(format!("a recv with nothing sent returned {other:?}"))),
    }
    let waited = started.elapsed();
    if waited < Duration::from_millis(250) {
        return Err(fail(format!("timed out after {} ms, SO_RCVTIMEO was 300", waited.as_millis())));
    }
    if s.get_recv_timeout()? != Some(Duration::from_millis(300)) {
        return Err(fail(format!("SO_RCVTIMEO reads back {:?}", s.get_recv_timeout()?)));
    }
    s.send(b"PING\r\n")?;
    let n = s.recv(&mut buf)?;
    if &buf[..n] != b"+PONG\r\n" {
        return Err(fail(format!("after the timeout PING answered {:?}", &buf[..n])));
    }
    s.shutdown(Shutdown::Both)?;
    Ok(format!("recv timed out after {} ms, then PING/PONG on the same socket", waited.as_millis()))
}

fn refused(addr: SocketAddr) -> io::Result<String> {
    match TcpStream::connect(addr) {
        Err(e) if e.kind() == ErrorKind::ConnectionRefused => Ok(format!("{addr}: {e}")),
        Err(e) => Err(fail(format!("{addr}: {e} ({:?}), wanted ConnectionRefused", e.kind()))),
        Ok(_) => Err(fail(format!("{addr} connected"))),
    }
}

fn denied(addr: SocketAddr) -> io::Result<String> {
    match TcpStream::connect(addr) {
        Err(e) if e.kind() == ErrorKind::PermissionDenied => Ok(format!("{addr}: {e}")),
        Err(e) => Err(fail(format!("{addr}: {e} ({:?}), wanted PermissionDenied", e.kind()))),
        Ok(_) => Err(fail(format!("{addr} connected, the policy denies it"))),
    }
}

/// The demo page's step (www/demo.ts): a SET and a GET, told as it goes.
fn demo(redis: SocketAddr) -> io::Result<()> {
    let mut s = TcpStream::connect(redis)?;
    println!("connected to Redis at {} (through the page's Wisp relay)", s.peer_addr()?);
    let value = "hello from a wasip1 program";
    s.write_all(&resp(&[b"SET", b"wasi:demo", value.as_bytes()]))?;
    let mut buf = Vec::new();
    read_until(&mut s, b"\r\n", &mut buf)?;
    println!("SET wasi:demo -> {}", String::from_utf8_lossy(&buf).trim_end());
    s.write_all(&resp(&[b"GET", b"wasi:demo"]))?;
    let mut got = Vec::new();
    read_until(&mut s, format!("{value}\r\n").as_bytes(), &mut got)?;
    let text = String::from_utf8_lossy(&got);
    println!("GET wasi:demo -> {:?}", text.lines().nth(1).unwrap_or(""));
    Ok(())
}

fn main() {
    if std::env::var("DEMO").is_ok() {
        if let Err(e) = env_addr("REDIS").and_then(demo) {
            println!("error: {e}");
            std::process::exit(1);
        }
        return;
    }
    let checks: Vec<(&str, Box<dyn Fn() -> io::Result<String>>)> = vec![
        ("redis_ping", Box::new(|| redis_ping(env_addr("REDIS")?))),
        ("redis_1mib", Box::new(|| redis_big_value(env_addr("REDIS")?))),
        ("redis_pipeline", Box::new(|| redis_pipeline(env_addr("REDIS")?))),
        ("http", Box::new(|| http_get(env_addr("HTTP")?))),
        ("udp_echo", Box::new(|| udp_echo(env_addr("UDP_ECHO")?))),
        ("getaddrinfo", Box::new(lookup)),
        ("read_timeout", Box::new(|| read_timeout(env_addr("REDIS")?))),
        ("refused", Box::new(|| refused(env_addr("REFUSED")?))),
        ("denied", Box::new(|| denied(env_addr("DENIED")?))),
    ];
    let only = std::env::var("ONLY").ok();
    for (name, check) in &checks {
        if only.as_deref().is_some_and(|o| !o.split(',').any(|x| x == *name)) {
            continue;
        }
        match check() {
            Ok(detail) => println!("ok {name} {detail}"),
            Err(e) => println!("FAIL {name}: {e}"),
        }
    }
    println!("done");
}
