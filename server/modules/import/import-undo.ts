// undoImport: an applied import taken back, in one transaction. The entries it created are deleted
// unless an agent uses them; the entries it gave a new value get their value from before it again
// (as a new version, like a restore). An entry changed since the import is left as it is. What
// could not be undone is said by name; only what is still in use keeps its record, so that the
// import can be undone again once it is detached.
import { authorize } from "../../auth/scopes.ts";
import type { Viewer } from "../../auth/viewer.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import { isForeignKeyViolation } from "../../db/errors.ts";
import type { UnitsOfWork, Work } from "../../db/unit-of-work.ts";
import type { PendingNotice, VaultEvents } from "../../events/events.ts";
import { timeSlices } from "../../time-slices.ts";
import { type ActivityService, doerOf } from "../activity/activity.service.ts";
import { actorJson } from "../activity/actor.ts";
import { assertEnvironmentsFit, attachmentsOf } from "../attachment/attachment.service.ts";
import { NotFoundError, ValidationError } from "../common/errors.ts";
import { entryRowsByIds, setValueAt } from "../entry/entry.dal.ts";
import { sealValue, ValueUnreadableError } from "../entry/entry-value.ts";
import type { EntryVersions } from "../entry/entry-versions.ts";
import {
  createdEntriesNow,
  deleteCreatedEntries,
  type EntryNow,
  type ImportChangeRow,
  importChanges,
  importRecord,
  settleImport,
} from "./import.dal.ts";

export type NotUndone = { name: string; reason: string };
export type UndoReport = {
  id: string;
  /** Entries the import created, now deleted. */
  deleted: string[];
  /** Entries the import updated, given their earlier value again. */
  restored: string[];
  notUndone: NotUndone[];
  /** Whether nothing of the import is left to undo (what is in use may be undone once detached). */
  complete: boolean;
};

/** Another writer changed an entry between the read and the write: read again. */
class UndoRace extends Error {}
/** Rolls a dry run's transaction back, carrying what it would have done. */
class DryRun extends Error {
  constructor(readonly report: UndoReport) {
    super("dry run");
  }
}
const ATTEMPTS = 3;
const READ_CHUNK = 500;

/** An entry as undoing sees it. */
type Seen = { entryId: string; name: string } & EntryNow;
type Update = ImportChangeRow & EntryNow;

/** The agents using an entry, named only to a token that may read agents. */
function usedBy(entry: EntryNow, viewer: Viewer): string {
  const count = entry.agents;
  if (!viewer.scopes.has("AGENTS_READ") || !entry.firstAgent) return count === 1 ? "an agent" : `${count} agents`;
  return count === 1 ? entry.firstAgent : `${entry.firstAgent} and ${count - 1} other agent${count === 2 ? "" : "s"}`;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export type ImportUndo = ReturnType<typeof importUndo>;

export function importUndo(deps: {
  uow: UnitsOfWork;
  keyring: UserKeyring;
  versions: EntryVersions;
  activity: ActivityService;
  events: VaultEvents;
}) {
  const { uow, keyring, versions, activity, events } = deps;

  async function undoIn(work: Work, viewer: Viewer, id: string, dryRun: boolean) {
    const userId = viewer.userId;
    const record = await importRecord(work.sql, userId, id);
    if (!record) throw new NotFoundError("import", id);
    if (record.undoneAt) {
      throw new ValidationError(`This import was undone already, on ${record.undoneAt.toISOString()}`, "id");
    }
    const notUndone: NotUndone[] = [];

    // The entries it created (one deleted since is as before the import).
    const toDelete: Seen[] = [];
    const stillUsed: string[] = [];
    for (const entry of await createdEntriesNow(work.sql, userId, record.createdIds)) {
      if (entry.current !== 1) {
        notUndone.push({ name: entry.name, reason: `changed since the import (now version ${entry.current})` });
      } else if (entry.agents > 0) {
        notUndone.push({ name: entry.name, reason: `used by ${usedBy(entry, viewer)}: detach it, then undo again` });
        stillUsed.push(entry.entryId);
      } else {
        toDelete.push(entry);
      }
    }
    // Deleting entries is ENTRIES_DELETE's: an import that only updated can be undone without it.
    if (toDelete.length > 0)
      authorize(viewer, "ENTRIES_DELETE", "undo an import that created entries (it deletes them)");
    const deleting = toDelete.map((entry) => entry.entryId);
    if ((await deleteCreatedEntries(work.sql, userId, deleting)) !== deleting.length) throw new UndoRace();

    // The entries it updated: each settled, given back its value or not.
    const updates = await importChanges(work.sql, userId, id);
    const toRestore: Update[] = [];
    for (const change of updates) {
      if (change.current === null) notUndone.push({ name: change.name, reason: "deleted since the import" });
      else if (change.current !== change.version) {
        notUndone.push({ name: change.name, reason: `changed since the import (now version ${change.current})` });
      } else toRestore.push(change);
    }
    const slices = timeSlices();
    const restored: Update[] = [];
    const brokered = new Set<string>();
    const updatedBy = actorJson(doerOf(viewer).actor);
    for (let start = 0; start < toRestore.length; start += READ_CHUNK) {
      const part = toRestore.slice(start, start + READ_CHUNK);
      const rows = await entryRowsByIds(
        work.db,
        userId,
        part.map((change) => change.entryId),
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const change of part) {
        if (slices.due()) await slices.next();
        const entry = byId.get(change.entryId);
        if (!entry || entry.version !== change.version) throw new UndoRace();
        let value: string;
        try {
          value = await versions.valueOf(work.db, viewer, entry, change.version - 1);
        } catch (error) {
          if (!(error instanceof NotFoundError || error instanceof ValueUnreadableError)) throw error;
          const reason =
            error instanceof NotFoundError
              ? "its value from before the import is no longer kept"
              : "its value from before the import cannot be decrypted";
          notUndone.push({ name: change.name, reason });
          continue;
        }
        const sealed = sealValue(keyring, viewer, entry.id, entry.kind, value, { upstream: entry.upstream });
        if ((await setValueAt(work.db, entry.id, entry.version, { ...sealed, updatedBy })) === 0) throw new UndoRace();
        await versions.keepCurrent(work, viewer, entry);
        restored.push(change);
        if (entry.upstream) brokered.add(entry.id);
      }
    }

    // The agents using a restored entry must still fit, and (unless it is brokered) restart for it.
    const restoredIds = new Map(restored.map((change) => [change.entryId, change.name]));
    const attachments = await attachmentsOf(work.db, [...restoredIds.keys()]);
    await assertEnvironmentsFit(work.db, [...new Set(attachments.map((row) => row.agentId))]);
    const notices: PendingNotice[] = attachments
      .filter((row) => !brokered.has(row.entryId))
      .map((row) => ({ agentId: row.agentId, entryName: restoredIds.get(row.entryId) as string, change: "UPDATED" }));

    // Only what is in use is left to undo (every update is settled, undone or not).
    const complete = stillUsed.length === 0;
    await settleImport(work.sql, id, {
      createdIds: stillUsed,
      settledUpdates: updates.map((change) => change.entryId),
      complete,
    });
    const report: UndoReport = {
      id,
      deleted: toDelete.sort(byName).map((entry) => entry.name),
      restored: restored.sort(byName).map((change) => change.name),
      notUndone: notUndone.sort(byName),
      complete,
    };
    if (!dryRun && (report.deleted.length + report.restored.length > 0 || complete)) {
      await activity.record(work, doerOf(viewer), {
        action: "IMPORT_UNDONE",
        details: {
          importId: id,
          deleted: report.deleted.length,
          restored: report.restored.length,
          notUndone: report.notUndone.length,
        },
      });
    }
    return { report, notices };
  }

  return {
    /** `dryRun`: the same undo in a transaction rolled back, so that it says exactly what it would do. */
    async undoImport(viewer: Viewer, input: { id: string; dryRun?: boolean }): Promise<UndoReport> {
      for (let attempt = 1; ; attempt++) {
        try {
          const { report, notices } = await uow.run(async (work) => {
            const done = await undoIn(work, viewer, input.id, input.dryRun ?? false);
            if (input.dryRun) throw new DryRun(done.report);
            return done;
          });
          events.restartNeeded(viewer.userId, notices);
          return report;
        } catch (error) {
          if (error instanceof DryRun) return error.report;
          // An attach or a write that raced the undo: the next attempt sees it.
          const raced = error instanceof UndoRace || isForeignKeyViolation(error);
          if (!raced || attempt >= ATTEMPTS) throw error;
        }
      }
    },
  };
}
