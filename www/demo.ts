// The demo page's program: loads the wasm module and runs the Go address
// functions on each input line. Results are also left on
// `window.demoResults` for the page test.
import { init } from "../js/index.js";

type Cell = { ok: boolean; text: string };
type Row = { input: string; parseIP: Cell; parseCIDR: Cell; splitHostPort: Cell };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const logEl = $("log");
function log(line: string) {
  logEl.textContent += `${new Date().toISOString().slice(11, 23)}  ${line}\n`;
}

function cell(r: { ok: boolean; value?: unknown; error?: { message: string } }, show: (v: any) => string): Cell {
  return r.ok ? { ok: true, text: show(r.value) } : { ok: false, text: r.error!.message };
}

async function main() {
  const wasm = await init({ wasm: new URL("../pkg/runtime_wasm_bg.wasm", import.meta.url) });
  $("status").textContent = "ready";
  log("wasm module loaded, bindings installed");
  const run = () => {
    const rows: Row[] = [];
    const body = $("results").querySelector("tbody")!;
    body.replaceChildren();
    for (const input of $<HTMLTextAreaElement>("input").value.split("\n").map((s) => s.trim()).filter(Boolean)) {
      const ip = wasm.parseIP(input);
      const row: Row = {
        input,
        parseIP: ip === undefined || ip === null ? { ok: false, text: "<nil>" } : { ok: true, text: ip },
        parseCIDR: cell(wasm.parseCIDR(input), (v) => `${v.ip}  net ${v.net}`),
        splitHostPort: cell(wasm.splitHostPort(input), (v) => `host "${v[0]}" port "${v[1]}"`),
      };
      rows.push(row);
      const tr = document.createElement("tr");
      for (const c of [{ ok: true, text: input }, row.parseIP, row.parseCIDR, row.splitHostPort]) {
        const td = document.createElement("td");
        td.textContent = c.text;
        td.className = c.ok ? "ok" : "err";
        tr.append(td);
      }
      body.append(tr);
      log(`${input} → ParseIP ${row.parseIP.text}`);
    }
    (window as any).demoResults = rows;
    $("status").textContent = `ran ${rows.length} inputs`;
  };
  $("run").addEventListener("click", run);
  run();
}

main().catch((e) => {
  $("status").textContent = `failed: ${e}`;
  log(`error: ${e}`);
  (window as any).demoError = String(e);
});
