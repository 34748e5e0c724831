// Agents: which entries each one gets, and the environment it runs with.

import type { Context } from "../../context.ts";
import { isForeignKeyViolation, isUniqueViolation, type Prisma } from "../../db/errors.ts";
import { newId } from "../../db/ids.ts";
import { LimitExceededError, NameTakenError, NotFoundError, ValidationError } from "../common/errors.ts";
import { environmentBytes, MAX_ENVIRONMENT_BYTES, MAX_NAME_LENGTH, nameKey } from "../entry/entry.rules.ts";
import { requireEntries } from "../entry/entry.service.ts";
import { type EnvironmentChange, runningEnvOf } from "./restart-state.ts";

export type AttachInput = { agentId: string; entryIds: readonly string[] };
type Agent = Awaited<ReturnType<Context["db"]["agent"]["findUniqueOrThrow"]>>;

function notices(agentId: string, entries: readonly { name: string }[], change: EnvironmentChange) {
  return entries.map((entry) => ({ agentId, entryName: entry.name, change }));
}

function assertValidAgentName(name: string): void {
  if (name.trim().length === 0) throw new ValidationError("An agent's name must not be empty", "name");
  if (name.length > MAX_NAME_LENGTH)
    throw new ValidationError(`An agent's name is at most ${MAX_NAME_LENGTH} characters`, "name");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(name) || !name.isWellFormed()) {
    throw new ValidationError("An agent's name must be printable text", "name");
  }
}

/** Agents of the viewer with these ids; NotFoundError names the first id that is not one. */
export async function requireAgents(tx: Prisma.TransactionClient, userId: string, ids: readonly string[]) {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const rows = await tx.agent.findMany({ where: { userId, id: { in: unique } }, select: { id: true, name: true } });
  if (rows.length !== unique.length) {
    const found = new Set(rows.map((row) => row.id));
    throw new NotFoundError("agent", unique.find((id) => !found.has(id)) as string);
  }
  return rows;
}

async function requireAgent(tx: Prisma.TransactionClient, userId: string, agentId: string) {
  const [agent] = await requireAgents(tx, userId, [agentId]);
  return agent as { id: string; name: string };
}

/** DESIGN.md rule 2: each agent's whole environment stays under 1 MiB. */
export async function assertEnvironmentsFit(tx: Prisma.TransactionClient, agentIds: readonly string[]) {
  if (agentIds.length === 0) return;
  const rows = await tx.attachment.findMany({
    where: { agentId: { in: [...agentIds] } },
    select: { agentId: true, entry: { select: { name: true, valueSize: true } } },
  });
  const totals = new Map<string, number>();
  for (const row of rows) {
    totals.set(row.agentId, (totals.get(row.agentId) ?? 0) + environmentBytes(row.entry.name, row.entry.valueSize));
  }
  for (const [agentId, total] of totals) {
    if (total >= MAX_ENVIRONMENT_BYTES) {
      const agent = await tx.agent.findUniqueOrThrow({ where: { id: agentId }, select: { name: true } });
      throw new LimitExceededError(
        `The environment of agent ${agent.name} would reach ${total} bytes; it must stay under 1 MiB`,
      );
    }
  }
}

export async function currentEnvironment(tx: Prisma.TransactionClient, agentId: string) {
  const rows = await tx.attachment.findMany({
    where: { agentId },
    select: { entry: { select: { id: true, name: true, version: true } } },
  });
  return rows.map((row) => row.entry);
}

export async function createAgent(ctx: Context, input: { name: string; entryIds?: readonly string[] | null }) {
  assertValidAgentName(input.name);
  const userId = ctx.viewer.userId;
  const id = newId();
  try {
    return await ctx.db.$transaction(async (tx) => {
      const taken = await tx.agent.findUnique({
        where: { userId_nameKey: { userId, nameKey: nameKey(input.name) } },
        select: { name: true },
      });
      if (taken) throw new NameTakenError(taken.name, "An agent");
      const entries = await requireEntries(tx, userId, input.entryIds ?? []);
      const agent = await tx.agent.create({
        data: {
          id,
          userId,
          name: input.name,
          nameKey: nameKey(input.name),
          runningEnv: runningEnvOf(entries),
          attachments: { create: entries.map((entry) => ({ entryId: entry.id })) },
        },
      });
      await assertEnvironmentsFit(tx, [id]);
      return agent;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new NameTakenError(input.name, "An agent");
    if (isForeignKeyViolation(error)) throw new NotFoundError("entry", (input.entryIds ?? []).join(", "));
    throw error;
  }
}

export async function attachEntries(ctx: Context, input: AttachInput) {
  const userId = ctx.viewer.userId;
  let result: { agent: Agent; added: { name: string }[] };
  try {
    result = await ctx.db.$transaction(async (tx) => {
      const agent = await requireAgent(tx, userId, input.agentId);
      const entries = await requireEntries(tx, userId, input.entryIds);
      const existing = await tx.attachment.findMany({
        where: { agentId: agent.id, entryId: { in: entries.map((entry) => entry.id) } },
        select: { entryId: true },
      });
      const attached = new Set(existing.map((row) => row.entryId));
      const added = entries.filter((entry) => !attached.has(entry.id));
      if (added.length > 0) {
        await tx.attachment.createMany({ data: added.map((entry) => ({ agentId: agent.id, entryId: entry.id })) });
      }
      await assertEnvironmentsFit(tx, [agent.id]);
      return { agent: await tx.agent.findUniqueOrThrow({ where: { id: agent.id } }), added };
    });
  } catch (error) {
    // An entry deleted between our check and our insert: the foreign key refuses the insert.
    if (isForeignKeyViolation(error) || isUniqueViolation(error)) {
      throw new NotFoundError("entry", input.entryIds.join(", "));
    }
    throw error;
  }
  ctx.events.restartNeeded(userId, notices(result.agent.id, result.added, "ADDED"));
  return result.agent;
}

export async function detachEntries(ctx: Context, input: AttachInput) {
  const userId = ctx.viewer.userId;
  const { agent, removed } = await ctx.db.$transaction(async (tx) => {
    const found = await requireAgent(tx, userId, input.agentId);
    const entries = await requireEntries(tx, userId, input.entryIds);
    const attached = await tx.attachment.findMany({
      where: { agentId: found.id, entryId: { in: entries.map((entry) => entry.id) } },
      select: { entry: { select: { id: true, name: true } } },
    });
    await tx.attachment.deleteMany({
      where: { agentId: found.id, entryId: { in: attached.map((row) => row.entry.id) } },
    });
    return {
      agent: await tx.agent.findUniqueOrThrow({ where: { id: found.id } }),
      removed: attached.map((row) => row.entry),
    };
  });
  ctx.events.restartNeeded(userId, notices(agent.id, removed, "REMOVED"));
  return agent;
}

/** Makes the current environment the one the agent runs with. */
export async function restartAgent(ctx: Context, input: { agentId: string }) {
  const agent = await ctx.db.$transaction(async (tx) => {
    const found = await requireAgent(tx, ctx.viewer.userId, input.agentId);
    return tx.agent.update({
      where: { id: found.id },
      data: { runningEnv: runningEnvOf(await currentEnvironment(tx, found.id)), lastRestartedAt: new Date() },
    });
  });
  ctx.events.runtimeCommand(agent.id, "restart", agent.lastRestartedAt);
  return agent;
}

export async function deleteAgent(ctx: Context, input: { agentId: string }): Promise<string> {
  return ctx.db.$transaction(async (tx) => {
    const agent = await requireAgent(tx, ctx.viewer.userId, input.agentId);
    await tx.agent.delete({ where: { id: agent.id } });
    return agent.id;
  });
}
