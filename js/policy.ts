// The capability policy: the guest program gets only the network the host
// grants. One check for every way out (Dial, fetch, DoH), applied in the
// JS tables before anything is opened, so no Rust or guest code can go
// around it. The default allows everything the browser allows.
import type { NetError } from "./errors.js";

export interface NetPolicy {
  /** Allowed URL schemes ("ws", "wss", "http", "https"); undefined: any. */
  schemes?: string[];
  /**
   * Allowed hosts; undefined: any. "example.com" matches that host only,
   * "*.example.com" its subdomains (not itself), "*" any host. IPv6 hosts
   * are written without brackets ("::1"). Case-insensitive.
   */
  hosts?: string[];
  /** Allowed ports (the URL's, or its scheme's default); ranges as [lo, hi]. */
  ports?: Array<number | [number, number]>;
  /** Open WebSocket Conns plus HTTP requests in flight, at most. */
  maxConnections?: number;
}

export const POLICY_DEFAULTS: NetPolicy = {};

export const DENIED = "permission denied by network policy";

const DEFAULT_PORTS: Record<string, number> = { "ws:": 80, "http:": 80, "wss:": 443, "https:": 443 };

function hostAllowed(host: string, patterns: string[]): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.$/, "");
  return patterns.some((p) => {
    const q = p.toLowerCase().replace(/^\[|\]$/g, "");
    if (q === "*") return true;
    if (q.startsWith("*.")) return h.endsWith(q.slice(1)) && h.length > q.length - 1;
    return h === q;
  });
}

/**
 * Why `url` may not be opened under `policy` ("" when it may). `open` is the
 * number of connections and requests already open.
 */
export function policyDenial(policy: NetPolicy, url: string, open: number): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return ""; // not a URL: the caller reports that itself
  }
  const scheme = u.protocol.slice(0, -1);
  if (policy.schemes && !policy.schemes.map((s) => s.toLowerCase()).includes(scheme)) return `scheme ${scheme}`;
  if (policy.hosts && !hostAllowed(u.hostname, policy.hosts)) return `host ${u.hostname}`;
  const port = u.port ? Number(u.port) : DEFAULT_PORTS[u.protocol];
  if (policy.ports && !policy.ports.some((p) => (Array.isArray(p) ? port >= p[0] && port <= p[1] : port === p)))
    return `port ${port}`;
  if (policy.maxConnections !== undefined && open >= policy.maxConnections)
    return `more than ${policy.maxConnections} connections`;
  return "";
}

/** The error a denied call gets: Go's wording, plus what was denied. */
export function deniedError(why: string): NetError {
  return { code: "denied", message: `${DENIED} (${why} not allowed)` };
}
