// A unit of work: one transaction, and what must happen once it has committed (publishing the
// events and notices of what it wrote), never when it rolled back. Every write of the vault is one;
// the activity log joins it as one participant (its events are written in the transaction, and
// published after the commit), as any other module may.
import type {
  AppendRows,
  InsertRows,
  Rows,
  SqlRunner,
  Transact,
  Tx,
  TxSql,
  WriteOptions,
  WriteTransaction,
} from "./database.ts";

/** A transaction's plain SQL, and what runs once it commits. */
export type SqlWork = {
  /** A statement in this transaction (`?` placeholders); refused once the transaction ended. */
  sql: SqlRunner;
  /** Runs once the transaction has committed; never when it rolls back. */
  afterCommit(hook: () => void): void;
};

/** A transaction's plain SQL, and many rows written at once. */
export type BulkWork = SqlWork & {
  /** Many rows in this transaction, made as they are written; the caller gives every column. */
  insertRows(table: string, columns: readonly string[], rows: Rows): Promise<void>;
};

/** A transaction with Prisma's client in it too. */
export type Work = BulkWork & { db: Tx };

export type UnitsOfWork = {
  /** `work` in a transaction (Prisma's client and plain SQL both in it). */
  run<T>(work: (work: Work) => Promise<T>): Promise<T>;
  /** `work` in a transaction of plain SQL only: for the hottest small writes. */
  sqlOnly<T>(work: (work: SqlWork) => Promise<T>, options?: WriteOptions): Promise<T>;
  /** Many rows in a transaction of their own, with what `then` writes after them. */
  append(
    table: string,
    columns: readonly string[],
    rows: Rows,
    then?: (work: BulkWork) => Promise<unknown>,
  ): Promise<void>;
};

export function unitsOfWork(deps: {
  transaction: Transact;
  txSql: TxSql;
  writeTransaction: WriteTransaction;
  appendRows: AppendRows;
  insertRows: InsertRows;
  /** A hook that threw (after the commit, so the write stands). */
  onHookError?: (error: unknown) => void;
}): UnitsOfWork {
  const onHookError = deps.onHookError ?? (() => {});

  async function withHooks<T>(open: (afterCommit: (hook: () => void) => void) => Promise<T>): Promise<T> {
    const hooks: (() => void)[] = [];
    const result = await open((hook) => hooks.push(hook));
    for (const hook of hooks) {
      try {
        hook();
      } catch (error) {
        onHookError(error);
      }
    }
    return result;
  }

  return {
    run: (work) =>
      withHooks((afterCommit) =>
        deps.transaction((tx) =>
          work({
            db: tx,
            sql: (sql, params) => deps.txSql(tx, sql, params),
            insertRows: (table, columns, rows) => deps.insertRows(tx, table, columns, rows),
            afterCommit,
          }),
        ),
      ),
    sqlOnly: (work, options) =>
      withHooks((afterCommit) => deps.writeTransaction((sql) => work({ sql, afterCommit }), options)),
    append: (table, columns, rows, then) =>
      withHooks((afterCommit) =>
        deps.appendRows(
          table,
          columns,
          rows,
          then ? (sql, insertRows) => then({ sql, insertRows, afterCommit }) : undefined,
        ),
      ),
  };
}
