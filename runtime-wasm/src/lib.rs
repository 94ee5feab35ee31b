//! Go-compatible networking for language runtimes compiled to WebAssembly
//! and running in the browser: `net` (addresses, WebSocket-backed `Dial`,
//! DNS over HTTPS) and, later, `net/http` over `fetch`.
//!
//! The pure parts (the `net` address layer and the error model) build and
//! test natively; everything that talks to the browser is behind
//! `cfg(target_arch = "wasm32")`.

pub mod net;

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
pub mod js_api;
