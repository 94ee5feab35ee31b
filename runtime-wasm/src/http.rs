//! Go's `net/http` client for browser WebAssembly, over `fetch`.
//!
//! Laid out like Go's package: `header` (Header, CanonicalHeaderKey),
//! `request` (Request, NewRequest, request bodies and cookies), `url` (the
//! part of net/url a client needs: Parse, Values), `status` (StatusText),
//! `context` (cancellation and deadlines), `server` (every serving entry
//! point, which fails: a page cannot accept connections) and, in wasm32,
//! `client` (Client, Transport, Response and the streamed body). The
//! request table behind `client` is js/http.ts.

#[cfg(target_arch = "wasm32")]
mod client;
mod context;
mod externs;
#[cfg(not(target_arch = "wasm32"))]
mod native;
mod header;
#[cfg(all(target_arch = "wasm32", feature = "tls"))]
mod relay;
mod request;
mod server;
mod status;
pub mod url;

#[cfg(target_arch = "wasm32")]
pub use client::{
    get, head, open_request_count, post, post_form, Client, Response, ResponseBody, Route, Transport,
};
#[cfg(all(target_arch = "wasm32", feature = "tls"))]
pub use relay::{close_pooled_connections, pooled_connection_count};
pub use context::Context;
pub use externs::{extern_request_count, register_externs, ADDITIONS, EXTERNS};
pub use header::{canonical_header_key, parse_header_lines, Header};
pub use request::{new_request, Body, Cookie, Request};
pub use server::{listen_and_serve, listen_and_serve_tls, serve, ServeMux, Server};
pub use status::status_text;
pub use url::{Url, Values};
