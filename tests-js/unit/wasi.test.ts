// The WASI socket layer (js/wasi-sockets.ts) against a guest memory and
// scripted tables: what a real guest will not do on demand (bad pointers,
// short buffers, both ABI versions, a guest that never reads, policy and
// bounds). The real guests run in Chromium (tests-js/page/wasi.test.ts).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { E } from "../../js/wasi-abi.js";
import { servicePort, TCP_SERVICES, UDP_SERVICES, WasiSockets, type SocketTables } from "../../js/wasi-sockets.js";
import { WasiNet } from "../../js/wasi.js";
import { RAW_ADDRESS_SIZE, wasinetImports } from "../../js/wasi-wasinet.js";
import { wake } from "../../js/wake.js";
import type { NetError } from "../../js/errors.js";

/** A scripted Conn: bytes the test queues, writes it records, a dial it settles. */
class FakeConn {
  queue: number[] = [];
  ended = false;
  written: Uint8Array[] = [];
  tokens: number[] = [];
  deadlines: Array<[number, number]> = [];
  closed = false;
  writeResult: () => number | Promise<number> = () => -1;
  open!: () => void;
  fail!: (e: NetError) => void;
  opened = new Promise<void>((ok, no) => ((this.open = ok), (this.fail = no)));
  push(bytes: string) {
    this.queue.push(...new TextEncoder().encode(bytes));
    for (const t of this.tokens.splice(0)) wake(t);
  }
}

function tables() {
  const conns: FakeConn[] = [];
  const dials: Array<[string, number]> = [];
  const t: SocketTables = {
    _netConnDialRelay(_n, host, port) {
      dials.push([host, port]);
      conns.push(new FakeConn());
      return conns.length - 1;
    },
    _netConnOpened: (h) => conns[h].opened,
    _netConnRead(h, dest) {
      const c = conns[h];
      if (c.queue.length === 0) {
        if (c.ended) throw { code: "eof" };
        return -1;
      }
      const n = Math.min(dest.length, c.queue.length);
      dest.set(c.queue.splice(0, n));
      return n;
    },
    _netConnReady: (h, token) => void conns[h].tokens.push(token),
    _netConnWrite(h, data) {
      conns[h].written.push(data.slice());
      const r = conns[h].writeResult();
      return r === -1 ? data.length : r;
    },
    _netConnSetDeadline: (h, which, at) => void conns[h].deadlines.push([which, at]),
    _netConnForget: (h, key) => void (conns[h].tokens = conns[h].tokens.filter((t) => t !== key)),
    _netConnClose: (h) => void (conns[h].closed = true),
    _netConnRelease: () => {},
    _netUdpListen: () => 0,
    _netUdpReadFrom: () => -1,
    _netUdpReady: () => {},
    _netUdpWriteTo: (_h, data) => data.length,
    _netUdpSetDeadline: () => {},
    _netUdpForget: () => {},
    _netUdpClose: () => {},
    _netLookupIP: async (_net, name) => (name === "two.example" ? ["192.0.2.1", "2001:db8::1", "192.0.2.2"] : []),
  };
  return { t, conns, dials };
}

const PAGE = 2;
function setup(opts: ConstructorParameters<typeof WasiSockets>[2] = {}) {
  const memory = new WebAssembly.Memory({ initial: PAGE });
  const { t, conns, dials } = tables();
  const s = new WasiSockets(t, () => memory, opts);
  const view = () => new DataView(memory.buffer);
  const bytes = () => new Uint8Array(memory.buffer);
  const size = PAGE * 65536;
  /** An address argument at `at`: {buf, size} then the buffer. */
  const addr = (at: number, ip: number[], v2 = false) => {
    view().setUint32(at, at + 8, true);
    view().setUint32(at + 4, v2 ? 128 : ip.length, true);
    if (v2) {
      view().setUint16(at + 8, ip.length === 4 ? 1 : 2, true);
      bytes().set(ip, at + 10);
    } else bytes().set(ip, at + 8);
    return at;
  };
  const iov = (at: number, buf: number, len: number) => {
    view().setUint32(at, buf, true);
    view().setUint32(at + 4, len, true);
    return at;
  };
  const open = (type = 2) => {
    expect(s.open(1, type, 100)).toBe(E.SUCCESS);
    return view().getUint32(100, true);
  };
  const connect = async (fd: number, port = 6379) => {
    const r = s.run("sock_connect", () => s.connect(fd, addr(200, [127, 0, 0, 1]), port));
    conns[conns.length - 1]?.open();
    return await r;
  };
  return { s, memory, view, bytes, size, addr, iov, open, connect, conns, dials };
}

describe("hostile guests", () => {
  it("a pointer outside memory is EFAULT and allocates nothing", () => {
    const { s, size } = setup();
    expect(s.run("sock_open", () => s.open(1, 2, size - 2))).toBe(E.FAULT);
    expect(s.run("sock_open", () => s.open(1, 2, 2 ** 32 - 1))).toBe(E.FAULT);
    expect(s.size).toBe(0);
    expect(s.lastError).toMatch(/bad guest pointer: fd out-pointer at/);
  });

  it("an fd that is not a socket is EBADF for every call", async () => {
    const { s } = setup();
    for (const f of [
      () => s.recv(7, 0, 0, 0, 0),
      () => s.send(7, 0, 0, 0),
      () => s.connect(7, 0, 80),
      () => s.getsockopt(7, 0, 2, 0, 0),
      () => s.shutdown(7, 3),
      () => s.close(7),
    ])
      expect(await s.run("x", f)).toBe(E.BADF);
  });

  it("bad iovecs are EINVAL / EFAULT before anything is taken from the Conn", async () => {
    const { s, open, connect, iov, conns, size } = setup();
    const fd = open();
    expect(await connect(fd)).toBe(E.SUCCESS);
    conns[0].push("kept");
    expect(s.run("sock_recv", () => s.recv(fd, 300, 1025, 0, 400))).toBe(E.INVAL); // more than IOV_MAX
    iov(300, 1000, 4);
    iov(308, size - 2, 4); // the second buffer runs off the end
    expect(s.run("sock_recv", () => s.recv(fd, 300, 2, 0, 400))).toBe(E.FAULT);
    expect(s.run("sock_recv", () => s.recv(fd, 300, 1, 0, size))).toBe(E.FAULT); // count out-pointer
    expect(conns[0].queue.length).toBe(4); // nothing was consumed
  });

  it("unknown families, types, flags and shutdown modes are errors, not exceptions", () => {
    const { s, open } = setup();
    expect(s.run("sock_open", () => s.open(9, 2, 100))).toBe(E.AFNOSUPPORT);
    expect(s.run("sock_open", () => s.open(1, 7, 100))).toBe(E.INVAL);
    const fd = open();
    expect(s.run("sock_recv", () => s.recv(fd, 0, 0, 0x80, 400))).toBe(E.INVAL);
    expect(s.run("sock_shutdown", () => s.shutdown(fd, 9))).toBe(E.INVAL);
    expect(s.run("sock_shutdown", () => s.shutdown(fd, 3))).toBe(E.NOTCONN);
    expect(s.run("sock_getsockopt", () => s.getsockopt(fd, 0, 99, 500, 504))).toBe(E.NOPROTOOPT);
    expect(s.run("sock_getsockopt", () => s.getsockopt(fd, 0, 2, 500, 2 ** 20))).toBe(E.FAULT);
  });

  it("listen and accept are ENOTSUP, leaving the socket as it was", () => {
    const { s, open } = setup();
    const fd = open();
    expect(s.run("sock_listen", () => s.listen(fd))).toBe(E.NOTSUP);
    expect(s.run("sock_accept", () => s.accept(fd))).toBe(E.NOTSUP);
    expect(s.size).toBe(1);
  });

  it("bind takes only a wildcard address", () => {
    const { s, open, addr, view } = setup();
    const fd = open();
    expect(s.run("sock_bind", () => s.bind(fd, addr(200, [10, 0, 0, 1]), 0))).toBe(E.ADDRNOTAVAIL);
    expect(s.run("sock_bind", () => s.bind(fd, addr(200, [0, 0, 0, 0]), 0))).toBe(E.SUCCESS);
    expect(s.run("sock_bind", () => s.bind(fd, addr(200, [0, 0, 0, 0]), 0))).toBe(E.INVAL); // twice
    view().setUint32(204, 7, true); // an address of 7 bytes
    expect(s.run("sock_bind", () => s.bind(fd, 200, 0))).toBe(E.INVAL);
  });
});

describe("the ABI versions, told apart by the guest's import signatures", () => {
  it("getlocaladdr/getpeeraddr: v1 writes the raw address and its type, v2 128 bytes family first", async () => {
    const { s, open, connect, addr, view, bytes } = setup();
    const fd = open();
    expect(await connect(fd, 8080)).toBe(E.SUCCESS);
    // v1: (fd, addr, addr_type*, port*), a 16-byte buffer.
    addr(600, new Array(16).fill(0xee));
    expect(s.run("v1", () => s.address("peer", [fd, 600, 700, 704]))).toBe(E.SUCCESS);
    expect([...bytes().subarray(608, 612)]).toEqual([127, 0, 0, 1]);
    expect(view().getUint32(700, true)).toBe(4);
    expect(view().getUint32(704, true)).toBe(8080);
    // v2: (fd, addr, port*), a 128-byte buffer.
    view().setUint32(800, 808, true);
    view().setUint32(804, 128, true);
    expect(s.run("v2", () => s.address("peer", [fd, 800, 990]))).toBe(E.SUCCESS);
    expect(view().getUint16(808, true)).toBe(1);
    expect([...bytes().subarray(810, 814)]).toEqual([127, 0, 0, 1]);
    expect(view().getUint32(990, true)).toBe(8080);
    // A v1 buffer too small for the address.
    view().setUint32(604, 2, true);
    expect(s.run("v1", () => s.address("peer", [fd, 600, 700, 704]))).toBe(E.INVAL);
  });

  it("the import object dispatches sock_recv_from by its parameter count", async () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { t } = tables();
    const d = new DataView(memory.buffer);
    let from: [number, string] | -1 = [3, "192.0.2.9:53"];
    t._netUdpReadFrom = (_h, dest) => {
      const r = from;
      if (r !== -1) dest.set([1, 2, 3]);
      from = -1;
      return r;
    };
    const net = new WasiNet({ tables: t });
    (net as unknown as { instance: unknown }).instance = { exports: { memory } };
    const f = net.ownImports();
    expect(f.sock_open(1, 1, 100)).toBe(E.SUCCESS);
    const fd = d.getUint32(100, true);
    d.setUint32(300, 1000, true); // iovec
    d.setUint32(304, 16, true);
    d.setUint32(200, 208, true); // v2 address, 128 bytes
    d.setUint32(204, 128, true);
    // v2: fd, iovs, n, addr, flags, port*, len*, oflags*
    expect(await f.sock_recv_from(fd, 300, 1, 200, 0, 400, 404, 408)).toBe(E.SUCCESS);
    expect(d.getUint32(404, true)).toBe(3);
    expect(d.getUint16(208, true)).toBe(1);
    expect([d.getUint8(210), d.getUint8(213)]).toEqual([192, 9]);
    expect(d.getUint32(400, true)).toBe(53);
    // v1: fd, iovs, n, addr, flags, len*, oflags* (no port); nonblocking, nothing queued.
    expect(f.fd_fdstat_set_flags(fd, 4)).toBe(E.SUCCESS);
    expect(await f.sock_recv_from(fd, 300, 1, 200, 0, 404, 408)).toBe(E.AGAIN);
  });
});

describe("blocking, nonblocking and poll_oneoff", () => {
  it("a blocking recv waits for data and fills short buffers in order, keeping the rest", async () => {
    const { s, open, connect, iov, view, bytes, conns } = setup();
    const fd = open();
    expect(await connect(fd)).toBe(E.SUCCESS);
    iov(300, 1000, 3);
    const r = s.run("sock_recv", () => s.recv(fd, 300, 1, 0, 400, 404));
    expect(r).toBeInstanceOf(Promise);
    conns[0].push("hello");
    expect(await r).toBe(E.SUCCESS);
    expect(view().getUint32(400, true)).toBe(3);
    expect(new TextDecoder().decode(bytes().subarray(1000, 1003))).toBe("hel");
    expect(s.run("sock_recv", () => s.recv(fd, 300, 1, 0, 400))).toBe(E.SUCCESS);
    expect(new TextDecoder().decode(bytes().subarray(1000, 1002))).toBe("lo");
    conns[0].ended = true;
    expect(s.run("sock_recv", () => s.recv(fd, 300, 1, 0, 400))).toBe(E.SUCCESS);
    expect(view().getUint32(400, true)).toBe(0); // the end
  });

  it("MSG_PEEK leaves the bytes for the next recv", async () => {
    const { s, open, connect, iov, bytes, conns } = setup();
    const fd = open();
    await connect(fd);
    conns[0].push("abc");
    iov(300, 1000, 8);
    expect(s.run("peek", () => s.recv(fd, 300, 1, 1, 400))).toBe(E.SUCCESS);
    expect(s.run("recv", () => s.recv(fd, 300, 1, 0, 400))).toBe(E.SUCCESS);
    expect(new TextDecoder().decode(bytes().subarray(1000, 1003))).toBe("abc");
  });

  it("SO_RCVTIMEO is the Conn's read deadline for one call, then cleared", async () => {
    const { s, open, connect, iov, view, conns } = setup();
    const fd = open();
    await connect(fd);
    view().setBigInt64(500, 1n, true);
    view().setBigInt64(508, 250_000n, true);
    expect(s.run("set", () => s.setsockopt(fd, 0, 11, 500, 16))).toBe(E.SUCCESS);
    view().setUint32(600, 16, true);
    expect(s.run("get", () => s.getsockopt(fd, 0, 11, 520, 600))).toBe(E.SUCCESS);
    expect([view().getBigInt64(520, true), view().getBigInt64(528, true)]).toEqual([1n, 250_000n]);
    iov(300, 1000, 8);
    const r = s.run("recv", () => s.recv(fd, 300, 1, 0, 400));
    const [which, at] = conns[0].deadlines[0];
    expect(which).toBe(1);
    expect(at - Date.now()).toBeGreaterThan(1000);
    conns[0].push("x");
    expect(await r).toBe(E.SUCCESS);
    expect(conns[0].deadlines.at(-1)).toEqual([1, 0]);
  });

  it("nonblocking: EINPROGRESS, EAGAIN, one pending write at most (a peer that never reads)", async () => {
    const { s, open, addr, iov, conns, view } = setup();
    const fd = open();
    expect(s.fdstatSetFlags(fd, 4)).toBe(E.SUCCESS);
    expect(s.run("connect", () => s.connect(fd, addr(200, [127, 0, 0, 1]), 80))).toBe(E.INPROGRESS);
    expect(s.run("connect", () => s.connect(fd, addr(200, [127, 0, 0, 1]), 80))).toBe(E.ALREADY);
    iov(300, 1000, 4);
    expect(s.run("send", () => s.send(fd, 300, 1, 400))).toBe(E.AGAIN); // still connecting
    // A second EAGAIN with no suspension in between: the guest spins, so the
    // page runs one task first (still EAGAIN, and still nothing sent).
    const spun = s.run("recv", () => s.recv(fd, 300, 1, 0, 400));
    expect(spun).toBeInstanceOf(Promise);
    expect(await spun).toBe(E.AGAIN);
    expect(conns[0].tokens).toEqual([]); // its wait was dropped
    conns[0].open();
    await conns[0].opened;
    await Promise.resolve();
    let release!: (n: number) => void;
    conns[0].writeResult = () => new Promise<number>((ok) => (release = ok));
    expect(s.run("send", () => s.send(fd, 300, 1, 400))).toBe(E.SUCCESS);
    expect(view().getUint32(400, true)).toBe(4);
    for (let i = 0; i < 5; i++) expect(await s.run("send", () => s.send(fd, 300, 1, 400))).toBe(E.AGAIN);
    expect(conns[0].written.length).toBe(1); // nothing more was buffered
    release(4);
    await new Promise((ok) => setTimeout(ok, 0));
    conns[0].writeResult = () => -1;
    expect(s.run("send", () => s.send(fd, 300, 1, 400))).toBe(E.SUCCESS);
  });

  it("a failed nonblocking connect is reported by SO_ERROR once, and by the next send", async () => {
    const { s, open, addr, conns, view, iov } = setup();
    const fd = open();
    s.fdstatSetFlags(fd, 4);
    expect(s.run("connect", () => s.connect(fd, addr(200, [127, 0, 0, 1]), 81))).toBe(E.INPROGRESS);
    conns[0].fail({ code: "refused" });
    await new Promise((ok) => setTimeout(ok, 0));
    view().setUint32(600, 4, true);
    expect(s.getsockopt(fd, 0, 2, 500, 600)).toBe(E.SUCCESS);
    expect(view().getUint32(500, true)).toBe(E.CONNREFUSED);
    expect(s.getsockopt(fd, 0, 2, 500, 600)).toBe(E.SUCCESS);
    expect(view().getUint32(500, true)).toBe(0); // read and cleared
    iov(300, 1000, 4);
    expect(s.run("send", () => s.send(fd, 300, 1, 400))).toBe(E.PIPE);
  });

  it("poll_oneoff waits for a socket and a clock together; validates what it is given", async () => {
    const { s, open, connect, view, conns } = setup();
    const now = () => BigInt(Math.round(performance.now() * 1e6));
    expect(s.run("poll", () => s.poll(2000, 4000, 0, 5000, now))).toBe(E.INVAL);
    const fd = open();
    await connect(fd);
    const sub = (i: number, userdata: bigint, tag: number, fdOrClock: number, timeoutNs = 0n) => {
      const p = 2000 + 48 * i;
      new Uint8Array(view().buffer).fill(0, p, p + 48);
      view().setBigUint64(p, userdata, true);
      view().setUint8(p + 8, tag);
      view().setUint32(p + 16, fdOrClock, true);
      view().setBigUint64(p + 24, timeoutNs, true);
    };
    sub(0, 11n, 1, fd); // read on the socket
    sub(1, 22n, 0, 1, 5_000_000_000n); // a 5 s monotonic clock
    const r = s.run("poll", () => s.poll(2000, 4000, 2, 5000, now));
    expect(r).toBeInstanceOf(Promise);
    conns[0].push("!");
    expect(await r).toBe(E.SUCCESS);
    expect(view().getUint32(5000, true)).toBe(1);
    expect(view().getBigUint64(4000, true)).toBe(11n);
    expect(view().getUint8(4010)).toBe(1);
    expect(conns[0].tokens).toEqual([]); // the wait was dropped
    // The clock alone: 30 ms.
    sub(0, 33n, 0, 1, 30_000_000n);
    const t0 = performance.now();
    expect(await s.run("poll", () => s.poll(2000, 4000, 1, 5000, now))).toBe(E.SUCCESS);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(25);
    expect(view().getBigUint64(4000, true)).toBe(33n);
    // An fd no one has: an event with EBADF, at once.
    s.fdKnown = () => false;
    sub(0, 44n, 1, 999);
    expect(s.run("poll", () => s.poll(2000, 4000, 1, 5000, now))).toBe(E.SUCCESS);
    expect(view().getUint16(4008, true)).toBe(E.BADF);
    expect(s.run("poll", () => s.poll(2000, 4000, 5000, 5000, now))).toBe(E.INVAL); // too many
  });
});

describe("wasinet_v0 (Go programs' own socket calls)", () => {
  /** A RawSocketAddress at `at`: family at 0 and 4, port u32 at 8, the IP at 12. */
  const raw = (view: () => DataView, bytes: () => Uint8Array, at: number, family: number, ip: number[], port: number) => {
    bytes().fill(0, at, at + RAW_ADDRESS_SIZE);
    view().setUint16(at, family, true);
    view().setUint16(at + 4, family, true);
    view().setUint32(at + 8, port, true);
    bytes().set(ip, at + 12);
    return at;
  };

  it("sockets, connect and the peer address in wasinet's 130-byte layout, with a Linux host's numbers", async () => {
    const t = setup();
    const w = wasinetImports(t.s, () => t.memory);
    expect(w.sock_determine_host_af_family(2)).toBe(2);
    expect(w.sock_determine_host_af_family(3)).toBe(10);
    expect(w.sock_determine_host_af_family(1)).toBe(1);
    expect(w.sock_open(1, 1, 0, 100)).toBe(E.AFNOSUPPORT); // AF_UNIX
    expect(w.sock_open(2, 5, 0, 100)).toBe(E.INVAL); // SOCK_SEQPACKET
    expect(w.sock_open(10, 1 | 0x800, 0, 100)).toBe(E.SUCCESS); // AF_INET6, SOCK_STREAM | SOCK_NONBLOCK
    const fd6 = t.view().getUint32(100, true);
    expect(t.s.run("fdstat", () => t.s.fdstatGet(fd6, 300))).toBe(E.SUCCESS);
    expect(t.view().getUint16(302, true)).toBe(4); // nonblocking
    expect(w.sock_open(2, 1, 0, 100)).toBe(E.SUCCESS);
    const fd = t.view().getUint32(100, true);
    raw(t.view, t.bytes, 400, 7, [127, 0, 0, 1], 6379);
    expect(w.sock_connect(fd, 400, RAW_ADDRESS_SIZE)).toBe(E.INVAL); // an unknown family
    expect(w.sock_connect(fd, t.size - 10, RAW_ADDRESS_SIZE)).toBe(E.FAULT);
    raw(t.view, t.bytes, 400, 2, [127, 0, 0, 1], 6379);
    // Nonblocking whatever the guest asked (its native hosts add SOCK_NONBLOCK):
    // EINPROGRESS, then SO_ERROR 0 once open.
    expect(w.sock_connect(fd, 400, RAW_ADDRESS_SIZE)).toBe(E.INPROGRESS);
    t.conns[0].open();
    await t.conns[0].opened;
    await Promise.resolve();
    expect(w.sock_getsockopt(fd, 1, 4, 500, 4)).toBe(E.SUCCESS);
    expect(t.view().getUint32(500, true)).toBe(0);
    expect(t.dials).toEqual([["127.0.0.1", 6379]]);
    t.bytes().fill(0xee, 600, 600 + RAW_ADDRESS_SIZE);
    expect(w.sock_getpeeraddr(fd, 600, RAW_ADDRESS_SIZE)).toBe(E.SUCCESS);
    expect([t.view().getUint16(600, true), t.view().getUint16(604, true), t.view().getUint32(608, true)]).toEqual([2, 2, 6379]);
    expect([...t.bytes().subarray(612, 616)]).toEqual([127, 0, 0, 1]);
    expect(t.bytes()[616]).toBe(0); // the rest is cleared
    expect(w.sock_getpeeraddr(fd, t.size - 100, RAW_ADDRESS_SIZE)).toBe(E.FAULT);
    expect(w.sock_getlocaladdr(fd6, 600, RAW_ADDRESS_SIZE)).toBe(E.SUCCESS);
    expect(t.view().getUint16(600, true)).toBe(10);
    expect(w.sock_listen(fd, 128)).toBe(E.NOTSUP);
    expect(w.sock_shutdown(fd, 9)).toBe(E.INVAL);
    expect(w.sock_shutdown(fd, 3)).toBe(E.SUCCESS); // Go's wasip1 SHUT_RDWR
  });

  it("options by Linux numbers: SO_RCVTIMEO as a timeval, SO_ERROR, TCP_NODELAY; unknown ones are ENOPROTOOPT", async () => {
    const t = setup();
    const w = wasinetImports(t.s, () => t.memory);
    expect(w.sock_open(2, 1, 0, 100)).toBe(E.SUCCESS);
    const fd = t.view().getUint32(100, true);
    t.view().setBigInt64(500, 1n, true);
    t.view().setBigInt64(508, 250_000n, true);
    expect(w.sock_setsockopt(fd, 1, 20, 500, 16)).toBe(E.SUCCESS); // SO_RCVTIMEO
    t.bytes().fill(0, 500, 516);
    expect(w.sock_getsockopt(fd, 1, 20, 500, 16)).toBe(E.SUCCESS);
    expect([t.view().getBigInt64(500, true), t.view().getBigInt64(508, true)]).toEqual([1n, 250_000n]);
    expect(w.sock_getsockopt(fd, 1, 20, 500, 8)).toBe(E.INVAL); // no room for a timeval
    expect(w.sock_getsockopt(fd, 1, 4, 500, 4)).toBe(E.SUCCESS); // SO_ERROR
    expect(t.view().getUint32(500, true)).toBe(0);
    expect(w.sock_getsockopt(fd, 6, 1, 500, 4)).toBe(E.SUCCESS); // TCP_NODELAY
    expect(t.view().getUint32(500, true)).toBe(1);
    expect(w.sock_getsockopt(fd, 1, 99, 500, 4)).toBe(E.NOPROTOOPT);
    expect(w.sock_setsockopt(fd, 41, 1, 500, 4)).toBe(E.NOPROTOOPT);
  });

  it("sock_getaddrip: 16 bytes per address (IPv4 mapped), the byte count, cut to the buffer; checked names", async () => {
    const t = setup({ policy: { hosts: ["two.example", "127.0.0.1"] } });
    const w = wasinetImports(t.s, () => t.memory);
    const str = (at: number, v: string) => (t.bytes().set(new TextEncoder().encode(v), at), v.length);
    const nl = str(100, "ip");
    const hl = str(120, "two.example");
    expect(await w.sock_getaddrip(100, nl, 120, hl, 1000, 256, 200)).toBe(E.SUCCESS);
    expect(t.view().getUint32(200, true)).toBe(48);
    expect([...t.bytes().subarray(1000, 1016)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]);
    expect([...t.bytes().subarray(1016, 1018)]).toEqual([0, 0]);
    expect([...t.bytes().subarray(1028, 1032)]).toEqual([192, 0, 2, 2]);
    expect([...t.bytes().subarray(1032, 1034)]).toEqual([0x20, 0x01]); // IPv6 after IPv4
    expect(await w.sock_getaddrip(100, nl, 120, hl, 1000, 20, 200)).toBe(E.SUCCESS); // room for one
    expect(t.view().getUint32(200, true)).toBe(16);
    expect(await w.sock_getaddrip(100, nl, 120, hl, t.size - 8, 256, 200)).toBe(E.FAULT);
    const denied = str(150, "evil.example");
    expect(w.sock_getaddrip(100, nl, 150, denied, 1000, 256, 200)).toBe(E.ACCES);
    t.bytes().set([0xff, 0xfe], 170);
    expect(w.sock_getaddrip(100, nl, 170, 2, 1000, 256, 200)).toBe(E.INVAL); // not UTF-8
    const sl = str(300, "https");
    expect(w.sock_getaddrport(100, nl, 300, sl, 400)).toBe(E.SUCCESS);
    expect(t.view().getUint32(400, true)).toBe(443);
    expect(w.sock_getaddrport(100, nl, 300, sl, t.size)).toBe(E.FAULT);
  });

  it("path_open's tcp+dial:// and udp+dial:// (wasi-go): a socket fd, under the policy; other paths go to the file system", async () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { t, conns, dials } = tables();
    const d = new DataView(memory.buffer);
    const net = new WasiNet({ tables: t, policy: { ports: [6379, 53] } });
    (net as unknown as { instance: unknown }).instance = { exports: { memory } };
    const fsCalls: unknown[][] = [];
    const f = net.ownImports({ path_open: ((...a: unknown[]) => (fsCalls.push(a), 44)) as never });
    const open = (path: string, fdflags = 0, dir = -1) => {
      new Uint8Array(memory.buffer).set(new TextEncoder().encode(path), 1000);
      return f.path_open(dir, 0, 1000, path.length, 0, 0n as never, 0n as never, fdflags, 100);
    };
    // Nonblocking by default: EINPROGRESS with the fd written.
    expect(open("tcp+dial://127.0.0.1:6379")).toBe(E.INPROGRESS);
    const fd = d.getUint32(100, true);
    expect(net.sockets.owns(fd)).toBe(true);
    expect(dials).toEqual([["127.0.0.1", 6379]]);
    // ?nonblock=0 blocks until the Conn opens; a name is dialled as the name.
    const r = open("tcp4+dial://Redis.Example:6379?nonblock=0");
    expect(r).toBeInstanceOf(Promise);
    conns[1].open();
    expect(await r).toBe(E.SUCCESS);
    expect(dials[1]).toEqual(["redis.example", 6379]);
    expect(open("udp+dial://[::1]:53")).toBe(E.SUCCESS);
    expect(net.sockets.size).toBe(3);
    // Refused before anything opens: the policy, listen, a bad port or family.
    expect(open("tcp+dial://127.0.0.1:22")).toBe(E.ACCES);
    expect(open("tcp+listen://0.0.0.0:8080")).toBe(E.NOTSUP);
    expect(open("tcp+dial://127.0.0.1:99999")).toBe(E.INVAL);
    expect(open("tcp6+dial://127.0.0.1:6379")).toBe(E.AFNOSUPPORT);
    expect(open("tcp+dial://no-port")).toBe(E.INVAL);
    expect(net.sockets.size).toBe(3);
    expect(dials.length).toBe(2);
    // A file path, or a socket URL under a real directory fd, is the file system's.
    expect(open("data/file.txt")).toBe(44);
    expect(open("tcp+dial://127.0.0.1:6379", 0, 3)).toBe(44);
    expect(fsCalls.length).toBe(2);
    expect(f.fd_close(fd)).toBe(E.SUCCESS);
    expect(conns[0].closed).toBe(true);
  });
});

describe("arbitrary input to the string parsers", () => {
  /** xorshift32: the same 2,000 cases every run. */
  function rng(seed: number) {
    let x = seed;
    return (n: number) => {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      return x % n;
    };
  }
  /** Any Unicode (astral, controls, NUL), mixed with the URLs' own punctuation, or raw bytes (often not UTF-8). */
  function input(r: (n: number) => number): Uint8Array {
    if (r(4) === 0) return Uint8Array.from({ length: r(40) }, () => r(256));
    const parts = ["tcp", "udp", "4", "6", "+dial", "+listen", "://", ":", "[", "]", "?", "nonblock=", "0", "1", "&", "#", "%", "127.0.0.1", "::1", "é", "\0"];
    let t = "";
    for (let i = r(12); i > 0; i--) t += r(3) === 0 ? String.fromCodePoint(r(0x10ffff + 1) & ~(r(2) ? 0 : 0xf800)) : parts[r(parts.length)];
    return new TextEncoder().encode(t);
  }
  const errno = async (r: unknown) => {
    const v = await r;
    expect(typeof v).toBe("number");
    return v as number;
  };

  it("path_open, sock_getaddrip and sock_getaddrport answer an errno for anything, and leak no socket", async () => {
    const memory = new WebAssembly.Memory({ initial: 1 });
    const { t, conns } = tables();
    const net = new WasiNet({ tables: t, policy: { hosts: ["127.0.0.1"], ports: [6379] } });
    (net as unknown as { instance: unknown }).instance = { exports: { memory } };
    const f = net.ownImports({ path_open: (() => 44) as never });
    const w = wasinetImports(net.sockets, () => memory);
    const r = rng(0x9e3779b9);
    const put = (at: number, b: Uint8Array) => (new Uint8Array(memory.buffer).set(b, at), b.length);
    for (let i = 0; i < 2000; i++) {
      const a = put(1000, input(r));
      const b = put(3000, input(r));
      const opened = await errno(f.path_open(-1, 0, 1000, a, 0, 0n as never, 0n as never, 0, 100));
      expect([E.SUCCESS, E.INPROGRESS, E.INVAL, E.ACCES, E.NOTSUP, E.AFNOSUPPORT, 44], `path_open ${opened}`).toContain(opened);
      if (opened === E.SUCCESS || opened === E.INPROGRESS) {
        const fd = new DataView(memory.buffer).getUint32(100, true);
        expect(await errno(f.fd_close(fd))).toBe(E.SUCCESS);
      }
      await errno(w.sock_getaddrip(1000, a, 3000, b, 5000, 256, 200));
      await errno(w.sock_getaddrport(1000, a, 3000, b, 200));
    }
    expect(net.sockets.size).toBe(0);
    expect(conns.every((c) => c.closed)).toBe(true);
  });
});

describe("policy and bounds", () => {
  it("the guest's policy is checked before the table is asked; maxConnections counts its sockets", async () => {
    const { s, open, addr, dials, connect } = setup({ policy: { ports: [6379], maxConnections: 1 } });
    const fd = open();
    expect(await s.run("connect", () => s.connect(fd, addr(200, [127, 0, 0, 1]), 22))).toBe(E.ACCES);
    expect(dials).toEqual([]);
    expect(s.lastError).toMatch(/permission denied by network policy \(port 22 not allowed\)/);
    expect(await connect(fd)).toBe(E.SUCCESS);
    const fd2 = open();
    expect(await s.run("connect", () => s.connect(fd2, addr(200, [127, 0, 0, 1]), 6379))).toBe(E.ACCES);
    expect(s.lastError).toMatch(/more than 1 connections/);
    s.close(fd);
    expect(await connect(fd2)).toBe(E.SUCCESS);
  });

  it("sockets per guest are bounded (EMFILE), and closeAll closes every Conn", async () => {
    const { s, open, connect, conns } = setup({ maxSockets: 2 });
    const a = open();
    await connect(a);
    open();
    expect(s.run("sock_open", () => s.open(1, 2, 100))).toBe(E.MFILE);
    s.closeAll();
    expect(s.size).toBe(0);
    expect(conns[0].closed).toBe(true);
  });

  it("a name from getaddrinfo is what a later connect is checked and dialed by", async () => {
    const { s, view, bytes, addr, open, dials } = setup({ policy: { hosts: ["two.example"] } });
    const put = (at: number, text: string) => (bytes().set(new TextEncoder().encode(text + "\0"), at), text.length + 1);
    const nodeLen = put(100, "two.example");
    const servLen = put(150, "http");
    // hints at 200 (zeroed); three preallocated results at 1000, sockaddrs at 2000, data at 3000.
    for (let i = 0; i < 3; i++) {
      view().setUint32(1000 + 28 * i + 12, 2000 + 12 * i, true);
      view().setUint32(1000 + 28 * i + 24, i < 2 ? 1000 + 28 * (i + 1) : 0, true);
      view().setUint32(2000 + 12 * i + 4, 14, true);
      view().setUint32(2000 + 12 * i + 8, 3000 + 26 * i, true);
    }
    view().setUint32(300, 1000, true);
    expect(await s.run("gai", () => s.getaddrinfo(100, nodeLen, 150, servLen, 200, 300, 3, 400))).toBe(E.SUCCESS);
    expect(view().getUint32(400, true)).toBe(2); // the IPv6 one has no room in a 14-byte sa_data
    expect(view().getUint16(3000, false)).toBe(80);
    expect([...bytes().subarray(3002, 3006)]).toEqual([192, 0, 2, 1]);
    expect([...bytes().subarray(3028, 3032)]).toEqual([192, 0, 2, 2]);
    const fd = open();
    const r = s.run("connect", () => s.connect(fd, addr(500, [192, 0, 2, 2]), 80));
    expect(r).toBeInstanceOf(Promise);
    expect(dials).toEqual([["two.example", 80]]);
    // A name outside the policy is never looked up.
    const len = put(100, "other.example");
    expect(await s.run("gai", () => s.getaddrinfo(100, len, 150, servLen, 200, 300, 3, 400))).toBe(E.ACCES);
    // A result list that leaves memory: EFAULT, nothing written.
    put(100, "two.example");
    view().setUint32(1000 + 24, 2 ** 31, true);
    view().setUint32(400, 77, true);
    expect(await s.run("gai", () => s.getaddrinfo(100, nodeLen, 150, servLen, 200, 300, 3, 400))).toBe(E.FAULT);
    expect(view().getUint32(400, true)).toBe(77);
  });

  it("Go's service table, the same as runtime-wasm/src/net/port.rs", () => {
    const rs = readFileSync(new URL("../../runtime-wasm/src/net/port.rs", import.meta.url), "utf8");
    const table = (name: string) =>
      Object.fromEntries([...rs.split(`const ${name}`)[1].split("];")[0].matchAll(/\("([\w-]+)", (\d+)\)/g)].map((m) => [m[1], Number(m[2])]));
    expect(TCP_SERVICES).toEqual(table("TCP_SERVICES"));
    expect(UDP_SERVICES).toEqual(table("UDP_SERVICES"));
    expect(servicePort("HTTPS", "tcp")).toBe(443);
    expect(() => servicePort("65536", "tcp")).toThrow();
    expect(() => servicePort("gopher", "udp")).toThrow();
  });
});

it("without JSPI, blocking \"jspi\" says what is missing, and \"auto\" unwinds instead", async () => {
  const w = WebAssembly as unknown as { Suspending?: unknown };
  const saved = w.Suspending;
  w.Suspending = undefined;
  try {
    expect(() => new WasiNet({ blocking: "jspi" }).imports({})).toThrow(/JavaScript Promise Integration.*Chromium 137/);
    await expect(new WasiNet({ blocking: "jspi" }).start({ exports: { _start: () => {} } } as unknown as WebAssembly.Instance)).rejects.toThrow(
      /JavaScript Promise Integration.*wasm-opt --asyncify/,
    );
    expect(new WasiNet().blocking).toBe("asyncify");
    expect(() => new WasiNet().imports({})).not.toThrow();
  } finally {
    w.Suspending = saved;
  }
});
