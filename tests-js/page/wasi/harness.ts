// The page side of tests-js/page/wasi.test.ts: what a host writes to run a
// wasip1 program with sockets (the README's dozen lines), plus a heartbeat
// that shows the page kept running while the guest blocked.
import { ConsoleStdout, File, OpenFile, WASI } from "@bjorn3/browser_wasi_shim";
import { registerNetBindings, type NetPolicy } from "../../../js/net.js";
import { WasiNet } from "../../../js/wasi.js";
import { WasiP2Net } from "../../../js/wasip2.js";
import { WASIShim } from "@bytecodealliance/preview2-shim/instantiation";

export interface GuestRun {
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

/** Runs the guest at `url` (NAME.wasm; NAME.asyncify.wasm when it must unwind: blocking "asyncify"). */
async function runGuest(url: string, env: Record<string, string>, policy?: NetPolicy, blocking?: "jspi" | "asyncify"): Promise<GuestRun> {
  let stdout = "", stderr = "";
  const shim = new WASI([url], Object.entries(env).map(([k, v]) => `${k}=${v}`), [
    new OpenFile(new File([])),
    ConsoleStdout.lineBuffered((l) => (stdout += l + "\n")),
    ConsoleStdout.lineBuffered((l) => (stderr += l + "\n")),
  ]);
  const net = new WasiNet({ policy, blocking });
  if (net.blocking === "asyncify") url = url.replace(/\.wasm$/, ".asyncify.wasm");
  const { instance } = await WebAssembly.instantiateStreaming(fetch(url), net.importObject(shim));
  let heartbeats = 0;
  const beat = setInterval(() => heartbeats++, 20);
  const t0 = performance.now();
  try {
    const code = await net.start(instance, shim);
    return { code, stdout, stderr, lastError: net.lastError, errors: [...net.errors], openAfter: net.sockets.size, heartbeats, ms: performance.now() - t0, blocking: net.blocking, unwinds: net.unwinds };
  } finally {
    clearInterval(beat);
  }
}

/**
 * A GOOS=js program (go/pagenet's test program) run by Go's own
 * wasm_exec.js (copied from the setup's Go by scripts/build-guests.sh):
 * what a Go user's page does. Its stdout is what wasm_exec.js logs.
 */
async function runGoJs(url: string, env: Record<string, string>): Promise<{ code: number; stdout: string; heartbeats: number; ms: number }> {
  const g = globalThis as unknown as { Go?: new () => any };
  if (!g.Go) {
    await new Promise<void>((ok, fail) => {
      const s = document.createElement("script");
      s.src = "/guests/wasm_exec.js";
      s.onload = () => ok();
      s.onerror = () => fail(new Error("no /guests/wasm_exec.js (scripts/build-guests.sh copies it from Go's GOROOT)"));
      document.head.append(s);
    });
  }
  const go = new g.Go!();
  go.env = env;
  go.argv = ["go-js"];
  let code = -1;
  go.exit = (c: number) => (code = c);
  let stdout = "";
  const log = console.log;
  console.log = (...a: unknown[]) => void (stdout += a.join(" ") + "\n");
  let heartbeats = 0;
  const beat = setInterval(() => heartbeats++, 20);
  const t0 = performance.now();
  try {
    const { instance } = await WebAssembly.instantiateStreaming(fetch(url), go.importObject);
    await go.run(instance);
    // wasm_exec.js leaves the Go runtime's pending timers armed after the
    // program exits, and each then throws "Go program has already exited"
    // from a setTimeout (a program's idle HTTP connections, a time.After):
    // a host clears them (docs/go.md).
    for (const t of go._scheduledTimeouts?.values?.() ?? []) clearTimeout(t);
  } finally {
    console.log = log;
    clearInterval(beat);
  }
  return { code, stdout, heartbeats, ms: performance.now() - t0 };
}

/**
 * A wasm32-wasip2 component transpiled by jco (scripts/transpile-component.mjs)
 * under `dir`: what a host writes (docs/wasip2.md), its stdout captured.
 */
async function runComponent(
  dir: string,
  env: Record<string, string>,
  opts: { policy?: NetPolicy; network?: boolean } = {},
): Promise<{ code: number; stdout: string; errors: string[]; openAfter: number; heartbeats: number; ms: number; trap?: string }> {
  let stdout = "";
  const decoder = new TextDecoder();
  const net = new WasiP2Net(opts);
  const shim = new WASIShim({
    sockets: net.sockets,
    environment: env,
    arguments: ["wasi-p2"],
    stdout: { write: (buf: Uint8Array) => void (stdout += decoder.decode(buf, { stream: true })) },
    stderr: { write: (buf: Uint8Array) => void (stdout += decoder.decode(buf, { stream: true })) },
  } as never);
  const { instantiate } = await import(/* @vite-ignore */ `${dir}/component.js`);
  let heartbeats = 0;
  const beat = setInterval(() => heartbeats++, 20);
  const t0 = performance.now();
  let code = 0;
  let trap: string | undefined;
  try {
    const component = await instantiate((name: string) => WebAssembly.compileStreaming(fetch(`${dir}/${name}`)), shim.getImportObject());
    await component.run.run();
  } catch (e) {
    // wasi:cli/exit's error, or a trap
    const c = (e as { exitError?: boolean; code?: number })?.code;
    if (typeof c === "number") code = c;
    else {
      code = -1;
      trap = String(e);
    }
  } finally {
    clearInterval(beat);
  }
  const openAfter = net.size; // sockets the component did not drop
  net.closeAll();
  return { code, stdout, errors: [...net.errors], openAfter, heartbeats, ms: performance.now() - t0, trap };
}

const w = window as unknown as Record<string, unknown>;
w.runComponent = runComponent;
w.configure = (relay: string, doh: string, policy?: NetPolicy) =>
  registerNetBindings({ relay: { url: relay }, dns: { servers: [doh] }, ...(policy ? { policy } : {}) });
w.runGoJs = runGoJs;
w.runGuest = runGuest;
w.harnessReady = true;
