// Page test: the demo page in real headless Chromium (playwright-core with
// the system Chromium), served by servers/start.mjs on 127.0.0.1. Playwright
// gives each launch a fresh profile directory.
import { mkdirSync } from "node:fs";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
// @ts-expect-error: plain .mjs module without types
import { startAll } from "../../servers/start.mjs";
// @ts-expect-error: plain .mjs module without types
import { launchChromium } from "../../servers/chromium.mjs";
// @ts-expect-error: plain .mjs module without types
import { launchFirefox } from "../../servers/firefox.mjs";
// @ts-expect-error: plain .mjs module without types
import { launchWebKit } from "../../servers/webkit.mjs";

let browser: Browser;
let servers: { urls: { page: string }; close(): Promise<void> };

beforeAll(async () => {
  servers = await startAll();
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await servers?.close();
});

it("runs the networking program against the local peers and shows each result", async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(servers.urls.page);
  await page.waitForFunction(() => (window as any).demoProgram || (window as any).demoError, null, { timeout: 60_000 });
  expect(await page.evaluate(() => (window as any).demoError)).toBeUndefined();
  const p: any = await page.evaluate(() => (window as any).demoProgram);

  // DoH through the local dnsdist + dnsmasq zone.
  expect(p.lookup).toMatchObject({ ok: true, addrs: ["10.9.8.7", "fd00::7"] });
  // WebSocket echo, then a deadline that expires without killing the Conn.
  expect(p.echo).toMatchObject({ ok: true, echoed: "hello from the page" });
  expect(p.deadline).toMatchObject({ ok: true, timeout: true, after: "still alive" });
  // Go's OpError, ending in Vo's ErrTimeout (getNetErrors()[1]): a VM wraps its
  // cached value as the cause, so errors.Is holds in the guest.
  expect(p.deadline.error).toMatch(/^read ws .*: i\/o timeout$/);
  expect(p.deadline.cause).toEqual({ package: "net", index: 1 });
  // http.Get, 4 MiB streamed in many reads, hash checked in the page.
  expect(p.http).toMatchObject({ ok: true, status: 200, total: 4194304, hashMatches: true });
  expect(p.http.reads).toBeGreaterThan(8);
  // A real Redis over Dial("tcp") through the Wisp relay: SET, then GET back.
  // The wasip1 program, through go-net-wasm/wasi: its stdout, line by line.
  expect(p.wasi, JSON.stringify(p.wasi)).toMatchObject({ ok: true, code: 0 });
  expect(p.wasi.stdout).toMatch(/^connected to Redis at 127\.0\.0\.1:\d+ \(through the page's Wisp relay\)\nSET wasi:demo -> \+OK\nGET wasi:demo -> "hello from a wasip1 program"\n$/);
  expect(await page.locator("#wasi").getAttribute("class")).toBe("ok");
  // The Go program: net/http and a raw net.Conn, through wasinet_v0 and path_open.
  expect(p.goWasi, JSON.stringify(p.goWasi)).toMatchObject({ ok: true, code: 0 });
  expect(p.goWasi.stdout).toMatch(/^ok http_get 1048576 bytes, sha256 matches\nok http_post the server got all 307200 bytes\nok redis_deadline peer 127\.0\.0\.1:\d+, "read tcp :0->:0: i\/o timeout", GET "hello from Go" after it\ndone\n$/);
  expect(await page.locator("#go-wasi").getAttribute("class")).toBe("ok");
  expect(p.redis).toMatchObject({ ok: true, set: "+OK" });
  expect(p.redis.got).toBe(p.redis.value);
  expect(await page.locator("#redis").textContent()).toMatch(/^SET → \+OK, GET → "hello from the page at /);
  // The unsupported operation, said clearly.
  expect(p.listen).toMatchObject({
    ok: true,
    sentinel: "errors.ErrUnsupported",
    text: "listen tcp :8080: a page cannot accept connections in browser WebAssembly; Dial the server instead (tcp goes through the host's relay)",
  });
  // Nothing left open.
  expect(await page.evaluate(() => (window as any).demoCounts)).toEqual({ pending: 0, conns: 0, requests: 0, jsConns: 0, jsRequests: 0, waits: 0, spawned: 0 });

  // What a person sees: each step's line and the live log.
  expect(await page.locator("#lookup").textContent()).toBe("10.9.8.7, fd00::7");
  expect(await page.locator("#listen").getAttribute("class")).toBe("ok");
  expect(await page.locator("#http").textContent()).toMatch(/^200 OK, 4194304 bytes in \d+ reads, SHA-256 matches$/);
  const logText = await page.locator("#log").textContent();
  for (const name of ["net.lookupHost", "net.dial", "net.blocking_tcpConnRead", "net/http.nativeHttpsRequestStream", "net.listen", "redis: "]) {
    expect(logText).toContain(name);
  }
  expect(await page.locator("#program-status").textContent()).toBe("done");

  // Run again: the same results, from a fresh run.
  await page.evaluate(() => ((window as any).demoProgram = undefined));
  await page.click("#rerun");
  await page.waitForFunction(() => (window as any).demoProgram || (window as any).demoError, null, { timeout: 60_000 });
  expect(await page.evaluate(() => (window as any).demoProgram.echo.ok)).toBe(true);

  mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: "test-results/demo.png", fullPage: true });
  expect(errors).toEqual([]);
});

it("runs Go's address functions in the page and shows them", async () => {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(servers.urls.page);
  await page.waitForFunction(() => (window as any).demoResults || (window as any).demoError, null, { timeout: 30_000 });
  expect(await page.evaluate(() => (window as any).demoError)).toBeUndefined();
  const rows: any[] = await page.evaluate(() => (window as any).demoResults);
  const by = Object.fromEntries(rows.map((r) => [r.input, r]));
  expect(by["2001:DB8:0:0:1::1"].parseIP).toEqual({ ok: true, text: "2001:db8::1:0:0:1" });
  expect(by["::ffff:10.1.2.3"].parseIP.text).toBe("10.1.2.3");
  expect(by["10.1.2.3/12"].parseCIDR.text).toBe("10.1.2.3  net 10.0.0.0/12");
  expect(by["[::1]:443"].splitHostPort.text).toBe('host "::1" port "443"');
  expect(by["127.001.002.003"].parseIP).toEqual({ ok: false, text: "<nil>" });
  expect(by["fe80::1%eth0"].parseCIDR.text).toBe("invalid CIDR address: fe80::1%eth0");
  expect(by["golang.org"].splitHostPort.text).toBe("address golang.org: missing port in address");
  await expect(page.locator("#results tbody tr").count()).resolves.toBe(rows.length);
  expect(await page.locator("#log").textContent()).toContain("wasm module loaded");

  // Typing a new input and pressing Run updates the table.
  await page.fill("#input", "10.0.0.1:8080");
  await page.click("#run");
  await expect(page.locator("#results tbody tr td").nth(3).textContent()).resolves.toBe('host "10.0.0.1" port "8080"');
  await page.waitForFunction(() => (window as any).demoProgram || (window as any).demoError, null, { timeout: 60_000 });
  expect(errors).toEqual([]);
});

// The same program in Firefox ESR (puppeteer-core over WebDriver BiDi): no
// WebSocketStream there, so "auto" is the classic WebSocket; JSPI since 153,
// so both wasip1 guests run.
it("runs the same networking program in Firefox", async () => {
  const firefox = await launchFirefox();
  try {
    const page = await firefox.newPage();
    const errors: string[] = [];
    page.on("pageerror", (e: unknown) => errors.push(String(e)));
    await page.goto(servers.urls.page);
    await page.waitForFunction(() => (window as any).demoProgram || (window as any).demoError, { timeout: 60_000 });
    expect(await page.evaluate(() => (window as any).demoError)).toBeUndefined();
    const p: any = await page.evaluate(() => (window as any).demoProgram);
    expect(await page.evaluate(() => typeof (globalThis as any).WebSocketStream)).toBe("undefined");
    expect(p.lookup).toMatchObject({ ok: true, addrs: ["10.9.8.7", "fd00::7"] });
    expect(p.echo).toMatchObject({ ok: true, echoed: "hello from the page" });
    expect(p.deadline).toMatchObject({ ok: true, timeout: true, after: "still alive" });
    expect(p.http).toMatchObject({ ok: true, status: 200, total: 4194304, hashMatches: true });
    expect(p.wasi, JSON.stringify(p.wasi)).toMatchObject({ ok: true, code: 0 });
    expect(p.goWasi, JSON.stringify(p.goWasi)).toMatchObject({ ok: true, code: 0 });
    expect(p.redis).toMatchObject({ ok: true, set: "+OK" });
    expect(p.redis.got).toBe(p.redis.value);
    expect(p.listen).toMatchObject({ ok: true, sentinel: "errors.ErrUnsupported" });
    expect(await page.evaluate(() => (window as any).demoCounts)).toEqual({ pending: 0, conns: 0, requests: 0, jsConns: 0, jsRequests: 0, waits: 0, spawned: 0 });
    expect(errors).toEqual([]);
  } finally {
    await firefox.close();
  }
}, 120_000);

// WebKitGTK 2.50 (MiniBrowser through WebKitWebDriver under Xvfb): the whole
// demo, the wasip1 guests included. Where the page finds no JSPI (feature
// detection, not the user agent), it runs their asyncified builds, which
// unwind to wait.
it("runs the networking program and both wasip1 guests in WebKit", async () => {
  const webkit = await launchWebKit();
  try {
    const page = await webkit.newPage();
    await page.goto(servers.urls.page);
    await page.waitForFunction(() => (window as any).demoProgram || (window as any).demoError, { timeout: 90_000 });
    expect(await page.evaluate(() => (window as any).demoError)).toBeUndefined();
    const p: any = await page.evaluate(() => (window as any).demoProgram);
    const jspi: boolean = await page.evaluate(() => typeof (WebAssembly as any).Suspending === "function" && typeof (WebAssembly as any).promising === "function");
    expect(p.lookup).toMatchObject({ ok: true, addrs: ["10.9.8.7", "fd00::7"] });
    expect(p.echo).toMatchObject({ ok: true, echoed: "hello from the page" });
    expect(p.deadline).toMatchObject({ ok: true, timeout: true, after: "still alive" });
    expect(p.http).toMatchObject({ ok: true, status: 200, total: 4194304, hashMatches: true });
    expect(p.redis).toMatchObject({ ok: true, set: "+OK" });
    expect(p.listen).toMatchObject({ ok: true, sentinel: "errors.ErrUnsupported" });
    for (const step of [p.wasi, p.goWasi]) {
      expect(step, step.text).toMatchObject({ ok: true, code: 0, blocking: jspi ? "jspi" : "asyncify" });
      if (!jspi) expect(step.unwinds).toBeGreaterThan(0);
    }
    expect(await page.evaluate(() => (window as any).demoCounts)).toEqual({ pending: 0, conns: 0, requests: 0, jsConns: 0, jsRequests: 0, waits: 0, spawned: 0 });
  } finally {
    await webkit.close();
  }
}, 180_000);
