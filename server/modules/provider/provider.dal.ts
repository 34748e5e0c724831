// The ProviderConnection table's statements that bypass Prisma (the OAuth renewal check runs every
// few seconds on an idle server).
import { type Db, type Prisma, type Sql, storedDate, type Tx } from "../../db/database.ts";
import type { AiProvider } from "../../db/enums.ts";

const RENEWABLE = `SELECT "id", "userId", "provider", "expiresAt", "connectedAt", "lastRefreshedAt", "nextRefreshAt",
  "refreshLeaseUntil" FROM "ProviderConnection"
  WHERE "method" = 'OAUTH' AND "needsReauth" = FALSE AND "refreshCiphertext" IS NOT NULL AND "expiresAt" IS NOT NULL`;

/** OAuth connections the vault can renew, with what decides when. */
export async function renewableConnections(sql: Sql) {
  return (await sql.objects(RENEWABLE)).map((row) => ({
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

// The same table through Prisma: a user's connections, and what connecting, checking and
// renewing write. A connection is its user's: every statement is scoped to the user or to a
// connection the caller read as the user's.

type ConnectionData = Prisma.ProviderConnectionUncheckedUpdateInput;

/** The user's connections. */
export const connectionsOf = (tx: Db | Tx, userId: string) => tx.providerConnection.findMany({ where: { userId } });

/** Creates or replaces the user's connection of a provider. */
export const saveConnection = (
  tx: Db | Tx,
  userId: string,
  provider: AiProvider,
  create: Omit<Prisma.ProviderConnectionUncheckedCreateInput, "userId" | "provider">,
  update: ConnectionData,
) =>
  tx.providerConnection.upsert({
    where: { userId_provider: { userId, provider } },
    create: { userId, provider, ...create },
    update,
  });

/** Writes to a connection the caller read as the user's. */
export const updateConnection = (tx: Db | Tx, id: string, data: ConnectionData) =>
  tx.providerConnection.update({ where: { id }, data });

/**
 * Takes the lease on renewing a connection's token, only while it is due and nobody else holds
 * it: one instance renews each expiry. Whether it was taken.
 */
export async function takeRefreshLease(db: Db, id: string, expiresAt: Date, now: Date, until: Date): Promise<boolean> {
  const { count } = await db.providerConnection.updateMany({
    where: {
      id,
      expiresAt,
      needsReauth: false,
      AND: [
        { OR: [{ refreshLeaseUntil: null }, { refreshLeaseUntil: { lt: now } }] },
        { OR: [{ nextRefreshAt: null }, { nextRefreshAt: { lte: now } }] },
      ],
    },
    data: { refreshLeaseUntil: until },
  });
  return count > 0;
}

export const releaseRefreshLease = (db: Db, id: string) =>
  db.providerConnection.updateMany({ where: { id }, data: { refreshLeaseUntil: null } });

/** A refresh token sealed again, only if it is still the one read; whether it was written. */
export async function resealRefreshToken(db: Db, id: string, read: Uint8Array, sealed: Uint8Array<ArrayBuffer>) {
  const { count } = await db.providerConnection.updateMany({
    where: { id, refreshCiphertext: read as Uint8Array<ArrayBuffer> },
    data: { refreshCiphertext: sealed },
  });
  return count;
}
