// The embedded SQLite database as a Prisma driver adapter over two better-sqlite3 connections
// that this module opens and owns:
//
// - the writer runs every transaction and every statement that is not a plain SELECT. A
//   statement outside a transaction waits until the open transaction ends, so that one request's
//   write never lands inside another request's transaction (where it would commit or roll back
//   with it), and transactions take turns.
// - the reader runs top-level SELECTs. In WAL mode it reads the last committed state while a
//   transaction is open on the writer, so reads never wait on a long write such as an import.
//
// Transactions start with BEGIN IMMEDIATE: one that reads and then writes would otherwise fail at
// once with SQLITE_BUSY when another process wrote in between, without waiting for the busy
// timeout. Checkpoints run in a worker thread (wal-checkpoints.ts), not inside commits.
import type {
  ColumnType,
  IsolationLevel,
  SqlDriverAdapter,
  SqlMigrationAwareDriverAdapterFactory,
  SqlQuery,
  SqlResultSet,
  Transaction,
} from "@prisma/driver-adapter-utils";
import { DriverAdapterError } from "@prisma/driver-adapter-utils";
import Database from "better-sqlite3";
import { BULK_INSERT_SQL, StagedRows, storedValues } from "./bulk-insert.ts";
import { columnTypes, declaredColumnType, driverError, fromSqliteRow, toSqliteArg } from "./conversion.ts";
import { TransactionEndedError } from "./transaction-ended.ts";
import { WalCheckpoints } from "./wal-checkpoints.ts";

const ADAPTER_NAME = "agent-vault-sqlite";
export const BUSY_TIMEOUT_MS = 5000;
const STATEMENT_CACHE_SIZE = 200;
const READ_ONLY = /^\s*SELECT\b/i;

type Native = Database.Database;
type Statement = Database.Statement<unknown[]>;
type Prepared = {
  statement: Statement;
  /** For statements that return rows: their columns, read once. */
  columns: { names: string[]; declared: (ColumnType | null)[] } | null;
};

/** Opens a connection with the settings every connection of the vault uses. */
export function openSqlite(file: string, options: { readonly?: boolean } = {}): Native {
  const native = new Database(file, { timeout: BUSY_TIMEOUT_MS, readonly: options.readonly ?? false });
  native.defaultSafeIntegers(true);
  if (!options.readonly && !native.memory) native.pragma("journal_mode = WAL");
  native.pragma("foreign_keys = ON");
  native.pragma("synchronous = NORMAL");
  return native;
}

/** One connection's statements, prepared once and kept (most recently used last). */
class Statements {
  readonly #cache = new Map<string, Prepared>();
  constructor(readonly native: Native) {}

  get(sql: string): Prepared {
    let prepared = this.#cache.get(sql);
    if (prepared) {
      this.#cache.delete(sql);
    } else {
      const statement = this.native.prepare(sql) as Statement;
      prepared = { statement, columns: null };
      if (this.#cache.size >= STATEMENT_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
    }
    this.#cache.set(sql, prepared);
    return prepared;
  }
}

function argsOf(query: SqlQuery): unknown[] {
  return query.args.map((arg, i) => toSqliteArg(arg, query.argTypes[i]));
}

function query(statements: Statements, sql: SqlQuery): SqlResultSet {
  try {
    const prepared = statements.get(sql.sql);
    const { statement } = prepared;
    if (!statement.reader) {
      statement.run(...argsOf(sql));
      return { columnNames: [], columnTypes: [], rows: [] };
    }
    if (!prepared.columns) {
      const columns = statement.raw(true).columns();
      prepared.columns = {
        names: columns.map((column) => column.name),
        declared: columns.map((column) => declaredColumnType(column.type)),
      };
    }
    const rows = statement.all(...argsOf(sql)) as unknown[][];
    const types = columnTypes(prepared.columns.declared, rows);
    return {
      columnNames: prepared.columns.names,
      columnTypes: types,
      rows: rows.map((row) => fromSqliteRow(row, types)),
    };
  } catch (error) {
    throw driverError(error);
  }
}

function execute(statements: Statements, sql: SqlQuery): number {
  try {
    return Number(statements.get(sql.sql).statement.run(...argsOf(sql)).changes);
  } catch (error) {
    // The schema engine sends scripts of several statements without parameters this way.
    if (sql.args.length === 0 && /more than one statement/.test(String((error as Error).message))) {
      statements.native.exec(sql.sql);
      return 0;
    }
    throw driverError(error);
  }
}

/**
 * A transaction on the writer; Prisma sends BEGIN's COMMIT or ROLLBACK through it, then ends it.
 * Once it has ended (committed, rolled back, or closed by Prisma's timeout while its callback still
 * runs) every statement sent through it is refused: on the writer it would otherwise run in
 * autocommit, or inside whichever transaction came next.
 */
export class SqliteTransaction implements Transaction {
  readonly provider = "sqlite" as const;
  readonly adapterName = ADAPTER_NAME;
  readonly options = { usePhantomQuery: false };
  #open = true;
  #ended = false;

  constructor(
    private readonly writer: Statements,
    private readonly staged: StagedRows,
    private readonly end: () => void,
  ) {}

  /** Whether statements may still be sent: not committed, not rolled back. */
  get open(): boolean {
    return this.#open;
  }

  #assertOpen(): void {
    if (!this.#open) throw new TransactionEndedError();
  }

  #close(): void {
    this.#open = false;
    if (this.#ended) return;
    this.#ended = true;
    this.end();
  }

  async queryRaw(sql: SqlQuery) {
    this.#assertOpen();
    return query(this.writer, sql);
  }

  async executeRaw(sql: SqlQuery) {
    this.#assertOpen();
    if (ENDS_TRANSACTION.test(sql.sql)) {
      try {
        return execute(this.writer, sql);
      } finally {
        this.#open = false;
      }
    }
    if (sql.sql !== BULK_INSERT_SQL) return execute(this.writer, sql);
    try {
      return await this.staged.insert(this.writer.native, String(sql.args[0]), () => this.#open);
    } catch (error) {
      throw error instanceof TransactionEndedError ? error : driverError(error);
    }
  }

  /**
   * A statement of this transaction sent straight to better-sqlite3 (`?` placeholders), without
   * Prisma's work per statement; refused once the transaction has ended.
   */
  run(sql: string, params: readonly unknown[] = []): Record<string, unknown>[] {
    this.#assertOpen();
    return onWriter(this.writer, sql, params);
  }

  async commit() {
    this.#close();
  }

  async rollback() {
    this.#close();
  }

  async createSavepoint(name: string) {
    this.#assertOpen();
    this.writer.native.exec(`SAVEPOINT ${name}`);
  }

  async rollbackToSavepoint(name: string) {
    this.#assertOpen();
    this.writer.native.exec(`ROLLBACK TO ${name}`);
  }

  async releaseSavepoint(name: string) {
    this.#assertOpen();
    this.writer.native.exec(`RELEASE SAVEPOINT ${name}`);
  }
}

const ENDS_TRANSACTION = /^\s*(COMMIT|ROLLBACK)\s*;?\s*$/i;

function onWriter(writer: Statements, sql: string, params: readonly unknown[] = []): Record<string, unknown>[] {
  const { statement } = writer.get(sql);
  const stored = storedValues();
  const values = params.map(stored);
  if (!statement.reader) {
    statement.run(...values);
    return [];
  }
  // Statements are shared with Prisma's queries, which read rows as arrays.
  statement.raw(true);
  const names = statement.columns().map((column) => column.name);
  return (statement.all(...values) as unknown[][]).map((row) =>
    Object.fromEntries(names.map((name, i) => [name, typeof row[i] === "bigint" ? Number(row[i]) : row[i]])),
  );
}

export class SqliteAdapter implements SqlDriverAdapter {
  readonly provider = "sqlite" as const;
  readonly adapterName = ADAPTER_NAME;
  readonly #writer: Statements;
  readonly #reader: Statements | null;
  readonly #checkpoints: WalCheckpoints;
  /** Settles when the open transaction ends; null when none is open. */
  #open: Promise<void> | null = null;
  /** The last transaction in line; each waits for the one before it. */
  #queue: Promise<void> = Promise.resolve();
  #current: SqliteTransaction | null = null;

  constructor(
    writer: Native,
    reader: Native | null,
    private readonly staged: StagedRows,
  ) {
    this.#writer = new Statements(writer);
    this.#reader = reader ? new Statements(reader) : null;
    this.#checkpoints = new WalCheckpoints(writer, BUSY_TIMEOUT_MS);
  }

  async #outsideTransactions(): Promise<void> {
    while (this.#open) await this.#open;
  }

  async queryRaw(sql: SqlQuery) {
    if (this.#reader && READ_ONLY.test(sql.sql)) return query(this.#reader, sql);
    await this.#outsideTransactions();
    try {
      return query(this.#writer, sql);
    } finally {
      this.#checkpoints.afterCommit();
    }
  }

  async executeRaw(sql: SqlQuery) {
    if (sql.sql === BULK_INSERT_SQL) throw new Error("a bulk insert runs inside a transaction");
    await this.#outsideTransactions();
    try {
      return execute(this.#writer, sql);
    } finally {
      this.#checkpoints.afterCommit();
    }
  }

  /**
   * `work` in a transaction on the writer, taking its turn like Prisma's, its statements sent
   * straight to better-sqlite3: for the hottest small writes. Errors are SQLite's own (their codes
   * name the constraint).
   */
  async writeTransaction<T>(
    work: (run: (sql: string, params?: readonly unknown[]) => Promise<Record<string, unknown>[]>) => Promise<T>,
  ): Promise<T> {
    const transaction = (await this.startTransaction()) as SqliteTransaction;
    try {
      const result = await work(async (sql, params) => transaction.run(sql, params));
      transaction.run("COMMIT");
      return result;
    } catch (error) {
      if (transaction.open && this.#writer.native.inTransaction) transaction.run("ROLLBACK");
      throw error;
    } finally {
      await transaction.commit();
    }
  }

  /** The transaction open on the writer now (the writer runs one at a time), or null. */
  get openTransaction(): SqliteTransaction | null {
    return this.#current?.open ? this.#current : null;
  }

  async executeScript(script: string) {
    await this.#outsideTransactions();
    try {
      this.#writer.native.exec(script);
    } catch (error) {
      throw driverError(error);
    }
  }

  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    if (isolationLevel && isolationLevel !== "SERIALIZABLE") {
      throw new DriverAdapterError({ kind: "InvalidIsolationLevel", level: isolationLevel });
    }
    let end!: () => void;
    const open = new Promise<void>((resolve) => {
      end = resolve;
    });
    const before = this.#queue;
    this.#queue = before.then(() => open);
    await before;
    this.#open = open;
    const finish = () => {
      if (this.#open === open) this.#open = null;
      if (this.#current === transaction) this.#current = null;
      end();
      this.#checkpoints.afterCommit();
    };
    const transaction: SqliteTransaction = new SqliteTransaction(this.#writer, this.staged, finish);
    try {
      this.#writer.get("BEGIN IMMEDIATE").statement.run();
    } catch (error) {
      finish();
      throw driverError(error);
    }
    this.#current = transaction;
    return transaction;
  }

  async dispose() {
    await this.#checkpoints.close();
    this.#reader?.native.close();
    this.#writer.native.close();
  }
}

/**
 * The adapter factory for a SQLite file. `reader: false` gives a single connection (migrations,
 * which need the file to themselves). Bulk inserts staged in `staged` are written by the
 * transaction that executes them (bulk-insert.ts).
 */
export function sqliteAdapterFactory(
  file: string,
  options: { reader?: boolean; staged?: StagedRows; onConnect?: (adapter: SqliteAdapter) => void } = {},
): SqlMigrationAwareDriverAdapterFactory {
  const staged = options.staged ?? new StagedRows();
  return {
    provider: "sqlite",
    adapterName: ADAPTER_NAME,
    async connect() {
      const writer = openSqlite(file);
      const reader = options.reader === false || writer.memory ? null : openSqlite(file);
      const adapter = new SqliteAdapter(writer, reader, staged);
      options.onConnect?.(adapter);
      return adapter;
    },
    async connectToShadowDb() {
      return new SqliteAdapter(openSqlite(":memory:"), null, staged);
    },
  };
}
