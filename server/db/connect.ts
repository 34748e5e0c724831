// Chooses the database from its URL and opens it: SQLite (the default, embedded) through
// better-sqlite3, or PostgreSQL through pg. Both generated clients share one TypeScript surface.
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type { SqlDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import pg from "pg";
import { PrismaClient as PgClient } from "../../prisma/postgresql/client/client.ts";
import { PrismaClient } from "../../prisma/sqlite/client/client.ts";

export type Provider = "sqlite" | "postgresql";
export type DatabaseTarget = { provider: Provider; url: string };
export type Db = PrismaClient;

export function databaseTarget(url: string): DatabaseTarget {
  if (/^postgres(ql)?:\/\//.test(url)) return { provider: "postgresql", url };
  if (url.startsWith("file:")) return { provider: "sqlite", url };
  throw new Error("DATABASE_URL must start with file:, postgres:// or postgresql://");
}

const SQLITE_BUSY_TIMEOUT_MS = 5000;

export function sqliteAdapterFactory(url: string) {
  return new PrismaBetterSqlite3({ url, timeout: SQLITE_BUSY_TIMEOUT_MS });
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

// SQLite starts a transaction with a plain BEGIN (deferred): one that reads and then writes fails
// at once with SQLITE_BUSY when another process wrote in between, without waiting for the busy
// timeout. BEGIN IMMEDIATE takes the write lock up front, and so waits its turn.
function immediateTransactions(factory: PrismaBetterSqlite3): SqlDriverAdapterFactory {
  return {
    provider: factory.provider,
    adapterName: factory.adapterName,
    async connect() {
      const adapter = await factory.connect();
      const client = (adapter as unknown as { client: { prepare(sql: string): unknown } }).client;
      const prepare = client.prepare.bind(client);
      client.prepare = (sql: string) => prepare(sql === "BEGIN" ? "BEGIN IMMEDIATE" : sql);
      return adapter;
    },
  };
}

/** Opens the database; `onQuery` hears every SQL statement (the benchmarks count them). */
export async function openDatabase(target: DatabaseTarget, onQuery?: (sql: string) => void): Promise<Db> {
  const log = onQuery ? { log: [{ emit: "event" as const, level: "query" as const }] } : {};
  const db =
    target.provider === "postgresql"
      ? (new PgClient({ adapter: pgAdapterFactory(target.url), ...log }) as unknown as Db)
      : new PrismaClient({ adapter: immediateTransactions(sqliteAdapterFactory(target.url)), ...log });
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
