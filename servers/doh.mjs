// A real DNS-over-HTTPS peer: dnsdist (RFC 8484 over plain HTTP, with a CORS
// header) in front of dnsmasq holding the test zone (../shared/PEERS.md).
// Both are Debian packages installed by scripts/setup.sh; nothing here
// touches system files, and both processes are killed by `close()`.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { createSocket } from "node:dgram";

/** The zone every DNS test relies on (documented in docs/dns.md). */
export const TEST_ZONE = [
  "--local=/test.example/",
  "--local=/10.in-addr.arpa/",
  "--local-ttl=60",
  "--address=/a.test.example/10.1.2.3",
  "--host-record=dual.test.example,10.9.8.7,fd00::7",
  "--host-record=six.test.example,fd00::6",
  "--host-record=loop.test.example,127.0.0.1",
  "--cname=alias.test.example,dual.test.example",
  "--cname=chain.test.example,alias.test.example",
  "--ptr-record=7.8.9.10.in-addr.arpa,dual.test.example",
  "--txt-record=txt.test.example,not an address",
];

/** A free port on 127.0.0.1 for TCP and for UDP (dnsmasq binds both). */
async function freePort() {
  for (;;) {
    const port = await new Promise((ok) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => {
        const { port } = s.address();
        s.close(() => ok(port));
      });
    });
    const udpFree = await new Promise((ok) => {
      const u = createSocket("udp4");
      u.once("error", () => ok(false));
      u.bind(port, "127.0.0.1", () => u.close(() => ok(true)));
    });
    if (udpFree) return port;
  }
}

function run(cmd, args, name) {
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-4000)));
  child.on("error", (e) => (stderr += String(e)));
  return { child, name, log: () => stderr };
}

/** Polls the DoH endpoint until dnsdist answers (it needs its backend up). */
async function waitReady(url, procs) {
  // A query for a.test.example, type A, ID 0 (the RFC 8484 example shape).
  const q = "AAABAAABAAAAAAAAAWEEdGVzdAdleGFtcGxlAAABAAE";
  for (let i = 0; i < 200; i++) {
    for (const p of procs) {
      if (p.child.exitCode !== null) throw new Error(`${p.name} exited: ${p.log()}`);
    }
    try {
      const r = await fetch(`${url}?dns=${q}`, { headers: { accept: "application/dns-message" } });
      const body = new Uint8Array(await r.arrayBuffer());
      // Answer count > 0 means dnsmasq is answering through dnsdist.
      if (r.ok && body.length > 12 && ((body[6] << 8) | body[7]) > 0) return;
    } catch {}
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`DoH peer not ready: ${procs.map((p) => `${p.name}: ${p.log()}`).join("; ")}`);
}

export async function startDoh() {
  const dnsPort = await freePort();
  const dohPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "go-net-wasm-doh-"));
  const conf = join(dir, "dnsdist.conf");
  writeFileSync(
    conf,
    [
      `newServer({address="127.0.0.1:${dnsPort}"})`,
      `addDOHLocal("127.0.0.1:${dohPort}", nil, nil, "/dns-query",` +
        ` {customResponseHeaders={["access-control-allow-origin"]="*"}})`,
      `setSecurityPollSuffix("")`,
      "",
    ].join("\n"),
  );
  const procs = [
    run(
      "dnsmasq",
      [
        "--no-daemon", `--port=${dnsPort}`, "--listen-address=127.0.0.1", "--bind-interfaces",
        "--no-resolv", "--no-hosts", `--pid-file=${join(dir, "dnsmasq.pid")}`, ...TEST_ZONE,
      ],
      "dnsmasq",
    ),
    run("dnsdist", ["--supervised", "--disable-syslog", "-C", conf], "dnsdist"),
  ];
  // If Node exits without close() (an uncaught error), take the children along.
  const reap = () => procs.forEach((p) => p.child.exitCode === null && p.child.kill("SIGKILL"));
  process.once("exit", reap);
  const close = async () => {
    process.off("exit", reap);
    await Promise.all(
      procs.map(
        (p) =>
          new Promise((ok) => {
            if (p.child.exitCode !== null || p.child.signalCode !== null) return ok();
            p.child.once("exit", () => ok());
            p.child.kill("SIGTERM");
            setTimeout(() => p.child.kill("SIGKILL"), 2000).unref();
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  const url = `http://127.0.0.1:${dohPort}/dns-query`;
  try {
    await waitReady(url, procs);
  } catch (e) {
    await close();
    throw e;
  }
  return { url, close };
}
