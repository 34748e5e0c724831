// The runtime channel, beside the GraphQL API on the same server and open only to runtime tokens:
//   POST /runtime/environment  the agent's environment, as JSON (and the agent is now running it)
//   GET  /runtime/commands     a stream of restart commands (server-sent events)
// Both are yoga plugin routes (what an in-process fetch reaches). Node's HTTP server answers the
// environment itself (`serveEnvironment`), as it does the broker: every agent start asks for it,
// and yoga's request and response objects cost about a seventh of it.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FetchAPI, Plugin, YogaLogger } from "graphql-yoga";
import { AuthenticationError } from "../../auth/authenticate.ts";
import type { RuntimeViewer } from "../../auth/viewer.ts";
import { encodeEvent, eventStream } from "../../http/event-stream.ts";
import type { Services } from "../../services.ts";
import { ValueUnreadableError } from "../entry/entry-value.ts";

const HEARTBEAT_MS = 15_000;
const KEEP_ALIVE = Buffer.from(": keep-alive\n\n");

// Responses are made with the server's own fetch API (whatwg-node's), whose string bodies it
// writes to the socket at once; the global Response's body is a web stream, read chunk by chunk.
function json(api: FetchAPI, status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new api.Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
}

const failure = (api: FetchAPI, status: number, code: string, message: string) =>
  json(api, status, { error: { code, message } });

/** An answer of the runtime channel, whichever server writes it. */
type Answer = { status: number; body: unknown; headers?: Record<string, string> };
const refusal = (status: number, code: string, message: string): Answer => ({
  status,
  body: { error: { code, message } },
});

/** What a runtime token's authentication gives, or the answer that refuses the token. */
async function authenticated<T>(authenticate: () => Promise<T>): Promise<T | Answer> {
  try {
    return await authenticate();
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    const headers: Record<string, string> = error.retryAfter ? { "retry-after": String(error.retryAfter) } : {};
    const body = { error: { code: error.code, message: error.message, retryAfter: error.retryAfter } };
    return { status: error.status, body, headers };
  }
}

/** POST /runtime/environment: the agent's environment, its broker reached at `origin` (unless configured). */
async function environmentAnswer(
  services: Services,
  method: string,
  authorization: string | null,
  address: string,
  origin: string,
): Promise<Answer> {
  if (method !== "POST") {
    const runtime = await authenticated(() => services.authenticate.runtime({ authorization, address }));
    return "status" in runtime ? runtime : refusal(405, "METHOD_NOT_ALLOWED", "Use POST");
  }
  // The token and the environment read together (one statement on PostgreSQL): every agent start.
  const read = await authenticated(() => services.authenticate.runtimeWithEnvironment({ authorization, address }));
  if ("status" in read) return read;
  try {
    return { status: 200, body: await services.runtime.startEnvironment(read.runtime, read.environment, origin) };
  } catch (error) {
    if (!(error instanceof ValueUnreadableError)) throw error;
    return refusal(500, "VALUE_UNREADABLE", error.message);
  }
}

const UNEXPECTED = refusal(500, "INTERNAL_SERVER_ERROR", "Unexpected error.");

function commandStream(api: FetchAPI, services: Services, runtime: RuntimeViewer): Response {
  const startedAt = runtime.agent.lastRestartedAt?.toISOString() ?? null;
  return eventStream(api, {
    ping: KEEP_ALIVE,
    pingMs: HEARTBEAT_MS,
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" },
    open(writer) {
      writer.write(encodeEvent("hello", JSON.stringify({ agentId: runtime.agent.id, startedAt })));
      const commands = services.runtime.commands(runtime);
      void (async () => {
        for await (const command of commands) {
          if (!writer.write(encodeEvent(command.type, JSON.stringify(command)))) break;
        }
        writer.end();
      })().catch(() => writer.end());
      return () => void commands.return?.();
    },
  });
}

/**
 * The routes. An unexpected error is answered as /graphql answers one, masked ("Unexpected
 * error."), and logged (redacted) by the server, never sent to the caller.
 */
export function useRuntimeChannel(
  services: Services,
  addressOf: (request: Request, serverContext: unknown) => string,
  logger: YogaLogger,
): Plugin {
  return {
    async onRequest({ request, url, endResponse, serverContext, fetchAPI }) {
      const route = url.pathname.replace(/\/+$/, "");
      if (route !== "/runtime/environment" && route !== "/runtime/commands") return;
      try {
        endResponse(await respond(fetchAPI, services, route, request, addressOf(request, serverContext)));
      } catch (error) {
        logger.error(error);
        endResponse(json(fetchAPI, UNEXPECTED.status, UNEXPECTED.body));
      }
    },
  };
}

async function respond(
  api: FetchAPI,
  services: Services,
  route: string,
  request: Request,
  address: string,
): Promise<Response> {
  const authorization = request.headers.get("authorization");
  if (route === "/runtime/environment") {
    const answer = await environmentAnswer(
      services,
      request.method,
      authorization,
      address,
      new URL(request.url).origin,
    );
    return json(api, answer.status, answer.body, answer.headers);
  }
  const runtime = await authenticated(() => services.authenticate.runtime({ authorization, address }));
  if ("status" in runtime) return json(api, runtime.status, runtime.body, runtime.headers);
  if (request.method !== "GET") return failure(api, 405, "METHOD_NOT_ALLOWED", "Use GET");
  return commandStream(api, services, runtime);
}

/**
 * Answers POST /runtime/environment on Node's server directly; false for any other request. The
 * address it was reached at is the one yoga would give (its Host header, http or https).
 */
export function serveEnvironment(
  services: Services,
  addressOf: (req: IncomingMessage) => string,
  logger: YogaLogger,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    if (req.method !== "POST" || (req.url !== "/runtime/environment" && req.url !== "/runtime/environment/")) {
      return false;
    }
    const protocol = (req.socket as { encrypted?: boolean }).encrypted ? "https" : "http";
    let origin: string;
    try {
      origin = new URL(`${protocol}://${req.headers.host ?? "localhost"}`).origin;
    } catch {
      return false;
    }
    // A body is not read: it is drained, so that the connection can serve its next request.
    req.resume();
    const write = (answer: Answer) => {
      const body = JSON.stringify(answer.body);
      res.writeHead(answer.status, {
        "content-type": "application/json",
        "cache-control": "no-store",
        "content-length": Buffer.byteLength(body),
        ...answer.headers,
      });
      res.end(body);
    };
    environmentAnswer(services, "POST", req.headers.authorization ?? null, addressOf(req), origin).then(
      write,
      (error) => {
        logger.error(error);
        write(UNEXPECTED);
      },
    );
    return true;
  };
}
