// The viewer's agents by id: an id of someone else's agent is answered exactly like a missing id.
import type { Tx } from "../../db/database.ts";
import { NotFoundError } from "../common/errors.ts";
import { agentsByIds } from "./agent.dal.ts";

/** Agents of the user with these ids; NotFoundError names the first id that is not one. */
export async function requireAgents(tx: Tx, userId: string, ids: readonly string[]) {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const rows = await agentsByIds(tx, userId, unique);
  if (rows.length !== unique.length) {
    const found = new Set(rows.map((row) => row.id));
    throw new NotFoundError("agent", unique.find((id) => !found.has(id)) as string);
  }
  return rows;
}

export async function requireAgent(tx: Tx, userId: string, agentId: string): Promise<{ id: string; name: string }> {
  const [agent] = await requireAgents(tx, userId, [agentId]);
  return agent as { id: string; name: string };
}
