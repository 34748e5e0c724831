// Sealing and opening an entry's value under the viewer's keys.
import type { Context } from "../../context.ts";
import { open, seal, sealedKeyVersion } from "../../crypto/cipher.ts";
import { fingerprint, sameFingerprint } from "../../crypto/fingerprint.ts";

type Viewer = Pick<Context, "keyring"> & { viewer: Pick<Context["viewer"], "userId" | "keySalt"> };
export type SealedValue = { ciphertext: Uint8Array<ArrayBuffer>; fingerprint: string; valueSize: number };

function keys(ctx: Viewer, keyVersion?: number) {
  return ctx.keyring.keysFor(ctx.viewer.userId, ctx.viewer.keySalt, keyVersion);
}

export function sealValue(ctx: Viewer, entryId: string, value: string): SealedValue {
  const userKeys = keys(ctx);
  return {
    ciphertext: new Uint8Array(
      seal(userKeys.encryption, userKeys.keyVersion, value, { userId: ctx.viewer.userId, entryId }),
    ),
    fingerprint: fingerprint(userKeys.fingerprint, value),
    valueSize: Buffer.byteLength(value, "utf8"),
  };
}

export function openValue(ctx: Viewer, entry: { id: string; ciphertext: Uint8Array }): string {
  const userKeys = keys(ctx, sealedKeyVersion(entry.ciphertext));
  return open(userKeys.encryption, entry.ciphertext, { userId: ctx.viewer.userId, entryId: entry.id });
}

/** Whether a candidate has the stored value, compared by fingerprint under the stored value's key. */
export function matchesValue(ctx: Viewer, entry: { ciphertext: Uint8Array; fingerprint: string }, candidate: string) {
  const userKeys = keys(ctx, sealedKeyVersion(entry.ciphertext));
  return sameFingerprint(fingerprint(userKeys.fingerprint, candidate), entry.fingerprint);
}
