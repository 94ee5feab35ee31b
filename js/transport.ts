// What carries a Conn's bytes (js/conn.ts): the WebSocket transports
// (js/ws.ts) and a Wisp stream (js/wisp.ts) implement `Transport`; a table
// opens one through a `Dialer`.
import type { NetError } from "./errors.js";

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

/** How a Conn table opens one connection: the transport, given its events. */
export type Dialer = (ev: TransportEvents) => Transport;
