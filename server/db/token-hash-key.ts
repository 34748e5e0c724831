// The vault's token hash key (crypto/token-hash.ts): 32 random bytes made when the vault is first
// opened for writing, stored sealed (AES-256-GCM) under a key derived from the current master key
// version. A start with a new current version seals it again under that version at once (it is one
// row, and the vault cannot authenticate anyone once the old version is removed); keys rewrap does
// the same. A key that was tampered with refuses to open, naming nothing secret.
import { randomBytes } from "node:crypto";
import { open, seal, sealedKeyVersion } from "../crypto/cipher.ts";
import { hkdfSha256 } from "../crypto/hkdf.ts";
import { MasterKeyError, type MasterKeyRing } from "../crypto/master-key.ts";
import type { Sql } from "./database.ts";

const META_KEY = "token-hash-key";
const BINDING = { userId: "vault", entryId: META_KEY, kind: "TOKEN_HASH_KEY" };

function wrappingKey(ring: MasterKeyRing, version: number): Buffer {
  const master = ring.byVersion.get(version);
  if (!master) {
    throw new MasterKeyError(
      `The token hash key is under master key version ${version}, which is not configured: configure it (and run agent-vault keys rewrap before removing it)`,
    );
  }
  return hkdfSha256(master.key, Buffer.alloc(0), "agent-vault/v1/token-hash-key", 32);
}

function sealKey(ring: MasterKeyRing, key: Buffer): string {
  const version = ring.current.version;
  return seal(wrappingKey(ring, version), version, key.toString("base64"), BINDING).toString("base64");
}

/**
 * The token hash key. With `maintain` set it is made and stored when missing, and sealed again
 * under the current master key version when under an older one. Null when missing otherwise.
 */
export async function loadTokenHashKey(sql: Sql, ring: MasterKeyRing, maintain: boolean): Promise<Buffer | null> {
  const [row] = await sql.objects('SELECT "value" FROM "VaultMeta" WHERE "key" = ?', [META_KEY]);
  if (!row) {
    if (!maintain) return null;
    await sql.objects('INSERT INTO "VaultMeta" ("key", "value") VALUES (?, ?) ON CONFLICT ("key") DO NOTHING', [
      META_KEY,
      sealKey(ring, randomBytes(32)),
    ]);
    return loadTokenHashKey(sql, ring, false);
  }
  const stored = String(row.value);
  const blob = Buffer.from(stored, "base64");
  let key: Buffer;
  try {
    key = Buffer.from(open(wrappingKey(ring, sealedKeyVersion(blob)), blob, BINDING), "base64");
  } catch (error) {
    if (error instanceof MasterKeyError) throw error;
    throw new MasterKeyError("The stored token hash key failed its integrity check: it was changed in the database");
  }
  if (maintain && sealedKeyVersion(blob) !== ring.current.version) await replaceSealed(sql, ring, key, stored);
  return key;
}

async function replaceSealed(sql: Sql, ring: MasterKeyRing, key: Buffer, stored: string) {
  await sql.objects('UPDATE "VaultMeta" SET "value" = ? WHERE "key" = ? AND "value" = ?', [
    sealKey(ring, key),
    META_KEY,
    stored,
  ]);
}

/** Seals the key again under the current master key version (keys rewrap); whether it moved. */
export async function rewrapTokenHashKey(sql: Sql, ring: MasterKeyRing): Promise<boolean> {
  const [row] = await sql.objects('SELECT "value" FROM "VaultMeta" WHERE "key" = ?', [META_KEY]);
  if (!row) return false;
  const blob = Buffer.from(String(row.value), "base64");
  if (sealedKeyVersion(blob) === ring.current.version) return false;
  const key = await loadTokenHashKey(sql, ring, false);
  await replaceSealed(sql, ring, key as Buffer, String(row.value));
  return true;
}

/** The master key version the token hash key is sealed under, or null when there is none yet. */
export async function tokenHashKeyVersion(sql: Sql): Promise<number | null> {
  const [row] = await sql.objects('SELECT "value" FROM "VaultMeta" WHERE "key" = ?', [META_KEY]);
  return row ? sealedKeyVersion(Buffer.from(String(row.value), "base64")) : null;
}
