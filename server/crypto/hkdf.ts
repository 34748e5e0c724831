import { hkdfSync } from "node:crypto";

/** HKDF-SHA256 (RFC 5869). */
export function hkdfSha256(ikm: Buffer, salt: Buffer, info: Buffer | string, length: number): Buffer {
  return Buffer.from(hkdfSync("sha256", ikm, salt, typeof info === "string" ? Buffer.from(info) : info, length));
}
