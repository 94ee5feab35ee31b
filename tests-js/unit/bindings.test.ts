// The `_net*` bindings: what js/net.ts installs on globalThis is exactly what
// runtime-wasm/src/host/bindings.rs imports (one declaration on each side, kept
// equal here, as the error codes are), and nothing of the host's own.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { netHost, registerNetBindings } from "../../js/net.js";

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
});
