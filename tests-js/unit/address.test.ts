// The JS glue against the compiled wasm (loaded in Node): Go's vectors
// through the exported functions, and the error shape crossing both ways.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { init, NET_ERROR_CODES, opError, registerNetBindings, type NetError } from "../../js/index.js";
import vectors from "../../testdata/go_net_vectors.json";

type Wasm = Awaited<ReturnType<typeof init>>;
let wasm: Wasm;

beforeAll(async () => {
  wasm = await init({ wasm: readFileSync(new URL("../../pkg-debug/runtime_wasm_bg.wasm", import.meta.url)) });
});

// "00000000000000000000ffff7f000001" -> IP string, via the wasm itself for
// the expected side would be circular; Go's ip_string table gives the texts.
describe("Go vectors through the JS API", () => {
  it("ParseIP accepts and rejects exactly Go's inputs", () => {
    for (const [input, out] of vectors.parse_ip as [string, string | null][]) {
      const got = wasm.parseIP(input);
      if (out === null) expect(got, input).toBeUndefined();
      else expect(got, input).toBeTypeOf("string");
    }
  });

  it("ParseIP normalises to Go's String()", () => {
    expect(wasm.parseIP("2001:DB8:0:0:1::1")).toBe("2001:db8::1:0:0:1");
    expect(wasm.parseIP("::ffff:7f01:0203")).toBe("127.1.2.3");
    expect(wasm.parseIP("0:0:0:0:0000:ffff:127.1.2.3")).toBe("127.1.2.3");
    expect(wasm.parseIP("2001:4860:0000:2001:0000:0000:0000:0068")).toBe("2001:4860:0:2001::68");
  });

  it("ParseCIDR gives Go's results and Go's ParseError", () => {
    for (const row of vectors.parse_cidr as { in: string; err?: string }[]) {
      const r = wasm.parseCIDR(row.in);
      if (row.err) {
        expect(r.ok, row.in).toBe(false);
        expect(r.error.code).toBe("parse");
        expect(r.error.message).toBe(row.err);
        expect(r.error.type).toBe("CIDR address");
      } else {
        expect(r.ok, row.in).toBe(true);
      }
    }
    expect(wasm.parseCIDR("2001:DB8::1/48").value).toEqual({ ip: "2001:db8::1", net: "2001:db8::/48" });
    expect(wasm.parseCIDR("135.104.0.1/24").value).toEqual({ ip: "135.104.0.1", net: "135.104.0.0/24" });
  });

  it("SplitHostPort and JoinHostPort follow Go's tables", () => {
    for (const [input, host, port] of vectors.split_host_port as string[][]) {
      expect(wasm.splitHostPort(input), input).toEqual({ ok: true, value: [host, port] });
    }
    for (const [input, reason] of vectors.split_host_port_errors as string[][]) {
      const r = wasm.splitHostPort(input);
      expect(r.ok).toBe(false);
      expect(r.error).toMatchObject({ code: "addr", err: reason, addr: input, message: `address ${input}: ${reason}` });
    }
    for (const [host, port, out] of vectors.join_host_port as string[][]) {
      expect(wasm.joinHostPort(host, port)).toBe(out);
    }
  });
});

describe("errors crossing the boundary", () => {
  it("JS and Rust know the same error codes", () => {
    expect([...wasm.errorCodes()]).toEqual([...NET_ERROR_CODES]);
  });

  it("an error built in JS reads back in Rust with Go's message", () => {
    const cases: [NetError, string][] = [
      [opError("dial", "wss", "wss://h/p", { code: "other", message: "connection refused" }), "dial wss wss://h/p: connection refused"],
      [opError("read", "ws", undefined, { code: "timeout" }), "read ws: i/o timeout"],
      [{ code: "closed" }, "use of closed network connection"],
      [{ code: "eof" }, "EOF"],
      [{ code: "dns", err: "no such host", name: "nx.test", server: "https://doh/", is_not_found: true }, "lookup nx.test on https://doh/: no such host"],
      [{ code: "unknown_network", net: "sctp" }, "unknown network sctp"],
      [{ code: "unsupported", message: "listen tcp: not supported in browser WebAssembly" }, "listen tcp: not supported in browser WebAssembly"],
    ];
    for (const [err, message] of cases) expect(wasm.errorMessage(err)).toBe(message);
  });

  it("a malformed error object is reported, not a crash", () => {
    expect(wasm.errorMessage({ code: "bogus" })).toMatch(/^invalid net error object: /);
    expect(wasm.errorMessage(42)).toMatch(/^invalid net error object: /);
    expect(wasm.errorMessage({ code: "op", op: "dial" })).toMatch(/missing field `err`/);
  });
});

describe("registerNetBindings", () => {
  it("installs the _net* functions, is idempotent and merges options", async () => {
    const { netOptions, WS_DEFAULTS } = await import("../../js/net.js");
    const first = registerNetBindings({ ws: { readLimitBytes: 1000 } });
    const second = registerNetBindings({ ws: { maxMessageBytes: 10 } });
    expect(second).toEqual(first);
    expect(first).toContain("_netConnDialWs");
    for (const name of first) expect(typeof (globalThis as any)[name]).toBe("function");
    expect(netOptions().ws).toEqual({ ...WS_DEFAULTS, readLimitBytes: 1000, maxMessageBytes: 10 });
    registerNetBindings({ ws: WS_DEFAULTS });
  });
});
