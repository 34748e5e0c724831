// The User table's statements that bypass Prisma (read as the server starts).
import type { RawSql } from "../../db/database.ts";

export const countUsers = async (raw: RawSql) =>
  Number((await raw('SELECT COUNT(*) AS "count" FROM "User"'))[0]?.count ?? 0);
