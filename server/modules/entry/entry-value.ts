// Sealing and opening an entry's value under the viewer's keys.
import type { Context } from "../../context.ts";
import { DecryptionError, open, seal, sealedKeyVersion } from "../../crypto/cipher.ts";
import { fingerprint, sameFingerprint } from "../../crypto/fingerprint.ts";
import { UnknownKeyVersionError } from "../../crypto/user-keys.ts";

type Viewer = Pick<Context, "keyring"> & { viewer: Pick<Context["viewer"], "userId" | "keySalt"> };
export type SealedValue = { ciphertext: Uint8Array<ArrayBuffer>; fingerprint: string; valueSize: number };

function keys(ctx: Viewer, keyVersion?: number) {
  return ctx.keyring.keysFor(ctx.viewer.userId, ctx.viewer.keySalt, keyVersion);
}

/** Seals values under the viewer's current keys, looked up once for many values. */
export function valueSealer(ctx: Viewer): (entryId: string, value: string) => SealedValue {
  const userKeys = keys(ctx);
  const userId = ctx.viewer.userId;
  return (entryId, value) => ({
    ciphertext: seal(userKeys.encryption, userKeys.keyVersion, value, { userId, entryId }),
    fingerprint: fingerprint(userKeys.fingerprint, value),
    valueSize: Buffer.byteLength(value, "utf8"),
  });
}

export function sealValue(ctx: Viewer, entryId: string, value: string): SealedValue {
  return valueSealer(ctx)(entryId, value);
}

export function openValue(ctx: Viewer, entry: { id: string; ciphertext: Uint8Array }): string {
  const userKeys = keys(ctx, sealedKeyVersion(entry.ciphertext));
  return open(userKeys.encryption, entry.ciphertext, { userId: ctx.viewer.userId, entryId: entry.id });
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

/** An entry's value; one that cannot be decrypted is a ValueUnreadableError naming the entry. */
export function openNamedValue(ctx: Viewer, entry: { id: string; name: string; ciphertext: Uint8Array }): string {
  try {
    return openValue(ctx, entry);
  } catch (error) {
    if (error instanceof DecryptionError || error instanceof UnknownKeyVersionError) {
      throw new ValueUnreadableError(entry.name, error);
    }
    throw error;
  }
}

/** Whether a candidate has the stored value, compared by fingerprint under the stored value's key. */
export function matchesValue(ctx: Viewer, entry: { ciphertext: Uint8Array; fingerprint: string }, candidate: string) {
  const userKeys = keys(ctx, sealedKeyVersion(entry.ciphertext));
  return sameFingerprint(fingerprint(userKeys.fingerprint, candidate), entry.fingerprint);
}
