// WAL checkpoints off the main thread. SQLite copies the write-ahead log back into the database
// file (a checkpoint) inside the COMMIT that takes the log past 1,000 pages; better-sqlite3 is
// synchronous, so that commit stopped every request for 15 ms and more after a large import.
// The writer turns automatic checkpoints off and this runs them from a worker thread on its own
// connection, which SQLite allows beside a writer. The worker starts once the log is large.
import { statSync } from "node:fs";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type BetterSqlite3 from "better-sqlite3";

const START_AT_BYTES = 4 * 1024 * 1024;

// CommonJS, evaluated as is: the worker needs no TypeScript loader.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { timeout: workerData.timeout });
parentPort.on("message", (message) => {
  if (message === "close") {
    db.close();
    parentPort.close();
    return;
  }
  // A checkpoint that cannot finish now (readers in the way) finishes on a later one.
  try { db.pragma("wal_checkpoint(PASSIVE)"); } catch {}
  parentPort.postMessage("done");
});
`;

export class WalCheckpoints {
  #worker: Worker | null = null;
  #pending = false;
  #failed = false;

  constructor(
    private readonly writer: BetterSqlite3.Database,
    private readonly busyTimeoutMs: number,
  ) {
    if (!writer.memory) writer.pragma("wal_autocheckpoint = 0");
  }

  /** After a commit: checkpoint in the background once the log is large. */
  afterCommit(): void {
    if (this.writer.memory || this.#pending || this.#failed) return;
    if (!this.#worker) {
      let size = 0;
      try {
        size = statSync(`${this.writer.name}-wal`).size;
      } catch {
        return;
      }
      if (size < START_AT_BYTES) return;
      this.#worker = this.#start();
    }
    this.#pending = true;
    this.#worker.postMessage("checkpoint");
  }

  #start(): Worker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        file: this.writer.name,
        timeout: this.busyTimeoutMs,
      },
    });
    worker.unref();
    worker.on("message", () => {
      this.#pending = false;
    });
    worker.on("error", () => this.#fallBack());
    return worker;
  }

  /** Without the worker, SQLite checkpoints in the writer's commits again. */
  #fallBack(): void {
    this.#failed = true;
    this.#worker = null;
    if (this.writer.open) this.writer.pragma("wal_autocheckpoint = 1000");
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    if (!worker) return;
    const exited = new Promise((resolve) => worker.once("exit", resolve));
    // Unreferenced while it runs (it must not keep a process alive), but awaited here: a process
    // with nothing else to do would otherwise end inside this await, its command unfinished
    // (exit code 13 for an unsettled await).
    worker.ref();
    worker.postMessage("close");
    await exited;
  }
}
