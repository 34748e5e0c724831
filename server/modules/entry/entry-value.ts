// Sealing and opening an entry's value under its owner's keys, bound to what it is: a secret's
// value or a variable's (docs/architecture.md; cipher.ts holds the format).
import { type KeyObject, timingSafeEqual } from "node:crypto";
import type { KeyOwner } from "../../auth/viewer.ts";
import { DecryptionError, isCurrentFormat, open, seal, sealedKeyVersion } from "../../crypto/cipher.ts";
import { CryptoThreadError } from "../../crypto/crypto-thread.ts";
import { fingerprint } from "../../crypto/fingerprint.ts";
import { OPEN_ON_THREAD_FROM, type OpeningThread } from "../../crypto/opening-thread.ts";
import type { SealingThread } from "../../crypto/sealing-thread.ts";
import { UnknownKeyVersionError, type UserKeyring } from "../../crypto/user-keys.ts";
import { timeSlices } from "../../time-slices.ts";

/** What a sealed blob is: an entry's value (SECRET, VARIABLE) or an OAuth refresh token. */
export type SealedKind = "SECRET" | "VARIABLE" | "OAUTH_REFRESH";
export type SealedValue = { ciphertext: Uint8Array<ArrayBuffer>; fingerprint: string; valueSize: number };
/**
 * `keptVersion`: set for an earlier version kept in the entry's history, whose binding includes
 * its version (an entry row's own `version` is not part of its value's binding).
 */
type Sealed = {
  id: string;
  kind: SealedKind;
  ciphertext: Uint8Array;
  keptVersion?: number;
  /** A brokered secret's upstream (its stored JSON), bound into its current value. */
  upstream?: string | null;
};
/** How a value is sealed beyond its entry and kind: as a kept version, or for an upstream. */
export type SealedAs = { keptVersion?: number; upstream?: string | null };
type Named = Sealed & { name: string };

/** Seals values under the owner's current keys, looked up once for many values. */
export function valueSealer(
  keyring: UserKeyring,
  owner: KeyOwner,
): (entryId: string, kind: SealedKind, value: string, as?: SealedAs) => SealedValue {
  const keys = keyring.keysFor(owner.userId, owner.keySalt);
  const userId = owner.userId;
  return (entryId, kind, value, as = {}) => ({
    ciphertext: seal(keys.encryption, keys.keyVersion, value, bindingOf(userId, entryId, kind, as)),
    fingerprint: fingerprint(keys.fingerprint, entryId, value),
    valueSize: Buffer.byteLength(value, "utf8"),
  });
}

function bindingOf(userId: string, entryId: string, kind: SealedKind, as: SealedAs) {
  const binding: { userId: string; entryId: string; kind: string; version?: number; upstream?: string } = {
    userId,
    entryId,
    kind,
  };
  if (as.keptVersion !== undefined) binding.version = as.keptVersion;
  else if (as.upstream) binding.upstream = as.upstream;
  return binding;
}

/**
 * Seals many current values of one kind under the owner's current keys, as valueSealer does: on
 * the sealing thread (crypto/sealing-thread.ts) when given one, inline otherwise. When the thread
 * cannot start, stops, or does not answer in time, this batch and the rest are sealed inline, and
 * `onFallback` hears why.
 */
export function batchSealer(
  keyring: UserKeyring,
  owner: KeyOwner,
  thread?: SealingThread,
  onFallback?: (reason: string) => void,
) {
  const keys = keyring.keysFor(owner.userId, owner.keySalt);
  const inline = valueSealer(keyring, owner);
  let onThread = !!thread;
  return async (kind: SealedKind, entryIds: string[], values: string[]): Promise<SealedValue[]> => {
    if (thread && onThread) {
      try {
        const { ciphertexts, fingerprints } = await thread.seal(keys, owner.userId, kind, entryIds, values);
        return values.map((value, i) => ({
          ciphertext: ciphertexts[i] as Buffer<ArrayBuffer>,
          fingerprint: fingerprints[i] as string,
          valueSize: Buffer.byteLength(value, "utf8"),
        }));
      } catch (error) {
        if (!(error instanceof CryptoThreadError)) throw error;
        onThread = false;
        onFallback?.(error.message);
      }
    }
    // Inline, a slice at a time (time-slices.ts), so that other requests are served meanwhile.
    const sealed: SealedValue[] = new Array(values.length);
    const slices = timeSlices();
    for (let i = 0; i < values.length; i++) {
      if (slices.due()) await slices.next();
      sealed[i] = inline(entryIds[i] as string, kind, values[i] as string);
    }
    return sealed;
  };
}

/**
 * `as.keptVersion`: sealed as an earlier version kept in the entry's history (never bound to an
 * upstream: a kept version reaches nothing but a restore, which seals it afresh); `as.upstream`: a
 * brokered secret's current value.
 */
export function sealValue(
  keyring: UserKeyring,
  owner: KeyOwner,
  entryId: string,
  kind: SealedKind,
  value: string,
  as: SealedAs = {},
): SealedValue {
  return valueSealer(keyring, owner)(entryId, kind, value, as);
}

/** Opens a blob bound to its entry; the old format only until the vault's upgrade moved every value on. */
function openBound(keyring: UserKeyring, key: KeyObject, owner: KeyOwner, entry: Sealed): string {
  if (!keyring.readsFormat1 && !isCurrentFormat(entry.ciphertext)) throw new DecryptionError();
  return open(
    key,
    entry.ciphertext,
    bindingOf(owner.userId, entry.id, entry.kind, { keptVersion: entry.keptVersion, upstream: entry.upstream }),
  );
}

export function openValue(keyring: UserKeyring, owner: KeyOwner, entry: Sealed): string {
  const keys = keyring.keysFor(owner.userId, owner.keySalt, sealedKeyVersion(entry.ciphertext));
  return openBound(keyring, keys.encryption, owner, entry);
}

/** A stored value that cannot be decrypted: tampered with, moved, or under a removed key version. */
export class ValueUnreadableError extends Error {
  override name = "ValueUnreadableError";
  constructor(name: string, cause: unknown, reason?: string) {
    super(
      `The value of ${name} cannot be read: ${
        reason ??
        (cause instanceof UnknownKeyVersionError
          ? `it is under master key version ${cause.keyVersion}, which is not configured`
          : "it failed its integrity check (tampered with, or not this vault's)")
      }`,
    );
  }
}

/**
 * Opens many values of one owner, each key version's keys looked up once. A value that cannot be
 * decrypted is a ValueUnreadableError naming its entry.
 */
export function valueOpener(keyring: UserKeyring, owner: KeyOwner): (entry: Named) => string {
  const byVersion = new Map<number, KeyObject>();
  return (entry) => {
    try {
      const version = sealedKeyVersion(entry.ciphertext);
      let key = byVersion.get(version);
      if (!key) {
        key = keyring.keysFor(owner.userId, owner.keySalt, version).encryption;
        byVersion.set(version, key);
      }
      return openBound(keyring, key, owner, entry);
    } catch (error) {
      if (error instanceof DecryptionError || error instanceof UnknownKeyVersionError) {
        throw new ValueUnreadableError(entry.name, error);
      }
      throw error;
    }
  };
}

/**
 * Opens many values of one owner at once: on the opening thread (crypto/opening-thread.ts) when
 * given one and there are enough of them, inline otherwise, and inline when the thread cannot
 * answer. A value that cannot be decrypted is a ValueUnreadableError naming its entry, as inline.
 */
export function valuesOpener(
  keyring: UserKeyring,
  owner: KeyOwner,
  thread?: OpeningThread,
): (entries: readonly Named[]) => Promise<string[]> {
  const inline = valueOpener(keyring, owner);
  return async (entries) => {
    if (!thread || entries.length < OPEN_ON_THREAD_FROM) return entries.map(inline);
    const byVersion = new Map<number, KeyObject>();
    const sealed = entries.map((entry) => {
      try {
        if (!keyring.readsFormat1 && !isCurrentFormat(entry.ciphertext)) throw new DecryptionError();
        const version = sealedKeyVersion(entry.ciphertext);
        let key = byVersion.get(version);
        if (!key) {
          key = keyring.keysFor(owner.userId, owner.keySalt, version).encryption;
          byVersion.set(version, key);
        }
        const binding = bindingOf(owner.userId, entry.id, entry.kind, {
          keptVersion: entry.keptVersion,
          upstream: entry.upstream,
        });
        return { blob: entry.ciphertext, key, binding };
      } catch (error) {
        if (error instanceof DecryptionError || error instanceof UnknownKeyVersionError) {
          throw new ValueUnreadableError(entry.name, error);
        }
        throw error;
      }
    });
    let opened: { values: string[]; failed: number[] };
    try {
      opened = await thread.open(owner.userId, sealed);
    } catch (error) {
      if (!(error instanceof CryptoThreadError)) throw error;
      return entries.map(inline);
    }
    const failed = opened.failed[0];
    if (failed !== undefined) {
      throw new ValueUnreadableError((entries[failed] as Named).name, new DecryptionError());
    }
    return opened.values;
  };
}

/** An entry's value; one that cannot be decrypted is a ValueUnreadableError naming the entry. */
export function openNamedValue(keyring: UserKeyring, owner: KeyOwner, entry: Named): string {
  return valueOpener(keyring, owner)(entry);
}

/**
 * Whether a candidate is the stored value: the stored ciphertext is decrypted (so its integrity
 * is checked) and compared in constant time. A ValueUnreadableError when it cannot be decrypted.
 */
export function sameValue(keyring: UserKeyring, owner: KeyOwner, entry: Named, candidate: string): boolean {
  const stored = Buffer.from(openNamedValue(keyring, owner, entry), "utf8");
  const given = Buffer.from(candidate, "utf8");
  return stored.length === given.length && timingSafeEqual(stored, given);
}
