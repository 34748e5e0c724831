// Migrations through @prisma/schema-engine-wasm, with the same driver adapters the app uses:
// Prisma's native schema engine cannot be installed on the machines this runs on
// (shared/notes/stack-on-this-machine.md).
// The engine, the PostgreSQL driver and the SQLite driver load only when they are needed: on a
// start with nothing to migrate, only the table of applied migrations is read.
import { randomBytes } from "node:crypto";
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import type { SqlDriverAdapter, SqlMigrationAwareDriverAdapterFactory } from "@prisma/driver-adapter-utils";
import type * as EngineModule from "@prisma/schema-engine-wasm/schema_engine_bg";
import { PRISMA_DIR as prismaDir } from "../paths.ts";
import { type DatabaseTarget, type Provider, sqliteFile } from "./database.ts";

export type { Provider };

const filters = { externalTables: [], externalEnums: [] };

let engineModule: Promise<typeof EngineModule> | undefined;

function loadEngineModule(): Promise<typeof EngineModule> {
  engineModule ??= (async () => {
    const glue = await import("@prisma/schema-engine-wasm/schema_engine_bg");
    const require = createRequire(import.meta.url);
    const wasmPath = path.join(
      path.dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg")),
      "schema_engine_bg.wasm",
    );
    const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {
      "./schema_engine_bg.js": glue as unknown as WebAssembly.ModuleImports,
    });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as () => void)();
    return glue;
  })();
  return engineModule;
}

function schemaFile(provider: Provider) {
  const schemaPath = path.join(prismaDir, provider, "schema.prisma");
  return { path: schemaPath, content: readFileSync(schemaPath, "utf8") };
}

function migrationsList(provider: Provider) {
  const baseDir = path.join(prismaDir, provider, "migrations");
  const dirs = existsSync(baseDir)
    ? readdirSync(baseDir, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name)
        .sort()
    : [];
  const lockPath = path.join(baseDir, "migration_lock.toml");
  return {
    baseDir,
    lockfile: {
      path: "migration_lock.toml",
      content: existsSync(lockPath) ? readFileSync(lockPath, "utf8") : null,
    },
    shadowDbInitScript: "",
    migrationDirectories: dirs.map((name) => ({
      path: name,
      migrationFile: {
        path: "migration.sql",
        content: { tag: "ok" as const, value: readFileSync(path.join(baseDir, name, "migration.sql"), "utf8") },
      },
    })),
  };
}

/**
 * adapter-pg runs a migration's script cut at every semicolon, which cuts a function's body (the
 * triggers' function) in pieces: PostgreSQL runs the script whole instead, in one implicit
 * transaction (a script that fails leaves nothing of itself).
 */
function wholeScripts(adapter: SqlDriverAdapter): SqlDriverAdapter {
  if (adapter.provider !== "postgres") return adapter;
  // adapter-pg's pool, and its own translation of a PostgreSQL error into the engine's terms.
  const pg = adapter as unknown as { underlyingDriver(): { query(text: string): Promise<unknown> } };
  const driver = pg.underlyingDriver();
  const reported = adapter as unknown as { onError(error: unknown): never };
  adapter.executeScript = async (script: string) => {
    try {
      await driver.query(script);
    } catch (error) {
      reported.onError(error);
    }
  };
  return adapter;
}

/** Runs `work` with a schema engine connected to the target; closes every connection after. */
async function migrationAdapter(target: DatabaseTarget) {
  if (target.provider === "sqlite") {
    const { sqliteAdapterFactory } = await import("./sqlite/adapter.ts");
    return { factory: sqliteAdapterFactory(sqliteFile(target.url), { reader: false }), end: async () => {} };
  }
  const [{ PrismaPg }, { MigrationPool, pgPoolOptions }] = await Promise.all([
    import("@prisma/adapter-pg"),
    import("./postgres/pool.ts"),
  ]);
  const pool = new MigrationPool({ ...pgPoolOptions(target.url), max: 2 });
  pool.on("error", () => {});
  return { factory: new PrismaPg(pool) as SqlMigrationAwareDriverAdapterFactory, end: () => pool.end() };
}

async function withEngine<T>(
  target: DatabaseTarget,
  work: (engine: EngineModule.SchemaEngine) => Promise<T>,
): Promise<T> {
  const glue = await loadEngineModule();
  const { bindMigrationAwareSqlAdapterFactory } = await import("@prisma/driver-adapter-utils");
  const { factory, end } = await migrationAdapter(target);
  const opened: SqlDriverAdapter[] = [];
  const tracking: SqlMigrationAwareDriverAdapterFactory = {
    provider: factory.provider,
    adapterName: factory.adapterName,
    connect: async () => {
      const adapter = wholeScripts(await factory.connect());
      opened.push(adapter);
      return adapter;
    },
    connectToShadowDb: async () => {
      const adapter = wholeScripts(await factory.connectToShadowDb());
      opened.push(adapter);
      return adapter;
    },
  };
  const bound = bindMigrationAwareSqlAdapterFactory(tracking);
  const file = schemaFile(target.provider);
  const engine = await glue.SchemaEngine.new({ datamodels: [[file.path, file.content]] }, () => {}, bound);
  try {
    return await work(engine);
  } catch (error) {
    const id = /External error id#(\d+)/.exec(String((error as Error)?.message ?? error))?.[1];
    const detail = id ? bound.errorRegistry.consumeError(Number(id)) : undefined;
    if (detail) throw new Error(`migration failed: ${JSON.stringify(detail.error)}`);
    throw error;
  } finally {
    engine.free();
    await Promise.all(opened.map((adapter) => adapter.dispose()));
    await end();
  }
}

/**
 * A new SQLite file, readable by the vault's own user only: SQLite gives its write-ahead log and
 * shared-memory files the database file's mode, and the umask would otherwise decide it (a data
 * directory made by someone else is not the vault's mode 0700).
 */
function createPrivately(file: string): void {
  if (file === ":memory:" || existsSync(file)) return;
  closeSync(openSync(file, "a", 0o600));
  chmodSync(file, 0o600);
}

/** Names of migrations the database has finished, or null when it has no migrations table. */
async function appliedMigrationNames(target: DatabaseTarget): Promise<Set<string> | null> {
  const sql =
    'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL';
  try {
    if (target.provider === "sqlite") {
      const file = sqliteFile(target.url);
      if (!existsSync(file)) return null;
      const { default: Database } = await import("better-sqlite3");
      const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000 });
      try {
        return new Set((db.prepare(sql).all() as { migration_name: string }[]).map((row) => row.migration_name));
      } finally {
        db.close();
      }
    }
    const { default: pg } = await import("pg");
    const client = new pg.Client({ connectionString: target.url });
    await client.connect();
    try {
      return new Set((await client.query<{ migration_name: string }>(sql)).rows.map((row) => row.migration_name));
    } finally {
      await client.end();
    }
  } catch {
    return null;
  }
}

/**
 * Applies the committed migrations that the database has not seen yet; returns their names.
 * The schema engine is only started when something is pending: on SQLite it needs the file to
 * itself, which a running server does not allow.
 */
export async function applyMigrations(target: DatabaseTarget): Promise<string[]> {
  const committed = migrationsList(target.provider).migrationDirectories.map((dir) => dir.path);
  const upToDate = async () => {
    const applied = await appliedMigrationNames(target);
    return !!applied && committed.every((name) => applied.has(name));
  };
  if (await upToDate()) return [];
  if (target.provider === "sqlite") {
    createPrivately(sqliteFile(target.url));
    return runMigrations(target);
  }
  // Several instances may start together: one migrates while the others wait, then find
  // nothing left to do.
  const { default: pg } = await import("pg");
  const lock = new pg.Client({ connectionString: target.url });
  await lock.connect();
  try {
    await lock.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK_KEY]);
    return (await upToDate()) ? [] : await runMigrations(target);
  } finally {
    await lock.query("SELECT pg_advisory_unlock($1)", [MIGRATION_LOCK_KEY]).catch(() => {});
    await lock.end();
  }
}

const MIGRATION_LOCK_KEY = 0x61763031; // "av01"

async function runMigrations(target: DatabaseTarget): Promise<string[]> {
  return withEngine(target, async (engine) => {
    const output = await engine.applyMigrations({ migrationsList: migrationsList(target.provider), filters });
    return output.appliedMigrationNames;
  });
}

/**
 * Applies the committed migrations to a new, empty database and compares the result with the
 * models. Returns null when they match, the SQL that is missing otherwise, or "unavailable"
 * when there is no PostgreSQL server to try them on.
 */
export async function migrationDrift(provider: Provider): Promise<string | null | "unavailable"> {
  const scratch = await createScratchDatabase(provider);
  if (!scratch) return "unavailable";
  try {
    await applyMigrations(scratch.target);
    const sql = await withEngine(scratch.target, async (engine) => {
      const file = schemaFile(provider);
      const result = await engine.diff({
        from: { tag: "schemaDatasource", files: [file], configDir: prismaDir },
        to: { tag: "schemaDatamodel", files: [file] },
        script: true,
        exitCode: null,
        filters,
      });
      return result.stdout ?? "";
    });
    const statements = sql
      .split("\n")
      .filter((line) => line.trim() && !line.startsWith("--"))
      .join("\n");
    return statements ? sql : null;
  } finally {
    await scratch.drop();
  }
}

async function createScratchDatabase(provider: Provider) {
  const name = `agent_vault_scratch_${randomBytes(6).toString("hex")}`;
  if (provider === "sqlite") {
    const dir = path.join(tmpdir(), name);
    mkdirSync(dir, { recursive: true });
    return {
      target: { provider, url: `file:${path.join(dir, "scratch.db")}` } as DatabaseTarget,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const adminUrl =
    process.env.MIGRATIONS_PG_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";
  const { default: pg } = await import("pg");
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch {
    return null;
  }
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    target: { provider, url: url.toString() } as DatabaseTarget,
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Writes a new migration directory for the provider with the given SQL. */
export function writeMigration(provider: Provider, name: string, sql: string): string {
  const baseDir = path.join(prismaDir, provider, "migrations");
  const stamp = new Date().toISOString().replace(/[-:T]/g, "").slice(0, 14);
  const dir = path.join(baseDir, `${stamp}_${name.replace(/[^A-Za-z0-9_]/g, "_")}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "migration.sql"), sql);
  writeFileSync(
    path.join(baseDir, "migration_lock.toml"),
    `# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "${provider}"\n`,
  );
  return dir;
}
