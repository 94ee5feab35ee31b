//! `IP`, `IPMask` and `IPNet` with the semantics of Go's `net` package.
//!
//! Like Go's `net.IP` (a `[]byte`), an `IP` is a byte vector of length 0
//! (nil), 4 or 16; other lengths can be built and print as `?` + hex, exactly
//! as Go does. Parsed IPv4 addresses are stored in 16-byte v4-mapped form, as
//! `net.ParseIP` returns them. `PartialEq` compares bytes (Go's
//! `bytes.Equal`); use [`IP::equal`] for Go's `IP.Equal`, which treats the
//! 4- and 16-byte forms of an IPv4 address as the same.

use std::fmt::{self, Write as _};

use super::error::{Error, ParseError};
use super::parse::{dtoi, parse_addr, v4_in_v6};

/// Go's `net.IPv4len`: 4.
pub const IPV4_LEN: usize = 4;
/// Go's `net.IPv6len`: 16.
pub const IPV6_LEN: usize = 16;

const V4_IN_V6_PREFIX: [u8; 12] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/// An IP address: 4 or 16 bytes (or empty, Go's nil).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct IP(pub Vec<u8>);

/// An IP mask: 4 or 16 bytes (or empty, Go's nil).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct IPMask(pub Vec<u8>);

/// An IP network: an address and a mask.
#[derive(Clone, PartialEq, Eq, Hash, Default, Debug)]
pub struct IPNet {
    /// The network number.
    pub ip: IP,
    /// The mask.
    pub mask: IPMask,
}

/// Go's `net.IPv4`: the 16-byte v4-mapped form of a.b.c.d.
pub fn ipv4(a: u8, b: u8, c: u8, d: u8) -> IP {
    IP(v4_in_v6([a, b, c, d]).to_vec())
}

/// Go's `net.IPv4Mask`: a 4-byte mask.
pub fn ipv4_mask(a: u8, b: u8, c: u8, d: u8) -> IPMask {
    IPMask(vec![a, b, c, d])
}

/// Go's `net.CIDRMask`: `ones` leading 1 bits out of `bits` (32 or 128).
/// `None` (Go's nil) for any other combination.
pub fn cidr_mask(ones: i32, bits: i32) -> Option<IPMask> {
    if bits != 8 * IPV4_LEN as i32 && bits != 8 * IPV6_LEN as i32 {
        return None;
    }
    if ones < 0 || ones > bits {
        return None;
    }
    let mut n = ones as u32;
    let m = (0..bits / 8)
        .map(|_| {
            let byte = if n >= 8 { 0xff } else { !(0xffu8 >> n) };
            n = n.saturating_sub(8);
            byte
        })
        .collect();
    Some(IPMask(m))
}

/// Go's `net.ParseIP`: an IPv4 or IPv6 address in its text form, or `None`.
/// Zones (`fe80::1%eth0`) are rejected, as in Go.
pub fn parse_ip(s: &str) -> Option<IP> {
    match parse_addr(s) {
        Ok(a) if a.zone.is_empty() => Some(IP(a.bytes.to_vec())),
        _ => None,
    }
}

/// Go's `net.ParseCIDR`: `"192.0.2.1/24"` gives the address and its network.
pub fn parse_cidr(s: &str) -> Result<(IP, IPNet), Error> {
    let bad = || {
        Error::Parse(ParseError {
            r#type: "CIDR address".into(),
            text: s.into(),
        })
    };
    let (addr, mask) = s.split_once('/').ok_or_else(bad)?;
    let a = parse_addr(addr).map_err(|_| bad())?;
    if !a.zone.is_empty() {
        return Err(bad());
    }
    let ip_len = if a.is4 { IPV4_LEN } else { IPV6_LEN };
    let (n, i, ok) = dtoi(mask);
    if !ok || i != mask.len() || n as usize > 8 * ip_len {
        return Err(bad());
    }
    let m = cidr_mask(n as i32, 8 * ip_len as i32).ok_or_else(bad)?;
    let ip = IP(a.bytes.to_vec());
    let net_ip = ip.mask(&m).ok_or_else(bad)?;
    Ok((
        ip,
        IPNet {
            ip: net_ip,
            mask: m,
        },
    ))
}

fn is_zeros(b: &[u8]) -> bool {
    b.iter().all(|&x| x == 0)
}

fn write_hex(f: &mut impl fmt::Write, b: &[u8]) -> fmt::Result {
    b.iter().try_for_each(|x| write!(f, "{x:02x}"))
}

impl IP {
    /// Go's `net.IPv4bcast`: 255.255.255.255.
    pub fn ipv4_bcast() -> IP {
        ipv4(255, 255, 255, 255)
    }
    /// Go's `net.IPv4allsys`: 224.0.0.1.
    pub fn ipv4_allsys() -> IP {
        ipv4(224, 0, 0, 1)
    }
    /// Go's `net.IPv4allrouter`: 224.0.0.2.
    pub fn ipv4_allrouter() -> IP {
        ipv4(224, 0, 0, 2)
    }
    /// Go's `net.IPv4zero`: 0.0.0.0.
    pub fn ipv4_zero() -> IP {
        ipv4(0, 0, 0, 0)
    }
    /// Go's `net.IPv6zero`: ::.
    pub fn ipv6_zero() -> IP {
        IP(vec![0; 16])
    }
    /// Go's `net.IPv6unspecified`: ::.
    pub fn ipv6_unspecified() -> IP {
        IP(vec![0; 16])
    }
    /// Go's `net.IPv6loopback`: ::1.
    pub fn ipv6_loopback() -> IP {
        let mut b = vec![0; 16];
        b[15] = 1;
        IP(b)
    }
    /// Go's `net.IPv6interfacelocalallnodes`: ff01::1.
    pub fn ipv6_interfacelocalallnodes() -> IP {
        let mut b = vec![0; 16];
        (b[0], b[1], b[15]) = (0xff, 0x01, 0x01);
        IP(b)
    }
    /// Go's `net.IPv6linklocalallnodes`: ff02::1.
    pub fn ipv6_linklocalallnodes() -> IP {
        let mut b = vec![0; 16];
        (b[0], b[1], b[15]) = (0xff, 0x02, 0x01);
        IP(b)
    }
    /// Go's `net.IPv6linklocalallrouters`: ff02::2.
    pub fn ipv6_linklocalallrouters() -> IP {
        let mut b = vec![0; 16];
        (b[0], b[1], b[15]) = (0xff, 0x02, 0x02);
        IP(b)
    }

    /// The bytes: 4 or 16 (IPv4 may be in 16-byte form), or none.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// The byte length (Go's `len(ip)`).
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// Go's `ip == nil` (or an empty slice).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Go's `To4`: the 4-byte form of an IPv4 address, `None` otherwise.
    pub fn to4(&self) -> Option<IP> {
        self.v4_bytes().map(|b| IP(b.to_vec()))
    }

    /// Borrowing `To4`, used by the predicates to avoid allocating.
    fn v4_bytes(&self) -> Option<&[u8]> {
        let b = &self.0;
        match b.len() {
            IPV4_LEN => Some(b),
            IPV6_LEN if is_zeros(&b[..10]) && b[10] == 0xff && b[11] == 0xff => Some(&b[12..]),
            _ => None,
        }
    }

    /// Go's `To16`: the 16-byte form, `None` for lengths other than 4 and 16.
    pub fn to16(&self) -> Option<IP> {
        match self.0.len() {
            IPV4_LEN => Some(ipv4(self.0[0], self.0[1], self.0[2], self.0[3])),
            IPV6_LEN => Some(self.clone()),
            _ => None,
        }
    }

    /// Go's `Equal`: same address, treating 4- and 16-byte IPv4 forms alike.
    pub fn equal(&self, x: &IP) -> bool {
        let (a, b) = (&self.0, &x.0);
        match (a.len(), b.len()) {
            (l, m) if l == m => a == b,
            (IPV4_LEN, IPV6_LEN) => b[..12] == V4_IN_V6_PREFIX && b[12..] == a[..],
            (IPV6_LEN, IPV4_LEN) => a[..12] == V4_IN_V6_PREFIX && a[12..] == b[..],
            _ => false,
        }
    }

    /// Go's `DefaultMask`: the classful mask of an IPv4 address.
    pub fn default_mask(&self) -> Option<IPMask> {
        let b = self.v4_bytes()?;
        Some(match b[0] {
            0..=0x7f => ipv4_mask(0xff, 0, 0, 0),
            0x80..=0xbf => ipv4_mask(0xff, 0xff, 0, 0),
            _ => ipv4_mask(0xff, 0xff, 0xff, 0),
        })
    }

    /// Go's `Mask`: the address with `mask` applied; `None` on a length
    /// mismatch that Go cannot reconcile.
    pub fn mask(&self, mask: &IPMask) -> Option<IP> {
        let mut ip: &[u8] = &self.0;
        let mut m: &[u8] = &mask.0;
        if m.len() == IPV6_LEN && ip.len() == IPV4_LEN && m[..12].iter().all(|&x| x == 0xff) {
            m = &m[12..];
        }
        if m.len() == IPV4_LEN && ip.len() == IPV6_LEN && ip[..12] == V4_IN_V6_PREFIX {
            ip = &ip[12..];
        }
        if ip.len() != m.len() {
            return None;
        }
        Some(IP(ip.iter().zip(m).map(|(a, b)| a & b).collect()))
    }

    /// Go's `IP.IsUnspecified`.
    pub fn is_unspecified(&self) -> bool {
        self.equal(&IP::ipv4_zero()) || self.equal(&IP::ipv6_unspecified())
    }

    /// Go's `IP.IsLoopback`.
    pub fn is_loopback(&self) -> bool {
        match self.v4_bytes() {
            Some(b) => b[0] == 127,
            None => self.equal(&IP::ipv6_loopback()),
        }
    }

    /// RFC 1918 (IPv4) and RFC 4193 (IPv6) private addresses.
    pub fn is_private(&self) -> bool {
        match self.v4_bytes() {
            Some(b) => {
                b[0] == 10 || (b[0] == 172 && b[1] & 0xf0 == 16) || (b[0] == 192 && b[1] == 168)
            }
            None => self.0.len() == IPV6_LEN && self.0[0] & 0xfe == 0xfc,
        }
    }

    /// Go's `IP.IsMulticast`.
    pub fn is_multicast(&self) -> bool {
        match self.v4_bytes() {
            Some(b) => b[0] & 0xf0 == 0xe0,
            None => self.0.len() == IPV6_LEN && self.0[0] == 0xff,
        }
    }

    /// Go's `IP.IsInterfaceLocalMulticast`.
    pub fn is_interface_local_multicast(&self) -> bool {
        self.0.len() == IPV6_LEN && self.0[0] == 0xff && self.0[1] & 0x0f == 0x01
    }

    /// Go's `IP.IsLinkLocalMulticast`.
    pub fn is_link_local_multicast(&self) -> bool {
        match self.v4_bytes() {
            Some(b) => b[0] == 224 && b[1] == 0 && b[2] == 0,
            None => self.0.len() == IPV6_LEN && self.0[0] == 0xff && self.0[1] & 0x0f == 0x02,
        }
    }

    /// Go's `IP.IsLinkLocalUnicast`.
    pub fn is_link_local_unicast(&self) -> bool {
        match self.v4_bytes() {
            Some(b) => b[0] == 169 && b[1] == 254,
            None => self.0.len() == IPV6_LEN && self.0[0] == 0xfe && self.0[1] & 0xc0 == 0x80,
        }
    }

    /// Go's `IP.IsGlobalUnicast`.
    pub fn is_global_unicast(&self) -> bool {
        (self.0.len() == IPV4_LEN || self.0.len() == IPV6_LEN)
            && !self.equal(&IP::ipv4_bcast())
            && !self.is_unspecified()
            && !self.is_loopback()
            && !self.is_multicast()
            && !self.is_link_local_unicast()
    }
}

/// Go's `IP.String`: dotted quad for IPv4 (including v4-mapped), RFC 5952 for
/// IPv6, `<nil>` for empty, `?` + hex for any other length.
impl fmt::Display for IP {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        if b.is_empty() {
            return f.write_str("<nil>");
        }
        if b.len() != IPV4_LEN && b.len() != IPV6_LEN {
            f.write_char('?')?;
            return write_hex(f, b);
        }
        if let Some(v4) = self.v4_bytes() {
            return write!(f, "{}.{}.{}.{}", v4[0], v4[1], v4[2], v4[3]);
        }
        let group = |i: usize| u16::from_be_bytes([b[2 * i], b[2 * i + 1]]);
        // The longest run of two or more zero groups (the first on a tie)
        // becomes "::".
        let (mut zero_start, mut zero_end) = (8usize, 8usize);
        let mut i = 0;
        while i < 8 {
            let mut j = i;
            while j < 8 && group(j) == 0 {
                j += 1;
            }
            if j - i >= 2 && j - i > zero_end - zero_start {
                (zero_start, zero_end) = (i, j);
            }
            i = j.max(i + 1);
        }
        let mut i = 0;
        while i < 8 {
            if i == zero_start {
                f.write_str("::")?;
                i = zero_end;
                if i >= 8 {
                    break;
                }
            } else if i > 0 {
                f.write_char(':')?;
            }
            write!(f, "{:x}", group(i))?;
            i += 1;
        }
        Ok(())
    }
}

impl fmt::Debug for IP {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IP({self})")
    }
}

/// Go's `IP.UnmarshalText`: `""` gives the empty IP (Go's nil), anything
/// `parse_ip` rejects gives `invalid IP address: TEXT`.
impl std::str::FromStr for IP {
    type Err = Error;
    fn from_str(s: &str) -> Result<IP, Error> {
        if s.is_empty() {
            return Ok(IP::default());
        }
        parse_ip(s).ok_or_else(|| {
            Error::Parse(ParseError {
                r#type: "IP address".into(),
                text: s.into(),
            })
        })
    }
}

impl From<[u8; 4]> for IP {
    fn from(b: [u8; 4]) -> Self {
        IP(b.to_vec())
    }
}
impl From<[u8; 16]> for IP {
    fn from(b: [u8; 16]) -> Self {
        IP(b.to_vec())
    }
}

/// Go's `simpleMaskLength`: the prefix length of a canonical mask, or `None`.
fn simple_mask_length(mask: &[u8]) -> Option<usize> {
    let mut n = 0;
    for (i, &v) in mask.iter().enumerate() {
        if v == 0xff {
            n += 8;
            continue;
        }
        let ones = v.leading_ones() as usize;
        if v << ones != 0 || !is_zeros(&mask[i + 1..]) {
            return None;
        }
        return Some(n + ones);
    }
    Some(n)
}

impl IPMask {
    /// The mask's bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// Go's `Size`: (ones, bits) of a canonical mask; (0, 0) otherwise.
    pub fn size(&self) -> (usize, usize) {
        match simple_mask_length(&self.0) {
            Some(ones) => (ones, self.0.len() * 8),
            None => (0, 0),
        }
    }
}

/// Go's `IPMask.String`: hex, `<nil>` when empty.
impl fmt::Display for IPMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("<nil>");
        }
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for IPMask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IPMask({self})")
    }
}

impl IPNet {
    /// Go's `networkNumberAndMask`: the network address and mask brought to
    /// the same length, or `None` when they cannot be.
    fn network_number_and_mask(&self) -> Option<(&[u8], &[u8])> {
        let ip: &[u8] = match self.ip.v4_bytes() {
            Some(b) => b,
            None if self.ip.0.len() == IPV6_LEN => &self.ip.0,
            None => return None,
        };
        let m: &[u8] = &self.mask.0;
        match m.len() {
            IPV4_LEN if ip.len() != IPV4_LEN => None,
            IPV4_LEN => Some((ip, m)),
            IPV6_LEN if ip.len() == IPV4_LEN => Some((ip, &m[12..])),
            IPV6_LEN => Some((ip, m)),
            _ => None,
        }
    }

    /// Go's `Contains`.
    pub fn contains(&self, ip: &IP) -> bool {
        let Some((nn, m)) = self.network_number_and_mask() else {
            return false;
        };
        let x = ip.v4_bytes().unwrap_or(&ip.0);
        x.len() == nn.len() && (0..x.len()).all(|i| nn[i] & m[i] == x[i] & m[i])
    }

    /// Go's `Network`.
    pub fn network(&self) -> &'static str {
        "ip+net"
    }
}

/// Go's `IPNet.String`: `addr/len` for canonical masks, `addr/hexmask` for
/// others, `<nil>` when the address and mask do not fit together.
impl fmt::Display for IPNet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some((nn, m)) = self.network_number_and_mask() else {
            return f.write_str("<nil>");
        };
        let nn = IP(nn.to_vec());
        match simple_mask_length(m) {
            Some(l) => write!(f, "{nn}/{l}"),
            None => write!(f, "{nn}/{}", IPMask(m.to_vec())),
        }
    }
}
