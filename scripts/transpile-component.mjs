// node scripts/transpile-component.mjs COMPONENT.wasm OUTDIR: a wasip2
// component as ES module + core wasm, by jco (npm @bytecodealliance/
// jco-transpile, a devDependency), for go-net-wasm/wasip2 in a page: its
// imports supplied at instantiation (so WASIShim({ sockets }) can give it
// this package's sockets), and JSPI for the calls that wait (wasi:io's poll,
// pollable.block and the blocking stream calls) and for `run`.
import { mkdir, rm } from "node:fs/promises";
import { transpile, writeFiles } from "@bytecodealliance/jco-transpile";

const [component, outDir] = process.argv.slice(2);
if (!component || !outDir) {
  console.error("usage: node scripts/transpile-component.mjs COMPONENT.wasm OUTDIR");
  process.exit(2);
}
await rm(outDir, { recursive: true, force: true });
await mkdir(outDir, { recursive: true });
const { files, imports } = await transpile(component, {
  name: "component",
  outDir,
  instantiation: "async",
  asyncMode: "jspi",
  asyncWasiImports: true,
  asyncWasiExports: true,
  noTypescript: true,
});
await writeFiles(files);
console.log(`transpiled ${component}: imports ${imports.join(", ")}`);
