// Many rows at once, inside the caller's transaction, yielding to the event loop as it goes so that
// other requests are served during a large write. Prisma's createMany sends every row and
// value through its query compiler and interpreter, which made a 10,000-line import take seconds:
// on SQLite the rows go to better-sqlite3 through one prepared statement, and on PostgreSQL as
// multi-row INSERTs. The caller supplies every column; no Prisma defaults apply.
import { Prisma } from "../../prisma/sqlite/client/client.ts";
import { timeSlices } from "../event-loop.ts";
import { type Db, sqliteWriterOf } from "./connect.ts";

// Far under PostgreSQL's 65,535 bound parameters per statement.
const PARAMETERS_PER_STATEMENT = 8000;

/** Values as the SQLite adapter stores them: dates in its default ISO 8601 format, booleans as 0/1. */
function sqliteValues() {
  // Rows written together mostly share their timestamps: format each distinct one once.
  let lastDate: Date | undefined;
  let lastText = "";
  return (value: unknown): unknown => {
    if (value instanceof Date) {
      if (value !== lastDate) {
        lastDate = value;
        lastText = value.toISOString().replace("Z", "+00:00");
      }
      return lastText;
    }
    if (typeof value === "boolean") return value ? 1 : 0;
    return value;
  };
}

const quoted = (identifier: string) => `"${identifier}"`;

/**
 * Inserts `rows` into `table` within the transaction `tx` belongs to. `db` is the client `tx`
 * came from; call this only inside its `$transaction` callback.
 */
export async function insertRows<Row extends Record<string, unknown>>(
  db: Db,
  tx: Prisma.TransactionClient,
  table: string,
  columns: readonly (keyof Row & string)[],
  rows: readonly Row[],
): Promise<void> {
  const head = `INSERT INTO ${quoted(table)} (${columns.map(quoted).join(", ")}) VALUES `;
  const sqlite = sqliteWriterOf(db);
  if (sqlite) {
    const insert = sqlite.inTransaction().prepare(`${head}(${columns.map(() => "?").join(", ")})`);
    const stored = sqliteValues();
    const values: unknown[] = new Array(columns.length);
    const slices = timeSlices();
    for (const row of rows) {
      if (slices.due()) {
        await slices.next();
        // Other writers wait for the open transaction to end, so it is still the caller's.
        sqlite.inTransaction();
      }
      for (let c = 0; c < columns.length; c++) values[c] = stored(row[columns[c] as string]);
      insert.run(values);
    }
    return;
  }
  const perStatement = Math.max(1, Math.floor(PARAMETERS_PER_STATEMENT / columns.length));
  for (let start = 0; start < rows.length; start += perStatement) {
    const values = rows
      .slice(start, start + perStatement)
      .map((row) => Prisma.sql`(${Prisma.join(columns.map((column) => row[column]))})`);
    await tx.$executeRaw`${Prisma.raw(head)}${Prisma.join(values)}`;
  }
}
