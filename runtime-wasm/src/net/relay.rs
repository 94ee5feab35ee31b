//! The TCP/UDP relay from Rust: what `registerNetBindings({relay})` sets
//! from JS (js/relay.ts has the protocol and its choices; the README's
//! "Relay" section the deployment).

use serde::Serialize;

use super::error::Error;
use crate::host::bindings as js;

/// How the relay carries connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RelayProtocol {
    /// Wisp v1/v2: every TCP and UDP stream over one WebSocket.
    Wisp,
    /// One WebSocket per TCP connection to `url` + `host:port`; no UDP.
    Wsproxy,
}

/// The relay a page's `Dial("tcp")` and `ListenPacket("udp")` go through.
/// Unset fields keep the host's values.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Relay {
    /// `ws://` or `wss://`; a Wisp endpoint ends with "/". "" turns the relay off.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// How the relay carries streams (unset: `Wisp`).
    pub protocol: Option<RelayProtocol>,
    /// Offer Wisp v2 (2, the default) or speak v1 only (1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<u8>,
    /// Wisp v2 password authentication, when the relay asks for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The Wisp password extension's password, sent with `username` when the relay asks.
    pub password: Option<String>,
    /// How long a new stream waits for the relay's word before it counts as
    /// open (Wisp has no connect acknowledgement), in ms.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_wait_ms: Option<f64>,
}

/// Sets the relay (merged into the host's configuration, as
/// `registerNetBindings({relay})` does). An invalid one is an error and
/// changes nothing. Connections already open keep theirs.
pub fn set_relay(relay: &Relay) -> Result<(), Error> {
    let v = serde_wasm_bindgen::to_value(relay).map_err(|e| Error::other(e.to_string()))?;
    js::relay_configure(&v)
}

/// The relay client's counters (js/relay.ts `_netRelayStats`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RelayStats {
    /// Packets dropped as malformed or unexpected.
    pub malformed: u64,
    /// Packets for streams not open.
    pub unknown_stream: u64,
    /// Relay sockets opened so far.
    pub sockets: u64,
    /// The Wisp version of the current socket (0 before a handshake).
    pub version: u8,
    /// Streams open on the current socket.
    pub streams: u64,
    /// Datagrams dropped at a PacketConn's receive bound.
    pub udp_dropped: u64,
}

/// The relay client's counters.
pub fn relay_stats() -> Result<RelayStats, Error> {
    let v = js::relay_stats()?;
    serde_wasm_bindgen::from_value(v).map_err(|e| Error::other(e.to_string()))
}
