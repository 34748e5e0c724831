// API tokens: shown once when created, stored only as their SHA-256.
import type { Context } from "../../context.ts";
import { generateToken, hashToken } from "../../crypto/tokens.ts";
import type { Db } from "../../db/connect.ts";
import type { Prisma } from "../../db/errors.ts";
import { NotFoundError, ValidationError } from "../common/errors.ts";

const MAX_TOKEN_NAME_LENGTH = 128;

export async function issueApiToken(tx: Prisma.TransactionClient | Db, userId: string, name: string) {
  const label = name.trim();
  if (!label || label.length > MAX_TOKEN_NAME_LENGTH) {
    throw new ValidationError(`A token's name is 1 to ${MAX_TOKEN_NAME_LENGTH} characters`, "name");
  }
  const token = generateToken("api");
  const apiToken = await tx.apiToken.create({ data: { userId, name: label, tokenHash: hashToken(token) } });
  return { token, apiToken };
}

export function createApiToken(ctx: Context, input: { name: string }) {
  return issueApiToken(ctx.db, ctx.viewer.userId, input.name);
}

export async function revokeApiToken(ctx: Context, input: { id: string }) {
  const revoked = await ctx.db.$transaction(async (tx) => {
    const row = await tx.apiToken.findFirst({ where: { id: input.id, userId: ctx.viewer.userId } });
    if (!row) throw new NotFoundError("API token", input.id);
    if (row.revokedAt) return row;
    return tx.apiToken.update({ where: { id: row.id }, data: { revokedAt: new Date() } });
  });
  // Subscriptions opened with the token end.
  ctx.events.tokenRevoked(revoked.userId, revoked.id);
  return revoked;
}
