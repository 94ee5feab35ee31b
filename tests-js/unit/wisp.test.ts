// The Wisp client (js/wisp.ts) and the relay tables (js/relay.ts) against a
// mocked relay WebSocket with fake timers: what real relays will not do on
// demand (malformed packets, unknown stream ids, CLOSE during CONNECT,
// credit of 0, v2 handshake failures). Real relays run the same code in
// Chromium (runtime-wasm/tests/relay.rs).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createConnBindings } from "../../js/conn.js";
import { MAX_HANDLES } from "../../js/table.js";
import { createRelayBindings, RELAY_DEFAULTS, validateRelay, type RelayOptions } from "../../js/relay.js";
import { WS_DEFAULTS, type WsOptions } from "../../js/ws.js";
import { closeReasonError, decodeInfo, encodePassword, forgetNoSubprotocol, PACKET, REASON } from "../../js/wisp.js";
import { createGate, destinationHost } from "../../js/policy.js";
import { unicodeStrings } from "./unicode.js";
import { waitReady } from "./waker.js";

class MockRelay {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static all: MockRelay[] = [];
  readyState = 0;
  bufferedAmount = 0;
  binaryType = "blob";
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onopen: (() => void) | null = null;
  sent: Uint8Array[] = [];
  addEventListener() {}
  constructor(
    readonly url: string,
    readonly protocols?: string[],
  ) {
    MockRelay.all.push(this);
  }
  static get last() {
    return MockRelay.all[MockRelay.all.length - 1];
  }
  send(d: Uint8Array) {
    this.sent.push(d.slice());
  }
  close() {
    this.readyState = 3;
  }
  // ---- what the relay does ----
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  packet(type: number, id: number, payload: number[] | Uint8Array = []) {
    const p = new Uint8Array(5 + payload.length);
    p[0] = type;
    new DataView(p.buffer).setUint32(1, id, true);
    p.set(payload, 5);
    this.raw(p);
  }
  raw(bytes: Uint8Array | string) {
    this.onmessage?.({ data: typeof bytes === "string" ? bytes : bytes.slice().buffer });
  }
  continue(id: number, credit: number) {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, credit, true);
    this.packet(PACKET.CONTINUE, id, b);
  }
  info(exts: Array<[number, number[]]>) {
    const payload = [2, 0];
    for (const [id, data] of exts) payload.push(id, data.length & 255, (data.length >> 8) & 255, 0, 0, ...data);
    this.packet(PACKET.INFO, 0, payload);
  }
  /** v1: the first CONTINUE at once. */
  v1(credit = 128) {
    this.open();
    this.continue(0, credit);
  }
  dropped(code = 1006) {
    this.readyState = 3;
    this.onclose?.({ code, reason: "" });
  }
  /** Packets the client sent, decoded. */
  packets() {
    return this.sent.map((p) => ({ type: p[0], id: new DataView(p.buffer).getUint32(1, true), payload: p.subarray(5) }));
  }
}

let ws: WsOptions;
let relay: RelayOptions;
let conn: ReturnType<typeof createConnBindings>;
let net: ReturnType<typeof createRelayBindings>;

function setup(policy = {}) {
  const gate = createGate(
    () => policy,
    () => Number(conn.connSockets()) + Number(net.udpStreams()),
  );
  conn = createConnBindings(() => ws);
  net = createRelayBindings(() => relay, () => ws, conn.addConn, gate);
}

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal("WebSocket", MockRelay);
  MockRelay.all = [];
  forgetNoSubprotocol();
  ws = { ...WS_DEFAULTS, transport: "classic" };
  relay = { ...RELAY_DEFAULTS, url: "ws://relay.test/wisp/", connectWaitMs: 50 };
  setup();
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Dials through the relay; the promise of the dial and the handle. */
function dialTcp(host = "10.0.0.1", port = 80, timeoutMs = 0) {
  const h = net._netConnDialRelay("tcp", host, port, timeoutMs);
  const opened = conn._netConnOpened(h);
  opened.catch(() => {});
  return { h, opened };
}

/** Marks a result that may be a Promise as handled (its rejection is checked elsewhere or not at all). */
function quiet<T>(v: T | Promise<T>): T | Promise<T> {
  if (v instanceof Promise) v.catch(() => {});
  return v;
}

function rd(h: number, n = 64): number[] | null {
  const buf = new Uint8Array(n);
  const got = conn._netConnRead(h, buf);
  return got < 0 ? null : [...buf.subarray(0, got)];
}

describe("handshake", () => {
  it("a server that answers no subprotocol: the failed v2 handshake is tried once as v1, and the relay is remembered", async () => {
    const { opened } = dialTcp("example.com", 6379);
    const first = MockRelay.last;
    expect(first.protocols).toEqual(["wisp-v2"]);
    first.dropped(1006); // the browser's answer to a handshake without the offered subprotocol
    const second = MockRelay.last;
    expect(second).not.toBe(first);
    expect(second.protocols).toBeUndefined();
    second.v1(4);
    await vi.advanceTimersByTimeAsync(60);
    await expect(opened).resolves.toBeUndefined();
    expect(second.packets()[0]).toMatchObject({ type: PACKET.CONNECT });
    expect(net._netRelayStats()).toMatchObject({ sockets: 2, version: 1 });
    // The next socket to that relay (after this one drops) offers nothing.
    second.dropped(1006);
    dialTcp("example.com", 6379);
    expect(MockRelay.last.protocols).toBeUndefined();
    expect(MockRelay.all.length).toBe(3);
  });

  it("an unreachable relay is tried once more without the subprotocol, then fails saying so; nothing is remembered", async () => {
    const { opened } = dialTcp("example.com", 6379);
    MockRelay.last.dropped(1006);
    MockRelay.last.dropped(1006);
    await expect(opened).rejects.toMatchObject({ message: "could not connect to the relay ws://relay.test/wisp/ (websocket code 1006)" });
    expect(MockRelay.all.map((r) => r.protocols)).toEqual([["wisp-v2"], undefined]);
    dialTcp("example.com", 6379);
    expect(MockRelay.last.protocols).toEqual(["wisp-v2"]);
  });

  it("a socket that opened and then dropped is not retried: its streams fail with the loss", async () => {
    const { opened } = dialTcp("example.com", 6379);
    MockRelay.last.open();
    MockRelay.last.dropped(1006);
    await expect(opened).rejects.toMatchObject({ message: expect.stringContaining("could not connect to the relay") });
    expect(MockRelay.all.length).toBe(1);
  });

  it("speaks v1 when the first packet is CONTINUE, and sends CONNECT with the host and port", async () => {
    const { opened } = dialTcp("example.com", 6379);
    const r = MockRelay.last;
    expect(r.protocols).toEqual(["wisp-v2"]);
    r.v1(7);
    const [c] = r.packets();
    expect(c.type).toBe(PACKET.CONNECT);
    expect([...c.payload.subarray(0, 3)]).toEqual([1, 6379 & 255, 6379 >> 8]);
    expect(new TextDecoder().decode(c.payload.subarray(3))).toBe("example.com");
    await vi.advanceTimersByTimeAsync(50);
    await opened;
    expect(net._netRelayStats()).toMatchObject({ version: 1, sockets: 1, streams: 1 });
  });

  it("answers a v2 INFO with its own (UDP) and waits for the CONTINUE", async () => {
    dialTcp();
    const r = MockRelay.last;
    r.open();
    r.info([[0x01, []]]);
    const [info] = r.packets();
    expect(info.type).toBe(PACKET.INFO);
    expect(decodeInfo(info.payload)).toMatchObject({ major: 2, minor: 0, exts: [{ id: 1 }], truncated: false });
    expect(r.packets().length).toBe(1); // no CONNECT before the CONTINUE
    r.continue(0, 32);
    expect(r.packets()[1].type).toBe(PACKET.CONNECT);
    expect(net._netRelayStats().version).toBe(2);
  });

  it("sends password credentials when a v2 relay asks and the host has them", () => {
    relay = { ...relay, username: "ü", password: "secret" };
    dialTcp();
    const r = MockRelay.last;
    r.open();
    r.info([[0x02, [1]]]);
    const ext = decodeInfo(r.packets()[0].payload).exts.find((e) => e.id === 2)!;
    expect([...ext.data]).toEqual([...encodePassword("ü", "secret")!]);
    expect([...ext.data.subarray(0, 3)]).toEqual([2, 6, 0]);
  });

  it("fails every dial, saying so, when a v2 relay wants a password the host does not have", async () => {
    const a = dialTcp();
    const b = dialTcp();
    const r = MockRelay.last;
    r.open();
    r.info([[0x02, [1]]]);
    for (const d of [a, b])
      await expect(d.opened).rejects.toMatchObject({ code: "denied", message: expect.stringContaining("requires password authentication") });
    expect(conn.connSockets()).toBe(0);
  });

  it("fails with the reason when the relay closes stream 0 in the handshake (incompatible, bad credentials)", async () => {
    const { opened } = dialTcp();
    MockRelay.last.open();
    MockRelay.last.info([]);
    MockRelay.last.packet(PACKET.CLOSE, 0, [REASON.INCOMPATIBLE]);
    await expect(opened).rejects.toMatchObject({ message: expect.stringContaining("incompatible Wisp extensions (CLOSE 0x04)") });
  });

  it("gives up on a relay that never completes the handshake", async () => {
    const { opened } = dialTcp();
    MockRelay.last.open();
    await vi.advanceTimersByTimeAsync(relay.handshakeTimeoutMs);
    await expect(opened).rejects.toMatchObject({ message: expect.stringContaining("no Wisp handshake within") });
    // The next dial opens a new socket.
    dialTcp();
    expect(MockRelay.all.length).toBe(2);
  });

  it("offers v1 only when configured so (no subprotocol)", () => {
    relay = { ...relay, version: 1 };
    dialTcp();
    expect(MockRelay.last.protocols).toBeUndefined();
  });
});

describe("streams", () => {
  async function openStream(credit = 128) {
    const d = dialTcp();
    MockRelay.last.v1(credit);
    await vi.advanceTimersByTimeAsync(50);
    await d.opened;
    return { h: d.h, r: MockRelay.last, id: MockRelay.last.packets()[0].id };
  }

  it("a CLOSE during CONNECT fails the dial with Go's error for its reason", async () => {
    const cases: Array<[number, object]> = [
      [REASON.REFUSED, { code: "refused" }],
      [REASON.BLOCKED, { code: "denied" }],
      [REASON.UNREACHABLE, { message: expect.stringContaining("no route to host") }],
      [REASON.CONNECT_TIMEOUT, { message: expect.stringContaining("connection timed out") }],
      [REASON.THROTTLED, { message: expect.stringContaining("throttling") }],
      [REASON.NETWORK, { message: expect.stringContaining("could not connect") }],
      [0x99, { message: expect.stringContaining("Wisp CLOSE 0x99") }],
    ];
    for (const [reason, want] of cases) {
      const d = dialTcp();
      if (MockRelay.all.length === 1 && !MockRelay.last.packets().length) MockRelay.last.v1();
      const id = MockRelay.last.packets().at(-1)!.id;
      MockRelay.last.packet(PACKET.CLOSE, id, [reason]);
      await expect(d.opened).rejects.toMatchObject(want);
    }
    expect(conn._netConnCount()).toBe(0);
    expect(conn.connSockets()).toBe(0);
  });

  it("a clean CLOSE (0x02) is EOF after the queued bytes", async () => {
    const { h, r, id } = await openStream();
    r.packet(PACKET.DATA, id, [1, 2, 3]);
    r.packet(PACKET.CLOSE, id, [REASON.VOLUNTARY]);
    expect(rd(h)).toEqual([1, 2, 3]);
    expect(() => rd(h)).toThrow(expect.objectContaining({ code: "eof" }));
    expect(() => conn._netConnWrite(h, new Uint8Array(1))).toThrow(expect.objectContaining({ message: expect.stringContaining("0x02") }));
  });

  it("writes wait for credit, at most until the write deadline, and go on when CONTINUE comes", async () => {
    const { h, r, id } = await openStream(2);
    expect(conn._netConnWrite(h, new Uint8Array(10))).toBe(10);
    expect(conn._netConnWrite(h, new Uint8Array(10))).toBe(10);
    const p = quiet(conn._netConnWrite(h, new Uint8Array(10))) as Promise<number>;
    expect(p).toBeInstanceOf(Promise);
    conn._netConnSetDeadline(h, 2, Date.now() + 100);
    await vi.advanceTimersByTimeAsync(100);
    await expect(p).rejects.toMatchObject({ code: "timeout" });
    conn._netConnSetDeadline(h, 2, 0);
    const q = conn._netConnWrite(h, Uint8Array.of(9)) as Promise<number>;
    r.continue(id, 5);
    await expect(q).resolves.toBe(1);
    expect(r.packets().filter((x) => x.type === PACKET.DATA).length).toBe(3);
  });

  it("credit of 0 holds every write until CONTINUE", async () => {
    const { h, r, id } = await openStream(0);
    const p = conn._netConnWrite(h, new Uint8Array(100)) as Promise<number>;
    await vi.advanceTimersByTimeAsync(1000);
    expect(r.packets().filter((x) => x.type === PACKET.DATA).length).toBe(0);
    r.continue(id, 1);
    await expect(p).resolves.toBe(100);
  });

  it("splits writes into DATA packets of at most maxPacketBytes", async () => {
    relay = { ...relay, maxPacketBytes: 1000 };
    const { h, r } = await openStream();
    expect(conn._netConnWrite(h, new Uint8Array(2500))).toBe(2500);
    expect(r.packets().filter((x) => x.type === PACKET.DATA).map((x) => x.payload.length)).toEqual([1000, 1000, 500]);
  });

  it("malformed and unexpected packets are counted, never thrown, and touch no other stream", async () => {
    const a = await openStream();
    const b = dialTcp();
    await vi.advanceTimersByTimeAsync(50);
    await b.opened;
    const bid = a.r.packets().at(-1)!.id;
    const r = a.r;
    expect(() => {
      r.raw(new Uint8Array([2, 1]));
      r.raw("text frame");
      r.packet(PACKET.DATA, 4242, [1]); // unknown stream
      r.packet(PACKET.CONNECT, a.id, [1, 0, 0]); // a client packet
      r.packet(0x77, a.id, [1]);
      r.packet(PACKET.INFO, 0, [2, 0]); // INFO after the handshake
    }).not.toThrow();
    expect(net._netRelayStats()).toMatchObject({ malformed: 5, unknownStream: 1 });
    // A short CONTINUE breaks the protocol for that stream: it alone ends.
    r.packet(PACKET.CONTINUE, bid, [1]);
    expect(() => rd(b.h)).toThrow(expect.objectContaining({ message: expect.stringContaining("protocol error") }));
    r.packet(PACKET.DATA, a.id, [7]);
    expect(rd(a.h)).toEqual([7]);
  });

  it("no byte string from the relay makes the table throw (fuzz)", async () => {
    const { h, r, id } = await openStream();
    let seed = 1;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 5000; i++) {
      const len = rand() % 12;
      const b = new Uint8Array(len).map(() => rand());
      if (len >= 5 && rand() < 128) new DataView(b.buffer).setUint32(1, rand() < 128 ? id : rand(), true);
      if (len >= 1 && b[0] === PACKET.CLOSE) b[0] = PACKET.DATA; // keep the stream alive for the check below
      expect(() => r.raw(b)).not.toThrow();
    }
    expect(() => rd(h, 1 << 16)).not.toThrow();
  });

  it("a stream over the receive bound is closed alone (CLOSE 0x81) and says so after its bytes", async () => {
    ws = { ...ws, readLimitBytes: 1500 }; // 900 + 128 fits; the second 900 goes over
    const a = await openStream();
    const b = dialTcp();
    await vi.advanceTimersByTimeAsync(50);
    await b.opened;
    const bid = a.r.packets().at(-1)!.id;
    a.r.packet(PACKET.DATA, a.id, new Uint8Array(900));
    a.r.packet(PACKET.DATA, a.id, new Uint8Array(900));
    expect(a.r.packets().at(-1)).toMatchObject({ type: PACKET.CLOSE, id: a.id });
    expect([...a.r.packets().at(-1)!.payload]).toEqual([REASON.CLIENT_ERROR]);
    expect(rd(a.h, 4096)!.length).toBe(1800);
    expect(() => rd(a.h)).toThrow(expect.objectContaining({ message: expect.stringContaining("Wisp CLOSE 0x81") }));
    a.r.packet(PACKET.DATA, bid, [5]);
    expect(rd(b.h)).toEqual([5]);
  });

  it("one DATA packet far past the bound is cut at maxPacketBytes: the queue stays within bound + one packet, the others go on", async () => {
    ws = { ...ws, readLimitBytes: 1 << 20 };
    const a = await openStream();
    const b = dialTcp();
    await vi.advanceTimersByTimeAsync(50);
    await b.opened;
    const bid = a.r.packets().at(-1)!.id;
    a.r.packet(PACKET.DATA, a.id, new Uint8Array(8 << 20).fill(7)); // the relay's choice of size
    const cost = conn.connQueueCost(a.h);
    expect(cost).toBeLessThanOrEqual((1 << 20) + relay.maxPacketBytes + 128);
    expect(a.r.packets().at(-1)).toMatchObject({ type: PACKET.CLOSE, id: a.id });
    let got = 0;
    for (;;) {
      const chunk = rd(a.h, 1 << 20);
      if (chunk === null) break;
      expect(chunk.every((x) => x === 7)).toBe(true);
      got += chunk.length;
      if (got >= (1 << 20) + relay.maxPacketBytes) break;
    }
    expect(got).toBe((1 << 20) + relay.maxPacketBytes);
    expect(() => rd(a.h)).toThrow(expect.objectContaining({ message: expect.stringContaining("receive buffer limit of 1048576 bytes exceeded") }));
    a.r.packet(PACKET.DATA, bid, [5]);
    expect(rd(b.h)).toEqual([5]);
  });

  it("a Conn still holding unread bytes counts against maxConnections after its stream ended, until read or closed", async () => {
    setup({ maxConnections: 2 });
    const a = await openStream();
    const b = dialTcp();
    await vi.advanceTimersByTimeAsync(50);
    await b.opened;
    const bid = a.r.packets().at(-1)!.id;
    for (const id of [a.id, bid]) {
      a.r.packet(PACKET.DATA, id, new Uint8Array(1000).fill(1));
      a.r.packet(PACKET.CLOSE, id, [REASON.VOLUNTARY]); // the peer sent, then closed
    }
    // Both streams are gone at the relay, but their bytes are held: no third.
    expect(() => net._netConnDialRelay("tcp", "10.0.0.1", 80, 0)).toThrow(
      expect.objectContaining({ code: "denied", message: expect.stringContaining("more than 2 connections") }),
    );
    expect(conn.connSockets()).toBe(2);
    // Reading a's bytes to the end frees its slot.
    expect(rd(a.h, 4096)!.length).toBe(1000);
    expect(conn.connSockets()).toBe(1);
    const c = dialTcp();
    expect(() => net._netConnDialRelay("tcp", "10.0.0.1", 80, 0)).toThrow(expect.objectContaining({ code: "denied" }));
    // Closing b (bytes unread) frees the other.
    conn._netConnClose(b.h);
    expect(conn.connSockets()).toBe(1);
    const d = dialTcp();
    expect(conn.connSockets()).toBe(2);
    for (const x of [c, d]) conn._netConnRelease(x.h);
  });

  it("a table holds at most MAX_HANDLES Conns, whatever the policy", () => {
    setup({});
    relay = { ...relay, maxStreams: 1 << 20 };
    for (let i = 0; i < MAX_HANDLES; i++) net._netConnDialRelay("tcp", "10.0.0.1", 80, 0);
    expect(conn._netConnCount()).toBe(MAX_HANDLES);
    expect(() => net._netConnDialRelay("tcp", "10.0.0.1", 80, 0)).toThrow(
      expect.objectContaining({ code: "other", message: `too many Conns open (at most ${MAX_HANDLES}); close some` }),
    );
    conn.resetConns();
    expect(conn._netConnCount()).toBe(0);
  });

  it("the relay socket dropping fails every stream and the next dial opens a new socket", async () => {
    const a = await openStream();
    const ready = waitReady(conn._netConnReady, a.h).woken;
    a.r.dropped();
    await ready;
    expect(() => rd(a.h)).toThrow(expect.objectContaining({ message: expect.stringContaining("relay connection lost") }));
    expect(conn.connSockets()).toBe(0);
    dialTcp();
    expect(MockRelay.all.length).toBe(2);
  });

  it("Close sends CLOSE 0x02 and frees the slot; a dial timeout fails a stream still waiting for the handshake", async () => {
    const { h, r, id } = await openStream();
    conn._netConnClose(h);
    expect(r.packets().at(-1)).toMatchObject({ type: PACKET.CLOSE, id });
    expect(conn.connSockets()).toBe(0);
    r.dropped();
    const d = dialTcp("h", 1, 100);
    await vi.advanceTimersByTimeAsync(100);
    await expect(d.opened).rejects.toMatchObject({ code: "timeout" });
    expect(conn.connSockets()).toBe(0);
  });

  it("bounds the PacketConn table", () => {
    relay = { ...relay, maxStreams: 3 };
    for (let i = 0; i < 3; i++) net._netUdpListen("udp");
    expect(() => net._netUdpListen("udp")).toThrow(/too many PacketConns/);
    net._netUdpClose(1);
    expect(net._netUdpListen("udp")).toBeGreaterThan(0);
  });

  it("bounds the streams on one socket", () => {
    relay = { ...relay, maxStreams: 2 };
    dialTcp();
    dialTcp();
    return expect(dialTcp().opened).rejects.toMatchObject({ message: expect.stringContaining("too many streams") });
  });
});

describe("policy and configuration", () => {
  it("checks each destination as tcp://host:port, normalized, and counts streams", async () => {
    setup({ hosts: ["example.com"], maxConnections: 1 });
    expect(() => net._netConnDialRelay("tcp", "other.test", 80, 0)).toThrow(expect.objectContaining({ code: "denied" }));
    const d = dialTcp("EXAMPLE.com.", 80);
    MockRelay.last.v1();
    // The relay is asked for exactly what was checked.
    expect(new TextDecoder().decode(MockRelay.last.packets()[0].payload.subarray(3))).toBe("example.com");
    expect(() => net._netConnDialRelay("tcp", "example.com", 81, 0)).toThrow(
      expect.objectContaining({ message: expect.stringContaining("more than 1 connections") }),
    );
    await vi.advanceTimersByTimeAsync(50);
    await d.opened;
  });

  it("says how to get tcp and udp when no relay is configured", () => {
    relay = { ...relay, url: "" };
    expect(() => net._netConnDialRelay("tcp", "h", 1, 0)).toThrow(
      expect.objectContaining({ code: "unsupported", message: expect.stringContaining("without a relay") }),
    );
    expect(() => net._netUdpListen("udp")).toThrow(expect.objectContaining({ code: "unsupported" }));
  });

  it("arbitrary Unicode hosts reach the relay or fail with a NetError, never anything else", async () => {
    for (const policy of [{}, { hosts: ["example.com"] }]) {
      setup(policy);
      const u = net._netUdpListen("udp");
      for (const host of unicodeStrings(2000)) {
        for (const f of [() => net._netConnDialRelay("tcp", host, 80, 0), () => quiet(net._netUdpWriteTo(u, Uint8Array.of(1), host, 53))]) {
          try {
            f();
          } catch (e) {
            expect(e).toMatchObject({ code: expect.any(String) });
            expect(e).not.toBeInstanceOf(Error);
          }
        }
      }
      // Everything opened is accounted for and can be let go.
      conn.resetConns();
      net.resetPacketConns();
      await vi.advanceTimersByTimeAsync(0); // refusals past maxStreams settle in a microtask
      expect(conn.connSockets()).toBe(0);
      expect(net.udpStreams()).toBe(0);
    }
  });

  it("a destination reaches the relay as exactly the host the policy checked, or is Go's no such host (Wisp TCP and UDP, wsproxy)", async () => {
    // The audit's bypass (a bracketed "host" whose URL reading ends at "/"),
    // its cousins, the forms that normalize, and arbitrary Unicode.
    const hosts = [
      "[127.0.0.1:81/127.0.0.1:9999]", "127.0.0.1:81/127.0.0.1:9999", "127.0.0.1:81/localhost:9999]", "a b", "h?x", "h#x",
      "x/y", "x\\y", "h@evil", "fe80::1%eth0", "", ".", "-x.example", "a..b", "EXAMPLE.com.", "bücher.example", "0x7f.1", "::1", "[::1]",
      ...unicodeStrings(1500),
    ];
    const connects = (r: MockRelay) =>
      r.packets().filter((p) => p.type === PACKET.CONNECT).map((p) => ({ kind: p.payload[0], host: new TextDecoder().decode(p.payload.subarray(3)) }));
    let reached = 0;
    for (const protocol of ["wisp", "wsproxy"] as const) {
      relay = { ...RELAY_DEFAULTS, protocol, url: protocol === "wisp" ? "ws://relay.test/wisp/" : "ws://relay.test/tcp/", connectWaitMs: 50 };
      for (const host of hosts) {
        const want = destinationHost(host);
        if (want !== undefined) {
          // Only a name the URL parser and Go's isDomainName both accept, or an IP literal.
          expect(want).toMatch(/^([a-z0-9_-]+(\.[a-z0-9_-]+)*|[0-9a-f:.]+)$/);
          const pattern = want.includes(":") ? `[${want}]` : want;
          setup({ hosts: ["other.example"] });
          expect(() => net._netConnDialRelay("tcp", host, 80, 0)).toThrow(expect.objectContaining({ code: "denied" }));
          setup({ hosts: [pattern] });
        } else setup({});
        MockRelay.all = [];
        let h: number;
        try {
          h = net._netConnDialRelay("tcp", host, 80, 0);
        } catch (e) {
          expect(want, `${JSON.stringify(host)} was refused`).toBeUndefined();
          expect(e).toEqual({ code: "dns", err: "no such host", name: host, is_not_found: true });
          expect(MockRelay.all).toEqual([]); // nothing was opened
          continue;
        }
        expect(want, `${JSON.stringify(host)} was dialed`).toBeDefined();
        reached++;
        const r = MockRelay.last;
        if (protocol === "wsproxy") {
          const hp = want!.includes(":") ? `[${want}]:80` : `${want}:80`;
          expect(r.url).toBe(`ws://relay.test/tcp/${hp}`);
          const u = new URL(r.url);
          expect([u.host, u.pathname, u.search, u.hash]).toEqual(["relay.test", `/tcp/${hp}`, "", ""]);
        } else {
          r.v1();
          expect(connects(r)).toEqual([{ kind: 1, host: want }]);
          // The same for a UDP destination.
          const u = net._netUdpListen("udp");
          quiet(net._netUdpWriteTo(u, Uint8Array.of(1), host, 53));
          expect(connects(r)[1]).toEqual({ kind: 2, host: want });
        }
        conn.resetConns();
        net.resetPacketConns();
      }
    }
    expect(reached).toBeGreaterThan(20);
    await vi.advanceTimersByTimeAsync(0);
  });

  it("rejects invalid relay settings with a TypeError", () => {
    expect(() => validateRelay({ url: "http://x/" })).toThrow(TypeError);
    expect(() => validateRelay({ url: "ws://x/nope" })).toThrow(/ends with "\/"/);
    expect(() => validateRelay({ url: "ws://x/p", protocol: "wsproxy" })).not.toThrow();
    expect(() => validateRelay({ username: "u" })).toThrow(/together/);
    expect(() => validateRelay({ username: "x".repeat(256), password: "" })).toThrow(/255/);
    expect(() => validateRelay({ maxStreams: 0 })).toThrow(TypeError);
  });

  it("wsproxy opens one WebSocket per connection at url + host:port", () => {
    relay = { ...relay, protocol: "wsproxy", url: "ws://relay.test/tcp/" };
    net._netConnDialRelay("tcp", "::1", 22, 0);
    expect(MockRelay.last.url).toBe("ws://relay.test/tcp/[::1]:22");
  });

  it("maps every close reason to words (and 0x02 to EOF)", () => {
    expect(closeReasonError(REASON.VOLUNTARY, false)).toBeUndefined();
    expect(closeReasonError(REASON.NETWORK, false)).toMatchObject({ message: expect.stringContaining("connection lost") });
    expect(closeReasonError(REASON.INVALID, true)).toMatchObject({ message: expect.stringContaining("invalid") });
    expect(closeReasonError(REASON.TRANSFER_TIMEOUT, false)).toMatchObject({ message: expect.stringContaining("timed out") });
  });
});

describe("UDP", () => {
  async function listen() {
    const h = net._netUdpListen("udp");
    return h;
  }

  it("one stream per destination, datagrams kept whole, sent after the stream settles", async () => {
    const h = await listen();
    const p = net._netUdpWriteTo(h, Uint8Array.of(1, 2, 3), "10.0.0.1", 53) as Promise<number>;
    const r = MockRelay.last;
    r.v1();
    const [c] = r.packets();
    expect(c.payload[0]).toBe(2); // UDP
    expect(r.packets().length).toBe(1); // the datagram waits for the stream to settle
    await vi.advanceTimersByTimeAsync(50 + ws.drainPollMs);
    await expect(p).resolves.toBe(3);
    expect(net._netUdpWriteTo(h, Uint8Array.of(4), "10.0.0.1", 53)).toBe(1);
    expect(r.packets().filter((x) => x.type === PACKET.CONNECT).length).toBe(1);
    r.packet(PACKET.DATA, c.id, [9, 9]);
    r.packet(PACKET.DATA, c.id, [8]);
    const buf = new Uint8Array(16);
    expect(net._netUdpReadFrom(h, buf)).toEqual([2, "10.0.0.1:53"]);
    expect(net._netUdpReadFrom(h, buf)).toEqual([1, "10.0.0.1:53"]);
    expect(net._netUdpReadFrom(h, buf)).toBe(-1);
  });

  it("drops datagrams past the receive bound and bounds destinations (least recently used goes)", async () => {
    ws = { ...ws, readLimitBytes: 300 };
    relay = { ...relay, maxUdpDestinations: 2, connectWaitMs: 0 };
    const h = await listen();
    quiet(net._netUdpWriteTo(h, Uint8Array.of(1), "10.0.0.1", 1));
    const r = MockRelay.last;
    r.v1();
    quiet(net._netUdpWriteTo(h, Uint8Array.of(1), "10.0.0.2", 1));
    quiet(net._netUdpWriteTo(h, Uint8Array.of(1), "10.0.0.3", 1));
    const closes = r.packets().filter((x) => x.type === PACKET.CLOSE);
    expect(closes.length).toBe(1);
    expect(net.udpStreams()).toBe(2);
    const id3 = r.packets().filter((x) => x.type === PACKET.CONNECT).at(-1)!.id;
    for (let i = 0; i < 5; i++) r.packet(PACKET.DATA, id3, new Uint8Array(100));
    expect(net._netRelayStats().udpDropped).toBe(4);
    net._netUdpClose(h);
    expect(net.udpStreams()).toBe(0);
  });

  it("a destination the relay refuses reports it on the next WriteTo there, once", async () => {
    relay = { ...relay, connectWaitMs: 0 };
    const h = await listen();
    quiet(net._netUdpWriteTo(h, Uint8Array.of(1), "10.0.0.9", 9));
    const r = MockRelay.last;
    r.v1();
    const id = r.packets()[0].id;
    r.packet(PACKET.CLOSE, id, [REASON.BLOCKED]);
    expect(() => net._netUdpWriteTo(h, Uint8Array.of(1), "10.0.0.9", 9)).toThrow(expect.objectContaining({ code: "denied" }));
    net._netUdpWriteTo(h, Uint8Array.of(1), "10.0.0.9", 9); // reopens
    expect(r.packets().filter((x) => x.type === PACKET.CONNECT).length).toBe(2);
  });

  it("read deadlines, message size and Close", async () => {
    const h = await listen();
    const ready = waitReady(net._netUdpReady, h).woken;
    net._netUdpSetDeadline(h, 1, Date.now() + 100);
    await vi.advanceTimersByTimeAsync(100);
    await ready;
    expect(() => net._netUdpReadFrom(h, new Uint8Array(4))).toThrow(expect.objectContaining({ code: "timeout" }));
    expect(() => net._netUdpWriteTo(h, new Uint8Array(65508), "10.0.0.1", 1)).toThrow(/message too long/);
    net._netUdpClose(h);
    expect(() => net._netUdpReadFrom(h, new Uint8Array(4))).toThrow(expect.objectContaining({ code: "closed" }));
    expect(net._netUdpCount()).toBe(0);
  });

  it("a reader learns, once, that the relay socket under its streams was lost", async () => {
    relay = { ...relay, connectWaitMs: 0 };
    const h = await listen();
    quiet(net._netUdpWriteTo(h, Uint8Array.of(1), "10.0.0.1", 1));
    MockRelay.last.v1();
    const ready = waitReady(net._netUdpReady, h).woken;
    MockRelay.last.dropped();
    await ready;
    expect(() => net._netUdpReadFrom(h, new Uint8Array(4))).toThrow(/relay connection lost/);
    expect(net._netUdpReadFrom(h, new Uint8Array(4))).toBe(-1);
  });

  it("a relay without the UDP extension (v2) says so", async () => {
    const h = await listen();
    quiet(net._netUdpWriteTo(h, Uint8Array.of(1), "10.0.0.1", 1));
    const r = MockRelay.last;
    r.open();
    r.info([]);
    r.continue(0, 10);
    expect(() => net._netUdpWriteTo(h, Uint8Array.of(1), "10.0.0.2", 1)).toThrow(
      expect.objectContaining({ code: "unsupported", message: expect.stringContaining("does not offer UDP") }),
    );
  });
});
