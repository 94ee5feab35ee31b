// The relay's own ceiling: the raw Wisp echo the benchmark page runs
// (bench/www/raw-wisp.ts, bundled by build-bench.sh), here from Node with
// the `ws` package, in its own process so it does not share an event loop
// with the relay. Prints MiB/s.
//   node bench/relay-ceiling.mjs RELAY_URL TCP_ECHO_ADDR MIB
import WebSocket from "ws";
import { rawWispEcho } from "./www/raw-wisp.mjs";

const [url, dest, mib] = process.argv.slice(2);
const total = Number(mib) * (1 << 20);
const open = (u, protocols) => new WebSocket(u, protocols);
await rawWispEcho(open, url, dest, 1 << 20, 64 * 1024); // warm-up
const ms = await rawWispEcho(open, url, dest, total, 64 * 1024);
console.log((total / (1 << 20) / (ms / 1000)).toFixed(1));
