// Opens the database the URL names: SQLite (the default, embedded) or PostgreSQL. Each
// provider's code loads only when it is used.
import type { Database, DatabaseTarget, OpenOptions } from "./database.ts";

export async function openDatabase(target: DatabaseTarget, options: OpenOptions = {}): Promise<Database> {
  if (target.provider === "postgresql") return (await import("./postgres/open.ts")).openPostgres(target.url, options);
  return (await import("./sqlite/open.ts")).openSqliteDatabase(target.url, options);
}
