// The WebSocket transports behind the Conn table (js/conn.ts): the classic
// WebSocket API, and WebSocketStream where it exists (it can stop reading,
// so the receive bound is real backpressure). Chromium's WebSocketStream
// discards messages still in flight when the peer closes while reading is
// paused, so a close that lands during a pause ends reading with an error
// saying so instead of EOF: never a silent loss. With the classic API,
// which cannot stop reading, going over the bound closes the socket (code
// 4009) and Read returns the queued bytes, then an error saying so.
import { other, type NetError } from "./errors.js";
import { OPEN_GATE, type Gate } from "./policy.js";
import type { Dialer, Transport, TransportEvents } from "./transport.js";

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
  drainPollMs: 1,
  transport: "auto",
};

/** Close code sent when the receive queue limit is exceeded (4000-4999 are
 *  the application codes a browser may send). */
export const READ_LIMIT_CLOSE_CODE = 4009;

const closeCode = (kind: "normal" | "limit") => (kind === "limit" ? READ_LIMIT_CLOSE_CODE : 1000);
const LIMIT_NOTE = `code ${READ_LIMIT_CLOSE_CODE}`;

/** Why the peer's close ends reading: `undefined` means a clean EOF. */
export function closeError(code: number, reason: string): NetError | undefined {
  // 1000 normal, 1001 going away, 1005 a close frame without a code: all are
  // a completed closing handshake, i.e. Go's io.EOF.
  if (code === 1000 || code === 1001 || code === 1005) return undefined;
  if (code === 1006) return other("websocket connection lost: closed abnormally without a close frame (code 1006)");
  return other(`websocket closed by peer with code ${code}${reason ? ` (${reason})` : ""}`);
}

/** Why writes fail once the socket is gone. */
const writesEnd = (code: number, reason: string): NetError =>
  closeError(code, reason) ?? other(`websocket closed by peer with code ${code}`);

/** A socket that failed before it opened with an error and no close (WebKit). */
function dialFailedOnError(url: string): NetError {
  const page = (globalThis as { location?: Location }).location;
  if (url.startsWith("ws:") && page?.protocol === "https:")
    return other(`mixed content: an https page cannot open insecure ${url}; use wss://`);
  return dialFailed(1006);
}

/** A socket that closed before it opened: the browser does not say why. */
const dialFailed = (code: number): NetError =>
  other(`websocket connection failed (code ${code}): server refused, unreachable, TLS error or handshake rejected`);

class ClassicTransport implements Transport {
  readonly pausable = false;
  readonly maxChunk = Infinity;
  readonly limitNote = LIMIT_NOTE;
  /** A message is the browser's already, whole: the one crossing the bound is kept. */
  readonly maxOverflow = Infinity;
  private ws: WebSocket;
  private opened = false;
  constructor(url: string, ev: TransportEvents) {
    this.ws = new WebSocket(url); // throws SyntaxError / SecurityError synchronously
    this.ws.addEventListener("close", () => ev.onSocketGone()); // kept by dispose()
    // Before the socket can open, so no early message is lost.
    this.ws.binaryType = "arraybuffer";
    this.ws.onmessage = (e) => ev.onMessage(e.data);
    this.ws.onopen = () => {
      this.opened = true;
      ev.onOpen();
    };
    this.ws.onclose = (e) => {
      if (!this.opened) return this.failed || ev.onClose(dialFailed(e.code));
      ev.onWritesEnd(writesEnd(e.code, e.reason));
      ev.onClose(closeError(e.code, e.reason));
    };
    // WebKit fires only `error` for some sockets that never open (ws:// from an
    // https page: no exception, no close), so an error before open ends the
    // dial itself; where a close follows (Chromium, Firefox) it adds nothing.
    this.ws.onerror = () => {
      if (this.opened || this.failed) return;
      this.failed = true;
      ev.onClose(dialFailedOnError(url));
    };
  }
  private failed = false;
  get open() {
    return this.ws.readyState === WebSocket.OPEN;
  }
  hasRoom(highWater: number) {
    return this.ws.bufferedAmount <= highWater;
  }
  send(chunk: Uint8Array, _owned: boolean) {
    this.ws.send(chunk); // copies synchronously
  }
  setReading() {}
  close(kind: "normal" | "limit") {
    this.ws.close(closeCode(kind), kind === "limit" ? "receive buffer limit exceeded" : "");
  }
  dispose() {
    this.ws.onmessage = this.ws.onopen = this.ws.onclose = this.ws.onerror = null;
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
  readonly maxChunk = Infinity;
  readonly limitNote = LIMIT_NOTE;
  readonly maxOverflow = Infinity; // pausable: reading stops at the bound
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
  constructor(
    url: string,
    private ev: TransportEvents,
    private readonly readLimitBytes: number,
  ) {
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
      () => !this.disposed && ev.onClose(dialFailed(1006)),
    );
  }
  private endWrites(code: number, reason: string) {
    this.open = false;
    if (!this.reading) this.closedWhilePaused = true;
    if (!this.disposed) this.ev.onWritesEnd(writesEnd(code, reason));
  }
  hasRoom(highWater: number) {
    return this.inflight <= highWater;
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
    if (this.disposed) return;
    this.ev.onClose(
      this.closedWhilePaused
        ? other(
            `websocket closed by peer (code ${info.code}) while reading was paused at the receive limit of ${this.readLimitBytes} bytes; ` +
              "the browser discards messages still in flight at a close, so data may be missing",
          )
        : closeError(info.code, info.reason),
    );
  }
  /**
   * Closes once the writes already handed over are on the network, so Close
   * keeps what Write accepted. Chromium 156's renderer crashes when a
   * WebSocketStream is closed, or its reader cancelled, while writes are
   * still queued; so this waits for them, and if the peer is not reading,
   * aborts them after CLOSE_LINGER_MS and closes then. The reader is never
   * cancelled: the close ends it.
   */
  close(kind: "normal" | "limit") {
    this.closeWith(closeCode(kind), kind === "limit" ? "receive buffer limit exceeded" : "");
  }
  private closeWith(code: number, reason: string) {
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
    this.closeWith(1000, "");
  }
}

/** A WebSocket to `url` as a Conn transport. Throws what `new WebSocket` throws. */
export function createWsTransport(url: string, opts: WsOptions, ev: TransportEvents): Transport {
  const kind = opts.transport;
  const hasStream = typeof (globalThis as { WebSocketStream?: unknown }).WebSocketStream === "function";
  // Feature detection, never the user agent: Firefox and WebKit have no WebSocketStream.
  if (kind === "stream" && !hasStream)
    throw other(`ws.transport "stream" needs WebSocketStream, which this browser does not have; use "auto" (WebSocketStream where there is one) or "classic"`);
  if (kind === "stream" || (kind === "auto" && hasStream)) return new StreamTransport(url, ev, opts.readLimitBytes);
  return new ClassicTransport(url, ev);
}

/** What a failed `new WebSocket(url)` means, in words a programmer can act on. */
export function constructorError(url: string, e: unknown): NetError {
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

/**
 * The WebSocket dial binding (`_netConnDialWs`): a Conn of the Conn table
 * (js/conn.ts) over one of these transports, added through its `addConn`
 * like the relay's streams.
 */
export function createWsBindings(
  addConn: (dialer: Dialer, timeoutMs: number) => number,
  options: () => WsOptions,
  gate: Gate = OPEN_GATE,
) {
  return {
    /** Starts a WebSocket dial; returns the handle. Throws a NetError for a bad URL. */
    _netConnDialWs(url: string, timeoutMs: number): number {
      const denied = gate.check(url);
      if (denied) throw denied;
      const o = options();
      // Every engine refuses a fragment, each in its own words: this says it in one.
      if (/^[^#]*#/.test(url) && /^wss?:/i.test(url))
        throw other(`invalid WebSocket URL ${JSON.stringify(url)}: Fragment identifiers are not allowed in WebSocket URLs`);
      try {
        return addConn((ev) => createWsTransport(url, o, ev), timeoutMs);
      } catch (e) {
        throw constructorError(url, e);
      }
    },
  };
}
