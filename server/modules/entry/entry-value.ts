// Sealing and opening an entry's value under its owner's keys.
import type { KeyOwner } from "../../auth/viewer.ts";
import { DecryptionError, open, seal, sealedKeyVersion } from "../../crypto/cipher.ts";
import { fingerprint, sameFingerprint } from "../../crypto/fingerprint.ts";
import { UnknownKeyVersionError, type UserKeyring } from "../../crypto/user-keys.ts";

export type SealedValue = { ciphertext: Uint8Array<ArrayBuffer>; fingerprint: string; valueSize: number };

/** Seals values under the owner's current keys, looked up once for many values. */
export function valueSealer(keyring: UserKeyring, owner: KeyOwner): (entryId: string, value: string) => SealedValue {
  const keys = keyring.keysFor(owner.userId, owner.keySalt);
  return (entryId, value) => ({
    ciphertext: seal(keys.encryption, keys.keyVersion, value, { userId: owner.userId, entryId }),
    fingerprint: fingerprint(keys.fingerprint, value),
    valueSize: Buffer.byteLength(value, "utf8"),
  });
}

export function sealValue(keyring: UserKeyring, owner: KeyOwner, entryId: string, value: string): SealedValue {
  return valueSealer(keyring, owner)(entryId, value);
}

export function openValue(
  keyring: UserKeyring,
  owner: KeyOwner,
  entry: { id: string; ciphertext: Uint8Array },
): string {
  const keys = keyring.keysFor(owner.userId, owner.keySalt, sealedKeyVersion(entry.ciphertext));
  return open(keys.encryption, entry.ciphertext, { userId: owner.userId, entryId: entry.id });
}

/** A stored value that cannot be decrypted: tampered with, moved, or under a removed key version. */
export class ValueUnreadableError extends Error {
  override name = "ValueUnreadableError";
  constructor(name: string, cause: unknown) {
    super(
      cause instanceof UnknownKeyVersionError
        ? `The value of ${name} cannot be read: it is under master key version ${cause.keyVersion}, which is not configured`
        : `The value of ${name} cannot be read: it failed its integrity check (tampered with, or not this vault's)`,
    );
  }
}

type Named = { id: string; name: string; ciphertext: Uint8Array };

/**
 * Opens many values of one owner, each key version's keys looked up once. A value that cannot be
 * decrypted is a ValueUnreadableError naming its entry.
 */
export function valueOpener(keyring: UserKeyring, owner: KeyOwner): (entry: Named) => string {
  const byVersion = new Map<number, Buffer>();
  return (entry) => {
    try {
      const version = sealedKeyVersion(entry.ciphertext);
      let key = byVersion.get(version);
      if (!key) {
        key = keyring.keysFor(owner.userId, owner.keySalt, version).encryption;
        byVersion.set(version, key);
      }
      return open(key, entry.ciphertext, { userId: owner.userId, entryId: entry.id });
    } catch (error) {
      if (error instanceof DecryptionError || error instanceof UnknownKeyVersionError) {
        throw new ValueUnreadableError(entry.name, error);
      }
      throw error;
    }
  };
}

/** An entry's value; one that cannot be decrypted is a ValueUnreadableError naming the entry. */
export function openNamedValue(keyring: UserKeyring, owner: KeyOwner, entry: Named): string {
  return valueOpener(keyring, owner)(entry);
}

/** Whether a candidate has the stored value, compared by fingerprint under the stored value's key. */
export function matchesValue(
  keyring: UserKeyring,
  owner: KeyOwner,
  entry: { ciphertext: Uint8Array; fingerprint: string },
  candidate: string,
): boolean {
  const keys = keyring.keysFor(owner.userId, owner.keySalt, sealedKeyVersion(entry.ciphertext));
  return sameFingerprint(fingerprint(keys.fingerprint, candidate), entry.fingerprint);
}
