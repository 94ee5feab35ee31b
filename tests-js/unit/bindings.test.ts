// The `_net*` bindings: what js/net.ts installs on globalThis is exactly what
// runtime-wasm/src/host/bindings.rs imports (one declaration on each side, kept
// equal here, as the error codes are), and nothing of the host's own.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { netBindings, netHost, registerNetBindings } from "../../js/net.js";

describe("the _net* bindings", () => {
  it("js/net.ts installs exactly the functions bindings.rs imports", () => {
    const rs = readFileSync(new URL("../../runtime-wasm/src/host/bindings.rs", import.meta.url), "utf8");
    const imported = [...rs.matchAll(/^\s*(_net\w+) => fn /gm)].map((m) => m[1]).sort();
    const installed = registerNetBindings({}).sort();
    expect(imported.length).toBeGreaterThan(30);
    expect(installed).toEqual(imported);
    for (const name of installed) expect(typeof (globalThis as Record<string, unknown>)[name]).toBe("function");
  });

  it("the host's helpers (resets, counts) are not on the guests' prefix", () => {
    const installed = registerNetBindings({});
    for (const host of ["_netConnReset", "_netConnSockets", "_netConnQueueCost", "_netUdpReset", "_netUdpStreams", "_netHttpReset"])
      expect(installed).not.toContain(host);
    expect(netHost.counted()).toBe(0);
    expect(typeof netHost.connQueueCost).toBe("function");
  });

  it("a crate instance's trap disposes its own handles, never another guest's (a wasip1 program's, through netBindings)", async () => {
    registerNetBindings({ relay: { url: "ws://127.0.0.1:9/" } }); // a PacketConn opens nothing before its first send
    const g = globalThis as unknown as Record<string, (...a: unknown[]) => unknown>;
    const crate = g._netUdpListen("udp") as number;
    const guest = netBindings._netUdpListen("udp");
    g._netPanic("boom");
    await Promise.resolve();
    const buf = new Uint8Array(8);
    expect(netBindings._netUdpReadFrom(guest, buf)).toBe(-1); // alive: nothing queued
    expect(() => netBindings._netUdpReadFrom(crate, buf)).toThrow(expect.objectContaining({ code: "closed" }));
    netBindings._netUdpClose(guest);
    expect(() => netBindings._netUdpReadFrom(guest, buf)).toThrow(expect.objectContaining({ code: "closed" }));
  });
});
