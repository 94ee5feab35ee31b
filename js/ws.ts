// The WebSocket Conn table behind Rust's `net::Conn` (Go's net.Conn over a
// WebSocket). Every connection lives here under an integer handle that is
// never reused, so a stale handle can never reach a newer socket.
//
// Semantics (Go's net.Conn, see README "Dial over WebSocket"):
// - Incoming messages are queued as chunks, never concatenated. Read(max)
//   returns up to `max` bytes, splitting a message across Reads and joining
//   several messages in one Read. Text messages become their UTF-8 bytes.
// - Write(p) sends p as binary messages of at most `maxMessageBytes`, each
//   only while `bufferedAmount` is at or below `writeHighWaterBytes`;
//   otherwise it waits for the socket to drain, bounded by the write
//   deadline. A Write on a closed socket fails; it never "succeeds".
// - Deadlines are absolute (epoch ms, 0 = none) and timer-driven. A pending
//   operation wakes at its deadline with a timeout; the connection stays
//   usable. Changing a deadline applies to pending operations.
// - Receive bound, `readLimitBytes` of queue cost per connection: the bytes
//   plus MESSAGE_COST per queued chunk, so a flood of tiny messages is
//   bounded too (small messages are packed into shared blocks, so such a
//   flood costs about its payload, and drains in O(1) per message). With
//   WebSocketStream (used where it exists), reading from the socket simply
//   stops at the bound: real backpressure. Chromium's WebSocketStream
//   discards messages still in flight when the peer closes while reading is
//   paused, so a close that lands during a pause ends reading with an error
//   saying so instead of EOF: never a silent loss. With the classic
//   WebSocket API, which cannot stop reading, going over the bound closes
//   the socket (code 4009) and Read returns the queued bytes, then an error
//   saying so.
//
// Reading is Go's poller pattern: `_netWsRead(h, dest)` copies queued bytes
// straight into `dest` (a view of the guest's memory, or a JS VM's own
// array: one copy per byte) and returns the count, or -1 when nothing is
// queued; then `_netWsReady(h)` gives a Promise that settles when a read
// would not wait (data, the end, the read deadline, Close), and the caller
// tries again. Write returns the count when the socket has room, else a
// Promise of it. The table's conventions (shared with js/http.ts): the end
// of the stream is a thrown `{code: "eof"}`, a stale handle a thrown
// `{code: "closed"}`; `_netWsForget(h, p)` drops a waiter whose caller went
// away without settling it; `_netWsRelease(h)` frees a handle settling
// nothing (an abandoned dial, a dropped Conn).
import { CLOSED, EOF, type NetError } from "./errors.js";
import { OPEN_GATE, type Gate } from "./policy.js";

export interface WsOptions {
  /** Write splits larger payloads into several binary messages. */
  maxMessageBytes: number;
  /** Write waits while the socket's bufferedAmount is above this. */
  writeHighWaterBytes: number;
  /** Receive queue cost (bytes + MESSAGE_COST per chunk) per connection
   *  at which reading pauses (WebSocketStream) or the socket is closed. */
  readLimitBytes: number;
  /** How often a waiting Write checks bufferedAmount (no drain event exists). */
  drainPollMs: number;
  /** "auto": WebSocketStream where the browser has it, else WebSocket. */
  transport: "auto" | "stream" | "classic";
}

export const WS_DEFAULTS: WsOptions = {
  maxMessageBytes: 1 << 20,
  writeHighWaterBytes: 1 << 20,
  readLimitBytes: 16 << 20,
  drainPollMs: 2,
  transport: "auto",
};

/** Close code sent when the receive queue limit is exceeded (4000-4999 are
 *  the application codes a browser may send). */
export const READ_LIMIT_CLOSE_CODE = 4009;

const TIMEOUT: NetError = { code: "timeout" };

/** What one queued chunk costs beyond its bytes (a JS object and its
 *  backing store bookkeeping), charged against readLimitBytes. */
export const MESSAGE_COST = 128;
/** Messages up to this size are copied into shared blocks of PACK_BLOCK
 *  bytes instead of being queued one object each. */
const PACK_MAX = 2048;
const PACK_BLOCK = 64 * 1024;

/** setTimeout's largest delay; longer deadlines re-arm when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const other = (message: string): NetError => ({ code: "other", message });

interface Waiter<T> {
  promise: Promise<T>;
  resolve(v: T): void;
  reject(e: NetError): void;
}
interface PendingWrite extends Waiter<number> {
  data: Uint8Array; // a copy: the caller's view into wasm memory is only valid during the call
  sent: number;
}

function waiter<T, X extends object>(extra: X): Waiter<T> & X {
  let resolve!: (v: T) => void;
  let reject!: (e: NetError) => void;
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return Object.assign(extra, { promise, resolve, reject });
}

const encoder = new TextEncoder();

/** Why the peer's close ends reading: `undefined` means a clean EOF. */
function closeError(code: number, reason: string): NetError | undefined {
  // 1000 normal, 1001 going away, 1005 a close frame without a code: all are
  // a completed closing handshake, i.e. Go's io.EOF.
  if (code === 1000 || code === 1001 || code === 1005) return undefined;
  if (code === 1006) return other("websocket connection lost: closed abnormally without a close frame (code 1006)");
  return other(`websocket closed by peer with code ${code}${reason ? ` (${reason})` : ""}`);
}

/** What WsConn needs from a socket; events flow back through `TransportEvents`. */
interface Transport {
  /** May bytes be sent now? */
  readonly open: boolean;
  /** True when the transport can stop reading (real backpressure). */
  readonly pausable: boolean;
  /** Bytes accepted by send() but not yet on the network. */
  buffered(): number;
  /**
   * Hands `chunk` over. Unless `owned`, it may be a view into wasm memory,
   * so a transport that writes later must copy it; an owned chunk is ours
   * already (never copy a byte twice).
   */
  send(chunk: Uint8Array, owned: boolean): void;
  /** Stops or resumes reading from the socket (pausable transports only). */
  setReading(on: boolean): void;
  close(code: number, reason: string): void;
  /** Stops all events and closes the socket if it is still open or opening. */
  dispose(): void;
}
interface TransportEvents {
  onOpen(): void;
  onMessage(data: ArrayBuffer | string): void;
  /** The socket is gone and every message the browser kept has been
   *  delivered; `lossy`: it closed while reading was paused, and the browser
   *  may have discarded messages that were in flight. */
  onClose(code: number, reason: string, lossy?: boolean): void;
  /** The socket is gone (messages may still be undelivered): no more writes. */
  onWritesEnd(code: number, reason: string): void;
  /** The browser has released the socket (closing handshake over, or it
   *  failed); called once, even after dispose(). */
  onSocketGone(): void;
}

class ClassicTransport implements Transport {
  readonly pausable = false;
  private ws: WebSocket;
  constructor(url: string, ev: TransportEvents) {
    this.ws = new WebSocket(url); // throws SyntaxError / SecurityError synchronously
    this.ws.addEventListener("close", () => ev.onSocketGone()); // kept by dispose()
    // Before the socket can open, so no early message is lost.
    this.ws.binaryType = "arraybuffer";
    this.ws.onmessage = (e) => ev.onMessage(e.data);
    this.ws.onopen = () => ev.onOpen();
    this.ws.onclose = (e) => {
      ev.onWritesEnd(e.code, e.reason);
      ev.onClose(e.code, e.reason);
    };
  }
  get open() {
    return this.ws.readyState === WebSocket.OPEN;
  }
  buffered() {
    return this.ws.bufferedAmount;
  }
  send(chunk: Uint8Array, _owned: boolean) {
    this.ws.send(chunk); // copies synchronously
  }
  setReading() {}
  close(code: number, reason: string) {
    this.ws.close(code, reason);
  }
  dispose() {
    this.ws.onmessage = this.ws.onopen = this.ws.onclose = null;
    if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
  }
}

interface WebSocketStreamLike {
  opened: Promise<{ readable: ReadableStream<ArrayBuffer | string>; writable: WritableStream<Uint8Array> }>;
  closed: Promise<{ closeCode?: number; reason?: string }>;
  close(info?: { closeCode?: number; reason?: string }): void;
}

/** How long Close waits for queued WebSocketStream writes before dropping them. */
const CLOSE_LINGER_MS = 2000;

class StreamTransport implements Transport {
  readonly pausable = true;
  open = false;
  private wss: WebSocketStreamLike;
  private reader?: ReadableStreamDefaultReader<ArrayBuffer | string>;
  private writer?: WritableStreamDefaultWriter<Uint8Array>;
  private inflight = 0;
  private lastWrite: Promise<unknown> = Promise.resolve();
  private reading = true;
  private pumping = false;
  private disposed = false;
  private closedWhilePaused = false;
  constructor(url: string, private ev: TransportEvents) {
    const Ctor = (globalThis as unknown as { WebSocketStream: new (url: string) => WebSocketStreamLike }).WebSocketStream;
    this.wss = new Ctor(url);
    this.wss.closed.then(
      () => ev.onSocketGone(),
      () => ev.onSocketGone(),
    );
    // Writers learn of the end at once; readers only after the last message.
    this.wss.closed.then(
      (c) => this.endWrites(c.closeCode ?? 1005, c.reason ?? ""),
      (e: { closeCode?: number; reason?: string }) => this.endWrites(e?.closeCode ?? 1006, e?.reason ?? ""),
    );
    this.wss.opened.then(
      ({ readable, writable }) => {
        if (this.disposed) return;
        this.reader = readable.getReader();
        this.writer = writable.getWriter();
        this.open = true;
        ev.onOpen();
        void this.pump();
      },
      () => !this.disposed && ev.onClose(1006, ""),
    );
  }
  private endWrites(code: number, reason: string) {
    this.open = false;
    if (!this.reading) this.closedWhilePaused = true;
    if (!this.disposed) this.ev.onWritesEnd(code, reason);
  }
  buffered() {
    return this.inflight;
  }
  send(chunk: Uint8Array, owned: boolean) {
    // Written later, so a view into wasm memory must be copied; ours need not.
    const copy = owned ? chunk : chunk.slice();
    this.inflight += copy.length;
    this.lastWrite = this.writer!.write(copy).then(
      () => (this.inflight -= copy.length),
      () => {}, // a failed write surfaces as the socket's close
    );
  }
  setReading(on: boolean) {
    this.reading = on;
    if (on) void this.pump();
  }
  /** Reads while wanted. The end is reported only once the reader is done,
   *  so messages still inside the stream are delivered before it. */
  private async pump() {
    if (this.pumping || !this.reader) return;
    this.pumping = true;
    try {
      while (this.reading && !this.disposed) {
        const { value, done } = await this.reader.read();
        if (this.disposed) return;
        if (done) return this.finish();
        this.ev.onMessage(value);
      }
    } catch {
      if (!this.disposed) await this.finish();
    } finally {
      this.pumping = false;
    }
  }
  private async finish() {
    this.open = false;
    const info = await this.wss.closed.then(
      (c) => ({ code: c.closeCode ?? 1005, reason: c.reason ?? "" }),
      (e: { closeCode?: number; reason?: string }) => ({ code: e?.closeCode ?? 1006, reason: e?.reason ?? "" }),
    );
    if (!this.disposed) this.ev.onClose(info.code, info.reason, this.closedWhilePaused);
  }
  /**
   * Closes once the writes already handed over are on the network, so Close
   * keeps what Write accepted. Chromium 156's renderer crashes when a
   * WebSocketStream is closed, or its reader cancelled, while writes are
   * still queued; so this waits for them, and if the peer is not reading,
   * aborts them after CLOSE_LINGER_MS and closes then. The reader is never
   * cancelled: the close ends it.
   */
  close(code: number, reason: string) {
    this.open = false;
    const closeNow = () => {
      try {
        this.wss.close({ closeCode: code, reason });
      } catch {
        /* already closed */
      }
    };
    if (this.inflight === 0 || !this.writer) return closeNow();
    const writer = this.writer;
    const linger = setTimeout(() => writer.abort().catch(() => {}), CLOSE_LINGER_MS);
    void this.lastWrite.finally(() => {
      clearTimeout(linger);
      closeNow();
    });
  }
  dispose() {
    if (this.disposed) return;
    this.disposed = true;
    this.close(1000, "");
  }
}

function createTransport(url: string, kind: WsOptions["transport"], ev: TransportEvents): Transport {
  const hasStream = typeof (globalThis as { WebSocketStream?: unknown }).WebSocketStream === "function";
  if (kind === "stream" || (kind === "auto" && hasStream)) return new StreamTransport(url, ev);
  return new ClassicTransport(url, ev);
}

class WsConn {
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
  private readers: Waiter<void>[] = [];
  private writers: PendingWrite[] = [];
  private readDeadline = 0;
  private writeDeadline = 0;
  private readTimer?: ReturnType<typeof setTimeout>;
  private writeTimer?: ReturnType<typeof setTimeout>;
  private drainTimer?: ReturnType<typeof setTimeout>;
  private dialTimer?: ReturnType<typeof setTimeout>;
  private opened?: Waiter<void>;
  /** Set once the socket is gone: undefined = EOF, else the error. */
  private end?: { err: NetError | undefined };
  /** Why writes fail from now on (set as soon as the socket is gone). */
  private writeErr?: NetError;

  constructor(
    url: string,
    private readonly opts: WsOptions,
    timeoutMs: number,
    private readonly onGone: () => void,
    onSocketGone: () => void,
  ) {
    this.t = createTransport(url, opts.transport, {
      onOpen: () => this.onOpen(),
      onMessage: (data) => this.onMessage(data),
      onClose: (code, reason, lossy) => this.onClose(code, reason, lossy),
      onWritesEnd: (code, reason) => this.endWrites(closeError(code, reason) ?? other(`websocket closed by peer with code ${code}`)),
      onSocketGone,
    });
    this.opened = waiter({});
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

  private onMessage(data: ArrayBuffer | string | Blob) {
    if (this.end) return;
    const chunk = typeof data === "string" ? encoder.encode(data) : new Uint8Array(data as ArrayBuffer);
    if (chunk.length === 0) return;
    // The chunk that crosses the limit is kept (nothing is dropped); the
    // socket is closed so no more arrive.
    this.enqueue(chunk);
    if (this.t.pausable) {
      // Backpressure: stop reading at the bound, resume as Read drains.
      if (this.cost() >= this.opts.readLimitBytes) this.t.setReading(false);
    } else if (this.cost() > this.opts.readLimitBytes) {
      this.end = {
        err: other(
          `receive buffer limit of ${this.opts.readLimitBytes} bytes exceeded; connection closed (code ${READ_LIMIT_CLOSE_CODE})`,
        ),
      };
      this.t.close(READ_LIMIT_CLOSE_CODE, "receive buffer limit exceeded");
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

  private onClose(code: number, reason: string, lossy = false) {
    if (this.opened) {
      // Closed before it opened: the browser does not say why (refused,
      // unreachable, TLS failure, handshake rejected), only that it failed.
      return this.failDial(
        other(`websocket connection failed (code ${code}): server refused, unreachable, TLS error or handshake rejected`),
      );
    }
    if (!this.end) {
      this.end = {
        err: lossy
          ? other(
              `websocket closed by peer (code ${code}) while reading was paused at the receive limit of ${this.opts.readLimitBytes} bytes; ` +
                "the browser discards messages still in flight at a close, so data may be missing",
            )
          : closeError(code, reason),
      };
    }
    this.pumpReads();
  }

  private endWrites(err: NetError) {
    if (this.opened) return; // a failed dial is reported by onClose
    this.writeErr ??= err;
    this.failWriters(this.writeErr);
  }

  // ---- reading -----------------------------------------------------------

  /**
   * Copies up to dest.length queued bytes into dest (splitting a message
   * across reads, joining several in one); returns the count, or -1 when
   * nothing is queued (then wait with ready()). Throws at the end of the
   * stream (eof, or why it ended) and once the read deadline has passed.
   */
  read(dest: Uint8Array): number {
    if (expired(this.readDeadline)) throw TIMEOUT;
    if (this.queued > 0) return this.take(dest);
    if (this.end) throw this.end.err ?? EOF;
    return -1;
  }

  /** Settles when a read would not return -1: data, the end, the read deadline, Close. */
  ready(): Promise<void> {
    const w = waiter<void, object>({});
    this.readers.push(w);
    this.armReadTimer();
    return w.promise;
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
    return n;
  }

  /** Wakes every waiting reader: their next read will not return -1. */
  private wakeReaders() {
    const rs = this.readers;
    this.readers = [];
    clearTimeout(this.readTimer);
    for (const r of rs) r.resolve();
  }

  private pumpReads() {
    if (this.queued > 0 || this.end) this.wakeReaders();
  }

  private armReadTimer() {
    clearTimeout(this.readTimer);
    if (this.readers.length === 0 || this.readDeadline === 0) return;
    const ms = this.readDeadline - Date.now();
    if (ms <= 0) return this.wakeReaders();
    this.readTimer = setTimeout(() => this.armReadTimer(), Math.min(ms, MAX_TIMER_MS));
  }

  // ---- writing -----------------------------------------------------------

  write(data: Uint8Array): number | Promise<number> {
    if (expired(this.writeDeadline)) throw TIMEOUT;
    if (this.writeErr) throw this.writeErr;
    if (!this.t.open) throw other("websocket is not open");
    let sent = 0;
    if (this.writers.length === 0) sent = this.sendWhileRoom(data, 0, false);
    if (sent === data.length) return data.length;
    const w = waiter<number, { data: Uint8Array; sent: number }>({ data: data.slice(sent), sent });
    this.writers.push(w);
    this.armWriteTimer();
    this.scheduleDrain();
    return w.promise;
  }

  /**
   * Sends messages from data[off:] while bufferedAmount allows; returns the
   * new offset. `owned`: data is our copy, not a view into wasm memory.
   */
  private sendWhileRoom(data: Uint8Array, off: number, owned: boolean): number {
    const { maxMessageBytes, writeHighWaterBytes } = this.opts;
    while (off < data.length && this.t.open && this.t.buffered() <= writeHighWaterBytes) {
      const end = Math.min(data.length, off + maxMessageBytes);
      this.t.send(data.subarray(off, end), owned);
      off = end;
    }
    return off;
  }

  private scheduleDrain() {
    if (this.drainTimer !== undefined || this.writers.length === 0) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      this.drain();
    }, this.opts.drainPollMs);
  }

  private drain() {
    while (this.writers.length > 0) {
      const w = this.writers[0];
      const off = this.sendWhileRoom(w.data, 0, true);
      w.sent += off;
      w.data = w.data.subarray(off);
      if (w.data.length > 0) break;
      this.writers.shift();
      w.resolve(w.sent);
    }
    if (this.writers.length === 0) clearTimeout(this.writeTimer);
    this.scheduleDrain();
  }

  /** Rust's io::Write contract: a write that sent some bytes before failing
   *  reports them (Ok(n)); the error comes on the next call. */
  private settleWriter(w: PendingWrite, err: NetError) {
    if (w.sent > 0) w.resolve(w.sent);
    else w.reject(err);
  }

  private failWriters(err: NetError) {
    for (const w of this.writers.splice(0)) this.settleWriter(w, err);
    clearTimeout(this.writeTimer);
  }

  private armWriteTimer() {
    clearTimeout(this.writeTimer);
    if (this.writers.length === 0 || this.writeDeadline === 0) return;
    const ms = this.writeDeadline - Date.now();
    if (ms <= 0) return this.failWriters(TIMEOUT);
    this.writeTimer = setTimeout(() => this.armWriteTimer(), Math.min(ms, MAX_TIMER_MS));
  }

  // ---- control -----------------------------------------------------------

  setDeadline(which: number, at: number) {
    if (which & 1) {
      this.readDeadline = at;
      this.armReadTimer();
    }
    if (which & 2) {
      this.writeDeadline = at;
      this.armWriteTimer();
    }
  }

  /** Forgets a waiting operation without settling it (its caller went away). */
  forget(p: Promise<unknown>) {
    this.readers = this.readers.filter((r) => r.promise !== p);
    this.writers = this.writers.filter((w) => w.promise !== p);
    if (this.readers.length === 0) clearTimeout(this.readTimer);
    if (this.writers.length === 0) clearTimeout(this.writeTimer);
  }

  /** Go's Close: code 1000; pending operations fail with ErrClosed (a
   *  waiting reader wakes, and its next read finds the handle gone). */
  close() {
    const readers = this.readers.splice(0);
    const writers = this.writers.splice(0);
    const opened = this.opened;
    this.dispose();
    for (const r of readers) r.resolve();
    for (const w of writers) this.settleWriter(w, CLOSED);
    opened?.reject(CLOSED);
  }

  /** Drops everything without settling anything (the dial was abandoned). */
  dispose() {
    for (const t of [this.readTimer, this.writeTimer, this.drainTimer, this.dialTimer]) clearTimeout(t);
    this.readers = [];
    this.writers = [];
    this.opened = undefined;
    this.t.dispose();
    this.queue = [];
    this.first = 0;
    this.queued = 0;
    this.block = undefined;
    this.onGone();
  }
}

function expired(deadline: number): boolean {
  return deadline !== 0 && Date.now() >= deadline;
}

/** What a failed `new WebSocket(url)` means, in words a programmer can act on. */
function constructorError(url: string, e: unknown): NetError {
  const name = (e as { name?: string })?.name;
  const msg = (e as { message?: string })?.message ?? String(e);
  if (name === "SyntaxError") return other(`invalid WebSocket URL ${JSON.stringify(url)}: ${msg}`);
  if (name === "SecurityError") {
    const page = (globalThis as { location?: Location }).location;
    if (url.startsWith("ws:") && page?.protocol === "https:")
      return other(`mixed content: an https page cannot open insecure ${url}; use wss://`);
    return other(`blocked by the browser (SecurityError): ${msg}`);
  }
  return other(msg);
}

/** The bindings Rust imports (`_netWs*`), over one handle table. */
export function createWsBindings(options: () => WsOptions, gate: Gate = OPEN_GATE) {
  const table = new Map<number, WsConn>();
  let next = 1;
  let sockets = 0; // browser sockets not yet released (closing ones too)
  const get = (h: number): WsConn => {
    const c = table.get(h);
    if (!c) throw CLOSED; // closed (or never opened): Go's ErrClosed
    return c;
  };
  return {
    /** Starts connecting; returns the handle. Throws a NetError for a bad URL. */
    _netWsConnect(url: string, timeoutMs: number): number {
      const denied = gate.check(url);
      if (denied) throw denied;
      const h = next++;
      let conn: WsConn;
      let gone = false;
      const socketGone = () => void (gone || ((gone = true), sockets--));
      try {
        conn = new WsConn(url, options(), timeoutMs, () => table.delete(h), socketGone);
      } catch (e) {
        throw constructorError(url, e);
      }
      sockets++;
      table.set(h, conn);
      return h;
    },
    /** Resolves when the socket is open; rejects (and frees the handle) if it fails. */
    _netWsOpened: (h: number): Promise<void> => get(h).openedPromise(),
    /** Bytes copied into dest, or -1: nothing queued (wait with _netWsReady). Throws eof / errors. */
    _netWsRead: (h: number, dest: Uint8Array): number => get(h).read(dest),
    /** Settles when a read would not return -1. */
    _netWsReady: (h: number): Promise<void> => get(h).ready(),
    _netWsWrite: (h: number, data: Uint8Array): number | Promise<number> => get(h).write(data),
    /** which: 1 read, 2 write, 3 both; at: epoch ms, 0 clears. */
    _netWsSetDeadline: (h: number, which: number, at: number): void => get(h).setDeadline(which, at),
    _netWsForget: (h: number, p: Promise<unknown>): void => table.get(h)?.forget(p),
    _netWsClose: (h: number): void => get(h).close(),
    /** Abandons a dial or a dropped Conn: frees the handle, settles nothing. */
    _netWsRelease: (h: number): void => table.get(h)?.dispose(),
    /** Open Conns (handles not yet closed or released). */
    _netWsCount: (): number => table.size,
    /** Host side, after a trap: the instance that held the handles is gone; close them all. */
    _netWsReset: (): void => [...table.values()].forEach((c) => c.dispose()),
    /** Browser sockets not yet released, closing ones included: what the policy counts. */
    _netWsSockets: (): number => sockets,
    /** Receive queue cost of a Conn (bytes + MESSAGE_COST per chunk), for the benchmark. */
    _netWsQueueCost: (h: number): number => get(h).cost(),
  };
}
