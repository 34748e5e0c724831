// Imports written without holding the database's writer for long. On SQLite one writer at a time
// serves every tenant: a 250,000-line import written in one transaction made another tenant's
// writes wait 4 s. Here the rows go to ImportStage in short transactions (other writers take
// turns between them), and the import's own transaction moves them into Entry with one
// INSERT ... SELECT, a fraction of the time. On PostgreSQL an import that also updates entries
// goes this way (its new rows go to pg directly, without Prisma's work on every value); one that
// only creates entries writes them straight into Entry. Nothing reads ImportStage but that
// statement.
import type { Db, Rows, Sql, Tx } from "../../db/database.ts";
import { newId } from "../../db/ids.ts";
import type { UnitsOfWork } from "../../db/unit-of-work.ts";
import { ENTRY_COLUMNS } from "../entry/entry.dal.ts";
import { discardOldStagedRows, discardStagedRows, discardStagedRowsAtStart, publishStagedRows } from "./import.dal.ts";

/** On SQLite, from this many new entries on an import is staged; smaller ones are written in their transaction. */
export const STAGED_IMPORT_ROWS = 20_000;
/** Rows per staging transaction: each holds the writer for tens of milliseconds. */
const STAGE_CHUNK_ROWS = 5_000;
/** Rows of an import that died before publishing are removed after this long. */
const ABANDONED_AFTER_MS = 24 * 60 * 60 * 1000;
/** Longer than an import takes, staging and publishing (its transaction is bounded at 10 minutes). */
const ABANDONED_AT_START_MS = 60 * 60 * 1000;

export { ENTRY_COLUMNS };

export type StagedImport = { importId: string; rows: number };

/** Writes the rows to ImportStage, a chunk per transaction. */
export async function stageRows(
  db: Db,
  append: UnitsOfWork["append"],
  userId: string,
  rows: Rows<(typeof ENTRY_COLUMNS)[number]>,
): Promise<StagedImport> {
  await discardOldStagedRows(db, userId, new Date(Date.now() - ABANDONED_AFTER_MS));
  const importId = newId();
  let count = 0;
  let chunk: Record<string, unknown>[] = [];
  // One chunk is written while the next is sealed.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    const batch = chunk;
    chunk = [];
    await writing;
    writing = append("ImportStage", ["importId", ...ENTRY_COLUMNS], batch);
    writing.catch(() => {}); // awaited (and thrown) by the next flush or at the end
  };
  try {
    for await (const row of rows) {
      chunk.push({ ...row, importId });
      count++;
      if (chunk.length === STAGE_CHUNK_ROWS) await flush();
    }
    if (chunk.length > 0) await flush();
    await writing;
  } catch (error) {
    await writing.catch(() => {});
    await discardStaged(db, importId);
    throw error;
  }
  return { importId, rows: count };
}

/** Moves the staged rows into Entry, in the caller's transaction; they commit or roll back with it. */
export async function publishStaged(tx: Tx, staged: StagedImport): Promise<void> {
  const moved = await publishStagedRows(tx, staged.importId);
  // Fewer than staged: some were removed meanwhile (as abandoned); the import is not what was planned.
  if (moved !== staged.rows) throw new Error(`staged import ${staged.importId} lost rows before publishing`);
  await discardStagedRows(tx, staged.importId);
}

/**
 * At start, what imports that died left in ImportStage: everything on SQLite (one server at a
 * time), and on PostgreSQL what is older than any import takes (another instance may be staging).
 */
export function discardAbandonedStages(sql: Sql, oneServer: boolean): Promise<number> {
  return discardStagedRowsAtStart(sql, oneServer ? null : new Date(Date.now() - ABANDONED_AT_START_MS));
}

/** Removes what is left of a staged import that did not publish. */
export const discardStaged = (db: Db, importId: string): Promise<void> => discardStagedRows(db, importId);
