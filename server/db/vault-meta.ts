// VaultMeta: settings of the vault as a whole (key checks, the sealed token hash key, marks), one
// text value per key.
import type { RawSql } from "./database.ts";

/** The value stored under `key`, or null. */
export async function metaValue(raw: RawSql, key: string): Promise<string | null> {
  const [row] = await raw('SELECT "value" FROM "VaultMeta" WHERE "key" = ?', [key]);
  return row ? String(row.value) : null;
}

/** Stores `value` under `key` unless a value is there already. */
export async function setMetaOnce(raw: RawSql, key: string, value: string): Promise<void> {
  await raw('INSERT INTO "VaultMeta" ("key", "value") VALUES (?, ?) ON CONFLICT ("key") DO NOTHING', [key, value]);
}
