// A key-check value per master key version, stored the first time the vault starts with that
// version, makes a wrong key fail at start instead of failing every decryption later.
import { timingSafeEqual } from "node:crypto";
import { keyCheckValue } from "../crypto/key-check.ts";
import { MasterKeyError, type MasterKeyRing } from "../crypto/master-key.ts";
import type { Sql } from "./database.ts";

export type KeyCheckOptions = {
  /** The setting the keys came from, for messages. */
  setting?: string;
  /** Store the check of a version seen for the first time (a server start does; a read-only command does not). */
  record?: boolean;
};

/** Refuses a key that differs from the one its version was first used with; returns the versions without a check yet. */
export async function verifyMasterKeys(sql: Sql, ring: MasterKeyRing, options: KeyCheckOptions = {}) {
  const setting = options.setting ?? "AGENT_VAULT_MASTER_KEY";
  const unchecked: number[] = [];
  for (const { version, key } of ring.byVersion.values()) {
    const metaKey = `master-key-check:v${version}`;
    const expected = keyCheckValue(key);
    const [stored] = await sql.objects('SELECT "value" FROM "VaultMeta" WHERE "key" = ?', [metaKey]);
    if (!stored) {
      if (options.record === false) unchecked.push(version);
      else {
        await sql.objects('INSERT INTO "VaultMeta" ("key", "value") VALUES (?, ?) ON CONFLICT ("key") DO NOTHING', [
          metaKey,
          expected,
        ]);
      }
      continue;
    }
    const a = Buffer.from(String(stored.value));
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new MasterKeyError(
        `${setting}: master key version ${version} is not the key this vault was initialised with; ` +
          "start with the original key (or AGENT_VAULT_MASTER_KEY_FILE pointing at it)",
      );
    }
  }
  return { unchecked };
}
