// The capability policy's URL check (js/policy.ts). The same check runs in
// front of Dial, fetch and DoH in Chromium (runtime-wasm/tests/policy.rs).
import { describe, expect, it } from "vitest";
import { DENIED, deniedError, policyDenial } from "../../js/policy.js";

describe("policyDenial", () => {
  it("allows everything by default", () => {
    for (const u of ["wss://a.example/x", "http://127.0.0.1:1/", "https://[::1]:8443/"]) expect(policyDenial({}, u, 1e6)).toBe("");
  });

  it("checks schemes, hosts with wildcards, ports and ranges", () => {
    const p = { schemes: ["wss", "https"], hosts: ["api.example", "*.cdn.example", "::1"], ports: [443, [8000, 8099] as [number, number]] };
    expect(policyDenial(p, "wss://api.example/", 0)).toBe("");
    expect(policyDenial(p, "https://img.cdn.example:8080/a", 0)).toBe("");
    expect(policyDenial(p, "https://[::1]:8000/", 0)).toBe("");
    expect(policyDenial(p, "ws://api.example/", 0)).toBe("scheme ws");
    expect(policyDenial(p, "https://cdn.example/", 0)).toBe("host cdn.example"); // *.x is subdomains only
    expect(policyDenial(p, "https://evil.example/", 0)).toBe("host evil.example");
    expect(policyDenial(p, "https://API.EXAMPLE./", 0)).toBe("");
    expect(policyDenial(p, "https://api.example:8443/", 0)).toBe("port 8443");
    expect(policyDenial(p, "https://api.example:8100/", 0)).toBe("port 8100");
    expect(policyDenial({ hosts: ["*"] }, "ws://anything/", 0)).toBe("");
  });

  it("caps open connections", () => {
    expect(policyDenial({ maxConnections: 2 }, "wss://h/", 1)).toBe("");
    expect(policyDenial({ maxConnections: 2 }, "wss://h/", 2)).toBe("more than 2 connections");
  });

  it("gives Go's wording and what was denied", () => {
    expect(deniedError("host h")).toEqual({ code: "denied", message: `${DENIED} (host h not allowed)` });
    expect(DENIED).toBe("permission denied by network policy");
  });
});
