//! The error model: Go's `Error()` strings, the predicates, and the serde
//! form (the shape that crosses to JS) round-tripping unchanged for every
//! code. Runs natively and in Chromium.

use runtime_wasm::net::*;

#[macro_use]
mod common;

fn dns(err: &str, name: &str, server: &str) -> DNSError {
    DNSError {
        err: err.into(),
        name: name.into(),
        server: server.into(),
        ..Default::default()
    }
}

/// One error of every kind, with the Go string each must print.
fn samples() -> Vec<(Error, &'static str)> {
    vec![
        (
            Error::op("dial", "wss", Some("wss://h/p"), Error::other("connection refused")),
            "dial wss wss://h/p: connection refused",
        ),
        (
            Error::Op(OpError {
                op: "read".into(),
                net: "ws".into(),
                source: Some("ws://local".into()),
                addr: Some("ws://h/".into()),
                err: Box::new(Error::Timeout),
            }),
            "read ws ws://local->ws://h/: i/o timeout",
        ),
        (Error::op("close", "", None, Error::Closed), "close: use of closed network connection"),
        (
            Error::Dns(DNSError { is_not_found: true, ..dns("no such host", "nx.example", "https://dns/") }),
            "lookup nx.example on https://dns/: no such host",
        ),
        (Error::Dns(dns("server misbehaving", "a.example", "")), "lookup a.example: server misbehaving"),
        (Error::Addr(AddrError { err: "missing port in address".into(), addr: "h".into() }), "address h: missing port in address"),
        (Error::Addr(AddrError { err: "no suitable address".into(), addr: "".into() }), "no suitable address"),
        (Error::Parse(ParseError { r#type: "CIDR address".into(), text: "1/2".into() }), "invalid CIDR address: 1/2"),
        (Error::UnknownNetwork { net: "foo".into() }, "unknown network foo"),
        (Error::Closed, "use of closed network connection"),
        (Error::Timeout, "i/o timeout"),
        (Error::Canceled, "operation was canceled"),
        (
            Error::unsupported("listen tcp is not supported in browser WebAssembly"),
            "listen tcp is not supported in browser WebAssembly",
        ),
        (Error::Eof, "EOF"),
        (Error::Refused, "connection refused"),
        (Error::Reset, "connection reset by peer"),
        (Error::AddrInUse, "address already in use"),
        (Error::AddrNotAvailable, "address not available"),
        (
            Error::Denied { message: "permission denied by network policy (host h not allowed)".into() },
            "permission denied by network policy (host h not allowed)",
        ),
        (Error::RequestTimeout, "request timeout"),
        (Error::other("websocket closed abnormally (code 1006)"), "websocket closed abnormally (code 1006)"),
        (
            Error::Url(UrlError {
                op: "Get".into(),
                url: "http://h/x".into(),
                err: Box::new(Error::Deadline {
                    message: "context deadline exceeded (Client.Timeout exceeded while awaiting headers)".into(),
                }),
            }),
            "Get \"http://h/x\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
        ),
        (Error::Deadline { message: "context deadline exceeded".into() }, "context deadline exceeded"),
        (Error::ContextCanceled, "context canceled"),
    ]
}

both! {
    fn go_error_strings() {
        for (e, want) in samples() {
            assert_eq!(e.to_string(), want);
        }
    }

    fn every_code_is_covered_and_is_the_serde_tag() {
        let mut seen = Vec::new();
        for (e, _) in samples() {
            let v = serde_json::to_value(&e).unwrap();
            assert_eq!(v["code"], e.code(), "{v}");
            assert!(Error::CODES.contains(&e.code()));
            seen.push(e.code());
        }
        for code in Error::CODES {
            assert!(seen.contains(&code), "no sample for code {code}");
        }
    }

    fn serde_form_round_trips() {
        for (e, _) in samples() {
            let json = serde_json::to_string(&e).unwrap();
            let back: Error = serde_json::from_str(&json).unwrap();
            assert_eq!(back, e, "{json}");
        }
        // The minimal objects JS builds are accepted: optional fields default.
        let e: Error = serde_json::from_str(r#"{"code":"op","op":"dial","err":{"code":"timeout"}}"#).unwrap();
        assert_eq!(e.to_string(), "dial: i/o timeout");
        assert!(e.is_timeout());
        assert!(serde_json::from_str::<Error>(r#"{"code":"nope"}"#).is_err());
    }

    fn vo_sentinels_are_the_bare_values_in_vos_order() {
        let texts: Vec<String> = NET_SENTINELS.iter().map(|e| e.to_string()).collect();
        assert_eq!(texts, ["use of closed network connection", "i/o timeout", "connection refused", "connection reset by peer", "address already in use", "address not available"]);
        for (i, e) in NET_SENTINELS.iter().enumerate() {
            assert_eq!(e.vo_sentinel(), Some(("net", i)));
            assert_eq!(Error::from_sentinel(e.sentinel().expect("named")).as_ref(), Some(e));
        }
        assert_eq!(Error::RequestTimeout.vo_sentinel(), Some(("http", 0)));
        assert!(Error::RequestTimeout.is_timeout());
        // Only the bare value is the sentinel itself; a wrapper merely matches it.
        let wrapped = Error::op("read", "ws", None, Error::Timeout);
        assert_eq!(wrapped.vo_sentinel(), None);
        assert_eq!(wrapped.sentinel(), Some("os.ErrDeadlineExceeded"));
        assert_eq!(Error::Eof.vo_sentinel(), Some(("io", 0)));
    }

    fn predicates() {
        assert!(Error::Timeout.is_timeout());
        assert!(Error::op("read", "ws", None, Error::Timeout).is_timeout());
        assert!(!Error::Closed.is_timeout());
        assert!(!Error::op("read", "ws", None, Error::Eof).is_timeout());
        let nx = Error::Dns(DNSError { is_not_found: true, ..dns("no such host", "x", "") });
        assert!(nx.is_not_found() && !nx.is_timeout() && !nx.is_temporary());
        let slow = Error::Dns(DNSError { is_timeout: true, ..dns("i/o timeout", "x", "") });
        assert!(slow.is_timeout() && slow.is_temporary());
        let servfail = Error::Dns(DNSError { is_temporary: true, ..dns("server misbehaving", "x", "") });
        assert!(servfail.is_temporary() && !servfail.is_timeout());
        assert_eq!(Error::op("read", "ws", None, Error::Eof).root(), &Error::Eof);
        let url = |err| Error::Url(UrlError { op: "Get".into(), url: "u".into(), err: Box::new(err) });
        assert!(url(Error::Deadline { message: "context deadline exceeded".into() }).is_timeout());
        assert!(!url(Error::ContextCanceled).is_timeout());
        assert_eq!(url(Error::ContextCanceled).root(), &Error::ContextCanceled);
    }

    fn io_error_keeps_the_net_error() {
        let io: std::io::Error = Error::op("read", "ws", None, Error::Timeout).into();
        assert_eq!(io.kind(), std::io::ErrorKind::TimedOut);
        let inner = io.get_ref().and_then(|e| e.downcast_ref::<Error>()).unwrap();
        assert!(inner.is_timeout());
        assert_eq!(io.to_string(), "read ws: i/o timeout");
    }
}
