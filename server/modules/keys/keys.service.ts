// Master key rotation: counting the stored values under each key version, and moving them to the
// current version. The rewrap goes in small batches, each value changed only if nobody changed it
// meanwhile, so it can run beside live traffic, be interrupted, and run again.
import { open, seal, sealedKeyVersion } from "../../crypto/cipher.ts";
import { fingerprint } from "../../crypto/fingerprint.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Db } from "../../db/database.ts";
import { refreshBinding } from "../provider/provider.service.ts";

export type KeyStatus = { currentVersion: number; byVersion: Record<string, number>; remaining: number };
export type RewrapReport = KeyStatus & { rewrapped: number };

type Row = {
  id: string;
  userId: string;
  version: number;
  ciphertext: Uint8Array;
  user: { keySalt: Uint8Array };
  provider: { id: string; refreshCiphertext: Uint8Array | null } | null;
};

async function* batches(db: Db, size: number): AsyncGenerator<Row[]> {
  let cursor: string | undefined;
  for (;;) {
    const rows = await db.entry.findMany({
      take: size,
      ...(cursor ? { skip: 1, cursor: { id: cursor } } : {}),
      orderBy: { id: "asc" },
      select: {
        id: true,
        userId: true,
        version: true,
        ciphertext: true,
        user: { select: { keySalt: true } },
        provider: { select: { id: true, refreshCiphertext: true } },
      },
    });
    if (rows.length === 0) return;
    yield rows;
    cursor = rows.at(-1)?.id;
  }
}

function versionsOf(row: Row): number[] {
  const versions = [sealedKeyVersion(row.ciphertext)];
  if (row.provider?.refreshCiphertext) versions.push(sealedKeyVersion(row.provider.refreshCiphertext));
  return versions;
}

export type KeyService = ReturnType<typeof keyService>;

export function keyService(deps: { db: Db; keyring: UserKeyring }) {
  return {
    status: () => keyStatus(deps.db, deps.keyring),
    rewrap: (options: { batchSize?: number; limit?: number } = {}) => rewrap(deps.db, deps.keyring, options),
  };
}

async function keyStatus(db: Db, keyring: UserKeyring, batchSize = 500): Promise<KeyStatus> {
  const byVersion: Record<string, number> = {};
  for await (const rows of batches(db, batchSize)) {
    for (const version of rows.flatMap(versionsOf)) byVersion[version] = (byVersion[version] ?? 0) + 1;
  }
  const current = keyring.currentVersion;
  const remaining = Object.entries(byVersion).reduce(
    (sum, [version, count]) => sum + (Number(version) === current ? 0 : count),
    0,
  );
  return { currentVersion: current, byVersion, remaining };
}

function reseal(keyring: UserKeyring, row: Row, blob: Uint8Array, entryId: string) {
  const binding = { userId: row.userId, entryId };
  const old = keyring.keysFor(row.userId, row.user.keySalt, sealedKeyVersion(blob));
  const value = open(old.encryption, blob, binding);
  const current = keyring.keysFor(row.userId, row.user.keySalt);
  return {
    value,
    ciphertext: new Uint8Array(seal(current.encryption, current.keyVersion, value, binding)),
    keys: current,
  };
}

/** Moves every stored value to the current key version; stops after `limit` values if given. */
async function rewrap(
  db: Db,
  keyring: UserKeyring,
  options: { batchSize?: number; limit?: number } = {},
): Promise<RewrapReport> {
  const current = keyring.currentVersion;
  let rewrapped = 0;
  outer: for await (const rows of batches(db, options.batchSize ?? 200)) {
    for (const row of rows) {
      if (options.limit !== undefined && rewrapped >= options.limit) break outer;
      if (sealedKeyVersion(row.ciphertext) !== current) {
        const { value, ciphertext, keys } = reseal(keyring, row, row.ciphertext, row.id);
        // Only if the value did not change meanwhile: a newer write is already current.
        const { count } = await db.entry.updateMany({
          where: { id: row.id, version: row.version },
          data: { ciphertext, fingerprint: fingerprint(keys.fingerprint, value) },
        });
        rewrapped += count;
      }
      const refresh = row.provider?.refreshCiphertext;
      if (row.provider && refresh && sealedKeyVersion(refresh) !== current) {
        const { ciphertext } = reseal(keyring, row, refresh, refreshBinding(row.id));
        await db.providerConnection.update({ where: { id: row.provider.id }, data: { refreshCiphertext: ciphertext } });
        rewrapped++;
      }
    }
  }
  return { rewrapped, ...(await keyStatus(db, keyring)) };
}
