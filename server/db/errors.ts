// Prisma's error codes for constraint violations, the same with every driver adapter.
export type { Prisma } from "../../prisma/sqlite/client/client.ts";

function code(error: unknown): string | undefined {
  return (error as { code?: unknown })?.code as string | undefined;
}

export const isUniqueViolation = (error: unknown) => code(error) === "P2002";
export const isForeignKeyViolation = (error: unknown) => code(error) === "P2003";
