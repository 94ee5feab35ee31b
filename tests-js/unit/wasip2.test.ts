// go-net-wasm/wasip2 (js/wasip2.ts) against scripted tables: what a real
// component will not do on demand (calls out of order, foreign or garbage
// arguments, more sockets than allowed, a component with no network). The
// std::net component runs in the page suite (tests-js/page/wasi.test.ts).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, MAX_LOOKUPS, WasiP2Net } from "../../js/wasip2.js";
import type { SocketTables } from "../../js/wasi-sockets.js";
import { wake } from "../../js/wake.js";
import { isDomainName } from "../../js/policy.js";
import { unicodeStrings } from "./unicode.js";

// Node has no JSPI; the constructor insists on it (a component transpiled in
// jco's JSPI mode cannot run without), so the suite lends it two stand-ins.
const wa = WebAssembly as unknown as { Suspending?: unknown; promising?: unknown };
const real = { Suspending: wa.Suspending, promising: wa.promising };
beforeAll(() => {
  wa.Suspending ??= function Suspending() {};
  wa.promising ??= (f: unknown) => f;
});
afterAll(() => {
  wa.Suspending = real.Suspending;
  wa.promising = real.promising;
});

function tables() {
  const dials: Array<[string, string, number]> = [];
  const conns: Array<{ queue: number[]; ended: boolean; opened: Promise<void>; open(): void; fail(e: unknown): void; tokens: number[]; written: Uint8Array[]; closed: boolean }> = [];
  let lookups = 0;
  const pendingLookups: Array<() => void> = [];
  const t: SocketTables = {
    _netConnDialRelay(network, host, port) {
      dials.push([network, host, port]);
      let open!: () => void, fail!: (e: unknown) => void;
      const opened = new Promise<void>((ok, no) => ((open = ok), (fail = no)));
      conns.push({ queue: [], ended: false, opened, open, fail, tokens: [], written: [], closed: false });
      return conns.length - 1;
    },
    _netConnOpened: (h) => conns[h].opened,
    _netConnRead(h, dest) {
      const c = conns[h];
      if (c.queue.length === 0) {
        if (c.ended) throw { code: "eof" };
        return -1;
      }
      const n = Math.min(dest.length, c.queue.length);
      dest.set(c.queue.splice(0, n));
      return n;
    },
    _netConnReady: (h, token) => void conns[h].tokens.push(token),
    _netConnWrite(h, data) {
      conns[h].written.push(data.slice());
      return data.length;
    },
    _netConnSetDeadline: () => {},
    _netConnForget: () => {},
    _netConnClose: (h) => void (conns[h].closed = true),
    _netConnRelease: () => {},
    _netUdpListen: () => 0,
    _netUdpReadFrom: () => -1,
    _netUdpReady: () => {},
    _netUdpWriteTo: (_h, data) => data.length,
    _netUdpSetDeadline: () => {},
    _netUdpForget: () => {},
    _netUdpClose: () => {},
    _netLookupIP: (_net, name) => {
      lookups++;
      if (name === "slow.example") return new Promise((ok) => pendingLookups.push(() => ok(["192.0.2.9"])));
      if (name === "nx.example") return Promise.reject({ code: "dns", err: "no such host", name, is_not_found: true });
      return Promise.resolve(name === "two.example" ? ["192.0.2.1", "2001:db8::1"] : []);
    },
  };
  return { t, dials, conns, lookups: () => lookups, pendingLookups };
}

const v4 = (a: number[], port: number) => ({ tag: "ipv4" as const, val: { port, address: a } });
const tick = () => new Promise((r) => setTimeout(r, 0));

/** What a call threw: a WIT error-code string (never an Error, which would trap the component). */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    expect(e).not.toBeInstanceOf(Error);
    return e;
  }
  return "(nothing thrown)";
}

function setup(opts: ConstructorParameters<typeof WasiP2Net>[0] = {}) {
  const tb = tables();
  const net = new WasiP2Net({ tables: tb.t, ...opts });
  const s = net.sockets as any;
  const network = s.instanceNetwork.instanceNetwork();
  return { ...tb, net, s, network };
}

describe("tcp", () => {
  it("connect: would-block until the Conn opens, then the two streams once; reads, the end as closed", async () => {
    const { s, network, dials, conns, net } = setup();
    const sock = s.tcpCreateSocket.createTcpSocket("ipv4");
    expect(thrown(() => sock.finishConnect())).toBe("not-in-progress");
    sock.startConnect(network, v4([127, 0, 0, 1], 6379));
    expect(dials).toEqual([["tcp4", "127.0.0.1", 6379]]);
    expect(thrown(() => sock.startConnect(network, v4([127, 0, 0, 1], 6379)))).toBe("concurrency-conflict");
    expect(thrown(() => sock.finishConnect())).toBe("would-block");
    const pollable = sock.subscribe();
    expect(pollable.ready()).toBe(false);
    conns[0].open();
    await pollable.block();
    const [input, output] = sock.finishConnect();
    expect(thrown(() => sock.finishConnect())).toBe("not-in-progress");
    expect(sock.remoteAddress()).toEqual(v4([127, 0, 0, 1], 6379));
    expect(input.read(16n)).toEqual(new Uint8Array(0));
    conns[0].queue.push(1, 2, 3);
    expect(Array.from(input.read(2n))).toEqual([1, 2]);
    expect(output.checkWrite()).toBe(65536n);
    output.write(new Uint8Array([9, 9]));
    expect(conns[0].written).toEqual([new Uint8Array([9, 9])]);
    conns[0].ended = true;
    expect(Array.from(input.read(16n))).toEqual([3]);
    expect(thrown(() => input.read(16n))).toEqual({ tag: "closed" });
    expect(net.size).toBe(1);
    sock[Symbol.dispose ?? Symbol.for("dispose")]();
    expect(conns[0].closed).toBe(true);
    expect(net.size).toBe(0);
  });

  it("a blocking read waits for the Conn's wake", async () => {
    const { s, network, conns } = setup();
    const sock = s.tcpCreateSocket.createTcpSocket("ipv4");
    sock.startConnect(network, v4([10, 0, 0, 1], 80));
    conns[0].open();
    await tick();
    const [input] = sock.finishConnect();
    const got = input.blockingRead(8n);
    await tick();
    conns[0].queue.push(7);
    for (const t of conns[0].tokens.splice(0)) wake(t);
    expect(Array.from(await got)).toEqual([7]);
  });

  it("a failed connect is its error-code once, in words in errors", async () => {
    const { s, network, conns, net } = setup();
    const sock = s.tcpCreateSocket.createTcpSocket("ipv4");
    sock.startConnect(network, v4([127, 0, 0, 1], 1));
    conns[0].fail({ code: "op", op: "dial", err: { code: "refused" } });
    await tick();
    expect(thrown(() => sock.finishConnect())).toBe("connection-refused");
    expect(thrown(() => sock.finishConnect())).toBe("not-in-progress");
    expect(net.lastError).toMatch(/tcp connect 127\.0\.0\.1:1/);
  });

  it("out-of-order and foreign arguments are error-codes, the socket left as it was", () => {
    const { s, network, dials } = setup();
    const sock = s.tcpCreateSocket.createTcpSocket("ipv4");
    expect(thrown(() => sock.startBind(network, v4([10, 0, 0, 1], 0)))).toBe("address-not-bindable");
    expect(thrown(() => sock.startBind(network, v4([0, 0, 0, 0], 80)))).toBe("address-not-bindable");
    expect(thrown(() => sock.finishBind())).toBe("not-in-progress");
    expect(thrown(() => sock.startConnect({}, v4([10, 0, 0, 1], 80)))).toBe("invalid-argument"); // not this component's network
    expect(thrown(() => sock.startConnect(network, { tag: "ipv6", val: { port: 80, flowInfo: 0, address: [0, 0, 0, 0, 0, 0, 0, 1], scopeId: 0 } }))).toBe("invalid-argument");
    expect(thrown(() => sock.startConnect(network, v4([0, 0, 0, 0], 80)))).toBe("invalid-argument");
    expect(thrown(() => sock.startConnect(network, v4([10, 0, 0, 1], 0)))).toBe("invalid-argument");
    expect(thrown(() => sock.startConnect(network, { tag: "bogus" }))).toBe("invalid-argument");
    expect(thrown(() => sock.startConnect(network, null))).toBe("invalid-argument");
    expect(thrown(() => sock.startListen())).toBe("not-supported");
    expect(thrown(() => sock.accept())).toBe("not-supported");
    expect(thrown(() => sock.remoteAddress())).toBe("invalid-state");
    expect(thrown(() => sock.shutdown("both"))).toBe("invalid-state");
    expect(thrown(() => sock.setKeepAliveIdleTime(0n))).toBe("invalid-argument");
    expect(thrown(() => s.tcpCreateSocket.createTcpSocket("ipx"))).toBe("invalid-argument");
    sock.startBind(network, v4([0, 0, 0, 0], 0));
    sock.finishBind();
    expect(sock.localAddress()).toEqual(v4([0, 0, 0, 0], 0));
    expect(dials).toEqual([]);
  });

  it("sockets per component are bounded (new-socket-limit); a dropped one frees its place", () => {
    const { s } = setup({ maxSockets: 2 });
    const a = s.tcpCreateSocket.createTcpSocket("ipv4");
    s.udpCreateSocket.createUdpSocket("ipv6");
    expect(thrown(() => s.tcpCreateSocket.createTcpSocket("ipv4"))).toBe("new-socket-limit");
    a[Symbol.dispose ?? Symbol.for("dispose")]();
    expect(s.tcpCreateSocket.createTcpSocket("ipv4")).toBeDefined();
  });
});

describe("the network as a capability", () => {
  it("the component's policy is checked before the tables are asked; maxConnections counts its connections", () => {
    const { s, network, dials, net } = setup({ policy: { ports: [80], maxConnections: 1 } });
    const a = s.tcpCreateSocket.createTcpSocket("ipv4");
    expect(thrown(() => a.startConnect(network, v4([10, 0, 0, 1], 22)))).toBe("access-denied");
    expect(net.lastError).toMatch(/permission denied by network policy \(port 22 not allowed\)/);
    a.startConnect(network, v4([10, 0, 0, 1], 80));
    const b = s.tcpCreateSocket.createTcpSocket("ipv4");
    expect(thrown(() => b.startConnect(network, v4([10, 0, 0, 2], 80)))).toBe("access-denied");
    expect(dials).toHaveLength(1);
  });

  it("a component given no network: every socket and lookup is access-denied, nothing reaches the tables", () => {
    const { s, network, dials, lookups } = setup({ network: false });
    expect(thrown(() => s.tcpCreateSocket.createTcpSocket("ipv4"))).toBe("access-denied");
    expect(thrown(() => s.udpCreateSocket.createUdpSocket("ipv4"))).toBe("access-denied");
    expect(thrown(() => s.ipNameLookup.resolveAddresses(network, "two.example"))).toBe("access-denied");
    expect(dials).toEqual([]);
    expect(lookups()).toBe(0);
  });

  it("a name from a lookup is what a later connect is checked and dialed by", async () => {
    const { s, network, dials } = setup({ policy: { hosts: ["two.example"] } });
    const r = s.ipNameLookup.resolveAddresses(network, "two.example");
    expect(thrown(() => r.resolveNextAddress())).toBe("would-block");
    await r.subscribe().block();
    expect(r.resolveNextAddress()).toEqual({ tag: "ipv4", val: [192, 0, 2, 1] });
    expect(r.resolveNextAddress()).toEqual({ tag: "ipv6", val: [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1] });
    expect(r.resolveNextAddress()).toBeUndefined();
    const sock = s.tcpCreateSocket.createTcpSocket("ipv4");
    sock.startConnect(network, v4([192, 0, 2, 1], 443));
    expect(dials).toEqual([["tcp4", "two.example", 443]]);
    // An address nobody looked up is checked as an IP, and this policy names hosts only.
    const other = s.tcpCreateSocket.createTcpSocket("ipv4");
    expect(thrown(() => other.startConnect(network, v4([192, 0, 2, 7], 443)))).toBe("access-denied");
  });
});

describe("ip-name-lookup", () => {
  it("only valid DNS names are looked up; literals answer at once; lookups in flight are bounded", async () => {
    const { s, network, lookups, pendingLookups } = setup();
    for (const bad of ["", "a..b", "x".repeat(300), "allowed.example#.evil.example", "sp ace.example"])
      expect(thrown(() => s.ipNameLookup.resolveAddresses(network, bad))).toBe("invalid-argument");
    const lit = s.ipNameLookup.resolveAddresses(network, "::1");
    expect(lit.resolveNextAddress()).toEqual({ tag: "ipv6", val: [0, 0, 0, 0, 0, 0, 0, 1] });
    expect(lookups()).toBe(0);
    const nx = s.ipNameLookup.resolveAddresses(network, "nx.example");
    await nx.subscribe().block();
    expect(thrown(() => nx.resolveNextAddress())).toBe("name-unresolvable");
    const slow = Array.from({ length: MAX_LOOKUPS }, () => s.ipNameLookup.resolveAddresses(network, "slow.example"));
    expect(thrown(() => s.ipNameLookup.resolveAddresses(network, "slow.example"))).toBe("temporary-resolver-failure");
    pendingLookups.forEach((f) => f());
    await slow[0].subscribe().block();
    expect(slow[0].resolveNextAddress()).toEqual({ tag: "ipv4", val: [192, 0, 2, 9] });
  });
});

it("any Unicode as a name to resolve: an error-code or a stream, never an Error; only valid DNS names are looked up", () => {
  const tb = tables();
  const asked: string[] = [];
  const lookup = tb.t._netLookupIP;
  tb.t._netLookupIP = (net, name) => (asked.push(name), lookup(net, name));
  const s = new WasiP2Net({ tables: tb.t }).sockets as any;
  const network = s.instanceNetwork.instanceNetwork();
  let streams = 0;
  for (const name of unicodeStrings(2000)) {
    try {
      expect(s.ipNameLookup.resolveAddresses(network, name)).toBeDefined();
      streams++;
    } catch (e) {
      expect(typeof e, String(e)).toBe("string");
    }
  }
  for (const name of asked) expect(isDomainName(name), name).toBe(true);
  expect(streams).toBeGreaterThan(0);
});

describe("udp", () => {
  it("must be bound before it streams; sends check the policy per destination; datagrams too large are refused", () => {
    const { s, network } = setup({ policy: { ports: [53] } });
    const u = s.udpCreateSocket.createUdpSocket("ipv4");
    expect(thrown(() => u.stream(undefined))).toBe("invalid-state");
    u.startBind(network, v4([0, 0, 0, 0], 0));
    u.finishBind();
    const [, out] = u.stream(undefined);
    expect(out.checkSend()).toBe(64n);
    expect(thrown(() => out.send([{ data: new Uint8Array(1) }]))).toBe("invalid-argument"); // no destination
    expect(thrown(() => out.send([{ data: new Uint8Array(1), remoteAddress: v4([10, 0, 0, 1], 54) }]))).toBe("access-denied");
    expect(thrown(() => out.send([{ data: new Uint8Array(70000), remoteAddress: v4([10, 0, 0, 1], 53) }]))).toBe("datagram-too-large");
    expect(out.send([{ data: new Uint8Array(3), remoteAddress: v4([10, 0, 0, 1], 53) }])).toBe(1n);
    const [in2] = u.stream(undefined);
    expect(thrown(() => out.checkSend())).toBe("invalid-state"); // an earlier stream stops working
    expect(in2.receive(4n)).toEqual([]);
  });
});

it("error codes: the tables' errors as WIT's", () => {
  expect(errorCode({ code: "op", op: "dial", err: { code: "refused" } })).toBe("connection-refused");
  expect(errorCode({ code: "denied", message: "x" })).toBe("access-denied");
  expect(errorCode({ code: "timeout" })).toBe("timeout");
  expect(errorCode({ code: "dns", err: "no such host", name: "x", is_not_found: true })).toBe("name-unresolvable");
  expect(errorCode({ code: "dns", err: "timeout", name: "x", is_timeout: true })).toBe("temporary-resolver-failure");
  expect(errorCode({ code: "other", message: "the relay could not connect to the destination (network error, Wisp CLOSE 0x03)" })).toBe("remote-unreachable");
  expect(errorCode({ code: "unsupported", message: "no relay" })).toBe("not-supported");
  expect(errorCode(new TypeError("x"))).toBe("unknown");
});

it("without JSPI the constructor says what is missing (not jco's TypeError later)", () => {
  const saved = wa.Suspending;
  wa.Suspending = undefined;
  try {
    expect(() => new WasiP2Net({ tables: tables().t })).toThrow(/needs JavaScript Promise Integration.*Asyncify/);
  } finally {
    wa.Suspending = saved;
  }
});
