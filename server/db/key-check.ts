// A key-check value per master key version, stored the first time the key is seen, makes a
// wrong key fail at start instead of failing every decryption later.
import { timingSafeEqual } from "node:crypto";
import { keyCheckValue } from "../crypto/key-check.ts";
import { MasterKeyError, type MasterKeyRing } from "../crypto/master-key.ts";
import type { Db } from "./database.ts";

export async function verifyMasterKeys(db: Db, ring: MasterKeyRing, setting = "AGENT_VAULT_MASTER_KEY"): Promise<void> {
  for (const { version, key } of ring.byVersion.values()) {
    const metaKey = `master-key-check:v${version}`;
    const expected = keyCheckValue(key);
    const stored = await db.vaultMeta.findUnique({ where: { key: metaKey } });
    if (!stored) {
      await db.vaultMeta.upsert({ where: { key: metaKey }, create: { key: metaKey, value: expected }, update: {} });
      continue;
    }
    const a = Buffer.from(stored.value);
    const b = Buffer.from(expected);
    if (a.length !== b.length || !timingSafeEqual(a, b)) {
      throw new MasterKeyError(
        `${setting}: master key version ${version} is not the key this vault was initialised with; ` +
          "start with the original key (or AGENT_VAULT_MASTER_KEY_FILE pointing at it)",
      );
    }
  }
}
