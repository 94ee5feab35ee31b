// WebSocket echo peer for the Conn tests and the demo, built on the `ws`
// package, on 127.0.0.1. The query string of the connection URL controls it,
// so each test gets the behaviour it needs from a real server:
//   ?delay=MS          wait MS before each echo
//   ?silent=1          never echo (read-deadline tests)
//   ?text=1            echo as text frames instead of binary
//   ?after=N           apply close/drop after echoing N messages (default 0:
//                      right after the handshake)
//   ?close=CODE&reason=TEXT   then close cleanly with CODE and TEXT
//   ?drop=1            then cut the TCP connection with no close frame
//                      (the browser reports 1006)
//   ?send=BYTES&chunk=SIZE    on open, send BYTES bytes (byte i = i % 251)
//                      in binary messages of SIZE bytes, then keep echoing
//   ?pause=1           stop reading from the socket, so the client's
//                      bufferedAmount grows (real write backpressure)
import { WebSocketServer } from "ws";

export function startWsEcho({ port = 0 } = {}) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port, maxPayload: 64 << 20 });
  wss.on("connection", (ws, req) => {
    const q = new URL(req.url ?? "/", "http://x").searchParams;
    const num = (k, d = 0) => (q.has(k) ? Number(q.get(k)) : d);
    const delay = num("delay");
    const after = num("after");
    let echoed = 0;
    const finish = () => {
      if (q.has("drop")) ws.terminate();
      else if (q.has("close")) ws.close(num("close"), q.get("reason") ?? "");
    };
    if (q.has("send")) {
      const total = num("send");
      const chunk = Math.max(1, num("chunk", 16384));
      for (let off = 0; off < total; off += chunk) {
        const n = Math.min(chunk, total - off);
        const buf = Buffer.alloc(n);
        for (let i = 0; i < n; i++) buf[i] = (off + i) % 251;
        ws.send(buf);
      }
    }
    if (q.has("pause")) ws.pause();
    if (after === 0 && (q.has("close") || q.has("drop"))) return finish();
    ws.on("message", (data, isBinary) => {
      if (q.has("silent")) return;
      const echo = () => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(data, { binary: q.has("text") ? false : isBinary });
        if (++echoed === after) finish();
      };
      delay > 0 ? setTimeout(echo, delay) : echo();
    });
  });
  return new Promise((ok, fail) => {
    wss.once("error", fail);
    wss.once("listening", () =>
      ok({ url: `ws://127.0.0.1:${wss.address().port}/echo`, close: () => new Promise((done) => wss.close(() => done())) }),
    );
  });
}
