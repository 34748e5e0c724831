// The User table's statements.
import type { Db, Prisma, Sql, Tx } from "../../db/database.ts";

/** How many users the vault has (read without Prisma, as the server starts). */
export const countUsers = async (sql: Sql) =>
  Number((await sql.objects('SELECT COUNT(*) AS "count" FROM "User"'))[0]?.count ?? 0);

type Selection = { select?: Prisma.UserSelect; include?: Prisma.UserInclude };

/** A user by id. */
export const userById = (db: Db, id: string, query: Selection = {}) =>
  db.user.findUniqueOrThrow({ ...query, where: { id } });

/** Users with this id or this name. */
export const usersByIdOrName = (db: Db, nameOrId: string) =>
  db.user.findMany({ where: { OR: [{ id: nameOrId }, { name: nameOrId }] } });

export const createUser = (tx: Tx, name: string, keySalt: Uint8Array<ArrayBuffer>) =>
  tx.user.create({ data: { name, keySalt } });

/** A user's key salt. */
export const keySaltOf = async (db: Db | Tx, id: string) =>
  (await db.user.findUniqueOrThrow({ where: { id }, select: { keySalt: true } })).keySalt;
