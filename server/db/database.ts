// What the rest of the vault knows of its database, whichever it is: the client's type (both
// generated clients share one TypeScript surface), bulk inserts, and the choice by URL.
import type { Prisma, PrismaClient } from "../../prisma/sqlite/client/client.ts";
import type { ChangeWatch, ChangeWatchOptions } from "./postgres/change-watch.ts";

export type Provider = "sqlite" | "postgresql";

/** A time read with plain SQL as a Date (or null): SQLite gives ISO text, PostgreSQL a Date. */
export const storedDate = (value: unknown): Date | null =>
  value == null ? null : value instanceof Date ? value : new Date(String(value));
export type DatabaseTarget = { provider: Provider; url: string };
export type Db = PrismaClient;
export type Tx = Prisma.TransactionClient;
export type { Prisma };

/**
 * Many rows inside the transaction `tx`, taken from `rows` as they are written (a generator may
 * make each one just in time); the caller supplies every column (no Prisma defaults apply).
 */
/** Rows to write, made as they are written (an import's are sealed a batch at a time). */
export type Rows<Column extends string = string> =
  | Iterable<Record<Column, unknown>>
  | AsyncIterable<Record<Column, unknown>>;

export type InsertRows = (tx: Tx, table: string, columns: readonly string[], rows: Rows) => Promise<void>;

/**
 * A statement without Prisma, with `?` placeholders: for the few reads and writes of start-up
 * (the key check, the first user), so that Prisma's query compiler loads on the first request
 * instead of on every start and every server command.
 */
export type RawSql = (sql: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/**
 * As RawSql, each row an array of its columns in the statement's order: for reads of many rows on
 * the hottest paths (an object per row, with a property per column, costs more than the read).
 */
export type RawRows = (sql: string, params?: readonly unknown[]) => Promise<unknown[][]>;

/**
 * The vault's one SQL port outside a transaction (writes go through a unit of work,
 * unit-of-work.ts): `?` placeholders and dates handled once per provider, for the modules'
 * data-access files.
 */
export type Sql = {
  /** Rows as objects, a property per column. */
  objects: RawSql;
  /** Rows as arrays of their columns in the statement's order: for the hottest reads. */
  rows: RawRows;
  /**
   * Whether one statement may write in several tables at once (PostgreSQL's writing WITH
   * clauses): the activity log joins an entry's change to its event then.
   */
  joinsWrites: boolean;
  /**
   * Whether each statement is a round trip to a database server (PostgreSQL), which one joined
   * read saves; in process (SQLite), two small reads cost less than one that joins them.
   */
  roundTrips: boolean;
};

/**
 * `work` in a write transaction of its own, its statements sent without Prisma (`?`
 * placeholders): for the hottest small writes. Committed when `work` resolves, rolled back when it
 * throws; a constraint a statement breaks is the database's own error (db/errors.ts tells which).
 */
export type WriteTransaction = <T>(work: (run: SqlRunner) => Promise<T>, options?: WriteOptions) => Promise<T>;

/**
 * `durable: false`: the commit does not wait for PostgreSQL's log to reach the disk (synchronous_commit
 * off, for this transaction only). It is committed, visible and atomic as any other; a crash of the
 * database server (not of the vault) may lose the last fraction of a second of such commits. For
 * counters written on every request (limits, and the events their thresholds record), never for
 * entries, tokens or anything a person wrote.
 */
export type WriteOptions = { durable?: boolean };

/**
 * A statement inside the transaction `tx`, without Prisma's query compiler, with `?` placeholders:
 * rows for a SELECT or a statement with RETURNING, none otherwise. Dates are stored as Prisma
 * stores them.
 */
export type TxSql = (tx: Tx, sql: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** A statement (with `?` placeholders) on a connection that is inside a transaction. */
export type SqlRunner = (sql: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>;

/** Whether a statement gives rows. */
export const givesRows = (sql: string) => /^\s*(SELECT|WITH)\b|\bRETURNING\b/i.test(sql);

/**
 * `work` in a transaction, under the vault's bounds (TRANSACTION_BOUNDS): the one way the vault
 * opens a Prisma transaction, so that statements sent with TxSql are bound to it.
 */
export type Transact = <T>(work: (tx: Tx) => Promise<T>) => Promise<T>;

/**
 * How long a transaction may run before the database layer rolls it back, and wait for its turn:
 * bounds a slow machine does not reach (10,000-line imports with both cores busy by other
 * processes take seconds; tests/process/import-under-load.test.ts), but a hung transaction still ends.
 * A statement sent after its transaction ended is refused, never run on its own.
 */
export type TransactionBounds = { timeoutMs: number; maxWaitMs: number };
export const TRANSACTION_BOUNDS: TransactionBounds = { timeoutMs: 10 * 60_000, maxWaitMs: 60_000 };

export type Database = {
  db: Db;
  provider: Provider;
  transaction: Transact;
  insertRows: InsertRows;
  /** Many rows in a transaction of their own, without Prisma's per-value work. */
  appendRows: AppendRows;
  sql: Sql;
  writeTransaction: WriteTransaction;
  txSql: TxSql;
  /** PostgreSQL: how this instance hears that what placeholders open changed (postgres/change-watch.ts). */
  changes?: ChangeWatch;
  close(): Promise<void>;
};

/**
 * As InsertRows, in a transaction of its own: the rows commit together or not at all, with what
 * `then` writes after them (such as the activity event that records them).
 */
export type AppendRows = (
  table: string,
  columns: readonly string[],
  rows: Rows,
  /** Runs after the rows, in their transaction: statements, and more rows (into any table) the same way. */
  then?: (
    run: SqlRunner,
    insert: (table: string, columns: readonly string[], rows: Rows) => Promise<void>,
  ) => Promise<unknown>,
) => Promise<void>;

export type OpenOptions = {
  onQuery?: (sql: string) => void;
  transactionBounds?: TransactionBounds;
  changeWatch?: ChangeWatchOptions;
};

/** Prisma's options for the bounds. */
export const prismaTransactionOptions = (bounds: TransactionBounds = TRANSACTION_BOUNDS) => ({
  timeout: bounds.timeoutMs,
  maxWait: bounds.maxWaitMs,
});

export function databaseTarget(url: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//.test(url)) return { provider: "postgresql", url };
  if (url.startsWith("file:")) return { provider: "sqlite", url };
  throw new Error("DATABASE_URL must start with file:, postgres:// or postgresql://");
}

/** The file of a SQLite URL. */
export const sqliteFile = (url: string) => url.replace(/^file:/, "");

/** Prisma's `query` events, for counting statements (the benchmarks do). */
export function prismaLogOptions(onQuery: ((sql: string) => void) | undefined) {
  return onQuery ? { log: [{ emit: "event" as const, level: "query" as const }] } : {};
}

export function listenToQueries(db: Db, onQuery: ((sql: string) => void) | undefined): void {
  if (!onQuery) return;
  (db as unknown as { $on(event: "query", listener: (e: { query: string }) => void): void }).$on("query", (e) =>
    onQuery(e.query),
  );
}
