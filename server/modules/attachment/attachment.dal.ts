// The Attachment table's statements that bypass Prisma: the agents using a page of entries (every
// list of entries asks), and attachments without a binding (keys adopt).
import { type Db, type Sql, storedDate, type Tx } from "../../db/database.ts";

export type AgentRow = Awaited<ReturnType<Db["agent"]["findUniqueOrThrow"]>>;

// One statement, two kinds of rows (as arrays, in this column order): each agent once, then each
// (entry, agent) pair. An agent uses many entries of a page, and its runningEnv (the list of all
// it runs with) is long: read with every pair, it cost more than the rest of the request.
const usingSql = (count: number) => {
  const entryIds = Array.from({ length: count }, () => "?").join(", ");
  return `SELECT a."id", a."userId", a."name", a."nameKey", a."createdAt", a."lastRestartedAt", a."runningEnv", NULL,
    a."restartPolicy"
  FROM "Agent" a WHERE a."userId" = ? AND a."id" IN (SELECT "agentId" FROM "Attachment" WHERE "entryId" IN (${entryIds}))
  UNION ALL
  SELECT t."agentId", NULL, NULL, NULL, NULL, NULL, NULL, t."entryId", NULL
  FROM "Attachment" t JOIN "Agent" a ON a."id" = t."agentId" WHERE a."userId" = ? AND t."entryId" IN (${entryIds})`;
};

/** The user's agents using each of these entries (unsorted), in one statement. */
export async function agentsUsingEntries(
  sql: Sql,
  userId: string,
  entryIds: readonly string[],
): Promise<Map<string, AgentRow[]>> {
  const rows = await sql.rows(usingSql(entryIds.length), [userId, ...entryIds, userId, ...entryIds]);
  const agents = new Map<string, AgentRow>();
  for (const [id, owner, name, nameKey, createdAt, lastRestartedAt, runningEnv, pairOf, restartPolicy] of rows) {
    if (pairOf !== null) continue;
    agents.set(String(id), {
      id: String(id),
      userId: String(owner),
      name: String(name),
      nameKey: String(nameKey),
      createdAt: storedDate(createdAt) as Date,
      lastRestartedAt: storedDate(lastRestartedAt),
      runningEnv: String(runningEnv),
      restartPolicy: restartPolicy as AgentRow["restartPolicy"],
    });
  }
  const byEntry = new Map<string, AgentRow[]>(entryIds.map((id) => [id, []]));
  for (const [agentId, , , , , , , entryId] of rows) {
    if (entryId === null) continue;
    byEntry.get(String(entryId))?.push(agents.get(String(agentId)) as AgentRow);
  }
  return byEntry;
}

const UNADOPTED = `SELECT t."agentId", t."entryId", a."name" AS "agentName", e."name" AS "entryName"
  FROM "Attachment" t JOIN "Agent" a ON a."id" = t."agentId" JOIN "Entry" e ON e."id" = t."entryId"
  WHERE t."binding" IS NULL`;
const ANY_UNADOPTED = 'SELECT 1 AS "found" FROM "Attachment" WHERE "binding" IS NULL LIMIT 1';
const UNBOUND = 'SELECT "agentId", "entryId" FROM "Attachment" WHERE "binding" IS NULL';
const BIND = 'UPDATE "Attachment" SET "binding" = ? WHERE "agentId" = ? AND "entryId" = ? AND "binding" IS NULL';

/** Attachments without a binding, with their agent's and entry's names. */
export const unadoptedAttachments = (sql: Sql) => sql.objects(UNADOPTED);
export const anyUnadoptedAttachment = async (sql: Sql) => (await sql.objects(ANY_UNADOPTED)).length > 0;
export const unboundAttachments = (sql: Sql) => sql.objects(UNBOUND);
export const bindAttachment = (sql: Sql, agentId: unknown, entryId: unknown, binding: string) =>
  sql.objects(BIND, [binding, agentId, entryId]);

/** Each attachment of these agents, with its entry's name and value size (environment sizes). */
export const attachedSizes = (tx: Db | Tx, agentIds: readonly string[]) =>
  tx.attachment.findMany({
    where: { agentId: { in: [...agentIds] } },
    select: { agentId: true, entry: { select: { name: true, valueSize: true } } },
  });

/** The entries attached to an agent (id, name, version). */
export async function attachedEntries(tx: Db | Tx, agentId: string) {
  const rows = await tx.attachment.findMany({
    where: { agentId },
    select: { entry: { select: { id: true, name: true, version: true, upstream: true } } },
  });
  return rows.map((row) => row.entry);
}

/** Of these entries, those attached to the agent (id and name). */
export async function attachedOf(tx: Db | Tx, agentId: string, entryIds: readonly string[]) {
  const rows = await tx.attachment.findMany({
    where: { agentId, entryId: { in: [...entryIds] } },
    select: { entry: { select: { id: true, name: true } } },
  });
  return rows.map((row) => row.entry);
}

/** The agents an entry is attached to (id and name), by name. */
export async function agentsOfEntry(tx: Db | Tx, entryId: string) {
  const rows = await tx.attachment.findMany({
    where: { entryId },
    select: { agent: { select: { id: true, name: true } } },
    orderBy: { agent: { name: "asc" } },
  });
  return rows.map((row) => row.agent);
}

/** Which agents use which of these entries. */
export const attachmentsOfEntries = (tx: Db | Tx, entryIds: readonly string[]) =>
  tx.attachment.findMany({ where: { entryId: { in: [...entryIds] } }, select: { agentId: true, entryId: true } });

/** Attaches entries to an agent, each attachment with its binding. */
export const createAttachments = (tx: Tx, rows: { agentId: string; entryId: string; binding: string }[]) =>
  tx.attachment.createMany({ data: rows });

export const deleteAttachments = (tx: Tx, agentId: string, entryIds: readonly string[]) =>
  tx.attachment.deleteMany({ where: { agentId, entryId: { in: [...entryIds] } } });
