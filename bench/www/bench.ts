// The benchmark page: every workload runs here side by side, in the same
// page and the same run: the Rust stack (bench crate, through js/net.ts),
// the raw browser API doing the same work, and gloo-net for the WebSocket
// echo. Repetitions are interleaved and the median taken, so a noisy moment
// hits every column alike. bench/run.mjs drives it and prints the table.
import initBench, * as rs from "../pkg/runtime_wasm_bench.js";
import { netHost, registerNetBindings, WS_DEFAULTS } from "../../js/net.js";
import { pattern, rawWispEcho as rawWispEchoWith } from "./raw-wisp.js";
import { ConsoleStdout, File, OpenFile, WASI } from "@bjorn3/browser_wasi_shim";
import { WasiNet } from "../../js/wasi.js";
import { WasiP2Net } from "../../js/wasip2.js";
import { WASIShim } from "@bytecodealliance/preview2-shim/instantiation";

export interface BenchOptions {
  peers: Record<string, string>;
  mib: number; // echo and HTTP volume
  reps: number;
  pings: number;
  cycles: number; // Dial/Close and http.Get cycles for the leak check
  dohIterations: number;
  floodMessages: number; // one-byte messages in the flood
  smallMessages: number; // messages per run of the small-message rate section
  /** Sections to run (relay, epoxy, tls, wasi, ping, doh, copies, leaks, flood, small, gojs, directions); all when empty. */
  only: string[];
}

const MiB = 1 << 20;
const log = (s: string) => console.log(`[bench] ${s}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

/** Runs `f` with Conns dialled on `transport` (a Conn keeps the transport it was dialled with), then back to "auto". */
async function withTransport<T>(transport: "classic" | "stream", f: () => Promise<T>): Promise<T> {
  registerNetBindings({ ws: { transport } });
  try {
    return await f();
  } finally {
    registerNetBindings({ ws: { transport: "auto" } });
  }
}

function openWs(url: string): Promise<WebSocket> {
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  return new Promise((ok, fail) => {
    ws.onopen = () => ok(ws);
    ws.onerror = () => fail(new Error(`cannot open ${url}`));
  });
}

/** Raw WebSocket: every chunk sent at once (the browser buffers), echo counted. */
async function rawEcho(url: string, total: number, chunk: number) {
  const ws = await openWs(url);
  const data = pattern(chunk);
  const t0 = performance.now();
  const done = new Promise<void>((ok) => {
    let got = 0;
    ws.onmessage = (e) => {
      got += (e.data as ArrayBuffer).byteLength;
      if (got >= total) ok();
    };
  });
  for (let sent = 0; sent < total; sent += chunk) ws.send(data.subarray(0, Math.min(chunk, total - sent)));
  await done;
  const ms = performance.now() - t0;
  ws.close();
  return ms;
}

const rawWispEcho = (relayUrl: string, dest: string, total: number, chunk: number) =>
  rawWispEchoWith((url, protocols) => new WebSocket(url, protocols), relayUrl, dest, total, chunk);

/** 0..n-1 in a random order (xorshift, seeded: the same run to run). */
let seed = 0x2545f491;
function shuffled(n: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    const j = (seed >>> 0) % (i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** One connection for one-byte round trips, one at a time (see section 2). */
interface Pinger {
  ping(b: number): Promise<number>;
  close(): Promise<unknown> | void;
}

/** Raw WebSocket: send, then the reply's onmessage. */
async function rawPinger(url: string): Promise<Pinger> {
  const ws = await openWs(url);
  let reply: (v: ArrayBuffer) => void = () => {};
  ws.onmessage = (e) => reply(e.data as ArrayBuffer);
  return {
    async ping(b) {
      const t0 = performance.now();
      const got = new Promise<ArrayBuffer>((r) => (reply = r));
      ws.send(Uint8Array.of(b));
      const data = await got;
      const ms = performance.now() - t0;
      if (new Uint8Array(data)[0] !== b) throw new Error(`raw round trip of ${b}: wrong byte`);
      return ms;
    },
    close: () => ws.close(),
  };
}

/** Raw WebSocketStream, the API the default transport uses in Chromium: write, then read. */
async function rawStreamPinger(url: string): Promise<Pinger> {
  const { wss, reader, writer } = await openStream(url);
  return {
    async ping(b) {
      const t0 = performance.now();
      await writer.write(Uint8Array.of(b));
      const { value } = await reader.read();
      const ms = performance.now() - t0;
      if (new Uint8Array(value)[0] !== b) throw new Error(`raw stream round trip of ${b}: wrong byte`);
      return ms;
    },
    close: () => wss.close(),
  };
}

async function rawFetch(url: string) {
  const t0 = performance.now();
  const resp = await fetch(url);
  const ttfb = performance.now() - t0;
  const reader = resp.body!.getReader();
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
  }
  return [performance.now() - t0, total, ttfb];
}

// ---- One direction at a time, against the native peer ----

/** Raw WebSocket, receive only: counts a /source's bytes in onmessage. */
async function rawReceive(url: string, total: number) {
  const ws = await openWs(url);
  const t0 = performance.now();
  await new Promise<void>((ok) => {
    let got = 0;
    ws.onmessage = (e) => {
      got += (e.data as ArrayBuffer).byteLength;
      if (got >= total) ok();
    };
  });
  const ms = performance.now() - t0;
  ws.close();
  return ms;
}

/**
 * Raw WebSocket, send only: every chunk handed to send() at once (the
 * browser buffers), then the /sink's acknowledgement.
 */
async function rawSend(url: string, total: number, chunk: number) {
  const ws = await openWs(url);
  const data = pattern(chunk);
  const t0 = performance.now();
  const ack = new Promise<void>((ok) => (ws.onmessage = () => ok()));
  for (let sent = 0; sent < total; sent += chunk) ws.send(data.subarray(0, Math.min(chunk, total - sent)));
  await ack;
  const ms = performance.now() - t0;
  ws.close();
  return ms;
}

/** Whether this engine has WebSocketStream (the stream transport and the rawStream columns need it). */
const HAS_STREAM = typeof (globalThis as any).WebSocketStream === "function";

async function openStream(url: string) {
  const WSS = (globalThis as any).WebSocketStream;
  if (!WSS) throw new Error("no WebSocketStream in this browser");
  const wss = new WSS(url);
  const { readable, writable } = await wss.opened;
  return { wss, reader: readable.getReader(), writer: writable.getWriter() };
}

/** Raw WebSocketStream, receive only: a reader.read() loop. */
async function rawStreamReceive(url: string, total: number) {
  const { wss, reader } = await openStream(url);
  const t0 = performance.now();
  for (let got = 0; got < total; ) {
    const { value, done } = await reader.read();
    if (done) throw new Error("stream ended early");
    got += value.byteLength;
  }
  const ms = performance.now() - t0;
  wss.close();
  return ms;
}

/** Raw WebSocketStream, send only: writes as the writer's backpressure allows, then the ack. */
async function rawStreamSend(url: string, total: number, chunk: number) {
  const { wss, reader, writer } = await openStream(url);
  const data = pattern(chunk);
  const t0 = performance.now();
  for (let sent = 0; sent < total; sent += chunk) {
    await writer.ready;
    writer.write(data.subarray(0, Math.min(chunk, total - sent)));
  }
  await reader.read();
  const ms = performance.now() - t0;
  wss.close();
  return ms;
}

/**
 * An echo over a stream pair (WebSocketStream, an epoxy TCP stream):
 * `chunk`-byte writes as the writer allows, read back at once; resolves to ms.
 */
async function streamEcho(reader: ReadableStreamDefaultReader<ArrayBuffer | Uint8Array>, writer: WritableStreamDefaultWriter<Uint8Array>, total: number, chunk: number) {
  const data = pattern(chunk);
  const t0 = performance.now();
  const readAll = (async () => {
    for (let got = 0; got < total; ) {
      const { value, done } = await reader.read();
      if (done) throw new Error("stream ended early");
      got += value.byteLength;
    }
  })();
  for (let sent = 0; sent < total; sent += chunk) {
    await writer.ready;
    writer.write(data.subarray(0, Math.min(chunk, total - sent)));
  }
  await readAll;
  return performance.now() - t0;
}

/** Raw WebSocketStream echo: writes and reads at once. */
async function rawStreamEcho(url: string, total: number, chunk: number) {
  const { wss, reader, writer } = await openStream(url);
  const ms = await streamEcho(reader, writer, total, chunk);
  wss.close();
  return ms;
}

/** `conns` raw WebSockets at once, each `rounds` round trips of `size` bytes: [ms, bytes, p50, p99]. */
/** `conns` raw WebSockets to the echo, kept open across the load rows' slices. */
async function rawLoad(url: string, conns: number) {
  const sockets = await Promise.all(Array.from({ length: conns }, () => openWs(url)));
  return {
    /** Every socket at once does `rounds` round trips of `size` bytes: [ms, bytes, p50, p99]. */
    async run(rounds: number, size: number) {
      const data = pattern(size);
      const times: number[] = [];
      const t0 = performance.now();
      await Promise.all(
        sockets.map(
          (ws) =>
            new Promise<void>((done) => {
              let i = 0;
              let got = 0;
              let t = performance.now();
              ws.onmessage = (e) => {
                got += (e.data as ArrayBuffer).byteLength;
                if (got < size) return;
                got = 0;
                times.push(performance.now() - t);
                if (++i === rounds) return done();
                t = performance.now();
                ws.send(data);
              };
              ws.send(data);
            }),
        ),
      );
      const ms = performance.now() - t0;
      return [ms, conns * rounds * size, pct(times, 50), pct(times, 99)];
    },
    close: () => sockets.forEach((ws) => ws.close()),
  };
}

const mbps = (bytes: number, ms: number) => bytes / MiB / (ms / 1000);

function heap() {
  const g = globalThis as any;
  for (let i = 0; i < 3; i++) g.gc?.();
  return (performance as any).memory?.usedJSHeapSize as number | undefined;
}

/**
 * Bytes copied by JS/wasm glue per payload byte, counted by wrapping the two
 * ways the glue copies (Uint8Array.prototype.set: wasm-bindgen's copy_to and
 * to_vec; .slice: js/ws.ts and js/http.ts copying out of wasm memory). The
 * browser's own copies (inside WebSocket.send, fetch) are not visible here
 * and are the same for the raw API.
 */
async function countCopies<T>(f: () => Promise<T>) {
  const proto = Uint8Array.prototype as any;
  const set = proto.set;
  const slice = proto.slice;
  const c = { set: 0, slice: 0 };
  proto.set = function (src: ArrayLike<number>, off?: number) {
    c.set += src.length;
    return set.call(this, src, off);
  };
  proto.slice = function (a?: number, b?: number) {
    const r = slice.call(this, a, b);
    c.slice += r.length;
    return r;
  };
  try {
    await f();
  } finally {
    proto.set = set;
    proto.slice = slice;
  }
  return c;
}

// ---- The extern path as a JS VM drives it (js_api.rs: callExtern, externInvoke/externWait) ----

type Vm = {
  callExtern(name: string, args: unknown[]): Promise<unknown[]>;
  externInvoke(name: string, args: unknown[], resume?: number): { done: boolean; values?: unknown[]; token?: number };
  externWait(token: number): Promise<void>;
};
const vm = rs as unknown as Vm;

async function vmDial(url: string): Promise<number> {
  const [h, err] = await vm.callExtern("net.dial", ["ws", url, 0]);
  if (err) throw new Error(`dial: ${JSON.stringify(err)}`);
  return h as number;
}

/** Receive only, each Read a callExtern (a VM that awaits a Promise per call). */
async function callExternReceive(url: string, total: number) {
  const h = await vmDial(url);
  const buf = new Uint8Array(64 * 1024);
  const t0 = performance.now();
  for (let got = 0; got < total; ) {
    const [n, err] = await vm.callExtern("net.blocking_tcpConnRead", [h, buf]);
    if (err) throw new Error(`read: ${JSON.stringify(err)}`);
    got += n as number;
  }
  const ms = performance.now() - t0;
  await vm.callExtern("net.tcpConnClose", [h]);
  return ms;
}

/** Receive only, Vo's replay model: externInvoke, and externWait only when it is pending. */
async function invokeReceive(url: string, total: number) {
  const h = await vmDial(url);
  const buf = new Uint8Array(64 * 1024);
  const args = [h, buf];
  const t0 = performance.now();
  for (let got = 0; got < total; ) {
    let r = vm.externInvoke("net.blocking_tcpConnRead", args);
    while (!r.done) {
      await vm.externWait(r.token!);
      r = vm.externInvoke("net.blocking_tcpConnRead", args, r.token);
    }
    const [n, err] = r.values!;
    if (err) throw new Error(`read: ${JSON.stringify(err)}`);
    got += n as number;
  }
  const ms = performance.now() - t0;
  await vm.callExtern("net.tcpConnClose", [h]);
  return ms;
}

// ---- epoxy-tls (npm @mercuryworkshop/epoxy-tls, AGPL-3.0: a test-only peer) ----
// Its raw TCP streams over the same Wisp relay, what a user would pick
// instead of Dial("tcp"). Loaded at run time from /epoxy/ (bench/run.mjs
// serves its "minimal" build from node_modules): never bundled, never shipped.

type EpoxyStream = { read: ReadableStream<Uint8Array>; write: WritableStream<Uint8Array> };
interface EpoxyClient {
  connect_tcp(url: string): Promise<EpoxyStream>;
  connect_tls(url: string): Promise<EpoxyStream>;
  fetch(url: string, init?: object): Promise<Response>;
}
let epoxyClient: Promise<EpoxyClient> | undefined;
/** One epoxy client on the relay. It cannot be given a root CA: certificate
 *  validation is off for the test server's throwaway CA (which spares it
 *  the chain check that ours does). */
function loadEpoxyClient(relayUrl: string): Promise<EpoxyClient> {
  epoxyClient ??= (async () => {
    const at = "/epoxy/epoxy.js"; // a variable, so esbuild leaves the import alone
    const m = await import(/* @vite-ignore */ at);
    await m.default({ module_or_path: "/epoxy/epoxy.wasm" });
    const options = new m.EpoxyClientOptions();
    options.wisp_v2 = true;
    options.disable_certificate_validation = true;
    return new m.EpoxyClient(relayUrl, options);
  })();
  return epoxyClient;
}

/** Ends an epoxy stream without waiting: its writer's close() never settles (2.1.19). */
function closeEpoxy(writer: WritableStreamDefaultWriter<Uint8Array>, reader: ReadableStreamDefaultReader<Uint8Array>) {
  writer.close().catch(() => {});
  reader.cancel().catch(() => {});
}

/** An epoxy TCP stream to `dest`, or a TLS one (its handshake done). */
async function epoxyStream(relayUrl: string, dest: string, tls: boolean): Promise<EpoxyStream> {
  const client = await loadEpoxyClient(relayUrl);
  return tls ? client.connect_tls(`tls://${dest}`) : client.connect_tcp(`tcp://${dest}`);
}

/** The relay echo through an epoxy TCP (or TLS) stream (see streamEcho): ms, after the handshake. */
async function epoxyEcho(relayUrl: string, dest: string, total: number, chunk: number, tls = false) {
  const s = await epoxyStream(relayUrl, dest, tls);
  const reader = s.read.getReader();
  const writer = s.write.getWriter();
  const ms = await streamEcho(reader, writer, total, chunk);
  closeEpoxy(writer, reader);
  return ms;
}

/** epoxy's connect_tls (dial and handshake): its milliseconds. */
async function epoxyTlsHandshake(relayUrl: string, dest: string) {
  const client = await loadEpoxyClient(relayUrl);
  const t0 = performance.now();
  const s = await client.connect_tls(`tls://${dest}`);
  const ms = performance.now() - t0;
  closeEpoxy(s.write.getWriter(), s.read.getReader());
  return ms;
}

/** An HTTPS GET through epoxy's own HTTP client, the body read to the end: ms. */
async function epoxyHttpsGet(relayUrl: string, url: string, expect: number) {
  const client = await loadEpoxyClient(relayUrl);
  const t0 = performance.now();
  const r = await client.fetch(url, { method: "GET" });
  const reader = r.body!.getReader();
  let got = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    got += value.byteLength;
  }
  if (got !== expect) throw new Error(`epoxy fetch: ${got} bytes, not ${expect}`);
  return performance.now() - t0;
}

/** One-byte round trips on an epoxy TCP (or TLS) stream through the relay. */
async function epoxyPinger(relayUrl: string, dest: string, tls = false): Promise<Pinger> {
  const s = await epoxyStream(relayUrl, dest, tls);
  const reader = s.read.getReader();
  const writer = s.write.getWriter();
  return {
    async ping(b) {
      const t0 = performance.now();
      await writer.write(Uint8Array.of(b));
      const { value, done } = await reader.read();
      const ms = performance.now() - t0;
      if (done || value.byteLength !== 1 || value[0] !== b) throw new Error(`epoxy round trip of ${b}: wrong reply`);
      return ms;
    },
    close: () => closeEpoxy(writer, reader),
  };
}

// ---- Go's own js/wasm port (bench/go-js, built by scripts/build-bench.sh) ----

interface GoBench {
  goHttpGet(url: string): Promise<number[]>;
  goPagenetGet(url: string): Promise<number[]>;
  goTcpEcho(addr: string, total: number, chunk: number): Promise<number>;
  goPingerOpen(addr: string): Promise<number>;
  goPing(id: number, b: number): Promise<number>;
  goPingerClose(id: number): void;
}
let goLoaded: Promise<GoBench> | undefined;
function loadGo(): Promise<GoBench> {
  goLoaded ??= (async () => {
    const g = globalThis as any;
    await new Promise<void>((ok, fail) => {
      const s = document.createElement("script");
      s.src = "/go/wasm_exec.js";
      s.onload = () => ok();
      s.onerror = () => fail(new Error("no /go/wasm_exec.js (scripts/build-bench.sh copies it from Go's GOROOT)"));
      document.head.append(s);
    });
    const go = new g.Go();
    const { instance } = await WebAssembly.instantiateStreaming(fetch("/go/gojs.wasm"), go.importObject);
    go.run(instance); // runs until main's select{}, serving goHttpGet
    for (let i = 0; i < 100 && !g.goReady; i++) await new Promise((ok) => setTimeout(ok, 10));
    if (!g.goReady) throw new Error("the Go program did not start");
    return g as GoBench;
  })();
  return goLoaded;
}

/** The wasip1 guest's echo (guests/wasi-tokio BENCH_ECHO): its own timing, connected socket to last byte. */
/** The wasi-tokio guest's echo: through JSPI, or its asyncified build unwinding (what engines without JSPI run). */
async function wasiEcho(tcpEcho: string, total: number, chunk: number, blocking: "jspi" | "asyncify" = "jspi"): Promise<number> {
  let stdout = "";
  const shim = new WASI(["wasi-tokio"], [`BENCH_ECHO=${total},${chunk}`, `TCP_ECHO=${tcpEcho}`], [
    new OpenFile(new File([])),
    ConsoleStdout.lineBuffered((l) => (stdout += l + "\n")),
    ConsoleStdout.lineBuffered((l) => (stdout += l + "\n")),
  ]);
  const net = new WasiNet({ blocking });
  const file = blocking === "asyncify" ? "wasi-tokio.asyncify.wasm" : "wasi-tokio.wasm";
  const { instance } = await WebAssembly.instantiateStreaming(fetch(`/guests/${file}`), { wasi_snapshot_preview1: net.imports(shim) });
  const code = await net.start(instance, shim);
  const ms = /^bench_echo ([\d.]+)$/m.exec(stdout);
  if (code !== 0 || !ms) throw new Error(`wasi-tokio BENCH_ECHO exited ${code}: ${stdout.trim()} (${net.lastError})`);
  return Number(ms[1]);
}

/** The wasip2 component's echo (guests/wasi-p2 BENCH_ECHO, std::net over go-net-wasm/wasip2): its own timing. */
async function wasip2Echo(tcpEcho: string, total: number, chunk: number): Promise<number> {
  let stdout = "";
  const decoder = new TextDecoder();
  const net = new WasiP2Net();
  const shim = new WASIShim({
    sockets: net.sockets,
    environment: { BENCH_ECHO: `${total},${chunk}`, TCP_ECHO: tcpEcho },
    stdout: { write: (b: Uint8Array) => void (stdout += decoder.decode(b, { stream: true })) },
  } as never);
  const dir = "/guests/wasi-p2";
  const { instantiate } = await import(/* @vite-ignore */ `${dir}/component.js`);
  const component = await instantiate((f: string) => WebAssembly.compileStreaming(fetch(`${dir}/${f}`)), shim.getImportObject());
  try {
    await component.run.run();
  } finally {
    net.closeAll();
  }
  const ms = /^bench_echo ([\d.]+)$/m.exec(stdout);
  if (!ms) throw new Error(`wasi-p2 BENCH_ECHO: ${stdout.trim()} (${net.lastError})`);
  return Number(ms[1]);
}

/**
 * One-byte round trips, every series on its own connection, one ping of
 * each in turn in a random order, over 10 rounds of fresh connections
 * (round -1 warms up with 50): drift hits every series alike. Returns each
 * series' p50, p99 and sample count.
 */
async function interleavedPings(series: Record<string, () => Promise<Pinger>>, per: number) {
  const names = Object.keys(series);
  const times: Record<string, number[]> = Object.fromEntries(names.map((k) => [k, []]));
  for (let r = -1; r < 10; r++) {
    const pingers = await Promise.all(names.map((k) => series[k]()));
    for (let i = 0; i < (r < 0 ? 50 : per); i++)
      for (const k of shuffled(names.length)) {
        const ms = await pingers[k].ping(i & 255);
        if (r >= 0) times[names[k]].push(ms);
      }
    await Promise.all(pingers.map((p) => p.close()));
  }
  return Object.fromEntries(names.map((k) => [k, { p50: pct(times[k], 50), p99: pct(times[k], 99), n: times[k].length }]));
}

export async function runBenchmarks(o: BenchOptions) {
  await initBench({ module_or_path: new URL("../pkg/runtime_wasm_bench_bg.wasm", import.meta.url) });
  registerNetBindings({ dns: { servers: [o.peers.doh] }, relay: { url: o.peers.wispV2 } });
  const nodeEcho = o.peers.wsEcho; // the Node echo: its ?flood= mode (section 7)
  const total = o.mib * MiB;
  const out: any = { options: { mib: o.mib, reps: o.reps, pings: o.pings, cycles: o.cycles, dohIterations: o.dohIterations, smallMessages: o.smallMessages } };

  if (!o.peers.nativeWs || !o.peers.nativeHttp) throw new Error("the native peer (servers/native-peer) is required");
  const want = (section: string) => o.only.length === 0 || o.only.includes(section);
  const nw = o.peers.nativeWs;
  const nativeEcho = `${nw}/echo`;

  // Warm-up (JIT, connection setup paths) so the first measured rep is not an outlier.
  await rawEcho(nativeEcho, MiB, 64 * 1024);
  await rs.rustEcho(nativeEcho, MiB, 64 * 1024);
  await rs.glooEcho(nativeEcho, MiB, 64 * 1024);

  // 1. Echo through the Wisp relay (wisp-js) to a TCP echo, 64 KiB
  //     packets: Dial("tcp") against a raw WebSocket doing Wisp by hand.
  if (want("relay")) {
    const chunk = 64 * 1024;
    await rawWispEcho(o.peers.wispV2, o.peers.tcpEcho, MiB, chunk);
    await rs.rustTcpEcho(o.peers.tcpEcho, MiB, chunk);
    const runs: Record<string, number[]> = { raw: [], rust: [] };
    for (let r = 0; r < o.reps; r++) {
      runs.raw.push(mbps(total, await rawWispEcho(o.peers.wispV2, o.peers.tcpEcho, total, chunk)));
      runs.rust.push(mbps(total, await rs.rustTcpEcho(o.peers.tcpEcho, total, chunk)));
      log(`relay echo rep ${r + 1}: raw Wisp ${runs.raw[r].toFixed(0)} MiB/s, rust tcp ${runs.rust[r].toFixed(0)}`);
    }
    out.relayEcho = { raw: median(runs.raw), rust: median(runs.rust), runs };
  }

  // 1a. The same relay against epoxy-tls's raw TCP stream (its own Wisp
  //     client): echo MiB/s, and one-byte round trips interleaved ping by
  //     ping with Dial("tcp") (fresh streams each round, as section 2 does).
  if (want("epoxy")) {
    const chunk = 64 * 1024;
    const relay = o.peers.wispV2;
    await epoxyEcho(relay, o.peers.tcpEcho, MiB, chunk);
    await rs.rustTcpEcho(o.peers.tcpEcho, MiB, chunk);
    const runs: Record<string, number[]> = { epoxy: [], rust: [] };
    for (let r = 0; r < o.reps; r++) {
      runs.epoxy.push(mbps(total, await epoxyEcho(relay, o.peers.tcpEcho, total, chunk)));
      runs.rust.push(mbps(total, await rs.rustTcpEcho(o.peers.tcpEcho, total, chunk)));
      log(`epoxy echo rep ${r + 1}: epoxy-tls ${runs.epoxy[r].toFixed(0)} MiB/s, rust tcp ${runs.rust[r].toFixed(0)}`);
    }
    const series: Record<string, () => Promise<Pinger>> = {
      epoxy: () => epoxyPinger(relay, o.peers.tcpEcho),
      rust: () => rs.Pinger.openTcp(o.peers.tcpEcho),
    };
    const ping = await interleavedPings(series, Math.max(1, Math.floor(o.pings / 10 / 2)));
    out.epoxy = { echo: { epoxy: median(runs.epoxy), rust: median(runs.rust), runs }, ping };
    log(`epoxy ping p50/p99 ms: epoxy-tls ${ping.epoxy.p50.toFixed(3)}/${ping.epoxy.p99.toFixed(3)}, rust tcp ${ping.rust.p50.toFixed(3)}/${ping.rust.p99.toFixed(3)}`);
  }

  // 1a'. TLS inside the page (the crate's feature tls) against epoxy-tls's,
  //     through the same relay to Node's TLS peers (servers/tls.mjs):
  //     handshake time, TLS echo, an HTTPS body, 1-byte round trips.
  if (want("tls")) {
    const relay = o.peers.wispV2;
    const ca = o.peers.tlsCa;
    registerNetBindings({ http: { relayHosts: ["127.0.0.1"], tlsRoots: [ca] } });
    const chunk = 64 * 1024;
    const hs: Record<string, number[]> = { rust: [], rustSkip: [], epoxy: [] };
    for (let i = -3; i < 30; i++) {
      const r = await rs.rustTlsHandshake(o.peers.tlsEcho, ca, false);
      const s = await rs.rustTlsHandshake(o.peers.tlsEcho, ca, true);
      const e = await epoxyTlsHandshake(relay, o.peers.tlsEcho);
      if (i >= 0) (hs.rust.push(r), hs.rustSkip.push(s), hs.epoxy.push(e));
    }
    await rs.rustTlsEcho(o.peers.tlsEcho, ca, MiB, chunk);
    await epoxyEcho(relay, o.peers.tlsEcho, MiB, chunk, true);
    const echo: Record<string, number[]> = { rust: [], epoxy: [] };
    const body: Record<string, number[]> = { rust: [], epoxy: [] };
    const url = `https://${o.peers.tlsOrigin}/bytes?n=${total}&seed=5`;
    await rs.rustHttpGet(`https://${o.peers.tlsOrigin}/bytes?n=${MiB}`);
    await epoxyHttpsGet(relay, `https://${o.peers.tlsOrigin}/bytes?n=${MiB}`, MiB);
    for (let r = 0; r < o.reps; r++) {
      echo.rust.push(mbps(total, await rs.rustTlsEcho(o.peers.tlsEcho, ca, total, chunk)));
      echo.epoxy.push(mbps(total, await epoxyEcho(relay, o.peers.tlsEcho, total, chunk, true)));
      const [ms, bytes] = await rs.rustHttpGet(url);
      if (bytes !== total) throw new Error(`https body: ${bytes} bytes, not ${total}`);
      body.rust.push(mbps(total, ms));
      body.epoxy.push(mbps(total, await epoxyHttpsGet(relay, url, total)));
      log(`tls rep ${r + 1}: echo ${echo.rust[r].toFixed(0)} / epoxy ${echo.epoxy[r].toFixed(0)} MiB/s, https body ${body.rust[r].toFixed(0)} / epoxy ${body.epoxy[r].toFixed(0)} MiB/s`);
    }
    const ping = await interleavedPings(
      { rust: () => rs.TlsPinger.open(o.peers.tlsEcho, ca), epoxy: () => epoxyPinger(relay, o.peers.tlsEcho, true) },
      Math.max(1, Math.floor(o.pings / 10 / 2)),
    );
    // The other sections' requests go through fetch again, and the HTTPS
    // rows' kept-alive connection is closed (the leak rows count Conns).
    registerNetBindings({ http: { relayHosts: [] } });
    rs.rustClosePooled();
    out.tls = {
      handshake: { rust: median(hs.rust), rustSkip: median(hs.rustSkip), epoxy: median(hs.epoxy), n: hs.rust.length },
      echo: { rust: median(echo.rust), epoxy: median(echo.epoxy), runs: echo },
      body: { rust: median(body.rust), epoxy: median(body.epoxy), runs: body },
      ping,
    };
    log(`tls handshake ms: ${median(hs.rust).toFixed(2)} / epoxy ${median(hs.epoxy).toFixed(2)}; ping p50 ${ping.rust.p50.toFixed(3)} / epoxy ${ping.epoxy.p50.toFixed(3)}`);
  }

  // 1b. The same relay echo from a wasm32-wasip1 program (guests/wasi-tokio,
  //     BENCH_ECHO mode: tokio's nonblocking sockets and poll_oneoff through
  //     go-net-wasm/wasi, suspended by JSPI) against the Rust Conn: what the
  //     WASI layer costs on top of the Conn it sits on.
  if (want("wasi")) {
    const chunk = 64 * 1024;
    await wasiEcho(o.peers.tcpEcho, MiB, chunk);
    await wasiEcho(o.peers.tcpEcho, MiB, chunk, "asyncify");
    await wasip2Echo(o.peers.tcpEcho, MiB, chunk);
    const runs: Record<string, number[]> = { rust: [], wasi: [], asyncify: [], wasip2: [] };
    for (let r = 0; r < o.reps; r++) {
      runs.rust.push(mbps(total, await rs.rustTcpEcho(o.peers.tcpEcho, total, chunk)));
      runs.wasi.push(mbps(total, await wasiEcho(o.peers.tcpEcho, total, chunk)));
      runs.asyncify.push(mbps(total, await wasiEcho(o.peers.tcpEcho, total, chunk, "asyncify")));
      runs.wasip2.push(mbps(total, await wasip2Echo(o.peers.tcpEcho, total, chunk)));
      log(`wasi echo rep ${r + 1}: rust tcp ${runs.rust[r].toFixed(0)} MiB/s, wasip1 guest ${runs.wasi[r].toFixed(0)}, asyncified ${runs.asyncify[r].toFixed(0)}, wasip2 component ${runs.wasip2[r].toFixed(0)}`);
    }
    out.wasiEcho = { rust: median(runs.rust), wasi: median(runs.wasi), asyncify: median(runs.asyncify), wasip2: median(runs.wasip2), runs };
  }

  // 2. One-byte round trips against the native echo, ten interleaved
  //    rounds so drift (JIT, GC, the machine) hits every series alike. Each
  //    transport against its own raw API: "classic" against WebSocket's
  //    onmessage, "stream" against WebSocketStream's reader; the Rust API
  //    and the extern path a VM uses, on both.
  if (want("ping")) {
    // Every series has its own connection; one ping of each in turn (in a
    // random order each time, so no series always follows another), so a
    // noisy moment hits all alike: this machine's
    // round trip moves by +-20 % from one second to the next, far more
    // than the differences measured. Fresh connections each round.
    const per = Math.max(1, Math.floor(o.pings / 10)); // 10 rounds
    const rust = (transport: "classic" | "stream", externs: boolean, onFutures = false) => (): Promise<Pinger> =>
      withTransport(transport, () => rs.Pinger.open(nativeEcho, externs, onFutures));
    const series: Record<string, () => Promise<Pinger>> = {
      rawClassic: () => rawPinger(nativeEcho),
      rustClassic: rust("classic", false),
      // The same Rust pings on wasm-bindgen-futures' executor: what
      // task::spawn_local saves (a read woken inside the message's event).
      rustClassicFutures: rust("classic", false, true),
      externClassic: rust("classic", true),
    };
    if (HAS_STREAM) {
      series.rawStream = () => rawStreamPinger(nativeEcho);
      series.rustStream = rust("stream", false);
      series.externStream = rust("stream", true);
    }
    const p = (out.pingPong = await interleavedPings(series, per));
    log(`ping-pong p50/p99 ms: ${Object.keys(series).map((k) => `${k} ${p[k].p50.toFixed(3)}/${p[k].p99.toFixed(3)}`).join(", ")}`);
  }

  // 3. DoH: cost of a cached lookup; queries an uncached one sends.
  if (want("doh")) {
    const [queries, cachedUs, answers] = Array.from(await rs.rustDoh(o.peers.doh, "dual.test.example", o.dohIterations));
    out.doh = { uncachedQueries: queries, recordTypes: 2, answers, cachedUs };
    log(`doh: uncached ${queries} queries, cached ${cachedUs.toFixed(2)} µs`);
  }

  // 4. Copies per byte across the JS/wasm boundary (a counting run, untimed).
  if (want("copies")) {
    const n = 4 * MiB;
    const wsStream = await countCopies(() => rs.rustEcho(nativeEcho, n, 64 * 1024));
    const wsClassic = await withTransport("classic", () => countCopies(() => rs.rustEcho(nativeEcho, n, 64 * 1024)));
    const http = await countCopies(() => rs.rustHttpGet(`${o.peers.nativeHttp}/bytes?n=${n}`));
    const ext = await countCopies(() => rs.rustExternEcho(nativeEcho, n, 64 * 1024));
    out.copies = {
      wsWrite: { stream: wsStream.slice / n, classic: wsClassic.slice / n },
      wsRead: { stream: wsStream.set / n, classic: wsClassic.set / n },
      httpRead: http.set / n,
      externRead: ext.set / n,
      externWrite: ext.slice / n,
      method: "bytes passed to Uint8Array.prototype.set (reads) and .slice (writes) per payload byte, 4 MiB each",
    };
  }

  // 5. Leaks: handle tables back to zero, JS heap growth after GC.
  if (want("leaks")) {
    await rs.rustDialCloseCycles(nativeEcho, 50); // warm up
    await rs.rustHttpGetCycles(`${o.peers.http}/hello`, 50);
    const heap0 = heap();
    const wasm0 = rs.wasmMemoryBytes();
    const [dialMs, openConns] = Array.from(await rs.rustDialCloseCycles(nativeEcho, o.cycles));
    log(`${o.cycles} dial/close cycles in ${dialMs.toFixed(0)} ms; open conns ${openConns}`);
    const heap1 = heap();
    const [getMs, openRequests] = Array.from(await rs.rustHttpGetCycles(`${o.peers.http}/hello`, o.cycles));
    log(`${o.cycles} http.Get calls in ${getMs.toFixed(0)} ms; open requests ${openRequests}`);
    const heap2 = heap();
    out.leaks = {
      cycles: o.cycles,
      dialClose: { ms: dialMs, openConnsAfter: openConns, heapGrowthBytes: heap0 && heap1 ? heap1 - heap0 : null },
      httpGet: { ms: getMs, openRequestsAfter: openRequests, heapGrowthBytes: heap1 && heap2 ? heap2 - heap1 : null },
      wasmMemoryGrowthBytes: rs.wasmMemoryBytes() - wasm0,
      gcExposed: typeof (globalThis as any).gc === "function",
    };
  }
  // 6. A hostile peer's flood of one-byte messages into one Conn (the JS
  //    table both the Rust Conn and the externs read from), with the
  //    classic transport: it cannot pause reading, so the queue takes it
  //    all. Sampled: the queue's cost (bytes + per-chunk cost) against its
  //    bound, the longest gap between 10 ms ticks (page responsiveness),
  //    JS heap growth; then the drain.
  if (want("flood")) {
    const n = o.floodMessages;
    const g = globalThis as any;
    /** The longest gap between 10 ms ticks while f runs; `sample` runs each tick. */
    const stallWhile = async (f: () => Promise<void>, sample = () => {}) => {
      let maxGap = 0;
      let last = performance.now();
      const tick = setInterval(() => {
        const now = performance.now();
        maxGap = Math.max(maxGap, now - last);
        last = now;
        sample();
      }, 10);
      await f();
      clearInterval(tick);
      return maxGap;
    };
    // The raw API under the same flood: how much of the stall is the browser's.
    const rawStall = await stallWhile(async () => {
      const ws = await openWs(`${nodeEcho}?flood=${n}`);
      let got = 0;
      await new Promise<void>((done) => {
        ws.onmessage = (e) => {
          got += (e.data as ArrayBuffer).byteLength;
          if (got >= n) done();
        };
      });
      ws.close();
    });
    out.flood = { messages: n, bound: WS_DEFAULTS.readLimitBytes, rawMaxStallMs: rawStall };
    // The table wakes a waiting read through a registered callback (js/wake.ts), as wasm does.
    let wakeReader = () => {};
    const waker: number = g._netSetWaker(() => wakeReader());
    for (const transport of ["classic", "stream"] as const) {
      registerNetBindings({ ws: { transport } });
      const heap0 = heap();
      const h = g._netConnDialWs(`${nodeEcho}?flood=${n}`, 0);
      await g._netConnOpened(h);
      let peak = 0;
      let arrivedMs = 0;
      let drainMs = 0;
      let heapFull: number | undefined;
      let got = 0;
      const maxGap = await stallWhile(
        async () => {
          const t0 = performance.now();
          // Let it arrive unread (a reader that fell behind), then drain.
          while (netHost.connQueueCost(h) < n) await new Promise((r) => setTimeout(r, 20));
          arrivedMs = performance.now() - t0;
          heapFull = heap();
          const dest = new Uint8Array(64 * 1024);
          const t1 = performance.now();
          while (got < n) {
            const k = g._netConnRead(h, dest);
            if (k < 0) await new Promise<void>((woken) => ((wakeReader = woken), g._netConnReady(h, waker * 2 ** 32)));
            else got += k;
          }
          drainMs = performance.now() - t1;
        },
        () => (peak = Math.max(peak, netHost.connQueueCost(h))),
      );
      g._netConnClose(h);
      registerNetBindings({ ws: { transport: "auto" } });
      out.flood[transport] = {
        bytes: got,
        peakCost: peak,
        maxStallMs: maxGap,
        arrivedMs,
        drainMs,
        heapGrowthBytes: heap0 && heapFull ? heapFull - heap0 : null,
      };
      log(`flood (${transport}): ${n} messages, peak queue cost ${peak} B (bound ${WS_DEFAULTS.readLimitBytes}), longest stall ${maxGap.toFixed(0)} ms (raw WebSocket ${rawStall.toFixed(0)} ms), drain ${drainMs.toFixed(0)} ms`);
    }
    // The same flood with the guest reading it as it comes (64 KiB reads,
    // the Rust Conn and a JS VM's callExtern loop), against each transport's
    // raw API counting bytes under the same flood: the page's longest stall.
    const flood = `${nodeEcho}?flood=${n}`;
    out.flood.read = {
      classic: { raw: rawStall },
      stream: { raw: await stallWhile(async () => void (await rawStreamReceive(flood, n))) },
    };
    for (const transport of ["classic", "stream"] as const) {
      const row = out.flood.read[transport];
      row.rust = await stallWhile(async () => void (await withTransport(transport, () => rs.rustReceive(flood, n))));
      row.callExtern = await stallWhile(async () => void (await withTransport(transport, () => callExternReceive(flood, n))));
      log(`flood read (${transport}): longest stall raw ${row.raw.toFixed(0)} ms, rust ${row.rust.toFixed(0)} ms, callExtern ${row.callExtern.toFixed(0)} ms`);
    }
  }

  // 6b. Small messages with a reader that keeps up: messages/s receiving
  //     1-byte and 64-byte messages from the native peer's source, for the
  //     Rust Conn, the extern path as a Rust VM drives it, as a JS VM drives
  //     it (callExtern; externInvoke/externWait), and raw onmessage /
  //     WebSocketStream counting bytes, on both transports, interleaved.
  if (want("small")) {
    out.small = {};
    const n = o.smallMessages;
    for (const size of [1, 64]) {
      const bytes = n * size;
      const src = `${nw}/source?size=${size}&total=${bytes}`;
      for (const transport of ["classic", "stream"] as const) {
        const on = <T>(f: () => Promise<T>) => withTransport(transport, f);
        const readers: Record<string, (src: string, bytes: number) => Promise<number>> = {
          raw: (src, bytes) => (transport === "classic" ? rawReceive(src, bytes) : rawStreamReceive(src, bytes)),
          rust: (src, bytes) => on(() => rs.rustReceive(src, bytes)),
          externRust: (src, bytes) => on(() => rs.externReceive(src, bytes)),
          callExtern: (src, bytes) => on(() => callExternReceive(src, bytes)),
          externInvoke: (src, bytes) => on(() => invokeReceive(src, bytes)),
        };
        const fs = Object.fromEntries(Object.entries(readers).map(([k, f]) => [k, () => f(src, bytes)]));
        // Warm-up (JIT, each path's first calls) on a tenth as many messages.
        const warm = Math.ceil(n / 10) * size;
        for (const f of Object.values(readers)) await f(`${nw}/source?size=${size}&total=${warm}`, warm);
        const runs: Record<string, number[]> = Object.fromEntries(Object.keys(fs).map((k) => [k, []]));
        for (let r = 0; r < o.reps; r++) {
          for (const [k, f] of Object.entries(fs)) runs[k].push(n / ((await f()) / 1000));
          log(`small ${size} B ${transport} rep ${r + 1}: ${Object.keys(fs).map((k) => `${k} ${(runs[k][r] / 1000).toFixed(1)}k`).join(", ")} messages/s`);
        }
        out.small[`${size}_${transport}`] = { ...Object.fromEntries(Object.keys(fs).map((k) => [k, median(runs[k])])), runs, messages: n };
      }
    }
  }

  // 7. One direction at a time against the native peer (not the
  //    bottleneck: bench/run.mjs prints its ceiling from a native client),
  //    64 KiB messages: the Rust Conn (Rust API and the extern path a VM
  //    uses), raw WebSocket, raw WebSocketStream and gloo-net, interleaved.
  if (want("directions")) {
    const chunk = 64 * 1024;
    const src = `${nw}/source?size=${chunk}&total=${total}`;
    const sink = `${nw}/sink?total=${total}`;
    const variants: Record<string, Record<string, () => Promise<number>>> = {
      receive: {
        raw: () => rawReceive(src, total),
        rust: () => rs.rustReceive(src, total),
        extern: () => rs.externReceive(src, total),
        gloo: () => rs.glooReceive(src, total),
      },
      send: {
        raw: () => rawSend(sink, total, chunk),
        rust: () => rs.rustSend(sink, total, chunk),
        extern: () => rs.externSend(sink, total, chunk),
        gloo: () => rs.glooSend(sink, total, chunk),
      },
      echo: {
        raw: () => rawEcho(nativeEcho, total, chunk),
        rust: () => rs.rustEcho(nativeEcho, total, chunk),
        extern: () => rs.rustExternEcho(nativeEcho, total, chunk),
        gloo: () => rs.glooEcho(nativeEcho, total, chunk),
      },
    };
    // WebSocketStream where the engine has it (Chromium; not Firefox or WebKit).
    if (HAS_STREAM) {
      variants.receive.rawStream = () => rawStreamReceive(src, total);
      variants.send.rawStream = () => rawStreamSend(sink, total, chunk);
      variants.echo.rawStream = () => rawStreamEcho(nativeEcho, total, chunk);
    }
    out.directions = {};
    for (const [dir, fs] of Object.entries(variants)) {
      for (const f of Object.values(fs)) await f(); // warm-up
      const runs: Record<string, number[]> = Object.fromEntries(Object.keys(fs).map((k) => [k, []]));
      for (let r = 0; r < o.reps; r++) {
        for (const [k, f] of Object.entries(fs)) runs[k].push(mbps(total, await f()));
        log(`${dir} rep ${r + 1}: ${Object.keys(fs).map((k) => `${k} ${runs[k][r].toFixed(0)}`).join(", ")} MiB/s`);
      }
      out.directions[dir] = Object.fromEntries(Object.keys(fs).map((k) => [k, median(runs[k])]));
      out.directions[dir].runs = runs;
    }
    // HTTP body from the native peer: http.Get vs a raw fetch reader loop.
    {
      const url = `${o.peers.nativeHttp}/bytes?n=${total}`;
      await rawFetch(url);
      await rs.rustHttpGet(url);
      const runs: Record<string, number[]> = { raw: [], rust: [] };
      for (let r = 0; r < o.reps; r++) {
        const [rawMs, rawBytes] = await rawFetch(url);
        const [rustMs, rustBytes] = Array.from(await rs.rustHttpGet(url));
        if (rawBytes !== total || rustBytes !== total) throw new Error(`native http: got ${rawBytes} / ${rustBytes} bytes`);
        runs.raw.push(mbps(total, rawMs));
        runs.rust.push(mbps(total, rustMs));
        log(`native http rep ${r + 1}: raw ${runs.raw[r].toFixed(0)} MiB/s, rust ${runs.rust[r].toFixed(0)}`);
      }
      out.nativeHttp = { raw: median(runs.raw), rust: median(runs.rust), runs };
    }
    // Growth with load: 1, 16, 100 Conns echoing 1 KiB round trips at once,
    // in 6 slices alternating raw and Rust (as the ping rows interleave), so
    // drift hits both alike: MiB/s over all slices, p50/p99 the slices'
    // medians. Each side's sockets stay open across its slices. 100 each:
    // Chromium allows a page 255 WebSockets at once, counting those still
    // closing (earlier rows' and sections'), and refuses new ones past it.
    out.load = {};
    for (const conns of [1, 16, 100]) {
      const SLICES = 6;
      const rounds = Math.max(10, Math.floor(o.pings / conns));
      const per = Math.max(5, Math.ceil(rounds / SLICES));
      const acc = { raw: { ms: 0, bytes: 0, p50: [] as number[], p99: [] as number[] }, rust: { ms: 0, bytes: 0, p50: [] as number[], p99: [] as number[] } };
      const raw = await rawLoad(nativeEcho, conns);
      // The classic transport, as the raw column uses the classic API.
      const rust = await withTransport("classic", () => rs.Load.open(nativeEcho, conns));
      await raw.run(2, 1024); // warm-up
      await rust.run(2, 1024);
      for (let i = 0; i < SLICES; i++) {
        const [rawMs, rawBytes, rawP50, rawP99] = await raw.run(per, 1024);
        const [rustMs, rustBytes, rustP50, rustP99] = Array.from(await rust.run(per, 1024));
        for (const [k, ms, b, p50, p99] of [["raw", rawMs, rawBytes, rawP50, rawP99], ["rust", rustMs, rustBytes, rustP50, rustP99]] as const) {
          acc[k].ms += ms;
          acc[k].bytes += b;
          acc[k].p50.push(p50);
          acc[k].p99.push(p99);
        }
      }
      raw.close();
      await rust.close();
      const row = (a: typeof acc.raw) => ({ mibs: mbps(a.bytes, a.ms), p50: median(a.p50), p99: median(a.p99) });
      out.load[conns] = { rounds: per * SLICES, slices: SLICES, raw: row(acc.raw), rust: row(acc.rust) };
      const l = out.load[conns];
      log(`load ${conns} conns: raw ${l.raw.mibs.toFixed(1)} MiB/s p99 ${l.raw.p99.toFixed(2)} ms, rust ${l.rust.mibs.toFixed(1)} MiB/s p99 ${l.rust.p99.toFixed(2)} ms`);
    }
  }

  // The same body through Go's js/wasm net/http (fetch underneath), what a
  // Go user would pick instead: body MiB/s and time to the headers.
  if (want("gojs")) {
    const url = `${o.peers.nativeHttp}/bytes?n=${total}`;
    const go = await loadGo();
    const goGet = (u: string) => go.goHttpGet(u);
    await goGet(url);
    const runs: Record<string, number[]> = { raw: [], rust: [], go: [], rawTtfb: [], rustTtfb: [], goTtfb: [] };
    for (let r = 0; r < o.reps; r++) {
      const [rawMs, rawBytes, rawTtfb] = await rawFetch(url);
      const [rustMs, rustBytes, rustTtfb] = Array.from(await rs.rustHttpGet(url));
      const [goMs, goBytes, goTtfb] = await goGet(url);
      if (rawBytes !== total || rustBytes !== total || goBytes !== total) throw new Error(`gojs: got ${rawBytes} / ${rustBytes} / ${goBytes} bytes`);
      runs.raw.push(mbps(total, rawMs));
      runs.rust.push(mbps(total, rustMs));
      runs.go.push(mbps(total, goMs));
      runs.rawTtfb.push(rawTtfb);
      runs.rustTtfb.push(rustTtfb);
      runs.goTtfb.push(goTtfb);
      log(`go js/wasm http rep ${r + 1}: raw ${runs.raw[r].toFixed(0)} MiB/s, rust ${runs.rust[r].toFixed(0)}, go ${runs.go[r].toFixed(0)}; headers after ${rawTtfb.toFixed(2)} / ${rustTtfb.toFixed(2)} / ${goTtfb.toFixed(2)} ms`);
    }
    // Time to headers on small bodies too (many short requests, interleaved).
    const small = `${o.peers.nativeHttp}/bytes?n=1024`;
    const ttfb: Record<string, number[]> = { raw: [], rust: [], go: [] };
    for (let i = 0; i < 50; i++) {
      ttfb.raw.push((await rawFetch(small))[2]);
      ttfb.rust.push(Array.from(await rs.rustHttpGet(small))[2]);
      ttfb.go.push((await goGet(small))[2]);
    }
    out.goHttp = {
      raw: median(runs.raw), rust: median(runs.rust), go: median(runs.go),
      ttfb: { raw: median(ttfb.raw), rust: median(ttfb.rust), go: median(ttfb.go), n: 50 },
      runs,
    };
    // go/pagenet: a Go program's own net.Conn through the relay, against
    // the Rust Conn on the same relay (echo, interleaved 1-byte round
    // trips), and Go's own HTTP transport over it against Go's fetch one.
    const chunk = 64 * 1024;
    const echo: Record<string, number[]> = { rust: [], go: [] };
    await go.goTcpEcho(o.peers.tcpEcho, MiB, chunk);
    for (let r = 0; r < o.reps; r++) {
      echo.rust.push(mbps(total, await rs.rustTcpEcho(o.peers.tcpEcho, total, chunk)));
      echo.go.push(mbps(total, await go.goTcpEcho(o.peers.tcpEcho, total, chunk)));
      log(`pagenet relay echo rep ${r + 1}: rust tcp ${echo.rust[r].toFixed(0)} MiB/s, go pagenet ${echo.go[r].toFixed(0)}`);
    }
    const goPinger = async (): Promise<Pinger> => {
      const id = await go.goPingerOpen(o.peers.tcpEcho);
      return {
        ping: (b: number) => go.goPing(id, b),
        async close() {
          go.goPingerClose(id);
        },
      } as unknown as Pinger;
    };
    const series: Record<string, () => Promise<Pinger>> = { rust: () => rs.Pinger.openTcp(o.peers.tcpEcho), go: goPinger };
    const ping = await interleavedPings(series, Math.max(1, Math.floor(o.pings / 10 / 2)));
    const relayUrl = `http://${o.peers.tcpHttp}/bytes?n=${Math.min(total, 16 * MiB)}`;
    const http: Record<string, number[]> = { fetch: [], pagenet: [] };
    await go.goPagenetGet(relayUrl);
    for (let r = 0; r < o.reps; r++) {
      const n = Math.min(total, 16 * MiB);
      const [fMs, fBytes] = await go.goHttpGet(relayUrl);
      const [pMs, pBytes] = await go.goPagenetGet(relayUrl);
      if (fBytes !== n || pBytes !== n) throw new Error(`pagenet http: got ${fBytes} / ${pBytes} bytes`);
      http.fetch.push(mbps(n, fMs));
      http.pagenet.push(mbps(n, pMs));
    }
    out.pagenet = {
      echo: { rust: median(echo.rust), go: median(echo.go), runs: echo },
      ping,
      http: { fetch: median(http.fetch), pagenet: median(http.pagenet), mib: Math.min(total, 16 * MiB) / MiB, runs: http },
    };
    const pn = out.pagenet;
    log(`pagenet ping p50/p99 ms: rust ${pn.ping.rust.p50.toFixed(3)}/${pn.ping.rust.p99.toFixed(3)}, go ${pn.ping.go.p50.toFixed(3)}/${pn.ping.go.p99.toFixed(3)}; http fetch ${pn.http.fetch.toFixed(0)} MiB/s, pagenet ${pn.http.pagenet.toFixed(0)}`);
  }

  out.userAgent = navigator.userAgent;
  out.webSocketStream = HAS_STREAM;
  out.crossOriginIsolated = crossOriginIsolated;
  return out;
}

(window as any).runBenchmarks = runBenchmarks;
(window as any).benchReady = true;
