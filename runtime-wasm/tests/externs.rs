//! The net and net/http externs as a VM calls them, against the real peers
//! (WebSocket echo, DoH, HTTP). Runs in Chromium.
#![cfg(target_arch = "wasm32")]

use runtime_wasm::externs::{self, ExternCall, ExternResult, Registry, Value};
use runtime_wasm::net::{self, Error, Resolver};
use runtime_wasm::{http, net::set_default_resolver};
use sha2::{Digest, Sha256};
use wasm_bindgen_test::wasm_bindgen_test;

mod common;
use common::browser::*;

/// Calls an extern by name to completion (the async adapter).
async fn call(name: &str, args: Vec<Value>) -> Vec<Value> {
    let ext = externs::find(name).unwrap_or_else(|| panic!("no extern {name}"));
    externs::call(ext, args)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
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

#[wasm_bindgen_test]
fn register_externs_takes_what_the_module_declares() {
    let declared = [
        "fmt_Println",
        "net_dial",
        "net_http_requestPerform",
        "net_connRead",
        "net_frobnicate",
        "net_url_Parse",
        "net_http_requestCreate",
        "net_http_teleport",
    ];
    let mut reg = Registry::new();
    let e = net::register_externs(&mut reg, &declared).expect_err("net_frobnicate is unknown");
    assert_eq!(
        e.unknown,
        ["net_frobnicate"],
        "net_http_* and net_url_* are not net's"
    );
    assert!(e.to_string().starts_with("net: the module declares 1 extern(s) this version of runtime-wasm does not provide: net_frobnicate"));
    let e = http::register_externs(&mut reg, &declared).expect_err("net_http_teleport is unknown");
    assert_eq!(
        (e.package, e.unknown.as_slice()),
        ("net/http", ["net_http_teleport".to_string()].as_slice())
    );
    let names: Vec<(usize, &str)> = (0..declared.len())
        .filter_map(|i| reg.by_id(i).map(|e| (i, e.name)))
        .collect();
    assert_eq!(
        names,
        [
            (1, "net_dial"),
            (2, "net_http_requestPerform"),
            (3, "net_connRead"),
            (6, "net_http_requestCreate")
        ]
    );

    // Every extern is registered by its own package's call and no other.
    let all: Vec<&str> = externs::all().map(|e| e.name).collect();
    let mut only_net = Registry::new();
    let mut only_http = Registry::new();
    let n = net::register_externs(&mut only_net, &all).expect("all of net's are known");
    let h = http::register_externs(&mut only_http, &all).expect("all of http's are known");
    assert_eq!((n, h), (net::EXTERNS.len(), http::EXTERNS.len()));
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), all.len(), "extern names are unique");
}

#[wasm_bindgen_test]
fn the_readme_table_lists_exactly_the_externs() {
    let readme = include_str!("../../README.md");
    let mut listed: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("| "))
        .filter_map(|l| l.split('`').find(|cell| cell.starts_with("net_")))
        .map(|cell| cell.split('(').next().unwrap_or(cell))
        .collect();
    let mut have: Vec<&str> = externs::all().map(|e| e.name).collect();
    listed.sort();
    have.sort();
    assert_eq!(
        listed, have,
        "README's Externs table and the extern tables differ"
    );
}

#[wasm_bindgen_test]
async fn dial_echo_with_deadlines_and_close() {
    let base = setup();
    let out = call("net_dial", vec![s("ws"), s(&echo_url(""))]).await;
    assert_eq!(out[1], Value::Nil, "{:?}", out[1]);
    let c = Value::Int(int(&out[0]));
    let remote = call("net_connRemoteAddr", vec![c.clone()]).await;
    assert_eq!(remote, vec![s("ws"), s(&echo_url(""))]);

    // A read deadline in the past: i/o timeout, and the Conn is still usable.
    let out = call(
        "net_connSetReadDeadline",
        vec![c.clone(), Value::Int(unix_nanos_in(-1000))],
    )
    .await;
    assert_eq!(out, vec![Value::Nil]);
    let out = call("net_connRead", vec![c.clone(), Value::Int(64)]).await;
    let e = error(&out[1]);
    assert!(e.is_timeout(), "{e}");
    assert_eq!(e.sentinel(), Some("os.ErrDeadlineExceeded"));
    assert!(e.to_string().ends_with("i/o timeout"), "{e}");

    // Deadline cleared (0 = Go's zero Time): the echo comes back.
    call("net_connSetDeadline", vec![c.clone(), Value::Int(0)]).await;
    let out = call(
        "net_connWrite",
        vec![c.clone(), Value::Bytes(b"ping over an extern".to_vec())],
    )
    .await;
    assert_eq!(out, vec![Value::Int(19), Value::Nil]);
    let mut got = Vec::new();
    while got.len() < 19 {
        let out = call("net_connRead", vec![c.clone(), Value::Int(7)]).await;
        assert_eq!(out[1], Value::Nil);
        assert!(
            bytes(&out[0]).len() <= 7,
            "a read never returns more than asked"
        );
        got.extend_from_slice(bytes(&out[0]));
    }
    assert_eq!(got, b"ping over an extern");

    assert_eq!(
        call("net_connClose", vec![c.clone()]).await,
        vec![Value::Nil]
    );
    // After Close: Go's ErrClosed, for every operation and a second Close.
    for (name, args) in [
        ("net_connClose", vec![c.clone()]),
        ("net_connRead", vec![c.clone(), Value::Int(8)]),
        ("net_connWrite", vec![c.clone(), Value::Bytes(vec![1])]),
        ("net_connSetDeadline", vec![c.clone(), Value::Int(1)]),
    ] {
        let out = call(name, args).await;
        let e = error(out.last().expect("an error result"));
        assert_eq!(e.sentinel(), Some("net.ErrClosed"), "{name}: {e}");
    }
    assert_eq!(counts(), base, "handles left behind");
}

#[wasm_bindgen_test]
async fn the_pending_token_model_step_by_step() {
    let base = setup();
    let c = Value::Int(int(
        &call("net_dial", vec![s("ws"), s(&echo_url(""))]).await[0]
    ));
    let read = externs::find("net_connRead").expect("read");

    // Nothing to read yet: a token, not a blocked page.
    let ExternResult::Pending(t) = read.call(ExternCall::new(vec![c.clone(), Value::Int(100)]))
    else {
        panic!("read with no data must be pending");
    };
    assert_eq!(externs::is_ready(t), Some(false));
    assert!(matches!(read.call(ExternCall::resume(t)), ExternResult::Pending(t2) if t2 == t));

    call(
        "net_connWrite",
        vec![c.clone(), Value::Bytes(b"woken".to_vec())],
    )
    .await;
    externs::wait(t).await;
    assert_eq!(externs::is_ready(t), Some(true));
    match read.call(ExternCall::resume(t)) {
        ExternResult::Done(v) => assert_eq!(v, vec![Value::Bytes(b"woken".to_vec()), Value::Nil]),
        other => panic!("{other:?}"),
    }

    // A cancelled read loses nothing: the bytes go to the next read.
    let ExternResult::Pending(t) = read.call(ExternCall::new(vec![c.clone(), Value::Int(100)]))
    else {
        panic!("pending");
    };
    assert!(externs::cancel(t));
    call(
        "net_connWrite",
        vec![c.clone(), Value::Bytes(b"kept".to_vec())],
    )
    .await;
    assert_eq!(
        call("net_connRead", vec![c.clone(), Value::Int(100)]).await,
        vec![Value::Bytes(b"kept".to_vec()), Value::Nil]
    );
    match read.call(ExternCall::resume(t)) {
        ExternResult::Fail(e) => assert!(e.0.contains("cancelled"), "{e}"),
        other => panic!("{other:?}"),
    }
    call("net_connClose", vec![c]).await;
    assert_eq!(counts(), base);
}

#[wasm_bindgen_test]
async fn what_a_page_cannot_do_says_so() {
    let base = setup();
    let unsupported = "sockets are not available in browser WebAssembly; dial network \"ws\" or \"wss\" with a WebSocket URL instead";
    let cases: Vec<(&str, Vec<Value>, String)> = vec![
        ("net_listen", vec![s("tcp"), s(":8080")], format!("listen tcp :8080: tcp {unsupported}")),
        ("net_listenPacket", vec![s("udp"), s(":53")], format!("listen udp :53: udp {unsupported}")),
        ("net_listen", vec![s("ws"), s(":8080")], "listen ws :8080: a page cannot accept WebSocket connections in browser WebAssembly; run the server elsewhere and Dial it".into()),
        ("net_dial", vec![s("tcp"), s("example.com:80")], format!("dial tcp example.com:80: tcp {unsupported}")),
        ("net_dial", vec![s("unix"), s("/run/x.sock")], format!("dial unix /run/x.sock: unix {unsupported}")),
        ("net_dialTCP", vec![s("tcp4"), s(""), s("10.0.0.1:80")], format!("dial tcp4 10.0.0.1:80: tcp4 {unsupported}")),
        ("net_dialTCP", vec![s("udp"), s(""), s("10.0.0.1:80")], "dial udp: unknown network udp".into()),
        ("net_dialUDP", vec![s("udp"), s(""), s("10.0.0.1:53")], format!("dial udp 10.0.0.1:53: udp {unsupported}")),
        ("net_dialUnix", vec![s("unixgram"), s(""), s("/tmp/s")], format!("dial unixgram /tmp/s: unixgram {unsupported}")),
        ("net_listenTCP", vec![s("tcp"), s(":80")], format!("listen tcp :80: tcp {unsupported}")),
        ("net_listenUDP", vec![s("udp6"), s("[::]:53")], format!("listen udp6 [::]:53: udp6 {unsupported}")),
        ("net_listenUnix", vec![s("unix"), s("/tmp/s")], format!("listen unix /tmp/s: unix {unsupported}")),
        ("net_listenUnixgram", vec![s("unix"), s("/tmp/s")], "listen unix: unknown network unix".into()),
        ("net_listenerAccept", vec![Value::Int(1)], "accept: listening sockets are not available in browser WebAssembly, so no Listener or PacketConn handle is valid (net_listen always fails)".into()),
    ];
    for (name, args, want) in cases {
        let out = call(name, args).await;
        let e = error(out.last().expect("error result"));
        assert_eq!(e.to_string(), want, "{name}");
        assert_eq!(out[0], Value::Int(0), "{name}: no handle on failure");
    }
    let e = &call("net_listen", vec![s("tcp"), s(":8080")]).await[1];
    assert_eq!(error(e).sentinel(), Some("errors.ErrUnsupported"));
    for (name, args) in [
        ("net_listenerClose", vec![Value::Int(3)]),
        (
            "net_packetConnReadFrom",
            vec![Value::Int(3), Value::Int(10)],
        ),
        (
            "net_packetConnWriteTo",
            vec![
                Value::Int(3),
                Value::Bytes(vec![1]),
                s("udp"),
                s("1.2.3.4:5"),
            ],
        ),
        ("net_packetConnClose", vec![Value::Int(3)]),
    ] {
        let out = call(name, args).await;
        assert_eq!(
            error(out.last().expect("error")).sentinel(),
            Some("errors.ErrUnsupported"),
            "{name}"
        );
    }
    assert_eq!(
        call("net_sentinelError", vec![s("io.EOF")]).await,
        vec![Value::Error(Error::Eof), Value::Bool(true)]
    );
    assert_eq!(
        call("net_sentinelError", vec![s("io.Nope")]).await,
        vec![Value::Nil, Value::Bool(false)]
    );
    assert_eq!(counts(), base);
}

#[wasm_bindgen_test]
async fn misuse_is_an_error_never_a_panic() {
    let dial = externs::find("net_dial").expect("dial");
    let fail = |args: Vec<Value>| match dial.call(ExternCall::new(args)) {
        ExternResult::Fail(e) => e.0,
        other => panic!("{other:?}"),
    };
    assert_eq!(fail(vec![s("ws")]), "net_dial: want 2 argument(s), got 1 (signature: net_dial(network string, address string) (int, error))");
    assert_eq!(
        fail(vec![s("ws"), Value::Int(5)]),
        "net_dial: argument 2 (address) must be string, got int"
    );
    let write = externs::find("net_connWrite").expect("write");
    match write.call(ExternCall::new(vec![
        Value::Int(1),
        Value::List(vec![s("x")]),
    ])) {
        ExternResult::Fail(e) => assert_eq!(
            e.0,
            "net_connWrite: argument 2 (data) must be []byte, got list"
        ),
        other => panic!("{other:?}"),
    }
    // A resume token nobody issued.
    match dial.call(ExternCall::resume(987_654)) {
        ExternResult::Fail(e) => assert!(e.0.contains("no pending call with token 987654"), "{e}"),
        other => panic!("{other:?}"),
    }
    // Handles that were never issued are Go errors, not crashes.
    let out = call("net_connRead", vec![Value::Int(424_242), Value::Int(10)]).await;
    assert_eq!(
        error(&out[1]).to_string(),
        "read: use of closed network connection"
    );
    assert_eq!(
        call("net_connLocalAddr", vec![Value::Int(424_242)]).await,
        vec![s(""), s("")]
    );
}

#[wasm_bindgen_test]
async fn resolve_and_lookup_through_doh() {
    let base = setup();
    let out = call(
        "net_resolveTCPAddr",
        vec![s("tcp"), s("dual.test.example:https")],
    )
    .await;
    assert_eq!(
        out,
        vec![
            Value::Bytes(vec![10, 9, 8, 7]),
            Value::Int(443),
            s(""),
            Value::Nil
        ],
        "IPv4 preferred"
    );
    let out = call(
        "net_resolveTCPAddr",
        vec![s("tcp6"), s("dual.test.example:80")],
    )
    .await;
    let fd00_7 = net::parse_ip("fd00::7").expect("ip");
    assert_eq!(out[0], Value::Bytes(fd00_7.as_bytes().to_vec()));
    let out = call(
        "net_resolveUDPAddr",
        vec![s("udp"), s("a.test.example:domain")],
    )
    .await;
    assert_eq!(
        out,
        vec![
            Value::Bytes(vec![10, 1, 2, 3]),
            Value::Int(53),
            s(""),
            Value::Nil
        ]
    );
    let out = call(
        "net_resolveTCPAddr",
        vec![s("tcp"), s("missing.test.example:80")],
    )
    .await;
    assert!(error(&out[3]).is_not_found(), "{:?}", out[3]);
    let out = call("net_resolveUnixAddr", vec![s("unixgram"), s("/tmp/s")]).await;
    assert_eq!(out, vec![s("unixgram"), s("/tmp/s"), Value::Nil]);

    let out = call("net_lookupHost", vec![s("chain.test.example")]).await;
    assert_eq!(
        (strings(&out[0]), &out[1]),
        (
            vec!["10.9.8.7".to_string(), "fd00::7".to_string()],
            &Value::Nil
        )
    );
    let out = call("net_lookupIP", vec![s("ip4"), s("dual.test.example")]).await;
    assert_eq!(
        out,
        vec![
            Value::List(vec![Value::Bytes(vec![10, 9, 8, 7])]),
            Value::Nil
        ]
    );
    let out = call("net_lookupAddr", vec![s("10.9.8.7")]).await;
    assert_eq!(strings(&out[0]), ["dual.test.example."]);
    let out = call("net_lookupPort", vec![s("tcp"), s("https")]).await;
    assert_eq!(out, vec![Value::Int(443), Value::Nil]);
    let out = call("net_lookupHost", vec![s("nowhere.test.example")]).await;
    let e = error(&out[1]);
    assert!(
        e.is_not_found() && e.to_string().starts_with("lookup nowhere.test.example on "),
        "{e}"
    );
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

async fn create(method: &str, url: &str, header: &[&str], body: &[u8], timeout_ns: i64) -> Value {
    let out = call(
        "net_http_requestCreate",
        vec![
            s(method),
            s(url),
            Value::List(header.iter().map(|h| s(h)).collect()),
            Value::Bytes(body.to_vec()),
            Value::Int(timeout_ns),
        ],
    )
    .await;
    assert_eq!(out[1], Value::Nil, "{:?}", out[1]);
    out[0].clone()
}

#[wasm_bindgen_test]
async fn http_perform_whole_and_streamed() {
    let base = setup();
    // Whole: POST with headers and a body, echoed back as JSON.
    let req = create(
        "POST",
        &http_url("/echo"),
        &["Content-Type: text/plain", "X-Trace: 7"],
        b"from the VM",
        0,
    )
    .await;
    let out = call("net_http_requestPerform", vec![req.clone()]).await;
    assert_eq!(out[5], Value::Nil, "{:?}", out[5]);
    assert_eq!(
        (int(&out[0]), &out[1], &out[2]),
        (200, &s("200 OK"), &s("HTTP/1.1"))
    );
    let echo = String::from_utf8(bytes(&out[4]).to_vec()).expect("utf8");
    assert!(
        echo.contains("\"method\":\"POST\"")
            && echo.contains("from the VM")
            && echo.contains("\"x-trace\":\"7\""),
        "{echo}"
    );
    // Performing twice is a clear error.
    let again = call("net_http_requestPerform", vec![req.clone()]).await;
    assert_eq!(
        error(&again[5]).to_string(),
        format!("net/http: request {} was already performed", int(&req))
    );
    call("net_http_requestRelease", vec![req]).await;

    // Streamed: 3 MiB read in pieces and verified against the server's hash.
    let req = create("GET", &http_url("/bytes?n=3145728&seed=5"), &[], &[], 0).await;
    let out = call("net_http_requestPerformStream", vec![req.clone()]).await;
    assert_eq!(
        (int(&out[0]), int(&out[4]), &out[5]),
        (200, 3_145_728, &Value::Nil)
    );
    let want = header(&strings(&out[3]), "X-Sha256").expect("x-sha256 header");
    let mut hash = Sha256::new();
    let (mut total, mut reads) = (0, 0);
    loop {
        let out = call("net_http_bodyRead", vec![req.clone(), Value::Int(1 << 20)]).await;
        if let Value::Error(e) = &out[1] {
            assert_eq!(e.sentinel(), Some("io.EOF"), "{e}");
            break;
        }
        total += bytes(&out[0]).len();
        reads += 1;
        hash.update(bytes(&out[0]));
    }
    assert_eq!(total, 3_145_728);
    assert!(reads >= 3, "streamed in pieces ({reads} reads)");
    assert_eq!(hex(&hash.finalize()), want);
    assert_eq!(
        call("net_http_bodyClose", vec![req.clone()]).await,
        vec![Value::Nil]
    );
    call("net_http_requestRelease", vec![req]).await;

    // Vo's one-shot form releases by itself.
    let out = call(
        "net_http_nativeHttpsRequest",
        vec![
            s("GET"),
            s(&http_url("/hello")),
            Value::Nil,
            Value::Nil,
            Value::Int(0),
        ],
    )
    .await;
    assert_eq!(
        (int(&out[0]), bytes(&out[4]), &out[5]),
        (200, b"hello\n".as_slice(), &Value::Nil)
    );
    assert_eq!(counts(), base, "handles left behind");
}

#[wasm_bindgen_test]
async fn http_cancel_timeout_and_bad_input() {
    let base = setup();
    // Cancel while the body streams: Go's context canceled.
    let req = create("GET", &http_url("/slow-body?every=50&n=100"), &[], &[], 0).await;
    let out = call("net_http_requestPerformStream", vec![req.clone()]).await;
    assert_eq!(out[5], Value::Nil);
    call("net_http_requestCancel", vec![req.clone()]).await;
    let out = call("net_http_bodyRead", vec![req.clone(), Value::Int(1024)]).await;
    let e = error(&out[1]);
    assert_eq!(e.sentinel(), Some("context.Canceled"), "{e}");
    call("net_http_requestRelease", vec![req]).await;

    // Client.Timeout while awaiting headers.
    let req = create(
        "GET",
        &http_url("/slow-headers?ms=5000"),
        &[],
        &[],
        100_000_000,
    )
    .await;
    let out = call("net_http_requestPerform", vec![req.clone()]).await;
    let e = error(&out[5]);
    assert!(
        e.is_timeout()
            && e.to_string()
                .contains("Client.Timeout exceeded while awaiting headers"),
        "{e}"
    );
    call("net_http_requestRelease", vec![req]).await;

    // Bad input fails at create with Go's errors.
    let out = call(
        "net_http_requestCreate",
        vec![
            s("GET"),
            s("http://[::1"),
            Value::Nil,
            Value::Nil,
            Value::Int(0),
        ],
    )
    .await;
    assert_eq!(
        error(&out[1]).to_string(),
        "parse \"http://[::1\": missing ']' in host"
    );
    let out = call(
        "net_http_requestCreate",
        vec![
            s("GET"),
            s(&http_url("/hello")),
            Value::strings(["NoColon".to_string()]),
            Value::Nil,
            Value::Int(0),
        ],
    )
    .await;
    assert_eq!(
        error(&out[1]).to_string(),
        "net/http: malformed header line \"NoColon\" (want \"Key: Value\")"
    );
    let out = call(
        "net_http_bodyRead",
        vec![Value::Int(99_999), Value::Int(10)],
    )
    .await;
    assert_eq!(
        error(&out[1]).to_string(),
        "net/http: no request with handle 99999 (released, or never created)"
    );
    assert_eq!(counts(), base, "handles left behind");
}
