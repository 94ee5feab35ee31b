//! Go's `Listen` and `ListenPacket`. A page cannot accept connections, so
//! `Listen` always fails with Go's `OpError{Op: "listen"}` saying so.
//! `ListenPacket("udp")` works through the host's relay (in wasm32, see
//! `udp.rs`); here are the checks both targets share, and natively the
//! error (no relay can exist outside a page).

use super::dial::{is_socket_network, unsupported_network};
use super::error::Error;
use super::hostport::split_host_port;
use super::port::lookup_port;

/// Go's `net.Listener`. No value exists in a browser.
#[derive(Debug)]
pub enum Listener {}

/// Go's `net.PacketConn` outside a page: no value exists.
#[cfg(not(target_arch = "wasm32"))]
#[derive(Debug)]
pub enum PacketConn {}

fn listen_error(network: &str, address: &str) -> Error {
    let addr = (!address.is_empty()).then_some(address);
    if matches!(network, "tcp" | "tcp4" | "tcp6") {
        return Error::op(
            "listen",
            network,
            addr,
            Error::unsupported(
                "a page cannot accept connections in browser WebAssembly; Dial the server instead (tcp goes through the host's relay)",
            ),
        );
    }
    if is_socket_network(network) {
        return unsupported_network("listen", network, address);
    }
    if network == "ws" || network == "wss" {
        return Error::op(
            "listen",
            network,
            addr,
            Error::unsupported(
                "a page cannot accept WebSocket connections in browser WebAssembly; run the server elsewhere and Dial it",
            ),
        );
    }
    Error::op(
        "listen",
        network,
        None,
        Error::UnknownNetwork {
            net: network.into(),
        },
    )
}

/// Go's `net.Listen`: always an error in a browser.
pub fn listen(network: &str, address: &str) -> Result<Listener, Error> {
    Err(listen_error(network, address))
}

/// Checks a `ListenPacket` call: Ok for "udp", "udp4", "udp6" with a valid
/// local address (which the relay does not use: its sockets are its own),
/// else Go's error.
pub(crate) fn check_listen_packet(network: &str, address: &str) -> Result<(), Error> {
    if !matches!(network, "udp" | "udp4" | "udp6") {
        return Err(listen_error(network, address));
    }
    let fail = |e: Error| Error::op("listen", network, Some(address), e);
    if address.is_empty() {
        return Ok(()); // Go: any address, a free port
    }
    let (_, port) = split_host_port(address).map_err(fail)?;
    lookup_port(network, &port).map_err(fail)?;
    Ok(())
}

/// Go's `net.ListenPacket` outside a page: the checks, then an error.
#[cfg(not(target_arch = "wasm32"))]
pub fn listen_packet(network: &str, address: &str) -> Result<PacketConn, Error> {
    check_listen_packet(network, address)?;
    Err(unsupported_network("listen", network, address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_packet_checks() {
        assert!(check_listen_packet("udp", ":0").is_ok());
        assert!(check_listen_packet("udp4", "0.0.0.0:53").is_ok());
        assert!(check_listen_packet("udp", "").is_ok());
        assert_eq!(
            check_listen_packet("udp", "nope").unwrap_err().to_string(),
            "listen udp nope: address nope: missing port in address"
        );
        assert_eq!(
            check_listen_packet("tcp", ":80").unwrap_err().to_string(),
            "listen tcp :80: a page cannot accept connections in browser WebAssembly; Dial the server instead (tcp goes through the host's relay)"
        );
        assert_eq!(
            check_listen_packet("udp", ":x").unwrap_err().to_string(),
            "listen udp :x: lookup udp/x: unknown port"
        );
    }
}
