// The ConsoleSession table's statements that bypass Prisma: a cookie's session with the token it
// stands for (every console request looks one up).
import type { Db, Sql } from "../../db/database.ts";

const COLUMNS = `SELECT s."id" AS "sessionId", s."lastSeenAt" AS "lastSeenAt", s."secretHash" AS "secretHash",
  s."binding" AS "sessionBinding", t."id" AS "tokenId",
  t."name" AS "tokenName", t."userId" AS "userId", t."revokedAt" AS "revokedAt", t."expiresAt" AS "expiresAt",
  t."scopes" AS "scopes", t."binding" AS "binding", u."keySalt" AS "keySalt"
  FROM "ConsoleSession" s JOIN "ApiToken" t ON t."id" = s."tokenId" JOIN "User" u ON u."id" = t."userId"`;
const BY_SECRET = `${COLUMNS} WHERE s."secretHash" = ?`;
const BY_ID = `${COLUMNS} WHERE s."id" = ?`;

export const sessionBySecretHash = async (sql: Sql, hash: string) => (await sql.objects(BY_SECRET, [hash]))[0];
export const sessionById = async (sql: Sql, id: string) => (await sql.objects(BY_ID, [id]))[0];

export const createSession = (db: Db, row: { id: string; secretHash: string; tokenId: string; binding: string }) =>
  db.consoleSession.create({ data: row });

/** Moves a session's idle clock on. */
export const touchSession = (db: Db, id: string) =>
  db.consoleSession.updateMany({ where: { id }, data: { lastSeenAt: new Date() } });

export const deleteSessionBySecretHash = (db: Db, secretHash: string) =>
  db.consoleSession.deleteMany({ where: { secretHash } });
