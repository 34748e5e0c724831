// Entries: secrets and variables. Every function checks that the viewer owns what it touches
// before anything else; an id of someone else's entry is answered exactly like a missing id.

import type { Context } from "../../context.ts";
import { isForeignKeyViolation, isUniqueViolation, type Prisma } from "../../db/errors.ts";
import { newId } from "../../db/ids.ts";
import { assertEnvironmentsFit, requireAgents } from "../agent/agent.service.ts";
import {
  EntryInUseError,
  LimitExceededError,
  NameTakenError,
  NotFoundError,
  VersionConflictError,
} from "../common/errors.ts";
import { assertValidName, assertValidValue, type EntryKind, nameKey } from "./entry.rules.ts";
import { matchesValue, openNamedValue, sealValue } from "./entry-value.ts";

export type AddEntryInput = { name: string; value: string; agentIds?: readonly string[] | null };
export type UpdateEntryInput = { id: string; value: string; expectedVersion?: number | null };

const label = (kind: EntryKind) => (kind === "SECRET" ? "secret" : "variable");

/** Entries of the viewer with these ids; NotFoundError names the first id that is not one. */
export async function requireEntries(tx: Prisma.TransactionClient, userId: string, ids: readonly string[]) {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const rows = await tx.entry.findMany({
    where: { userId, id: { in: unique } },
    select: { id: true, name: true, version: true },
  });
  if (rows.length !== unique.length) {
    const found = new Set(rows.map((row) => row.id));
    throw new NotFoundError("entry", unique.find((id) => !found.has(id)) as string);
  }
  return rows;
}

export async function addEntry(ctx: Context, kind: EntryKind, input: AddEntryInput) {
  assertValidName(input.name);
  assertValidValue(input.value, kind);
  const userId = ctx.viewer.userId;
  const agentIds = [...new Set(input.agentIds ?? [])];
  const id = newId();
  const sealed = sealValue(ctx, id, input.value);
  let entry: Awaited<ReturnType<typeof ctx.db.entry.create>>;
  try {
    entry = await ctx.db.$transaction(async (tx) => {
      const taken = await tx.entry.findUnique({
        where: { userId_nameKey: { userId, nameKey: nameKey(input.name) } },
        select: { name: true },
      });
      if (taken) throw new NameTakenError(taken.name);
      await requireAgents(tx, userId, agentIds);
      const created = await tx.entry.create({
        data: {
          id,
          userId,
          kind,
          name: input.name,
          nameKey: nameKey(input.name),
          ...sealed,
          attachments: { create: agentIds.map((agentId) => ({ agentId })) },
        },
      });
      await assertEnvironmentsFit(tx, agentIds);
      return created;
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new NameTakenError(input.name);
    if (isForeignKeyViolation(error)) throw new NotFoundError("agent", agentIds.join(", "));
    throw error;
  }
  ctx.events.restartNeeded(
    userId,
    agentIds.map((agentId) => ({ agentId, entryName: entry.name, change: "ADDED" as const })),
  );
  return entry;
}

export async function updateEntry(ctx: Context, kind: EntryKind, input: UpdateEntryInput) {
  assertValidValue(input.value, kind);
  const userId = ctx.viewer.userId;
  const { entry, affectedAgentIds } = await ctx.db.$transaction(async (tx) => {
    const current = await tx.entry.findFirst({ where: { id: input.id, userId, kind } });
    if (!current) throw new NotFoundError(label(kind), input.id);
    const expected = input.expectedVersion ?? current.version;
    if (expected !== current.version) throw new VersionConflictError(current.version, expected);
    if (matchesValue(ctx, current, input.value)) return { entry: current, affectedAgentIds: [] };

    const sealed = sealValue(ctx, current.id, input.value);
    const { count } = await tx.entry.updateMany({
      where: { id: current.id, version: current.version },
      data: { ...sealed, version: current.version + 1 },
    });
    if (count === 0) {
      // Another writer got there between our read and our write.
      const latest = await tx.entry.findUniqueOrThrow({ where: { id: current.id }, select: { version: true } });
      throw new VersionConflictError(latest.version, expected);
    }
    const users = await tx.attachment.findMany({ where: { entryId: current.id }, select: { agentId: true } });
    const affected = users.map((row) => row.agentId);
    await assertEnvironmentsFit(tx, affected);
    return { entry: await tx.entry.findUniqueOrThrow({ where: { id: current.id } }), affectedAgentIds: affected };
  });
  ctx.events.restartNeeded(
    userId,
    affectedAgentIds.map((agentId) => ({ agentId, entryName: entry.name, change: "UPDATED" as const })),
  );
  return entry;
}

async function agentsUsing(db: Prisma.TransactionClient | Context["db"], entryId: string) {
  const rows = await db.attachment.findMany({
    where: { entryId },
    select: { agent: { select: { id: true, name: true } } },
    orderBy: { agent: { name: "asc" } },
  });
  return rows.map((row) => row.agent);
}

/** Deletes an entry that no agent uses. The database refuses it too, should an attach race us. */
export async function deleteEntry(ctx: Context, input: { id: string }): Promise<string> {
  const entry = await ctx.db.entry.findFirst({
    where: { id: input.id, userId: ctx.viewer.userId },
    select: { id: true, name: true },
  });
  if (!entry) throw new NotFoundError("entry", input.id);
  try {
    await ctx.db.$transaction(async (tx) => {
      const agents = await agentsUsing(tx, entry.id);
      if (agents.length > 0) throw new EntryInUseError(entry.name, agents);
      await tx.entry.delete({ where: { id: entry.id } });
    });
  } catch (error) {
    if (isForeignKeyViolation(error)) throw new EntryInUseError(entry.name, await agentsUsing(ctx.db, entry.id));
    if ((error as { code?: string }).code === "P2025") throw new NotFoundError("entry", input.id);
    throw error;
  }
  return entry.id;
}

export async function verifySecret(ctx: Context, input: { id: string; value: string }): Promise<boolean> {
  const wait = await ctx.rateLimits.verifyAttempt(ctx.viewer.userId, ctx.viewer.tokenId, ctx.address);
  if (wait) throw new LimitExceededError(`Too many verifySecret attempts; try again in ${wait} s`);
  const entry = await ctx.db.entry.findFirst({
    where: { id: input.id, userId: ctx.viewer.userId, kind: "SECRET" },
    select: { ciphertext: true, fingerprint: true },
  });
  if (!entry) throw new NotFoundError("secret", input.id);
  return matchesValue(ctx, entry, input.value);
}

/** A variable's value. Secrets are write-only: nothing calls this for them. */
export function variableValue(
  ctx: Context,
  entry: { id: string; name: string; kind: string; ciphertext: Uint8Array },
): string {
  if (entry.kind !== "VARIABLE") throw new Error("only a variable's value can be read");
  return openNamedValue(ctx, entry);
}
