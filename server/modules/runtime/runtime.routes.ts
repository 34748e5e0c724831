// The runtime channel, beside the GraphQL API on the same server and open only to runtime tokens:
//   POST /runtime/environment  the agent's environment, as JSON (and the agent is now running it)
//   GET  /runtime/commands     a stream of restart commands (server-sent events)
import type { Plugin } from "graphql-yoga";
import { bearerToken, clientAddress, type Services } from "../../context.ts";
import { hashToken } from "../../crypto/tokens.ts";
import { ValueUnreadableError } from "../entry/entry-value.ts";
import { authenticateRuntime, startEnvironment } from "./runtime.service.ts";

const HEARTBEAT_MS = 15_000;

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store" },
  });
}

const unauthenticated = () =>
  json(401, {
    error: { code: "UNAUTHENTICATED", message: "The runtime channel needs an agent's runtime token (avr_...)" },
  });

function commandStream(services: Services, agentId: string, startedAt: string | null, signal: AbortSignal): Response {
  const encoder = new TextEncoder();
  const commands = services.events.runtimeCommands(agentId);
  let heartbeat: NodeJS.Timeout | undefined;
  const stop = () => {
    clearInterval(heartbeat);
    void commands.return?.();
  };
  signal.addEventListener("abort", stop);
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`event: hello\ndata: ${JSON.stringify({ agentId, startedAt })}\n\n`));
      heartbeat = setInterval(() => controller.enqueue(encoder.encode(": keep-alive\n\n")), HEARTBEAT_MS);
    },
    async pull(controller) {
      const next = await commands.next();
      if (next.done) {
        clearInterval(heartbeat);
        controller.close();
        return;
      }
      controller.enqueue(encoder.encode(`event: ${next.value.type}\ndata: ${JSON.stringify(next.value)}\n\n`));
    },
    cancel: stop,
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive" },
  });
}

export function useRuntimeChannel(services: Services): Plugin {
  return {
    async onRequest({ request, url, endResponse, serverContext }) {
      const route = url.pathname.replace(/\/+$/, "");
      if (route !== "/runtime/environment" && route !== "/runtime/commands") return;
      const address = clientAddress(
        services,
        request,
        (serverContext as { req?: { socket?: { remoteAddress?: string } } })?.req?.socket?.remoteAddress,
      );
      const token = bearerToken(request.headers.get("authorization"));
      const tokenHash = token ? hashToken(token) : null;
      const wait = await services.rateLimits.authenticationBlocked(address, tokenHash);
      if (wait)
        return endResponse(
          json(429, {
            error: { code: "TOO_MANY_REQUESTS", message: `Too many failed authentications; try again in ${wait} s` },
          }),
        );
      const runtime = await authenticateRuntime(services, token);
      if (!runtime) {
        await services.rateLimits.authenticationFailed(address, tokenHash);
        return endResponse(unauthenticated());
      }
      if (route === "/runtime/environment") {
        if (request.method !== "POST")
          return endResponse(json(405, { error: { code: "METHOD_NOT_ALLOWED", message: "Use POST" } }));
        try {
          return endResponse(json(200, await startEnvironment(services, runtime)));
        } catch (error) {
          if (!(error instanceof ValueUnreadableError)) throw error;
          return endResponse(json(500, { error: { code: "VALUE_UNREADABLE", message: error.message } }));
        }
      }
      if (request.method !== "GET")
        return endResponse(json(405, { error: { code: "METHOD_NOT_ALLOWED", message: "Use GET" } }));
      const startedAt = runtime.agent.lastRestartedAt?.toISOString() ?? null;
      endResponse(commandStream(services, runtime.agentId, startedAt, request.signal));
    },
  };
}
