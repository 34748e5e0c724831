// Many values sealed at once (an import's), on a thread of their own. Each value sealed makes an
// AES-GCM cipher and an HMAC, native objects whose wrappers every young-generation collection of
// the thread that made them must finalize: a 10,000-line import made 20,000 on the event loop,
// and its collections held up every other request for 6 to 11 ms each on average (5 idle). On
// this thread, those collections pause only the sealing. One thread, at the lowest priority
// (crypto-worker.ts); blobs and fingerprints are the same as sealed inline.
import {
  CryptoThreadError,
  type CryptoThreadOptions,
  cryptoThread,
  startWorker,
  unpackBlobs,
} from "./crypto-thread.ts";
import { FINGERPRINT_HEX_CHARS } from "./fingerprint.ts";
import type { UserKeys } from "./user-keys.ts";

export type SealJob = {
  id: number;
  type: "seal";
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

export type SealingThread = ReturnType<typeof sealingThread>;

/**
 * How long a batch may wait for the thread's answer. Idle, 1,000 values take about 30 ms; a thread
 * at the lowest priority on a machine whose cores other processes keep busy may not be scheduled
 * for seconds: then the caller seals inline (entry-value.ts's batchSealer) at the event loop's
 * priority.
 */
export const SEAL_ANSWER_MS = 2_000;

export function sealingThread(options: CryptoThreadOptions = {}) {
  const thread = cryptoThread<SealJob, SealAnswer>({
    name: "the sealing thread",
    answerWithinMs: options.answerWithinMs ?? SEAL_ANSWER_MS,
    start: options.start ?? (() => startWorker({ lowestPriority: true })),
  });
  return {
    /** Seals `values` (each of its entry in `entryIds`) of one kind under `keys`, as seal() and fingerprint() do. */
    async seal(
      keys: UserKeys,
      userId: string,
      kind: string,
      entryIds: string[],
      values: string[],
    ): Promise<SealedBatch> {
      const answer = await thread.run({
        type: "seal",
        keyVersion: keys.keyVersion,
        encryption: keys.encryption,
        fingerprint: keys.fingerprint,
        userId,
        kind,
        entryIds,
        values,
      });
      if ("error" in answer) throw new CryptoThreadError(`Sealing values failed: ${answer.error}`);
      const fingerprints: string[] = new Array(answer.ends.length);
      for (let i = 0; i < answer.ends.length; i++) {
        fingerprints[i] = answer.fingerprints.slice(i * FINGERPRINT_HEX_CHARS, (i + 1) * FINGERPRINT_HEX_CHARS);
      }
      return { ciphertexts: unpackBlobs(answer.bytes, answer.ends), fingerprints };
    },
    close: thread.close,
  };
}
