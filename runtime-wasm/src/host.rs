//! The host boundary: everything that crosses into the JS tables, in one
//! place (wasm32 only). `bindings` declares every JS function the crate
//! imports (js/net.ts installs them under the same `_net*` names; a vitest
//! test keeps the two lists equal) and turns what JS throws into
//! `net::Error` (`js_error`); `read` is the one read path (try into the
//! destination, else wait for readiness), `wake` the readiness callback a
//! table calls instead of settling a Promise (js/wake.ts), and `pending`
//! waits on a table's Promise cancellably (writes, dials, response heads).

pub(crate) mod bindings;
pub(crate) mod pending;
pub(crate) mod read;
pub(crate) mod wake;
