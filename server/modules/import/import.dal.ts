// The import tables: ImportStage (rows of a large import on their way into Entry,
// staged-import.ts), and ImportRecord with its ImportChange rows (what an applied import created
// and updated, so that it can be undone: import-undo.ts).
import { type Db, type Sql, type SqlRunner, storedDate, type Tx } from "../../db/database.ts";

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

export type ImportChangeRow = { entryId: string; name: string; change: "CREATED" | "UPDATED"; version: number };

/** Changes per INSERT (five values each). */
const CHANGES_PER_STATEMENT = 200;

/** Records an applied import and the entries it changed, in the import's transaction. */
export async function recordImport(
  run: SqlRunner,
  record: { id: string; userId: string; createdAt: Date },
  changes: readonly ImportChangeRow[],
): Promise<void> {
  await run('INSERT INTO "ImportRecord" ("id", "userId", "createdAt") VALUES (?, ?, ?)', [
    record.id,
    record.userId,
    record.createdAt,
  ]);
  for (let start = 0; start < changes.length; start += CHANGES_PER_STATEMENT) {
    const part = changes.slice(start, start + CHANGES_PER_STATEMENT);
    await run(
      `INSERT INTO "ImportChange" ("importId", "entryId", "name", "change", "version") VALUES ${part.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
      part.flatMap((change) => [record.id, change.entryId, change.name, change.change, change.version]),
    );
  }
}

/** Records the rows a staged import is about to publish as created by import `id` (before they move). */
export const recordStagedCreations = (run: SqlRunner, id: string, stageId: string) =>
  run(
    `INSERT INTO "ImportChange" ("importId", "entryId", "name", "change", "version")
      SELECT ?, "id", "name", 'CREATED', 1 FROM "ImportStage" WHERE "importId" = ?`,
    [id, stageId],
  );

/** The user's import with this id, or null (another user's is as missing). */
export async function importRecord(
  run: SqlRunner,
  userId: string,
  id: string,
): Promise<{ id: string; createdAt: Date; undoneAt: Date | null } | null> {
  const [row] = await run('SELECT "id", "createdAt", "undoneAt" FROM "ImportRecord" WHERE "id" = ? AND "userId" = ?', [
    id,
    userId,
  ]);
  if (!row) return null;
  return { id: String(row.id), createdAt: storedDate(row.createdAt) as Date, undoneAt: storedDate(row.undoneAt) };
}

/**
 * An import's changes with the entry each is of now: its version (null once deleted), how many
 * agents use it and the first of their names.
 */
export async function importChanges(
  run: SqlRunner,
  userId: string,
  id: string,
): Promise<(ImportChangeRow & { current: number | null; agents: number; firstAgent: string | null })[]> {
  const rows = await run(
    `SELECT c."entryId", c."name", c."change", c."version", e."version" AS "current",
      (SELECT MIN(a."name") FROM "Attachment" t JOIN "Agent" a ON a."id" = t."agentId" WHERE t."entryId" = c."entryId") AS "firstAgent",
      (SELECT COUNT(*) FROM "Attachment" t WHERE t."entryId" = c."entryId") AS "agents"
    FROM "ImportChange" c LEFT JOIN "Entry" e ON e."id" = c."entryId" AND e."userId" = ?
    WHERE c."importId" = ? ORDER BY c."name"`,
    [userId, id],
  );
  return rows.map((row) => ({
    entryId: String(row.entryId),
    name: String(row.name),
    change: row.change === "UPDATED" ? "UPDATED" : "CREATED",
    version: Number(row.version),
    current: row.current == null ? null : Number(row.current),
    agents: Number(row.agents),
    firstAgent: row.firstAgent == null ? null : String(row.firstAgent),
  }));
}

/** Marks the import undone, unless it already is: whether this call did. */
export async function markUndone(run: SqlRunner, id: string, at: Date): Promise<boolean> {
  const rows = await run(
    'UPDATE "ImportRecord" SET "undoneAt" = ? WHERE "id" = ? AND "undoneAt" IS NULL RETURNING "id"',
    [at, id],
  );
  return rows.length > 0;
}

/** Deletes the user's entries with these ids that are still at version 1. */
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

/** Forgets an import's changes of these entries (undone, or never to be undone). */
export async function forgetChanges(run: SqlRunner, id: string, entryIds: readonly string[]): Promise<void> {
  for (let start = 0; start < entryIds.length; start += 500) {
    const part = entryIds.slice(start, start + 500);
    await run(`DELETE FROM "ImportChange" WHERE "importId" = ? AND "entryId" IN (${part.map(() => "?").join(", ")})`, [
      id,
      ...part,
    ]);
  }
}
