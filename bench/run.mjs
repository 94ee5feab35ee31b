// Runs the benchmark page (bench/www) in headless Chromium, and its main rows
// in headless Firefox ESR, against the local peers, prints a table per engine
// and writes target/bench/results.json. Every figure
// that has a target is a ratio of two columns measured in the same page and
// run; a missed target is reported (with by how much), never a failure.
//   node bench/run.mjs   (after scripts/bench.sh built bench/pkg and bench.js)
// Knobs (environment): BENCH_MIB (64), BENCH_REPS (3), BENCH_PINGS (5000),
// BENCH_CYCLES (10000), BENCH_DOH_ITERATIONS (10000), BENCH_FLOOD (1000000),
// BENCH_SMALL (100000 messages per small-message run), BENCH_OUT (the results file;
// target/bench/results.json, or results-<sections>.json with BENCH_ONLY),
// BENCH_ONLY (comma-separated sections: relay, epoxy, tls, wasi, ping, small, gojs, doh, copies,
// leaks, flood, directions; all by default), BENCH_ENGINES (chromium,firefox by default), BENCH_PROFILE (a file: the page's CPU
// profile over the run, sampled every 50 µs through CDP; `node bench/profile.mjs FILE`
// sums it by function; build with WASM_NAMES=1 so wasm frames have names).
import { execFile, execFileSync, spawn } from "node:child_process";
import { promisify } from "node:util";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, homedir, totalmem } from "node:os";
import { createInterface } from "node:readline";
import { gzipSync } from "node:zlib";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { startAll } from "../servers/start.mjs";
import { startStatic } from "../servers/static.mjs";
import { launchChromium } from "../servers/chromium.mjs";
import { launchFirefox } from "../servers/firefox.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const num = (name, dflt) => Number(process.env[name] ?? dflt);
const opts = {
  mib: num("BENCH_MIB", 64),
  reps: num("BENCH_REPS", 3),
  pings: num("BENCH_PINGS", 5000),
  cycles: num("BENCH_CYCLES", 10000),
  dohIterations: num("BENCH_DOH_ITERATIONS", 10000),
  floodMessages: num("BENCH_FLOOD", 1000000),
  smallMessages: num("BENCH_SMALL", 100000),
  only: (process.env.BENCH_ONLY ?? "").split(",").filter(Boolean),
  engines: (process.env.BENCH_ENGINES ?? "chromium,firefox").split(",").filter(Boolean),
};
for (const e of opts.engines) if (e !== "chromium" && e !== "firefox") throw new Error(`BENCH_ENGINES: no engine ${e} (chromium, firefox)`);
/** The sections Firefox runs: the main rows (receive, send, echo, HTTP body, load, round trips, relay echo, the wasip1 guest, TLS against epoxy-tls). */
const MAIN_SECTIONS = ["relay", "wasi", "ping", "directions", "tls"];
const want = (section) => opts.only.length === 0 || opts.only.includes(section);

// epoxy-tls's "minimal" build (connect_tcp without its HTTP client), served to the page as /epoxy/.
const epoxyDir = join(root, "node_modules/@mercuryworkshop/epoxy-tls/minimal");
// What the comparison rows run against, printed next to them.
const goBin = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "go-net-wasm/bin/go");
const peers = {
  go: { name: "Go's js/wasm port (net/http over fetch; bench/go-js)", version: (() => { try { return execFileSync(goBin, ["env", "GOVERSION"], { encoding: "utf8" }).trim(); } catch { return "?"; } })(), licence: "BSD-3-Clause" },
  gloo: { name: "gloo-net (WebSocket)", version: lockVersion("gloo-net"), licence: "MIT OR Apache-2.0" },
  epoxy: (() => {
    const p = JSON.parse(readFileSync(join(epoxyDir, "..", "package.json"), "utf8"));
    return { name: "epoxy-tls (raw TCP streams over Wisp; npm, test-only, never shipped)", version: p.version, licence: p.license };
  })(),
};
function lockVersion(name) {
  const m = new RegExp(`name = "${name}"\\nversion = "([^"]+)"`).exec(readFileSync(join(root, "Cargo.lock"), "utf8"));
  return m ? m[1] : "?";
}

const servers = await startAll();
// The native peer (servers/native-peer, built by setup.sh), and its ceiling
// measured by its own native client in this run, before the page starts.
const nativeBin = join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "go-net-wasm/bin/native-peer");
const native = spawn(nativeBin, ["serve"], { stdio: ["ignore", "pipe", "inherit"] });
const nativeUrls = JSON.parse(await new Promise((ok, fail) => {
  native.once("error", (e) => fail(new Error(`native-peer (built by scripts/setup.sh): ${e.message}`)));
  createInterface({ input: native.stdout }).once("line", ok);
}));
const ceiling = JSON.parse(execFileSync(nativeBin, ["ceiling", nativeUrls.ws, nativeUrls.http, String(Math.max(64, opts.mib))], { encoding: "utf8" }));
// The relay (wisp-js, in this Node process) measured from a Node client in
// another process: what Dial("tcp") through it can reach at most.
// (Asynchronously: this process's event loop serves the relay meanwhile.)
if (want("relay")) ceiling.relay = Number((await promisify(execFile)(process.execPath, [join(root, "bench/relay-ceiling.mjs"), servers.urls.wispV2, servers.urls.tcpEcho, String(opts.mib)], { encoding: "utf8" })).stdout);
servers.urls.nativeWs = nativeUrls.ws;
servers.urls.nativeHttp = nativeUrls.http;
const routes = {};
// Cross-origin isolated (COEP credentialless keeps CORS fetches to the peers
// working), so performance.now() has 5 µs resolution instead of 100 µs.
const isolation = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "credentialless" };
// /guests/: the wasip1 programs scripts/build-guests.sh built (the wasi section).
const web = await startStatic({ "/": join(root, "bench/www"), "/pkg/": join(root, "bench/pkg"), "/guests/": join(root, "target/guests"), "/go/": join(root, "target/bench-go"), "/epoxy/": epoxyDir }, 0, routes, isolation);

/**
 * The benchmark page in one engine: Chromium (playwright-core; every section)
 * or Firefox ESR (puppeteer-core; the main rows, MAIN_SECTIONS, against
 * Firefox's own raw APIs). Resolves to the page's raw figures and the
 * engine's version.
 */
async function runPage(engine, sections) {
  // Chromium: --expose-gc and precise memory info for the heap figures.
  // Firefox: 200 WebSockets at once by default (network.websocket.max-connections),
  // counting those still closing; the 100-Conn load row holds 100 a side.
  const browser = engine === "firefox"
    ? await launchFirefox({ prefs: { "network.websocket.max-connections": 1000 } })
    : await launchChromium(["--js-flags=--expose-gc", "--enable-precise-memory-info"]);
  try {
    const page = await browser.newPage();
    page.on("console", (m) => m.text().startsWith("[bench]") && console.error(`${engine} ${m.text()}`));
    page.on("pageerror", (e) => console.error(`${engine} page error: ${e}`));
    await page.goto(`http://127.0.0.1:${web.address().port}/`);
    // playwright's waitForFunction(f, arg, options), puppeteer's (f, options).
    if (engine === "firefox") await page.waitForFunction(() => window.benchReady, { timeout: 30_000 });
    else await page.waitForFunction(() => window.benchReady, null, { timeout: 30_000 });
    const cdp = engine === "chromium" && process.env.BENCH_PROFILE ? await page.context().newCDPSession(page) : undefined;
    if (cdp) {
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.setSamplingInterval", { interval: 50 });
      await cdp.send("Profiler.start");
    }
    const raw = await page.evaluate((o) => window.runBenchmarks(o), { ...opts, only: sections, peers: servers.urls });
    if (cdp) writeFileSync(process.env.BENCH_PROFILE, JSON.stringify((await cdp.send("Profiler.stop")).profile));
    return { raw, version: await browser.version() };
  } finally {
    await browser.close();
  }
}

let results;
try {
  const chromium = opts.engines.includes("chromium") ? await runPage("chromium", opts.only) : undefined;
  results = chromium ? report(chromium.raw, chromium.version, ceiling) : { date: new Date().toISOString(), machine: machine(), nativeCeiling: ceiling, peers, metrics: [] };
  results.engines = {};
  if (chromium) results.engines.chromium = { version: chromium.version, userAgent: chromium.raw.userAgent };
  if (opts.engines.includes("firefox")) {
    const sections = opts.only.length ? opts.only.filter((x) => MAIN_SECTIONS.includes(x)) : MAIN_SECTIONS;
    const firefox = await runPage("firefox", sections);
    const r = report(firefox.raw, firefox.version, ceiling);
    results.engines.firefox = { version: firefox.version, userAgent: firefox.raw.userAgent, sections, metrics: r.metrics, missed: r.missed, raw: firefox.raw };
  }
} finally {
  await servers.close();
  native.kill();
  web.close();
}

const outDir = join(root, "target/bench");
mkdirSync(outDir, { recursive: true });
// A run of some sections only (BENCH_ONLY), or one that names its own file
// (BENCH_OUT, as the test command's small run does), leaves the full run's
// results.json alone.
const outFile = process.env.BENCH_OUT ?? join(outDir, opts.only.length ? `results-${opts.only.join("-")}.json` : "results.json");
writeFileSync(outFile, JSON.stringify(results, null, 2) + "\n");
printTable(results);
console.log(`\nJSON: ${outFile}`);

/** One row: a value with its target; `missedBy` says how far off a missed target is. */
function metric(id, what, unit, columns, value, target, higherIsBetter) {
  if (target === null) return { id, what, unit, ...columns, value: round(value), target: null, met: null, missedBy: null };
  const met = higherIsBetter ? value >= target : value <= target;
  const missedBy = met ? null : round(higherIsBetter ? target - value : value - target);
  return { id, what, unit, ...columns, value: round(value), target: `${higherIsBetter ? ">=" : "<="} ${target}`, met, missedBy };
}

function round(x, d = 3) {
  return x === null || x === undefined ? x : Math.round(x * 10 ** d) / 10 ** d;
}

function machine() {
  return `${cpus().length} × ${cpus()[0]?.model ?? "CPU"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${process.platform}`;
}

function report(r, browserVersion, ceiling) {
  const metrics = [];
  // One direction at a time against the native peer; its native ceiling in
  // the columns, and how many times the page's best figure it is.
  const d = r.directions;
  if (d) for (const dir of ["receive", "send", "echo"]) {
    const x = d[dir];
    const cols = { raw: round(x.raw, 1), rawStream: round(x.rawStream, 1), rust: round(x.rust, 1), extern: round(x.extern, 1), gloo: round(x.gloo, 1), ceiling: ceiling[dir], columnsUnit: "MiB/s" };
    const target = dir === "echo" ? 0.9 : 0.95;
    metrics.push(metric(`${dir}_rust`, `${dir} ${r.options.mib} MiB, 64 KiB messages, native peer: Rust Conn / raw WebSocket`, "ratio", cols, x.rust / x.raw, target, true));
    metrics.push(metric(`${dir}_extern`, `${dir}: extern path (blocking_tcpConnRead/Write) / raw WebSocket`, "ratio", {}, x.extern / x.raw, target, true));
    metrics.push(metric(`${dir}_gloo`, `${dir}: gloo-net / raw WebSocket (peer crate, for comparison)`, "ratio", {}, x.gloo / x.raw, null, true));
    if (x.rawStream !== undefined) metrics.push(metric(`${dir}_rawStream`, `${dir}: raw WebSocketStream / raw WebSocket (the browser's two APIs)`, "ratio", {}, x.rawStream / x.raw, null, true));
    const best = Math.max(...[x.raw, x.rawStream, x.rust, x.extern, x.gloo].filter((v) => v !== undefined));
    metrics.push(metric(`${dir}_headroom`, `${dir}: native peer's own ceiling / the page's best (>= 3: the peer is not the bottleneck)`, "ratio", {}, ceiling[dir] / best, 3, true));
  }
  const h = r.nativeHttp;
  if (h) metrics.push(metric("http_get", `http.Get body ${r.options.mib} MiB from the native peer / raw fetch reader loop`, "ratio",
    { raw: round(h.raw, 1), rust: round(h.rust, 1), ceiling: ceiling.http, columnsUnit: "MiB/s" }, h.rust / h.raw, 0.95, true));
  if (h) metrics.push(metric("http_headroom", "HTTP: native peer's own ceiling / the page's best", "ratio", {}, ceiling.http / Math.max(h.raw, h.rust), 3, true));
  // One-byte round trips, each transport against its own raw API.
  const pp = r.pingPong;
  if (pp) for (const [id, ours, raw, what] of [
    ["ping_classic", "rustClassic", "rawClassic", "Rust Conn (classic transport) / raw WebSocket onmessage"],
    ["ping_stream", "rustStream", "rawStream", "Rust Conn (WebSocketStream transport) / raw WebSocketStream reader"],
    ["ping_extern_classic", "externClassic", "rawClassic", "extern path (classic) / raw WebSocket onmessage"],
    ["ping_extern_stream", "externStream", "rawStream", "extern path (WebSocketStream) / raw WebSocketStream reader"],
  ]) {
    if (!pp[ours]) continue; // no WebSocketStream in this engine
    metrics.push(metric(`${id}_p50`, `1-byte round trip p50, native echo, ${pp[ours].n} samples interleaved ping by ping in 10 rounds: ${what}`, "ratio",
      { raw: round(pp[raw].p50), rust: round(pp[ours].p50), columnsUnit: "ms" }, pp[ours].p50 / pp[raw].p50, 1.05, false));
    metrics.push(metric(`${id}_p99`, `  the same, p99`, "ratio",
      { raw: round(pp[raw].p99), rust: round(pp[ours].p99), columnsUnit: "ms" }, pp[ours].p99 / pp[raw].p99, 1.1, false));
  }
  if (pp?.rustClassicFutures) metrics.push(metric("ping_classic_futures_p50", `  the Rust classic pings on wasm-bindgen-futures instead of task::spawn_local (no target: what the crate's executor saves)`, "ratio",
    { raw: round(pp.rawClassic.p50), rust: round(pp.rustClassicFutures.p50), columnsUnit: "ms" }, pp.rustClassicFutures.p50 / pp.rawClassic.p50, null, false));
  for (const [n, l] of Object.entries(r.load ?? {})) {
    metrics.push(metric(`load_${n}`, `${n} Conn(s) echoing 1 KiB round trips at once (classic transport; 6 slices alternating raw and Rust, sockets open across them; one task::spawn_local task per Rust Conn): aggregate MiB/s, Rust / raw WebSocket`, "ratio",
      { raw: round(l.raw.mibs, 1), rust: round(l.rust.mibs, 1), columnsUnit: "MiB/s" }, l.rust.mibs / l.raw.mibs, 0.9, true));
    metrics.push(metric(`load_${n}_p99`, `${n} Conn(s): p99 round trip, Rust / raw WebSocket`, "ratio",
      { raw: round(l.raw.p99, 3), rust: round(l.rust.p99, 3), columnsUnit: "ms" }, l.rust.p99 / l.raw.p99, 1.1, false));
  }
  if (r.relayEcho) metrics.push(
    metric("relay_echo", `tcp Conn echo ${r.options.mib} MiB through the Wisp relay (wisp-js in Node; ceiling: the same echo from a Node client), 64 KiB writes: Rust / raw WebSocket speaking Wisp by hand`, "ratio",
      { raw: round(r.relayEcho.raw, 1), rust: round(r.relayEcho.rust, 1), ceiling: ceiling.relay, columnsUnit: "MiB/s" }, r.relayEcho.rust / r.relayEcho.raw, 0.9, true),
  );
  const e = r.epoxy;
  if (e) {
    metrics.push(metric("epoxy_echo", `tcp echo ${r.options.mib} MiB through the same relay, 64 KiB writes: Rust Dial("tcp") / epoxy-tls ${peers.epoxy.version} connect_tcp (>= 1: ours no slower)`, "ratio",
      { rust: round(e.echo.rust, 1), epoxy: round(e.echo.epoxy, 1), columnsUnit: "MiB/s" }, e.echo.rust / e.echo.epoxy, 1.0, true));
    metrics.push(metric("epoxy_ping_p50", `1-byte round trip p50 through the relay, ${e.ping.rust.n} samples interleaved ping by ping in 10 rounds: Rust Dial("tcp") / epoxy-tls (<= 1: ours no later)`, "ratio",
      { rust: round(e.ping.rust.p50), epoxy: round(e.ping.epoxy.p50), columnsUnit: "ms" }, e.ping.rust.p50 / e.ping.epoxy.p50, 1.0, false));
    metrics.push(metric("epoxy_ping_p99", `  the same, p99`, "ratio",
      { rust: round(e.ping.rust.p99), epoxy: round(e.ping.epoxy.p99), columnsUnit: "ms" }, e.ping.rust.p99 / e.ping.epoxy.p99, 1.0, false));
  }
  const t = r.tls;
  if (t) {
    const v = `epoxy-tls ${peers.epoxy.version}`;
    metrics.push(metric("tls_handshake", `TLS dial + handshake through the relay to Node's TLS echo, median of ${t.handshake.n}: tls::dial / ${v} connect_tls (<= 1: ours no later; epoxy skips the chain check, it cannot take a root)`, "ratio",
      { rust: round(t.handshake.rust), epoxy: round(t.handshake.epoxy), columnsUnit: "ms" }, t.handshake.rust / t.handshake.epoxy, 1.0, false));
    metrics.push(metric("tls_handshake_noverify", `  the same without the chain check on our side too (insecure_skip_verify, as epoxy runs): like for like`, "ratio",
      { rust: round(t.handshake.rustSkip), epoxy: round(t.handshake.epoxy), columnsUnit: "ms" }, t.handshake.rustSkip / t.handshake.epoxy, 1.0, false));
    metrics.push(metric("tls_echo", `TLS echo ${r.options.mib} MiB through the relay, 64 KiB writes: tls::TlsConn / ${v} connect_tls (>= 1: ours no slower)`, "ratio",
      { rust: round(t.echo.rust, 1), epoxy: round(t.echo.epoxy, 1), columnsUnit: "MiB/s" }, t.echo.rust / t.echo.epoxy, 1.0, true));
    metrics.push(metric("tls_https_body", `HTTPS body ${r.options.mib} MiB through the relay (a kept-alive connection): http::get with Route::Relay / ${v} fetch (>= 1)`, "ratio",
      { rust: round(t.body.rust, 1), epoxy: round(t.body.epoxy, 1), columnsUnit: "MiB/s" }, t.body.rust / t.body.epoxy, 1.0, true));
    metrics.push(metric("tls_ping_p50", `1-byte round trip over TLS through the relay, ${t.ping.rust.n} samples interleaved: TlsConn / ${v} (<= 1)`, "ratio",
      { rust: round(t.ping.rust.p50), epoxy: round(t.ping.epoxy.p50), columnsUnit: "ms" }, t.ping.rust.p50 / t.ping.epoxy.p50, 1.0, false));
    metrics.push(metric("tls_ping_p99", `  the same, p99`, "ratio",
      { rust: round(t.ping.rust.p99), epoxy: round(t.ping.epoxy.p99), columnsUnit: "ms" }, t.ping.rust.p99 / t.ping.epoxy.p99, 1.0, false));
  }
  if (r.wasiEcho) metrics.push(
    metric("wasi_echo", `the same relay echo from a wasm32-wasip1 program (guests/wasi-tokio: tokio, nonblocking sockets, poll_oneoff) through go-net-wasm/wasi: wasip1 guest / Rust Conn`, "ratio",
      { rust: round(r.wasiEcho.rust, 1), wasi: round(r.wasiEcho.wasi, 1), asyncify: round(r.wasiEcho.asyncify, 1), columnsUnit: "MiB/s" }, r.wasiEcho.wasi / r.wasiEcho.rust, 0.9, true),
    metric("wasip2_echo", `the same relay echo from a wasm32-wasip2 component (guests/wasi-p2: std::net, four 64 KiB writes ahead, through go-net-wasm/wasip2 and jco): component / Rust Conn`, "ratio",
      { rust: round(r.wasiEcho.rust, 1), wasip2: round(r.wasiEcho.wasip2, 1), columnsUnit: "MiB/s" }, r.wasiEcho.wasip2 / r.wasiEcho.rust, 0.9, true),
    metric("wasi_echo_asyncify", `  the same guest asyncified (scripts/asyncify.sh), unwinding to wait as it must without JSPI: asyncified / JSPI (no target: what Asyncify costs)`, "ratio",
      {}, r.wasiEcho.asyncify / r.wasiEcho.wasi, null, true),
  );
  for (const [key, x] of Object.entries(r.small ?? {})) {
    const [size, transport] = key.split("_");
    const cols = { raw: round(x.raw / 1000, 1), rust: round(x.rust / 1000, 1), extern: round(x.externRust / 1000, 1), callExtern: round(x.callExtern / 1000, 1), externInvoke: round(x.externInvoke / 1000, 1), columnsUnit: "k messages/s" };
    const what = `${x.messages} ${size}-byte messages received, reader keeping up, ${transport} transport, native source`;
    metrics.push(metric(`small_${key}_rust`, `${what}: Rust Conn / raw ${transport === "classic" ? "onmessage" : "WebSocketStream"}`, "ratio", cols, x.rust / x.raw, 0.95, true));
    metrics.push(metric(`small_${key}_extern`, `  the extern path as a Rust VM drives it / raw`, "ratio", {}, x.externRust / x.raw, 0.85, true));
    metrics.push(metric(`small_${key}_callExtern`, `  the extern path as a JS VM drives it, callExtern per Read / raw`, "ratio", {}, x.callExtern / x.raw, 0.85, true));
    metrics.push(metric(`small_${key}_externInvoke`, `  the extern path as a JS VM drives it, externInvoke/externWait / raw`, "ratio", {}, x.externInvoke / x.raw, 0.85, true));
    if (size === "1" && ceiling.smallMessages) metrics.push(metric(`small_${key}_headroom`, `  native peer's own one-byte message rate (its native client, ${(ceiling.smallMessages / 1000).toFixed(0)}k/s) / the page's best`, "ratio", {},
      ceiling.smallMessages / Math.max(x.raw, x.rust, x.externRust, x.callExtern, x.externInvoke), 3, true));
  }
  const g = r.goHttp;
  if (g) {
    metrics.push(metric("gojs_http_body", `http.Get body ${r.options.mib} MiB from the native peer: this crate's http::get / Go ${peers.go.version} js/wasm net/http (fetch underneath)`, "ratio",
      { raw: round(g.raw, 1), rust: round(g.rust, 1), go: round(g.go, 1), columnsUnit: "MiB/s" }, g.rust / g.go, 1.0, true));
    metrics.push(metric("gojs_http_ttfb", `time to the response headers, ${g.ttfb.n} interleaved 1 KiB GETs: Go js/wasm / this crate (>= 1: ours no later)`, "ratio",
      { raw: round(g.ttfb.raw), rust: round(g.ttfb.rust), go: round(g.ttfb.go), columnsUnit: "ms" }, g.ttfb.go / g.ttfb.rust, 1.0, true));
  }
  const pn = r.pagenet;
  if (pn) {
    metrics.push(metric("pagenet_echo", `tcp echo ${r.options.mib} MiB through the Wisp relay, 64 KiB writes: a GOOS=js program's net.Conn (go/pagenet) / the Rust Conn`, "ratio",
      { rust: round(pn.echo.rust, 1), go: round(pn.echo.go, 1), columnsUnit: "MiB/s" }, pn.echo.go / pn.echo.rust, 0.9, true));
    metrics.push(metric("pagenet_ping_p50", `1-byte round trip p50 through the relay, ${pn.ping.go.n} samples interleaved ping by ping in 10 rounds: go/pagenet (timed in Go) / the Rust Conn (timed in Rust)`, "ratio",
      { rust: round(pn.ping.rust.p50), go: round(pn.ping.go.p50), columnsUnit: "ms" }, pn.ping.go.p50 / pn.ping.rust.p50, 1.1, false));
    metrics.push(metric("pagenet_ping_p99", `  the same, p99`, "ratio",
      { rust: round(pn.ping.rust.p99), go: round(pn.ping.go.p99), columnsUnit: "ms" }, pn.ping.go.p99 / pn.ping.rust.p99, 1.2, false));
    metrics.push(metric("pagenet_http", `http.Get body ${pn.http.mib} MiB from the Node HTTP peer: Go's own transport over go/pagenet (through the relay) / Go's fetch transport (direct; no target: what the relay path costs, for hosts fetch cannot reach)`, "ratio",
      { go: round(pn.http.pagenet, 1), fetch: round(pn.http.fetch, 1), columnsUnit: "MiB/s" }, pn.http.pagenet / pn.http.fetch, null, true));
  }
  if (r.doh) metrics.push(metric("doh_cached_us", "DoH cached LookupHost from Rust", "µs", {}, r.doh.cachedUs, 50, false),
    metric("doh_uncached_queries", "DoH queries for one uncached LookupIP(\"ip\") (A + AAAA)", "queries", {}, r.doh.uncachedQueries, r.doh.recordTypes, false));
  const l = r.leaks;
  if (l) metrics.push(metric("leak_dial_conns", `open Conns after ${l.cycles} Dial/Close`, "handles", {}, l.dialClose.openConnsAfter, 0, false));
  if (l) metrics.push(metric("leak_http_requests", `open requests after ${l.cycles} http.Get`, "handles", {}, l.httpGet.openRequestsAfter, 0, false));
  if (l && l.dialClose.heapGrowthBytes !== null) {
    metrics.push(metric("leak_dial_heap_mib", `JS heap growth after ${l.cycles} Dial/Close + GC`, "MiB", {}, l.dialClose.heapGrowthBytes / (1 << 20), 1, false));
    metrics.push(metric("leak_http_heap_mib", `JS heap growth after ${l.cycles} http.Get + GC`, "MiB", {}, l.httpGet.heapGrowthBytes / (1 << 20), 1, false));
  }
  const c = r.copies;
  if (c) metrics.push(metric("copies_ws_write", "copies per byte, Conn.Write (WebSocketStream / classic)", "copies", { stream: round(c.wsWrite.stream), classic: round(c.wsWrite.classic) }, Math.max(c.wsWrite.stream, c.wsWrite.classic), 1, false));
  if (c) metrics.push(metric("copies_ws_read", "copies per byte, Conn.Read (WebSocketStream / classic)", "copies", { stream: round(c.wsRead.stream), classic: round(c.wsRead.classic) }, Math.max(c.wsRead.stream, c.wsRead.classic), 1, false));
  const f = r.flood;
  const mib = (b) => (b === null ? null : round(b / (1 << 20), 2));
  if (f) metrics.push(metric("flood_peak_cost_mib", `${f.messages} one-byte messages unread in one Conn: peak queue cost, classic / WebSocketStream (bound ${f.bound / (1 << 20)} MiB)`, "MiB",
    { classic: mib(f.classic.peakCost), stream: mib(f.stream.peakCost), heapGrowthMiB: `${mib(f.classic.heapGrowthBytes)} / ${mib(f.stream.heapGrowthBytes)}` },
    Math.max(f.classic.peakCost, f.stream.peakCost) / (1 << 20), f.bound / (1 << 20), false));
  if (f) metrics.push(metric("flood_stall", `longest gap between 10 ms ticks during that flood: Conn (classic / WebSocketStream) / raw WebSocket onmessage`, "ratio",
    { raw: round(f.rawMaxStallMs, 0), classic: round(f.classic.maxStallMs, 0), stream: round(f.stream.maxStallMs, 0), columnsUnit: "ms" },
    Math.max(f.classic.maxStallMs, f.stream.maxStallMs) / f.rawMaxStallMs, 1.1, false));
  for (const [transport, x] of Object.entries(f?.read ?? {})) {
    const api = transport === "classic" ? "onmessage" : "WebSocketStream reader";
    metrics.push(metric(`flood_read_${transport}_rust`, `the same flood read as it comes (64 KiB reads), ${transport} transport: longest gap between 10 ms ticks, Rust Conn / raw ${api}`, "ratio",
      { raw: round(x.raw, 0), rust: round(x.rust, 0), callExtern: round(x.callExtern, 0), columnsUnit: "ms" }, x.rust / x.raw, 1.3, false));
    metrics.push(metric(`flood_read_${transport}_callExtern`, `  the same, a JS VM's callExtern read loop / raw ${api}`, "ratio", {}, x.callExtern / x.raw, 1.3, false));
  }
  if (f) metrics.push(metric("flood_drain_ms", "draining that flood's queue through 64 KiB reads (the slowest transport)", "ms", {}, Math.max(f.classic.drainMs, f.stream.drainMs), 100, false));
  if (c) metrics.push(metric("copies_http_read", "copies per byte, Response body read", "copies", {}, c.httpRead, 1, false));
  if (c) metrics.push(metric("copies_extern_read", "copies per byte, blocking_tcpConnRead into the VM's buffer (extern path)", "copies", { write: round(c.externWrite) }, c.externRead, 1, false));
  return {
    date: new Date().toISOString(),
    chromium: browserVersion,
    wasmSize: wasmSize(),
    machine: machine(),
    nativeCeiling: ceiling,
    peers,
    userAgent: r.userAgent,
    options: r.options,
    metrics,
    missed: metrics.filter((m) => m.met === false).map((m) => ({ id: m.id, value: m.value, target: m.target, missedBy: m.missedBy })),
    raw: r,
  };
}

/** The .wasm the npm package ships (pkg/, built by scripts/build.sh), raw and gzip -9. */
function wasmSize() {
  const bytes = readFileSync(join(root, "pkg/runtime_wasm_bg.wasm"));
  return { file: "pkg/runtime_wasm_bg.wasm", raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

function printTable(res) {
  console.log(`${res.machine}; ${res.options ? `${res.options.mib} MiB, ${res.options.reps} reps (medians), ${res.options.cycles} cycles` : ""}`);
  const c = res.nativeCeiling;
  console.log(`native peer ceiling (its own native client, this run): receive ${c.receive}, send ${c.send}, echo ${c.echo}, HTTP ${c.http} MiB/s, ${c.smallMessages} one-byte messages/s${c.relay ? `; Wisp relay echo from Node ${c.relay} MiB/s` : ""}`);
  console.log(`comparison peers: ${Object.values(res.peers).map((p) => `${p.name} ${p.version} (${p.licence})`).join("; ")}`);
  if (res.engines.chromium) printMetrics(`Chromium ${res.engines.chromium.version}`, res.metrics);
  const ff = res.engines.firefox;
  if (ff) printMetrics(`Firefox ${ff.version} (the main rows: ${ff.sections.join(", ")}; each against Firefox's own raw APIs)`, ff.metrics);
  if (res.engines.chromium && ff) {
    // The rows both engines ran, side by side.
    const theirs = Object.fromEntries(ff.metrics.map((m) => [m.id, m]));
    const rows = res.metrics.filter((m) => theirs[m.id] && m.target !== null).map((m) => [m.id, m.target, String(m.value), String(theirs[m.id].value)]);
    printRows(`\nBy engine (ratios, each engine against its own raw API)`, ["metric", "target", "Chromium", "Firefox"], rows);
  }
  if (res.wasmSize) {
    const w = res.wasmSize;
    console.log(`\nShipped wasm (${w.file}, wasm-opt -Os): ${(w.raw / 1024).toFixed(1)} KiB raw, ${(w.gzip / 1024).toFixed(1)} KiB gzip -9`);
  }
}

function printMetrics(title, metrics) {
  const rows = metrics.map((m) => {
    const cols = ["raw", "rawStream", "rust", "extern", "callExtern", "externInvoke", "gloo", "wasi", "asyncify", "wasip2", "go", "fetch", "epoxy", "stream", "classic", "ceiling"].filter((k) => m[k] !== undefined).map((k) => `${k} ${m[k]}`).join(", ");
    const status = m.met === null ? "" : m.met ? "ok" : `MISSED by ${m.missedBy}`;
    return [m.what, `${m.value} ${m.unit}`, m.target ?? "", status, cols + (m.columnsUnit ? ` (${m.columnsUnit})` : "")];
  });
  printRows(`\n${title}`, ["benchmark", "value", "target", "", "columns"], rows);
}

function printRows(title, head, rows) {
  console.log(title);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (r) => r.map((c, i) => String(c).padEnd(widths[i])).join("  ").trimEnd();
  console.log(line(head));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  rows.forEach((r) => console.log(line(r)));
}
