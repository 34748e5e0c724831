// Users: each one is a vault of its own.
import { randomBytes } from "node:crypto";
import type { RowBinder } from "../../crypto/row-binding.ts";
import type { TokenHasher } from "../../crypto/token-hash.ts";
import type { Db, Sql } from "../../db/database.ts";
import type { UnitsOfWork } from "../../db/unit-of-work.ts";
import type { ActivityService, Doer } from "../activity/activity.service.ts";
import { systemActor } from "../activity/actor.ts";
import { ValidationError } from "../common/errors.ts";
import { issueApiToken } from "../token/token.service.ts";
import { countUsers, createUser, usersByIdOrName } from "./user.dal.ts";

const SALT_BYTES = 32;

export type UserService = ReturnType<typeof userService>;

export function userService(deps: {
  db: Db;
  sql: Sql;
  hasher: TokenHasher;
  binder: RowBinder;
  uow: UnitsOfWork;
  activity: ActivityService;
}) {
  const { db, sql, hasher, binder, uow, activity } = deps;
  /** The operator, at the server's command line. */
  const operator = (user: { id: string; keySalt: Uint8Array }, command: string): Doer => ({
    userId: user.id,
    keySalt: user.keySalt,
    address: null,
    actor: systemActor(command),
  });
  return {
    /** A new vault: a user with its own key salt, and a first API token (shown once). */
    async create(name: string) {
      const label = name.trim();
      if (!label || label.length > 128) throw new ValidationError("A user's name is 1 to 128 characters", "name");
      return uow.run(async ({ db: tx, ...work }) => {
        const user = await createUser(tx, label, new Uint8Array(randomBytes(SALT_BYTES)));
        const { token, apiToken } = await issueApiToken(tx, { hasher, binder }, user.id, { name: "first token" });
        await activity.record(work, operator(user, "agent-vault user create"), {
          action: "API_TOKEN_CREATED",
          details: { tokenId: apiToken.id, tokenName: apiToken.name, scopes: apiToken.scopes.split(",") },
        });
        return { user, token };
      });
    },

    /**
     * A new API token, with every scope, for an existing user found by id or by name (a name two
     * users share is refused, listing their ids): for the operator, where the server runs.
     */
    async issueToken(nameOrId: string, tokenName: string) {
      const users = await usersByIdOrName(db, nameOrId);
      const byId = users.find((user) => user.id === nameOrId);
      if (!byId && users.length > 1) {
        throw new ValidationError(
          `${users.length} users are named ${nameOrId}: give one of their ids (${users.map((user) => user.id).join(", ")})`,
          "user",
        );
      }
      const user = byId ?? users[0];
      if (!user) throw new ValidationError(`No user is named ${nameOrId} or has that id`, "user");
      const { token, apiToken } = await uow.run(async ({ db: tx, ...work }) => {
        const issued = await issueApiToken(tx, { hasher, binder }, user.id, { name: tokenName });
        await activity.record(work, operator(user, "agent-vault user token"), {
          action: "API_TOKEN_CREATED",
          details: {
            tokenId: issued.apiToken.id,
            tokenName: issued.apiToken.name,
            scopes: issued.apiToken.scopes.split(","),
          },
        });
        return issued;
      });
      return { user, token, apiToken };
    },

    /** How many users the vault has; read without Prisma, as the server starts. */
    async count(): Promise<number> {
      return countUsers(sql);
    },
  };
}
