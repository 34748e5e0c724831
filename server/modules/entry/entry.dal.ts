// The Entry and EntryVersion tables' statements that bypass Prisma: a new entry written with its
// event (addSecret), a page of a vault's entries and their count (every list), and the versions an
// update keeps and forgets.
import { type Db, type RawRows, type RawSql, type SqlRunner, storedDate } from "../../db/database.ts";
import type { EntryKind } from "../../db/enums.ts";

export type EntryRow = Awaited<ReturnType<Db["entry"]["findUniqueOrThrow"]>>;

/** An entry row's columns as every write without Prisma gives them (addSecret, imports): the one list. */
export const ENTRY_COLUMNS = [
  "id",
  "userId",
  "kind",
  "name",
  "nameKey",
  "version",
  "ciphertext",
  "fingerprint",
  "valueSize",
  "createdAt",
  "updatedAt",
  "updatedBy",
] as const;
export type EntryColumn = (typeof ENTRY_COLUMNS)[number];

const INSERT = `INSERT INTO "Entry" (${ENTRY_COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES (${ENTRY_COLUMNS.map(() => "?").join(", ")})`;

/** The statement that writes a new entry row (to run alone, or joined with its event). */
export const insertEntry = (entry: EntryRow) => ({
  sql: INSERT,
  params: ENTRY_COLUMNS.map((column) => entry[column]),
});

// A page's columns, in this order. A list never opens a secret's value, so only a variable's
// ciphertext is read (a blob costs more to read than the rest of its row).
const PAGE_COLUMNS = `"id", "userId", "name", "nameKey", "kind", "version",
  CASE WHEN "kind" = 'VARIABLE' THEN "ciphertext" END, "valueSize", "fingerprint", "createdAt", "updatedAt", "updatedBy"`;
const PAGE_COLUMN_COUNT = 12;
const NO_CIPHERTEXT = new Uint8Array(0);

/** An entry row of a page, typed as Prisma's; a secret's without its ciphertext. */
function entryFromPageRow(row: unknown[]): EntryRow {
  const [
    id,
    userId,
    name,
    nameKey,
    kind,
    version,
    ciphertext,
    valueSize,
    fingerprint,
    createdAt,
    updatedAt,
    updatedBy,
  ] = row;
  return {
    id: String(id),
    userId: String(userId),
    name: String(name),
    nameKey: String(nameKey),
    kind: kind as EntryKind,
    version: Number(version),
    ciphertext: (ciphertext ?? NO_CIPHERTEXT) as Uint8Array<ArrayBuffer>,
    valueSize: Number(valueSize),
    fingerprint: String(fingerprint),
    createdAt: storedDate(createdAt) as Date,
    updatedAt: storedDate(updatedAt) as Date,
    updatedBy: updatedBy == null ? null : String(updatedBy),
  };
}

export type PageQuery = {
  kind?: EntryKind | null;
  before?: string;
  after?: string;
  limit: number;
  inverted: boolean;
  /** Also count all the user's entries (of the kind), in the same statement. */
  withCount?: boolean;
};

/** A page of the user's entries by name key (keyset pagination), and their count when asked for. */
export async function entryPage(
  rawRows: RawRows,
  userId: string,
  args: PageQuery,
): Promise<{ rows: EntryRow[]; count: number | null }> {
  const where = ['"userId" = ?'];
  const params: unknown[] = [userId];
  if (args.kind) {
    where.push('"kind" = ?');
    params.push(args.kind);
  }
  // The count rides on every row of the page (computed once): one statement less per list.
  const counted = args.withCount ? `, (SELECT COUNT(*) FROM "Entry" WHERE ${where.join(" AND ")})` : "";
  const countParams = args.withCount ? [...params] : [];
  if (args.after !== undefined) {
    where.push('"nameKey" > ?');
    params.push(args.after);
  }
  if (args.before !== undefined) {
    where.push('"nameKey" < ?');
    params.push(args.before);
  }
  const rows = await rawRows(
    `SELECT ${PAGE_COLUMNS}${counted} FROM "Entry" WHERE ${where.join(" AND ")} ORDER BY "nameKey" ${args.inverted ? "DESC" : "ASC"} LIMIT ?`,
    [...countParams, ...params, args.limit],
  );
  const first = rows[0];
  return { rows: rows.map(entryFromPageRow), count: args.withCount && first ? Number(first[PAGE_COLUMN_COUNT]) : null };
}

/** How many entries (of one kind) the user has. */
export async function countEntries(raw: RawSql, userId: string, kind?: EntryKind | null): Promise<number> {
  const [row] = kind
    ? await raw('SELECT COUNT(*) AS "count" FROM "Entry" WHERE "userId" = ? AND "kind" = ?', [userId, kind])
    : await raw('SELECT COUNT(*) AS "count" FROM "Entry" WHERE "userId" = ?', [userId]);
  return Number(row?.count ?? 0);
}

const KEEP = `INSERT INTO "EntryVersion" ("entryId", "version", "ciphertext", "valueSize", "fingerprint", "createdAt", "createdBy")
  VALUES (?, ?, ?, ?, ?, ?, ?)`;
const FORGET = `DELETE FROM "EntryVersion" WHERE "entryId" = ? AND "version" <= ?`;

export type KeptVersion = {
  entryId: string;
  version: number;
  ciphertext: Uint8Array;
  valueSize: number;
  fingerprint: string;
  createdAt: Date;
  createdBy: string | null;
};

/** Keeps an earlier value of an entry, in the caller's transaction. */
export async function keepVersion(run: SqlRunner, kept: KeptVersion): Promise<void> {
  await run(KEEP, [
    kept.entryId,
    kept.version,
    kept.ciphertext,
    kept.valueSize,
    kept.fingerprint,
    kept.createdAt,
    kept.createdBy,
  ]);
}

/** Forgets an entry's versions up to `upTo`, in the caller's transaction. */
export async function forgetVersions(run: SqlRunner, entryId: string, upTo: number): Promise<void> {
  await run(FORGET, [entryId, upTo]);
}
