// The embedded SQLite database, opened as two better-sqlite3 connections behind one Prisma
// driver adapter:
//
// - the writer runs every transaction and every statement that is not a plain SELECT. The stock
//   adapter serializes transactions but not the statements outside them, which run on the same
//   connection and so land inside whichever transaction is open: a write from one request would
//   commit or roll back with another request's transaction, and reads saw uncommitted rows. Here
//   such a statement waits until the open transaction ends.
// - the reader runs top-level SELECTs. In WAL mode it reads the last committed state while a
//   transaction is open on the writer, so reads never wait on a long write such as an import.
//
// Checkpoints run in a worker thread (wal-checkpoints.ts), not inside the writer's commits.
//
// Transactions start with BEGIN IMMEDIATE instead of a deferred BEGIN: one that reads and then
// writes would otherwise fail at once with SQLITE_BUSY when another process wrote in between,
// without waiting for the busy timeout.
import { PrismaBetterSqlite3 } from "@prisma/adapter-better-sqlite3";
import type {
  IsolationLevel,
  SqlDriverAdapter,
  SqlDriverAdapterFactory,
  SqlQuery,
  Transaction,
} from "@prisma/driver-adapter-utils";
import type BetterSqlite3 from "better-sqlite3";
import { WalCheckpoints } from "./wal-checkpoints.ts";

const SQLITE_BUSY_TIMEOUT_MS = 5000;

export function sqliteAdapterFactory(url: string) {
  return new PrismaBetterSqlite3({ url, timeout: SQLITE_BUSY_TIMEOUT_MS });
}

type Native = BetterSqlite3.Database;
const nativeOf = (adapter: SqlDriverAdapter) => (adapter as unknown as { client: Native }).client;

const READ_ONLY = /^\s*SELECT\b/i;

/** The writer connection as bulk writes see it: usable only inside the open transaction. */
export type SqliteWriter = {
  /** The better-sqlite3 connection, while a transaction is open on it (and so is the caller's). */
  inTransaction(): Native;
};

class SqliteConnection implements SqlDriverAdapter {
  readonly provider = "sqlite" as const;
  readonly adapterName: string;
  /** Settles when the open transaction ends; null when none is open. */
  #open: Promise<void> | null = null;
  /** The last transaction in line; each waits for the one before it. */
  #queue: Promise<void> = Promise.resolve();
  readonly #checkpoints: WalCheckpoints;

  constructor(
    private readonly writer: SqlDriverAdapter,
    private readonly reader: SqlDriverAdapter,
  ) {
    this.adapterName = writer.adapterName;
    const native = nativeOf(writer);
    const prepare = native.prepare.bind(native);
    native.prepare = ((sql: string) => prepare(sql === "BEGIN" ? "BEGIN IMMEDIATE" : sql)) as Native["prepare"];
    this.#checkpoints = new WalCheckpoints(native, SQLITE_BUSY_TIMEOUT_MS);
  }

  get native(): Native {
    return nativeOf(this.writer);
  }

  get inTransaction(): boolean {
    return this.#open !== null;
  }

  async #outsideTransactions(): Promise<void> {
    while (this.#open) await this.#open;
  }

  /** A statement on the writer, once no transaction is open. */
  async #write<T>(run: () => Promise<T>): Promise<T> {
    await this.#outsideTransactions();
    try {
      return await run();
    } finally {
      this.#checkpoints.afterCommit();
    }
  }

  queryRaw(query: SqlQuery) {
    if (READ_ONLY.test(query.sql)) return this.reader.queryRaw(query);
    return this.#write(() => this.writer.queryRaw(query));
  }

  executeRaw(query: SqlQuery) {
    return this.#write(() => this.writer.executeRaw(query));
  }

  async executeScript(script: string) {
    await this.#outsideTransactions();
    return this.writer.executeScript(script);
  }

  async startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
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
      end();
      this.#checkpoints.afterCommit();
    };
    let transaction: Transaction;
    try {
      transaction = await this.writer.startTransaction(isolationLevel);
    } catch (error) {
      finish();
      throw error;
    }
    const { commit, rollback } = transaction;
    // Prisma sends COMMIT or ROLLBACK through the transaction first, then calls these.
    transaction.commit = () => commit.call(transaction).finally(finish);
    transaction.rollback = () => rollback.call(transaction).finally(finish);
    return transaction;
  }

  async dispose() {
    await this.#checkpoints.close();
    await this.reader.dispose();
    await this.writer.dispose();
  }
}

/** The adapter factory for a SQLite URL; `remember` hears the connection once it is open. */
export function sqliteConnectionFactory(
  url: string,
  remember: (writer: SqliteWriter) => void,
): SqlDriverAdapterFactory {
  const factory = sqliteAdapterFactory(url);
  return {
    provider: "sqlite",
    adapterName: factory.adapterName,
    async connect() {
      const connection = new SqliteConnection(await factory.connect(), await factory.connect());
      remember({
        inTransaction() {
          if (!connection.inTransaction) throw new Error("a bulk write must run inside a transaction");
          return connection.native;
        },
      });
      return connection;
    },
  };
}
