// Readiness wakes into wasm, without a Promise per wait. A wasm instance
// registers one callback once (`_netSetWaker(f)`, runtime-wasm/src/host/wake.rs)
// and gets an id; every wait it starts (`_netConnReady(h, token)` and the
// HTTP and UDP tables' `*Ready`) carries a token whose high part is that
// id (token = id * 2^32 + slot). When a read would no longer find the queue
// empty, the table calls `wake(token)`: a synchronous call into the right
// instance, which wakes the Rust task waiting on that slot. Nothing is
// allocated per wait on either side (the Promise and the two closures of a
// JsFuture used to be, plus two microtask hops before the task ran).
//
// Several instances may share one table (a page's own crate build and the
// npm package's prebuilt wasm); the id keeps their tokens apart. An
// instance that traps keeps its id (ids are never reused): its tables are
// reset by the trap handler (js/net.ts), so no token of it is woken later,
// and a wake that throws (a dead instance) is swallowed here so it cannot
// break the table that called it.

type WakeFn = (token: number) => void;

/** A token's high part: the instance's id. */
const ID_UNIT = 2 ** 32;

const wakers: WakeFn[] = [];

/** `_netSetWaker`: registers an instance's callback; returns its id. */
export function setWaker(f: WakeFn): number {
  if (typeof f !== "function") throw new TypeError("_netSetWaker: expected a function");
  wakers.push(f);
  return wakers.length - 1;
}

/** Wakes the waiter that gave `token` to a `*Ready` call. */
export function wake(token: number): void {
  const f = wakers[Math.floor(token / ID_UNIT)];
  try {
    f?.(token);
  } catch {
    // A trapped instance: its tables are being reset (js/net.ts).
  }
}

/** Wakes every token in `tokens`. */
export function wakeAll(tokens: readonly number[]): void {
  for (const t of tokens) wake(t);
}

/** Checks a token from a `*Ready` call (a table must never hold a value it cannot wake). */
export function checkToken(token: number): number {
  if (!Number.isSafeInteger(token) || token < 0) throw new TypeError(`invalid wait token ${token}`);
  return token;
}

/**
 * A JS host's own waiter (the WASI hosts): one waker id, and a callback per
 * token, run once when the table wakes it. `cancel` drops a token that will
 * not be waited on; it says whether the token was still pending.
 */
export class WakeSlots {
  private readonly id: number;
  private readonly pending = new Map<number, () => void>();
  private next = 1;
  constructor() {
    this.id = setWaker((token) => {
      const f = this.pending.get(token);
      this.pending.delete(token);
      f?.();
    });
  }
  /** A token for a `*Ready` call that runs `f` when woken. */
  token(f: () => void): number {
    const t = this.id * ID_UNIT + (this.next++ % ID_UNIT);
    this.pending.set(t, f);
    return t;
  }
  cancel(token: number): boolean {
    return this.pending.delete(token);
  }
}

