// The viewer's entries by id: an id of someone else's entry is answered exactly like a missing id.
import type { Tx } from "../../db/database.ts";
import { NotFoundError } from "../common/errors.ts";
import { entriesByIds } from "./entry.dal.ts";

/** Entries of the user with these ids; NotFoundError names the first id that is not one. */
export async function requireEntries(tx: Tx, userId: string, ids: readonly string[]) {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const rows = await entriesByIds(tx, userId, unique);
  if (rows.length !== unique.length) {
    const found = new Set(rows.map((row) => row.id));
    throw new NotFoundError("entry", unique.find((id) => !found.has(id)) as string);
  }
  return rows;
}
