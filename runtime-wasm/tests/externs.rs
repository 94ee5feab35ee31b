//! The net and net/http externs exactly as a VM calls them (Vo's names,
//! arguments and results), against the real peers (WebSocket echo, DoH,
//! HTTP). Runs in Chromium.
#![cfg(target_arch = "wasm32")]

use runtime_wasm::externs::{self, args_of, Arg, ExternCall, ExternResult, Registry, SockAddr, Value};
use runtime_wasm::net::{self, Error, Resolver, NET_SENTINELS};
use runtime_wasm::{http, net::set_default_resolver};
use sha2::{Digest, Sha256};
use wasm_bindgen_test::wasm_bindgen_test;

mod common;
use common::browser::*;

/// Calls an extern by name to completion (the async adapter); `Bytes`
/// arguments are passed as fillable buffers and come back filled.
async fn call_with(name: &str, args: &mut [Value]) -> Vec<Value> {
    let ext = externs::find(name).unwrap_or_else(|| panic!("no extern {name}"));
    let mut a = args_of(args);
    externs::call(ext, &mut a)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

async fn call(name: &str, mut args: Vec<Value>) -> Vec<Value> {
    call_with(name, &mut args).await
}

/// `blocking_tcpConnRead` into a guest buffer of `size` bytes: (n, err, the
/// bytes it put there).
async fn read(c: &Value, size: usize) -> (usize, Value, Vec<u8>) {
    let mut args = vec![c.clone(), Value::Bytes(vec![0; size])];
    let out = call_with("net.blocking_tcpConnRead", &mut args).await;
    let n = int(&out[0]) as usize;
    let Value::Bytes(buf) = &args[1] else { unreachable!() };
    assert!(n <= size, "a read never returns more than the buffer holds");
    (n, out[1].clone(), buf[..n].to_vec())
}

async fn write(c: &Value, data: &[u8]) -> Vec<Value> {
    call("net.blocking_tcpConnWrite", vec![c.clone(), Value::Bytes(data.to_vec())]).await
}

fn s(v: &str) -> Value {
    Value::Str(v.into())
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        other => panic!("not an int: {other:?}"),
    }
}

fn bytes(v: &Value) -> &[u8] {
    match v {
        Value::Bytes(b) => b,
        other => panic!("not bytes: {other:?}"),
    }
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l
            .iter()
            .map(|x| match x {
                Value::Str(s) => s.clone(),
                other => panic!("not a string: {other:?}"),
            })
            .collect(),
        other => panic!("not a list: {other:?}"),
    }
}

fn error(v: &Value) -> &Error {
    match v {
        Value::Error(e) => e,
        other => panic!("not an error: {other:?}"),
    }
}

fn unix_nanos_in(ms: i64) -> i64 {
    let t = in_ms(ms).expect("time");
    t.duration_since(net::SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_nanos() as i64
}

/// Leak check: what the externs and the JS tables hold.
fn counts() -> (usize, usize, usize, u32, u32) {
    (
        externs::pending_count(),
        net::extern_conn_count(),
        http::extern_request_count(),
        net::open_conn_count().expect("conns"),
        http::open_request_count().expect("requests"),
    )
}

fn setup() -> (usize, usize, usize, u32, u32) {
    set_net_options("{}");
    set_default_resolver(Resolver::with_servers([doh_url()]));
    counts()
}

/// testdata/vo-externs.txt as (package, declaration) pairs.
fn vo_declarations() -> Vec<(String, String)> {
    let mut package = String::new();
    let mut out = Vec::new();
    for line in include_str!("../../testdata/vo-externs.txt").lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        match line.strip_prefix("package ") {
            Some(p) => package = if p == "http" { "net/http".into() } else { p.into() },
            None => out.push((package.clone(), line.to_string())),
        }
    }
    out
}

#[wasm_bindgen_test]
fn the_42_vo_declarations_are_registered_exactly() {
    let decls = vo_declarations();
    assert_eq!(decls.len(), 42, "the testdata copy has Vo's 42 declarations");
    // Vo's canonical names, in declaration order, as a Vo module lists them.
    let names: Vec<String> = decls
        .iter()
        .map(|(p, d)| externs::canonical_name(p, d.split('(').next().unwrap_or(d)))
        .collect();
    let mut reg = Registry::new();
    assert_eq!(externs::register_all(&mut reg, &names), Ok(42));
    for (id, (package, decl)) in decls.iter().enumerate() {
        let e = reg.by_id(id).unwrap_or_else(|| panic!("{package}.{decl} is not registered"));
        assert_eq!((e.package, e.signature()), (package.as_str(), decl.clone()), "declaration {id}");
    }
    // The same set by flat names and by pairs.
    let flat: Vec<String> = decls
        .iter()
        .map(|(p, d)| format!("{}_{}", p.replace('/', "_"), d.split('(').next().unwrap_or(d)))
        .collect();
    assert_eq!(externs::register_all(&mut Registry::new(), &flat), Ok(42));
    let pairs: Vec<(&str, &str)> = decls
        .iter()
        .map(|(p, d)| (p.as_str(), d.split('(').next().unwrap_or(d)))
        .collect();
    assert_eq!(externs::register_all(&mut Registry::new(), &pairs), Ok(42));

    // Only the declared ones; another package's names are skipped; unknown
    // names of ours are reported while the known ones still register.
    let mixed = ["fmt_Println", "vo1:3:net:4:dial", "net.frobnicate", "net_url_Parse", "net_http_getHttpErrors", "vo1:8:net/http:8:teleport"];
    let mut reg = Registry::new();
    let e = externs::register_all(&mut reg, &mixed).expect_err("two unknown");
    assert_eq!(e.unknown, ["net.frobnicate", "net/http.teleport"]);
    assert_eq!(reg.iter().map(|(i, e)| (i, e.name)).collect::<Vec<_>>(), [(1, "dial"), (4, "getHttpErrors")]);
}

#[wasm_bindgen_test]
fn the_readme_table_lists_exactly_the_externs() {
    let readme = include_str!("../../docs/externs.md");
    // Rows like: | `net.blocking_tcpConnRead(handle int, b []byte) (int, error)` | ...
    let mut listed: Vec<String> = readme
        .lines()
        .filter(|l| l.starts_with("| `net"))
        .filter_map(|l| l.split('`').nth(1).map(str::to_string))
        .collect();
    let mut have: Vec<String> = externs::all()
        .map(|e| format!("{}.{}", e.package, e.signature()))
        .collect();
    let mut vo: Vec<String> = vo_declarations().into_iter().map(|(p, d)| format!("{p}.{d}")).collect();
    listed.sort();
    have.sort();
    vo.sort();
    assert_eq!(listed, have, "docs/externs.md.s extern table and the extern tables differ");
    // The "may wait" column says which ones can answer later.
    for l in readme.lines().filter(|l| l.starts_with("| `net")) {
        let sig = l.split('`').nth(1).unwrap_or_default();
        let e = externs::all().find(|e| format!("{}.{}", e.package, e.signature()) == sig).expect("listed");
        let says = l.split('|').nth(2).map(str::trim) == Some("yes");
        assert_eq!(says, e.may_wait(), "docs/externs.md.s \"may wait\" for {sig}");
    }
    assert!(vo.iter().all(|d| have.contains(d)), "every Vo declaration is provided");
    assert_eq!(have.len(), 42 + 3, "Vo's 42 plus the 3 streaming additions");
}

#[wasm_bindgen_test]
async fn sentinels_are_vos_in_vos_order() {
    let out = call("net.getNetErrors", vec![]).await;
    assert_eq!(out, NET_SENTINELS.iter().cloned().map(Value::Error).collect::<Vec<_>>());
    let texts: Vec<String> = out.iter().map(|v| error(v).to_string()).collect();
    assert_eq!(texts, ["use of closed network connection", "i/o timeout", "connection refused", "connection reset by peer", "address already in use", "address not available"]);
    for (i, v) in out.iter().enumerate() {
        assert_eq!(error(v).vo_sentinel(), Some(("net", i)));
    }
    let out = call("net/http.getHttpErrors", vec![]).await;
    assert_eq!(error(&out[0]).to_string(), "request timeout");
    assert_eq!(error(&out[0]).vo_sentinel(), Some(("http", 0)));
}

#[wasm_bindgen_test]
async fn dial_write_read_into_guest_buffers_deadlines_and_close() {
    let base = setup();
    // With a timeout (a Duration in ns) and without.
    for timeout in [0, 5_000_000_000i64] {
        let out = call("net.dial", vec![s("ws"), s(&echo_url("")), Value::Int(timeout)]).await;
        assert_eq!(out[1], Value::Nil, "{:?}", out[1]);
        let c = out[0].clone();
        assert!(int(&c) > 0);
        assert_eq!(call("net.tcpConnRemoteAddr", vec![c.clone()]).await, vec![s(&echo_url(""))]);
        assert_eq!(write(&c, b"x").await, vec![Value::Int(1), Value::Nil]);
        assert_eq!(read(&c, 16).await, (1, Value::Nil, b"x".to_vec()));
        assert_eq!(call("net.tcpConnClose", vec![c]).await, vec![Value::Nil]);
    }

    let c = call("net.dial", vec![s("ws"), s(&echo_url("")), Value::Int(0)]).await[0].clone();
    // Three messages, read through a 7-byte buffer: joined across messages
    // and split inside one.
    for m in [&b"abc"[..], b"defgh", b"ij"] {
        assert_eq!(write(&c, m).await, vec![Value::Int(m.len() as i64), Value::Nil]);
    }
    let mut got = Vec::new();
    while got.len() < 10 {
        let (n, e, b) = read(&c, 7).await;
        assert_eq!(e, Value::Nil);
        assert!(n > 0);
        got.extend(b);
    }
    assert_eq!(got, b"abcdefghij");
    // A 1-byte buffer: a message split across many reads.
    write(&c, b"one").await;
    for want in [b'o', b'n', b'e'] {
        assert_eq!(read(&c, 1).await, (1, Value::Nil, vec![want]));
    }
    // 100 KiB in one message, read through 64 KiB buffers.
    let big: Vec<u8> = (0..100 * 1024).map(|i| (i % 251) as u8).collect();
    assert_eq!(write(&c, &big).await, vec![Value::Int(big.len() as i64), Value::Nil]);
    let mut got = Vec::new();
    while got.len() < big.len() {
        let (n, e, b) = read(&c, 64 * 1024).await;
        assert_eq!(e, Value::Nil);
        assert!(n <= 64 * 1024);
        got.extend(b);
    }
    assert_eq!(got, big);
    // A zero-length read is (0, nil), as in Go.
    assert_eq!(read(&c, 0).await, (0, Value::Nil, vec![]));

    // A read deadline that passes: Go's OpError ending in Vo's ErrTimeout
    // (a VM's adapter keeps the text and the sentinel as its cause), and
    // the Conn stays usable.
    let out = call("net.tcpConnSetReadDeadline", vec![c.clone(), Value::Int(unix_nanos_in(150))]).await;
    assert_eq!(out, vec![Value::Nil]);
    let (n, e, _) = read(&c, 64).await;
    assert_eq!((n, error(&e).root()), (0, &Error::Timeout));
    let text = error(&e).to_string();
    assert!(text.starts_with("read ws ") && text.ends_with(": i/o timeout"), "{text}");
    assert_eq!((error(&e).vo_sentinel(), error(&e).root().vo_sentinel()), (None, Some(("net", 1))));
    // A deadline already past fails at once, even with data queued.
    write(&c, b"queued").await;
    sleep(50).await;
    let (_, e, _) = read(&c, 64).await;
    assert_eq!(error(&e).root(), &Error::Timeout);
    // 0 clears it: the queued bytes are still there.
    call("net.tcpConnSetDeadline", vec![c.clone(), Value::Int(0)]).await;
    assert_eq!(read(&c, 64).await, (6, Value::Nil, b"queued".to_vec()));

    assert_eq!(call("net.tcpConnClose", vec![c.clone()]).await, vec![Value::Nil]);
    // After Close: Vo's ErrClosed itself, for every operation and a second Close.
    assert_eq!(read(&c, 8).await.1, Value::Error(Error::Closed));
    assert_eq!(write(&c, b"z").await, vec![Value::Int(0), Value::Error(Error::Closed)]);
    assert_eq!(call("net.tcpConnSetDeadline", vec![c.clone(), Value::Int(1)]).await, vec![Value::Error(Error::Closed)]);
    assert_eq!(call("net.tcpConnClose", vec![c.clone()]).await, vec![Value::Error(Error::Closed)]);
    assert_eq!(call("net.tcpConnLocalAddr", vec![c.clone()]).await, vec![s("")]);
    assert_eq!(counts(), base, "handles left behind");
}

#[wasm_bindgen_test]
async fn a_read_waits_by_replay_and_a_cancelled_one_loses_nothing() {
    let base = setup();
    let c = call("net.dial", vec![s("ws"), s(&echo_url("")), Value::Int(0)]).await[0].clone();
    let ext = externs::find("vo1:3:net:20:blocking_tcpConnRead").expect("read");
    let mut guest = [0u8; 100];
    let h = int(&c);

    // Nothing to read yet: a token, not a blocked page.
    let ExternResult::Pending(t) = ext.call(ExternCall::new(vec![Arg::Int(h), Arg::Buf(&mut guest)])) else {
        panic!("a read with no data must be pending");
    };
    assert_eq!(externs::is_ready(t), Some(false));
    // Replayed too early: the same token.
    assert!(matches!(ext.call(ExternCall::replay(vec![Arg::Int(h), Arg::Buf(&mut guest)], t)), ExternResult::Pending(t2) if t2 == t));
    write(&c, b"woken").await;
    externs::wait(t).await;
    match ext.call(ExternCall::replay(vec![Arg::Int(h), Arg::Buf(&mut guest)], t)) {
        ExternResult::Done(v) => assert_eq!(v, vec![Value::Int(5), Value::Nil]),
        other => panic!("{other:?}"),
    }
    assert_eq!(&guest[..5], b"woken", "the replay put the bytes in the guest's buffer");

    // A cancelled read loses nothing: the bytes go to the next read.
    let ExternResult::Pending(t) = ext.call(ExternCall::new(vec![Arg::Int(h), Arg::Buf(&mut guest)])) else {
        panic!("pending");
    };
    assert!(externs::cancel(t));
    write(&c, b"kept").await;
    assert_eq!(read(&c, 100).await, (4, Value::Nil, b"kept".to_vec()));
    match ext.call(ExternCall::replay(vec![Arg::Int(h), Arg::Buf(&mut guest)], t)) {
        ExternResult::Fail(e) => assert!(e.0.contains("cancelled"), "{e}"),
        other => panic!("{other:?}"),
    }
    // Close while a read waits: the replay reports ErrClosed.
    let ExternResult::Pending(t) = ext.call(ExternCall::new(vec![Arg::Int(h), Arg::Buf(&mut guest)])) else {
        panic!("pending");
    };
    call("net.tcpConnClose", vec![c.clone()]).await;
    externs::wait(t).await;
    match ext.call(ExternCall::replay(vec![Arg::Int(h), Arg::Buf(&mut guest)], t)) {
        ExternResult::Done(v) => assert_eq!(v, vec![Value::Int(0), Value::Error(Error::Closed)]),
        other => panic!("{other:?}"),
    }
    assert_eq!(counts(), base);
}

#[wasm_bindgen_test]
async fn refused_and_unsupported_dials_say_what_happened() {
    let base = setup();
    let refused = env!("NET_TEST_REFUSED_URL");
    let out = call("net.dial", vec![s("ws"), s(refused), Value::Int(2_000_000_000)]).await;
    assert_eq!(out[0], Value::Int(0));
    let e = error(&out[1]).to_string();
    // The browser does not say "refused" for a WebSocket (README), so this
    // is not claimed to be ErrConnectionRefused.
    assert!(e.starts_with(&format!("dial ws {refused}: websocket connection failed")), "{e}");
    let unsupported = "sockets are not available in browser WebAssembly; dial network \"ws\" or \"wss\" with a WebSocket URL instead";
    // This suite's page configures no relay (runtime-wasm/tests/relay.rs does).
    let no_relay = "sockets are not available in browser WebAssembly without a relay; the host can configure one (registerNetBindings({relay: {url}}) or net::set_relay), or dial network \"ws\" or \"wss\" with a WebSocket URL";
    let cases: Vec<(&str, Vec<Value>, String)> = vec![
        ("net.dial", vec![s("tcp"), s("example.com:80"), Value::Int(0)], format!("dial tcp example.com:80: tcp {no_relay}")),
        ("net.dial", vec![s("udp"), s("10.0.0.1:53"), Value::Int(0)], "dial udp 10.0.0.1:53: udp sockets are not available in browser WebAssembly; ListenPacket(\"udp\") and WriteTo send datagrams through the host's relay".into()),
        ("net.dial", vec![s("foo"), s("x"), Value::Int(0)], "dial foo: unknown network foo".into()),
        ("net.listen", vec![s("tcp"), s(":8080")], "listen tcp :8080: a page cannot accept connections in browser WebAssembly; Dial the server instead (tcp goes through the host's relay)".into()),
        ("net.listenPacket", vec![s("udp"), s(":53")], format!("listen udp :53: udp {no_relay}")),
        ("net.listen", vec![s("ws"), s(":8080")], "listen ws :8080: a page cannot accept WebSocket connections in browser WebAssembly; run the server elsewhere and Dial it".into()),
        ("net.unixDial", vec![s("/run/x.sock")], format!("dial unix /run/x.sock: unix {unsupported}")),
        ("net.unixListen", vec![s("/tmp/s")], format!("listen unix /tmp/s: unix {unsupported}")),
        ("net.blocking_tcpListenerAccept", vec![Value::Int(1)], "accept tcp: listening sockets are not available in browser WebAssembly, so no such handle exists".into()),
        ("net.blocking_unixListenerAccept", vec![Value::Int(1)], "accept unix: listening sockets are not available in browser WebAssembly, so no such handle exists".into()),
    ];
    for (name, args, want) in cases {
        let out = call(name, args).await;
        assert_eq!(error(&out[1]).to_string(), want, "{name}");
        assert_eq!(out[0], Value::Int(0), "{name}: no handle on failure");
    }
    let e = &call("net.listen", vec![s("tcp"), s(":8080")]).await[1];
    assert_eq!(error(e).sentinel(), Some("errors.ErrUnsupported"));
    for (name, args) in [
        ("net.tcpListenerClose", vec![Value::Int(3)]),
        ("net.blocking_unixConnRead", vec![Value::Int(3), Value::Bytes(vec![0; 4])]),
        ("net.blocking_unixConnWrite", vec![Value::Int(3), Value::Bytes(vec![1])]),
        ("net.unixConnSetReadDeadline", vec![Value::Int(3), Value::Int(0)]),
        ("net.unixConnClose", vec![Value::Int(3)]),
        ("net.unixListenerClose", vec![Value::Int(3)]),
    ] {
        let out = call(name, args).await;
        let e = error(out.last().expect("error"));
        assert_eq!(e.sentinel(), Some("errors.ErrUnsupported"), "{name}: {e}");
    }
    // UDP handles exist (through a relay), so an unknown one is ErrClosed, as for TCP.
    for (name, args) in [
        ("net.udpConnClose", vec![Value::Int(3)]),
        ("net.udpConnSetDeadline", vec![Value::Int(3), Value::Int(0)]),
        ("net.blocking_udpConnWriteTo", vec![Value::Int(3), Value::Bytes(vec![1]), s("1.2.3.4:5")]),
        ("net.blocking_udpConnReadFrom", vec![Value::Int(3), Value::Bytes(vec![0; 4])]),
    ] {
        let out = call(name, args).await;
        let e = error(out.last().expect("error"));
        assert_eq!(e.sentinel(), Some("net.ErrClosed"), "{name}: {e}");
    }
    assert_eq!(call("net.tcpListenerAddr", vec![Value::Int(3)]).await, vec![s("")]);
    assert_eq!(call("net.udpConnLocalAddr", vec![Value::Int(3)]).await, vec![s("")]);
    assert_eq!(counts(), base);
}

#[wasm_bindgen_test]
async fn misuse_is_an_error_never_a_panic() {
    let dial = externs::find("net.dial").expect("dial");
    let fail = |args: Vec<Arg<'_>>| match dial.call(ExternCall::new(args)) {
        ExternResult::Fail(e) => e.0,
        other => panic!("{other:?}"),
    };
    assert_eq!(fail(vec![Arg::Str("ws")]), "net.dial: want 3 argument(s), got 1 (signature: dial(network, address string, timeout time.Duration) (int, error))");
    assert_eq!(fail(vec![Arg::Str("ws"), Arg::Int(5), Arg::Int(0)]), "net.dial: argument 2 (address) must be string, got int");
    let write = externs::find("net_blocking_tcpConnWrite").expect("flat names work too");
    match write.call(ExternCall::new(vec![Arg::Int(1), Arg::Strings(vec!["x"])])) {
        ExternResult::Fail(e) => assert_eq!(e.0, "net.blocking_tcpConnWrite: argument 2 (b) must be []byte, got []string"),
        other => panic!("{other:?}"),
    }
    // A replay token nobody issued.
    match dial.call(ExternCall::replay(vec![Arg::Str("ws"), Arg::Str("x"), Arg::Int(0)], 987_654)) {
        ExternResult::Fail(e) => assert!(e.0.contains("no pending call with token 987654"), "{e}"),
        other => panic!("{other:?}"),
    }
    // Handles that were never issued are Go errors, not crashes.
    assert_eq!(read(&Value::Int(424_242), 10).await.1, Value::Error(Error::Closed));
    assert_eq!(call("net.tcpConnLocalAddr", vec![Value::Int(424_242)]).await, vec![s("")]);
}

#[wasm_bindgen_test]
fn every_extern_that_answers_at_once_takes_arbitrary_unicode() {
    use runtime_wasm::externs::Kind;
    let base = setup();
    let mut rng = Xorshift(0x5eed);
    let texts = ["", "%", "%4€", "[::1", "é", "😀:80", "ws://\u{0}/", "\u{202e}tcp", "a:b:c"];
    // nativeNewClientRequest takes nothing to fuzz (and would hold ids).
    for ext in externs::all().filter(|e| !e.may_wait() && !e.params.is_empty()) {
        for _ in 0..200 {
            let mut strings: Vec<String> = Vec::new();
            for _ in ext.params {
                let s: String = if rng.next() % 3 == 0 {
                    texts[(rng.next() % texts.len() as u64) as usize].to_string()
                } else {
                    (0..rng.next() % 12).filter_map(|_| char::from_u32((rng.next() % 0x11_0000) as u32)).collect()
                };
                strings.push(s);
            }
            let mut bufs: Vec<Vec<u8>> = ext.params.iter().map(|_| vec![0; (rng.next() % 8) as usize]).collect();
            let args: Vec<Arg<'_>> = ext
                .params
                .iter()
                .zip(strings.iter().zip(bufs.iter_mut()))
                .map(|((_, k), (s, b))| match k {
                    Kind::Str => Arg::Str(s),
                    Kind::Strings => Arg::Strings(vec![s.as_str()]),
                    Kind::Bytes => Arg::Buf(b),
                    _ => Arg::Int(rng.next() as i64),
                })
                .collect();
            match ext.call(ExternCall::new(args)) {
                ExternResult::Done(v) => assert_eq!(v.len(), ext.results.len(), "{ext:?}"),
                other => panic!("{ext:?}: {other:?}"),
            }
        }
    }
    // Handles from random ints never existed; nothing was opened.
    assert_eq!(counts(), base);
}

#[wasm_bindgen_test]
async fn resolve_and_lookup_through_doh() {
    let base = setup();
    let addr = |ip: Vec<u8>, port: i64| Value::Addr(SockAddr { ip, port, zone: String::new() });
    let out = call("net.resolveTCPAddr", vec![s("tcp"), s("dual.test.example:https")]).await;
    assert_eq!(out, vec![addr(vec![10, 9, 8, 7], 443), Value::Nil], "IPv4 preferred");
    let fd00_7 = net::parse_ip("fd00::7").expect("ip").as_bytes().to_vec();
    let out = call("net.resolveTCPAddr", vec![s("tcp6"), s("dual.test.example:80")]).await;
    assert_eq!(out, vec![addr(fd00_7.clone(), 80), Value::Nil]);
    let out = call("net.resolveUDPAddr", vec![s("udp"), s("a.test.example:domain")]).await;
    assert_eq!(out, vec![addr(vec![10, 1, 2, 3], 53), Value::Nil]);
    let out = call("net.resolveTCPAddr", vec![s("tcp"), s("[fe80::1%eth0]:7")]).await;
    assert_eq!(
        out[0],
        Value::Addr(SockAddr { ip: net::parse_ip("fe80::1").expect("ip").as_bytes().to_vec(), port: 7, zone: "eth0".into() })
    );
    let out = call("net.resolveTCPAddr", vec![s("tcp"), s("missing.test.example:80")]).await;
    assert_eq!(out[0], Value::Nil, "a nil *TCPAddr beside the error");
    assert!(error(&out[1]).is_not_found(), "{:?}", out[1]);

    let out = call("net.lookupHost", vec![s("chain.test.example")]).await;
    assert_eq!((strings(&out[0]), &out[1]), (vec!["10.9.8.7".to_string(), "fd00::7".to_string()], &Value::Nil));
    // lookupIP(host): both families, as Vo's []IP.
    let out = call("net.lookupIP", vec![s("dual.test.example")]).await;
    // A records are 4-byte IPs, as Go's resolver returns them.
    assert_eq!(out, vec![Value::List(vec![Value::Bytes(vec![10, 9, 8, 7]), Value::Bytes(fd00_7)]), Value::Nil]);
    let out = call("net.lookupAddr", vec![s("10.9.8.7")]).await;
    assert_eq!(strings(&out[0]), ["dual.test.example."]);
    let out = call("net.lookupHost", vec![s("nowhere.test.example")]).await;
    let e = error(&out[1]);
    assert!(e.is_not_found() && e.to_string().starts_with("lookup nowhere.test.example on "), "{e}");
    assert_eq!(counts(), base);
}

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

fn header(lines: &[String], key: &str) -> Option<String> {
    let prefix = format!("{key}: ");
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&prefix).map(str::to_string))
}

fn https(id: &Value, method: &str, url: &str, header: &[&str], body: &[u8], timeout_ns: i64) -> Vec<Value> {
    vec![
        id.clone(),
        s(method),
        s(url),
        Value::List(header.iter().map(|h| s(h)).collect()),
        Value::Bytes(body.to_vec()),
        Value::Int(timeout_ns),
    ]
}

async fn new_id() -> Value {
    let out = call("net/http.nativeNewClientRequest", vec![]).await;
    assert_eq!(out[1], Value::Nil);
    assert!(int(&out[0]) > 0);
    out[0].clone()
}

#[wasm_bindgen_test]
async fn http_lifecycle_as_vo_runs_it() {
    let base = setup();
    // Client.Do: an id, the request, the release.
    let id = new_id().await;
    let out = call("net/http.nativeHttpsRequest", https(&id, "POST", &http_url("/echo"), &["Content-Type: text/plain", "X-Trace:  7 "], b"from the VM", 0)).await;
    assert_eq!(out[5], Value::Nil, "{:?}", out[5]);
    assert_eq!((int(&out[0]), &out[1], &out[2]), (200, &s("200 OK"), &s("HTTP/1.1")));
    let echo = String::from_utf8(bytes(&out[4]).to_vec()).expect("utf8");
    assert!(echo.contains("\"method\":\"POST\"") && echo.contains("from the VM") && echo.contains("\"x-trace\":\"7\""), "{echo}");
    // An id performs once.
    let again = call("net/http.nativeHttpsRequest", https(&id, "GET", &http_url("/hello"), &[], &[], 0)).await;
    assert_eq!(error(&again[5]).to_string(), format!("net/http: request id {} was already performed", int(&id)));
    assert_eq!(call("net/http.nativeReleaseClientRequest", vec![id]).await, vec![]);

    // Release of an id that never reached fetch frees it.
    let unused = new_id().await;
    assert_eq!(http::extern_request_count(), base.2 + 1);
    call("net/http.nativeReleaseClientRequest", vec![unused.clone()]).await;
    assert_eq!(http::extern_request_count(), base.2);
    let out = call("net/http.nativeHttpsRequest", https(&unused, "GET", &http_url("/hello"), &[], &[], 0)).await;
    assert!(error(&out[5]).to_string().contains("unknown request id"), "{:?}", out[5]);

    // Cancel from a second goroutine while the first waits in the request.
    let id = new_id().await;
    let ext = externs::find("net/http.nativeHttpsRequest").expect("ext");
    let mut args = https(&id, "GET", &http_url("/slow-headers?ms=5000"), &[], &[], 0);
    let ExternResult::Pending(t) = ext.call(ExternCall::new(args_of(&mut args))) else {
        panic!("the request waits for headers");
    };
    sleep(50).await;
    assert_eq!(call("net/http.nativeCancelClientRequest", vec![id.clone()]).await, vec![]);
    externs::wait(t).await;
    let ExternResult::Done(out) = ext.call(ExternCall::replay(args_of(&mut args), t)) else {
        panic!("done after the cancel");
    };
    let e = error(&out[5]);
    assert_eq!(e.sentinel(), Some("context.Canceled"), "{e}");
    assert_eq!(e.to_string(), format!("Get \"{}\": context canceled", http_url("/slow-headers?ms=5000")));
    call("net/http.nativeReleaseClientRequest", vec![id]).await;
    // Cancelled before it starts: it fails at once, without a fetch.
    let id = new_id().await;
    call("net/http.nativeCancelClientRequest", vec![id.clone()]).await;
    let out = call("net/http.nativeHttpsRequest", https(&id, "GET", &http_url("/hello"), &[], &[], 0)).await;
    assert_eq!(error(&out[5]).sentinel(), Some("context.Canceled"));
    call("net/http.nativeReleaseClientRequest", vec![id]).await;

    // Client.Timeout: Vo's ErrRequestTimeout itself.
    let id = new_id().await;
    let out = call("net/http.nativeHttpsRequest", https(&id, "GET", &http_url("/slow-headers?ms=5000"), &[], &[], 100_000_000)).await;
    assert_eq!(out[5], Value::Error(Error::RequestTimeout));
    assert_eq!(out[0], Value::Int(0));
    call("net/http.nativeReleaseClientRequest", vec![id]).await;

    // Bad input is Go's error, never a panic.
    let id = new_id().await;
    let out = call("net/http.nativeHttpsRequest", https(&id, "GET", "http://[::1", &[], &[], 0)).await;
    assert_eq!(error(&out[5]).to_string(), "parse \"http://[::1\": missing ']' in host");
    call("net/http.nativeReleaseClientRequest", vec![id]).await;
    let id = new_id().await;
    let out = call("net/http.nativeHttpsRequest", https(&id, "GET", &http_url("/hello"), &["NoColon"], &[], 0)).await;
    assert_eq!(error(&out[5]).to_string(), "net/http: malformed header line \"NoColon\" (want \"Name: value\")");
    call("net/http.nativeReleaseClientRequest", vec![id]).await;
    assert_eq!(counts(), base, "handles left behind");
}

#[wasm_bindgen_test]
async fn http_bodies_stream_into_guest_buffers() {
    let base = setup();
    let id = new_id().await;
    let out = call("net/http.nativeHttpsRequestStream", https(&id, "GET", &http_url("/bytes?n=3145728&seed=5"), &[], &[], 0)).await;
    assert_eq!((int(&out[0]), int(&out[4]), &out[5]), (200, 3_145_728, &Value::Nil));
    let want = header(&strings(&out[3]), "X-Sha256").expect("x-sha256 header");
    let mut hash = Sha256::new();
    let (mut total, mut reads) = (0, 0);
    loop {
        let mut args = vec![id.clone(), Value::Bytes(vec![0; 1 << 20])];
        let out = call_with("net/http.blocking_responseBodyRead", &mut args).await;
        if let Value::Error(e) = &out[1] {
            assert_eq!(e, &Error::Eof, "{e}");
            break;
        }
        let n = int(&out[0]) as usize;
        hash.update(&bytes(&args[1])[..n]);
        total += n;
        reads += 1;
    }
    assert_eq!(total, 3_145_728);
    assert!(reads >= 3, "streamed in pieces ({reads} reads)");
    assert_eq!(hex(&hash.finalize()), want);
    assert_eq!(call("net/http.responseBodyClose", vec![id.clone()]).await, vec![Value::Nil]);
    call("net/http.nativeReleaseClientRequest", vec![id]).await;

    // Two goroutines reading one body at once: both settle.
    let id = new_id().await;
    call("net/http.nativeHttpsRequestStream", https(&id, "GET", &http_url("/slow-body?every=20&n=5"), &[], &[], 0)).await;
    let read = |id: Value| async move {
        let mut args = vec![id, Value::Bytes(vec![0; 4])];
        call_with("net/http.blocking_responseBodyRead", &mut args).await
    };
    let (a, b) = futures::join!(read(id.clone()), read(id.clone()));
    assert!(int(&a[0]) > 0 && int(&b[0]) > 0, "{a:?} {b:?}");
    call("net/http.nativeReleaseClientRequest", vec![id]).await;
    assert_eq!(counts(), base, "handles left behind");
}
