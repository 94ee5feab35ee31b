//! Which networks a browser can dial, and the WebSocket URL for an address.
//! Pure, so the Go-shaped errors are tested natively too.

use super::error::Error;
use super::hostport::split_host_port;

/// Networks Go knows that a browser cannot open: each gets an error saying
/// so and naming ws/wss as the way.
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
    let addr = (!address.is_empty()).then_some(address);
    Error::op(
        op,
        network,
        addr,
        Error::unsupported(format!(
            "{what} sockets are not available in browser WebAssembly; dial network \"ws\" or \"wss\" with a WebSocket URL instead"
        )),
    )
}

/// Checks `network` and turns `address` into the URL to open: a full
/// `ws://` / `wss://` URL whose scheme matches the network, or a bare
/// `host:port` (which becomes `network://host:port/`). Errors are Go's
/// `OpError{Op: "dial"}`.
pub fn dial_url(network: &str, address: &str) -> Result<String, Error> {
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
                "dial tcp example.com:80: tcp sockets are not available in browser WebAssembly; dial network \"ws\" or \"wss\" with a WebSocket URL instead",
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
            dial_url("sctp", "h:1").unwrap_err().root().code(),
            "unknown_network"
        );
    }
}
