// Agents: created with the entries they start with, restarted, deleted. What they receive is the
// attachment module's.
import type { Viewer } from "../../auth/viewer.ts";
import type { RowBinder } from "../../crypto/row-binding.ts";
import type { AgentRestartPolicy } from "../../db/enums.ts";
import { isForeignKeyViolation, isUniqueViolation } from "../../db/errors.ts";
import { newId } from "../../db/ids.ts";
import type { UnitsOfWork } from "../../db/unit-of-work.ts";
import type { VaultEvents } from "../../events/events.ts";
import { type ActivityService, doerOf } from "../activity/activity.service.ts";
import { assertEnvironmentsFit, currentEnvironment } from "../attachment/attachment.service.ts";
import { NameTakenError, NotFoundError, ValidationError } from "../common/errors.ts";
import { requireEntries } from "../entry/entry.lookup.ts";
import { MAX_NAME_LENGTH, nameKey } from "../entry/entry.rules.ts";
import { agentByNameKey, createAgent, deleteAgentRow, updateAgentRow } from "./agent.dal.ts";
import { requireAgent } from "./agent.lookup.ts";
import { runningEnvOf } from "./restart-state.ts";

function assertValidAgentName(name: string): void {
  if (name.trim().length === 0) throw new ValidationError("An agent's name must not be empty", "name");
  if (name.length > MAX_NAME_LENGTH)
    throw new ValidationError(`An agent's name is at most ${MAX_NAME_LENGTH} characters`, "name");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name) || !name.isWellFormed()) {
    throw new ValidationError("An agent's name must be printable text", "name");
  }
}

export type AgentService = ReturnType<typeof agentService>;

export function agentService(deps: {
  uow: UnitsOfWork;
  binder: RowBinder;
  events: VaultEvents;
  activity: ActivityService;
}) {
  const { uow, binder, events, activity } = deps;
  return {
    /** A new agent, running with the entries it is created with. */
    async create(
      viewer: Viewer,
      input: { name: string; entryIds?: readonly string[] | null; restartPolicy?: AgentRestartPolicy },
    ) {
      assertValidAgentName(input.name);
      const userId = viewer.userId;
      const id = newId();
      try {
        return await uow.run(async ({ db: tx, ...work }) => {
          const taken = await agentByNameKey(tx, userId, nameKey(input.name), { select: { name: true } });
          if (taken) throw new NameTakenError(taken.name, "An agent");
          const entries = await requireEntries(tx, userId, input.entryIds ?? []);
          const agent = await createAgent(
            tx,
            {
              id,
              userId,
              name: input.name,
              nameKey: nameKey(input.name),
              restartPolicy: input.restartPolicy ?? "MANUAL",
              runningEnv: runningEnvOf(entries),
            },
            entries.map((entry) => ({ entryId: entry.id, binding: binder.attachment(id, entry.id) })),
          );
          await assertEnvironmentsFit(tx, [id]);
          const doer = doerOf(viewer);
          const named = { id, name: agent.name };
          await activity.record(work, doer, {
            action: "AGENT_CREATED",
            agent: named,
            details: { restartPolicy: agent.restartPolicy },
          });
          for (const entry of entries) {
            await activity.record(work, doer, {
              action: "ENTRY_ATTACHED",
              agent: named,
              entry: { id: entry.id, name: entry.name },
            });
          }
          return agent;
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new NameTakenError(input.name, "An agent");
        if (isForeignKeyViolation(error)) throw new NotFoundError("entry", (input.entryIds ?? []).join(", "));
        throw error;
      }
    },

    /** A new name, or restart policy, for an agent. */
    async update(
      viewer: Viewer,
      input: { agentId: string; name: string | null; restartPolicy: AgentRestartPolicy | null },
    ) {
      if (input.name !== null) assertValidAgentName(input.name);
      try {
        return await uow.run(async ({ db: tx, ...work }) => {
          const found = await requireAgent(tx, viewer.userId, input.agentId);
          const updated = await updateAgentRow(tx, found.id, {
            ...(input.name !== null ? { name: input.name, nameKey: nameKey(input.name) } : {}),
            ...(input.restartPolicy !== null ? { restartPolicy: input.restartPolicy } : {}),
          });
          await activity.record(work, doerOf(viewer), {
            action: "AGENT_UPDATED",
            agent: { id: updated.id, name: updated.name },
            details: {
              ...(input.name !== null && found.name !== updated.name ? { renamedFrom: found.name } : {}),
              restartPolicy: updated.restartPolicy,
            },
          });
          return updated;
        });
      } catch (error) {
        if (isUniqueViolation(error)) throw new NameTakenError(input.name ?? "", "An agent");
        throw error;
      }
    },

    /** Makes the current environment the one the agent runs with, and tells its runtime. */
    async restart(viewer: Viewer, input: { agentId: string }) {
      const agent = await uow.run(async ({ db: tx, ...work }) => {
        const found = await requireAgent(tx, viewer.userId, input.agentId);
        const environment = await currentEnvironment(tx, found.id);
        const updated = await updateAgentRow(tx, found.id, {
          runningEnv: runningEnvOf(environment),
          lastRestartedAt: new Date(),
        });
        await activity.record(work, doerOf(viewer), {
          action: "AGENT_RESTARTED",
          agent: found,
          details: { entries: environment.length },
        });
        return updated;
      });
      events.runtimeCommand(agent.id, "restart", agent.lastRestartedAt);
      return agent;
    },

    /** Deletes the agent (its attachments and runtime tokens with it); its runtimes' streams end at once. */
    async delete(viewer: Viewer, input: { agentId: string }): Promise<string> {
      const deleted = await uow.run(async ({ db: tx, ...work }) => {
        const agent = await requireAgent(tx, viewer.userId, input.agentId);
        await deleteAgentRow(tx, agent.id);
        await activity.record(work, doerOf(viewer), { action: "AGENT_DELETED", agent });
        return agent.id;
      });
      events.runtimeEnded(deleted, null);
      return deleted;
    },
  };
}
