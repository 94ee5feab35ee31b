// The JS half of the `net` bindings. Rust (runtime-wasm/src/bindings.rs)
// imports functions named `_net*` from the global scope;
// `registerNetBindings()` installs them on `globalThis`, so the same code
// works in a Window and in a Worker. Each concern has its own module:
// ws.ts (the WebSocket Conn table), dns.ts (DNS over HTTPS), http.ts (the
// fetch-backed HTTP client), errors.ts (the error shape).
import { createDnsBindings, DNS_DEFAULTS, type DnsOptions } from "./dns.js";
import { createHttpBindings, HTTP_DEFAULTS, type HttpOptions } from "./http.js";
import { createWsBindings, WS_DEFAULTS, type WsOptions } from "./ws.js";
import { deniedError, policyDenial, type NetPolicy } from "./policy.js";

export * from "./errors.js";
export { DNS_DEFAULTS, type DnsOptions, type DnsOverrides, type DnsStats } from "./dns.js";
export { HTTP_DEFAULTS, type HttpOptions } from "./http.js";
export { DENIED, policyDenial, type NetPolicy } from "./policy.js";
export { READ_LIMIT_CLOSE_CODE, WS_DEFAULTS, type WsOptions } from "./ws.js";

/** Everything `registerNetBindings` accepts; every field is optional. */
export interface NetOptions {
  /** WebSocket Conn limits (see ws.ts and the README). */
  ws?: Partial<WsOptions>;
  /** DNS-over-HTTPS servers, format, timeouts and cache (see dns.ts). */
  dns?: Partial<DnsOptions>;
  /** HTTP client: streamed uploads, failure probing (see http.ts). */
  http?: Partial<HttpOptions>;
  /** What the guest may reach (js/policy.ts); replaces the previous policy. */
  policy?: NetPolicy;
}

interface Options {
  ws: WsOptions;
  dns: DnsOptions;
  http: HttpOptions;
  policy: NetPolicy;
}

let options: Options = { ws: { ...WS_DEFAULTS }, dns: { ...DNS_DEFAULTS }, http: { ...HTTP_DEFAULTS }, policy: {} };

/** Current options, as the bindings see them. */
export function netOptions(): Readonly<Options> {
  return options;
}

/** The policy check every table runs before opening anything. Open
 *  connections count WebSocket Conns and HTTP requests in flight; DoH
 *  queries are checked by URL but not counted. */
function gate(counted: boolean) {
  return (url: string) => {
    const open = counted ? Number(bindings._netWsCount()) + Number(bindings._netHttpCount()) : 0;
    const why = policyDenial(options.policy, url, open);
    return why ? deniedError(why) : undefined;
  };
}

/** The bindings Rust imports; one table shared by every caller. */
const bindings: Record<string, Function> = {
  ...createWsBindings(() => options.ws, gate(true)),
  ...createDnsBindings(() => options.dns, gate(false)),
  ...createHttpBindings(() => options.http, gate(true)),
};

/**
 * Installs the `_net*` functions on `globalThis` (idempotent: a later call
 * only merges new options; connections already open keep theirs).
 * Returns the names installed.
 */
export function registerNetBindings(opts: NetOptions = {}): string[] {
  options = {
    ws: { ...options.ws, ...opts.ws },
    dns: { ...options.dns, ...opts.dns },
    http: { ...options.http, ...opts.http },
    policy: opts.policy ?? options.policy,
  };
  const g = globalThis as Record<string, unknown>;
  for (const [name, fn] of Object.entries(bindings)) g[name] = fn;
  return Object.keys(bindings);
}
