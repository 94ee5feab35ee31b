// The demo page's programs, run in the browser against the local peers that
// servers/start.mjs starts (their URLs come from /peers.json):
//   1. a networking program that talks to the externs exactly as a VM written
//      in JS would (callExtern): resolve a name over DoH, dial the WebSocket
//      echo and echo with a deadline, http.Get with a streamed body, net.Dial
//      ("tcp") to a real Redis through the Wisp relay (SET, then GET), and
//      the error of Listen("tcp", ":8080");
//   2. a wasm32-wasip1 program (guests/wasi-blocking, built by
//      scripts/build-guests.sh) with blocking sockets through go-net-wasm/wasi
//      and browser_wasi_shim: SET and GET on the same Redis, stdout shown;
//   3. the address layer (ParseIP, ParseCIDR, SplitHostPort) on typed input.
// Results are also left on `window.demoProgram` / `window.demoResults` for the
// page test; a person reads the steps and the live log.
import { ConsoleStdout, File, OpenFile, WASI } from "@bjorn3/browser_wasi_shim";
import { init } from "../js/index.js";
import { WasiNet } from "../js/wasi.js";

type Wasm = Awaited<ReturnType<typeof init>>;
type GoError = { code: string; message: string; timeout: boolean; sentinel?: string; voCause?: { package: string; index: number } } | null;
type Step = { ok: boolean; text: string; [k: string]: unknown };
type Cell = { ok: boolean; text: string };
type Row = { input: string; parseIP: Cell; parseCIDR: Cell; splitHostPort: Cell };

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const logEl = $("log");
function log(line: string, cls = "") {
  const div = document.createElement("div");
  div.textContent = `${new Date().toISOString().slice(11, 23)}  ${line}`;
  if (cls) div.className = cls;
  logEl.append(div);
  logEl.scrollTop = logEl.scrollHeight;
}

function show(id: string, step: Step) {
  const el = $(id);
  el.textContent = step.text;
  el.className = step.ok ? "ok" : "err";
}

const hex = (b: ArrayBuffer) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, "0")).join("");
const nowNs = (plusMs: number) => BigInt(Date.now() + plusMs) * 1_000_000n;

/** The networking program: what a Go program does, through the externs. */
async function runProgram(wasm: Wasm, peers: Record<string, string>) {
  const call = async (name: string, ...args: unknown[]) => {
    const out = (await wasm.callExtern(name, args)) as unknown[];
    log(`${name}(${args.map((a) => (a instanceof Uint8Array ? `[${a.length} bytes]` : JSON.stringify(a, (_, v) => (typeof v === "bigint" ? `${v}` : v)))).join(", ")})`);
    return out;
  };
  const program: Record<string, Step> = {};
  const done = (key: string, step: Step) => {
    program[key] = step;
    show(key, step);
    log(`  → ${step.text}`, step.ok ? "ok" : "err");
  };

  // 1. net.LookupHost over DNS-over-HTTPS (the local dnsdist + dnsmasq).
  {
    const [addrs, err] = (await call("net.lookupHost", "dual.test.example")) as [string[], GoError];
    done("lookup", err ? { ok: false, text: err.message } : { ok: true, text: addrs.join(", "), addrs });
  }

  // 2. net.Dial("ws", echo), Write/Read, a read deadline that expires
  //    without killing the Conn, then Read again and Close.
  {
    const [conn, derr] = (await call("net.dial", "ws", peers.wsEcho, 5_000_000_000)) as [number, GoError];
    if (derr) {
      done("echo", { ok: false, text: derr.message });
    } else {
      // Reads fill this program's own buffer, as a VM's Read(b) does.
      const buf = new Uint8Array(1024);
      const readText = async () => {
        const [n, rerr] = (await call("net.blocking_tcpConnRead", conn, buf)) as [number, GoError];
        return { text: new TextDecoder().decode(buf.subarray(0, n)), err: rerr };
      };
      await call("net.tcpConnSetDeadline", conn, nowNs(5000));
      const msg = new TextEncoder().encode("hello from the page");
      await call("net.blocking_tcpConnWrite", conn, msg);
      let got = "";
      while (got.length < msg.length) {
        const { text, err: rerr } = await readText();
        if (rerr) throw new Error(rerr.message);
        got += text;
      }
      done("echo", { ok: got === "hello from the page", text: `echoed "${got}"`, echoed: got });

      await call("net.tcpConnSetReadDeadline", conn, nowNs(300));
      const t0 = performance.now();
      const { err: terr } = await readText();
      const waited = Math.round(performance.now() - t0);
      await call("net.tcpConnSetReadDeadline", conn, 0);
      await call("net.blocking_tcpConnWrite", conn, new TextEncoder().encode("still alive"));
      const { text: after } = await readText();
      const [cerr] = (await call("net.tcpConnClose", conn)) as [GoError];
      done("deadline", {
        ok: !!terr?.timeout && after === "still alive" && cerr === null,
        text: `Read after ${waited} ms: "${terr?.message}" (timeout: ${terr?.timeout}); then Read gave "${after}"`,
        error: terr?.message,
        timeout: terr?.timeout,
        cause: terr?.voCause,
        after,
      });
    }
  }

  // 3. http.Get with the body streamed in 64 KiB reads and checked against
  //    the server's SHA-256.
  {
    const url = `${peers.http}/bytes?n=4194304&seed=9`;
    const [req] = (await call("net/http.nativeNewClientRequest")) as [number, GoError];
    const [status, statusText, , header, length, err] = (await call(
      "net/http.nativeHttpsRequestStream", req, "GET", url, [], null, 10_000_000_000,
    )) as [number, string, string, string[], number, GoError];
    if (err) {
      done("http", { ok: false, text: err.message });
    } else {
      // The body lands in one buffer, read by read: each read fills the
      // next part of it in place.
      const body = new Uint8Array(length);
      let total = 0;
      let reads = 0;
      for (;;) {
        const dest = body.subarray(total, Math.min(total + 65536, length));
        const [n, rerr] = (await wasm.callExtern("net/http.blocking_responseBodyRead", [req, dest])) as [number, GoError];
        if (rerr) {
          if (rerr.sentinel !== "io.EOF") throw new Error(rerr.message);
          break;
        }
        total += n;
        if (++reads % 16 === 0) log(`  … ${total} bytes`);
        if (total === length) break;
      }
      await call("net/http.nativeReleaseClientRequest", req);
      const sum = hex(await crypto.subtle.digest("SHA-256", body.subarray(0, total)));
      const want = header.find((h) => h.startsWith("X-Sha256: "))?.slice(10);
      done("http", {
        ok: status === 200 && total === length && sum === want,
        text: `${statusText}, ${total} bytes in ${reads} reads, SHA-256 ${sum === want ? "matches" : "DIFFERS"}`,
        status,
        total,
        reads,
        hashMatches: sum === want,
      });
    }
  }

  // 4. net.Dial("tcp", redis) through the Wisp relay the host configured
  //    (init({relay})): the program speaks RESP over a plain TCP Conn.
  {
    const [conn, derr] = (await call("net.dial", "tcp", peers.redis, 5_000_000_000)) as [number, GoError];
    if (derr) {
      done("redis", { ok: false, text: derr.message });
    } else {
      const buf = new Uint8Array(256);
      /** Sends one command, returns the reply's first line (and a bulk string's body). */
      const command = async (...args: string[]) => {
        const req = `*${args.length}\r\n` + args.map((a) => `$${new TextEncoder().encode(a).length}\r\n${a}\r\n`).join("");
        await call("net.blocking_tcpConnWrite", conn, new TextEncoder().encode(req));
        let reply = "";
        for (;;) {
          const [n, rerr] = (await call("net.blocking_tcpConnRead", conn, buf)) as [number, GoError];
          if (rerr) throw new Error(rerr.message);
          reply += new TextDecoder().decode(buf.subarray(0, n));
          const bulk = /^\$(\d+)\r\n/.exec(reply);
          if (bulk ? reply.length >= bulk[0].length + Number(bulk[1]) + 2 : reply.endsWith("\r\n")) break;
        }
        log(`  redis: ${JSON.stringify(reply)}`);
        return reply;
      };
      const value = `hello from the page at ${new Date().toISOString()}`;
      const set = await command("SET", "demo:greeting", value);
      const get = await command("GET", "demo:greeting");
      const [remote] = (await call("net.tcpConnRemoteAddr", conn)) as [string];
      await call("net.tcpConnClose", conn);
      const got = get.split("\r\n")[1];
      done("redis", { ok: set === "+OK\r\n" && got === value, text: `SET → ${set.trim()}, GET → "${got}" (via ${remote ?? peers.redis})`, set: set.trim(), got, value });
    }
  }

  // 5. net.Listen("tcp", ":8080"): what a page cannot do, said clearly.
  {
    const [, err] = (await call("net.listen", "tcp", ":8080")) as [number, GoError];
    done("listen", { ok: err !== null, text: err?.message ?? "unexpected success", sentinel: err?.sentinel });
  }
  return program;
}

function runAddresses(wasm: Wasm) {
  const cell = (r: { ok: boolean; value?: any; error?: { message: string } }, f: (v: any) => string): Cell =>
    r.ok ? { ok: true, text: f(r.value) } : { ok: false, text: r.error!.message };
  const rows: Row[] = [];
  const body = $("results").querySelector("tbody")!;
  body.replaceChildren();
  for (const input of $<HTMLTextAreaElement>("input").value.split("\n").map((s) => s.trim()).filter(Boolean)) {
    const ip = wasm.parseIP(input);
    const row: Row = {
      input,
      parseIP: ip === undefined || ip === null ? { ok: false, text: "<nil>" } : { ok: true, text: ip },
      parseCIDR: cell(wasm.parseCIDR(input), (v) => `${v.ip}  net ${v.net}`),
      splitHostPort: cell(wasm.splitHostPort(input), (v) => `host "${v[0]}" port "${v[1]}"`),
    };
    rows.push(row);
    const tr = document.createElement("tr");
    for (const c of [{ ok: true, text: input }, row.parseIP, row.parseCIDR, row.splitHostPort]) {
      const td = document.createElement("td");
      td.textContent = c.text;
      td.className = c.ok ? "ok" : "err";
      tr.append(td);
    }
    body.append(tr);
  }
  (window as any).demoResults = rows;
  $("status").textContent = `ran ${rows.length} inputs`;
}

/**
 * A wasip1 step: the dozen lines of docs/wasi.md (this guest's own policy:
 * 127.0.0.1 and `ports`), plus showing its stdout in #`id`. A step that
 * throws is shown there too.
 */
async function guestStep(id: string, file: string, env: string[], ports: string[], passed: (stdout: string) => boolean): Promise<Step> {
  let stdout = "";
  try {
    const out = ConsoleStdout.lineBuffered((line) => {
      stdout += line + "\n";
      $(id).textContent = stdout;
      log(`  ${id}> ${line}`);
    });
    const shim = new WASI([file], env, [new OpenFile(new File([])), out, out]);
    const net = new WasiNet({ policy: { hosts: ["127.0.0.1"], ports: ports.map((hp) => Number(hp.split(":").pop())) } });
    // Without JSPI the guest must unwind to wait: its build through scripts/asyncify.sh.
    const wasm = net.blocking === "asyncify" ? `${file}.asyncify.wasm` : `${file}.wasm`;
    const t0 = performance.now();
    const { instance } = await WebAssembly.instantiateStreaming(fetch(`./guests/${wasm}`), net.importObject(shim));
    log(`  ${wasm} fetched and compiled in ${(performance.now() - t0).toFixed(0)} ms (blocking: ${net.blocking})`);
    const code = await net.start(instance, shim);
    const ok = code === 0 && passed(stdout);
    $(id).className = ok ? "ok" : "err";
    if (!ok) log(`  ${id} exit ${code}; ${net.lastError}`, "err");
    return { ok, text: stdout, code, stdout, blocking: net.blocking, unwinds: net.unwinds };
  } catch (e) {
    $(id).textContent = String(e);
    $(id).className = "err";
    return { ok: false, text: String(e) };
  }
}

/** Rust on blocking sockets (guests/wasi-blocking): SET and GET on Redis. */
const runWasi = (peers: Record<string, string>) =>
  guestStep("wasi", "wasi-blocking", ["DEMO=1", `REDIS=${peers.redis}`], [peers.redis], (out) =>
    /GET wasi:demo -> "hello from a wasip1 program"/.test(out),
  );

/** A GOOS=wasip1 program's own net/http and net (guests/go-http). */
const runGoWasi = (peers: Record<string, string>) =>
  guestStep("go-wasi", "go-http", ["ONLY=http_get,http_post,redis_deadline", `HTTP=${peers.tcpHttp}`, `REDIS=${peers.redis}`], [peers.tcpHttp, peers.redis], (out) =>
    /^done$/m.test(out) && !/^FAIL/m.test(out) && (out.match(/^ok /gm) ?? []).length === 3,
  );

async function main() {
  const peers = (await (await fetch("./peers.json")).json()) as Record<string, string>;
  const wasm = await init({
    wasm: new URL("../pkg/runtime_wasm_bg.wasm", import.meta.url),
    dns: { servers: [peers.doh] },
    // TCP and UDP go through the local Wisp relay (wisp-js).
    relay: { url: peers.wispV2 },
  });
  log(`wasm module loaded; peers: echo ${peers.wsEcho}, DoH ${peers.doh}, HTTP ${peers.http}, Wisp relay ${peers.wispV2}, Redis ${peers.redis}`);
  $("run").addEventListener("click", () => runAddresses(wasm));
  runAddresses(wasm);

  const go = async () => {
    $("program-status").textContent = "running…";
    $<HTMLButtonElement>("rerun").disabled = true;
    try {
      const program = await runProgram(wasm, peers);
      log("a wasip1 program through go-net-wasm/wasi:");
      program.wasi = await runWasi(peers);
      log("a Go program (GOOS=wasip1, net/http) through go-net-wasm/wasi:");
      program.goWasi = await runGoWasi(peers);
      (window as any).demoProgram = program;
      const counts = wasm.externCounts();
      log(`handles left: ${JSON.stringify(counts)}`);
      (window as any).demoCounts = counts;
      $("program-status").textContent = "done";
    } catch (e) {
      $("program-status").textContent = `failed: ${e}`;
      log(`error: ${e}`, "err");
      (window as any).demoError = String(e);
    } finally {
      $<HTMLButtonElement>("rerun").disabled = false;
    }
  };
  $("rerun").addEventListener("click", go);
  await go();
}

main().catch((e) => {
  $("status").textContent = `failed: ${e}`;
  log(`error: ${e}`, "err");
  (window as any).demoError = String(e);
});
