// The runtime channel, beside the GraphQL API on the same server and open only to runtime tokens:
//   POST /runtime/environment  the agent's environment, as JSON (and the agent is now running it)
//   GET  /runtime/commands     a stream of restart commands (server-sent events)
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
        endResponse(failure(fetchAPI, 500, "INTERNAL_SERVER_ERROR", "Unexpected error."));
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
  let runtime: RuntimeViewer;
  try {
    runtime = await services.authenticate.runtime({ authorization: request.headers.get("authorization"), address });
  } catch (error) {
    if (!(error instanceof AuthenticationError)) throw error;
    const retry: Record<string, string> = error.retryAfter ? { "retry-after": String(error.retryAfter) } : {};
    const body = { error: { code: error.code, message: error.message, retryAfter: error.retryAfter } };
    return json(api, error.status, body, retry);
  }
  if (route === "/runtime/environment") {
    if (request.method !== "POST") return failure(api, 405, "METHOD_NOT_ALLOWED", "Use POST");
    try {
      return json(api, 200, await services.runtime.startEnvironment(runtime, new URL(request.url).origin));
    } catch (error) {
      if (!(error instanceof ValueUnreadableError)) throw error;
      return failure(api, 500, "VALUE_UNREADABLE", error.message);
    }
  }
  if (request.method !== "GET") return failure(api, 405, "METHOD_NOT_ALLOWED", "Use GET");
  return commandStream(api, services, runtime);
}
