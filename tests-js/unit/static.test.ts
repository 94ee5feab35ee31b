// The dev server (servers/static.mjs) is still a server: it must survive
// malformed requests and serve nothing outside its roots.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs server module without types
import { startStatic } from "../../servers/static.mjs";

let server: { close(cb: () => void): void; address(): { port: number } };
let base: string;

/** A raw GET: the path goes out byte for byte (fetch would normalize it). */
function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((ok, fail) => {
    const req = request({ host: "127.0.0.1", port: server.address().port, path, method: "GET" }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => ok({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", fail);
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to ${path}`)));
    req.end();
  });
}

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), "static-"));
  mkdirSync(join(base, "www"));
  mkdirSync(join(base, "www-x"));
  writeFileSync(join(base, "www", "index.html"), "home");
  writeFileSync(join(base, "www", "a.js"), "js");
  writeFileSync(join(base, "www-x", "secret.txt"), "secret");
  writeFileSync(join(base, "top.txt"), "top");
  server = await startStatic({ "/": join(base, "www") });
});
afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

describe("servers/static.mjs", () => {
  it("serves files under its root", async () => {
    expect(await get("/")).toEqual({ status: 200, body: "home" });
    expect(await get("/a.js")).toEqual({ status: 200, body: "js" });
    expect((await get("/missing")).status).toBe(404);
  });

  it("answers a malformed percent-escape with 400 and keeps serving", async () => {
    for (const p of ["/%E0%A4%A", "/%", "/%zz", "/a%00b"]) expect((await get(p)).status, p).toBe(400);
    expect(await get("/a.js")).toEqual({ status: 200, body: "js" });
  });

  it("serves nothing outside its root: parents, siblings sharing its prefix", async () => {
    for (const p of ["/..%2fwww-x/secret.txt", "/..%2f..%2fetc%2fpasswd", "/%2e%2e/top.txt", "/..%5ctop.txt", "/../top.txt"]) {
      const r = await get(p);
      expect(r.body, p).not.toMatch(/secret|top|root:/);
      expect([403, 404], p).toContain(r.status);
    }
  });
});
