// Sums a CPU profile (bench/run.mjs with BENCH_PROFILE=FILE) by function:
// self time, most first, with each function's share of the samples.
//   node bench/profile.mjs FILE [TOP=40]
import { readFileSync } from "node:fs";

const [file, top = "40"] = process.argv.slice(2);
if (!file) throw new Error("usage: node bench/profile.mjs FILE [TOP]");
const p = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(p.nodes.map((n) => [n.id, n]));
// Sample i lasted timeDeltas[i + 1] (the next sample's delta).
const self = new Map();
let total = 0;
for (let i = 0; i < p.samples.length; i++) {
  const us = p.timeDeltas[i + 1] ?? 0;
  const f = byId.get(p.samples[i]).callFrame;
  const key = `${f.functionName || "(anonymous)"}  ${(f.url.split("/").pop() || "").slice(0, 40)}${f.url ? `:${f.lineNumber + 1}` : ""}`;
  self.set(key, (self.get(key) ?? 0) + us);
  total += us;
}
console.log(`${(total / 1e6).toFixed(2)} s sampled`);
for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(top)))
  console.log(`${(us / 1e3).toFixed(1).padStart(10)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${k}`);
