// The BrokerPlaceholder table: which placeholder stands for which agent's secret, fetched with which
// runtime token. Rows go with their runtime token and their attachment (foreign keys, cascading).
import type { Sql, SqlRunner } from "../../db/database.ts";
import {
  type AppliedLimit,
  appliedLimit,
  type CountedRequest,
  counterOf,
  countOneRequestClauses,
} from "../limit/limit.dal.ts";
import type { LimitWindow } from "../limit/limit-window.ts";

const INSERT = `INSERT INTO "BrokerPlaceholder" ("tokenHash", "runtimeTokenId", "agentId", "entryId", "binding")
  VALUES (?, ?, ?, ?, ?) ON CONFLICT ("tokenHash") DO NOTHING`;
// A broker request's one read: the placeholder, its secret and the secret's owner's key salt.
// The limits that apply come with it (a row each, or one row without), so that a request costs one read.
const GRANT_READ = `SELECT p."runtimeTokenId", p."agentId", p."entryId", p."binding", e."name", CAST(e."kind" AS TEXT) AS "kind",
  e."ciphertext", e."upstream", e."userId", u."keySalt", a."name" AS "agentName", a."runningEnv",
  l."id" AS "limitId", l."window", l."maxRequests", l."maxTokens", l."maxCostMicros"
  FROM "BrokerPlaceholder" p JOIN "Entry" e ON e."id" = p."entryId" JOIN "User" u ON u."id" = e."userId"
  JOIN "Agent" a ON a."id" = p."agentId" AND a."userId" = e."userId"
  LEFT JOIN "AgentLimit" l ON l."agentId" = p."agentId" AND (l."entryId" IS NULL OR l."entryId" = p."entryId")
  WHERE p."tokenHash" = ?`;
const GRANT = `${GRANT_READ} ORDER BY l."id"`;
// The same read, and on PostgreSQL the request counted in its one limit of requests (when it has
// one such, and the placeholder is this path's secret's) in the same statement: one round trip.
const GRANT_COUNTING = `WITH "grant" AS (${GRANT_READ}),
  ${countOneRequestClauses("grant", `s."entryId" = ? AND s."kind" = 'SECRET' AND s."upstream" IS NOT NULL`)}
  SELECT g.*, (SELECT count(*) FROM "countable"), c."requests", c."tokens", c."costMicros"
  FROM "grant" g LEFT JOIN "counted" c ON TRUE ORDER BY g."limitId"`;
const DELETE_OF_ENTRY = 'DELETE FROM "BrokerPlaceholder" WHERE "entryId" = ?';

export type PlaceholderRow = {
  tokenHash: string;
  runtimeTokenId: string;
  agentId: string;
  entryId: string;
  binding: string;
};

/** Records placeholders (each once: the same runtime token and secret give the same one). */
export async function savePlaceholders(sql: Sql, rows: readonly PlaceholderRow[]): Promise<void> {
  for (const row of rows) {
    await sql.objects(INSERT, [row.tokenHash, row.runtimeTokenId, row.agentId, row.entryId, row.binding]);
  }
}

export type PlaceholderGrant = {
  runtimeTokenId: string;
  agentId: string;
  entryId: string;
  binding: unknown;
  name: string;
  kind: "SECRET";
  ciphertext: Uint8Array;
  upstream: string | null;
  userId: string;
  keySalt: Uint8Array;
  agentName: string;
  /** The environment the agent runs with (its fingerprint), or null before it first started. */
  runningEnv: string | null;
  /** The limits that apply to the agent's requests through this secret, by id. */
  limits: AppliedLimit[];
};

/** What a placeholder (by its keyed hash) stands for, or undefined. */
export async function placeholderGrant(sql: Sql, tokenHash: string): Promise<PlaceholderGrant | undefined> {
  return grantOf(await sql.rows(GRANT, [tokenHash]));
}

/**
 * What placeholderGrant reads, and (a statement that writes) the request counted at once in its
 * limit when only one limit, of requests only, applies, and the placeholder is `entryId`'s:
 * `counted` is then that count (or refusal), otherwise null and the request is not counted yet.
 */
export async function placeholderGrantCounting(
  sql: Sql,
  tokenHash: string,
  entryId: string,
  windowStarts: Record<LimitWindow, number>,
): Promise<(PlaceholderGrant & { counted: CountedRequest | null }) | undefined> {
  const { MINUTE, HOUR, DAY, MONTH } = windowStarts;
  const rows = await sql.rows(GRANT_COUNTING, [tokenHash, MINUTE, HOUR, DAY, MONTH, entryId]);
  const grant = grantOf(rows);
  if (!grant) return undefined;
  const [row = []] = rows;
  const [limit] = grant.limits;
  const counted =
    Number(row[17]) === 1 && limit
      ? { limit, windowStart: windowStarts[limit.window], counter: row[18] == null ? null : counterOf(row.slice(18)) }
      : null;
  return { ...grant, counted };
}

function grantOf(rows: unknown[][]): PlaceholderGrant | undefined {
  const [row] = rows;
  if (!row) return undefined;
  const [runtimeTokenId, agentId, entryId, binding, name, kind, ciphertext, upstream, userId, keySalt, agentName, env] =
    row;
  if (kind !== "SECRET") return undefined;
  return {
    runtimeTokenId: String(runtimeTokenId),
    agentId: String(agentId),
    entryId: String(entryId),
    binding,
    name: String(name),
    kind,
    ciphertext: ciphertext as Uint8Array,
    upstream: upstream == null ? null : String(upstream),
    userId: String(userId),
    keySalt: keySalt as Uint8Array,
    agentName: String(agentName),
    runningEnv: env == null ? null : String(env),
    limits: rows.flatMap((r) => (r[12] == null ? [] : [appliedLimit(r.slice(12))])),
  };
}

/** Ends every placeholder of a secret (its value no longer goes where they reached). */
export async function deletePlaceholdersOf(run: SqlRunner, entryId: string): Promise<void> {
  await run(DELETE_OF_ENTRY, [entryId]);
}
