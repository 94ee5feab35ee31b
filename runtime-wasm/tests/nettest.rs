//! Conformance: the cases of golang.org/x/net/nettest's TestConn, run in
//! Chromium against our Conn, over each transport a Conn can have: a
//! WebSocket, and TCP through each Wisp relay (wisp-js, wisp-server-node).
//! nettest pipes two Conns together; here the other end is a real echo
//! peer (servers/ws-echo.mjs, or the TCP echo behind the relay), and for
//! the timeout cases a peer that never answers and stops reading (`silent`
//! and `pause` of the WebSocket peer, the TCP sink behind the relay), so
//! writes block on real backpressure.
#![cfg(target_arch = "wasm32")]

mod common;
use common::browser::*;

use futures::future::join_all;
use runtime_wasm::net::*;
use wasm_bindgen_test::wasm_bindgen_test as test;

/// Go's aLongTimeAgo.
fn long_ago() -> Option<SystemTime> {
    Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1))
}

/// Writes until an error (the deadline or a close) stops it.
async fn write_until_error(c: &Conn) -> Error {
    let chunk = vec![1u8; 256 << 10];
    loop {
        if let Err(e) = c.write(&chunk).await {
            return e;
        }
    }
}

#[test]
async fn basic_io() {
    for p in all_peers() {
        let c = p.echo().await;
        let mut gen = Xorshift(3);
        let want: Vec<u8> = (0..1 << 20).map(|_| gen.byte()).collect();
        let (w, got) = futures::join!(c.write_all(&want), read_n(&c, want.len()));
        w.expect("write");
        assert!(got == want, "{p:?}: echoed bytes differ");
        c.close().await.expect("close");
    }
}

#[test]
async fn ping_pong() {
    for p in all_peers() {
        let c = p.echo().await;
        let mut n: u64 = 0;
        for _ in 0..1000 {
            c.write_all(&n.to_be_bytes()).await.expect("write");
            let got = u64::from_be_bytes(read_n(&c, 8).await.try_into().expect("8 bytes"));
            assert_eq!(got, n, "{p:?}");
            n = got + 1;
        }
        c.close().await.expect("close");
    }
}

#[test]
async fn racy_read() {
    // Many reads with random deadlines while data streams in: each returns
    // data or a timeout, and the conn keeps working afterwards.
    for p in all_peers() {
        let c = p.echo().await;
        // 256 KiB on its way back while the reads race their deadlines.
        c.write_all(&vec![7u8; 256 << 10]).await.expect("write");
        racy_reads(&c).await;
    }
}

async fn racy_reads(c: &Conn) {
    let mut seeds = Xorshift(11);
    for _ in 0..10 {
        let reads = (0..10).map(|_| {
            let ms = (seeds.next() % 20) as i64;
            async move {
                let mut buf = vec![0u8; 1024];
                c.set_read_deadline(in_ms(ms)).expect("set");
                match c.read(&mut buf).await {
                    Ok(n) => assert!(n > 0 && n <= 1024),
                    Err(e) => assert!(e.is_timeout(), "{e}"),
                }
            }
        });
        join_all(reads).await;
    }
    c.set_read_deadline(None).expect("clear");
    c.write_all(b"still alive").await.expect("write");
    c.close().await.expect("close");
}

#[test]
async fn racy_write() {
    for p in all_peers() {
        racy_writes(&p.echo().await).await;
    }
}

async fn racy_writes(c: &Conn) {
    let mut seeds = Xorshift(5);
    for _ in 0..10 {
        let writes = (0..10).map(|_| {
            let ms = (seeds.next() % 20) as i64;
            async move {
                c.set_write_deadline(in_ms(ms)).expect("set");
                match c.write(&[0u8; 1024]).await {
                    Ok(n) => assert!(n <= 1024),
                    Err(e) => assert!(e.is_timeout(), "{e}"),
                }
            }
        });
        join_all(writes).await;
    }
    c.close().await.expect("close");
}

#[test]
async fn read_timeout() {
    for p in all_peers() {
        let c = p.silent().await;
        c.set_read_deadline(long_ago()).expect("set");
        let err = c.read(&mut [0u8; 8]).await.expect_err("timeout");
        assert!(err.is_timeout() && err.is_temporary(), "{p:?}: {err}");
        c.close().await.expect("close");
    }
}

#[test]
async fn write_timeout() {
    for p in all_peers() {
        let c = p.echo().await;
        c.set_write_deadline(long_ago()).expect("set");
        let err = c.write(b"x").await.expect_err("timeout");
        assert!(err.is_timeout(), "{p:?}: {err}");
        c.close().await.expect("close");
    }
}

#[test]
async fn past_timeout() {
    for p in all_peers() {
        let c = p.echo().await;
        c.set_deadline(long_ago()).expect("set");
        assert!(c.read(&mut [0u8; 8]).await.expect_err("read").is_timeout());
        assert!(c.write(b"x").await.expect_err("write").is_timeout());
        c.close().await.expect("close");
    }
}

#[test]
async fn present_timeout() {
    // Blocked Read and Write both wake when the deadline is set to now.
    for p in all_peers() {
        present(p).await;
    }
}

async fn present(p: Peer) {
    let r = p.silent().await;
    let w = p.blocking_writer().await;
    let mut buf = [0u8; 8];
    let (re, we, ()) = futures::join!(r.read(&mut buf), write_until_error(&w), async {
        sleep(100).await;
        r.set_deadline(in_ms(0)).expect("set");
        w.set_deadline(in_ms(0)).expect("set");
    });
    assert!(re.expect_err("read").is_timeout());
    assert!(we.is_timeout(), "{we}");
    r.close().await.expect("close");
    w.close().await.expect("close");
}

#[test]
async fn future_timeout() {
    for p in all_peers() {
        future(p).await;
    }
}

async fn future(p: Peer) {
    let r = p.silent().await;
    let w = p.blocking_writer().await;
    r.set_deadline(in_ms(100)).expect("set");
    w.set_deadline(in_ms(300)).expect("set");
    let mut buf = [0u8; 8];
    let (re, we) = futures::join!(r.read(&mut buf), write_until_error(&w));
    assert!(re.expect_err("read").is_timeout());
    assert!(we.is_timeout(), "{we}");
    r.close().await.expect("close");
    w.close().await.expect("close");
}

#[test]
async fn close_timeout() {
    // Close wakes blocked Read and Write at once, even with far deadlines.
    for p in all_peers() {
        close_wakes(p).await;
    }
}

async fn close_wakes(p: Peer) {
    let r = p.silent().await;
    let w = p.blocking_writer().await;
    r.set_deadline(in_ms(60_000)).expect("set");
    w.set_deadline(in_ms(60_000)).expect("set");
    let mut buf = [0u8; 8];
    let (re, we, ()) = futures::join!(r.read(&mut buf), write_until_error(&w), async {
        sleep(100).await;
        r.close().await.expect("close r");
        w.close().await.expect("close w");
    });
    assert_eq!(re.expect_err("read").root(), &Error::Closed);
    assert_eq!(we.root(), &Error::Closed, "{we}");
    // Deadlines on a closed conn are errors too.
    assert!(
        r.set_deadline(None).is_err()
            && r.set_read_deadline(None).is_err()
            && r.set_write_deadline(None).is_err()
    );
}

#[test]
async fn concurrent_methods() {
    for p in all_peers() {
        concurrent(p).await;
    }
}

async fn concurrent(p: Peer) {
    let c = p.echo().await;
    let ops = (0..100).map(|i| {
        let c = &c;
        async move {
            match i % 6 {
                0 => {
                    c.set_deadline(in_ms(5_000)).expect("set");
                }
                1 => {
                    c.set_read_deadline(in_ms(5_000)).expect("set");
                }
                2 => {
                    c.set_write_deadline(in_ms(5_000)).expect("set");
                }
                3 => {
                    c.write_all(&[i as u8; 64]).await.expect("write");
                }
                4 => assert_eq!(c.local_addr().network(), p.network()),
                _ => match p {
                    Peer::Ws => assert!(c.remote_addr().to_string().starts_with("ws://")),
                    Peer::Relay(_) => assert_eq!(c.remote_addr().to_string(), peer("tcpEcho")),
                },
            }
        }
    });
    join_all(ops).await;
    // 17 writes of 64 bytes went out; all of it comes back.
    assert_eq!(read_n(&c, 17 * 64).await.len(), 17 * 64);
    c.close().await.expect("close");
}
