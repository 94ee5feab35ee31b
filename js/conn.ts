// The Conn table behind Rust's `net::Conn` (Go's net.Conn): one byte stream
// per handle, whatever carries it: a WebSocket (js/ws.ts), a Wisp stream
// through the relay or a wsproxy WebSocket (js/relay.ts). Every connection
// lives here under an integer handle that is never reused, so a stale
// handle can never reach a newer connection.
//
// Semantics (Go's net.Conn, see README "Dial over WebSocket"):
// - Incoming messages are queued as chunks, never concatenated. Read(max)
//   returns up to `max` bytes, splitting a message across Reads and joining
//   several messages in one Read. Text messages become their UTF-8 bytes.
// - Write(p) sends p in chunks of at most `maxMessageBytes` (a transport
//   may ask for smaller ones), each only while the transport has room
//   (bufferedAmount at or below `writeHighWaterBytes`; for a Wisp stream
//   also the relay's credit); otherwise it waits, bounded by the write
//   deadline. A Write on a closed connection fails; it never "succeeds".
// - Deadlines are absolute (epoch ms, 0 = none) and timer-driven. A pending
//   operation wakes at its deadline with a timeout; the connection stays
//   usable. Changing a deadline applies to pending operations.
// - Receive bound, `readLimitBytes` of queue cost per connection: the bytes
//   plus MESSAGE_COST per queued chunk, so a flood of tiny messages is
//   bounded too (small messages are packed into shared blocks, so such a
//   flood costs about its payload, and drains in O(1) per message). A
//   transport that can stop reading (WebSocketStream) stops at the bound:
//   real backpressure. One that cannot (the classic WebSocket API; a Wisp
//   stream, which shares its socket with other streams) is closed when it
//   goes over the bound, and Read returns the queued bytes, then an error
//   saying so.
//
// Reading is Go's poller pattern: `_netConnRead(h, dest)` copies queued
// bytes straight into `dest` (a view of the guest's memory, or a JS VM's
// own array: one copy per byte) and returns the count, or -1 when nothing
// is queued; then `_netConnReady(h, token)` registers a wait that is woken
// (js/wake.ts: a synchronous call into wasm, no Promise) when a read would
// not wait (data, the end, the read deadline, Close), and the caller tries
// again. Write returns the count when the transport has room, else a
// Promise of it. The table's conventions (shared with js/http.ts and
// js/relay.ts): the end of the stream is a thrown `{code: "eof"}`, a stale
// handle a thrown `{code: "closed"}`; `_netConnForget(h, key)` drops a
// waiter whose caller went away without settling or waking it (key: the
// Promise a call returned, or the token given to Ready); `_netConnRelease(h)`
// frees a handle settling nothing (an abandoned dial, a dropped Conn).
import { CLOSED, EOF, other, type NetError } from "./errors.js";
import { HandleTable } from "./table.js";
import { OPEN_GATE, type Gate } from "./policy.js";
import { checkToken, wakeAll } from "./wake.js";
import { constructorError, createWsTransport, type WsOptions } from "./ws.js";

export const TIMEOUT: NetError = { code: "timeout" };
export { other };

/** What one queued chunk costs beyond its bytes (a JS object and its
 *  backing store bookkeeping), charged against readLimitBytes. */
export const MESSAGE_COST = 128;
/** Messages up to this size are copied into shared blocks of PACK_BLOCK
 *  bytes instead of being queued one object each. */
const PACK_MAX = 2048;
const PACK_BLOCK = 64 * 1024;

/** setTimeout's largest delay; longer deadlines re-arm when it fires. */
export const MAX_TIMER_MS = 2 ** 31 - 1;


export interface Waiter<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: NetError): void;
}

export function waiter<T, X extends object>(extra: X): Waiter<T> & X {
  let resolve!: (v: T) => void;
  let reject!: (e: NetError) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
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

/** A poll every `ms` while `wanted()`: waiting writes re-check for room (no drain event exists). */
export class Poller {
  private timer?: ReturnType<typeof setTimeout>;
  constructor(
    private readonly ms: () => number,
    private readonly wanted: () => boolean,
    private readonly run: () => void,
  ) {}
  schedule() {
    if (this.timer !== undefined || !this.wanted()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, this.ms());
  }
  cancel() {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}

/** What a Conn needs from whatever carries its bytes; events flow back
 *  through `TransportEvents`. */
export interface Transport {
  /** May bytes be sent now? */
  readonly open: boolean;
  /** True when the transport can stop reading (real backpressure). */
  readonly pausable: boolean;
  /** The largest chunk send() takes (the Conn also caps at maxMessageBytes). */
  readonly maxChunk: number;
  /** Can send() take another chunk now (bufferedAmount, relay credit)? */
  hasRoom(highWater: number): boolean;
  /**
   * Hands `chunk` over. Unless `owned`, it may be a view into wasm memory,
   * so a transport that writes later must copy it; an owned chunk is ours
   * already (never copy a byte twice).
   */
  send(chunk: Uint8Array, owned: boolean): void;
  /** Stops or resumes reading (pausable transports only). */
  setReading(on: boolean): void;
  /** "normal": Go's Close. "limit": the receive bound was exceeded. */
  close(kind: "normal" | "limit"): void;
  /** Stops all events and closes normally (Go's Close) if still open or
   *  opening; a transport already closed does nothing more. */
  dispose(): void;
  /** How a "limit" close shows on the wire, for the error Read returns. */
  readonly limitNote: string;
  /**
   * The most one message may take past the receive bound before it is cut:
   * a WebSocket message is the browser's already (kept whole), a relay's
   * DATA packet is the relay's choice of size (cut at maxPacketBytes).
   */
  readonly maxOverflow: number;
}

export interface TransportEvents {
  onOpen(): void;
  onMessage(data: ArrayBuffer | string | Uint8Array): void;
  /** Reading ends once the queue drains: `undefined` is EOF, else the
   *  error. Before onOpen, the dial fails with it. */
  onClose(err: NetError | undefined): void;
  /** No more writes (the peer or the network ended them). */
  onWritesEnd(err: NetError): void;
  /** The transport has room again (relay credit arrived): drain now. */
  onRoom(): void;
  /** The underlying socket or stream is released; called once, even
   *  after dispose(). What the policy counts. */
  onSocketGone(): void;
}

interface PendingWrite extends Waiter<number> {
  data: Uint8Array; // a copy: the caller's view into wasm memory is only valid during the call
  sent: number;
}

const encoder = new TextEncoder();

export class Conn {
  private readonly t: Transport;
  // Received chunks from queue[first] on; consumed slots are dropped in
  // batches, so draining costs O(1) per message however many are queued.
  private queue: Uint8Array[] = [];
  private first = 0;
  private head = 0; // bytes of queue[first] already read
  private queued = 0;
  // The block small messages are packed into; the last queue entry is a
  // view of buf[start:end] while it is in use.
  private block?: { buf: Uint8Array; start: number; end: number };
  private readonly waiting = new Waiting<PendingWrite>((w) => this.settleWriter(w, TIMEOUT));
  private readonly readers = this.waiting.readers;
  private readonly writers = this.waiting.writers;
  private readonly drainer = new Poller(
    () => this.opts.drainPollMs,
    () => this.writers.size > 0,
    () => this.drain(),
  );
  private dialTimer?: ReturnType<typeof setTimeout>;
  private opened?: Waiter<void>;
  /** Set once the stream has ended: undefined = EOF, else the error. */
  private end?: { err: NetError | undefined };
  /** Why writes fail from now on. */
  private writeErr?: NetError;

  constructor(
    makeTransport: (ev: TransportEvents) => Transport,
    private readonly opts: WsOptions,
    timeoutMs: number,
    private readonly onGone: () => void,
    onSocketGone: () => void,
    /** The receive queue is empty (after a read): see the table's count. */
    private readonly onDrained: () => void = () => {},
  ) {
    this.opened = waiter({});
    this.t = makeTransport({
      onOpen: () => this.onOpen(),
      onMessage: (data) => this.onMessage(data),
      onClose: (err) => this.onClose(err),
      onWritesEnd: (err) => this.endWrites(err),
      onRoom: () => this.writers.size > 0 && this.drain(),
      onSocketGone,
    });
    if (timeoutMs > 0) this.armDialTimer(Date.now() + timeoutMs);
  }

  /** The dial timeout, re-armed in steps past setTimeout's range. */
  private armDialTimer(at: number) {
    const ms = at - Date.now();
    if (ms <= 0) return this.failDial(TIMEOUT);
    this.dialTimer = setTimeout(() => this.armDialTimer(at), Math.min(ms, MAX_TIMER_MS));
  }

  openedPromise(): Promise<void> {
    return this.opened?.promise ?? Promise.resolve();
  }

  private onOpen() {
    clearTimeout(this.dialTimer);
    const w = this.opened;
    this.opened = undefined;
    w?.resolve();
  }

  private failDial(err: NetError) {
    const w = this.opened;
    this.dispose();
    w?.reject(err);
  }

  private onMessage(data: ArrayBuffer | string | Uint8Array) {
    if (this.end) return;
    let chunk =
      typeof data === "string" ? encoder.encode(data) : data instanceof Uint8Array ? data : new Uint8Array(data);
    if (chunk.length === 0) return;
    // A message past the bound by more than the transport's own maximum is
    // cut (copied, so the rest of it can be collected): the stream ends with
    // the bound's error either way.
    const room = this.opts.readLimitBytes - this.cost() + this.t.maxOverflow;
    if (!this.t.pausable && chunk.length > room) chunk = chunk.slice(0, Math.max(0, room));
    // The chunk that crosses the limit is kept (nothing is dropped); the
    // transport is closed so no more arrive.
    this.enqueue(chunk);
    if (this.t.pausable) {
      // Backpressure: stop reading at the bound, resume as Read drains.
      if (this.cost() >= this.opts.readLimitBytes) this.t.setReading(false);
    } else if (this.cost() > this.opts.readLimitBytes) {
      this.end = {
        err: other(
          `receive buffer limit of ${this.opts.readLimitBytes} bytes exceeded; connection closed (${this.t.limitNote})`,
        ),
      };
      this.t.close("limit");
      this.endWrites(this.end.err!);
    }
    this.pumpReads();
  }

  /** Queues a chunk; a small one is copied into the current block. */
  private enqueue(chunk: Uint8Array) {
    this.queued += chunk.length;
    if (chunk.length > PACK_MAX) {
      this.block = undefined;
      this.queue.push(chunk);
      return;
    }
    let b = this.block;
    if (!b || b.end + chunk.length > b.buf.length) {
      b = this.block = { buf: new Uint8Array(PACK_BLOCK), start: 0, end: 0 };
      this.queue.push(b.buf.subarray(0, 0));
    } else if (b.start === b.end) {
      this.queue.push(b.buf.subarray(b.start, b.start)); // its last view was read: a new one after it
    }
    b.buf.set(chunk, b.end);
    b.end += chunk.length;
    this.queue[this.queue.length - 1] = b.buf.subarray(b.start, b.end);
  }

  /** The receive queue's cost: bytes plus MESSAGE_COST per chunk object. */
  cost(): number {
    return this.queued + MESSAGE_COST * (this.queue.length - this.first);
  }

  private onClose(err: NetError | undefined) {
    if (this.opened) return this.failDial(err ?? other("connection closed before it opened"));
    this.end ??= { err };
    this.pumpReads();
  }

  private endWrites(err: NetError) {
    if (this.opened) return; // a failed dial is reported by onClose
    this.writeErr ??= err;
    for (const w of this.writers.take()) this.settleWriter(w, this.writeErr);
  }

  // ---- reading -----------------------------------------------------------

  /**
   * Copies up to dest.length queued bytes into dest (splitting a message
   * across reads, joining several in one); returns the count, or -1 when
   * nothing is queued (then wait with ready()). Throws at the end of the
   * stream (eof, or why it ended) and once the read deadline has passed.
   */
  read(dest: Uint8Array): number {
    if (this.readers.expired()) throw TIMEOUT;
    if (this.queued > 0) return this.take(dest);
    if (this.end) throw this.end.err ?? EOF;
    return -1;
  }

  /** Wakes `token` when a read would not return -1: data, the end, the read deadline, Close. */
  ready(token: number) {
    this.waiting.ready(token);
  }

  private take(dest: Uint8Array): number {
    let n = 0;
    while (n < dest.length && this.queued > 0) {
      const chunk = this.queue[this.first];
      const k = Math.min(dest.length - n, chunk.length - this.head);
      dest.set(this.head === 0 && k === chunk.length ? chunk : chunk.subarray(this.head, this.head + k), n);
      n += k;
      this.head += k;
      this.queued -= k;
      if (this.head === chunk.length) {
        this.head = 0;
        this.first++;
        // The block's view is used up: later small messages start a new view.
        if (this.block && chunk.buffer === this.block.buf.buffer) this.block.start = this.block.end;
        if (this.first === this.queue.length) {
          this.queue = [];
          this.first = 0;
        } else if (this.first >= 1024 && this.first * 2 >= this.queue.length) {
          this.queue = this.queue.slice(this.first);
          this.first = 0;
        }
      }
    }
    if (this.t.pausable && this.cost() < this.opts.readLimitBytes) this.t.setReading(true);
    if (this.queued === 0) this.onDrained();
    return n;
  }

  /** Wakes every waiting reader when a read would not return -1. */
  private pumpReads() {
    if ((this.queued > 0 || this.end) && this.readers.size > 0) wakeAll(this.readers.take());
  }

  // ---- writing -----------------------------------------------------------

  write(data: Uint8Array): number | Promise<number> {
    if (this.writers.expired()) throw TIMEOUT;
    if (this.writeErr) throw this.writeErr;
    if (!this.t.open) throw other("connection is not open");
    let sent = 0;
    if (this.writers.size === 0) sent = this.sendWhileRoom(data, 0, false);
    if (sent === data.length) return data.length;
    const w = waiter<number, { data: Uint8Array; sent: number }>({ data: data.slice(sent), sent });
    this.writers.add(w);
    this.drainer.schedule();
    return w.promise;
  }

  /**
   * Sends chunks from data[off:] while the transport has room; returns the
   * new offset. `owned`: data is our copy, not a view into wasm memory.
   */
  private sendWhileRoom(data: Uint8Array, off: number, owned: boolean): number {
    const { writeHighWaterBytes } = this.opts;
    const max = Math.max(1, Math.min(this.opts.maxMessageBytes, this.t.maxChunk));
    while (off < data.length && this.t.open && this.t.hasRoom(writeHighWaterBytes)) {
      const end = Math.min(data.length, off + max);
      this.t.send(data.subarray(off, end), owned);
      off = end;
    }
    return off;
  }

  private drain() {
    for (let w = this.writers.first(); w; w = this.writers.first()) {
      const off = this.sendWhileRoom(w.data, 0, true);
      w.sent += off;
      w.data = w.data.subarray(off);
      if (w.data.length > 0) break;
      this.writers.remove(w);
      w.resolve(w.sent);
    }
    this.drainer.schedule();
  }

  /** Rust's io::Write contract: a write that sent some bytes before failing
   *  reports them (Ok(n)); the error comes on the next call. */
  private settleWriter(w: PendingWrite, err: NetError) {
    if (w.sent > 0) w.resolve(w.sent);
    else w.reject(err);
  }

  // ---- control -----------------------------------------------------------

  setDeadline(which: number, at: number) {
    this.waiting.setDeadline(which, at);
  }

  /** Forgets a waiting operation without settling it (its caller went away). */
  forget(key: unknown) {
    this.waiting.forget(key);
  }

  /** Go's Close: pending operations fail with ErrClosed (a waiting reader
   *  wakes, and its next read finds the handle gone). */
  close() {
    const opened = this.opened;
    this.opened = undefined;
    this.waiting.close(
      (w) => this.settleWriter(w, CLOSED),
      () => this.dispose(),
    );
    opened?.reject(CLOSED);
  }

  /** Drops everything without settling anything (the dial was abandoned). */
  dispose() {
    this.drainer.cancel();
    clearTimeout(this.dialTimer);
    this.waiting.clear();
    this.opened = undefined;
    this.t.dispose();
    this.queue = [];
    this.first = 0;
    this.queued = 0;
    this.block = undefined;
    this.onGone();
  }
}

/** How a Conn table opens one connection: the transport, given its events. */
export type Dialer = (ev: TransportEvents) => Transport;

/** The bindings Rust imports (`_netConn*`), over one handle table. */
export function createConnBindings(options: () => WsOptions, gate: Gate = OPEN_GATE) {
  const table = new HandleTable<Conn>("Conns");
  let sockets = 0; // transports not yet released (closing ones too), and Conns holding unread bytes
  /** Adds a connection made by `dialer`; returns its handle. */
  const add = (dialer: Dialer, timeoutMs: number): number =>
    table.add((h) => {
      // A Conn counts against maxConnections while its socket lives, and
      // after that while it still holds received bytes the guest has not
      // read or closed: what it holds is memory the policy bounds.
      let socket = true;
      let counted = true;
      let conn: Conn | undefined = undefined;
      const settle = () => {
        if (counted && !socket && (!table.has(h) || !conn || conn.cost() === 0)) {
          counted = false;
          sockets--;
        }
      };
      conn = new Conn(
        dialer,
        options(),
        timeoutMs,
        () => (table.delete(h), settle()),
        () => ((socket = false), settle()),
        () => settle(),
      );
      sockets++;
      return conn;
    });
  const get = (h: number): Conn => table.get(h);
  return {
    /** For js/relay.ts: opens a connection over another transport. */
    addConn: add,
    /** Starts a WebSocket dial; returns the handle. Throws a NetError for a bad URL. */
    _netConnDialWs(url: string, timeoutMs: number): number {
      const denied = gate.check(url);
      if (denied) throw denied;
      const o = options();
      try {
        return add((ev) => createWsTransport(url, o, ev), timeoutMs);
      } catch (e) {
        throw constructorError(url, e);
      }
    },
    /** Resolves when the connection is open; rejects (and frees the handle) if it fails. */
    _netConnOpened: (h: number): Promise<void> => get(h).openedPromise(),
    /** Bytes copied into dest, or -1: nothing queued (wait with _netConnReady). Throws eof / errors. */
    _netConnRead: (h: number, dest: Uint8Array): number => get(h).read(dest),
    /** Wakes `token` (js/wake.ts) when a read would not return -1. */
    _netConnReady: (h: number, token: number): void => get(h).ready(token),
    _netConnWrite: (h: number, data: Uint8Array): number | Promise<number> => get(h).write(data),
    /** which: 1 read, 2 write, 3 both; at: epoch ms, 0 clears. */
    _netConnSetDeadline: (h: number, which: number, at: number): void => get(h).setDeadline(which, at),
    /** Drops a waiter (a Ready token, a write's Promise) without settling it. */
    _netConnForget: (h: number, key: unknown): void => table.peek(h)?.forget(key),
    _netConnClose: (h: number): void => get(h).close(),
    /** Abandons a dial or a dropped Conn: frees the handle, settles nothing. */
    _netConnRelease: (h: number): void => table.peek(h)?.dispose(),
    /** Open Conns (handles not yet closed or released). */
    _netConnCount: (): number => table.size,
    /** Host side, after a trap: the instance that held the handles is gone; close them all. */
    _netConnReset: (): void => table.all().forEach((c) => c.dispose()),
    /** Sockets and relay streams not yet released (closing ones included), and
     *  Conns still holding unread bytes: what the policy counts. */
    _netConnSockets: (): number => sockets,
    /** Receive queue cost of a Conn (bytes + MESSAGE_COST per chunk), for the benchmark. */
    _netConnQueueCost: (h: number): number => get(h).cost(),
  };
}
