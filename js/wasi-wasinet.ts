// The `wasinet_v0` import module (egdaemon/wasinet's ABI, which Go programs
// declare with //go:wasmimport), over the same sockets, policy and bounds as
// the WasmEdge calls (js/wasi-sockets.ts). Only the encodings differ, and
// they are all here:
// - numbers are a Linux host's, as wasinet's native hosts pass them through:
//   families AF_INET 2, AF_INET6 10 (sock_determine_host_af_family maps
//   Go's wasip1 values 2 and 3 to them), SOCK_STREAM 1, SOCK_DGRAM 2,
//   SOL_SOCKET 1 with Linux option names; shutdown takes Go's wasip1
//   SHUT_RD 1, SHUT_WR 2, SHUT_RDWR 3;
// - an address is a 130-byte RawSocketAddress: family u16 at 0, then wasinet
//   copies its whole address struct from byte 4: the family again (u16), a
//   u16 pad, the port (u32 LE) at 8 and the IP at 12 (4 or 16 bytes);
// - sock_getaddrip answers 16 bytes per address (IPv4 as ::ffff:a.b.c.d)
//   and the byte count; sock_getaddrport a u32;
// - an iovec is wasinet's Go struct ffi.Vector{unsafe.Pointer; uint32}:
//   16 bytes on GOARCH=wasm, the length at offset 8 (GO_IOVEC), as its
//   wazero host reads it; every wasinet version passed iovecs so;
// - sock_recv_from and sock_send_to take `oob_ptr, oob_len` after the
//   iovecs since wasinet 2c5f107 (2024-12-28): 10 and 9 parameters; the
//   versions before had 8 and 7. A JS import receives exactly the
//   parameters the guest declared, so both are told apart by their count.
//   No control messages exist here: oob is checked and left untouched,
//   and the received oob length is never reported;
// - every socket is nonblocking, whatever the guest asks: wasinet's native
//   hosts add SOCK_NONBLOCK unconditionally (Go's poller needs it, and
//   wasinet's Read loops on EAGAIN with runtime.Gosched, which the socket
//   layer turns into a yield to the page, js/wasi-sockets.ts wouldBlock);
// - its Write calls sock_send_to once and fails on EAGAIN, so a send waits
//   for room instead (WASINET_ABI.sendWaits), as a kernel buffer would.
// wasinet is AGPL-3.0: the layout was read from its public sources, and
// none of its code is here.
import { AF_INET4, AF_INET6, E, Errno, GO_IOVEC, GuestMemory, guestText as text, SOCK_DGRAM, SOCK_STREAM, type Abi, type AddressCodec, type SockAddr } from "./wasi-abi.js";
import { servicePort, type WasiSockets } from "./wasi-sockets.js";

const HOST_AF_UNIX = 1, HOST_AF_INET = 2, HOST_AF_INET6 = 10;
const HOST_SOCK_STREAM = 1, HOST_SOCK_DGRAM = 2;
const HOST_SOCK_NONBLOCK = 0x800;
export const RAW_ADDRESS_SIZE = 130;

/** wasinet's RawSocketAddress. */
export const WASINET_ADDRESS: AddressCodec = {
  read(m, ptr) {
    m.check(ptr, 28, "socket address");
    const fam = m.u16(ptr);
    if (fam === HOST_AF_INET) return { family: AF_INET4, ip: m.slice(ptr + 12, 4).slice(), port: m.u32(ptr + 8) & 0xffff };
    if (fam === HOST_AF_INET6) return { family: AF_INET6, ip: m.slice(ptr + 12, 16).slice(), port: m.u32(ptr + 8) & 0xffff };
    return undefined;
  },
  write(m, ptr, a) {
    m.check(ptr, RAW_ADDRESS_SIZE, "socket address");
    m.bytes.fill(0, ptr, ptr + RAW_ADDRESS_SIZE);
    const fam = a.family === AF_INET4 ? HOST_AF_INET : HOST_AF_INET6;
    m.setU16(ptr, fam);
    m.setU16(ptr + 4, fam);
    m.setU32(ptr + 8, a.port);
    m.bytes.set(a.ip, ptr + 12);
    return true;
  },
  checkOut(m, ptr) {
    m.check(ptr, RAW_ADDRESS_SIZE, "socket address");
  },
};

/** wasinet_v0's memory layouts and send rule. */
export const WASINET_ABI: Abi = { name: "wasinet", address: WASINET_ADDRESS, iovec: GO_IOVEC, sendWaits: true };

// Linux option numbers -> the WasmEdge numbering js/wasi-sockets.ts keys on.
const SOL_SOCKET = 1, IPPROTO_TCP = 6;
const SOCKET_OPTIONS: Record<number, number> = {
  2: 0, // SO_REUSEADDR
  3: 1, // SO_TYPE
  4: 2, // SO_ERROR
  6: 4, // SO_BROADCAST
  7: 5, // SO_SNDBUF
  8: 6, // SO_RCVBUF
  9: 7, // SO_KEEPALIVE
  20: 11, // SO_RCVTIMEO
  21: 12, // SO_SNDTIMEO
  30: 13, // SO_ACCEPTCONN
};

function option(level: number, name: number): [number, number] {
  if (level === SOL_SOCKET) {
    const n = SOCKET_OPTIONS[name];
    if (n === undefined) throw new Errno(E.NOPROTOOPT, `socket option ${name}`);
    return [0, n];
  }
  if (level === IPPROTO_TCP) return [6, name];
  throw new Errno(E.NOPROTOOPT, `option level ${level}`);
}

type Imports = Record<string, (...a: number[]) => number | Promise<number>>;

/** The `wasinet_v0` functions, each returning an errno (or a Promise of one). */
export function wasinetImports(s: WasiSockets, memory: () => WebAssembly.Memory): Imports {
  const mem = () => new GuestMemory(memory());
  const sockType = (t: number) => {
    const base = t & 0xf;
    if (base === HOST_SOCK_STREAM) return SOCK_STREAM;
    if (base === HOST_SOCK_DGRAM) return SOCK_DGRAM;
    throw new Errno(E.INVAL, `socket type ${t}`);
  };
  return {
    sock_open: (af, type, _proto, fdOut) =>
      s.run("wasinet sock_open", () => {
        if (af !== HOST_AF_INET && af !== HOST_AF_INET6) throw new Errno(E.AFNOSUPPORT, `address family ${af}`);
        void HOST_SOCK_NONBLOCK; // asked or not, nonblocking (the header says why)
        return s.open(af === HOST_AF_INET ? AF_INET4 : AF_INET6, sockType(type), fdOut, true);
      }),
    sock_bind: (fd, addr, _len) => s.run("wasinet sock_bind", () => s.bind(fd, addr, 0, WASINET_ABI)),
    sock_connect: (fd, addr, _len) => s.run("wasinet sock_connect", () => s.connect(fd, addr, 0, WASINET_ABI)),
    sock_listen: (fd, _backlog) => s.run("wasinet sock_listen", () => s.listen(fd)),
    sock_getsockopt: (fd, level, name, value, len) =>
      s.run("wasinet sock_getsockopt", () => {
        const [l, n] = option(level, name);
        s.option(fd, l, n, value, len);
        return E.SUCCESS;
      }),
    sock_setsockopt: (fd, level, name, value, len) =>
      s.run("wasinet sock_setsockopt", () => {
        const [l, n] = option(level, name);
        return s.setsockopt(fd, l, n, value, len);
      }),
    sock_getlocaladdr: (fd, addr, _len) =>
      s.run("wasinet sock_getlocaladdr", () => (WASINET_ADDRESS.write(mem(), addr, s.endpoint(fd, "local")), E.SUCCESS)),
    sock_getpeeraddr: (fd, addr, _len) =>
      s.run("wasinet sock_getpeeraddr", () => (WASINET_ADDRESS.write(mem(), addr, s.endpoint(fd, "peer")), E.SUCCESS)),
    // Since 2c5f107: (fd, iovs, iovs_len, oob, oob_len, addr, addr_len, flags, nread*, oflags*: i32).
    // Before: (fd, iovs, iovs_len, addr, addr_len, flags, nread*, oflags*).
    sock_recv_from: (...a) =>
      s.run("wasinet sock_recv_from", () => {
        const [fd, iovs, n] = a;
        const [addr, flags, nread, oflags] = a.length >= 10 ? [a[5], a[7], a[8], a[9]] : [a[3], a[5], a[6], a[7]];
        const m = mem();
        if (a.length >= 10) m.check(a[3], a[4], "oob buffer");
        m.check(oflags, 4, "oflags out-pointer");
        // oflags is an i32 here (WasmEdge's is a u16): its high half is cleared on success.
        const r = s.recvFrom(fd, iovs, n, flags, addr, undefined, nread, oflags, WASINET_ABI);
        const high = (errno: number) => (errno === E.SUCCESS && mem().setU16(oflags + 2, 0), errno);
        return typeof r === "number" ? high(r) : r.then(high);
      }),
    // Since 2c5f107: (fd, iovs, iovs_len, oob, oob_len, addr, addr_len, flags, nwritten*); before: no oob.
    sock_send_to: (...a) =>
      s.run("wasinet sock_send_to", () => {
        const [fd, iovs, n] = a;
        const [addr, nwritten] = a.length >= 9 ? [a[5], a[8]] : [a[3], a[6]];
        if (a.length >= 9) mem().check(a[3], a[4], "oob buffer");
        return s.sendTo(fd, iovs, n, addr, 0, nwritten, WASINET_ABI);
      }),
    sock_shutdown: (fd, how) => s.run("wasinet sock_shutdown", () => s.shutdown(fd, how)),
    // (network, network_len, address, address_len, ips*, ips_cap, ips_len*)
    sock_getaddrip: (netPtr, netLen, addrPtr, addrLen, res, cap, resLen) =>
      s.run("wasinet sock_getaddrip", () => {
        const m = mem();
        const network = text(m, netPtr, netLen, "network");
        const host = text(m, addrPtr, addrLen, "host");
        m.check(res, cap, "address buffer");
        m.check(resLen, 4, "address count out-pointer");
        if (host === "") throw new Errno(E.INVAL, "no host");
        const family = /6$/.test(network) ? "ip6" : /4$/.test(network) ? "ip4" : "ip";
        const put = (ips: SockAddr[]): number => {
          const mm = mem();
          const fit = ips.slice(0, Math.floor(cap / 16));
          fit.forEach((a, i) => {
            const at = res + i * 16;
            if (a.family === AF_INET6) mm.bytes.set(a.ip, at);
            else {
              mm.bytes.fill(0, at, at + 10);
              mm.bytes.set([0xff, 0xff], at + 10);
              mm.bytes.set(a.ip, at + 12);
            }
          });
          mm.setU32(resLen, fit.length * 16);
          return E.SUCCESS;
        };
        const r = s.lookup(host, family);
        return Array.isArray(r) ? put(r) : r.then(put);
      }),
    sock_getaddrport: (netPtr, netLen, servPtr, servLen, portOut) =>
      s.run("wasinet sock_getaddrport", () => {
        const m = mem();
        const network = text(m, netPtr, netLen, "network");
        const service = text(m, servPtr, servLen, "service");
        m.check(portOut, 4, "port out-pointer");
        m.setU32(portOut, servicePort(service, network.startsWith("udp") ? "udp" : "tcp"));
        return E.SUCCESS;
      }),
    // Go's wasip1 AF_UNIX 1, AF_INET 2, AF_INET6 3 -> this host's numbers (not an errno).
    sock_determine_host_af_family: (af) => (af === 1 ? HOST_AF_UNIX : af === 2 ? HOST_AF_INET : af === 3 ? HOST_AF_INET6 : 0),
  };
}
