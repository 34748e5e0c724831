// Per-user keys: HKDF over a master key with the user's random salt, and an `info` that names
// the purpose and the user, so no two users or purposes share a key.

import { createSecretKey, type KeyObject } from "node:crypto";
import { hkdfSha256 } from "./hkdf.ts";
import type { MasterKeyRing } from "./master-key.ts";

// Keys as KeyObjects: Node then neither copies nor re-validates them for every value sealed, which
// an import of 10,000 values does 20,000 times.
export type UserKeys = { keyVersion: number; encryption: KeyObject; fingerprint: KeyObject };

export class UnknownKeyVersionError extends Error {
  override name = "UnknownKeyVersionError";
  constructor(readonly keyVersion: number) {
    super(`a stored value is encrypted under master key version ${keyVersion}, which is not configured`);
  }
}

const CACHE_LIMIT = 10_000;

export class UserKeyring {
  readonly #cache = new Map<string, UserKeys>();
  readonly #readsFormat1: boolean;

  constructor(
    readonly masterKeys: MasterKeyRing,
    options: { readsFormat1?: boolean } = {},
  ) {
    this.#readsFormat1 = options.readsFormat1 ?? false;
  }

  /** Whether values sealed before the entry's kind was bound (format 1) are read: only by `keys adopt`. */
  get readsFormat1(): boolean {
    return this.#readsFormat1;
  }

  get currentVersion(): number {
    return this.masterKeys.current.version;
  }

  keysFor(userId: string, salt: Uint8Array, keyVersion = this.currentVersion): UserKeys {
    const cacheKey = `${keyVersion}:${userId}`;
    const cached = this.#cache.get(cacheKey);
    if (cached) return cached;
    const master = this.masterKeys.byVersion.get(keyVersion);
    if (!master) throw new UnknownKeyVersionError(keyVersion);
    const saltBuffer = Buffer.from(salt);
    const keys = {
      keyVersion,
      encryption: createSecretKey(hkdfSha256(master.key, saltBuffer, `agent-vault/v1/encryption/user:${userId}`, 32)),
      fingerprint: createSecretKey(hkdfSha256(master.key, saltBuffer, `agent-vault/v1/fingerprint/user:${userId}`, 32)),
    };
    if (this.#cache.size >= CACHE_LIMIT) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(cacheKey, keys);
    return keys;
  }
}
