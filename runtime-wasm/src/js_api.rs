//! The functions a JS host calls directly (wasm-bindgen exports). Results
//! and errors cross as plain objects: `{ok: true, ...}` or
//! `{ok: false, error: {code, ...}}`, where `error` is the serde form of
//! `net::Error` (see `js/net.ts`'s `NetError`).

use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::net::{self, Error};

fn to_js<T: Serialize>(v: &T) -> JsValue {
    // Plain objects, not JS `Map`s: `#[serde(flatten)]` serializes through a
    // map, which serde-wasm-bindgen would otherwise turn into a `Map`. Only
    // plain structs and strings pass through here; should serialization still
    // fail, JS receives the message as a string instead of a panic.
    let ser = serde_wasm_bindgen::Serializer::new().serialize_maps_as_objects(true);
    v.serialize(&ser)
        .unwrap_or_else(|e| JsValue::from_str(&e.to_string()))
}

#[derive(Serialize)]
struct Outcome<T: Serialize> {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorView>,
}

/// An error as JS sees it: the serde form plus Go's message and predicates.
#[derive(Serialize)]
struct ErrorView {
    #[serde(flatten)]
    error: Error,
    message: String,
    timeout: bool,
}

fn outcome<T: Serialize>(r: Result<T, Error>) -> JsValue {
    match r {
        Ok(v) => to_js(&Outcome {
            ok: true,
            value: Some(v),
            error: None,
        }),
        Err(e) => to_js(&Outcome::<T> {
            ok: false,
            value: None,
            error: Some(ErrorView {
                message: e.to_string(),
                timeout: e.is_timeout(),
                error: e,
            }),
        }),
    }
}

/// `net.ParseIP(s).String()`, or `null` when `s` is not an IP address.
#[wasm_bindgen(js_name = parseIP)]
pub fn parse_ip(s: &str) -> Option<String> {
    net::parse_ip(s).map(|ip| ip.to_string())
}

/// `net.ParseCIDR(s)` as `{ok, value: {ip, net}}` or `{ok: false, error}`.
#[wasm_bindgen(js_name = parseCIDR)]
pub fn parse_cidr(s: &str) -> JsValue {
    #[derive(Serialize)]
    struct Cidr {
        ip: String,
        net: String,
    }
    outcome(net::parse_cidr(s).map(|(ip, n)| Cidr {
        ip: ip.to_string(),
        net: n.to_string(),
    }))
}

/// `net.SplitHostPort(s)` as `{ok, value: [host, port]}` or `{ok: false, error}`.
#[wasm_bindgen(js_name = splitHostPort)]
pub fn split_host_port(s: &str) -> JsValue {
    outcome(net::split_host_port(s))
}

#[wasm_bindgen(js_name = joinHostPort)]
pub fn join_host_port(host: &str, port: &str) -> String {
    net::join_host_port(host, port)
}

/// Reads an error object made in JS (`{code: "timeout"}`, ...) the way Rust
/// code will read errors returned by the `_net*` bindings, and returns its Go
/// message; an object that is not a valid error gives a message saying so.
#[wasm_bindgen(js_name = errorMessage)]
pub fn error_message(err: JsValue) -> String {
    match serde_wasm_bindgen::from_value::<Error>(err) {
        Ok(e) => e.to_string(),
        Err(e) => format!("invalid net error object: {e}"),
    }
}

/// The error codes Rust knows, for the JS side to check its own list against.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    Error::CODES.iter().map(|c| c.to_string()).collect()
}
