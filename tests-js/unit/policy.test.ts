// The capability policy's URL check (js/policy.ts). The same check runs in
// front of Dial, fetch and DoH in Chromium (runtime-wasm/tests/policy.rs).
import { describe, expect, it } from "vitest";
import { createGate, DENIED, deniedError, lookupDenial, normalizeHost, policyDenial, validatePolicy } from "../../js/policy.js";
import { unicodeStrings } from "./unicode.js";

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

describe("host patterns are normalized as the URL parser normalizes hosts", () => {
  it("IDNA, case, trailing dots, IPv4 and IPv6 forms match", () => {
    const p = { hosts: ["BÜCHER.example.", "*.Straße.example", "::1", "[0:0::2]", "127.0.0.1"] };
    expect(policyDenial(p, "https://xn--bcher-kva.example/", 0)).toBe("");
    expect(policyDenial(p, "https://bücher.example./", 0)).toBe("");
    expect(policyDenial(p, "https://a.STRASSE.example/", 0)).toBe("host a.strasse.example"); // ß is kept (UTS 46 nontransitional)
    expect(policyDenial(p, "https://a.xn--strae-oqa.example/", 0)).toBe("");
    expect(policyDenial(p, "http://[0:0:0:0:0:0:0:1]:8080/", 0)).toBe("");
    expect(policyDenial(p, "http://[::2]/", 0)).toBe("");
    expect(policyDenial(p, "http://2130706433/", 0)).toBe(""); // 127.0.0.1 as one number
    expect(policyDenial(p, "http://0x7f.1/", 0)).toBe("");
    expect(policyDenial(p, "http://[::3]/", 0)).toBe("host [::3]");
  });

  it("a pattern that is not a host is a configuration error, said at once", () => {
    for (const bad of ["exa mple.com", "", "a/b", "*.[::1]", "user@host", "h:80"])
      expect(() => validatePolicy({ hosts: [bad] }), bad).toThrow(TypeError);
    expect(() => validatePolicy({ credentials: "all" as RequestCredentials })).toThrow(TypeError);
    expect(() => validatePolicy({ hosts: ["*", "*.a.example", "a.example", "::1"], credentials: "include" })).not.toThrow();
    expect(normalizeHost("EXAMPLE.com.")).toBe("example.com");
    expect(normalizeHost("::FFFF:1.2.3.4")).toBe("[::ffff:102:304]");
  });

  it("denies a URL it cannot parse whenever anything is restricted", () => {
    expect(policyDenial({ hosts: ["*"] }, "not a url", 0)).toBe('unparseable URL "not a url"');
    expect(policyDenial({ ports: [80] }, "http://[::1/", 0)).toMatch(/^unparseable URL/);
    expect(policyDenial({}, "not a url", 0)).toBe(""); // nothing restricted: the caller reports the bad URL
    expect(policyDenial({ maxConnections: 5 }, "not a url", 0)).toBe("");
  });
});

describe("DNS names under the policy", () => {
  const p = { hosts: ["api.example", "*.cdn.example", "10.0.0.1", "::1"] };
  it("a name may be looked up only if the guest could connect to it", () => {
    expect(lookupDenial(p, "api.example")).toBe("");
    expect(lookupDenial(p, "API.Example.")).toBe("");
    expect(lookupDenial(p, "img.cdn.example")).toBe("");
    expect(lookupDenial(p, "c2VjcmV0.evil.example")).toBe("lookup of c2VjcmV0.evil.example");
    expect(lookupDenial(p, "cdn.example")).not.toBe("");
    expect(lookupDenial({}, "anything.example")).toBe("");
    expect(lookupDenial({ ports: [443] }, "anything.example")).toBe(""); // only hosts limit names
  });
  it("reverse lookups are checked as the address they ask about", () => {
    expect(lookupDenial(p, "1.0.0.10.in-addr.arpa")).toBe("");
    expect(lookupDenial(p, "2.0.0.10.in-addr.arpa")).not.toBe("");
    expect(lookupDenial(p, `1.${"0.".repeat(31)}ip6.arpa.`)).toBe("");
    expect(lookupDenial(p, `2.${"0.".repeat(31)}ip6.arpa`)).not.toBe("");
  });
});

describe("the gate counts what it holds", () => {
  it("DoH queries and probes hold a slot until released; host-chosen URLs are only counted", () => {
    let open = 1;
    const g = createGate(() => ({ maxConnections: 2, hosts: ["a.example"] }), () => open);
    const slot = g.hold("https://a.example/");
    expect("release" in slot).toBe(true);
    expect(g.check("https://a.example/")).toEqual(deniedError("more than 2 connections"));
    if ("release" in slot) slot.release(), slot.release(); // twice is once
    expect(g.check("https://a.example/")).toBeUndefined();
    expect(g.hold("https://evil.example/")).toEqual(deniedError("host evil.example"));
    const trusted = g.hold(undefined); // the host's DoH server: not a guest destination
    expect("release" in trusted).toBe(true);
    open = 0;
    expect(g.restricts()).toBe(true);
    expect(createGate(() => ({ maxConnections: 1 }), () => 0).restricts()).toBe(false);
  });
});

describe("arbitrary Unicode", () => {
  it("never makes a policy check throw; an invalid host pattern is only ever a TypeError", () => {
    const p = { hosts: ["a.example", "*.b.example", "::1"], ports: [443] };
    for (const s of unicodeStrings(5000)) {
      expect(typeof policyDenial(p, s, 0)).toBe("string");
      expect(typeof policyDenial(p, `https://${s}/`, 0)).toBe("string");
      expect(typeof lookupDenial(p, s)).toBe("string");
      const h = normalizeHost(s);
      expect(h === undefined || typeof h === "string").toBe(true);
      try {
        validatePolicy({ hosts: [s, `*.${s}`] });
      } catch (e) {
        expect(e).toBeInstanceOf(TypeError);
      }
    }
  });
});
