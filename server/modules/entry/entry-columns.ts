// An entry row's columns, as every write without Prisma gives them (addSecret, imports, staged
// imports): the one list, so that a column added to Entry is added to each.
/** The columns written for a new entry. */
export const ENTRY_COLUMNS = [
  "id",
  "userId",
  "kind",
  "name",
  "nameKey",
  "version",
  "ciphertext",
  "fingerprint",
  "valueSize",
  "createdAt",
  "updatedAt",
  "updatedBy",
] as const;
