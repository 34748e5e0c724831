// An agent's environment opened off the event loop. Opening a value is about 4 µs of the event
// loop's time (most of it making Node's decipher), so an agent of 50 secrets spent a third of its
// environment fetch there. On this thread (at the process's priority: an agent start must not wait
// behind an import's sealing), a batch costs the event loop the message and the answer, about a
// quarter of opening it, and a fetch takes about 0.2 ms longer. Values are opened with the same
// function and bindings as inline, and leave the thread only in its answer.
import type { KeyObject } from "node:crypto";
import type { Binding } from "./cipher.ts";
import { CryptoThreadError, type CryptoThreadOptions, cryptoThread, packBlobs, startWorker } from "./crypto-thread.ts";

export type OpenJob = {
  id: number;
  type: "open";
  /** The keys the blobs are under; each blob names its key by index in `keyOf`. */
  keys: KeyObject[];
  keyOf: Uint8Array;
  userId: string;
  entryIds: string[];
  kinds: string[];
  upstreams: (string | null)[];
  /** An earlier version's number (kept in an entry's history), or -1 for an entry's own value. */
  versions: Int32Array;
  bytes: ArrayBuffer;
  ends: Uint32Array;
};
/** The values in order; `failed`: the indexes of blobs that did not open (their values are ""). */
export type OpenAnswer = { id: number; values: string[]; failed: number[] };

export type Sealed = { blob: Uint8Array; key: KeyObject; binding: Binding };
export type OpeningThread = ReturnType<typeof openingThread>;

/** Values opened per job at least: for fewer, the message costs about as much as opening them. */
export const OPEN_ON_THREAD_FROM = 16;
/** An answer later than this and the caller opens the values inline. */
export const OPEN_ANSWER_MS = 1_000;

export function openingThread(options: CryptoThreadOptions = {}) {
  const thread = cryptoThread<OpenJob, OpenAnswer>({
    name: "the opening thread",
    answerWithinMs: options.answerWithinMs ?? OPEN_ANSWER_MS,
    start: options.start ?? (() => startWorker({ lowestPriority: false })),
  });
  return {
    /**
     * Opens blobs of one user. The values in order, and the indexes of those that did not open;
     * a CryptoThreadError when the thread could not answer (then open them inline).
     */
    async open(userId: string, sealed: readonly Sealed[]): Promise<{ values: string[]; failed: number[] }> {
      const keys: KeyObject[] = [];
      const keyOf = new Uint8Array(sealed.length);
      sealed.forEach((item, i) => {
        let index = keys.indexOf(item.key);
        if (index < 0) index = keys.push(item.key) - 1;
        if (index > 255) throw new CryptoThreadError("too many keys for one job");
        keyOf[i] = index;
      });
      const { bytes, ends } = packBlobs(sealed.map((item) => item.blob));
      const answer = await thread.run(
        {
          type: "open",
          keys,
          keyOf,
          userId,
          entryIds: sealed.map((item) => item.binding.entryId),
          kinds: sealed.map((item) => item.binding.kind),
          upstreams: sealed.map((item) => item.binding.upstream ?? null),
          versions: Int32Array.from(sealed, (item) => item.binding.version ?? -1),
          bytes,
          ends,
        },
        [bytes],
      );
      return { values: answer.values, failed: answer.failed };
    },
    close: thread.close,
  };
}
