// `go-net-wasm/wasip2`: wasi:sockets 0.2 for WebAssembly components in a
// page (a wasm32-wasip2 program's std::net, transpiled by jco). The
// sockets sit on this package's own tables, as the wasip1 host's do: a TCP
// socket is a Conn dialed through the relay, a UDP socket a PacketConn, a
// name lookup DoH; the policy, bounds and deadlines are the same.
//
// The network is the capability (wasi:sockets' design, and seed 004's):
// each WasiP2Net is one component's network, `instance-network` hands it
// out, and every socket and lookup is checked against its policy before the
// page's. A WasiP2Net made with `network: false` is no network at all:
// every bind, connect and lookup is `access-denied`.
//
// Everything else (cli, clocks, random, filesystem, the io streams and
// pollables themselves) is preview2-shim's browser build; the sockets'
// streams and pollables are made by its io module, so the component's
// io calls reach them (`WASIShim({ sockets: net.sockets })`). Blocking is
// JSPI: jco transpiles the component with `asyncMode: "jspi"`, and a
// pollable's `block` or `poll` waits for the Conn's wake while the page
// runs.
//
// Conventions: a failing call throws the WIT error-code (a string), which
// jco returns to the guest as the result's error; no Error object ever
// leaves an import (jco would trap the component on one). A stream's
// errors are `{tag: "closed"}` at the end and `last-operation-failed` with
// the page's words otherwise. Bounded: sockets per component (`maxSockets`,
// `new-socket-limit`), lookups in flight, one pending write per stream,
// datagrams per receive.
import { inputStreamCreate, ioErrorCreate, outputStreamCreate, pollableCreate } from "@bytecodealliance/preview2-shim/io";
import type { NetError } from "./errors.js";
import { netBindings } from "./net.js";
import { createGate, deniedError, isDomainName, lookupDenial, policyDenial, validatePolicy, type NetPolicy } from "./policy.js";
import { AF_INET4, ipText, parseIp, type SockAddr } from "./wasi-abi.js";
import type { SocketTables } from "./wasi-sockets.js";
import { WakeSlots } from "./wake.js";

export interface WasiP2NetOptions {
  /** This component's rights, on top of the page's (default: the page's alone). */
  policy?: NetPolicy;
  /** false: the component gets a network that can do nothing (every socket call `access-denied`). Default true. */
  network?: boolean;
  /** Sockets open at once (`new-socket-limit` beyond). Default 64. */
  maxSockets?: number;
  /** The tables to use (default: this package's, as registerNetBindings configures them). */
  tables?: SocketTables;
}

/** Lookups in flight per component. */
export const MAX_LOOKUPS = 16;
/** Names remembered from lookups, for the policy of a later connect. */
const MAX_NAMES = 256;
/** The most one read or write moves (the tables' message size). */
const CHUNK = 64 * 1024;
/** Datagrams one receive returns at most. */
const MAX_RECEIVE = 16;
const MAX_DATAGRAM = 65507;
const EMPTY = new Uint8Array(0);
/** How jco drops a resource (Symbol.dispose where the engine has it, as preview2-shim and jco read it). */
const DISPOSE: symbol = (Symbol as { dispose?: symbol }).dispose ?? Symbol.for("dispose");

type ErrorCode = string;
type IpAddressFamily = "ipv4" | "ipv6";
type IpAddress = { tag: "ipv4"; val: number[] } | { tag: "ipv6"; val: number[] };
type IpSocketAddress =
  | { tag: "ipv4"; val: { port: number; address: number[] } }
  | { tag: "ipv6"; val: { port: number; flowInfo: number; address: number[]; scopeId: number } };
interface Source {
  ready(): boolean;
  wait(): Promise<void>;
}

/** The WIT error-code for a table's NetError. */
export function errorCode(e: unknown): ErrorCode {
  if (typeof e === "string") return e;
  const err = e as NetError | undefined;
  switch (err?.code) {
    case "op":
    case "url":
      return errorCode(err.err);
    case "denied":
      return "access-denied";
    case "refused":
      return "connection-refused";
    case "reset":
      return "connection-reset";
    case "timeout":
    case "deadline":
    case "request_timeout":
      return "timeout";
    case "unsupported":
      return "not-supported";
    case "dns":
      return err.is_not_found ? "name-unresolvable" : err.is_timeout ? "temporary-resolver-failure" : "permanent-resolver-failure";
    case "canceled":
    case "context_canceled":
    case "closed":
      return "invalid-state";
    case "addr_in_use":
      return "address-in-use";
    case "addr_not_available":
      return "address-not-bindable";
  }
  const msg = String((err as { message?: unknown } | undefined)?.message ?? "");
  if (/refused/i.test(msg)) return "connection-refused";
  // The relay's own failure to reach the destination (wisp-js says only
  // "network error", CLOSE 0x03): WASI has no generic I/O error, and
  // "unknown" reads as ENOTSUP in wasi-libc.
  if (/unreachable|could not connect/i.test(msg)) return "remote-unreachable";
  if (/timed out|timeout/i.test(msg)) return "timeout";
  if (/too many/i.test(msg)) return "new-socket-limit";
  return "unknown";
}

function words(e: unknown): string {
  if (typeof e === "string") return e;
  const err = e as { message?: unknown; code?: unknown; err?: unknown } | undefined;
  if (err?.message) return String(err.message);
  if (err?.err) return words(err.err);
  return String(err?.code ?? e);
}

/** A WIT socket address as the tables take it; `invalid-argument` for anything else. */
function fromWit(a: IpSocketAddress, family: IpAddressFamily): SockAddr {
  if (!a || (a.tag !== "ipv4" && a.tag !== "ipv6") || a.tag !== family) throw "invalid-argument";
  const v = a.val;
  if (a.tag === "ipv4") return { family: AF_INET4, ip: Uint8Array.from(v.address), port: v.port };
  const ip = new Uint8Array(16);
  v.address.forEach((g, i) => ((ip[2 * i] = g >> 8), (ip[2 * i + 1] = g & 255)));
  return { family: 2, ip, port: v.port };
}

function toWit(a: SockAddr): IpSocketAddress {
  if (a.family === AF_INET4) return { tag: "ipv4", val: { port: a.port, address: Array.from(a.ip) } };
  const address: number[] = [];
  for (let i = 0; i < 16; i += 2) address.push((a.ip[i] << 8) | a.ip[i + 1]);
  return { tag: "ipv6", val: { port: a.port, flowInfo: 0, address, scopeId: 0 } };
}

function ipOf(a: SockAddr): IpAddress {
  const w = toWit(a);
  return { tag: w.tag, val: w.val.address } as IpAddress;
}

/** "host:port" or "[v6]:port" (a datagram's source) as a socket address, if the host is an IP. */
function parseHostPort(s: string): SockAddr | undefined {
  const i = s.lastIndexOf(":");
  if (i < 0) return undefined;
  const host = s.slice(0, i).replace(/^\[(.*)\]$/, "$1");
  const a = parseIp(host);
  const port = Number(s.slice(i + 1));
  if (!a || !Number.isInteger(port)) return undefined;
  return { ...a, port };
}

const zeroOf = (family: IpAddressFamily): SockAddr => ({ family: family === "ipv4" ? AF_INET4 : 2, ip: new Uint8Array(family === "ipv4" ? 4 : 16), port: 0 });
const isZero = (a: SockAddr) => a.ip.every((b) => b === 0);

/** A size or count a setter takes: `invalid-argument` unless above zero. */
function positive<T extends number | bigint>(v: T): T {
  if (!(v > 0)) throw "invalid-argument";
  return v;
}

/**
 * What both socket kinds keep and read back (the page has no kernel to hand
 * them to): the buffer sizes and the hop limit.
 */
class SocketOptions {
  protected hops = 64;
  private rcvbuf = 65536n;
  private sndbuf = 65536n;
  receiveBufferSize(): bigint {
    return this.rcvbuf;
  }
  setReceiveBufferSize(v: bigint): void {
    this.rcvbuf = positive(v);
  }
  sendBufferSize(): bigint {
    return this.sndbuf;
  }
  setSendBufferSize(v: bigint): void {
    this.sndbuf = positive(v);
  }
}

/** wasi:sockets' interfaces, keyed as preview2-shim's WASIShim takes them (`new WASIShim({ sockets })`). */
export interface WasiP2Sockets {
  network: { Network: unknown };
  instanceNetwork: { instanceNetwork(): unknown };
  ipNameLookup: { ResolveAddressStream: unknown; resolveAddresses(network: unknown, name: string): unknown };
  tcp: { TcpSocket: unknown };
  tcpCreateSocket: { createTcpSocket(family: IpAddressFamily): unknown };
  udp: { UdpSocket: unknown; IncomingDatagramStream: unknown; OutgoingDatagramStream: unknown };
  udpCreateSocket: { createUdpSocket(family: IpAddressFamily): unknown };
}

/** One component's network: `sockets` is what preview2-shim's WASIShim takes as `sockets`. */
export class WasiP2Net {
  /** wasi:sockets' interfaces, for `new WASIShim({ sockets: net.sockets })`. */
  readonly sockets: WasiP2Sockets;
  /** The last failures, in words (the guest sees only error codes), newest last; at most 16. */
  readonly errors: string[] = [];
  private readonly tables: SocketTables;
  private readonly policy: NetPolicy;
  private readonly gate;
  private readonly enabled: boolean;
  private readonly maxSockets: number;
  private readonly open = new Set<{ close(): void; counts(): number }>();
  private readonly names = new Map<string, string>(); // IP text -> the name it was looked up by
  private lookups = 0;
  /** One buffer every read lands in first (a poll that finds nothing allocates nothing); callers get a copy. */
  private readonly scratch = new Uint8Array(CHUNK);
  private readonly wakes = new WakeSlots();

  constructor(opts: WasiP2NetOptions = {}) {
    // jco's JSPI output would fail later with "WebAssembly.Suspending is not a constructor".
    const w = WebAssembly as unknown as { Suspending?: unknown; promising?: unknown };
    if (typeof w.Suspending !== "function" || typeof w.promising !== "function")
      throw new Error(
        "go-net-wasm/wasip2 needs JavaScript Promise Integration (WebAssembly.Suspending and WebAssembly.promising): a component transpiled in jco's JSPI mode " +
          "blocks through it. Chromium 137, Firefox 153 and Safari 27 and later have it; this browser does not (wasip1 guests can use Asyncify instead: docs/wasi.md).",
      );
    if (opts.policy) validatePolicy(opts.policy);
    this.policy = opts.policy ?? {};
    this.enabled = opts.network !== false;
    this.maxSockets = opts.maxSockets ?? 64;
    this.tables = opts.tables ?? (netBindings as unknown as SocketTables);
    const policy = this.policy;
    this.gate = createGate(
      () => policy,
      () => [...this.open].reduce((n, s) => n + s.counts(), 0),
    );
    this.sockets = this.build();
  }

  get lastError(): string {
    return this.errors[this.errors.length - 1] ?? "";
  }

  /** Sockets open now. */
  get size(): number {
    return this.open.size;
  }

  /** Closes every socket (the component ended or trapped). */
  closeAll(): void {
    for (const s of [...this.open]) s.close();
  }

  private note(what: string, e?: unknown): void {
    const line = e === undefined ? what : `${what}: ${words(e)}`;
    this.errors.push(line.length > 300 ? `${line.slice(0, 300)}...` : line);
    if (this.errors.length > 16) this.errors.shift();
  }

  /** A wake token (js/wake.ts) that runs `f` once. */
  private token(f: () => void): number {
    return this.wakes.token(f);
  }


  /** The host the relay and the policy see: the name an address was looked up by, or the IP. */
  private hostOf(a: SockAddr): string {
    const ip = ipText(a);
    return this.names.get(ip) ?? ip;
  }

  private check(scheme: "tcp" | "udp", host: string, port: number, counts: boolean): void {
    if (!this.enabled) throw deniedError("this component was given no network: every destination is");
    const url = `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const denied = counts ? this.gate.check(url) : policyDenial({ ...this.policy, maxConnections: undefined }, url, 0);
    if (denied) throw typeof denied === "string" ? deniedError(denied) : denied;
  }

  /** Runs `f`; a failure is noted and thrown as its error-code (never an Error: that would trap the component). */
  private run<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (typeof e !== "string" || e === "access-denied") this.note(what, e);
      throw errorCode(e);
    }
  }

  private build(): WasiP2Sockets {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const net = this;
    const t = this.tables;
    class Network {}
    const network = new Network();
    const checkNetwork = (n: unknown) => {
      if (n !== network) throw "invalid-argument";
      if (!net.enabled) throw "access-denied";
    };
    const admit = (s: { close(): void; counts(): number }) => {
      if (net.open.size >= net.maxSockets) throw "new-socket-limit";
      net.open.add(s);
    };
    const familyOf = (f: unknown): IpAddressFamily => {
      if (f !== "ipv4" && f !== "ipv6") throw "invalid-argument";
      return f;
    };

    // ---- ip-name-lookup ----
    class ResolveAddressStream {
      private addrs?: SockAddr[];
      private error?: ErrorCode;
      private readonly done: Promise<void>;
      private settled = false;
      constructor(name: string) {
        net.lookups++;
        this.done = t
          ._netLookupIP("ip", name)
          .then(
            (list) => {
              this.addrs = [];
              for (const text of list) {
                const a = parseIp(text);
                if (!a) continue;
                this.addrs.push(a);
                if (net.names.size >= MAX_NAMES) net.names.delete(net.names.keys().next().value!);
                net.names.set(ipText(a), name);
              }
              if (this.addrs.length === 0) this.error = "name-unresolvable";
            },
            (e) => {
              net.note(`resolve ${name}`, e);
              this.error = errorCode(e);
              if (this.error === "unknown") this.error = "permanent-resolver-failure";
            },
          )
          .finally(() => {
            this.settled = true;
            net.lookups--;
          });
      }
      static literal(a: SockAddr): ResolveAddressStream {
        const s = Object.create(ResolveAddressStream.prototype) as ResolveAddressStream;
        Object.assign(s, { addrs: [a], settled: true, done: Promise.resolve() });
        return s;
      }
      resolveNextAddress(): IpAddress | undefined {
        if (!this.settled) throw "would-block";
        if (this.error) {
          const e = this.error;
          this.error = undefined;
          this.addrs = [];
          throw e;
        }
        const a = this.addrs!.shift();
        return a && ipOf(a);
      }
      subscribe() {
        return pollableCreate({ ready: () => this.settled, wait: () => this.done } satisfies Source);
      }
    }
    const resolveAddresses = (n: unknown, name: string): ResolveAddressStream =>
      net.run(`resolve ${String(name).slice(0, 256)}`, () => {
        checkNetwork(n);
        const literal = parseIp(String(name).replace(/^\[(.*)\]$/, "$1"));
        if (literal) return ResolveAddressStream.literal(literal);
        if (typeof name !== "string" || !isDomainName(name)) throw "invalid-argument";
        const why = lookupDenial(net.policy, name);
        if (why) throw deniedError(why);
        if (net.lookups >= MAX_LOOKUPS) throw "temporary-resolver-failure";
        return new ResolveAddressStream(name);
      });

    // ---- tcp ----
    /** A wait for the Conn's wake: resolves when a read would not find it empty. */
    const connReadable = (h: number): Promise<void> =>
      new Promise<void>((ok) => {
        try {
          t._netConnReady(h, net.token(ok));
        } catch {
          ok(); // a stale handle: the next read says what happened
        }
      });

    class TcpSocket extends SocketOptions {
      private state: "unbound" | "binding" | "bound" | "connecting" | "connected" | "failed" | "closed" = "unbound";
      private local?: SockAddr;
      private remote?: SockAddr;
      private conn?: number;
      private opened?: Promise<void>;
      private error?: ErrorCode;
      private shutRd = false;
      private shutWr = false;
      private pending?: Promise<unknown>;
      private writeError?: unknown;
      private keepAlive = { enabled: false, idle: 7_200_000_000_000n, interval: 75_000_000_000n, count: 9 };
      private readonly entry = { close: () => this.close(), counts: () => Number(this.state === "connecting" || this.state === "connected") };
      constructor(private readonly family: IpAddressFamily) {
        super();
        admit(this.entry);
      }
      startBind(n: unknown, local: IpSocketAddress): void {
        net.run("tcp bind", () => {
          checkNetwork(n);
          if (this.state !== "unbound") throw "invalid-state";
          const a = fromWit(local, this.family);
          if (!isZero(a) || a.port !== 0) throw "address-not-bindable"; // the page has no address of its own
          this.local = a;
          this.state = "binding";
        });
      }
      finishBind(): void {
        if (this.state !== "binding") throw "not-in-progress";
        this.state = "bound";
      }
      startConnect(n: unknown, remote: IpSocketAddress): void {
        net.run("tcp connect", () => {
          checkNetwork(n);
          if (this.state === "connecting") throw "concurrency-conflict";
          if (this.state === "connected") throw "invalid-state";
          if (this.state !== "unbound" && this.state !== "bound") throw "invalid-state";
          const a = fromWit(remote, this.family);
          if (isZero(a) || a.port === 0) throw "invalid-argument";
          const host = net.hostOf(a);
          net.check("tcp", host, a.port, true);
          this.conn = t._netConnDialRelay(this.family === "ipv4" ? "tcp4" : "tcp6", host, a.port, 0);
          this.remote = a;
          this.state = "connecting";
          this.opened = t._netConnOpened(this.conn).then(
            () => {
              if (this.state === "connecting") this.state = "connected";
            },
            (e) => {
              net.note(`tcp connect ${host}:${a.port}`, e);
              this.error = errorCode(e);
              this.conn = undefined;
              if (this.state === "connecting") this.state = "failed";
            },
          );
        });
      }
      finishConnect(): [unknown, unknown] {
        if (this.state === "connecting") throw "would-block";
        if (this.state === "failed") {
          this.state = "closed";
          throw this.error ?? "unknown";
        }
        if (this.state !== "connected" || this.opened === undefined) throw "not-in-progress";
        this.opened = undefined; // the streams are handed out once
        return [this.input(), this.output()];
      }
      startListen(): void {
        throw "not-supported"; // a page cannot accept connections
      }
      finishListen(): void {
        throw "not-in-progress";
      }
      accept(): never {
        throw "not-supported";
      }
      localAddress(): IpSocketAddress {
        if (this.state === "unbound" || this.state === "binding") throw "invalid-state";
        return toWit(this.local ?? zeroOf(this.family));
      }
      remoteAddress(): IpSocketAddress {
        if (this.state !== "connected" || !this.remote) throw "invalid-state";
        return toWit(this.remote);
      }
      isListening(): boolean {
        return false;
      }
      addressFamily(): IpAddressFamily {
        return this.family;
      }
      setListenBacklogSize(): void {
        throw "not-supported";
      }
      keepAliveEnabled(): boolean {
        return this.keepAlive.enabled;
      }
      setKeepAliveEnabled(v: boolean): void {
        this.keepAlive.enabled = Boolean(v);
      }
      keepAliveIdleTime(): bigint {
        return this.keepAlive.idle;
      }
      setKeepAliveIdleTime(v: bigint): void {
        this.keepAlive.idle = positive(v);
      }
      keepAliveInterval(): bigint {
        return this.keepAlive.interval;
      }
      setKeepAliveInterval(v: bigint): void {
        this.keepAlive.interval = positive(v);
      }
      keepAliveCount(): number {
        return this.keepAlive.count;
      }
      setKeepAliveCount(v: number): void {
        this.keepAlive.count = positive(v);
      }
      hopLimit(): number {
        return this.hops;
      }
      setHopLimit(v: number): void {
        this.hops = positive(v);
      }
      subscribe() {
        return pollableCreate({ ready: () => this.state !== "connecting", wait: () => this.opened ?? Promise.resolve() } satisfies Source);
      }
      shutdown(how: "receive" | "send" | "both"): void {
        if (this.state !== "connected") throw "invalid-state";
        if (how === "receive" || how === "both") this.shutRd = true;
        if (how === "send" || how === "both") this.shutWr = true;
        // No relay carries a half-close: both ways shut is the end.
        if (this.shutRd && this.shutWr) this.close();
      }
      close(): void {
        if (this.conn !== undefined) {
          try {
            t._netConnClose(this.conn);
          } catch {
            // already gone
          }
        }
        this.conn = undefined;
        this.state = "closed";
        net.open.delete(this.entry);
      }
      [DISPOSE](): void {
        this.close();
      }
      /** Read readiness now (data, the end, an error): a zero-byte read asks without taking. */
      private readable(): boolean {
        if (this.conn === undefined || this.shutRd) return true;
        try {
          return t._netConnRead(this.conn, EMPTY) !== -1;
        } catch {
          return true;
        }
      }
      private read(len: bigint): Uint8Array {
        if (this.shutRd || this.conn === undefined) throw { tag: "closed" };
        const n = Number(len > BigInt(CHUNK) ? BigInt(CHUNK) : len);
        if (n === 0) return EMPTY;
        const buf = net.scratch.subarray(0, n);
        let got: number;
        try {
          got = t._netConnRead(this.conn, buf);
        } catch (e) {
          if ((e as NetError)?.code === "eof") throw { tag: "closed" };
          net.note("tcp read", e);
          throw { tag: "last-operation-failed", val: ioErrorCreate(words(e)) };
        }
        return got === -1 ? EMPTY : buf.slice(0, got);
      }
      private input() {
        return inputStreamCreate({
          read: (len: bigint) => this.read(len),
          // A Promise, which JSPI waits on (the shim's type says a value).
          blockingRead: (async (len: bigint) => {
            for (;;) {
              const b = this.read(len);
              if (b.length > 0 || len === 0n) return b;
              await connReadable(this.conn!);
            }
          }) as unknown as (len: bigint) => Uint8Array,
          subscribe: () => pollableCreate({ ready: () => this.readable(), wait: () => (this.conn === undefined ? Promise.resolve() : connReadable(this.conn)) } satisfies Source),
          drop: () => {
            this.shutRd = true;
          },
        });
      }
      private writeCheck(): void {
        if (this.writeError !== undefined) {
          const e = this.writeError;
          this.writeError = undefined;
          throw { tag: "last-operation-failed", val: ioErrorCreate(words(e)) };
        }
        if (this.shutWr || this.conn === undefined) throw { tag: "closed" };
      }
      private write(buf: Uint8Array): void {
        this.writeCheck();
        if (this.pending) throw { tag: "last-operation-failed", val: ioErrorCreate("write while the last one is pending: call check-write first") };
        let r: number | Promise<number>;
        try {
          r = t._netConnWrite(this.conn!, buf.slice()); // a copy: buf may be a view of the guest's memory
        } catch (e) {
          net.note("tcp write", e);
          throw { tag: "last-operation-failed", val: ioErrorCreate(words(e)) };
        }
        if (r instanceof Promise) {
          const p: Promise<unknown> = r
            .then(
              () => {},
              (e) => {
                net.note("tcp write", e);
                this.writeError = e;
              },
            )
            .finally(() => {
              if (this.pending === p) this.pending = undefined;
            });
          this.pending = p;
        }
      }
      private output() {
        return outputStreamCreate({
          checkWrite: () => {
            this.writeCheck();
            return this.pending ? 0n : BigInt(CHUNK);
          },
          write: (buf: Uint8Array) => this.write(buf),
          // The Conn sends what it takes at once: nothing waits to be flushed.
          flush: () => this.writeCheck(),
          blockingFlush: () => this.writeCheck(),
          blockingWriteAndFlush: async (buf: Uint8Array) => {
            while (this.pending) await this.pending;
            this.write(buf);
            while (this.pending) await this.pending;
            this.writeCheck();
          },
          subscribe: () => pollableCreate({ ready: () => !this.pending, wait: () => (this.pending ?? Promise.resolve()).then(() => {}) } satisfies Source),
          drop: () => {
            this.shutWr = true;
          },
        });
      }
    }
    const createTcpSocket = (family: IpAddressFamily) =>
      net.run("tcp socket", () => {
        if (!net.enabled) throw "access-denied";
        return new TcpSocket(familyOf(family));
      });

    // ---- udp ----
    interface Datagram {
      data: Uint8Array;
      from: string;
    }
    class UdpSocket extends SocketOptions {
      private state: "unbound" | "binding" | "bound" | "closed" = "unbound";
      private h?: number;
      private peer?: SockAddr;
      private generation = 0;
      private ahead?: Datagram;
      private pending?: Promise<unknown>;
      private dests = new Set<string>();
      private readonly entry = { close: () => this.close(), counts: () => this.dests.size };
      constructor(private readonly family: IpAddressFamily) {
        super();
        admit(this.entry);
      }
      startBind(n: unknown, local: IpSocketAddress): void {
        net.run("udp bind", () => {
          checkNetwork(n);
          if (this.state !== "unbound") throw "invalid-state";
          const a = fromWit(local, this.family);
          if (!isZero(a) || a.port !== 0) throw "address-not-bindable";
          this.state = "binding";
        });
      }
      finishBind(): void {
        if (this.state !== "binding") throw "not-in-progress";
        this.h = net.run("udp bind", () => t._netUdpListen(this.family === "ipv4" ? "udp4" : "udp6"));
        this.state = "bound";
      }
      stream(remote: IpSocketAddress | undefined): [unknown, unknown] {
        return net.run("udp stream", () => {
          if (this.state !== "bound") throw "invalid-state";
          if (remote !== undefined) {
            const a = fromWit(remote, this.family);
            if (isZero(a) || a.port === 0) throw "invalid-argument";
            net.check("udp", net.hostOf(a), a.port, false);
            this.peer = a;
          } else this.peer = undefined;
          const gen = ++this.generation; // earlier streams stop working
          return [new IncomingDatagramStream(this, gen), new OutgoingDatagramStream(this, gen)];
        });
      }
      localAddress(): IpSocketAddress {
        if (this.state !== "bound") throw "invalid-state";
        return toWit(zeroOf(this.family));
      }
      remoteAddress(): IpSocketAddress {
        if (!this.peer) throw "invalid-state";
        return toWit(this.peer);
      }
      addressFamily(): IpAddressFamily {
        return this.family;
      }
      unicastHopLimit(): number {
        return this.hops;
      }
      setUnicastHopLimit(v: number): void {
        this.hops = positive(v);
      }
      subscribe() {
        return pollableCreate();
      }
      close(): void {
        if (this.h !== undefined) {
          try {
            t._netUdpClose(this.h);
          } catch {
            // already gone
          }
        }
        this.h = undefined;
        this.state = "closed";
        this.generation++;
        net.open.delete(this.entry);
      }
      [DISPOSE](): void {
        this.close();
      }
      live(gen: number): number {
        if (gen !== this.generation || this.h === undefined) throw "invalid-state";
        return this.h;
      }
      /** The next datagram from the peer (any, unconnected), read ahead; undefined when none is queued. */
      next(gen: number): Datagram | undefined {
        const h = this.live(gen);
        for (;;) {
          if (this.ahead) return this.ahead;
          const buf = net.scratch;
          let r: -1 | [number, string];
          try {
            r = t._netUdpReadFrom(h, buf);
          } catch (e) {
            net.note("udp receive", e);
            throw errorCode(e);
          }
          if (r === -1) return undefined;
          const d = { data: buf.slice(0, r[0]), from: r[1] };
          if (this.peer && !this.fromPeer(d.from)) continue; // a connected socket's filter
          this.ahead = d;
        }
      }
      private fromPeer(from: string): boolean {
        const a = parseHostPort(from);
        const p = this.peer!;
        if (a) return a.port === p.port && ipText(a) === ipText(p);
        return from === `${net.hostOf(p)}:${p.port}`;
      }
      take(): Datagram {
        const d = this.ahead!;
        this.ahead = undefined;
        return d;
      }
      readable(gen: number): Promise<void> {
        return new Promise<void>((ok) => {
          try {
            t._netUdpReady(this.live(gen), net.token(ok));
          } catch {
            ok();
          }
        });
      }
      send(gen: number, datagrams: Array<{ data: Uint8Array; remoteAddress?: IpSocketAddress }>): bigint {
        const h = this.live(gen);
        let sent = 0;
        for (const d of datagrams) {
          if (this.pending) break;
          let to: SockAddr;
          if (d.remoteAddress !== undefined) {
            to = fromWit(d.remoteAddress, this.family);
            if (this.peer && (to.port !== this.peer.port || ipText(to) !== ipText(this.peer))) throw "invalid-argument";
          } else if (this.peer) to = this.peer;
          else throw "invalid-argument";
          if (d.data.length > MAX_DATAGRAM) throw "datagram-too-large";
          if (isZero(to) || to.port === 0) throw "invalid-argument";
          const host = net.hostOf(to);
          const key = `${host}|${to.port}`;
          net.check("udp", host, to.port, !this.dests.has(key));
          let r: number | Promise<number>;
          try {
            r = t._netUdpWriteTo(h, d.data.slice(), host, to.port);
          } catch (e) {
            net.note(`udp send ${host}:${to.port}`, e);
            throw errorCode(e);
          }
          this.dests.add(key);
          sent++;
          if (r instanceof Promise) {
            const p: Promise<unknown> = r
              .then(
                () => {},
                (e) => net.note(`udp send ${host}:${to.port}`, e),
              )
              .finally(() => {
                if (this.pending === p) this.pending = undefined;
              });
            this.pending = p;
          }
        }
        return BigInt(sent);
      }
      sendReady(): boolean {
        return !this.pending;
      }
      sendWait(): Promise<unknown> {
        return this.pending ?? Promise.resolve();
      }
    }
    class IncomingDatagramStream {
      constructor(
        private readonly s: UdpSocket,
        private readonly gen: number,
      ) {}
      receive(max: bigint): Array<{ data: Uint8Array; remoteAddress: IpSocketAddress }> {
        return net.run("udp receive", () => {
          const out: Array<{ data: Uint8Array; remoteAddress: IpSocketAddress }> = [];
          const n = max > BigInt(MAX_RECEIVE) ? MAX_RECEIVE : Number(max);
          while (out.length < n && this.s.next(this.gen)) {
            const d = this.s.take();
            const from = parseHostPort(d.from);
            if (!from) continue; // a name the relay reports: no address to give
            out.push({ data: d.data, remoteAddress: toWit(from) });
          }
          return out;
        });
      }
      subscribe() {
        return pollableCreate({
          ready: () => {
            try {
              return this.s.next(this.gen) !== undefined;
            } catch {
              return true;
            }
          },
          wait: () => this.s.readable(this.gen),
        } satisfies Source);
      }
    }
    class OutgoingDatagramStream {
      constructor(
        private readonly s: UdpSocket,
        private readonly gen: number,
      ) {}
      checkSend(): bigint {
        return net.run("udp send", () => {
          this.s.live(this.gen);
          return this.s.sendReady() ? 64n : 0n;
        });
      }
      send(datagrams: Array<{ data: Uint8Array; remoteAddress?: IpSocketAddress }>): bigint {
        return net.run("udp send", () => this.s.send(this.gen, datagrams));
      }
      subscribe() {
        return pollableCreate({ ready: () => this.s.sendReady(), wait: () => this.s.sendWait().then(() => {}) } satisfies Source);
      }
    }
    const createUdpSocket = (family: IpAddressFamily) =>
      net.run("udp socket", () => {
        if (!net.enabled) throw "access-denied";
        return new UdpSocket(familyOf(family));
      });

    return {
      network: { Network },
      instanceNetwork: { instanceNetwork: () => network },
      ipNameLookup: { ResolveAddressStream, resolveAddresses },
      tcp: { TcpSocket },
      tcpCreateSocket: { createTcpSocket },
      udp: { UdpSocket, IncomingDatagramStream, OutgoingDatagramStream },
      udpCreateSocket: { createUdpSocket },
    };
  }
}
