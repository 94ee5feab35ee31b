// The JS half of the `net` bindings. Rust (runtime-wasm/src/host/bindings.rs)
// imports functions named `_net*` from the global scope;
// `registerNetBindings()` installs them on `globalThis`, so the same code
// works in a Window and in a Worker. Each concern has its own module:
// conn.ts (the Conn table), ws.ts (its WebSocket transports), dns.ts (DNS over HTTPS), http.ts (the
// fetch-backed HTTP client), relay.ts (TCP/UDP through a relay), wake.ts
// (how a table wakes a waiting read in wasm), errors.ts (the error shape).
import { createDnsBindings, DNS_DEFAULTS, type DnsOptions } from "./dns.js";
import { createHttpBindings, HTTP_DEFAULTS, validateHttp, type HttpOptions } from "./http.js";
import { createConnBindings } from "./conn.js";
import { createWsBindings, WS_DEFAULTS, type WsOptions } from "./ws.js";
import { createRelayBindings, RELAY_DEFAULTS, validateRelay, type RelayOptions } from "./relay.js";
import { createGate, validatePolicy, type NetPolicy } from "./policy.js";
import { setWaker } from "./wake.js";

export * from "./errors.js";
export { DNS_DEFAULTS, type DnsOptions, type DnsOverrides, type DnsStats } from "./dns.js";
export { HTTP_DEFAULTS, type HttpOptions } from "./http.js";
export { createGate, DENIED, lookupDenial, policyDenial, type Gate, type NetPolicy } from "./policy.js";
export { READ_LIMIT_CLOSE_CODE, WS_DEFAULTS, type WsOptions } from "./ws.js";
export { RELAY_DEFAULTS, type RelayOptions } from "./relay.js";

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
  /** The TCP/UDP relay (js/relay.ts); none by default. */
  relay?: Partial<RelayOptions>;
}

interface Options {
  ws: WsOptions;
  dns: DnsOptions;
  http: HttpOptions;
  policy: NetPolicy;
  relay: RelayOptions;
}

let options: Options = {
  ws: { ...WS_DEFAULTS },
  dns: { ...DNS_DEFAULTS },
  http: { ...HTTP_DEFAULTS },
  policy: {},
  relay: { ...RELAY_DEFAULTS },
};

/** Current options, as the bindings see them. */
export function netOptions(): Readonly<Options> {
  return options;
}

/**
 * The policy as every table sees it (js/policy.ts). Everything that opens a
 * socket or sends a request counts against `maxConnections`: WebSocket
 * Conns until the browser has closed them, relay streams (TCP and UDP)
 * until they are closed, HTTP requests in flight, and the short-lived
 * requests held through `hold` (DoH queries, failure probes).
 */
const gate = createGate(
  () => options.policy,
  () => Number(conns.connSockets()) + Number(relays.udpStreams()) + Number(bindings._netHttpCount()),
);

const trapListeners = new Set<(message: string) => void>();
let panicMessage = "";

/** The message of the last panic (set before the trap it causes). */
export function lastNetPanic(): string {
  return panicMessage;
}

/**
 * Calls `listener` with the panic message when the wasm module traps (it
 * is then re-instantiated on its next call; see runtime-wasm/src/trap.rs).
 * js/index.ts uses this to fail what was pending on the old instance.
 * Returns a function that removes the listener.
 */
export function onNetTrap(listener: (message: string) => void): () => void {
  trapListeners.add(listener);
  return () => void trapListeners.delete(listener);
}

// Each table's bindings: the `_net*` functions Rust imports, and a few of
// the host's own (resets after a trap, counts) under other names.
const { addConn, resetConns, connSockets, connQueueCost, ...connBindings } = createConnBindings(() => options.ws);
const conns = { resetConns, connSockets, connQueueCost };
const { resetPacketConns, udpStreams, ...relayBindings } = createRelayBindings(() => options.relay, () => options.ws, addConn, gate);
const relays = { resetPacketConns, udpStreams };
const { resetRequests, ...httpBindings } = createHttpBindings(() => options.http, gate);

/**
 * The bindings Rust imports (runtime-wasm/src/host/bindings.rs, the one list on
 * that side; a test keeps the two equal), one table shared by every caller.
 */
const bindings = {
  ...connBindings,
  ...createWsBindings(addConn, () => options.ws, gate),
  ...relayBindings,
  ...createDnsBindings(() => options.dns, gate),
  ...httpBindings,
  /** Registers a wasm instance's wake callback (js/wake.ts); returns its id. */
  _netSetWaker: setWaker,
  /** A panic is about to trap: the handles of this instance die with it. */
  _netPanic(message: string): void {
    panicMessage = message;
    // Listeners now (they fail what the dying instance owed, before any
    // later call can add to it); the tables once the trap has unwound.
    for (const f of trapListeners) f(message);
    queueMicrotask(() => {
      resetConns((h) => othersOwn.conns.has(h));
      resetPacketConns((h) => othersOwn.udp.has(h));
      resetRequests();
    });
  },
  /** The relay from Rust (`net::set_relay`): merged like registerNetBindings({relay}). */
  _netRelayConfigure(relay: Partial<RelayOptions>): void {
    validateRelay({ ...options.relay, ...relay });
    options = { ...options, relay: { ...options.relay, ...relay } };
  },
};

/**
 * Conns and PacketConns the page's other guests hold (a wasip1 program
 * through js/wasi.ts): a crate instance's trap disposes its own handles,
 * never these, so a guest suspended in a read is not left waiting forever.
 */
const othersOwn = { conns: new Set<number>(), udp: new Set<number>() };

/** The same table, for the page's other guests (js/wasi.ts drives it for wasip1 programs). */
export const netBindings: NetBindings = {
  ...bindings,
  _netConnDialRelay(network: string, host: string, port: number, timeoutMs: number, speakFirst = false): number {
    const h = bindings._netConnDialRelay(network, host, port, timeoutMs, speakFirst);
    othersOwn.conns.add(h);
    return h;
  },
  _netConnRelease(h: number): void {
    othersOwn.conns.delete(h);
    bindings._netConnRelease(h);
  },
  _netUdpListen(network: string): number {
    const h = bindings._netUdpListen(network);
    othersOwn.udp.add(h);
    return h;
  },
  _netUdpClose(h: number): void {
    othersOwn.udp.delete(h);
    bindings._netUdpClose(h);
  },
};

/** The host's view of the tables (not the guest's): for benchmarks and diagnostics. */
export const netHost = {
  /** Sockets, relay streams and requests the policy counts now. */
  counted: (): number => Number(connSockets()) + Number(udpStreams()) + Number(bindings._netHttpCount()),
  /** A Conn's receive queue cost (bytes + MESSAGE_COST per chunk). */
  connQueueCost,
};

/** The `_net*` table `registerNetBindings` installs on `globalThis` (what the crate imports). */
export type NetBindings = typeof bindings;

/**
 * Installs the `_net*` functions on `globalThis` (idempotent: a later call
 * only merges new options; connections already open keep theirs).
 * Returns the names installed. Throws a TypeError for an invalid policy.
 */
export function registerNetBindings(opts: NetOptions = {}): string[] {
  if (opts.policy) validatePolicy(opts.policy); // a pattern that could never match is a mistake, said at once
  if (opts.relay) validateRelay({ ...options.relay, ...opts.relay });
  if (opts.http) validateHttp(opts.http);
  options = {
    ws: { ...options.ws, ...opts.ws },
    dns: { ...options.dns, ...opts.dns },
    http: { ...options.http, ...opts.http },
    policy: opts.policy ?? options.policy,
    relay: { ...options.relay, ...opts.relay },
  };
  const g = globalThis as Record<string, unknown>;
  for (const [name, fn] of Object.entries(bindings)) g[name] = fn;
  return Object.keys(bindings);
}
