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
//   ?flood=N           on open, send N one-byte messages as fast as the
//                      socket takes them (a hostile peer's tiny-message flood)
import { WebSocketServer } from "ws";
import { createServer } from "node:http";
import { createHash } from "node:crypto";

/**
 * A WebSocket server that completes the handshake and then reads nothing,
 * so a client's Close is never answered: the browser keeps the socket in
 * its closing handshake. `?hold=MS` cuts the TCP connection after MS
 * (default: never, until the server stops).
 */
export function startStallingWs() {
  const sockets = new Set();
  const server = createServer((_, res) => res.writeHead(426).end());
  server.on("upgrade", (req, socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    const key = req.headers["sec-websocket-key"] ?? "";
    const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
    socket.pause(); // never reads a frame, so never answers a close
    const hold = Number(new URL(req.url ?? "/", "http://x").searchParams.get("hold") ?? 0);
    if (hold > 0) setTimeout(() => socket.destroy(), hold);
  });
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () =>
      ok({
        url: `ws://127.0.0.1:${server.address().port}/stall`,
        close: () => new Promise((done) => (sockets.forEach((s) => s.destroy()), server.close(() => done()))),
      }),
    ),
  );
}

/** The echo on an existing http(s) server (wss:// behind TLS); returns close(). */
export function attachWsEcho(server) {
  const wss = new WebSocketServer({ server, maxPayload: 64 << 20 });
  wss.on("connection", echoConnection);
  return () => new Promise((done) => wss.close(() => done()));
}

export function startWsEcho({ port = 0 } = {}) {
  const wss = new WebSocketServer({ host: "127.0.0.1", port, maxPayload: 64 << 20 });
  wss.on("connection", echoConnection);
  return new Promise((ok, fail) => {
    wss.once("error", fail);
    wss.once("listening", () =>
      ok({ url: `ws://127.0.0.1:${wss.address().port}/echo`, close: () => new Promise((done) => wss.close(() => done())) }),
    );
  });
}

/** One echo connection, controlled by its URL's query (see the top). */
function echoConnection(ws, req) {
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
  if (q.has("flood")) {
    const n = num("flood");
    const one = Buffer.from([0x2a]);
    let sent = 0;
    const more = () => {
      // Keep ~1 MiB in the socket's buffer: as fast as the client reads.
      while (sent < n && ws.readyState === ws.OPEN && ws.bufferedAmount < 1 << 20) {
        ws.send(one);
        sent++;
      }
      if (sent < n && ws.readyState === ws.OPEN) setImmediate(more);
    };
    more();
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
}
