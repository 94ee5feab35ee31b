// Page test: real wasm32-wasip1 programs (guests/, built by
// scripts/build-guests.sh from crates.io's wasmedge_wasi_socket and
// tokio_wasi; guests/go-http, a Go program on net/http; guests/go-seeds, the seeds' libraries' calls)
// run in headless Chromium (playwright-core) and Firefox ESR (puppeteer-core, WebDriver BiDi) through go-net-wasm/wasi with
// browser_wasi_shim, against the peers (Redis, the HTTP server, TCP and UDP
// echo, DoH) through the Wisp relay. Each guest prints one line per check;
// every check must be there and pass, and the page must have kept running
// (its timer fired) while the guest blocked.
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "node:http";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain .mjs module without types
import { startAll } from "../../servers/start.mjs";
// @ts-expect-error: plain .mjs module without types
import { startStatic } from "../../servers/static.mjs";
// @ts-expect-error: plain .mjs module without types
import { launchChromium } from "../../servers/chromium.mjs";
// @ts-expect-error: plain .mjs module without types
import { launchFirefox } from "../../servers/firefox.mjs";
// @ts-expect-error: plain .mjs module without types
import { launchWebKit } from "../../servers/webkit.mjs";

const guests = join(import.meta.dirname, "../../target/guests");
/** The part of a page both playwright-core (Chromium) and puppeteer-core (Firefox) have. */
interface PageLike {
  goto(url: string): Promise<unknown>;
  waitForFunction(f: () => unknown): Promise<unknown>;
  evaluate<A, R>(f: (a: A) => R, arg: A): Promise<Awaited<R>>;
  on(event: "pageerror", f: (e: unknown) => void): unknown;
}
let browser: { newPage(): Promise<PageLike>; close(): Promise<void> } | undefined;
let servers: { urls: Record<string, string>; close(): Promise<void> };
let app: Server;
let page: PageLike;
let errors: string[] = [];
/** Every engine the suite runs in (both required: setup installs them). */
const ENGINES = { chromium: launchChromium, firefox: launchFirefox } as const;

beforeAll(async () => {
  for (const g of [...["wasi-blocking", "wasi-tokio", "go-http", "go-seeds"].flatMap((n) => [`${n}.wasm`, `${n}.asyncify.wasm`]), "go-js.wasm", "wasm_exec.js"])
    if (!existsSync(join(guests, g))) throw new Error(`no ${g} in ${guests}: run scripts/build-guests.sh`);
  const dir = mkdtempSync(join(tmpdir(), "wasi-page-"));
  await build({ entryPoints: [join(import.meta.dirname, "wasi/harness.ts")], bundle: true, format: "esm", outfile: join(dir, "harness.js"), logLevel: "error" });
  writeFileSync(join(dir, "index.html"), `<!doctype html><script type="module" src="harness.js"></script>`);
  servers = await startAll();
  app = await startStatic({ "/": dir, "/guests/": guests });
});

afterAll(async () => {
  app?.close();
  await servers?.close();
});

let current = "";
const engineName = () => current;

/** A fresh browser of `engine` with the harness page loaded and configured. */
async function openPage(engine: keyof typeof ENGINES) {
  current = engine;
  browser = await ENGINES[engine]();
  errors = [];
  page = await browser!.newPage();
  // Firefox reports its own console lines for a WebSocket that never opened
  // (the Go program's dial-timeout check, to the blackhole) as page errors:
  // not the page's, so not counted.
  const firefoxWsNoise = /^Error: (Firefox can’t establish a connection to the server at ws:|The connection to ws:\S+ was interrupted while the page was loading)/;
  page.on("pageerror", (e) => {
    if (!firefoxWsNoise.test(String(e))) errors.push(String(e) + ((e as Error)?.stack ? `\n${(e as Error).stack}` : ""));
  });
  await page.goto(`http://127.0.0.1:${(app.address() as { port: number }).port}/index.html`);
  await page.waitForFunction(() => (window as any).harnessReady);
  await page.evaluate(([relay, doh]) => (window as any).configure(relay, doh), [servers.urls.wispV2, servers.urls.doh]);
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  lastError: string;
  errors: string[];
  openAfter: number;
  heartbeats: number;
  ms: number;
  blocking: string;
  unwinds: number;
}

const run = (guest: string, env: Record<string, string>, policy?: unknown, blocking?: "jspi" | "asyncify"): Promise<Run> =>
  page.evaluate(([g, e, p, b]) => (window as any).runGuest(`/guests/${g}`, e, p, b), [guest, env, policy, blocking] as const);

/** The guest's check lines, by name: "ok ..." or "FAIL ...". */
function checks(out: Run): Record<string, string> {
  expect(out.stdout, `${out.stderr}\n${out.errors.join("\n")}`).toMatch(/^done$/m);
  const r: Record<string, string> = {};
  for (const line of out.stdout.split("\n")) {
    const m = /^(ok|FAIL) (\w+)[: ]?(.*)$/.exec(line);
    if (m) r[m[2]] = `${m[1]} ${m[3]}`;
  }
  return r;
}

for (const engine of Object.keys(ENGINES) as Array<keyof typeof ENGINES>)
  describe(engine, () => {
    beforeAll(() => openPage(engine));
    afterAll(async () => {
      await browser?.close();
      browser = undefined;
    });
    suite();
  });

// WebKitGTK 2.50 (MiniBrowser through WebKitWebDriver under Xvfb; no JSPI):
// the same harness page runs the GOOS=js program (Go's own scheduler needs
// no JSPI) and, by feature detection, the asyncified wasip1 guest.
describe("webkit", () => {
  let wk: { newPage(): Promise<any>; close(): Promise<void> } | undefined;
  let wpage: any;
  beforeAll(async () => {
    wk = await launchWebKit();
    wpage = await wk!.newPage();
    await wpage.goto(`http://127.0.0.1:${(app.address() as { port: number }).port}/index.html`);
    await wpage.waitForFunction(() => (window as any).harnessReady, { timeout: 30_000 });
  });
  afterAll(async () => {
    await wk?.close();
  });

  it("the GOOS=js program on go/pagenet: Redis, deadlines, goroutines, a WebSocket, UDP, DoH, Go's net/http and crypto/tls, a denied port", async () => {
    const u = servers.urls;
    const port = (hostPort: string) => Number(hostPort.split(":").pop());
    const policy = { hosts: ["127.0.0.1", "*.test.example"], ports: [u.redis, u.tcpHttp, new URL(u.https).host, u.udpEcho, new URL(u.wsEcho).host, new URL(u.blackhole).host].map(port) };
    await wpage.evaluate((a: string[]) => (window as any).configure(a[0], a[1], JSON.parse(a[2])), [u.wispV2, u.doh, JSON.stringify(policy)]);
    const names = ["redis_ping", "redis_1mib", "read_deadline", "close_wakes_read", "concurrent", "ws_echo", "small_reads", "udp_echo", "lookup", "http_get", "http_post", "https_get", "denied", "dial_timeout"];
    const env = {
      REDIS: u.redis, HTTP: u.tcpHttp, HTTPS: new URL(u.https).host, TLS_CA: u.tlsCa, WS_ECHO: u.wsEcho, UDP_ECHO: u.udpEcho,
      REFUSED: u.tcpRefused, DENIED: u.tcpEcho, BLACKHOLE: u.blackhole, ONLY: names.join(","),
    };
    const out = await wpage.evaluate((e: Record<string, string>) => (window as any).runGoJs("/guests/go-js.wasm", e), env);
    const r = checks({ ...out, stderr: "", errors: [] } as unknown as Run);
    for (const name of names) expect(r[name], `${name}: ${out.stdout}`).toMatch(/^ok /);
    expect(r.https_get).toMatch(/TLS 1\.3/);
    expect(out.code).toBe(0);
    expect(out.heartbeats).toBeGreaterThan(10);
  });

  it("a wasip1 guest without JSPI: the asyncified tokio program, chosen by feature detection", async () => {
    const u = servers.urls;
    await wpage.evaluate((a: string[]) => (window as any).configure(a[0], a[1], {}), [u.wispV2, u.doh]);
    const jspi = await wpage.evaluate(() => typeof (WebAssembly as any).Suspending === "function");
    const out = await wpage.evaluate(
      (e: Record<string, string>) => (window as any).runGuest("/guests/wasi-tokio.wasm", e),
      { REDIS: u.redis, TCP_ECHO: u.tcpEcho, REFUSED: u.tcpRefused, ONLY: TOKIO.join(",") },
    );
    const r = checks(out);
    for (const name of TOKIO) expect(r[name], `${name}: ${out.stdout}`).toMatch(/^ok /);
    expect(out.blocking).toBe(jspi ? "jspi" : "asyncify");
    expect(out.code).toBe(0);
  });
});

const TOKIO = ["concurrent_redis", "concurrent_echo", "timeout"];

function suite() {
const BLOCKING = ["redis_ping", "redis_1mib", "redis_pipeline", "http", "udp_echo", "getaddrinfo", "read_timeout", "denied"];

it("a blocking wasmedge_wasi_socket program: Redis, HTTP/1.1, UDP, getaddrinfo over DoH, SO_RCVTIMEO, a denied port", async () => {
  const u = servers.urls;
  const port = (hostPort: string) => Number(hostPort.split(":").pop());
  const out = await run(
    "wasi-blocking.wasm",
    { REDIS: u.redis, HTTP: u.tcpHttp, UDP_ECHO: u.udpEcho, REFUSED: u.tcpRefused, DENIED: u.tcpEcho, ONLY: BLOCKING.join(",") },
    // This guest's own rights: everything it needs, and not the TCP echo port.
    { hosts: ["127.0.0.1", "*.test.example"], ports: [port(u.redis), port(u.tcpHttp), port(u.udpEcho), port(u.tcpRefused)] },
  );
  const r = checks(out);
  for (const name of BLOCKING)
    expect(r[name], `${name}: ${out.stdout}\n${out.errors.join("\n")}`).toMatch(/^ok /);
  expect(out.code).toBe(0);
  expect(out.openAfter).toBe(0);
  // The page ran while the guest blocked (300 ms of SO_RCVTIMEO alone is 15 beats).
  expect(out.heartbeats).toBeGreaterThan(10);
  expect(errors).toEqual([]);
});

it("a nonblocking tokio_wasi program: 16 concurrent connections, concurrent echo streams, a timer racing a read", async () => {
  const u = servers.urls;
  const out = await run("wasi-tokio.wasm", { REDIS: u.redis, TCP_ECHO: u.tcpEcho, REFUSED: u.tcpRefused, ONLY: TOKIO.join(",") });
  const r = checks(out);
  for (const name of TOKIO) expect(r[name], `${name}: ${out.stdout}\n${out.errors.join("\n")}`).toMatch(/^ok /);
  expect(out.code).toBe(0);
  expect(out.heartbeats).toBeGreaterThan(10);
  expect(errors).toEqual([]);
});

const GO = ["lookup", "http_get", "http_post", "http_concurrent", "http_timeout", "redis_deadline", "refused", "denied"];

it("a Go program's net/http and net through wasinet_v0 and path_open: GET, POST, goroutines, Client.Timeout, a read deadline, DoH", async () => {
  const u = servers.urls;
  const port = (hostPort: string) => Number(hostPort.split(":").pop());
  const out = await run(
    "go-http.wasm",
    { HTTP: u.tcpHttp, REDIS: u.redis, REFUSED: u.tcpRefused, DENIED: u.tcpEcho },
    { hosts: ["127.0.0.1", "*.test.example"], ports: [port(u.tcpHttp), port(u.redis), port(u.tcpRefused)] },
  );
  const r = checks(out);
  for (const name of GO) expect(r[name], `${name}: ${out.stdout}\n${out.stderr}\n${out.errors.join("\n")}`).toMatch(/^ok /);
  // Go's own words for what the page's layer answered.
  expect(r.denied).toMatch(/permission denied/i);
  expect(r.redis_deadline).toMatch(/i\/o timeout/);
  expect(r.http_timeout).toMatch(/Client\.Timeout exceeded/);
  expect(r.redis_deadline).toMatch(new RegExp(`peer ${u.redis.replace(/\./g, "\\.")}`));
  expect(out.errors.join("\n")).toMatch(/wasinet sock_connect: .*port \d+ not allowed/);
  expect(out.code).toBe(0);
  expect(out.openAfter).toBe(0);
  expect(out.heartbeats).toBeGreaterThan(10);
  expect(errors).toEqual([]);
});

// guests/go-seeds: the call shapes of the seeds' own guest libraries, with
// no configuration on the host's side (the same WasiNet as every guest).
const SEEDS = ["redis_ping", "lookup_host", "own_lookup", "http_get", "http_post", "rtt"];

it("a Go program on egdaemon/wasinet's calls (10-parameter recv_from, 16-byte Go iovecs, a Read spinning on EAGAIN): Redis, Go's own resolver, its lookup, 1 MiB GET, POST", async () => {
  const u = servers.urls;
  const httpPort = Number(u.tcpHttp.split(":").pop());
  const redisPort = Number(u.redis.split(":").pop());
  const out = await run(
    "go-seeds.wasm",
    { LIB: "wasinet", REDIS: u.redis, HTTP_NAME: `loop.test.example:${httpPort}`, TCP_ECHO: u.tcpEcho },
    { hosts: ["127.0.0.1", "*.test.example"], ports: [httpPort, redisPort, Number(u.tcpEcho.split(":").pop())] },
  );
  const r = checks(out);
  for (const name of SEEDS) expect(r[name], `${name}: ${out.stdout}\n${out.stderr}\n${out.errors.join("\n")}`).toMatch(/^ok /);
  expect(r.lookup_host).toContain("10.9.8.7 fd00::7");
  console.log(`${engineName()}: wasinet-shaped guest (a Read spinning on EAGAIN): ${r.rtt}`); // measured, not asserted
  expect(out.code).toBe(0);
  expect(out.openAfter).toBe(0);
  expect(out.heartbeats).toBeGreaterThan(10); // its spinning never froze the page
  expect(errors).toEqual([]);
});

it("a Go program on dispatchrun/net's calls (getsockopt's length by value, Go's resolver through its dialer): Redis, lookups, 1 MiB GET, POST, a read deadline that keeps the conn", async () => {
  const u = servers.urls;
  const httpPort = Number(u.tcpHttp.split(":").pop());
  const redisPort = Number(u.redis.split(":").pop());
  const out = await run(
    "go-seeds.wasm",
    { LIB: "dispatch", REDIS: u.redis, HTTP_NAME: `loop.test.example:${httpPort}`, TCP_ECHO: u.tcpEcho },
    { hosts: ["127.0.0.1", "*.test.example"], ports: [httpPort, redisPort, Number(u.tcpEcho.split(":").pop())] },
  );
  const r = checks(out);
  for (const name of [...SEEDS, "read_deadline", "lookup_tcp"]) expect(r[name], `${name}: ${out.stdout}\n${out.stderr}\n${out.errors.join("\n")}`).toMatch(/^ok /);
  expect(r.read_deadline).toMatch(/i\/o timeout/);
  expect(r.own_lookup).toContain("port 80");
  console.log(`${engineName()}: dispatchrun-shaped guest (reads wait in poll_oneoff): ${r.rtt}`); // measured, not asserted
  expect(out.code).toBe(0);
  expect(out.openAfter).toBe(0);
  expect(out.heartbeats).toBeGreaterThan(10);
  expect(errors).toEqual([]);
});

it("a guest's resolver asks only for what its policy allows: a denied name is REFUSED, never sent to DoH", async () => {
  const u = servers.urls;
  const redisPort = Number(u.redis.split(":").pop());
  const out = await run("go-seeds.wasm", { LIB: "dispatch", REDIS: u.redis, HTTP_NAME: "loop.test.example:1" }, { hosts: ["127.0.0.1", "loop.test.example"], ports: [redisPort] });
  const r = checks(out);
  expect(r.redis_ping).toMatch(/^ok /);
  expect(r.lookup_host).toMatch(/^FAIL .*(server misbehaving|refused)/i);
  expect(out.errors.join("\n")).toMatch(/permission denied by network policy \(lookup of dual\.test\.example not allowed\)/);
});

it("two guests in one page hold different rights", async () => {
  const u = servers.urls;
  const env = { REDIS: u.redis, HTTP: u.tcpHttp, UDP_ECHO: u.udpEcho, REFUSED: u.tcpRefused, DENIED: u.redis, ONLY: "denied" };
  const redisPort = Number(u.redis.split(":").pop());
  const [denied, allowed] = await Promise.all([
    run("wasi-blocking.wasm", env, { ports: [1] }),
    run("wasi-blocking.wasm", { ...env, ONLY: "redis_ping" }, { ports: [redisPort] }),
  ]);
  expect(checks(denied).denied).toMatch(/^ok /);
  expect(denied.errors.join("\n")).toMatch(/permission denied by network policy \(port \d+ not allowed\)/);
  expect(checks(allowed).redis_ping).toMatch(/^ok /);
});

it("a refused port is ECONNREFUSED where the relay says so (wisp-server-node's CLOSE 0x44), EIO with the relay's words where it does not (wisp-js's 0x03)", async () => {
  const u = servers.urls;
  const env = { REDIS: u.redis, HTTP: u.tcpHttp, UDP_ECHO: u.udpEcho, TCP_ECHO: u.tcpEcho, REFUSED: u.tcpRefused, DENIED: u.redis, ONLY: "refused" };
  await page.evaluate(([relay, doh]) => (window as any).configure(relay, doh), [u.wispV1, u.doh]);
  try {
    const blocking = await run("wasi-blocking.wasm", env);
    expect(checks(blocking).refused, blocking.stdout).toMatch(/^ok .*Connection refused \(os error 14\)/);
    // tokio: EINPROGRESS, then the refusal on the first write or read.
    const tokio = await run("wasi-tokio.wasm", env);
    expect(checks(tokio).refused, tokio.stdout).toMatch(/^ok .*Connection refused \(os error 14\)/);
  } finally {
    await page.evaluate(([relay, doh]) => (window as any).configure(relay, doh), [u.wispV2, u.doh]);
  }
  const generic = await run("wasi-blocking.wasm", env);
  expect(checks(generic).refused).toMatch(/^FAIL .*\(os error 29\)/);
  expect(generic.errors.join("\n")).toContain("the relay could not connect to the destination (network error, Wisp CLOSE 0x03)");
});
// GOOS=js: a Go program run by Go's own wasm_exec.js, dialing through
// go/pagenet over the page's bindings, under the page's policy.
describe("GOOS=js: go-net-wasm/pagenet", () => {
  const GOJS = ["redis_ping", "redis_1mib", "read_deadline", "close_wakes_read", "concurrent", "ws_echo", "small_reads", "udp_echo", "lookup", "http_get", "http_post", "https_get", "denied", "dial_timeout"];
  const goEnv = () => {
    const u = servers.urls;
    return {
      REDIS: u.redis, HTTP: u.tcpHttp, HTTPS: new URL(u.https).host, TLS_CA: u.tlsCa, WS_ECHO: u.wsEcho, UDP_ECHO: u.udpEcho,
      REFUSED: u.tcpRefused, DENIED: u.tcpEcho, BLACKHOLE: u.blackhole,
    };
  };
  const runGo = (env: Record<string, string>) =>
    page.evaluate(([e]) => (window as any).runGoJs("/guests/go-js.wasm", e), [env] as const) as Promise<{ code: number; stdout: string; heartbeats: number }>;
  const goChecks = (out: { stdout: string }) => checks({ ...out, stderr: "", errors: [] } as unknown as Run);
  const port = (hostPort: string) => Number(hostPort.split(":").pop());

  it("Redis (1 MiB), a read deadline then reuse, Close waking a Read, 16 goroutines, a WebSocket, UDP, DoH, Go's net/http and crypto/tls over the relay, a denied port", async () => {
    const u = servers.urls;
    // The page's policy: every peer the program needs, not the TCP echo.
    const policy = { hosts: ["127.0.0.1", "*.test.example"], ports: [u.redis, u.tcpHttp, new URL(u.https).host, u.udpEcho, u.tcpRefused, new URL(u.wsEcho).host, new URL(u.blackhole).host].map(port) };
    await page.evaluate(([relay, doh, p]) => (window as any).configure(relay, doh, p), [u.wispV2, u.doh, policy] as const);
    try {
      const out = await runGo({ ...goEnv(), ONLY: GOJS.join(",") });
      const r = goChecks(out);
      for (const name of GOJS) expect(r[name], `${name}: ${out.stdout}`).toMatch(/^ok /);
      // Go's own words, and Go's error types (the program checks errors.Is / errors.As).
      expect(r.read_deadline).toMatch(/read tcp .*: i\/o timeout/);
      expect(r.close_wakes_read).toMatch(/use of closed network connection/);
      expect(r.small_reads).toMatch(/^ok 3000 bytes in (\d{3}) reads/); // 429 reads of 7 (the last 4)
      expect(r.lookup).toContain("10.9.8.7 fd00::7");
      expect(r.lookup).toMatch(/lookup nx\.test\.example.*no such host/);
      expect(r.https_get).toMatch(/TLS 1\.3.*certificate signed by unknown authority/);
      expect(r.denied).toMatch(new RegExp(`^ok dial tcp ${u.tcpEcho.replace(/\./g, "\\.")}: .*permission denied by network policy \\(port \\d+ not allowed\\)`));
      expect(r.dial_timeout).toMatch(/i\/o timeout/);
      expect(out.code).toBe(0);
      expect(out.heartbeats).toBeGreaterThan(10); // the page ran while Go's goroutines waited
      expect(errors).toEqual([]);
    } finally {
      await page.evaluate(([relay, doh]) => (window as any).configure(relay, doh, {}), [u.wispV2, u.doh] as const);
    }
  });

  it("a refused port reads as Go's own error where the relay says refused (wisp-server-node), in the relay's words where it does not (wisp-js)", async () => {
    const u = servers.urls;
    await page.evaluate(([relay, doh]) => (window as any).configure(relay, doh), [u.wispV1, u.doh] as const);
    try {
      const out = await runGo({ ...goEnv(), ONLY: "refused" });
      expect(goChecks(out).refused).toBe(`ok dial tcp ${u.tcpRefused}: connect: connection refused`);
    } finally {
      await page.evaluate(([relay, doh]) => (window as any).configure(relay, doh), [u.wispV2, u.doh] as const);
    }
    const generic = await runGo({ ...goEnv(), ONLY: "refused" });
    expect(goChecks(generic).refused).toMatch(/^ok dial tcp .*: the relay could not connect to the destination/);
  });
});

// wasm32-wasip2: a std::net component transpiled by jco, its wasi:sockets
// this package's (go-net-wasm/wasip2), the rest preview2-shim's.
describe("wasip2 components: wasi:sockets through go-net-wasm/wasip2", () => {
  const P2 = ["redis_ping", "redis_256k", "read_timeout", "udp_echo", "lookup", "denied", "refused"];
  const runP2 = (env: Record<string, string>, opts: unknown) =>
    page.evaluate(([e, o]) => (window as any).runComponent("/guests/wasi-p2", e, o), [env, opts] as const) as Promise<{
      code: number; stdout: string; errors: string[]; openAfter: number; heartbeats: number; trap?: string;
    }>;
  const env = () => ({ REDIS: servers.urls.redis, UDP_ECHO: servers.urls.udpEcho, DENIED: servers.urls.tcpEcho, REFUSED: servers.urls.tcpRefused });

  it("a std::net program: Redis (256 KiB), a read timeout then reuse, UDP, a name over DoH, a denied port, a refused one", async () => {
    const u = servers.urls;
    const port = (hostPort: string) => Number(hostPort.split(":").pop());
    const out = await runP2(env(), { policy: { hosts: ["127.0.0.1", "*.test.example"], ports: [port(u.redis), port(u.udpEcho), port(u.tcpRefused)] } });
    const r = checks({ ...out, stderr: out.trap ?? "", lastError: "" } as unknown as Run);
    for (const name of P2) expect(r[name], `${name}: ${out.stdout}\n${out.trap ?? ""}\n${out.errors.join("\n")}`).toMatch(/^ok /);
    expect(r.lookup).toContain("10.9.8.7");
    expect(r.denied).toMatch(/permission denied/i);
    expect(out.errors.join("\n")).toMatch(/permission denied by network policy \(port \d+ not allowed\)/);
    expect(out.code).toBe(0);
    expect(out.openAfter).toBe(0);
    expect(out.heartbeats).toBeGreaterThan(10); // the page ran while the component waited
    expect(errors).toEqual([]);
  });

  it("a refused port is ConnectionRefused where the relay says so (wisp-server-node), HostUnreachable where it cannot say why (wisp-js)", async () => {
    const u = servers.urls;
    await page.evaluate(([relay, doh]) => (window as any).configure(relay, doh), [u.wispV1, u.doh]);
    try {
      const out = await runP2({ ...env(), ONLY: "refused" }, {});
      expect(checks({ ...out, stderr: "", lastError: "" } as unknown as Run).refused).toMatch(/^ok .*\(ConnectionRefused\)/);
    } finally {
      await page.evaluate(([relay, doh]) => (window as any).configure(relay, doh), [u.wispV2, u.doh]);
    }
    const generic = await runP2({ ...env(), ONLY: "refused" }, {});
    expect(checks({ ...generic, stderr: "", lastError: "" } as unknown as Run).refused).toMatch(/^ok .*\(HostUnreachable\)/);
    expect(generic.errors.join("\n")).toContain("the relay could not connect to the destination");
  });

  it("an async component on wstd (crates.io): 8 connections at once, a timer racing a read, a 256 KiB echo written and read at once", async () => {
    const u = servers.urls;
    const out = (await page.evaluate(([e]) => (window as any).runComponent("/guests/wasi-p2-async", e, {}), [{ REDIS: u.redis, TCP_ECHO: u.tcpEcho }] as const)) as {
      code: number; stdout: string; errors: string[]; openAfter: number; heartbeats: number; trap?: string;
    };
    const r = checks({ ...out, stderr: out.trap ?? "", lastError: "" } as unknown as Run);
    for (const name of ["concurrent", "timeout", "echo"]) expect(r[name], `${name}: ${out.stdout}\n${out.trap ?? ""}\n${out.errors.join("\n")}`).toMatch(/^ok /);
    expect(out.code).toBe(0);
    expect(out.openAfter).toBe(0);
    expect(out.heartbeats).toBeGreaterThan(5);
  });

  it("a component given no network is denied every socket and every lookup", async () => {
    const out = await runP2(env(), { network: false });
    const r = checks({ ...out, stderr: out.trap ?? "", lastError: "" } as unknown as Run);
    expect(r.redis_ping).toMatch(/^FAIL .*permission denied/i);
    expect(r.udp_echo).toMatch(/^FAIL .*permission denied/i);
    expect(r.lookup).toMatch(/^FAIL /);
    expect(out.code).toBe(0);
    expect(out.openAfter).toBe(0);
  });
});

// The way engines without JSPI run guests (WebKit: demo.test.ts), forced
// here where JSPI exists too, so each engine runs both ways: the same
// guests, built through scripts/asyncify.sh, the same checks.
describe("without JSPI: asyncified guests unwind to wait", () => {
  it("the blocking Rust program: every check, the page running while it waits", async () => {
    const u = servers.urls;
    const port = (hostPort: string) => Number(hostPort.split(":").pop());
    const out = await run(
      "wasi-blocking.wasm",
      { REDIS: u.redis, HTTP: u.tcpHttp, UDP_ECHO: u.udpEcho, REFUSED: u.tcpRefused, DENIED: u.tcpEcho, ONLY: BLOCKING.join(",") },
      { hosts: ["127.0.0.1", "*.test.example"], ports: [port(u.redis), port(u.tcpHttp), port(u.udpEcho), port(u.tcpRefused)] },
      "asyncify",
    );
    const r = checks(out);
    for (const name of BLOCKING) expect(r[name], `${name}: ${out.stdout}\n${out.errors.join("\n")}`).toMatch(/^ok /);
    expect(out.blocking).toBe("asyncify");
    expect(out.unwinds).toBeGreaterThan(10);
    expect(out.code).toBe(0);
    expect(out.openAfter).toBe(0);
    expect(out.heartbeats).toBeGreaterThan(10);
    expect(errors).toEqual([]);
  });

  it("tokio_wasi: concurrent connections and a timer racing a read", async () => {
    const u = servers.urls;
    const out = await run("wasi-tokio.wasm", { REDIS: u.redis, TCP_ECHO: u.tcpEcho, REFUSED: u.tcpRefused, ONLY: TOKIO.join(",") }, undefined, "asyncify");
    const r = checks(out);
    for (const name of TOKIO) expect(r[name], `${name}: ${out.stdout}\n${out.errors.join("\n")}`).toMatch(/^ok /);
    expect(out.unwinds).toBeGreaterThan(0);
    expect(out.code).toBe(0);
  });

  it("the Go program's net/http and net: GET, POST, goroutines, Client.Timeout, a read deadline", async () => {
    const u = servers.urls;
    const port = (hostPort: string) => Number(hostPort.split(":").pop());
    const out = await run(
      "go-http.wasm",
      { HTTP: u.tcpHttp, REDIS: u.redis, REFUSED: u.tcpRefused, DENIED: u.tcpEcho },
      { hosts: ["127.0.0.1", "*.test.example"], ports: [port(u.tcpHttp), port(u.redis), port(u.tcpRefused)] },
      "asyncify",
    );
    const r = checks(out);
    for (const name of GO) expect(r[name], `${name}: ${out.stdout}\n${out.stderr}\n${out.errors.join("\n")}`).toMatch(/^ok /);
    expect(r.http_timeout).toMatch(/Client\.Timeout exceeded/);
    expect(out.unwinds).toBeGreaterThan(10);
    expect(out.code).toBe(0);
    expect(out.openAfter).toBe(0);
    expect(out.heartbeats).toBeGreaterThan(10);
  });

  it("the wasinet-shaped Go program, whose Read spins on EAGAIN: each spin's yield is an unwind", async () => {
    const u = servers.urls;
    const httpPort = Number(u.tcpHttp.split(":").pop());
    const redisPort = Number(u.redis.split(":").pop());
    const out = await run(
      "go-seeds.wasm",
      { LIB: "wasinet", REDIS: u.redis, HTTP_NAME: `loop.test.example:${httpPort}`, TCP_ECHO: u.tcpEcho },
      { hosts: ["127.0.0.1", "*.test.example"], ports: [httpPort, redisPort, Number(u.tcpEcho.split(":").pop())] },
      "asyncify",
    );
    const r = checks(out);
    for (const name of SEEDS) expect(r[name], `${name}: ${out.stdout}\n${out.stderr}\n${out.errors.join("\n")}`).toMatch(/^ok /);
    console.log(`${engineName()}: wasinet-shaped guest, asyncified: ${r.rtt}`); // measured, not asserted
    expect(out.code).toBe(0);
    expect(out.heartbeats).toBeGreaterThan(10);
  });
});
}
