// The console's sign-in, beside the GraphQL API:
//   POST   /console/session  {"token": "avt_..."}  starts a session: an HttpOnly cookie
//   DELETE /console/session                        ends it on the server and clears the cookie
// Both need the CSRF-prevention header, as cookie-authenticated GraphQL requests do.
import type { FetchAPI, Plugin, YogaLogger } from "graphql-yoga";
import { AuthenticationError } from "../../auth/authenticate.ts";
import type { Services } from "../../services.ts";
import { CSRF_HEADERS, hasCsrfHeader, sessionCookie, sessionSecret } from "./session-cookie.ts";

const ROUTE = "/console/session";

function json(api: FetchAPI, status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new api.Response(body === null ? null : JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", "cache-control": "no-store", ...headers },
  });
}

const failure = (api: FetchAPI, status: number, code: string, message: string, headers?: Record<string, string>) =>
  json(api, status, { error: { code, message } }, headers);

async function tokenOf(request: Request): Promise<string | null> {
  try {
    const body = (await request.json()) as { token?: unknown };
    return typeof body?.token === "string" ? body.token.trim() : null;
  } catch {
    return null;
  }
}

export function useConsoleSessions(
  services: Services,
  addressOf: (request: Request, serverContext: unknown) => string,
  secureCookies: (request: Request) => boolean,
  logger: YogaLogger,
): Plugin {
  async function respond(api: FetchAPI, request: Request, address: string): Promise<Response> {
    if (!hasCsrfHeader(request)) {
      return failure(api, 403, "CSRF_HEADER_MISSING", `Send one of these headers: ${CSRF_HEADERS.join(", ")}`);
    }
    const secure = secureCookies(request);
    if (request.method === "DELETE") {
      const secret = sessionSecret(request);
      if (secret) await services.sessions.end(secret);
      return json(api, 204, null, { "set-cookie": sessionCookie("", { secure, clear: true }) });
    }
    if (request.method !== "POST") return failure(api, 405, "METHOD_NOT_ALLOWED", "Use POST or DELETE");
    const token = await tokenOf(request);
    if (!token) return failure(api, 400, "BAD_REQUEST", 'Send {"token": "avt_..."} as JSON');
    try {
      const viewer = await services.authenticate.api({ authorization: `Bearer ${token}`, address, pasted: true });
      const secret = await services.sessions.start(viewer);
      return json(api, 200, { tokenName: viewer.tokenName }, { "set-cookie": sessionCookie(secret, { secure }) });
    } catch (error) {
      if (!(error instanceof AuthenticationError)) throw error;
      const retry: Record<string, string> = error.retryAfter ? { "retry-after": String(error.retryAfter) } : {};
      return failure(api, error.status, error.code, error.message, retry);
    }
  }

  return {
    async onRequest({ request, url, endResponse, serverContext, fetchAPI }) {
      if (url.pathname.replace(/\/+$/, "") !== ROUTE) return;
      try {
        endResponse(await respond(fetchAPI, request, addressOf(request, serverContext)));
      } catch (error) {
        logger.error(error);
        endResponse(failure(fetchAPI, 500, "INTERNAL_SERVER_ERROR", "Unexpected error."));
      }
    },
  };
}
