//! Go's ResolveTCPAddr / ResolveUDPAddr / ResolveUnixAddr on literals, the
//! service table and empty hosts (Go's resolveTCPAddrTests and
//! resolveUDPAddrTests). Natively and in Chromium; none of these may query.

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use runtime_wasm::net::*;

#[macro_use]
mod common;

fn now<T>(f: impl Future<Output = T>) -> T {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("this resolve waited: it must be answered locally"),
    }
}

fn ip(s: &str) -> IP {
    parse_ip(s).expect(s)
}

type Want = Result<(Option<&'static str>, u16, &'static str), &'static str>;

fn check(resolved: Result<IPEndpoint, Error>, want: &Want, what: &str) {
    match (resolved, want) {
        (Ok(a), Ok((wip, port, zone))) => {
            match (&a.ip, wip) {
                (None, None) => {}
                (Some(got), Some(w)) => assert!(got.equal(&ip(w)), "{what}: ip {got} want {w}"),
                (got, w) => panic!("{what}: ip {got:?} want {w:?}"),
            }
            assert_eq!((a.port, a.zone.as_str()), (*port, *zone), "{what}");
        }
        (Err(e), Err(msg)) => assert_eq!(e.to_string(), *msg, "{what}"),
        (got, want) => panic!("{what}: got {got:?}, want {want:?}"),
    }
}

both! {
    fn resolve_tcp_addr_matches_go() {
        let cases: &[(&str, &str, Want)] = &[
            ("tcp", "127.0.0.1:0", Ok((Some("127.0.0.1"), 0, ""))),
            ("tcp4", "127.0.0.1:65535", Ok((Some("127.0.0.1"), 65535, ""))),
            ("tcp", "[::1]:0", Ok((Some("::1"), 0, ""))),
            ("tcp6", "[::1]:65535", Ok((Some("::1"), 65535, ""))),
            ("tcp", "[::1%en0]:1", Ok((Some("::1"), 1, "en0"))),
            ("tcp6", "[::1%911]:2", Ok((Some("::1"), 2, "911"))),
            ("", "127.0.0.1:0", Ok((Some("127.0.0.1"), 0, ""))),
            ("", "[::1]:0", Ok((Some("::1"), 0, ""))),
            ("tcp", ":12345", Ok((None, 12345, ""))),
            ("http", "127.0.0.1:0", Err("unknown network http")),
            ("tcp", "127.0.0.1:http", Ok((Some("127.0.0.1"), 80, ""))),
            ("tcp", "[::ffff:127.0.0.1]:http", Ok((Some("::ffff:127.0.0.1"), 80, ""))),
            ("tcp", "[2001:db8::1]:http", Ok((Some("2001:db8::1"), 80, ""))),
            ("tcp4", "127.0.0.1:http", Ok((Some("127.0.0.1"), 80, ""))),
            ("tcp4", "[::ffff:127.0.0.1]:http", Ok((Some("127.0.0.1"), 80, ""))),
            ("tcp6", "[2001:db8::1]:http", Ok((Some("2001:db8::1"), 80, ""))),
            ("tcp4", "[2001:db8::1]:http", Err("address 2001:db8::1: no suitable address found")),
            ("tcp6", "127.0.0.1:http", Err("address 127.0.0.1: no suitable address found")),
            ("tcp6", "[::ffff:127.0.0.1]:http", Err("address ::ffff:127.0.0.1: no suitable address found")),
            // Beyond Go's table: the address and port errors come through.
            ("tcp", "127.0.0.1", Err("address 127.0.0.1: missing port in address")),
            ("tcp", "127.0.0.1:nosuchservice", Err("lookup tcp/nosuchservice: unknown port")),
            ("tcp", "127.0.0.1:65536", Err("address 65536: invalid port")),
            ("tcp", "", Ok((None, 0, ""))),
            // "::" alone also gives 0.0.0.0, and IPv4 is preferred.
            ("tcp", ":::80", Err("address :::80: too many colons in address")),
            ("tcp4", "[::]:80", Ok((Some("0.0.0.0"), 80, ""))),
            ("tcp", "[::]:80", Ok((Some("::"), 80, ""))),
            ("tcp", "localhost:https", Ok((Some("127.0.0.1"), 443, ""))),
            ("tcp6", "localhost:https", Ok((Some("::1"), 443, ""))),
        ];
        for (net, addr, want) in cases {
            check(now(resolve_tcp_addr(net, addr)), want, &format!("ResolveTCPAddr({net:?}, {addr:?})"));
        }
    }

    fn resolve_udp_addr_matches_go() {
        let cases: &[(&str, &str, Want)] = &[
            ("udp", "127.0.0.1:0", Ok((Some("127.0.0.1"), 0, ""))),
            ("udp4", "127.0.0.1:65535", Ok((Some("127.0.0.1"), 65535, ""))),
            ("udp", "[::1%en0]:1", Ok((Some("::1"), 1, "en0"))),
            ("", "127.0.0.1:0", Ok((Some("127.0.0.1"), 0, ""))),
            ("udp", ":12345", Ok((None, 12345, ""))),
            ("sip", "127.0.0.1:0", Err("unknown network sip")),
            ("tcp", "127.0.0.1:0", Err("unknown network tcp")),
            ("udp", "127.0.0.1:domain", Ok((Some("127.0.0.1"), 53, ""))),
            ("udp", "127.0.0.1:http", Err("lookup udp/http: unknown port")),
            ("udp6", "127.0.0.1:0", Err("address 127.0.0.1: no suitable address found")),
        ];
        for (net, addr, want) in cases {
            check(now(resolve_udp_addr(net, addr)), want, &format!("ResolveUDPAddr({net:?}, {addr:?})"));
        }
    }

    fn endpoint_strings_match_go() {
        let cases = [
            ("tcp", "[::1%en0]:1", "[::1%en0]:1"),
            ("tcp", ":80", ":80"),
            ("tcp4", "127.0.0.1:http", "127.0.0.1:80"),
            ("tcp", "[2001:db8::1]:443", "[2001:db8::1]:443"),
        ];
        for (net, addr, want) in cases {
            let a = now(resolve_tcp_addr(net, addr)).expect(addr);
            assert_eq!(a.to_string(), want);
        }
    }

    fn resolve_unix_addr_checks_the_network_only() {
        for net in ["unix", "unixgram", "unixpacket"] {
            let a = resolve_unix_addr(net, "/tmp/sock").expect(net);
            assert_eq!((a.net.as_str(), a.name.as_str(), a.to_string()), (net, "/tmp/sock", "/tmp/sock".to_string()));
        }
        assert_eq!(resolve_unix_addr("tcp", "/tmp/sock").map_err(|e| e.to_string()), Err("unknown network tcp".into()));
    }
}
