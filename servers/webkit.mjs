// WebKitGTK through its WebDriver (Debian's webkit2gtk-driver: WebKitWebDriver
// driving MiniBrowser) under Xvfb, for the page tests. No library speaks
// WebKitWebDriver for us (Playwright needs its own WebKit build, Puppeteer
// has none), so this is the few W3C WebDriver calls the tests need: a
// session, navigate, execute (async), delete. The page object has the shape
// the other launchers' pages have for those calls: goto, evaluate(fn, arg),
// waitForFunction(fn, {timeout}).
import { spawn } from "node:child_process";
import { createServer } from "node:net";

export const MINIBROWSER = process.env.MINIBROWSER ?? "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

const freePort = () =>
  new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });

/** Waits until `url` answers (the driver is up), at most `ms`. */
async function reachable(url, ms) {
  const until = Date.now() + ms;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch (e) {
      if (Date.now() > until) throw new Error(`${url} did not come up: ${e}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export async function launchWebKit() {
  // Xvfb on a display of our own (-displayfd tells which), then the driver on it.
  const xvfb = spawn("Xvfb", ["-displayfd", "1", "-screen", "0", "1280x800x24", "-nolisten", "tcp"], { stdio: ["ignore", "pipe", "ignore"] });
  const display = await new Promise((ok, fail) => {
    xvfb.once("error", fail);
    xvfb.stdout.once("data", (d) => ok(`:${String(d).trim()}`));
  });
  const port = await freePort();
  const driver = spawn("WebKitWebDriver", [`--port=${port}`], { stdio: "ignore", env: { ...process.env, DISPLAY: display } });
  const base = `http://127.0.0.1:${port}`;
  const stop = () => {
    driver.kill();
    xvfb.kill();
  };
  try {
    await reachable(`${base}/status`, 10_000);
  } catch (e) {
    stop();
    throw e;
  }
  const call = async (method, path, body) => {
    const r = await fetch(base + path, { method, headers: { "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
    const j = await r.json();
    if (j?.value?.error) throw new Error(`WebDriver ${path}: ${j.value.error}: ${j.value.message}`);
    return j.value;
  };
  const sessions = [];
  return {
    async newPage() {
      const s = await call("POST", "/session", {
        capabilities: { alwaysMatch: { "webkitgtk:browserOptions": { binary: MINIBROWSER, args: ["--automation"] } } },
      });
      const id = s.sessionId;
      sessions.push(id);
      const evaluate = async (fn, arg) => {
        const script = `const done = arguments[arguments.length - 1];
          Promise.resolve().then(() => (${fn})(arguments[0])).then((v) => done({ v: v === undefined ? null : v, u: v === undefined }), (e) => done({ e: String(e) }));`;
        const r = await call("POST", `/session/${id}/execute/async`, { script, args: [arg ?? null] });
        if (r.e !== undefined) throw new Error(r.e);
        return r.u ? undefined : r.v;
      };
      return {
        goto: (url) => call("POST", `/session/${id}/url`, { url }),
        evaluate,
        async waitForFunction(fn, { timeout = 30_000 } = {}) {
          const until = Date.now() + timeout;
          for (;;) {
            const v = await evaluate(fn);
            if (v) return v;
            if (Date.now() > until) throw new Error(`waitForFunction timed out after ${timeout} ms`);
            await new Promise((r) => setTimeout(r, 100));
          }
        },
      };
    },
    async close() {
      for (const id of sessions) await call("DELETE", `/session/${id}`).catch(() => {});
      stop();
    },
  };
}
