//! Text-to-address parsing with the rules of Go's `net/netip.ParseAddr`, which
//! `net.ParseIP` and `net.ParseCIDR` have used since Go 1.22: IPv4 octets with a
//! leading zero, IPv6 groups of more than four hex digits and empty zones are
//! rejected. Kept separate from `ip.rs` because later code (DNS literals,
//! Dial address checks) needs the zone and the family, which `IP` drops.

/// An address as netip sees it: 16 bytes (IPv4 stored v4-mapped), whether it
/// was written as IPv4, and its zone (empty when none; never set for IPv4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Addr<'a> {
    pub bytes: [u8; 16],
    pub is4: bool,
    pub zone: &'a str,
}

/// Why a string is not an address. Kept as a static reason so callers can
/// build Go's error values without allocating on the failure path.
pub(crate) type Reason = &'static str;

/// Go's `netip.ParseAddr`: dispatch on the first '.', ':' or '%'.
pub(crate) fn parse_addr(s: &str) -> Result<Addr<'_>, Reason> {
    for &c in s.as_bytes() {
        match c {
            b'.' => {
                return parse_ipv4(s.as_bytes()).map(|v4| Addr {
                    bytes: v4_in_v6(v4),
                    is4: true,
                    zone: "",
                })
            }
            b':' => return parse_ipv6(s),
            b'%' => return Err("missing IPv6 address"),
            _ => {}
        }
    }
    Err("unable to parse IP")
}

pub(crate) fn v4_in_v6(v4: [u8; 4]) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[10] = 0xff;
    b[11] = 0xff;
    b[12..].copy_from_slice(&v4);
    b
}

/// Dotted quad, exactly four fields of 1-3 digits, no leading zeros, each <= 255.
fn parse_ipv4(s: &[u8]) -> Result<[u8; 4], Reason> {
    let mut fields = [0u8; 4];
    let (mut val, mut pos, mut dig_len) = (0u32, 0usize, 0usize);
    for (i, &c) in s.iter().enumerate() {
        match c {
            b'0'..=b'9' => {
                if dig_len == 1 && val == 0 {
                    return Err("IPv4 field has octet with leading zero");
                }
                val = val * 10 + u32::from(c - b'0');
                dig_len += 1;
                if val > 255 {
                    return Err("IPv4 field has value >255");
                }
            }
            b'.' => {
                if i == 0 || i == s.len() - 1 || s[i - 1] == b'.' {
                    return Err("IPv4 field must have at least one digit");
                }
                if pos == 3 {
                    return Err("IPv4 address too long");
                }
                fields[pos] = val as u8;
                pos += 1;
                val = 0;
                dig_len = 0;
            }
            _ => return Err("unexpected character"),
        }
    }
    if pos < 3 {
        return Err("IPv4 address too short");
    }
    fields[3] = val as u8;
    Ok(fields)
}

fn parse_ipv6(input: &str) -> Result<Addr<'_>, Reason> {
    let (addr, zone) = match input.find('%') {
        Some(i) => {
            let zone = &input[i + 1..];
            if zone.is_empty() {
                return Err("zone must be a non-empty string");
            }
            (&input[..i], zone)
        }
        None => (input, ""),
    };
    let mut s = addr.as_bytes();
    let mut ip = [0u8; 16];
    let mut ellipsis: Option<usize> = None;

    if s.len() >= 2 && s[0] == b':' && s[1] == b':' {
        ellipsis = Some(0);
        s = &s[2..];
        if s.is_empty() {
            return Ok(Addr {
                bytes: ip,
                is4: false,
                zone,
            });
        }
    }

    let mut i = 0usize;
    while i < 16 {
        let mut off = 0usize;
        let mut acc: u32 = 0;
        while off < s.len() {
            let d = match s[off] {
                c @ b'0'..=b'9' => c - b'0',
                c @ b'a'..=b'f' => c - b'a' + 10,
                c @ b'A'..=b'F' => c - b'A' + 10,
                _ => break,
            };
            acc = (acc << 4) + u32::from(d);
            if off > 3 {
                return Err("each group must have 4 or less digits");
            }
            if acc > 0xffff {
                return Err("IPv6 field has value >=2^16");
            }
            off += 1;
        }
        if off == 0 {
            return Err("each colon-separated field must have at least one digit");
        }
        // A '.' after the digits means a trailing embedded IPv4.
        if off < s.len() && s[off] == b'.' {
            if ellipsis.is_none() && i != 12 {
                return Err("embedded IPv4 address must replace the final 2 fields of the address");
            }
            if i + 4 > 16 {
                return Err(
                    "too many hex fields to fit an embedded IPv4 at the end of the address",
                );
            }
            let v4 = parse_ipv4(s)?;
            ip[i..i + 4].copy_from_slice(&v4);
            s = &[];
            i += 4;
            break;
        }
        ip[i] = (acc >> 8) as u8;
        ip[i + 1] = acc as u8;
        i += 2;

        s = &s[off..];
        if s.is_empty() {
            break;
        }
        if s[0] != b':' {
            return Err("unexpected character, want colon");
        } else if s.len() == 1 {
            return Err("colon must be followed by more characters");
        }
        s = &s[1..];
        if s[0] == b':' {
            if ellipsis.is_some() {
                return Err("multiple :: in address");
            }
            ellipsis = Some(i);
            s = &s[1..];
            if s.is_empty() {
                break;
            }
        }
    }
    if !s.is_empty() {
        return Err("trailing garbage after address");
    }
    if i < 16 {
        let Some(e) = ellipsis else {
            return Err("address string too short");
        };
        // Slide the groups after the ellipsis to the end, zero the gap.
        let n = 16 - i;
        ip.copy_within(e..i, e + n);
        ip[e..e + n].fill(0);
    } else if ellipsis.is_some() {
        return Err("the :: must expand to at least one field of zeros");
    }
    Ok(Addr {
        bytes: ip,
        is4: false,
        zone,
    })
}

/// Go's `dtoi`: decimal prefix of `s`; `ok` is false when there are no digits
/// or the value reaches 0xFFFFFF.
pub(crate) fn dtoi(s: &str) -> (u32, usize, bool) {
    const BIG: u32 = 0xFF_FFFF;
    let mut n: u32 = 0;
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && b[i].is_ascii_digit() {
        n = n * 10 + u32::from(b[i] - b'0');
        if n >= BIG {
            return (BIG, i, false);
        }
        i += 1;
    }
    if i == 0 {
        return (0, 0, false);
    }
    (n, i, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "wasm32")]
    wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn reasons_match_netip() {
        for (input, reason) in [
            ("", "unable to parse IP"),
            ("%eth0", "missing IPv6 address"),
            ("1.2.3", "IPv4 address too short"),
            ("1.2.3.4.5", "IPv4 address too long"),
            ("01.2.3.4", "IPv4 field has octet with leading zero"),
            ("1.2.3.256", "IPv4 field has value >255"),
            ("1..2.3", "IPv4 field must have at least one digit"),
            ("fe80::1%", "zone must be a non-empty string"),
            ("1:2:3:4:5:6:7:8:9", "trailing garbage after address"),
            ("1::2::3", "multiple :: in address"),
            ("12345::", "each group must have 4 or less digits"),
            (
                "0:0:0:0:000000:ffff:127.1.2.3",
                "each group must have 4 or less digits",
            ),
            ("1:2", "address string too short"),
            (
                "1:2:3:4:5:6:7::8",
                "the :: must expand to at least one field of zeros",
            ),
            ("1:2:3:4:5:6:7:8:1.2.3.4", "trailing garbage after address"),
            (
                "1:2:3:1.2.3.4",
                "embedded IPv4 address must replace the final 2 fields of the address",
            ),
        ] {
            assert_eq!(parse_addr(input).err(), Some(reason), "{input:?}");
        }
        assert_eq!(
            parse_addr("fe80::1%eth0").map(|a| (a.zone, a.is4)),
            Ok(("eth0", false))
        );
        assert_eq!(parse_addr("1.2.3.4").map(|a| a.is4), Ok(true));
    }

    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn dtoi_matches_go() {
        assert_eq!(dtoi("24"), (24, 2, true));
        assert_eq!(dtoi("24x"), (24, 2, true));
        assert_eq!(dtoi(""), (0, 0, false));
        assert_eq!(dtoi("-1"), (0, 0, false));
        assert_eq!(dtoi("99999999"), (0xFF_FFFF, 7, false));
    }
}
