// A Wisp client: many TCP and UDP streams multiplexed over one WebSocket to
// a relay (https://github.com/MercuryWorkshop/wisp-protocol, v1 and v2).
// Written here from the protocol's public specification: the existing
// implementations (the `wisp-mux` crate, `@mercuryworkshop/wisp-js`) are
// LGPL/AGPL and cannot be dependencies of an MIT/Apache library. They are
// used only as test peers (servers/relay.mjs).
//
// Wire format: every packet is [type u8][stream id u32 LE][payload]:
//   CONNECT 0x01  [stream type u8 (1 TCP, 2 UDP)][port u16 LE][host UTF-8]
//   DATA    0x02  [bytes]
//   CONTINUE 0x03 [buffer remaining u32 LE]: credit, in packets, for DATA
//                 the client may still send on a TCP stream
//   CLOSE   0x04  [reason u8]
//   INFO    0x05  [major u8][minor u8]{[ext id u8][len u32 LE][ext data]}* (v2)
//
// Handshake: the client offers v2 with the "wisp-v2" subprotocol (wisp-js
// speaks v2 only when asked so). A v2 server sends INFO first; the client
// answers with its own INFO (the UDP extension, and password credentials
// when the server asks for them and the host configured some); then the
// server sends CONTINUE on stream 0 with the credit every stream starts
// with. A v1 server sends that CONTINUE at once, with no INFO. A server
// that answers no subprotocol fails a handshake that offered one (the
// browser's rule), so such a socket is tried once more offering none, and
// the relay URL is remembered as one that takes v1 only.
//
// Choices (docs/relay.md):
// - Wisp has no CONNECT acknowledgement. A stream is taken as open when a
//   packet for it arrives (DATA, CONTINUE), or, with no word, after
//   `connectWaitMs`; a CLOSE before that fails the dial with its reason. So
//   a refused port is a Dial error whenever the relay answers within the
//   wait (it does at once on a loopback relay), and a later failure is the
//   first Read's or Write's error.
// - DATA packets carry at most `maxPacketBytes`; a TCP stream sends only
//   while it has credit and the shared socket's bufferedAmount is at or
//   below the Conn's high-water mark. UDP streams have no credit (the
//   spec), only the socket's bufferedAmount.
// - A malformed or unexpected packet from the relay is counted and
//   dropped, never thrown: it cannot end the mux or reach another stream.
//   A protocol violation that names a stream (a short CONTINUE or CLOSE)
//   closes that stream with an error saying so.
import { other, type NetError } from "./errors.js";
import type { Transport, TransportEvents } from "./transport.js";
import { MAX_TIMER_MS } from "./waiting.js";

export const PACKET = { CONNECT: 1, DATA: 2, CONTINUE: 3, CLOSE: 4, INFO: 5 } as const;
export const STREAM = { TCP: 1, UDP: 2 } as const;
export const EXT = { UDP: 0x01, PASSWORD: 0x02 } as const;
export const REASON = {
  UNKNOWN: 0x01,
  VOLUNTARY: 0x02,
  NETWORK: 0x03,
  INCOMPATIBLE: 0x04,
  INVALID: 0x41,
  UNREACHABLE: 0x42,
  CONNECT_TIMEOUT: 0x43,
  REFUSED: 0x44,
  TRANSFER_TIMEOUT: 0x47,
  BLOCKED: 0x48,
  THROTTLED: 0x49,
  CLIENT_ERROR: 0x81,
} as const;

export interface WispOptions {
  /** The relay's WebSocket URL; a Wisp endpoint ends with "/". */
  url: string;
  /** Offer Wisp v2 (subprotocol "wisp-v2", INFO handshake); 1: v1 only. */
  version: 1 | 2;
  /** For a v2 relay that asks for password authentication. */
  username?: string;
  password?: string;
  /** Largest DATA payload sent (bytes). */
  maxPacketBytes: number;
  /** How long a new stream waits for the relay's word before it is taken as open. */
  connectWaitMs: number;
  /** Opening the relay socket plus the handshake, at most. */
  handshakeTimeoutMs: number;
  /** Streams open at once on one relay socket, at most. */
  maxStreams: number;
}

// ---- packets -------------------------------------------------------------

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: false });

export function encodePacket(type: number, id: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(5 + payload.length);
  p[0] = type;
  new DataView(p.buffer).setUint32(1, id, true);
  p.set(payload, 5);
  return p;
}

export function encodeConnect(id: number, type: number, host: string, port: number): Uint8Array {
  const h = encoder.encode(host);
  const payload = new Uint8Array(3 + h.length);
  payload[0] = type;
  new DataView(payload.buffer).setUint16(1, port, true);
  payload.set(h, 3);
  return encodePacket(PACKET.CONNECT, id, payload);
}

export const encodeClose = (id: number, reason: number) => encodePacket(PACKET.CLOSE, id, Uint8Array.of(reason));

export interface Extension {
  id: number;
  data: Uint8Array;
}

/** The client's INFO: version 2.0 and its extensions. */
export function encodeInfo(exts: Extension[]): Uint8Array {
  const len = exts.reduce((n, e) => n + 5 + e.data.length, 2);
  const payload = new Uint8Array(len);
  const view = new DataView(payload.buffer);
  payload[0] = 2;
  payload[1] = 0;
  let at = 2;
  for (const e of exts) {
    payload[at] = e.id;
    view.setUint32(at + 1, e.data.length, true);
    payload.set(e.data, at + 5);
    at += 5 + e.data.length;
  }
  return encodePacket(PACKET.INFO, 0, payload);
}

/** The password extension's client data; undefined when a field is too long. */
export function encodePassword(username: string, password: string): Uint8Array | undefined {
  const u = encoder.encode(username);
  const p = encoder.encode(password);
  if (u.length > 0xff || p.length > 0xffff) return undefined;
  const d = new Uint8Array(3 + u.length + p.length);
  d[0] = u.length;
  new DataView(d.buffer).setUint16(1, p.length, true);
  d.set(u, 3);
  d.set(p, 3 + u.length);
  return d;
}

export interface Packet {
  type: number;
  id: number;
  payload: Uint8Array;
}

/** Splits a message into a packet; undefined when it is shorter than a header. */
export function decodePacket(msg: Uint8Array): Packet | undefined {
  if (msg.length < 5) return undefined;
  const id = new DataView(msg.buffer, msg.byteOffset, 5).getUint32(1, true);
  return { type: msg[0], id, payload: msg.subarray(5) };
}

/** An INFO payload: version and extensions (a truncated list ends early, flagged). */
export function decodeInfo(p: Uint8Array): { major: number; minor: number; exts: Extension[]; truncated: boolean } {
  const exts: Extension[] = [];
  if (p.length < 2) return { major: 0, minor: 0, exts, truncated: true };
  const view = new DataView(p.buffer, p.byteOffset, p.length);
  let at = 2;
  while (at < p.length) {
    if (at + 5 > p.length) return { major: p[0], minor: p[1], exts, truncated: true };
    const len = view.getUint32(at + 1, true);
    if (at + 5 + len > p.length) return { major: p[0], minor: p[1], exts, truncated: true };
    exts.push({ id: p[at], data: p.subarray(at + 5, at + 5 + len) });
    at += 5 + len;
  }
  return { major: p[0], minor: p[1], exts, truncated: false };
}

/**
 * What a CLOSE reason means to the program. `dialing`: the stream had not
 * been taken as open yet. `undefined`: a clean end (EOF).
 */
export function closeReasonError(reason: number, dialing: boolean): NetError | undefined {
  const hex = `0x${reason.toString(16).padStart(2, "0")}`;
  const wisp = `Wisp CLOSE ${hex}`;
  switch (reason) {
    case REASON.VOLUNTARY:
      return undefined; // the destination closed: EOF after the queued bytes (a dial succeeded)
    case REASON.REFUSED:
      return { code: "refused" };
    case REASON.UNREACHABLE:
      return other(`no route to host: the relay could not reach the destination or resolve its name (${wisp})`);
    case REASON.CONNECT_TIMEOUT:
      return other(`connection timed out: the relay's connection attempt got no answer (${wisp})`);
    case REASON.BLOCKED:
      return { code: "denied", message: `the relay's policy blocks this destination (${wisp})` };
    case REASON.THROTTLED:
      return other(`the relay is throttling connections; try again later (${wisp})`);
    case REASON.INVALID:
      return other(`the relay rejected the destination as invalid (reserved address or bad port, ${wisp})`);
    case REASON.NETWORK:
      return other(
        dialing
          ? `the relay could not connect to the destination (network error, ${wisp})`
          : `connection lost at the relay (network error, ${wisp})`,
      );
    case REASON.TRANSFER_TIMEOUT:
      return other(`the relay timed out the connection (${wisp})`);
    case REASON.UNKNOWN:
      return other(`the relay closed the stream (reason unspecified, ${wisp})`);
    default:
      return other(`the relay closed the stream (${wisp})`);
  }
}

// ---- the shared socket -----------------------------------------------------

/**
 * Relay URLs whose server answered no subprotocol (so "wisp-v2" cannot be
 * offered there): learnt by WispMux.connect, at most 64 kept, oldest out.
 */
const NO_SUBPROTOCOL = new Set<string>();
function rememberNoSubprotocol(url: string) {
  NO_SUBPROTOCOL.delete(url);
  NO_SUBPROTOCOL.add(url);
  if (NO_SUBPROTOCOL.size > 64) NO_SUBPROTOCOL.delete(NO_SUBPROTOCOL.values().next().value!);
}
/** Forgets what was learnt (tests). */
export const forgetNoSubprotocol = () => NO_SUBPROTOCOL.clear();

/** What identifies a relay socket's configuration. */
export const muxKey = (o: WispOptions) => JSON.stringify([o.url, o.version, o.username, o.password]);

/** One stream's side of the mux. */
export interface StreamSink {
  /** CONNECT is on its way (at once, or when the handshake is done). */
  onAnnounced(): void;
  /** A packet for this stream arrived (before onData, etc.): it is open. */
  onWord(): void;
  onData(bytes: Uint8Array): void;
  /** Credit changed (TCP). */
  onCredit(): void;
  /** The relay closed the stream, or the mux ended (`err` says why), or a
   *  protocol error. After this the stream is gone from the mux. */
  onEnd(reason: number | undefined, err?: NetError): void;
}

export interface MuxStats {
  /** Packets dropped because they could not be parsed or were unexpected. */
  malformed: number;
  /** Packets for stream ids not open (closed by the client already, or never). */
  unknownStream: number;
  /** Relay sockets opened so far. */
  sockets: number;
  /** "1" or "2" once the handshake is done. */
  version: number;
}

export class MuxStream {
  credit: number;
  constructor(
    readonly mux: WispMux,
    readonly id: number,
    readonly type: number,
    readonly sink: StreamSink,
  ) {
    this.credit = mux.initialCredit;
  }
  /** Can a DATA packet go now? */
  hasRoom(highWater: number): boolean {
    return this.mux.ready && (this.type === STREAM.UDP || this.credit > 0) && this.mux.buffered() <= highWater;
  }
  send(bytes: Uint8Array) {
    if (this.type === STREAM.TCP) this.credit--;
    this.mux.sendPacket(encodePacket(PACKET.DATA, this.id, bytes));
  }
  /** Closes the stream from our side (no CLOSE comes back). */
  close(reason: number) {
    this.mux.closeStream(this, reason);
  }
}

/**
 * One WebSocket to the relay and the streams on it. Opened on the first
 * stream; once it drops (or its handshake fails) it is dead, and the next
 * stream opens a new one (`relayMux` in js/relay.ts decides that).
 */
export class WispMux {
  private ws?: WebSocket;
  private streams = new Map<number, MuxStream>();
  private nextId = 1;
  /** Streams opened before the handshake finished, with the CONNECT they send then. */
  private pending: Array<{ s: MuxStream; connect: Uint8Array }> = [];
  private handshakeTimer?: ReturnType<typeof setTimeout>;
  private gotInfo = false;
  ready = false;
  dead?: NetError;
  initialCredit = 0;
  udp = true; // v1 relays may support it (a CLOSE says if not); v2 ones say so in INFO
  constructor(
    private readonly opts: WispOptions,
    readonly stats: MuxStats,
    private readonly onDead: () => void,
  ) {}

  /** The configuration this socket was opened with: a different one needs a new socket. */
  get key(): string {
    return muxKey(this.opts);
  }

  /** Opens the socket (the first stream calls this). */
  start() {
    this.connect(this.opts.version === 2 && !NO_SUBPROTOCOL.has(this.opts.url));
    if (this.dead) return;
    this.handshakeTimer = setTimeout(
      () => this.die(other(`relay ${this.opts.url}: no Wisp handshake within ${this.opts.handshakeTimeoutMs} ms`)),
      Math.min(this.opts.handshakeTimeoutMs, MAX_TIMER_MS),
    );
  }

  /**
   * One WebSocket to the relay. Offering "wisp-v2" to a server that answers
   * no subprotocol (a v1 server on a WebSocket library that does not echo
   * one) makes the browser fail the handshake (code 1006, before open), so a
   * socket that closes that way is tried once more offering nothing (v1, and
   * v2 servers speak it too); when that one opens, the URL is remembered as
   * such for the next sockets.
   */
  private connect(offerV2: boolean) {
    const url = this.opts.url;
    try {
      this.ws = offerV2 ? new WebSocket(url, ["wisp-v2"]) : new WebSocket(url);
    } catch (e) {
      return this.die(other(`relay ${url}: ${(e as Error)?.message ?? e}`));
    }
    this.stats.sockets++;
    const ws = this.ws;
    let opened = false;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      opened = true;
      if (!offerV2 && this.opts.version === 2) rememberNoSubprotocol(url);
    };
    ws.onmessage = (e) => this.onMessage(e.data);
    ws.onclose = (e) => {
      if (offerV2 && !opened && !this.dead && e.code === 1006) {
        ws.onopen = ws.onmessage = ws.onclose = null;
        return this.connect(false);
      }
      this.die(
        other(
          this.ready
            ? `relay connection lost (websocket code ${e.code}${e.reason ? `: ${e.reason}` : ""})`
            : `could not connect to the relay ${url} (websocket code ${e.code})`,
        ),
      );
    };
  }

  /** Streams open now (for the bound and the tests). */
  get size(): number {
    return this.streams.size;
  }

  buffered(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  /** A new stream; CONNECT goes now, or when the handshake is done. */
  open(type: number, host: string, port: number, sink: StreamSink): MuxStream | NetError {
    if (this.dead) return this.dead;
    if (this.streams.size >= this.opts.maxStreams)
      return other(`too many streams on the relay connection (at most ${this.opts.maxStreams})`);
    if (type === STREAM.UDP && this.ready && !this.udp)
      return { code: "unsupported", message: "the relay does not offer UDP (no UDP extension in its Wisp v2 INFO)" };
    let id = this.nextId;
    while (id === 0 || this.streams.has(id)) id = (id + 1) >>> 0;
    this.nextId = (id + 1) >>> 0;
    const s = new MuxStream(this, id, type, sink);
    this.streams.set(id, s);
    const connect = encodeConnect(id, type, host, port);
    if (this.ready) {
      this.sendPacket(connect);
      sink.onAnnounced();
    } else this.pending.push({ s, connect });
    return s;
  }

  sendPacket(p: Uint8Array) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(p);
  }

  closeStream(s: MuxStream, reason: number) {
    if (this.streams.get(s.id) !== s) return;
    this.streams.delete(s.id);
    const i = this.pending.findIndex((p) => p.s === s);
    if (i >= 0) this.pending.splice(i, 1); // never announced: nothing to tell the relay
    else this.sendPacket(encodeClose(s.id, reason));
  }

  private onMessage(data: ArrayBuffer | string) {
    if (typeof data === "string") return void this.stats.malformed++;
    const p = decodePacket(new Uint8Array(data));
    if (!p) return void this.stats.malformed++;
    if (p.id === 0) return this.onControl(p);
    const s = this.streams.get(p.id);
    if (!s) return void this.stats.unknownStream++;
    switch (p.type) {
      case PACKET.DATA:
        s.sink.onWord();
        return s.sink.onData(p.payload);
      case PACKET.CONTINUE:
        if (p.payload.length < 4) return this.violation(s, "a CONTINUE shorter than 4 bytes");
        s.credit = new DataView(p.payload.buffer, p.payload.byteOffset, 4).getUint32(0, true);
        s.sink.onWord();
        return s.sink.onCredit();
      case PACKET.CLOSE:
        if (p.payload.length < 1) return this.violation(s, "a CLOSE without a reason");
        this.streams.delete(s.id);
        return s.sink.onEnd(p.payload[0]);
      default:
        this.stats.malformed++; // CONNECT or INFO on a stream, or an unknown type
    }
  }

  /** The relay broke the protocol on one stream: that stream ends, no other. */
  private violation(s: MuxStream, what: string) {
    this.stats.malformed++;
    this.streams.delete(s.id);
    this.sendPacket(encodeClose(s.id, REASON.UNKNOWN));
    s.sink.onEnd(undefined, other(`protocol error: the relay sent ${what}; stream closed`));
  }

  /** Stream 0: the handshake (INFO, the first CONTINUE), a CLOSE of the connection. */
  private onControl(p: Packet) {
    if (p.type === PACKET.INFO && !this.ready && !this.gotInfo && this.opts.version === 2) return this.onInfo(p.payload);
    if (p.type === PACKET.CONTINUE && !this.ready) {
      if (p.payload.length < 4) return this.die(other(`relay ${this.opts.url}: malformed first CONTINUE`));
      this.initialCredit = new DataView(p.payload.buffer, p.payload.byteOffset, 4).getUint32(0, true);
      this.stats.version = this.gotInfo ? 2 : 1;
      return this.becomeReady();
    }
    if (p.type === PACKET.CLOSE) {
      const r = p.payload[0] ?? 0;
      const why =
        r === REASON.INCOMPATIBLE
          ? "incompatible Wisp extensions (CLOSE 0x04)"
          : `closed by the relay (Wisp CLOSE 0x${r.toString(16).padStart(2, "0")}${this.gotInfo && !this.ready ? "; wrong credentials?" : ""})`;
      return this.die(other(`relay ${this.opts.url}: ${why}`));
    }
    this.stats.malformed++;
  }

  private onInfo(payload: Uint8Array) {
    this.gotInfo = true;
    const info = decodeInfo(payload);
    if (info.truncated) this.stats.malformed++;
    const offered = new Map(info.exts.map((e) => [e.id, e]));
    this.udp = offered.has(EXT.UDP);
    const mine: Extension[] = [{ id: EXT.UDP, data: new Uint8Array(0) }];
    if (offered.has(EXT.PASSWORD)) {
      const { username, password } = this.opts;
      if (username === undefined || password === undefined)
        return this.die({
          code: "denied",
          message: `relay ${this.opts.url} requires password authentication (Wisp v2); the host must configure relay.username and relay.password`,
        });
      mine.push({ id: EXT.PASSWORD, data: encodePassword(username, password)! });
    }
    this.sendPacket(encodeInfo(mine));
  }

  private becomeReady() {
    clearTimeout(this.handshakeTimer);
    this.ready = true;
    for (const { s, connect } of this.pending.splice(0)) {
      s.credit = this.initialCredit;
      this.sendPacket(connect);
      s.sink.onAnnounced();
    }
  }

  /** The socket is gone or unusable: every stream ends with `err`. */
  private die(err: NetError) {
    if (this.dead) return;
    this.dead = err;
    this.ready = false;
    clearTimeout(this.handshakeTimer);
    if (this.ws) {
      this.ws.onopen = this.ws.onmessage = this.ws.onclose = null;
      if (this.ws.readyState === WebSocket.CONNECTING || this.ws.readyState === WebSocket.OPEN) this.ws.close(1000);
    }
    const streams = [...this.streams.values()];
    this.streams.clear();
    this.pending = [];
    this.onDead();
    for (const s of streams) s.sink.onEnd(undefined, err);
  }

  /** Closes the socket and ends every stream (host side: a new relay configuration). */
  shutdown(why: string) {
    this.die(other(why));
  }
}

// ---- a TCP stream as a Conn transport ----------------------------------------

/**
 * A Wisp TCP stream behind the Conn table. Not pausable (the socket is
 * shared: pausing it for one slow reader would stall every stream), so a
 * stream over the receive bound is closed alone (CLOSE 0x81) and its Read
 * returns the queued bytes, then an error saying so.
 */
export class WispStreamTransport implements Transport {
  readonly pausable = false;
  readonly limitNote = "Wisp CLOSE 0x81; the relay's other streams go on";
  readonly maxChunk: number;
  /** A DATA packet's size is the relay's choice: one past the bound is cut
   *  at the packets this client sends (maxPacketBytes). */
  readonly maxOverflow: number;
  private s?: MuxStream;
  private opened = false;
  private gone = false;
  private waitTimer?: ReturnType<typeof setTimeout>;
  constructor(
    mux: WispMux,
    host: string,
    port: number,
    private readonly ev: TransportEvents,
    connectWaitMs: number,
    maxPacketBytes: number,
  ) {
    this.maxChunk = maxPacketBytes;
    this.maxOverflow = maxPacketBytes;
    const s = mux.open(STREAM.TCP, host, port, {
      onAnnounced: () => {
        this.waitTimer = setTimeout(() => this.markOpen(), Math.min(Math.max(0, connectWaitMs), MAX_TIMER_MS));
      },
      onWord: () => this.markOpen(),
      onData: (b) => ev.onMessage(b),
      onCredit: () => this.opened && ev.onRoom(),
      onEnd: (reason, err) => this.onEnd(reason, err),
    });
    if ("code" in s) {
      // Reported from a timer: the Conn is not constructed yet.
      this.gone = true;
      queueMicrotask(() => {
        ev.onClose(s);
        ev.onSocketGone();
      });
      return;
    }
    this.s = s;
  }
  private markOpen() {
    if (this.opened || this.gone) return;
    clearTimeout(this.waitTimer);
    this.opened = true;
    this.ev.onOpen();
  }
  private onEnd(reason: number | undefined, err?: NetError) {
    clearTimeout(this.waitTimer);
    if (this.gone) return;
    this.gone = true;
    this.s = undefined;
    const dialing = !this.opened;
    const e = err ?? closeReasonError(reason!, dialing);
    if (dialing && e === undefined) {
      // Connected, then closed at once by the destination: a Dial that
      // succeeded, whose first Read is EOF.
      this.opened = true;
      this.ev.onOpen();
    }
    this.ev.onWritesEnd(e ?? other("connection closed by the destination (Wisp CLOSE 0x02)"));
    this.ev.onClose(e);
    this.ev.onSocketGone();
  }
  get open() {
    return this.opened && this.s !== undefined;
  }
  hasRoom(highWater: number) {
    return this.s?.hasRoom(highWater) ?? false;
  }
  send(chunk: Uint8Array, _owned: boolean) {
    this.s!.send(chunk); // encodePacket copies
  }
  setReading() {}
  close(kind: "normal" | "limit") {
    this.end(kind === "limit" ? REASON.CLIENT_ERROR : REASON.VOLUNTARY);
  }
  dispose() {
    this.end(REASON.VOLUNTARY);
  }
  private end(reason: number) {
    clearTimeout(this.waitTimer);
    if (this.gone) return;
    this.gone = true;
    this.s?.close(reason);
    this.s = undefined;
    this.ev.onSocketGone();
  }
}
