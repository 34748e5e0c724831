// The Agent table's statements that bypass Prisma (the ON_CHANGE restarts look agents up after
// every change that affects one).
import type { Db, Prisma, Sql, Tx } from "../../db/database.ts";
import type { AgentRestartPolicy } from "../../db/enums.ts";

const ON_CHANGE =
  'SELECT a."name" AS "name", u."keySalt" AS "keySalt" FROM "Agent" a JOIN "User" u ON u."id" = a."userId" WHERE a."id" = ? AND a."restartPolicy" = ?';

/** An ON_CHANGE agent's name and its user's key salt (or undefined when it is not one, or gone). */
export async function onChangeAgent(sql: Sql, agentId: string) {
  const [row] = await sql.objects(ON_CHANGE, [agentId, "ON_CHANGE"]);
  return row ? { name: String(row.name), keySalt: row.keySalt as Uint8Array } : undefined;
}

/** Which of these agents restart by themselves (restart policy ON_CHANGE). */
export async function onChangeAgentIds(sql: Sql, agentIds: readonly string[]): Promise<Set<string>> {
  const rows = await sql.objects(
    `SELECT "id" FROM "Agent" WHERE "restartPolicy" = ? AND "id" IN (${agentIds.map(() => "?").join(", ")})`,
    ["ON_CHANGE", ...agentIds],
  );
  return new Set(rows.map((row) => String(row.id)));
}

// An agent is its user's: every statement on the table is scoped to the user (ownership is here,
// once per question, not a filter repeated by each caller).

/** What Pothos' Prisma plugin asks a query to load (the fields a request selects). */
export type AgentSelection = { select?: Prisma.AgentSelect; include?: Prisma.AgentInclude };
type Selection = AgentSelection;

/** The user's agents by name, paged by Pothos (`query` carries its cursor and size). */
export const agentsOf = (db: Db, userId: string, query: Selection & Prisma.AgentFindManyArgs = {}) =>
  db.agent.findMany({ ...query, where: { userId }, orderBy: { nameKey: "asc" } });

export const countAgents = (db: Db, userId: string) => db.agent.count({ where: { userId } });

/** The user's agent with this id, or null (another user's is as missing). */
export const agentById = (db: Db | Tx, userId: string, id: string, query: Selection = {}) =>
  db.agent.findFirst({ ...query, where: { id, userId } });

/** The user's agent with this name key, or null. */
export const agentByNameKey = (db: Db | Tx, userId: string, key: string, query: Selection = {}) =>
  db.agent.findUnique({ ...query, where: { userId_nameKey: { userId, nameKey: key } } });

/** The user's agents with these ids (those that are the user's). */
export const agentsByIds = (db: Db | Tx, userId: string, ids: readonly string[]) =>
  db.agent.findMany({ where: { userId, id: { in: [...ids] } }, select: { id: true, name: true } });

/** An agent's row by id, in a transaction that has already checked whose it is. */
export const agentRow = (tx: Db | Tx, id: string) => tx.agent.findUniqueOrThrow({ where: { id } });

export const createAgent = (
  tx: Tx,
  row: {
    id: string;
    userId: string;
    name: string;
    nameKey: string;
    restartPolicy: AgentRestartPolicy;
    runningEnv: string;
  },
  attachTo: { entryId: string; binding: string }[],
) => tx.agent.create({ data: { ...row, attachments: { create: attachTo } } });

export const updateAgentRow = (
  tx: Tx,
  id: string,
  data: {
    name?: string;
    nameKey?: string;
    restartPolicy?: AgentRestartPolicy;
    runningEnv?: string;
    lastRestartedAt?: Date;
  },
) => tx.agent.update({ where: { id }, data });

export const deleteAgentRow = (tx: Tx, id: string) => tx.agent.delete({ where: { id } });
