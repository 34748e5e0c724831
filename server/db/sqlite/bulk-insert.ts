// Many rows at once inside a transaction, through one prepared statement: Prisma's createMany
// sends every row and value through its query compiler and interpreter, which made a
// 10,000-line import take seconds (and a multi-row INSERT of JSON took twice as long as this).
// The rows are staged here under a ticket, and the transaction that executes the statement
// `BULK_INSERT_SQL` with that ticket writes them on its own connection: so they go through the
// transaction the caller holds, and commit or roll back with it.
import type Database from "better-sqlite3";
import { timeSlices } from "../../time-slices.ts";
import type { Rows } from "../database.ts";
import { sqliteDate } from "./conversion.ts";
import { TransactionEndedError } from "./transaction-ended.ts";

/** The statement a transaction recognises as "write the rows staged under this ticket". */
export const BULK_INSERT_SQL = "/* agent-vault: staged bulk insert */ SELECT 1 WHERE ?";

type Batch = { table: string; columns: readonly string[]; rows: Rows };

const quoted = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

/** The INSERT of one row of `table` with `columns`, values as `?` in their order. */
export const insertSql = (table: string, columns: readonly string[]) =>
  `INSERT INTO ${quoted(table)} (${columns.map(quoted).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`;

/** Values as SQLite stores them: dates in the adapter's ISO format, booleans as 0/1. */
export function storedValues() {
  // Rows written together mostly share their timestamps: format each distinct one once.
  let lastDate: Date | undefined;
  let lastText = "";
  return (value: unknown): unknown => {
    if (value instanceof Date) {
      if (value !== lastDate) {
        lastDate = value;
        lastText = sqliteDate(value);
      }
      return lastText;
    }
    if (typeof value === "boolean") return value ? 1 : 0;
    return value ?? null;
  };
}

export class StagedRows {
  readonly #batches = new Map<string, Batch>();
  #next = 0;

  /** Keeps the rows until a transaction writes them; returns the ticket. */
  stage(batch: Batch): string {
    const ticket = `bulk-${++this.#next}`;
    this.#batches.set(ticket, batch);
    return ticket;
  }

  discard(ticket: string): void {
    this.#batches.delete(ticket);
  }

  /**
   * Writes the staged rows on `native`, the connection of the transaction executing the ticket,
   * while `open()` says that transaction is still open: rows are made as they are written, and the
   * transaction may be closed (by its timeout) meanwhile; not one row is written after that.
   */
  async insert(native: Database.Database, ticket: string, open: () => boolean): Promise<number> {
    const batch = this.#batches.get(ticket);
    if (!batch) throw new Error("no rows are staged under this ticket");
    this.#batches.delete(ticket);
    const { table, columns, rows } = batch;
    const insert = native.prepare(insertSql(table, columns));
    const stored = storedValues();
    const values: unknown[] = new Array(columns.length);
    const slices = timeSlices();
    let count = 0;
    for await (const row of rows) {
      // Other statements wait for the open transaction to end, so the connection stays ours.
      if (slices.due()) await slices.next();
      if (!open()) throw new TransactionEndedError();
      for (let c = 0; c < columns.length; c++) values[c] = stored(row[columns[c] as string]);
      insert.run(values);
      count++;
    }
    return count;
  }
}
