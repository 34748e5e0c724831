// The embedded database as the app uses it: the Prisma client on this folder's adapter.
import type BetterSqlite3 from "better-sqlite3";
import { PrismaClient } from "../../../prisma/sqlite/client/client.ts";
import {
  type Database,
  listenToQueries,
  type OpenOptions,
  prismaLogOptions,
  prismaTransactionOptions,
  type Rows,
  sqliteFile,
  type Tx,
} from "../database.ts";
import { openSqlite, type SqliteAdapter, type SqliteTransaction, sqliteAdapterFactory } from "./adapter.ts";
import { BULK_INSERT_SQL, StagedRows } from "./bulk-insert.ts";
import { sqliteDate } from "./conversion.ts";
import { TransactionEndedError } from "./transaction-ended.ts";

/** Dates stored as Prisma stores them (better-sqlite3 binds no Date). */
const withDates = (params: readonly unknown[]): readonly unknown[] =>
  params.some((value) => value instanceof Date)
    ? params.map((value) => (value instanceof Date ? sqliteDate(value) : value))
    : params;

export async function openSqliteDatabase(url: string, options: OpenOptions): Promise<Database> {
  const staged = new StagedRows();
  // Statements without Prisma (the start-up checks and the hottest reads) on a connection of their
  // own: reads see the last committed state, like the adapter's reader.
  let direct: BetterSqlite3.Database | undefined;
  const statements = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  const arrayStatements = new Map<string, BetterSqlite3.Statement<unknown[]>>();
  let adapter: SqliteAdapter | undefined;
  const db = new PrismaClient({
    adapter: sqliteAdapterFactory(sqliteFile(url), { staged, onConnect: (connected) => (adapter = connected) }),
    // Transactions take turns on the one writer: one may wait for the write phase of a large import.
    transactionOptions: prismaTransactionOptions(options.transactionBounds),
    ...prismaLogOptions(options.onQuery),
  });
  listenToQueries(db, options.onQuery);
  /** Each open Prisma transaction's own transaction on the writer. */
  const opened = new WeakMap<Tx, SqliteTransaction>();
  // Inside a transaction, statements go to the writer directly, through that transaction (refused
  // once it has ended).
  const txSql: Database["txSql"] = async (tx, sql, params = []) => {
    options.onQuery?.(sql);
    const transaction = opened.get(tx);
    if (!transaction) throw new TransactionEndedError();
    return transaction.run(sql, params);
  };
  const transaction: Database["transaction"] = (work) =>
    db.$transaction(async (tx) => {
      // The writer runs one transaction at a time: the one open as the callback starts is this one.
      const own = (adapter as SqliteAdapter).openTransaction;
      if (!own) throw new TransactionEndedError();
      opened.set(tx, own);
      return work(tx);
    });
  return {
    db,
    provider: "sqlite",
    transaction,
    async insertRows(tx, table, columns, rows) {
      const ticket = staged.stage({ table, columns, rows });
      try {
        await tx.$executeRawUnsafe(BULK_INSERT_SQL, ticket);
      } finally {
        staged.discard(ticket);
      }
    },
    async writeTransaction(work) {
      if (!adapter) await db.$connect();
      return (adapter as SqliteAdapter).writeTransaction(work);
    },
    txSql,
    async appendRows(table, columns, rows, then) {
      await transaction(async (tx) => {
        const insert = async (into: string, intoColumns: readonly string[], intoRows: Rows) => {
          const ticket = staged.stage({ table: into, columns: intoColumns, rows: intoRows });
          try {
            await tx.$executeRawUnsafe(BULK_INSERT_SQL, ticket);
          } finally {
            staged.discard(ticket);
          }
        };
        await insert(table, columns, rows);
        await then?.((sql, params) => txSql(tx, sql, params), insert);
      });
    },
    sql: {
      joinsWrites: false,
      roundTrips: false,
      async objects(sql, params = []) {
        options.onQuery?.(sql);
        direct ??= openSqlite(sqliteFile(url)).defaultSafeIntegers(false);
        let statement = statements.get(sql);
        if (!statement) {
          statement = direct.prepare<unknown[]>(sql);
          statements.set(sql, statement);
        }
        const values = withDates(params);
        if (statement.reader) return statement.all(...values) as Record<string, unknown>[];
        statement.run(...values);
        return [];
      },
      async rows(sql, params = []) {
        options.onQuery?.(sql);
        direct ??= openSqlite(sqliteFile(url)).defaultSafeIntegers(false);
        let statement = arrayStatements.get(sql);
        if (!statement) {
          statement = direct.prepare<unknown[]>(sql).raw(true);
          arrayStatements.set(sql, statement);
        }
        return statement.all(...withDates(params)) as unknown[][];
      },
    },
    async close() {
      direct?.close();
      await db.$disconnect();
    },
  };
}
