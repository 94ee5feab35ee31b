// What `init()` is for each prebuilt wasm (the default one, js/index.ts,
// and the TLS one, js/tls.ts): installs the bindings, instantiates the
// module once, and wraps its exports against traps.
//
// Trap recovery: a Rust panic is a wasm trap (runtime-wasm/src/trap.rs).
// The functions `init()` returns are the module's own, wrapped: a call that
// traps throws a clear Error (code "trap", with the panic message) instead
// of a bare "RuntimeError: unreachable"; every Promise the old instance
// still owed (an externWait, a callExtern) rejects with it, whether the
// trap hit during a call or later in a callback; the JS tables close what
// the old instance had open; and the next call runs on a fresh instance.
import { lastNetPanic, onNetTrap, registerNetBindings, type NetOptions } from "./net.js";

export interface InitOptions extends NetOptions {
  /** Where the .wasm is: a URL, a Response, bytes or a compiled module. */
  wasm?: string | URL | Response | BufferSource | WebAssembly.Module;
}

/** What a trapped call (or a Promise the trapped instance owed) throws. */
export class TrapError extends Error {
  readonly code = "trap";
  constructor(readonly call: string, readonly panic: string) {
    super(
      `runtime-wasm trapped${call ? ` in ${call}` : ""}: ${panic}; the module was reset: ` +
        `every Conn, request and pending extern call it held is gone, later calls work`,
    );
    this.name = "TrapError";
  }
}

/** The exports of a wasm-bindgen module built with the crate's js-api. */
interface RawModule {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- wasm-bindgen's own InitInput
  default: (opts?: any) => Promise<unknown>;
  installTrapRecovery(): void;
}

const HIDDEN = new Set(["default", "initSync", "__wbg_reset_state", "installTrapRecovery"]);

/** `init()` for one prebuilt module (its wasm-bindgen glue, imported). */
export function createInit<R extends RawModule>(raw: R) {
  type Wasm = Omit<R, "default" | "initSync" | "__wbg_reset_state" | "installTrapRecovery">;
  let ready: Promise<Wasm> | undefined;
  // One entry per module Promise the host still holds unsettled (its size is
  // the host's own count of pending calls); cleared as each settles.
  const owed = new Set<(e: Error) => void>();

  const tracked = <T>(p: Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      owed.add(reject);
      p.then(resolve, reject).finally(() => owed.delete(reject));
    });

  const guard = <F extends (...args: never[]) => unknown>(name: string, f: F): F =>
    ((...args: Parameters<F>) => {
      try {
        const r = f(...args);
        return r instanceof Promise ? tracked(r) : r;
      } catch (e) {
        if (e instanceof WebAssembly.RuntimeError) {
          raw.installTrapRecovery(); // a fresh instance now, with its hook
          throw new TrapError(name, lastNetPanic() || String(e));
        }
        throw e;
      }
    }) as F;

  const guarded = (): Wasm => {
    const out: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(raw)) {
      if (HIDDEN.has(name)) continue;
      out[name] = typeof v === "function" ? guard(name, v as (...a: never[]) => unknown) : v;
    }
    return out as Wasm;
  };

  /** Installs the bindings, then instantiates the wasm module (once). */
  return function init(opts: InitOptions = {}): Promise<Wasm> {
    const { wasm: source, ...netOpts } = opts;
    // Bindings first: the module may call them as soon as it starts.
    registerNetBindings(netOpts);
    if (!ready) {
      onNetTrap((message) => {
        const e = new TrapError("", message);
        for (const reject of owed) reject(e);
        owed.clear();
        // Not from inside the dying call: once it has unwound. The call
        // re-instantiates the module, and the hook goes on the fresh instance.
        queueMicrotask(() => raw.installTrapRecovery());
      });
      ready = raw.default(source === undefined ? undefined : { module_or_path: source }).then(() => {
        raw.installTrapRecovery();
        return guarded();
      });
    }
    return ready;
  };
}
