// vo-web/runtime-wasm/src/net.rs (and `pub mod net;` in its lib.rs):
runtime_wasm::vo_provider!();
