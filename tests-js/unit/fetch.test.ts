// fetchVia (js/fetch.ts) over a fake extern caller: the request as the
// externs see it, the Response it builds, and every id released whatever
// happens (read to the end, cancelled, failed, a body-less status).
import { describe, expect, it } from "vitest";
import { fetchVia, type ExternCaller } from "../../js/fetch.js";

type Call = [string, unknown[]];

/** A fake module: one request id, a head, and a body served in `chunks`. */
function fake(head: { status: number; statusText?: string; headers?: string[]; err?: { message: string; sentinel?: string } }, chunks: Uint8Array[] = []) {
  const calls: Call[] = [];
  let held = 0;
  const caller: ExternCaller = {
    async callExtern(name, args) {
      calls.push([name, args]);
      switch (name) {
        case "net/http.nativeNewClientRequest":
          held++;
          return [7, null];
        case "net/http.nativeHttpsRequestStream":
          return [head.status, head.statusText ?? "", "HTTP/1.1", head.headers ?? [], -1, head.err ?? null];
        case "net/http.blocking_responseBodyRead": {
          const dest = args[1] as Uint8Array;
          const c = chunks.shift();
          if (!c) return [0, { message: "EOF", sentinel: "io.EOF" }];
          dest.set(c);
          return [c.length, null];
        }
        case "net/http.nativeReleaseClientRequest":
          held--;
          return [];
        default:
          return [null];
      }
    },
  };
  return { caller, calls, held: () => held };
}

describe("fetchVia", () => {
  it("sends method, URL, header lines and the body, and streams the response", async () => {
    const f = fake({ status: 201, statusText: "201 Created", headers: ["Content-Type: text/plain", "X-A: 1", "X-A: 2"] }, [new TextEncoder().encode("hel"), new TextEncoder().encode("lo")]);
    const r = await fetchVia(f.caller, "https://api.example.test/x", { method: "post", body: "q=1", headers: { "x-trace": "7" } });
    const [, args] = f.calls.find(([n]) => n === "net/http.nativeHttpsRequestStream")!;
    expect(args.slice(0, 4)).toEqual([7, "POST", "https://api.example.test/x", ["content-type: text/plain;charset=UTF-8", "x-trace: 7"]]);
    expect(new TextDecoder().decode(args[4] as Uint8Array)).toBe("q=1");
    expect([r.status, r.statusText, r.url, r.headers.get("x-a"), r.headers.get("content-type")]).toEqual([201, "201 Created", "https://api.example.test/x", "1, 2", "text/plain"]);
    expect(await r.text()).toBe("hello");
    expect(f.held()).toBe(0);
  });

  it("a failure rejects with a TypeError carrying Go's message, and releases the id", async () => {
    const f = fake({ status: 0, err: { message: 'Get "https://x.test/": tls: failed to verify certificate: x509: certificate signed by unknown authority' } });
    await expect(fetchVia(f.caller, "https://x.test/")).rejects.toThrow(new TypeError('Get "https://x.test/": tls: failed to verify certificate: x509: certificate signed by unknown authority'));
    expect(f.held()).toBe(0);
  });

  it("a status without a body (204, HEAD) has a null body and holds nothing", async () => {
    for (const [status, method] of [[204, "GET"], [200, "HEAD"]] as const) {
      const f = fake({ status }, [new Uint8Array([1])]);
      const r = await fetchVia(f.caller, "https://x.test/", { method });
      expect([r.status, r.body]).toEqual([status, null]);
      expect(f.held()).toBe(0);
    }
  });

  it("cancelling the body closes it and releases the id; an aborted signal never starts", async () => {
    const f = fake({ status: 200 }, [new Uint8Array(10), new Uint8Array(10)]);
    const r = await fetchVia(f.caller, "https://x.test/");
    const reader = r.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(f.calls.some(([n]) => n === "net/http.responseBodyClose")).toBe(true);
    expect(f.held()).toBe(0);
    const ctl = new AbortController();
    ctl.abort(new Error("no"));
    const g = fake({ status: 200 });
    await expect(fetchVia(g.caller, "https://x.test/", { signal: ctl.signal })).rejects.toThrow("no");
    expect(g.calls).toEqual([]);
  });
});
