// Once per vault, at the first start after rows became bound (crypto/row-binding.ts): tokens from
// before keyed hashes get keyed ones, token and attachment rows from before bindings get theirs,
// and values from before the entry's kind was bound into their ciphertexts are sealed again in
// the current format. A mark in VaultMeta says it was done; after it, a row without a binding
// or a keyed hash (one inserted in the database) is never adopted, and grants nothing.
import type { RowBinder } from "./crypto/row-binding.ts";
import { type RawSql, storedDate } from "./db/database.ts";
import type { Services } from "./services.ts";

const MARK = "row-integrity:1";

/** Whether the upgrade ran: until it has, values in the format from before kind binding are read. */
export async function integrityUpgraded(raw: RawSql): Promise<boolean> {
  const [marked] = await raw('SELECT 1 AS "done" FROM "VaultMeta" WHERE "key" = ?', [MARK]);
  return !!marked;
}

export async function upgradeIntegrity(
  raw: RawSql,
  services: Services,
  binder: RowBinder,
  warn: (line: string) => void,
): Promise<void> {
  await services.tokens.keyLegacyHashes();
  const apiTokens = await raw(
    'SELECT "id", "userId", "scopes", "expiresAt", "revokedAt" FROM "ApiToken" WHERE "binding" IS NULL',
  );
  for (const row of apiTokens) {
    const binding = binder.apiToken({
      id: String(row.id),
      userId: String(row.userId),
      scopes: String(row.scopes),
      expiresAt: storedDate(row.expiresAt),
      revoked: row.revokedAt != null,
    });
    await raw('UPDATE "ApiToken" SET "binding" = ? WHERE "id" = ? AND "binding" IS NULL', [binding, row.id]);
  }
  for (const row of await raw('SELECT "id", "agentId" FROM "RuntimeToken" WHERE "binding" IS NULL')) {
    const binding = binder.runtimeToken(String(row.id), String(row.agentId));
    await raw('UPDATE "RuntimeToken" SET "binding" = ? WHERE "id" = ? AND "binding" IS NULL', [binding, row.id]);
  }
  for (const row of await raw('SELECT "agentId", "entryId" FROM "Attachment" WHERE "binding" IS NULL')) {
    const binding = binder.attachment(String(row.agentId), String(row.entryId));
    await raw('UPDATE "Attachment" SET "binding" = ? WHERE "agentId" = ? AND "entryId" = ? AND "binding" IS NULL', [
      binding,
      row.agentId,
      row.entryId,
    ]);
  }
  const report = await services.keys.rewrap();
  for (const item of report.unreadable) {
    warn(
      `The ${item.what} of ${item.name} (entry ${item.entryId}) cannot be read: ${item.reason}; it was left as it is`,
    );
  }
  await raw('INSERT INTO "VaultMeta" ("key", "value") VALUES (?, ?) ON CONFLICT ("key") DO NOTHING', [
    MARK,
    new Date().toISOString(),
  ]);
}
