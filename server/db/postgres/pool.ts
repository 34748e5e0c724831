// PostgreSQL connections: the pool settings, and a pool the schema engine can read catalogs with.
import pg from "pg";

export function pgPoolOptions(url: string): pg.PoolConfig {
  return {
    connectionString: url,
    max: Number(process.env.AGENT_VAULT_PG_POOL_SIZE ?? 10),
    statement_timeout: Number(process.env.AGENT_VAULT_PG_STATEMENT_TIMEOUT_MS ?? 30000),
  };
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
