//! Which networks a browser can dial, and where a dial goes: a WebSocket
//! URL, or a host and port for the host's relay. Pure, so the Go-shaped
//! errors are tested natively too.

use super::dnsclient::is_domain_name;
use super::error::{AddrError, DNSError, Error};
use super::hostport::split_host_port;
use super::ip::parse_ip;
use super::port::lookup_port;

/// Networks Go knows that a browser cannot open itself: each gets an error
/// saying so and naming the way (ws/wss, or the relay for tcp and udp).
const SOCKET_NETWORKS: &[&str] = &[
    "tcp",
    "tcp4",
    "tcp6",
    "udp",
    "udp4",
    "udp6",
    "unix",
    "unixgram",
    "unixpacket",
];

fn is_ip_network(n: &str) -> bool {
    let base = n.split(':').next().unwrap_or(n);
    matches!(base, "ip" | "ip4" | "ip6")
}

/// Go networks the browser cannot provide (TCP, UDP, unix, raw IP).
pub(crate) fn is_socket_network(n: &str) -> bool {
    SOCKET_NETWORKS.contains(&n) || is_ip_network(n)
}

/// The error for a network the browser cannot provide, e.g. for `Listen`.
pub(crate) fn unsupported_network(op: &str, network: &str, address: &str) -> Error {
    let what = if is_ip_network(network) {
        "raw IP"
    } else {
        network
    };
    let hint = match (op, network) {
        ("dial", "udp" | "udp4" | "udp6") => {
            "; ListenPacket(\"udp\") and WriteTo send datagrams through the host's relay"
        }
        _ => "; dial network \"ws\" or \"wss\" with a WebSocket URL instead",
    };
    let addr = (!address.is_empty()).then_some(address);
    Error::op(
        op,
        network,
        addr,
        Error::unsupported(format!(
            "{what} sockets are not available in browser WebAssembly{hint}"
        )),
    )
}

/// Where a dial goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A `ws://` / `wss://` URL ("ws", "wss").
    WebSocket(String),
    /// A TCP destination for the host's relay ("tcp", "tcp4", "tcp6"). The
    /// relay resolves names, so a name is passed on as written; literal
    /// addresses must match a tcp4/tcp6 network.
    Relay {
        /// The host as checked: a name, or a literal IP without brackets.
        host: String,
        /// The port, resolved from a number or a service name.
        port: u16,
    },
}

/// A host a relay may be asked to reach: an IP literal, or a name Go's
/// `isDomainName` accepts. A name with non-ASCII letters (IDNA) goes on
/// when its ASCII is a name's: the JS side normalizes it (js/policy.ts
/// `destinationHost`) and checks the result, and the relay is asked for
/// exactly the host the policy checked. Anything else (`a b`,
/// `127.0.0.1:80/10.0.0.1`, `h?x`) is Go's `lookup HOST: no such host`
/// before anything is opened: a host the policy and the relay could read
/// differently is never a destination.
pub(crate) fn check_relay_host(host: &str) -> Result<(), Error> {
    let name_ascii = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    let ok = parse_ip(host).is_some()
        || if host.is_ascii() {
            host != "." && is_domain_name(host)
        } else {
            host.chars().all(|c| !c.is_ascii() || name_ascii(c))
        };
    if ok {
        return Ok(());
    }
    Err(Error::Dns(DNSError {
        err: "no such host".into(),
        name: host.into(),
        is_not_found: true,
        ..DNSError::default()
    }))
}

/// Checks `network` and `address` and says where the dial goes (see
/// [`Target`]). Errors are Go's `OpError{Op: "dial"}`.
pub fn dial_target(network: &str, address: &str) -> Result<Target, Error> {
    if !matches!(network, "tcp" | "tcp4" | "tcp6") {
        return dial_url(network, address).map(Target::WebSocket);
    }
    let fail = |err: Error| Err(Error::op("dial", network, Some(address), err));
    if address.is_empty() {
        return Err(Error::op("dial", network, None, Error::other("missing address")));
    }
    let (host, port) = match split_host_port(address) {
        Ok(hp) => hp,
        Err(e) => return fail(e),
    };
    let port = match lookup_port(network, &port) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    if host.is_empty() {
        // Go dials the local system; through a relay that is the relay's
        // machine, which is never what a page means.
        return fail(Error::other(
            "no host: an empty host means the local system, which through a relay is the relay's own machine; name the host",
        ));
    }
    if let Err(e) = check_relay_host(&host) {
        return Err(Error::op("dial", network, None, e));
    }
    if let Some(ip) = parse_ip(&host) {
        let v4 = ip.to4().is_some();
        if (network == "tcp4" && !v4) || (network == "tcp6" && v4) {
            return fail(Error::Addr(AddrError {
                err: "no suitable address found".into(),
                addr: host,
            }));
        }
    }
    Ok(Target::Relay { host, port })
}

/// Checks `network` and turns `address` into the URL to open: a full
/// `ws://` / `wss://` URL whose scheme matches the network, or a bare
/// `host:port` (which becomes `network://host:port/`). Errors are Go's
/// `OpError{Op: "dial"}`.
pub fn dial_url(network: &str, address: &str) -> Result<String, Error> {
    if matches!(network, "tcp" | "tcp4" | "tcp6") {
        return Err(Error::op(
            "dial",
            network,
            (!address.is_empty()).then_some(address),
            Error::unsupported(format!(
                "{network} has no WebSocket URL: Dial sends it through the host's relay"
            )),
        ));
    }
    if is_socket_network(network) {
        return Err(unsupported_network("dial", network, address));
    }
    if network != "ws" && network != "wss" {
        return Err(Error::op(
            "dial",
            network,
            None,
            Error::UnknownNetwork {
                net: network.into(),
            },
        ));
    }
    if address.is_empty() {
        return Err(Error::op(
            "dial",
            network,
            None,
            Error::other("missing address"),
        ));
    }
    let fail = |err: Error| Err(Error::op("dial", network, Some(address), err));
    match address.split_once("://") {
        Some((scheme, _)) if scheme.eq_ignore_ascii_case(network) => Ok(address.to_string()),
        Some((scheme, _)) => fail(Error::other(format!(
            "address scheme \"{scheme}\" does not match network \"{network}\""
        ))),
        None => match split_host_port(address) {
            Ok(_) => Ok(format!("{network}://{address}/")),
            Err(e) => fail(e),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ws_urls() {
        assert_eq!(
            dial_url("ws", "ws://h:1/p?q").as_deref(),
            Ok("ws://h:1/p?q")
        );
        assert_eq!(dial_url("wss", "WSS://h/").as_deref(), Ok("WSS://h/"));
        assert_eq!(
            dial_url("ws", "127.0.0.1:8080").as_deref(),
            Ok("ws://127.0.0.1:8080/")
        );
        assert_eq!(
            dial_url("wss", "[::1]:443").as_deref(),
            Ok("wss://[::1]:443/")
        );
    }

    #[test]
    fn go_shaped_errors() {
        let cases = [
            (
                "tcp",
                "example.com:80",
                "dial tcp example.com:80: tcp has no WebSocket URL: Dial sends it through the host's relay",
            ),
            (
                "udp",
                "example.com:53",
                "dial udp example.com:53: udp sockets are not available in browser WebAssembly; ListenPacket(\"udp\") and WriteTo send datagrams through the host's relay",
            ),
            (
                "ip4:icmp",
                "10.0.0.1",
                "dial ip4:icmp 10.0.0.1: raw IP sockets are not available in browser WebAssembly; dial network \"ws\" or \"wss\" with a WebSocket URL instead",
            ),
            ("foo", "x:1", "dial foo: unknown network foo"),
            ("ws", "", "dial ws: missing address"),
            ("ws", "http://h/", "dial ws http://h/: address scheme \"http\" does not match network \"ws\""),
            ("wss", "ws://h/", "dial wss ws://h/: address scheme \"ws\" does not match network \"wss\""),
            ("ws", "example.com", "dial ws example.com: address example.com: missing port in address"),
        ];
        for (net, addr, want) in cases {
            let e = dial_url(net, addr).unwrap_err();
            assert_eq!(e.to_string(), want);
            assert_eq!(e.code(), "op");
        }
        assert_eq!(
            dial_url("udp", "h:1").unwrap_err().root().code(),
            "unsupported"
        );
        assert_eq!(
            dial_url("unix", "/s").unwrap_err().to_string(),
            "dial unix /s: unix sockets are not available in browser WebAssembly; dial network \"ws\" or \"wss\" with a WebSocket URL instead"
        );
        assert_eq!(
            dial_url("sctp", "h:1").unwrap_err().root().code(),
            "unknown_network"
        );
    }
}

#[cfg(test)]
mod relay_tests {
    use super::*;

    fn relay(host: &str, port: u16) -> Result<Target, Error> {
        Ok(Target::Relay {
            host: host.into(),
            port,
        })
    }

    #[test]
    fn tcp_goes_to_the_relay() {
        assert_eq!(dial_target("tcp", "127.0.0.1:6379"), relay("127.0.0.1", 6379));
        assert_eq!(dial_target("tcp", "example.com:http"), relay("example.com", 80));
        assert_eq!(dial_target("tcp6", "[::1]:22"), relay("::1", 22));
        // Names are the relay's to resolve, whatever the family.
        assert_eq!(dial_target("tcp4", "example.com:1"), relay("example.com", 1));
        assert_eq!(dial_target("tcp4", "[::ffff:1.2.3.4]:1"), relay("::ffff:1.2.3.4", 1));
        assert_eq!(
            dial_target("ws", "h:1"),
            Ok(Target::WebSocket("ws://h:1/".into()))
        );
    }

    #[test]
    fn tcp_errors_are_go_shaped() {
        let cases = [
            ("tcp", "", "dial tcp: missing address"),
            ("tcp", "example.com", "dial tcp example.com: address example.com: missing port in address"),
            ("tcp", "h:99999", "dial tcp h:99999: address 99999: invalid port"),
            ("tcp", "h:nope", "dial tcp h:nope: lookup tcp/nope: unknown port"),
            ("tcp4", "[::1]:80", "dial tcp4 [::1]:80: address ::1: no suitable address found"),
            ("tcp6", "1.2.3.4:80", "dial tcp6 1.2.3.4:80: address 1.2.3.4: no suitable address found"),
            (
                "tcp",
                ":80",
                "dial tcp :80: no host: an empty host means the local system, which through a relay is the relay's own machine; name the host",
            ),
        ];
        for (net, addr, want) in cases {
            assert_eq!(dial_target(net, addr).unwrap_err().to_string(), want, "{net} {addr}");
        }
    }
}
