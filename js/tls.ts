// Entry point of the TLS build (`go-net-wasm/tls`): the same as the default
// one (js/index.ts), with a module built with the crate's feature `tls`:
// TLS inside the page, and HTTP the crate sends itself through the relay
// for the hosts the page names (`http.relayHosts`), so a host that sends no
// CORS headers answers. `fetch` is a fetch-like function over it.
//
//   import { init, fetch } from "go-net-wasm/tls";
//   await init({ relay: { url: "wss://relay.example/" }, http: { relayHosts: ["api.example.com"] } });
//   const r = await fetch("https://api.example.com/v1/items");
//
// Use one of the two builds in a page, not both: they share the bindings.
import * as raw from "../pkg-tls/runtime_wasm.js";
import { fetchVia } from "./fetch.js";
import { createInit } from "./loader.js";

export * from "./net.js";
export { TrapError, type InitOptions } from "./loader.js";
export { fetchVia, type ExternCaller } from "./fetch.js";

/** Installs the bindings, then instantiates the TLS build's module (once); trap-guarded exports. */
export const init = createInit(raw);
/** The module's exports, as `init()` gives them (trap-guarded). */
export type Wasm = Awaited<ReturnType<typeof init>>;

/**
 * `fetch(input, init)` through this build's HTTP client: the hosts in
 * `http.relayHosts` through the relay with TLS inside the page, the rest
 * through the browser's fetch; the page's policy decides every
 * destination, each redirect hop too. Call `init()` first.
 */
export async function fetch(input: string | URL | Request, options?: RequestInit): Promise<Response> {
  return fetchVia(await init(), input, options);
}
