// Blocking without JSPI (js/wasi-asyncify.ts): small guests written here in
// text, transformed in the test by binaryen's own Asyncify pass (the npm
// build scripts/asyncify.sh runs), so each case is a real unwind and rewind.
// The real guests, asyncified by scripts/asyncify.sh, run in the page suite
// (tests-js/page/wasi.test.ts) and in WebKit (demo.test.ts).
import { readFileSync } from "node:fs";
import binaryen from "binaryen";
import { describe, expect, it } from "vitest";
import { ASYNCIFY_IMPORTS, ASYNCIFY_STACK, Asyncify, isAsyncified } from "../../js/wasi-asyncify.js";
import { WasiNet } from "../../js/wasi.js";

/** Compiles `wat`, with Asyncify letting `imports` unwind (none: not transformed). */
function guest(wat: string, imports: string[] | null): WebAssembly.Module {
  const m = binaryen.parseText(wat);
  try {
    if (imports) {
      binaryen.setPassArgument("asyncify-imports", imports.join(","));
      m.runPasses(["asyncify"]);
    }
    if (!m.validate()) throw new Error("invalid test guest");
    return new WebAssembly.Module(m.emitBinary() as Uint8Array<ArrayBuffer>);
  } finally {
    m.dispose();
  }
}

// deep(n, x): n frames, each with locals of every type, then wait(x); the
// sum of the frames' n plus what wait returned.
const DEEP = `
  (func $deep (param $n i32) (param $x i32) (result i32) (local $a i64) (local $b f64)
    (local.set $a (i64.extend_i32_u (local.get $n)))
    (local.set $b (f64.convert_i32_u (local.get $n)))
    (if (result i32) (i32.eqz (local.get $n))
      (then (call $wait (local.get $x)))
      (else (i32.add
        (i32.add (i32.wrap_i64 (local.get $a)) (i32.sub (i32.trunc_f64_u (local.get $b)) (local.get $n)))
        (call $deep (i32.sub (local.get $n) (i32.const 1)) (local.get $x))))))`;

const WAT = `(module
  (import "env" "wait" (func $wait (param i32) (result i32)))
  (memory (export "memory") 2)
  ${DEEP}
  (func (export "_start")
    (i64.store (i32.const 0) (i64.const 0x1122334455667788))
    (i64.store (i32.const 40000) (i64.const 0x0102030405060708))
    (i32.store (i32.const 70000) (call $deep (i32.const 10) (i32.const 100)))
    (i32.store (i32.const 70004) (i32.add (call $wait (i32.const 16)) (i32.load (i32.const 16))))
    (i64.store (i32.const 70008) (i64.load (i32.const 0)))
    (i64.store (i32.const 70016) (i64.load (i32.const 40000))))
  (func (export "deeper") (param $n i32)
    (i64.store (i32.const 0) (i64.const 0x1122334455667788))
    (drop (call $deep (local.get $n) (i32.const 100)))))`;

/** wait(x): after a macrotask, writes 1234 at x in the guest's memory and returns x + 1. */
function host(a: Asyncify, memory: () => WebAssembly.Memory, log: number[] = []) {
  return {
    env: {
      wait: a.wrap("env.wait", (x: number) => {
        log.push(x);
        return new Promise((ok) =>
          setTimeout(() => {
            new DataView(memory().buffer).setInt32(x, 1234, true);
            ok(x + 1);
          }, 1),
        );
      }),
    },
  };
}

function instantiate(module: WebAssembly.Module, a: Asyncify, log?: number[]) {
  let instance!: WebAssembly.Instance;
  instance = new WebAssembly.Instance(module, host(a, () => instance.exports.memory as WebAssembly.Memory, log) as WebAssembly.Imports);
  const view = () => new DataView((instance.exports.memory as WebAssembly.Memory).buffer);
  return { instance, view };
}

describe("Asyncify: unwind, wait, rewind", () => {
  it("a wait ten frames deep returns the host's value into the same frames; the host's writes land; the lent bytes are the guest's again", async () => {
    const a = new Asyncify();
    const log: number[] = [];
    const { instance, view } = instantiate(guest(WAT, ["env.wait"]), a, log);
    expect(isAsyncified(instance)).toBe(true);
    await a.run(instance, instance.exports._start as () => void);
    expect(log).toEqual([100, 16]);
    expect(a.waits).toBe(2);
    expect(view().getInt32(70000, true)).toBe(55 + 101); // the frames' sum, then wait's 101
    expect(view().getInt32(70004, true)).toBe(17 + 1234); // wait(16) wrote 1234 inside the lent bytes
    expect(view().getBigUint64(70008, true)).toBe(0x1122334455667788n); // the guest's own bytes at 0, as it wrote them
    expect(view().getBigUint64(70016, true)).toBe(0x0102030405060708n);
    expect(view().getInt32(100, true)).toBe(1234);
    expect(view().getInt32(4, true)).toBe(0x11223344); // nothing of the buffer's header left behind
  });

  it("frames that outgrow the buffer are a clear error, and the guest's bytes are put back", async () => {
    const a = new Asyncify(4096);
    const { instance, view } = instantiate(guest(WAT, ["env.wait"]), a);
    const deeper = instance.exports.deeper as (n: number) => void;
    await expect(a.run(instance, () => deeper(5000))).rejects.toThrow(/did not fit the 4096-byte Asyncify buffer.*asyncifyStack/);
    expect(view().getBigUint64(0, true)).toBe(0x1122334455667788n);
    // The default size holds far deeper waits than a guest's blocking calls make.
    const b = new Asyncify();
    const g = instantiate(guest(WAT, ["env.wait"]), b);
    await b.run(g.instance, () => (g.instance.exports.deeper as (n: number) => void)(1000));
    expect(b.waits).toBe(1);
    expect(ASYNCIFY_STACK).toBe(65536);
  });

  it("a wait that fails throws into the guest at the import (a trap that rejects run)", async () => {
    const a = new Asyncify();
    let instance!: WebAssembly.Instance;
    const imports = { env: { wait: a.wrap("env.wait", () => Promise.reject(new Error("the peer went away"))) } };
    instance = new WebAssembly.Instance(guest(WAT, ["env.wait"]), imports);
    await expect(a.run(instance, instance.exports._start as () => void)).rejects.toThrow("the peer went away");
    expect(new DataView((instance.exports.memory as WebAssembly.Memory).buffer).getBigUint64(0, true)).toBe(0x1122334455667788n);
  });

  it("a value returned at once does not unwind; a guest that was not transformed is refused", async () => {
    const a = new Asyncify();
    let instance!: WebAssembly.Instance;
    instance = new WebAssembly.Instance(guest(WAT, ["env.wait"]), { env: { wait: a.wrap("env.wait", (x: number) => x * 2) } });
    await a.run(instance, instance.exports._start as () => void);
    expect(a.waits).toBe(0);
    expect(new DataView((instance.exports.memory as WebAssembly.Memory).buffer).getInt32(70000, true)).toBe(55 + 200);
    const plain = new WebAssembly.Instance(guest(WAT, null), { env: { wait: () => 0 } });
    expect(isAsyncified(plain)).toBe(false);
    await expect(new Asyncify().run(plain, () => {})).rejects.toThrow(/not transformed by wasm-opt --asyncify/);
  });
});

// A guest of WasiNet's own imports: poll_oneoff on one 20 ms clock (a sleep),
// then the event count and the event's type stored at 300 and 304.
const SLEEP_WAT = `(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (i64.store (i32.const 0) (i64.const 7))          ;; userdata
    (i32.store8 (i32.const 8) (i32.const 0))         ;; tag: clock
    (i32.store (i32.const 16) (i32.const 1))         ;; monotonic
    (i64.store (i32.const 24) (i64.const 20000000))  ;; 20 ms, relative
    (i64.store (i32.const 32) (i64.const 0))
    (i32.store16 (i32.const 40) (i32.const 0))
    (i32.store (i32.const 308) (call $poll (i32.const 0) (i32.const 100) (i32.const 1) (i32.const 300)))
    (i32.store (i32.const 304) (i32.load8_u (i32.const 110)))))`;

describe("WasiNet without JSPI", () => {
  it("an asyncified guest's poll_oneoff waits by unwinding, through importObject and start", async () => {
    const net = new WasiNet({ blocking: "asyncify" });
    expect(net.blocking).toBe("asyncify");
    const module = guest(SLEEP_WAT, ASYNCIFY_IMPORTS.wasi_snapshot_preview1.map((n) => `wasi_snapshot_preview1.${n}`));
    const instance = new WebAssembly.Instance(module, net.importObject({}));
    const t0 = performance.now();
    expect(await net.start(instance)).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(15);
    const v = new DataView((instance.exports.memory as WebAssembly.Memory).buffer);
    expect([v.getInt32(308, true), v.getInt32(300, true), v.getUint8(304)]).toEqual([0, 1, 0]); // errno 0, one event, a clock event
    expect(net.unwinds).toBe(1);
  });

  it("a guest that was not transformed gets the reason and the way out; blocking is checked", async () => {
    const net = new WasiNet({ blocking: "asyncify" });
    const instance = new WebAssembly.Instance(guest(SLEEP_WAT, null), net.importObject({}));
    await expect(net.start(instance)).rejects.toThrow(/(JavaScript Promise Integration|not transformed).*wasm-opt --asyncify/);
    expect(() => new WasiNet({ blocking: "threads" as never })).toThrow(/blocking must be/);
    expect(() => new WasiNet({ asyncifyStack: 10 })).toThrow(/asyncifyStack/);
  });

  it("scripts/asyncify.sh lets exactly ASYNCIFY_IMPORTS unwind", () => {
    const script = readFileSync(new URL("../../scripts/asyncify.sh", import.meta.url), "utf8");
    const list = (name: string) => script.match(new RegExp(`^${name}=\\(([^)]*)\\)`, "m"))![1].trim().split(/\s+/);
    expect(list("WASI")).toEqual(ASYNCIFY_IMPORTS.wasi_snapshot_preview1);
    expect(list("WASINET")).toEqual(ASYNCIFY_IMPORTS.wasinet_v0);
  });
});
