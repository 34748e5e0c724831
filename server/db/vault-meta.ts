// VaultMeta: settings of the vault as a whole (key checks, the sealed token hash key, marks), one
// text value per key.
import type { Sql } from "./database.ts";

/** The value stored under `key`, or null. */
export async function metaValue(sql: Sql, key: string): Promise<string | null> {
  const [row] = await sql.objects('SELECT "value" FROM "VaultMeta" WHERE "key" = ?', [key]);
  return row ? String(row.value) : null;
}

/** Stores `value` under `key` unless a value is there already. */
export async function setMetaOnce(sql: Sql, key: string, value: string): Promise<void> {
  await sql.objects('INSERT INTO "VaultMeta" ("key", "value") VALUES (?, ?) ON CONFLICT ("key") DO NOTHING', [
    key,
    value,
  ]);
}
