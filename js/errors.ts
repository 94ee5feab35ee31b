// Errors cross the boundary as plain objects tagged with `code`: the serde
// form of Rust's `net::Error`. The codes below must match `Error::CODES` in
// runtime-wasm/src/net/error.rs (a vitest suite checks this against the
// compiled wasm).

export const NET_ERROR_CODES = [
  "op",
  "dns",
  "addr",
  "parse",
  "unknown_network",
  "closed",
  "timeout",
  "canceled",
  "unsupported",
  "eof",
  "other",
  "url",
  "deadline",
  "context_canceled",
  "refused",
  "reset",
  "addr_in_use",
  "addr_not_available",
  "denied",
  "request_timeout",
] as const;

export type NetErrorCode = (typeof NET_ERROR_CODES)[number];

/** Go's error shapes, as Rust's `net::Error` serializes them. */
export type NetError =
  | { code: "op"; op: string; net?: string; source?: string; addr?: string; err: NetError }
  | {
      code: "dns";
      err: string;
      name: string;
      server?: string;
      is_timeout?: boolean;
      is_temporary?: boolean;
      is_not_found?: boolean;
    }
  | { code: "addr"; err: string; addr?: string }
  | { code: "parse"; type: string; text: string }
  | { code: "unknown_network"; net: string }
  | {
      code:
        | "closed"
        | "timeout"
        | "canceled"
        | "eof"
        | "context_canceled"
        | "refused"
        | "reset"
        | "addr_in_use"
        | "addr_not_available"
        | "request_timeout";
    }
  | { code: "unsupported" | "other" | "deadline" | "denied"; message: string }
  | { code: "url"; op: string; url: string; err: NetError };

/** The table protocol's end of stream (Go's io.EOF) and stale handle (net.ErrClosed). */
export const EOF: NetError = { code: "eof" };
export const CLOSED: NetError = { code: "closed" };
/** A deadline passed (Go's os.ErrDeadlineExceeded). */
export const TIMEOUT: NetError = { code: "timeout" };

/** Go's `OpError` around `err`, e.g. `dial wss wss://h/: <err>`. */
export function opError(op: string, net: string, addr: string | undefined, err: NetError): NetError {
  return addr === undefined ? { code: "op", op, net, err } : { code: "op", op, net, addr, err };
}

/** An error with no Go shape of its own (Go's errors.New): code "other". */
export const other = (message: string): NetError => ({ code: "other", message });

/** Is `e` one of these error objects (not a thrown JS Error)? */
export const isNetError = (e: unknown): e is NetError => typeof e === "object" && e !== null && "code" in e;
