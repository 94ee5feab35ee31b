// How every table waits (js/conn.ts, js/relay.ts, js/http.ts): one-shot
// waiters, the waiting side of a connection with its deadline, and the poll
// that re-checks for room where the browser has no drain event. Deadlines
// past setTimeout's range re-arm in steps.
import type { NetError } from "./errors.js";
import { checkToken, wakeAll } from "./wake.js";

/** setTimeout's largest delay; longer deadlines re-arm when it fires. */
export const MAX_TIMER_MS = 2 ** 31 - 1;


export interface Waiter<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: NetError): void;
}

/** A one-shot Promise with its settle functions (and `extra` fields). A
 *  dropped waiter's rejection is never reported as unhandled. */
export function waiter<T, X extends object = object>(extra: X = {} as X): Waiter<T> & X {
  let resolve!: (v: T) => void;
  let reject!: (e: NetError) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  promise.catch(() => {});
  return Object.assign(extra, { promise, resolve, reject });
}

/**
 * The operations waiting on one side of a connection (reads: wake tokens;
 * writes: waiters) and that side's deadline: one timer, re-armed in steps
 * past setTimeout's range; at the deadline every waiter is handed to
 * `expire`. Kept in arrival order under a key (the token, the write's
 * Promise), so forgetting one costs O(1) however many wait: a guest that
 * starts and drops many waits cannot make each drop scan them all.
 */
export class Side<W> {
  readonly items = new Map<unknown, W>();
  deadline = 0;
  private timer?: ReturnType<typeof setTimeout>;
  constructor(
    private readonly expire: (ws: W[]) => void,
    private readonly keyOf: (w: W) => unknown = (w) => w,
  ) {}

  get size(): number {
    return this.items.size;
  }
  /** The oldest waiter. */
  first(): W | undefined {
    return this.items.values().next().value;
  }
  expired(): boolean {
    return this.deadline !== 0 && Date.now() >= this.deadline;
  }
  add(w: W) {
    this.items.set(this.keyOf(w), w);
    this.arm();
  }
  setDeadline(at: number) {
    this.deadline = at;
    this.arm();
  }
  /** Removes and returns every waiter. */
  take(): W[] {
    this.disarm();
    const all = [...this.items.values()];
    this.items.clear();
    return all;
  }
  /** Drops the waiter under `key` (its token, its Promise), settling it not. */
  forget(key: unknown) {
    if (this.items.delete(key) && this.items.size === 0) this.disarm();
  }
  /** Drops a waiter, settling it not. */
  remove(w: W) {
    this.forget(this.keyOf(w));
  }
  // (Only when a timer is set: every wait passes here, most with no deadline.)
  private disarm() {
    if (this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
  private arm() {
    this.disarm();
    if (this.items.size === 0 || this.deadline === 0) return;
    const ms = this.deadline - Date.now();
    if (ms <= 0) return this.expire(this.take());
    this.timer = setTimeout(() => this.arm(), Math.min(ms, MAX_TIMER_MS));
  }
}

/**
 * The waiting reads and writes of one connection (a Conn, a PacketConn):
 * Go's deadlines for each side, forgetting a waiter whose caller went
 * away, and Close. At the read deadline readers wake (their next read
 * finds it expired); at the write deadline `expireWrite` settles writers.
 */
export class Waiting<W extends Waiter<number>> {
  /** Wake tokens of the reads waiting (js/wake.ts). */
  readonly readers = new Side<number>(wakeAll);
  readonly writers: Side<W>;
  constructor(expireWrite: (w: W) => void) {
    this.writers = new Side<W>((ws) => ws.forEach(expireWrite), (w) => w.promise);
  }
  /** which: 1 read, 2 write, 3 both; at: epoch ms, 0 clears. */
  setDeadline(which: number, at: number) {
    if (which & 1) this.readers.setDeadline(at);
    if (which & 2) this.writers.setDeadline(at);
  }
  /** Waits for a read (`token`: js/wake.ts). */
  ready(token: number) {
    this.readers.add(checkToken(token));
  }
  /** Drops a waiter whose caller went away: a read's token or a write's Promise. */
  forget(key: unknown) {
    this.readers.forget(key);
    this.writers.forget(key);
  }
  /** Go's Close: readers wake (their next call finds the handle gone),
   *  writers get `failWrite`; `release` runs between taking and settling. */
  close(failWrite: (w: W) => void, release: () => void) {
    const readers = this.readers.take();
    const writers = this.writers.take();
    release();
    wakeAll(readers);
    for (const w of writers) failWrite(w);
  }
  /** Drops every waiter, settling none. */
  clear() {
    this.readers.take();
    this.writers.take();
  }
}

/**
 * Runs `f` in a task of its own (a MessageChannel message: no timer clamp).
 * One channel for every caller, in order.
 */
let channel: { port: MessagePort; due: Array<() => void> } | undefined;
export function inNextTask(f: () => void): void {
  if (!channel) {
    const ch = new MessageChannel();
    const c = { port: ch.port2, due: [] as Array<() => void> };
    ch.port1.onmessage = () => c.due.shift()?.();
    (ch.port1 as MessagePort & { unref?: () => void }).unref?.(); // Node: never keeps the process alive
    channel = c;
  }
  channel.due.push(f);
  channel.port.postMessage(0);
}

/** Resolves after the page has run one task (inNextTask). */
export function macrotask(): Promise<void> {
  return new Promise((ok) => inNextTask(ok));
}

/**
 * Browsers clamp a timer armed from a timer callback to 4 ms once five are
 * nested (HTML's rule; it held Firefox's Conn sends to about 250 MiB/s with
 * a 1 MiB high-water mark and a 2 ms poll). Arming each poll from a task of
 * its own starts a new chain. Node has no such clamp: there the timer is
 * armed at once (and fake timers in the unit suite see it).
 */
const IN_BROWSER = typeof (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node !== "string";

/** A poll every `ms` while `wanted()`: waiting writes re-check for room (no drain event exists). */
export class Poller {
  private timer?: ReturnType<typeof setTimeout>;
  private armed = false;
  constructor(
    private readonly ms: () => number,
    private readonly wanted: () => boolean,
    private readonly run: () => void,
  ) {}
  schedule() {
    if (this.armed || !this.wanted()) return;
    this.armed = true;
    const arm = () => {
      if (!this.armed) return; // cancelled before the timer was armed
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.armed = false;
        this.run();
      }, this.ms());
    };
    if (IN_BROWSER) inNextTask(arm);
    else arm();
  }
  cancel() {
    this.armed = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
