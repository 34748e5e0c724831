// PostgreSQL, for several vault servers on one database.
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaClient } from "../../../prisma/postgresql/client/client.ts";
import { timeSlices } from "../../time-slices.ts";
import {
  type Database,
  type Db,
  givesRows,
  listenToQueries,
  type OpenOptions,
  prismaLogOptions,
  prismaTransactionOptions,
  type Rows,
} from "../database.ts";
import { changeWatch } from "./change-watch.ts";
import { pgPoolOptions } from "./pool.ts";

// Far under PostgreSQL's 65,535 bound parameters per statement.
const PARAMETERS_PER_STATEMENT = 1100;

const quoted = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;

type Statement = { text: string; name: string };

/** Multi-row INSERT texts with positional parameters, made once per table, columns and row count. */
const statements = new Map<string, Statement>();
function statementFor(head: string, columns: number, rows: number): Statement {
  const key = `${head}\u0000${rows}`;
  let statement = statements.get(key);
  if (!statement) {
    const tuples: string[] = [];
    for (let r = 0; r < rows; r++) {
      tuples.push(`(${Array.from({ length: columns }, (_, c) => `$${r * columns + c + 1}`).join(", ")})`);
    }
    statement = { text: head + tuples.join(", "), name: `agent_vault_rows_${statements.size + 1}` };
    statements.set(key, statement);
  }
  return statement;
}

// The vault's own statements are a fixed set of texts, run over and over (authentication on every
// request): as named statements, PostgreSQL parses and plans each once per connection. Past this
// many texts (none today), the rest run unnamed, so that no connection collects statements.
const NAMED_STATEMENTS = 200;
const statementNames = new Map<string, string>();
function nameFor(text: string): string | undefined {
  let name = statementNames.get(text);
  if (!name && statementNames.size < NAMED_STATEMENTS) {
    name = `agent_vault_${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

// timestamp(3) columns hold UTC (Prisma writes them so), without a zone: pg would read them as the
// server process's local time, so that in New York a token's expiry came five hours late (and
// its row binding, which covers the expiry, no longer matched). Prisma's own queries bring their
// parsers; this pool's other statements read them as UTC.
const TIMESTAMP_OID = 1114;
const utcTimestamp = (text: string) => new Date(`${text.replace(" ", "T")}Z`);
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === TIMESTAMP_OID && format !== "binary"
      ? utcTimestamp
      : pg.types.getTypeParser(oid, format as "text")) as typeof pg.types.getTypeParser,
};

/** Many rows on `client` (in its transaction), in multi-row INSERTs, one in flight at a time. */
async function sendRows(
  client: pg.PoolClient,
  table: string,
  columns: readonly string[],
  rows: Rows,
  onQuery: ((sql: string) => void) | undefined,
): Promise<void> {
  const head = `INSERT INTO ${quoted(table)} (${columns.map(quoted).join(", ")}) VALUES `;
  const perStatement = Math.max(1, Math.floor(PARAMETERS_PER_STATEMENT / columns.length));
  const slices = timeSlices();
  // The next statement (and its rows, which a generator may make just in time) is made while
  // PostgreSQL runs the last; one at a time is in flight, so a large import does not queue all its
  // statements in memory.
  let inFlight: Promise<unknown> = Promise.resolve();
  const send = async (values: unknown[], count: number) => {
    await inFlight;
    onQuery?.(head);
    // A named statement: PostgreSQL parses and plans it once per connection, not every 100 rows.
    inFlight = client.query({ ...statementFor(head, columns.length, count), values });
    inFlight.catch(() => {}); // awaited by the next send, or below
  };
  const width = columns.length;
  let values: unknown[] = new Array(perStatement * width);
  let count = 0;
  // Rows of one write share their dates: each is turned into text once.
  let lastDate: Date | undefined;
  let lastText = "";
  for await (const row of rows) {
    if (slices.due()) await slices.next();
    const at = count * width;
    for (let c = 0; c < width; c++) {
      const value = row[columns[c] as string];
      if (value instanceof Date) {
        // timestamp(3) columns hold UTC: an ISO string's offset is ignored, a Date's local one would not be.
        if (value !== lastDate) {
          lastDate = value;
          lastText = value.toISOString();
        }
        values[at + c] = lastText;
      } else values[at + c] = value;
    }
    if (++count === perStatement) {
      await send(values, count);
      values = new Array(perStatement * width);
      count = 0;
    }
  }
  if (count > 0) {
    values.length = count * width;
    await send(values, count);
  }
  await inFlight;
}

export async function openPostgres(url: string, options: OpenOptions): Promise<Database> {
  // One pool for Prisma and for the statements that bypass it.
  const changes = changeWatch(url, () => pool, options.changeWatch);
  const pool = new pg.Pool({ ...pgPoolOptions(url), types, Client: changes.Client });
  pool.on("error", () => {});
  /** A write that changed what placeholders open returns once every instance heard it. */
  const heard = changes.heardWrite;
  const db = new PrismaClient({
    adapter: new PrismaPg(pool),
    transactionOptions: prismaTransactionOptions(options.transactionBounds),
    ...prismaLogOptions(options.onQuery),
  }) as unknown as Db;
  listenToQueries(db, options.onQuery);
  return {
    db,
    provider: "postgresql",
    changes,
    // Prisma refuses a statement of a transaction that has ended (txSql's too: they go through it).
    transaction: (work) => heard(() => db.$transaction(work)),
    async insertRows(tx, table, columns, rows) {
      // Multi-row INSERTs with positional parameters: the statement's text is made once per batch
      // size, and the values go in a flat array (no Prisma.sql object per row and per value).
      const head = `INSERT INTO ${quoted(table)} (${columns.map(quoted).join(", ")}) VALUES `;
      const perStatement = Math.max(1, Math.floor(PARAMETERS_PER_STATEMENT / columns.length));
      let values: unknown[] = [];
      let count = 0;
      const slices = timeSlices();
      for await (const row of rows) {
        if (slices.due()) await slices.next();
        for (const column of columns) values.push(row[column]);
        if (++count === perStatement) {
          await tx.$executeRawUnsafe(statementFor(head, columns.length, count).text, ...values);
          values = [];
          count = 0;
        }
      }
      if (count > 0) await tx.$executeRawUnsafe(statementFor(head, columns.length, count).text, ...values);
    },
    writeTransaction: (work, writeOptions) =>
      heard(async () => {
        const client = await pool.connect();
        try {
          await client.query(writeOptions?.durable === false ? "BEGIN; SET LOCAL synchronous_commit TO OFF" : "BEGIN");
          const result = await work(async (sql, params = []) => {
            options.onQuery?.(sql);
            let n = 0;
            // timestamp(3) columns hold UTC: an ISO string's offset is ignored, a Date's local one would not be.
            const values = params.map((value) => (value instanceof Date ? value.toISOString() : value));
            const text = sql.replace(/\?/g, () => `$${++n}`);
            return (await client.query({ name: nameFor(text), text, values })).rows;
          });
          await client.query("COMMIT");
          return result;
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          throw error;
        } finally {
          client.release();
        }
      }),
    async txSql(tx, sql, params = []) {
      let n = 0;
      const text = sql.replace(/\?/g, () => `$${++n}`);
      // timestamp(3) columns hold UTC: an ISO string's offset is ignored, a Date's local one would not be.
      const values = params.map((value) => (value instanceof Date ? value.toISOString() : value));
      if (givesRows(sql)) return tx.$queryRawUnsafe<Record<string, unknown>[]>(text, ...values);
      await tx.$executeRawUnsafe(text, ...values);
      return [];
    },
    appendRows: (table, columns, rows, then) =>
      heard(async () => {
        // Straight to pg on a connection of its own: no Prisma mapping of every value.
        const client = await pool.connect();
        try {
          await client.query("BEGIN");
          await sendRows(client, table, columns, rows, options.onQuery);
          await then?.(
            async (sql, params = []) => {
              let n = 0;
              const text = sql.replace(/\?/g, () => `$${++n}`);
              const values = params.map((value) => (value instanceof Date ? value.toISOString() : value));
              return (await client.query(text, values)).rows;
            },
            (more, moreColumns, moreRows) => sendRows(client, more, moreColumns, moreRows, options.onQuery),
          );
          await client.query("COMMIT");
        } catch (error) {
          await client.query("ROLLBACK").catch(() => {});
          throw error;
        } finally {
          client.release();
        }
      }),
    sql: {
      joinsWrites: true,
      roundTrips: true,
      async objects(sql, params = []) {
        options.onQuery?.(sql);
        let n = 0;
        const text = sql.replace(/\?/g, () => `$${++n}`);
        // timestamp(3) columns hold UTC: an ISO string's offset is ignored, a Date's local one would not be.
        const values = params.map((value) => (value instanceof Date ? value.toISOString() : value));
        const result = await heard(() => pool.query({ name: nameFor(text), text, values }));
        return result.rows;
      },
      async rows(sql, params = []) {
        options.onQuery?.(sql);
        let n = 0;
        const text = sql.replace(/\?/g, () => `$${++n}`);
        const result = await heard(() =>
          pool.query({ name: nameFor(text), text, values: [...params], rowMode: "array" }),
        );
        return result.rows;
      },
    },
    async close() {
      await changes.close();
      await db.$disconnect();
      await pool.end().catch(() => {});
    },
  };
}
