// The console session's cookie: HttpOnly, SameSite=Strict, Secure over HTTPS, for the whole site.
// It lives as long as the browser does; the server ends the session after 12 hours unused.

export const SESSION_COOKIE = "agent_vault_session";

/** The headers yoga's CSRF prevention accepts; a cookie-authenticated request must send one. */
export const CSRF_HEADERS = ["x-agent-vault-csrf", "x-graphql-yoga-csrf"] as const;

export const hasCsrfHeader = (request: Request) => CSRF_HEADERS.some((name) => request.headers.has(name));

/** The session secret in the request's cookies, if any. */
export function sessionSecret(request: Request): string | null {
  const header = request.headers.get("cookie");
  if (!header) return null;
  for (const part of header.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === SESSION_COOKIE) return value.join("=") || null;
  }
  return null;
}

export function sessionCookie(secret: string, options: { secure: boolean; clear?: boolean }): string {
  return [
    `${SESSION_COOKIE}=${secret}`,
    "Path=/",
    "HttpOnly",
    "SameSite=Strict",
    ...(options.secure ? ["Secure"] : []),
    ...(options.clear ? ["Max-Age=0"] : []),
  ].join("; ");
}
