// Page test: the consumer app (consumer/, built outside the tree by
// scripts/consumer.sh from the packed npm tarball and the crate by path,
// bundled by esbuild) in real headless Chromium. It runs one networking
// program in the page and in a module Web Worker, and calls the package's
// prebuilt wasm through its loader; every result is checked here.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Server } from "node:http";
import { afterAll, beforeAll, expect, it } from "vitest";
// @ts-expect-error: plain .mjs module without types
import { startAll } from "../../servers/start.mjs";
// @ts-expect-error: plain .mjs module without types
import { startStatic } from "../../servers/static.mjs";
// @ts-expect-error: plain .mjs module without types
import { launchChromium } from "../../servers/chromium.mjs";
// @ts-expect-error: plain .mjs module without types
import { launchFirefox } from "../../servers/firefox.mjs";

const dist =
  process.env.CONSUMER_DIST ??
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "go-net-wasm/consumer/app/dist");

let servers: { urls: Record<string, string>; close(): Promise<void> };
let app: Server;

beforeAll(async () => {
  // Not a skip: without the built app this suite fails.
  if (!existsSync(join(dist, "main.js"))) throw new Error(`no consumer app at ${dist}: run scripts/consumer.sh`);
  servers = await startAll();
  app = await startStatic({ "/": dist });
});

afterAll(async () => {
  app?.close();
  await servers?.close();
});

/** Chromium through playwright-core, Firefox ESR through puppeteer-core: the calls both have. */
const ENGINES: Record<string, () => Promise<{ newPage(): Promise<any>; close(): Promise<void> }>> = { chromium: launchChromium, firefox: launchFirefox };

for (const [engine, launch] of Object.entries(ENGINES))
it(`runs the user's program from the packed package and the crate, in the page and in a Worker (${engine})`, async () => {
  const browser = await launch();
  try {
    await consumerRun(await browser.newPage());
  } finally {
    await browser.close();
  }
}, 120_000);

async function consumerRun(page: any) {
  const errors: string[] = [];
  page.on("pageerror", (e: unknown) => errors.push(String(e)));
  const { port } = app.address() as { port: number };
  const q = new URLSearchParams({ doh: servers.urls.doh, ws: servers.urls.wsEcho, http: servers.urls.http });
  await page.goto(`http://127.0.0.1:${port}/index.html?${q}`);
  // Polled with evaluate (the two libraries' waitForFunction take their arguments differently).
  for (let t = Date.now(); !(await page.evaluate(() => (window as any).consumer?.done)); ) {
    if (Date.now() - t > 60_000) throw new Error("the consumer app did not finish in 60 s");
    await new Promise((r) => setTimeout(r, 100));
  }
  const out: any = await page.evaluate(() => (window as any).consumer);
  expect(errors).toEqual([]);

  for (const where of ["page", "worker"]) {
    expect(out[where], where).toMatchObject({ ok: true });
    const r = out[where].report;
    expect(r.where).toBe(where);
    expect(r.bindings).toBeGreaterThan(30); // the whole _net* table from go-net-wasm/bindings
    // DoH through the local dnsdist + dnsmasq zone.
    expect(r.addrs).toEqual(["10.9.8.7", "fd00::7"]);
    // ws echo; a read deadline that passes with Go's error, then the same Conn works.
    expect(r.echoed).toBe("hello from the consumer");
    expect(r.deadline_is_timeout).toBe(true);
    expect(r.deadline_error).toBe(`read ws http://127.0.0.1:${port}->${servers.urls.wsEcho}: i/o timeout`);
    expect(r.after_deadline).toBe("still alive");
    // http.Get: 2 MiB streamed in many reads, hashed in Rust against the server's x-sha256.
    expect(r).toMatchObject({ http_status: 200, http_bytes: 2097152, http_hash_matches: true, open_conns: 0 });
    expect(r.http_reads).toBeGreaterThan(4);
  }
  // The prebuilt wasm, through the package's loader and exports map.
  expect(out.prebuilt, JSON.stringify(out.prebuilt)).toMatchObject({ ok: true, report: { addrs: ["10.1.2.3"], err: null } });
}
