// The database a test runs on. `npm test` runs every test on SQLite; with TEST_DATABASE_URL set,
// vitest's "postgres" project runs the same tests again on PostgreSQL, each vault in a new
// database of its own.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import type { Db } from "../../server/db/database.ts";

export const testDatabase: "sqlite" | "postgres" =
  process.env.AGENT_VAULT_TEST_DB === "postgres" ? "postgres" : "sqlite";

export type TestDatabase = { url: string; drop(): Promise<void> };

/** A new, empty database: a SQLite file in `dir`, or a new PostgreSQL database. */
export async function freshDatabase(dir: string): Promise<TestDatabase> {
  if (testDatabase === "sqlite") return { url: `file:${path.join(dir, "vault.db")}`, drop: async () => {} };
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error("the postgres project needs TEST_DATABASE_URL");
  const name = `agent_vault_test_${randomBytes(8).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Everything the database holds, as bytes: the SQLite files (with -wal and -shm), or a dump. */
export function databaseBytes(url: string): Buffer {
  if (url.startsWith("file:")) {
    const file = url.slice("file:".length);
    return Buffer.concat(
      ["", "-wal", "-shm"].map((suffix) => {
        try {
          return readFileSync(`${file}${suffix}`);
        } catch {
          return Buffer.alloc(0);
        }
      }),
    );
  }
  return execFileSync("pg_dump", ["--no-owner", url], { maxBuffer: 512 * 1024 * 1024 });
}

/** Prisma's client on a PostgreSQL database, on a pool of its own beside the vault's. */
export async function writerClient(url: string): Promise<{ db: Db; close(): Promise<void> }> {
  const { PrismaPg } = await import("@prisma/adapter-pg");
  const { PrismaClient } = await import("../../prisma/postgresql/client/client.ts");
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const db = new PrismaClient({ adapter: new PrismaPg(pool) }) as unknown as Db;
  return {
    db,
    async close() {
      await db.$disconnect();
      await pool.end();
    },
  };
}

/**
 * Once every instance with a lease on a PostgreSQL database has heard what was written before
 * (change-watch.ts's own round: a message each instance answers after all it heard before it).
 */
export async function heardByEveryInstance(url: string, timeoutMs = 5000): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("LISTEN agent_vault_ack");
    const syncId = `writer:${randomBytes(6).toString("hex")}`;
    const answered = new Set<string>();
    client.on("notification", (message) => {
      const [id, from] = (message.payload ?? "").split(" ");
      if (id === syncId && from) answered.add(from);
    });
    const { rows } = await client.query<{ id: string }>(
      `SELECT "id", pg_notify('agent_vault_sync', $1) FROM "VaultInstance" WHERE "leaseUntil" > (clock_timestamp() AT TIME ZONE 'UTC')`,
      [syncId],
    );
    const deadline = Date.now() + timeoutMs;
    while (!rows.every((row) => answered.has(row.id))) {
      if (Date.now() > deadline) throw new Error("an instance of the vault did not hear a write within 5 s");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await client.end();
  }
}

/**
 * Plain SQL on the database itself, beside the vault: what someone who can write the database
 * does. `?` placeholders; SQLite dates are ISO text, PostgreSQL's are timestamps.
 */
export async function directSql(url: string) {
  if (url.startsWith("file:")) {
    const { default: Database } = await import("better-sqlite3");
    const db = new Database(url.slice("file:".length));
    db.pragma("busy_timeout = 5000");
    return {
      run: async (sql: string, params: unknown[] = []) => {
        const statement = db.prepare(sql);
        if (statement.reader) return statement.all(...params) as Record<string, unknown>[];
        statement.run(...params);
        return [] as Record<string, unknown>[];
      },
      close: async () => db.close(),
    };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    run: async (sql: string, params: unknown[] = []) => {
      let n = 0;
      return (
        await client.query(
          sql.replace(/\?/g, () => `$${++n}`),
          params,
        )
      ).rows as Record<string, unknown>[];
    },
    close: () => client.end(),
  };
}
