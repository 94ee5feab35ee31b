// The WASI socket layer (js/wasi-sockets.ts, js/wasi-wasinet.ts,
// js/wasi-resolver.ts) against the exact call shapes of the seeds' guest
// libraries, and audit round 4's findings (F1-F8), with scripted tables: a
// guest memory, a Conn and a PacketConn the test drives. The libraries'
// real-guest twins run in Chromium (tests-js/page/wasi.test.ts, guests/go-seeds).
import * as dnsPacket from "@dnsquery/dns-packet";
import { describe, expect, it, vi } from "vitest";
import { E } from "../../js/wasi-abi.js";
import { WasiSockets, type SocketTables } from "../../js/wasi-sockets.js";
import { RAW_ADDRESS_SIZE, wasinetImports } from "../../js/wasi-wasinet.js";
import { answerQuery } from "../../js/wasi-resolver.js";
import { createGate, lookupDenial } from "../../js/policy.js";
import { createDns, DNS_DEFAULTS } from "../../js/dns.js";
import { wake } from "../../js/wake.js";
import { unicodeStrings } from "./unicode.js";
import type { NetError } from "../../js/errors.js";

interface Udp {
  queue: Array<[Uint8Array, string]>;
  tokens: number[];
  sent: Array<[string, number, Uint8Array]>;
  deadlines: Array<[number, number]>;
  deadline: number;
  closed: boolean;
  writeResult: () => number | Promise<number>;
}

function tables() {
  const conn = { queue: [] as number[], tokens: [] as number[], written: [] as Uint8Array[], open: () => {}, opened: Promise.resolve() };
  conn.opened = new Promise<void>((ok) => (conn.open = ok));
  const udps: Udp[] = [];
  const lookups: string[] = [];
  const t: SocketTables = {
    _netConnDialRelay: () => 0,
    _netConnOpened: () => conn.opened,
    _netConnRead(_h, dest) {
      if (conn.queue.length === 0) return -1;
      const n = Math.min(dest.length, conn.queue.length);
      dest.set(conn.queue.splice(0, n));
      return n;
    },
    _netConnReady: (_h, token) => void conn.tokens.push(token),
    _netConnWrite: (_h, data) => (conn.written.push(data.slice()), data.length),
    _netConnSetDeadline: () => {},
    _netConnForget: (_h, key) => void (conn.tokens = conn.tokens.filter((t) => t !== key)),
    _netConnClose: () => {},
    _netConnRelease: () => {},
    _netUdpListen() {
      udps.push({ queue: [], tokens: [], sent: [], deadlines: [], deadline: 0, closed: false, writeResult: () => -1 });
      return udps.length - 1;
    },
    _netUdpReadFrom(h, dest) {
      const u = udps[h];
      if (u.deadline && Date.now() >= u.deadline) throw { code: "timeout" } satisfies NetError;
      const d = u.queue.shift();
      if (!d) return -1;
      dest.set(d[0].subarray(0, dest.length));
      return [Math.min(dest.length, d[0].length), d[1]];
    },
    _netUdpReady(h, token) {
      const u = udps[h];
      u.tokens.push(token);
      if (u.deadline) setTimeout(() => u.tokens.splice(0).forEach(wake), Math.max(0, u.deadline - Date.now()));
    },
    _netUdpWriteTo(h, data, host, port) {
      udps[h].sent.push([host, port, data.slice()]);
      const r = udps[h].writeResult();
      return r === -1 ? data.length : r;
    },
    _netUdpSetDeadline: (h, which, at) => {
      udps[h].deadlines.push([which, at]);
      udps[h].deadline = at;
    },
    _netUdpForget: (h, key) => void (udps[h].tokens = udps[h].tokens.filter((t) => t !== key)),
    _netUdpClose: (h) => void (udps[h].closed = true),
    _netLookupIP: async (net, name) => {
      lookups.push(`${net} ${name}`);
      if (name === "dual.example") return net === "ip4" ? ["192.0.2.7"] : net === "ip6" ? ["2001:db8::7"] : ["192.0.2.7", "2001:db8::7"];
      if (name === "four.example" && net !== "ip6") return ["192.0.2.4"];
      throw { code: "dns", err: "no such host", name, server: "doh", is_not_found: true } satisfies NetError;
    },
  };
  const push = (h: number, data: Uint8Array, from: string) => {
    udps[h].queue.push([data, from]);
    udps[h].tokens.splice(0).forEach(wake);
  };
  return { t, conn, udps, lookups, push };
}

function setup(opts: ConstructorParameters<typeof WasiSockets>[2] = {}) {
  const memory = new WebAssembly.Memory({ initial: 2 });
  const tb = tables();
  const s = new WasiSockets(tb.t, () => memory, opts);
  const view = () => new DataView(memory.buffer);
  const bytes = () => new Uint8Array(memory.buffer);
  const w = wasinetImports(s, () => memory);
  /** wasinet's RawSocketAddress (Linux numbers: AF_INET 2, AF_INET6 10). */
  const raw = (at: number, ip: number[], port: number) => {
    const fam = ip.length === 4 ? 2 : 10;
    bytes().fill(0, at, at + RAW_ADDRESS_SIZE);
    view().setUint16(at, fam, true);
    view().setUint16(at + 4, fam, true);
    view().setUint32(at + 8, port, true);
    bytes().set(ip, at + 12);
    return at;
  };
  /** A Go ffi.Vector array at `at`: 16 bytes each, a 64-bit pointer, the length at 8. */
  const goIov = (at: number, ...bufs: Array<[number, number]>) => {
    bufs.forEach(([p, n], i) => {
      view().setBigUint64(at + 16 * i, BigInt(p), true);
      view().setUint32(at + 16 * i + 8, n, true);
      view().setUint32(at + 16 * i + 12, 0xdeadbeef, true); // padding: never read
    });
    return at;
  };
  /** A WASI iovec array: 8 bytes each. */
  const iov = (at: number, p: number, n: number) => (view().setUint32(at, p, true), view().setUint32(at + 4, n, true), at);
  const text = (at: number, n: number) => new TextDecoder().decode(bytes().subarray(at, at + n));
  const wasinetSocket = (type = 1) => {
    expect(w.sock_open(2, type, 0, 100)).toBe(E.SUCCESS);
    return view().getUint32(100, true);
  };
  return { s, w, memory, view, bytes, raw, goIov, iov, text, wasinetSocket, ...tb };
}

async function connected(t: ReturnType<typeof setup>) {
  const fd = t.wasinetSocket();
  expect(t.w.sock_connect(fd, t.raw(400, [127, 0, 0, 1], 6379), RAW_ADDRESS_SIZE)).toBe(E.INPROGRESS);
  t.conn.open();
  await t.conn.opened;
  await Promise.resolve();
  return fd;
}

describe("egdaemon/wasinet's call shapes", () => {
  it("sock_recv_from with 10 parameters (oob after the iovecs) and 16-byte Go iovecs; oflags written only on success", async () => {
    const t = setup();
    const fd = await connected(t);
    t.conn.queue.push(...new TextEncoder().encode("+PONG\r\n"));
    t.goIov(300, [1000, 4], [1100, 16]);
    t.view().setInt32(500, 0x7fff_ffff, true); // oflags, as Go left it
    t.view().setBigInt64(510, 0n, true); // n (a Go int)
    // (fd, iovs, iovs_len, oob, oob_len, addr, addr_len, flags, nread*, oflags*)
    expect(await t.w.sock_recv_from(fd, 300, 2, 0, 0, 600, RAW_ADDRESS_SIZE, 0, 510, 500)).toBe(E.SUCCESS);
    expect(t.view().getBigInt64(510, true)).toBe(7n);
    expect(t.text(1000, 4) + t.text(1100, 3)).toBe("+PONG\r\n");
    expect(t.view().getInt32(500, true)).toBe(0);
    expect(t.view().getUint32(608, true)).toBe(6379); // the peer's port in the address
    // Nothing there: EAGAIN, and oflags untouched (F8).
    t.view().setInt32(500, 0x55, true);
    expect(await t.w.sock_recv_from(fd, 300, 2, 0, 0, 600, RAW_ADDRESS_SIZE, 0, 510, 500)).toBe(E.AGAIN);
    expect(t.view().getInt32(500, true)).toBe(0x55);
    // A pointer's high half set is no pointer in a 32-bit memory: EFAULT, nothing taken.
    t.conn.queue.push(1, 2, 3);
    t.view().setUint32(304, 1, true);
    expect(await t.w.sock_recv_from(fd, 300, 2, 0, 0, 600, RAW_ADDRESS_SIZE, 0, 510, 500)).toBe(E.FAULT);
    expect(t.conn.queue.length).toBe(3);
  });

  it("the 8-parameter sock_recv_from of wasinet before 2c5f107", async () => {
    const t = setup();
    const fd = await connected(t);
    t.conn.queue.push(...new TextEncoder().encode("hi"));
    t.goIov(300, [1000, 8]);
    expect(await t.w.sock_recv_from(fd, 300, 1, 600, RAW_ADDRESS_SIZE, 0, 510, 500)).toBe(E.SUCCESS);
    expect(t.view().getUint32(510, true)).toBe(2);
    expect(t.text(1000, 2)).toBe("hi");
  });

  it("sock_send_to with 9 parameters (and 7): 16-byte iovecs; a send never returns EAGAIN, it waits for room", async () => {
    const t = setup();
    const fd = await connected(t);
    new Uint8Array(t.memory.buffer).set(new TextEncoder().encode("PING\r\n"), 1000);
    t.goIov(300, [1000, 4], [1004, 2]);
    // (fd, iovs, iovs_len, oob, oob_len, addr, addr_len, flags, nwritten*)
    expect(await t.w.sock_send_to(fd, 300, 2, 0, 0, t.raw(400, [127, 0, 0, 1], 6379), RAW_ADDRESS_SIZE, 0, 520)).toBe(E.SUCCESS);
    expect(t.view().getUint32(520, true)).toBe(6);
    expect(new TextDecoder().decode(t.conn.written[0])).toBe("PING\r\n");
    expect(await t.w.sock_send_to(fd, 300, 1, 400, RAW_ADDRESS_SIZE, 0, 524)).toBe(E.SUCCESS); // 7 parameters
    expect(t.view().getUint32(524, true)).toBe(4);
    // A Conn with no room: the send suspends until it is taken (no EAGAIN: wasinet's Write would fail on it).
    let release!: (n: number) => void;
    t.t._netConnWrite = (_h, data) => (t.conn.written.push(data.slice()), new Promise<number>((ok) => (release = ok)));
    expect(await t.w.sock_send_to(fd, 300, 1, 0, 0, 400, RAW_ADDRESS_SIZE, 0, 520)).toBe(E.SUCCESS);
    const second = t.w.sock_send_to(fd, 300, 1, 0, 0, 400, RAW_ADDRESS_SIZE, 0, 520);
    expect(second).toBeInstanceOf(Promise);
    let settled = false;
    void Promise.resolve(second).then(() => (settled = true));
    await new Promise((ok) => setTimeout(ok, 5));
    expect(settled).toBe(false);
    release(4);
    expect(await second).toBe(E.SUCCESS);
    expect(t.conn.written.length).toBe(4);
  });

  it("a Read that spins on EAGAIN with runtime.Gosched lets the page run, and still reads at once when the byte comes", async () => {
    const t = setup();
    const fd = await connected(t);
    t.goIov(300, [1000, 64]);
    const call = () => t.w.sock_recv_from(fd, 300, 1, 0, 0, 600, RAW_ADDRESS_SIZE, 0, 510, 500);
    // The byte arrives from a page task (as a WebSocket message would): a
    // loop that never let the event loop run would never see it.
    let timerRan = false;
    setTimeout(() => {
      timerRan = true;
      t.conn.queue.push(42);
      t.conn.tokens.splice(0).forEach(wake);
    }, 0);
    // wasinet's loop: retry at once on EAGAIN, never polling (bounded here, not timed).
    let tries = 0;
    let r: number;
    do {
      tries++;
      r = await call();
    } while (r === E.AGAIN && tries < 10_000);
    expect(timerRan).toBe(true);
    expect(r).toBe(E.SUCCESS);
    expect(t.bytes()[1000]).toBe(42);
    expect(tries).toBeGreaterThan(1);
    expect(tries).toBeLessThan(10_000);
  });
});

describe("dispatchrun/net's call shapes", () => {
  it("sock_getsockopt's length by value (wasi-go) and by pointer (WasmEdge), with no configuration", async () => {
    const t = setup();
    expect(t.s.open(1, 2, 100)).toBe(E.SUCCESS);
    const fd = t.view().getUint32(100, true);
    expect(t.s.fdstatSetFlags(fd, 4)).toBe(E.SUCCESS);
    t.view().setUint32(200, 80, false);
    t.view().setUint32(200, 208, true);
    t.view().setUint32(204, 4, true);
    t.bytes().set([127, 0, 0, 1], 208);
    expect(t.s.run("connect", () => t.s.connect(fd, 200, 6379))).toBe(E.INPROGRESS);
    t.conn.open();
    await t.conn.opened;
    await Promise.resolve();
    t.view().setInt32(2000, -1, true);
    // dispatchrun/net: sock_getsockopt(fd, SOL_SOCKET, SO_ERROR, &n, 4)
    expect(t.s.run("getsockopt", () => t.s.getsockopt(fd, 0, 2, 2000, 4))).toBe(E.SUCCESS);
    expect(t.view().getInt32(2000, true)).toBe(0);
    // wasmedge_wasi_socket: the length's address, read and written back.
    t.view().setUint32(3000, 4, true);
    expect(t.s.run("getsockopt", () => t.s.getsockopt(fd, 0, 1, 2000, 3000))).toBe(E.SUCCESS); // SO_TYPE
    expect([t.view().getInt32(2000, true), t.view().getUint32(3000, true)]).toEqual([2, 4]);
    // By value too short for an int: EINVAL, as before.
    expect(t.s.run("getsockopt", () => t.s.getsockopt(fd, 0, 2, 2000, 2))).toBe(E.INVAL);
  });
});

/** A DNS query as Go's resolver sends it (EDNS(0) with 1232, RD set). */
const query = (name: string, type: "A" | "AAAA" | "MX", id = 0x4242) =>
  dnsPacket.encode({
    type: "query",
    id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ type, name, class: "IN" }],
    additionals: [{ type: "OPT", name: ".", udpPayloadSize: 1232, data: [] } as unknown as dnsPacket.Answer],
  });

describe("Go's own resolver: DNS sent to the resolv.conf nameservers is answered over DoH under the policy", () => {
  it("a UDP query to 127.0.0.1:53 through wasinet's socket calls gets its answer as a datagram from there", async () => {
    const t = setup({ policy: { hosts: ["dual.example"] } });
    const fd = t.wasinetSocket(2);
    t.raw(400, [127, 0, 0, 1], 53);
    expect(t.w.sock_connect(fd, 400, RAW_ADDRESS_SIZE)).toBe(E.SUCCESS); // no policy check for the resolver itself
    const q = query("dual.example", "AAAA");
    t.bytes().set(q, 1000);
    t.goIov(300, [1000, q.length]);
    expect(await t.w.sock_send_to(fd, 300, 1, 0, 0, 400, RAW_ADDRESS_SIZE, 0, 520)).toBe(E.SUCCESS);
    expect(t.view().getUint32(520, true)).toBe(q.length);
    expect(t.udps.every((u) => u.sent.length === 0)).toBe(true); // nothing went to the relay
    t.goIov(300, [4000, 1232]);
    let r: number;
    do r = await t.w.sock_recv_from(fd, 300, 1, 0, 0, 600, RAW_ADDRESS_SIZE, 0, 510, 500);
    while (r === E.AGAIN);
    expect(r).toBe(E.SUCCESS);
    const answer = dnsPacket.decode(t.bytes().slice(4000, 4000 + t.view().getUint32(510, true)));
    expect(answer.id).toBe(0x4242);
    expect(answer.rcode).toBe("NOERROR");
    expect(answer.questions![0].name).toBe("dual.example");
    expect(answer.answers!.map((a) => a.data)).toEqual(["2001:db8::7"]);
    expect([...t.bytes().subarray(612, 616)]).toEqual([127, 0, 0, 1]); // from the resolver's address
    expect(t.view().getUint32(608, true)).toBe(53);
    expect(t.lookups).toEqual(["ip6 dual.example"]);
  });

  it("a name with IPv4 addresses only answers AAAA with no records (NOERROR), never NXDOMAIN; a name with none is NXDOMAIN", async () => {
    const t = setup();
    expect(t.s.open(1, 1, 100)).toBe(E.SUCCESS);
    const fd = t.view().getUint32(100, true);
    t.view().setUint32(200, 208, true);
    t.view().setUint32(204, 4, true);
    t.bytes().set([127, 0, 0, 1], 208);
    const ask = async (name: string, type: "A" | "AAAA") => {
      const q = query(name, type);
      t.bytes().set(q, 1000);
      t.iov(300, 1000, q.length);
      expect(await t.s.run("sendTo", () => t.s.sendTo(fd, 300, 1, 200, 53, 400))).toBe(E.SUCCESS);
      t.iov(300, 4000, 1232);
      let r: number;
      do r = await t.s.run("recvFrom", () => t.s.recvFrom(fd, 300, 1, 0, undefined, undefined, 400));
      while (r === E.AGAIN);
      return dnsPacket.decode(t.bytes().slice(4000, 4000 + t.view().getUint32(400, true)));
    };
    const aaaa = await ask("four.example", "AAAA");
    expect([aaaa.rcode, aaaa.answers!.length]).toEqual(["NOERROR", 0]);
    const a = await ask("four.example", "A");
    expect(a.answers!.map((x) => x.data)).toEqual(["192.0.2.4"]);
    expect((await ask("none.example", "A")).rcode).toBe("NXDOMAIN");
    expect(t.s.lastError).toMatch(/resolver query for none\.example A: no such host/);
  });

  it("DNS over TCP to the resolver (RFC 7766 lengths): queries split across sends or two in one, answered in turn; nothing dialled, nothing counted", async () => {
    const t = setup({ policy: { hosts: ["dual.example"], maxConnections: 0 } });
    expect(t.s.open(1, 2, 100)).toBe(E.SUCCESS); // AF_INET4, SOCK_STREAM
    const fd = t.view().getUint32(100, true);
    t.view().setUint32(200, 208, true);
    t.view().setUint32(204, 4, true);
    t.bytes().set([127, 0, 0, 1], 208);
    expect(t.s.run("connect", () => t.s.connect(fd, 200, 53))).toBe(E.SUCCESS);
    const framed = (q: Uint8Array) => Uint8Array.of(q.length >> 8, q.length & 255, ...q);
    const a = framed(query("dual.example", "A", 1));
    const aaaa = framed(query("dual.example", "AAAA", 2));
    const send = (bytes: Uint8Array) => {
      t.bytes().set(bytes, 1000);
      t.iov(300, 1000, bytes.length);
      return t.s.run("send", () => t.s.send(fd, 300, 1, 400));
    };
    expect(send(a.subarray(0, 5))).toBe(E.SUCCESS); // half a query: nothing yet
    expect(send(Uint8Array.of(...a.subarray(5), ...aaaa))).toBe(E.SUCCESS);
    // Reads until `n` whole answers are there (each with its 2-byte length).
    const frames = async (n: number) => {
      const got: number[] = [];
      const out: dnsPacket.Packet[] = [];
      t.iov(300, 4000, 4096);
      while (out.length < n) {
        expect(await t.s.run("recv", () => t.s.recv(fd, 300, 1, 0, 500))).toBe(E.SUCCESS);
        got.push(...t.bytes().subarray(4000, 4000 + t.view().getUint32(500, true)));
        while (got.length >= 2 && got.length >= 2 + ((got[0] << 8) | got[1])) {
          const len = (got[0] << 8) | got[1];
          out.push(dnsPacket.decode(Uint8Array.from(got.splice(0, 2 + len).slice(2))));
        }
      }
      return out.sort((x, y) => x.id! - y.id!);
    };
    const [m1, m2] = await frames(2);
    expect([m1.id, m1.answers!.map((x) => x.data)]).toEqual([1, ["192.0.2.7"]]);
    expect([m2.id, m2.answers!.map((x) => x.data)]).toEqual([2, ["2001:db8::7"]]);
    expect(t.udps.length).toBe(0); // no relay, no PacketConn
    // SO_RCVTIMEO on the stream: no query, no answer: EAGAIN, and the stream still works.
    t.view().setBigInt64(600, 0n, true);
    t.view().setBigInt64(608, 20_000n, true);
    expect(t.s.setsockopt(fd, 0, 11, 600, 16)).toBe(E.SUCCESS);
    expect(await t.s.run("recv", () => t.s.recv(fd, 300, 1, 0, 500))).toBe(E.AGAIN);
    expect(send(framed(query("dual.example", "A", 3)))).toBe(E.SUCCESS);
    expect((await frames(1))[0].id).toBe(3);
  });

  it("a name the policy denies is REFUSED and never looked up; a name that is no DNS name is never sent (F1)", async () => {
    const t = setup({ policy: { hosts: ["allowed.example"] } });
    const look = (name: string) => t.s.lookup(name, "ip4") as Promise<unknown>;
    const answer = async (name: string) =>
      dnsPacket.decode((await answerQuery(query(name, "A"), async (n) => (await look(n)) as never))!).rcode;
    expect(await answer("evil.example")).toBe("REFUSED");
    expect(await answer("allowed.example#.secret.evil.example")).toBe("NXDOMAIN");
    expect(await answer("nothere.allowed.example")).toBe("REFUSED");
    expect(t.lookups).toEqual([]);
    expect(() => t.s.lookup("allowed.example#.secret.evil.example", "ip")).toThrow();
    expect(() => t.s.lookup("allowed.example?.x.evil.example", "ip")).toThrow();
    expect(t.lookups).toEqual([]);
  });

  it("other query types are NOTIMP; garbage is FORMERR or dropped; an answer fits the datagram the query allows", async () => {
    const none = async () => [];
    expect(dnsPacket.decode((await answerQuery(query("a.example", "MX"), none))!).rcode).toBe("NOTIMP");
    expect(dnsPacket.decode((await answerQuery(new Uint8Array(12).fill(0xff), none))!).rcode).toBe("FORMERR");
    expect(await answerQuery(new Uint8Array(5), none)).toBeUndefined();
    const many = async () => Array.from({ length: 64 }, (_, i) => ({ family: 1 as const, ip: Uint8Array.of(10, 0, 0, i), port: 0 }));
    const long = `${"a".repeat(60)}.${"b".repeat(60)}.${"c".repeat(60)}.example`;
    const out = (await answerQuery(query(long, "A"), many))!;
    expect(out.length).toBeLessThanOrEqual(1232);
    const plain = dnsPacket.encode({ type: "query", id: 1, flags: 0, questions: [{ type: "A", name: long, class: "IN" }] });
    const small = (await answerQuery(plain, many))!;
    expect(small.length).toBeLessThanOrEqual(512);
    expect(dnsPacket.decode(small).answers!.length).toBeGreaterThan(0);
  });
});

describe("the guest's monotonic clock (Firefox's performance.now() moves in 1 ms steps)", () => {
  it("never returns the same instant twice, and never reads before a clock event poll_oneoff reported", async () => {
    const t = setup();
    const real = performance.now.bind(performance);
    let lag = 0;
    const spy = vi.spyOn(performance, "now").mockImplementation(() => Math.floor(real()) - lag);
    try {
      const reads: bigint[] = [];
      for (let i = 0; i < 5; i++) {
        expect(t.s.clockTimeGet(900)).toBe(E.SUCCESS);
        reads.push(t.view().getBigUint64(900, true));
      }
      for (let i = 1; i < reads.length; i++) expect(reads[i]).toBeGreaterThan(reads[i - 1]);
      // poll_oneoff: one monotonic clock, 2 ms from now.
      const t0 = t.s.monotonic();
      t.view().setBigUint64(2000, 7n, true);
      t.view().setUint8(2008, 0);
      t.view().setUint32(2016, 1, true);
      t.view().setBigUint64(2024, 2_000_000n, true);
      t.view().setUint16(2040, 0, true);
      expect(await t.s.run("poll", () => t.s.poll(2000, 3000, 1, 3500, () => 0n))).toBe(E.SUCCESS);
      expect(t.view().getBigUint64(3000, true)).toBe(7n);
      lag = 5; // a clock that reads behind the timer that fired
      expect(t.s.clockTimeGet(900)).toBe(E.SUCCESS);
      expect(t.view().getBigUint64(900, true)).toBeGreaterThanOrEqual(t0 + 2_000_000n);
    } finally {
      spy.mockRestore();
    }
  });
});

describe("the host's resolver on arbitrary input", () => {
  it("any bytes as a query: never a throw, and an answer (if any) carries the query's ID", async () => {
    let x = 0x2545f491;
    const next = () => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 0);
    const valid = query("dual.example", "A", 0x1234);
    for (let i = 0; i < 3000; i++) {
      // Half random bytes, half a real query with bytes flipped.
      const q = i % 2 ? Uint8Array.from({ length: next() % 80 }, () => next() & 255) : valid.map((b) => (next() % 16 === 0 ? next() & 255 : b));
      const out = await answerQuery(q, async () => [{ family: 1, ip: Uint8Array.of(192, 0, 2, 7), port: 0 }]);
      if (q.length < 12) expect(out).toBeUndefined();
      else expect(out && (out[0] << 8) | out[1]).toBe((q[0] << 8) | q[1]);
    }
  });

  it("a question name of any Unicode is answered without a throw, and only a DNS name is ever looked up", async () => {
    const t = setup();
    const asked: string[] = [];
    for (const name of unicodeStrings(2000)) {
      let q: Uint8Array;
      try {
        q = query(name, "A");
      } catch {
        continue; // not encodable as a DNS name at all
      }
      const out = await answerQuery(q, async (n) => (asked.push(n), (await t.s.lookup(n, "ip4")) as never));
      expect(out).toBeInstanceOf(Uint8Array);
    }
    const { isDomainName } = await import("../../js/policy.js");
    expect(t.lookups.every((l) => isDomainName(l.split(" ")[1]))).toBe(true);
    expect(asked.length).toBeGreaterThan(100);
  });

  it("DNS over TCP: a guest that sends queries and never reads holds at most a bounded backlog, then gets EAGAIN", async () => {
    const t = setup();
    expect(t.s.open(1, 2, 100)).toBe(E.SUCCESS);
    const fd = t.view().getUint32(100, true);
    t.s.fdstatSetFlags(fd, 4);
    t.view().setUint32(200, 208, true);
    t.view().setUint32(204, 4, true);
    t.bytes().set([127, 0, 0, 1], 208);
    expect(t.s.run("connect", () => t.s.connect(fd, 200, 53))).toBe(E.SUCCESS);
    const q = query("dual.example", "A");
    const many = new Uint8Array(12_000 * (q.length + 2));
    for (let i = 0; i < 12_000; i++) many.set([q.length >> 8, q.length & 255, ...q], i * (q.length + 2));
    let again = 0;
    for (let off = 0; off < many.length && again === 0; off += 8192) {
      const chunk = many.subarray(off, off + 8192);
      t.bytes().set(chunk, 10_000);
      t.iov(300, 10_000, chunk.length);
      const r = await t.s.run("send", () => t.s.send(fd, 300, 1, 400));
      if (r === E.AGAIN) again++;
      await new Promise((ok) => setTimeout(ok, 0)); // answers arrive, nobody reads them
    }
    expect(again).toBe(1);
    expect(t.lookups.length).toBeLessThan(12_000);
  });
});

describe("audit round 4", () => {
  it("F1: the policy never reads a different name than the query carries", () => {
    const p = { hosts: ["allowed.example"] };
    expect(lookupDenial(p, "allowed.example")).toBe("");
    expect(lookupDenial(p, "Allowed.Example.")).toBe("");
    for (const evil of ["allowed.example#.x.evil.example", "allowed.example?.x.evil", "allowed.example/.evil", "allowed.example:80", "user@allowed.example", "allowed.example\t"])
      expect(lookupDenial(p, evil), evil).not.toBe("");
  });

  it("F1: DoH never queries a name that is not a DNS name, whoever asks", async () => {
    const fetched: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (u: string) => (fetched.push(String(u)), new Response(null, { status: 500 }))) as typeof fetch;
    try {
      const dns = createDns(() => ({ ...DNS_DEFAULTS, servers: ["https://doh.test/dns-query"] }), createGate(() => ({ hosts: ["allowed.example"] }), () => 0));
      await expect(dns.lookupIP("allowed.example#.x.evil.example", "ip4")).rejects.toMatchObject({ code: "dns", is_not_found: true });
      expect(fetched).toEqual([]);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it("F2: nonblocking UDP sends the relay cannot take yet: one waits, the next is EAGAIN (nothing queues without bound)", async () => {
    const t = setup();
    expect(t.s.open(1, 1, 100)).toBe(E.SUCCESS); // AF_INET4, SOCK_DGRAM
    const fd = t.view().getUint32(100, true);
    t.s.fdstatSetFlags(fd, 4);
    t.view().setUint32(200, 208, true);
    t.view().setUint32(204, 4, true);
    t.bytes().set([192, 0, 2, 9], 208);
    t.iov(300, 1000, 100);
    let release!: (n: number) => void;
    t.s.run("x", () => t.s.sendTo(fd, 300, 1, 200, 9999, 400)); // opens the PacketConn
    t.udps[0].writeResult = () => new Promise<number>((ok) => (release = ok));
    expect(t.s.run("sendTo", () => t.s.sendTo(fd, 300, 1, 200, 9999, 400))).toBe(E.SUCCESS);
    for (let i = 0; i < 1000; i++) expect(await t.s.run("sendTo", () => t.s.sendTo(fd, 300, 1, 200, 9999, 400))).toBe(E.AGAIN);
    expect(t.udps[0].sent.length).toBe(2);
    release(100);
    await new Promise((ok) => setTimeout(ok, 0));
    t.udps[0].writeResult = () => -1;
    expect(t.s.run("sendTo", () => t.s.sendTo(fd, 300, 1, 200, 9999, 400))).toBe(E.SUCCESS);
  });

  it("F3: maxConnections counts each relay stream a UDP socket opens, and a socket's own destination again costs nothing", () => {
    const t = setup({ policy: { maxConnections: 2 } });
    expect(t.s.open(1, 1, 100)).toBe(E.SUCCESS);
    const fd = t.view().getUint32(100, true);
    t.iov(300, 1000, 10);
    const to = (ip: number[]) => {
      t.view().setUint32(200, 208, true);
      t.view().setUint32(204, 4, true);
      t.bytes().set(ip, 208);
      return t.s.run("sendTo", () => t.s.sendTo(fd, 300, 1, 200, 9999, 400));
    };
    for (let i = 0; i < 5; i++) expect(to([192, 0, 2, 1])).toBe(E.SUCCESS);
    expect(to([192, 0, 2, 2])).toBe(E.SUCCESS);
    expect(to([192, 0, 2, 3])).toBe(E.ACCES);
    expect(t.s.lastError).toMatch(/more than 2 connections/);
    expect(to([192, 0, 2, 1])).toBe(E.SUCCESS);
  });

  it("F4: a blocking recv_from that times out ends its wait: the next datagram is the next call's", async () => {
    const t = setup();
    expect(t.s.open(1, 1, 100)).toBe(E.SUCCESS);
    const fd = t.view().getUint32(100, true);
    t.view().setBigInt64(500, 0n, true);
    t.view().setBigInt64(508, 20_000n, true); // 20 ms
    expect(t.s.setsockopt(fd, 0, 11, 500, 16)).toBe(E.SUCCESS);
    t.iov(300, 1000, 100);
    t.view().setUint32(200, 208, true);
    t.view().setUint32(204, 16, true);
    for (let i = 0; i < 3; i++) expect(await t.s.run("recvFrom", () => t.s.recvFrom(fd, 300, 1, 0, 200, 220, 400))).toBe(E.AGAIN);
    expect(t.udps[0].tokens.length).toBe(0); // no wait left behind
    expect(t.udps[0].deadlines.at(-1)).toEqual([1, 0]);
    t.view().setUint32(400, 0xffff, true);
    t.push(0, Uint8Array.of(7, 7, 7), "192.0.2.1:53");
    await new Promise((ok) => setTimeout(ok, 30));
    expect(t.view().getUint32(400, true)).toBe(0xffff); // no timed-out call wrote into it
    expect(await t.s.run("recvFrom", () => t.s.recvFrom(fd, 300, 1, 0, 200, 220, 400))).toBe(E.SUCCESS);
    expect(t.view().getUint32(400, true)).toBe(3);
  });

  it("F6: getaddrinfo names and services past their bounds are EINVAL, and what is kept about a failure is bounded", () => {
    const t = setup();
    const big = 100_000;
    t.bytes().fill(0x61, 10_000, 10_000 + big);
    expect(t.s.run("gai", () => t.s.getaddrinfo(10_000, 5, 10_000, big, 500, 600, 1, 700))).toBe(E.INVAL);
    expect(t.s.run("gai", () => t.s.getaddrinfo(10_000, 2 ** 31, 10_000, 5, 500, 600, 1, 700))).toBe(E.INVAL);
    expect(t.s.run("gai", () => t.s.getaddrinfo(10_000, 5, 10_000, 900, 500, 600, 1, 700))).toBe(E.INVAL); // unknown service
    expect(Math.max(...t.s.errors.map((e) => e.length))).toBeLessThan(400);
  });

  it("F7: a readiness check reads ahead into one buffer, allocating none per check", () => {
    const t = setup();
    expect(t.s.open(1, 1, 100)).toBe(E.SUCCESS);
    const fd = t.view().getUint32(100, true);
    const seen = new Set<Uint8Array>();
    const read = t.t._netUdpReadFrom;
    t.t._netUdpReadFrom = (h, dest) => (seen.add(dest), read(h, dest));
    t.iov(300, 1000, 10);
    t.view().setUint32(200, 208, true);
    t.view().setUint32(204, 4, true);
    t.s.fdstatSetFlags(fd, 4);
    for (let i = 0; i < 50; i++) t.s.run("recvFrom", () => t.s.recvFrom(fd, 300, 1, 0, 200, undefined, 400));
    expect(seen.size).toBe(1);
  });

  it("F8: recv_from on a stream socket checks the address buffer before it takes any byte", async () => {
    const t = setup();
    const fd = await connected(t);
    t.conn.queue.push(1, 2, 3);
    t.goIov(300, [1000, 8]);
    const end = t.memory.buffer.byteLength;
    expect(await t.w.sock_recv_from(fd, 300, 1, 0, 0, end - 20, RAW_ADDRESS_SIZE, 0, 510, 500)).toBe(E.FAULT);
    expect(t.conn.queue.length).toBe(3);
  });
});
