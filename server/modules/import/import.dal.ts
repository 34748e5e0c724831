// The import tables: ImportStage (rows of a large import on their way into Entry,
// staged-import.ts), and ImportRecord with its ImportChange rows (what an applied import created
// and updated, so that it can be undone: import-undo.ts).
import { type Db, type Sql, type SqlRunner, storedDate, type Tx } from "../../db/database.ts";
import type { BulkWork } from "../../db/unit-of-work.ts";

/** Moves an import's staged rows into Entry in `tx` (the columns are entry.dal.ts's ENTRY_COLUMNS); how many moved. */
export const publishStagedRows = (tx: Tx, importId: string): Promise<number> =>
  tx.$executeRaw`INSERT INTO "Entry" ("id", "userId", "kind", "name", "nameKey", "version",
    "ciphertext", "fingerprint", "valueSize", "createdAt", "updatedAt", "updatedBy")
    SELECT "id", "userId", "kind", "name", "nameKey", "version", "ciphertext", "fingerprint", "valueSize",
      "createdAt", "updatedAt", "updatedBy"
    FROM "ImportStage" WHERE "importId" = ${importId}`;

/** Removes an import's staged rows (`tx` when given). */
export const discardStagedRows = async (db: Db | Tx, importId: string): Promise<void> => {
  await db.importStage.deleteMany({ where: { importId } });
};

/** Removes a user's staged rows older than `before` (imports that died long ago). */
export const discardOldStagedRows = async (db: Db, userId: string, before: Date): Promise<void> => {
  await db.importStage.deleteMany({ where: { userId, createdAt: { lt: before } } });
};

/** Removes at start what imports that died left: all, or what is older than `before`; how many. */
export async function discardStagedRowsAtStart(sql: Sql, before: Date | null): Promise<number> {
  // Plain SQL: a start does not load Prisma's query compiler.
  const removed = before
    ? await sql.objects('DELETE FROM "ImportStage" WHERE "createdAt" < ? RETURNING 1 AS "removed"', [before])
    : await sql.objects('DELETE FROM "ImportStage" RETURNING 1 AS "removed"');
  return removed.length;
}

/** An entry an import gave a new value: `version` is the one it wrote. */
export type ImportChangeRow = { entryId: string; name: string; version: number };

const CHANGE_COLUMNS = ["importId", "entryId", "name", "version"] as const;

/** Records an applied import, the entries it created and those it updated, in the import's transaction. */
export async function recordImport(
  work: BulkWork,
  record: { id: string; userId: string; createdAt: Date; createdIds: readonly string[] },
  updated: readonly ImportChangeRow[],
): Promise<void> {
  await work.sql('INSERT INTO "ImportRecord" ("id", "userId", "createdAt", "createdIds") VALUES (?, ?, ?, ?)', [
    record.id,
    record.userId,
    record.createdAt,
    record.createdIds.join(" "),
  ]);
  if (updated.length === 0) return;
  await work.insertRows(
    "ImportChange",
    CHANGE_COLUMNS,
    updated.map((change) => ({ importId: record.id, ...change })),
  );
}

/** The user's import with this id, or null (another user's is as missing). */
export async function importRecord(
  run: SqlRunner,
  userId: string,
  id: string,
): Promise<{ id: string; createdIds: string[]; undoneAt: Date | null } | null> {
  const [row] = await run('SELECT "id", "createdIds", "undoneAt" FROM "ImportRecord" WHERE "id" = ? AND "userId" = ?', [
    id,
    userId,
  ]);
  if (!row) return null;
  const createdIds = String(row.createdIds ?? "");
  return {
    id: String(row.id),
    createdIds: createdIds === "" ? [] : createdIds.split(" "),
    undoneAt: storedDate(row.undoneAt),
  };
}

/** What undoing needs of an entry: its version now, and the agents using it (how many, the first by name). */
export type EntryNow = { current: number | null; agents: number; firstAgent: string | null };

const USING = `(SELECT MIN(a."name") FROM "Attachment" t JOIN "Agent" a ON a."id" = t."agentId" WHERE t."entryId" = e."id") AS "firstAgent",
  (SELECT COUNT(*) FROM "Attachment" t WHERE t."entryId" = e."id") AS "agents"`;

const entryNow = (row: Record<string, unknown>): EntryNow => ({
  current: row.current == null ? null : Number(row.current),
  agents: Number(row.agents ?? 0),
  firstAgent: row.firstAgent == null ? null : String(row.firstAgent),
});

/** The user's entries with these ids (those that still exist), as undoing sees them. */
export async function createdEntriesNow(
  run: SqlRunner,
  userId: string,
  ids: readonly string[],
): Promise<({ entryId: string; name: string } & EntryNow)[]> {
  const found: ({ entryId: string; name: string } & EntryNow)[] = [];
  for (let start = 0; start < ids.length; start += 500) {
    const part = ids.slice(start, start + 500);
    const rows = await run(
      `SELECT e."id", e."name", e."version" AS "current", ${USING}
      FROM "Entry" e WHERE e."userId" = ? AND e."id" IN (${part.map(() => "?").join(", ")})`,
      [userId, ...part],
    );
    for (const row of rows) found.push({ entryId: String(row.id), name: String(row.name), ...entryNow(row) });
  }
  return found;
}

/** An import's updates not yet settled, with the entry each is of now (version null once deleted). */
export async function importChanges(
  run: SqlRunner,
  userId: string,
  id: string,
): Promise<(ImportChangeRow & EntryNow)[]> {
  const rows = await run(
    `SELECT c."entryId", c."name", c."version", e."version" AS "current", ${USING}
    FROM "ImportChange" c LEFT JOIN "Entry" e ON e."id" = c."entryId" AND e."userId" = ?
    WHERE c."importId" = ?`,
    [userId, id],
  );
  return rows.map((row) => ({
    entryId: String(row.entryId),
    name: String(row.name),
    version: Number(row.version),
    ...entryNow(row),
  }));
}

/** What is left of an import to undo: its created entries still in use; undone once none is, nor any update. */
export async function settleImport(
  run: SqlRunner,
  id: string,
  left: { createdIds: readonly string[]; settledUpdates: readonly string[]; complete: boolean },
): Promise<void> {
  for (let start = 0; start < left.settledUpdates.length; start += 500) {
    const part = left.settledUpdates.slice(start, start + 500);
    await run(`DELETE FROM "ImportChange" WHERE "importId" = ? AND "entryId" IN (${part.map(() => "?").join(", ")})`, [
      id,
      ...part,
    ]);
  }
  await run('UPDATE "ImportRecord" SET "createdIds" = ?, "undoneAt" = ? WHERE "id" = ?', [
    left.createdIds.join(" "),
    left.complete ? new Date() : null,
    id,
  ]);
}

/** Deletes the user's entries with these ids that are still at version 1: how many. */
export async function deleteCreatedEntries(run: SqlRunner, userId: string, ids: readonly string[]): Promise<number> {
  let deleted = 0;
  for (let start = 0; start < ids.length; start += 500) {
    const part = ids.slice(start, start + 500);
    const rows = await run(
      `DELETE FROM "Entry" WHERE "userId" = ? AND "version" = 1 AND "id" IN (${part.map(() => "?").join(", ")}) RETURNING "id"`,
      [userId, ...part],
    );
    deleted += rows.length;
  }
  return deleted;
}

/** Removes imports older than `before` (retention, as the activity log's); their changes go with them. */
export async function pruneImports(db: Db, before: Date): Promise<void> {
  await db.importRecord.deleteMany({ where: { createdAt: { lt: before } } });
}
