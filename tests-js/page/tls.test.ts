// Mixed content for real: the wasm module and js/net.ts loaded by an https
// page (servers/tls.mjs, its certificate trusted for this run: by key in
// Chromium, its CA as a root in a fresh Firefox profile),
// on a host name that is not loopback (tls.test, mapped to 127.0.0.1: the
// browser exempts 127.0.0.1 and localhost from mixed-content blocking).
// ws:// and http:// are refused with the explaining error; wss:// and
// https:// to the same host work.
import { afterAll, beforeAll, expect, it } from "vitest";
// @ts-expect-error: plain .mjs module without types
import { startAll } from "../../servers/start.mjs";
// @ts-expect-error: plain .mjs module without types
import { launchChromium } from "../../servers/chromium.mjs";
// @ts-expect-error: plain .mjs module without types
import { launchFirefox } from "../../servers/firefox.mjs";

let servers: { urls: Record<string, string>; close(): Promise<void> };

beforeAll(async () => {
  servers = await startAll();
});

afterAll(async () => {
  await servers?.close();
});

/** Each engine with the test's certificate trusted and tls.test mapped to 127.0.0.1. */
const ENGINES: Record<string, () => Promise<{ newPage(): Promise<any>; close(): Promise<void> }>> = {
  chromium: () => launchChromium([`--ignore-certificate-errors-spki-list=${servers.urls.tlsSpki}`, "--host-resolver-rules=MAP tls.test 127.0.0.1"]),
  firefox: () => launchFirefox({ trustCa: servers.urls.tlsCa, prefs: { "network.dns.localDomains": "tls.test" } }),
};

for (const [engine, launch] of Object.entries(ENGINES))
it(`an https page: ws:// and http:// are refused as mixed content, wss:// and https:// work (${engine})`, async () => {
  const browser = await launch();
  try {
    await httpsPage(await browser.newPage());
  } finally {
    await browser.close();
  }
}, 60_000);

async function httpsPage(page: any) {
  const on = (u: string) => u.replace("127.0.0.1", "tls.test");
  await page.goto(`${servers.urls.httpsPage}blank.html`);
  expect(await page.evaluate(() => location.protocol)).toBe("https:");
  const urls = [on(servers.urls.wsEcho), `${on(servers.urls.http)}/hello`, on(servers.urls.wss), `${on(servers.urls.https)}/hello`];
  // A string, so the test runner does not rewrite its dynamic imports.
  const r: any = await page.evaluate(`(async ([ws, http, wss, https]) => {
    const net = await import("/support/net-bindings.js");
    net.registerNetBindings({});
    const w = await import("/pkg/runtime_wasm.js");
    await w.default({ module_or_path: "/pkg/runtime_wasm_bg.wasm" });
    const get = async (url) => {
      const [id] = await w.callExtern("net/http.nativeNewClientRequest", []);
      const out = await w.callExtern("net/http.nativeHttpsRequest", [id, "GET", url, [], new Uint8Array(0), 0n]);
      await w.callExtern("net/http.nativeReleaseClientRequest", [id]);
      return out[5] ? { err: out[5].message } : { status: out[0], body: new TextDecoder().decode(out[4]) };
    };
    const dial = async (network, url) => {
      const [h, err] = await w.callExtern("net.dial", [network, url, 0n]);
      if (err) return { err: err.message };
      await w.callExtern("net.tcpConnClose", [h]);
      return { ok: true };
    };
    return { ws: await dial("ws", ws), http: await get(http), wss: await dial("wss", wss), https: await get(https) };
  })(${JSON.stringify(urls)})`);
  expect(r.ws.err).toBe(
    `dial ws ${on(servers.urls.wsEcho)}: mixed content: an https page cannot open insecure ${on(servers.urls.wsEcho)}; use wss://`,
  );
  expect(r.http.err).toBe(
    `Get "${on(servers.urls.http)}/hello": net/http: fetch() failed: blocked as mixed content: an https page cannot fetch ${on(servers.urls.http)}/hello`,
  );
  expect(r.wss).toEqual({ ok: true });
  expect(r.https).toEqual({ status: 200, body: "hello over HTTP/2.0\n" });
}
