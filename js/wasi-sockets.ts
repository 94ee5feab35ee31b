// Sockets for a wasm32-wasip1 guest: the WasmEdge socket extension
// (`sock_*` in wasi_snapshot_preview1, v1 and v2) on this package's own
// tables: a stream socket is a Conn dialed through the relay
// (`_netConnDialRelay`), a datagram socket a PacketConn (`_netUdp*`), names
// resolve over DoH (`_netLookupIP`). The socket fds, and the parts of
// fd_read / fd_write / fd_close / fd_fdstat_get / fd_fdstat_set_flags /
// poll_oneoff that touch them, live here; every other fd is the
// preview-1 implementation's (browser_wasi_shim), called through.
//
// Conventions:
// - Every import returns an errno (a number) or, when it must wait, a
//   Promise of one that never rejects. js/wasi.ts wraps the waiting ones
//   in WebAssembly.Suspending, so the guest blocks while the page runs.
// - Nothing leaves an import as an exception: a bad pointer is EFAULT
//   (js/wasi-abi.ts checks every one against the memory as it is now, and
//   is re-made after every wait, since memory may have grown), a bad fd
//   EBADF, a bad length or flag EINVAL. Out-parameters are written only
//   once the call has succeeded.
// - Blocking (the default) waits; a socket set O_NONBLOCK gets EAGAIN /
//   EINPROGRESS and waits through poll_oneoff, which waits for socket
//   readiness and clocks together (mio's, tokio's and Go's wasip1 pattern).
// - SO_RCVTIMEO / SO_SNDTIMEO become the Conn's read / write deadline for
//   the one call; a call that times out returns EAGAIN (POSIX) and the
//   socket stays usable.
// - The guest's own policy (hosts, ports, maxConnections) is checked here
//   before the page's, which the tables apply as for every other caller:
//   a guest gets at most the intersection. A connect to an address the
//   guest got from its own getaddrinfo is checked, and dialed, by the name
//   it looked up (the relay resolves it), as Dial("tcp", "name:port") is
//   for the externs; so a hosts policy of names works for sockets too.
// - Bounded: sockets per guest (`maxSockets`, EMFILE), subscriptions per
//   poll_oneoff, one pending write per socket (a nonblocking send takes up
//   to SEND_CHUNK bytes and returns; the next one gets EAGAIN until the
//   Conn has taken them), one datagram of lookahead per UDP socket, and the
//   names remembered from lookups.
import {
  AF_INET4,
  AF_INET6,
  E,
  Errno,
  errnoOf,
  EVENT_CLOCK,
  EVENT_FD_READ,
  EVENT_FD_WRITE,
  EVENT_SIZE,
  EVENTRWFLAG_HANGUP,
  FDFLAG_NONBLOCK,
  FILETYPE_SOCKET_DGRAM,
  FILETYPE_SOCKET_STREAM,
  GuestMemory,
  guestText,
  iovecs,
  ipText,
  parseIp,
  RIFLAG_PEEK,
  RIFLAG_WAITALL,
  SHUT_RD,
  SHUT_WR,
  SOCK_DGRAM,
  SOCK_STREAM,
  SUBCLOCK_ABSTIME,
  SUBSCRIPTION_SIZE,
  WASMEDGE_ABI,
  type Abi,
  type SockAddr,
} from "./wasi-abi.js";
import { createGate, deniedError, isDomainName, policyDenial, validatePolicy, type NetPolicy } from "./policy.js";
import type { NetError } from "./errors.js";
import { WakeSlots } from "./wake.js";
import { macrotask } from "./waiting.js";
import { answerQuery, RESOLVER_DEFAULTS, resolverKey } from "./wasi-resolver.js";

/** The tables this layer drives (js/net.ts's `netBindings`, or a test's). */
export interface SocketTables {
  _netConnDialRelay(network: string, host: string, port: number, timeoutMs: number): number;
  _netConnOpened(h: number): Promise<void>;
  _netConnRead(h: number, dest: Uint8Array): number;
  _netConnReady(h: number, token: number): void;
  _netConnWrite(h: number, data: Uint8Array): number | Promise<number>;
  _netConnSetDeadline(h: number, which: number, at: number): void;
  _netConnForget(h: number, key: unknown): void;
  _netConnClose(h: number): void;
  _netConnRelease(h: number): void;
  _netUdpListen(network: string): number;
  _netUdpReadFrom(h: number, dest: Uint8Array): -1 | [number, string];
  _netUdpReady(h: number, token: number): void;
  _netUdpWriteTo(h: number, data: Uint8Array, host: string, port: number): number | Promise<number>;
  _netUdpSetDeadline(h: number, which: number, at: number): void;
  _netUdpForget(h: number, key: unknown): void;
  _netUdpClose(h: number): void;
  _netLookupIP(network: string, name: string): Promise<string[]>;
}

export interface WasiSocketOptions {
  /** This guest's rights (js/policy.ts), on top of the page's. Default: the page's alone. */
  policy?: NetPolicy;
  /** Sockets open at once (EMFILE beyond). Default 64. */
  maxSockets?: number;
  /** The first socket fd (fds count up from it, never reused). Default 1024. */
  firstFd?: number;
  /**
   * The DNS servers this host answers itself (js/wasi-resolver.ts): a
   * datagram the guest sends to one of these `host:port`s is a query,
   * answered over DoH under the guest's policy, never sent to the relay.
   * Default: Go's resolver's defaults when /etc/resolv.conf is missing,
   * `127.0.0.1:53` and `[::1]:53`. `[]` turns this off.
   */
  resolvers?: string[];
}

export const WASI_SOCKET_DEFAULTS = { maxSockets: 64, firstFd: 1024 };

/** Bytes one send hands the Conn at most (a short write, as POSIX allows). */
export const SEND_CHUNK = 1 << 20;
/** Subscriptions one poll_oneoff may pass. */
export const MAX_SUBSCRIPTIONS = 4096;
/** The largest datagram (what the relay carries, js/relay.ts). */
const MAX_DATAGRAM = 65507;
/** Relay streams one UDP socket holds at most (js/relay.ts maxUdpDestinations' default): what the policy counts. */
const MAX_UDP_DESTS = 64;
/** Answers of the host's resolver waiting to be read, per socket (more are dropped, as UDP would). */
const MAX_ANSWERS = 16;
/** DNS over TCP: answer bytes a guest has not read before no more queries start (sends then get EAGAIN). */
const MAX_DNS_OUT = 64 * 1024;
/** preview 1's monotonic clock id. */
const CLOCK_MONOTONIC = 1;
/** sock_getsockopt: a length argument below this is the length itself, not a pointer to it. */
const BY_VALUE_BELOW = 1024;
/** Longest text kept in `errors` per failure. */
const MAX_NOTE = 300;
/** Names remembered from getaddrinfo, for the policy of a later connect. */
const MAX_NAMES = 256;
/** getaddrinfo results at most. */
const MAX_ADDRINFO = 64;

// Socket options (wasmedge_wasi_socket's SocketOptName, level SOL_SOCKET = 0).
const SOL_SOCKET = 0;
const SO_REUSEADDR = 0, SO_TYPE = 1, SO_ERROR = 2, SO_BROADCAST = 4, SO_SNDBUF = 5, SO_RCVBUF = 6;
const SO_KEEPALIVE = 7, SO_RCVTIMEO = 11, SO_SNDTIMEO = 12, SO_ACCEPTCONN = 13;
const IPPROTO_TCP = 6, TCP_NODELAY = 1;
/** The rights a socket fd reports (all: libc's F_GETFL reads O_RDWR from them). */
const ALL_RIGHTS = (1n << 30n) - 1n;

const EMPTY = new Uint8Array(0);

type State = "new" | "connecting" | "connected" | "failed";

interface Sock {
  fd: number;
  family: typeof AF_INET4 | typeof AF_INET6;
  type: typeof SOCK_STREAM | typeof SOCK_DGRAM;
  nonblock: boolean;
  state: State;
  /** The errno SO_ERROR reports (and clears): a nonblocking connect's failure. */
  error: number;
  conn?: number; // stream: the Conn handle
  udp?: number; // datagram: the PacketConn handle
  opened?: Promise<void>;
  peer?: SockAddr;
  /** The host the relay is asked for: the peer's IP, or the name it was looked up by. */
  peerHost?: string;
  local?: SockAddr;
  /** Bytes taken from the Conn and not yet delivered (MSG_PEEK). */
  stash?: Uint8Array;
  /** One datagram read ahead (poll's readiness check, MSG_PEEK). */
  lookahead?: { data: Uint8Array; from: SockAddr };
  /** The stream's one write, or the datagram socket's one send, the Conn or relay has not taken yet. */
  pendingWrite?: Promise<unknown>;
  /** Datagram: the destinations it has opened relay streams to (what maxConnections counts), least recent first. */
  dests: Set<string>;
  /** Datagram: the host resolver's answers not read yet, and the reads waiting for one. */
  answers: Array<{ data: Uint8Array; from: SockAddr }>;
  answerWaiters: Set<() => void>;
  /** Stream to the host's resolver (DNS over TCP, RFC 7766: 2-byte lengths): what the guest sent not yet a whole query, and the answers not yet read. */
  dns?: { pending: Uint8Array; out: Uint8Array; queries: number; expired?: boolean };
  shutRd: boolean;
  shutWr: boolean;
  rcvTimeoutMs: number;
  sndTimeoutMs: number;
  opts: Map<number, number>; // the int options a guest may set and read back
}

/** A wait that can be dropped (a poll that returned before it fired). */
interface Wait {
  promise: Promise<void>;
  cancel(): void;
}

/**
 * One guest's socket layer. `memory()` is the guest's memory (known once it
 * is instantiated); `shim` is the preview-1 implementation for every fd
 * that is not a socket.
 */
export class WasiSockets {
  private readonly socks = new Map<number, Sock>();
  private nextFd: number;
  private readonly maxSockets: number;
  private readonly gate;
  private readonly policy: NetPolicy;
  /** `host|port` keys of the DNS servers the host answers (js/wasi-resolver.ts). */
  private readonly resolvers: Set<string>;
  /** A read or send of this guest found nothing to do and no import has suspended since (see wouldBlock). */
  private spun = false;
  /** One 64 KiB buffer for every datagram read ahead (a readiness check allocates nothing). */
  private readonly scratch = new Uint8Array(MAX_DATAGRAM);
  private readonly names = new Map<string, string>(); // IP text -> the name it was looked up by
  private readonly wakes = new WakeSlots();
  /** The last failures imports reported, in words, newest last (for the host's diagnostics; at most 16). */
  readonly errors: string[] = [];
  /** The last of `errors` ("" when none). */
  get lastError(): string {
    return this.errors[this.errors.length - 1] ?? "";
  }
  private note(what: string) {
    // Bounded: a guest's strings (an unknown service, a name) end up here.
    this.errors.push(what.length > MAX_NOTE ? `${what.slice(0, MAX_NOTE)}...` : what);
    if (this.errors.length > 16) this.errors.shift();
  }

  constructor(
    private readonly net: SocketTables,
    private readonly memory: () => WebAssembly.Memory,
    opts: WasiSocketOptions = {},
  ) {
    if (opts.policy) validatePolicy(opts.policy);
    const policy = opts.policy ?? {};
    this.policy = policy;
    this.maxSockets = opts.maxSockets ?? WASI_SOCKET_DEFAULTS.maxSockets;
    this.nextFd = opts.firstFd ?? WASI_SOCKET_DEFAULTS.firstFd;
    this.resolvers = new Set((opts.resolvers ?? RESOLVER_DEFAULTS).map(resolverKey));
    // What maxConnections counts: each stream being dialled or open, and
    // each relay stream a datagram socket has opened (one per destination).
    this.gate = createGate(
      () => policy,
      () => {
        let n = 0;
        for (const s of this.socks.values())
          n += s.type === SOCK_STREAM ? Number(!s.dns && (s.state === "connecting" || s.state === "connected")) : s.dests.size;
        return n;
      },
    );
  }

  /** Is `fd` one of this layer's sockets? */
  owns(fd: number): boolean {
    return this.socks.has(fd);
  }

  /** Sockets open now. */
  get size(): number {
    return this.socks.size;
  }

  /** Closes every socket (the guest exited or trapped). */
  closeAll(): void {
    for (const fd of [...this.socks.keys()]) this.close(fd);
  }

  private mem(): GuestMemory {
    return new GuestMemory(this.memory());
  }

  private sock(fd: number): Sock {
    const s = this.socks.get(fd);
    if (!s) throw new Errno(E.BADF, `fd ${fd} is not a socket`);
    return s;
  }

  /** Runs an import body: an errno, or a Promise of one that never rejects. */
  run(name: string, body: () => number | Promise<number>): number | Promise<number> {
    const fail = (e: unknown): number => {
      const errno = errnoOf(e);
      if (errno !== E.AGAIN || !(e instanceof Errno)) this.note(`${name}: ${e instanceof Error ? e.message : JSON.stringify(e)} (errno ${errno})`);
      return errno;
    };
    try {
      const r = body();
      if (typeof r === "number") return r;
      this.spun = false; // the guest suspends: the page runs
      return r.then((n) => n, fail);
    } catch (e) {
      return fail(e);
    }
  }

  /**
   * EAGAIN for a nonblocking read or send that finds nothing to do. A guest
   * that polls (poll_oneoff) gets it at once. A guest that retries without
   * polling (egdaemon/wasinet's Read loops on EAGAIN with runtime.Gosched)
   * would never let the page's event loop run, so nothing could ever
   * arrive: the second such EAGAIN with no suspension in between is
   * returned only after the page has run one task, or sooner when the
   * socket becomes ready. A spin costs one macrotask per try, never a freeze.
   */
  private wouldBlock(s: Sock, side: "read" | "write"): number | Promise<number> {
    if (!this.spun) {
      this.spun = true;
      return E.AGAIN;
    }
    const w = side === "read" ? this.readable(s) : this.writable(s);
    return Promise.race([w.promise, macrotask()]).then(() => {
      w.cancel();
      return E.AGAIN;
    });
  }

  // ---- sock_open, bind, listen, accept, connect, shutdown ----

  open(family: number, type: number, fdOut: number, nonblock = false): number {
    const m = this.mem();
    m.check(fdOut, 4, "fd out-pointer");
    m.setU32(fdOut, this.create(family, type, nonblock).fd);
    return E.SUCCESS;
  }

  private create(family: number, type: number, nonblock: boolean): Sock {
    if (family !== AF_INET4 && family !== AF_INET6) throw new Errno(E.AFNOSUPPORT, `address family ${family}`);
    if (type !== SOCK_STREAM && type !== SOCK_DGRAM) throw new Errno(E.INVAL, `socket type ${type}`);
    if (this.socks.size >= this.maxSockets) throw new Errno(E.MFILE, `more than ${this.maxSockets} sockets`);
    const s: Sock = {
      fd: this.nextFd++, family, type, nonblock, state: "new", error: 0, shutRd: false, shutWr: false,
      rcvTimeoutMs: 0, sndTimeoutMs: 0, opts: new Map(), dests: new Set(), answers: [], answerWaiters: new Set(),
    };
    this.socks.set(s.fd, s);
    return s;
  }

  /**
   * wasi-go's path_open extension: `tcp+dial://host:port` or
   * `udp+dial://host:port` (also tcp4/tcp6/udp4/udp6) opens a connected
   * socket; `?nonblock=0` makes it blocking (the default is nonblocking, as
   * in wasi-go, and then the result is EINPROGRESS with the fd written).
   * `+listen` is ENOTSUP. Undefined when `path` is not such a URL (the
   * caller hands it to the file system).
   */
  openUrl(path: string, fdOut: number, fdflags: number): number | Promise<number> | undefined {
    const m = /^(tcp|udp)([46]?)\+(dial|listen):\/\/(\[[^\]/?#]*\]|[^:/?#[\]]*):(\d{1,5})(?:\?([^#]*))?$/.exec(path);
    if (!m) return undefined;
    const [, proto, ver, op, rawHost, portText, query] = m;
    this.mem().check(fdOut, 4, "fd out-pointer");
    if (op === "listen") throw new Errno(E.NOTSUP, `a page cannot accept connections (${path})`);
    const port = Number(portText);
    if (port < 1 || port > 65535) throw new Errno(E.INVAL, `port ${portText}`);
    const host = rawHost.replace(/^\[(.*)\]$/, "$1");
    if (host === "") throw new Errno(E.INVAL, "no host");
    const params = new URLSearchParams(query ?? "");
    const nonblock = params.has("nonblock") ? params.get("nonblock") !== "0" : true;
    const literal = parseIp(host);
    const family = literal?.family ?? (ver === "6" ? AF_INET6 : AF_INET4);
    if ((ver === "4" && family !== AF_INET4) || (ver === "6" && family !== AF_INET6)) throw new Errno(E.AFNOSUPPORT, `${host} in ${proto}${ver}`);
    const s = this.create(family, proto === "tcp" ? SOCK_STREAM : SOCK_DGRAM, nonblock || (fdflags & FDFLAG_NONBLOCK) !== 0);
    // A name is dialled as a name (the relay resolves it); its peer address reads as the wildcard.
    const a: SockAddr = literal ? { ...literal, port } : { family, ip: new Uint8Array(family === AF_INET4 ? 4 : 16), port };
    const discard = () => (this.release(s), this.socks.delete(s.fd));
    const done = (errno: number) => {
      if (errno !== E.SUCCESS && errno !== E.INPROGRESS) {
        discard();
        return errno;
      }
      this.mem().setU32(fdOut, s.fd);
      return errno;
    };
    let r: number | Promise<number>;
    try {
      r = this.connectTo(s, a, literal ? this.hostOf(a) : host.toLowerCase());
    } catch (e) {
      discard();
      throw e;
    }
    return typeof r === "number" ? done(r) : r.then(done);
  }

  /** Only a wildcard address: a client may bind before connecting; nothing can be served. */
  bind(fd: number, addrPtr: number, port: number, abi: Abi = WASMEDGE_ABI): number {
    const s = this.sock(fd);
    const a = abi.address.read(this.mem(), addrPtr, port & 0xffff);
    if (!a) throw new Errno(E.INVAL, "address");
    if (a.family !== s.family) throw new Errno(E.AFNOSUPPORT, "address family differs from the socket's");
    if (a.ip.some((b) => b !== 0)) throw new Errno(E.ADDRNOTAVAIL, `${ipText(a)} is not an address of this page (only a wildcard can be bound)`);
    if (s.local || s.state !== "new") throw new Errno(E.INVAL, "already bound or connected");
    s.local = a;
    return E.SUCCESS;
  }

  listen(fd: number): number {
    this.sock(fd);
    throw new Errno(E.NOTSUP, "a page cannot accept connections (listen)");
  }

  accept(fd: number): number {
    this.sock(fd);
    throw new Errno(E.NOTSUP, "a page cannot accept connections (accept)");
  }

  connect(fd: number, addrPtr: number, port: number, abi: Abi = WASMEDGE_ABI): number | Promise<number> {
    const s = this.sock(fd);
    const a = abi.address.read(this.mem(), addrPtr, port & 0xffff);
    if (!a) throw new Errno(E.INVAL, "address");
    if (a.family !== s.family) throw new Errno(E.AFNOSUPPORT, "address family differs from the socket's");
    return this.connectTo(s, a, this.hostOf(a));
  }

  /** Connects to `host` (an IP, or the name `a` was looked up by, or a name from path_open) at `a.port`. */
  private connectTo(s: Sock, a: SockAddr, host: string): number | Promise<number> {
    if (s.type === SOCK_DGRAM) {
      // A datagram socket's connect only fixes its peer (checked here, and by
      // each send; it opens nothing, so it counts nothing).
      if (!this.isResolver(a)) this.check("udp", host, a.port, false);
      s.peer = a;
      s.peerHost = host;
      return E.SUCCESS;
    }
    if (s.state === "connected") throw new Errno(E.ISCONN);
    if (s.state === "connecting") throw new Errno(s.nonblock ? E.ALREADY : E.INVAL);
    if (s.state === "failed") throw new Errno(E.INVAL, "a failed socket cannot connect again");
    if (a.port === 0) throw new Errno(E.ADDRNOTAVAIL, "port 0");
    if (this.isResolver(a)) {
      // DNS over TCP to the host's resolver: answered here, nothing dialled.
      s.dns = { pending: EMPTY, out: EMPTY, queries: 0 };
      s.peer = a;
      s.peerHost = ipText(a);
      s.state = "connected";
      return E.SUCCESS;
    }
    this.check("tcp", host, a.port);
    const h = this.net._netConnDialRelay("tcp", host, a.port, s.nonblock ? 0 : s.sndTimeoutMs);
    s.conn = h;
    s.peer = a;
    s.peerHost = host;
    s.state = "connecting";
    const opened = this.net._netConnOpened(h).then(
      () => {
        if (s.state === "connecting") s.state = "connected";
      },
      (e: unknown) => {
        if (s.state !== "connecting") return;
        s.state = "failed";
        s.error = errnoOf(e);
        this.note(`sock_connect: ${JSON.stringify(e)} (errno ${s.error})`);
      },
    );
    s.opened = opened;
    if (s.nonblock) return E.INPROGRESS;
    return opened.then(() => {
      if (s.state === "failed") {
        const errno = s.error;
        s.error = 0;
        return errno;
      }
      return E.SUCCESS;
    });
  }

  /**
   * SHUT_RD: reads see the end. SHUT_WR: sends fail with EPIPE (no relay
   * carries a half-close, so nothing is sent). Both: the connection closes
   * (the fd stays until fd_close).
   */
  shutdown(fd: number, how: number): number {
    const s = this.sock(fd);
    if (how < 1 || how > 3) throw new Errno(E.INVAL, `shutdown how ${how}`);
    if (s.type === SOCK_STREAM && s.state !== "connected" && s.state !== "connecting") throw new Errno(E.NOTCONN);
    if (how & SHUT_RD) s.shutRd = true;
    if (how & SHUT_WR) s.shutWr = true;
    if (s.shutRd && s.shutWr) this.release(s);
    return E.SUCCESS;
  }

  close(fd: number): number {
    const s = this.sock(fd);
    this.release(s);
    this.socks.delete(fd);
    return E.SUCCESS;
  }

  private release(s: Sock) {
    if (s.conn !== undefined) {
      try {
        this.net._netConnClose(s.conn);
      } catch {
        // already gone (a failed dial frees its handle)
      }
      this.net._netConnRelease(s.conn);
      s.conn = undefined;
    }
    if (s.udp !== undefined) {
      try {
        this.net._netUdpClose(s.udp);
      } catch {
        // already gone
      }
      s.udp = undefined;
    }
    s.dests.clear();
    s.answers = [];
    s.dns = undefined;
    for (const wake of s.answerWaiters) wake();
    s.answerWaiters.clear();
    s.shutRd = s.shutWr = true;
  }

  /** The host the relay and the policy see for an address: the name it was looked up by, or the IP. */
  private hostOf(a: SockAddr): string {
    const ip = ipText(a);
    return this.names.get(ip) ?? ip;
  }

  /**
   * The guest's own policy for a destination (the page's is the tables').
   * `counts`: would it open one more relay stream (maxConnections)?
   */
  private check(scheme: "tcp" | "udp", host: string, port: number, counts = true) {
    const url = `${scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const denied = counts ? this.gate.check(url) : policyDenial({ ...this.policy, maxConnections: undefined }, url, 0);
    if (denied) throw typeof denied === "string" ? deniedError(denied) : denied;
  }

  /** Is `a` one of the DNS servers the host answers itself? */
  private isResolver(a: SockAddr): boolean {
    return this.resolvers.has(`${ipText(a)}|${a.port}`);
  }

  // ---- addresses and options ----

  /** The socket's local address (the wildcard unless bound) or its peer's; ENOTCONN before it has one. */
  endpoint(fd: number, which: "local" | "peer"): SockAddr {
    const s = this.sock(fd);
    const zero: SockAddr = { family: s.family, ip: new Uint8Array(s.family === AF_INET4 ? 4 : 16), port: 0 };
    const a = which === "local" ? (s.local ?? zero) : s.peer;
    if (!a || (which === "peer" && s.type === SOCK_STREAM && s.state !== "connected")) throw new Errno(E.NOTCONN);
    return a;
  }

  /** v1 (4 params: fd, addr, addr_type*, port*) or v2 (3: fd, addr, port*). */
  address(which: "local" | "peer", args: number[]): number {
    const [fd, addrPtr] = args;
    const v1 = args.length >= 4;
    const portPtr = v1 ? args[3] : args[2];
    const a = this.endpoint(fd, which);
    const m = this.mem();
    m.check(portPtr, 4, "port out-pointer");
    if (v1) m.check(args[2], 4, "address type out-pointer");
    if (!WASMEDGE_ABI.address.write(m, addrPtr, a)) throw new Errno(E.INVAL, "address buffer too small");
    if (v1) m.setU32(args[2], a.family === AF_INET4 ? 4 : 6);
    m.setU32(portPtr, a.port);
    return E.SUCCESS;
  }

  /**
   * sock_getsockopt(fd, level, name, value*, len): WasmEdge's option
   * numbers. WasmEdge and wasmedge_wasi_socket pass the length by pointer
   * (read, then written back); wasi-go and dispatchrun/net pass it by value.
   * Both are served with no configuration: a length argument below 1024 is
   * a value, since no guest keeps a variable in its first KiB (wasm-ld and
   * Go's linker start data at 1024 or above; a Rust stack grows down toward
   * 0 and would have overflowed long before).
   */
  getsockopt(fd: number, level: number, name: number, valuePtr: number, len: number): number {
    if (len < BY_VALUE_BELOW) {
      this.option(fd, level, name, valuePtr, len);
      return E.SUCCESS;
    }
    const m = this.mem();
    const n = this.option(fd, level, name, valuePtr, m.u32(len));
    m.setU32(len, n);
    return E.SUCCESS;
  }

  /** Writes an option's value (`len` bytes of room at `valuePtr`) and returns its size. */
  option(fd: number, level: number, name: number, valuePtr: number, len: number): number {
    const s = this.sock(fd);
    const m = this.mem();
    if (level === SOL_SOCKET && (name === SO_RCVTIMEO || name === SO_SNDTIMEO)) {
      if (len < 16) throw new Errno(E.INVAL, "timeval buffer");
      const ms = name === SO_RCVTIMEO ? s.rcvTimeoutMs : s.sndTimeoutMs;
      m.check(valuePtr, 16);
      m.setU64(valuePtr, BigInt(Math.floor(ms / 1000)));
      m.setU64(valuePtr + 8, BigInt(Math.round((ms % 1000) * 1000)));
      return 16;
    }
    let v: number;
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO_TYPE:
          v = s.type;
          break;
        case SO_ERROR:
          v = s.error;
          s.error = 0;
          break;
        case SO_ACCEPTCONN:
          v = 0;
          break;
        case SO_REUSEADDR:
        case SO_BROADCAST:
        case SO_KEEPALIVE:
          v = s.opts.get(name) ?? 0;
          break;
        case SO_SNDBUF:
        case SO_RCVBUF:
          v = s.opts.get(name) ?? SEND_CHUNK;
          break;
        default:
          throw new Errno(E.NOPROTOOPT, `socket option ${name}`);
      }
    } else if (level === IPPROTO_TCP && name === TCP_NODELAY) {
      v = 1; // every write is sent at once: there is no Nagle to turn off
    } else throw new Errno(E.NOPROTOOPT, `option level ${level} name ${name}`);
    if (len < 4) throw new Errno(E.INVAL, "option buffer");
    m.check(valuePtr, 4);
    m.setU32(valuePtr, v);
    return 4;
  }

  setsockopt(fd: number, level: number, name: number, valuePtr: number, len: number): number {
    const s = this.sock(fd);
    const m = this.mem();
    if (level === SOL_SOCKET && (name === SO_RCVTIMEO || name === SO_SNDTIMEO)) {
      if (len < 16) throw new Errno(E.INVAL, "timeval");
      const sec = m.view.getBigInt64((m.check(valuePtr, 16), valuePtr), true);
      const usec = m.view.getBigInt64(valuePtr + 8, true);
      if (sec < 0n || usec < 0n || usec >= 1_000_000n) throw new Errno(E.INVAL, "timeval out of range");
      const ms = Math.min(Number(sec) * 1000 + Math.ceil(Number(usec) / 1000), 2 ** 31 - 1);
      if (name === SO_RCVTIMEO) s.rcvTimeoutMs = ms;
      else s.sndTimeoutMs = ms;
      return E.SUCCESS;
    }
    if (len < 4) throw new Errno(E.INVAL, "option value");
    const v = m.u32(valuePtr);
    if (level === SOL_SOCKET) {
      switch (name) {
        case SO_REUSEADDR:
        case SO_BROADCAST:
        case SO_KEEPALIVE: // the relay's connection keeps itself alive; the value is kept to be read back
          s.opts.set(name, v ? 1 : 0);
          return E.SUCCESS;
        case SO_SNDBUF:
        case SO_RCVBUF:
          s.opts.set(name, v);
          return E.SUCCESS;
        default:
          throw new Errno(E.NOPROTOOPT, `socket option ${name}`);
      }
    }
    if (level === IPPROTO_TCP && name === TCP_NODELAY) return E.SUCCESS;
    throw new Errno(E.NOPROTOOPT, `option level ${level} name ${name}`);
  }

  // ---- fdstat ----

  fdstatGet(fd: number, ptr: number): number {
    const s = this.sock(fd);
    const m = this.mem();
    m.check(ptr, 24, "fdstat");
    m.bytes.fill(0, ptr, ptr + 24);
    m.setU8(ptr, s.type === SOCK_STREAM ? FILETYPE_SOCKET_STREAM : FILETYPE_SOCKET_DGRAM);
    m.setU16(ptr + 2, s.nonblock ? FDFLAG_NONBLOCK : 0);
    m.setU64(ptr + 8, ALL_RIGHTS);
    m.setU64(ptr + 16, ALL_RIGHTS);
    return E.SUCCESS;
  }

  fdstatSetFlags(fd: number, flags: number): number {
    this.sock(fd).nonblock = (flags & FDFLAG_NONBLOCK) !== 0;
    return E.SUCCESS;
  }

  // ---- receiving ----

  /** sock_recv / fd_read: fills the iovecs; `out` gets [count, oflags?] pointers. */
  recv(fd: number, iovPtr: number, iovCount: number, flags: number, lenPtr: number, oflagsPtr?: number, abi: Abi = WASMEDGE_ABI): number | Promise<number> {
    const s = this.sock(fd);
    if (flags & ~(RIFLAG_PEEK | RIFLAG_WAITALL)) throw new Errno(E.INVAL, `recv flags ${flags}`);
    {
      const m = this.mem();
      iovecs(m, iovPtr, iovCount, abi.iovec); // checks them all now: a bad one fails before anything is read
      m.check(lenPtr, 4, "count out-pointer");
      if (oflagsPtr !== undefined) m.check(oflagsPtr, 2, "oflags out-pointer");
    }
    if (s.type === SOCK_DGRAM) return this.recvFrom(fd, iovPtr, iovCount, flags, undefined, undefined, lenPtr, oflagsPtr, abi);
    const finish = (n: number) => {
      const m = this.mem();
      m.setU32(lenPtr, n);
      if (oflagsPtr !== undefined) m.setU16(oflagsPtr, 0);
      return E.SUCCESS;
    };
    const total = this.iovTotal(iovPtr, iovCount, abi);
    const waitAll = (flags & RIFLAG_WAITALL) !== 0 && (flags & RIFLAG_PEEK) === 0;
    const first = this.tryRecv(s, iovPtr, iovCount, flags, 0, abi);
    if (first === 0 || (first > 0 && (!waitAll || first >= total))) return finish(first);
    if (s.nonblock) return first > 0 ? finish(first) : this.wouldBlock(s, "read");
    return this.blocking(s, 1, s.rcvTimeoutMs, async () => {
      let got = Math.max(first, 0);
      for (;;) {
        await this.readable(s).promise;
        const n = this.tryRecv(s, iovPtr, iovCount, flags, got, abi);
        if (n === -1) continue;
        got += n;
        if (n === 0 || !waitAll || got >= total) return finish(got);
      }
    });
  }

  private iovTotal(iovPtr: number, iovCount: number, abi: Abi): number {
    return iovecs(this.mem(), iovPtr, iovCount, abi.iovec).reduce((n, b) => n + b.length, 0);
  }

  /**
   * Copies what is there into the iovecs from byte `skip` on: the count, 0
   * at the end, -1 when nothing is queued. Throws the Conn's error.
   */
  private tryRecv(s: Sock, iovPtr: number, iovCount: number, flags: number, skip: number, abi: Abi): number {
    if (s.state === "failed") {
      const errno = s.error || E.NOTCONN;
      s.error = 0;
      throw new Errno(errno);
    }
    if (s.state !== "connected" && s.state !== "connecting") throw new Errno(E.NOTCONN);
    if (s.shutRd) return 0;
    const bufs = skipBytes(iovecs(this.mem(), iovPtr, iovCount, abi.iovec), skip);
    const total = bufs.reduce((n, b) => n + b.length, 0);
    if (total === 0) return 0;
    if (s.dns) {
      if (s.dns.out.length === 0 && s.dns.expired) throw new Errno(E.AGAIN, "SO_RCVTIMEO expired");
      if (s.dns.out.length === 0) return s.shutWr && s.dns.queries === 0 ? 0 : -1;
      const n = scatter(bufs, s.dns.out, false);
      if (flags & RIFLAG_PEEK) return n;
      s.dns.out = s.dns.out.subarray(n);
      this.drainDns(s); // room again: queries held back start
      return n;
    }
    if (s.state === "connecting" || s.conn === undefined) return s.conn === undefined ? 0 : -1;
    if (flags & RIFLAG_PEEK) {
      // Fill the stash up to what was asked, then copy it without taking it.
      const want = Math.min(total, MAX_DATAGRAM);
      if ((s.stash?.length ?? 0) < want) {
        const more = new Uint8Array(want - (s.stash?.length ?? 0));
        const n = this.readConn(s, more);
        if (n > 0) s.stash = concat(s.stash ?? EMPTY, more.subarray(0, n));
        else if (!s.stash?.length) return n;
      }
      return scatter(bufs, s.stash!, false);
    }
    let n = 0;
    if (s.stash?.length) {
      n = scatter(bufs, s.stash, false);
      s.stash = s.stash.length > n ? s.stash.slice(n) : undefined;
      if (n === total) return n;
    }
    // Straight from the Conn's queue into guest memory, buffer by buffer.
    for (const b of skipBytes(bufs, n)) {
      const k = this.readConn(s, b);
      if (k <= 0) return n > 0 ? n : k;
      n += k;
      if (k < b.length) break;
    }
    return n;
  }

  /** One read of the Conn: count, -1 nothing queued, 0 at the end. Errors other than the end throw. */
  private readConn(s: Sock, dest: Uint8Array): number {
    try {
      return this.net._netConnRead(s.conn!, dest);
    } catch (e) {
      if ((e as NetError)?.code === "eof") return 0;
      if ((e as NetError)?.code === "timeout") throw new Errno(E.AGAIN, "SO_RCVTIMEO expired");
      throw e;
    }
  }

  /**
   * sock_recv_from: v1 (7 params, no port) or v2 (8); wasinet's (js/wasi-wasinet.ts).
   * Also sock_recv and fd_read on a datagram socket. Every pointer is
   * checked before anything is taken, and nothing is written unless the
   * call succeeds.
   */
  recvFrom(
    fd: number, iovPtr: number, iovCount: number, flags: number,
    addrPtr: number | undefined, portPtr: number | undefined, lenPtr: number, oflagsPtr?: number,
    abi: Abi = WASMEDGE_ABI,
  ): number | Promise<number> {
    const s = this.sock(fd);
    if (flags & ~(RIFLAG_PEEK | RIFLAG_WAITALL)) throw new Errno(E.INVAL, `recv flags ${flags}`);
    {
      const m = this.mem();
      iovecs(m, iovPtr, iovCount, abi.iovec);
      m.check(lenPtr, 4, "count out-pointer");
      if (oflagsPtr !== undefined) m.check(oflagsPtr, 2, "oflags out-pointer");
      if (portPtr !== undefined) m.check(portPtr, 4, "port out-pointer");
      if (addrPtr !== undefined) abi.address.checkOut(m, addrPtr);
    }
    if (s.type === SOCK_STREAM) {
      const r = this.recv(fd, iovPtr, iovCount, flags, lenPtr, oflagsPtr, abi);
      if (addrPtr === undefined || !s.peer) return r;
      const peer = s.peer;
      const put = (errno: number) => {
        if (errno === E.SUCCESS) {
          const m = this.mem();
          abi.address.write(m, addrPtr, peer);
          if (portPtr !== undefined) m.setU32(portPtr, peer.port);
        }
        return errno;
      };
      return typeof r === "number" ? put(r) : r.then(put);
    }
    this.ensureUdp(s);
    const deliver = (): number => {
      const d = s.lookahead!;
      if (!(flags & RIFLAG_PEEK)) s.lookahead = undefined;
      const m = this.mem();
      const n = scatter(iovecs(m, iovPtr, iovCount, abi.iovec), d.data, true);
      if (addrPtr !== undefined) abi.address.write(m, addrPtr, d.from);
      if (portPtr !== undefined) m.setU32(portPtr, d.from.port);
      m.setU32(lenPtr, n);
      if (oflagsPtr !== undefined) m.setU16(oflagsPtr, n < d.data.length ? 1 : 0); // RECV_DATA_TRUNCATED
      return E.SUCCESS;
    };
    if (this.datagramReady(s)) return s.shutRd ? this.zero(lenPtr, oflagsPtr) : deliver();
    if (s.nonblock) return this.wouldBlock(s, "read");
    return this.blocking(s, 1, s.rcvTimeoutMs, async () => {
      for (;;) {
        await this.readable(s).promise;
        if (this.datagramReady(s)) return s.shutRd ? this.zero(lenPtr, oflagsPtr) : deliver();
      }
    });
  }

  private zero(lenPtr: number, oflagsPtr?: number): number {
    const m = this.mem();
    m.setU32(lenPtr, 0);
    if (oflagsPtr !== undefined) m.setU16(oflagsPtr, 0);
    return E.SUCCESS;
  }

  /**
   * The socket's PacketConn, made on first use (it opens nothing on the
   * relay before the first send), so a receive has a table to wait on.
   */
  private ensureUdp(s: Sock): number {
    if (s.udp === undefined) {
      if (s.shutRd) throw new Errno(E.PIPE);
      s.udp = this.net._netUdpListen("udp");
    }
    return s.udp;
  }

  /** Is a datagram (or the end) there? Reads one ahead into `lookahead` (the resolver's answers first). */
  private datagramReady(s: Sock): boolean {
    if (s.lookahead || s.shutRd) return true;
    const answer = s.answers.shift();
    if (answer) {
      s.lookahead = answer;
      return true;
    }
    if (s.udp === undefined) return false;
    let r: -1 | [number, string];
    try {
      r = this.net._netUdpReadFrom(s.udp, this.scratch);
    } catch (e) {
      if ((e as NetError)?.code === "timeout") throw new Errno(E.AGAIN, "SO_RCVTIMEO expired");
      throw e;
    }
    if (r === -1) return false;
    const [n, from] = r;
    s.lookahead = { data: this.scratch.slice(0, n), from: parseHostPort(from, s.family) };
    return true;
  }

  // ---- sending ----

  /** sock_send / fd_write: the count taken (possibly short). */
  send(fd: number, iovPtr: number, iovCount: number, lenPtr: number, abi: Abi = WASMEDGE_ABI): number | Promise<number> {
    const s = this.sock(fd);
    if (s.type === SOCK_DGRAM) {
      if (!s.peer) throw new Errno(E.DESTADDRREQ);
      return this.sendDatagram(s, iovPtr, iovCount, s.peer, s.peerHost!, lenPtr, abi);
    }
    const m = this.mem();
    const data = gather(iovecs(m, iovPtr, iovCount, abi.iovec), SEND_CHUNK);
    m.check(lenPtr, 4, "count out-pointer");
    if (s.state === "failed") {
      const errno = s.error || E.PIPE;
      s.error = 0;
      throw new Errno(errno);
    }
    if (s.state !== "connected" && s.state !== "connecting") throw new Errno(E.NOTCONN);
    if (s.dns && !s.shutWr) return this.resolveStream(s, data, lenPtr);
    if (s.shutWr || s.conn === undefined) throw new Errno(E.PIPE);
    const done = (n: number) => (this.mem().setU32(lenPtr, n), E.SUCCESS);
    if (data.length === 0) return done(0);
    if (s.nonblock && !abi.sendWaits) {
      if (s.state === "connecting" || s.pendingWrite) return this.wouldBlock(s, "write");
      const r = this.writeConn(s, data);
      return done(typeof r === "number" ? r : data.length); // taken: the Conn sends it, the next send waits for it
    }
    const copy = data.slice(); // the guest's memory may move while we wait
    return this.blocking(s, 2, s.sndTimeoutMs, async () => {
      while (s.state === "connecting" || s.pendingWrite) await this.writable(s).promise;
      if (s.state === "failed") throw new Errno(s.error || E.PIPE);
      if (s.conn === undefined || s.shutWr) throw new Errno(E.PIPE);
      const r = this.writeConn(s, copy);
      // A blocking send returns once the Conn has taken the bytes; a send
      // that only waited for room (sendWaits) returns as soon as they are handed over.
      return done(typeof r === "number" ? r : s.nonblock ? copy.length : await r);
    });
  }

  /** Hands data to the Conn; a Promise result is the one pending write (its failure is kept for SO_ERROR). */
  private writeConn(s: Sock, data: Uint8Array): number | Promise<number> {
    const r = this.net._netConnWrite(s.conn!, data);
    if (typeof r === "number") return r;
    return this.pending(s, r);
  }

  /** Keeps `r` as the socket's one pending write; a failure is kept for SO_ERROR. */
  private pending(s: Sock, r: Promise<number>): Promise<number> {
    const p = r.then(
      (n) => n,
      (e: unknown) => {
        const errno = (e as NetError)?.code === "timeout" ? E.AGAIN : errnoOf(e);
        if (!s.error && errno !== E.AGAIN && s.type === SOCK_STREAM) s.error = errno;
        throw new Errno(errno);
      },
    );
    const pending = p.finally(() => {
      if (s.pendingWrite === pending) s.pendingWrite = undefined;
    });
    pending.catch(() => {});
    p.catch(() => {});
    s.pendingWrite = pending;
    return p;
  }

  /** sock_send_to(fd, iovs, iovs_len, addr, port, flags, sent*). */
  sendTo(fd: number, iovPtr: number, iovCount: number, addrPtr: number, port: number, lenPtr: number, abi: Abi = WASMEDGE_ABI): number | Promise<number> {
    const s = this.sock(fd);
    if (s.type === SOCK_STREAM) return this.send(fd, iovPtr, iovCount, lenPtr, abi); // the address is ignored, as POSIX does
    const a = abi.address.read(this.mem(), addrPtr, port & 0xffff);
    if (!a) throw new Errno(E.INVAL, "address");
    if (a.family !== s.family) throw new Errno(E.AFNOSUPPORT, "address family differs from the socket's");
    return this.sendDatagram(s, iovPtr, iovCount, a, this.hostOf(a), lenPtr, abi);
  }

  /**
   * One datagram: to the host's resolver (answered here), or through the
   * relay. One send at a time per socket may wait for the relay (its stream
   * opening, no room): a nonblocking socket gets EAGAIN meanwhile, so a
   * guest's sends can never queue without bound.
   */
  private sendDatagram(s: Sock, iovPtr: number, iovCount: number, a: SockAddr, host: string, lenPtr: number, abi: Abi): number | Promise<number> {
    const m = this.mem();
    const bufs = iovecs(m, iovPtr, iovCount, abi.iovec);
    const size = bufs.reduce((n, b) => n + b.length, 0);
    if (size > MAX_DATAGRAM) throw new Errno(E.MSGSIZE, `a ${size}-byte datagram`);
    m.check(lenPtr, 4, "count out-pointer");
    if (s.shutWr) throw new Errno(E.PIPE);
    if (a.port === 0) throw new Errno(E.INVAL, "port 0");
    const data = gather(bufs, MAX_DATAGRAM).slice();
    const done = (n: number) => (this.mem().setU32(lenPtr, n), E.SUCCESS);
    if (this.isResolver(a)) {
      this.ensureUdp(s);
      this.resolve(s, data, a);
      return done(data.length);
    }
    const key = `${host}|${a.port}`;
    // A destination this socket already has a stream to counts no more.
    this.check("udp", host, a.port, !s.dests.has(key));
    if (s.pendingWrite) {
      if (s.nonblock && !abi.sendWaits) return this.wouldBlock(s, "write");
      return this.blocking(s, 2, s.sndTimeoutMs, async () => {
        while (s.pendingWrite) await this.writable(s).promise;
        if (s.shutWr || s.udp === undefined) throw new Errno(E.PIPE);
        return this.sendDatagram(s, iovPtr, iovCount, a, host, lenPtr, abi);
      });
    }
    this.ensureUdp(s);
    s.dests.delete(key);
    s.dests.add(key);
    if (s.dests.size > MAX_UDP_DESTS) s.dests.delete(s.dests.values().next().value!); // the relay closed its oldest
    const r = this.net._netUdpWriteTo(s.udp!, data, host, a.port);
    if (typeof r === "number") return done(r);
    const p = this.pending(s, r);
    if (s.nonblock) return done(data.length); // taken: the relay sends it, the next send waits for it
    return p.then(done);
  }

  // ---- the host's resolver ----

  /** Answers a DNS query the guest sent to a resolver address (js/wasi-resolver.ts); the answer arrives as a datagram from it. */
  private resolve(s: Sock, query: Uint8Array, server: SockAddr) {
    const udp = s.udp;
    void answerQuery(query, this.resolverLookup()).then((answer) => {
      if (!answer || s.udp !== udp || s.udp === undefined) return; // not a query, or the socket is gone
      if (s.answers.length >= MAX_ANSWERS) return; // dropped, as a full UDP receive buffer would
      s.answers.push({ data: answer, from: { ...server } });
      this.wakeAnswers(s);
    });
  }

  /**
   * The resolver's lookup: the guest's own (both policies, DoH). A name with
   * addresses of the other family only has no data of this one (NOERROR,
   * no records), which is not NXDOMAIN: a stub resolver may take NXDOMAIN
   * for the whole name. A failure is noted once.
   */
  private resolverLookup() {
    const lookup = async (name: string, type: "A" | "AAAA"): Promise<SockAddr[]> => {
      try {
        return await this.lookupChecked(name, type === "A" ? "ip4" : "ip6");
      } catch (e) {
        if ((e as NetError & { is_not_found?: boolean })?.is_not_found !== true) throw e;
        const other = await this.lookupChecked(name, type === "A" ? "ip6" : "ip4").catch(() => undefined);
        if (other?.length) return [];
        throw e;
      }
    };
    return (name: string, type: "A" | "AAAA") =>
      lookup(name, type).catch((e: unknown) => {
        const err = e as { message?: string; err?: string };
        this.note(`resolver query for ${name.slice(0, 255)} ${type}: ${err?.message ?? err?.err ?? String(e)}`);
        throw e;
      });
  }

  private wakeAnswers(s: Sock) {
    const waiters = [...s.answerWaiters];
    s.answerWaiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * A stream to the host's resolver (DNS over TCP, RFC 7766) takes what the
   * guest sends; each whole 2-byte-length-prefixed query is answered as a
   * datagram query is, the answer queued with its own length prefix.
   */
  private resolveStream(s: Sock, data: Uint8Array, lenPtr: number): number {
    const dns = s.dns!;
    if (dns.pending.length + data.length > 2 * (2 + 65535)) throw new Errno(E.AGAIN, "DNS queries wait unanswered");
    dns.pending = concat(dns.pending, data);
    this.drainDns(s);
    this.mem().setU32(lenPtr, data.length);
    return E.SUCCESS;
  }

  /** Starts the stream's whole queries, at most MAX_ANSWERS at once and none while MAX_DNS_OUT answer bytes wait unread; the rest wait in `pending`. */
  private drainDns(s: Sock) {
    const dns = s.dns!;
    while (dns.pending.length >= 2 && dns.queries < MAX_ANSWERS && dns.out.length < MAX_DNS_OUT) {
      const len = (dns.pending[0] << 8) | dns.pending[1];
      if (dns.pending.length < 2 + len) break;
      const query = dns.pending.slice(2, 2 + len);
      dns.pending = dns.pending.slice(2 + len);
      dns.queries++;
      void answerQuery(query, this.resolverLookup()).then((answer) => {
        dns.queries--;
        if (s.dns !== dns) return; // closed meanwhile
        if (answer) {
          const framed = new Uint8Array(2 + answer.length);
          framed[0] = answer.length >> 8;
          framed[1] = answer.length & 255;
          framed.set(answer, 2);
          dns.out = concat(dns.out, framed);
        }
        this.drainDns(s);
        this.wakeAnswers(s);
      });
    }
  }

  // ---- waiting ----

  /**
   * Runs a blocking call's waiting part under the socket's timeout
   * (`which`: 1 read, 2 write): the Conn's or PacketConn's own deadline, so
   * the wait itself ends at it (a later datagram or byte stays for the next
   * call), cleared afterwards however it ends.
   */
  private blocking(s: Sock, which: 1 | 2, timeoutMs: number, body: () => Promise<number>): Promise<number> {
    const stream = s.type === SOCK_STREAM;
    const h = stream ? s.conn : s.udp;
    const set = (at: number) => {
      if (h === undefined || (stream ? s.conn : s.udp) !== h) return;
      try {
        if (stream) this.net._netConnSetDeadline(h, which, at);
        else this.net._netUdpSetDeadline(h, which, at);
      } catch {
        // closed meanwhile: the call says so
      }
    };
    if (timeoutMs > 0) set(Date.now() + timeoutMs);
    // A stream to the host's resolver has no table: its read deadline is a timer here.
    const dns = s.dns;
    const timer = dns && which === 1 && timeoutMs > 0 ? setTimeout(() => ((dns.expired = true), this.wakeAnswers(s)), timeoutMs) : undefined;
    return body().finally(() => {
      if (timeoutMs > 0) set(0);
      clearTimeout(timer);
      if (dns) dns.expired = false;
    });
  }

  /** A wake token of this layer (js/wake.ts) and its callback. */
  private token(f: () => void): number {
    return this.wakes.token(f);
  }


  /** Resolves when a read would not find the socket empty (data, the end, an error, the deadline). */
  private readable(s: Sock): Wait {
    if (s.state === "connecting" && s.opened) return fromPromise(s.opened);
    if (s.dns) {
      if (s.dns.out.length > 0 || (s.shutWr && s.dns.queries === 0)) return fromPromise(Promise.resolve());
      let wake!: () => void;
      const promise = new Promise<void>((ok) => (wake = ok));
      s.answerWaiters.add(wake);
      return { promise, cancel: () => void s.answerWaiters.delete(wake) };
    }
    let resolve!: () => void;
    const promise = new Promise<void>((ok) => (resolve = ok));
    const h = s.type === SOCK_STREAM ? s.conn : s.udp;
    if (h === undefined || s.state === "failed") {
      resolve();
      return { promise, cancel() {} };
    }
    const t = this.token(resolve);
    try {
      if (s.type === SOCK_STREAM) this.net._netConnReady(h, t);
      else this.net._netUdpReady(h, t);
    } catch {
      this.wakes.cancel(t);
      resolve(); // a stale handle: the next read says what happened
    }
    if (s.type === SOCK_DGRAM) s.answerWaiters.add(resolve); // the host resolver's answers arrive here
    return {
      promise,
      cancel: () => {
        s.answerWaiters.delete(resolve);
        if (!this.wakes.cancel(t)) return;
        if (s.type === SOCK_STREAM && s.conn === h) this.net._netConnForget(h, t);
        else if (s.udp === h) this.net._netUdpForget(h, t);
      },
    };
  }

  /** Resolves when a send would not wait (connected, the pending write taken). */
  private writable(s: Sock): Wait {
    if (s.state === "connecting" && s.opened) return fromPromise(s.opened);
    if (s.pendingWrite) return fromPromise(s.pendingWrite);
    return fromPromise(Promise.resolve());
  }

  /** Read readiness now: [ready, hangup]. Reads a datagram ahead when there is one. */
  private readState(s: Sock): [boolean, boolean] {
    if (s.type === SOCK_DGRAM) {
      try {
        this.ensureUdp(s);
        return [this.datagramReady(s), s.shutRd];
      } catch {
        return [true, false];
      }
    }
    // Unconnected, failed, shut down or closed: ready with a hangup, as Linux's poll says.
    if (s.dns) return s.dns.out.length > 0 ? [true, false] : s.shutRd || (s.shutWr && s.dns.queries === 0) ? [true, true] : [false, false];
    if (s.state === "new" || s.state === "failed" || s.shutRd || s.conn === undefined) return [true, true];
    if (s.state !== "connected") return [false, false];
    if (s.stash?.length) return [true, false];
    try {
      return this.net._netConnRead(s.conn!, EMPTY) === -1 ? [false, false] : [true, false];
    } catch (e) {
      return [true, (e as NetError)?.code === "eof"];
    }
  }

  private writeReady(s: Sock): boolean {
    if (s.type === SOCK_DGRAM) return !s.pendingWrite;
    if (s.state === "failed" || s.shutWr || s.state === "new") return true;
    return s.state === "connected" && !s.pendingWrite;
  }

  /**
   * poll_oneoff: waits until a subscribed socket is ready or the first
   * clock fires. Non-socket fds (files, stdio) are always ready.
   */
  poll(inPtr: number, outPtr: number, nsubs: number, neventsPtr: number, clockNow: (id: number) => bigint): number | Promise<number> {
    if (nsubs === 0 || nsubs > MAX_SUBSCRIPTIONS) throw new Errno(E.INVAL, `${nsubs} subscriptions`);
    const m = this.mem();
    m.check(inPtr, nsubs * SUBSCRIPTION_SIZE, "subscriptions");
    m.check(outPtr, nsubs * EVENT_SIZE, "events");
    m.check(neventsPtr, 4, "event count out-pointer");
    interface Sub {
      userdata: bigint;
      tag: number;
      fd: number;
      dueMs: number; // clocks: ms from now
      /** A monotonic clock's due instant (the guest's clock reads at least this once it fired). */
      dueNs?: bigint;
    }
    const t0 = this.monotonic();
    const subs: Sub[] = [];
    for (let i = 0; i < nsubs; i++) {
      const p = inPtr + i * SUBSCRIPTION_SIZE;
      const userdata = m.u64(p);
      const tag = m.u8(p + 8);
      if (tag === EVENT_CLOCK) {
        const id = m.u32(p + 16);
        const timeout = m.u64(p + 24);
        const flags = m.u16(p + 40);
        let ns = timeout;
        if (flags & SUBCLOCK_ABSTIME) {
          const now = id === CLOCK_MONOTONIC ? t0 : clockNow(id);
          ns = timeout > now ? timeout - now : 0n;
        }
        subs.push({ userdata, tag, fd: -1, dueMs: Number(ns) / 1e6, dueNs: id === CLOCK_MONOTONIC ? t0 + ns : undefined });
      } else if (tag === EVENT_FD_READ || tag === EVENT_FD_WRITE) {
        subs.push({ userdata, tag, fd: m.u32(p + 16), dueMs: Infinity });
      } else throw new Errno(E.INVAL, `subscription tag ${tag}`);
    }
    const started = performance.now();
    /** The events due now, written out; 0 when none is. */
    const collect = (final: boolean): number => {
      const events: Array<[bigint, number, number, number, number]> = []; // userdata, errno, type, nbytes, flags
      const elapsed = performance.now() - started;
      for (const sub of subs) {
        if (sub.tag === EVENT_CLOCK) {
          if (sub.dueMs <= elapsed || (final && sub.dueMs === minDue)) {
            events.push([sub.userdata, 0, EVENT_CLOCK, 0, 0]);
            if (sub.dueNs !== undefined && sub.dueNs > this.monoFloor) this.monoFloor = sub.dueNs;
          }
          continue;
        }
        const s = this.socks.get(sub.fd);
        if (!s) {
          events.push([sub.userdata, this.fdKnown(sub.fd) ? 0 : E.BADF, sub.tag, 0, 0]);
          continue;
        }
        if (sub.tag === EVENT_FD_READ) {
          const [ready, hup] = this.readState(s);
          if (ready) events.push([sub.userdata, 0, sub.tag, s.lookahead?.data.length ?? s.stash?.length ?? 1, hup ? EVENTRWFLAG_HANGUP : 0]);
        } else if (this.writeReady(s)) events.push([sub.userdata, 0, sub.tag, SEND_CHUNK, s.shutWr ? EVENTRWFLAG_HANGUP : 0]);
      }
      if (events.length === 0) return 0;
      const mm = this.mem();
      events.forEach(([u, err, type, nbytes, flags], i) => {
        const p = outPtr + i * EVENT_SIZE;
        mm.bytes.fill(0, p, p + EVENT_SIZE);
        mm.setU64(p, u);
        mm.setU16(p + 8, err);
        mm.setU8(p + 10, type);
        mm.setU64(p + 16, BigInt(nbytes));
        mm.setU16(p + 24, flags);
      });
      mm.setU32(neventsPtr, events.length);
      return events.length;
    };
    const minDue = Math.min(...subs.map((s) => s.dueMs));
    if (collect(false) > 0) return E.SUCCESS;
    if (minDue <= 0) {
      collect(true);
      return E.SUCCESS;
    }
    return (async () => {
      let spins = 0;
      for (;;) {
        const waits: Wait[] = [];
        for (const sub of subs) {
          const s = sub.tag === EVENT_CLOCK ? undefined : this.socks.get(sub.fd);
          if (s) waits.push(sub.tag === EVENT_FD_READ ? this.readable(s) : this.writable(s));
        }
        let timer: ReturnType<typeof setTimeout> | undefined;
        const left = minDue - (performance.now() - started);
        const clock = Number.isFinite(minDue)
          ? new Promise<void>((ok) => (timer = setTimeout(ok, Math.max(0, Math.min(left, 2 ** 31 - 1)))))
          : undefined;
        await Promise.race([...waits.map((w) => w.promise), ...(clock ? [clock] : [])]);
        clearTimeout(timer);
        // A wait that resolved with nothing ready is a bug; never let it spin the page.
        if (++spins > 16) await new Promise((ok) => setTimeout(ok, 1));
        for (const w of waits) w.cancel();
        if (collect(false) > 0) return E.SUCCESS;
        if (performance.now() - started >= minDue) {
          collect(true);
          return E.SUCCESS;
        }
      }
    })();
  }

  /**
   * The guest's monotonic clock (clock_time_get and poll_oneoff's clock 1),
   * in ns: performance.now(), but never the same instant twice (Firefox's
   * moves in 1 ms steps), and never before a monotonic clock event that
   * has fired: once poll_oneoff says a deadline passed, the guest's clock
   * agrees (Go checks its deadlines against it).
   */
  monotonic(): bigint {
    let t = BigInt(Math.round(performance.now() * 1e6));
    if (t <= this.monoLast) t = this.monoLast + 1n;
    if (t < this.monoFloor) t = this.monoFloor;
    this.monoLast = t;
    return t;
  }
  private monoLast = 0n;
  private monoFloor = 0n;

  /** clock_time_get for the monotonic clock. */
  clockTimeGet(outPtr: number): number {
    const m = this.mem();
    m.check(outPtr, 8, "time out-pointer");
    m.setU64(outPtr, this.monotonic());
    return E.SUCCESS;
  }

  /** Set by js/wasi.ts: is `fd` open in the preview-1 implementation? */
  fdKnown: (fd: number) => boolean = () => false;

  // ---- getaddrinfo ----

  /**
   * sock_getaddrinfo(node, node_len, service, service_len, hints, res,
   * max_len, res_len): numeric hosts and services are answered here (Go's
   * service table), names over DoH under both policies.
   */
  getaddrinfo(nodePtr: number, nodeLen: number, servPtr: number, servLen: number, hintsPtr: number, resPtr: number, maxLen: number, resLenPtr: number): number | Promise<number> {
    const m = this.mem();
    // A name is at most 255 bytes (a NUL may end it), a service a few: longer ones are EINVAL, never held.
    const text = (p: number, n: number, what: string) => guestText(m, p, n, what, 1024).replace(/\0+$/, "");
    const node = text(nodePtr, nodeLen, "name");
    const service = text(servPtr, servLen, "service");
    m.check(hintsPtr, 28, "hints");
    const family = m.u8(hintsPtr + 2);
    const socktype = m.u8(hintsPtr + 3);
    const protocol = m.u8(hintsPtr + 4);
    const first = m.u32(resPtr);
    m.check(resLenPtr, 4, "result count out-pointer");
    if (maxLen === 0 || (node === "" && service === "")) throw new Errno(E.INVAL, "nothing to look up");
    if (family !== 0 && family !== AF_INET4 && family !== AF_INET6) throw new Errno(E.AFNOSUPPORT, `family ${family}`);
    const port = servicePort(service, socktype === SOCK_DGRAM ? "udp" : "tcp");
    const write = (ips: SockAddr[]): number => {
      const mm = this.mem();
      const want = ips.filter((a) => family === 0 || a.family === family).slice(0, Math.min(maxLen, MAX_ADDRINFO));
      // Walk the guest's preallocated list, checking every link before writing any.
      const slots: Array<{ info: number; sa: number; data: number; room: number }> = [];
      let p = first;
      for (let i = 0; i < want.length && p !== 0; i++) {
        mm.check(p, 28, "addrinfo");
        const sa = mm.u32(p + 12);
        mm.check(sa, 12, "sockaddr");
        const data = mm.u32(sa + 8);
        const room = mm.u32(sa + 4);
        mm.check(data, Math.max(room, 6), "sockaddr data");
        slots.push({ info: p, sa, data, room });
        p = mm.u32(p + 24);
      }
      let n = 0;
      for (const a of want) {
        const slot = slots[n];
        if (!slot) break;
        if (a.family === AF_INET6 && slot.room < 18) continue; // no room for an IPv6 address (wasmedge_wasi_socket keeps IPv4 only)
        mm.setU8(slot.info + 2, a.family);
        mm.setU8(slot.info + 3, socktype || SOCK_STREAM);
        mm.setU8(slot.info + 4, protocol);
        mm.setU32(slot.info + 8, 16);
        mm.setU32(slot.info + 20, 0); // no canonical name
        mm.setU8(slot.sa, a.family);
        mm.view.setUint16(slot.data, port, false);
        mm.bytes.set(a.ip, slot.data + 2);
        n++;
      }
      mm.setU32(resLenPtr, n);
      return n === 0 && want.length > 0 ? E.NOBUFS : E.SUCCESS;
    };
    if (node === "") return write([{ family: AF_INET4, ip: new Uint8Array([127, 0, 0, 1]), port }]);
    const r = this.lookup(node, family === AF_INET4 ? "ip4" : family === AF_INET6 ? "ip6" : "ip");
    return Array.isArray(r) ? write(r) : r.then(write);
  }

  /**
   * A host's addresses, IPv4 first: a literal at once, a name over DoH under
   * both policies (and remembered, so a connect to one of its addresses
   * dials the name and the policy sees the name).
   */
  lookup(node: string, network: "ip" | "ip4" | "ip6"): SockAddr[] | Promise<SockAddr[]> {
    const literal = parseIp(node.replace(/^\[(.*)\]$/, "$1"));
    if (literal) return [literal];
    // Only a DNS name is ever checked or sent: what the policy reads and
    // what the query carries are then the same name (no `allowed#.x.evil`).
    if (!isDomainName(node)) throw { code: "dns", err: "no such host", name: node.slice(0, 255), server: "", is_not_found: true } satisfies NetError;
    const denied = this.gate.lookup(node);
    if (denied) throw denied;
    return this.net._netLookupIP(network, node).then((ips) => {
      const addrs = ips.map((ip) => parseIp(ip)).filter((a): a is SockAddr => a !== undefined);
      addrs.sort((a, b) => a.family - b.family); // IPv4 first: wasmedge_wasi_socket reads only those
      for (const a of addrs) this.remember(ipText(a), node.replace(/\.$/, "").toLowerCase());
      return addrs;
    });
  }

  /** A lookup for the host's resolver: the addresses, or a rejection with the NetError. */
  private async lookupChecked(name: string, network: "ip4" | "ip6"): Promise<SockAddr[]> {
    return this.lookup(name, network);
  }

  private remember(ip: string, name: string) {
    this.names.delete(ip);
    this.names.set(ip, name);
    if (this.names.size > MAX_NAMES) this.names.delete(this.names.keys().next().value!);
  }
}

/** A port from a service: a number, or Go's service table (runtime-wasm/src/net/port.rs). */
export function servicePort(service: string, network: "tcp" | "udp"): number {
  if (service === "") return 0;
  if (/^\d+$/.test(service)) {
    const n = Number(service);
    if (n > 65535) throw new Errno(E.INVAL, `port ${service}`);
    return n;
  }
  const port = (network === "udp" ? UDP_SERVICES : TCP_SERVICES)[service.toLowerCase()];
  if (port === undefined) throw new Errno(E.INVAL, `unknown service ${service}`);
  return port;
}

/** Go's `services` table (net/lookup.go), as runtime-wasm/src/net/port.rs has it. */
export const TCP_SERVICES: Record<string, number> = {
  domain: 53, ftp: 21, ftps: 990, gopher: 70, http: 80, https: 443, imap2: 143, imap3: 220,
  imaps: 993, pop3: 110, pop3s: 995, smtp: 25, submissions: 465, ssh: 22, telnet: 23,
};
export const UDP_SERVICES: Record<string, number> = { domain: 53 };

function fromPromise(p: Promise<unknown>): Wait {
  return { promise: p.then(() => {}, () => {}), cancel() {} };
}

/** The buffers with their first `skip` bytes dropped. */
function skipBytes(bufs: Uint8Array[], skip: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const b of bufs) {
    if (skip >= b.length) {
      skip -= b.length;
      continue;
    }
    out.push(skip > 0 ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

/** Copies `src` into the buffers in order; returns the count. */
function scatter(bufs: Uint8Array[], src: Uint8Array, _datagram: boolean): number {
  let n = 0;
  for (const b of bufs) {
    if (n >= src.length) break;
    const k = Math.min(b.length, src.length - n);
    b.set(src.subarray(n, n + k));
    n += k;
  }
  return n;
}

/** The buffers' bytes, up to `max`, as one array (a view when there is one buffer). */
function gather(bufs: Uint8Array[], max: number): Uint8Array {
  const nonEmpty = bufs.filter((b) => b.length > 0);
  if (nonEmpty.length === 1) return nonEmpty[0].subarray(0, max);
  const total = Math.min(max, nonEmpty.reduce((n, b) => n + b.length, 0));
  const out = new Uint8Array(total);
  let n = 0;
  for (const b of nonEmpty) {
    if (n >= total) break;
    const k = Math.min(b.length, total - n);
    out.set(b.subarray(0, k), n);
    n += k;
  }
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** "host:port" / "[v6]:port" from the relay, as an address of the socket's family (0.0.0.0 when the host is a name). */
function parseHostPort(s: string, family: typeof AF_INET4 | typeof AF_INET6): SockAddr {
  const m = /^\[?(.*?)\]?:(\d+)$/.exec(s);
  const port = m ? Number(m[2]) : 0;
  const a = m ? parseIp(m[1]) : undefined;
  if (a && a.family === family) return { ...a, port };
  if (a && family === AF_INET6) {
    const ip = new Uint8Array(16);
    ip[10] = ip[11] = 0xff;
    ip.set(a.ip, 12);
    return { family, ip, port };
  }
  return { family, ip: new Uint8Array(family === AF_INET4 ? 4 : 16), port };
}

