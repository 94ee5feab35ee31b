// The TLS build as a JS host uses it (go-net-wasm/tls: js/tls.ts bundled by
// esbuild, pkg-tls/'s wasm): `fetch` through the relay to the TLS origin of
// servers/tls.mjs, which sends no CORS header at all, in Chromium and
// Firefox. The same request through the browser's fetch is refused (CORS),
// which is why the relay path exists.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Server } from "node:http";
import { build } from "esbuild";
import { afterAll, beforeAll, expect, it } from "vitest";
// @ts-expect-error: plain .mjs module without types
import { startAll } from "../../servers/start.mjs";
// @ts-expect-error: plain .mjs module without types
import { startStatic } from "../../servers/static.mjs";
// @ts-expect-error: plain .mjs module without types
import { launchChromium } from "../../servers/chromium.mjs";
// @ts-expect-error: plain .mjs module without types
import { launchFirefox } from "../../servers/firefox.mjs";
// @ts-expect-error: plain .mjs module without types
import { launchWebKit } from "../../servers/webkit.mjs";

let servers: { urls: Record<string, string>; close(): Promise<void> };
let app: Server;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "tls-fetch-"));
  await build({ entryPoints: [join(import.meta.dirname, "../../js/tls.ts")], bundle: true, format: "esm", outfile: join(dir, "tls.js"), logLevel: "error" });
  writeFileSync(join(dir, "index.html"), `<!doctype html><title>tls fetch</title>`);
  servers = await startAll();
  app = await startStatic({ "/": dir, "/pkg-tls/": join(import.meta.dirname, "../../pkg-tls") });
});

afterAll(async () => {
  app?.close();
  await servers?.close();
});

// WebKit too: the TLS build needs no JSPI (it is Rust's own async).
const ENGINES = { chromium: () => launchChromium(), firefox: () => launchFirefox(), webkit: () => launchWebKit() } as const;

for (const [engine, launch] of Object.entries(ENGINES))
  it(`fetch through the relay reads a host that sends no CORS headers (${engine})`, async () => {
    const browser = await launch();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      // Firefox reports the deliberately refused direct fetch on its console
      // as a page error: the browser's line, not the page's.
      const refused = /^Error: Cross-Origin Request Blocked: .* at https:\/\/127\.0\.0\.1:\d+\/hello\. /;
      page.on?.("pageerror", (e: unknown) => refused.test(String(e)) || errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${(app.address() as { port: number }).port}/index.html`);
      const origin = `https://${servers.urls.tlsOrigin}`;
      // A string, so the test runner does not rewrite its dynamic import;
      // WebKit's page (WebDriver) takes the function and its argument.
      const fn = `async ([origin, relay, ca]) => {
        const m = await import("/tls.js");
        const direct = await fetch(origin + "/hello").then(() => "read", (e) => "refused: " + e.name);
        await m.init({ wasm: "/pkg-tls/runtime_wasm_bg.wasm", relay: { url: relay, protocol: "wisp" },
          http: { relayHosts: ["127.0.0.1"], tlsRoots: [ca] } });
        const hello = await m.fetch(origin + "/hello");
        const text = await hello.text();
        const post = await m.fetch(origin + "/echo", { method: "POST", body: "from js", headers: { "x-trace": "7" } });
        const echo = await post.json();
        const big = await m.fetch(origin + "/bytes?n=1048576&seed=3");
        const bytes = new Uint8Array(await big.arrayBuffer());
        const hex = [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes))].map((b) => b.toString(16).padStart(2, "0")).join("");
        const ctl = new AbortController();
        const slow = m.fetch(origin + "/slow-headers?ms=5000", { signal: ctl.signal });
        setTimeout(() => ctl.abort(new Error("stop")), 100);
        const aborted = await slow.then(() => "answered", (e) => e.message);
        const bad = await m.fetch("https://" + ${JSON.stringify(servers.urls.tlsBad)} + "/").then(() => "read", (e) => e.name + ": " + e.message);
        // Every body read to its end, or its request failed: nothing held.
        const counts = (await m.init()).externCounts();
        return { direct, status: hello.status, text, cors: hello.headers.get("access-control-allow-origin"),
          echo: [echo.method, echo.text, echo.headers["x-trace"], echo.headers["content-type"]],
          big: [bytes.length, hex === big.headers.get("x-sha256")], aborted, bad, requests: counts.requests };
      }`;
      const args = [origin, servers.urls.wispV2, servers.urls.tlsCa];
      const r = engine === "webkit" ? await page.evaluate(fn, args) : await page.evaluate(`(${fn})(${JSON.stringify(args)})`);
      expect(r).toEqual({
        direct: "refused: TypeError",
        status: 200,
        text: "hello\n",
        cors: null,
        echo: ["POST", "from js", "7", "text/plain;charset=UTF-8"],
        big: [1 << 20, true],
        aborted: "stop",
        bad: `TypeError: Get "https://${servers.urls.tlsBad}/": tls: failed to verify certificate: x509: certificate signed by unknown authority`,
        requests: 0,
      });
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);
