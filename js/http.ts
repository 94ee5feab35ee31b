// The fetch-backed HTTP client behind Rust's `http::Client` (Go's net/http
// client side). Every request lives here under an integer handle, never
// reused, from start until Rust releases it (body closed or dropped).
//
// - The request: method, URL, headers as [name, value] pairs, and a body
//   given whole (bytes) or streamed from Rust in chunks. A streamed body is
//   sent as a ReadableStream with `duplex: "half"` where that can work
//   (https: URLs, since browsers stream uploads only over HTTP/2 or later,
//   and a browser that implements it); otherwise it is collected and sent
//   whole, up to `maxBufferedUploadBytes`.
// - Go's special headers `js.fetch:mode`, `js.fetch:credentials` and
//   `js.fetch:redirect` become fetch options and are not sent. Credentials
//   are the host's to grant (policy.credentials, default "omit").
// - Redirects: while the policy restricts destinations, fetch runs with
//   redirect "manual" and a redirect fails the request: the browser hides
//   where it leads, so no hop could be checked (docs/security.md). A header the
//   browser would silently drop (Cookie, Host, Content-Length, Sec-*, ...)
//   fails the request instead of being lost.
// - The response body is read chunk by chunk from fetch's ReadableStream,
//   never whole, with the protocol of js/ws.ts: `_netHttpRead(h, dest)`
//   copies what is queued into dest and returns the count, or -1 when
//   nothing is (then `_netHttpReady(h, token)` wakes the token, js/wake.ts,
//   once a read would not wait); the end is a thrown `{code: "eof"}`, a
//   stale handle a thrown `{code: "closed"}`, `_netHttpForget(h, key)` drops
//   a waiter (a Ready token, a Promise a call returned), `_netHttpRelease`
//   frees the handle. `_netHttpCancel` is Go's context cancellation.
// - One deadline per request (Client.Timeout or a context deadline, the
//   earlier), timer-driven, covering the headers and the body; and an abort
//   (context cancellation). Both go through an AbortController, and each
//   gives Go's message for the phase it hits.
// - A fetch that fails says why: mixed content is known from the URLs; for a
//   bare "Failed to fetch" a no-cors HEAD probe tells a server that answered
//   (so CORS blocked the response) from one that could not be reached.
import { CLOSED, EOF, isNetError, other, type NetError } from "./errors.js";
import { compileHosts, credentialsFor, DENIED, destinationHost, hostMatches, OPEN_GATE, type Gate } from "./policy.js";
import { HandleTable } from "./table.js";
import { MAX_TIMER_MS, waiter, type Waiter } from "./waiting.js";
import { checkToken, wakeAll } from "./wake.js";

export interface HttpOptions {
  /** "auto": stream request bodies where the browser can; "never": always buffer. */
  streamUploads: "auto" | "never";
  /** Largest request body collected when it cannot be streamed. */
  maxBufferedUploadBytes: number;
  /** Probe a failed fetch to tell CORS from an unreachable server. */
  probeFailures: boolean;
  probeTimeoutMs: number;
  /** Largest body a whole-body read (Vo's nativeHttpsRequest) may hold. */
  maxResponseBytes: number;
  /**
   * Hosts whose requests the crate sends itself through the relay instead
   * of fetch (policy-style patterns: "api.example.com", "*.example.com",
   * "*"): HTTP/1.1 with TLS inside the page, so a host that sends no CORS
   * headers answers. Needs the TLS build (`go-net-wasm/tls`) and a relay;
   * the policy still decides every destination, each redirect hop too.
   * Default: none (everything through fetch).
   */
  relayHosts: string[];
  /** CA certificates (PEM) trusted for TLS through the relay, besides webpki-roots (Mozilla's). */
  tlsRoots: string[];
}

/** Checks the relay routing options; throws a TypeError saying what is wrong. */
export function validateHttp(o: Partial<HttpOptions>): void {
  if (o.relayHosts !== undefined) {
    if (!Array.isArray(o.relayHosts)) throw new TypeError("http.relayHosts: an array of host patterns");
    compileHosts(o.relayHosts);
  }
  if (o.tlsRoots !== undefined) {
    if (!Array.isArray(o.tlsRoots) || o.tlsRoots.some((p) => typeof p !== "string" || !p.includes("-----BEGIN CERTIFICATE-----")))
      throw new TypeError("http.tlsRoots: an array of PEM certificates (-----BEGIN CERTIFICATE-----)");
  }
}

/** What `_netHttpRoute` answers for a URL that goes through the relay. */
export interface HttpRoute {
  roots: string[];
  maxResponseBytes: number;
}

export const HTTP_DEFAULTS: HttpOptions = {
  streamUploads: "auto",
  maxBufferedUploadBytes: 256 << 20,
  probeFailures: true,
  probeTimeoutMs: 3000,
  maxResponseBytes: 256 << 20,
  relayHosts: [],
  tlsRoots: [],
};

/** What Rust sends to start a request. */
export interface HttpRequestSpec {
  method: string;
  url: string;
  headers: [string, string][];
  /** "none", "bytes" (given to start), or "stream" (uploadWrite/uploadClose). */
  body: "none" | "bytes" | "stream";
  /** Epoch ms; 0 = none. */
  deadline: number;
  /** Which deadline that is, for Go's message: "client" (Client.Timeout) or "context". */
  deadlineKind: "client" | "context";
  /** The body will be read whole: HttpOptions.maxResponseBytes applies. */
  whole?: boolean;
}

export interface HttpResponseHead {
  status: number;
  statusText: string;
  /** The final URL, after redirects. */
  url: string;
  redirected: boolean;
  /** "basic", "cors", "opaqueredirect", ... */
  type: string;
  headers: [string, string][];
}


/** Fetch's forbidden request headers: a browser drops them without a word. */
const FORBIDDEN = new Set([
  "accept-charset", "accept-encoding", "access-control-request-headers", "access-control-request-method",
  "connection", "content-length", "cookie", "cookie2", "date", "dnt", "expect", "host", "keep-alive",
  "origin", "referer", "set-cookie", "te", "trailer", "transfer-encoding", "upgrade", "via",
]);
const forbidden = (name: string) => {
  const n = name.toLowerCase();
  return FORBIDDEN.has(n) || n.startsWith("proxy-") || n.startsWith("sec-");
};

const JS_FETCH = { mode: "js.fetch:mode", credentials: "js.fetch:credentials", redirect: "js.fetch:redirect" };

const describe = (e: NetError) => ("message" in e ? e.message : e.code);
const CANCELED: NetError = { code: "context_canceled" };

/** Whether this browser can send a ReadableStream request body (the
 *  feature test from the fetch-streaming explainer), asked once. */
let streamUploadsSupported: boolean | undefined;
function canStreamUploads(): boolean {
  return (streamUploadsSupported ??= probeStreamUploads());
}
function probeStreamUploads(): boolean {
  try {
    let duplexAccessed = false;
    const hasContentType = new Request("http://localhost/", {
      body: new ReadableStream(),
      method: "POST",
      get duplex() {
        duplexAccessed = true;
        return "half";
      },
    } as RequestInit).headers.has("Content-Type");
    return duplexAccessed && !hasContentType;
  } catch {
    return false;
  }
}


function pageOrigin(): string {
  return (globalThis as { location?: Location }).location?.origin ?? "this page";
}

class HttpRequest {
  private readonly ctl = new AbortController();
  private phase: "headers" | "body" | "done" = "headers";
  private failure?: NetError; // why the request was aborted (deadline, cancel)
  private timer?: ReturnType<typeof setTimeout>;
  private head = waiter<HttpResponseHead>();
  private reader?: ReadableStreamDefaultReader<Uint8Array>;
  private leftover?: Uint8Array;
  private ended = false;
  private readError?: NetError;
  private readers = new Set<number>(); // wake tokens (js/wake.ts): O(1) to forget
  private pulling = false;
  // Streamed uploads.
  private uploadChunks: Uint8Array[] = [];
  private uploadBytes = 0;
  private uploadCtl?: ReadableStreamDefaultController<Uint8Array>;
  private uploadRoom?: Waiter<void>;
  private readonly init: RequestInit;
  private readonly redirectMode: string;
  /** Redirects are not followed because the policy restricts destinations. */
  private readonly blindRedirects: boolean;
  private received = 0; // body bytes served (for maxResponseBytes)
  private disposed = false; // its owner is gone: settle nothing ever again

  constructor(
    private readonly spec: HttpRequestSpec,
    body: Uint8Array | undefined,
    private readonly opts: HttpOptions,
    private readonly gate: Gate,
    private readonly onDone: () => void,
  ) {
    const headers = new Headers();
    const init: RequestInit = { method: spec.method, signal: this.ctl.signal };
    const refused: string[] = [];
    const invalid = (e: unknown) => other(`net/http: invalid request: ${e instanceof Error ? e.message : String(e)}`);
    let credentials: string | undefined;
    for (const [name, value] of spec.headers) {
      const lower = name.toLowerCase();
      if (lower === JS_FETCH.mode) init.mode = value as RequestMode;
      else if (lower === JS_FETCH.credentials) credentials = value;
      else if (lower === JS_FETCH.redirect) init.redirect = value as RequestRedirect;
      else if (forbidden(name)) refused.push(name);
      else {
        try {
          headers.append(name, value);
        } catch (e) {
          throw invalid(e); // a name or value fetch does not accept
        }
      }
    }
    if (refused.length > 0) {
      throw other(
        `net/http: the browser does not let a program set ${refused.map((n) => JSON.stringify(n)).join(", ")} ` +
          `(forbidden request header${refused.length > 1 ? "s" : ""}; it would be dropped silently)`,
      );
    }
    init.headers = headers;
    const cred = credentialsFor(gate.policy(), credentials);
    if (typeof cred !== "string") throw cred;
    init.credentials = cred;
    // Whatever fetch would refuse (bad URL, method or header value, a body
    // on GET) fails here, synchronously, with the browser's own words.
    try {
      const hasBody = spec.body === "stream" || (spec.body === "bytes" && !!body && body.length > 0);
      new Request(spec.url, { ...init, signal: undefined, body: hasBody ? "x" : undefined });
    } catch (e) {
      throw invalid(e);
    }
    this.redirectMode = init.redirect ?? "follow";
    this.blindRedirects = this.redirectMode === "follow" && gate.restricts();
    if (this.blindRedirects) init.redirect = "manual";
    if (spec.body === "bytes" && body && body.length > 0) init.body = body.slice() as BodyInit; // a copy: the view is into wasm memory
    this.init = init;
    if (spec.deadline > 0) this.armDeadline();
    if (spec.body !== "stream") this.send();
    else if (this.streaming()) {
      init.body = new ReadableStream<Uint8Array>({
        start: (c) => void (this.uploadCtl = c),
        pull: () => this.uploadRoom?.resolve(),
        cancel: () => this.uploadRoom?.resolve(),
      }, { highWaterMark: 1 });
      (init as RequestInit & { duplex: string }).duplex = "half";
      this.send();
    }
  }

  private streaming(): boolean {
    return this.opts.streamUploads === "auto" && this.spec.url.startsWith("https:") && canStreamUploads();
  }

  private send(): void {
    let p: Promise<Response>;
    try {
      p = fetch(this.spec.url, this.init);
    } catch (e) {
      this.fail(other(`net/http: invalid request: ${e instanceof Error ? e.message : String(e)}`));
      return;
    }
    p.then(
      (res) => this.onResponse(res),
      (e) => void this.explain(e).then((err) => this.fail(err)),
    );
  }

  private onResponse(res: Response): void {
    if (this.failure || this.disposed) {
      res.body?.cancel().catch(() => {});
      return;
    }
    if (res.type === "opaqueredirect" && this.blindRedirects) {
      return this.abort({
        code: "denied",
        message:
          `${DENIED}: ${this.spec.url} answered with a redirect, and the browser does not reveal where it ` +
          `leads, so the policy cannot check the next hop; redirects are not followed while the policy ` +
          `restricts schemes, hosts or ports`,
      });
    }
    const length = Number(res.headers.get("content-length") ?? NaN);
    if (this.spec.whole && length > this.opts.maxResponseBytes) return this.abort(this.tooLarge());
    this.phase = "body";
    this.reader = res.body?.getReader();
    if (!this.reader) this.finishBody();
    const headers: [string, string][] = [];
    res.headers.forEach((value, name) => headers.push([name, value]));
    this.head.resolve({
      status: res.status,
      statusText: res.statusText,
      url: res.url || this.spec.url,
      redirected: res.redirected,
      type: res.type,
      headers,
    });
  }

  /** Turns a fetch rejection into the most specific error available. */
  private async explain(e: unknown): Promise<NetError> {
    if (this.failure) return this.failure;
    const detail = e instanceof Error ? e.message : String(e);
    if (!(e instanceof TypeError)) return other(`net/http: fetch() failed: ${detail}`);
    const url = this.spec.url;
    const loc = (globalThis as { location?: Location }).location;
    if (loc?.protocol === "https:" && url.startsWith("http:"))
      return other(`net/http: fetch() failed: blocked as mixed content: an https page cannot fetch ${url}`);
    if (!this.opts.probeFailures) return other(`net/http: fetch() failed: ${detail}`);
    // A probe is a request like any other: the policy checks and counts
    // it; it follows no redirect unless asked to (one answering is enough).
    const probe = async (init: RequestInit): Promise<Response> => {
      const slot = this.gate.hold(url);
      if ("code" in slot) throw slot;
      const ctl = new AbortController();
      const t = setTimeout(() => ctl.abort(), this.opts.probeTimeoutMs);
      try {
        return await fetch(url, { redirect: "manual", ...init, method: "HEAD", credentials: "omit", signal: ctl.signal });
      } finally {
        clearTimeout(t);
        slot.release();
      }
    };
    // A refused redirect: the same request with redirect "manual" answers
    // with an opaque redirect.
    if (this.redirectMode === "error") {
      try {
        const r = await probe({ mode: this.init.mode, redirect: "manual" });
        if (r.type === "opaqueredirect")
          return this.failure ?? other(`net/http: fetch() failed: the server redirected and js.fetch:redirect is "error"`);
      } catch {}
    }
    // A no-cors request gets an opaque response from any server that answers.
    // Fetch allows no-cors only with redirect "follow", so this probe follows
    // a redirect wherever it leads: while the policy restricts destinations it
    // is not sent, and the message says what could not be learned.
    if (this.gate.restricts())
      return (
        this.failure ??
        other(
          `net/http: fetch() failed: blocked by CORS or the server could not be reached (DNS failure, ` +
            `connection refused or reset, or a TLS error); not probed further: the probe that tells them ` +
            `apart would follow any redirect, and the network policy restricts destinations (${detail})`,
        )
      );
    try {
      await probe({ mode: "no-cors", redirect: "follow" });
    } catch (e) {
      if (this.failure) return this.failure;
      if (isNetError(e)) return other(`net/http: fetch() failed: ${detail} (not probed further: ${describe(e)})`);
      return this.unreachable(detail);
    }
    return (
      this.failure ??
      other(
        `net/http: fetch() failed: blocked by CORS: the server answered, but its response ` +
          `(or its preflight) does not allow origin ${pageOrigin()} (${detail})`,
      )
    );
  }

  private unreachable(detail: string): NetError {
    // A cross-origin-isolated page (COEP require-corp) blocks the probe's
    // opaque response unless the server sends Cross-Origin-Resource-Policy,
    // so there a failed probe does not mean the server is unreachable.
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    return (
      this.failure ??
      other(
        isolated
          ? `net/http: fetch() failed: blocked by CORS or the server could not be reached (DNS failure, ` +
              `connection refused or reset, or a TLS error); this page is ` +
              `cross-origin isolated (COEP), where only a server sending Cross-Origin-Resource-Policy ` +
              `can be told apart (${detail})`
          : `net/http: fetch() failed: the server could not be reached: DNS failure, connection ` +
              `refused or reset, or a TLS error; the browser does not say which (${detail})`,
      )
    );
  }

  private tooLarge(): NetError {
    return other(
      `net/http: response body larger than ${this.opts.maxResponseBytes} bytes, the most a whole-body ` +
        `read may hold (http.maxResponseBytes); read it as a stream (nativeHttpsRequestStream)`,
    );
  }

  private armDeadline(): void {
    const ms = this.spec.deadline - Date.now();
    if (ms <= 0) this.expire();
    else this.timer = setTimeout(() => this.armDeadline(), Math.min(ms, MAX_TIMER_MS));
  }

  private expire(): void {
    const client = this.spec.deadlineKind === "client";
    const message =
      this.phase === "headers"
        ? client
          ? "context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
          : "context deadline exceeded"
        : client
          ? "context deadline exceeded (Client.Timeout or context cancellation while reading body)"
          : "context deadline exceeded";
    this.abort({ code: "deadline", message });
  }

  /** Aborts everything in flight with `err` (a deadline or a cancellation). */
  abort(err: NetError = CANCELED): void {
    if (this.failure || this.phase === "done") return;
    this.failure = err;
    this.ctl.abort();
    this.fail(err);
  }

  private fail(err: NetError): void {
    clearTimeout(this.timer);
    if (this.disposed) return;
    this.head.reject(err);
    this.readError ??= err;
    this.wakeReaders();
    this.uploadRoom?.resolve();
    this.reader?.cancel().catch(() => {});
  }

  responsePromise(): Promise<HttpResponseHead> {
    return this.head.promise;
  }

  // ---- request body, streamed from Rust ----

  uploadWrite(data: Uint8Array): void | Promise<void> {
    if (this.failure) throw this.failure;
    const copy = data.slice(); // the view is into wasm memory
    if (this.uploadCtl) {
      this.uploadCtl.enqueue(copy);
      if ((this.uploadCtl.desiredSize ?? 1) > 0) return;
      this.uploadRoom = waiter<void>();
      return this.uploadRoom.promise.then(() => {
        if (this.failure) throw this.failure;
      });
    }
    this.uploadBytes += copy.length;
    if (this.uploadBytes > this.opts.maxBufferedUploadBytes) {
      const err = other(
        `net/http: request body over ${this.opts.maxBufferedUploadBytes} bytes cannot be buffered ` +
          `(this browser or URL cannot stream uploads; raise http.maxBufferedUploadBytes)`,
      );
      this.abort(err);
      throw err;
    }
    this.uploadChunks.push(copy);
  }

  uploadClose(): void {
    if (this.failure) throw this.failure;
    if (this.uploadCtl) {
      this.uploadCtl.close();
      return;
    }
    const all = new Uint8Array(this.uploadBytes);
    let at = 0;
    for (const c of this.uploadChunks) all.set(c, (at += c.length) - c.length);
    this.uploadChunks = [];
    if (all.length > 0) this.init.body = all as BodyInit;
    this.send();
  }

  // ---- response body ----

  /** Copies queued body bytes into dest: the count, or -1 when nothing is
   *  queued (wait with ready()). Throws eof at the end, or why it failed. */
  read(dest: Uint8Array): number {
    if (this.failure) throw this.failure; // cancelled or past the deadline: even queued bytes are not served
    const l = this.leftover;
    if (l) {
      const n = Math.min(dest.length, l.length);
      if (this.spec.whole && (this.received += n) > this.opts.maxResponseBytes) {
        const err = this.tooLarge();
        this.abort(err);
        throw err;
      }
      dest.set(n === l.length ? l : l.subarray(0, n));
      this.leftover = n === l.length ? undefined : l.subarray(n);
      return n;
    }
    if (this.ended) throw EOF;
    if (this.readError) throw this.readError;
    return -1;
  }

  /** Wakes `token` when a read would not return -1 (any number of waiters). */
  ready(token: number): void {
    this.readers.add(checkToken(token));
    this.pull();
  }

  private wakeReaders(): void {
    if (this.disposed || this.readers.size === 0) return;
    const rs = [...this.readers];
    this.readers.clear();
    wakeAll(rs);
  }

  /** Reads the next chunk from the stream (one read in flight at most). */
  private pull(): void {
    if (!this.reader || this.pulling || this.leftover || this.ended || this.readError) return;
    this.pulling = true;
    this.reader.read().then(
      ({ done, value }) => {
        this.pulling = false;
        if (this.failure) return; // aborted: the readers were already woken
        if (done) this.finishBody();
        else if (value && value.length > 0) this.leftover = value;
        else return this.pull(); // an empty chunk: read on
        this.wakeReaders();
      },
      (e) => {
        this.pulling = false;
        this.readError ??=
          this.failure ??
          other(`unexpected EOF: the body ended early (${e instanceof Error ? `${e.name}: ${e.message}` : String(e)})`);
        this.wakeReaders();
      },
    );
  }

  private finishBody(): void {
    this.ended = true;
    this.phase = "done";
    clearTimeout(this.timer);
  }

  /** Forgets a waiter whose caller went away (never settles or wakes it). */
  forget(key: unknown): void {
    this.readers.delete(key as number);
  }

  /** Drops the request without settling anything (its owner, a trapped
   *  wasm instance, is gone): the fetch is aborted, no waiter is called. */
  dispose(): void {
    this.disposed = true;
    this.release();
  }

  /** Frees everything: cancels an unfinished download or upload. */
  release(): void {
    clearTimeout(this.timer);
    if (this.phase !== "done") {
      this.failure ??= CANCELED;
      this.ctl.abort();
      this.reader?.cancel().catch(() => {});
    }
    this.phase = "done";
    this.wakeReaders();
    this.onDone();
  }
}

export function createHttpBindings(options: () => HttpOptions, gate: Gate = OPEN_GATE) {
  const table = new HandleTable<HttpRequest>("requests");
  const get = (h: number): HttpRequest => table.get(h);
  return {
    /** Starts a request; returns its handle. Throws a NetError for a request fetch would refuse. */
    _netHttpFetch(spec: HttpRequestSpec, body?: Uint8Array): number {
      const denied = gate.check(spec.url);
      if (denied) throw denied;
      return table.add((h) => new HttpRequest(spec, body, options(), gate, () => table.delete(h)));
    },
    /** Resolves with status, final URL and headers; rejects with a NetError. */
    _netHttpResponse: (h: number): Promise<HttpResponseHead> => get(h).responsePromise(),
    _netHttpUploadWrite: (h: number, data: Uint8Array): void | Promise<void> => get(h).uploadWrite(data),
    _netHttpUploadClose: (h: number): void => get(h).uploadClose(),
    /** Body bytes copied into dest, or -1: nothing queued (wait with _netHttpReady). Throws eof / errors. */
    _netHttpRead: (h: number, dest: Uint8Array): number => get(h).read(dest),
    /** Wakes `token` (js/wake.ts) when a read would not return -1. */
    _netHttpReady: (h: number, token: number): void => get(h).ready(token),
    /** Drops a read's wait (its token) without waking it. */
    _netHttpForget: (h: number, key: unknown): void => table.peek(h)?.forget(key),
    /** Context cancellation: everything in flight fails with "context canceled". */
    _netHttpCancel: (h: number): void => table.peek(h)?.abort(),
    _netHttpRelease: (h: number): void => table.peek(h)?.release(),
    _netHttpCount: (): number => table.size,
    /** null: `url` goes through fetch; else the relay's settings (always, when `relay`). */
    _netHttpRoute(url: string, relay: boolean): HttpRoute | null {
      const o = options();
      let host: string | undefined;
      try {
        host = destinationHost(new URL(url).hostname);
      } catch {
        host = undefined;
      }
      if (!relay && (host === undefined || !hostMatches(host, o.relayHosts))) return null;
      return { roots: o.tlsRoots, maxResponseBytes: o.maxResponseBytes };
    },
    /** Host side, after a trap: abort every request of the instance that is gone. */
    // ---- the host's, not the guest's (not installed as _net*) ----
    /** After a trap: abort every request of the dead instance. */
    resetRequests: (): void => table.all().forEach((r) => r.dispose()),
  };
}
