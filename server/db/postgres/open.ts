// PostgreSQL, for several vault servers on one database.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../../../prisma/postgresql/client/client.ts";
import { timeSlices } from "../../time-slices.ts";
import { type Database, type Db, listenToQueries, type OpenOptions, prismaLogOptions } from "../database.ts";
import { pgPoolOptions } from "./pool.ts";

// Far under PostgreSQL's 65,535 bound parameters per statement.
const PARAMETERS_PER_STATEMENT = 1100;

const quoted = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

export async function openPostgres(url: string, options: OpenOptions): Promise<Database> {
  // One pool for Prisma and for the statements that bypass it.
  const pool = new pg.Pool(pgPoolOptions(url));
  pool.on("error", () => {});
  const db = new PrismaClient({
    adapter: new PrismaPg(pool),
    ...prismaLogOptions(options.onQuery),
  }) as unknown as Db;
  listenToQueries(db, options.onQuery);
  return {
    db,
    provider: "postgresql",
    async insertRows(tx, table, columns, rows) {
      // Multi-row INSERTs with positional parameters: the statement's text is made once per batch
      // size, and the values go in a flat array (no Prisma.sql object per row and per value).
      const head = `INSERT INTO ${quoted(table)} (${columns.map(quoted).join(", ")}) VALUES `;
      const perStatement = Math.max(1, Math.floor(PARAMETERS_PER_STATEMENT / columns.length));
      const statements = new Map<number, string>();
      const statementFor = (count: number) => {
        let text = statements.get(count);
        if (!text) {
          const tuples: string[] = [];
          for (let r = 0; r < count; r++) {
            tuples.push(`(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(", ")})`);
          }
          text = head + tuples.join(", ");
          statements.set(count, text);
        }
        return text;
      };
      let values: unknown[] = [];
      let count = 0;
      const slices = timeSlices();
      for (const row of rows) {
        if (slices.due()) await slices.next();
        for (const column of columns) values.push(row[column]);
        if (++count === perStatement) {
          await tx.$executeRawUnsafe(statementFor(count), ...values);
          values = [];
          count = 0;
        }
      }
      if (count > 0) await tx.$executeRawUnsafe(statementFor(count), ...values);
    },
    async appendRows(table, columns, rows) {
      // Straight to pg on a connection of its own: no Prisma mapping of every value.
      const head = `INSERT INTO ${quoted(table)} (${columns.map(quoted).join(", ")}) VALUES `;
      const perStatement = Math.max(1, Math.floor(PARAMETERS_PER_STATEMENT / columns.length));
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        const slices = timeSlices();
        // Sent without waiting for each: pg queues them on the connection, and the next statement is
        // made while PostgreSQL runs the last one.
        const sent: Promise<unknown>[] = [];
        for (let start = 0; start < rows.length; start += perStatement) {
          if (slices.due()) await slices.next();
          const part = rows.slice(start, start + perStatement);
          const values: unknown[] = [];
          const tuples = part.map((row, r) => {
            for (const column of columns) {
              const value = row[column];
              // timestamp(3) columns hold UTC: an ISO string's offset is ignored, a Date's local one would not be.
              values.push(value instanceof Date ? value.toISOString() : value);
            }
            return `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(", ")})`;
          });
          options.onQuery?.(head);
          sent.push(client.query(head + tuples.join(", "), values));
        }
        await Promise.all(sent);
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
    async raw(sql, params = []) {
      options.onQuery?.(sql);
      let n = 0;
      const result = await pool.query(
        sql.replace(/\?/g, () => `$${++n}`),
        [...params],
      );
      return result.rows;
    },
    async close() {
      await db.$disconnect();
      await pool.end().catch(() => {});
    },
  };
}
