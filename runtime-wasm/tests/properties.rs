//! Property tests (native): every parser takes arbitrary input without
//! panicking, and printing then parsing a valid IP gives it back.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use runtime_wasm::net::*;

/// Strings near the grammar: digits, hex, separators, brackets, zones.
fn addrish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec![
            "0", "1", "9", "00", "255", "256", "ff", "FFFF", "12345", ":", "::", ".", "%", "eth0",
            "[", "]", "/", "-", "24", "128", "ffff:", "1.2.3.4", " ", "é",
        ]),
        0..12,
    )
    .prop_map(|parts| parts.concat())
}

fn any_ip() -> impl Strategy<Value = IP> {
    prop_oneof![
        any::<[u8; 4]>().prop_map(|b| ipv4(b[0], b[1], b[2], b[3])),
        any::<[u8; 16]>().prop_map(IP::from),
        // Sparse IPv6 (many zero groups) exercises "::" placement.
        prop::collection::vec(prop_oneof![3 => Just(0u16), 1 => any::<u16>()], 8)
            .prop_map(|g| IP(g.iter().flat_map(|x| x.to_be_bytes()).collect())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn parsers_never_panic(s in prop_oneof![addrish(), any::<String>()]) {
        let _ = parse_ip(&s);
        let _ = parse_cidr(&s);
        let _ = split_host_port(&s);
        let _ = join_host_port(&s, &s);
        if let Ok((ip, net)) = parse_cidr(&s) {
            // Go's answer: an IPv4-mapped address is compared as IPv4, so only
            // a network that is IPv4-mapped too (mask of 96 bits or more)
            // contains it (go_vectors.rs parse_cidr_contains_table).
            let go = ip.to4().is_none() || net.ip.to4().is_some();
            prop_assert_eq!(net.contains(&ip), go, "{}: {} contains {}", s, net, ip);
            let _ = net.to_string();
        }
    }

    #[test]
    fn ip_string_round_trips(ip in any_ip()) {
        let text = ip.to_string();
        let back = parse_ip(&text);
        prop_assert_eq!(back.as_ref(), Some(&ip), "{}", text);
        prop_assert!(!text.contains(":::"));
    }

    #[test]
    fn parsed_ips_round_trip(s in addrish()) {
        if let Some(ip) = parse_ip(&s) {
            prop_assert_eq!(parse_ip(&ip.to_string()), Some(ip));
        }
    }

    #[test]
    fn cidr_mask_size_agrees(ones in -2i32..130, v6 in any::<bool>()) {
        let bits = if v6 { 128 } else { 32 };
        match cidr_mask(ones, bits) {
            Some(m) => prop_assert_eq!(m.size(), (ones as usize, bits as usize)),
            None => prop_assert!(ones < 0 || ones > bits),
        }
    }

    #[test]
    fn host_port_round_trips(host in "[a-z0-9.:%]{0,12}", port in "[a-z0-9%]{0,5}") {
        // Without '[' or ']' in the host and ':' in the port, Go's
        // SplitHostPort(JoinHostPort(h, p)) always gives back (h, p).
        let joined = join_host_port(&host, &port);
        prop_assert_eq!(split_host_port(&joined).ok(), Some((host, port)), "{}", joined);
    }
}

/// URL-shaped strings with escapes next to multi-byte characters (the class
/// of input that once sliced inside a character and panicked).
fn urlish() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            prop::sample::select(vec![
                "http://", "https://", "h", "[::1", "]", ":", "80", "/", "?", "#", "%", "%4", "%41", "%%", "@", "é", "€", "😀", "\u{0}", " ",
            ])
            .prop_map(str::to_string),
            any::<char>().prop_map(String::from),
        ],
        0..10,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #[test]
    fn url_parse_never_panics_on_unicode(s in urlish()) {
        let _ = runtime_wasm::http::url::parse(&s);
        let _ = runtime_wasm::http::new_request("GET", &s, ());
    }

    #[test]
    fn url_parse_never_panics_on_any_string(s in any::<String>()) {
        let _ = runtime_wasm::http::url::parse(&s);
    }
}

#[test]
fn a_percent_before_a_multibyte_character_is_an_error_not_a_panic() {
    let e = runtime_wasm::http::url::parse("http://h/%é").expect_err("invalid escape");
    assert_eq!(e.to_string(), r#"parse "http://h/%é": invalid URL escape "%é""#);
    let e = runtime_wasm::http::url::parse("http://h/%4€").expect_err("invalid escape");
    assert!(e.to_string().ends_with(r#"invalid URL escape "%4\xe2""#), "{e}");
}

proptest! {
    #[test]
    fn extern_names_never_panic_and_canonical_names_round_trip(
        s in any::<String>(),
        package in "[a-z/é😀]{1,12}",
        function in "[A-Za-z_0-9€]{1,20}",
    ) {
        use runtime_wasm::externs::{canonical_name, ExternName};
        let _ = ExternName::parse(&s);
        let _ = ExternName::parse(&format!("vo1:{s}"));
        let name = canonical_name(&package, &function);
        let n = ExternName::parse(&name).expect("canonical");
        prop_assert_eq!((n.package.as_ref(), n.function.as_ref()), (package.as_str(), function.as_str()));
    }

    #[test]
    fn dial_addresses_never_panic(network in prop_oneof![Just("ws".to_string()), Just("wss".to_string()), any::<String>()], address in any::<String>()) {
        let _ = dial_url(&network, &address);
        let _ = resolve_unix_addr(&network, &address);
    }
}

/// Found by `net_parsers_never_panic_on_unicode`: ten digits overflowed
/// `n * 10` in Go's parsePort (a panic natively, a trap in the browser).
#[test]
fn a_ten_digit_port_is_an_error_not_an_overflow() {
    for s in ["9012345255", "4294967295", "99999999999999999999", "-9012345255"] {
        let e = now(lookup_port("tcp", s)).expect_err(s);
        assert!(e.to_string().contains("invalid port") || e.to_string().contains("unknown port"), "{s}: {e}");
    }
}

/// Runs a future that needs no browser to its end (natively every lookup
/// finishes on its first poll: the rules run, the network stub answers).
fn now<T>(f: impl std::future::Future<Output = T>) -> T {
    let mut f = std::pin::pin!(f);
    match f.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop())) {
        std::task::Poll::Ready(v) => v,
        std::task::Poll::Pending => panic!("a native lookup waited"),
    }
}

/// Unicode of every plane and the grammar's own characters, mixed.
fn unicode() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        addrish(),
        prop::collection::vec(
            prop_oneof![
                any::<char>(),
                prop::sample::select(vec!['%', ':', '/', '[', ']', '.', '@', '?', '#', 'é', '€', '😀', '\u{0}', '\u{202e}']),
            ],
            0..24
        )
        .prop_map(|v| v.into_iter().collect()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    /// Every public parser of `net` that a guest's string can reach (the
    /// externs' string arguments go through exactly these).
    #[test]
    fn net_parsers_never_panic_on_unicode(a in unicode(), b in unicode()) {
        let _ = parse_ip(&a);
        let _ = parse_cidr(&a);
        let _ = split_host_port(&a);
        let _ = join_host_port(&a, &b);
        let _ = dial_url(&a, &b);
        let _ = dial_target(&a, &b);
        for net in ["tcp", "tcp4", "tcp6"] {
            let _ = dial_target(net, &a);
        }
        let _ = resolve_unix_addr(&a, &b);
        let _ = now(resolve_tcp_addr(&a, &b));
        let _ = now(resolve_udp_addr(&a, &b));
        let _ = now(lookup_port(&a, &b));
        let _ = now(lookup_host(&a));
        let _ = now(lookup_ip(&a, &b));
        let _ = now(lookup_addr(&a));
        let _ = listen(&a, &b).map(|_| ());
        let _ = listen_packet(&a, &b).map(|_| ());
    }

    /// Every public parser of `http` (the request externs' method, URL and
    /// header lines go through exactly these).
    #[test]
    fn http_parsers_never_panic_on_unicode(a in unicode(), b in unicode(), lines in prop::collection::vec(unicode(), 0..4), code in any::<u16>()) {
        use runtime_wasm::http::{canonical_header_key, new_request, parse_header_lines, status_text, url, Body, Header};
        let _ = canonical_header_key(&a);
        let mut h = Header::new();
        let _ = parse_header_lines(&mut h, &lines);
        let _ = parse_header_lines(&mut h, &[format!("js.fetch:{a}"), format!("{a}:{b}")]);
        let _ = h.pairs().count();
        let _ = url::query_escape(&a);
        if let Ok(u) = url::parse(&a) {
            let _ = (u.hostname(), u.port(), u.to_string());
        }
        let _ = new_request(&a, &b, Body::Empty);
        let _ = new_request("GET", &format!("http://{a}/{b}"), Body::Empty);
        let _ = status_text(code);
    }
}

/// What a relay may be asked to reach (issue: a bracketed "host" whose URL
/// reading ended at "/" passed the policy as one host and reached another).
fn relay_host_ok(h: &str) -> bool {
    let name_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    parse_ip(h).is_some() || (h.is_ascii() && h != "." && is_domain_name_like(h)) || (!h.is_ascii() && h.chars().all(|c| !c.is_ascii() || name_char(c)))
}

/// Go's isDomainName, restated for the test (net/dnsclient.go).
fn is_domain_name_like(s: &str) -> bool {
    let l = s.len();
    if l == 0 || l > 254 || (l == 254 && !s.ends_with('.')) {
        return false;
    }
    let labels: Vec<&str> = s.strip_suffix('.').unwrap_or(s).split('.').collect();
    labels.iter().all(|p| {
        !p.is_empty() && p.len() <= 63 && !p.starts_with('-') && !p.ends_with('-') && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    }) && s.bytes().any(|b| b.is_ascii_alphabetic() || b == b'-' || b == b'_')
}

proptest! {
    /// Every host dial_target passes to the relay is an IP literal or a name;
    /// anything else is Go's `dial tcp: lookup HOST: no such host`.
    #[test]
    fn relay_destinations_are_ips_or_names(h in unicode(), net in prop::sample::select(vec!["tcp", "tcp4", "tcp6"])) {
        let addr = join_host_port(&h, "80");
        match dial_target(net, &addr) {
            Ok(Target::Relay { host, port }) => {
                prop_assert_eq!(port, 80);
                prop_assert!(relay_host_ok(&host), "{:?} reached the relay", host);
            }
            Ok(Target::WebSocket(u)) => prop_assert!(false, "tcp became a WebSocket {}", u),
            Err(e) => {
                let text = e.to_string();
                if !relay_host_ok(&h) && !h.is_empty() && split_host_port(&addr).is_ok_and(|(x, _)| x == h) {
                    prop_assert_eq!(text, format!("dial {net}: lookup {h}: no such host"));
                }
            }
        }
    }
}

#[test]
fn the_relay_bypass_hosts_are_no_such_host() {
    for (addr, host) in [
        ("[127.0.0.1:81/127.0.0.1:9999]:81", "127.0.0.1:81/127.0.0.1:9999"),
        ("[127.0.0.1:81/localhost:9999]:81", "127.0.0.1:81/localhost:9999"),
        ("[a b]:80", "a b"),
        ("h?x:80", "h?x"),
        ("[fe80::1%eth0]:80", "fe80::1%eth0"),
        (".:80", "."),
        ("[x/y]:80", "x/y"),
    ] {
        let e = dial_target("tcp", addr).expect_err(addr);
        assert_eq!(e.to_string(), format!("dial tcp: lookup {host}: no such host"));
        assert!(e.is_not_found(), "{e}");
    }
    for (addr, host) in [("example.com:80", "example.com"), ("[::1]:80", "::1"), ("EXAMPLE.com.:80", "EXAMPLE.com."), ("bücher.example:80", "bücher.example"), ("_srv.x:80", "_srv.x")] {
        match dial_target("tcp", addr) {
            Ok(Target::Relay { host: h, .. }) => assert_eq!(h, host),
            other => panic!("{addr}: {other:?}"),
        }
    }
}

proptest! {
    /// A redirect's Location is the peer's: any string is a URL or an
    /// error, never a panic; a reference without a scheme keeps the base's.
    #[test]
    fn a_location_of_any_unicode_resolves_or_fails_cleanly(loc in any::<String>(), near in urlish()) {
        let base = runtime_wasm::http::url::parse("https://h.example:8443/a/b?q=1").expect("base");
        for r in [&loc, &near] {
            if let Ok(u) = base.parse_reference(r) {
                let _ = u.request_uri();
                let scheme_given = r.split('#').next().unwrap_or("").split_once(':')
                    .is_some_and(|(s, _)| !s.is_empty() && s.bytes().all(|c| c.is_ascii_alphanumeric() || b"+-.".contains(&c)));
                if !scheme_given {
                    prop_assert_eq!(u.scheme.as_str(), "https");
                }
            }
        }
        if let Ok(other) = runtime_wasm::http::url::parse(&near) {
            let _ = other.parse_reference(&loc);
            let _ = other.request_uri();
        }
    }
}

#[test]
fn a_location_resolves_as_go_resolves_the_forms_servers_send() {
    let base = runtime_wasm::http::url::parse("https://h.example/a/b?q=1").expect("base");
    for (loc, want) in [
        ("/hello", "https://h.example/hello"),
        ("c?x=2", "https://h.example/a/c?x=2"),
        ("//other.example/p", "https://other.example/p"),
        ("http://x.example/y#frag", "http://x.example/y"),
        ("", "https://h.example/a/b?q=1"),
    ] {
        assert_eq!(base.parse_reference(loc).expect(loc).to_string(), want, "{loc}");
    }
    assert_eq!(base.request_uri(), "/a/b?q=1");
}
