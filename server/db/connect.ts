// Chooses the database from its URL and opens it: SQLite (the default, embedded) through
// better-sqlite3, or PostgreSQL through pg. Both generated clients share one TypeScript surface.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient as PgClient } from "../../prisma/postgresql/client/client.ts";
import { PrismaClient } from "../../prisma/sqlite/client/client.ts";
import { type SqliteWriter, sqliteConnectionFactory } from "./sqlite-connection.ts";

export type Provider = "sqlite" | "postgresql";
export type DatabaseTarget = { provider: Provider; url: string };
export type Db = PrismaClient;

export function databaseTarget(url: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//.test(url)) return { provider: "postgresql", url };
  if (url.startsWith("file:")) return { provider: "sqlite", url };
  throw new Error("DATABASE_URL must start with file:, postgres:// or postgresql://");
}

// The schema engine reads pg_catalog columns of type "char" (oid 18), which adapter-pg cannot
// deserialize; they hold plain text, so report them as text (oid 25).
function charAsText<T>(result: T): T {
  for (const field of (result as { fields?: { dataTypeID: number }[] })?.fields ?? []) {
    if (field.dataTypeID === 18) field.dataTypeID = 25;
  }
  return result;
}

export class MigrationPool extends pg.Pool {
  // biome-ignore lint/suspicious/noExplicitAny: pg's overloads
  override query(...args: any[]): any {
    // biome-ignore lint/suspicious/noExplicitAny: pg's overloads
    const result = (super.query as any)(...args);
    return result && typeof result.then === "function" ? result.then(charAsText) : result;
  }
}

export function pgPoolOptions(url: string): pg.PoolConfig {
  return {
    connectionString: url,
    max: Number(process.env.AGENT_VAULT_PG_POOL_SIZE ?? 10),
    statement_timeout: Number(process.env.AGENT_VAULT_PG_STATEMENT_TIMEOUT_MS ?? 30000),
  };
}

export function pgAdapterFactory(url: string) {
  return new PrismaPg(pgPoolOptions(url));
}

const SQLITE_TRANSACTION_MAX_WAIT_MS = 15_000;

const sqliteWriters = new WeakMap<Db, SqliteWriter>();

/** The SQLite writer connection behind a client, for bulk writes; none on PostgreSQL. */
export const sqliteWriterOf = (db: Db): SqliteWriter | undefined => sqliteWriters.get(db);

/** Opens the database; `onQuery` hears every SQL statement (the benchmarks count them). */
export async function openDatabase(target: DatabaseTarget, onQuery?: (sql: string) => void): Promise<Db> {
  const log = onQuery ? { log: [{ emit: "event" as const, level: "query" as const }] } : {};
  const db =
    target.provider === "postgresql"
      ? (new PgClient({ adapter: pgAdapterFactory(target.url), ...log }) as unknown as Db)
      : new PrismaClient({
          adapter: sqliteConnectionFactory(target.url, (writer) => sqliteWriters.set(db, writer)),
          // Transactions take turns on the one writer: one may wait for the write phase of the
          // largest import (a few seconds), longer than Prisma's default of 2 s.
          transactionOptions: { maxWait: SQLITE_TRANSACTION_MAX_WAIT_MS },
          ...log,
        });
  if (onQuery)
    (db as unknown as { $on(event: "query", cb: (e: { query: string }) => void): void }).$on("query", (e) =>
      onQuery(e.query),
    );
  if (target.provider === "postgresql") return db;
  await db.$queryRawUnsafe("PRAGMA journal_mode = WAL");
  await db.$executeRawUnsafe("PRAGMA foreign_keys = ON");
  await db.$executeRawUnsafe("PRAGMA synchronous = NORMAL");
  return db;
}
