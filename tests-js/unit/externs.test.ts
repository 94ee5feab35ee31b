// The extern layer as a VM written in JS uses it (callExtern, externInvoke,
// externWait, externCancel), against the compiled wasm in Node: how JS values
// cross, how misuse is reported, and the pending-token loop over a fetch the
// test controls. The real-server runs are in runtime-wasm/tests/externs.rs.
import { readFileSync } from "node:fs";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { init, registerNetBindings } from "../../js/index.js";

type Wasm = Awaited<ReturnType<typeof init>>;
let wasm: Wasm;

beforeAll(async () => {
  wasm = await init({ wasm: readFileSync(new URL("../../pkg/runtime_wasm_bg.wasm", import.meta.url)) });
});

afterEach(() => {
  vi.unstubAllGlobals();
  registerNetBindings({});
});

describe("callExtern", () => {
  it("returns Go's results, errors as objects naming their sentinel", async () => {
    const [handle, err] = await wasm.callExtern("net_listen", ["tcp", ":8080"]);
    expect(handle).toBe(0);
    expect(err).toMatchObject({
      code: "op",
      op: "listen",
      net: "tcp",
      sentinel: "errors.ErrUnsupported",
      timeout: false,
      message:
        'listen tcp :8080: tcp sockets are not available in browser WebAssembly; dial network "ws" or "wss" with a WebSocket URL instead',
    });
  });

  it("converts strings, ints, bytes and lists both ways", async () => {
    const [ip, port, zone, err] = await wasm.callExtern("net_resolveTCPAddr", ["tcp", "[fe80::1%eth0]:https"]);
    expect(ip).toBeInstanceOf(Uint8Array);
    expect(Array.from(ip as Uint8Array).slice(0, 2)).toEqual([0xfe, 0x80]);
    expect([port, zone, err]).toEqual([443, "eth0", null]);
    // A BigInt is accepted where an int is expected (deadlines in ns exceed 2^53).
    const [derr] = await wasm.callExtern("net_connSetDeadline", [77, 1_900_000_000_000_000_000n]);
    expect(derr).toMatchObject({ code: "op", sentinel: "net.ErrClosed" });
    const [names, lerr] = await wasm.callExtern("net_lookupHost", ["127.0.0.1"]);
    expect([names, lerr]).toEqual([["127.0.0.1"], null]);
    const [ips] = await wasm.callExtern("net_lookupIP", ["ip", "localhost"]);
    expect((ips as Uint8Array[]).map((b) => b.length)).toEqual([4, 16]);
  });

  it("rejects misuse with the signature, never a crash", async () => {
    await expect(wasm.callExtern("net_frobnicate", [])).rejects.toThrow(/unknown extern "net_frobnicate"/);
    await expect(wasm.callExtern("net_dial", ["ws"])).rejects.toThrow(
      "net_dial: want 2 argument(s), got 1 (signature: net_dial(network string, address string) (int, error))",
    );
    await expect(wasm.callExtern("net_dial", ["ws", 5])).rejects.toThrow(
      "net_dial: argument 2 (address) must be string, got int",
    );
    await expect(wasm.callExtern("net_connRead", [1, 1.5])).rejects.toThrow("net_connRead[1]: 1.5 is not an integer");
    await expect(wasm.callExtern("net_connWrite", [1, { not: "bytes" }])).rejects.toThrow(/a object cannot be passed/);
    await expect(wasm.callExtern("net_dial", "ws")).rejects.toThrow("net_dial: arguments must be an Array");
    expect(() => wasm.externInvoke("net_dial", null, 123456)).toThrow(/no pending call with token 123456/);
  });

  it("lists every extern with its Go name and signature", () => {
    const list = wasm.externList() as { name: string; go: string; signature: string; canWait: boolean }[];
    const dial = list.find((e) => e.name === "net_dial")!;
    expect(dial).toMatchObject({ go: "net.Dial", canWait: true, results: ["int", "error"] });
    expect(list.find((e) => e.name === "net_listen")!.canWait).toBe(false);
    expect(new Set(list.map((e) => e.name)).size).toBe(list.length);
  });
});

describe("the pending-token loop", () => {
  /** A fetch that answers when the test says so. */
  function gatedFetch() {
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const fetch = vi.fn(async (_url: string, init: RequestInit) => {
      await gate;
      init.signal?.throwIfAborted();
      return new Response("from the gate", { status: 201, headers: { "x-seen": "yes" } });
    });
    vi.stubGlobal("fetch", fetch);
    return { open, fetch };
  }

  it("invoke -> pending token -> wait -> resume collects the results", async () => {
    const { open } = gatedFetch();
    const [req, cerr] = await wasm.callExtern("net_http_requestCreate", ["GET", "https://example.test/x", [], null, 0]);
    expect(cerr).toBeNull();
    const first = wasm.externInvoke("net_http_requestPerform", [req], undefined);
    expect(first.done).toBe(false);
    const token = first.token as number;
    expect(token).toBeGreaterThan(0);
    // Re-invoked before it is done: still the same token.
    expect(wasm.externInvoke("net_http_requestPerform", null, token)).toEqual({ done: false, token });
    open();
    await wasm.externWait(token);
    const last = wasm.externInvoke("net_http_requestPerform", null, token);
    expect(last.done).toBe(true);
    const [status, statusText, proto, header, body, err] = last.values;
    expect([status, statusText, proto, err]).toEqual([201, "201 Created", "HTTP/1.1", null]);
    expect(header).toContain("X-Seen: yes");
    expect(new TextDecoder().decode(body)).toBe("from the gate");
    await wasm.callExtern("net_http_requestRelease", [req]);
    expect(wasm.externCounts()).toMatchObject({ pending: 0, requests: 0, jsRequests: 0 });
  });

  it("externCancel abandons the call and aborts the fetch", async () => {
    const { open, fetch } = gatedFetch();
    const [req] = await wasm.callExtern("net_http_requestCreate", ["GET", "https://example.test/y", [], null, 0]);
    const { token } = wasm.externInvoke("net_http_requestPerform", [req], undefined);
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledTimes(1));
    const signal = fetch.mock.calls[0][1].signal as AbortSignal;
    expect(wasm.externCancel(token)).toBe(true);
    expect(signal.aborted).toBe(true);
    expect(wasm.externCancel(token)).toBe(false);
    open();
    await wasm.externWait(token); // resolves at once: nothing is pending
    expect(() => wasm.externInvoke("net_http_requestPerform", null, token)).toThrow(/cancelled/);
    await wasm.callExtern("net_http_requestRelease", [req]);
    expect(wasm.externCounts()).toMatchObject({ pending: 0, requests: 0, jsRequests: 0 });
  });
});
