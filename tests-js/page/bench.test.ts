// The benchmark command, run small: it must keep working, and the figures
// that do not depend on timing must hold (handle tables back to zero, at most
// one copy per byte, one DoH query per record type, a cached lookup sending
// nothing). Speed itself is never asserted here: that is the benchmark's job
// (scripts/bench.sh), side by side with the raw APIs, not CI's.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";

it("bench/run.mjs runs every workload and reports every metric", () => {
  execFileSync("node", ["bench/run.mjs"], {
    env: { ...process.env, BENCH_MIB: "2", BENCH_REPS: "1", BENCH_PINGS: "500", BENCH_CYCLES: "50", BENCH_DOH_ITERATIONS: "200", BENCH_FLOOD: "50000", BENCH_SMALL: "2000", BENCH_OUT: "target/bench/results-test.json" },
    stdio: ["ignore", "pipe", "pipe"],
    timeout: 480_000,
  });
  const res = JSON.parse(readFileSync("target/bench/results-test.json", "utf8"));
  const by = Object.fromEntries(res.metrics.map((m: any) => [m.id, m]));
  for (const id of [
    "relay_echo", "wasi_echo", "http_get", "http_headroom",
    "ping_classic_p50", "ping_classic_p99", "ping_stream_p50", "ping_stream_p99",
    "ping_extern_classic_p50", "ping_extern_classic_p99", "ping_extern_stream_p50", "ping_extern_stream_p99",
    "doh_cached_us", "doh_uncached_queries", "leak_dial_conns", "leak_http_requests",
    "leak_dial_heap_mib", "leak_http_heap_mib", "copies_ws_write", "copies_ws_read", "copies_http_read", "copies_extern_read",
    "flood_peak_cost_mib", "flood_stall", "flood_drain_ms",
    "receive_rust", "receive_extern", "receive_gloo", "receive_rawStream", "receive_headroom",
    "send_rust", "send_extern", "send_gloo", "send_rawStream", "send_headroom",
    "echo_rust", "echo_extern", "echo_gloo", "echo_rawStream", "echo_headroom",
    "load_1", "load_16", "load_100", "load_1_p99", "load_16_p99", "load_100_p99",
    "gojs_http_body", "gojs_http_ttfb", "pagenet_echo", "pagenet_ping_p50", "pagenet_ping_p99", "pagenet_http", "epoxy_echo", "epoxy_ping_p50", "epoxy_ping_p99",
    "tls_handshake", "tls_echo", "tls_https_body", "tls_ping_p50", "tls_ping_p99",
    "flood_read_classic_rust", "flood_read_classic_callExtern", "flood_read_stream_rust", "flood_read_stream_callExtern",
    "small_1_classic_headroom", "small_1_stream_headroom",
    ...["1_classic", "1_stream", "64_classic", "64_stream"].flatMap((k) => ["rust", "extern", "callExtern", "externInvoke"].map((v) => `small_${k}_${v}`)),
  ]) {
    expect(by[id], id).toBeDefined();
  }
  expect(by.wasi_echo.wasi).toBeGreaterThan(0);
  expect(by.wasi_echo.asyncify).toBeGreaterThan(0); // the asyncified guest echoed every byte too
  expect(by.wasi_echo_asyncify.value).toBeGreaterThan(0);
  expect(by.wasip2_echo.wasip2).toBeGreaterThan(0); // the wasip2 component echoed every byte
  // The main rows in Firefox, each against Firefox's own raw APIs; the
  // WebSocketStream rows only where the engine has it (found in the page).
  const ff = res.engines.firefox;
  expect(ff.version).toMatch(/firefox\/\d+/i);
  expect(res.engines.chromium.version).toMatch(/^\d+\./);
  const ffBy = Object.fromEntries(ff.metrics.map((m: any) => [m.id, m]));
  for (const id of ["receive_rust", "send_rust", "echo_rust", "receive_extern", "http_get", "ping_classic_p50", "ping_extern_classic_p50", "load_1", "load_100", "relay_echo", "wasi_echo", "wasi_echo_asyncify", "wasip2_echo", "tls_handshake", "tls_echo", "tls_https_body", "tls_ping_p50"]) {
    expect(ffBy[id], `firefox ${id}`).toBeDefined();
    expect(ffBy[id].value, `firefox ${id}`).toBeGreaterThan(0);
  }
  for (const [engine, raw, rows] of [["chromium", res.raw, by], ["firefox", ff.raw, ffBy]] as const)
    expect(rows.ping_stream_p50 !== undefined, `${engine}: stream rows iff WebSocketStream`).toBe(raw.webSocketStream);
  expect(res.raw.webSocketStream).toBe(true);
  // Go's js/wasm port fetched every byte too (the run throws otherwise), and says which Go it is.
  for (const col of ["raw", "rust", "go"]) expect(by.gojs_http_body[col], col).toBeGreaterThan(0);
  expect(res.peers.go.version).toMatch(/^go1\.\d+/);
  // go/pagenet moved every byte and made every round trip (the page throws otherwise).
  for (const col of ["rust", "go"]) expect(by.pagenet_echo[col], col).toBeGreaterThan(0);
  expect(res.raw.pagenet.ping.go.n).toBe(res.raw.pagenet.ping.rust.n);
  expect(by.pagenet_http.fetch).toBeGreaterThan(0);
  // epoxy-tls echoed every byte through the same relay, and says which it is (AGPL: test-only).
  for (const col of ["rust", "epoxy"]) expect(by.epoxy_echo[col], col).toBeGreaterThan(0);
  expect(res.raw.epoxy.ping.epoxy.n).toBe(res.raw.epoxy.ping.rust.n);
  // TLS inside the page and epoxy-tls's, through the same relay: every row has both columns.
  for (const id of ["tls_handshake", "tls_echo", "tls_https_body", "tls_ping_p50"])
    for (const col of ["rust", "epoxy"]) expect(by[id][col], `${id} ${col}`).toBeGreaterThan(0);
  expect(res.raw.tls.ping.epoxy.n).toBe(res.raw.tls.ping.rust.n);
  expect(res.peers.epoxy).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+/), licence: expect.stringMatching(/GPL/) });
  for (const t of ["classic", "stream"]) for (const v of ["raw", "rust", "callExtern"]) expect(res.raw.flood.read[t][v], `flood read ${t} ${v}`).toBeGreaterThan(0);
  expect(res.nativeCeiling.smallMessages).toBeGreaterThan(0);
  for (const k of ["1_classic", "64_stream"])
    for (const v of ["raw", "rust", "externRust", "callExtern", "externInvoke"]) expect(res.raw.small[k][v], `${k} ${v}`).toBeGreaterThan(0);
  expect(by.wasi_echo.rust).toBeGreaterThan(0);
  expect(res.raw.wasiEcho.runs.wasi).toHaveLength(1);
  for (const id of ["relay_echo", "http_get"]) {
    expect(by[id].raw, id).toBeGreaterThan(0);
    expect(by[id].rust, id).toBeGreaterThan(0);
    expect(by[id].ceiling, id).toBeGreaterThan(0);
  }
  // Round trips: every series measured, each ratio against its own raw API.
  for (const k of ["rawClassic", "rustClassic", "rustClassicFutures", "externClassic", "rawStream", "rustStream", "externStream"]) {
    expect(res.raw.pingPong[k].n, k).toBe(500); // 10 rounds of 50
    expect(res.raw.pingPong[k].p50, k).toBeGreaterThan(0);
    expect(res.raw.pingPong[k].p99, k).toBeGreaterThanOrEqual(res.raw.pingPong[k].p50);
  }
  expect(by.ping_extern_stream_p50.value).toBeCloseTo(res.raw.pingPong.externStream.p50 / res.raw.pingPong.rawStream.p50, 2);
  // Every direction has every column, and the native peer's ceiling next to it.
  for (const dir of ["receive", "send", "echo"]) {
    for (const col of ["raw", "rawStream", "rust", "extern", "gloo", "ceiling"]) expect(by[`${dir}_rust`][col], `${dir} ${col}`).toBeGreaterThan(0);
  }
  expect(res.nativeCeiling).toMatchObject({ receive: expect.any(Number), send: expect.any(Number), echo: expect.any(Number), http: expect.any(Number), relay: expect.any(Number) });
  expect(res.machine).toMatch(/\d+ × .*GiB/);
  // Not timing: these hold on any machine.
  expect(by.doh_uncached_queries.value).toBe(2);
  // The shipped wasm's size, raw and gzip (gzip is smaller, both plausible).
  expect(res.wasmSize.raw).toBeGreaterThan(100_000);
  expect(res.wasmSize.gzip).toBeGreaterThan(10_000);
  expect(res.wasmSize.gzip).toBeLessThan(res.wasmSize.raw);
  expect(by.leak_dial_conns.value).toBe(0);
  expect(by.leak_http_requests.value).toBe(0);
  expect(by.copies_ws_write.value).toBeLessThanOrEqual(1);
  expect(by.copies_ws_read.value).toBeLessThanOrEqual(1);
  expect(by.copies_http_read.value).toBeLessThanOrEqual(1);
  // Extern reads land in the VM's buffer with exactly one copy per byte.
  expect(by.copies_extern_read.value).toBe(1);
  expect(by.copies_ws_read.value).toBe(1);
  // A flood of one-byte messages stays under the receive bound, every byte
  // arriving (no timing asserted: the stall is the benchmark's figure).
  for (const t of ["classic", "stream"]) {
    expect(res.raw.flood[t].bytes, t).toBe(50000);
    expect(res.raw.flood[t].peakCost, t).toBeLessThanOrEqual(res.raw.flood.bound);
  }
  expect(res.raw.crossOriginIsolated).toBe(true);
  expect(res.raw.leaks.gcExposed).toBe(true);
  // A missed target is data, with the distance to it.
  for (const m of res.missed) expect(m.missedBy).toBeGreaterThan(0);
}, 540_000);
