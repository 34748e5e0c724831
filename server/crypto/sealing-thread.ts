// Many values sealed at once (an import's), on a thread of their own. Each value sealed makes an
// AES-GCM cipher and an HMAC, native objects whose wrappers every young-generation collection of
// the thread that made them must finalize: a 10,000-line import made 20,000 on the event loop,
// and its collections held up every other request for 6 to 11 ms each on average (5 idle). On
// this thread, those collections pause only the sealing. One thread, at the lowest priority
// (seal-worker.ts), started at the first large batch and kept (it does not keep the process
// alive); blobs and fingerprints are the same as sealed inline.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { PACKAGE_ROOT } from "../paths.ts";
import { FINGERPRINT_HEX_CHARS } from "./fingerprint.ts";
import type { UserKeys } from "./user-keys.ts";

export type SealJob = {
  id: number;
  keyVersion: number;
  encryption: UserKeys["encryption"];
  fingerprint: UserKeys["fingerprint"];
  userId: string;
  kind: string;
  entryIds: string[];
  values: string[];
};
/** The blobs one after another in `bytes`, each ending at its `ends`; the fingerprints joined. */
export type SealAnswer =
  | { id: number; bytes: ArrayBuffer; ends: Uint32Array; fingerprints: string }
  | { id: number; error: string };

export type SealedBatch = { ciphertexts: Buffer<ArrayBuffer>[]; fingerprints: string[] };

export class SealingError extends Error {
  override name = "SealingError";
}

export type SealingThread = ReturnType<typeof sealingThread>;

/** The thread: the bundled worker beside the server's bundle, or from source, seal-worker.ts through tsx. */
export function startWorker(): Worker {
  if (!import.meta.url.endsWith(".ts")) return new Worker(path.join(PACKAGE_ROOT, "dist/server/seal-worker.js"));
  const tsx = createRequire(import.meta.url).resolve("tsx/cjs/api");
  const worker = path.join(path.dirname(fileURLToPath(import.meta.url)), "seal-worker.ts");
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(worker)});`, {
    eval: true,
  });
}

/**
 * How long a batch may wait for the thread's answer. Idle, 1,000 values take about 30 ms; a thread
 * at the lowest priority on a machine whose cores other processes keep busy may not be scheduled
 * for seconds: then the caller seals inline (entry-value.ts's batchSealer) at the event loop's
 * priority.
 */
export const SEAL_ANSWER_MS = 2_000;

export function sealingThread(options: { answerWithinMs?: number; start?: () => Worker } = {}) {
  const answerWithinMs = options.answerWithinMs ?? SEAL_ANSWER_MS;
  const start = options.start ?? startWorker;
  let worker: Worker | undefined;
  const waiting = new Map<
    number,
    { resolve: (batch: SealedBatch) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();
  let nextId = 0;

  function failAll(message: string) {
    worker = undefined;
    for (const job of waiting.values()) {
      clearTimeout(job.timer);
      job.reject(new SealingError(message));
    }
    waiting.clear();
  }

  function answered(answer: SealAnswer) {
    const job = waiting.get(answer.id);
    if (!job) return;
    waiting.delete(answer.id);
    clearTimeout(job.timer);
    if (waiting.size === 0) worker?.unref();
    if ("error" in answer) return job.reject(new SealingError(`Sealing values failed: ${answer.error}`));
    const ciphertexts: Buffer<ArrayBuffer>[] = new Array(answer.ends.length);
    const fingerprints: string[] = new Array(answer.ends.length);
    let start = 0;
    for (let i = 0; i < answer.ends.length; i++) {
      const end = answer.ends[i] as number;
      ciphertexts[i] = Buffer.from(answer.bytes, start, end - start);
      fingerprints[i] = answer.fingerprints.slice(i * FINGERPRINT_HEX_CHARS, (i + 1) * FINGERPRINT_HEX_CHARS);
      start = end;
    }
    job.resolve({ ciphertexts, fingerprints });
  }

  function started(): Worker {
    if (worker) return worker;
    const thread = start();
    thread.on("message", answered);
    // Whatever stopped it, the next batch starts another.
    thread.on("error", (error) => {
      if (worker === thread) failAll(`the sealing thread failed: ${error?.message ?? error}`);
    });
    thread.on("exit", (code) => {
      if (worker === thread) failAll(`the sealing thread stopped (exit code ${code})`);
    });
    worker = thread;
    return thread;
  }

  return {
    /** Seals `values` (each of its entry in `entryIds`) of one kind under `keys`, as seal() and fingerprint() do. */
    seal(keys: UserKeys, userId: string, kind: string, entryIds: string[], values: string[]): Promise<SealedBatch> {
      const thread = started();
      const id = ++nextId;
      const job: SealJob = {
        id,
        keyVersion: keys.keyVersion,
        encryption: keys.encryption,
        fingerprint: keys.fingerprint,
        userId,
        kind,
        entryIds,
        values,
      };
      return new Promise((resolve, reject) => {
        // A late answer finds no one waiting, and is dropped.
        const timer = setTimeout(() => {
          waiting.delete(id);
          if (waiting.size === 0) worker?.unref();
          reject(new SealingError(`the sealing thread did not answer within ${answerWithinMs} ms`));
        }, answerWithinMs);
        waiting.set(id, { resolve, reject, timer });
        thread.ref();
        thread.postMessage(job);
      });
    },

    async close(): Promise<void> {
      const thread = worker;
      failAll("the vault is closing");
      await thread?.terminate();
    },
  };
}
