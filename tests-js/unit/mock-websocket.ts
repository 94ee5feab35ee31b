// A mocked browser WebSocket for the vitest suites (ws.test.ts, externs.test.ts):
// the test opens it, delivers messages and closes it from the peer's side.
export class MockWebSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  static last?: MockWebSocket;
  readyState = 0;
  bufferedAmount = 0;
  binaryType = "blob";
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: (() => void) | null = null;
  sent: number[][] = [];
  closedWith?: { code?: number; reason?: string };
  private listeners: Array<(ev: { code: number; reason: string }) => void> = [];
  addEventListener(type: string, f: (ev: { code: number; reason: string }) => void) {
    if (type === "close") this.listeners.push(f);
  }
  binaryTypeAtConstruction?: string;
  constructor(readonly url: string) {
    if (url.includes("[")) throw Object.assign(new Error(`The URL '${url}' is invalid.`), { name: "SyntaxError" });
    MockWebSocket.last = this;
  }
  send(d: Uint8Array) {
    this.sent.push([...d]);
    this.bufferedAmount += d.length;
  }
  close(code?: number, reason?: string) {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }
  // ---- what the network does ----
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  message(data: number[] | string) {
    this.onmessage?.({ data: typeof data === "string" ? data : new Uint8Array(data).buffer });
  }
  /** An `error` event alone (WebKit's failed dial), or before a close (Chromium's). */
  error() {
    this.onerror?.();
  }
  peerClose(code: number, reason = "") {
    this.readyState = 3;
    this.onclose?.({ code, reason });
    for (const f of this.listeners) f({ code, reason });
  }
}
