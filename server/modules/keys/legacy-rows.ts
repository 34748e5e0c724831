// Rows from before the vault bound them: tokens hashed without a key, token and attachment rows
// without a binding (crypto/row-binding.ts). Such a row may just as well be one a database writer
// inserted, so no server ever adopts one by itself, whatever the database says: a server start
// only says they are there. `agent-vault keys adopt` lists them, and adopts them (keys their
// hashes, binds them) only when the operator confirms with --yes. Values sealed before the entry's
// kind was bound (format 1) are the same story: keys status counts them, `keys adopt --yes` seals
// them again.
import type { RowBinder } from "../../crypto/row-binding.ts";
import { type Sql, storedDate } from "../../db/database.ts";
import { metaValue, setMetaOnce } from "../../db/vault-meta.ts";
import {
  anyUnadoptedAttachment,
  bindAttachment,
  unadoptedAttachments,
  unboundAttachments,
} from "../attachment/attachment.dal.ts";
import {
  anyUnadoptedRuntimeToken,
  bindRuntimeToken,
  unadoptedRuntimeTokens,
  unboundRuntimeTokens,
} from "../runtime/runtime.dal.ts";
import { anyUnadoptedApiToken, bindApiToken, unadoptedApiTokens, unboundApiTokens } from "../token/token.dal.ts";
import type { TokenService } from "../token/token.service.ts";

export type LegacyToken = {
  kind: "api" | "runtime";
  id: string;
  /** Whose: the user's name (API tokens) or the agent's (runtime tokens). */
  owner: string;
  /** The token's name (API tokens). */
  name: string | null;
  /** What it would grant: its scopes (API tokens). */
  scopes: string | null;
  /** Why it is not adopted: hashed without the vault's key, or without a binding. */
  missing: ("keyed hash" | "binding")[];
};
export type LegacyAttachment = { agentId: string; agentName: string; entryId: string; entryName: string };
export type LegacyRows = { tokens: LegacyToken[]; attachments: LegacyAttachment[] };

/** Set once a start found no such row: later starts skip the look. It grants nothing either way. */
const LOOKED = "row-integrity:1";

const missing = (row: Record<string, unknown>): LegacyToken["missing"] => [
  ...(row.hashKeyVersion == null ? (["keyed hash"] as const) : []),
  ...(row.binding == null ? (["binding"] as const) : []),
];

/** Every row that grants nothing until an operator adopts it. */
export async function findLegacyRows(sql: Sql): Promise<LegacyRows> {
  const api = (await unadoptedApiTokens(sql)).map(
    (row): LegacyToken => ({
      kind: "api",
      id: String(row.id),
      owner: String(row.owner),
      name: String(row.name),
      scopes: String(row.scopes),
      missing: missing(row),
    }),
  );
  const runtime = (await unadoptedRuntimeTokens(sql)).map(
    (row): LegacyToken => ({
      kind: "runtime",
      id: String(row.id),
      owner: String(row.owner),
      name: null,
      scopes: null,
      missing: missing(row),
    }),
  );
  const attachments = (await unadoptedAttachments(sql)).map((row) => ({
    agentId: String(row.agentId),
    agentName: String(row.agentName),
    entryId: String(row.entryId),
    entryName: String(row.entryName),
  }));
  return { tokens: [...api, ...runtime], attachments };
}

/**
 * At a server's start: whether any row waits for `keys adopt` (then the server says so in its
 * log). Looked for until a start finds none.
 */
export async function legacyRowsWaiting(sql: Sql): Promise<boolean> {
  if ((await metaValue(sql, LOOKED)) !== null) return false;
  for (const any of [anyUnadoptedApiToken, anyUnadoptedRuntimeToken, anyUnadoptedAttachment]) {
    if (await any(sql)) return true;
  }
  await setMetaOnce(sql, LOOKED, new Date().toISOString());
  return false;
}

/**
 * Adopts the rows findLegacyRows lists (the operator's decision, never a server's): tokens get
 * keyed hashes, token and attachment rows get bindings over what they say now.
 */
export async function adoptLegacyRows(deps: { sql: Sql; tokens: TokenService; binder: RowBinder }): Promise<void> {
  const { sql, binder } = deps;
  await deps.tokens.keyLegacyHashes();
  for (const row of await unboundApiTokens(sql)) {
    const binding = binder.apiToken({
      id: String(row.id),
      userId: String(row.userId),
      scopes: String(row.scopes),
      expiresAt: storedDate(row.expiresAt),
      revoked: row.revokedAt != null,
    });
    await bindApiToken(sql, row.id, binding);
  }
  for (const row of await unboundRuntimeTokens(sql)) {
    await bindRuntimeToken(sql, row.id, binder.runtimeToken(String(row.id), String(row.agentId)));
  }
  for (const row of await unboundAttachments(sql)) {
    await bindAttachment(sql, row.agentId, row.entryId, binder.attachment(String(row.agentId), String(row.entryId)));
  }
}
