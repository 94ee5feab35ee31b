// The WebSocket echo peer that the Conn tests rely on: each control does
// what servers/ws-echo.mjs promises, checked with the `ws` client.
import { afterAll, beforeAll, expect, it } from "vitest";
import WebSocket from "ws";
// @ts-expect-error: plain .mjs module without types
import { startWsEcho } from "../../servers/ws-echo.mjs";

let echo: { url: string; close(): Promise<void> };
beforeAll(async () => {
  echo = await startWsEcho();
});
afterAll(() => echo?.close());

type Event = { kind: "message"; data: Buffer; binary: boolean } | { kind: "close"; code: number; reason: string };

/** Opens `?query`, sends `msgs`, and collects events until close or `ms`. */
function session(query: string, msgs: (string | Buffer)[], ms = 2000): Promise<Event[]> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${echo.url}?${query}`);
    const events: Event[] = [];
    const timer = setTimeout(() => (ws.terminate(), resolve(events)), ms);
    ws.on("open", () => msgs.forEach((m) => ws.send(m)));
    ws.on("message", (data, binary) => events.push({ kind: "message", data: data as Buffer, binary }));
    ws.on("close", (code, reason) => {
      clearTimeout(timer);
      events.push({ kind: "close", code, reason: reason.toString() });
      resolve(events);
    });
    ws.on("error", reject);
  });
}

it("echoes binary and text frames unchanged", async () => {
  const payload = Buffer.from([0, 1, 2, 255]);
  const ev = await session("", [payload, "héllo"], 300);
  expect(ev).toEqual([
    { kind: "message", data: payload, binary: true },
    { kind: "message", data: Buffer.from("héllo"), binary: false },
  ]);
});

it("closes with the requested code and reason after N echoes", async () => {
  const ev = await session("after=2&close=4001&reason=bye", ["a", "b", "c"]);
  expect(ev.filter((e) => e.kind === "message")).toHaveLength(2);
  expect(ev.at(-1)).toEqual({ kind: "close", code: 4001, reason: "bye" });
});

it("drops the connection without a close frame (1006)", async () => {
  const ev = await session("drop=1", []);
  expect(ev).toEqual([{ kind: "close", code: 1006, reason: "" }]);
});

it("stays silent, delays, echoes as text and streams on request", async () => {
  expect(await session("silent=1", ["x"], 300)).toEqual([]);
  const t0 = Date.now();
  const delayed = await session("delay=150&after=1&close=1000", [Buffer.from("x")]);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
  expect(delayed[0]).toMatchObject({ kind: "message", binary: true });
  const text = await session("text=1&after=1&close=1000", [Buffer.from("hi")]);
  expect(text[0]).toMatchObject({ kind: "message", binary: false });
  const sent = await session("send=1000&chunk=300", [], 300);
  const chunks = sent.filter((e): e is Extract<Event, { kind: "message" }> => e.kind === "message").map((e) => e.data);
  expect(chunks.map((c) => c.length)).toEqual([300, 300, 300, 100]);
  const all = Buffer.concat(chunks);
  expect([...all].every((b, i) => b === i % 251)).toBe(true);
});
