// The ApiToken table's statements that bypass Prisma (authentication runs one on every request).
import type { RawSql } from "../../db/database.ts";

const BY_HASH = `SELECT t."id" AS "tokenId", t."name" AS "tokenName", t."userId" AS "userId", t."revokedAt" AS "revokedAt",
  t."expiresAt" AS "expiresAt", t."scopes" AS "scopes", t."binding" AS "binding", u."keySalt" AS "keySalt"
  FROM "ApiToken" t JOIN "User" u ON u."id" = t."userId" WHERE t."tokenHash" = ?`;
const BY_ID =
  'SELECT "id" AS "tokenId", "userId", "scopes", "revokedAt", "expiresAt", "binding" FROM "ApiToken" WHERE "id" = ?';
const UNKEYED = 'SELECT COUNT(*) AS "count" FROM "ApiToken" WHERE "hashKeyVersion" IS NULL';
const UNADOPTED = `SELECT t."id", t."name", t."scopes", t."expiresAt", t."revokedAt", t."userId", t."hashKeyVersion",
  t."binding", u."name" AS "owner"
  FROM "ApiToken" t JOIN "User" u ON u."id" = t."userId" WHERE t."hashKeyVersion" IS NULL OR t."binding" IS NULL`;
const ANY_UNADOPTED = 'SELECT 1 AS "found" FROM "ApiToken" WHERE "hashKeyVersion" IS NULL OR "binding" IS NULL LIMIT 1';
const UNBOUND = 'SELECT "id", "userId", "scopes", "expiresAt", "revokedAt" FROM "ApiToken" WHERE "binding" IS NULL';
const BIND = 'UPDATE "ApiToken" SET "binding" = ? WHERE "id" = ? AND "binding" IS NULL';

/** A token row with its user's key salt, by the token's keyed hash (or undefined). */
export const apiTokenByHash = async (raw: RawSql, hash: string) => (await raw(BY_HASH, [hash]))[0];

/** A token row by id: what its binding covers. */
export const apiTokenById = async (raw: RawSql, id: string) => (await raw(BY_ID, [id]))[0];

/** How many API tokens are hashed without the vault's key. */
export const unkeyedApiTokens = async (raw: RawSql) => Number((await raw(UNKEYED))[0]?.count ?? 0);

/** API token rows without a keyed hash or a binding, with their user's name. */
export const unadoptedApiTokens = (raw: RawSql) => raw(UNADOPTED);

export const anyUnadoptedApiToken = async (raw: RawSql) => (await raw(ANY_UNADOPTED)).length > 0;

/** API token rows without a binding, and the binding each gets (keys adopt --yes). */
export const unboundApiTokens = (raw: RawSql) => raw(UNBOUND);
export const bindApiToken = (raw: RawSql, id: unknown, binding: string) => raw(BIND, [binding, id]);
