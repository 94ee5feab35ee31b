//! Go's `net` package for browser WebAssembly.
//!
//! Laid out like Go's own package: `ip` (IP, IPMask, IPNet and their
//! parsers), `hostport` (SplitHostPort/JoinHostPort), `error` (one error type
//! with Go's shapes). The address layer is pure Rust and behaves the same
//! natively and in wasm32; the browser-backed parts (Dial over WebSocket,
//! DNS over HTTPS) build on it.

mod error;
mod hostport;
mod ip;
mod parse;

pub use error::{AddrError, DNSError, Error, OpError, ParseError};
pub use hostport::{join_host_port, split_host_port};
pub use ip::{cidr_mask, ipv4, ipv4_mask, parse_cidr, parse_ip, IPMask, IPNet, IP, IPV4_LEN, IPV6_LEN};
