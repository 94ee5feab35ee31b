// TLS peers, on 127.0.0.1, with a throwaway CA made at start-up by openssl:
//   https  Node's http2 (HTTP/2 over TLS, HTTP/1.1 allowed), CORS on every
//          route, and the static page mounts (so a page can be https too):
//          /hello, /upload?id=X (streamed request body: answers its length
//          and sha256; /progress?id=X says how many bytes have arrived so
//          far), /slow-upload?id=X (reads nothing until /resume?id=X)
//   wss    the WebSocket echo of ws-echo.mjs behind TLS
//   bad    https with a certificate from another, untrusted CA
//   origin the routes of http.mjs over TLS with no CORS header at all (Node's
//          http2 server, HTTP/1.1 allowed), which only TLS inside the page
//          through a relay can read; reached through
//   tlsEcho a TLS echo (Node's tls, what comes in goes back)
//   originTap  a TCP forwarder in front of origin that records what passes
//          (the bytes a relay carries, both ways, the last 64 MiB); the
//          https server's /tap?marker=M answers "1" if M ever appeared in
//          them, and /tap-reset forgets them
// The server certificate names 127.0.0.1, localhost and tls.test (a name
// that is not loopback, mapped to 127.0.0.1 with Chromium's
// --host-resolver-rules, for mixed-content checks). `spki` is the base64
// SHA-256 of its public key, for Chromium's
// --ignore-certificate-errors-spki-list (how a test run trusts it).
import { execFileSync } from "node:child_process";
import { createHash, createPublicKey } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { createSecureServer } from "node:http2";
import { createServer as createHttpsServer } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { serveStatic } from "./static.mjs";
import { attachWsEcho } from "./ws-echo.mjs";
import { handle as handleHttp } from "./http.mjs";
import { createServer as createTcp, connect } from "node:net";
import { createServer as createTlsServer } from "node:tls";

/** A CA and a server certificate signed by it, as PEM strings. */
function makeCerts(dir, name) {
  const f = (x) => join(dir, `${name}-${x}`);
  const ssl = (...args) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
  ssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
    "-subj", `/CN=go-net-wasm test CA (${name})`, "-keyout", f("ca.key"), "-out", f("ca.crt"));
  ssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-subj", "/CN=127.0.0.1", "-keyout", f("key.pem"), "-out", f("csr.pem"));
  writeFileSync(f("ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:tls.test\nextendedKeyUsage=serverAuth\n");
  ssl("x509", "-req", "-in", f("csr.pem"), "-CA", f("ca.crt"), "-CAkey", f("ca.key"), "-CAcreateserial",
    "-days", "2", "-extfile", f("ext.cnf"), "-out", f("cert.pem"));
  const key = readFileSync(f("key.pem"), "utf8");
  const cert = readFileSync(f("cert.pem"), "utf8") + readFileSync(f("ca.crt"), "utf8");
  const spki = createHash("sha256")
    .update(createPublicKey(key).export({ type: "spki", format: "der" }))
    .digest("base64");
  return { key, cert, spki, ca: readFileSync(f("ca.crt"), "utf8") };
}

function cors(res) {
  res.setHeader("access-control-allow-origin", "*");
  res.setHeader("access-control-expose-headers", "*");
}

function listen(server) {
  const sockets = new Set();
  server.on("connection", (s) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
  server.on("secureConnection", (s) => s.on("error", () => {}));
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () =>
      ok({ port: server.address().port, close: () => new Promise((done) => (sockets.forEach((s) => s.destroy()), server.close(() => done()))) }),
    ),
  );
}

/** A TCP forwarder to `port` that keeps what passes (at most 64 MiB). */
function startTap(port) {
  const MAX = 64 << 20;
  let chunks = [];
  let size = 0;
  const keep = (c) => {
    chunks.push(c);
    size += c.length;
    while (size > MAX) size -= chunks.shift().length;
  };
  const server = createTcp((s) => {
    const up = connect(port, "127.0.0.1");
    s.on("data", (c) => (keep(c), up.write(c)));
    up.on("data", (c) => (keep(c), s.write(c)));
    s.on("end", () => up.end());
    up.on("end", () => s.end());
    s.on("error", () => up.destroy());
    up.on("error", () => s.destroy());
    s.on("close", () => up.destroy());
    up.on("close", () => s.destroy());
  });
  return {
    server,
    saw: (marker) => marker !== "" && Buffer.concat(chunks).includes(marker),
    reset: () => ((chunks = []), (size = 0)),
  };
}

export async function startTls({ mounts = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "go-net-wasm-tls-"));
  const good = makeCerts(dir, "good");
  const other = makeCerts(dir, "other");
  rmSync(dir, { recursive: true, force: true });

  const progress = new Map(); // upload id -> bytes received
  const paused = new Map(); // upload id -> resume()
  const https = createSecureServer({ key: good.key, cert: good.cert, allowHTTP1: true }, (req, res) =>
    handle(req, res).catch(() => res.destroy()), // an aborted upload ends its handler here, not the server
  );
  https.on("sessionError", () => {});
  async function handle(req, res) {
    const u = new URL(req.url ?? "/", "https://x");
    const id = u.searchParams.get("id") ?? "";
    cors(res);
    if (req.method === "OPTIONS") {
      res.setHeader("access-control-allow-methods", "GET, POST, PUT");
      res.setHeader("access-control-allow-headers", req.headers["access-control-request-headers"] ?? "*");
      return res.writeHead(204).end();
    }
    const count = async (gate) => {
      const h = createHash("sha256");
      let n = 0;
      progress.set(id, 0);
      if (gate) await gate;
      for await (const c of req) {
        h.update(c);
        n += c.length;
        progress.set(id, n);
      }
      return { length: n, sha256: h.digest("hex"), proto: req.httpVersion };
    };
    switch (u.pathname) {
      case "/blank.html": // an https page for mixed-content checks
        return res.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><title>tls</title>");
      case "/hello":
        return res.writeHead(200, { "content-type": "text/plain" }).end(`hello over HTTP/${req.httpVersion}\n`);
      case "/upload":
        return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(await count()));
      case "/slow-upload": {
        // Not reading is enough: HTTP/2 flow control stops the client once
        // the stream's window is full.
        const gate = new Promise((ok) => paused.set(id, ok));
        return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(await count(gate)));
      }
      case "/tap":
        return res.writeHead(200, { "content-type": "text/plain" }).end(tap.saw(u.searchParams.get("marker") ?? "") ? "1" : "0");
      case "/tap-reset":
        tap.reset();
        return res.writeHead(200, { "content-type": "text/plain" }).end("reset");
      case "/progress":
        return res.writeHead(200, { "content-type": "text/plain" }).end(String(progress.get(id) ?? -1));
      case "/resume":
        paused.get(id)?.();
        return res.writeHead(200, { "content-type": "text/plain" }).end(paused.has(id) ? "resumed" : "unknown");
      default:
        return serveStatic(mounts, req, res);
    }
  }
  const httpsL = await listen(https);

  const origin = createSecureServer({ key: good.key, cert: good.cert, allowHTTP1: true }, (req, res) =>
    handleHttp(req, res, { withCors: false }).catch(() => res.destroy()),
  );
  origin.on("sessionError", () => {});
  const originL = await listen(origin);
  const tap = startTap(originL.port);
  const tapL = await listen(tap.server);
  // TLS echo: what comes in goes back, for the benchmark's TLS rows.
  const echoTls = createTlsServer({ key: good.key, cert: good.cert }, (s) => (s.on("error", () => {}), s.pipe(s)));
  const echoTlsL = await listen(echoTls);

  const wssServer = createHttpsServer({ key: good.key, cert: good.cert });
  const closeEcho = attachWsEcho(wssServer);
  const wssL = await listen(wssServer);

  const bad = createHttpsServer({ key: other.key, cert: other.cert }, (_, res) => {
    cors(res);
    res.writeHead(200).end("you should not see this\n");
  });
  attachWsEcho(bad);
  const badL = await listen(bad);

  return {
    spki: good.spki,
    /** The good server's CA (PEM), for a browser that trusts roots, not keys (Firefox's profile). */
    ca: good.ca,
    urls: {
      https: `https://127.0.0.1:${httpsL.port}`,
      httpsPage: `https://tls.test:${httpsL.port}/`,
      wss: `wss://127.0.0.1:${wssL.port}/echo`,
      badHttps: `https://127.0.0.1:${badL.port}/`,
      badWss: `wss://127.0.0.1:${badL.port}/echo`,
      /** host:port destinations, for a relay. */
      tlsOrigin: `127.0.0.1:${originL.port}`,
      tlsOriginTap: `127.0.0.1:${tapL.port}`,
      tlsBad: `127.0.0.1:${badL.port}`,
      tlsEcho: `127.0.0.1:${echoTlsL.port}`,
    },
    close: () => Promise.all([httpsL.close(), wssL.close(), closeEcho(), badL.close(), originL.close(), tapL.close(), echoTlsL.close()]).then(() => undefined),
  };
}
