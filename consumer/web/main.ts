// The page: runs the program itself, then in a module Worker, and shows
// both results (window.consumer, read by tests-js/page/consumer.test.ts).
// Also loads the package's prebuilt wasm through its loader and calls one
// extern, as a VM written in JS would.
import { init } from "go-net-wasm";
import type { ExternValue } from "go-net-wasm/types";
import { run, type Peers } from "./program.js";

const q = new URLSearchParams(location.search);
const peers: Peers = { doh: q.get("doh") ?? "", ws: q.get("ws") ?? "", http: q.get("http") ?? "" };
const out: Record<string, unknown> = {};
const show = () => {
  document.getElementById("out")!.textContent = JSON.stringify(out, null, 2);
  (window as any).consumer = out;
};

async function inWorker(): Promise<unknown> {
  const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
  const answer = await new Promise<any>((ok) => {
    worker.onmessage = (e) => ok(e.data);
    worker.onerror = (e) => ok({ ok: false, error: `worker error: ${e.message}` });
    worker.postMessage(peers);
  });
  worker.terminate();
  return answer;
}

async function prebuilt(): Promise<unknown> {
  const wasm = await init({ wasm: new URL("./runtime_wasm_bg.wasm", import.meta.url) });
  const [addrs, err] = (await wasm.callExtern("net.lookupHost", ["a.test.example"])) as ExternValue[];
  return { addrs, err };
}

for (const [key, f] of [["page", () => run(peers)], ["worker", inWorker], ["prebuilt", prebuilt]] as const) {
  try {
    const r: any = await f();
    out[key] = key === "worker" ? r : { ok: true, report: r };
  } catch (err) {
    out[key] = { ok: false, error: String(err) };
  }
  show();
}
out.done = true;
show();
