// Users: each one is a vault of its own.
import { randomBytes } from "node:crypto";
import type { Db, RawSql } from "../../db/database.ts";
import { ValidationError } from "../common/errors.ts";
import { issueApiToken } from "../token/token.service.ts";

const SALT_BYTES = 32;

export type UserService = ReturnType<typeof userService>;

export function userService(deps: { db: Db; raw: RawSql }) {
  const { db, raw } = deps;
  return {
    /** A new vault: a user with its own key salt, and a first API token (shown once). */
    async create(name: string) {
      const label = name.trim();
      if (!label || label.length > 128) throw new ValidationError("A user's name is 1 to 128 characters", "name");
      return db.$transaction(async (tx) => {
        const user = await tx.user.create({ data: { name: label, keySalt: new Uint8Array(randomBytes(SALT_BYTES)) } });
        const { token } = await issueApiToken(tx, user.id, "first token");
        return { user, token };
      });
    },

    /** How many users the vault has; read without Prisma, as the server starts. */
    async count(): Promise<number> {
      const [row] = await raw('SELECT COUNT(*) AS "count" FROM "User"');
      return Number(row?.count ?? 0);
    },
  };
}
