//! Dial("ws") and Conn in headless Chromium against the real peers that
//! scripts/test.sh starts on 127.0.0.1 (servers/: a `ws` echo server with
//! query controls, a blackhole TCP server, a refused port). The JS side is
//! the real js/net.ts, as the crate ships it (glue/net-bindings.js).
#![cfg(target_arch = "wasm32")]

mod common;
use common::browser::*;

use std::pin::pin;
use std::time::Duration;

use futures::future::{select, Either};
use futures::{AsyncReadExt, AsyncWriteExt};
use runtime_wasm::net::*;
use wasm_bindgen_test::wasm_bindgen_test as test;

#[test]
async fn echoes_16_mib_of_random_sized_writes_concurrently() {
    for t in transports() {
        echo_bytes(dial_echo_on(t, "").await, 16 << 20).await;
    }
}

#[test]
async fn read_splits_and_joins_messages() {
    let c = dial_echo("send=1000&chunk=300").await;
    let mut buf = [0u8; 100];
    assert_eq!(c.read(&mut buf).await, Ok(100), "a 300-byte message split");
    sleep(100).await; // all four messages queued by now
    let mut big = [0u8; 2000];
    assert_eq!(
        c.read(&mut big).await,
        Ok(900),
        "the rest of three messages joined in one Read"
    );
    assert!(buf
        .iter()
        .chain(&big[..900])
        .enumerate()
        .all(|(i, b)| *b == (i % 251) as u8));
    c.close().await.expect("close");
}

#[test]
async fn text_messages_arrive_as_utf8_bytes() {
    let c = dial_echo("text=1").await;
    c.write_all("héllo".as_bytes()).await.expect("write");
    assert_eq!(read_n(&c, 6).await, "héllo".as_bytes());
    c.close().await.expect("close");
}

#[test]
async fn read_deadline_times_out_and_the_conn_stays_usable() {
    let c = dial_echo("delay=300").await;
    c.write_all(b"ping").await.expect("write");
    c.set_read_deadline(in_ms(80)).expect("set");
    let mut buf = [0u8; 16];
    let err = c.read(&mut buf).await.expect_err("must time out");
    assert!(err.is_timeout(), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "read ws {}->{}: i/o timeout",
            c.local_addr(),
            c.remote_addr()
        )
    );
    // Go's semantics: extend the deadline and the data that arrives is read.
    c.set_read_deadline(None).expect("clear");
    assert_eq!(read_n(&c, 4).await, b"ping");
    c.close().await.expect("close");
}

#[test]
async fn a_past_deadline_fails_at_once_even_with_data_queued() {
    let c = dial_echo("").await;
    c.write_all(b"data").await.expect("write");
    sleep(100).await;
    c.set_deadline(in_ms(-1000)).expect("set");
    assert!(c.read(&mut [0u8; 4]).await.expect_err("past").is_timeout());
    assert!(c.write(b"x").await.expect_err("past").is_timeout());
    c.set_deadline(None).expect("clear");
    assert_eq!(read_n(&c, 4).await, b"data");
    c.close().await.expect("close");
}

#[test]
async fn changing_the_deadline_applies_to_a_pending_read() {
    let c = dial_echo("silent=1").await;
    let mut buf = [0u8; 4];
    let (r, ()) = futures::join!(c.read(&mut buf), async {
        sleep(50).await;
        c.set_read_deadline(in_ms(50)).expect("set");
    });
    assert!(r.expect_err("timeout").is_timeout());
    c.close().await.expect("close");

    // And the other way: clearing the deadline of a pending read lets it wait.
    let c = dial_echo("delay=250").await;
    c.write_all(b"late").await.expect("write");
    c.set_read_deadline(in_ms(100)).expect("set");
    let (r, ()) = futures::join!(c.read(&mut buf), async {
        sleep(30).await;
        c.set_read_deadline(None).expect("clear");
    });
    assert_eq!(r, Ok(4));
    assert_eq!(&buf, b"late");
    c.close().await.expect("close");
}

#[test]
async fn write_waits_on_real_backpressure_until_the_deadline() {
    // The server stops reading, TCP fills, bufferedAmount grows.
    for t in transports() {
        set_ws_options(r#"{"writeHighWaterBytes": 65536}"#);
        let c = dial_echo_on(t, "pause=1").await;
        set_ws_options(r#"{"writeHighWaterBytes": 1048576}"#);
        write_until_deadline(c).await;
    }
}

async fn write_until_deadline(c: Conn) {
    c.set_write_deadline(in_ms(600)).expect("set");
    let chunk = vec![7u8; 1 << 20];
    let mut sent = 0usize;
    let err = loop {
        match c.write(&chunk).await {
            Ok(n) => sent += n,
            Err(e) => break e,
        }
        assert!(sent < 512 << 20, "backpressure never stopped the writer");
    };
    assert!(err.is_timeout(), "{err}");
    assert!(sent > 0, "some bytes went out before the buffers filled");
    assert!(err.to_string().starts_with("write ws "), "{err}");
    c.close().await.expect("close");
}

#[test]
async fn clean_server_close_gives_the_data_then_eof() {
    for t in transports() {
        clean_close(dial_echo_on(t, "send=1000&chunk=400&close=1000").await).await;
    }
}

async fn clean_close(c: Conn) {
    sleep(100).await;
    assert_eq!(read_n(&c, 1000).await.len(), 1000);
    assert_eq!(c.read(&mut [0u8; 10]).await, Err(Error::Eof));
    assert_eq!(c.read(&mut [0u8; 10]).await, Err(Error::Eof), "EOF again");
    // Writing to a closed socket fails; it never "succeeds".
    let err = c.write(b"x").await.expect_err("peer closed");
    assert!(err.to_string().starts_with("write ws "), "{err}");
    c.close().await.expect("close after EOF");
}

#[test]
async fn abnormal_server_close_gives_the_data_then_the_code_and_reason() {
    for t in transports() {
        abnormal_close(t).await;
    }
}

async fn abnormal_close(t: &str) {
    let c = dial_echo_on(t, "send=100&close=4001&reason=bye").await;
    sleep(100).await;
    assert_eq!(read_n(&c, 100).await.len(), 100);
    let err = c.read(&mut [0u8; 10]).await.expect_err("4001");
    assert_eq!(
        err.to_string(),
        format!(
            "read ws {}->{}: websocket closed by peer with code 4001 (bye)",
            c.local_addr(),
            c.remote_addr()
        )
    );
    c.close().await.expect("close");

    // Dropped after one echo, so the socket is open first in every engine (a
    // drop at once races the handshake: Firefox may never open the socket).
    let c = dial_echo_on(t, "drop=1&after=1").await;
    c.write_all(b"x").await.expect("write");
    assert_eq!(read_n(&c, 1).await, b"x");
    let err = c.read(&mut [0u8; 10]).await.expect_err("dropped");
    assert!(err.to_string().contains("code 1006"), "{err}");
    c.close().await.expect("close");
}

#[test]
async fn close_is_go_close() {
    let c = dial_echo("silent=1").await;
    let mut buf = [0u8; 8];
    let (r, closed) = futures::join!(c.read(&mut buf), async {
        sleep(30).await;
        c.close().await
    });
    assert_eq!(closed, Ok(()));
    let err = r.expect_err("pending read fails");
    assert_eq!(err.root(), &Error::Closed);
    assert!(
        err.to_string()
            .ends_with(": use of closed network connection"),
        "{err}"
    );
    assert_eq!(
        c.read(&mut buf).await.expect_err("after close").root(),
        &Error::Closed
    );
    assert_eq!(
        c.write(b"x").await.expect_err("after close").root(),
        &Error::Closed
    );
    let again = c.close().await.expect_err("second close");
    assert_eq!(
        again.to_string(),
        format!(
            "close ws {}->{}: use of closed network connection",
            c.local_addr(),
            c.remote_addr()
        )
    );
    assert!(c
        .set_deadline(None)
        .expect_err("set after close")
        .to_string()
        .starts_with("set ws "));
    assert_eq!(open_conn_count(), Ok(0));
}

#[test]
async fn dropping_a_pending_read_loses_no_data() {
    let c = dial_echo("delay=150").await;
    c.write_all(b"abc").await.expect("write");
    let mut buf = [0u8; 3];
    match select(pin!(c.read(&mut buf)), pin!(sleep(30))).await {
        Either::Left(_) => panic!("read finished before the echo was due"),
        Either::Right(_) => {} // the read future is dropped here
    }
    assert_eq!(
        read_n(&c, 3).await,
        b"abc",
        "the data went to the next read"
    );
    c.close().await.expect("close");
}

#[test]
async fn dial_errors_are_go_op_errors() {
    let refused = env!("NET_TEST_REFUSED_URL");
    let err = dial("ws", refused).await.expect_err("refused");
    assert!(
        err.to_string()
            .starts_with(&format!("dial ws {refused}: websocket connection failed")),
        "{err}"
    );
    assert!(!err.is_timeout());

    let err = dial("ws", "ws://[::1/").await.expect_err("bad url");
    assert!(
        err.to_string()
            .starts_with("dial ws ws://[::1/: invalid WebSocket URL \"ws://[::1/\""),
        "{err}"
    );
    let err = dial("ws", "ws://127.0.0.1/#frag")
        .await
        .expect_err("fragment");
    assert!(
        err.to_string()
            .contains("Fragment identifiers are not allowed"),
        "{err}"
    );

    let err = dial("tcp", "127.0.0.1:80").await.expect_err("tcp");
    assert_eq!(err.root().code(), "unsupported");
    assert_eq!(
        dial("foo", "x:1").await.expect_err("foo").to_string(),
        "dial foo: unknown network foo"
    );
    assert_eq!(open_conn_count(), Ok(0));
}

#[test]
async fn dial_timeout_closes_the_half_open_socket() {
    let url = env!("NET_TEST_BLACKHOLE_URL");
    let err = dial_timeout("ws", url, Duration::from_millis(150))
        .await
        .expect_err("blackhole");
    assert!(err.is_timeout(), "{err}");
    assert_eq!(err.to_string(), format!("dial ws {url}: i/o timeout"));
    assert_eq!(open_conn_count(), Ok(0));

    // Dropping a dial future abandons the socket too.
    match select(pin!(dial("ws", url)), pin!(sleep(100))).await {
        Either::Left(_) => panic!("the blackhole answered"),
        Either::Right(_) => {}
    }
    assert_eq!(open_conn_count(), Ok(0));
}

#[test]
async fn addresses_name_the_network_and_the_url() {
    let c = dial_echo("").await;
    assert_eq!(c.remote_addr().network(), "ws");
    assert_eq!(c.remote_addr().to_string(), echo_url(""));
    assert_eq!(c.local_addr().network(), "ws");
    assert!(
        c.local_addr().to_string().starts_with("http://127.0.0.1:"),
        "{}",
        c.local_addr()
    );
    // host:port form becomes ws://host:port/
    let hostport = echo_url("")
        .trim_start_matches("ws://")
        .trim_end_matches("/echo")
        .to_string();
    let c2 = dial("ws", &hostport).await.expect("dial host:port");
    assert_eq!(c2.remote_addr().to_string(), format!("ws://{hostport}/"));
    c2.close().await.expect("close");
    c.close().await.expect("close");
}

#[test]
async fn futures_io_traits() {
    let mut c = dial_echo("after=1&close=1000").await;
    c.write_all(b"hello, traits").await.expect("write_all");
    let mut buf = [0u8; 13];
    c.read_exact(&mut buf).await.expect("read_exact");
    assert_eq!(&buf, b"hello, traits");
    let mut rest = Vec::new();
    c.read_to_end(&mut rest).await.expect("EOF is Ok(0)");
    assert!(rest.is_empty());
    AsyncWriteExt::close(&mut c).await.expect("close");
}

#[test]
async fn the_classic_receive_limit_closes_the_socket_and_says_so() {
    set_ws_options(r#"{"readLimitBytes": 1000}"#);
    let c = dial_echo_on("classic", "send=5000&chunk=500").await;
    set_ws_options(r#"{"readLimitBytes": 16777216}"#);
    sleep(150).await;
    // The bound is on the queue's cost (bytes + 128 per chunk): the second
    // 500-byte message crosses it, and is kept: nothing is dropped silently.
    assert_eq!(read_n(&c, 1000).await.len(), 1000);
    let err = c.read(&mut [0u8; 10]).await.expect_err("limit");
    assert!(
        err.to_string()
            .contains("receive buffer limit of 1000 bytes exceeded"),
        "{err}"
    );
    c.close().await.expect("close");
}

#[test]
async fn the_stream_receive_limit_is_backpressure() {
    // WebSocketStream stops reading at the bound instead of closing: a slow
    // reader still gets every byte while the peer keeps the connection open.
    if !has_websocket_stream() {
        return stream_transport_is_refused().await;
    }
    set_ws_options(r#"{"readLimitBytes": 1000}"#);
    let c = dial_echo_on("stream", "send=20000&chunk=500").await;
    set_ws_options(r#"{"readLimitBytes": 16777216}"#);
    sleep(150).await;
    let got = read_n(&c, 20000).await;
    assert!(got.iter().enumerate().all(|(i, b)| *b == (i % 251) as u8));
    c.write_all(b"still open").await.expect("write");
    assert_eq!(read_n(&c, 10).await, b"still open");
    c.close().await.expect("close");
}

#[test]
async fn a_peer_close_during_a_stream_pause_is_reported_not_silent() {
    // Chromium's WebSocketStream discards in-flight messages when the close
    // arrives while reading is paused: the end must say so, not look like EOF.
    if !has_websocket_stream() {
        return stream_transport_is_refused().await;
    }
    set_ws_options(r#"{"readLimitBytes": 1000}"#);
    let c = dial_echo_on("stream", "send=20000&chunk=500&close=1000").await;
    set_ws_options(r#"{"readLimitBytes": 16777216}"#);
    sleep(300).await;
    let mut got = 0;
    let mut buf = [0u8; 4096];
    let err = loop {
        match c.read(&mut buf).await {
            Ok(n) => got += n,
            Err(e) => break e,
        }
    };
    assert!(
        got >= 1000,
        "at least what was queued before the pause: {got}"
    );
    assert!(
        err.to_string()
            .contains("while reading was paused at the receive limit of 1000 bytes"),
        "{err}"
    );
    c.close().await.expect("close");
}

#[test]
async fn close_with_writes_in_flight_keeps_the_page_alive() {
    // Chromium 156's renderer crashes when a WebSocketStream is closed with
    // writes still queued; Close waits for them (js/ws.ts, StreamTransport).
    for t in transports() {
        for _ in 0..5 {
            let c = dial_echo_on(t, "").await;
            for _ in 0..100 {
                c.write_all(&[1u8; 1024]).await.expect("write");
            }
            c.close().await.expect("close");
        }
    }
    sleep(300).await;
    let c = dial_echo("").await;
    c.write_all(b"alive").await.expect("write");
    assert_eq!(read_n(&c, 5).await, b"alive");
    c.close().await.expect("close");
}

/// 10,000 cycles take about two minutes: Chromium serializes handshakes to
/// one endpoint and delays the next after each close (~12 ms a cycle here).
#[test]
async fn dial_close_cycles_leave_the_table_empty() {
    for i in 0..10_000 {
        let c = dial_echo("").await;
        if i % 2 == 0 {
            c.close().await.expect("close");
        } // odd ones are dropped without close
    }
    assert_eq!(open_conn_count(), Ok(0));
}

/// Reads waiting through `crate::wake` slots: the JS table holds each wait's
/// token, not a Promise. (`externCounts().waits`: slots in use.)
fn waits() -> f64 {
    let c = runtime_wasm::js_api::extern_counts();
    js_sys::Reflect::get(&c, &"waits".into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(-1.0)
}

#[test]
async fn waits_are_bounded_dropping_them_is_cheap_and_loses_nothing() {
    let c = dial_echo("").await;
    assert_eq!(waits(), 0.0);
    // Every slot taken by waits that are started (polled once) and kept.
    let max = 1 << 16;
    let mut held = Vec::with_capacity(max);
    for _ in 0..max {
        let mut w = Box::pin(c.ready());
        assert!(futures::poll!(w.as_mut()).is_pending(), "nothing queued: the wait waits");
        held.push(w);
    }
    assert_eq!(waits(), max as f64);
    // One more is refused with an error that says why, not a trap or a hang.
    let err = c.ready().await.expect_err("past the bound");
    assert!(err.to_string().contains("too many reads waiting at once"), "{err}");
    // Dropping them all (each forgotten by the table in O(1): a Map keyed
    // by token) frees every slot, and the Conn works as before.
    drop(held);
    assert_eq!(waits(), 0.0);
    c.write_all(b"x").await.expect("write");
    let mut b = [0u8; 1];
    assert_eq!(c.read(&mut b).await, Ok(1));
    assert_eq!(&b, b"x");
    assert_eq!(waits(), 0.0, "a wait that was woken frees its slot");
}
