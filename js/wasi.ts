// `go-net-wasm/wasi`: sockets for a wasm32-wasip1 program in a page. The
// host hands the guest a preview-1 implementation for files, stdio, clocks
// and random (browser_wasi_shim's `wasiImport`, or any other), and
// `WasiNet.imports()` lays the socket layer (js/wasi-sockets.ts) over it:
// the WasmEdge `sock_*` calls, and the socket fds' share of fd_read,
// fd_write, fd_close, fd_fdstat_get, fd_fdstat_set_flags and all of
// poll_oneoff (clocks included, so a guest's sleep no longer busy-waits).
//
// Blocking is JSPI where the browser has it: the imports that may wait are
// WebAssembly.Suspending, and `start()` runs `_start` through
// WebAssembly.promising, so a guest blocked in recv suspends while the page
// runs. Without JSPI (Chromium before 137, Firefox before 153, Safari before
// 27, WebKitGTK) a guest transformed by `wasm-opt --asyncify` unwinds
// instead (js/wasi-asyncify.ts); any other guest gets an error saying so.
import { netBindings } from "./net.js";
import { E } from "./wasi-abi.js";
import { ASYNCIFY_IMPORTS, ASYNCIFY_STACK, Asyncify, isAsyncified } from "./wasi-asyncify.js";
import { WasiSockets, type SocketTables, type WasiSocketOptions } from "./wasi-sockets.js";
import { wasinetImports } from "./wasi-wasinet.js";

export { E as WASI_ERRNO } from "./wasi-abi.js";
export { MAX_SUBSCRIPTIONS, SEND_CHUNK, WASI_SOCKET_DEFAULTS, type WasiSocketOptions } from "./wasi-sockets.js";
export { RESOLVER_DEFAULTS } from "./wasi-resolver.js";
export { ASYNCIFY_IMPORTS, ASYNCIFY_STACK, isAsyncified } from "./wasi-asyncify.js";

type Fn = (...args: never[]) => unknown;
/** A preview-1 implementation: browser_wasi_shim's WASI object, or just an import record. */
export type Preview1 = Record<string, Fn> | { wasiImport: Record<string, Fn>; fds?: unknown[]; inst?: unknown };

/** The imports that may wait (WebAssembly.Suspending, or Asyncify's unwinding ones). */
const WAITING = ASYNCIFY_IMPORTS.wasi_snapshot_preview1;
/** wasinet_v0's imports that may wait. */
const WASINET_WAITING = ASYNCIFY_IMPORTS.wasinet_v0;

interface Jspi {
  Suspending: new (f: Fn) => unknown;
  promising: (f: Fn) => (...args: unknown[]) => Promise<unknown>;
}

/** WebAssembly's JSPI API, or an Error saying it is missing. */
export function jspi(): Jspi | Error {
  const w = WebAssembly as unknown as Partial<Jspi>;
  if (typeof w.Suspending === "function" && typeof w.promising === "function") return w as Jspi;
  return new Error(
    "go-net-wasm/wasi needs JavaScript Promise Integration (WebAssembly.Suspending and WebAssembly.promising) " +
      "to let a wasip1 program block on a socket without freezing the page: Chromium 137, Firefox 153 and Safari 27 and later have it on by default; " +
      "this browser does not. Transform the guest with wasm-opt --asyncify (docs/wasi.md, \"Without JSPI\") to run it here.",
  );
}

/** How a guest's waiting imports wait: JSPI suspends the guest, Asyncify unwinds it (the guest must be transformed). */
export type Blocking = "jspi" | "asyncify";

export interface WasiNetOptions extends WasiSocketOptions {
  /** The tables to use (default: this package's, as registerNetBindings configures them). */
  tables?: SocketTables;
  /**
   * "jspi", "asyncify", or "auto" (the default): JSPI where the browser has
   * it, Asyncify elsewhere. An asyncified guest runs either way.
   */
  blocking?: Blocking | "auto";
  /** Bytes of guest memory lent to Asyncify while the guest unwinds (default ASYNCIFY_STACK, 64 KiB; at most 16 MiB). */
  asyncifyStack?: number;
}

/**
 * One guest's network: its own sockets, fds and policy. Make one per
 * instance; two guests in a page can hold different rights.
 */
export class WasiNet {
  readonly sockets: WasiSockets;
  /** How this guest waits: "jspi", or "asyncify" (chosen by `blocking`, for "auto" by whether the browser has JSPI). */
  readonly blocking: Blocking;
  private readonly asyncify: Asyncify;
  private instance?: WebAssembly.Instance;

  constructor(opts: WasiNetOptions = {}) {
    this.sockets = new WasiSockets(opts.tables ?? (netBindings as unknown as SocketTables), () => this.memory(), opts);
    const b = opts.blocking ?? "auto";
    if (b !== "auto" && b !== "jspi" && b !== "asyncify") throw new TypeError(`blocking must be "auto", "jspi" or "asyncify", not ${String(b)}`);
    this.blocking = b === "auto" ? (jspi() instanceof Error ? "asyncify" : "jspi") : b;
    const size = opts.asyncifyStack ?? ASYNCIFY_STACK;
    if (!Number.isInteger(size) || size < 1024 || size > 16 << 20) throw new RangeError(`asyncifyStack must be an integer from 1024 to 16 MiB, not ${String(size)}`);
    this.asyncify = new Asyncify(size);
  }

  /** How many times an asyncified guest has unwound to wait (0 under JSPI). */
  get unwinds(): number {
    return this.asyncify.waits;
  }

  /** A waiting import, as this guest waits: a Suspending (JSPI) or an unwinding wrapper (Asyncify). */
  private waiting(name: string, f: Fn): unknown {
    if (this.blocking === "asyncify") return this.asyncify.wrap(name, f as (...a: unknown[]) => unknown);
    const j = jspi();
    if (j instanceof Error) throw j;
    return new j.Suspending(f);
  }

  /** The last failure a socket call reported, in words (the guest only sees the errno). */
  get lastError(): string {
    return this.sockets.lastError;
  }

  /** The last 16 failures, newest last. */
  get errors(): readonly string[] {
    return this.sockets.errors;
  }

  /**
   * The whole import object: `wasi_snapshot_preview1` (see `imports()`) and
   * `wasinet_v0` (egdaemon/wasinet's socket calls, js/wasi-wasinet.ts), for
   * `WebAssembly.instantiate(module, net.importObject(shim))`.
   */
  importObject(preview1: Preview1): WebAssembly.Imports {
    const wasi_snapshot_preview1 = this.imports(preview1);
    const wasinet: Record<string, unknown> = {};
    for (const [name, f] of Object.entries(wasinetImports(this.sockets, () => this.memory())))
      wasinet[name] = WASINET_WAITING.includes(name) ? this.waiting(`wasinet_v0.${name}`, f as Fn) : f;
    return { wasi_snapshot_preview1, wasinet_v0: wasinet as WebAssembly.ModuleImports };
  }

  private memory(): WebAssembly.Memory {
    const mem = this.instance?.exports.memory;
    if (!(mem instanceof WebAssembly.Memory)) throw new Error("the guest has not been started (WasiNet.start) or exports no memory");
    return mem;
  }

  /**
   * The `wasi_snapshot_preview1` import object: `preview1`'s functions,
   * with the socket layer over them. Throws when `blocking` is "jspi" and
   * the browser has no JSPI.
   */
  imports(preview1: Preview1): WebAssembly.ModuleImports {
    if (this.blocking === "jspi") {
      const j = jspi();
      if (j instanceof Error) throw j;
    }
    const base = ("wasiImport" in preview1 && typeof preview1.wasiImport === "object" ? preview1.wasiImport : preview1) as Record<string, Fn>;
    const fds = "wasiImport" in preview1 ? (preview1 as { fds?: unknown[] }).fds : undefined;
    if (fds) this.sockets.fdKnown = (fd) => fds[fd] != null;
    else this.sockets.fdKnown = () => true;
    const own = this.ownImports(base);
    const out: Record<string, unknown> = { ...base };
    for (const [name, f] of Object.entries(own)) out[name] = WAITING.includes(name) ? this.waiting(name, f as Fn) : f;
    // A Suspending is an import value TypeScript's lib does not know yet.
    return out as WebAssembly.ModuleImports;
  }

  /** The socket layer's functions, each returning an errno or a Promise of one (js/wasi-sockets.ts). */
  ownImports(base: Record<string, Fn> = {}): Record<string, (...a: number[]) => number | Promise<number>> {
    const s = this.sockets;
    const pass = (name: string, args: number[]) => {
      const f = base[name] as unknown as ((...a: number[]) => number) | undefined;
      return f ? f(...args) : E.BADF;
    };
    const clockNow = (id: number): bigint => (id === 0 ? BigInt(Date.now()) * 1_000_000n : s.monotonic());
    // v1 and v2 differ in parameter counts; a JS import gets exactly the guest's.
    return {
      sock_open: (af, type, fdOut) => s.run("sock_open", () => s.open(af, type, fdOut)),
      sock_bind: (fd, addr, port) => s.run("sock_bind", () => s.bind(fd, addr, port)),
      sock_listen: (fd) => s.run("sock_listen", () => s.listen(fd)),
      sock_accept: (fd) => s.run("sock_accept", () => s.accept(fd)),
      sock_connect: (fd, addr, port) => s.run("sock_connect", () => s.connect(fd, addr, port)),
      sock_recv: (fd, iovs, n, flags, lenOut, oflagsOut) =>
        s.run("sock_recv", () => s.recv(fd, iovs, n, flags, lenOut, oflagsOut)),
      sock_recv_from: (...a) =>
        s.run("sock_recv_from", () =>
          a.length >= 8
            ? s.recvFrom(a[0], a[1], a[2], a[4], a[3], a[5], a[6], a[7]) // v2: fd, iovs, n, addr, flags, port*, len*, oflags*
            : s.recvFrom(a[0], a[1], a[2], a[4], a[3], undefined, a[5], a[6]), // v1: no port
        ),
      sock_send: (fd, iovs, n, _flags, lenOut) => s.run("sock_send", () => s.send(fd, iovs, n, lenOut)),
      sock_send_to: (fd, iovs, n, addr, port, _flags, lenOut) =>
        s.run("sock_send_to", () => s.sendTo(fd, iovs, n, addr, port, lenOut)),
      sock_shutdown: (fd, how) => s.run("sock_shutdown", () => s.shutdown(fd, how)),
      sock_getlocaladdr: (...a) => s.run("sock_getlocaladdr", () => s.address("local", a)),
      sock_getpeeraddr: (...a) => s.run("sock_getpeeraddr", () => s.address("peer", a)),
      sock_getsockopt: (fd, level, name, value, lenPtr) =>
        s.run("sock_getsockopt", () => s.getsockopt(fd, level, name, value, lenPtr)),
      sock_setsockopt: (fd, level, name, value, len) =>
        s.run("sock_setsockopt", () => s.setsockopt(fd, level, name, value, len)),
      sock_getaddrinfo: (node, nodeLen, serv, servLen, hints, res, max, resLen) =>
        s.run("sock_getaddrinfo", () => s.getaddrinfo(node, nodeLen, serv, servLen, hints, res, max, resLen)),
      poll_oneoff: (inPtr, outPtr, n, nevents) => s.run("poll_oneoff", () => s.poll(inPtr, outPtr, n, nevents, clockNow)),
      // The monotonic clock is the socket layer's (never the same instant twice,
      // never before a clock event poll_oneoff reported); the others are the shim's.
      clock_time_get: (id, precision, outPtr) =>
        id === 1 ? s.run("clock_time_get", () => s.clockTimeGet(outPtr)) : pass("clock_time_get", [id, precision, outPtr]),
      fd_read: (fd, iovs, n, lenOut) =>
        s.owns(fd) ? s.run("fd_read", () => s.recv(fd, iovs, n, 0, lenOut)) : pass("fd_read", [fd, iovs, n, lenOut]),
      fd_write: (fd, iovs, n, lenOut) =>
        s.owns(fd) ? s.run("fd_write", () => s.send(fd, iovs, n, lenOut)) : pass("fd_write", [fd, iovs, n, lenOut]),
      fd_close: (fd) => (s.owns(fd) ? s.run("fd_close", () => s.close(fd)) : pass("fd_close", [fd])),
      fd_fdstat_get: (fd, ptr) => (s.owns(fd) ? s.run("fd_fdstat_get", () => s.fdstatGet(fd, ptr)) : pass("fd_fdstat_get", [fd, ptr])),
      // wasi-go's extension: with no directory fd (-1), a tcp+dial:// or
      // udp+dial:// path opens a socket; any other path is the file system's.
      path_open: (...a) => {
        const [dirFd, , pathPtr, pathLen, , , , fdflags, fdOut] = a;
        if (dirFd === -1 && pathLen > 0 && pathLen <= 2048) {
          let path: string | undefined;
          try {
            path = new TextDecoder().decode(new Uint8Array(this.memory().buffer, pathPtr, pathLen));
          } catch {
            path = undefined; // out of bounds: the file system's EFAULT/EBADF
          }
          if (path !== undefined && /^(tcp|udp)[46]?\+/.test(path))
            return s.run("path_open", () => s.openUrl(path, fdOut, fdflags) ?? E.INVAL);
        }
        return pass("path_open", a);
      },
      fd_fdstat_set_flags: (fd, flags) =>
        s.owns(fd) ? s.run("fd_fdstat_set_flags", () => s.fdstatSetFlags(fd, flags)) : pass("fd_fdstat_set_flags", [fd, flags]),
    };
  }

  /**
   * Runs the guest's `_start` (through WebAssembly.promising, so its
   * blocking calls suspend, or through Asyncify's loop, which rewinds it
   * after each wait) and resolves to its exit code; the socket layer's
   * sockets are closed however it ends. `preview1`, when it is
   * browser_wasi_shim's object, gets the instance too (it reads memory
   * through `inst`). A trap rejects with the trap.
   */
  async start(instance: WebAssembly.Instance, preview1?: Preview1): Promise<number> {
    const entry = instance.exports._start;
    if (typeof entry !== "function") throw new TypeError("the guest exports no _start function (is it a wasip1 command?)");
    let run: () => Promise<unknown>;
    if (this.blocking === "asyncify") {
      if (!isAsyncified(instance)) {
        const j = jspi();
        throw j instanceof Error ? j : new Error("this WasiNet unwinds (blocking: \"asyncify\"), and the guest was not transformed by wasm-opt --asyncify (scripts/asyncify.sh)");
      }
      run = () => this.asyncify.run(instance, entry as () => unknown);
    } else {
      const j = jspi();
      if (j instanceof Error) throw j;
      run = () => j.promising(entry as Fn)();
    }
    this.instance = instance;
    if (preview1 && "wasiImport" in preview1) (preview1 as { inst?: unknown }).inst = instance;
    try {
      await run();
      return 0;
    } catch (e) {
      const code = (e as { code?: unknown })?.code;
      if (e instanceof Error && e.constructor.name === "WASIProcExit" && typeof code === "number") return code;
      throw e;
    } finally {
      this.sockets.closeAll();
    }
  }
}
