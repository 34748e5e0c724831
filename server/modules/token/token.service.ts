// API tokens: shown once when created, stored only as a hash.
import type { Viewer } from "../../auth/viewer.ts";
import { generateToken, hashToken } from "../../crypto/tokens.ts";
import type { Db, Tx } from "../../db/database.ts";
import type { VaultEvents } from "../../events/events.ts";
import { NotFoundError, ValidationError } from "../common/errors.ts";

const MAX_TOKEN_NAME_LENGTH = 128;

/** A new API token for the user, in the caller's transaction; the token is returned this once. */
export async function issueApiToken(tx: Tx, userId: string, name: string) {
  const label = name.trim();
  if (!label || label.length > MAX_TOKEN_NAME_LENGTH) {
    throw new ValidationError(`A token's name is 1 to ${MAX_TOKEN_NAME_LENGTH} characters`, "name");
  }
  const token = generateToken("api");
  const apiToken = await tx.apiToken.create({ data: { userId, name: label, tokenHash: hashToken(token) } });
  return { token, apiToken };
}

export type TokenService = ReturnType<typeof tokenService>;

export function tokenService(deps: { db: Db; events: VaultEvents }) {
  const { db, events } = deps;
  return {
    create(viewer: Viewer, input: { name: string }) {
      return issueApiToken(db, viewer.userId, input.name);
    },

    async revoke(viewer: Viewer, input: { id: string }) {
      const revoked = await db.$transaction(async (tx) => {
        const row = await tx.apiToken.findFirst({ where: { id: input.id, userId: viewer.userId } });
        if (!row) throw new NotFoundError("API token", input.id);
        if (row.revokedAt) return row;
        return tx.apiToken.update({ where: { id: row.id }, data: { revokedAt: new Date() } });
      });
      // Subscriptions opened with the token end.
      events.tokenRevoked(revoked.userId, revoked.id);
      return revoked;
    },
  };
}
