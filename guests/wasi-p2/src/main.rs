//! A wasm32-wasip2 program on std::net alone, as a user would write one:
//! every call blocks (the page does not: the component's waits are
//! suspended through JSPI). The page test passes the peers in the
//! environment and reads one line per check from stdout: `ok <name>
//! <detail>` or `FAIL <name>: <error>`, then `done`. ONLY picks checks.
use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant};

fn env(name: &str) -> io::Result<String> {
    std::env::var(name).map_err(|_| io::Error::new(ErrorKind::InvalidInput, format!("{name} is not set")))
}

fn env_addr(name: &str) -> io::Result<SocketAddr> {
    let v = env(name)?;
    v.parse().map_err(|e| io::Error::new(ErrorKind::InvalidInput, format!("{name}={v}: {e}")))
}

fn fail(msg: String) -> io::Error {
    io::Error::new(ErrorKind::Other, msg)
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

/// Reads one RESP reply: a status line, or a bulk string's bytes.
fn reply(s: &mut TcpStream) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    while !line.ends_with(b"\r\n") {
        if s.read(&mut b)? == 0 {
            return Err(fail(format!("the stream ended after {line:?}")));
        }
        line.push(b[0]);
    }
    if line[0] != b'$' {
        line.truncate(line.len() - 2);
        return Ok(line);
    }
    let n: usize = std::str::from_utf8(&line[1..line.len() - 2]).ok().and_then(|t| t.parse().ok()).ok_or_else(|| fail(format!("bad bulk header {line:?}")))?;
    let mut body = vec![0u8; n + 2];
    s.read_exact(&mut body)?;
    body.truncate(n);
    Ok(body)
}

fn redis_ping() -> io::Result<String> {
    let mut s = TcpStream::connect(env_addr("REDIS")?)?;
    s.write_all(&resp(&[b"PING"]))?;
    let r = reply(&mut s)?;
    if r != b"+PONG" {
        return Err(fail(format!("PING answered {r:?}")));
    }
    Ok(format!("+PONG from {} (local {})", s.peer_addr()?, s.local_addr()?))
}

fn redis_256k() -> io::Result<String> {
    let mut s = TcpStream::connect(env_addr("REDIS")?)?;
    let value: Vec<u8> = (0..256 * 1024u32).map(|i| (i * 7 + i / 251) as u8).collect();
    s.write_all(&resp(&[b"SET", b"wasip2:big", &value]))?;
    let r = reply(&mut s)?;
    if r != b"+OK" {
        return Err(fail(format!("SET answered {r:?}")));
    }
    s.write_all(&resp(&[b"GET", b"wasip2:big"]))?;
    let got = reply(&mut s)?;
    if got != value {
        return Err(fail(format!("GET gave {} bytes back, not the {} set", got.len(), value.len())));
    }
    Ok(format!("{} bytes SET and read back whole", got.len()))
}

fn read_timeout() -> io::Result<String> {
    let mut s = TcpStream::connect(env_addr("REDIS")?)?;
    s.set_read_timeout(Some(Duration::from_millis(200)))?;
    let t0 = Instant::now();
    let mut b = [0u8; 1];
    let e = match s.read(&mut b) {
        Ok(n) => return Err(fail(format!("read {n} bytes from a silent peer"))),
        Err(e) => e,
    };
    if e.kind() != ErrorKind::WouldBlock && e.kind() != ErrorKind::TimedOut {
        return Err(fail(format!("want a timeout, got {e} ({:?})", e.kind())));
    }
    let waited = t0.elapsed();
    s.set_read_timeout(None)?;
    s.write_all(&resp(&[b"PING"]))?;
    let r = reply(&mut s)?;
    if r != b"+PONG" {
        return Err(fail(format!("after the timeout PING answered {r:?}")));
    }
    Ok(format!("{:?} after {} ms, then +PONG on the same stream", e.kind(), waited.as_millis()))
}

fn udp_echo() -> io::Result<String> {
    let sock = UdpSocket::bind("0.0.0.0:0")?;
    // wasi-libc has no SO_RCVTIMEO for UDP sockets (ENOPROTOOPT): the
    // local echo answers, so the receive simply blocks.
    let timeout = match sock.set_read_timeout(Some(Duration::from_secs(5))) {
        Ok(()) => "with a read timeout".to_string(),
        Err(e) => format!("no read timeout ({e})"),
    };
    let to = env_addr("UDP_ECHO")?;
    sock.send_to(b"hello over udp from wasip2", to)?;
    let mut buf = [0u8; 128];
    let (n, from) = sock.recv_from(&mut buf)?;
    if &buf[..n] != b"hello over udp from wasip2" || from != to {
        return Err(fail(format!("got {:?} from {from}", &buf[..n])));
    }
    Ok(format!("{n} bytes back from {from}, {timeout}"))
}

fn lookup() -> io::Result<String> {
    let addrs: Vec<SocketAddr> = ("dual.test.example", 80).to_socket_addrs()?.collect();
    let ips: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
    if !ips.contains(&"10.9.8.7".to_string()) {
        return Err(fail(format!("dual.test.example resolved to {ips:?}")));
    }
    let nx = ("nx.test.example", 80).to_socket_addrs();
    let nx = match nx {
        Ok(a) => return Err(fail(format!("nx.test.example resolved to {:?}", a.collect::<Vec<_>>()))),
        Err(e) => e,
    };
    Ok(format!("{}; nx.test.example: {nx}", ips.join(" ")))
}

fn denied() -> io::Result<String> {
    match TcpStream::connect(env_addr("DENIED")?) {
        Ok(_) => Err(fail("the policy let it connect".into())),
        Err(e) if e.kind() == ErrorKind::PermissionDenied => Ok(format!("{e}")),
        Err(e) => Err(fail(format!("want PermissionDenied, got {e} ({:?})", e.kind()))),
    }
}

fn refused() -> io::Result<String> {
    match TcpStream::connect(env_addr("REFUSED")?) {
        Ok(_) => Err(fail("a refused port connected".into())),
        Err(e) => Ok(format!("{e} ({:?})", e.kind())),
    }
}

/// BENCH_ECHO=total,chunk (the benchmark's wasip2 row): `total` bytes in
/// `chunk` writes to TCP_ECHO through the relay, at most four chunks ahead
/// of what has come back, all read back; prints `bench_echo <ms>` from the
/// connected stream to the last byte.
fn bench_echo(spec: &str) -> io::Result<String> {
    let mut parts = spec.split(',').map(|p| p.parse::<usize>());
    let (Some(Ok(total)), Some(Ok(chunk))) = (parts.next(), parts.next()) else {
        return Err(fail(format!("BENCH_ECHO={spec}: want total,chunk")));
    };
    let mut s = TcpStream::connect(env_addr("TCP_ECHO")?)?;
    let data = vec![7u8; chunk];
    let mut buf = vec![0u8; 64 * 1024];
    let (mut sent, mut got) = (0usize, 0usize);
    let t0 = Instant::now();
    while got < total {
        while sent < total && sent - got < 4 * chunk {
            let n = chunk.min(total - sent);
            s.write_all(&data[..n])?;
            sent += n;
        }
        let n = s.read(&mut buf)?;
        if n == 0 {
            return Err(fail(format!("the echo ended after {got} of {total} bytes")));
        }
        got += n;
    }
    Ok(format!("{:.3}", t0.elapsed().as_secs_f64() * 1000.0))
}

fn main() {
    if let Ok(spec) = std::env::var("BENCH_ECHO") {
        match bench_echo(&spec) {
            Ok(ms) => println!("bench_echo {ms}"),
            Err(e) => println!("FAIL bench_echo: {e}"),
        }
        return;
    }
    let checks: [(&str, fn() -> io::Result<String>); 7] = [
        ("redis_ping", redis_ping),
        ("redis_256k", redis_256k),
        ("read_timeout", read_timeout),
        ("udp_echo", udp_echo),
        ("lookup", lookup),
        ("denied", denied),
        ("refused", refused),
    ];
    let only = std::env::var("ONLY").unwrap_or_default();
    for (name, f) in checks {
        if !only.is_empty() && !only.split(',').any(|n| n == name) {
            continue;
        }
        match f() {
            Ok(detail) => println!("ok {name} {detail}"),
            Err(e) => println!("FAIL {name}: {e}"),
        }
    }
    println!("done");
}
