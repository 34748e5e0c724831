// The embedded database as the app uses it: the Prisma client on this folder's adapter.
import { PrismaClient } from "../../../prisma/sqlite/client/client.ts";
import { type Database, listenToQueries, type OpenOptions, prismaLogOptions, sqliteFile } from "../database.ts";
import { sqliteAdapterFactory } from "./adapter.ts";
import { BULK_INSERT_SQL, StagedRows } from "./bulk-insert.ts";

// Transactions take turns on the one writer: one may wait for the write phase of the largest
// import (a few seconds), longer than Prisma's default of 2 s.
const TRANSACTION_MAX_WAIT_MS = 15_000;

export async function openSqliteDatabase(url: string, options: OpenOptions): Promise<Database> {
  const staged = new StagedRows();
  const db = new PrismaClient({
    adapter: sqliteAdapterFactory(sqliteFile(url), { staged }),
    transactionOptions: { maxWait: TRANSACTION_MAX_WAIT_MS },
    ...prismaLogOptions(options.onQuery),
  });
  listenToQueries(db, options.onQuery);
  return {
    db,
    provider: "sqlite",
    async insertRows(tx, table, columns, rows) {
      if (rows.length === 0) return;
      const ticket = staged.stage({ table, columns, rows });
      try {
        await tx.$executeRawUnsafe(BULK_INSERT_SQL, ticket);
      } finally {
        staged.discard(ticket);
      }
    },
    close: () => db.$disconnect(),
  };
}
