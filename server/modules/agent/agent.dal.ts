// The Agent table's statements that bypass Prisma (the ON_CHANGE restarts look agents up after
// every change that affects one).
import type { RawSql } from "../../db/database.ts";

const ON_CHANGE =
  'SELECT a."name" AS "name", u."keySalt" AS "keySalt" FROM "Agent" a JOIN "User" u ON u."id" = a."userId" WHERE a."id" = ? AND a."restartPolicy" = ?';

/** An ON_CHANGE agent's name and its user's key salt (or undefined when it is not one, or gone). */
export async function onChangeAgent(raw: RawSql, agentId: string) {
  const [row] = await raw(ON_CHANGE, [agentId, "ON_CHANGE"]);
  return row ? { name: String(row.name), keySalt: row.keySalt as Uint8Array } : undefined;
}

/** Which of these agents restart by themselves (restart policy ON_CHANGE). */
export async function onChangeAgentIds(raw: RawSql, agentIds: readonly string[]): Promise<Set<string>> {
  const rows = await raw(
    `SELECT "id" FROM "Agent" WHERE "restartPolicy" = ? AND "id" IN (${agentIds.map(() => "?").join(", ")})`,
    ["ON_CHANGE", ...agentIds],
  );
  return new Set(rows.map((row) => String(row.id)));
}
