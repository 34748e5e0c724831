import { createHmac, timingSafeEqual } from "node:crypto";

const FINGERPRINT_HEX_CHARS = 16;

/** A keyed digest of a value: equal values give equal fingerprints, and without the key it reveals nothing. */
export function fingerprint(key: Buffer, value: string): string {
  return createHmac("sha256", key).update(value, "utf8").digest("hex").slice(0, FINGERPRINT_HEX_CHARS);
}

export function sameFingerprint(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
