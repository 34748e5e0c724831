// The broker: /broker/<secret id>/<path> beside /graphql and /runtime/*. A request carrying a valid
// placeholder of that secret is forwarded to the secret's upstream, and only there, with the real
// value in place of the placeholder; both bodies stream without being buffered, and a value the
// upstream echoes back is scrubbed. Served by Node's HTTP server directly (not through yoga), so
// that a stream of events is passed on frame by frame and a client that leaves aborts the upstream.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { Agent, type Dispatcher } from "undici";
import { placeholdersIn } from "../../crypto/tokens.ts";
import { ValueUnreadableError } from "../entry/entry-value.ts";
import { requestTripwire } from "../leak/broker-tripwire.ts";
import { type Admission, LimitRefusedError } from "../limit/limit.service.ts";
import { requestedUsage, type Usage, usageMeter } from "../limit/usage-meter.ts";
import type { BrokerService, Opened } from "./broker.service.ts";
import { brokerPath } from "./broker-path.ts";
import { checkedLookup, UpstreamRefusedError } from "./connect-checks.ts";
import { limitAnswer } from "./limit-answer.ts";
import { scrubbing, scrubText } from "./scrubber.ts";
import { privateHost } from "./upstream.ts";

export const BROKER_PREFIX = "/broker/";

// Hop-by-hop headers (RFC 9110 7.6.1) and what says where a request goes: never forwarded.
const REQUEST_DROPPED = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "expect",
  "forwarded",
  "x-forwarded-for",
  "x-forwarded-host",
  "x-forwarded-proto",
  // Bodies come back uncompressed, so that a value echoed in one can be scrubbed.
  "accept-encoding",
]);
const RESPONSE_DROPPED = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  // A scrubbed body may be longer or shorter than the upstream's.
  "content-length",
]);

/**
 * A request under a token or cost limit is read whole before it goes (for its max_tokens), and so is
 * one the leak tripwire may block (nothing of it goes before all of it is seen), up to this.
 */
const WHOLE_READ_LIMIT = 32 * 1024 * 1024;
const NO_USAGE: Usage = { model: null, inputTokens: 0, outputTokens: 0, costUsd: null, found: false };

/** The request's body in the chunks it came in, or null when it is over `limit` bytes. */
function readChunks(req: IncomingMessage, limit: number): Promise<Buffer[] | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        resolve(null);
      } else chunks.push(chunk);
    });
    req.once("end", () => resolve(size > limit ? null : chunks));
    req.once("error", reject);
  });
}

/** Where a placeholder may be: the providers' SDKs' headers first, then any other. */
const LIKELY_CARRIERS = ["authorization", "x-api-key"];

function failure(res: ServerResponse, status: number, type: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { type: `agent_vault_${type}`, message } });
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** The first well-formed placeholder the request carries, and in which header. */
function findPlaceholder(headers: IncomingHttpHeaders): { header: string; placeholder: string } | null {
  const names = [...LIKELY_CARRIERS, ...Object.keys(headers).filter((name) => !LIKELY_CARRIERS.includes(name))];
  for (const header of names) {
    const value = headers[header];
    if (typeof value !== "string" || !value.includes("avb_")) continue;
    const [placeholder] = placeholdersIn(value);
    if (placeholder) return { header, placeholder };
  }
  return null;
}

/** The request's headers as the upstream gets them: the value in place of the placeholder. */
function forwardedHeaders(
  headers: IncomingHttpHeaders,
  carrier: { header: string; placeholder: string },
  opened: Opened,
  /** A body that is no longer the one the agent sent (its length is its own, or unknown while it streams). */
  replacedBody?: unknown,
): Record<string, string | string[]> {
  const dropped = new Set(REQUEST_DROPPED);
  for (const name of String(headers.connection ?? "").split(",")) dropped.add(name.trim().toLowerCase());
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || dropped.has(name)) continue;
    if (typeof value === "string" && value.includes(carrier.placeholder)) {
      // The placeholder alone in the upstream's own header takes the upstream's form ("Bearer …");
      // anywhere else it is swapped where it stands ("Bearer avb_…" stays a bearer token).
      out[name] =
        value === carrier.placeholder && name === opened.upstream.header
          ? opened.upstream.template.replace("{value}", opened.value)
          : value.split(carrier.placeholder).join(opened.value);
    } else {
      out[name] = value;
    }
  }
  out["accept-encoding"] = "identity";
  if (replacedBody !== undefined) {
    delete out["content-length"];
    if (Buffer.isBuffer(replacedBody)) out["content-length"] = String(replacedBody.length);
  }
  return out;
}

function responseHeaders(headers: Dispatcher.ResponseData["headers"], value: string) {
  const out: Record<string, string | string[]> = {};
  for (const [name, raw] of Object.entries(headers)) {
    if (raw === undefined || RESPONSE_DROPPED.has(name)) continue;
    out[name] = Array.isArray(raw) ? raw.map((one) => scrubText(one, value)) : scrubText(raw, value);
  }
  return out;
}

export type BrokerHandler = {
  /** Serves the request when it is the broker's (true), or leaves it alone (false). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
  close(): Promise<void>;
};

export function brokerHandler(
  broker: BrokerService,
  options: {
    onError?: (error: unknown) => void;
    /** The agent's address as the activity log records it (behind trusted proxies, theirs say it). */
    addressOf?: (req: IncomingMessage) => string;
  } = {},
): BrokerHandler {
  const addressOf = options.addressOf ?? ((req: IncomingMessage) => req.socket?.remoteAddress ?? null);
  const allowPrivate = broker.upstreams.allowPrivate;
  // One pool of kept-alive connections per upstream origin; every connection's address is checked
  // after DNS (connect-checks.ts).
  const dispatcher = new Agent({
    keepAliveTimeout: 30_000,
    connect: allowPrivate ? {} : { lookup: checkedLookup },
  });
  const onError = options.onError ?? (() => {});

  async function forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = brokerPath(req.url ?? "");
    if ("problem" in route) return failure(res, 400, "bad_path", route.problem);
    const carrier = findPlaceholder(req.headers);
    if (!carrier) {
      return failure(res, 401, "missing_placeholder", "The request carries no placeholder of a brokered secret");
    }
    let opened: Opened | null;
    try {
      opened = await broker.open(route.id, carrier.placeholder);
    } catch (error) {
      if (!(error instanceof ValueUnreadableError)) throw error;
      return failure(res, 500, "value_unreadable", error.message);
    }
    if (!opened) {
      return failure(
        res,
        401,
        "invalid_placeholder",
        "This placeholder opens nothing here: it is not this secret's, or its secret was detached, deleted or is no longer brokered, or its runtime token was revoked",
      );
    }
    const overLimit = (error: LimitRefusedError) => {
      const answer = limitAnswer(opened.upstream.provider, error.refusal);
      res.writeHead(429, { ...answer.headers, "content-length": String(Buffer.byteLength(answer.body)) });
      res.end(answer.body);
    };
    // The placeholder counts only where the secret's header is (for a provider's key, also where
    // the provider's SDKs put it).
    const carriers = opened.upstream.provider ? [opened.upstream.header, ...LIKELY_CARRIERS] : [opened.upstream.header];
    if (!carriers.includes(carrier.header)) {
      return failure(
        res,
        401,
        "misplaced_placeholder",
        `This secret's placeholder goes in the ${opened.upstream.header} header`,
      );
    }
    if (/[\r\n\0]/.test(opened.value)) {
      return failure(
        res,
        500,
        "unusable_value",
        `The value of ${opened.entry.name} cannot go in a header (it has a line break)`,
      );
    }
    const base = new URL(opened.upstream.baseUrl);
    if (base.protocol !== "https:" && !(allowPrivate && base.protocol === "http:")) {
      return failure(res, 502, "upstream_refused", "The upstream is not https");
    }
    if (!allowPrivate && privateHost(base.hostname)) {
      return failure(res, 502, "upstream_refused", "The upstream is a private, loopback or link-local address");
    }
    const basePath = base.pathname.replace(/\/+$/, "");
    const method = req.method ?? "GET";
    const address = addressOf(req);
    const limited = broker.limitedRequest(opened, address);
    let body: Buffer | Buffer[] | AsyncIterable<Buffer> | null = method === "GET" || method === "HEAD" ? null : req;
    // The leak tripwire: the agent's environment secrets, looked for in all the request carries.
    let tripwire = requestTripwire(
      broker.leaks,
      { agentId: opened.agent.id, userId: opened.userId, keySalt: opened.keySalt, runningEnv: opened.runningEnv },
      { doer: limited.doer, agent: opened.agent, through: opened.entry, upstreamHost: base.host, method },
      onError,
    );
    if (tripwire instanceof Promise) tripwire = await tripwire;
    let headers = req.headers;
    let [rest, query] = [route.rest, route.query];
    if (tripwire)
      ({
        headers,
        target: [rest, query],
      } = tripwire.head(req.headers, [rest, query]));
    const path = `${basePath}${rest}` || "/";
    const tooLarge = (why: string) => failure(res, 413, "request_too_large", `${why}: this one is over 32 MB`);
    if (tripwire?.holdsBody && body) {
      // Kept in the chunks it came in (undici writes them one by one): no copy of the whole.
      const read = await readChunks(req, WHOLE_READ_LIMIT);
      if (!read) return tooLarge("Under the leak policy block, a request's body is read whole before it goes");
      body = read;
      tripwire.seeChunks(read);
    }
    const refused = await tripwire?.refusal(path);
    if (refused) return failure(res, 403, "secret_in_request", refused);
    let admission: Admission | null = null;
    if (opened.limits.length > 0) {
      const limits = opened.limits;
      let asks: { model: string | null; maxTokens: number } = { model: null, maxTokens: 0 };
      // A limit of tokens or cost reserves what the request asks for (its max_tokens): read first.
      if (body && broker.limits.needsReservation(limits)) {
        const chunks = Array.isArray(body) ? body : await readChunks(req, WHOLE_READ_LIMIT);
        if (!chunks) return tooLarge("A request under a token or cost limit is read before it goes");
        body = Buffer.concat(chunks);
        asks = requestedUsage(body);
      }
      try {
        admission = await broker.limits.admit(limited, asks, limits);
      } catch (error) {
        if (!(error instanceof LimitRefusedError)) throw error;
        return overLimit(error);
      }
    }
    // Redacted or recorded: a whole body now, a streaming one as it goes (the finds heard at its end).
    let lengthChanged = false;
    if (tripwire) ({ body, lengthChanged } = tripwire.passing(body, path));
    let meter: ReturnType<typeof usageMeter> | null = null;
    let bytesOut = 0;
    let finished = false;
    // Once per request, however it ended: the activity log's count, the limits' settlement and usage.
    const finish = (status: number, counted = true) => {
      if (finished) return;
      finished = true;
      if (counted) record(status);
      const usage = meter?.end() ?? NO_USAGE;
      broker.limits.settle(limited, admission, { usage, status }).catch(onError);
    };
    const record = (status: number) =>
      broker.record({
        userId: opened.userId,
        keySalt: opened.keySalt,
        agent: opened.agent,
        entry: opened.entry,
        runtimeTokenId: opened.runtimeTokenId,
        address,
        method,
        path,
        status,
        bytesIn: Number(req.headers["content-length"] ?? 0) || 0,
        bytesOut,
      });
    const value = opened.value;
    const scrub = scrubbing(value);
    let upstream: Dispatcher.DispatchController | null = null;
    let status = 0;
    // A body of known length is ended with its last bytes: one write, not two.
    let remaining = -1;
    let ended = false;
    // The agent went away: so does the upstream request.
    res.once("close", () => {
      if (!res.writableFinished) upstream?.abort(new Error("the agent closed the connection"));
    });
    res.on("drain", () => upstream?.resume());
    // Undici's handler interface: each chunk goes to the agent as it comes (scrubbed), and the
    // upstream is paused while the agent reads slower than it sends.
    dispatcher.dispatch(
      {
        origin: base.origin,
        path: `${path}${query}`,
        method: method as Dispatcher.HttpMethod,
        headers: forwardedHeaders(headers, carrier, opened, lengthChanged ? body : undefined),
        // Undici writes async iterables as they yield (client-h1's writeIterable); its types omit them.
        body: body as Dispatcher.DispatchOptions["body"],
      },
      {
        onRequestStart(controller) {
          upstream = controller;
          if (res.destroyed) controller.abort(new Error("the agent closed the connection"));
        },
        onResponseStart(_controller, statusCode, headers) {
          if (statusCode < 200) return;
          status = statusCode;
          const length = Number(headers["content-length"]);
          remaining = Number.isInteger(length) && length > 0 ? length : -1;
          meter = usageMeter(String(headers["content-type"] ?? ""));
          res.writeHead(statusCode, responseHeaders(headers, value));
          // A stream of events starts at once; any other answer goes out with its first bytes.
          if (String(headers["content-type"] ?? "").includes("event-stream")) res.flushHeaders();
        },
        onResponseData(controller, chunk) {
          meter?.push(chunk);
          const out = scrub.push(chunk);
          if (remaining > 0) remaining -= chunk.length;
          if (remaining === 0) {
            const rest = scrub.end();
            const last = rest ? Buffer.concat([out, rest]) : out;
            bytesOut += last.length;
            ended = true;
            res.end(last);
            return;
          }
          bytesOut += out.length;
          if (out.length > 0 && !res.write(out)) controller.pause();
        },
        onResponseEnd() {
          if (!ended) {
            const rest = scrub.end();
            bytesOut += rest?.length ?? 0;
            if (rest) res.end(rest);
            else res.end();
          }
          finish(status);
        },
        onResponseError(_controller, error) {
          // An agent that left is not counted in the log; its limits and usage are settled all the same.
          if (res.destroyed) return finish(status, false);
          finish(status || 502);
          if (res.headersSent) return void res.destroy();
          if (error instanceof UpstreamRefusedError || error.cause instanceof UpstreamRefusedError) {
            return failure(res, 502, "upstream_refused", "The upstream's address is private, loopback or link-local");
          }
          failure(res, 502, "upstream_unreachable", `The upstream of ${opened.entry.name} could not be reached`);
        },
      },
    );
  }

  return {
    handle(req, res) {
      if (!req.url?.startsWith(BROKER_PREFIX)) return false;
      forward(req, res).catch((error) => {
        onError(error);
        failure(res, 500, "internal_error", "Unexpected error.");
      });
      return true;
    },
    close: () => dispatcher.close(),
  };
}
