//! Go's `net` package for browser WebAssembly.
//!
//! Laid out like Go's own package: `ip` (IP, IPMask, IPNet and their
//! parsers), `hostport` (SplitHostPort/JoinHostPort), `error` (one error type
//! with Go's shapes), `dial` (which networks a browser can dial) and, in
//! wasm32, `conn` (Dial over WebSocket or the host's relay), `udp`
//! (ListenPacket through the relay), `relay` (its configuration), `lookup` (Go's Resolver over
//! DNS-over-HTTPS, with `dnsclient` and `port` holding Go's name and
//! service rules). The address layer is pure Rust and behaves the same
//! natively and in wasm32; the browser-backed parts (Dial over WebSocket,
//! DNS over HTTPS) build on it.

#[cfg(target_arch = "wasm32")]
mod conn;
mod dial;
mod dnsclient;
mod error;
mod externs;
mod hostport;
mod ip;
mod listen;
mod lookup;
#[cfg(not(target_arch = "wasm32"))]
mod native;
mod parse;
mod port;
#[cfg(target_arch = "wasm32")]
mod relay;
mod sockaddr;
#[cfg(target_arch = "wasm32")]
mod udp;

#[cfg(target_arch = "wasm32")]
pub use conn::{dial, dial_timeout, open_conn_count, Addr, Conn, Dialer, SystemTime, WsAddr};
#[cfg(all(target_arch = "wasm32", feature = "tls"))]
pub(crate) use conn::dial_error;
pub use dial::{dial_target, dial_url, Target};
pub use error::{AddrError, DNSError, Error, OpError, ParseError, UrlError, NET_SENTINELS};
pub use externs::{extern_conn_count, register_externs, EXTERNS};
#[cfg(not(target_arch = "wasm32"))]
pub use native::SystemTime;
pub use hostport::{join_host_port, split_host_port};
pub use ip::{
    cidr_mask, ipv4, ipv4_mask, parse_cidr, parse_ip, IPMask, IPNet, IP, IPV4_LEN, IPV6_LEN,
};
pub use listen::{listen, Listener};
#[cfg(not(target_arch = "wasm32"))]
pub use listen::{listen_packet, PacketConn};
#[cfg(target_arch = "wasm32")]
pub use relay::{relay_stats, set_relay, Relay, RelayProtocol, RelayStats};
#[cfg(target_arch = "wasm32")]
pub use udp::{listen_packet, open_packet_conn_count, PacketConn};
pub use lookup::{
    default_resolver, dns_clear_cache, dns_stats, lookup_addr, lookup_host, lookup_ip, lookup_port,
    set_default_resolver, DnsStats, DohFormat, Resolver,
};
pub use sockaddr::{
    resolve_tcp_addr, resolve_udp_addr, resolve_unix_addr, IPEndpoint, TCPAddr, UDPAddr, UnixAddr,
};
