// Entries: secrets and variables. Every operation checks that the viewer owns what it touches
// before anything else; an id of someone else's entry is answered exactly like a missing id.
import { confirmIn } from "../../auth/confirmation.ts";
import type { RateLimits } from "../../auth/rate-limits.ts";
import type { Viewer } from "../../auth/viewer.ts";
import type { RowBinder } from "../../crypto/row-binding.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Db, Sql } from "../../db/database.ts";
import type { EntryKind } from "../../db/enums.ts";
import { isForeignKeyViolation, isMissingRecord, isUniqueViolation } from "../../db/errors.ts";
import { newId } from "../../db/ids.ts";
import type { UnitsOfWork, Work } from "../../db/unit-of-work.ts";
import type { PendingNotice, VaultEvents } from "../../events/events.ts";
import { type ActivityInput, type ActivityService, type Doer, doerOf } from "../activity/activity.service.ts";
import { actorJson } from "../activity/actor.ts";
import { requireAgents } from "../agent/agent.lookup.ts";
import { agentsUsing, assertEnvironmentsFit } from "../attachment/attachment.service.ts";
import { deletePlaceholdersOf } from "../broker/broker.dal.ts";
import { type DeliveryInput, newUpstream, nextUpstream } from "../broker/delivery.ts";
import type { UpstreamSettings } from "../broker/upstream.ts";
import {
  EntryInUseError,
  NameTakenError,
  NotFoundError,
  ValidationError,
  VersionConflictError,
} from "../common/errors.ts";
import type { Provider } from "../provider/providers.ts";
import {
  createEntry,
  deleteEntryRow,
  type EntryRow,
  entryById,
  entryByNameKey,
  entryOfKind,
  entryRow,
  insertEntry,
  type PageQuery,
  setValueAt,
} from "./entry.dal.ts";
import { assertValidName, assertValidValue, nameKey } from "./entry.rules.ts";
import { entryReads } from "./entry-reads.ts";
import { sameValue, sealValue } from "./entry-value.ts";
import { type EntryVersions, entryVersions } from "./entry-versions.ts";

/** `provider`: the AI provider a secret is connected for (a brokered one goes where that provider's keys go). */
export type AddEntryInput = DeliveryInput & {
  name: string;
  value: string;
  agentIds?: readonly string[] | null;
  provider?: Provider | null;
};
/** Without `value`, only what needs none may change (nothing yet: moving a value needs it). */
export type UpdateEntryInput = DeliveryInput & {
  id: string;
  value?: string | null;
  expectedVersion?: number | null;
  provider?: Provider | null;
};
export type RestoreInput = { id: string; version: number; expectedVersion?: number | null };
export type { EntryRow };
export type PageArgs = PageQuery;
export type { Page } from "./entry-reads.ts";

/** A change written in a transaction, and the notices to publish once it commits. */
export type Written = { entry: EntryRow; notices: PendingNotice[] };

const label = (kind: EntryKind) => (kind === "SECRET" ? "secret" : "variable");

export type EntryService = ReturnType<typeof entryService>;

export function entryService(deps: {
  db: Db;
  sql: Sql;
  keyring: UserKeyring;
  binder: RowBinder;
  events: VaultEvents;
  rateLimits: RateLimits;
  uow: UnitsOfWork;
  activity: ActivityService;
  /** How many versions of each entry are kept, the current one included (default 50). */
  versionsKept?: number;
  upstreams: UpstreamSettings;
}) {
  const { db, sql, keyring, binder, events, rateLimits, uow, activity } = deps;
  const versions: EntryVersions = entryVersions({ db, keyring, kept: deps.versionsKept });

  /** A new entry in the caller's unit of work, attached to `agentIds`. */
  async function addIn(work: Work, doer: Doer, kind: EntryKind, input: AddEntryInput): Promise<Written> {
    const tx = work.db;
    assertValidName(input.name);
    assertValidValue(input.value, kind);
    const upstream = newUpstream(kind, input, deps.upstreams, input.provider);
    const agentIds = [...new Set(input.agentIds ?? [])];
    const taken = await entryByNameKey(tx, doer.userId, nameKey(input.name), { select: { name: true } });
    if (taken) throw new NameTakenError(taken.name);
    const agents = await requireAgents(tx, doer.userId, agentIds);
    const id = newId();
    const entry = await createEntry(
      tx,
      {
        id,
        userId: doer.userId,
        kind,
        name: input.name,
        nameKey: nameKey(input.name),
        ...sealValue(keyring, doer, id, kind, input.value, { upstream }),
        updatedBy: actorJson(doer.actor),
        upstream,
      },
      agentIds.map((agentId) => ({ agentId, binding: binder.attachment(agentId, id) })),
    );
    await assertEnvironmentsFit(tx, agentIds);
    const named = { id: entry.id, name: entry.name };
    const delivery = upstream ? { delivery: "BROKERED" } : {};
    await activity.record(work, doer, {
      action: "ENTRY_ADDED",
      entry: named,
      details: { kind, version: 1, ...delivery },
    });
    for (const agent of agents) await activity.record(work, doer, { action: "ENTRY_ATTACHED", entry: named, agent });
    return { entry, notices: agentIds.map((agentId) => ({ agentId, entryName: entry.name, change: "ADDED" })) };
  }

  /**
   * A new value for an entry in the caller's transaction. A variable given the value it has is
   * left as it is; a secret always gets a new version, so that writing a candidate value never
   * tells whether it was the secret's (docs/architecture.md rule 4).
   */
  async function updateIn(
    work: Work,
    doer: Doer,
    kind: EntryKind | null,
    input: UpdateEntryInput,
    restoredFrom?: number,
  ): Promise<Written> {
    const tx = work.db;
    const current = await entryOfKind(tx, doer.userId, input.id, kind);
    if (!current) throw new NotFoundError(kind ? label(kind) : "entry", input.id);
    const upstream = nextUpstream(current, input, deps.upstreams, input.provider);
    const value = input.value;
    if (value === undefined || value === null) throw new ValidationError("Give the new value", "value");
    assertValidValue(value, current.kind);
    const expected = input.expectedVersion ?? current.version;
    if (expected !== current.version) throw new VersionConflictError(current.version, expected);
    if (restoredFrom === undefined && current.kind === "VARIABLE" && sameValue(keyring, doer, current, value)) {
      return { entry: current, notices: [] };
    }

    const count = await setValueAt(tx, current.id, current.version, {
      ...sealValue(keyring, doer, current.id, current.kind, value, { upstream }),
      updatedBy: actorJson(doer.actor),
      upstream,
    });
    if (count === 0) {
      // Another writer got there between our read and our write.
      throw new VersionConflictError((await entryRow(tx, current.id)).version, expected);
    }
    // After the compare-and-set, which one writer at a time passes: the value it replaced is kept.
    await versions.keepCurrent(work, doer, current);
    const moved = upstream !== current.upstream;
    // A value that leaves the broker (or goes elsewhere) is no longer reached by the agents'
    // placeholders: they get new ones when they restart.
    if (moved) await deletePlaceholdersOf(work.sql, current.id);
    const affected = (await agentsUsing(tx, current.id)).map((agent) => agent.id);
    await assertEnvironmentsFit(tx, affected);
    const entry = await entryRow(tx, current.id);
    const delivery = moved ? { delivery: upstream ? "BROKERED" : "ENVIRONMENT" } : {};
    const details =
      restoredFrom === undefined
        ? { kind: entry.kind, version: entry.version, ...delivery }
        : { kind: entry.kind, version: entry.version, restoredFrom, ...delivery };
    await activity.record(work, doer, {
      action: restoredFrom === undefined ? "ENTRY_UPDATED" : "ENTRY_RESTORED",
      entry: { id: entry.id, name: entry.name },
      details,
    });
    // A brokered secret's new value applies to the next request: no agent needs a restart for it.
    if (upstream && !moved) return { entry, notices: [] };
    return { entry, notices: affected.map((agentId) => ({ agentId, entryName: entry.name, change: "UPDATED" })) };
  }

  function publish(viewer: Viewer, written: Written): EntryRow {
    events.restartNeeded(viewer.userId, written.notices);
    return written.entry;
  }

  return {
    addIn,
    updateIn,
    versions,

    async add(viewer: Viewer, kind: EntryKind, input: AddEntryInput) {
      const doer = doerOf(viewer);
      try {
        if ((input.agentIds ?? []).length > 0 || input.upstream || input.delivery === "BROKERED") {
          return publish(viewer, await uow.run((work) => addIn(work, doer, kind, input)));
        }
        // Attached to nothing: the row and its event in a transaction without Prisma (the unique
        // index refuses a taken name).
        assertValidName(input.name);
        assertValidValue(input.value, kind);
        const id = newId();
        const now = new Date();
        const entry: EntryRow = {
          id,
          userId: viewer.userId,
          kind,
          name: input.name,
          nameKey: nameKey(input.name),
          version: 1,
          ...sealValue(keyring, viewer, id, kind, input.value),
          createdAt: now,
          updatedAt: now,
          updatedBy: actorJson(doer.actor),
          upstream: null,
        };
        const added: ActivityInput = {
          action: "ENTRY_ADDED",
          entry: { id, name: entry.name },
          details: { kind, version: 1 },
        };
        const change = insertEntry(entry);
        // On PostgreSQL in one statement with its event; otherwise in a transaction of plain SQL.
        if (!(await activity.recordAtOnce(doer, added, change))) {
          await uow.sqlOnly(async (work) => {
            await confirmIn(work.sql, doer.unconfirmed);
            await work.sql(change.sql, change.params);
            await activity.record(work, doer, added);
          });
        }
        return entry;
      } catch (error) {
        if (isUniqueViolation(error)) {
          const taken = await entryByNameKey(db, viewer.userId, nameKey(input.name), { select: { name: true } });
          throw new NameTakenError(taken?.name ?? input.name);
        }
        if (isForeignKeyViolation(error)) throw new NotFoundError("agent", (input.agentIds ?? []).join(", "));
        throw error;
      }
    },

    async update(viewer: Viewer, kind: EntryKind, input: UpdateEntryInput) {
      return publish(viewer, await uow.run((work) => updateIn(work, doerOf(viewer), kind, input)));
    },

    /**
     * A new version whose value is that of `version` (kept, or the current one): the agents using
     * the entry need a restart, as after any update.
     */
    async restore(viewer: Viewer, input: RestoreInput) {
      const doer = doerOf(viewer);
      return publish(
        viewer,
        await uow.run(async (work) => {
          const entry = await entryById(work.db, viewer.userId, input.id);
          if (!entry) throw new NotFoundError("entry", input.id);
          const expected = input.expectedVersion ?? entry.version;
          if (expected !== entry.version) throw new VersionConflictError(entry.version, expected);
          const value = await versions.valueOf(work.db, viewer, entry, input.version);
          return updateIn(work, doer, null, { id: entry.id, value, expectedVersion: expected }, input.version);
        }),
      );
    },

    /** Deletes an entry that no agent uses. The database refuses it too, should an attach race us. */
    async delete(viewer: Viewer, input: { id: string }, alsoRecord: readonly ActivityInput[] = []): Promise<string> {
      const entry = await entryById(db, viewer.userId, input.id, { select: { id: true, name: true } });
      if (!entry) throw new NotFoundError("entry", input.id);
      try {
        await uow.run(async ({ db: tx, ...work }) => {
          const agents = await agentsUsing(tx, entry.id);
          if (agents.length > 0) throw new EntryInUseError(entry.name, agents);
          await deleteEntryRow(tx, entry.id);
          const doer = doerOf(viewer);
          await activity.record(work, doer, { action: "ENTRY_DELETED", entry });
          for (const event of alsoRecord) await activity.record(work, doer, event);
        });
      } catch (error) {
        if (isForeignKeyViolation(error)) throw new EntryInUseError(entry.name, await agentsUsing(db, entry.id));
        if (isMissingRecord(error)) throw new NotFoundError("entry", input.id);
        throw error;
      }
      return entry.id;
    },

    ...entryReads({ db, sql, keyring, rateLimits }),
  };
}
