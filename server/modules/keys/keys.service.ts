// Master key rotation, and the upgrade of stored values to the current format: counting the
// stored values under each key version, and moving them to the current version and format. The
// rewrap goes in small batches, each value changed only if nobody changed it meanwhile
// (compare-and-set), so it can run beside live traffic, be interrupted, and run again. A value
// that cannot be decrypted is skipped and reported by name, never a reason to stop.
import type { KeyOwner } from "../../auth/viewer.ts";
import { isCurrentFormat, sealedKeyVersion } from "../../crypto/cipher.ts";
import type { MasterKeyRing } from "../../crypto/master-key.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Db, Sql } from "../../db/database.ts";
import type { EntryKind } from "../../db/enums.ts";
import { rewrapTokenHashKey, tokenHashKeyVersion } from "../../db/token-hash-key.ts";
import { entryBatch, resealValue, resealVersion, versionBatch } from "../entry/entry.dal.ts";
import { openNamedValue, sealValue, ValueUnreadableError } from "../entry/entry-value.ts";
import { resealRefreshToken } from "../provider/provider.dal.ts";
import { openRefreshToken, sealRefreshToken } from "../provider/refresh-token.ts";
import { unkeyedRuntimeTokens } from "../runtime/runtime.dal.ts";
import { unkeyedApiTokens } from "../token/token.dal.ts";

/** A stored value that cannot be decrypted: which entry, whose, and why. */
export type Unreadable = {
  entryId: string;
  name: string;
  userId: string;
  what: "value" | "refresh token";
  reason: string;
};

export type KeyStatus = {
  currentVersion: number;
  /** Stored values (entries' values and OAuth refresh tokens) by the key version they are under. */
  byVersion: Record<string, number>;
  /** Values not yet under the current key version and format. */
  remaining: number;
  /** Values that cannot be decrypted (tampered with, or under a key version that is not configured). */
  unreadable: Unreadable[];
  /** The master key version the token hash key is sealed under (null: none yet). */
  tokenHashKeyVersion: number | null;
  /** API and runtime tokens still hashed without a key (from before keyed hashes; keys adopt lists them). */
  unkeyedTokens: number;
  /**
   * Values sealed before the entry's kind was bound (format 1): refused by the server until
   * `keys adopt --yes` seals them again.
   */
  legacyValues: Omit<Unreadable, "reason">[];
};
export type RewrapReport = KeyStatus & { rewrapped: number };

type Row = {
  id: string;
  userId: string;
  name: string;
  kind: EntryKind;
  version: number;
  ciphertext: Uint8Array;
  upstream: string | null;
  user: { keySalt: Uint8Array };
  provider: { id: string; refreshCiphertext: Uint8Array | null } | null;
};

async function* batches(db: Db, size: number): AsyncGenerator<Row[]> {
  let cursor: string | undefined;
  for (;;) {
    const rows = await entryBatch(db, cursor, size);
    if (rows.length === 0) return;
    yield rows;
    cursor = rows.at(-1)?.id;
  }
}

type VersionRow = {
  entryId: string;
  version: number;
  ciphertext: Uint8Array;
  entry: { name: string; kind: EntryKind; userId: string; user: { keySalt: Uint8Array } };
};

/** Kept versions of entries' values, in batches by (entry, version). */
async function* versionBatches(db: Db, size: number): AsyncGenerator<VersionRow[]> {
  let cursor: { entryId: string; version: number } | undefined;
  for (;;) {
    const rows = await versionBatch(db, cursor, size);
    if (rows.length === 0) return;
    yield rows;
    const last = rows.at(-1) as VersionRow;
    cursor = { entryId: last.entryId, version: last.version };
  }
}

/** A kept version as the value opener and sealer see it. */
const sealedVersion = (row: VersionRow) => ({
  id: row.entryId,
  name: `${row.entry.name} (version ${row.version})`,
  kind: row.entry.kind,
  ciphertext: row.ciphertext,
  keptVersion: row.version,
});
const versionOwner = (row: VersionRow): KeyOwner => ({ userId: row.entry.userId, keySalt: row.entry.user.keySalt });

const owner = (row: Row): KeyOwner => ({ userId: row.userId, keySalt: row.user.keySalt });
const upToDate = (blob: Uint8Array, current: number) => isCurrentFormat(blob) && sealedKeyVersion(blob) === current;
const reasonOf = (error: unknown) =>
  error instanceof ValueUnreadableError ? error.message : "it failed its integrity check or is malformed";

/** Reads a row's value (or refresh token); an unreadable one is recorded and null returned. */
function readable<T>(row: Row, what: Unreadable["what"], unreadable: Unreadable[], read: () => T): T | null {
  try {
    return read();
  } catch (error) {
    unreadable.push({ entryId: row.id, name: row.name, userId: row.userId, what, reason: reasonOf(error) });
    return null;
  }
}

const unkeyedTokens = async (sql: Sql) => (await unkeyedApiTokens(sql)) + (await unkeyedRuntimeTokens(sql));

export type KeyService = ReturnType<typeof keyService>;

export function keyService(deps: { db: Db; sql: Sql; keyring: UserKeyring; masterKeys: MasterKeyRing }) {
  const { db, sql, keyring, masterKeys } = deps;

  async function status(batchSize = 500): Promise<KeyStatus> {
    const current = keyring.currentVersion;
    const byVersion: Record<string, number> = {};
    const unreadable: Unreadable[] = [];
    const legacyValues: KeyStatus["legacyValues"] = [];
    let remaining = 0;
    for await (const rows of batches(db, batchSize)) {
      for (const row of rows) {
        const blobs: [Uint8Array, Unreadable["what"], () => unknown][] = [
          [row.ciphertext, "value", () => openNamedValue(keyring, owner(row), row)],
        ];
        const refresh = row.provider?.refreshCiphertext;
        if (refresh)
          blobs.push([refresh, "refresh token", () => openRefreshToken(keyring, owner(row), row.id, refresh)]);
        for (const [blob, what, read] of blobs) {
          if (readable(row, what, unreadable, () => sealedKeyVersion(blob)) === null) continue;
          if (!isCurrentFormat(blob)) {
            legacyValues.push({ entryId: row.id, name: row.name, userId: row.userId, what });
            if (!keyring.readsFormat1) continue;
          }
          const version = sealedKeyVersion(blob);
          byVersion[version] = (byVersion[version] ?? 0) + 1;
          if (readable(row, what, unreadable, read) !== null && !upToDate(blob, current)) remaining++;
        }
      }
    }
    for await (const rows of versionBatches(db, batchSize)) {
      for (const row of rows) {
        const sealed = sealedVersion(row);
        const asRow = { id: row.entryId, name: sealed.name, userId: row.entry.userId } as Row;
        if (readable(asRow, "value", unreadable, () => sealedKeyVersion(row.ciphertext)) === null) continue;
        if (!isCurrentFormat(row.ciphertext)) {
          legacyValues.push({ entryId: row.entryId, name: sealed.name, userId: row.entry.userId, what: "value" });
          if (!keyring.readsFormat1) continue;
        }
        const version = sealedKeyVersion(row.ciphertext);
        byVersion[version] = (byVersion[version] ?? 0) + 1;
        const read = () => openNamedValue(keyring, versionOwner(row), sealed);
        if (readable(asRow, "value", unreadable, read) !== null && !upToDate(row.ciphertext, current)) remaining++;
      }
    }
    const hashKeyVersion = await tokenHashKeyVersion(sql);
    if (hashKeyVersion !== null && hashKeyVersion !== current) remaining++;
    return {
      currentVersion: current,
      byVersion,
      remaining,
      unreadable,
      tokenHashKeyVersion: hashKeyVersion,
      unkeyedTokens: await unkeyedTokens(sql),
      legacyValues,
    };
  }

  /** Moves every readable value to the current key version and format; stops after `limit` if given. */
  async function rewrap(options: { batchSize?: number; limit?: number } = {}): Promise<RewrapReport> {
    const current = keyring.currentVersion;
    const skipped: Unreadable[] = [];
    let rewrapped = (await rewrapTokenHashKey(sql, masterKeys)) ? 1 : 0;
    outer: for await (const rows of batches(db, options.batchSize ?? 200)) {
      for (const row of rows) {
        if (options.limit !== undefined && rewrapped >= options.limit) break outer;
        if (!upToDate(row.ciphertext, current) && (isCurrentFormat(row.ciphertext) || keyring.readsFormat1)) {
          const value = readable(row, "value", skipped, () => openNamedValue(keyring, owner(row), row));
          if (value !== null) {
            // Only if the value did not change meanwhile: a newer write is already current.
            rewrapped += await resealValue(
              db,
              row.id,
              row.version,
              sealValue(keyring, owner(row), row.id, row.kind, value, { upstream: row.upstream }),
            );
          }
        }
        const refresh = row.provider?.refreshCiphertext;
        if (
          row.provider &&
          refresh &&
          !upToDate(refresh, current) &&
          (isCurrentFormat(refresh) || keyring.readsFormat1)
        ) {
          const token = readable(row, "refresh token", skipped, () =>
            openRefreshToken(keyring, owner(row), row.id, refresh),
          );
          if (token !== null) {
            // Only if the refresh token is still the one read: a newer connection keeps its own.
            const sealed = sealRefreshToken(keyring, owner(row), row.id, token);
            rewrapped += await resealRefreshToken(db, row.provider.id, refresh, sealed);
          }
        }
      }
    }
    versions: for await (const rows of versionBatches(db, options.batchSize ?? 200)) {
      for (const row of rows) {
        if (options.limit !== undefined && rewrapped >= options.limit) break versions;
        if (upToDate(row.ciphertext, current)) continue;
        if (!isCurrentFormat(row.ciphertext) && !keyring.readsFormat1) continue;
        const sealed = sealedVersion(row);
        const asRow = { id: row.entryId, name: sealed.name, userId: row.entry.userId } as Row;
        const value = readable(asRow, "value", skipped, () => openNamedValue(keyring, versionOwner(row), sealed));
        if (value === null) continue;
        const { ciphertext } = sealValue(keyring, versionOwner(row), row.entryId, row.entry.kind, value, {
          keptVersion: row.version,
        });
        // Only if it is still the blob read (a version's value never changes, but it may be forgotten).
        rewrapped += await resealVersion(db, row.entryId, row.version, row.ciphertext, ciphertext);
      }
    }
    return { rewrapped, ...(await status()) };
  }

  return { status, rewrap };
}
