// The Conn table behind Rust's `net::Conn` (Go's net.Conn): one byte stream
// per handle, whatever carries it: a WebSocket (js/ws.ts), a Wisp stream
// through the relay or a wsproxy WebSocket (js/relay.ts). Every connection
// lives here under an integer handle that is never reused, so a stale
// handle can never reach a newer connection.
//
// Semantics (Go's net.Conn, see docs/dial.md):
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
import { CLOSED, EOF, other, TIMEOUT, type NetError } from "./errors.js";
import { HandleTable } from "./table.js";
import { wakeAll } from "./wake.js";
import type { Dialer, Transport, TransportEvents } from "./transport.js";
import { MAX_TIMER_MS, Poller, waiter, Waiting, type Waiter } from "./waiting.js";
import type { WsOptions } from "./ws.js";

/** What one queued chunk costs beyond its bytes (a JS object and its
 *  backing store bookkeeping), charged against readLimitBytes. */
export const MESSAGE_COST = 128;
/** Messages up to this size are copied into shared blocks of PACK_BLOCK
 *  bytes instead of being queued one object each. */
const PACK_MAX = 2048;
const PACK_BLOCK = 64 * 1024;

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


/** The bindings Rust imports (`_netConn*`), over one handle table. */
export function createConnBindings(options: () => WsOptions) {
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
    // ---- the host's, not the guest's (not installed as _net*) ----
    /** After a trap: the instance that held the handles is gone; close them all. */
    /** After a trap: dispose every Conn but those `spare` keeps (another guest's). */
    resetConns: (spare: (h: number) => boolean = () => false): void =>
      table.entries().forEach(([h, c]) => spare(h) || c.dispose()),
    /** Sockets and relay streams not yet released (closing ones included), and
     *  Conns still holding unread bytes: what the policy counts. */
    connSockets: (): number => sockets,
    /** Receive queue cost of a Conn (bytes + MESSAGE_COST per chunk), for the benchmark. */
    connQueueCost: (h: number): number => get(h).cost(),
  };
}
