//! Go's `LookupPort` without a network: `parsePort` (port.go) and the
//! built-in service table (lookup.go). In a browser there is no
//! /etc/services, which is also what Go's own js/wasm port sees, so this is
//! the whole table: Go's entries plus `domain` over TCP (the one common
//! service Go lists only for UDP).

use super::{AddrError, DNSError, Error};

/// Go's `services` map, by network.
const TCP_SERVICES: &[(&str, u16)] = &[
    ("domain", 53),
    ("ftp", 21),
    ("ftps", 990),
    ("gopher", 70),
    ("http", 80),
    ("https", 443),
    ("imap2", 143),
    ("imap3", 220),
    ("imaps", 993),
    ("pop3", 110),
    ("pop3s", 995),
    ("smtp", 25),
    ("submissions", 465),
    ("ssh", 22),
    ("telnet", 23),
];
const UDP_SERVICES: &[(&str, u16)] = &[("domain", 53)];

/// Go's `maxPortBufSize`: longer service names never match.
const MAX_PORT_BUF_SIZE: usize = "mobility-header".len() + 10;

/// Go's `parsePort`: `(port, needs_lookup)`. Decimal with an optional sign;
/// values saturate instead of overflowing, as Go's do; "" is port 0.
pub(crate) fn parse_port(service: &str) -> (i64, bool) {
    if service.is_empty() {
        return (0, false);
    }
    const MAX: u32 = u32::MAX;
    const CUTOFF: u32 = 1 << 30;
    let (neg, digits) = match service.as_bytes()[0] {
        b'+' => (false, &service[1..]),
        b'-' => (true, &service[1..]),
        _ => (false, service),
    };
    let mut n: u32 = 0;
    for d in digits.bytes() {
        if !d.is_ascii_digit() {
            return (0, true);
        }
        if n >= CUTOFF {
            n = MAX;
            break;
        }
        // Go's uint32 arithmetic: the multiplication wraps (n < 2^30, so
        // at most once past 2^32), the addition's wrap is caught.
        n = n.wrapping_mul(10);
        let nn = n.wrapping_add(u32::from(d - b'0'));
        if nn < n {
            n = MAX;
            break;
        }
        n = nn;
    }
    let port = if !neg && n >= CUTOFF {
        i64::from(CUTOFF - 1)
    } else if neg && n > CUTOFF {
        i64::from(CUTOFF)
    } else {
        i64::from(n)
    };
    (if neg { -port } else { port }, false)
}

fn lookup_in(table: &[(&str, u16)], err_network: &str, service: &str) -> Result<u16, Error> {
    if service.len() <= MAX_PORT_BUF_SIZE {
        let lower = service.to_ascii_lowercase();
        if let Some((_, p)) = table.iter().find(|(name, _)| *name == lower) {
            return Ok(*p);
        }
    }
    Err(Error::Dns(DNSError {
        err: "unknown port".into(),
        name: format!("{err_network}/{service}"),
        is_not_found: true,
        ..Default::default()
    }))
}

/// Go's `LookupPort`: a number (validated to 0..=65535) or a service name
/// from the built-in table, for "", "ip", "tcp[46]" or "udp[46]".
pub(crate) fn lookup_port(network: &str, service: &str) -> Result<u16, Error> {
    let unknown = |addr: &str| {
        Error::Addr(AddrError {
            err: "unknown network".into(),
            addr: addr.into(),
        })
    };
    let (port, needs_lookup) = parse_port(service);
    let port = if needs_lookup {
        i64::from(match network {
            "" | "ip" => lookup_in(TCP_SERVICES, "ip", service)
                .or_else(|_| lookup_in(UDP_SERVICES, "ip", service))?,
            "tcp" | "tcp4" | "tcp6" => lookup_in(TCP_SERVICES, "tcp", service)?,
            "udp" | "udp4" | "udp6" => lookup_in(UDP_SERVICES, "udp", service)?,
            _ => return Err(unknown(network)),
        })
    } else {
        port
    };
    u16::try_from(port).map_err(|_| {
        Error::Addr(AddrError {
            err: "invalid port".into(),
            addr: service.into(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Go's parsePortTests (port_test.go).
    #[test]
    fn parse_port_matches_go() {
        let table: &[(&str, i64, bool)] = &[
            ("", 0, false),
            ("-1073741825", -(1 << 30), false),
            ("-1073741824", -(1 << 30), false),
            ("-1073741823", -((1 << 30) - 1), false),
            ("-123456789", -123456789, false),
            ("-1", -1, false),
            ("-0", 0, false),
            ("0", 0, false),
            ("+0", 0, false),
            ("+1", 1, false),
            ("65535", 65535, false),
            ("65536", 65536, false),
            ("123456789", 123456789, false),
            ("1073741822", (1 << 30) - 2, false),
            ("1073741823", (1 << 30) - 1, false),
            ("1073741824", (1 << 30) - 1, false),
            ("1073741825", (1 << 30) - 1, false),
            ("abc", 0, true),
            ("9pfs", 0, true),
            ("123badport", 0, true),
            ("bad123port", 0, true),
            ("badport123", 0, true),
            ("123456789badport", 0, true),
            ("-2147483649badport", 0, true),
            ("2147483649badport", 0, true),
        ];
        for (s, port, lookup) in table {
            assert_eq!(parse_port(s), (*port, *lookup), "{s:?}");
        }
    }
}
