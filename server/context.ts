// request -> viewer: authentication only. Authorization happens in each service.
import { GraphQLError } from "graphql";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { hashToken, tokenKind } from "./crypto/tokens.ts";
import type { UserKeyring } from "./crypto/user-keys.ts";
import type { Db } from "./db/connect.ts";
import type { VaultEvents } from "./events.ts";
import type { ProviderBaseUrls } from "./modules/provider/providers.ts";

export type Viewer = { userId: string; tokenId: string; keySalt: Uint8Array };

/** What every request shares: the database, the key ring and the limiters. */
export type Services = {
  db: Db;
  keyring: UserKeyring;
  verifyLimiter: RateLimiterAbstract;
  events: VaultEvents;
  /** Where checkAiProvider reaches each provider (configurable for tests and proxies). */
  providerBaseUrls: ProviderBaseUrls;
};

export type Context = Services & { viewer: Viewer };

export function unauthenticated(message = "Authentication required: send Authorization: Bearer <API token>") {
  return new GraphQLError(message, { extensions: { code: "UNAUTHENTICATED", http: { status: 401 } } });
}

export function bearerToken(header: string | null | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match?.[1] ?? null;
}

/** The viewer an API token stands for. Throws UNAUTHENTICATED for anything else. */
export async function authenticate(services: Services, authorization: string | null | undefined): Promise<Viewer> {
  const token = bearerToken(authorization);
  if (!token) throw unauthenticated();
  if (tokenKind(token) !== "api") throw unauthenticated("Invalid or revoked token");
  const row = await services.db.apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    select: { id: true, userId: true, revokedAt: true, user: { select: { keySalt: true } } },
  });
  if (!row || row.revokedAt) throw unauthenticated("Invalid or revoked token");
  return { userId: row.userId, tokenId: row.id, keySalt: row.user.keySalt };
}
