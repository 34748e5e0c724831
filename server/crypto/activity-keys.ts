// The keys of the activity log's hash chains, one per user: HKDF over the vault's token hash key
// (random, sealed under the master key, and sealed again, never changed, when the master key
// rotates) with the user's salt. Rotating the master key and removing an old version therefore
// leaves every chain verifiable; the database alone holds neither key.
import { createSecretKey, type KeyObject } from "node:crypto";
import { hkdfSha256 } from "./hkdf.ts";

/** The scheme recorded with each event (ActivityEvent.keyVersion): this derivation. */
export const ACTIVITY_KEY_SCHEME = 1;
const CACHE_LIMIT = 10_000;

export class ActivityKeys {
  readonly #root: Buffer;
  readonly #cache = new Map<string, KeyObject>();

  constructor(tokenHashKey: Buffer) {
    this.#root = hkdfSha256(tokenHashKey, Buffer.alloc(0), "agent-vault/v1/activity-chain-root", 32);
  }

  keyFor(userId: string, salt: Uint8Array): KeyObject {
    let key = this.#cache.get(userId);
    if (!key) {
      key = createSecretKey(
        hkdfSha256(this.#root, Buffer.from(salt), `agent-vault/v1/activity-chain/user:${userId}`, 32),
      );
      if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value as string);
      this.#cache.set(userId, key);
    }
    return key;
  }
}
