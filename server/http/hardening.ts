// Limits on what one GraphQL request may ask, from well-kept plugins: depth, aliases, tokens,
// directives and cost (graphql-armor), no field suggestions, CSRF prevention, no introspection
// when configured, and a cap on the request body. Batching stays off (yoga's default), and
// yoga refuses mutations over GET.
import { EnvelopArmorPlugin } from "@escape.tech/graphql-armor";
import { useCSRFPrevention } from "@graphql-yoga/plugin-csrf-prevention";
import { useDisableIntrospection } from "@graphql-yoga/plugin-disable-introspection";
import { createGraphQLError, type Plugin } from "graphql-yoga";

export type Limits = {
  maxDepth: number;
  maxAliases: number;
  maxTokens: number;
  maxDirectives: number;
  maxCost: number;
  /** Largest request body, in bytes: a 16 MiB .env file to import fits, with room for JSON escapes. */
  maxBodyBytes: number;
};

export const DEFAULT_LIMITS: Limits = {
  maxDepth: 12,
  maxAliases: 15,
  maxTokens: 5000,
  maxDirectives: 20,
  maxCost: 5000,
  maxBodyBytes: 40 * 1024 * 1024,
};

function tooLarge(limit: number): Response {
  return new Response(
    JSON.stringify({
      errors: [{ message: `The request body is over ${limit} bytes`, extensions: { code: "PAYLOAD_TOO_LARGE" } }],
    }),
    { status: 413, headers: { "content-type": "application/json" } },
  );
}

/** Refuses a body over the limit before it is read, by its declared length. */
function useBodyLimit(maxBytes: number): Plugin {
  return {
    onRequest({ request, endResponse }) {
      if (request.method === "GET" || request.method === "HEAD") return;
      const length = request.headers.get("content-length");
      if (length === null) {
        if (request.body) {
          endResponse(
            new Response(JSON.stringify({ errors: [{ message: "Send Content-Length with the request body" }] }), {
              status: 411,
              headers: { "content-type": "application/json" },
            }),
          );
        }
        return;
      }
      if (!/^\d+$/.test(length) || Number(length) > maxBytes) endResponse(tooLarge(maxBytes));
    },
  };
}

const badRequest = (message: string) =>
  createGraphQLError(message, { extensions: { http: { status: 400 }, code: "BAD_REQUEST" } });

/**
 * JSON bodies must be valid UTF-8: a value with bytes that are not would otherwise be stored
 * with U+FFFD in their place, silently, instead of refused.
 */
function useStrictUtf8Json(): Plugin {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  return {
    onRequestParse({ request, setRequestParser }) {
      const type = request.headers.get("content-type") ?? "";
      if (request.method !== "POST" || !/^application\/(graphql\+)?json\b/i.test(type)) return;
      setRequestParser(async (req) => {
        let text: string;
        try {
          text = decoder.decode(await req.arrayBuffer());
        } catch {
          throw badRequest("The request body is not valid UTF-8");
        }
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          throw badRequest("POST body sent invalid JSON.");
        }
        if (body === null || typeof body !== "object") {
          throw badRequest(`POST body is expected to be object but received ${body === null ? "null" : typeof body}`);
        }
        return body as never;
      });
    },
  };
}

export function hardeningPlugins(limits: Limits, options: { introspection: boolean }): Plugin[] {
  const plugins: Plugin[] = [
    useBodyLimit(limits.maxBodyBytes),
    useStrictUtf8Json(),
    useCSRFPrevention({ requestHeaders: ["x-graphql-yoga-csrf", "x-agent-vault-csrf"] }),
    EnvelopArmorPlugin({
      maxTokens: { n: limits.maxTokens },
      maxDepth: { n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true },
      maxAliases: { n: limits.maxAliases },
      maxDirectives: { n: limits.maxDirectives },
      costLimit: { maxCost: limits.maxCost, ignoreIntrospection: true },
      blockFieldSuggestion: { enabled: true },
    }) as Plugin,
  ];
  if (!options.introspection) plugins.push(useDisableIntrospection());
  return plugins;
}
