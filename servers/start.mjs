// Starts every local server the demo and the page tests need (static page,
// WebSocket echo, DoH, HTTP with CORS, a blackhole TCP server, a refused
// port, a WebSocket that never answers a close, the TLS peers of tls.mjs,
// the TCP/UDP relays and their destinations of relay.mjs),
// on 127.0.0.1,
// and prints one JSON line with their URLs. Stops on SIGINT/SIGTERM.
//   node servers/start.mjs [--port N]
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { startStatic } from "./static.mjs";
import { startStallingWs, startWsEcho } from "./ws-echo.mjs";
import { startDoh } from "./doh.mjs";
import { startHttp } from "./http.mjs";
import { startTls } from "./tls.mjs";
import { startRelays } from "./relay.mjs";
import { createServer } from "node:net";

/** A TCP server that accepts and never answers: handshakes hang (dial timeouts). */
function startBlackhole() {
  const sockets = new Set();
  const server = createServer((s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
  });
  return new Promise((ok) =>
    server.listen(0, "127.0.0.1", () =>
      ok({
        url: `ws://127.0.0.1:${server.address().port}/`,
        port: server.address().port,
        close: () => new Promise((done) => (sockets.forEach((s) => s.destroy()), server.close(() => done()))),
      }),
    ),
  );
}

/**
 * A port nothing listens on, so connections are refused. Taken below the
 * kernel's ephemeral range (32768+ here), because a port released from
 * listen(0) can be handed to the next listen(0), e.g. the wasm test
 * runner's own server: then "refused" would answer.
 */
async function refusedPort() {
  for (;;) {
    const port = 20000 + Math.floor(Math.random() * 12000);
    const free = await new Promise((ok) => {
      const server = createServer();
      server.once("error", () => ok(false));
      server.listen(port, "127.0.0.1", () => server.close(() => ok(true)));
    });
    if (free) return port;
  }
}

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export async function startAll({ port = 0 } = {}) {
  const routes = {};
  // /guests/: the wasip1 programs scripts/build-guests.sh builds (the demo's WASI step).
  const web = await startStatic({ "/": join(root, "www"), "/pkg/": join(root, "pkg"), "/guests/": join(root, "target/guests") }, port, routes);
  const echo = await startWsEcho();
  const blackhole = await startBlackhole();
  const doh = await startDoh();
  const http = await startHttp();
  const stall = await startStallingWs();
  const tls = await startTls({
    mounts: { "/": join(root, "www"), "/pkg/": join(root, "pkg"), "/support/": join(root, "runtime-wasm/glue") },
  });
  const refused = await refusedPort();
  const relays = await startRelays({ refusedPort: refused, blackholePort: blackhole.port, httpPort: new URL(http.url).port });
  const urls = {
    page: `http://127.0.0.1:${web.address().port}/`,
    wsEcho: echo.url,
    blackhole: blackhole.url,
    refused: `ws://127.0.0.1:${refused}/`,
    doh: doh.url,
    http: http.url,
    wsStall: stall.url,
    ...tls.urls,
    tlsSpki: tls.spki,
    tlsCa: tls.ca,
    ...relays.urls,
  };
  // The demo page reads where its peers are.
  routes["/peers.json"] = () => JSON.stringify(urls);
  const closeWeb = () => new Promise((ok) => web.close(() => ok()));
  return { urls, close: () => Promise.all([closeWeb(), echo.close(), blackhole.close(), doh.close(), http.close(), stall.close(), tls.close(), relays.close()]).then(() => undefined) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf("--port");
  const { urls, close } = await startAll({ port: i > 0 ? Number(process.argv[i + 1]) : 0 });
  // --announce: a line for a person; otherwise one JSON line for scripts.
  if (process.argv.includes("--announce")) console.log(`Demo: open ${urls.page}  (Ctrl-C stops it)`);
  else console.log(JSON.stringify(urls));
  const stop = () => close().then(() => process.exit(0));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}
