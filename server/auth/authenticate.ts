// Authentication, one path for every transport: GraphQL over HTTP and WebSocket take API tokens,
// the runtime channel takes runtime tokens. A bearer token is parsed and looked up by its keyed
// hash; failed attempts are throttled per address and per token, and a valid token is never
// throttled (one bad client behind a shared address must not lock everyone else out).

import type { RowBinder } from "../crypto/row-binding.ts";
import { type TokenHasher, tokenDigest } from "../crypto/token-hash.ts";
import { type TokenKind, tokenKind } from "../crypto/tokens.ts";
import { type Sql, storedDate } from "../db/database.ts";
import {
  type EnvironmentRow,
  runtimeTokenByHash,
  runtimeTokenById,
  runtimeTokenWithEnvironment,
} from "../modules/runtime/runtime.dal.ts";
import { sessionById, sessionBySecretHash } from "../modules/session/session.dal.ts";
import { apiTokenByHash, apiTokenById } from "../modules/token/token.dal.ts";
import type { RateLimits } from "./rate-limits.ts";
import { parseScopes } from "./scopes.ts";
import type { Confirmation, RuntimeViewer, Viewer } from "./viewer.ts";

export type Credentials = {
  authorization: string | null | undefined;
  address: string;
  /** Pasted by a person (the console's sign-in), not read from a setting: messages name no setting. */
  pasted?: boolean;
};

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

const PREFIXES: Record<TokenKind, string> = { api: "avt_", runtime: "avr_" };

function wrongKind(found: TokenKind | null, expected: TokenKind, token: string, pasted: boolean): string {
  const setting = expected === "api" ? "AGENT_VAULT_TOKEN" : "AGENT_VAULT_RUNTIME_TOKEN";
  const check = pasted ? "" : ` (check ${setting})`;
  if (found === null && token.startsWith(PREFIXES[expected])) {
    return `This ${expected === "api" ? "API" : "runtime"} token is mistyped or cut short: its checksum does not match${check}`;
  }
  if (expected === "api") {
    return found === "runtime"
      ? "This is a runtime token (avr_...): it is for agent-vault run only; the API needs an API token (avt_...)"
      : `This is not an API token: API tokens start with avt_${check}`;
  }
  return found === "api"
    ? "This is an API token (avt_...): agent-vault run needs the agent's runtime token (avr_...; agent-vault agents token NAME)"
    : "This is not a runtime token: runtime tokens start with avr_ (check AGENT_VAULT_RUNTIME_TOKEN)";
}

const UNKNOWN: Record<TokenKind, string> = {
  api: "Invalid, expired or revoked API token",
  runtime: "Unknown runtime token: it was never issued here, or its agent was deleted",
};

/** API tokens each instance keeps verified (the least recently verified go first). */
const VERIFIED_TOKENS = 10_000;

/** How long a console session lasts unused. */
export const SESSION_IDLE_MS = 12 * 60 * 60 * 1000;
/** How far ahead of this server's clock another instance's may write a session's last use. */
const CLOCK_SKEW_MS = 30_000;

/** A console session's viewer: its token's, and the session's own id. */
export type SessionViewer = Viewer & { sessionId: string; lastSeenAt: Date };

const SESSION_KEY = "session:";

/** A sign-in with a token the vault issued that no longer works (revoked, expired, or its row changed). */
export type RefusedSignIn = {
  userId: string;
  keySalt: Uint8Array;
  tokenId: string;
  tokenName: string;
  /** The token's first characters: enough to tell tokens apart, nothing to sign in with. */
  tokenPrefix: string;
  reason: "revoked" | "expired" | "changed";
  address: string;
};

export type Authenticator = ReturnType<typeof authenticator>;

export function authenticator(deps: {
  sql: Sql;
  rateLimits: RateLimits;
  hasher: TokenHasher;
  binder: RowBinder;
  sessionIdleMs?: number;
}) {
  const { sql, rateLimits, hasher, binder } = deps;
  const sessionIdleMs = deps.sessionIdleMs ?? SESSION_IDLE_MS;
  let onRefused: ((refused: RefusedSignIn) => Promise<void>) | undefined;
  /**
   * API tokens this instance verified, by keyed hash: what a write that confirms its token in its
   * own statement starts from (auth/confirmation.ts). Never trusted alone.
   */
  const verified = new Map<string, { viewer: Omit<Viewer, "address">; row: Omit<Confirmation, "confirmed"> }>();
  function rememberVerified(tokenHash: string, viewer: Viewer, row: Record<string, unknown>) {
    if (typeof row.binding !== "string") return;
    const { address: _address, ...rest } = viewer;
    verified.delete(tokenHash);
    if (verified.size >= VERIFIED_TOKENS) verified.delete(verified.keys().next().value as string);
    verified.set(tokenHash, {
      viewer: rest,
      row: {
        tokenHash,
        binding: row.binding,
        tokenName: String(row.tokenName),
        userId: String(row.userId),
        scopes: String(row.scopes),
        expiresAt: row.expiresAt ?? null,
      },
    });
  }

  /** Why a token row the vault issued does not authenticate. */
  function refusal(row: Record<string, unknown>): RefusedSignIn["reason"] {
    if (row.revokedAt != null) return "revoked";
    const expiresAt = storedDate(row.expiresAt);
    return expiresAt && expiresAt.getTime() <= Date.now() ? "expired" : "changed";
  }

  /** A token row as stored: live, unexpired, and granting what its binding says (not changed in the database). */
  function liveApiToken(row: Record<string, unknown> | undefined): row is Record<string, unknown> {
    if (!row || row.revokedAt != null) return false;
    const expiresAt = storedDate(row.expiresAt);
    if (expiresAt && expiresAt.getTime() <= Date.now()) return false;
    const grant = {
      id: String(row.tokenId),
      userId: String(row.userId),
      scopes: String(row.scopes),
      expiresAt,
      revoked: false,
    };
    return binder.verifyApiToken(grant, row.binding);
  }

  /** A failed attempt: refused with 429 while the address or key is throttled, counted otherwise. */
  async function countFailure(address: string, throttleKey: string | null): Promise<void> {
    const wait = await rateLimits.authenticationBlocked(address, throttleKey);
    if (wait) {
      throw new AuthenticationError(
        `Too many failed authentications; try again in ${wait} s`,
        "TOO_MANY_REQUESTS",
        wait,
      );
    }
    await rateLimits.authenticationFailed(address, throttleKey);
  }

  /**
   * A session row made by the vault for this token and its user, used within the idle limit (a
   * last use in the future was written in the database: expired), whose token works.
   */
  function liveSession(row: Record<string, unknown> | undefined): row is Record<string, unknown> {
    const lastSeenAt = storedDate(row?.lastSeenAt);
    if (!row || !lastSeenAt) return false;
    const idle = Date.now() - lastSeenAt.getTime();
    if (idle > sessionIdleMs || idle < -CLOCK_SKEW_MS) return false;
    const grant = {
      id: String(row.sessionId),
      secretHash: String(row.secretHash),
      tokenId: String(row.tokenId),
      userId: String(row.userId),
    };
    return binder.verifyConsoleSession(grant, row.sessionBinding) && liveApiToken(row);
  }

  /** The agent a runtime token row stands for, when the vault made the row (its binding holds). */
  function runtimeViewerOf(row: Record<string, unknown> | undefined, address: string): RuntimeViewer | null {
    if (!row || !binder.verifyRuntimeToken(String(row.tokenId), String(row.agentId), row.binding)) return null;
    return {
      userId: String(row.userId),
      tokenId: String(row.tokenId),
      keySalt: row.keySalt as Uint8Array,
      address,
      agent: {
        id: String(row.agentId),
        name: String(row.name),
        runningEnv: String(row.runningEnv),
        lastRestartedAt: storedDate(row.lastRestartedAt),
      },
    };
  }

  async function apiTokenValid(tokenId: string): Promise<boolean> {
    return liveApiToken(await apiTokenById(sql, tokenId));
  }

  function viewerOf(row: Record<string, unknown>, address: string): Viewer {
    return {
      userId: String(row.userId),
      tokenId: String(row.tokenId),
      tokenName: String(row.tokenName),
      keySalt: row.keySalt as Uint8Array,
      address,
      scopes: parseScopes(String(row.scopes)),
      expiresAt: storedDate(row.expiresAt),
    };
  }

  async function authenticate<T>(
    credentials: Credentials,
    expected: TokenKind,
    lookup: (token: string, refused: (refused: RefusedSignIn) => void) => Promise<T | null>,
  ): Promise<T> {
    const { address } = credentials;
    const token = bearerToken(credentials.authorization);
    // Throttling keys on the token's digest, in memory only.
    const throttleKey = token ? tokenDigest(token) : null;
    const kind = token ? tokenKind(token) : null;
    let refused: RefusedSignIn | undefined;
    const found =
      token && kind === expected
        ? await lookup(token, (known) => {
            refused = known;
          })
        : null;
    if (found) return found;
    await countFailure(address, throttleKey);
    // Recorded in its user's activity only while not throttled: failures cannot flood the log.
    if (refused) await onRefused?.(refused).catch(() => {});
    if (!token) throw new AuthenticationError(MISSING[expected], "UNAUTHENTICATED");
    if (kind !== expected)
      throw new AuthenticationError(wrongKind(kind, expected, token, credentials.pasted ?? false), "UNAUTHENTICATED");
    throw new AuthenticationError(UNKNOWN[expected], "UNAUTHENTICATED");
  }

  return {
    /** Whether an API token still works: not revoked, not expired (open streams re-check). */
    apiTokenValid,

    /** Whether an open stream's credentials still work (streamKey): its console session, or its API token. */
    async streamValid(key: string): Promise<boolean> {
      if (!key.startsWith(SESSION_KEY)) return apiTokenValid(key);
      return liveSession(await sessionById(sql, key.slice(SESSION_KEY.length)));
    },

    /** Whether a runtime token still exists (it goes with its agent). */
    async runtimeTokenValid(tokenId: string): Promise<boolean> {
      const row = await runtimeTokenById(sql, tokenId);
      return !!row && binder.verifyRuntimeToken(tokenId, String(row.agentId), row.binding);
    },

    /** Hears sign-ins with tokens the vault issued that no longer work (the activity log records them). */
    onRefusedSignIn(listener: (refused: RefusedSignIn) => Promise<void>) {
      onRefused = listener;
    },

    /**
     * The viewer an API token stood for when this instance last verified it, not read again: for
     * a write that confirms it in its own statement (`unconfirmed`). Null when not known here, or
     * expired since.
     */
    verifiedApi(credentials: Credentials): Viewer | null {
      const token = bearerToken(credentials.authorization);
      if (!token || tokenKind(token) !== "api") return null;
      const tokenHash = hasher.hash(token);
      const known = verified.get(tokenHash);
      if (!known) return null;
      const { viewer, row } = known;
      if (viewer.expiresAt && viewer.expiresAt.getTime() <= Date.now()) {
        verified.delete(tokenHash);
        return null;
      }
      return { ...viewer, address: credentials.address, unconfirmed: { ...row, confirmed: false } };
    },

    /** The viewer an API token stands for. */
    api: (credentials: Credentials): Promise<Viewer> =>
      authenticate(credentials, "api", async (token, refused) => {
        const tokenHash = hasher.hash(token);
        const row = await apiTokenByHash(sql, tokenHash);
        const known: Record<string, unknown> | undefined = row;
        if (!liveApiToken(row)) {
          if (known) {
            refused({
              userId: String(known.userId),
              keySalt: known.keySalt as Uint8Array,
              tokenId: String(known.tokenId),
              tokenName: String(known.tokenName),
              tokenPrefix: token.slice(0, 8),
              reason: refusal(known),
              address: credentials.address,
            });
          }
          // No longer kept as verified (a write that found it changed reads it here).
          verified.delete(tokenHash);
          return null;
        }
        const viewer = viewerOf(row, credentials.address);
        rememberVerified(tokenHash, viewer, row);
        return viewer;
      }),

    /**
     * The viewer a console session's secret stands for: its token's, while the token works and
     * the session has been used within the idle limit. Failures are throttled as tokens' are.
     */
    async session(secret: string, address: string): Promise<SessionViewer> {
      const row = await sessionBySecretHash(sql, hasher.hash(secret));
      if (!liveSession(row)) {
        await countFailure(address, tokenDigest(secret));
        throw new AuthenticationError("Your console session has ended: sign in again", "UNAUTHENTICATED");
      }
      return {
        ...viewerOf(row, address),
        sessionId: String(row.sessionId),
        lastSeenAt: storedDate(row.lastSeenAt) as Date,
      };
    },

    /** The agent a runtime token stands for. */
    runtime: (credentials: Credentials): Promise<RuntimeViewer> =>
      authenticate(credentials, "runtime", async (token) =>
        runtimeViewerOf(await runtimeTokenByHash(sql, hasher.hash(token)), credentials.address),
      ),

    /**
     * The agent a runtime token stands for, and the rows of its environment read in the same
     * statement (an agent's start asks for both). Nothing of them is used unless the token is.
     */
    runtimeWithEnvironment: (
      credentials: Credentials,
    ): Promise<{ runtime: RuntimeViewer; environment: EnvironmentRow[] }> =>
      authenticate(credentials, "runtime", async (token) => {
        const read = await runtimeTokenWithEnvironment(sql, hasher.hash(token));
        const runtime = runtimeViewerOf(read?.token, credentials.address);
        return runtime && read ? { runtime, environment: read.environment } : null;
      }),
  };
}
