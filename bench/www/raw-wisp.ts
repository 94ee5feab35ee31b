// The raw Wisp echo, shared by the benchmark page (a browser WebSocket) and
// bench/run.mjs (the `ws` package in Node, for the relay's ceiling without a
// browser): build-bench.sh bundles it for both.
import { WS_DEFAULTS } from "../../js/ws.js";

/** What the echo needs of a WebSocket (the browser's, or `ws` in Node). */
interface Socket {
  binaryType: string;
  bufferedAmount: number;
  onmessage: ((e: MessageEvent) => void) | null;
  send(d: Uint8Array): void;
  close(): void;
}
type Open = (url: string, protocols: string[]) => Socket;

/** Bytes 0, 1, 2, ... (wrapping), so nothing compresses or dedups. */
export function pattern(n: number) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i & 255;
  return b;
}

/**
 * The relay echo by hand: a raw WebSocket speaking just enough Wisp v2 (the
 * INFO answer, CONNECT, DATA within the CONTINUE credit) to send `total`
 * bytes to a TCP echo behind the relay in `chunk`-byte packets and count
 * them back. The baseline for Dial("tcp") through the relay; bench/run.mjs
 * also runs it from Node (`ws`) for the relay's own ceiling.
 */
export async function rawWispEcho(open: Open, relayUrl: string, dest: string, total: number, chunk: number) {
  const ws = open(relayUrl, ["wisp-v2"]);
  ws.binaryType = "arraybuffer";
  const packet = (type: number, id: number, payload: Uint8Array) => {
    const p = new Uint8Array(5 + payload.length);
    p[0] = type;
    new DataView(p.buffer).setUint32(1, id, true);
    p.set(payload, 5);
    return p;
  };
  let credit = 0;
  let onCredit = () => {};
  let got = 0;
  let onData = () => {};
  const ready = new Promise<void>((ok) => {
    ws.onmessage = (e) => {
      const b = new Uint8Array(e.data as ArrayBuffer);
      const id = new DataView(b.buffer).getUint32(1, true);
      if (b[0] === 5) ws.send(packet(5, 0, Uint8Array.of(2, 0, 1, 0, 0, 0, 0)));
      else if (b[0] === 3) {
        credit = new DataView(b.buffer).getUint32(5, true);
        if (id === 0) ok();
        else onCredit();
      } else if (b[0] === 2) {
        got += b.length - 5;
        onData();
      }
    };
  });
  await ready;
  const [host, port] = [dest.slice(0, dest.lastIndexOf(":")), Number(dest.slice(dest.lastIndexOf(":") + 1))];
  const h = new TextEncoder().encode(host);
  const connect = new Uint8Array(3 + h.length);
  connect[0] = 1;
  new DataView(connect.buffer).setUint16(1, port, true);
  connect.set(h, 3);
  ws.send(packet(1, 1, connect));
  const data = pattern(chunk);
  const t0 = performance.now();
  const done = new Promise<void>((ok) => (onData = () => got >= total && ok()));
  for (let sent = 0; sent < total; ) {
    while (credit === 0 || ws.bufferedAmount > WS_DEFAULTS.writeHighWaterBytes)
      await new Promise<void>((ok) => {
        onCredit = ok;
        setTimeout(ok, 2);
      });
    const n = Math.min(chunk, total - sent);
    ws.send(packet(2, 1, data.subarray(0, n)));
    credit--;
    sent += n;
  }
  await done;
  const ms = performance.now() - t0;
  ws.close();
  return ms;
}

