// TCP and UDP for the guest through a relay the host configures
// (`registerNetBindings({relay})`, or `net::set_relay` from Rust):
//
// - "wisp" (default): one WebSocket to the relay, shared by every stream
//   (js/wisp.ts). `Dial("tcp")` opens a Wisp TCP stream behind the Conn
//   table (js/conn.ts), so deadlines, the receive bound, Close and
//   cancellation are the ones every Conn has. `ListenPacket("udp")` gives a
//   PacketConn (below) with one Wisp UDP stream per destination.
// - "wsproxy": one WebSocket per TCP connection to `${url}host:port` (the
//   convention of websockify and v86); TCP only.
//
// The policy (js/policy.ts) applies to every stream's destination, as the
// URL `tcp://host:port` or `udp://host:port` (so a policy listing schemes
// must list "tcp"/"udp"), and each stream counts against maxConnections.
// The relay socket itself is the host's choice: not checked, not counted.
// The host is normalized as the URL parser does (IDNA, case, IPv4 forms)
// and the relay is asked for exactly the host that was checked.
//
// The PacketConn table follows the Conn table's conventions: a stale
// handle throws `{code: "closed"}`; `_netUdpReadFrom(h, dest)` copies one
// datagram into dest and returns `[n, from]`, or -1 when none is queued
// (wait with `_netUdpReady(h, token)`, woken through js/wake.ts);
// `_netUdpForget(h, key)` drops a waiter (a Ready token, a write's Promise);
// `_netUdpRelease` frees a handle settling nothing.
import { CLOSED, other, TIMEOUT, type NetError } from "./errors.js";
import { MESSAGE_COST } from "./conn.js";
import type { Dialer } from "./transport.js";
import { MAX_TIMER_MS, Poller, waiter, Waiting, type Waiter } from "./waiting.js";
import { destinationHost, OPEN_GATE, type Gate } from "./policy.js";
import { HandleTable } from "./table.js";
import { wakeAll } from "./wake.js";
import { constructorError, createWsTransport, type WsOptions } from "./ws.js";
import { closeReasonError, muxKey, REASON, STREAM, WispMux, WispStreamTransport, type MuxStats, type MuxStream, type WispOptions } from "./wisp.js";

export interface RelayOptions extends WispOptions {
  /** "" (the default): no relay; tcp and udp fail saying so. */
  url: string;
  /** "wisp": streams over one shared socket; "wsproxy": a WebSocket per connection. */
  protocol: "wisp" | "wsproxy";
  /** UDP destinations with an open stream per PacketConn; the least
   *  recently used one is closed to make room. */
  maxUdpDestinations: number;
}

export const RELAY_DEFAULTS: RelayOptions = {
  url: "",
  protocol: "wisp",
  version: 2,
  maxPacketBytes: 64 * 1024,
  connectWaitMs: 100,
  handshakeTimeoutMs: 10_000,
  maxStreams: 1024,
  maxUdpDestinations: 64,
};

/** Largest UDP payload over IPv4 (Go's WriteTo fails past it with EMSGSIZE). */
export const MAX_DATAGRAM = 65507;

/** Checks a relay configuration; throws a TypeError saying what is wrong. */
export function validateRelay(r: Partial<RelayOptions>): void {
  if (r.url) {
    let u: URL;
    try {
      u = new URL(r.url);
    } catch {
      throw new TypeError(`relay: url ${JSON.stringify(r.url)} is not a URL`);
    }
    if (u.protocol !== "ws:" && u.protocol !== "wss:") throw new TypeError(`relay: url must be ws:// or wss://`);
    if (r.protocol !== "wsproxy" && !u.pathname.endsWith("/"))
      throw new TypeError(`relay: a Wisp url ends with "/" (a path without it is the wsproxy convention)`);
  }
  if (r.protocol !== undefined && r.protocol !== "wisp" && r.protocol !== "wsproxy")
    throw new TypeError(`relay: protocol must be "wisp" or "wsproxy"`);
  if (r.version !== undefined && r.version !== 1 && r.version !== 2) throw new TypeError(`relay: version must be 1 or 2`);
  if ((r.username === undefined) !== (r.password === undefined))
    throw new TypeError(`relay: username and password go together`);
  const enc = new TextEncoder();
  if (r.username !== undefined && enc.encode(r.username).length > 0xff) throw new TypeError(`relay: username longer than 255 bytes`);
  if (r.password !== undefined && enc.encode(r.password).length > 0xffff) throw new TypeError(`relay: password longer than 65535 bytes`);
  for (const k of ["maxPacketBytes", "maxStreams", "maxUdpDestinations"] as const)
    if (r[k] !== undefined && !(Number.isInteger(r[k]) && r[k]! >= 1)) throw new TypeError(`relay: ${k} must be an integer >= 1`);
  for (const k of ["connectWaitMs", "handshakeTimeoutMs"] as const)
    if (r[k] !== undefined && !(r[k]! >= 0)) throw new TypeError(`relay: ${k} must be a number >= 0`);
}

/** host:port as Go's JoinHostPort writes it. */
const join = (host: string, port: number) => (host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`);

/**
 * The destination as the policy checks it and the relay is asked for it,
 * byte for byte the same host (`destinationHost`: an IP literal or a valid
 * DNS name, normalized). Any other host is Go's "no such host" under every
 * policy, restricted or not.
 */
function destination(scheme: "tcp" | "udp", host: string, port: number) {
  const h = destinationHost(host);
  if (h === undefined) throw { code: "dns", err: "no such host", name: host, is_not_found: true } as NetError;
  return { url: `${scheme}://${h.includes(":") ? `[${h}]` : h}:${port}`, host: h };
}

const noRelay = (network: string): NetError => ({
  code: "unsupported",
  message:
    `${network} sockets are not available in browser WebAssembly without a relay; ` +
    `the host can configure one (registerNetBindings({relay: {url}}) or net::set_relay), ` +
    `or dial network "ws" or "wss" with a WebSocket URL`,
});

interface Datagram {
  data: Uint8Array;
  from: string;
}
interface PendingSend extends Waiter<number> {
  data: Uint8Array;
  dest: Dest;
}
interface Dest {
  key: string;
  stream?: MuxStream;
  open: boolean;
  /** Why the relay closed this destination's stream; the next WriteTo returns it once. */
  err?: NetError;
  waitTimer?: ReturnType<typeof setTimeout>;
}

/**
 * Go's UDPConn from ListenPacket, through a Wisp relay. Datagram boundaries
 * are kept; ReadFrom reports the destination as the program named it in
 * WriteTo (the relay resolves names and does not say which address
 * answered). Received datagrams past the receive bound are dropped (UDP's
 * own rule), counted in `dropped`.
 */
/** Datagrams one PacketConn keeps waiting for the relay at most (WriteTo beyond: ENOBUFS's words). */
export const MAX_WAITING_DATAGRAMS = 256;

class PacketConn {
  private queue: Datagram[] = [];
  private first = 0;
  private queuedCost = 0;
  private readonly waiting = new Waiting<PendingSend>((w) => w.reject(TIMEOUT));
  private readonly readers = this.waiting.readers;
  private readonly writers = this.waiting.writers;
  private readonly dests = new Map<string, Dest>(); // in use order: the first is the least recent
  private readonly drainer = new Poller(
    () => this.ws.drainPollMs,
    () => this.writers.size > 0,
    () => this.drain(),
  );
  /** The relay socket died under a destination's stream: the next ReadFrom
   *  that finds nothing queued says so, once (datagrams may be lost). */
  private lost?: NetError;
  dropped = 0;

  constructor(
    private readonly mux: () => WispMux,
    private readonly relay: RelayOptions,
    private readonly ws: WsOptions,
    private readonly gate: Gate,
    private readonly counted: { streams: number },
    private readonly onGone: () => void,
  ) {}

  readFrom(dest: Uint8Array): -1 | [number, string] {
    if (this.readers.expired()) throw TIMEOUT;
    if (this.first === this.queue.length) {
      const lost = this.lost;
      this.lost = undefined;
      if (lost) throw lost;
      return -1;
    }
    const d = this.queue[this.first++];
    this.queuedCost -= d.data.length + MESSAGE_COST;
    if (this.first === this.queue.length) {
      this.queue = [];
      this.first = 0;
    } else if (this.first >= 1024 && this.first * 2 >= this.queue.length) {
      this.queue = this.queue.slice(this.first);
      this.first = 0;
    }
    // Go's ReadFrom: a datagram longer than the buffer is truncated.
    const n = Math.min(dest.length, d.data.length);
    dest.set(n === d.data.length ? d.data : d.data.subarray(0, n));
    return [n, d.from];
  }

  /** Wakes `token` (js/wake.ts) when a ReadFrom would not return -1. */
  ready(token: number) {
    this.waiting.ready(token);
  }

  writeTo(data: Uint8Array, host: string, port: number): number | Promise<number> {
    if (this.writers.expired()) throw TIMEOUT;
    if (data.length > MAX_DATAGRAM) throw other(`message too long (${data.length} bytes; a UDP datagram carries at most ${MAX_DATAGRAM})`);
    const d = this.dest(host, port);
    if (d.open && this.writers.size === 0 && d.stream!.hasRoom(this.ws.writeHighWaterBytes)) {
      d.stream!.send(data);
      return data.length;
    }
    // Bounded: each waiting datagram is a copy the page holds. A caller
    // that awaits its writes never gets near this; one that does not is told.
    if (this.writers.size >= MAX_WAITING_DATAGRAMS)
      throw other(`no buffer space available (${MAX_WAITING_DATAGRAMS} datagrams already wait for the relay)`);
    const w = waiter<number, { data: Uint8Array; dest: Dest }>({ data: data.slice(), dest: d });
    this.writers.add(w);
    this.drainer.schedule();
    return w.promise;
  }

  /** The destination's stream, opened on first use (checked and counted). */
  private dest(host: string, port: number): Dest {
    const { url, host: relayHost } = destination("udp", host, port);
    const key = join(relayHost, port);
    const known = this.dests.get(key);
    if (known?.err) {
      this.dests.delete(key);
      throw known.err;
    }
    if (known) {
      this.dests.delete(key); // most recently used goes last
      this.dests.set(key, known);
      return known;
    }
    const denied = this.gate.check(url);
    if (denied) throw denied;
    if (this.dests.size >= this.relay.maxUdpDestinations) this.closeDest(this.dests.values().next().value!);
    const d: Dest = { key, open: false };
    const s = this.mux().open(STREAM.UDP, relayHost, port, {
      onAnnounced: () => {
        d.waitTimer = setTimeout(() => this.markOpen(d), Math.min(this.relay.connectWaitMs, MAX_TIMER_MS));
      },
      onWord: () => this.markOpen(d),
      onData: (b) => this.receive(b, key),
      onCredit: () => {},
      onEnd: (reason, err) => this.onEnd(d, reason, err),
    });
    if ("code" in s) throw s;
    d.stream = s;
    this.counted.streams++;
    this.dests.set(key, d);
    return d;
  }

  private markOpen(d: Dest) {
    if (d.open || !d.stream) return;
    clearTimeout(d.waitTimer);
    d.open = true;
    this.drain();
  }

  private receive(b: Uint8Array, from: string) {
    const cost = b.length + MESSAGE_COST;
    if (this.queuedCost + cost > this.ws.readLimitBytes) return void this.dropped++;
    this.queuedCost += cost;
    this.queue.push({ data: b, from });
    wakeAll(this.readers.take());
  }

  /** The relay closed a destination's stream (or the relay socket went). */
  private onEnd(d: Dest, reason: number | undefined, err?: NetError) {
    clearTimeout(d.waitTimer);
    if (!d.stream) return;
    d.stream = undefined;
    this.counted.streams--;
    const e = err ?? closeReasonError(reason!, !d.open) ?? other("the relay closed the UDP stream (Wisp CLOSE 0x02)");
    // Writes waiting on it fail; the next WriteTo there reports it once (a
    // closed relay socket is no one destination's fault: just reopen).
    for (const w of [...this.writers.items.values()].filter((w) => w.dest === d)) {
      this.writers.remove(w);
      w.reject(e);
    }
    if (this.dests.get(d.key) === d) {
      if (err) this.dests.delete(d.key);
      else d.err = e;
    }
    if (err) {
      this.lost = err;
      wakeAll(this.readers.take());
    }
  }

  private closeDest(d: Dest) {
    clearTimeout(d.waitTimer);
    this.dests.delete(d.key);
    if (!d.stream) return;
    d.stream.close(REASON.VOLUNTARY);
    d.stream = undefined;
    this.counted.streams--;
    for (const w of [...this.writers.items.values()].filter((w) => w.dest === d)) {
      this.writers.remove(w);
      w.reject(other("the destination's relay stream was closed to make room for another (maxUdpDestinations)"));
    }
  }

  /** Sends waiting datagrams in order while their streams are open and have room. */
  private drain() {
    for (let w = this.writers.first(); w; w = this.writers.first()) {
      const s = w.dest.stream;
      if (!w.dest.open || !s || !s.hasRoom(this.ws.writeHighWaterBytes)) break;
      s.send(w.data);
      this.writers.remove(w);
      w.resolve(w.data.length);
    }
    this.drainer.schedule();
  }

  setDeadline(which: number, at: number) {
    this.waiting.setDeadline(which, at);
  }

  forget(key: unknown) {
    this.waiting.forget(key);
  }

  close() {
    this.waiting.close(
      (w) => w.reject(CLOSED),
      () => this.dispose(),
    );
  }

  dispose() {
    this.drainer.cancel();
    this.waiting.clear();
    for (const d of [...this.dests.values()]) this.closeDest(d);
    this.queue = [];
    this.first = 0;
    this.queuedCost = 0;
    this.onGone();
  }
}

/**
 * The relay's bindings: `_netConnDialRelay` (a TCP Conn in the Conn table)
 * and the `_netUdp*` PacketConn table.
 */
export function createRelayBindings(
  relay: () => RelayOptions,
  ws: () => WsOptions,
  addConn: (dialer: Dialer, timeoutMs: number) => number,
  gate: Gate = OPEN_GATE,
) {
  const stats: MuxStats = { malformed: 0, unknownStream: 0, sockets: 0, version: 0 };
  let mux: WispMux | undefined;
  /** The live relay socket for the current configuration, opened on demand. */
  const currentMux = (): WispMux => {
    const o = relay();
    if (mux && !mux.dead && mux.key === muxKey(o)) return mux;
    if (mux && !mux.dead && mux.size === 0) mux.shutdown("relay reconfigured");
    const m = new WispMux({ ...o }, stats, () => {
      if (mux === m) mux = undefined;
    });
    mux = m;
    m.start();
    return m;
  };
  // A PacketConn opens nothing until it writes, so the policy does not count
  // it; the table is bounded by the relay's maxStreams.
  const udp = new HandleTable<PacketConn>("PacketConns", () => relay().maxStreams);
  const counted = { streams: 0 };
  const get = (h: number): PacketConn => udp.get(h);
  return {
    /**
     * Starts a TCP dial through the relay (network "tcp", "tcp4", "tcp6";
     * host and port already split and checked by Rust); returns a Conn
     * handle. `speakFirst`: open without waiting for the relay's word (the
     * caller writes first, as TLS does; a refusal is its first read's error). Throws a NetError when no relay is configured or the policy
     * denies the destination.
     */
    _netConnDialRelay(network: string, host: string, port: number, timeoutMs: number, speakFirst = false): number {
      const o = relay();
      if (!o.url) throw noRelay(network);
      const dest = destination("tcp", host, port);
      const denied = gate.check(dest.url);
      if (denied) throw denied;
      if (o.protocol === "wsproxy") {
        // dest.host holds only [a-z0-9._-] or an IPv6 literal's [0-9a-f:.]:
        // nothing in it can end the URL's path (no "/", "?", "#").
        const url = `${o.url}${join(dest.host, port)}`;
        try {
          return addConn((ev) => createWsTransport(url, ws(), ev), timeoutMs);
        } catch (e) {
          throw constructorError(url, e);
        }
      }
      const m = currentMux();
      // A caller that speaks first (TLS) need not wait for the relay's word:
      // its first read reports a refusal.
      const wait = speakFirst ? 0 : o.connectWaitMs;
      return addConn((ev) => new WispStreamTransport(m, dest.host, port, ev, wait, o.maxPacketBytes), timeoutMs);
    },
    /** ListenPacket("udp"): a PacketConn handle (no stream opens before the first WriteTo). */
    _netUdpListen(network: string): number {
      const o = relay();
      if (!o.url) throw noRelay(network);
      if (o.protocol !== "wisp")
        throw { code: "unsupported", message: `the relay is configured as wsproxy, which carries TCP only; UDP needs a Wisp relay` } as NetError;
      return udp.add((h) => new PacketConn(currentMux, { ...o }, ws(), gate, counted, () => udp.delete(h)));
    },
    /** One datagram into dest: [n, from], or -1 when none is queued. */
    _netUdpReadFrom: (h: number, dest: Uint8Array): -1 | [number, string] => get(h).readFrom(dest),
    _netUdpReady: (h: number, token: number): void => get(h).ready(token),
    /** The count (all of data: one datagram), or a Promise of it. */
    _netUdpWriteTo: (h: number, data: Uint8Array, host: string, port: number): number | Promise<number> =>
      get(h).writeTo(data, host, port),
    _netUdpSetDeadline: (h: number, which: number, at: number): void => get(h).setDeadline(which, at),
    _netUdpForget: (h: number, key: unknown): void => udp.peek(h)?.forget(key),
    _netUdpClose: (h: number): void => get(h).close(),
    _netUdpRelease: (h: number): void => udp.peek(h)?.dispose(),
    _netUdpCount: (): number => udp.size,
    // ---- the host's, not the guest's (not installed as _net*) ----
    /** After a trap: close every PacketConn of the dead instance. */
    resetPacketConns: (spare: (h: number) => boolean = () => false): void =>
      udp.entries().forEach(([h, c]) => spare(h) || c.dispose()),
    /** UDP streams open on the relay: what the policy counts. */
    udpStreams: (): number => counted.streams,
    /** The relay client's counters, for tests and diagnostics. */
    _netRelayStats: () => ({ ...stats, streams: mux?.size ?? 0, udpDropped: udp.all().reduce((n, c) => n + c.dropped, 0) }),
  };
}
