// One handle table for the Conn, PacketConn and request tables (js/conn.ts,
// js/relay.ts, js/http.ts): the protocol every `_net*` table speaks.
// - Handles are integers from 1, never reused within a table, so a stale
//   handle cannot name a newer item.
// - A handle that is not in the table (closed, released or never issued) is
//   Go's net.ErrClosed: `get` throws CLOSED. The end of a stream is EOF, from
//   the item itself.
// - A table holds at most `limit()` items (MAX_HANDLES unless the table says
//   less), whatever the policy: past that, adding throws saying so.
import { CLOSED, other } from "./errors.js";

/** Items one table holds at once, at most. */
export const MAX_HANDLES = 4096;

export class HandleTable<T> {
  private readonly items = new Map<number, T>();
  private next = 1;

  /** `what` names the items in the error of a full table ("Conns"). */
  constructor(
    private readonly what: string,
    private readonly limit: () => number = () => MAX_HANDLES,
  ) {}

  /** Stores what `make(handle)` builds under a new handle (nothing if it throws). */
  add(make: (h: number) => T): number {
    const max = Math.min(this.limit(), MAX_HANDLES);
    if (this.items.size >= max) throw other(`too many ${this.what} open (at most ${max}); close some`);
    const h = this.next++;
    this.items.set(h, make(h));
    return h;
  }

  /** The item, or CLOSED for a handle not in the table. */
  get(h: number): T {
    const v = this.items.get(h);
    if (v === undefined) throw CLOSED;
    return v;
  }

  /** The item if there is one (for calls that settle nothing when it is gone). */
  peek(h: number): T | undefined {
    return this.items.get(h);
  }

  has(h: number): boolean {
    return this.items.has(h);
  }

  delete(h: number): void {
    this.items.delete(h);
  }

  get size(): number {
    return this.items.size;
  }

  /** A snapshot of [handle, item] pairs. */
  entries(): Array<[number, T]> {
    return [...this.items.entries()];
  }

  /** A snapshot: disposing items while iterating it is safe. */
  all(): T[] {
    return [...this.items.values()];
  }
}
