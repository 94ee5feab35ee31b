// Entry point for pages and workers: loads the wasm module and installs the
// JS bindings it imports. `init()` must run before any Rust net code.
// (The TLS build, with TLS inside the page and `fetch` through the relay,
// is `go-net-wasm/tls`, js/tls.ts: the same, with its own module.)
import * as raw from "../pkg/runtime_wasm.js";
import { createInit } from "./loader.js";

export * from "./net.js";
export { TrapError, type InitOptions } from "./loader.js";

/** Installs the bindings, then instantiates the wasm module (once); trap-guarded exports. */
export const init = createInit(raw);
/** The module's exports, as `init()` gives them (trap-guarded). */
export type Wasm = Awaited<ReturnType<typeof init>>;
