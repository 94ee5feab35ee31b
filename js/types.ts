// Types only (no code): the shapes that cross between a host and this
// package. `NetBindings` is the `_net*` table the crate imports;
// the Extern* types are what `callExtern` / `externInvoke` take and give
// (runtime-wasm/src/js_api.rs builds them), for a VM written in JS.
import type { NetError } from "./errors.js";

export type { NetBindings, NetOptions } from "./net.js";
export type { NetError, NetErrorCode } from "./errors.js";

/** An extern argument: Go's nil, int/int64/Duration (a BigInt past 2^53), string, []byte, []string. */
export type ExternArg = null | undefined | number | bigint | string | Uint8Array | ArrayBuffer | string[];

/** Vo's `*TCPAddr` / `*UDPAddr` (a nil pointer is `null`). */
export interface ExternAddr {
  IP: Uint8Array;
  Port: number;
  Zone: string;
}

/** A Go `error` result: the error's fields, its Go message and predicates. */
export type ExternError = NetError & {
  message: string;
  timeout: boolean;
  temporary: boolean;
  notFound: boolean;
  /** The Go sentinel it matches with `errors.Is`, e.g. "net.ErrClosed". */
  sentinel?: string;
  /** When it *is* one of Vo's sentinels: `getNetErrors()[index]` of that package. */
  voSentinel?: { package: string; index: number };
};

/** One result: nil, an int (a BigInt past 2^53), string, []byte, []string / []IP, error or address. */
export type ExternValue = null | number | bigint | string | Uint8Array | ExternValue[] | ExternError | ExternAddr;

/** `externInvoke`'s answer: the results, or a token to `externWait` on before replaying. */
export type ExternStep = { done: true; values: ExternValue[] } | { done: false; token: number };

/** One entry of `externList()`. */
export interface ExternInfo {
  package: string;
  name: string;
  /** Vo's canonical name, e.g. "vo1:3:net:4:dial". */
  canonical: string;
  /** The Go API it serves. */
  go: string;
  signature: string;
  params: { name: string; type: string }[];
  results: string[];
  /** Whether it may wait (replay model). */
  canWait: boolean;
}
