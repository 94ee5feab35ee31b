//! The JS half, shipped inside the crate (feature `js-glue`), for Rust
//! users who do not take it from npm.
//!
//! `glue/net-bindings.js` is js/net.ts bundled by esbuild (with its one
//! dependency, @dnsquery/dns-packet, MIT) and committed, so a crate
//! dependency is enough: wasm-bindgen copies it next to its own JS as a
//! snippet and this module imports it. The test command rebuilds it and
//! fails if the committed copy differs. Use it *or* the npm package's
//! `go-net-wasm/bindings` in one page or worker, never both: each is a
//! separate table of Conns and requests, and the last to register wins the
//! `_net*` globals.

use wasm_bindgen::prelude::*;

use crate::net::Error;

#[wasm_bindgen(module = "/glue/net-bindings.js")]
extern "C" {
    #[wasm_bindgen(js_name = registerNetBindings, catch)]
    fn register_net_bindings_js(options: &JsValue) -> Result<JsValue, JsValue>;
}

/// Installs the `_net*` functions the crate imports (JS's
/// `registerNetBindings`), from the JS bundled in this crate. Call it once
/// before any other call into the crate; a later call only merges new
/// options. `options` is `registerNetBindings`'s object (`{policy, ws, dns,
/// http, relay}`, see the README) or `JsValue::UNDEFINED` for the defaults.
/// Returns the names installed; an invalid option is an
/// [`Error::Other`] that says which.
///
/// ```no_run
/// # async fn run() -> Result<(), runtime_wasm::net::Error> {
/// use wasm_bindgen::JsValue;
/// runtime_wasm::glue::register_net_bindings(&JsValue::UNDEFINED)?;
/// let addrs = runtime_wasm::net::lookup_host("example.com").await?;
/// # Ok(()) }
/// ```
pub fn register_net_bindings(options: &JsValue) -> Result<Vec<String>, Error> {
    let names = register_net_bindings_js(options).map_err(crate::host::bindings::js_error)?;
    Ok(js_sys::Array::from(&names)
        .iter()
        .filter_map(|v| v.as_string())
        .collect())
}
