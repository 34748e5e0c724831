// The Entry and EntryVersion tables' statements that bypass Prisma: a new entry written with its
// event (addSecret), a page of a vault's entries and their count (every list), and the versions an
// update keeps and forgets.
import { type Db, type Prisma, type Sql, type SqlRunner, storedDate, type Tx } from "../../db/database.ts";
import type { EntryKind } from "../../db/enums.ts";

export type EntryRow = Awaited<ReturnType<Db["entry"]["findUniqueOrThrow"]>>;

/**
 * An entry row's columns as every write without Prisma gives them (addSecret, imports): the one list.
 * Such a row is delivered as an environment variable (a brokered secret is written through Prisma).
 */
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
  CASE WHEN "kind" = 'VARIABLE' THEN "ciphertext" END, "valueSize", "fingerprint", "createdAt", "updatedAt", "updatedBy",
  "upstream"`;
const PAGE_COLUMN_COUNT = 13;
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
    upstream,
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
    upstream: upstream == null ? null : String(upstream),
  };
}

/** What a page is sorted by, then by name; every column in the same direction. */
export type EntryOrderField = "NAME" | "KIND" | "VERSION" | "UPDATED_AT";
export type EntryOrder = { field: EntryOrderField; descending: boolean };
const ORDER_COLUMNS: Record<Exclude<EntryOrderField, "NAME">, { column: string; at: number }> = {
  KIND: { column: '"kind"', at: 4 },
  VERSION: { column: '"version"', at: 5 },
  UPDATED_AT: { column: '"updatedAt"', at: 10 },
};

/** Where a page starts or ends: the sort column's stored value (none by name), and the name key. */
export type PagePosition = { value?: string | number; nameKey: string };

export type PageQuery = {
  kind?: EntryKind | null;
  /** Only names holding this text, whatever its case. */
  search?: string | null;
  before?: PagePosition;
  after?: PagePosition;
  /** By name (ascending) when not given. */
  order?: EntryOrder;
  limit: number;
  inverted: boolean;
  /** Also count all the user's entries (of the kind), in the same statement. */
  withCount?: boolean;
};

/** Where each row of a page in another order than by name stands in it (its cursor is made from it). */
const positions = new WeakMap<EntryRow, PagePosition>();

/** A row's place in the order of the page that read it. */
export const pagePosition = (row: EntryRow): PagePosition | undefined => positions.get(row);

/**
 * A page of the user's entries in an order, then by name key (keyset pagination: a position is
 * the sort column's stored value and the name key), and their count when asked for.
 */
export async function entryPage(
  sql: Sql,
  userId: string,
  args: PageQuery,
): Promise<{ rows: EntryRow[]; count: number | null }> {
  const { where, params } = entryFilter(userId, args.kind, args.search);
  // The count rides on every row of the page (computed once): one statement less per list.
  const counted = args.withCount ? `, (SELECT COUNT(*) FROM "Entry" WHERE ${where.join(" AND ")})` : "";
  const countParams = args.withCount ? [...params] : [];
  const field = args.order?.field ?? "NAME";
  const descending = args.order?.descending ?? false;
  const sorted = field === "NAME" ? null : ORDER_COLUMNS[field];
  const keys = sorted ? `(${sorted.column}, "nameKey")` : '"nameKey"';
  const position = (at: PagePosition) => (sorted ? [at.value ?? null, at.nameKey] : [at.nameKey]);
  const marks = sorted ? "(?, ?)" : "?";
  // After a position is further on in the order, before it further back.
  if (args.after !== undefined) {
    where.push(`${keys} ${descending ? "<" : ">"} ${marks}`);
    params.push(...position(args.after));
  }
  if (args.before !== undefined) {
    where.push(`${keys} ${descending ? ">" : "<"} ${marks}`);
    params.push(...position(args.before));
  }
  const direction = descending !== args.inverted ? "DESC" : "ASC";
  const orderBy = sorted ? `${sorted.column} ${direction}, "nameKey" ${direction}` : `"nameKey" ${direction}`;
  const rows = await sql.rows(
    `SELECT ${PAGE_COLUMNS}${counted} FROM "Entry" WHERE ${where.join(" AND ")} ORDER BY ${orderBy} LIMIT ?`,
    [...countParams, ...params, args.limit],
  );
  const first = rows[0];
  const entries = rows.map((row) => {
    const entry = entryFromPageRow(row);
    if (sorted) {
      const value = row[sorted.at];
      positions.set(entry, {
        value: value instanceof Date ? value.toISOString() : (value as string | number),
        nameKey: entry.nameKey,
      });
    }
    return entry;
  });
  return { rows: entries, count: args.withCount && first ? Number(first[PAGE_COLUMN_COUNT]) : null };
}

/** How many entries (of one kind, holding a text) the user has. */
export async function countEntries(
  sql: Sql,
  userId: string,
  kind?: EntryKind | null,
  search?: string | null,
): Promise<number> {
  const { where, params } = entryFilter(userId, kind, search);
  const [row] = await sql.objects(`SELECT COUNT(*) AS "count" FROM "Entry" WHERE ${where.join(" AND ")}`, params);
  return Number(row?.count ?? 0);
}

/** The conditions of a list: the user's entries, of a kind, whose names hold a text (any case). */
function entryFilter(userId: string, kind?: EntryKind | null, search?: string | null) {
  const where = ['"userId" = ?'];
  const params: unknown[] = [userId];
  if (kind) {
    where.push('"kind" = ?');
    params.push(kind);
  }
  if (search) {
    // Name keys are upper case; LIKE's wildcards in the text are taken literally.
    where.push(`"nameKey" LIKE ? ESCAPE '\\'`);
    params.push(`%${search.toUpperCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  }
  return { where, params };
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

// An entry is its user's: every statement on the table is scoped to the user (ownership is here,
// once per question, not a filter repeated by each caller).

type Selection = { select?: Prisma.EntrySelect; include?: Prisma.EntryInclude };

/** The user's entry with this id, or null (another user's is as missing). */
export const entryById = (db: Db | Tx, userId: string, id: string, query: Selection = {}) =>
  db.entry.findFirst({ ...query, where: { id, userId } });

/** The user's entry with this name key, or null. */
export const entryByNameKey = (db: Db | Tx, userId: string, key: string, query: Selection = {}) =>
  db.entry.findUnique({ ...query, where: { userId_nameKey: { userId, nameKey: key } } });

/** The user's entries with these ids (those that are the user's). */
export const entriesByIds = (db: Db | Tx, userId: string, ids: readonly string[]) =>
  db.entry.findMany({
    where: { userId, id: { in: [...ids] } },
    select: { id: true, name: true, version: true, upstream: true },
  });

/** The user's entries with these ids, whole rows (those that are the user's). */
export const entryRowsByIds = (db: Db | Tx, userId: string, ids: readonly string[]) =>
  db.entry.findMany({ where: { userId, id: { in: [...ids] } } });

/** The user's entry with this id, of this kind when given, or null. */
export const entryOfKind = (db: Db | Tx, userId: string, id: string, kind: EntryKind | null) =>
  db.entry.findFirst({ where: { id, userId, ...(kind ? { kind } : {}) } });

/** A new entry of the user's, attached at once to `attachTo` (each attachment with its binding). */
export const createEntry = (
  tx: Tx,
  row: Omit<EntryRow, "version" | "createdAt" | "updatedAt">,
  attachTo: { agentId: string; binding: string }[],
) => tx.entry.create({ data: { ...row, attachments: { create: attachTo } } });

/**
 * A new value, only if the entry is still at `version` (compare-and-set): how many rows changed
 * (0 when another writer got there first).
 */
export async function setValueAt(
  tx: Tx,
  id: string,
  version: number,
  value: {
    ciphertext: Uint8Array<ArrayBuffer>;
    fingerprint: string;
    valueSize: number;
    updatedBy: string | null;
    upstream?: string | null;
  },
): Promise<number> {
  const { count } = await tx.entry.updateMany({ where: { id, version }, data: { ...value, version: version + 1 } });
  return count;
}

/** An entry by id, in a transaction that has already checked whose it is. */
export const entryRow = (tx: Tx, id: string) => tx.entry.findUniqueOrThrow({ where: { id } });

export const deleteEntryRow = (tx: Tx, id: string) => tx.entry.delete({ where: { id } });

/** The user's entries (their name keys), and how many there are. */
export const countUserEntries = (db: Db, userId: string) => db.entry.count({ where: { userId } });
export const entryNameKeys = (db: Db, userId: string) =>
  db.entry.findMany({ where: { userId }, select: { nameKey: true } });

/** The user's entries with these name keys, with what an import plans and writes with. */
export const entriesByNameKeys = (db: Db, userId: string, keys: readonly string[]) =>
  db.entry.findMany({
    where: { userId, nameKey: { in: [...keys] } },
    select: {
      id: true,
      name: true,
      nameKey: true,
      kind: true,
      version: true,
      ciphertext: true,
      fingerprint: true,
      valueSize: true,
      updatedAt: true,
      updatedBy: true,
      upstream: true,
    },
  });

/** A kept version's ciphertext, or null. */
export const keptVersion = (tx: Db | Tx, entryId: string, version: number) =>
  tx.entryVersion.findUnique({ where: { entryId_version: { entryId, version } }, select: { ciphertext: true } });

/** A page of an entry's kept versions (values only when asked), by version. */
export const keptVersions = (
  db: Db,
  entryId: string,
  args: { before?: number; after?: number; limit: number; inverted: boolean; withValues: boolean },
) => {
  const version: { lt?: number; gt?: number } = {};
  if (args.after !== undefined) version.lt = args.after;
  if (args.before !== undefined) version.gt = args.before;
  return db.entryVersion.findMany({
    where: { entryId, ...(Object.keys(version).length ? { version } : {}) },
    orderBy: { version: args.inverted ? "asc" : "desc" },
    take: args.limit,
    select: { version: true, fingerprint: true, createdAt: true, createdBy: true, ciphertext: args.withValues },
  });
};

/** The user's secrets with these name keys. */
export const secretsByNameKeys = (db: Db | Tx, userId: string, keys: readonly string[]) =>
  db.entry.findMany({ where: { userId, kind: "SECRET", nameKey: { in: [...keys] } } });

// Every stored value, for the key rotation's rewrap (keys.service.ts): in batches by id, across
// users, with what opening each needs.

/** A batch of entries after `cursor` (by id), with their user's key salt and provider's refresh token. */
export const entryBatch = (db: Db, after: string | undefined, size: number) =>
  db.entry.findMany({
    take: size,
    ...(after ? { skip: 1, cursor: { id: after } } : {}),
    orderBy: { id: "asc" },
    select: {
      id: true,
      userId: true,
      name: true,
      kind: true,
      version: true,
      ciphertext: true,
      upstream: true,
      user: { select: { keySalt: true } },
      provider: { select: { id: true, refreshCiphertext: true } },
    },
  });

/** A batch of kept versions after `cursor` (by entry and version), with their entry and user. */
export const versionBatch = (db: Db, after: { entryId: string; version: number } | undefined, size: number) =>
  db.entryVersion.findMany({
    take: size,
    ...(after ? { skip: 1, cursor: { entryId_version: after } } : {}),
    orderBy: [{ entryId: "asc" }, { version: "asc" }],
    select: {
      entryId: true,
      version: true,
      ciphertext: true,
      entry: { select: { name: true, kind: true, userId: true, user: { select: { keySalt: true } } } },
    },
  });

/** A value sealed again, only if the entry is still at `version`; whether it was written. */
export async function resealValue(
  db: Db,
  id: string,
  version: number,
  sealed: { ciphertext: Uint8Array<ArrayBuffer>; fingerprint: string; valueSize: number },
): Promise<number> {
  const { count } = await db.entry.updateMany({ where: { id, version }, data: sealed });
  return count;
}

/** A kept version sealed again, only if it is still the blob read; whether it was written. */
export async function resealVersion(
  db: Db,
  entryId: string,
  version: number,
  read: Uint8Array,
  ciphertext: Uint8Array<ArrayBuffer>,
): Promise<number> {
  const { count } = await db.entryVersion.updateMany({
    where: { entryId, version, ciphertext: read as Uint8Array<ArrayBuffer> },
    data: { ciphertext },
  });
  return count;
}
