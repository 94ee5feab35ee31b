//! Name rules of Go's `net/dnsclient.go`: which strings are domain names,
//! and the reverse-lookup name of an address. Pure functions, so they are
//! tested natively against Go's tables.

use super::{parse_ip, DNSError, Error};

/// Go's `isDomainName`: RFC 1035 presentation format as Go accepts it
/// (letters, digits, '-', '_'; labels of 1-63 bytes; at most 253 bytes, 254
/// with a trailing dot; not all-numeric). "." is valid.
pub fn is_domain_name(s: &str) -> bool {
    if s == "." {
        return true;
    }
    let b = s.as_bytes();
    let l = b.len();
    if l == 0 || l > 254 || (l == 254 && b[l - 1] != b'.') {
        return false;
    }
    let mut last = b'.';
    let mut non_numeric = false;
    let mut partlen = 0;
    for &c in b {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                non_numeric = true;
                partlen += 1;
            }
            b'0'..=b'9' => partlen += 1,
            b'-' => {
                if last == b'.' {
                    return false; // a label cannot start with '-'
                }
                partlen += 1;
                non_numeric = true;
            }
            b'.' => {
                if last == b'.' || last == b'-' || partlen > 63 || partlen == 0 {
                    return false;
                }
                partlen = 0;
            }
            _ => return false,
        }
        last = c;
    }
    last != b'-' && partlen <= 63 && non_numeric
}

/// Go's `reverseaddr`: the in-addr.arpa or ip6.arpa name (with the trailing
/// dot) for a textual IP address; Go's "unrecognized address" otherwise.
pub fn reverse_addr(addr: &str) -> Result<String, Error> {
    let Some(ip) = parse_ip(addr) else {
        return Err(Error::Dns(DNSError {
            err: "unrecognized address".into(),
            name: addr.into(),
            ..Default::default()
        }));
    };
    if let Some(v4) = ip.to4() {
        let b = v4.as_bytes();
        return Ok(format!("{}.{}.{}.{}.in-addr.arpa.", b[3], b[2], b[1], b[0]));
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(16 * 4 + "ip6.arpa.".len());
    for &v in ip.as_bytes().iter().rev() {
        s.push(HEX[usize::from(v & 0xf)] as char);
        s.push('.');
        s.push(HEX[usize::from(v >> 4)] as char);
        s.push('.');
    }
    s.push_str("ip6.arpa.");
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's dnsname_test.go: the table and the generated length cases.
    #[test]
    fn is_domain_name_matches_go() {
        let table: &[(&str, bool)] = &[
            ("_xmpp-server._tcp.google.com", true),
            ("foo.com", true),
            ("1foo.com", true),
            ("26.0.0.73.com", true),
            ("10-0-0-1", true),
            ("fo-o.com", true),
            ("fo1o.com", true),
            ("foo1.com", true),
            ("a.b..com", false),
            ("a.b-.com", false),
            ("a.b.com-", false),
            ("a.b..", false),
            ("b.com.", true),
            // Not in Go's table, but what its rules say:
            (".", true),
            ("", false),
            ("1.2.3.4", false),
            ("-a.com", false),
            ("a b.com", false),
            ("ünï.com", false),
        ];
        for (name, ok) in table {
            assert_eq!(is_domain_name(name), *ok, "{name:?}");
        }
        let char63 = "a".repeat(63);
        let long = format!("{}example", format!("{char63}.").repeat(5));
        assert!(is_domain_name(&format!("{char63}.com")));
        assert!(!is_domain_name(&format!("{char63}a.com")));
        assert!(is_domain_name(&long[long.len() - 253..]));
        assert!(is_domain_name(&format!("{}.", &long[long.len() - 253..])));
        assert!(!is_domain_name(&long[long.len() - 254..]));
    }

    /// Go's revAddrTests (dnsclient_unix_test.go).
    #[test]
    fn reverse_addr_matches_go() {
        let ok: &[(&str, &str)] = &[
            ("1.2.3.4", "4.3.2.1.in-addr.arpa."),
            ("245.110.36.114", "114.36.110.245.in-addr.arpa."),
            ("::ffff:12.34.56.78", "78.56.34.12.in-addr.arpa."),
            (
                "::1",
                "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
            ),
            (
                "1::",
                "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.1.0.0.0.ip6.arpa.",
            ),
            (
                "1234:567::89a:bcde",
                "e.d.c.b.a.9.8.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.7.6.5.0.4.3.2.1.ip6.arpa.",
            ),
            (
                "1234::567:89ab:cdef",
                "f.e.d.c.b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.4.3.2.1.ip6.arpa.",
            ),
        ];
        for (addr, want) in ok {
            assert_eq!(reverse_addr(addr).as_deref(), Ok(*want), "{addr}");
        }
        for bad in [
            "1.2.3",
            "1.2.3.4.5",
            "1234:567:bcde::89a::",
            "1234:567:fghi::89a",
            "fe80::1%eth0",
        ] {
            let e = reverse_addr(bad).unwrap_err();
            assert_eq!(e.to_string(), format!("lookup {bad}: unrecognized address"));
        }
    }
}
