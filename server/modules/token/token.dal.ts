// The ApiToken table's statements that bypass Prisma (authentication runs one on every request).
import type { Confirmation } from "../../auth/viewer.ts";
import type { Db, Prisma, Sql, Tx } from "../../db/database.ts";

const BY_HASH = `SELECT t."id" AS "tokenId", t."name" AS "tokenName", t."userId" AS "userId", t."revokedAt" AS "revokedAt",
  t."expiresAt" AS "expiresAt", t."scopes" AS "scopes", t."binding" AS "binding", u."keySalt" AS "keySalt"
  FROM "ApiToken" t JOIN "User" u ON u."id" = t."userId" WHERE t."tokenHash" = ?`;
const BY_ID =
  'SELECT "id" AS "tokenId", "userId", "scopes", "revokedAt", "expiresAt", "binding" FROM "ApiToken" WHERE "id" = ?';
// A token verified earlier, still its row as it was then, to the letter (a row changed by anyone
// but the vault no longer matches its binding, and then grants nothing).
const STILL_AS_VERIFIED = `SELECT 1 AS "live" FROM "ApiToken" WHERE "tokenHash" = ? AND "binding" = ? AND "name" = ?
  AND "userId" = ? AND "scopes" = ? AND "revokedAt" IS NULL AND`;
const UNKEYED = 'SELECT COUNT(*) AS "count" FROM "ApiToken" WHERE "hashKeyVersion" IS NULL';
const UNADOPTED = `SELECT t."id", t."name", t."scopes", t."expiresAt", t."revokedAt", t."userId", t."hashKeyVersion",
  t."binding", u."name" AS "owner"
  FROM "ApiToken" t JOIN "User" u ON u."id" = t."userId" WHERE t."hashKeyVersion" IS NULL OR t."binding" IS NULL`;
const ANY_UNADOPTED = 'SELECT 1 AS "found" FROM "ApiToken" WHERE "hashKeyVersion" IS NULL OR "binding" IS NULL LIMIT 1';
const UNBOUND = 'SELECT "id", "userId", "scopes", "expiresAt", "revokedAt" FROM "ApiToken" WHERE "binding" IS NULL';
const BIND = 'UPDATE "ApiToken" SET "binding" = ? WHERE "id" = ? AND "binding" IS NULL';

/** A token row with its user's key salt, by the token's keyed hash (or undefined). */
export const apiTokenByHash = async (sql: Sql, hash: string) => (await sql.objects(BY_HASH, [hash]))[0];

/**
 * The statement (and its parameters) that gives a row only while the token of this keyed hash is
 * still the row it was verified as: to run alone, or as a WITH clause of a write.
 */
export const tokenStillAsVerified = (token: Omit<Confirmation, "confirmed">) => {
  const params = [token.tokenHash, token.binding, token.tokenName, token.userId, token.scopes];
  return token.expiresAt == null
    ? { sql: `${STILL_AS_VERIFIED} "expiresAt" IS NULL`, params }
    : { sql: `${STILL_AS_VERIFIED} "expiresAt" = ?`, params: [...params, token.expiresAt] };
};

/** A token row by id: what its binding covers. */
export const apiTokenById = async (sql: Sql, id: string) => (await sql.objects(BY_ID, [id]))[0];

/** How many API tokens are hashed without the vault's key. */
export const unkeyedApiTokens = async (sql: Sql) => Number((await sql.objects(UNKEYED))[0]?.count ?? 0);

/** API token rows without a keyed hash or a binding, with their user's name. */
export const unadoptedApiTokens = (sql: Sql) => sql.objects(UNADOPTED);

export const anyUnadoptedApiToken = async (sql: Sql) => (await sql.objects(ANY_UNADOPTED)).length > 0;

/** API token rows without a binding, and the binding each gets (keys adopt --yes). */
export const unboundApiTokens = (sql: Sql) => sql.objects(UNBOUND);
export const bindApiToken = (sql: Sql, id: unknown, binding: string) => sql.objects(BIND, [binding, id]);

/** What Pothos' Prisma plugin asks a query to load. */
type Selection = { select?: Prisma.ApiTokenSelect; include?: Prisma.ApiTokenInclude };

/** The user's API tokens, oldest first. */
export const apiTokensOf = (db: Db, userId: string, query: Selection = {}) =>
  db.apiToken.findMany({ ...query, where: { userId }, orderBy: { createdAt: "asc" } });

/** The user's API token with this id, or null (another user's is as missing). */
export const apiTokenOf = (db: Db | Tx, userId: string, id: string, query: Selection = {}) =>
  db.apiToken.findFirst({ ...query, where: { id, userId } });

/** A new API token row (its hash and binding made by the caller). */
export const createApiToken = (
  tx: Tx,
  row: {
    id: string;
    userId: string;
    name: string;
    tokenHash: string;
    hashKeyVersion: number;
    scopes: string;
    expiresAt: Date | null;
    binding: string;
  },
) => tx.apiToken.create({ data: row });

/** Revokes a token: its new binding says so; its console sessions end with it. */
export async function revokeApiTokenRow(tx: Tx, id: string, binding: string) {
  const updated = await tx.apiToken.update({ where: { id }, data: { revokedAt: new Date(), binding } });
  await tx.consoleSession.deleteMany({ where: { tokenId: id } });
  return updated;
}
