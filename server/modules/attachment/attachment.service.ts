// Attachments: which entries each agent receives. Attaching and detaching, which agents use an
// entry, and docs/architecture.md rule 2's limit on an agent's whole environment. Entries and agents build
// on this module; it builds on neither.
import DataLoader from "dataloader";
import type { Viewer } from "../../auth/viewer.ts";
import type { RowBinder } from "../../crypto/row-binding.ts";
import type { Db, Sql, Tx } from "../../db/database.ts";
import { isForeignKeyViolation, isUniqueViolation } from "../../db/errors.ts";
import type { UnitsOfWork } from "../../db/unit-of-work.ts";
import type { PendingNotice, VaultEvents } from "../../events/events.ts";
import { type ActivityService, doerOf } from "../activity/activity.service.ts";
import { agentRow } from "../agent/agent.dal.ts";
import { requireAgent } from "../agent/agent.lookup.ts";
import type { EnvironmentChange } from "../agent/restart-state.ts";
import { type AgentSummary, LimitExceededError, NotFoundError } from "../common/errors.ts";
import { requireEntries } from "../entry/entry.lookup.ts";
import { compareNames, environmentBytes, MAX_ENVIRONMENT_BYTES } from "../entry/entry.rules.ts";
import {
  type AgentRow,
  agentsOfEntry,
  agentsUsingEntries,
  attachedEntries,
  attachedOf,
  attachedSizes,
  attachmentsOfEntries,
  createAttachments,
  deleteAttachments,
} from "./attachment.dal.ts";

export type AttachInput = { agentId: string; entryIds: readonly string[] };
export type { AgentRow };

export function notices(agentId: string, entries: readonly { name: string }[], change: EnvironmentChange) {
  return entries.map((entry): PendingNotice => ({ agentId, entryName: entry.name, change }));
}

/** docs/architecture.md rule 2: each agent's whole environment stays under 1 MiB. */
export async function assertEnvironmentsFit(tx: Tx, agentIds: readonly string[]): Promise<void> {
  if (agentIds.length === 0) return;
  const rows = await attachedSizes(tx, agentIds);
  const totals = new Map<string, number>();
  for (const row of rows) {
    totals.set(row.agentId, (totals.get(row.agentId) ?? 0) + environmentBytes(row.entry.name, row.entry.valueSize));
  }
  for (const [agentId, total] of totals) {
    if (total >= MAX_ENVIRONMENT_BYTES) {
      const agent = await agentRow(tx, agentId);
      throw new LimitExceededError(
        `The environment of agent ${agent.name} would reach ${total} bytes; it must stay under 1 MiB`,
      );
    }
  }
}

/** The entries attached to an agent now, as its environment would start with them. */
export const currentEnvironment = (tx: Tx, agentId: string) => attachedEntries(tx, agentId);

/** The agents an entry is attached to, by name. */
export const agentsUsing = (tx: Db | Tx, entryId: string): Promise<AgentSummary[]> => agentsOfEntry(tx, entryId);

/** Which agents use which of these entries. */
export async function attachmentsOf(tx: Tx, entryIds: readonly string[]) {
  const rows: { agentId: string; entryId: string }[] = [];
  const CHUNK = 500;
  for (let start = 0; start < entryIds.length; start += CHUNK) {
    rows.push(...(await attachmentsOfEntries(tx, entryIds.slice(start, start + CHUNK))));
  }
  return rows;
}

export type AttachmentService = ReturnType<typeof attachmentService>;

export function attachmentService(deps: {
  sql: Sql;
  binder: RowBinder;
  events: VaultEvents;
  uow: UnitsOfWork;
  activity: ActivityService;
}) {
  const { sql, binder, events, uow, activity } = deps;
  return {
    /**
     * The agents using each entry, by name, for everything one request resolves: one statement
     * for all the entries of a page, instead of two Prisma queries.
     */
    usedByLoader(viewer: Viewer) {
      const byName = async (entryIds: readonly string[]) => {
        const byEntry = await agentsUsingEntries(sql, viewer.userId, entryIds);
        return entryIds.map((id) => (byEntry.get(id) ?? []).sort((a, b) => compareNames(a.name, b.name)));
      };
      // Batched, not cached: a subscription's context outlives many notices.
      const loader = new DataLoader<string, AgentRow[]>(byName, { maxBatchSize: 500, cache: false });
      // What a page loaded with its rows, by the rows themselves (made afresh by every read, so
      // never stale): their fields then resolve without a promise each.
      const loaded = new WeakMap<object, AgentRow[]>();
      return {
        /** The agents using this entry: at once when its page loaded them, else batched. */
        load(entry: { id: string }): AgentRow[] | Promise<AgentRow[]> {
          return loaded.get(entry) ?? loader.load(entry.id);
        },
        /** Loads the agents of a page's entries in one statement, for `load` to answer at once. */
        async preload(entries: readonly { id: string }[]): Promise<void> {
          if (entries.length === 0) return;
          const agents = await byName(entries.map((entry) => entry.id));
          entries.forEach((entry, i) => {
            loaded.set(entry, agents[i] as AgentRow[]);
          });
        },
      };
    },

    async attach(viewer: Viewer, input: AttachInput) {
      let result: { agent: AgentRow; added: { name: string }[] };
      try {
        result = await uow.run(async ({ db: tx, ...work }) => {
          const agent = await requireAgent(tx, viewer.userId, input.agentId);
          const entries = await requireEntries(tx, viewer.userId, input.entryIds);
          const existing = await attachedOf(
            tx,
            agent.id,
            entries.map((entry) => entry.id),
          );
          const attached = new Set(existing.map((entry) => entry.id));
          const added = entries.filter((entry) => !attached.has(entry.id));
          if (added.length > 0) {
            await createAttachments(
              tx,
              added.map((entry) => ({
                agentId: agent.id,
                entryId: entry.id,
                binding: binder.attachment(agent.id, entry.id),
              })),
            );
          }
          await assertEnvironmentsFit(tx, [agent.id]);
          const doer = doerOf(viewer);
          for (const entry of added) {
            await activity.record(work, doer, {
              action: "ENTRY_ATTACHED",
              agent,
              entry: { id: entry.id, name: entry.name },
            });
          }
          return { agent: await agentRow(tx, agent.id), added };
        });
      } catch (error) {
        // An entry deleted between our check and our insert: the foreign key refuses the insert.
        if (isForeignKeyViolation(error) || isUniqueViolation(error)) {
          throw new NotFoundError("entry", input.entryIds.join(", "));
        }
        throw error;
      }
      events.restartNeeded(viewer.userId, notices(result.agent.id, result.added, "ADDED"));
      return result.agent;
    },

    async detach(viewer: Viewer, input: AttachInput) {
      const { agent, removed } = await uow.run(async ({ db: tx, ...work }) => {
        const found = await requireAgent(tx, viewer.userId, input.agentId);
        const entries = await requireEntries(tx, viewer.userId, input.entryIds);
        const attached = await attachedOf(
          tx,
          found.id,
          entries.map((entry) => entry.id),
        );
        await deleteAttachments(
          tx,
          found.id,
          attached.map((entry) => entry.id),
        );
        const doer = doerOf(viewer);
        for (const entry of attached) {
          await activity.record(work, doer, { action: "ENTRY_DETACHED", agent: found, entry });
        }
        return { agent: await agentRow(tx, found.id), removed: attached };
      });
      events.restartNeeded(viewer.userId, notices(agent.id, removed, "REMOVED"));
      return agent;
    },
  };
}
