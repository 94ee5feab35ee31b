// DNS over HTTPS (js/dns.ts) with a mocked fetch and fake timers: the wire
// query, the cache, de-duplication and every error path, including replies
// no real server sends on demand. The same code runs against a real DoH
// server (dnsdist + dnsmasq) in Chromium: runtime-wasm/tests/lookup.rs.
import * as dnsPacket from "@dnsquery/dns-packet";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createDns, createDnsBindings, DNS_DEFAULTS, encodeQuery, type DnsOptions } from "../../js/dns.js";
import { createGate, type NetPolicy } from "../../js/policy.js";
import type { NetError } from "../../js/errors.js";

const SERVER = "https://doh.test/dns-query";
const BACKUP = "https://backup.test/dns-query";

type Rr = { name: string; type: string; ttl?: number; data: unknown };
interface Zone {
  [key: string]: { rcode?: number; answers?: Rr[]; authorities?: Rr[] } | undefined; // "name TYPE"
}

/** Builds a wire reply to `query` from `zone`. */
function reply(query: Uint8Array, zone: Zone, patch: (p: dnsPacket.Packet) => void = () => {}): Uint8Array {
  const q = dnsPacket.decode(query);
  const question = q.questions![0];
  const entry = zone[`${question.name} ${question.type}`] ?? { rcode: 3 };
  const p: dnsPacket.Packet = {
    type: "response",
    id: q.id,
    flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (entry.rcode ?? 0),
    questions: [question],
    answers: (entry.answers ?? []).map((a) => ({ class: "IN", ttl: 60, ...a })) as dnsPacket.Answer[],
    authorities: (entry.authorities ?? []).map((a) => ({ class: "IN", ttl: 60, ...a })) as dnsPacket.Answer[],
  };
  patch(p);
  return dnsPacket.encode(p);
}

function decodeUrlQuery(url: string): Uint8Array {
  const b64 = new URL(url).searchParams.get("dns")!;
  return new Uint8Array(Buffer.from(b64, "base64url"));
}

interface Call {
  url: string;
  init: RequestInit;
  query: { name: string; type: string };
}

/** A fetch that answers from `zone`, unless `respond` says otherwise. */
function mockFetch(zone: Zone, respond?: (c: Call) => Promise<Response | undefined> | Response | undefined) {
  const calls: Call[] = [];
  const fn = vi.fn(async (url: string, init: RequestInit) => {
    const u = new URL(url);
    const query = u.searchParams.has("dns")
      ? dnsPacket.decode(decodeUrlQuery(url)).questions![0]
      : { name: u.searchParams.get("name")!, type: u.searchParams.get("type")! };
    const call = { url, init, query: { name: query.name, type: query.type as string } };
    calls.push(call);
    const r = await respond?.(call);
    if (r) return r;
    return new Response(reply(decodeUrlQuery(url), zone) as BodyInit, {
      status: 200,
      headers: { "content-type": "application/dns-message" },
    });
  });
  vi.stubGlobal("fetch", fn);
  return calls;
}

const ZONE: Zone = {
  "a.test A": { answers: [{ name: "a.test", type: "A", data: "10.1.2.3" }] },
  "a.test AAAA": { answers: [] },
  "dual.test A": { answers: [{ name: "dual.test", type: "A", ttl: 30, data: "10.9.8.7" }] },
  "dual.test AAAA": { answers: [{ name: "dual.test", type: "AAAA", ttl: 30, data: "fd00::7" }] },
  "alias.test A": {
    answers: [
      { name: "alias.test", type: "CNAME", data: "mid.test" },
      { name: "mid.test", type: "CNAME", data: "dual.test" },
      { name: "dual.test", type: "A", data: "10.9.8.7" },
      { name: "other.test", type: "A", data: "10.6.6.6" }, // other owner: never mixed in
      { name: "dual.test", type: "TXT", data: "x" }, // other type: never mixed in
    ],
  },
  "half.test A": { answers: [{ name: "half.test", type: "CNAME", data: "dual.test" }] }, // chain left unfinished
  "loop1.test A": { answers: [{ name: "loop1.test", type: "CNAME", data: "loop2.test" }] },
  "loop2.test A": { answers: [{ name: "loop2.test", type: "CNAME", data: "loop1.test" }] },
  "7.8.9.10.in-addr.arpa PTR": { answers: [{ name: "7.8.9.10.in-addr.arpa", type: "PTR", data: "dual.test" }] },
  "gone.test A": {
    rcode: 3,
    authorities: [{ name: "test", type: "SOA", ttl: 900, data: { mname: "ns.test", rname: "h.test", minimum: 120 } }],
  },
};

function dns(opts: Partial<DnsOptions> = {}) {
  const o: DnsOptions = { ...DNS_DEFAULTS, servers: [SERVER], ...opts };
  return createDns(() => o);
}

async function failure(p: Promise<unknown>): Promise<NetError & { code: "dns" }> {
  try {
    await p;
  } catch (e) {
    expect((e as NetError).code).toBe("dns");
    return e as NetError & { code: "dns" };
  }
  throw new Error("expected a failure");
}

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

describe("the wire query", () => {
  it("is RFC 8484's: GET ?dns= base64url without padding, ID 0, RD, Accept dns-message", async () => {
    const calls = mockFetch(ZONE);
    // RFC 8484 section 4.1's example, byte for byte.
    expect(Buffer.from(encodeQuery("www.example.com", "A")).toString("base64url")).toBe(
      "AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB",
    );
    await dns().lookupIP("a.test", "ip4");
    expect(calls).toHaveLength(1);
    const { url, init } = calls[0];
    expect(url.startsWith(`${SERVER}?dns=`)).toBe(true);
    expect(url).not.toMatch(/[=+/]$|%3D/);
    expect(new URL(url).searchParams.get("dns")).toMatch(/^[A-Za-z0-9_-]+$/);
    expect((init.headers as Record<string, string>).accept).toBe("application/dns-message");
    expect(init.method ?? "GET").toBe("GET");
    const q = dnsPacket.decode(decodeUrlQuery(url));
    expect(q.id).toBe(0);
    expect(q.flag_rd).toBe(true);
    expect(q.questions).toEqual([{ name: "a.test", type: "A", class: "IN" }]);
  });

  it("a trailing dot is not sent, and names compare case-insensitively", async () => {
    const calls = mockFetch(ZONE);
    expect(await dns().lookupIP("A.Test.", "ip4")).toEqual(["10.1.2.3"]);
    expect(calls[0].query.name.toLowerCase()).toBe("a.test");
  });
});

describe("families", () => {
  it("A and AAAA go out in parallel, A first in the result", async () => {
    let release!: () => void;
    const gate = new Promise<void>((ok) => (release = ok));
    const calls = mockFetch(ZONE, async () => {
      await gate;
      return undefined;
    });
    const p = dns().lookupIP("dual.test", "ip");
    await vi.waitFor(() => expect(calls).toHaveLength(2)); // both in flight before either answers
    expect(calls.map((c) => c.query.type).sort()).toEqual(["A", "AAAA"]);
    release();
    expect(await p).toEqual(["10.9.8.7", "fd00::7"]);
  });

  it("ip4 asks only A, ip6 only AAAA", async () => {
    const calls = mockFetch(ZONE);
    const r = dns();
    expect(await r.lookupIP("dual.test", "ip4")).toEqual(["10.9.8.7"]);
    expect(await r.lookupIP("dual.test", "ip6")).toEqual(["fd00::7"]);
    expect(calls.map((c) => c.query.type)).toEqual(["A", "AAAA"]);
  });

  it("one family failing still returns the other", async () => {
    mockFetch(ZONE, (c) =>
      c.query.type === "AAAA" ? new Response("oops", { status: 502, statusText: "Bad Gateway" }) : undefined,
    );
    expect(await dns().lookupIP("dual.test", "ip")).toEqual(["10.9.8.7"]);
  });

  it("an unknown network is Go's UnknownNetworkError, with no query", async () => {
    const calls = mockFetch(ZONE);
    await expect(dns().lookupIP("a.test", "tcp")).rejects.toEqual({ code: "unknown_network", net: "tcp" });
    expect(calls).toHaveLength(0);
  });

  it("NODATA in both families is not found", async () => {
    mockFetch({ "empty.test A": { answers: [] }, "empty.test AAAA": { answers: [] } });
    const e = await failure(dns().lookupIP("empty.test", "ip"));
    expect(e).toMatchObject({ err: "no such host", name: "empty.test", server: SERVER, is_not_found: true });
  });

  it("with no address, a failure that is not 'not found' is the one reported", async () => {
    mockFetch(ZONE, (c) => (c.query.type === "AAAA" ? new Response("", { status: 503 }) : undefined));
    const e = await failure(dns().lookupIP("a.test", "ip6"));
    expect(e.err).toBe("DoH server answered HTTP 503");
    mockFetch({ "x.test A": { answers: [] } }, (c) =>
      c.query.type === "AAAA" ? new Response("", { status: 503 }) : undefined,
    );
    const e2 = await failure(dns().lookupIP("x.test", "ip"));
    expect(e2.err).toBe("DoH server answered HTTP 503");
    expect(e2.is_temporary).toBe(true);
  });
});

describe("CNAME", () => {
  it("follows a chain inside one answer, taking only the target's records of the asked type", async () => {
    const calls = mockFetch(ZONE);
    expect(await dns().lookupIP("alias.test", "ip4")).toEqual(["10.9.8.7"]);
    expect(calls).toHaveLength(1);
  });

  it("asks again when an answer stops at an alias", async () => {
    const calls = mockFetch(ZONE);
    expect(await dns().lookupIP("half.test", "ip4")).toEqual(["10.9.8.7"]);
    expect(calls.map((c) => c.query.name)).toEqual(["half.test", "dual.test"]);
  });

  it("a loop stops at maxCnameHops with a clear error", async () => {
    const calls = mockFetch(ZONE);
    const e = await failure(dns({ maxCnameHops: 5 }).lookupIP("loop1.test", "ip4"));
    expect(e).toMatchObject({ err: "too many CNAME hops", name: "loop1.test", server: SERVER });
    expect(calls.length).toBeLessThanOrEqual(6);
  });

  it("PTR records come back as names", async () => {
    mockFetch(ZONE);
    expect(await dns().lookupPTR("7.8.9.10.in-addr.arpa")).toEqual(["dual.test"]);
    const e = await failure(dns().lookupPTR("9.9.9.10.in-addr.arpa"));
    expect(e).toMatchObject({ err: "no such host", is_not_found: true, server: SERVER });
  });
});

describe("cache", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["Date", "setTimeout", "clearTimeout"] }));

  it("answers within the TTL from the cache and asks again after it", async () => {
    const calls = mockFetch(ZONE);
    const r = dns();
    await r.lookupIP("dual.test", "ip4");
    vi.advanceTimersByTime(29_000);
    expect(await r.lookupIP("dual.test", "ip4")).toEqual(["10.9.8.7"]);
    expect(calls).toHaveLength(1);
    expect(r.stats().cacheHits).toBe(1);
    vi.advanceTimersByTime(2_000); // TTL 30 s has passed
    await r.lookupIP("dual.test", "ip4");
    expect(calls).toHaveLength(2);
  });

  it("clamps TTLs to [minTtlSeconds, maxTtlSeconds]", async () => {
    const calls = mockFetch({ "z.test A": { answers: [{ name: "z.test", type: "A", ttl: 0, data: "1.2.3.4" }] } });
    const r = dns({ minTtlSeconds: 10 });
    await r.lookupIP("z.test", "ip4");
    vi.advanceTimersByTime(9_000);
    await r.lookupIP("z.test", "ip4");
    expect(calls).toHaveLength(1); // TTL 0 held for the 10 s minimum
    const calls2 = mockFetch({ "y.test A": { answers: [{ name: "y.test", type: "A", ttl: 86400, data: "1.2.3.4" }] } });
    const r2 = dns({ maxTtlSeconds: 5 });
    await r2.lookupIP("y.test", "ip4");
    vi.advanceTimersByTime(6_000);
    await r2.lookupIP("y.test", "ip4");
    expect(calls2).toHaveLength(2);
  });

  it("TTL 0 is not cached by default", async () => {
    const calls = mockFetch({ "z.test A": { answers: [{ name: "z.test", type: "A", ttl: 0, data: "1.2.3.4" }] } });
    const r = dns();
    await r.lookupIP("z.test", "ip4");
    await r.lookupIP("z.test", "ip4");
    expect(calls).toHaveLength(2);
  });

  it("NXDOMAIN is cached for the SOA's negative TTL (min of TTL and MINIMUM)", async () => {
    const calls = mockFetch(ZONE);
    const r = dns();
    await failure(r.lookupIP("gone.test", "ip4"));
    vi.advanceTimersByTime(119_000);
    const e = await failure(r.lookupIP("gone.test", "ip4"));
    expect(e.is_not_found).toBe(true);
    expect(calls).toHaveLength(1);
    vi.advanceTimersByTime(2_000);
    await failure(r.lookupIP("gone.test", "ip4"));
    expect(calls).toHaveLength(2);
  });

  it("without a SOA, a negative answer is kept for negativeTtlSeconds", async () => {
    const calls = mockFetch({});
    const r = dns({ negativeTtlSeconds: 3 });
    await failure(r.lookupIP("none.test", "ip4"));
    vi.advanceTimersByTime(2_000);
    await failure(r.lookupIP("none.test", "ip4"));
    expect(calls).toHaveLength(1);
    vi.advanceTimersByTime(2_000);
    await failure(r.lookupIP("none.test", "ip4"));
    expect(calls).toHaveLength(2);
  });

  it("failures are not cached", async () => {
    let n = 0;
    const calls = mockFetch(ZONE, () => (n++ === 0 ? new Response("", { status: 500 }) : undefined));
    const r = dns();
    await failure(r.lookupIP("a.test", "ip4"));
    expect(await r.lookupIP("a.test", "ip4")).toEqual(["10.1.2.3"]);
    expect(calls).toHaveLength(2);
  });

  it("holds at most cacheEntries questions, least recently used out first", async () => {
    const zone: Zone = {};
    for (const n of ["p", "q", "r"]) zone[`${n}.test A`] = { answers: [{ name: `${n}.test`, type: "A", data: "1.1.1.1" }] };
    const calls = mockFetch(zone);
    const r = dns({ cacheEntries: 2 });
    await r.lookupIP("p.test", "ip4");
    await r.lookupIP("q.test", "ip4");
    await r.lookupIP("p.test", "ip4"); // p is now the most recent
    await r.lookupIP("r.test", "ip4"); // evicts q
    expect(r.stats().cacheSize).toBe(2);
    expect(calls).toHaveLength(3);
    await r.lookupIP("p.test", "ip4");
    expect(calls).toHaveLength(3);
    await r.lookupIP("q.test", "ip4");
    expect(calls).toHaveLength(4);
  });

  it("is per server list: another resolver configuration asks its own servers", async () => {
    const calls = mockFetch(ZONE);
    const o: DnsOptions = { ...DNS_DEFAULTS, servers: [SERVER] };
    const r = createDns(() => o);
    await r.lookupIP("a.test", "ip4");
    await r.lookupIP("a.test", "ip4", { servers: [BACKUP] });
    expect(calls.map((c) => new URL(c.url).host)).toEqual(["doh.test", "backup.test"]);
  });
});

describe("de-duplication", () => {
  it("concurrent lookups of one name send one query per type", async () => {
    const calls = mockFetch(ZONE);
    const r = dns();
    const all = await Promise.all(Array.from({ length: 10 }, () => r.lookupIP("dual.test", "ip")));
    for (const a of all) expect(a).toEqual(["10.9.8.7", "fd00::7"]);
    expect(calls.map((c) => c.query.type).sort()).toEqual(["A", "AAAA"]);
    expect(r.stats()).toMatchObject({ queries: 2, joined: 18, inFlight: 0 });
  });

  it("a shared query that fails fails every waiter, and the next lookup asks again", async () => {
    let n = 0;
    const calls = mockFetch(ZONE, () => (n++ === 0 ? new Response("", { status: 500 }) : undefined));
    const r = dns();
    const [a, b] = await Promise.allSettled([r.lookupIP("a.test", "ip4"), r.lookupIP("a.test", "ip4")]);
    expect(a.status).toBe("rejected");
    expect(b.status).toBe("rejected");
    expect(await r.lookupIP("a.test", "ip4")).toEqual(["10.1.2.3"]);
    expect(calls).toHaveLength(2);
  });
});

describe("errors", () => {
  it("NXDOMAIN: no such host, not found, naming the server, and no fallback", async () => {
    const calls = mockFetch(ZONE);
    const e = await failure(dns({ servers: [SERVER, BACKUP] }).lookupIP("nope.test", "ip4"));
    expect(e).toEqual({ code: "dns", err: "no such host", name: "nope.test", server: SERVER, is_not_found: true });
    expect(calls).toHaveLength(1);
  });

  it("SERVFAIL is temporary and moves on to the next server", async () => {
    const calls = mockFetch(ZONE, (c) =>
      c.url.startsWith(SERVER)
        ? new Response(reply(decodeUrlQuery(c.url), { "a.test A": { rcode: 2 } }) as BodyInit, {
            headers: { "content-type": "application/dns-message" },
          })
        : undefined,
    );
    expect(await dns({ servers: [SERVER, BACKUP] }).lookupIP("a.test", "ip4")).toEqual(["10.1.2.3"]);
    expect(calls).toHaveLength(2);
    const e = await failure(dns({ servers: [SERVER] }).lookupIP("a.test", "ip4"));
    expect(e).toMatchObject({ err: "server misbehaving (rcode SERVFAIL)", server: SERVER, is_temporary: true });
  });

  it("REFUSED is server misbehaving, not temporary", async () => {
    mockFetch({ "a.test A": { rcode: 5 } });
    const e = await failure(dns().lookupIP("a.test", "ip4"));
    expect(e.err).toBe("server misbehaving (rcode REFUSED)");
    expect(e.is_temporary).toBeFalsy();
  });

  it("a query that outlives timeoutMs is an i/o timeout, then the next server is asked", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const calls = mockFetch(ZONE, (c) =>
      c.url.startsWith(SERVER)
        ? new Promise<Response>((_, fail) =>
            (c.init.signal as AbortSignal).addEventListener("abort", () =>
              fail(new DOMException("The operation was aborted.", "AbortError")),
            ),
          )
        : undefined,
    );
    const only = dns({ timeoutMs: 1000 }).lookupIP("a.test", "ip4");
    const both = dns({ timeoutMs: 1000, servers: [SERVER, BACKUP] }).lookupIP("a.test", "ip4");
    const failed = failure(only);
    await vi.advanceTimersByTimeAsync(1001);
    const e = await failed;
    expect(e).toMatchObject({ err: "i/o timeout", name: "a.test", server: SERVER, is_timeout: true });
    expect(await both).toEqual(["10.1.2.3"]);
    expect(calls.map((c) => new URL(c.url).host).sort()).toEqual(["backup.test", "doh.test", "doh.test"]);
  });

  it("a network or CORS failure says so instead of a bare 'Failed to fetch'", async () => {
    mockFetch(ZONE, () => Promise.reject(new TypeError("Failed to fetch")));
    const e = await failure(dns().lookupIP("a.test", "ip4"));
    expect(e.err).toContain("TypeError: Failed to fetch");
    expect(e.err).toContain("CORS");
    expect(e.server).toBe(SERVER);
  });

  it("an http server from an https page is named as mixed content", async () => {
    vi.stubGlobal("location", { protocol: "https:" });
    mockFetch(ZONE, () => Promise.reject(new TypeError("Failed to fetch")));
    const e = await failure(dns({ servers: ["http://127.0.0.1:1/dns-query"] }).lookupIP("a.test", "ip4"));
    expect(e.err).toBe("blocked as mixed content: an https page cannot fetch http://127.0.0.1:1/dns-query");
  });

  it("a non-2xx status and a wrong content type are named", async () => {
    mockFetch(ZONE, () => new Response("nope", { status: 404, statusText: "Not Found" }));
    expect((await failure(dns().lookupIP("a.test", "ip4"))).err).toBe("DoH server answered HTTP 404 Not Found");
    mockFetch(ZONE, () => new Response("<html>", { headers: { "content-type": "text/html; charset=utf-8" } }));
    expect((await failure(dns().lookupIP("a.test", "ip4"))).err).toBe(
      'DoH server answered with Content-Type "text/html", not application/dns-message',
    );
  });

  it("an invalid server URL and an empty server list are errors, not exceptions", async () => {
    mockFetch(ZONE);
    expect((await failure(dns({ servers: ["not a url"] }).lookupIP("a.test", "ip4"))).err).toBe(
      'invalid DoH server URL "not a url"',
    );
    expect((await failure(dns({ servers: [] }).lookupIP("a.test", "ip4"))).err).toBe("no DoH server configured");
  });

  it("names that cannot be sent fail as not found, without a query", async () => {
    const calls = mockFetch(ZONE);
    for (const n of ["", ".", "a..b", "x".repeat(64) + ".test", "sp ace.test"]) {
      const e = await failure(dns().lookupIP(n, "ip"));
      expect(e).toMatchObject({ err: "no such host", name: n, is_not_found: true });
    }
    expect(calls).toHaveLength(0);
  });

  const wire = (bytes: Uint8Array | ((q: Uint8Array) => Uint8Array)) => (c: Call) =>
    new Response((typeof bytes === "function" ? bytes(decodeUrlQuery(c.url)) : bytes) as BodyInit, {
      headers: { "content-type": "application/dns-message" },
    });

  it("malformed replies are 'cannot unmarshal DNS message' with the reason", async () => {
    const cases: Array<[string, (q: Uint8Array) => Uint8Array]> = [
      ["shorter than a DNS header", () => new Uint8Array(5)],
      ["truncated", (q) => reply(q, ZONE).slice(0, 40)],
      ["ID", (q) => reply(q, ZONE, (p) => (p.id = 7))],
      ["not a response", (q) => reply(q, ZONE, (p) => (p.type = "query"))],
      ["reply is for b.test", (q) => reply(q, ZONE, (p) => (p.questions![0].name = "b.test"))],
      ["truncated", (q) => reply(q, ZONE).slice(0, -2)], // the A record's data cut short
    ];
    for (const [why, make] of cases) {
      mockFetch(ZONE, wire(make));
      const e = await failure(dns().lookupIP("a.test", "ip4"));
      expect(e.err, why).toMatch(/^cannot unmarshal DNS message: /);
      expect(e.err, why).toContain(why);
      expect(e.server).toBe(SERVER);
    }
  });

  it("no byte string makes a lookup throw anything but a DNSError (fuzz, 3000 replies)", async () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) / (1 << 24);
    const base = reply(encodeQuery("alias.test", "A"), ZONE);
    for (let i = 0; i < 3000; i++) {
      const b = i % 3 === 0 ? new Uint8Array(Math.floor(rand() * 80)).map(() => rand() * 256) : base.slice(0, Math.max(12, Math.floor(rand() * base.length + 1)));
      if (i % 3 === 2) for (let k = 0; k < 4; k++) b[Math.floor(rand() * b.length)] = rand() * 256;
      mockFetch(ZONE, wire(b));
      try {
        const got = await dns().lookupIP("alias.test", "ip4");
        for (const a of got) expect(a).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
      } catch (e) {
        expect((e as NetError).code).toBe("dns");
      }
    }
  });
});

describe("JSON API", () => {
  it("sends ?name=&type= with Accept application/dns-json and reads the reply", async () => {
    const calls = mockFetch({}, (c) =>
      Response.json(
        {
          Status: 0,
          Question: [{ name: "alias.test.", type: c.query.type === "A" ? 1 : 28 }],
          Answer:
            c.query.type === "A"
              ? [
                  { name: "alias.test.", type: 5, TTL: 60, data: "dual.test." },
                  { name: "dual.test.", type: 1, TTL: 60, data: "10.9.8.7" },
                  { name: "dual.test.", type: 16, TTL: 60, data: "\"txt\"" },
                ]
              : [],
        },
        { headers: { "content-type": "application/dns-json" } },
      ),
    );
    expect(await dns({ format: "json" }).lookupIP("alias.test", "ip")).toEqual(["10.9.8.7"]);
    const u = new URL(calls[0].url);
    expect(u.searchParams.get("name")).toBe("alias.test");
    expect(["A", "AAAA"]).toContain(u.searchParams.get("type"));
    expect((calls[0].init.headers as Record<string, string>).accept).toBe("application/dns-json");
  });

  it("Status 3 is not found; a broken body is a clear error", async () => {
    mockFetch({}, () => Response.json({ Status: 3 }, { headers: { "content-type": "application/dns-json" } }));
    expect((await failure(dns({ format: "json" }).lookupIP("x.test", "ip4"))).is_not_found).toBe(true);
    mockFetch({}, () => new Response("{", { headers: { "content-type": "application/dns-json" } }));
    expect((await failure(dns({ format: "json" }).lookupIP("x.test", "ip4"))).err).toMatch(
      /^cannot unmarshal DNS message: /,
    );
    mockFetch({}, () => Response.json({ Status: 0, Answer: [{ name: "x.test", type: 1, data: "999.1.1.1" }] }));
    expect((await failure(dns({ format: "json" }).lookupIP("x.test", "ip4"))).err).toBe(
      'cannot unmarshal DNS message: A record with bad data "999.1.1.1"',
    );
  });
});

describe("the host's policy", () => {
  const gated = (policy: NetPolicy, opts: Partial<DnsOptions> = {}) => {
    const o: DnsOptions = { ...DNS_DEFAULTS, servers: [SERVER], ...opts };
    return createDns(() => o, createGate(() => policy, () => 0));
  };

  it("a name the guest could not connect to is not looked up: no query carries it out", async () => {
    const calls = mockFetch(ZONE);
    const d = gated({ hosts: ["a.test", "10.9.8.7"] });
    expect(await d.lookupIP("a.test", "ip4")).toEqual(["10.1.2.3"]);
    const e = await failure(d.lookupIP("c2VjcmV0.exfil.test", "ip"));
    expect(e).toEqual({
      code: "dns",
      err: "permission denied by network policy (lookup of c2VjcmV0.exfil.test not allowed)",
      name: "c2VjcmV0.exfil.test",
      server: "",
    });
    expect(await d.lookupPTR("7.8.9.10.in-addr.arpa")).toEqual(["dual.test"]);
    expect((await failure(d.lookupPTR("8.8.9.10.in-addr.arpa"))).err).toMatch(/^permission denied by network policy/);
    expect(calls.map((c) => c.query.name)).toEqual(["a.test", "7.8.9.10.in-addr.arpa"]);
  });

  it("queries in flight count against maxConnections; the host's servers are trusted, a guest's are checked", async () => {
    const calls = mockFetch(ZONE);
    const none = gated({ maxConnections: 0 });
    expect((await failure(none.lookupIP("a.test", "ip4"))).err).toBe(
      "permission denied by network policy (more than 0 connections not allowed)",
    );
    expect(calls.length).toBe(0);
    const d = gated({ hosts: ["a.test"] }); // doh.test is not a guest destination, yet the host's server works
    expect(await d.lookupIP("a.test", "ip4")).toEqual(["10.1.2.3"]);
    const dGuest = createDnsBindings(() => ({ ...DNS_DEFAULTS, servers: [SERVER] }), createGate(() => ({ hosts: ["a.test"] }), () => 0));
    const e = await failure(dGuest._netLookupIP("ip4", "a.test", { servers: [BACKUP] }));
    expect(e.err).toBe("permission denied by network policy (host backup.test not allowed)");
    expect(calls.length).toBe(1);
  });

  /** Every reply is an endless body of 16 KiB chunks; `pulled()` counts the chunks read. */
  const endlessReplies = (headers: Record<string, string>) => {
    let pulled = 0;
    mockFetch(ZONE, () => {
      const body = new ReadableStream<Uint8Array>({
        pull(c) {
          pulled++;
          c.enqueue(new Uint8Array(16384));
        },
      });
      return new Response(body, { headers: { "content-type": "application/dns-message", ...headers } });
    });
    return () => pulled;
  };

  it("a reply over 65535 bytes is refused by its Content-Length, before it is read", async () => {
    const pulled = endlessReplies({ "content-length": "1000000" });
    const e = await failure(dns().lookupIP("a.test", "ip4"));
    expect(e.err).toBe("cannot unmarshal DNS message: reply of 1000000 bytes");
    expect(pulled()).toBeLessThanOrEqual(1);
  });

  it("an endless reply without Content-Length is cut off at 65535 bytes", async () => {
    const pulled = endlessReplies({});
    const e = await failure(dns().lookupIP("a.test", "ip4"));
    expect(e.err).toBe("cannot unmarshal DNS message: reply of more than 65535 bytes");
    expect(pulled()).toBeLessThan(10);
  });
});
