// The TCP/UDP relay peers (issue 13), all on 127.0.0.1: two independent Wisp
// servers from npm, a wsproxy endpoint, websockify, and the destinations
// they reach (TCP echo, a TCP sink that stops reading, a UDP echo, a real
// redis-server). Test-only: the Wisp servers are LGPL/AGPL packages that
// never ship (package.json devDependencies; the crate and js/ use none of
// their code).
//
//   wispV2     @mercuryworkshop/wisp-js server, Wisp v2 (INFO handshake, UDP
//              extension) when the client offers the "wisp-v2" subprotocol;
//              loopback targets allowed, port RELAY_BLOCKED_PORT blocked
//              (CLOSE 0x48) to show the relay's own policy.
//   wispV1     wisp-server-node, Wisp v1 only (no INFO, no filtering).
//   wsproxy    wisp-server-node's wsproxy endpoint: one WebSocket per TCP
//              connection to `${wsproxy}host:port`. (wisp-js 0.5.0 has one
//              too, but it hands binary frames to socket.write as
//              ArrayBuffers, which Node rejects: its streams hang.)
//   websockify Debian's python3-websockify, wsproxy style for one fixed
//              target (the TCP echo), whatever path is asked.
//   wispCut    a forwarder in front of wisp-js whose connections are cut by
//              a GET of wispCutControl (the relay socket dropped mid-use).
//   wispNoProtocol  wisp-server-node behind a forwarder that drops the
//              request's Sec-WebSocket-Protocol, so the server answers no
//              subprotocol (as a v1 server on a plain WebSocket library does).
//   relayLog   a wsproxy-style endpoint that only records the path of every
//              WebSocket upgrade it is asked for (then drops it); GET
//              relayLogRead answers the list as JSON, with CORS.
//   tcpEcho / tcpSink / udpEcho / redis: host:port destinations.
//   tcpSink: reads one line "HOLD <ms>\n", then reads nothing for <ms> (the
//   kernel buffers fill, then the relay's), then reads and discards
//   everything, answering "RESUMED\n" once.
import { createServer as createHttp } from "node:http";
import { createServer as createTcp, connect } from "node:net";
import { createSocket } from "node:dgram";
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { lookup } from "node:dns/promises";

/** A port wisp-js refuses to connect to (its policy, CLOSE 0x48). */
export const RELAY_BLOCKED_PORT = 9;

const listen = (server) =>
  new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => ok(server.address().port));
  });

/** Closes a server and every socket it accepted. */
function closer(server, sockets) {
  return () =>
    new Promise((done) => {
      for (const s of sockets) s.destroy();
      server.close(() => done());
    });
}

function track(server) {
  const sockets = new Set();
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
  });
  return closer(server, sockets);
}

async function startTcpEcho() {
  const server = createTcp((s) => s.pipe(s));
  const close = track(server);
  return { addr: `127.0.0.1:${await listen(server)}`, close };
}

async function startTcpSink() {
  const server = createTcp((s) => {
    let head = "";
    const onHead = (d) => {
      head += d.toString("latin1");
      const nl = head.indexOf("\n");
      if (nl < 0) return;
      s.off("data", onHead);
      s.pause();
      const ms = Number(/^HOLD (\d+)/.exec(head)?.[1] ?? 0);
      setTimeout(() => {
        s.on("data", () => {});
        s.resume();
        s.write("RESUMED\n");
      }, ms);
    };
    s.on("data", onHead);
  });
  const close = track(server);
  return { addr: `127.0.0.1:${await listen(server)}`, close };
}

async function startUdpEcho() {
  const sock = createSocket("udp4");
  sock.on("message", (msg, from) => sock.send(msg, from.port, from.address));
  await new Promise((ok) => sock.bind(0, "127.0.0.1", ok));
  return { addr: `127.0.0.1:${sock.address().port}`, close: () => new Promise((ok) => sock.close(() => ok())) };
}

/** Resolves once something accepts TCP connections on port (or fails after ~10 s). */
async function waitForPort(port, what) {
  for (let i = 0; i < 200; i++) {
    const up = await new Promise((ok) => {
      const c = connect(port, "127.0.0.1", () => (c.destroy(), ok(true)));
      c.on("error", () => ok(false));
    });
    if (up) return;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`${what} did not start listening on port ${port}`);
}

async function freePort() {
  const s = createTcp();
  const port = await listen(s);
  await new Promise((ok) => s.close(ok));
  return port;
}

/** A child process stopped by its pid when the peers stop. */
function child(cmd, args, what) {
  const p = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  p.stderr.on("data", (d) => (err = (err + d).slice(-2000)));
  const exited = new Promise((ok) => p.once("exit", ok));
  p.once("error", (e) => (err += String(e)));
  return {
    pid: p.pid,
    error: () => `${what} failed: ${err}`,
    close: () => {
      if (p.exitCode === null && p.signalCode === null) p.kill("SIGTERM");
      return exited.then(() => undefined);
    },
  };
}

async function startRedis() {
  const port = await freePort();
  const c = child("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], "redis-server");
  try {
    await waitForPort(port, "redis-server");
  } catch (e) {
    await c.close();
    throw new Error(`${e.message}: ${c.error()}`);
  }
  return { addr: `127.0.0.1:${port}`, close: c.close };
}

async function startWebsockify(target) {
  const port = await freePort();
  const c = child("websockify", [`127.0.0.1:${port}`, target], "websockify");
  try {
    await waitForPort(port, "websockify");
  } catch (e) {
    await c.close();
    throw new Error(`${e.message}: ${c.error()}`);
  }
  return { url: `ws://127.0.0.1:${port}/`, close: c.close };
}

async function startWispJs() {
  const { server: wisp, logging } = await import("@mercuryworkshop/wisp-js/server");
  logging.set_level(logging.ERROR);
  Object.assign(wisp.options, {
    allow_loopback_ips: true,
    allow_private_ips: true,
    port_blacklist: [RELAY_BLOCKED_PORT],
    // The relay resolves the test zone's loopback name as the DoH peer does
    // (a guest that looked it up dials it by name, js/wasi-sockets.ts).
    dns_method: async (host) => (host === "loop.test.example" ? "127.0.0.1" : (await lookup(host)).address),
  });
  const http = createHttp((_, res) => res.writeHead(426).end());
  http.on("upgrade", (req, socket, head) => wisp.routeRequest(req, socket, head));
  const close = track(http);
  const port = await listen(http);
  return { wisp: `ws://127.0.0.1:${port}/wisp/`, close };
}

async function startWispServerNode() {
  // CommonJS; it prints a deprecation notice on stderr when loaded.
  const mod = createRequire(import.meta.url)("wisp-server-node");
  const http = createHttp((_, res) => res.writeHead(426).end());
  http.on("upgrade", (req, socket, head) => mod.routeRequest(req, socket, head, { logLevel: 4, pingInterval: 30 }));
  const close = track(http);
  const port = await listen(http);
  return { wisp: `ws://127.0.0.1:${port}/`, wsproxy: `ws://127.0.0.1:${port}/wsproxy/`, close };
}

/**
 * A TCP forwarder for WebSocket upgrades to `target` (host:port); any other
 * request cuts every forwarded connection (answered with CORS, so a page
 * can ask).
 */
async function startCutter(targetPort, { dropProtocol = false } = {}) {
  const pairs = new Set();
  const http = createHttp((req, res) => {
    for (const s of pairs) s.destroy();
    pairs.clear();
    res.writeHead(200, { "access-control-allow-origin": "*" }).end("cut");
  });
  http.on("upgrade", (req, socket, head) => {
    const up = connect(targetPort, "127.0.0.1");
    for (const s of [socket, up]) {
      pairs.add(s);
      s.on("error", () => {});
      s.on("close", () => (pairs.delete(s), socket.destroy(), up.destroy()));
    }
    const lines = [`${req.method} ${req.url} HTTP/1.1`];
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      if (dropProtocol && req.rawHeaders[i].toLowerCase() === "sec-websocket-protocol") continue;
      lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
    }
    up.write(lines.join("\r\n") + "\r\n\r\n");
    if (head.length) up.write(head);
    socket.pipe(up).pipe(socket);
  });
  const close = track(http);
  const port = await listen(http);
  return { url: `ws://127.0.0.1:${port}/wisp/`, control: `http://127.0.0.1:${port}/cut`, close };
}

/** A relay that logs what it is asked (the paths of its upgrades), and drops each. */
async function startRelayLog() {
  const asked = [];
  const http = createHttp((req, res) => res.writeHead(200, { "access-control-allow-origin": "*", "content-type": "application/json" }).end(JSON.stringify(asked)));
  http.on("upgrade", (req, socket) => {
    if (asked.length < 10_000) asked.push(req.url);
    socket.destroy();
  });
  const close = track(http);
  const port = await listen(http);
  return { url: `ws://127.0.0.1:${port}/tcp/`, read: `http://127.0.0.1:${port}/log`, close };
}

/** Starts every relay and destination; `refusedPort` and `blackhole` come from start.mjs. */
export async function startRelays({ refusedPort, blackholePort, httpPort }) {
  const started = [];
  const add = async (p) => (started.push(p), p);
  try {
    const echo = await add(await startTcpEcho());
    const sink = await add(await startTcpSink());
    const udp = await add(await startUdpEcho());
    const redis = await add(await startRedis());
    const wispJs = await add(await startWispJs());
    const wispNode = await add(await startWispServerNode());
    const websockify = await add(await startWebsockify(echo.addr));
    const cutter = await add(await startCutter(new URL(wispJs.wisp).port));
    const relayLog = await add(await startRelayLog());
    const noProtocol = await add(await startCutter(new URL(wispNode.wisp).port, { dropProtocol: true }));
    return {
      urls: {
        wispV2: wispJs.wisp,
        wispV1: wispNode.wisp,
        wsproxy: wispNode.wsproxy,
        websockify: websockify.url,
        wispCut: cutter.url,
        wispCutControl: cutter.control,
        wispNoProtocol: `${noProtocol.url.replace(/\/wisp\/$/, "")}${new URL(wispNode.wisp).pathname}`,
        relayLog: relayLog.url,
        relayLogRead: relayLog.read,
        tcpEcho: echo.addr,
        tcpSink: sink.addr,
        udpEcho: udp.addr,
        redis: redis.addr,
        tcpHttp: `127.0.0.1:${httpPort}`,
        tcpRefused: `127.0.0.1:${refusedPort}`,
        tcpBlackhole: `127.0.0.1:${blackholePort}`,
        relayBlockedPort: RELAY_BLOCKED_PORT,
      },
      close: () => Promise.all(started.map((p) => p.close())).then(() => undefined),
    };
  } catch (e) {
    await Promise.all(started.map((p) => p.close()));
    throw e;
  }
}
