// fetch over node:http. Node 20's global fetch compiles undici's HTTP parser (WebAssembly) on its
// first request: about 0.15 s of CPU, twice what the rest of a CLI call costs. This sends the
// request with node:http and answers with a standard Response (a web stream body, so the SDK's
// streams work unchanged). No redirects are followed: the vault's API does not redirect.
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { Readable } from "node:stream";

export const httpFetch: typeof fetch = (input, init = {}) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  const headers = new Headers(init.headers);
  const body = init.body == null ? undefined : typeof init.body === "string" ? init.body : undefined;
  if (init.body != null && body === undefined)
    return Promise.reject(new TypeError("httpFetch sends string bodies only"));
  if (body !== undefined && !headers.has("content-length"))
    headers.set("content-length", String(Buffer.byteLength(body)));
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<Response>((resolve, reject) => {
    const signal = init.signal;
    if (signal?.aborted) return reject(signal.reason);
    const request = send(url, { method: init.method ?? "GET", headers: Object.fromEntries(headers) }, (response) => {
      const answer = new Headers();
      for (const [name, value] of Object.entries(response.headers)) {
        for (const item of Array.isArray(value) ? value : [value ?? ""]) answer.append(name, item);
      }
      const status = response.statusCode ?? 500;
      const empty = status === 204 || status === 304 || init.method === "HEAD";
      resolve(
        new Response(empty ? null : (Readable.toWeb(response) as ReadableStream), {
          status,
          statusText: response.statusMessage,
          headers: answer,
        }),
      );
    });
    const abort = () => request.destroy(signal?.reason ?? new DOMException("aborted", "AbortError"));
    signal?.addEventListener("abort", abort, { once: true });
    request.on("error", (error) => reject(new TypeError("fetch failed", { cause: error })));
    request.on("close", () => signal?.removeEventListener("abort", abort));
    request.end(body);
  });
};
