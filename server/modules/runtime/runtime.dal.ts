// The RuntimeToken table's statements that bypass Prisma (the runtime channel authenticates and
// reads an agent's environment on every agent start), and the environment itself: an agent's
// attachments with their entries.
import type { Db, Sql, Tx } from "../../db/database.ts";
import type { EntryKind } from "../../db/enums.ts";

const BY_HASH = `SELECT t."id" AS "tokenId", t."binding" AS "binding", a."id" AS "agentId", a."name" AS "name",
  a."runningEnv" AS "runningEnv", a."lastRestartedAt" AS "lastRestartedAt", a."userId" AS "userId",
  u."keySalt" AS "keySalt"
  FROM "RuntimeToken" t JOIN "Agent" a ON a."id" = t."agentId" JOIN "User" u ON u."id" = a."userId"
  WHERE t."tokenHash" = ?`;
const BY_ID = 'SELECT "agentId", "binding" FROM "RuntimeToken" WHERE "id" = ?';
const UNKEYED = 'SELECT COUNT(*) AS "count" FROM "RuntimeToken" WHERE "hashKeyVersion" IS NULL';
const UNADOPTED = `SELECT t."id", t."agentId", t."hashKeyVersion", t."binding", a."name" AS "owner"
  FROM "RuntimeToken" t JOIN "Agent" a ON a."id" = t."agentId" WHERE t."hashKeyVersion" IS NULL OR t."binding" IS NULL`;
const ANY_UNADOPTED =
  'SELECT 1 AS "found" FROM "RuntimeToken" WHERE "hashKeyVersion" IS NULL OR "binding" IS NULL LIMIT 1';
const UNBOUND = 'SELECT "id", "agentId" FROM "RuntimeToken" WHERE "binding" IS NULL';
const BIND = 'UPDATE "RuntimeToken" SET "binding" = ? WHERE "id" = ? AND "binding" IS NULL';
const SET_RUNNING = 'UPDATE "Agent" SET "runningEnv" = ?, "lastRestartedAt" = ? WHERE "id" = ?';
// By the agent's attachments (an index); rows as arrays, in this column order.
const ENVIRONMENT = `SELECT e."id", e."name", e."kind", e."version", e."ciphertext", t."binding", e."upstream"
  FROM "Attachment" t JOIN "Entry" e ON e."id" = t."entryId" WHERE t."agentId" = ? AND e."userId" = ?`;

// An agent start's one read (PostgreSQL): the token with its agent and user (the row whose first
// column is set), then the agent's entries with each attachment's binding (a row each). The two
// kinds share their columns where their types agree (a UNION needs one type per column).
const WITH_ENVIRONMENT = `SELECT t."id", t."binding", a."id", a."name", a."runningEnv", a."lastRestartedAt", a."userId",
    u."keySalt", NULL
  FROM "RuntimeToken" t JOIN "Agent" a ON a."id" = t."agentId" JOIN "User" u ON u."id" = a."userId"
  WHERE t."tokenHash" = ?
  UNION ALL
  SELECT NULL, x."binding", e."id", e."name", e."upstream", NULL, CAST(e."kind" AS TEXT), e."ciphertext", e."version"
  FROM "RuntimeToken" t JOIN "Agent" a ON a."id" = t."agentId" JOIN "Attachment" x ON x."agentId" = a."id"
    JOIN "Entry" e ON e."id" = x."entryId" AND e."userId" = a."userId"
  WHERE t."tokenHash" = ?`;

/** A runtime token row with its agent and user, by the token's keyed hash (or undefined). */
export const runtimeTokenByHash = async (sql: Sql, hash: string) => (await sql.objects(BY_HASH, [hash]))[0];

/**
 * A runtime token row as runtimeTokenByHash reads it, and its agent's environment as
 * environmentRows does (or undefined): in one statement where each is a round trip.
 */
export async function runtimeTokenWithEnvironment(
  sql: Sql,
  hash: string,
): Promise<{ token: Record<string, unknown>; environment: EnvironmentRow[] } | undefined> {
  if (!sql.roundTrips) {
    // In process, the two reads cost less than the one that joins them (docs/performance.md).
    const found = await runtimeTokenByHash(sql, hash);
    if (!found) return undefined;
    return { token: found, environment: await environmentRows(sql, String(found.agentId), String(found.userId)) };
  }
  let token: Record<string, unknown> | undefined;
  const environment: EnvironmentRow[] = [];
  for (const row of await sql.rows(WITH_ENVIRONMENT, [hash, hash])) {
    if (row[0] !== null) {
      const [tokenId, binding, agentId, name, runningEnv, lastRestartedAt, userId, keySalt] = row;
      token = { tokenId, binding, agentId, name, runningEnv, lastRestartedAt, userId, keySalt };
    } else {
      const [, binding, id, name, upstream, , kind, ciphertext, version] = row;
      environment.push(environmentRow([id, name, kind, version, ciphertext, binding, upstream]));
    }
  }
  return token && { token, environment };
}

/** A runtime token's agent and binding, by id (or undefined). */
export const runtimeTokenById = async (sql: Sql, id: string) => (await sql.objects(BY_ID, [id]))[0];

export const unkeyedRuntimeTokens = async (sql: Sql) => Number((await sql.objects(UNKEYED))[0]?.count ?? 0);
export const unadoptedRuntimeTokens = (sql: Sql) => sql.objects(UNADOPTED);
export const anyUnadoptedRuntimeToken = async (sql: Sql) => (await sql.objects(ANY_UNADOPTED)).length > 0;
export const unboundRuntimeTokens = (sql: Sql) => sql.objects(UNBOUND);
export const bindRuntimeToken = (sql: Sql, id: unknown, binding: string) => sql.objects(BIND, [binding, id]);

export type EnvironmentRow = {
  id: string;
  name: string;
  kind: EntryKind;
  version: number;
  ciphertext: Uint8Array;
  binding: unknown;
  /** A brokered secret's upstream (the agent gets a placeholder), or null. */
  upstream: string | null;
};

/** The entries attached to an agent of this user, with each attachment's binding. */
export async function environmentRows(sql: Sql, agentId: string, userId: string): Promise<EnvironmentRow[]> {
  return (await sql.rows(ENVIRONMENT, [agentId, userId])).map(environmentRow);
}

function environmentRow([id, name, kind, version, ciphertext, binding, upstream]: unknown[]): EnvironmentRow {
  return {
    id: String(id),
    name: String(name),
    kind: kind as EntryKind,
    version: Number(version),
    ciphertext: ciphertext as Uint8Array,
    binding,
    upstream: upstream == null ? null : String(upstream),
  };
}

export const createRuntimeToken = (
  tx: Tx,
  row: { id: string; agentId: string; tokenHash: string; hashKeyVersion: number; binding: string },
) => tx.runtimeToken.create({ data: row });

/** The user's runtime token with this id (of one of the user's agents), with its agent, or null. */
export const runtimeTokenOf = (tx: Db | Tx, userId: string, id: string) =>
  tx.runtimeToken.findFirst({
    where: { id, agent: { userId } },
    select: { id: true, agent: { select: { id: true, name: true } } },
  });

export const deleteRuntimeTokenRow = (tx: Tx, id: string) => tx.runtimeToken.delete({ where: { id } });

/** Records the environment an agent now runs with, and when it started. */
export async function setRunningEnvironment(sql: Sql, agentId: string, runningEnv: string, startedAt: Date) {
  await sql.objects(SET_RUNNING, [runningEnv, startedAt, agentId]);
}
