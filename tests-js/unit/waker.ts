// What a wasm instance does with js/wake.ts, for the table suites: one
// registered callback, a token per wait, a Promise here per token.
import { setWaker } from "../../js/wake.js";

const woken = new Map<number, () => void>();
let id = -1;
let next = 1;

/** Starts a wait through a table's `*Ready(h, token)`; `woken` resolves
 *  when the table wakes the token. Throws what Ready throws. */
export function waitReady(ready: (h: number, token: number) => void, h: number): { token: number; woken: Promise<void> } {
  if (id < 0) id = setWaker((t) => {
    const f = woken.get(t);
    woken.delete(t);
    f?.();
  });
  const token = id * 2 ** 32 + next++;
  const p = new Promise<void>((r) => woken.set(token, r));
  try {
    ready(h, token);
  } catch (e) {
    woken.delete(token);
    throw e;
  }
  return { token, woken: p };
}
