// The BrokerPlaceholder table: which placeholder stands for which agent's secret, fetched with which
// runtime token. Rows go with their runtime token and their attachment (foreign keys, cascading).
import type { Sql, SqlRunner } from "../../db/database.ts";
import { type AppliedLimit, appliedLimit } from "../limit/limit.dal.ts";

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
