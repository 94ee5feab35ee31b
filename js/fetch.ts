// A fetch-like function over the crate's HTTP externs, so a JS host gets
// the same client a VM does: for the hosts the page sends through the
// relay (`http.relayHosts`, the TLS build), TLS inside the page and no
// CORS; for the rest, the browser's fetch under the page's policy. The
// response body streams (64 KiB reads into the stream's own chunks); the
// request body is collected first (a ReadableStream too), up to the
// buffered-upload bound. An AbortSignal cancels the request, as Go's
// context does.
/** An error value as callExtern gives it (js_api's error object). */
interface GoError {
  message: string;
  code?: string;
  sentinel?: string;
}

/** What it needs of a module: its `callExtern`. */
export interface ExternCaller {
  callExtern(name: string, args: unknown[]): Promise<unknown[]>;
}

const READ = 64 * 1024;
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** `fetch(input, init)` through `wasm`'s net/http externs; rejects with a TypeError saying why, as fetch does. */
export async function fetchVia(wasm: ExternCaller, input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const req = input instanceof Request ? input : undefined;
  const url = req ? req.url : String(input);
  const method = (init.method ?? req?.method ?? "GET").toUpperCase();
  const headers = new Headers(init.headers ?? req?.headers);
  const signal = init.signal ?? req?.signal;
  signal?.throwIfAborted();
  const source = init.body !== undefined ? init.body : req && req.body ? await req.arrayBuffer() : null;
  // Response collects any BodyInit (string, Blob, FormData, URLSearchParams, a stream) and its type.
  const carrier = source === null ? undefined : new Response(source as BodyInit);
  const body = carrier ? new Uint8Array(await carrier.arrayBuffer()) : null;
  const type = carrier?.headers.get("content-type");
  if (type && !headers.has("content-type")) headers.set("content-type", type);
  const lines = [...headers].map(([k, v]) => `${k}: ${v}`);

  const [id, idErr] = (await wasm.callExtern("net/http.nativeNewClientRequest", [])) as [number, GoError | null];
  if (idErr) throw new TypeError(idErr.message);
  const release = () => void wasm.callExtern("net/http.nativeReleaseClientRequest", [id]).catch(() => {});
  const abort = () => void wasm.callExtern("net/http.nativeCancelClientRequest", [id]).catch(() => {});
  signal?.addEventListener("abort", abort, { once: true });
  let head: unknown[];
  try {
    head = await wasm.callExtern("net/http.nativeHttpsRequestStream", [id, method, url, lines, body, 0n]);
  } catch (e) {
    signal?.removeEventListener("abort", abort);
    release();
    throw e;
  }
  const [status, statusText, , headerLines, , err] = head as [number, string, string, string[], number, GoError | null];
  if (err) {
    signal?.removeEventListener("abort", abort);
    release();
    if (signal?.aborted) throw signal.reason;
    throw new TypeError(err.message, { cause: err });
  }
  const outHeaders = new Headers();
  for (const line of headerLines) {
    const at = line.indexOf(": ");
    if (at > 0) outHeaders.append(line.slice(0, at), line.slice(at + 2));
  }
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    signal?.removeEventListener("abort", abort);
    release();
  };
  const stream =
    method === "HEAD" || NULL_BODY.has(status)
      ? null
      : new ReadableStream<Uint8Array>({
          // (A default stream: WebKit's byte streams are recent.)
          async pull(ctl) {
            const dest = new Uint8Array(READ);
            const [n, rerr] = (await wasm.callExtern("net/http.blocking_responseBodyRead", [id, dest])) as [number, GoError | null];
            if (n > 0) ctl.enqueue(dest.subarray(0, n));
            if (rerr) {
              end();
              if (rerr.sentinel === "io.EOF") ctl.close();
              else ctl.error(signal?.aborted ? signal.reason : new TypeError(rerr.message, { cause: rerr }));
            }
          },
          cancel() {
            void wasm.callExtern("net/http.responseBodyClose", [id]).catch(() => {});
            end();
          },
        });
  if (!stream) end();
  const resp = new Response(stream, { status: status === 0 ? 200 : status, statusText, headers: outHeaders });
  Object.defineProperty(resp, "url", { value: url });
  return resp;
}
