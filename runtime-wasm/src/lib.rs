//! Go-compatible networking for language runtimes compiled to WebAssembly
//! and running in the browser: `net` (addresses, WebSocket-backed `Dial`,
//! DNS over HTTPS) and `http` (Go's net/http client over `fetch`).
//!
//! The pure parts (the address layer, the error model, headers, URLs, name
//! rules) build and test natively; everything that talks to the browser is
//! behind `cfg(target_arch = "wasm32")`.
//!
//! ```
//! use runtime_wasm::net::{parse_cidr, split_host_port};
//!
//! let (host, port) = split_host_port("[::1]:443")?;
//! assert_eq!((host.as_str(), port.as_str()), ("::1", "443"));
//! let (ip, net) = parse_cidr("192.0.2.7/24")?;
//! assert_eq!((ip.to_string(), net.to_string()), ("192.0.2.7".into(), "192.0.2.0/24".into()));
//! # Ok::<(), runtime_wasm::net::Error>(())
//! ```
//!
//! In the browser, after the JS half is installed (feature `js-glue`, or the
//! npm package `go-net-wasm`; see the README):
//!
//! ```no_run
//! # #[cfg(target_arch = "wasm32")]
//! # async fn run() -> Result<(), runtime_wasm::net::Error> {
//! use std::time::Duration;
//! use runtime_wasm::{http, net};
//!
//! let conn = net::dial_timeout("wss", "wss://echo.example/ws", Duration::from_secs(5)).await?;
//! conn.write_all(b"ping").await?;
//! conn.set_read_deadline(Some(net::SystemTime::now() + Duration::from_secs(1)))?;
//! let mut buf = [0u8; 4];
//! let n = conn.read(&mut buf).await?; // a passed deadline is Err(i/o timeout); the Conn stays usable
//!
//! let resp = http::get("https://example.com/").await?;
//! let body = resp.body.bytes().await?;
//! # let _ = (n, body); Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod externs;
pub mod http;
pub mod net;
pub mod task;
#[cfg(all(target_arch = "wasm32", feature = "tls"))]
pub mod tls;

#[cfg(all(target_arch = "wasm32", feature = "js-glue"))]
pub mod glue;
#[cfg(all(target_arch = "wasm32", feature = "js-api"))]
pub mod js_api;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(all(target_arch = "wasm32", feature = "js-api"))]
pub mod trap;
#[cfg(feature = "vo")]
pub mod vo;
