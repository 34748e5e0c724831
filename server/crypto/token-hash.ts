// Token hashes keyed by a secret the database does not hold: HMAC-SHA256, under the vault's token
// hash key, of the token's SHA-256. Someone who can write the database cannot add a token of
// their own making: without the key they cannot compute its hash. The key is 32 random bytes,
// stored sealed under the master key (db/token-hash-key.ts), so rotating the master key rewraps
// it and every token keeps working. Tokens from before keyed hashes were stored as the plain
// SHA-256, which is exactly what gets keyed, so their rows are rehashed in place.
import { createHash, createHmac } from "node:crypto";

/** The plain SHA-256 of a token, hex: what older rows hold, and what the keyed hash is of. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** The scheme of keyed hashes (the rows' hashKeyVersion); null: a plain SHA-256 from before them. */
export const KEYED_HASH_SCHEME = 1;

export class TokenHasher {
  constructor(private readonly key: Buffer) {}

  /** The keyed hash of a digest (a token's SHA-256). */
  keyed(digest: string): string {
    return createHmac("sha256", this.key).update(digest, "utf8").digest("hex");
  }

  /** The hash to store for a token, and to look it up by. */
  hash(token: string): string {
    return this.keyed(tokenDigest(token));
  }
}
