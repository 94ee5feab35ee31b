// Page test: the demo page in real headless Chromium (playwright-core with
// the system Chromium), served by servers/start.mjs on 127.0.0.1. Playwright
// gives each launch a fresh profile directory.
import { mkdirSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, expect, it } from "vitest";
// @ts-expect-error: plain .mjs module without types
import { startAll } from "../../servers/start.mjs";

let browser: Browser;
let servers: { urls: { page: string }; close(): Promise<void> };

beforeAll(async () => {
  servers = await startAll();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await servers?.close();
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
  // What a person sees: the table rows and the log.
  await expect(page.locator("#results tbody tr").count()).resolves.toBe(rows.length);
  expect(await page.locator("#log").textContent()).toContain("wasm module loaded");

  // Typing a new input and pressing Run updates the table.
  await page.fill("#input", "10.0.0.1:8080");
  await page.click("#run");
  await expect(page.locator("#results tbody tr td").nth(3).textContent()).resolves.toBe('host "10.0.0.1" port "8080"');
  await page.fill("#input", "192.0.2.1\n2001:DB8:0:0:1::1\n10.1.2.3/12\n[::1]:443\nfe80::1%eth0");
  await page.click("#run");
  mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: "test-results/demo.png", fullPage: true });
  expect(errors).toEqual([]);
});
