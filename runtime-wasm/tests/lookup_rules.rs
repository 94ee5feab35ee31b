//! Go's lookup rules that need no server: ports and services, IP literals,
//! localhost, empty and malformed names, networks. Natively and in Chromium
//! (where no DoH query may be sent for any of these: the tests check the
//! query counter).

use std::future::Future;
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use runtime_wasm::net::*;

#[macro_use]
mod common;

/// Runs a lookup that must finish without waiting for anything.
fn now<T>(f: impl Future<Output = T>) -> T {
    match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("this lookup waited: it must be answered locally"),
    }
}

fn err<T: std::fmt::Debug>(r: Result<T, Error>) -> Error {
    r.expect_err("expected an error")
}

/// Bindings installed, and the DoH query count, so the browser run can show
/// that none of these lookups reached the network.
fn queries() -> u64 {
    #[cfg(target_arch = "wasm32")]
    {
        common::browser::set_ws_options("{}");
        dns_stats().expect("stats").queries
    }
    #[cfg(not(target_arch = "wasm32"))]
    0
}

both! {
    fn lookup_port_matches_go() {
        // Go's lookupPortTests and TestLookupPort_Minimal.
        let ok: &[(&str, &str, u16)] = &[
            ("tcp", "0", 0), ("udp", "0", 0), ("udp", "domain", 53),
            ("tcp", "", 0), ("tcp4", "", 0), ("tcp6", "", 0), ("udp", "", 0), ("udp4", "", 0), ("udp6", "", 0),
            ("tcp", "http", 80), ("tcp", "HTTP", 80), ("tcp", "https", 443), ("tcp", "ssh", 22),
            ("tcp", "gopher", 70), ("tcp4", "http", 80), ("tcp6", "http", 80),
            ("tcp", "65535", 65535), ("ip", "https", 443), ("", "domain", 53), ("foo", "8080", 8080),
        ];
        for (net, service, port) in ok {
            assert_eq!(now(lookup_port(net, service)), Ok(*port), "{net} {service}");
        }
        let bad: &[(&str, &str, &str)] = &[
            ("--badnet--", "zzz", "address --badnet--: unknown network"),
            ("tcp", "--badport--", "lookup tcp/--badport--: unknown port"),
            ("tcp", "-1", "address -1: invalid port"),
            ("tcp", "65536", "address 65536: invalid port"),
            ("udp", "-1", "address -1: invalid port"),
            ("udp", "65536", "address 65536: invalid port"),
            ("tcp", "123456789", "address 123456789: invalid port"),
            ("udp", "https", "lookup udp/https: unknown port"),
            ("ip", "nope", "lookup ip/nope: unknown port"),
            ("tcp", "mobility-header-and-then-some", "lookup tcp/mobility-header-and-then-some: unknown port"),
        ];
        for (net, service, msg) in bad {
            assert_eq!(err(now(lookup_port(net, service))).to_string(), *msg, "{net} {service}");
        }
        assert!(err(now(lookup_port("tcp", "nope"))).is_not_found());
    }

    fn ip_literals_come_back_without_a_query() {
        let before = queries();
        for lit in ["1.2.3.4", "::1", "::FFFF:1.2.3.4", "fe80::1%eth0", "2001:DB8::1"] {
            assert_eq!(now(lookup_host(lit)), Ok(vec![lit.to_string()]), "LookupHost returns {lit} as given");
        }
        assert_eq!(now(lookup_ip("ip", "1.2.3.4")), Ok(vec![ipv4(1, 2, 3, 4).to4().unwrap()]));
        assert_eq!(now(lookup_ip("ip", "1.2.3.4")).unwrap()[0].len(), 4, "an IPv4 literal is 4 bytes, as Go's");
        assert_eq!(now(lookup_ip("ip6", "fe80::1%eth0")).unwrap()[0].to_string(), "fe80::1");
        assert_eq!(now(lookup_ip("ip4", "::ffff:1.2.3.4")).unwrap()[0].to_string(), "1.2.3.4");
        let e = err(now(lookup_ip("ip4", "::1")));
        assert_eq!(e.to_string(), "address ::1: no suitable address found");
        assert_eq!(err(now(lookup_ip("ip6", "10.0.0.1"))).to_string(), "address 10.0.0.1: no suitable address found");
        assert_eq!(queries(), before);
    }

    fn localhost_resolves_locally() {
        let before = queries();
        for name in ["localhost", "LOCALHOST.", "app.localhost", "a.b.Localhost"] {
            assert_eq!(now(lookup_host(name)), Ok(vec!["127.0.0.1".to_string(), "::1".to_string()]), "{name}");
        }
        let v4 = now(lookup_ip("ip4", "localhost")).unwrap();
        assert_eq!((v4.len(), v4[0].to_string(), v4[0].len()), (1, "127.0.0.1".to_string(), 4));
        assert_eq!(now(lookup_ip("ip6", "localhost")).unwrap(), vec![IP::ipv6_loopback()]);
        assert_eq!(now(lookup_addr("127.0.0.1")), Ok(vec!["localhost".to_string()]));
        assert_eq!(now(lookup_addr("::1")), Ok(vec!["localhost".to_string()]));
        assert_eq!(queries(), before);
    }

    fn bad_names_and_networks_fail_like_go() {
        let before = queries();
        let e = err(now(lookup_host("")));
        assert_eq!(e.to_string(), "lookup : no such host");
        assert!(e.is_not_found());
        assert_eq!(err(now(lookup_ip("ip", ""))).to_string(), "lookup : no such host");
        for bad in ["a..b", "-a.example", "a_b c", "x.example-", &format!("{}.com", "a".repeat(64))] {
            let e = err(now(lookup_host(bad)));
            assert_eq!(e.to_string(), format!("lookup {bad}: no such host"));
            assert!(e.is_not_found() && !e.is_temporary(), "{bad}");
        }
        assert_eq!(err(now(lookup_ip("tcp", "example.com"))).to_string(), "unknown network tcp");
        assert_eq!(err(now(lookup_ip("", "example.com"))).to_string(), "unknown network ");
        assert_eq!(err(now(lookup_addr("1.2.3"))).to_string(), "lookup 1.2.3: unrecognized address");
        assert_eq!(err(now(lookup_addr("example.com"))).to_string(), "lookup example.com: unrecognized address");
        assert_eq!(queries(), before);
    }
}

both! {
    fn listen_says_a_page_cannot_accept_connections() {
        let e = listen("tcp", ":8080").unwrap_err();
        assert_eq!(
            e.to_string(),
            "listen tcp :8080: a page cannot accept connections in browser WebAssembly; Dial the server instead (tcp goes through the host's relay)"
        );
        assert!(matches!(e.root(), Error::Unsupported { .. }));
        assert!(listen_packet("udp", ":53").unwrap_err().to_string().starts_with("listen udp :53: udp sockets are not available"));
        assert!(listen("unix", "/tmp/s").unwrap_err().to_string().starts_with("listen unix /tmp/s: unix sockets"));
        assert!(listen("wss", ":443").unwrap_err().to_string().starts_with("listen wss :443: a page cannot accept WebSocket"));
        assert_eq!(listen("foo", ":1").unwrap_err().to_string(), "listen foo: unknown network foo");
        assert!(listen_packet("ip4:icmp", "0.0.0.0").unwrap_err().to_string().contains("raw IP sockets are not available"));
    }
}

/// Outside the browser a name that needs a query says why it cannot be
/// looked up, instead of failing as if it did not exist.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn native_build_says_doh_needs_the_browser() {
    let e = err(now(lookup_host("example.com")));
    assert!(matches!(e, Error::Unsupported { .. }), "{e:?}");
    assert!(e.to_string().contains("browser"), "{e}");
    assert!(!e.is_not_found());
    assert!(matches!(
        err(now(
            Resolver::with_servers(["https://x/"]).lookup_addr("1.2.3.4")
        )),
        Error::Unsupported { .. }
    ));
}
