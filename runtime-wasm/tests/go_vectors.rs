//! Go's own `net/ip_test.go` tables (testdata/go_net_vectors.json), run
//! natively by `cargo test` and inside headless Chromium by
//! wasm-bindgen-test: the same vectors, the same assertions.

use runtime_wasm::net::*;
use serde_json::Value;

#[macro_use]
mod common;

fn vectors(table: &str) -> Vec<Value> {
    let all: Value =
        serde_json::from_str(include_str!("../../testdata/go_net_vectors.json")).unwrap();
    let rows = all[table].as_array().unwrap().clone();
    assert!(!rows.is_empty(), "table {table} is empty");
    rows
}

fn hex(v: &Value) -> Option<Vec<u8>> {
    let s = v.as_str()?;
    Some(
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect(),
    )
}
fn ip(v: &Value) -> IP {
    IP(hex(v).unwrap_or_default())
}
fn mask(v: &Value) -> IPMask {
    IPMask(hex(v).unwrap_or_default())
}
fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

both! {
    fn parse_ip_table() {
        for r in vectors("parse_ip") {
            let want = hex(&r[1]).map(IP);
            assert_eq!(parse_ip(s(&r[0])), want, "ParseIP({})", r[0]);
        }
    }

    fn ip_string_table() {
        for r in vectors("ip_string") {
            assert_eq!(ip(&r[0]).to_string(), s(&r[1]));
        }
    }

    fn ip_mask_table() {
        for r in vectors("ip_mask") {
            let out = ip(&r[0]).mask(&mask(&r[1])).expect("Mask returned nil");
            assert!(out.equal(&ip(&r[2])), "{:?}.Mask({:?}) = {out:?}", r[0], r[1]);
        }
    }

    fn ip_mask_string_table() {
        for r in vectors("ip_mask_string") {
            assert_eq!(mask(&r[0]).to_string(), s(&r[1]));
        }
    }

    fn parse_cidr_table() {
        for r in vectors("parse_cidr") {
            let got = parse_cidr(s(&r["in"]));
            if let Some(want_err) = r["err"].as_str() {
                let e = got.expect_err(s(&r["in"]));
                assert_eq!(e.to_string(), want_err);
                assert_eq!(e.code(), "parse");
            } else {
                let (got_ip, got_net) = got.unwrap();
                assert!(got_ip.equal(&ip(&r["ip"])), "{}: ip {got_ip}", r["in"]);
                assert!(got_net.ip.equal(&ip(&r["net_ip"])), "{}: net ip {}", r["in"], got_net.ip);
                // Go compares masks with reflect.DeepEqual: length matters.
                let want_mask = mask(&r["net_mask"]);
                let want_mask = if got_ip.to4().is_some() && want_mask.0.len() == 16 { IPMask(want_mask.0[12..].to_vec()) } else { want_mask };
                assert_eq!(got_net.mask, want_mask, "{}", r["in"]);
            }
        }
    }

    // `ip, n, _ := net.ParseCIDR(in); n.Contains(ip)` as Go 1.27 prints it.
    // The first row is the fuzz layer's find: an IPv4-mapped address under a
    // mask shorter than 96 bits is compared as IPv4 against an IPv6 network.
    fn parse_cidr_contains_table() {
        for (input, want) in [
            ("::FFFF:FF:FFFF/1", false),
            ("::ffff:1.2.3.4/95", false),
            ("::ffff:1.2.3.4/96", true),
            ("::ffff:1.2.3.4/120", true),
            ("::ffff:0:0/0", false),
            ("1.2.3.4/8", true),
            ("1.2.3.4/0", true),
            ("2001:db8::1/32", true),
            ("::/0", true),
        ] {
            let (ip, net) = parse_cidr(input).unwrap();
            assert_eq!(net.contains(&ip), want, "{input}: {net}.Contains({ip})");
        }
    }

    fn ip_net_contains_table() {
        for r in vectors("ip_net_contains") {
            let n = IPNet { ip: ip(&r[1]), mask: mask(&r[2]) };
            assert_eq!(n.contains(&ip(&r[0])), r[3].as_bool().unwrap(), "{n}.Contains({})", ip(&r[0]));
        }
    }

    fn ip_net_string_table() {
        for r in vectors("ip_net_string") {
            assert_eq!(IPNet { ip: ip(&r[0]), mask: mask(&r[1]) }.to_string(), s(&r[2]));
        }
    }

    fn network_number_and_mask_table() {
        // Observed through String(): a nil network prints "<nil>".
        for r in vectors("network_number_and_mask") {
            let n = IPNet { ip: ip(&r[0]), mask: mask(&r[1]) };
            let want = match hex(&r[2]) {
                Some(_) => IPNet { ip: ip(&r[2]), mask: mask(&r[3]) }.to_string(),
                None => "<nil>".to_string(),
            };
            assert_eq!(n.to_string(), want, "{:?}", r);
        }
    }

    fn cidr_mask_table() {
        for r in vectors("cidr_mask") {
            let got = cidr_mask(r[0].as_i64().unwrap() as i32, r[1].as_i64().unwrap() as i32);
            assert_eq!(got, hex(&r[2]).map(IPMask), "CIDRMask({}, {})", r[0], r[1]);
        }
    }

    fn split_host_port_table() {
        for r in vectors("split_host_port") {
            assert_eq!(split_host_port(s(&r[0])).unwrap(), (s(&r[1]).to_string(), s(&r[2]).to_string()));
        }
        for r in vectors("split_host_port_errors") {
            match split_host_port(s(&r[0])) {
                Err(Error::Addr(e)) => {
                    assert_eq!(e.err, s(&r[1]), "{}", r[0]);
                    assert_eq!(Error::Addr(e).to_string(), format!("address {}: {}", s(&r[0]), s(&r[1])));
                }
                other => panic!("SplitHostPort({}) = {other:?}", r[0]),
            }
        }
    }

    fn join_host_port_table() {
        for r in vectors("join_host_port") {
            assert_eq!(join_host_port(s(&r[0]), s(&r[1])), s(&r[2]));
        }
    }

    fn ip_addr_family_table() {
        for r in vectors("ip_addr_family") {
            let x = ip(&r[0]);
            assert_eq!(x.to4().is_some(), r[1].as_bool().unwrap(), "{x}");
            assert_eq!(x.len() == IPV6_LEN && x.to4().is_none(), r[2].as_bool().unwrap(), "{x}");
        }
    }

    fn ip_scope_table() {
        for r in vectors("ip_scope") {
            let f: fn(&IP) -> bool = match s(&r[0]) {
                "is_unspecified" => IP::is_unspecified,
                "is_loopback" => IP::is_loopback,
                "is_multicast" => IP::is_multicast,
                "is_interface_local_multicast" => IP::is_interface_local_multicast,
                "is_link_local_multicast" => IP::is_link_local_multicast,
                "is_link_local_unicast" => IP::is_link_local_unicast,
                "is_global_unicast" => IP::is_global_unicast,
                "is_private" => IP::is_private,
                other => panic!("unknown predicate {other}"),
            };
            let x = ip(&r[1]);
            let want = r[2].as_bool().unwrap();
            assert_eq!(f(&x), want, "{}({x})", r[0]);
            // Go also checks the 4-byte form gives the same answer.
            if let Some(x4) = x.to4() {
                assert_eq!(f(&x4), want, "{}({x4}) (4-byte form)", r[0]);
            }
        }
    }
}
