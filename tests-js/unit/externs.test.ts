// The extern layer as a VM written in JS uses it (callExtern, externInvoke,
// externWait, externCancel), against the compiled wasm in Node: how JS values
// cross, how misuse is reported, and the pending-token loop over a fetch the
// test controls. The real-server runs are in runtime-wasm/tests/externs.rs.
import { readFileSync } from "node:fs";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { init, registerNetBindings, TrapError } from "../../js/index.js";
import { MockWebSocket } from "./mock-websocket.js";

type Wasm = Awaited<ReturnType<typeof init>>;
let wasm: Wasm;

beforeAll(async () => {
  wasm = await init({ wasm: readFileSync(new URL("../../pkg-debug/runtime_wasm_bg.wasm", import.meta.url)) });
});

// debugPanic exists only in pkg-debug/ (feature debug-panic), which this
// layer loads; the shipped pkg/ has no such export (checked below).
const debug = () => wasm as unknown as { debugPanic(message: string): void };

describe("the shipped wasm", () => {
  it("exports no deliberately panicking function, and the JS API it is built for", () => {
    const shipped = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(new URL("../../pkg/runtime_wasm_bg.wasm", import.meta.url))));
    const names = shipped.map((e) => e.name);
    expect(names).not.toContain("debugPanic");
    expect(names).toEqual(expect.arrayContaining(["callExtern", "externInvoke", "parseIP", "installTrapRecovery"]));
    const test = WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(new URL("../../pkg-debug/runtime_wasm_bg.wasm", import.meta.url))));
    expect(test.map((e) => e.name)).toContain("debugPanic");
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
  registerNetBindings({});
});

describe("callExtern", () => {
  it("returns Go's results, errors as objects naming their sentinel", async () => {
    const [handle, err] = await wasm.callExtern("net.listen", ["tcp", ":8080"]);
    expect(handle).toBe(0);
    expect(err).toMatchObject({
      code: "op",
      op: "listen",
      net: "tcp",
      sentinel: "errors.ErrUnsupported",
      timeout: false,
      message:
        "listen tcp :8080: a page cannot accept connections in browser WebAssembly; Dial the server instead (tcp goes through the host's relay)",
    });
    expect(err).not.toHaveProperty("voSentinel");
  });

  it("takes every spelling of a name", async () => {
    for (const name of ["net.getNetErrors", "vo1:3:net:12:getNetErrors", "net_getNetErrors"]) {
      const errs = (await wasm.callExtern(name, [])) as { message: string; voSentinel: unknown }[];
      expect(errs.map((e) => e.message)).toEqual([
        "use of closed network connection",
        "i/o timeout",
        "connection refused",
        "connection reset by peer",
        "address already in use",
        "address not available",
      ]);
      expect(errs[1].voSentinel).toEqual({ package: "net", index: 1 });
    }
    const [timeout] = await wasm.callExtern("vo1:8:net/http:13:getHttpErrors", []);
    expect(timeout).toMatchObject({ code: "request_timeout", message: "request timeout", voSentinel: { package: "http", index: 0 } });
  });

  it("converts strings, ints, bytes, lists and address records both ways", async () => {
    const [addr, err] = await wasm.callExtern("net.resolveTCPAddr", ["tcp", "[fe80::1%eth0]:https"]);
    expect(err).toBeNull();
    const { IP, Port, Zone } = addr as { IP: Uint8Array; Port: number; Zone: string };
    expect(IP).toBeInstanceOf(Uint8Array);
    expect(Array.from(IP).slice(0, 2)).toEqual([0xfe, 0x80]);
    expect([Port, Zone]).toEqual([443, "eth0"]);
    // A BigInt is accepted where an int64 is expected (deadlines in ns exceed 2^53).
    const [derr] = await wasm.callExtern("net.tcpConnSetDeadline", [77, 1_900_000_000_000_000_000n]);
    expect(derr).toMatchObject({ code: "closed", sentinel: "net.ErrClosed", voSentinel: { package: "net", index: 0 } });
    const [names, lerr] = await wasm.callExtern("net.lookupHost", ["127.0.0.1"]);
    expect([names, lerr]).toEqual([["127.0.0.1"], null]);
    const [ips] = await wasm.callExtern("net.lookupIP", ["localhost"]);
    expect((ips as Uint8Array[]).map((b) => b.length)).toEqual([4, 16]);
  });

  it("rejects misuse with the signature, never a crash", async () => {
    await expect(wasm.callExtern("net.frobnicate", [])).rejects.toThrow(/unknown extern "net.frobnicate"/);
    await expect(wasm.callExtern("net.dial", ["ws"])).rejects.toThrow(
      "net.dial: want 3 argument(s), got 1 (signature: dial(network, address string, timeout time.Duration) (int, error))",
    );
    await expect(wasm.callExtern("net.dial", ["ws", 5, 0])).rejects.toThrow(
      "net.dial: argument 2 (address) must be string, got int",
    );
    await expect(wasm.callExtern("net.tcpConnSetDeadline", [1, 1.5])).rejects.toThrow("net.tcpConnSetDeadline: argument 2: 1.5 is not an integer");
    await expect(wasm.callExtern("net.blocking_tcpConnWrite", [1, { not: "bytes" }])).rejects.toThrow(/a object cannot be passed/);
    await expect(wasm.callExtern("net.dial", "ws")).rejects.toThrow("net.dial: arguments must be an Array");
    expect(() => wasm.externInvoke("net.dial", ["ws", "x", 0], 123456)).toThrow(/no pending call with token 123456/);
  });

  it("lists every extern with its package, canonical name and Vo signature", () => {
    const list = wasm.externList() as { package: string; name: string; canonical: string; signature: string; canWait: boolean; results: string[] }[];
    const dial = list.find((e) => e.name === "dial")!;
    expect(dial).toMatchObject({
      package: "net",
      canonical: "vo1:3:net:4:dial",
      signature: "dial(network, address string, timeout time.Duration) (int, error)",
      canWait: true,
      results: ["int", "error"],
    });
    expect(list.find((e) => e.name === "listen")!.canWait).toBe(false);
    expect(list.length).toBe(45);
    expect(new Set(list.map((e) => e.canonical)).size).toBe(list.length);
  });
});

describe("the replay loop", () => {
  /** A fetch that answers when the test says so, with a body the test feeds. */
  function gatedFetch() {
    let open!: () => void;
    let body!: ReadableStreamDefaultController<Uint8Array>;
    const gate = new Promise<void>((r) => (open = r));
    const stream = new ReadableStream<Uint8Array>({ start: (c) => void (body = c) });
    const fetch = vi.fn(async (_url: string, init: RequestInit) => {
      await gate;
      init.signal?.throwIfAborted();
      return new Response(stream, { status: 201, headers: { "x-seen": "yes" } });
    });
    vi.stubGlobal("fetch", fetch);
    return { open, fetch, body };
  }
  const request = (id: unknown, url: string) => [id, "GET", url, [], null, 0];

  it("invoke -> pending token -> wait -> replay with the same arguments collects the results", async () => {
    const { open, body } = gatedFetch();
    const [id, cerr] = await wasm.callExtern("net/http.nativeNewClientRequest", []);
    expect(cerr).toBeNull();
    const args = request(id, "https://example.test/x");
    const first = wasm.externInvoke("net/http.nativeHttpsRequest", args, undefined);
    expect(first.done).toBe(false);
    const token = first.token as number;
    expect(token).toBeGreaterThan(0);
    // Replayed before it is done: still the same token.
    expect(wasm.externInvoke("net/http.nativeHttpsRequest", args, token)).toEqual({ done: false, token });
    open();
    body.enqueue(new TextEncoder().encode("from the gate"));
    body.close();
    await wasm.externWait(token);
    const last = wasm.externInvoke("net/http.nativeHttpsRequest", args, token);
    expect(last.done).toBe(true);
    const [status, statusText, proto, header, got, err] = last.values;
    expect([status, statusText, proto, err]).toEqual([201, "201 Created", "HTTP/1.1", null]);
    expect(header).toContain("X-Seen: yes");
    expect(new TextDecoder().decode(got)).toBe("from the gate");
    await wasm.callExtern("net/http.nativeReleaseClientRequest", [id]);
    expect(wasm.externCounts()).toMatchObject({ pending: 0, requests: 0, jsRequests: 0, waits: 0 });
  });

  it("a JS VM's Uint8Array is filled in place by a read", async () => {
    const { open, body } = gatedFetch();
    open();
    const [id] = await wasm.callExtern("net/http.nativeNewClientRequest", []);
    const [status, , , , length, err] = await wasm.callExtern("net/http.nativeHttpsRequestStream", request(id, "https://example.test/s"));
    expect([status, length, err]).toEqual([201, -1, null]);
    const guest = new Uint8Array(8).fill(0xee);
    const pending = wasm.callExtern("net/http.blocking_responseBodyRead", [id, guest.subarray(2, 6)]);
    body.enqueue(new Uint8Array([1, 2, 3, 4, 5, 6]));
    expect(await pending).toEqual([4, null]);
    expect([...guest]).toEqual([0xee, 0xee, 1, 2, 3, 4, 0xee, 0xee]);
    const small = new Uint8Array(10);
    expect(await wasm.callExtern("net/http.blocking_responseBodyRead", [id, small])).toEqual([2, null]);
    expect([...small.subarray(0, 2)]).toEqual([5, 6]);
    body.close();
    const [n, eof] = await wasm.callExtern("net/http.blocking_responseBodyRead", [id, small]);
    expect([n, eof]).toMatchObject([0, { code: "eof", message: "EOF", sentinel: "io.EOF", voSentinel: { package: "io", index: 0 } }]);
    await wasm.callExtern("net/http.nativeReleaseClientRequest", [id]);
    expect(wasm.externCounts()).toMatchObject({ pending: 0, requests: 0, jsRequests: 0, waits: 0 });
  });

  it("externCancel abandons the call and aborts the fetch", async () => {
    const { open, fetch } = gatedFetch();
    const [id] = await wasm.callExtern("net/http.nativeNewClientRequest", []);
    const args = request(id, "https://example.test/y");
    const { token } = wasm.externInvoke("net/http.nativeHttpsRequest", args, undefined);
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    const signal = fetch.mock.calls[0][1].signal as AbortSignal;
    expect(wasm.externCancel(token)).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(wasm.externCancel(token)).toBe(false);
    open();
    await wasm.externWait(token); // resolves at once: nothing is pending
    expect(() => wasm.externInvoke("net/http.nativeHttpsRequest", args, token)).toThrow(/cancelled/);
    await wasm.callExtern("net/http.nativeReleaseClientRequest", [id]);
    expect(wasm.externCounts()).toMatchObject({ pending: 0, requests: 0, jsRequests: 0, waits: 0 });
  });

  it("nativeCancelClientRequest from another goroutine aborts the fetch in flight", async () => {
    const { fetch } = gatedFetch();
    const [id] = await wasm.callExtern("net/http.nativeNewClientRequest", []);
    const done = wasm.callExtern("net/http.nativeHttpsRequest", request(id, "https://example.test/z"));
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    await wasm.callExtern("net/http.nativeCancelClientRequest", [id]);
    const out = (await done) as unknown[];
    expect(out[5]).toMatchObject({ code: "url", sentinel: "context.Canceled", message: 'Get "https://example.test/z": context canceled' });
    await wasm.callExtern("net/http.nativeReleaseClientRequest", [id]);
    expect(wasm.externCounts()).toMatchObject({ pending: 0, requests: 0, jsRequests: 0, waits: 0 });
  });
});

describe("a read woken by a message", () => {
  it("runs inside the message's event, and a wake from inside our own call still waits for the stack", async () => {
    vi.stubGlobal("WebSocket", MockWebSocket);
    registerNetBindings({ ws: { transport: "classic" } });
    const dial = wasm.callExtern("net.dial", ["ws", "ws://peer.test/", 0]);
    const sock = MockWebSocket.last!;
    sock.open();
    const [h, derr] = await dial;
    expect(derr).toBeNull();
    const guest = new Uint8Array(4);
    const read = wasm.callExtern("net.blocking_tcpConnRead", [h, guest]);
    let settled = false;
    void read.then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false); // nothing queued: it waits
    sock.message([7, 8]);
    // The bytes are already in the guest's buffer when the event returns:
    // the woken read ran inside it, not from a later microtask.
    expect([...guest]).toEqual([7, 8, 0, 0]);
    expect(await read).toEqual([2, null]);
    // A read pending when the guest closes: _netConnClose wakes it from
    // inside our call into the table (Rust frames below), so it is polled
    // afterwards, and ends with Go's error, not a re-entered stack.
    const second = wasm.callExtern("net.blocking_tcpConnRead", [h, guest]);
    const [cerr] = await wasm.callExtern("net.tcpConnClose", [h]);
    expect(cerr).toBeNull();
    const [n, rerr] = (await second) as [number, { code: string }];
    expect(n).toBe(0);
    expect(rerr.code).toBe("closed");
    expect(wasm.externCounts()).toMatchObject({ pending: 0, waits: 0 });
  });
});

describe("a trap does not break the module", () => {
  it("the trapping call throws a clear error, what was pending rejects, later calls work", async () => {
    // A call left waiting on the old instance: a fetch that never answers.
    vi.stubGlobal("fetch", () => new Promise(() => {}));
    const before = wasm.callExtern("net/http.nativeHttpsRequest", [
      (await wasm.callExtern("net/http.nativeNewClientRequest", []))[0],
      "GET", "http://h.test/", [], new Uint8Array(0), 0n,
    ]);
    // (Let the call reach fetch: a callback the old instance queued in the
    // very tick of the trap is dropped by wasm-bindgen with a console error.)
    await new Promise((r) => setTimeout(r, 0));
    let err: unknown;
    try {
      debug().debugPanic("index out of bounds: the len is 3 but the index is 7");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TrapError);
    expect((err as TrapError).code).toBe("trap");
    expect((err as Error).message).toMatch(
      /^runtime-wasm trapped in debugPanic: panicked at .*trap\.rs.*index out of bounds: the len is 3 but the index is 7; the module was reset/s,
    );
    await expect(before).rejects.toBeInstanceOf(TrapError);
    // A fresh instance: nothing pending, calls work, and again after more traps.
    expect(wasm.externCounts()).toMatchObject({ pending: 0, waits: 0 });
    for (let i = 0; i < 300; i++) expect(() => debug().debugPanic(`trap ${i}`)).toThrow(TrapError);
    const errs = (await wasm.callExtern("net.getNetErrors", [])) as { message: string }[];
    expect(errs[0].message).toBe("use of closed network connection");
    expect(wasm.parseIP("::ffff:1.2.3.4")).toBe("1.2.3.4");
  });
});

describe("http.relayHosts in the build without TLS", () => {
  it("a request the page routes through the relay fails saying which build it needs, and fetch is not called", async () => {
    const fetchSpy = vi.fn();
    vi.stubGlobal("fetch", fetchSpy);
    registerNetBindings({ http: { relayHosts: ["nocors.example.test"] } });
    try {
      const [id] = await wasm.callExtern("net/http.nativeNewClientRequest", []);
      const out = await wasm.callExtern("net/http.nativeHttpsRequest", [id, "GET", "https://nocors.example.test/x", [], new Uint8Array(0), 0n]);
      expect(out[5]).toMatchObject({
        code: "url", // Go's *url.Error around it
        message:
          'Get "https://nocors.example.test/x": net/http: the page sends requests for "nocors.example.test" through the relay ' +
          "(http.relayHosts), but this build has no TLS inside the page (the crate's feature tls; go-net-wasm/tls)",
      });
      await wasm.callExtern("net/http.nativeReleaseClientRequest", [id]);
      expect(fetchSpy).not.toHaveBeenCalled();
    } finally {
      registerNetBindings({ http: { relayHosts: [] } });
      vi.unstubAllGlobals();
    }
  });
});
