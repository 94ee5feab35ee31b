//! TCP and UDP through a relay, in Chromium against real relays and real
//! destinations (servers/relay.mjs): two independent Wisp servers
//! (wisp-js speaking v2, wisp-server-node speaking v1), every test against
//! each; the wsproxy convention (wisp-js's endpoint and websockify); a TCP
//! echo, a sink that stops reading, a UDP echo, redis-server, the HTTP
//! peer reached with a raw request. The nettest cases over the relays are
//! in nettest.rs.
#![cfg(target_arch = "wasm32")]

mod common;
use common::browser::*;

use std::time::Duration;

use futures::future::join_all;
use runtime_wasm::externs::{self, Value};
use runtime_wasm::net::*;
use wasm_bindgen_test::wasm_bindgen_test as test;

fn port_of(addr: &str) -> u16 {
    addr.rsplit(':').next().and_then(|p| p.parse().ok()).expect("port")
}

async fn relay_dial(r: &RelayPeer, dest: &str) -> Conn {
    use_relay(&peer(r.key), RelayProtocol::Wisp);
    dial("tcp", dest)
        .await
        .unwrap_or_else(|e| panic!("{}: dial {dest}: {e}", r.name))
}

#[test]
async fn echoes_16_mib_of_random_sized_writes_through_each_relay() {
    for r in WISP_RELAYS {
        echo_bytes(relay_dial(&r, &peer("tcpEcho")).await, 16 << 20).await;
        let stats = relay_stats().expect("stats");
        assert_eq!(stats.version, r.version, "{}: Wisp version", r.name);
        assert_eq!(stats.malformed, 0, "{}: malformed packets", r.name);
    }
}

#[test]
async fn thirty_two_streams_share_one_relay_socket() {
    for r in WISP_RELAYS {
        use_relay(&peer(r.key), RelayProtocol::Wisp);
        // One socket for all of them: open one first so the count is settled.
        let first = relay_dial(&r, &peer("tcpEcho")).await;
        let sockets = relay_stats().expect("stats").sockets;
        let echo = peer("tcpEcho");
        let conns = join_all((0..32).map(|_| dial("tcp", &echo))).await;
        let conns: Vec<Conn> = conns.into_iter().map(|c| c.expect("dial")).collect();
        assert_eq!(relay_stats().expect("stats").streams, 33, "{}", r.name);
        join_all(conns.iter().enumerate().map(|(i, c)| async move {
            let mut gen = Xorshift(1000 + i as u64);
            let want: Vec<u8> = (0..(64 << 10) + i * 977).map(|_| gen.byte()).collect();
            let (w, got) = futures::join!(c.write_all(&want), read_n(c, want.len()));
            w.expect("write");
            assert!(got == want, "{}: stream {i} got other bytes", r.name);
        }))
        .await;
        assert_eq!(relay_stats().expect("stats").sockets, sockets, "{}: no second socket", r.name);
        for c in conns.iter().chain([&first]) {
            c.close().await.expect("close");
        }
        assert_eq!(relay_stats().expect("stats").streams, 0);
        assert_eq!(open_conn_count(), Ok(0));
    }
}

/// A destination that stops reading: with a relay that keeps the spec's
/// flow control the write waits for credit, its deadline fires, and the
/// Conn goes on once the destination reads again. wisp-server-node grants
/// credit whatever its socket does, so there the write completes (the
/// relay holds the bytes): the test says which happened.
#[test]
async fn credit_exhaustion_waits_under_the_write_deadline() {
    for r in WISP_RELAYS {
        let c = relay_dial(&r, &peer("tcpSink")).await;
        c.write_all(b"HOLD 4000\n").await.expect("write HOLD");
        c.set_write_deadline(in_ms(1500)).expect("set");
        let chunk = vec![3u8; 256 << 10];
        let limit = if r.honors_credit { 256 << 20 } else { 16 << 20 };
        let mut sent = 0usize;
        let err = loop {
            if sent >= limit {
                break None;
            }
            match c.write(&chunk).await {
                Ok(n) => sent += n,
                Err(e) => break Some(e),
            }
        };
        if r.honors_credit {
            let e = err.unwrap_or_else(|| panic!("{}: {sent} bytes written to a destination that reads nothing", r.name));
            assert!(e.is_timeout(), "{}: {e}", r.name);
            assert!(sent < 128 << 20, "{}: {sent} bytes went out before the write waited", r.name);
        } else {
            assert!(err.is_none(), "{}: {err:?}", r.name);
        }
        // Usable after the timeout: once the sink reads again, writes go on.
        c.set_write_deadline(None).expect("clear");
        c.write_all(b"more").await.expect("write after the deadline");
        c.set_read_deadline(in_ms(20_000)).expect("set");
        assert_eq!(read_n(&c, 8).await, b"RESUMED\n", "{}", r.name);
        c.close().await.expect("close");
    }
}

#[test]
async fn refused_unreachable_and_blocked_say_what_happened() {
    for r in WISP_RELAYS {
        use_relay(&peer(r.key), RelayProtocol::Wisp);
        let refused = peer("tcpRefused");
        let e = dial_timeout("tcp", &refused, Duration::from_secs(5)).await.expect_err("refused");
        let text = e.to_string();
        assert!(text.starts_with(&format!("dial tcp {refused}: ")), "{text}");
        // wisp-server-node reports ECONNREFUSED as 0x44; wisp-js reports
        // every failed connect as 0x03 (network error).
        if r.version == 1 {
            assert_eq!(e.root(), &Error::Refused, "{}: {text}", r.name);
            assert_eq!(e.sentinel(), Some("net.ErrConnectionRefused"));
        } else {
            assert!(text.ends_with("the relay could not connect to the destination (network error, Wisp CLOSE 0x03)"), "{text}");
        }

        let e = dial_timeout("tcp", "nonexistent.invalid:80", Duration::from_secs(5)).await.expect_err("unresolvable");
        assert!(e.to_string().contains("Wisp CLOSE 0x"), "{}: {e}", r.name);

        if r.honors_credit {
            // wisp-js's own policy blocks RELAY_BLOCKED_PORT (CLOSE 0x48).
            let blocked = format!("127.0.0.1:{}", peer("relayBlockedPort"));
            let e = dial("tcp", &blocked).await.expect_err("blocked");
            assert_eq!(e.root().code(), "denied", "{e}");
            assert!(e.to_string().ends_with("the relay's policy blocks this destination (Wisp CLOSE 0x48)"), "{e}");
        }

        // A blackhole accepts: the dial succeeds, a read waits for its deadline.
        let c = dial_timeout("tcp", &peer("tcpBlackhole"), Duration::from_secs(5)).await.expect("dial blackhole");
        c.set_read_deadline(in_ms(300)).expect("set");
        assert!(c.read(&mut [0u8; 4]).await.expect_err("read").is_timeout());
        c.close().await.expect("close");
        assert_eq!(open_conn_count(), Ok(0));
    }
}

/// A relay that never answers the WebSocket handshake: the dial timeout
/// is Go's i/o timeout, and nothing is left open.
#[test]
async fn a_silent_relay_hits_the_dial_timeout() {
    use_relay(&peer("blackhole"), RelayProtocol::Wisp);
    let e = dial_timeout("tcp", &peer("tcpEcho"), Duration::from_millis(400)).await.expect_err("timeout");
    assert!(e.is_timeout(), "{e}");
    assert_eq!(open_conn_count(), Ok(0));
}

#[test]
async fn a_dropped_relay_socket_fails_open_streams_and_the_next_dial_reconnects() {
    use_relay(&peer("wispCut"), RelayProtocol::Wisp);
    let a = dial("tcp", &peer("tcpEcho")).await.expect("dial a");
    let b = dial("tcp", &peer("tcpSink")).await.expect("dial b");
    b.write_all(b"HOLD 600000\n").await.expect("hold");
    a.write_all(b"ping").await.expect("write");
    assert_eq!(read_n(&a, 4).await, b"ping");
    let sockets = relay_stats().expect("stats").sockets;
    let (mut buf, mut buf2) = ([0u8; 8], [0u8; 8]);
    let (ra, rb, ()) = futures::join!(a.read(&mut buf), b.read(&mut buf2), async {
        sleep(100).await;
        fetch_ok(&peer("wispCutControl")).await;
    });
    for e in [ra.expect_err("a"), rb.expect_err("b")] {
        assert!(e.to_string().contains("relay connection lost"), "{e}");
    }
    assert!(a.write(b"x").await.is_err(), "writes fail too");
    a.close().await.expect("close a");
    b.close().await.expect("close b");
    let c = dial("tcp", &peer("tcpEcho")).await.expect("dial after the drop");
    assert_eq!(relay_stats().expect("stats").sockets, sockets + 1, "a new relay socket");
    c.write_all(b"again").await.expect("write");
    assert_eq!(read_n(&c, 5).await, b"again");
    c.close().await.expect("close");
    assert_eq!(open_conn_count(), Ok(0));
}

/// One stream over the receive bound is closed alone; the others on the
/// same relay socket go on.
#[test]
async fn a_stream_over_the_receive_bound_closes_alone() {
    for r in WISP_RELAYS {
        set_ws_options(r#"{"readLimitBytes": 65536}"#);
        let hog = relay_dial(&r, &peer("tcpEcho")).await;
        let other = relay_dial(&r, &peer("tcpEcho")).await;
        set_ws_options(r#"{"readLimitBytes": 16777216}"#);
        hog.write_all(&vec![1u8; 1 << 20]).await.expect("write");
        sleep(300).await; // the echo fills hog's queue past the bound
        let mut got = 0;
        let e = loop {
            match hog.read(&mut [0u8; 65536]).await {
                Ok(n) => got += n,
                Err(e) => break e,
            }
        };
        assert!(got >= 65536 && got < 1 << 20, "{}: {got} bytes before the error", r.name);
        assert!(e.to_string().contains("receive buffer limit of 65536 bytes exceeded; connection closed (Wisp CLOSE 0x81"), "{e}");
        other.write_all(b"still here").await.expect("write");
        assert_eq!(read_n(&other, 10).await, b"still here");
        hog.close().await.expect("close");
        other.close().await.expect("close");
    }
}

/// A tiny RESP client: one reply (simple string, integer, bulk string).
async fn resp_reply(c: &Conn) -> Vec<u8> {
    let mut line = Vec::new();
    loop {
        let b = read_n(c, 1).await[0];
        line.push(b);
        if line.ends_with(b"\r\n") {
            break;
        }
    }
    if line[0] != b'$' {
        return line;
    }
    let n: i64 = std::str::from_utf8(&line[1..line.len() - 2]).unwrap().parse().unwrap();
    if n < 0 {
        return b"nil".to_vec();
    }
    let mut body = read_n(c, n as usize + 2).await;
    body.truncate(n as usize);
    body
}

fn resp_command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

#[test]
async fn redis_round_trips() {
    for r in WISP_RELAYS {
        let c = relay_dial(&r, &peer("redis")).await;
        let key = format!("k-{}", r.key);
        c.write_all(&resp_command(&[b"SET", key.as_bytes(), b"hello"])).await.expect("SET");
        assert_eq!(resp_reply(&c).await, b"+OK\r\n");
        c.write_all(&resp_command(&[b"GET", key.as_bytes()])).await.expect("GET");
        assert_eq!(resp_reply(&c).await, b"hello");
        // A 1 MiB value, byte for byte.
        let mut gen = Xorshift(42);
        let big: Vec<u8> = (0..1 << 20).map(|_| gen.byte()).collect();
        c.write_all(&resp_command(&[b"SET", b"big", &big])).await.expect("SET big");
        assert_eq!(resp_reply(&c).await, b"+OK\r\n");
        c.write_all(&resp_command(&[b"GET", b"big"])).await.expect("GET big");
        assert!(resp_reply(&c).await == big, "{}: the 1 MiB value came back changed", r.name);
        // A pipelined batch: 200 INCRs in one write, 200 replies in order.
        // A key of this run's own: the suite runs in several browsers against one Redis.
        let counter = format!("n-{}-{}", r.key, js_sys::Math::random());
        let batch: Vec<u8> = (0..200).flat_map(|_| resp_command(&[b"INCR", counter.as_bytes()])).collect();
        c.write_all(&batch).await.expect("pipeline");
        for i in 1..=200 {
            assert_eq!(resp_reply(&c).await, format!(":{i}\r\n").into_bytes(), "{}", r.name);
        }
        c.close().await.expect("close");
    }
}

#[test]
async fn raw_http_over_tcp() {
    for r in WISP_RELAYS {
        let addr = peer("tcpHttp");
        let c = relay_dial(&r, &addr).await;
        let req = format!("GET /hello HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        c.write_all(req.as_bytes()).await.expect("write");
        let mut resp = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match c.read(&mut buf).await {
                Ok(n) => resp.extend_from_slice(&buf[..n]),
                Err(Error::Eof) => break,
                Err(e) => panic!("{}: {e}", r.name),
            }
        }
        let text = String::from_utf8_lossy(&resp);
        assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{}: {text}", r.name);
        c.close().await.expect("close");
    }
}

#[test]
async fn udp_echo_keeps_datagram_boundaries_and_deadlines() {
    for r in WISP_RELAYS {
        use_relay(&peer(r.key), RelayProtocol::Wisp);
        let echo = peer("udpEcho");
        let pc = listen_packet("udp", ":0").expect("listen");
        assert_eq!(pc.local_addr(), ":0");
        if r.version == 1 {
            // wisp-server-node 1.1.8 cannot carry UDP: its DATA handler
            // calls dgram send(data, undefined, undefined, cb), which
            // throws, and it then closes the whole relay socket. The
            // program is told, not left waiting.
            pc.write_to(b"x", &echo).await.expect("sent");
            pc.set_read_deadline(in_ms(10_000)).expect("set");
            let e = pc.read_from(&mut [0u8; 8]).await.expect_err("the relay dropped");
            assert!(e.to_string().contains("relay connection lost"), "{e}");
            pc.close().expect("close");
            continue;
        }
        let sizes = [1usize, 100, 1400, 8000, 1, 60000];
        for (i, n) in sizes.iter().enumerate() {
            let d: Vec<u8> = (0..*n).map(|j| (i * 31 + j) as u8).collect();
            assert_eq!(pc.write_to(&d, &echo).await.expect("write"), *n);
        }
        pc.set_read_deadline(in_ms(10_000)).expect("set");
        for (i, n) in sizes.iter().enumerate() {
            let mut buf = vec![0u8; 65536];
            let (got, from) = pc.read_from(&mut buf).await.unwrap_or_else(|e| panic!("{}: read {i}: {e}", r.name));
            assert_eq!(got, *n, "{}: datagram {i} has its own length", r.name);
            assert!(buf[..got].iter().enumerate().all(|(j, b)| *b == (i * 31 + j) as u8), "{}: datagram {i}", r.name);
            assert_eq!(from, echo);
        }
        // A short buffer gets the start of the datagram (Go's truncation).
        pc.write_to(b"truncated", &echo).await.expect("write");
        let mut small = [0u8; 5];
        assert_eq!(pc.read_from(&mut small).await.expect("read").0, 5);
        assert_eq!(&small, b"trunc");
        // Nothing more: the read deadline fires and the conn stays usable.
        pc.set_read_deadline(in_ms(200)).expect("set");
        let e = pc.read_from(&mut [0u8; 16]).await.expect_err("timeout");
        assert!(e.is_timeout(), "{e}");
        pc.set_read_deadline(None).expect("clear");
        pc.write_to(b"after", &echo).await.expect("write");
        let mut buf = [0u8; 16];
        assert_eq!(pc.read_from(&mut buf).await.expect("read").0, 5);
        pc.close().expect("close");
        assert!(pc.write_to(b"x", &echo).await.expect_err("closed").root() == &Error::Closed);
        assert_eq!(open_packet_conn_count(), Ok(0));
    }
}

#[test]
async fn policy_applies_to_each_destination_through_an_allowed_relay() {
    use_relay(&peer("wispV2"), RelayProtocol::Wisp);
    let echo_port = port_of(&peer("tcpEcho"));
    set_net_options(&format!(r#"{{"policy": {{"ports": [{echo_port}]}}}}"#));
    let streams = relay_stats().expect("stats").streams;
    let e = dial("tcp", &peer("redis")).await.expect_err("denied");
    assert_eq!(e.root().code(), "denied", "{e}");
    assert!(e.to_string().contains(&format!("port {} not allowed", port_of(&peer("redis")))), "{e}");
    assert_eq!(relay_stats().expect("stats").streams, streams, "no stream was opened");
    let pc = listen_packet("udp", ":0").expect("listen");
    let e = pc.write_to(b"x", &peer("udpEcho")).await.expect_err("udp denied");
    assert_eq!(e.root().code(), "denied", "{e}");
    pc.close().expect("close");
    let c = dial("tcp", &peer("tcpEcho")).await.expect("the allowed port");
    c.close().await.expect("close");

    // maxConnections counts relay streams.
    set_net_options(r#"{"policy": {"maxConnections": 2}}"#);
    let a = dial("tcp", &peer("tcpEcho")).await.expect("1");
    let b = dial("tcp", &peer("tcpEcho")).await.expect("2");
    let e = dial("tcp", &peer("tcpEcho")).await.expect_err("3");
    assert!(e.to_string().contains("more than 2 connections"), "{e}");
    a.close().await.expect("close");
    let c = dial("tcp", &peer("tcpEcho")).await.expect("a slot again");
    for x in [b, c] {
        x.close().await.expect("close");
    }
    set_net_options(r#"{"policy": {}}"#);
}

#[test]
async fn wsproxy_relays_carry_tcp() {
    // wisp-server-node's wsproxy endpoint dials the host:port in the URL.
    use_relay(&peer("wsproxy"), RelayProtocol::Wsproxy);
    echo_bytes(dial("tcp", &peer("tcpEcho")).await.expect("dial"), 1 << 20).await;
    let pc = listen_packet("udp", ":0").expect_err("no UDP over wsproxy");
    assert!(pc.to_string().contains("carries TCP only"), "{pc}");
    // websockify has one fixed target (the TCP echo), whatever is asked.
    use_relay(&peer("websockify"), RelayProtocol::Wsproxy);
    let c = dial("tcp", &peer("tcpEcho")).await.expect("dial");
    c.write_all(b"websockify").await.expect("write");
    assert_eq!(read_n(&c, 10).await, b"websockify");
    c.close().await.expect("close");
}

/// Calls an extern to completion; `Bytes` arguments come back filled.
async fn call_with(name: &str, args: &mut [Value]) -> Vec<Value> {
    let ext = externs::find(name).unwrap_or_else(|| panic!("no extern {name}"));
    externs::call(ext, &mut externs::args_of(args))
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

async fn call(name: &str, mut args: Vec<Value>) -> Vec<Value> {
    call_with(name, &mut args).await
}

#[test]
async fn vo_externs_drive_tcp_and_udp_through_the_relay() {
    use_relay(&peer("wispV2"), RelayProtocol::Wisp);
    let s = |v: &str| Value::Str(v.into());
    let out = call("net.dial", vec![s("tcp"), s(&peer("tcpEcho")), Value::Int(5_000_000_000)]).await;
    let Value::Int(h) = out[0] else { panic!("{out:?}") };
    assert_eq!(out[1], Value::Nil);
    let out = call("net.blocking_tcpConnWrite", vec![Value::Int(h), Value::Bytes(b"vo over wisp".to_vec())]).await;
    assert_eq!(out, vec![Value::Int(12), Value::Nil]);
    let mut got = Vec::new();
    while got.len() < 12 {
        let mut args = vec![Value::Int(h), Value::Bytes(vec![0; 64])];
        let out = call_with("net.blocking_tcpConnRead", &mut args).await;
        let (Value::Int(n), Value::Bytes(buf)) = (&out[0], &args[1]) else { panic!("{out:?}") };
        got.extend_from_slice(&buf[..*n as usize]);
    }
    assert_eq!(got, b"vo over wisp");
    assert_eq!(call("net.tcpConnRemoteAddr", vec![Value::Int(h)]).await, vec![s(&peer("tcpEcho"))]);
    assert_eq!(call("net.tcpConnClose", vec![Value::Int(h)]).await, vec![Value::Nil]);

    let out = call("net.listenPacket", vec![s("udp"), s(":0")]).await;
    let Value::Int(u) = out[0] else { panic!("{out:?}") };
    assert_eq!(call("net.udpConnLocalAddr", vec![Value::Int(u)]).await, vec![s(":0")]);
    let out = call("net.blocking_udpConnWriteTo", vec![Value::Int(u), Value::Bytes(b"dgram".to_vec()), s(&peer("udpEcho"))]).await;
    assert_eq!(out, vec![Value::Int(5), Value::Nil]);
    let mut args = vec![Value::Int(u), Value::Bytes(vec![0; 64])];
    let out = call_with("net.blocking_udpConnReadFrom", &mut args).await;
    assert_eq!(out, vec![Value::Int(5), s(&peer("udpEcho")), Value::Nil]);
    let Value::Bytes(buf) = &args[1] else { unreachable!() };
    assert_eq!(&buf[..5], b"dgram");
    assert_eq!(call("net.udpConnSetReadDeadline", vec![Value::Int(u), Value::Int(1)]).await, vec![Value::Nil]);
    let out = call("net.blocking_udpConnReadFrom", vec![Value::Int(u), Value::Bytes(vec![0; 64])]).await;
    let Value::Error(e) = &out[2] else { panic!("{out:?}") };
    assert_eq!(e.sentinel(), Some("os.ErrDeadlineExceeded"));
    assert_eq!(call("net.udpConnClose", vec![Value::Int(u)]).await, vec![Value::Nil]);
    assert_eq!(extern_conn_count(), 0);
}

/// What the logging relay (servers/relay.mjs relayLog) was asked: the paths.
async fn relay_log() -> Vec<String> {
    use wasm_bindgen::JsCast;
    let fetch: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"fetch".into()).expect("fetch").into();
    let p = fetch.call1(&wasm_bindgen::JsValue::NULL, &peer("relayLogRead").into()).expect("fetch");
    let resp = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(p)).await.expect("GET log");
    let json: js_sys::Function = js_sys::Reflect::get(&resp, &"json".into()).expect("json").unchecked_into();
    let v = wasm_bindgen_futures::JsFuture::from(js_sys::Promise::from(json.call0(&resp).expect("json()"))).await.expect("log JSON");
    js_sys::Array::from(&v).iter().filter_map(|x| x.as_string()).collect()
}

/// The JS bindings' own relay dial (what a VM reaching `_netConnDialRelay`
/// directly would do), with the raw host: the error object, if it threw.
fn bindings_dial_relay(host: &str, port: u16) -> Option<serde_json::Value> {
    let f: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"_netConnDialRelay".into()).expect("bindings").into();
    let args = js_sys::Array::of4(&"tcp".into(), &host.into(), &f64::from(port).into(), &0.into());
    match f.apply(&wasm_bindgen::JsValue::NULL, &args) {
        Ok(h) => {
            let release: js_sys::Function = js_sys::Reflect::get(&js_sys::global(), &"_netConnRelease".into()).expect("release").into();
            let _ = release.call1(&wasm_bindgen::JsValue::NULL, &h);
            None
        }
        Err(e) => Some(serde_json::from_str(&js_sys::JSON::stringify(&e).expect("JSON").as_string().unwrap_or_default()).expect("an object")),
    }
}

#[test]
async fn a_host_the_policy_and_the_relay_could_read_apart_is_no_destination() {
    // The audit's bypass: with only 127.0.0.1:A allowed, a bracketed "host"
    // that the policy's URL reading ended at "/" (127.0.0.1:A) while the
    // wsproxy relay, handed the raw string, reached 127.0.0.1:D (Redis).
    let a = port_of(&peer("tcpEcho"));
    let d = port_of(&peer("redis"));
    // The log is the run's (every engine's suite asks the same relay): what this test adds.
    let start = relay_log().await.len();
    set_net_options(&format!(r#"{{"policy": {{"hosts": ["127.0.0.1"], "ports": [{a}]}}}}"#));
    for relay in ["wsproxy", "relayLog"] {
        use_relay(&peer(relay), RelayProtocol::Wsproxy);
        for host in [format!("127.0.0.1:{a}/127.0.0.1:{d}"), format!("127.0.0.1:{a}/localhost:{d}")] {
            // Rust refuses it first, with Go's error.
            let e = dial("tcp", &format!("[{host}]:{a}")).await.expect_err("refused");
            assert_eq!(e.to_string(), format!("dial tcp: lookup {host}: no such host"));
            // And so do the JS bindings, under every policy.
            for policy in [format!(r#"{{"policy": {{"hosts": ["127.0.0.1"], "ports": [{a}]}}}}"#), r#"{"policy": {}}"#.to_string()] {
                set_net_options(&policy);
                let e = bindings_dial_relay(&host, a).expect("refused by the bindings");
                assert_eq!(e, serde_json::json!({"code": "dns", "err": "no such host", "name": host, "is_not_found": true}));
            }
            set_net_options(&format!(r#"{{"policy": {{"hosts": ["127.0.0.1"], "ports": [{a}]}}}}"#));
        }
    }
    // The logging relay was asked for exactly the hosts the policy checked,
    // and never for the refused ones.
    use_relay(&peer("relayLog"), RelayProtocol::Wsproxy);
    let before = relay_log().await;
    assert!(before.len() == start, "nothing refused reached the relay: {:?}", &before[start..]);
    let _ = dial("tcp", &format!("127.0.0.1:{a}")).await; // the log relay drops every upgrade
    set_net_options(r#"{"policy": {}}"#);
    let _ = dial("tcp", "LocalHost.:7").await;
    let _ = dial("tcp", "[::1]:7").await;
    assert_eq!(relay_log().await[start..], [format!("/tcp/127.0.0.1:{a}"), "/tcp/localhost:7".into(), "/tcp/[::1]:7".into()]);
    use_relay(&peer("wispV2"), RelayProtocol::Wisp);
    assert_eq!(open_conn_count(), Ok(0));
}

#[test]
async fn a_wisp_server_that_answers_no_subprotocol_is_reached_with_the_defaults() {
    // wisp-server-node behind a forwarder that drops Sec-WebSocket-Protocol:
    // the browser fails a handshake that offered "wisp-v2" (code 1006).
    use_relay(&peer("wispNoProtocol"), RelayProtocol::Wisp);
    let before = relay_stats().expect("stats").sockets;
    let c = dial("tcp", &peer("redis")).await.expect("dial with the default version");
    c.write_all(b"PING\r\n").await.expect("write");
    assert_eq!(read_n(&c, 7).await, b"+PONG\r\n");
    let s = relay_stats().expect("stats");
    // Chromium fails a handshake whose reply names no subprotocol (code 1006), and
    // the retry offering nothing speaks v1: two sockets. Firefox accepts that reply:
    // one socket, and the server's first packet (no INFO) says v1 all the same.
    assert_eq!(s.version, 1, "the server speaks v1");
    assert!(matches!(s.sockets - before, 1 | 2), "{} sockets", s.sockets - before);
    c.close().await.expect("close");
    // Remembered: the next socket to that relay offers nothing at once.
    use_relay(&peer("wispV2"), RelayProtocol::Wisp);
    dial("tcp", &peer("tcpEcho")).await.expect("another relay").close().await.expect("close");
    use_relay(&peer("wispNoProtocol"), RelayProtocol::Wisp);
    let before = relay_stats().expect("stats").sockets;
    let c = dial("tcp", &peer("redis")).await.expect("dial again");
    assert_eq!(relay_stats().expect("stats").sockets - before, 1);
    c.close().await.expect("close");
    // A v2 server is still spoken to as v2.
    use_relay(&peer("wispV2"), RelayProtocol::Wisp);
    let c = dial("tcp", &peer("tcpEcho")).await.expect("v2");
    assert_eq!(relay_stats().expect("stats").version, 2);
    c.close().await.expect("close");
}
