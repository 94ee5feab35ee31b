// Serves the demo page and the built package on 127.0.0.1 with Node's own
// http module. Later servers (WebSocket echo, HTTP with CORS, DoH) start
// from servers/start.mjs beside it.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { extname, isAbsolute, join, relative, resolve } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
};

/**
 * Answers one request from `mounts` ({"/": dir, "/pkg/": dir}); used by
 * startStatic and by the TLS server (servers/tls.mjs).
 */
export async function serveStatic(mounts, req, res, routes = {}, headers = {}) {
  const roots = Object.entries(mounts).sort((a, b) => b[0].length - a[0].length);
  let path;
  try {
    path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
  } catch {
    return void res.writeHead(400).end("bad request: malformed percent-escape");
  }
  if (path.includes("\0")) return void res.writeHead(400).end("bad request");
  if (routes[path]) {
    return void res.writeHead(200, { ...headers, "content-type": TYPES[".json"], "cache-control": "no-store" }).end(routes[path]());
  }
  const mount = roots.find(([prefix]) => path.startsWith(prefix));
  if (!mount) return void res.writeHead(404).end("not found");
  const root = resolve(mount[1]);
  let file = resolve(root, `./${path.slice(mount[0].length)}`);
  // Inside root, by path components: a sibling sharing root's prefix
  // (/srv/www-x beside /srv/www) is outside.
  const rel = relative(root, file);
  if (rel.startsWith("..") || isAbsolute(rel)) return void res.writeHead(403).end("forbidden");
  if (path.endsWith("/")) file = join(file, "index.html");
  try {
    const body = await readFile(file);
    res.writeHead(200, { ...headers, "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    res.end(body);
  } catch {
    res.writeHead(404).end("not found");
  }
}

/**
 * Serves `mounts` ({"/": dir, "/pkg/": dir}) and resolves to the server.
 * `routes` ({"/peers.json": () => text}) answer generated JSON; the caller may
 * fill it after the server started. `headers` go on every response.
 */
export function startStatic(mounts, port = 0, routes = {}, headers = {}) {
  const server = createServer((req, res) => serveStatic(mounts, req, res, routes, headers));
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => ok(server));
  });
}
