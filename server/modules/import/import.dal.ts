// The ImportStage table: rows of a large import on their way into Entry (staged-import.ts).
import type { Db, Sql, Tx } from "../../db/database.ts";

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
