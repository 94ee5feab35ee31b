// The fetch-backed request table (js/http.ts) with a mocked fetch and fake
// timers: option translation, streaming, each timeout and error path. The
// same code runs against a real server in Chromium (runtime-wasm/tests/http.rs).
import { afterEach, describe, expect, it, vi } from "vitest";
import { createHttpBindings, HTTP_DEFAULTS, validateHttp, type HttpOptions, type HttpRequestSpec } from "../../js/http.js";
import type { NetError } from "../../js/errors.js";
import { createGate, type NetPolicy } from "../../js/policy.js";
import { waitReady } from "./waker.js";
import { unicodeStrings } from "./unicode.js";

const URL_ = "http://api.test/x";

function spec(over: Partial<HttpRequestSpec> = {}): HttpRequestSpec {
  return { method: "GET", url: URL_, headers: [], body: "none", deadline: 0, deadlineKind: "client", ...over };
}

interface Call {
  url: string;
  init: RequestInit & { duplex?: string };
}

/** A fetch answering with `respond` (a Response, or a rejection). */
function mockFetch(respond: (c: Call) => Promise<Response> | Response) {
  const calls: Call[] = [];
  vi.stubGlobal(
    "fetch",
    vi.fn((url: string, init: RequestInit) => {
      const c = { url, init };
      calls.push(c);
      const signal = init.signal;
      return new Promise<Response>((ok, fail) => {
        signal?.addEventListener("abort", () => fail(new DOMException("The operation was aborted.", "AbortError")));
        Promise.resolve()
          .then(() => respond(c))
          .then(ok, fail);
      });
    }),
  );
  return calls;
}

/** A body stream we control chunk by chunk. */
function controlledBody() {
  let ctl!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>({ start: (c) => void (ctl = c) });
  return { stream, ctl };
}

function bindings(opts: Partial<HttpOptions> = {}, policy: NetPolicy = { credentials: "include" }) {
  const o = { ...HTTP_DEFAULTS, ...opts };
  const b = createHttpBindings(() => o, createGate(() => policy, () => b._netHttpCount()));
  return b;
}

async function rejection(p: unknown): Promise<NetError> {
  try {
    await p;
  } catch (e) {
    return e as NetError;
  }
  throw new Error("expected a rejection");
}

function thrown(f: () => unknown): NetError {
  try {
    f();
  } catch (e) {
    return e as NetError;
  }
  throw new Error("expected a throw");
}

const msg = (e: NetError) => ("message" in e ? e.message : e.code);

type Bindings = ReturnType<typeof bindings>;
/** One read attempt into a fresh n-byte buffer: the bytes, or null when
 *  nothing is queued. Throws what the table throws (eof at the end). */
function rd(b: Bindings, h: number, n: number): number[] | null {
  const dest = new Uint8Array(n);
  const k = b._netHttpRead(h, dest);
  return k < 0 ? null : [...dest.subarray(0, k)];
}
/** Go's poller loop: try, else wait for readiness and try again. */
async function readWait(b: Bindings, h: number, n: number): Promise<number[]> {
  for (;;) {
    const got = rd(b, h, n);
    if (got) return got;
    await waitReady(b._netHttpReady, h).woken;
  }
}
/** Reads to the end: the bytes, having seen eof. */
async function readAll(b: Bindings, h: number): Promise<number[]> {
  const out: number[] = [];
  for (;;) {
    try {
      out.push(...(await readWait(b, h, 100)));
    } catch (e) {
      expect(e).toEqual({ code: "eof" });
      return out;
    }
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("request translation", () => {
  it("sends method and headers; Go's js.fetch headers become options and are not sent", async () => {
    const calls = mockFetch(() => new Response("ok"));
    const b = bindings();
    const h = b._netHttpFetch(
      spec({
        method: "PUT",
        headers: [
          ["X-A", "1"],
          ["X-A", "2"],
          ["js.fetch:mode", "cors"],
          ["js.fetch:credentials", "include"],
          ["js.fetch:redirect", "manual"],
        ],
        body: "bytes",
      }),
      new TextEncoder().encode("payload"),
    );
    await b._netHttpResponse(h);
    const { init } = calls[0];
    expect(init.method).toBe("PUT");
    expect([...(init.headers as Headers)]).toEqual([["x-a", "1, 2"]]);
    expect([init.mode, init.credentials, init.redirect]).toEqual(["cors", "include", "manual"]);
    expect(new TextDecoder().decode(init.body as Uint8Array)).toBe("payload");
    b._netHttpRelease(h);
  });

  it("credentials are the host's to grant: omit by default, never more than allowed", async () => {
    const calls = mockFetch(() => new Response(""));
    const cred = (h: [string, string][]) => spec({ headers: h });
    const asks: [string, string][] = [["js.fetch:credentials", "include"]];
    let b = bindings({}, {}); // the host said nothing: omit
    await b._netHttpResponse(b._netHttpFetch(spec(), undefined));
    expect(calls[0].init.credentials).toBe("omit");
    expect(thrown(() => b._netHttpFetch(cred(asks), undefined))).toEqual({
      code: "denied",
      message: "permission denied by network policy (credentials include not allowed)",
    });
    expect(thrown(() => b._netHttpFetch(cred([["js.fetch:credentials", "same-origin"]]), undefined)).code).toBe("denied");
    b = bindings({}, { credentials: "include" }); // Go's default when nothing is asked
    await b._netHttpResponse(b._netHttpFetch(spec(), undefined));
    await b._netHttpResponse(b._netHttpFetch(cred(asks), undefined));
    expect(calls.slice(1).map((c) => c.init.credentials)).toEqual(["same-origin", "include"]);
    expect(thrown(() => b._netHttpFetch(cred([["js.fetch:credentials", "all"]]), undefined))).toEqual({
      code: "other",
      message: 'net/http: invalid js.fetch:credentials "all"',
    });
  });

  it("copies the body: the caller's view may change right after the call", async () => {
    const calls = mockFetch(() => new Response(""));
    const b = bindings();
    const view = new Uint8Array([1, 2, 3]);
    const h = b._netHttpFetch(spec({ method: "POST", body: "bytes" }), view);
    view[0] = 9;
    await b._netHttpResponse(h);
    expect([...(calls[0].init.body as Uint8Array)]).toEqual([1, 2, 3]);
  });

  it("headers the browser would drop fail the request, naming them; no fetch is made", () => {
    const calls = mockFetch(() => new Response(""));
    const b = bindings();
    const e = thrown(() =>
      b._netHttpFetch(spec({ headers: [["Cookie", "a=1"], ["Proxy-Authorization", "x"], ["X-Ok", "1"]] }), undefined),
    );
    expect(msg(e)).toBe(
      'net/http: the browser does not let a program set "Cookie", "Proxy-Authorization" ' +
        "(forbidden request headers; it would be dropped silently)",
    );
    expect(calls).toHaveLength(0);
    expect(b._netHttpCount()).toBe(0);
  });

  it("requests fetch would refuse fail at once with the browser's reason", () => {
    mockFetch(() => new Response(""));
    const b = bindings();
    for (const s of [
      spec({ headers: [["X-Bad", "a\nb"]] }),
      spec({ method: "CONNECT" }),
      spec({ url: "not a url" }),
      spec({ headers: [["js.fetch:mode", "bogus"]] }),
    ]) {
      expect(msg(thrown(() => b._netHttpFetch(s, undefined)))).toMatch(/^net\/http: invalid request: /);
    }
    expect(msg(thrown(() => b._netHttpFetch(spec({ body: "bytes" }), new Uint8Array([1]))))).toMatch(
      /^net\/http: invalid request: .*GET/,
    );
    expect(b._netHttpCount()).toBe(0);
  });
});

describe("response", () => {
  it("status, final URL, redirected flag and headers come back as sent", async () => {
    mockFetch(() => {
      const r = new Response("x", { status: 201, statusText: "Made", headers: { "X-B": "2", "content-type": "t/p" } });
      Object.defineProperty(r, "url", { value: "http://api.test/final" });
      Object.defineProperty(r, "redirected", { value: true });
      return r;
    });
    const b = bindings();
    const head = await b._netHttpResponse(b._netHttpFetch(spec(), undefined));
    expect(head).toMatchObject({ status: 201, statusText: "Made", url: "http://api.test/final", redirected: true });
    expect(head.headers).toEqual(expect.arrayContaining([["x-b", "2"], ["content-type", "t/p"]]));
  });

  it("reads chunk by chunk into the destination: -1 while nothing is queued, split to its size, eof at the end", async () => {
    const { stream, ctl } = controlledBody();
    mockFetch(() => new Response(stream));
    const b = bindings();
    const h = b._netHttpFetch(spec(), undefined);
    await b._netHttpResponse(h);
    expect(rd(b, h, 4)).toBeNull(); // nothing yet: must wait
    const ready = waitReady(b._netHttpReady, h).woken;
    ctl.enqueue(new Uint8Array([1, 2, 3, 4, 5, 6]));
    await ready;
    expect(rd(b, h, 4)).toEqual([1, 2, 3, 4]);
    expect(rd(b, h, 100)).toEqual([5, 6]); // the rest of the chunk, at once
    const end = waitReady(b._netHttpReady, h).woken;
    ctl.close();
    await end;
    expect(thrown(() => rd(b, h, 100))).toEqual({ code: "eof" });
    expect(thrown(() => rd(b, h, 100))).toEqual({ code: "eof" });
    b._netHttpRelease(h);
    expect(b._netHttpCount()).toBe(0);
  });

  it("concurrent readers all settle; a forgotten waiter is never settled and loses nothing", async () => {
    const { stream, ctl } = controlledBody();
    mockFetch(() => new Response(stream));
    const b = bindings();
    const h = b._netHttpFetch(spec(), undefined);
    await b._netHttpResponse(h);
    const w = waitReady(b._netHttpReady, h);
    b._netHttpForget(h, w.token);
    let settled = false;
    w.woken.then(() => (settled = true));
    const r1 = readWait(b, h, 1);
    const r2 = readWait(b, h, 1);
    ctl.enqueue(new Uint8Array([7, 8]));
    expect([...(await r1), ...(await r2)].sort()).toEqual([7, 8]);
    await new Promise((r) => setTimeout(r, 10));
    expect(settled).toBe(false);
  });

  it("a stream that breaks mid-body is unexpected EOF, never a clean end", async () => {
    const { stream, ctl } = controlledBody();
    mockFetch(() => new Response(stream));
    const b = bindings();
    const h = b._netHttpFetch(spec(), undefined);
    await b._netHttpResponse(h);
    const p = readWait(b, h, 10);
    ctl.error(new TypeError("network error"));
    expect(msg(await rejection(p))).toBe("unexpected EOF: the body ended early (TypeError: network error)");
    expect(msg(thrown(() => rd(b, h, 10)))).toBe("unexpected EOF: the body ended early (TypeError: network error)");
  });

  it("release cancels an unfinished download and frees the handle", async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({ cancel: () => void (cancelled = true) });
    mockFetch(() => new Response(stream));
    const b = bindings();
    const h = b._netHttpFetch(spec(), undefined);
    await b._netHttpResponse(h);
    b._netHttpRelease(h);
    await new Promise((r) => setTimeout(r, 0));
    expect(cancelled).toBe(true);
    expect(b._netHttpCount()).toBe(0);
    expect(thrown(() => rd(b, h, 1))).toEqual({ code: "closed" });
  });
});

describe("deadlines and cancellation", () => {
  const never = () => new Promise<Response>(() => {});

  it("Client.Timeout while awaiting headers", async () => {
    vi.useFakeTimers();
    mockFetch(never);
    const b = bindings();
    const h = b._netHttpFetch(spec({ deadline: Date.now() + 1000, deadlineKind: "client" }), undefined);
    const p = rejection(b._netHttpResponse(h));
    await vi.advanceTimersByTimeAsync(1001);
    expect(await p).toEqual({
      code: "deadline",
      message: "context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
    });
  });

  it("a Client.Timeout 25 days away (past setTimeout's 2^31-1 ms) neither fires early nor never", async () => {
    vi.useFakeTimers();
    mockFetch(never);
    const b = bindings();
    const day = 24 * 3600 * 1000;
    const h = b._netHttpFetch(spec({ deadline: Date.now() + 25 * day }), undefined);
    let settled = false;
    const p = rejection(b._netHttpResponse(h)).finally(() => (settled = true));
    await vi.advanceTimersByTimeAsync(24 * day + 23 * 3600 * 1000); // 2^31 ms is 24.9 days
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(2 * 3600 * 1000);
    expect((await p).code).toBe("deadline");
  });

  it("Client.Timeout while reading the body", async () => {
    vi.useFakeTimers();
    const { stream } = controlledBody();
    mockFetch(() => new Response(stream));
    const b = bindings();
    const h = b._netHttpFetch(spec({ deadline: Date.now() + 1000 }), undefined);
    await b._netHttpResponse(h);
    const p = rejection(readWait(b, h, 10));
    await vi.advanceTimersByTimeAsync(1001);
    expect(msg(await p)).toBe("context deadline exceeded (Client.Timeout or context cancellation while reading body)");
  });

  it("a context deadline says only 'context deadline exceeded', in either phase", async () => {
    vi.useFakeTimers();
    mockFetch(never);
    const b = bindings();
    const h = b._netHttpFetch(spec({ deadline: Date.now() + 500, deadlineKind: "context" }), undefined);
    const p = rejection(b._netHttpResponse(h));
    await vi.advanceTimersByTimeAsync(501);
    expect(await p).toEqual({ code: "deadline", message: "context deadline exceeded" });
  });

  it("the deadline stops once the body is read to the end", async () => {
    vi.useFakeTimers();
    mockFetch(() => new Response("done"));
    const b = bindings();
    const h = b._netHttpFetch(spec({ deadline: Date.now() + 1000 }), undefined);
    await b._netHttpResponse(h);
    expect(await readAll(b, h)).toEqual([...new TextEncoder().encode("done")]);
    await vi.advanceTimersByTimeAsync(2000);
    expect(thrown(() => rd(b, h, 100))).toEqual({ code: "eof" }); // still a clean end, no timeout
  });

  it("abort (context cancel) fails what is pending and what comes later with context canceled", async () => {
    const { stream } = controlledBody();
    mockFetch(() => new Response(stream));
    const b = bindings();
    const h = b._netHttpFetch(spec(), undefined);
    await b._netHttpResponse(h);
    const p = rejection(readWait(b, h, 10));
    b._netHttpCancel(h);
    expect(await p).toEqual({ code: "context_canceled" });
    expect(thrown(() => rd(b, h, 10))).toEqual({ code: "context_canceled" });
    const h2 = b._netHttpFetch(spec(), undefined);
    b._netHttpCancel(h2);
    expect(await rejection(b._netHttpResponse(h2))).toEqual({ code: "context_canceled" });
  });
});

describe("why a fetch failed", () => {
  const failing = (probes: Record<string, "ok" | "fail" | "redirect">) => (c: Call) => {
    if (c.init.method !== "HEAD") return Promise.reject(new TypeError("Failed to fetch"));
    // Fetch's rule: a no-cors request must follow redirects (else a network error).
    if (c.init.mode === "no-cors" && (c.init.redirect ?? "follow") !== "follow") return Promise.reject(new TypeError("Failed to fetch"));
    const kind = c.init.mode === "no-cors" ? probes.nocors : probes.manual;
    if (kind === "fail") return Promise.reject(new TypeError("Failed to fetch"));
    const r = new Response(null, { status: 200 });
    if (kind === "redirect") Object.defineProperty(r, "type", { value: "opaqueredirect" });
    return r;
  };

  it("a server that answers a no-cors probe: CORS", async () => {
    const calls = mockFetch(failing({ nocors: "ok" }));
    const b = bindings();
    const e = await rejection(b._netHttpResponse(b._netHttpFetch(spec(), undefined)));
    expect(msg(e)).toMatch(/^net\/http: fetch\(\) failed: blocked by CORS: the server answered, but its response \(or its preflight\) does not allow origin /);
    expect(msg(e)).toContain("(Failed to fetch)");
    expect(calls.map((c) => [c.init.method, c.init.mode ?? "cors", c.init.credentials, c.init.redirect ?? "follow"])).toEqual([
      ["GET", "cors", "same-origin", "follow"],
      ["HEAD", "no-cors", "omit", "follow"], // no-cors allows nothing else
    ]);
  });

  it("while the policy restricts destinations, no probe is sent (it would follow any redirect), and the message says so", async () => {
    const calls = mockFetch(failing({ nocors: "ok" }));
    const b = bindings({}, { hosts: ["api.test"], credentials: "include" });
    const e = await rejection(b._netHttpResponse(b._netHttpFetch(spec(), undefined)));
    expect(msg(e)).toBe(
      "net/http: fetch() failed: blocked by CORS or the server could not be reached (DNS failure, connection refused or reset, " +
        "or a TLS error); not probed further: the probe that tells them apart would follow any redirect, and the network " +
        "policy restricts destinations (Failed to fetch)",
    );
    expect(calls.map((c) => c.init.method)).toEqual(["GET"]);
  });

  it("a server that answers nothing: unreachable", async () => {
    mockFetch(failing({ nocors: "fail" }));
    const b = bindings();
    const e = await rejection(b._netHttpResponse(b._netHttpFetch(spec(), undefined)));
    expect(msg(e)).toMatch(/^net\/http: fetch\(\) failed: the server could not be reached: DNS failure/);
  });

  it("in a cross-origin-isolated page a failed probe proves nothing, and the message says so", async () => {
    vi.stubGlobal("crossOriginIsolated", true);
    mockFetch(failing({ nocors: "fail" }));
    const b = bindings();
    const e = await rejection(b._netHttpResponse(b._netHttpFetch(spec(), undefined)));
    expect(msg(e)).toMatch(/blocked by CORS or the server could not be reached \(DNS failure, connection refused or reset, or a TLS error\); this page is cross-origin isolated/);
  });

  it("js.fetch:redirect error and a redirecting server: says it was the redirect", async () => {
    mockFetch(failing({ manual: "redirect", nocors: "ok" }));
    const b = bindings();
    const h = b._netHttpFetch(spec({ headers: [["js.fetch:redirect", "error"]] }), undefined);
    expect(msg(await rejection(b._netHttpResponse(h)))).toBe(
      'net/http: fetch() failed: the server redirected and js.fetch:redirect is "error"',
    );
  });

  it("an https page fetching http: mixed content, without probing", async () => {
    vi.stubGlobal("location", { protocol: "https:", origin: "https://app.test" });
    const calls = mockFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    const b = bindings();
    const e = await rejection(b._netHttpResponse(b._netHttpFetch(spec(), undefined)));
    expect(msg(e)).toBe(`net/http: fetch() failed: blocked as mixed content: an https page cannot fetch ${URL_}`);
    expect(calls).toHaveLength(1);
  });

  it("probing can be turned off", async () => {
    const calls = mockFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    const b = bindings({ probeFailures: false });
    expect(msg(await rejection(b._netHttpResponse(b._netHttpFetch(spec(), undefined))))).toBe(
      "net/http: fetch() failed: Failed to fetch",
    );
    expect(calls).toHaveLength(1);
  });
});

describe("the host's policy", () => {
  const opaqueRedirect = () => {
    const r = new Response(null, { status: 200 });
    Object.defineProperty(r, "type", { value: "opaqueredirect" });
    return r;
  };

  it("while destinations are restricted, no redirect is followed blind", async () => {
    const calls = mockFetch(() => opaqueRedirect());
    const b = bindings({}, { hosts: ["api.test"] });
    const h = b._netHttpFetch(spec({ method: "POST", body: "bytes" }), new Uint8Array([1]));
    const e = await rejection(b._netHttpResponse(h));
    expect(calls[0].init.redirect).toBe("manual");
    expect(e.code).toBe("denied");
    expect(msg(e)).toBe(
      `permission denied by network policy: ${URL_} answered with a redirect, and the browser does not reveal where it ` +
        "leads, so the policy cannot check the next hop; redirects are not followed while the policy restricts schemes, hosts or ports",
    );
    expect(() => rd(b, h, 10)).toThrow(expect.objectContaining({ code: "denied" }));
  });

  it("redirects follow when nothing is restricted, and a guest's own choice is kept", async () => {
    const calls = mockFetch(() => new Response("ok"));
    const cases: Array<[NetPolicy, string | undefined, string]> = [
      [{}, undefined, "follow"],
      [{ maxConnections: 3 }, undefined, "follow"], // a count limits nothing about where
      [{ ports: [80] }, "error", "error"],
      [{ ports: [80] }, "manual", "manual"],
      [{ schemes: ["http"] }, "follow", "manual"],
    ];
    for (const [policy, asked, want] of cases) {
      const b = bindings({}, policy);
      const headers: [string, string][] = asked ? [["js.fetch:redirect", asked]] : [];
      await b._netHttpResponse(b._netHttpFetch(spec({ headers }), undefined));
      expect(calls.at(-1)!.init.redirect ?? "follow", JSON.stringify(policy)).toBe(want);
    }
  });

  it("failure probes count against maxConnections: none is sent past it", async () => {
    const calls = mockFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    const b = bindings({}, { maxConnections: 1 });
    const e = await rejection(b._netHttpResponse(b._netHttpFetch(spec(), undefined)));
    expect(calls.length).toBe(1); // the request itself holds the only slot
    expect(msg(e)).toBe(
      "net/http: fetch() failed: Failed to fetch (not probed further: permission denied by network policy (more than 1 connections not allowed))",
    );
  });

  it("a whole-body read stops at maxResponseBytes, by Content-Length or while reading", async () => {
    mockFetch(() => new Response("x".repeat(100), { headers: { "content-length": "100" } }));
    let b = bindings({ maxResponseBytes: 99 });
    const e = await rejection(b._netHttpResponse(b._netHttpFetch(spec({ whole: true }), undefined)));
    expect(msg(e)).toBe(
      "net/http: response body larger than 99 bytes, the most a whole-body read may hold (http.maxResponseBytes); " +
        "read it as a stream (nativeHttpsRequestStream)",
    );
    const body = controlledBody();
    mockFetch(() => new Response(body.stream)); // no Content-Length
    b = bindings({ maxResponseBytes: 99 });
    const h = b._netHttpFetch(spec({ whole: true }), undefined);
    await b._netHttpResponse(h);
    body.ctl.enqueue(new Uint8Array(60));
    expect((await readWait(b, h, 1000)).length).toBe(60);
    body.ctl.enqueue(new Uint8Array(60));
    await waitReady(b._netHttpReady, h).woken;
    expect(() => rd(b, h, 1000)).toThrow(expect.objectContaining({ message: expect.stringContaining("larger than 99 bytes") }));
    expect(() => rd(b, h, 1000)).toThrow(expect.objectContaining({ message: expect.stringContaining("larger than 99 bytes") }));
    // A streamed read (not whole) has no such cap: the reader bounds itself.
    mockFetch(() => new Response("x".repeat(100), { headers: { "content-length": "100" } }));
    const h2 = b._netHttpFetch(spec(), undefined);
    await b._netHttpResponse(h2);
    expect((await readAll(b, h2)).length).toBe(100);
  });
});

describe("streamed request bodies", () => {
  it("over https where the browser can: a ReadableStream with duplex half, with backpressure", async () => {
    let received: Uint8Array[] = [];
    const calls = mockFetch(async (c) => {
      const reader = (c.init.body as ReadableStream<Uint8Array>).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received.push(value);
      }
      return new Response("ok");
    });
    const b = bindings();
    const h = b._netHttpFetch(spec({ method: "POST", url: "https://api.test/up", body: "stream" }), undefined);
    expect(calls[0].init.duplex).toBe("half");
    expect(calls[0].init.body).toBeInstanceOf(ReadableStream);
    for (let i = 0; i < 5; i++) await b._netHttpUploadWrite(h, new Uint8Array([i, i]));
    b._netHttpUploadClose(h);
    await b._netHttpResponse(h);
    expect(received.map((c) => [...c])).toEqual([[0, 0], [1, 1], [2, 2], [3, 3], [4, 4]]);
  });

  it("over http (no HTTP/2, so no streaming): collected, sent whole at close", async () => {
    const calls = mockFetch(() => new Response("ok"));
    const b = bindings();
    const h = b._netHttpFetch(spec({ method: "POST", body: "stream" }), undefined);
    expect(calls).toHaveLength(0);
    expect(b._netHttpUploadWrite(h, new Uint8Array([1, 2]))).toBeUndefined();
    b._netHttpUploadWrite(h, new Uint8Array([3]));
    b._netHttpUploadClose(h);
    await b._netHttpResponse(h);
    expect([...(calls[0].init.body as Uint8Array)]).toEqual([1, 2, 3]);
    expect(calls[0].init.duplex).toBeUndefined();
  });

  it("a buffered upload over maxBufferedUploadBytes fails instead of growing without bound", async () => {
    mockFetch(() => new Response("ok"));
    const b = bindings({ maxBufferedUploadBytes: 4 });
    const h = b._netHttpFetch(spec({ method: "POST", body: "stream" }), undefined);
    b._netHttpUploadWrite(h, new Uint8Array(3));
    expect(msg(thrown(() => b._netHttpUploadWrite(h, new Uint8Array(3))))).toMatch(
      /^net\/http: request body over 4 bytes cannot be buffered/,
    );
    expect(msg(await rejection(b._netHttpResponse(h)))).toMatch(/cannot be buffered/);
  });
});

describe("routing through the relay (http.relayHosts, the TLS build)", () => {
  const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  const route = (o: Partial<HttpOptions>) => createHttpBindings(() => ({ ...HTTP_DEFAULTS, ...o }))._netHttpRoute;

  it("sends only the named hosts through the relay, with the roots and the whole-body bound", () => {
    const r = route({ relayHosts: ["api.example.com", "*.corp.test"], tlsRoots: [pem], maxResponseBytes: 1234 });
    expect(r("https://api.example.com/v1", false)).toEqual({ roots: [pem], maxResponseBytes: 1234 });
    expect(r("https://API.Example.com.:8443/", false)).not.toBeNull(); // normalized as the policy does
    expect(r("http://a.b.corp.test/", false)).not.toBeNull();
    expect(r("https://corp.test/", false)).toBeNull(); // "*." needs a label before it
    expect(r("https://example.com/", false)).toBeNull();
    expect(r("not a url", false)).toBeNull();
    // Asked for by the caller (Route::Relay): the settings whatever the hosts.
    expect(r("https://example.com/", true)).toEqual({ roots: [pem], maxResponseBytes: 1234 });
    expect(route({})("https://api.example.com/", false)).toBeNull(); // default: none
    expect(route({ relayHosts: ["*"] })("https://[::1]:8443/", false)).not.toBeNull();
  });

  it("any Unicode as a URL is routed or not, never thrown at, and only a listed host is routed", () => {
    const r = route({ relayHosts: ["api.example.com"] });
    for (const s of unicodeStrings(3000)) {
      for (const url of [s, `https://${s}`, `https://api.example.com/${s}`, `https://${s}.api.example.com/`]) {
        const got = r(url, false);
        if (got === null) continue;
        expect(new URL(url).hostname.replace(/\.$/, "").toLowerCase(), url).toBe("api.example.com");
      }
    }
  });

  it("refuses a host pattern that could never match, and a root that is not PEM", () => {
    expect(() => validateHttp({ relayHosts: ["exa mple.com"] })).toThrow(TypeError);
    expect(() => validateHttp({ relayHosts: "*" as unknown as string[] })).toThrow("http.relayHosts: an array of host patterns");
    expect(() => validateHttp({ tlsRoots: ["MIIB..."] })).toThrow("http.tlsRoots: an array of PEM certificates");
    expect(() => validateHttp({ relayHosts: ["*", "*.example.com", "10.0.0.1"], tlsRoots: [pem] })).not.toThrow();
  });
});
