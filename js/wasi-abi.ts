// The WASI preview 1 ABI as the socket host (js/wasi.ts) reads and writes
// it: errno numbers, struct layouts, and guest memory access that checks
// every pointer and length against the memory's current size. A bad
// pointer throws `Fault`, which the import boundary turns into EFAULT: no
// exception ever leaves an import, and nothing is written before every
// check of that call has passed where the call writes more than one thing.
import type { NetError } from "./errors.js";

/** WASI errno values (wasi_snapshot_preview1's `errno` enum). */
export const E = {
  SUCCESS: 0,
  ACCES: 2,
  ADDRINUSE: 3,
  ADDRNOTAVAIL: 4,
  AFNOSUPPORT: 5,
  AGAIN: 6,
  ALREADY: 7,
  BADF: 8,
  CONNABORTED: 13,
  CONNREFUSED: 14,
  CONNRESET: 15,
  DESTADDRREQ: 17,
  FAULT: 21,
  HOSTUNREACH: 23,
  INPROGRESS: 26,
  INVAL: 28,
  IO: 29,
  ISCONN: 30,
  MFILE: 33,
  MSGSIZE: 35,
  NETUNREACH: 40,
  NOBUFS: 42,
  NOPROTOOPT: 50,
  NOSYS: 52,
  NOTCONN: 53,
  NOTSOCK: 57,
  NOTSUP: 58,
  PIPE: 64,
  PROTONOSUPPORT: 66,
  TIMEDOUT: 72,
} as const;

/** WasmEdge's address families and socket types (wasmedge_wasi_socket's enums). */
export const AF_UNSPEC = 0;
export const AF_INET4 = 1;
export const AF_INET6 = 2;
export const SOCK_ANY = 0;
export const SOCK_DGRAM = 1;
export const SOCK_STREAM = 2;

/** preview 1 `filetype`, `fdflags`, `riflags`, `sdflags`, `eventtype`. */
export const FILETYPE_SOCKET_DGRAM = 5;
export const FILETYPE_SOCKET_STREAM = 6;
export const FDFLAG_NONBLOCK = 4;
export const RIFLAG_PEEK = 1;
export const RIFLAG_WAITALL = 2;
export const SHUT_RD = 1;
export const SHUT_WR = 2;
export const EVENT_CLOCK = 0;
export const EVENT_FD_READ = 1;
export const EVENT_FD_WRITE = 2;
export const EVENTRWFLAG_HANGUP = 1;
export const SUBCLOCK_ABSTIME = 1;
export const SUBSCRIPTION_SIZE = 48;
export const EVENT_SIZE = 32;

/** An errno an operation fails with on purpose (EBADF, EINVAL, ...). */
export class Errno extends Error {
  constructor(readonly errno: number, why = "") {
    super(why || `errno ${errno}`);
  }
}

/** A guest pointer or length outside its memory. */
export class Fault extends Error {
  constructor(what: string) {
    super(`bad guest pointer: ${what}`);
  }
}

/** Checked access to the guest's memory as it is now (re-made after every suspension: memory may grow). */
export class GuestMemory {
  readonly view: DataView;
  readonly bytes: Uint8Array;
  constructor(memory: WebAssembly.Memory) {
    this.bytes = new Uint8Array(memory.buffer);
    this.view = new DataView(memory.buffer);
  }
  /** Throws Fault unless [ptr, ptr+len) lies inside memory (ptr and len are the guest's u32s). */
  check(ptr: number, len: number, what = "buffer"): void {
    if (!Number.isInteger(ptr) || !Number.isInteger(len) || ptr < 0 || len < 0 || ptr + len > this.bytes.length)
      throw new Fault(`${what} at ${ptr >>> 0} (+${len >>> 0}) is outside the guest's ${this.bytes.length} bytes`);
  }
  u8(ptr: number): number {
    this.check(ptr, 1);
    return this.view.getUint8(ptr);
  }
  u16(ptr: number): number {
    this.check(ptr, 2);
    return this.view.getUint16(ptr, true);
  }
  u32(ptr: number): number {
    this.check(ptr, 4);
    return this.view.getUint32(ptr, true);
  }
  u64(ptr: number): bigint {
    this.check(ptr, 8);
    return this.view.getBigUint64(ptr, true);
  }
  setU8(ptr: number, v: number) {
    this.check(ptr, 1);
    this.view.setUint8(ptr, v);
  }
  setU16(ptr: number, v: number) {
    this.check(ptr, 2);
    this.view.setUint16(ptr, v, true);
  }
  setU32(ptr: number, v: number) {
    this.check(ptr, 4);
    this.view.setUint32(ptr, v >>> 0, true);
  }
  setU64(ptr: number, v: bigint) {
    this.check(ptr, 8);
    this.view.setBigUint64(ptr, v, true);
  }
  /** A view of guest bytes (valid until memory grows: use it at once). */
  slice(ptr: number, len: number, what?: string): Uint8Array {
    this.check(ptr, len, what);
    return this.bytes.subarray(ptr, ptr + len);
  }
}

/** Iovecs at most per call (POSIX's IOV_MAX). */
export const MAX_IOVS = 1024;

/**
 * How an ABI lays out one iovec: WASI's `{buf: u32, len: u32}` (8 bytes),
 * or a Go struct `{unsafe.Pointer; uint32}` as egdaemon/wasinet passes it
 * (16 bytes on GOARCH=wasm: a 64-bit pointer whose high half is 0 in a
 * 32-bit memory, the length at 8, then padding).
 */
export interface IovecLayout {
  size: 8 | 16;
  lenAt: 4 | 8;
}
export const WASI_IOVEC: IovecLayout = { size: 8, lenAt: 4 };
export const GO_IOVEC: IovecLayout = { size: 16, lenAt: 8 };

/** The buffers of an iovec array, every one checked. */
export function iovecs(m: GuestMemory, ptr: number, count: number, layout: IovecLayout = WASI_IOVEC): Uint8Array[] {
  if (count > MAX_IOVS) throw new RangeError("iovec count");
  m.check(ptr, count * layout.size, "iovec array");
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const at = ptr + layout.size * i;
    if (layout.size === 16 && m.u32(at + 4) !== 0) throw new Fault(`iovec ${i}'s pointer is past 4 GiB`);
    out.push(m.slice(m.u32(at), m.u32(at + layout.lenAt), `iovec ${i}`));
  }
  return out;
}

/** An IP address and port as the socket layer keeps them. */
export interface SockAddr {
  family: typeof AF_INET4 | typeof AF_INET6;
  ip: Uint8Array; // 4 or 16 bytes
  port: number;
}

/**
 * A WasmEdge address argument: a pointer to `{buf: u32, size: u32}`. Size 4
 * or 16 is v1's raw address; size 128 is v2's, the family (u16) first,
 * then the address bytes. Anything else is EINVAL.
 */
export function readAddress(m: GuestMemory, ptr: number, port: number): SockAddr | undefined {
  const buf = m.u32(ptr);
  const size = m.u32(ptr + 4);
  if (size === 4 || size === 16) return { family: size === 4 ? AF_INET4 : AF_INET6, ip: m.slice(buf, size).slice(), port };
  if (size !== 128) return undefined;
  const fam = m.u16(buf);
  if (fam === AF_INET4) return { family: AF_INET4, ip: m.slice(buf + 2, 4).slice(), port };
  if (fam === AF_INET6) return { family: AF_INET6, ip: m.slice(buf + 2, 16).slice(), port };
  return undefined;
}

/**
 * Writes an address into a WasmEdge address argument: v2's 128-byte buffer
 * (family first), or a v1 buffer of at least the address's size (raw
 * bytes). Returns false when the buffer cannot hold it.
 */
export function writeAddress(m: GuestMemory, ptr: number, a: SockAddr): boolean {
  const buf = m.u32(ptr);
  const size = m.u32(ptr + 4);
  if (size === 128) {
    m.check(buf, 128);
    m.bytes.fill(0, buf, buf + 128);
    m.setU16(buf, a.family);
    m.bytes.set(a.ip, buf + 2);
    return true;
  }
  if (size < a.ip.length) return false;
  m.check(buf, size);
  m.bytes.fill(0, buf, buf + size);
  m.bytes.set(a.ip, buf);
  return true;
}

/** A guest's UTF-8 string (at most `max` bytes): EINVAL if it is longer or not UTF-8, EFAULT outside memory. */
export function guestText(m: GuestMemory, ptr: number, len: number, what: string, max = 1024): string {
  if (len > max) throw new Errno(E.INVAL, `a ${len}-byte ${what}`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(m.slice(ptr, len));
  } catch (e) {
    if (e instanceof TypeError) throw new Errno(E.INVAL, `a ${what} that is not UTF-8`);
    throw e;
  }
}

/**
 * How one socket ABI lays addresses out in guest memory: the WasmEdge ABI's
 * `{buf, size}` arguments with a separate port (below), or wasinet's
 * 130-byte RawSocketAddress (js/wasi-wasinet.ts).
 */
export interface AddressCodec {
  /** The address at `ptr` (`port`: the ABI's separate port argument, where it has one); undefined if malformed. */
  read(m: GuestMemory, ptr: number, port: number): SockAddr | undefined;
  /** Writes `a` at `ptr`; false when the buffer cannot hold it. */
  write(m: GuestMemory, ptr: number, a: SockAddr): boolean;
  /** Faults unless an out-address at `ptr` can be written (checked before anything is consumed). */
  checkOut(m: GuestMemory, ptr: number): void;
}

export const WASMEDGE_ADDRESS: AddressCodec = {
  read: readAddress,
  write: writeAddress,
  checkOut: (m, ptr) => m.check(m.u32(ptr), m.u32(ptr + 4), "address buffer"),
};

/**
 * Everything one socket ABI decides about memory, in one place: its
 * address layout and its iovec layout. The socket layer (js/wasi-sockets.ts)
 * never assumes either.
 */
export interface Abi {
  name: string;
  address: AddressCodec;
  iovec: IovecLayout;
  /**
   * Its guests do not retry a send that would block (wasinet's Write calls
   * sock_send_to once and fails on EAGAIN), so a nonblocking send waits for
   * room, as a kernel's socket buffer would take the bytes, and never
   * returns EAGAIN. The wait never depends on the guest: the Conn drains by itself.
   */
  sendWaits?: boolean;
}

/** The WasmEdge socket extension (v1 and v2), as wasmedge_wasi_socket, mio_wasi and dispatchrun/net call it. */
export const WASMEDGE_ABI: Abi = { name: "WasmEdge", address: WASMEDGE_ADDRESS, iovec: WASI_IOVEC };

/** Text form of an address for the relay and the policy (`1.2.3.4`, `::1`). */
export function ipText(a: SockAddr): string {
  if (a.family === AF_INET4) return Array.from(a.ip).join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((a.ip[i] << 8) | a.ip[i + 1]).toString(16));
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

/** Parses a numeric IPv4 or IPv6 address (no zone); undefined for anything else. */
export function parseIp(s: string): SockAddr | undefined {
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (v4) {
    const b = v4.slice(1).map(Number);
    if (b.some((x, i) => x > 255 || (v4[i + 1].length > 1 && v4[i + 1][0] === "0"))) return undefined;
    return { family: AF_INET4, ip: Uint8Array.from(b), port: 0 };
  }
  if (!s.includes(":") || !/^[0-9a-fA-F:.]+$/.test(s)) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const parts = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    const ps = h.split(":");
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i];
      if (i === ps.length - 1 && p.includes(".")) {
        const v = parseIp(p);
        if (!v || v.family !== AF_INET4) return undefined;
        out.push((v.ip[0] << 8) | v.ip[1], (v.ip[2] << 8) | v.ip[3]);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = parts(halves[0]);
  const tail = halves.length === 2 ? parts(halves[1]) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const groups = [...head, ...new Array(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const ip = new Uint8Array(16);
  groups.forEach((g, i) => ((ip[2 * i] = g >> 8), (ip[2 * i + 1] = g & 255)));
  return { family: AF_INET6, ip, port: 0 };
}

/** The errno a failed dial, read or write reports (NetError from the tables). */
export function errnoOf(e: unknown): number {
  if (e instanceof Fault) return E.FAULT;
  if (e instanceof Errno) return e.errno;
  if (e instanceof RangeError) return E.INVAL;
  const err = e as NetError | undefined;
  switch (err?.code) {
    case "op":
    case "url":
      return errnoOf(err.err);
    case "refused":
      return E.CONNREFUSED;
    case "reset":
      return E.CONNRESET;
    case "timeout":
    case "deadline":
    case "request_timeout":
      return E.TIMEDOUT;
    case "denied":
      return E.ACCES;
    case "closed":
      return E.BADF;
    case "eof":
      return E.PIPE;
    case "dns":
      return err.is_timeout ? E.TIMEDOUT : E.HOSTUNREACH;
    case "unsupported":
      return E.NOTSUP;
    case "addr_in_use":
      return E.ADDRINUSE;
    case "addr_not_available":
      return E.ADDRNOTAVAIL;
    case "canceled":
    case "context_canceled":
      return E.CONNABORTED;
    default: {
      // The relay's and the Conn's own wording (js/wisp.ts, js/conn.ts).
      const msg = String((err as { message?: unknown } | undefined)?.message ?? "");
      if (/refused/i.test(msg)) return E.CONNREFUSED;
      if (/unreachable/i.test(msg)) return E.HOSTUNREACH;
      if (/timed out|timeout/i.test(msg)) return E.TIMEDOUT;
      if (/too many/i.test(msg)) return E.MFILE;
      if (/no buffer space/i.test(msg)) return E.NOBUFS;
      return E.IO;
    }
  }
}
