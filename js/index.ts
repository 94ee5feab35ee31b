// Entry point for pages and workers: loads the wasm module and installs the
// JS bindings it imports. `init()` must run before any Rust net code.
import initWasm, * as wasm from "../pkg/runtime_wasm.js";
import { registerNetBindings, type NetOptions } from "./net.js";

export * from "./net.js";
export { wasm };

export interface InitOptions extends NetOptions {
  /** Where the .wasm is: a URL, a Response, bytes or a compiled module. */
  wasm?: string | URL | Response | BufferSource | WebAssembly.Module;
}

let ready: Promise<typeof wasm> | undefined;

/** Installs the bindings, then instantiates the wasm module (once). */
export function init(opts: InitOptions = {}): Promise<typeof wasm> {
  const { wasm: source, ...netOpts } = opts;
  // Bindings first: the module may call them as soon as it starts.
  registerNetBindings(netOpts);
  ready ??= initWasm(source === undefined ? undefined : { module_or_path: source }).then(() => wasm);
  return ready;
}
