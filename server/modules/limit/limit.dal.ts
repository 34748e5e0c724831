// The limits' tables: AgentLimit (the maxima), LimitCounter (what each window used: requests
// counted when forwarded, tokens and cost reserved then settled) and UsageHour (what a person
// sees, per agent, secret and hour). The counters' writes are single conditional statements, so
// that concurrent requests, on one instance or several, never pass a maximum together.
import type { Db, Sql, SqlRunner, Tx } from "../../db/database.ts";
import type { LimitWindow } from "./limit-window.ts";

export type LimitRow = {
  id: string;
  agentId: string;
  entryId: string | null;
  window: LimitWindow;
  maxRequests: number | null;
  maxTokens: number | null;
  maxCostMicros: number | null;
  createdAt: Date;
};

export type Counter = { requests: number; tokens: number; costMicros: number };

const num = (value: unknown): number => Number(value ?? 0);
const numOrNull = (value: unknown): number | null => (value == null ? null : Number(value));

const limitRow = (row: {
  id: string;
  agentId: string;
  entryId: string | null;
  window: string;
  maxRequests: number | null;
  maxTokens: bigint | number | null;
  maxCostMicros: bigint | number | null;
  createdAt: Date;
}): LimitRow => ({
  id: row.id,
  agentId: row.agentId,
  entryId: row.entryId,
  window: row.window as LimitWindow,
  maxRequests: row.maxRequests,
  maxTokens: numOrNull(row.maxTokens),
  maxCostMicros: numOrNull(row.maxCostMicros),
  createdAt: row.createdAt,
});

export async function createLimit(
  db: Db | Tx,
  data: Omit<LimitRow, "id" | "createdAt"> & { userId: string },
): Promise<LimitRow> {
  return limitRow(
    await db.agentLimit.create({
      data: {
        userId: data.userId,
        agentId: data.agentId,
        entryId: data.entryId,
        window: data.window,
        maxRequests: data.maxRequests,
        maxTokens: data.maxTokens === null ? null : BigInt(data.maxTokens),
        maxCostMicros: data.maxCostMicros === null ? null : BigInt(data.maxCostMicros),
      },
    }),
  );
}

/** Removes the user's limit `id`; the removed limit, or null when there was none. */
export async function deleteLimit(db: Db | Tx, userId: string, id: string): Promise<LimitRow | null> {
  const found = await db.agentLimit.findFirst({ where: { id, userId } });
  if (!found) return null;
  await db.agentLimit.deleteMany({ where: { id, userId } });
  return limitRow(found);
}

export async function limitsOfAgent(db: Db, userId: string, agentId: string): Promise<LimitRow[]> {
  const rows = await db.agentLimit.findMany({ where: { userId, agentId }, orderBy: { createdAt: "asc" } });
  return rows.map(limitRow);
}

/** A limit as a request is measured against it. */
export type AppliedLimit = Pick<LimitRow, "id" | "window" | "maxRequests" | "maxTokens" | "maxCostMicros">;

/** An AppliedLimit from its columns: id, window, maxRequests, maxTokens, maxCostMicros (read with a placeholder). */
export const appliedLimit = ([id, window, maxRequests, maxTokens, maxCostMicros]: unknown[]): AppliedLimit => ({
  id: String(id),
  window: window as LimitWindow,
  maxRequests: numOrNull(maxRequests),
  maxTokens: numOrNull(maxTokens),
  maxCostMicros: numOrNull(maxCostMicros),
});

// reserve()'s new row: a statement in the caller's transaction, or (`alone`) a transaction of its
// own committed without waiting for PostgreSQL's log to reach its disk, as database.ts's
// `durable: false` does (set_config's change lasts as long as the statement's transaction).
const NEW_COUNTER = 'INSERT INTO "LimitCounter" ("limitId", "windowStart", "requests", "tokens", "costMicros")';
const NEW_ROW = `${NEW_COUNTER} VALUES (?, ?, 1, ?, ?)`;
const NEW_ROW_ALONE = `WITH "relaxed" AS (SELECT set_config('synchronous_commit', 'off', true))
  ${NEW_COUNTER} SELECT ?, ?, 1, ?, ? FROM "relaxed"`;

/**
 * Counts one request in a limit's window, with the tokens and cost it reserves, only while the
 * window is under each of the limit's maxima: one statement, which the database runs one at a time
 * per row. The window's counts afterwards, or null when it was already at a maximum. `alone`: the
 * statement is its own transaction (PostgreSQL; a request under one limit, one round trip).
 */
export async function reserve(
  run: SqlRunner,
  limit: Pick<LimitRow, "id" | "maxRequests" | "maxTokens" | "maxCostMicros">,
  windowStart: number,
  tokens: number,
  costMicros: number,
  options: { alone?: boolean } = {},
): Promise<Counter | null> {
  const { text, params } = reserveStatement(limit, windowStart, tokens, costMicros);
  const [row] = await run(`${options.alone ? NEW_ROW_ALONE : NEW_ROW} ${text}`, params);
  return row ? { requests: num(row.requests), tokens: num(row.tokens), costMicros: num(row.costMicros) } : null;
}

/** What follows the new row in reserve's statement (counted only under each maximum), and its parameters. */
function reserveStatement(
  limit: Pick<LimitRow, "id" | "maxRequests" | "maxTokens" | "maxCostMicros">,
  windowStart: number,
  tokens: number,
  costMicros: number,
) {
  const conditions: string[] = [];
  const params: unknown[] = [limit.id, windowStart, tokens, costMicros];
  for (const [column, max] of [
    ["requests", limit.maxRequests],
    ["tokens", limit.maxTokens],
    ["costMicros", limit.maxCostMicros],
  ] as const) {
    if (max === null) continue;
    conditions.push(`"LimitCounter"."${column}" < ?`);
    params.push(max);
  }
  const text = `ON CONFLICT ("limitId", "windowStart") DO UPDATE SET "requests" = "LimitCounter"."requests" + 1,
       "tokens" = "LimitCounter"."tokens" + excluded."tokens", "costMicros" = "LimitCounter"."costMicros" + excluded."costMicros"
     ${conditions.length ? `WHERE ${conditions.join(" AND ")}` : ""}
     RETURNING "requests", "tokens", "costMicros"`;
  return { text, params };
}

// PostgreSQL, a limit of requests only (limit-counters.ts's blocks): requests are claimed ahead of
// need, `count` at a time and only while the claims stay within the maximum; each forwarded
// request is then added to "requests", and what was claimed and not used is given back.
const RELAXED = `WITH "relaxed" AS (SELECT set_config('synchronous_commit', 'off', true))`;
const CLAIM = `${RELAXED} INSERT INTO "LimitCounter" ("limitId", "windowStart", "requests", "tokens", "costMicros", "claimed")
  SELECT ?, ?, 0, 0, 0, ? FROM "relaxed"
  ON CONFLICT ("limitId", "windowStart") DO UPDATE SET "claimed" = "LimitCounter"."claimed" + excluded."claimed"
  WHERE "LimitCounter"."claimed" + excluded."claimed" <= ?
  RETURNING "claimed"`;
const GIVE_BACK = `UPDATE "LimitCounter" SET "claimed" = "claimed" - ?
  WHERE "limitId" = ? AND "windowStart" = ? AND "claimed" >= ?`;
const USED = `${RELAXED} UPDATE "LimitCounter" SET "requests" = "LimitCounter"."requests" + ?
  FROM "relaxed" WHERE "limitId" = ? AND "windowStart" = ? RETURNING "requests", "tokens", "costMicros"`;

/**
 * Claims `count` requests of a window for this instance, only if the claims stay within `max`
 * (count <= max): the window's claims afterwards, or null when they do not fit.
 */
export async function claimRequests(
  sql: Sql,
  limitId: string,
  windowStart: number,
  count: number,
  max: number,
): Promise<number | null> {
  const [row] = await sql.rows(CLAIM, [limitId, windowStart, count, max]);
  return row ? num(row[0]) : null;
}

/** Gives back requests claimed and not used. */
export async function giveBackRequests(sql: Sql, limitId: string, windowStart: number, count: number): Promise<void> {
  await sql.rows(GIVE_BACK, [count, limitId, windowStart, count]);
}

/** Adds `count` forwarded requests to a window claimed before: its counts afterwards (null: the limit is gone). */
export async function addUsedRequests(
  sql: Sql,
  limitId: string,
  windowStart: number,
  count: number,
): Promise<Counter | null> {
  const [row] = await sql.rows(USED, [count, limitId, windowStart]);
  return row ? { requests: num(row[0]), tokens: num(row[1]), costMicros: num(row[2]) } : null;
}

/** Replaces a request's reservation by what it used: the differences added to its window. */
export async function settle(
  run: SqlRunner,
  limitId: string,
  windowStart: number,
  tokens: number,
  costMicros: number,
): Promise<Counter | null> {
  const [row] = await run(
    `UPDATE "LimitCounter" SET "tokens" = "tokens" + ?, "costMicros" = "costMicros" + ?
     WHERE "limitId" = ? AND "windowStart" = ? RETURNING "requests", "tokens", "costMicros"`,
    [tokens, costMicros, limitId, windowStart],
  );
  return row ? { requests: num(row.requests), tokens: num(row.tokens), costMicros: num(row.costMicros) } : null;
}

/**
 * Windows' counts as they are now (the in-process counters' write-back): a limit removed since is
 * left out.
 */
export async function writeCounters(
  run: SqlRunner,
  rows: readonly ({ limitId: string; windowStart: number } & Counter)[],
): Promise<void> {
  for (const row of rows) {
    await run(
      `INSERT INTO "LimitCounter" ("limitId", "windowStart", "requests", "tokens", "costMicros")
       SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM "AgentLimit" WHERE "id" = ?)
       ON CONFLICT ("limitId", "windowStart") DO UPDATE SET "requests" = excluded."requests",
         "tokens" = excluded."tokens", "costMicros" = excluded."costMicros"`,
      [row.limitId, row.windowStart, row.requests, row.tokens, row.costMicros, row.limitId],
    );
  }
}

/** A window's counts, read in a transaction. */
export async function countersIn(
  work: { sql: SqlRunner },
  limitId: string,
  windowStart: number,
): Promise<Counter | null> {
  const [row] = await work.sql(
    'SELECT "requests", "tokens", "costMicros" FROM "LimitCounter" WHERE "limitId" = ? AND "windowStart" = ?',
    [limitId, windowStart],
  );
  return row ? { requests: num(row.requests), tokens: num(row.tokens), costMicros: num(row.costMicros) } : null;
}

/** The counts of each limit's window that starts at the given time (absent: nothing used yet). */
export async function countersOf(
  sql: Sql,
  windows: readonly { limitId: string; windowStart: number }[],
): Promise<Map<string, Counter>> {
  const found = new Map<string, Counter>();
  if (windows.length === 0) return found;
  const rows = await sql.rows(
    `SELECT "limitId", "windowStart", "requests", "tokens", "costMicros" FROM "LimitCounter" WHERE ${windows
      .map(() => `("limitId" = ? AND "windowStart" = ?)`)
      .join(" OR ")}`,
    windows.flatMap((w) => [w.limitId, w.windowStart]),
  );
  for (const [limitId, windowStart, requests, tokens, costMicros] of rows) {
    found.set(`${limitId}|${num(windowStart)}`, {
      requests: num(requests),
      tokens: num(tokens),
      costMicros: num(costMicros),
    });
  }
  return found;
}

export type UsageRow = {
  userId: string;
  agentId: string;
  entryId: string;
  hourStart: number;
  secretName: string;
  provider: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  errors: number;
  unpricedRequests: number;
};

/** Adds one request's usage to its agent's, secret's and hour's row. */
export async function addUsage(run: SqlRunner, row: UsageRow): Promise<void> {
  await run(
    `INSERT INTO "UsageHour" ("agentId", "entryId", "hourStart", "userId", "secretName", "provider", "requests",
       "inputTokens", "outputTokens", "costMicros", "errors", "unpricedRequests") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT ("agentId", "entryId", "hourStart") DO UPDATE SET "secretName" = excluded."secretName",
       "requests" = "UsageHour"."requests" + excluded."requests",
       "inputTokens" = "UsageHour"."inputTokens" + excluded."inputTokens",
       "outputTokens" = "UsageHour"."outputTokens" + excluded."outputTokens",
       "costMicros" = "UsageHour"."costMicros" + excluded."costMicros",
       "errors" = "UsageHour"."errors" + excluded."errors",
       "unpricedRequests" = "UsageHour"."unpricedRequests" + excluded."unpricedRequests"`,
    [
      row.agentId,
      row.entryId,
      row.hourStart,
      row.userId,
      row.secretName,
      row.provider,
      row.requests,
      row.inputTokens,
      row.outputTokens,
      row.costMicros,
      row.errors,
      row.unpricedRequests,
    ],
  );
}

/** An agent's hourly usage rows from `from` (inclusive) to `to` (exclusive), oldest first. */
export async function usageHours(
  sql: Sql,
  userId: string,
  agentId: string,
  from: number,
  to: number,
): Promise<UsageRow[]> {
  const rows = await sql.rows(
    `SELECT "agentId", "entryId", "hourStart", "userId", "secretName", "provider", "requests", "inputTokens",
       "outputTokens", "costMicros", "errors", "unpricedRequests" FROM "UsageHour"
     WHERE "userId" = ? AND "agentId" = ? AND "hourStart" >= ? AND "hourStart" < ? ORDER BY "hourStart"`,
    [userId, agentId, from, to],
  );
  return rows.map((r) => ({
    agentId: String(r[0]),
    entryId: String(r[1]),
    hourStart: num(r[2]),
    userId: String(r[3]),
    secretName: String(r[4]),
    provider: String(r[5]),
    requests: num(r[6]),
    inputTokens: num(r[7]),
    outputTokens: num(r[8]),
    costMicros: num(r[9]),
    errors: num(r[10]),
    unpricedRequests: num(r[11]),
  }));
}

/** The usage of every agent of `userId` since `from`, summed per agent: the Agents list's spend today. */
export async function costSince(sql: Sql, userId: string, from: number): Promise<Map<string, number>> {
  const rows = await sql.rows(
    `SELECT "agentId", SUM("costMicros") FROM "UsageHour" WHERE "userId" = ? AND "hourStart" >= ? GROUP BY "agentId"`,
    [userId, from],
  );
  return new Map(rows.map(([agentId, cost]) => [String(agentId), num(cost)]));
}

/** Removes usage older than `before` (retention, as the activity log's). */
export async function pruneUsage(sql: Sql, before: number): Promise<void> {
  await sql.objects('DELETE FROM "UsageHour" WHERE "hourStart" < ?', [before]);
}
