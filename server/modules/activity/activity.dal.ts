// The ActivityEvent and ActivityChain tables' statements that bypass Prisma: every write of the
// vault appends an event, in the transaction of the change it records (or, on PostgreSQL, in the
// same statement as a change of one statement).
import type { Db, Sql, SqlRunner, Tx } from "../../db/database.ts";
import type { ChainedEvent, ChainHead } from "./activity-chain.ts";

export const EVENT_COLUMNS = [
  "id",
  "userId",
  "seq",
  "action",
  "actorKind",
  "actorId",
  "actorName",
  "address",
  "createdAt",
  "entryId",
  "entryName",
  "agentId",
  "agentName",
  "details",
  "keyVersion",
  "digest",
] as const;
export type EventRow = ChainedEvent & { digest: string };

const INSERT_EVENT = `INSERT INTO "ActivityEvent" (${EVENT_COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES (${EVENT_COLUMNS.map(() => "?").join(", ")})`;
// Takes the next position in the user's chain, locking the head until the transaction ends.
const NEXT_POSITION = `INSERT INTO "ActivityChain" ("userId", "seq", "digest", "headMac", "keyVersion", "anchorSeq", "anchorDigest")
  VALUES (?, 1, '', '', ?, 0, '')
  ON CONFLICT ("userId") DO UPDATE SET "seq" = "ActivityChain"."seq" + 1
  RETURNING "seq", "digest", "anchorSeq", "anchorDigest"`;
const SKIP_POSITION = 'UPDATE "ActivityChain" SET "seq" = "seq" + 1 WHERE "userId" = ?';
const SET_HEAD = `UPDATE "ActivityChain" SET "digest" = ?, "headMac" = ?, "keyVersion" = ? WHERE "userId" = ?`;
const HEAD = `SELECT "seq", "digest", "anchorSeq", "anchorDigest" FROM "ActivityChain" WHERE "userId" = ?`;
const LOCK_HEAD = 'UPDATE "ActivityChain" SET "seq" = "seq" WHERE "userId" = ?';

// One statement that appends an event after the head this instance last saw, with the change it
// records (a WITH clause): nothing is written unless the head is still that one, as the event's
// position is then null. PostgreSQL only (SQLite has no writing WITH clauses).
const MOVE_HEAD_WHERE = `UPDATE "ActivityChain" SET "seq" = ?, "digest" = ?, "headMac" = ?, "keyVersion" = ?
  WHERE "userId" = ? AND "seq" = ? AND "digest" = ? AND "anchorSeq" = ?`;
const MOVE_HEAD = `${MOVE_HEAD_WHERE} RETURNING "seq"`;
const EVENT_AFTER_HEAD = `INSERT INTO "ActivityEvent" (${EVENT_COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES (${EVENT_COLUMNS.map((c) => (c === "seq" ? `(SELECT "seq" FROM "head")` : "?")).join(", ")})`;
const atOnce = (change: string) => `WITH "head" AS (${MOVE_HEAD}), "change" AS (${change}) ${EVENT_AFTER_HEAD}`;
// The same, and only while `guard` (a statement) gives a row: the head does not move otherwise.
const guardedAtOnce = (guard: string, change: string) =>
  `WITH "guard" AS (${guard}), "head" AS (${MOVE_HEAD_WHERE} AND EXISTS (SELECT 1 FROM "guard") RETURNING "seq"),
  "change" AS (${change}) ${EVENT_AFTER_HEAD}`;

const headOf = (row: Record<string, unknown>, seq: number): ChainHead => ({
  seq,
  digest: String(row.digest),
  anchorSeq: Number(row.anchorSeq),
  anchorDigest: String(row.anchorDigest),
});

/** Takes the next position of the user's chain (locking its head): the head before it. */
export async function takeNextPosition(run: SqlRunner, userId: string, keyVersion: number): Promise<ChainHead> {
  const [row] = await run(NEXT_POSITION, [userId, keyVersion]);
  const found = row as Record<string, unknown>;
  return headOf(found, Number(found.seq) - 1);
}

/** Takes one more position (an event goes in before the one whose position was taken). */
export const takeOneMorePosition = (run: SqlRunner, userId: string) => run(SKIP_POSITION, [userId]);

export const insertEvent = (run: SqlRunner, event: EventRow) =>
  run(
    INSERT_EVENT,
    EVENT_COLUMNS.map((column) => event[column]),
  );

/** The chain's digest and its MAC, at the position already taken. */
export const setHead = (run: SqlRunner, userId: string, digest: string, mac: string, keyVersion: number) =>
  run(SET_HEAD, [digest, mac, keyVersion, userId]);

/**
 * Moves the user's chain head from `head` (as this instance last wrote it) to `next`, in the
 * caller's transaction, locking it as takeNextPosition does; false when the head is no longer
 * `head` (another writer moved it): then nothing changed.
 */
export async function moveHead(
  run: SqlRunner,
  userId: string,
  head: ChainHead,
  next: ChainHead,
  mac: string,
  keyVersion: number,
): Promise<boolean> {
  const moved = await run(MOVE_HEAD, [
    next.seq,
    next.digest,
    mac,
    keyVersion,
    userId,
    head.seq,
    head.digest,
    head.anchorSeq,
  ]);
  return moved.length > 0;
}

/** The user's chain head, or null before the first event. */
export async function readHead(sql: Sql, userId: string): Promise<ChainHead | null> {
  const [row] = await sql.objects(HEAD, [userId]);
  return row ? headOf(row, Number(row.seq)) : null;
}

/** Locks the user's chain head until the transaction ends (pruning: no event is appended meanwhile). */
export const lockHead = (run: SqlRunner, userId: string) => run(LOCK_HEAD, [userId]);

/**
 * A change of one statement and its event, written at once after `head` (PostgreSQL): throws the
 * error headMovedError recognises when the head is no longer `head`, or `guard` gives no row.
 */
export function appendAtOnce(
  sql: Sql,
  change: { sql: string; params: readonly unknown[] },
  head: ChainHead,
  next: ChainHead,
  event: EventRow,
  mac: string,
  keyVersion: number,
  guard?: { sql: string; params: readonly unknown[] } | null,
) {
  return sql.objects(guard ? guardedAtOnce(guard.sql, change.sql) : atOnce(change.sql), [
    ...(guard?.params ?? []),
    next.seq,
    event.digest,
    mac,
    keyVersion,
    event.userId,
    head.seq,
    head.digest,
    head.anchorSeq,
    ...change.params,
    ...EVENT_COLUMNS.filter((column) => column !== "seq").map((column) => event[column]),
  ]);
}

/** The head was not the one given to appendAtOnce: the event's position came out null. */
export const headMovedError = (error: unknown) =>
  (error as { code?: string; column?: string })?.code === "23502" && (error as { column?: string }).column === "seq";

// The same tables through Prisma: reading the log, checking and pruning its chains.

/** The user's chain head (with its MAC), or null. */
export const chainHead = (db: Db | Tx, userId: string) => db.activityChain.findUnique({ where: { userId } });

/** Every user with a chain. */
export const chainUsers = (db: Db) => db.activityChain.findMany({ select: { userId: true } });

/** Any one event of the user's (a log without a head is broken). */
export const anyEvent = (db: Db, userId: string) =>
  db.activityEvent.findFirst({ where: { userId }, select: { id: true, seq: true } });

/** The user's events from position `from` on, oldest first, `take` at a time. */
export const eventsFrom = (db: Db | Tx, userId: string, from: number, take: number) =>
  db.activityEvent.findMany({ where: { userId, seq: { gte: from } }, orderBy: { seq: "asc" }, take });

/** Removes the user's events up to position `upTo`; how many. */
export async function removeEventsUpTo(tx: Tx, userId: string, upTo: number): Promise<number> {
  const { count } = await tx.activityEvent.deleteMany({ where: { userId, seq: { lte: upTo } } });
  return count;
}

/** Moves the chain's anchor (and the head's MAC over it). */
export const setAnchor = (
  tx: Tx,
  userId: string,
  anchor: { anchorSeq: number; anchorDigest: string; headMac: string; keyVersion: number },
) => tx.activityChain.update({ where: { userId }, data: anchor });

export type EventFilter = {
  entryId?: string | null;
  agentId?: string | null;
  actions?: readonly string[] | null;
  since?: Date | null;
  until?: Date | null;
};

/** A page of the user's events that pass `filter`, by position (keyset: after or before one). */
export function eventPage(
  db: Db,
  userId: string,
  args: { filter: EventFilter; before?: number; after?: number; limit: number; inverted: boolean },
) {
  const { filter } = args;
  const seq: { lt?: number; gt?: number } = {};
  if (args.after !== undefined) seq.lt = args.after;
  if (args.before !== undefined) seq.gt = args.before;
  const createdAt: { gte?: Date; lte?: Date } = {};
  if (filter.since) createdAt.gte = filter.since;
  if (filter.until) createdAt.lte = filter.until;
  return db.activityEvent.findMany({
    where: {
      userId,
      ...(Object.keys(seq).length ? { seq } : {}),
      ...(Object.keys(createdAt).length ? { createdAt } : {}),
      ...(filter.entryId ? { entryId: filter.entryId } : {}),
      ...(filter.agentId ? { agentId: filter.agentId } : {}),
      ...(filter.actions?.length ? { action: { in: [...filter.actions] } } : {}),
    },
    orderBy: { seq: args.inverted ? "asc" : "desc" },
    take: args.limit,
  });
}
