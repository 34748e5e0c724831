// A thread that seals or opens many values at once for the event loop (sealing-thread.ts,
// opening-thread.ts): started at its first job and kept (it does not keep the process alive), its
// jobs answered by id, each within a time after which the caller does the work inline. Whatever
// stops the thread, its waiting jobs fail and the next job starts another.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { PACKAGE_ROOT } from "../paths.ts";

/** What the thread is started with: sealing runs at the lowest priority, opening at the process's. */
export type CryptoWorkerData = { lowestPriority: boolean };

/** The thread: the bundled worker beside the server's bundle, or from source, crypto-worker.ts through tsx. */
export function startWorker(data: CryptoWorkerData): Worker {
  if (!import.meta.url.endsWith(".ts")) {
    return new Worker(path.join(PACKAGE_ROOT, "dist/server/crypto-worker.js"), { workerData: data });
  }
  const tsx = createRequire(import.meta.url).resolve("tsx/cjs/api");
  const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), "crypto-worker.ts");
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(worker)});`, {
    eval: true,
    workerData: data,
  });
}

/** The thread could not do a job (it failed, stopped, or was too slow): do it inline. */
export class CryptoThreadError extends Error {
  override name = "CryptoThreadError";
}

export type CryptoThreadOptions = { answerWithinMs?: number; start?: () => Worker };

export function cryptoThread<Job extends { id: number }, Answer extends { id: number }>(settings: {
  /** Names the thread in its errors ("the sealing thread"). */
  name: string;
  answerWithinMs: number;
  start: () => Worker;
}) {
  const { name, answerWithinMs, start } = settings;
  let worker: Worker | undefined;
  const waiting = new Map<
    number,
    { resolve: (answer: Answer) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();
  let nextId = 0;

  function failAll(message: string) {
    worker = undefined;
    for (const job of waiting.values()) {
      clearTimeout(job.timer);
      job.reject(new CryptoThreadError(message));
    }
    waiting.clear();
  }

  function answered(answer: Answer) {
    const job = waiting.get(answer.id);
    if (!job) return;
    waiting.delete(answer.id);
    clearTimeout(job.timer);
    if (waiting.size === 0) worker?.unref();
    job.resolve(answer);
  }

  function started(): Worker {
    if (worker) return worker;
    const thread = start();
    thread.on("message", answered);
    thread.on("error", (error) => {
      if (worker === thread) failAll(`${name} failed: ${error?.message ?? error}`);
    });
    thread.on("exit", (code) => {
      if (worker === thread) failAll(`${name} stopped (exit code ${code})`);
    });
    worker = thread;
    return thread;
  }

  return {
    /** Sends a job (its id given here) and waits for its answer. */
    run(job: Omit<Job, "id">, transfer: ArrayBuffer[] = []): Promise<Answer> {
      const thread = started();
      const id = ++nextId;
      return new Promise((resolve, reject) => {
        // A late answer finds no one waiting, and is dropped.
        const timer = setTimeout(() => {
          waiting.delete(id);
          if (waiting.size === 0) worker?.unref();
          reject(new CryptoThreadError(`${name} did not answer within ${answerWithinMs} ms`));
        }, answerWithinMs);
        waiting.set(id, { resolve, reject, timer });
        thread.ref();
        try {
          thread.postMessage({ ...job, id }, transfer);
        } catch (error) {
          // The job could not be sent (a value that cannot be copied): done inline instead.
          waiting.delete(id);
          clearTimeout(timer);
          if (waiting.size === 0) worker?.unref();
          reject(new CryptoThreadError(`${name} could not be sent the job: ${(error as Error).name}`));
        }
      });
    },

    async close(): Promise<void> {
      const thread = worker;
      failAll("the vault is closing");
      await thread?.terminate();
    },
  };
}

/** Blobs one after another in one buffer (sent without copying), each ending at its `ends`. */
export function packBlobs(blobs: readonly Uint8Array[]): { bytes: ArrayBuffer; ends: Uint32Array } {
  let total = 0;
  for (const blob of blobs) total += blob.length;
  const bytes = new Uint8Array(total);
  const ends = new Uint32Array(blobs.length);
  let at = 0;
  for (let i = 0; i < blobs.length; i++) {
    bytes.set(blobs[i] as Uint8Array, at);
    at += (blobs[i] as Uint8Array).length;
    ends[i] = at;
  }
  return { bytes: bytes.buffer, ends };
}

/** The blobs of packBlobs, as views of its buffer. */
export function unpackBlobs(bytes: ArrayBuffer, ends: Uint32Array): Buffer<ArrayBuffer>[] {
  const blobs: Buffer<ArrayBuffer>[] = new Array(ends.length);
  let start = 0;
  for (let i = 0; i < ends.length; i++) {
    const end = ends[i] as number;
    blobs[i] = Buffer.from(bytes, start, end - start);
    start = end;
  }
  return blobs;
}
