// The Conn table (js/conn.ts) over the WebSocket transports (js/ws.ts) with a mocked WebSocket and fake
// timers: the edge cases a real server cannot produce on demand. The same
// code runs against real servers in Chromium (runtime-wasm/tests/conn.rs).
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createConnBindings, MESSAGE_COST } from "../../js/conn.js";
import { createWsBindings } from "../../js/ws.js";
import { READ_LIMIT_CLOSE_CODE, WS_DEFAULTS, type WsOptions } from "../../js/ws.js";
import { setWaker } from "../../js/wake.js";
import { unicodeStrings } from "./unicode.js";
import { waitReady } from "./waker.js";
import { MockWebSocket } from "./mock-websocket.js";

let net: ReturnType<typeof createConnBindings> & ReturnType<typeof createWsBindings>;
let opts: WsOptions;

beforeEach(() => {
  vi.useFakeTimers();
  vi.stubGlobal("WebSocket", MockWebSocket);
  opts = { ...WS_DEFAULTS, transport: "classic" };
  const c = createConnBindings(() => opts);
  net = { ...c, ...createWsBindings(c.addConn, () => opts) };
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** Dials and opens a mocked socket. */
async function openConn(): Promise<[number, MockWebSocket]> {
  const h = net._netConnDialWs("ws://h/p", 0);
  const ws = MockWebSocket.last!;
  const opened = net._netConnOpened(h);
  ws.open();
  await opened;
  return [h, ws];
}

/** One read attempt into a fresh n-byte buffer: the bytes it put there, or
 *  null when nothing is queued. Throws what the table throws. */
function rd(h: number, n: number): number[] | null {
  const dest = new Uint8Array(n);
  const k = net._netConnRead(h, dest);
  return k < 0 ? null : [...dest.subarray(0, k)];
}

/** Go's poller loop: try, else wait for readiness and try again. */
async function readWait(h: number, n: number): Promise<number[]> {
  for (;;) {
    const got = rd(h, n);
    if (got) return got;
    await waitReady(net._netConnReady, h).woken;
  }
}

/** Settles a value that may be a Promise, capturing rejections. */
async function outcome<T>(v: T | Promise<T>): Promise<{ ok: T } | { err: unknown }> {
  try {
    return { ok: await v };
  } catch (err) {
    return { err };
  }
}

describe("dial", () => {
  it("sets arraybuffer and listens before the socket opens, so early messages queue", async () => {
    const h = net._netConnDialWs("ws://h/p", 0);
    const ws = MockWebSocket.last!;
    expect(ws.binaryType).toBe("arraybuffer");
    expect(ws.onmessage).toBeTypeOf("function");
    const opened = net._netConnOpened(h);
    ws.open();
    ws.message([1, 2, 3]); // before anyone reads
    await opened;
    expect(rd(h, 10)).toEqual([1, 2, 3]);
  });

  it("fails with the browser's reason for a bad URL, and frees nothing it did not take", () => {
    expect(() => net._netConnDialWs("ws://[::1/", 0)).toThrow(
      expect.objectContaining({ code: "other", message: expect.stringContaining('invalid WebSocket URL "ws://[::1/"') }),
    );
    expect(net._netConnCount()).toBe(0);
  });

  it("names mixed content and other SecurityErrors", () => {
    class Blocked extends MockWebSocket {
      constructor(url: string) {
        super(url);
        throw Object.assign(new Error("An insecure WebSocket connection may not be initiated from a page loaded over HTTPS."), {
          name: "SecurityError",
        });
      }
    }
    vi.stubGlobal("WebSocket", Blocked);
    vi.stubGlobal("location", { protocol: "https:", origin: "https://app.example" });
    expect(() => net._netConnDialWs("ws://h/p", 0)).toThrow(
      expect.objectContaining({ message: "mixed content: an https page cannot open insecure ws://h/p; use wss://" }),
    );
    expect(() => net._netConnDialWs("wss://h:1/p", 0)).toThrow(
      expect.objectContaining({ message: expect.stringMatching(/^blocked by the browser \(SecurityError\): /) }),
    );
    expect(net._netConnCount()).toBe(0);
  });

  it("a close before open rejects the dial with a readable cause and frees the handle", async () => {
    const h = net._netConnDialWs("ws://h/p", 0);
    const opened = outcome(net._netConnOpened(h));
    MockWebSocket.last!.peerClose(1006);
    expect(await opened).toEqual({ err: expect.objectContaining({ message: expect.stringContaining("websocket connection failed (code 1006)") }) });
    expect(net._netConnCount()).toBe(0);
  });

  it("an error with no close before open (WebKit) fails the dial at once; with a close after it (Chromium), once", async () => {
    const h = net._netConnDialWs("ws://h/p", 0); // no timeout: it would wait forever
    const opened = outcome(net._netConnOpened(h));
    MockWebSocket.last!.error();
    expect(await opened).toEqual({ err: expect.objectContaining({ message: expect.stringContaining("websocket connection failed (code 1006)") }) });
    expect(net._netConnCount()).toBe(0);
    const h2 = net._netConnDialWs("ws://h/p", 0);
    const opened2 = outcome(net._netConnOpened(h2));
    MockWebSocket.last!.error();
    MockWebSocket.last!.peerClose(1006);
    expect(await opened2).toEqual({ err: expect.objectContaining({ message: expect.stringContaining("(code 1006)") }) });
    expect(net._netConnCount()).toBe(0);
  });

  it("an error on an https page dialing ws:// says mixed content", async () => {
    vi.stubGlobal("location", { protocol: "https:" });
    const h = net._netConnDialWs("ws://h/p", 0);
    const opened = outcome(net._netConnOpened(h));
    MockWebSocket.last!.error();
    expect(await opened).toEqual({ err: expect.objectContaining({ message: expect.stringContaining("mixed content: an https page cannot open insecure ws://h/p") }) });
  });

  it('transport "stream" where there is no WebSocketStream is a clear error, not "Ctor is not a constructor"', () => {
    opts = { ...opts, transport: "stream" };
    vi.stubGlobal("WebSocketStream", undefined);
    expect(() => net._netConnDialWs("ws://h/p", 0)).toThrow(expect.objectContaining({ message: expect.stringContaining('ws.transport "stream" needs WebSocketStream') }));
    expect(net._netConnCount()).toBe(0);
  });

  it("times out, closes the half-open socket and frees the handle", async () => {
    const h = net._netConnDialWs("ws://h/p", 500);
    const ws = MockWebSocket.last!;
    const opened = outcome(net._netConnOpened(h));
    vi.advanceTimersByTime(499);
    expect(net._netConnCount()).toBe(1);
    vi.advanceTimersByTime(1);
    expect(await opened).toEqual({ err: { code: "timeout" } });
    expect(ws.closedWith).toEqual({ code: 1000, reason: undefined });
    expect(ws.onclose).toBeNull();
    expect(net._netConnCount()).toBe(0);
  });

  it("abort frees a dial without settling it", async () => {
    const h = net._netConnDialWs("ws://h/p", 0);
    let settled = false;
    net._netConnOpened(h).then(() => (settled = true), () => (settled = true));
    net._netConnRelease(h);
    await vi.runAllTimersAsync();
    expect(settled).toBe(false);
    expect(net._netConnCount()).toBe(0);
  });
});

describe("read", () => {
  it("copies into the destination, splitting a message across reads and joining several in one", async () => {
    const [h, ws] = await openConn();
    ws.message([1, 2, 3]);
    ws.message([4, 5]);
    ws.message("é"); // text becomes its UTF-8 bytes
    expect(rd(h, 2)).toEqual([1, 2]);
    expect(rd(h, 10)).toEqual([3, 4, 5, 0xc3, 0xa9]);
    expect(rd(h, 10)).toBeNull(); // nothing queued: -1, not an empty read
  });

  it("fills exactly the destination it is given, at an offset of a larger buffer", async () => {
    const [h, ws] = await openConn();
    ws.message([1, 2, 3, 4]);
    const guest = new Uint8Array(8).fill(9);
    expect(net._netConnRead(h, guest.subarray(2, 5))).toBe(3);
    expect([...guest]).toEqual([9, 9, 1, 2, 3, 9, 9, 9]);
  });

  it("ready() settles when data arrives, for every waiter", async () => {
    const [h, ws] = await openConn();
    expect(rd(h, 10)).toBeNull();
    let woke = 0;
    const a = waitReady(net._netConnReady, h).woken.then(() => woke++);
    const b = waitReady(net._netConnReady, h).woken.then(() => woke++);
    await Promise.resolve();
    expect(woke).toBe(0);
    ws.message([9]);
    await Promise.all([a, b]);
    expect(woke).toBe(2);
    expect(rd(h, 10)).toEqual([9]);
  });

  it("a deadline wakes a waiting reader, whose next read times out; the conn stays usable", async () => {
    const [h, ws] = await openConn();
    net._netConnSetDeadline(h, 1, Date.now() + 100);
    const p = outcome(readWait(h, 10));
    vi.advanceTimersByTime(100);
    expect(await p).toEqual({ err: { code: "timeout" } });
    net._netConnSetDeadline(h, 1, 0);
    ws.message([7]);
    expect(rd(h, 10)).toEqual([7]);
  });

  it("a deadline past setTimeout's range does not fire early", async () => {
    const [h, ws] = await openConn();
    net._netConnSetDeadline(h, 1, Date.now() + 30 * 24 * 3600 * 1000); // 30 days: over 2^31-1 ms
    const p = outcome(readWait(h, 10));
    vi.advanceTimersByTime(1000);
    ws.message([1]);
    expect(await p).toEqual({ ok: [1] });
  });

  it("a dial timeout past setTimeout's range fires when it is due, not at once or early", async () => {
    const day = 24 * 3600 * 1000;
    const h = net._netConnDialWs("ws://h/p", 30 * day);
    let settled = false;
    const opened = net._netConnOpened(h).catch((e) => e).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(29 * day);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(day + 1);
    expect(await opened).toEqual({ code: "timeout" });
  });

  it("a past deadline fails at once even with data queued; zero clears it", async () => {
    const [h, ws] = await openConn();
    ws.message([1]);
    net._netConnSetDeadline(h, 3, Date.now() - 1);
    expect(() => rd(h, 1)).toThrow(expect.objectContaining({ code: "timeout" }));
    expect(() => net._netConnWrite(h, new Uint8Array([1]))).toThrow(expect.objectContaining({ code: "timeout" }));
    net._netConnSetDeadline(h, 3, 0);
    expect(rd(h, 1)).toEqual([1]);
  });

  it("changing the deadline applies to the waiting reader", async () => {
    const [h, ws] = await openConn();
    net._netConnSetDeadline(h, 1, Date.now() + 100);
    const p = readWait(h, 10);
    vi.advanceTimersByTime(50);
    net._netConnSetDeadline(h, 1, Date.now() + 1000); // extended
    vi.advanceTimersByTime(500);
    ws.message([5]);
    expect(await p).toEqual([5]);
    const q = outcome(readWait(h, 10));
    await Promise.resolve();
    net._netConnSetDeadline(h, 1, Date.now() - 1); // moved into the past
    expect(await q).toEqual({ err: { code: "timeout" } });
  });

  it("a forgotten waiter is never settled, and the data stays for the next read", async () => {
    const [h, ws] = await openConn();
    let settled = false;
    const w = waitReady(net._netConnReady, h);
    w.woken.then(() => (settled = true));
    net._netConnForget(h, w.token);
    ws.message([1, 2]);
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(rd(h, 10)).toEqual([1, 2]);
  });

  it("wakes go to the instance that owns the token; a waker that throws does not stop the others", async () => {
    const [h, ws] = await openConn();
    const got: string[] = [];
    const a = setWaker((t) => got.push(`a${t % 2 ** 32}`));
    const dead = setWaker(() => {
      throw new Error("trapped instance");
    });
    const b = setWaker((t) => got.push(`b${t % 2 ** 32}`));
    net._netConnReady(h, a * 2 ** 32 + 5);
    net._netConnReady(h, dead * 2 ** 32 + 6);
    net._netConnReady(h, b * 2 ** 32 + 7);
    ws.message([1]);
    expect(got).toEqual(["a5", "b7"]); // synchronously, in order, the throw swallowed
    expect(rd(h, 10)).toEqual([1]);
  });

  it("Ready refuses a token it could not wake, and the table holds nothing for it", async () => {
    const [h, ws] = await openConn();
    const bad: unknown[] = [NaN, -1, 1.5, 2 ** 53, Infinity, "7", null, {}];
    for (const s of unicodeStrings(50)) bad.push(s);
    for (const t of bad) expect(() => net._netConnReady(h, t as number)).toThrow(TypeError);
    let woke = 0;
    const id = setWaker(() => woke++);
    net._netConnReady(h, id * 2 ** 32);
    ws.message([2]);
    expect(woke).toBe(1); // only the one valid wait was held
    expect(() => setWaker(42 as unknown as () => void)).toThrow(TypeError);
  });

  it("Close wakes a waiting reader, whose next read finds the handle closed", async () => {
    const [h] = await openConn();
    const p = outcome(readWait(h, 10));
    net._netConnClose(h);
    expect(await p).toEqual({ err: { code: "closed" } });
  });

  it.each([1000, 1001, 1005])("peer close %i: queued bytes, then EOF", async (code) => {
    const [h, ws] = await openConn();
    ws.message([1, 2]);
    ws.peerClose(code);
    expect(rd(h, 10)).toEqual([1, 2]);
    expect(() => rd(h, 10)).toThrow(expect.objectContaining({ code: "eof" }));
  });

  it("abnormal close: queued bytes, then an error naming the code and reason", async () => {
    const [h, ws] = await openConn();
    const pending = outcome(readWait(h, 10));
    ws.message([3]);
    expect(await pending).toEqual({ ok: [3] });
    ws.message([4]);
    ws.peerClose(4001, "bye");
    expect(rd(h, 10)).toEqual([4]);
    expect(() => rd(h, 10)).toThrow(expect.objectContaining({ message: "websocket closed by peer with code 4001 (bye)" }));
    const [h2, ws2] = await openConn();
    const p = outcome(readWait(h2, 10));
    ws2.peerClose(1006);
    expect(await p).toEqual({ err: expect.objectContaining({ message: expect.stringContaining("(code 1006)") }) });
  });

  it("over the receive limit: closes with 4009, keeps every byte, then says why", async () => {
    opts.readLimitBytes = 4 + MESSAGE_COST; // the bytes and one chunk object
    const [h, ws] = await openConn();
    ws.message([1, 2, 3]);
    ws.message([4, 5, 6]); // crosses the limit: kept, socket closed
    expect(ws.closedWith?.code).toBe(READ_LIMIT_CLOSE_CODE);
    ws.message([7]); // the browser drops these after close(); ignored here too
    expect(rd(h, 100)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => rd(h, 10)).toThrow(
      expect.objectContaining({ message: expect.stringContaining(`receive buffer limit of ${4 + MESSAGE_COST} bytes exceeded`) }),
    );
  });

  it("a flood of tiny messages is packed: its cost is about its payload, not an object per message", async () => {
    opts.readLimitBytes = 1 << 30;
    const [h, ws] = await openConn();
    const n = 200_000;
    for (let i = 0; i < n; i++) ws.message([i & 0xff]);
    const blocks = Math.ceil(n / (64 * 1024));
    expect(net.connQueueCost(h)).toBe(n + MESSAGE_COST * blocks); // ~1.002 of the payload, not 129x
    const dest = new Uint8Array(n + 10);
    expect(net._netConnRead(h, dest)).toBe(n);
    expect(dest.subarray(0, n).every((b, i) => b === (i & 0xff))).toBe(true);
    expect(net.connQueueCost(h)).toBe(0);
  });

  it("tiny messages count per chunk against the bound, so a flood cannot hide under it", async () => {
    opts.readLimitBytes = 10 * (4096 + MESSAGE_COST) - 1;
    const [h, ws] = await openConn();
    const big = new Array(4096).fill(7); // over the packing size: one chunk each
    for (let i = 0; i < 9; i++) ws.message(big);
    expect(ws.closedWith).toBeUndefined();
    ws.message(big); // payload 40960 is under the bound, the cost is not
    expect(ws.closedWith?.code).toBe(READ_LIMIT_CLOSE_CODE);
    expect(net._netConnRead(h, new Uint8Array(1 << 20))).toBe(10 * 4096);
  });

  it("packing keeps order across partial reads and messages that arrive between them", async () => {
    opts.readLimitBytes = 1 << 30;
    const [h, ws] = await openConn();
    const want: number[] = [];
    let k = 0;
    const got: number[] = [];
    for (let round = 0; round < 300; round++) {
      const len = [1, 3, 2047, 2048, 2049, 5000][round % 6];
      const m = Array.from({ length: len }, () => k++ & 0xff);
      want.push(...m);
      ws.message(m);
      const r = rd(h, [1, 700, 5000, 3][round % 4]);
      if (r) got.push(...r);
    }
    for (let r = rd(h, 4096); r; r = rd(h, 4096)) got.push(...r);
    expect(got.length).toBe(want.length);
    expect(got.every((b, i) => b === want[i])).toBe(true);
  });

  it("many small messages drain in order through small and large reads", async () => {
    opts.readLimitBytes = 1 << 30;
    const [h, ws] = await openConn();
    const n = 50_000;
    for (let i = 0; i < n; i++) ws.message([i & 0xff]);
    const got: number[] = [];
    for (let size = 1; got.length < n; size = size === 1 ? 4096 : 1) got.push(...rd(h, size)!);
    expect(got.length).toBe(n);
    expect(got.every((b, i) => b === (i & 0xff))).toBe(true);
    expect(rd(h, 10)).toBeNull();
  });
});

describe("write", () => {
  it("sends at once when there is room, splitting at maxMessageBytes", async () => {
    opts.maxMessageBytes = 3;
    const [h, ws] = await openConn();
    expect(net._netConnWrite(h, new Uint8Array([1, 2, 3, 4, 5, 6, 7]))).toBe(7);
    expect(ws.sent).toEqual([[1, 2, 3], [4, 5, 6], [7]]);
  });

  it("waits for bufferedAmount to drain, on a copy of the caller's bytes, in order", async () => {
    opts.writeHighWaterBytes = 10;
    const [h, ws] = await openConn();
    ws.bufferedAmount = 50;
    const src = new Uint8Array([1, 2]);
    const first = net._netConnWrite(h, src);
    expect(first).toBeInstanceOf(Promise);
    src[0] = 99; // the caller's memory may change once the call returns
    const second = net._netConnWrite(h, new Uint8Array([3])); // must queue behind the first
    expect(second).toBeInstanceOf(Promise);
    vi.advanceTimersByTime(20);
    expect(ws.sent).toEqual([]);
    ws.bufferedAmount = 0;
    vi.advanceTimersByTime(opts.drainPollMs);
    expect(await first).toBe(2);
    expect(await second).toBe(1);
    expect(ws.sent).toEqual([[1, 2], [3]]);
  });

  it("a write deadline ends the wait: timeout with nothing sent, partial count otherwise", async () => {
    opts.writeHighWaterBytes = 1; // waits while more than 1 byte is buffered
    opts.maxMessageBytes = 2;
    const [h, ws] = await openConn();
    net._netConnSetDeadline(h, 2, Date.now() + 100);
    // 2 bytes fit, the rest waits: the deadline returns the partial count.
    const partial = net._netConnWrite(h, new Uint8Array([1, 2, 3, 4]));
    vi.advanceTimersByTime(100);
    expect(await partial).toBe(2);
    expect(() => net._netConnWrite(h, new Uint8Array([5]))).toThrow(expect.objectContaining({ code: "timeout" }));
    net._netConnSetDeadline(h, 2, Date.now() + 100);
    const none = outcome(net._netConnWrite(h, new Uint8Array([6])));
    vi.advanceTimersByTime(100);
    expect(await none).toEqual({ err: { code: "timeout" } });
    expect(ws.sent).toEqual([[1, 2]]);
  });

  it("never succeeds on a socket the peer closed", async () => {
    const [h, ws] = await openConn();
    ws.peerClose(1000);
    expect(() => net._netConnWrite(h, new Uint8Array([1]))).toThrow(expect.objectContaining({ code: "other" }));
    expect(ws.sent).toEqual([]);
  });

  it("pending writes fail when the peer closes", async () => {
    opts.writeHighWaterBytes = 0;
    const [h, ws] = await openConn();
    ws.bufferedAmount = 1;
    const p = outcome(net._netConnWrite(h, new Uint8Array([1])));
    ws.peerClose(4002, "gone");
    expect(await p).toEqual({ err: expect.objectContaining({ message: "websocket closed by peer with code 4002 (gone)" }) });
  });
});

describe("counting sockets", () => {
  it("a closed Conn's socket counts until the browser releases it (a peer can stall the close)", async () => {
    const [h, ws] = await openConn();
    expect([net._netConnCount(), net.connSockets()]).toEqual([1, 1]);
    net._netConnClose(h);
    expect([net._netConnCount(), net.connSockets()]).toEqual([0, 1]); // the handle is gone, the socket is not
    ws.peerClose(1000); // the closing handshake ends
    expect(net.connSockets()).toBe(0);
    ws.peerClose(1000); // once only
    expect(net.connSockets()).toBe(0);
  });

  it("a failed dial and a released one stop counting when the browser gives up the socket", async () => {
    const h = net._netConnDialWs("ws://h/p", 0);
    const ws = MockWebSocket.last!;
    const opened = net._netConnOpened(h).catch((e) => e);
    ws.peerClose(1006);
    expect((await opened).code).toBe("other");
    expect(net.connSockets()).toBe(0);
    const h2 = net._netConnDialWs("ws://h/p", 0);
    net._netConnRelease(h2);
    expect([net._netConnCount(), net.connSockets()]).toEqual([0, 1]);
    MockWebSocket.last!.peerClose(1006);
    expect(net.connSockets()).toBe(0);
  });
});

describe("close", () => {
  it("closes with 1000, fails pending operations with ErrClosed, frees the handle", async () => {
    opts.writeHighWaterBytes = 0;
    const [h, ws] = await openConn();
    const r = outcome(readWait(h, 1));
    ws.bufferedAmount = 5;
    const w = outcome(net._netConnWrite(h, new Uint8Array([1])));
    net._netConnClose(h);
    expect(await r).toEqual({ err: { code: "closed" } });
    expect(await w).toEqual({ err: { code: "closed" } });
    expect(ws.closedWith).toEqual({ code: 1000, reason: undefined });
    expect([ws.onmessage, ws.onopen, ws.onclose]).toEqual([null, null, null]);
    expect(net._netConnCount()).toBe(0);
    // Every later call, a second Close included, is ErrClosed.
    for (const call of [() => net._netConnClose(h), () => rd(h, 1), () => net._netConnWrite(h, new Uint8Array(1))])
      expect(call).toThrow(expect.objectContaining({ code: "closed" }));
  });

  it("handles are never reused", async () => {
    const [h1] = await openConn();
    net._netConnClose(h1);
    const [h2] = await openConn();
    expect(h2).not.toBe(h1);
    expect(() => rd(h1, 1)).toThrow(expect.objectContaining({ code: "closed" }));
  });

  it("leaves no timers behind", async () => {
    const [h] = await openConn();
    net._netConnSetDeadline(h, 3, Date.now() + 1000);
    void outcome(readWait(h, 1));
    net._netConnClose(h);
    expect(vi.getTimerCount()).toBe(0);
  });
});
