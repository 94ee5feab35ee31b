// Prints the benchmark table of docs/benchmarks.md (markdown) from a run's results:
//   node bench/table.mjs [target/bench/results.json]
// docs/benchmarks.md's table is this output, pasted whole, so every figure in it
// comes from one run.
import { readFileSync } from "node:fs";

const res = JSON.parse(readFileSync(process.argv[2] ?? "target/bench/results.json", "utf8"));
const cols = ["raw", "rawStream", "rust", "extern", "callExtern", "externInvoke", "gloo", "wasi", "asyncify", "wasip2", "go", "fetch", "epoxy", "stream", "classic", "ceiling"];
const c = res.nativeCeiling;
console.log(`${res.date.slice(0, 10)}, ${res.machine}, Chromium ${res.chromium}; ${res.options.mib} MiB per transfer, ${res.options.reps} reps (medians), ${res.options.pings} round trips per series, ${res.options.cycles} cycles.`);
console.log(`Ceilings measured in the same run without a browser: native peer receive ${c.receive}, send ${c.send}, echo ${c.echo}, HTTP ${c.http} MiB/s, ${c.smallMessages} one-byte messages/s${c.relay ? `; Wisp relay echo from a Node client ${c.relay} MiB/s` : ""}.\n`);
if (res.peers) console.log(`Comparison peers: ${Object.values(res.peers).map((p) => `${p.name} ${p.version} (${p.licence})`).join("; ")}.\n`);
console.log("| benchmark | value | target | columns |");
console.log("|---|---|---|---|");
for (const m of res.metrics) {
  const status = m.met === null ? "" : m.met ? `${m.target} met` : `${m.target} **missed by ${m.missedBy}**`;
  const cs = cols.filter((k) => m[k] !== undefined && m[k] !== null).map((k) => `${k} ${m[k]}`).join(", ");
  console.log(`| ${m.what.trim()} | ${m.value} ${m.unit} | ${status} | ${cs}${cs && m.columnsUnit ? ` (${m.columnsUnit})` : ""} |`);
}
const w = res.wasmSize;
console.log(`\nShipped wasm: ${w.raw} bytes raw, ${w.gzip} gzip -9.`);
const ff = res.engines?.firefox;
if (ff) {
  // The main rows in Firefox, each ratio against Firefox's own raw APIs, beside Chromium's.
  const theirs = Object.fromEntries(ff.metrics.map((m) => [m.id, m]));
  console.log(`\nThe main rows in Firefox ${ff.version} (same run, same peers; sections ${ff.sections.join(", ")}), beside Chromium ${res.chromium}:\n`);
  console.log("| benchmark | target | Chromium | Firefox | Firefox's columns |");
  console.log("|---|---|---|---|---|");
  for (const m of res.metrics) {
    const f = theirs[m.id];
    if (!f || m.target === null) continue;
    const cs = cols.filter((k) => f[k] !== undefined && f[k] !== null).map((k) => `${k} ${f[k]}`).join(", ");
    const mark = (x) => (x.met ? `${x.value}` : `**${x.value}**`);
    console.log(`| ${m.what.trim()} | ${m.target} | ${mark(m)} | ${mark(f)} | ${cs}${cs && f.columnsUnit ? ` (${f.columnsUnit})` : ""} |`);
  }
}
