// The JS half of the `net` bindings. Rust (runtime-wasm) imports functions
// named `_net*` from the global scope; `registerNetBindings()` installs them
// on `globalThis`, so the same code works in a Window and in a Worker.
//
// Errors cross the boundary as plain objects tagged with `code`: the serde
// form of Rust's `net::Error`. The codes below must match `Error::CODES` in
// runtime-wasm/src/net/error.rs (a vitest suite checks this against the
// compiled wasm).

export const NET_ERROR_CODES = [
  "op",
  "dns",
  "addr",
  "parse",
  "unknown_network",
  "closed",
  "timeout",
  "canceled",
  "unsupported",
  "eof",
  "other",
] as const;

export type NetErrorCode = (typeof NET_ERROR_CODES)[number];

/** Go's error shapes, as Rust's `net::Error` serializes them. */
export type NetError =
  | { code: "op"; op: string; net?: string; source?: string; addr?: string; err: NetError }
  | {
      code: "dns";
      err: string;
      name: string;
      server?: string;
      is_timeout?: boolean;
      is_temporary?: boolean;
      is_not_found?: boolean;
    }
  | { code: "addr"; err: string; addr?: string }
  | { code: "parse"; type: string; text: string }
  | { code: "unknown_network"; net: string }
  | { code: "closed" | "timeout" | "canceled" | "eof" }
  | { code: "unsupported" | "other"; message: string };

/** Go's `OpError` around `err`, e.g. `dial wss wss://h/: <err>`. */
export function opError(op: string, net: string, addr: string | undefined, err: NetError): NetError {
  return addr === undefined ? { code: "op", op, net, err } : { code: "op", op, net, addr, err };
}

/** Configuration shared by the bindings (filled in by later features). */
export interface NetOptions {
  [key: string]: unknown;
}

/** The bindings Rust imports. Each feature module adds its functions here. */
const bindings: Record<string, (...args: never[]) => unknown> = {};

let options: NetOptions = {};

/** Current options, for the binding implementations. */
export function netOptions(): Readonly<NetOptions> {
  return options;
}

/**
 * Installs the `_net*` functions on `globalThis` (idempotent: a second call
 * only updates the options). Returns the names installed.
 */
export function registerNetBindings(opts: NetOptions = {}): string[] {
  options = { ...options, ...opts };
  const g = globalThis as Record<string, unknown>;
  for (const [name, fn] of Object.entries(bindings)) g[name] = fn;
  return Object.keys(bindings);
}
