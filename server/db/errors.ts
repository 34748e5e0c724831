// Prisma's error codes for constraint violations, the same with every driver adapter.
export type { Prisma } from "../../prisma/sqlite/client/client.ts";

type Failure = {
  code?: unknown;
  meta?: { driverAdapterError?: { cause?: { kind?: unknown; originalCode?: unknown } } };
};

/** The error's code; a raw statement's (Prisma's P2010) by the kind of its driver's error. */
function code(error: unknown): string | undefined {
  const failure = error as Failure;
  if (failure?.code === "P2010") {
    const cause = failure.meta?.driverAdapterError?.cause;
    if (cause?.kind === "UniqueConstraintViolation") return "P2002";
    if (cause?.kind === "ForeignKeyConstraintViolation") return "P2003";
  }
  return failure?.code as string | undefined;
}

// Bulk writes go to better-sqlite3 or pg directly, whose errors carry the database's own codes.
const UNIQUE = new Set(["P2002", "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY", "23505"]);
const FOREIGN_KEY = new Set(["P2003", "SQLITE_CONSTRAINT_FOREIGNKEY", "23503"]);

export const isUniqueViolation = (error: unknown) => UNIQUE.has(code(error) as string);
/** A write's row was not there (deleted meanwhile): Prisma's P2025. */
export const isMissingRecord = (error: unknown) => code(error) === "P2025";
export const isForeignKeyViolation = (error: unknown) => FOREIGN_KEY.has(code(error) as string);
