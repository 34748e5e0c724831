// PostgreSQL, for several vault servers on one database.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { Prisma, PrismaClient } from "../../../prisma/postgresql/client/client.ts";
import { timeSlices } from "../../time-slices.ts";
import { type Database, type Db, listenToQueries, type OpenOptions, prismaLogOptions } from "../database.ts";
import { pgPoolOptions } from "./pool.ts";

// Far under PostgreSQL's 65,535 bound parameters per statement.
const PARAMETERS_PER_STATEMENT = 8000;

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
      const head = `INSERT INTO ${quoted(table)} (${columns.map(quoted).join(", ")}) VALUES `;
      const perStatement = Math.max(1, Math.floor(PARAMETERS_PER_STATEMENT / columns.length));
      const write = (batch: ReturnType<typeof Prisma.sql>[]) =>
        tx.$executeRaw`${Prisma.raw(head)}${Prisma.join(batch)}`;
      let batch: ReturnType<typeof Prisma.sql>[] = [];
      const slices = timeSlices();
      for (const row of rows) {
        if (slices.due()) await slices.next();
        batch.push(Prisma.sql`(${Prisma.join(columns.map((column) => row[column]))})`);
        if (batch.length === perStatement) {
          await write(batch);
          batch = [];
        }
      }
      if (batch.length > 0) await write(batch);
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
