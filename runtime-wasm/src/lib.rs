//! Go-compatible networking for language runtimes compiled to WebAssembly
//! and running in the browser: `net` (addresses, WebSocket-backed `Dial`,
//! DNS over HTTPS) and `http` (Go's net/http client over `fetch`).
//!
//! The pure parts (the address layer, the error model, headers, URLs, name
//! rules) build and test natively; everything that talks to the browser is
//! behind `cfg(target_arch = "wasm32")`.
#![warn(missing_docs)]

pub mod externs;
pub mod http;
pub mod net;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(all(target_arch = "wasm32", feature = "js-glue"))]
pub mod glue;
#[cfg(target_arch = "wasm32")]
pub mod js_api;
#[cfg(target_arch = "wasm32")]
mod pending;
#[cfg(target_arch = "wasm32")]
mod read;
#[cfg(target_arch = "wasm32")]
pub mod trap;
