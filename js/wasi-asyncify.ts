// Blocking without JSPI: a guest transformed ahead of time by Binaryen's
// `wasm-opt --asyncify` (scripts/asyncify.sh) unwinds its own call stack
// into a buffer when an import must wait, returns to us, and is rewound into
// the same import once the wait is over. The imports, policy and bounds are
// the same functions JSPI suspends on; only the way of waiting differs.
//
// Why Asyncify and not a Worker blocking in Atomics.wait: the Worker way
// needs the page cross-origin isolated and a SharedArrayBuffer it can post,
// and WebKitGTK 2.50 (the engine without JSPI this package is tested in)
// reports crossOriginIsolated but refuses to post a shared memory
// (DataCloneError) and has no SharedArrayBuffer global. Asyncify needs
// nothing of the page, at the price of a build step and a larger, slower
// guest (docs/wasi.md has the numbers).
//
// Where the unwound stack lives: no address of a guest is free for us to
// take (Go's heap grows past any page we add; Rust keeps its stack at the
// bottom of memory), so the buffer is lent: the bytes at [0, size) are saved
// before an unwind and put back as soon as it ends, and again around the
// rewind. Between the two, while the guest waits, its memory is exactly its
// own, so the host's writes (a recv's bytes) land where the guest expects.

/** The imports `wasm-opt --asyncify` must let unwind: every import that may wait (the ones JSPI suspends on). */
export const ASYNCIFY_IMPORTS: Readonly<Record<string, readonly string[]>> = {
  wasi_snapshot_preview1: ["sock_connect", "sock_recv", "sock_recv_from", "sock_send", "sock_send_to", "sock_getaddrinfo", "poll_oneoff", "fd_read", "fd_write", "path_open"],
  wasinet_v0: ["sock_connect", "sock_recv_from", "sock_send_to", "sock_getaddrip"],
};

/** Bytes of guest memory lent to one unwind (the saved locals of every frame between `_start` and the import). */
export const ASYNCIFY_STACK = 64 * 1024;

const NORMAL = 0;
const UNWINDING = 1;
const REWINDING = 2;

interface AsyncifyExports {
  memory: WebAssembly.Memory;
  asyncify_start_unwind(data: number): void;
  asyncify_stop_unwind(): void;
  asyncify_start_rewind(data: number): void;
  asyncify_stop_rewind(): void;
  asyncify_get_state(): number;
}

const NAMES = ["asyncify_start_unwind", "asyncify_stop_unwind", "asyncify_start_rewind", "asyncify_stop_rewind", "asyncify_get_state"] as const;

/** Whether `instance` was transformed by `wasm-opt --asyncify` (exports its five functions and a memory). */
export function isAsyncified(instance: WebAssembly.Instance): boolean {
  const x = instance.exports;
  return x.memory instanceof WebAssembly.Memory && NAMES.every((n) => typeof x[n] === "function");
}

type Result = { value: unknown } | { error: unknown };

/** One guest's unwinds and rewinds. */
export class Asyncify {
  private x?: AsyncifyExports;
  private promise?: Promise<unknown>;
  private result?: Result;
  /** The guest's own bytes at [0, size) while the buffer is lent. */
  private saved?: Uint8Array;
  /** The unwound stack (with its 8-byte header) while the guest waits. */
  private stack?: Uint8Array;
  /** How many times the guest has waited (for tests and the docs' numbers). */
  waits = 0;

  constructor(readonly size = ASYNCIFY_STACK) {}

  /**
   * An import that may wait: `f` returns a value, or a Promise of one; for a
   * Promise the guest unwinds, and the value is what the import returns
   * when the guest is rewound into it.
   */
  wrap<A extends unknown[]>(name: string, f: (...a: A) => unknown): (...a: A) => unknown {
    return (...args: A) => {
      const x = this.x;
      if (!x) throw new Error(`${name} called before the guest was started (WasiNet.start)`);
      const state = x.asyncify_get_state();
      if (state === REWINDING) {
        x.asyncify_stop_rewind();
        this.giveBack();
        const r = this.result;
        this.result = undefined;
        if (!r) throw new Error(`the guest was rewound into ${name}, which did not unwind: it was transformed with another list of imports (scripts/asyncify.sh)`);
        if ("error" in r) throw r.error;
        return r.value;
      }
      if (state !== NORMAL)
        throw new Error(`${name} was called while the guest was unwinding: the guest was transformed without this import in --pass-arg=asyncify-imports (scripts/asyncify.sh lists them)`);
      const v = f(...args);
      if (!(v instanceof Promise)) return v;
      this.lend();
      x.asyncify_start_unwind(0);
      this.promise = v;
      return 0; // not seen by the guest: it is unwinding
    };
  }

  /** Runs `entry` (the guest's `_start`) to the end, waiting whenever the guest unwinds. */
  async run(instance: WebAssembly.Instance, entry: () => unknown): Promise<void> {
    if (!isAsyncified(instance)) throw new Error("the guest was not transformed by wasm-opt --asyncify (scripts/asyncify.sh)");
    this.x = instance.exports as unknown as AsyncifyExports;
    const x = this.x;
    if (x.memory.buffer.byteLength < this.size) throw new Error(`the guest's memory is smaller than the ${this.size}-byte Asyncify buffer`);
    for (;;) {
      try {
        entry();
      } catch (e) {
        if (x.asyncify_get_state() === REWINDING && this.saved) this.giveBack(); // a trap on the way back in
        if (x.asyncify_get_state() !== UNWINDING) throw e;
        // Asyncify traps (unreachable) when the frames outgrow the buffer.
        this.giveBack();
        throw new Error(`the guest's call stack did not fit the ${this.size}-byte Asyncify buffer while it unwound to wait (WasiNet's asyncifyStack option sets it)`, { cause: e });
      }
      if (x.asyncify_get_state() !== UNWINDING) return;
      x.asyncify_stop_unwind();
      this.takeBack();
      this.waits++;
      const p = this.promise!;
      this.promise = undefined;
      try {
        this.result = { value: await p };
      } catch (error) {
        this.result = { error };
      }
      this.lend(this.stack!);
      x.asyncify_start_rewind(0);
    }
  }

  /**
   * Saves the guest's bytes where the buffer goes and writes the buffer
   * there: an empty one (its header) before an unwind, the unwound `stack`
   * before a rewind.
   */
  private lend(stack?: Uint8Array): void {
    const mem = new Uint8Array(this.x!.memory.buffer);
    this.saved = mem.slice(0, stack ? stack.length : this.size);
    if (stack) {
      mem.set(stack, 0);
    } else {
      const h = new DataView(mem.buffer);
      h.setUint32(0, 8, true); // where the next frame goes
      h.setUint32(4, this.size, true); // the end: asyncify traps past it
    }
  }

  /** After an unwind: keeps the stack it wrote and gives the guest its bytes back. */
  private takeBack(): void {
    const mem = new Uint8Array(this.x!.memory.buffer);
    const used = new DataView(mem.buffer).getUint32(0, true);
    this.stack = mem.slice(0, used);
    this.giveBack();
  }

  private giveBack(): void {
    new Uint8Array(this.x!.memory.buffer).set(this.saved!, 0);
    this.saved = undefined;
  }
}
