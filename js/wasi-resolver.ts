// The DNS server a wasip1 guest's own resolver reaches. Go's resolver (and
// any libc's) sends UDP queries to the nameservers of /etc/resolv.conf, by
// default 127.0.0.1:53 and [::1]:53; egdaemon/wasinet and dispatchrun/net
// route those datagrams through their own socket calls. In a page nothing
// listens there, so the socket layer (js/wasi-sockets.ts) hands a datagram
// sent to a resolver address to `answerQuery` instead of the relay, and the
// answer comes back as a datagram from that address.
//
// Each question is answered through the same lookup as sock_getaddrinfo:
// DoH under the guest's policy and the page's (only a valid DNS name is
// ever checked or sent), so a resolver is not a way around either. A and
// AAAA are answered; other types get NOTIMP. The answer carries at most
// MAX_RECORDS addresses, fewer when that is what fits the datagram size the
// query allows (512 bytes, or its EDNS(0) size up to 1232), so it is never
// truncated and needs no TCP fallback; TTLs are 0 (the DoH cache is the page's).
import * as dnsPacket from "@dnsquery/dns-packet";
import type { NetError } from "./errors.js";
import { AF_INET4, AF_INET6, ipText, parseIp, type SockAddr } from "./wasi-abi.js";

/** Go's nameservers when /etc/resolv.conf is missing (net/dnsconfig_unix.go defaultNS). */
export const RESOLVER_DEFAULTS = ["127.0.0.1:53", "[::1]:53"];

/** Addresses per answer at most. */
const MAX_RECORDS = 8;

const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** `host:port` (IPv6 bracketed) as the socket layer's key `ip|port`; throws a TypeError for anything else. */
export function resolverKey(hostPort: string): string {
  const m = /^\[?([^\]]*)\]?:(\d{1,5})$/.exec(hostPort);
  const a = m ? parseIp(m[1]) : undefined;
  const port = m ? Number(m[2]) : 0;
  if (!a || port < 1 || port > 65535) throw new TypeError(`resolvers: ${JSON.stringify(hostPort)} is not an IP address and port`);
  return `${ipText(a)}|${port}`;
}

type Lookup = (name: string, type: "A" | "AAAA") => Promise<SockAddr[]>;

/**
 * The response to one query, or undefined when `query` is not a DNS query
 * at all (too short to carry an ID: dropped, as a server would).
 */
export async function answerQuery(query: Uint8Array, lookup: Lookup): Promise<Uint8Array | undefined> {
  if (query.length < 12) return undefined;
  const id = (query[0] << 8) | query[1];
  const rd = query[2] & 1;
  let q: dnsPacket.Packet;
  try {
    q = dnsPacket.decode(query);
  } catch {
    return reply(id, rd, RCODE.FORMERR, [], []);
  }
  if (q.type !== "query" || (q.questions?.length ?? 0) !== 1 || q.opcode !== "QUERY") return reply(id, rd, RCODE.FORMERR, [], []);
  const question = q.questions![0];
  if (question.class !== "IN" || (question.type !== "A" && question.type !== "AAAA")) return reply(id, rd, RCODE.NOTIMP, [question], []);
  const type = question.type;
  try {
    const addrs = (await lookup(question.name, type)).filter((a) => a.family === (type === "A" ? AF_INET4 : AF_INET6));
    const answers = addrs.slice(0, MAX_RECORDS).map((a): dnsPacket.Answer => ({ name: question.name, type, class: "IN", ttl: 0, data: ipText(a) }));
    const opt = q.additionals?.find((r) => r.type === "OPT") as { udpPayloadSize?: number } | undefined;
    const room = Math.min(Math.max(opt?.udpPayloadSize ?? 512, 512), 1232);
    for (;;) {
      const out = reply(id, rd, RCODE.NOERROR, [question], answers);
      if (out.length <= room || answers.length === 0) return out;
      answers.pop();
    }
  } catch (e) {
    const err = e as NetError & { is_not_found?: boolean };
    const rcode = err?.code === "denied" ? RCODE.REFUSED : err?.code === "dns" && err.is_not_found ? RCODE.NXDOMAIN : RCODE.SERVFAIL;
    return reply(id, rd, rcode, [question], []);
  }
}

function reply(id: number, rd: number, rcode: number, questions: dnsPacket.Question[], answers: dnsPacket.Answer[]): Uint8Array {
  return dnsPacket.encode({
    type: "response",
    id,
    flags: (rd ? dnsPacket.RECURSION_DESIRED : 0) | dnsPacket.RECURSION_AVAILABLE | rcode,
    questions,
    answers,
  });
}
