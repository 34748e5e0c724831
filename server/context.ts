// request -> viewer: authentication only. Authorization happens in each service.
import { GraphQLError } from "graphql";
import { hashToken, tokenKind } from "./crypto/tokens.ts";
import type { UserKeyring } from "./crypto/user-keys.ts";
import type { Db } from "./db/connect.ts";
import type { VaultEvents } from "./events.ts";
import type { ProviderBaseUrls } from "./modules/provider/providers.ts";
import type { RateLimits } from "./rate-limits.ts";

export type Viewer = { userId: string; tokenId: string; keySalt: Uint8Array };

/** What every request shares: the database, the key ring and the limiters. */
export type Services = {
  db: Db;
  keyring: UserKeyring;
  rateLimits: RateLimits;
  /** Take the client's address from X-Forwarded-For (behind a trusted proxy only). */
  trustProxy: boolean;
  events: VaultEvents;
  /** Where checkAiProvider reaches each provider (configurable for tests and proxies). */
  providerBaseUrls: ProviderBaseUrls;
};

export type Context = Services & { viewer: Viewer; address: string };

export function unauthenticated(message = "Authentication required: send Authorization: Bearer <API token>") {
  return new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
}

export function bearerToken(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}

function tooManyAttempts(seconds: number) {
  return new GraphQLError(`Too many failed authentications; try again in ${seconds} s`, {
    extensions: { code: "TOO_MANY_REQUESTS", http: { status: 429, headers: { "retry-after": String(seconds) } } },
  });
}

/** The client's address: the socket's, or behind a trusted proxy the first X-Forwarded-For. */
export function clientAddress(
  services: Pick<Services, "trustProxy">,
  request: Request | undefined,
  socketAddress: string | undefined,
): string {
  const forwarded = services.trustProxy ? request?.headers.get("x-forwarded-for")?.split(",")[0]?.trim() : undefined;
  return forwarded || socketAddress || "unknown";
}

/**
 * The viewer an API token stands for. Throws UNAUTHENTICATED for anything else, and
 * TOO_MANY_REQUESTS once an address or a token has failed too often.
 */
export async function authenticate(
  services: Services,
  authorization: string | null | undefined,
  address: string,
): Promise<Viewer> {
  const token = bearerToken(authorization);
  const tokenHash = token ? hashToken(token) : null;
  const wait = await services.rateLimits.authenticationBlocked(address, tokenHash);
  if (wait) throw tooManyAttempts(wait);
  const fail = async (message?: string) => {
    await services.rateLimits.authenticationFailed(address, tokenHash);
    return unauthenticated(message);
  };
  if (!token || !tokenHash) throw await fail();
  if (tokenKind(token) !== "api") throw await fail("Invalid or revoked token");
  const row = await services.db.apiToken.findUnique({
    where: { tokenHash },
    select: { id: true, userId: true, revokedAt: true, user: { select: { keySalt: true } } },
  });
  if (!row || row.revokedAt) throw await fail("Invalid or revoked token");
  return { userId: row.userId, tokenId: row.id, keySalt: row.user.keySalt };
}
