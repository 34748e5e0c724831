// Prisma's error codes for constraint violations, the same with every driver adapter.
export type { Prisma } from "../../prisma/sqlite/client/client.ts";

function code(error: unknown): string | undefined {
  return (error as { code?: unknown })?.code as string | undefined;
}

// Bulk writes go to better-sqlite3 or pg directly, whose errors carry the database's own codes.
const UNIQUE = new Set(["P2002", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY", "23505"]);
const FOREIGN_KEY = new Set(["P2003", "SQLITE_CONSTRAINT_FOREIGNKEY", "23503"]);

export const isUniqueViolation = (error: unknown) => UNIQUE.has(code(error) as string);
export const isForeignKeyViolation = (error: unknown) => FOREIGN_KEY.has(code(error) as string);
