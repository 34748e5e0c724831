// API tokens: shown once when created, stored only as a keyed hash, with the scopes they may use
// and when they expire.
import { ALL_SCOPES, ForbiddenError, formatScopes, type TokenScope } from "../../auth/scopes.ts";
import type { Viewer } from "../../auth/viewer.ts";
import type { RowBinder } from "../../crypto/row-binding.ts";
import { KEYED_HASH_SCHEME, type TokenHasher } from "../../crypto/token-hash.ts";
import { generateToken } from "../../crypto/tokens.ts";
import type { Db, Tx } from "../../db/database.ts";
import { newId } from "../../db/ids.ts";
import type { UnitsOfWork } from "../../db/unit-of-work.ts";
import type { VaultEvents } from "../../events/events.ts";
import { type ActivityService, doerOf } from "../activity/activity.service.ts";
import { NotFoundError, ValidationError } from "../common/errors.ts";
import { apiTokenOf, createApiToken, revokeApiTokenRow } from "./token.dal.ts";

const MAX_TOKEN_NAME_LENGTH = 128;

export type NewToken = { name: string; scopes?: readonly TokenScope[] | null; expiresAt?: Date | null };

/** A new API token for the user, in the caller's transaction; the token is returned this once. */
/** What issues API tokens: their keyed hashes and their rows' bindings. */
export type TokenSigning = { hasher: TokenHasher; binder: RowBinder };

export async function issueApiToken(tx: Tx, signing: TokenSigning, userId: string, input: NewToken) {
  const label = input.name.trim();
  if (!label || label.length > MAX_TOKEN_NAME_LENGTH) {
    throw new ValidationError(`A token's name is 1 to ${MAX_TOKEN_NAME_LENGTH} characters`, "name");
  }
  if (input.scopes && input.scopes.length === 0) {
    throw new ValidationError("A token needs at least one scope", "scopes");
  }
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw new ValidationError("expiresAt must be in the future", "expiresAt");
  }
  const token = generateToken("api");
  const id = newId();
  const scopes = formatScopes(input.scopes ?? ALL_SCOPES);
  const expiresAt = input.expiresAt ?? null;
  const apiToken = await createApiToken(tx, {
    id,
    userId,
    name: label,
    tokenHash: signing.hasher.hash(token),
    hashKeyVersion: KEYED_HASH_SCHEME,
    scopes,
    expiresAt,
    binding: signing.binder.apiToken({ id, userId, scopes, expiresAt, revoked: false }),
  });
  return { token, apiToken };
}

export type TokenService = ReturnType<typeof tokenService>;

export function tokenService(deps: {
  db: Db;
  events: VaultEvents;
  hasher: TokenHasher;
  binder: RowBinder;
  uow: UnitsOfWork;
  activity: ActivityService;
}) {
  const { db, events, hasher, binder, uow, activity } = deps;
  return {
    /**
     * A token for the viewer's vault: with the scopes asked for (by default the viewer's own), never
     * more, and expiring no later than the viewer's own token (by default when it does).
     */
    create(viewer: Viewer, input: NewToken) {
      const scopes = input.scopes ?? [...viewer.scopes];
      const beyond = scopes.find((scope) => !viewer.scopes.has(scope));
      if (beyond) throw new ForbiddenError(beyond, `give a new token the ${beyond} scope`);
      const limit = viewer.expiresAt;
      if (limit && input.expiresAt && input.expiresAt.getTime() > limit.getTime()) {
        throw new ValidationError(
          `This token expires at ${limit.toISOString()}: a token it creates expires no later`,
          "expiresAt",
        );
      }
      const expiresAt = input.expiresAt ?? limit;
      return uow.run(async ({ db: tx, ...work }) => {
        const issued = await issueApiToken(tx, { hasher, binder }, viewer.userId, { ...input, scopes, expiresAt });
        const { apiToken } = issued;
        await activity.record(work, doerOf(viewer), {
          action: "API_TOKEN_CREATED",
          details: { tokenId: apiToken.id, tokenName: apiToken.name, scopes: apiToken.scopes.split(",") },
        });
        return issued;
      });
    },

    async revoke(viewer: Viewer, input: { id: string }) {
      const revoked = await uow.run(async ({ db: tx, ...work }) => {
        const row = await apiTokenOf(tx, viewer.userId, input.id);
        if (!row) throw new NotFoundError("API token", input.id);
        if (row.revokedAt) return row;
        const binding = binder.apiToken({ ...row, revoked: true });
        // Its console sessions end with it.
        const updated = await revokeApiTokenRow(tx, row.id, binding);
        await activity.record(work, doerOf(viewer), {
          action: "API_TOKEN_REVOKED",
          details: { tokenId: row.id, tokenName: row.name },
        });
        return updated;
      });
      // Subscriptions opened with the token end.
      events.tokenRevoked(revoked.userId, revoked.id);
      return revoked;
    },

    /**
     * Rows from before keyed hashes hold the token's plain SHA-256, which is what the keyed hash
     * is of: they are rehashed in place, and their tokens keep working. Returns how many.
     */
    async keyLegacyHashes(): Promise<number> {
      let moved = 0;
      for (const table of ["apiToken", "runtimeToken"] as const) {
        const model = db[table] as unknown as {
          findMany(args: object): Promise<{ id: string; tokenHash: string }[]>;
          updateMany(args: object): Promise<{ count: number }>;
        };
        const rows = await model.findMany({ where: { hashKeyVersion: null }, select: { id: true, tokenHash: true } });
        for (const row of rows) {
          const { count } = await model.updateMany({
            where: { id: row.id, tokenHash: row.tokenHash, hashKeyVersion: null },
            data: { tokenHash: hasher.keyed(row.tokenHash), hashKeyVersion: KEYED_HASH_SCHEME },
          });
          moved += count;
        }
      }
      return moved;
    },
  };
}
