// PostgreSQL, for several vault servers on one database.
import { PrismaPg } from "@prisma/adapter-pg";
import { Prisma, PrismaClient } from "../../../prisma/postgresql/client/client.ts";
import { type Database, type Db, listenToQueries, type OpenOptions, prismaLogOptions } from "../database.ts";
import { pgPoolOptions } from "./pool.ts";

// Far under PostgreSQL's 65,535 bound parameters per statement.
const PARAMETERS_PER_STATEMENT = 8000;

const quoted = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

export async function openPostgres(url: string, options: OpenOptions): Promise<Database> {
  const db = new PrismaClient({
    adapter: new PrismaPg(pgPoolOptions(url)),
    ...prismaLogOptions(options.onQuery),
  }) as unknown as Db;
  listenToQueries(db, options.onQuery);
  return {
    db,
    provider: "postgresql",
    async insertRows(tx, table, columns, rows) {
      const head = `INSERT INTO ${quoted(table)} (${columns.map(quoted).join(", ")}) VALUES `;
      const perStatement = Math.max(1, Math.floor(PARAMETERS_PER_STATEMENT / columns.length));
      for (let start = 0; start < rows.length; start += perStatement) {
        const values = rows
          .slice(start, start + perStatement)
          .map((row) => Prisma.sql`(${Prisma.join(columns.map((column) => row[column]))})`);
        await tx.$executeRaw`${Prisma.raw(head)}${Prisma.join(values)}`;
      }
    },
    close: () => db.$disconnect(),
  };
}
