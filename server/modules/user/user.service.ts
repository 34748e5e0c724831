import { randomBytes } from "node:crypto";
import type { Db } from "../../db/connect.ts";
import { ValidationError } from "../common/errors.ts";
import { issueApiToken } from "../token/token.service.ts";

const SALT_BYTES = 32;

/** A new vault: a user with its own key salt, and a first API token (shown once). */
export async function createUser(db: Db, name: string) {
  const label = name.trim();
  if (!label || label.length > 128) throw new ValidationError("A user's name is 1 to 128 characters", "name");
  return db.$transaction(async (tx) => {
    const user = await tx.user.create({ data: { name: label, keySalt: new Uint8Array(randomBytes(SALT_BYTES)) } });
    const { token } = await issueApiToken(tx, user.id, "first token");
    return { user, token };
  });
}

export function countUsers(db: Db) {
  return db.user.count();
}
