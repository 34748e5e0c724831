// The ProviderConnection table's statements that bypass Prisma (the OAuth renewal check runs every
// few seconds on an idle server).
import { type RawSql, storedDate } from "../../db/database.ts";

const RENEWABLE = `SELECT "id", "userId", "provider", "expiresAt", "connectedAt", "lastRefreshedAt", "nextRefreshAt",
  "refreshLeaseUntil" FROM "ProviderConnection"
  WHERE "method" = 'OAUTH' AND "needsReauth" = FALSE AND "refreshCiphertext" IS NOT NULL AND "expiresAt" IS NOT NULL`;

/** OAuth connections the vault can renew, with what decides when. */
export async function renewableConnections(raw: RawSql) {
  return (await raw(RENEWABLE)).map((row) => ({
    id: String(row.id),
    userId: String(row.userId),
    provider: String(row.provider),
    expiresAt: storedDate(row.expiresAt) as Date,
    connectedAt: storedDate(row.connectedAt) as Date,
    lastRefreshedAt: storedDate(row.lastRefreshedAt),
    nextRefreshAt: storedDate(row.nextRefreshAt),
    refreshLeaseUntil: storedDate(row.refreshLeaseUntil),
  }));
}
