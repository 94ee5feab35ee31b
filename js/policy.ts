// The capability policy: the guest program gets only the network the host
// grants. One check for every way out (Dial, fetch and each redirect hop,
// DoH queries and the names they ask about, failure probes), applied in the
// JS tables before anything is opened, so no Rust or guest code can go
// around it. The default allows everything the browser allows, except the
// user's credentials (cookies, HTTP auth), which a guest gets only if the
// host says so.
//
// Threat model (docs/security.md): the guest is a program limited to the
// externs / Rust API; the host and every other script in the page are
// trusted (they can call fetch themselves).
import type { NetError } from "./errors.js";

export interface NetPolicy {
  /** Allowed URL schemes ("ws", "wss", "http", "https"); undefined: any. */
  schemes?: string[];
  /**
   * Allowed hosts; undefined: any. "example.com" matches that host only,
   * "*.example.com" its subdomains (not itself), "*" any host. Written as
   * a URL would have them: IDNA names in Unicode or punycode, a trailing
   * dot or not, IPv6 with or without brackets, any case; each is
   * normalized as the URL parser normalizes hosts. An entry that is not a
   * valid host is a configuration error (registerNetBindings throws).
   */
  hosts?: string[];
  /** Allowed ports (the URL's, or its scheme's default); ranges as [lo, hi]. */
  ports?: Array<number | [number, number]>;
  /**
   * Sockets and requests at once, at most: WebSocket Conns until the
   * browser has really closed them (a Close starts the closing handshake,
   * which a peer can stall), HTTP requests in flight, DoH queries in
   * flight and the probes that explain a failed fetch.
   */
  maxConnections?: number;
  /**
   * The most a guest's request may carry of the user's credentials
   * (fetch's `credentials`: "omit" < "same-origin" < "include"). Default
   * "omit": a guest acts as nobody, not as the signed-in user. A request
   * asking for more (`js.fetch:credentials`) fails; one that asks nothing
   * gets this value, at most "same-origin".
   */
  credentials?: RequestCredentials;
}

export const POLICY_DEFAULTS: NetPolicy = {};

export const DENIED = "permission denied by network policy";

const DEFAULT_PORTS: Record<string, number> = { "ws:": 80, "http:": 80, "wss:": 443, "https:": 443 };

/** True when the policy limits where the guest may go (not only how much). */
export function restricts(policy: NetPolicy): boolean {
  return policy.schemes !== undefined || policy.hosts !== undefined || policy.ports !== undefined;
}

/**
 * A host as the URL parser writes it (IDNA to punycode, lower case, IPv4
 * forms to dotted decimal, IPv6 compressed and bracketed), without a
 * trailing dot; undefined when it is not a valid host.
 */
export function normalizeHost(host: string): string | undefined {
  let h = host.trim();
  if (h === "") return undefined;
  if (h.includes(":") && !h.startsWith("[")) h = `[${h}]`; // bare IPv6
  try {
    const u = new URL(`http://${h}/`);
    if (u.username || u.password || u.port || u.pathname !== "/" || u.hostname === "") return undefined;
    return u.hostname.replace(/\.$/, "");
  } catch {
    return undefined;
  }
}

/**
 * Go's isDomainName (net/dnsclient.go): labels of letters, digits, "-" and
 * "_", 1 to 63 bytes, no label starting with "-" or ending with it, at most
 * 254 bytes in all, and not all digits.
 */
export function isDomainName(s: string): boolean {
  const l = s.length;
  if (l === 0 || l > 254 || (l === 254 && s[l - 1] !== ".")) return false;
  let last = ".";
  let nonNumeric = false;
  let part = 0;
  for (const c of s) {
    if ((c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_") {
      nonNumeric = true;
      part++;
    } else if (c >= "0" && c <= "9") part++;
    else if (c === "-") {
      if (last === ".") return false;
      part++;
      nonNumeric = true;
    } else if (c === ".") {
      if (last === "." || last === "-" || part > 63 || part === 0) return false;
      part = 0;
    } else return false;
    last = c;
  }
  return last !== "-" && part <= 63 && nonNumeric;
}

/**
 * The host a relay may be asked to reach, as the policy checks it and the
 * relay receives it: an IP literal (IPv6 without brackets), or a name that
 * the URL parser normalizes (IDNA, case, a trailing dot) to a valid DNS name.
 * Anything else (`[1.2.3.4:80/5.6.7.8]`, `a b`, `h?x`) is undefined: no
 * destination, under every policy, since what the policy would check and
 * what the relay would get could differ.
 */
export function destinationHost(host: string): string | undefined {
  const n = normalizeHost(host);
  if (n === undefined) return undefined;
  if (n.startsWith("[")) return n.slice(1, -1);
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(n) || isDomainName(n)) return n;
  return undefined;
}

type Pattern = { any: true } | { suffix: string } | { exact: string };

/** Compiles the host patterns; throws a TypeError naming an invalid one. */
export function compileHosts(patterns: string[]): Pattern[] {
  return patterns.map((p) => {
    if (p.trim() === "*") return { any: true };
    const wild = p.trim().startsWith("*.");
    const n = normalizeHost(wild ? p.trim().slice(2) : p);
    if (n === undefined || (wild && n.startsWith("[")))
      throw new TypeError(`network policy: ${JSON.stringify(p)} is not a valid host pattern`);
    return wild ? { suffix: `.${n}` } : { exact: n };
  });
}

const compiled = new WeakMap<string[], Pattern[]>();
function patternsOf(hosts: string[]): Pattern[] {
  let c = compiled.get(hosts);
  if (!c) compiled.set(hosts, (c = compileHosts(hosts)));
  return c;
}

/** Does the (normalized) host match the patterns ("*", "*.example.com", "example.com")? */
export function hostMatches(host: string, hosts: string[]): boolean {
  return patternsOf(hosts).some((p) =>
    "any" in p ? true : "suffix" in p ? host.endsWith(p.suffix) && host.length > p.suffix.length : host === p.exact,
  );
}

/** Checks a policy's configuration; throws a TypeError saying what is wrong. */
export function validatePolicy(policy: NetPolicy): void {
  if (policy.hosts) compileHosts(policy.hosts);
  if (policy.credentials !== undefined && !CREDENTIALS.includes(policy.credentials))
    throw new TypeError(`network policy: credentials must be "omit", "same-origin" or "include"`);
  if (policy.maxConnections !== undefined && !(policy.maxConnections >= 0))
    throw new TypeError(`network policy: maxConnections must be a number >= 0`);
}

/**
 * Why `url` may not be opened under `policy` ("" when it may). `open` is the
 * number of sockets and requests already counted.
 */
export function policyDenial(policy: NetPolicy, url: string, open: number): string {
  if (restricts(policy)) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return `unparseable URL ${JSON.stringify(url)}`; // nothing can be checked, so nothing is allowed
    }
    const scheme = u.protocol.slice(0, -1);
    if (policy.schemes && !policy.schemes.map((s) => s.toLowerCase()).includes(scheme)) return `scheme ${scheme}`;
    const host = u.hostname.replace(/\.$/, "");
    if (policy.hosts && !hostMatches(host, policy.hosts)) return `host ${u.hostname}`;
    const port = u.port ? Number(u.port) : DEFAULT_PORTS[u.protocol];
    if (policy.ports && !policy.ports.some((p) => (Array.isArray(p) ? port >= p[0] && port <= p[1] : port === p)))
      return `port ${port}`;
  }
  if (policy.maxConnections !== undefined && open >= policy.maxConnections)
    return `more than ${policy.maxConnections} connections`;
  return "";
}

/**
 * Why a DNS lookup of `name` may not be sent ("" when it may). The rule: a
 * guest may look up only a name it could connect to, so with `hosts` set
 * the name must match them (any scheme and port); otherwise a lookup could
 * carry data out in the query name through the resolver. Reverse lookups
 * (`x.in-addr.arpa`, `x.ip6.arpa`) are checked as the address they ask
 * about. IP literals never reach DoH (Rust answers them without a query).
 */
export function lookupDenial(policy: NetPolicy, name: string): string {
  if (!policy.hosts) return "";
  const ip = arpaToIp(name);
  // Only a name equal to its normalized form is checked: the URL parser
  // reads `allowed.example#.data.evil.example` as allowed.example, while
  // the query would carry the whole name.
  const asked = name.replace(/\.$/, "").toLowerCase();
  if (ip === undefined && !isDomainName(asked)) return `lookup of ${JSON.stringify(name.slice(0, 255))}`;
  const host = normalizeHost(ip ?? name);
  if (host === undefined || (ip === undefined && host !== asked)) return `lookup of ${JSON.stringify(name.slice(0, 255))}`;
  return hostMatches(host, policy.hosts) ? "" : `lookup of ${name}`;
}

/** The address a reverse-lookup name stands for, or undefined. */
function arpaToIp(name: string): string | undefined {
  const n = name.toLowerCase().replace(/\.$/, "");
  let m = /^((?:\d{1,3}\.){3}\d{1,3})\.in-addr\.arpa$/.exec(n);
  if (m) return m[1].split(".").reverse().join(".");
  m = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(n);
  if (m) {
    const nibbles = m[1].split(".").filter(Boolean).reverse().join("");
    return nibbles.match(/.{4}/g)!.join(":");
  }
  return undefined;
}

const CREDENTIALS: RequestCredentials[] = ["omit", "same-origin", "include"];

/**
 * The credentials mode a guest's request gets: what it asked for (or the
 * host's level, at most "same-origin", when it asked nothing), or a denial
 * when it asked for more than the host allows.
 */
export function credentialsFor(policy: NetPolicy, asked: string | undefined): RequestCredentials | NetError {
  const max = policy.credentials ?? "omit";
  if (asked === undefined) return CREDENTIALS.indexOf(max) > 1 ? "same-origin" : max;
  const want = CREDENTIALS.indexOf(asked as RequestCredentials);
  if (want < 0) return { code: "other", message: `net/http: invalid js.fetch:credentials ${JSON.stringify(asked)}` };
  if (want > CREDENTIALS.indexOf(max)) return deniedError(`credentials ${asked}`);
  return asked as RequestCredentials;
}

export interface Gate {
  /** Why `url` may not be opened now (one more connection), or undefined. */
  check(url: string): NetError | undefined;
  /** Like check (only counting when `url` is undefined: a destination the
   *  host chose), and on success holds one slot until `release()`. */
  hold(url: string | undefined): NetError | { release(): void };
  /** Why a DoH lookup of `name` may not be sent, or undefined. */
  lookup(name: string): NetError | undefined;
  /** Does the policy limit destinations (so redirects cannot be followed blind)? */
  restricts(): boolean;
  policy(): NetPolicy;
}

/** A gate that allows everything and counts nothing (tables used on their own, tests). */
export const OPEN_GATE: Gate = {
  check: () => undefined,
  hold: () => ({ release() {} }),
  lookup: () => undefined,
  restricts: () => false,
  policy: () => ({}),
};


/**
 * The gate over `policy()`, counting `open()` sockets and requests plus
 * the slots it holds itself (DoH queries, failure probes).
 */
export function createGate(policy: () => NetPolicy, open: () => number): Gate {
  let held = 0;
  const deny = (why: string) => (why ? deniedError(why) : undefined);
  const gate: Gate = {
    check: (url) => deny(policyDenial(policy(), url, open() + held)),
    hold(url) {
      const p = policy();
      const denied = deny(policyDenial(url === undefined ? { maxConnections: p.maxConnections } : p, url ?? "", open() + held));
      if (denied) return denied;
      held++;
      let done = false;
      return { release: () => void (done || ((done = true), held--)) };
    },
    lookup: (name) => deny(lookupDenial(policy(), name)),
    restricts: () => restricts(policy()),
    policy,
  };
  return gate;
}

/** The error a denied call gets: Go's wording, plus what was denied. */
export function deniedError(why: string): NetError {
  return { code: "denied", message: `${DENIED} (${why} not allowed)` };
}
