// Reading entries: pages of a vault's entries and their count (every list), a variable's value, and
// verifySecret (rate-limited: the only way to test a candidate value against a secret).
import type { RateLimits } from "../../auth/rate-limits.ts";
import type { Viewer } from "../../auth/viewer.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Db, Sql } from "../../db/database.ts";
import type { EntryKind } from "../../db/enums.ts";
import { LimitExceededError, NotFoundError } from "../common/errors.ts";
import { countEntries, type EntryRow, entryOfKind, entryPage, type PageQuery } from "./entry.dal.ts";
import { openNamedValue, sameValue } from "./entry-value.ts";

/** A page, and the count when asked for and the page has a row to carry it. */
export type Page = { rows: EntryRow[]; count: number | null };

export function entryReads(deps: { db: Db; sql: Sql; keyring: UserKeyring; rateLimits: RateLimits }) {
  const { db, sql, keyring, rateLimits } = deps;
  return {
    async verify(viewer: Viewer, input: { id: string; value: string }): Promise<boolean> {
      const wait = await rateLimits.verifyAttempt(viewer.userId, viewer.tokenId, viewer.address);
      if (wait) throw new LimitExceededError(`Too many verifySecret attempts; try again in ${wait} s`);
      const entry = await entryOfKind(db, viewer.userId, input.id, "SECRET");
      if (!entry) throw new NotFoundError("secret", input.id);
      // Decrypted, not compared by fingerprint: a tampered ciphertext is an error, never a yes.
      return sameValue(keyring, viewer, entry, input.value);
    },

    /**
     * A page of the viewer's entries by name, after or before a name (keyset pagination): one plain
     * statement on every list, which Prisma's query compiler made several times as costly.
     */
    async page(viewer: Viewer, args: PageQuery): Promise<Page> {
      return entryPage(sql, viewer.userId, args);
    },

    /** How many entries (of one kind) the viewer has: one plain statement, on every list. */
    count: (viewer: Viewer, kind?: EntryKind | null, search?: string | null): Promise<number> =>
      countEntries(sql, viewer.userId, kind, search),

    /** A variable's value. Secrets are write-only: nothing calls this for them. */
    variableValue(viewer: Viewer, entry: { id: string; name: string; kind: EntryKind; ciphertext: Uint8Array }) {
      if (entry.kind !== "VARIABLE") throw new Error("only a variable's value can be read");
      return openNamedValue(keyring, viewer, entry);
    },
  };
}
