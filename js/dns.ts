// DNS over HTTPS behind Rust's `net::lookup_*` (Go's Resolver). Rust applies
// Go's rules that need no network (IP literals, localhost, name syntax,
// building the reverse name, formatting); this module does the queries:
//
// - RFC 8484 wire format by default: GET `?dns=` (base64url, no padding,
//   message ID 0 so identical questions are cacheable by HTTP caches) with
//   `Accept: application/dns-message`: a CORS "simple" request, so no
//   preflight. The JSON API (`application/dns-json`) is an option.
//   Messages are encoded and decoded by @dnsquery/dns-packet (the
//   Uint8Array fork of dns-packet: the original needs Node's Buffer), and
//   everything it returns is checked here, because it does not check
//   record lengths against the buffer.
// - A and AAAA go out in parallel; one family failing still returns the
//   other. CNAME chains are followed inside an answer and, when an answer
//   stops at an alias, by a new query (at most `maxCnameHops`). Records of
//   other types or other owners are never mixed into a result.
// - A cache per (servers, format, type, name) keeps answers for their TTL
//   and NXDOMAIN/NODATA for the SOA's negative TTL (RFC 2308), both clamped
//   to [minTtlSeconds, maxTtlSeconds], and holds at most `cacheEntries`
//   (least recently used goes first). Concurrent lookups of one question
//   share one query.
// - Each query has its own timeout; a failure that another server might not
//   have (network, timeout, HTTP status, malformed reply, SERVFAIL, REFUSED)
//   moves on to the next server. NXDOMAIN is an answer, not a failure.
// - Errors are Go's DNSError objects naming the server (the endpoint URL).
// - The host's policy (js/policy.ts): a name the guest could not connect
//   to is not looked up (the query name would be a way out); each query in
//   flight counts against maxConnections; servers the guest names itself
//   (a Resolver's overrides) are checked like any URL, the host's own are
//   trusted. A reply is refused by its Content-Length, or cut off while it
//   is read, once it is over 65535 bytes (a DNS message cannot be larger).
import * as dnsPacket from "@dnsquery/dns-packet";
import { isNetError, type NetError } from "./errors.js";
import { isDomainName, OPEN_GATE, type Gate } from "./policy.js";

export interface DnsOptions {
  /** DoH endpoints, tried in order. */
  servers: string[];
  /** "wire": RFC 8484 application/dns-message; "json": application/dns-json. */
  format: "wire" | "json";
  /** Per query, per server. */
  timeoutMs: number;
  minTtlSeconds: number;
  maxTtlSeconds: number;
  /** Negative-cache time when a reply carries no SOA to take it from. */
  negativeTtlSeconds: number;
  /** Cache bound, in questions. 0 disables the cache (not de-duplication). */
  cacheEntries: number;
  /** Longest CNAME chain followed. */
  maxCnameHops: number;
}

/** Defaults. Both servers are public, answer RFC 8484 GETs and send
 *  `Access-Control-Allow-Origin: *`, so any page can use them. */
export const DNS_DEFAULTS: DnsOptions = {
  servers: ["https://cloudflare-dns.com/dns-query", "https://dns.google/dns-query"],
  format: "wire",
  timeoutMs: 5000,
  minTtlSeconds: 0,
  maxTtlSeconds: 3600,
  negativeTtlSeconds: 30,
  cacheEntries: 1000,
  maxCnameHops: 8,
};

/** What one call may override (Rust's `Resolver`); the rest is global. */
export type DnsOverrides = Partial<Pick<DnsOptions, "servers" | "format" | "timeoutMs">>;

export interface DnsStats {
  /** HTTP requests sent. */
  queries: number;
  cacheHits: number;
  /** Lookups that joined a query already in flight. */
  joined: number;
  cacheSize: number;
  inFlight: number;
}

type QType = "A" | "AAAA" | "PTR";
interface Record_ {
  name: string; // lower case, no trailing dot
  type: string;
  ttl: number;
  data: string; // A/AAAA text, or a name for CNAME/PTR
}
interface Message {
  rcode: string;
  answers: Record_[];
  /** min(SOA TTL, SOA MINIMUM) from the authority section, if present. */
  negativeTtl?: number;
}
interface Exchange {
  msg: Message;
  server: string;
}

const TYPE_CODES: Record<number, string> = { 1: "A", 5: "CNAME", 6: "SOA", 12: "PTR", 28: "AAAA" };
const RCODES = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED"];
const MAX_MESSAGE_BYTES = 65535;

const dnsError = (
  err: string,
  name: string,
  server: string,
  flags: { is_timeout?: boolean; is_temporary?: boolean; is_not_found?: boolean } = {},
): NetError => ({ code: "dns", err, name, server, ...flags });


/** Lower case, one trailing dot removed. */
const canonical = (name: string) => (name.endsWith(".") ? name.slice(0, -1) : name).toLowerCase();

/**
 * Go's isDomainName, and at most 253 bytes without the root dot: the only
 * names ever queried, whoever asks (Rust checks the same first; a JS VM or a
 * WASI guest reaches this directly), so the name the policy checked is the
 * name the query carries.
 */
function encodable(name: string): boolean {
  const n = name.endsWith(".") ? name.slice(0, -1) : name;
  return n.length > 0 && n.length <= 253 && isDomainName(name);
}

function base64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** The RFC 8484 query: ID 0, RD set, one question, class IN. */
export function encodeQuery(name: string, type: QType): Uint8Array {
  return dnsPacket.encode({
    type: "query",
    id: 0,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name: name.endsWith(".") ? name.slice(0, -1) : name, class: "IN" }],
  });
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]{2,45}$/;

/** Checks one decoded record; returns why it is unusable, or "". */
function badRecord(r: Record_): string {
  if (r.type === "A" && !IPV4.test(r.data)) return `A record with bad data ${JSON.stringify(r.data)}`;
  if (r.type === "AAAA" && !(IPV6.test(r.data) && r.data.includes(":")))
    return `AAAA record with bad data ${JSON.stringify(r.data)}`;
  if ((r.type === "CNAME" || r.type === "PTR") && !encodable(r.data))
    return `${r.type} record with bad name ${JSON.stringify(r.data)}`;
  if (!Number.isFinite(r.ttl) || r.ttl < 0) return `record with bad TTL ${r.ttl}`;
  return "";
}

function checked(msg: Message): Message {
  for (const r of msg.answers) {
    const why = badRecord(r);
    if (why) throw new Error(why);
  }
  return msg;
}

/** Decodes an application/dns-message reply to the question (name, type). */
export function decodeWire(buf: Uint8Array, name: string, type: QType): Message {
  if (buf.length < 12) throw new Error(`message of ${buf.length} bytes is shorter than a DNS header`);
  const p = dnsPacket.decode(buf);
  if ((dnsPacket.decode as { bytes?: number }).bytes! > buf.length) throw new Error("message is truncated");
  if (p.type !== "response") throw new Error("reply is not a response");
  if (p.id !== 0) throw new Error(`reply has ID ${p.id}, the query had 0`);
  const q = p.questions?.[0];
  if (q && (canonical(q.name) !== canonical(name) || q.type !== type))
    throw new Error(`reply is for ${q.name} ${q.type}, not ${name} ${type}`);
  const rec = (a: dnsPacket.Answer): Record_ => ({
    name: canonical(a.name),
    type: a.type,
    ttl: a.ttl ?? 0,
    data: typeof a.data === "string" ? a.data : "",
  });
  let negativeTtl: number | undefined;
  for (const a of p.authorities ?? []) {
    if (a.type === "SOA") negativeTtl = Math.min(a.ttl ?? 0, a.data.minimum ?? 0);
  }
  const answers = (p.answers ?? []).filter((a) => a.type in WANTED).map(rec);
  return checked({ rcode: String(p.rcode ?? "NOERROR"), answers, negativeTtl });
}

const WANTED: Record<string, true> = { A: true, AAAA: true, CNAME: true, PTR: true };

/** Decodes an application/dns-json reply (Google / Cloudflare JSON API). */
export function decodeJson(body: unknown, name: string, type: QType): Message {
  if (typeof body !== "object" || body === null) throw new Error("reply is not a JSON object");
  const o = body as { Status?: unknown; Question?: unknown; Answer?: unknown; Authority?: unknown };
  if (typeof o.Status !== "number") throw new Error("reply has no Status");
  const list = (v: unknown): Array<Record<string, unknown>> => {
    if (v === undefined) return [];
    if (!Array.isArray(v)) throw new Error("reply has a section that is not a list");
    return v.map((x) => (typeof x === "object" && x !== null ? x : {}) as Record<string, unknown>);
  };
  const q = list(o.Question)[0];
  if (q && typeof q.name === "string" && canonical(q.name) !== canonical(name))
    throw new Error(`reply is for ${q.name}, not ${name}`);
  if (q && typeof q.type === "number" && TYPE_CODES[q.type] !== type)
    throw new Error(`reply is for type ${q.type}, not ${type}`);
  let negativeTtl: number | undefined;
  for (const a of list(o.Authority)) {
    if (a.type === 6 && typeof a.data === "string") {
      const minimum = Number(a.data.trim().split(/\s+/).pop());
      negativeTtl = Math.min(Number(a.TTL ?? 0), Number.isFinite(minimum) ? minimum : 0);
    }
  }
  const answers = list(o.Answer)
    .filter((a) => typeof a.type === "number" && TYPE_CODES[a.type] in WANTED)
    .map((a) => {
      const t = TYPE_CODES[a.type as number];
      const data = typeof a.data === "string" ? a.data : "";
      return {
        name: canonical(String(a.name ?? "")),
        type: t,
        ttl: Number(a.TTL ?? 0),
        data: t === "CNAME" || t === "PTR" ? data.replace(/\.$/, "") : data,
      };
    });
  return checked({ rcode: RCODES[o.Status] ?? `RCODE${o.Status}`, answers, negativeTtl });
}

/** What a failed fetch most likely means, for the error message. */
function fetchFailure(server: string, e: unknown): string {
  const pageHttps = (globalThis as { location?: Location }).location?.protocol === "https:";
  if (pageHttps && server.startsWith("http:"))
    return `blocked as mixed content: an https page cannot fetch ${server}`;
  const detail = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return (
    `DoH request failed before any reply (${detail}): the server is unreachable, ` +
    `or it refused the connection, or it does not allow this origin (CORS)`
  );
}

type Settings = DnsOptions & { guestServers?: boolean };

/** Reads a body, failing as soon as it is over `max` bytes. */
async function readCapped(res: Response, max: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? NaN);
  if (declared > max) {
    res.body?.cancel().catch(() => {});
    throw new RangeError(`reply of ${declared} bytes`);
  }
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > max) {
      reader.cancel().catch(() => {});
      throw new RangeError(`reply of more than ${max} bytes`);
    }
    parts.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) out.set(p, (at += p.length) - p.length);
  return out;
}

export function createDns(options: () => DnsOptions, gate: Gate = OPEN_GATE) {
  const cache = new Map<string, { expires: number; value: Exchange }>();
  const inFlight = new Map<string, Promise<Exchange>>();
  const stats = { queries: 0, cacheHits: 0, joined: 0 };

  const settings = (ov: DnsOverrides | undefined): Settings => {
    const o = options();
    const s = { ...o, guestServers: false };
    if (ov?.servers?.length) {
      s.servers = ov.servers.map(String);
      s.guestServers = true;
    }
    if (ov?.format === "wire" || ov?.format === "json") s.format = ov.format;
    if (typeof ov?.timeoutMs === "number" && ov.timeoutMs > 0) s.timeoutMs = ov.timeoutMs;
    return s;
  };

  /** One HTTP query to one server. Throws a NetError. */
  async function ask(server: string, name: string, type: QType, s: Settings): Promise<Message> {
    const slot = gate.hold(s.guestServers ? server : undefined);
    if ("code" in slot) throw dnsError("message" in slot ? slot.message : slot.code, name, server);
    try {
      return await askHeld(server, name, type, s);
    } finally {
      slot.release();
    }
  }

  async function askHeld(server: string, name: string, type: QType, s: Settings): Promise<Message> {
    const json = s.format === "json";
    let url: URL;
    try {
      url = new URL(server);
    } catch {
      throw dnsError(`invalid DoH server URL ${JSON.stringify(server)}`, name, server);
    }
    if (json) {
      url.searchParams.set("name", name);
      url.searchParams.set("type", type);
    } else {
      url.searchParams.set("dns", base64url(encodeQuery(name, type)));
    }
    const accept = json ? "application/dns-json" : "application/dns-message";
    const ctl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => ((timedOut = true), ctl.abort()), s.timeoutMs);
    stats.queries++;
    try {
      let res: Response;
      try {
        res = await fetch(url.href, { headers: { accept }, signal: ctl.signal });
      } catch (e) {
        if (timedOut) throw dnsError("i/o timeout", name, server, { is_timeout: true, is_temporary: true });
        throw dnsError(fetchFailure(server, e), name, server, { is_temporary: true });
      }
      if (!res.ok) {
        res.body?.cancel().catch(() => {});
        const why = `DoH server answered HTTP ${res.status}${res.statusText ? " " + res.statusText : ""}`;
        throw dnsError(why, name, server, { is_temporary: res.status >= 500 || res.status === 429 });
      }
      const ctype = (res.headers.get("content-type") ?? "").split(";")[0].trim().toLowerCase();
      const okType = json ? ctype === accept || ctype === "application/json" : ctype === accept;
      if (!okType) {
        res.body?.cancel().catch(() => {});
        throw dnsError(`DoH server answered with Content-Type "${ctype}", not ${accept}`, name, server);
      }
      let buf: Uint8Array;
      try {
        buf = await readCapped(res, MAX_MESSAGE_BYTES);
      } catch (e) {
        if (e instanceof RangeError) throw dnsError(`cannot unmarshal DNS message: ${e.message}`, name, server);
        if (timedOut) throw dnsError("i/o timeout", name, server, { is_timeout: true, is_temporary: true });
        throw dnsError(`reading the DoH reply failed: ${String(e)}`, name, server, { is_temporary: true });
      }
      try {
        return json
          ? decodeJson(JSON.parse(new TextDecoder().decode(buf)), name, type)
          : decodeWire(buf, name, type);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw dnsError(`cannot unmarshal DNS message: ${why}`, name, server);
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /** One question, answered by the first server that gives an answer. */
  async function exchangeUncached(name: string, type: QType, s: Settings): Promise<Exchange> {
    if (s.servers.length === 0) throw dnsError("no DoH server configured", name, "");
    let last: NetError = dnsError("no DoH server answered", name, "");
    for (const server of s.servers) {
      try {
        const msg = await ask(server, name, type, s);
        if (msg.rcode === "NOERROR" || msg.rcode === "NXDOMAIN") return { msg, server };
        last = dnsError(`server misbehaving (rcode ${msg.rcode})`, name, server, {
          is_temporary: msg.rcode === "SERVFAIL",
        });
      } catch (e) {
        last = isNetError(e) ? e : dnsError(String(e), name, server);
      }
    }
    throw last;
  }

  function ttlOf(x: Exchange, s: Settings): number {
    const { msg } = x;
    const positive = msg.rcode === "NOERROR" && msg.answers.length > 0;
    const ttl = positive
      ? Math.min(...msg.answers.map((r) => r.ttl))
      : (msg.negativeTtl ?? s.negativeTtlSeconds);
    return Math.min(Math.max(ttl, s.minTtlSeconds), s.maxTtlSeconds);
  }

  /** The cached, de-duplicated form of `exchangeUncached`. */
  function exchange(name: string, type: QType, s: Settings): Promise<Exchange> {
    const key = `${s.format} ${s.servers.join(" ")} ${type} ${canonical(name)}`;
    const hit = cache.get(key);
    if (hit && hit.expires > Date.now()) {
      cache.delete(key); // re-insert: Map order is the LRU order
      cache.set(key, hit);
      stats.cacheHits++;
      return Promise.resolve(hit.value);
    }
    if (hit) cache.delete(key);
    const joined = inFlight.get(key);
    if (joined) {
      stats.joined++;
      return joined;
    }
    const p = exchangeUncached(name, type, s).then(
      (value) => {
        inFlight.delete(key);
        const ttl = ttlOf(value, s);
        if (ttl > 0 && s.cacheEntries > 0) {
          while (cache.size >= s.cacheEntries) cache.delete(cache.keys().next().value as string);
          cache.set(key, { expires: Date.now() + ttl * 1000, value });
        }
        return value;
      },
      (e) => {
        inFlight.delete(key);
        throw e;
      },
    );
    inFlight.set(key, p);
    return p;
  }

  /** The records of `type` for `name`, following CNAMEs. Empty = NODATA. */
  async function resolve(name: string, type: QType, s: Settings): Promise<{ values: string[]; server: string }> {
    let cur = canonical(name);
    let hops = 0;
    for (;;) {
      const asked = cur;
      let x: Exchange;
      try {
        x = await exchange(cur, type, s);
      } catch (e) {
        // Name the name the caller asked for (as Go does), not an alias.
        throw isNetError(e) && e.code === "dns" ? { ...e, name } : e;
      }
      const { msg, server } = x;
      // Walk the chain inside this answer.
      for (;;) {
        const values = msg.answers.filter((r) => r.type === type && r.name === cur).map((r) => r.data);
        if (values.length > 0) return { values, server };
        const alias = msg.answers.find((r) => r.type === "CNAME" && r.name === cur);
        if (!alias) break;
        if (++hops > s.maxCnameHops) throw dnsError("too many CNAME hops", name, server);
        cur = canonical(alias.data);
      }
      if (msg.rcode === "NXDOMAIN") throw dnsError("no such host", name, server, { is_not_found: true });
      // NODATA; unless the chain moved on to a name this answer says nothing
      // about (a server that does not finish chains): then ask about that.
      if (cur === asked) return { values: [], server };
    }
  }

  /** The policy's rule for names (policy.ts lookupDenial). */
  function deny(name: string) {
    const denied = gate.lookup(name);
    if (denied) throw dnsError("message" in denied ? denied.message : denied.code, name, "");
  }

  async function guarded<T>(name: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw isNetError(e) ? e : dnsError(`internal error: ${String(e)}`, name, "");
    }
  }

  /** Addresses of `name` (A first, then AAAA) for network ip, ip4 or ip6. */
  function lookupIP(name: string, network: string, ov?: DnsOverrides): Promise<string[]> {
    return guarded(name, async () => {
      const types: QType[] =
        network === "ip" ? ["A", "AAAA"] : network === "ip4" ? ["A"] : network === "ip6" ? ["AAAA"] : [];
      if (types.length === 0) throw { code: "unknown_network", net: network } satisfies NetError;
      if (!encodable(name)) throw dnsError("no such host", name, "", { is_not_found: true });
      deny(name);
      const s = settings(ov);
      const results = await Promise.allSettled(types.map((t) => resolve(name, t, s)));
      const addrs: string[] = [];
      const errors: NetError[] = [];
      let server = "";
      for (const r of results) {
        if (r.status === "fulfilled") {
          addrs.push(...r.value.values);
          server = r.value.server;
        } else errors.push(r.reason as NetError);
      }
      if (addrs.length > 0) return addrs;
      // Nothing found: a failure that is not "not found" says more.
      const notFound = (e: NetError) => e.code === "dns" && e.is_not_found === true;
      throw errors.find((e) => !notFound(e)) ?? errors[0] ?? dnsError("no such host", name, server, { is_not_found: true });
    });
  }

  /** PTR names (no trailing dot) of a reverse name such as 4.3.2.1.in-addr.arpa. */
  function lookupPTR(arpa: string, ov?: DnsOverrides): Promise<string[]> {
    return guarded(arpa, async () => {
      if (!encodable(arpa)) throw dnsError("no such host", arpa, "", { is_not_found: true });
      deny(arpa);
      const { values, server } = await resolve(arpa, "PTR", settings(ov));
      if (values.length === 0) throw dnsError("no such host", arpa, server, { is_not_found: true });
      return values;
    });
  }

  return {
    lookupIP,
    lookupPTR,
    stats: (): DnsStats => ({ ...stats, cacheSize: cache.size, inFlight: inFlight.size }),
    clearCache: () => cache.clear(),
  };
}

/** The `_netLookup*` bindings Rust imports (see runtime-wasm/src/host/bindings.rs). */
export function createDnsBindings(options: () => DnsOptions, gate?: Gate) {
  const dns = createDns(options, gate);
  return {
    _netLookupHost: (name: string, ov?: DnsOverrides) => dns.lookupIP(name, "ip", ov),
    /** Go's argument order: LookupIP(network, host). */
    _netLookupIP: (network: string, name: string, ov?: DnsOverrides) => dns.lookupIP(name, network, ov),
    _netLookupAddr: (arpa: string, ov?: DnsOverrides) => dns.lookupPTR(arpa, ov),
    _netDnsStats: (): DnsStats => dns.stats(),
    _netDnsClearCache: (): void => dns.clearCache(),
  };
}
