//! Go's `TCPAddr`, `UDPAddr`, `UnixAddr` and their `Resolve*` functions
//! (ipsock.go's `internetAddrList` and `forResolve`). A page cannot open
//! these sockets, but resolving is name work (a literal, the service table,
//! DoH), so a VM's stdlib gets Go's answers and Go's errors, and the
//! failure comes where Go's would on a machine without that network: at
//! Dial or Listen.

use std::fmt;

use super::hostport::{join_host_port, split_host_port};
use super::lookup::default_resolver;
use super::parse::parse_addr;
use super::port::lookup_port;
use super::{AddrError, Error, IP};

/// An IP endpoint: Go's `TCPAddr` and `UDPAddr` have the same fields.
/// `ip` is `None` for Go's nil IP (an address with an empty host, ":80").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IPEndpoint {
    /// The IP, or `None` for the unspecified address.
    pub ip: Option<IP>,
    /// The port.
    pub port: u16,
    /// The IPv6 zone, or empty.
    pub zone: String,
}

impl fmt::Display for IPEndpoint {
    /// Go's `TCPAddr.String`: `JoinHostPort(ip%zone, port)`, `:port` for a
    /// nil IP.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut host = self.ip.as_ref().map(IP::to_string).unwrap_or_default();
        if !self.zone.is_empty() {
            host = format!("{host}%{}", self.zone);
        }
        f.write_str(&join_host_port(&host, &self.port.to_string()))
    }
}

/// Go's `net.TCPAddr`.
pub type TCPAddr = IPEndpoint;
/// Go's `net.UDPAddr`.
pub type UDPAddr = IPEndpoint;

/// Go's `net.UnixAddr`: a name and one of unix, unixgram, unixpacket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnixAddr {
    /// The address as text.
    pub name: String,
    /// The network name.
    pub net: String,
}

impl fmt::Display for UnixAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Go's `net.ResolveTCPAddr` ("tcp", "tcp4", "tcp6"; "" means "tcp").
pub async fn resolve_tcp_addr(network: &str, address: &str) -> Result<TCPAddr, Error> {
    resolve_ip_endpoint(network, address, "tcp").await
}

/// Go's `net.ResolveUDPAddr` ("udp", "udp4", "udp6"; "" means "udp").
pub async fn resolve_udp_addr(network: &str, address: &str) -> Result<UDPAddr, Error> {
    resolve_ip_endpoint(network, address, "udp").await
}

/// Go's `net.ResolveUnixAddr`: no lookup, only the network is checked.
pub fn resolve_unix_addr(network: &str, address: &str) -> Result<UnixAddr, Error> {
    match network {
        "unix" | "unixgram" | "unixpacket" => Ok(UnixAddr {
            name: address.into(),
            net: network.into(),
        }),
        _ => Err(Error::UnknownNetwork {
            net: network.into(),
        }),
    }
}

async fn resolve_ip_endpoint(
    network: &str,
    address: &str,
    base: &str,
) -> Result<IPEndpoint, Error> {
    let network = if network.is_empty() { base } else { network };
    if !matches!(network.strip_prefix(base), Some("" | "4" | "6")) {
        return Err(Error::UnknownNetwork {
            net: network.into(),
        });
    }
    let addrs = internet_addr_list(network, address).await?;
    // Go's forResolve: prefer IPv4 unless the address was a bracketed literal.
    let want6 = (network == "tcp" || network == "udp") && address.starts_with('[');
    let is4 = |a: &IPEndpoint| a.ip.as_ref().is_some_and(|ip| ip.to4().is_some());
    let picked = addrs
        .iter()
        .find(|a| is4(a) != want6)
        .or_else(|| addrs.first())
        .cloned();
    picked.ok_or_else(|| no_suitable(address))
}

fn no_suitable(addr: &str) -> Error {
    Error::Addr(AddrError {
        err: "no suitable address found".into(),
        addr: addr.into(),
    })
}

/// Go's `Resolver.internetAddrList` for tcp/udp networks.
async fn internet_addr_list(network: &str, address: &str) -> Result<Vec<IPEndpoint>, Error> {
    let (mut host, mut port) = (String::new(), 0);
    if !address.is_empty() {
        let (h, p) = split_host_port(address)?;
        host = h;
        port = lookup_port(network, &p)?;
    }
    let endpoint = |ip: Option<IP>, zone: &str| IPEndpoint {
        ip,
        port,
        zone: zone.into(),
    };
    if host.is_empty() {
        return Ok(vec![endpoint(None, "")]);
    }
    // A literal (keeping its zone, which ParseIP would reject), else DNS.
    let mut ips: Vec<(IP, String)> = match parse_addr(&host) {
        Ok(a) => vec![(IP::from(a.bytes), a.zone.to_string())],
        Err(_) => {
            let family = match network.as_bytes().last() {
                Some(b'4') => "ip4",
                Some(b'6') => "ip6",
                _ => "ip",
            };
            let found = default_resolver().lookup_ip(family, &host).await?;
            found.into_iter().map(|ip| (ip, String::new())).collect()
        }
    };
    // Go's issue 18806: "::" alone also tries 0.0.0.0.
    if ips.len() == 1 && ips[0].0.equal(&IP::ipv6_unspecified()) {
        ips.push((IP::ipv4_zero(), String::new()));
    }
    let keep = |ip: &IP| match network.as_bytes().last() {
        Some(b'4') => ip.to4().is_some(),
        Some(b'6') => ip.len() == 16 && ip.to4().is_none(),
        _ => true,
    };
    let list: Vec<IPEndpoint> = ips
        .into_iter()
        .filter(|(ip, _)| keep(ip))
        .map(|(ip, zone)| endpoint(Some(ip), &zone))
        .collect();
    if list.is_empty() {
        return Err(no_suitable(&host));
    }
    Ok(list)
}
