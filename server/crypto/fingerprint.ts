import { createHmac, type KeyObject, timingSafeEqual } from "node:crypto";

export const FINGERPRINT_HEX_CHARS = 16;

/**
 * A keyed digest of an entry's value: equal values of the same entry give equal fingerprints, so
 * it shows whether the entry's value changed. It is keyed per entry (its id goes in first, length
 * prefixed), so it cannot be matched against another entry's, and without the key it reveals
 * nothing.
 */
export function fingerprint(key: Buffer | KeyObject, entryId: string, value: string): string {
  const idBytes = Buffer.byteLength(entryId, "utf8");
  const head = Buffer.allocUnsafe(4 + idBytes);
  head.writeUInt32BE(idBytes, 0);
  head.write(entryId, 4, "utf8");
  return createHmac("sha256", key).update(head).update(value, "utf8").digest("hex").slice(0, FINGERPRINT_HEX_CHARS);
}

export function sameFingerprint(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
