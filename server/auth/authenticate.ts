// Authentication, one path for every transport: GraphQL over HTTP and WebSocket take API tokens,
// the runtime channel takes runtime tokens. A bearer token is parsed, failed attempts are
// throttled per address and per token, and the token is looked up by its hash.
import { hashToken, type TokenKind, tokenKind } from "../crypto/tokens.ts";
import type { Db } from "../db/database.ts";
import type { RateLimits } from "./rate-limits.ts";
import type { RuntimeViewer, Viewer } from "./viewer.ts";

export type Credentials = { authorization: string | null | undefined; address: string };

/** Authentication failed: 401, or 429 once an address or a token has failed too often. */
export class AuthenticationError extends Error {
  override name = "AuthenticationError";
  constructor(
    message: string,
    readonly code: "UNAUTHENTICATED" | "TOO_MANY_REQUESTS",
    readonly retryAfter?: number,
  ) {
    super(message);
  }

  get status(): number {
    return this.code === "TOO_MANY_REQUESTS" ? 429 : 401;
  }
}

export function bearerToken(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}

const MISSING: Record<TokenKind, string> = {
  api: "Authentication required: send Authorization: Bearer <API token (avt_...)>",
  runtime: "The runtime channel needs an agent's runtime token: send Authorization: Bearer avr_...",
};

function wrongKind(found: TokenKind | null, expected: TokenKind): string {
  if (expected === "api") {
    return found === "runtime"
      ? "This is a runtime token (avr_...): it is for agent-vault run only; the API needs an API token (avt_...)"
      : "This is not an API token: API tokens start with avt_ (check AGENT_VAULT_TOKEN)";
  }
  return found === "api"
    ? "This is an API token (avt_...): agent-vault run needs the agent's runtime token (avr_...; agent-vault agents token NAME)"
    : "This is not a runtime token: runtime tokens start with avr_ (check AGENT_VAULT_RUNTIME_TOKEN)";
}

const UNKNOWN: Record<TokenKind, string> = {
  api: "Invalid or revoked API token",
  runtime: "Unknown runtime token: it was never issued here, or its agent was deleted",
};

export type Authenticator = ReturnType<typeof authenticator>;

export function authenticator(deps: { db: Db; rateLimits: RateLimits }) {
  const { db, rateLimits } = deps;

  async function authenticate<T>(
    credentials: Credentials,
    expected: TokenKind,
    lookup: (tokenHash: string) => Promise<T | null>,
  ): Promise<T> {
    const { address } = credentials;
    const token = bearerToken(credentials.authorization);
    const tokenHash = token ? hashToken(token) : null;
    const wait = await rateLimits.authenticationBlocked(address, tokenHash);
    if (wait) {
      throw new AuthenticationError(
        `Too many failed authentications; try again in ${wait} s`,
        "TOO_MANY_REQUESTS",
        wait,
      );
    }
    const fail = async (message: string) => {
      await rateLimits.authenticationFailed(address, tokenHash);
      return new AuthenticationError(message, "UNAUTHENTICATED");
    };
    if (!token || !tokenHash) throw await fail(MISSING[expected]);
    const kind = tokenKind(token);
    if (kind !== expected) throw await fail(wrongKind(kind, expected));
    const found = await lookup(tokenHash);
    if (!found) throw await fail(UNKNOWN[expected]);
    return found;
  }

  return {
    /** The viewer an API token stands for. */
    api: (credentials: Credentials): Promise<Viewer> =>
      authenticate(credentials, "api", async (tokenHash) => {
        const row = await db.apiToken.findUnique({
          where: { tokenHash },
          select: { id: true, userId: true, revokedAt: true, user: { select: { keySalt: true } } },
        });
        if (!row || row.revokedAt) return null;
        return { userId: row.userId, tokenId: row.id, keySalt: row.user.keySalt, address: credentials.address };
      }),

    /** The agent a runtime token stands for. */
    runtime: (credentials: Credentials): Promise<RuntimeViewer> =>
      authenticate(credentials, "runtime", async (tokenHash) => {
        const row = await db.runtimeToken.findUnique({
          where: { tokenHash },
          select: {
            id: true,
            agent: {
              select: {
                id: true,
                name: true,
                runningEnv: true,
                lastRestartedAt: true,
                userId: true,
                user: { select: { keySalt: true } },
              },
            },
          },
        });
        if (!row) return null;
        const { user, userId, ...agent } = row.agent;
        return { userId, tokenId: row.id, keySalt: user.keySalt, address: credentials.address, agent };
      }),
  };
}
