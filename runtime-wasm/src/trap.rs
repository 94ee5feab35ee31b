//! Trap recovery. With `panic = "abort"` (the only choice for stable
//! wasm32) a panic is a wasm trap: the call that hit it never returns, and
//! the instance is left with a dangling stack pointer and half-updated
//! tables, so a few hundred traps later nothing works. Every input is meant
//! to be panic-free (property tests and a fuzz target check the parsers);
//! this is the net under that promise. The panic hook tells JS the message
//! (`_netPanic`, so js/index.ts can fail everything pending on the old
//! instance with it) and schedules wasm-bindgen's reinit: the next call
//! into the module runs on a fresh instance of the same module.
//!
//! Installed by js/index.ts (not at start-up: the wasm-bindgen-test
//! harness must keep its instance across a failing test).

use std::sync::Once;

use wasm_bindgen::prelude::*;

use crate::host::bindings;

static INSTALL: Once = Once::new();

/// Installs the trap-recovery panic hook (idempotent; js/index.ts calls it
/// after instantiating, and again after each reinit).
#[wasm_bindgen(js_name = installTrapRecovery)]
pub fn install_trap_recovery() {
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let _ = bindings::net_panic(&info.to_string());
            wasm_bindgen::handler::schedule_reinit();
            previous(info);
        }));
    });
}

/// Panics on purpose with `message`: how the tests check that a trap
/// leaves the module usable. Only in builds with the `debug-panic` feature
/// (the vitest suite's wasm), never in a shipped one.
#[cfg(feature = "debug-panic")]
#[doc(hidden)]
#[wasm_bindgen(js_name = debugPanic)]
pub fn debug_panic(message: &str) {
    panic!("{message}");
}
