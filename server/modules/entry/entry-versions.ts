// An entry's history: each value it had before its current one, sealed again with the version in
// its binding, the last `kept` versions kept (AGENT_VAULT_VERSIONS_KEPT; default 50, the current
// one included). The current version is the entry's own row.
import type { KeyOwner } from "../../auth/viewer.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Db, Tx } from "../../db/database.ts";
import type { EntryKind } from "../../db/enums.ts";
import type { SqlWork } from "../../db/unit-of-work.ts";
import { NotFoundError } from "../common/errors.ts";
import { forgetVersions, keepVersion, keptVersion, keptVersions } from "./entry.dal.ts";
import { openNamedValue, ValueUnreadableError, valueSealer } from "./entry-value.ts";

export const DEFAULT_VERSIONS_KEPT = 50;

/** A version as listed: the current one (from the entry's row) or a kept one. */
export type EntryVersionRow = {
  entryId: string;
  entryName: string;
  kind: EntryKind;
  version: number;
  fingerprint: string;
  createdAt: Date;
  createdBy: string | null;
  /** Null for a secret's versions in a list: their values are never read there. */
  ciphertext: Uint8Array | null;
  current: boolean;
};

/** What keeping an entry's current value needs of its row. */
export type CurrentValue = {
  id: string;
  name: string;
  kind: EntryKind;
  version: number;
  ciphertext: Uint8Array;
  fingerprint: string;
  valueSize: number;
  updatedAt: Date;
  updatedBy: string | null;
  /** A brokered secret's upstream, which its current value is bound to. */
  upstream: string | null;
};

/**
 * The value, or null when it cannot be decrypted (tampered with, or under a removed key): such a
 * value cannot be kept, and must not stop the update that replaces it.
 */
function readable(open: () => string): string | null {
  try {
    return open();
  } catch (error) {
    if (error instanceof ValueUnreadableError) return null;
    throw error;
  }
}

export type EntryVersions = ReturnType<typeof entryVersions>;

export function entryVersions(deps: { db: Db; keyring: UserKeyring; kept?: number }) {
  const { db, keyring } = deps;
  const kept = Math.max(1, deps.kept ?? DEFAULT_VERSIONS_KEPT);

  return {
    kept,

    /**
     * Keeps the entry's current value as a version in `tx`, before a new one replaces it, and
     * forgets versions beyond the last `kept` (counting the new one).
     */
    async keepCurrent(work: SqlWork, owner: KeyOwner, current: CurrentValue): Promise<void> {
      const value = kept > 1 ? readable(() => openNamedValue(keyring, owner, current)) : null;
      if (value !== null) {
        const sealed = valueSealer(keyring, owner)(current.id, current.kind, value, { keptVersion: current.version });
        await keepVersion(work.sql, {
          entryId: current.id,
          version: current.version,
          ciphertext: sealed.ciphertext,
          valueSize: sealed.valueSize,
          fingerprint: current.fingerprint,
          createdAt: current.updatedAt,
          createdBy: current.updatedBy,
        });
      }
      const newest = current.version + 1;
      if (newest - kept >= 1) await forgetVersions(work.sql, current.id, newest - kept);
    },

    /** A kept (or the current) version's value, for a restore; NotFoundError when not kept. */
    async valueOf(tx: Tx, owner: KeyOwner, entry: CurrentValue, version: number): Promise<string> {
      if (version === entry.version) return openNamedValue(keyring, owner, entry);
      const row = await keptVersion(tx, entry.id, version);
      if (!row) throw new NotFoundError("version", `${version} of ${entry.name}`);
      return openNamedValue(keyring, owner, { ...entry, ciphertext: row.ciphertext, keptVersion: version });
    },

    /** A variable's kept value (secrets' values are never read from a list). */
    value(owner: KeyOwner, row: EntryVersionRow): string {
      if (row.kind !== "VARIABLE" || !row.ciphertext) throw new Error("only a variable's versions can be read");
      return openNamedValue(keyring, owner, {
        id: row.entryId,
        name: row.entryName,
        kind: row.kind,
        ciphertext: row.ciphertext,
        ...(row.current ? {} : { keptVersion: row.version }),
      });
    },

    /** A page of an entry's versions, newest first (keyset on the version). */
    async page(
      entry: CurrentValue,
      args: { before?: number; after?: number; limit: number; inverted: boolean },
    ): Promise<EntryVersionRow[]> {
      const readValues = entry.kind === "VARIABLE";
      const inRange = (version: number) =>
        (args.after === undefined || version < args.after) && (args.before === undefined || version > args.before);
      const older = await keptVersions(db, entry.id, { ...args, withValues: readValues });
      const rows: EntryVersionRow[] = older.map((row) => ({
        entryId: entry.id,
        entryName: entry.name,
        kind: entry.kind,
        version: row.version,
        fingerprint: row.fingerprint,
        createdAt: row.createdAt,
        createdBy: row.createdBy,
        ciphertext: readValues ? (row.ciphertext as Uint8Array) : null,
        current: false,
      }));
      if (inRange(entry.version)) {
        const current: EntryVersionRow = {
          entryId: entry.id,
          entryName: entry.name,
          kind: entry.kind,
          version: entry.version,
          fingerprint: entry.fingerprint,
          createdAt: entry.updatedAt,
          createdBy: entry.updatedBy,
          ciphertext: readValues ? entry.ciphertext : null,
          current: true,
        };
        if (args.inverted) rows.push(current);
        else rows.unshift(current);
      }
      return rows.slice(0, args.limit);
    },
  };
}
