//! An async wasm32-wasip2 program on wstd (its reactor waits in
//! wasi:io/poll's `poll`, which go-net-wasm/wasip2 and JSPI turn into the
//! page's event loop). One line per check: `ok <name> <detail>` or
//! `FAIL <name>: <error>`, then `done`.
use std::io;
use wstd::future::FutureExt;
use wstd::io::{AsyncRead, AsyncWrite};
use wstd::net::TcpStream;
use wstd::time::Duration;

fn env(name: &str) -> io::Result<String> {
    std::env::var(name).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("{name} is not set")))
}

fn fail(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::Other, msg)
}

async fn ping(addr: String) -> io::Result<()> {
    let mut s = TcpStream::connect(addr).await?;
    s.write_all(b"PING\r\n").await?;
    let mut buf = [0u8; 7];
    let mut got = 0;
    while got < 7 {
        let n = s.read(&mut buf[got..]).await?;
        if n == 0 {
            return Err(fail("the stream ended".into()));
        }
        got += n;
    }
    if &buf != b"+PONG\r\n" {
        return Err(fail(format!("PING answered {buf:?}")));
    }
    Ok(())
}

/// Eight connections at once, each its own task on wstd's reactor.
async fn concurrent() -> io::Result<String> {
    let redis = env("REDIS")?;
    let tasks: Vec<_> = (0..8).map(|_| wstd::runtime::spawn(ping(redis.clone()))).collect();
    for t in tasks {
        t.await?;
    }
    Ok("8 connections, 8 PONGs, at once".into())
}

/// A read raced with a 200 ms timer: the timer wins, the stream still answers.
async fn timeout() -> io::Result<String> {
    let mut s = TcpStream::connect(env("REDIS")?).await?;
    let mut b = [0u8; 1];
    match s.read(&mut b).timeout(Duration::from_millis(200)).await {
        Err(e) if e.kind() == io::ErrorKind::TimedOut => {}
        other => return Err(fail(format!("want the timer first, got {other:?}"))),
    }
    s.write_all(b"PING\r\n").await?;
    let mut buf = [0u8; 7];
    let mut got = 0;
    while got < 7 {
        got += s.read(&mut buf[got..]).await?;
    }
    if &buf != b"+PONG\r\n" {
        return Err(fail(format!("after the timeout PING answered {buf:?}")));
    }
    Ok("the timer fired first, then +PONG on the same stream".into())
}

/// 256 KiB through the TCP echo, writing and reading at once (split halves).
async fn echo() -> io::Result<String> {
    let s = TcpStream::connect(env("TCP_ECHO")?).await?;
    let (mut r, mut w) = s.split();
    const TOTAL: usize = 256 * 1024;
    let data: Vec<u8> = (0..TOTAL).map(|i| (i % 251) as u8).collect();
    let writer = async {
        for c in data.chunks(16 * 1024) {
            w.write_all(c).await?;
        }
        io::Result::Ok(())
    };
    let reader = async {
        let mut back = Vec::with_capacity(TOTAL);
        let mut buf = vec![0u8; 64 * 1024];
        while back.len() < TOTAL {
            let n = r.read(&mut buf).await?;
            if n == 0 {
                return Err(fail(format!("the echo ended after {} bytes", back.len())));
            }
            back.extend_from_slice(&buf[..n]);
        }
        io::Result::Ok(back)
    };
    let (wr, back) = futures_join(writer, reader).await;
    wr?;
    if back? != data {
        return Err(fail("the echo changed the bytes".into()));
    }
    Ok(format!("{TOTAL} bytes written and read back at once"))
}

/// Both futures to completion, polled together (no extra crate).
async fn futures_join<A: std::future::Future, B: std::future::Future>(a: A, b: B) -> (A::Output, B::Output) {
    use std::pin::pin;
    use std::task::Poll;
    let (mut a, mut b) = (pin!(a), pin!(b));
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    (ra.unwrap(), rb.unwrap())
}

#[wstd::main]
async fn main() -> io::Result<()> {
    for (name, r) in [("concurrent", concurrent().await), ("timeout", timeout().await), ("echo", echo().await)] {
        match r {
            Ok(detail) => println!("ok {name} {detail}"),
            Err(e) => println!("FAIL {name}: {e}"),
        }
    }
    println!("done");
    Ok(())
}
