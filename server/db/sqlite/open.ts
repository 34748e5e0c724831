// The embedded database as the app uses it: the Prisma client on this folder's adapter.
import type BetterSqlite3 from "better-sqlite3";
import { PrismaClient } from "../../../prisma/sqlite/client/client.ts";
import { type Database, listenToQueries, type OpenOptions, prismaLogOptions, sqliteFile } from "../database.ts";
import { openSqlite, type SqliteAdapter, sqliteAdapterFactory } from "./adapter.ts";
import { BULK_INSERT_SQL, StagedRows } from "./bulk-insert.ts";

// Transactions take turns on the one writer: one may wait for the write phase of the largest
// import (a few seconds), longer than Prisma's default of 2 s.
const TRANSACTION_MAX_WAIT_MS = 15_000;

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
    transactionOptions: { maxWait: TRANSACTION_MAX_WAIT_MS },
    ...prismaLogOptions(options.onQuery),
  });
  listenToQueries(db, options.onQuery);
  // Inside a transaction, statements go to the writer directly: it runs that transaction alone.
  const txSql: Database["txSql"] = async (_tx, sql, params = []) => {
    options.onQuery?.(sql);
    return (adapter as SqliteAdapter).inOpenTransaction(sql, params);
  };
  return {
    db,
    provider: "sqlite",
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
      await db.$transaction(async (tx) => {
        const ticket = staged.stage({ table, columns, rows });
        try {
          await tx.$executeRawUnsafe(BULK_INSERT_SQL, ticket);
        } finally {
          staged.discard(ticket);
        }
        await then?.((sql, params) => txSql(tx, sql, params));
      });
    },
    async raw(sql, params = []) {
      options.onQuery?.(sql);
      direct ??= openSqlite(sqliteFile(url)).defaultSafeIntegers(false);
      let statement = statements.get(sql);
      if (!statement) {
        statement = direct.prepare<unknown[]>(sql);
        statements.set(sql, statement);
      }
      if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
      statement.run(...params);
      return [];
    },
    async rawRows(sql, params = []) {
      options.onQuery?.(sql);
      direct ??= openSqlite(sqliteFile(url)).defaultSafeIntegers(false);
      let statement = arrayStatements.get(sql);
      if (!statement) {
        statement = direct.prepare<unknown[]>(sql).raw(true);
        arrayStatements.set(sql, statement);
      }
      return statement.all(...params) as unknown[][];
    },
    async close() {
      direct?.close();
      await db.$disconnect();
    },
  };
}
