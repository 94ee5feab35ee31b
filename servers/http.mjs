// The HTTP peer for the fetch client tests and the demo: Node's http module
// on 127.0.0.1. Every route sends CORS headers (any origin, every response
// header exposed) except /nocors, which is there to see a real CORS
// failure. Bodies are generated, never stored, so a 64 MiB response costs
// no memory; x-sha256 carries the hash of what the body will be.
//   /bytes?n=N&seed=S[&chunk=C][&chunked=1]  N deterministic bytes
//   /gzip?n=N                                 N bytes of text, gzip-encoded
//   /chunked                                  5 parts, no Content-Length
//   /redirect?n=K[&to=URL][&code=C]           K redirects (302, or C), then `to`
//                                             (default /hello; may be absolute)
//   /mark?id=X, /marked?id=X                  records a request; "1" if one came
//   /hello                                    "hello\n"
//   /status/CODE                              that status
//   /slow-headers?ms=M                        headers after M ms
//   /slow-body?every=M&n=K                    a byte every M ms, K bytes
//   /echo                                     the request, as JSON
//   /drop?after=N                             promises more, sends N bytes, drops
//   /nocors                                   no Access-Control-Allow-Origin (but
//                                             Cross-Origin-Resource-Policy, so even a
//                                             cross-origin-isolated page can probe it)
import { createServer } from "node:http";
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";

/** N deterministic bytes from a seed (xorshift32), produced block by block. */
function* blocks(n, seed, size = 64 * 1024) {
  let x = (seed >>> 0) || 0x9e3779b9;
  for (let done = 0; done < n; ) {
    const len = Math.min(size, n - done);
    const words = new Uint32Array(Math.ceil(len / 4));
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      words[i] = x;
    }
    yield new Uint8Array(words.buffer, 0, len);
    done += len;
  }
}

const hashes = new Map();
function sha256Of(n, seed) {
  const key = `${n}/${seed}`;
  if (!hashes.has(key)) {
    const h = createHash("sha256");
    for (const b of blocks(n, seed)) h.update(b);
    hashes.set(key, h.digest("hex"));
  }
  return hashes.get(key);
}

const text = (n) => Buffer.from("The quick brown fox jumps over the lazy dog.\n".repeat(Math.ceil(n / 45))).subarray(0, n);

function cors(req, res) {
  res.setHeader("access-control-allow-origin", "*");
  res.setHeader("access-control-expose-headers", "*");
}

/** Writes `chunks` honouring backpressure; resolves when all are written. */
async function pump(res, chunks) {
  for (const c of chunks) {
    if (res.destroyed) return;
    if (!res.write(c)) {
      // Both listeners go once either fires (else "close" ones pile up).
      await new Promise((ok) => {
        const done = () => (res.off("drain", done).off("close", done), ok());
        res.on("drain", done).on("close", done);
      });
    }
  }
  res.end();
}

const marks = new Set();
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** The routes above; `withCors: false` sends no CORS header at all (the
 * TLS origin of tls.mjs, which only the relay path can read). */
export async function handle(req, res, { withCors = true } = {}) {
  const u = new URL(req.url, "http://x");
  const q = (k, d) => (u.searchParams.has(k) ? Number(u.searchParams.get(k)) : d);
  if (u.pathname !== "/nocors" && withCors) cors(req, res);
  if (req.method === "OPTIONS") {
    res.setHeader("access-control-allow-methods", "GET, HEAD, POST, PUT, PATCH, DELETE");
    res.setHeader("access-control-allow-headers", req.headers["access-control-request-headers"] ?? "*");
    res.setHeader("access-control-max-age", "600");
    res.writeHead(204).end();
    return;
  }
  switch (u.pathname) {
    case "/bytes": {
      const n = q("n", 1024), seed = q("seed", 1);
      res.setHeader("content-type", "application/octet-stream");
      res.setHeader("x-sha256", sha256Of(n, seed));
      if (!u.searchParams.has("chunked")) res.setHeader("content-length", String(n));
      res.writeHead(200);
      if (req.method === "HEAD") return res.end();
      return pump(res, blocks(n, seed, q("chunk", 64 * 1024)));
    }
    case "/gzip": {
      const body = text(q("n", 100_000));
      res.setHeader("content-type", "text/plain");
      res.setHeader("content-encoding", "gzip");
      res.setHeader("x-sha256", createHash("sha256").update(body).digest("hex"));
      res.setHeader("x-length", String(body.length));
      return res.writeHead(200).end(gzipSync(body));
    }
    case "/chunked": {
      res.writeHead(200, { "content-type": "text/plain" });
      for (let i = 0; i < 5; i++) {
        res.write(`part ${i}\n`);
        await sleep(20);
      }
      return res.end();
    }
    case "/redirect": {
      const n = q("n", 1);
      const to = u.searchParams.get("to") ?? "/hello";
      const next = n > 1 ? `/redirect?n=${n - 1}&to=${encodeURIComponent(to)}` : to;
      return res.writeHead(q("code", 302), { location: next }).end();
    }
    case "/mark":
      marks.add(u.searchParams.get("id"));
      return res.writeHead(200, { "content-type": "text/plain" }).end("marked\n");
    case "/marked":
      return res.writeHead(200, { "content-type": "text/plain" }).end(marks.has(u.searchParams.get("id")) ? "1" : "0");
    case "/hello":
      return res.writeHead(200, { "content-type": "text/plain", "content-length": "6" }).end("hello\n");
    case "/slow-headers":
      await sleep(q("ms", 1000));
      return res.writeHead(200).end("late\n");
    case "/slow-body": {
      res.writeHead(200, { "content-type": "application/octet-stream" });
      for (let i = 0; i < q("n", 100) && !res.destroyed; i++) {
        res.write("x");
        await sleep(q("every", 50));
      }
      return res.end();
    }
    case "/echo": {
      const h = createHash("sha256");
      let length = 0;
      const parts = [];
      for await (const c of req) {
        h.update(c);
        length += c.length;
        if (length <= 4096) parts.push(c);
      }
      const body = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        length,
        sha256: h.digest("hex"),
        text: length <= 4096 ? Buffer.concat(parts).toString("utf8") : null,
      };
      return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    }
    case "/drop": {
      const after = q("after", 1000);
      res.writeHead(200, { "content-length": String(after * 10) });
      res.write(Buffer.alloc(after, 0x61));
      await sleep(50);
      return res.destroy();
    }
    case "/nocors":
      res.setHeader("cross-origin-resource-policy", "cross-origin");
      return res.writeHead(200, { "content-type": "text/plain" }).end("secret\n");
    default: {
      const m = /^\/status\/(\d{3})$/.exec(u.pathname);
      if (m) return res.writeHead(Number(m[1]), { "content-type": "text/plain" }).end(`status ${m[1]}\n`);
      return res.writeHead(404, { "content-type": "text/plain" }).end("no such route\n");
    }
  }
}

export function startHttp(port = 0) {
  const sockets = new Set();
  const server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      if (!res.headersSent) res.writeHead(500).end(String(e));
      else res.destroy();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((ok) =>
    server.listen(port, "127.0.0.1", () =>
      ok({
        url: `http://127.0.0.1:${server.address().port}`,
        close: () => new Promise((done) => (sockets.forEach((s) => s.destroy()), server.close(() => done()))),
      }),
    ),
  );
}
