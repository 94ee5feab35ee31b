//! Go's `Listen` and `ListenPacket`. A page cannot accept connections or
//! receive datagrams, so both always fail with Go's `OpError{Op: "listen"}`
//! saying so; `Listener` and `PacketConn` have no values (an `Ok` cannot be
//! built), so code written against them compiles and fails clearly.

use super::dial::{is_socket_network, unsupported_network};
use super::error::Error;

/// Go's `net.Listener`. No value exists in a browser.
#[derive(Debug)]
pub enum Listener {}

/// Go's `net.PacketConn`. No value exists in a browser.
#[derive(Debug)]
pub enum PacketConn {}

fn listen_error(network: &str, address: &str) -> Error {
    if is_socket_network(network) {
        return unsupported_network("listen", network, address);
    }
    if network == "ws" || network == "wss" {
        let addr = (!address.is_empty()).then_some(address);
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

/// Go's `net.ListenPacket`: always an error in a browser.
pub fn listen_packet(network: &str, address: &str) -> Result<PacketConn, Error> {
    Err(listen_error(network, address))
}
