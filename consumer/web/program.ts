// What the page and the worker both do: install the JS half from the npm
// package, load this app's own wasm (its crate depends on runtime-wasm),
// run the program. Works the same in a Window and in a Worker.
import { registerNetBindings } from "go-net-wasm/bindings";
import init, { runProgram } from "./pkg/consumer_app.js";

export interface Peers {
  doh: string;
  ws: string;
  http: string;
}

export async function run(peers: Peers): Promise<unknown> {
  const installed = registerNetBindings({ dns: { servers: [peers.doh] } });
  // esbuild leaves new URL(..., import.meta.url) alone: the .wasm is copied next to the bundle.
  await init({ module_or_path: new URL("./consumer_app_bg.wasm", import.meta.url) });
  const report = (await runProgram(peers.doh, peers.ws, peers.http)) as Record<string, unknown>;
  return { ...report, bindings: installed.length, where: typeof window === "undefined" ? "worker" : "page" };
}
