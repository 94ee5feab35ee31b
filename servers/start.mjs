// Starts every local server the demo and the page tests need (static page,
// WebSocket echo), on 127.0.0.1,
// and prints one JSON line with their URLs. Stops on SIGINT/SIGTERM.
//   node servers/start.mjs [--port N]
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { startStatic } from "./static.mjs";
import { startWsEcho } from "./ws-echo.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

export async function startAll({ port = 0 } = {}) {
  const web = await startStatic({ "/": join(root, "www"), "/pkg/": join(root, "pkg") }, port);
  const echo = await startWsEcho();
  const urls = { page: `http://127.0.0.1:${web.address().port}/`, wsEcho: echo.url };
  const closeWeb = () => new Promise((ok) => web.close(() => ok()));
  return { urls, close: () => Promise.all([closeWeb(), echo.close()]).then(() => undefined) };
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
