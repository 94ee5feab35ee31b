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
        return Err(Error::Dns(DNSError { err: "unrecognized address".into(), name: addr.into(), ..Default::default() }));
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
