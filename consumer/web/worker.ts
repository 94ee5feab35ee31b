// The Web Worker: where a browser-hosted VM usually runs.
import { run, type Peers } from "./program.js";

self.onmessage = async (e: MessageEvent<Peers>) => {
  try {
    self.postMessage({ ok: true, report: await run(e.data) });
  } catch (err) {
    self.postMessage({ ok: false, error: String(err) });
  }
};
