// The sealing and opening threads (sealing-thread.ts, opening-thread.ts): each job sealed or
// opened with cipher.ts and fingerprint.ts, as the event loop would. Nothing of a value goes back
// but in an answer to the job that sent it; an error answers with no value at all.
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import { open, seal } from "./cipher.ts";
import { type CryptoWorkerData, packBlobs, unpackBlobs } from "./crypto-thread.ts";
import { fingerprint } from "./fingerprint.ts";
import type { OpenAnswer, OpenJob } from "./opening-thread.ts";
import type { SealAnswer, SealJob } from "./sealing-thread.ts";

// Sealing gives way to the event loop and to other processes: that thread runs at the lowest
// priority (on Linux a thread has a nice value of its own, set through its thread id). At the
// default priority it took a core from the event loop: { hello }'s p99 during imports on SQLite
// was 1.74 and 1.86 times its idle p99, against 1.35 and 1.35 at this one (same hour, same load).
if ((workerData as CryptoWorkerData | undefined)?.lowestPriority) {
  try {
    setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), 19);
  } catch {
    // Not Linux: the thread keeps the process's priority.
  }
}

function sealAll(job: SealJob): SealAnswer {
  const blobs: Buffer[] = [];
  const fingerprints: string[] = [];
  for (let i = 0; i < job.values.length; i++) {
    const entryId = job.entryIds[i] as string;
    const value = job.values[i] as string;
    blobs.push(seal(job.encryption, job.keyVersion, value, { userId: job.userId, entryId, kind: job.kind }));
    fingerprints.push(fingerprint(job.fingerprint, entryId, value));
  }
  const { bytes, ends } = packBlobs(blobs);
  return { id: job.id, bytes, ends, fingerprints: fingerprints.join("") };
}

function openAll(job: OpenJob): OpenAnswer {
  const blobs = unpackBlobs(job.bytes, job.ends);
  const values: string[] = new Array(blobs.length);
  const failed: number[] = [];
  for (let i = 0; i < blobs.length; i++) {
    const version = job.versions[i] as number;
    try {
      values[i] = open(job.keys[job.keyOf[i] as number] as OpenJob["keys"][number], blobs[i] as Buffer, {
        userId: job.userId,
        entryId: job.entryIds[i] as string,
        kind: job.kinds[i] as string,
        ...(version >= 0 ? { version } : { upstream: job.upstreams[i] }),
      });
    } catch {
      values[i] = "";
      failed.push(i);
    }
  }
  return { id: job.id, values, failed };
}

parentPort?.on("message", (job: SealJob | OpenJob) => {
  if (job.type === "open") {
    let answer: OpenAnswer;
    try {
      answer = openAll(job);
    } catch {
      answer = { id: job.id, values: [], failed: job.entryIds.map((_, i) => i) };
    }
    parentPort?.postMessage(answer);
    return;
  }
  let answer: SealAnswer;
  try {
    answer = sealAll(job);
  } catch {
    // Nothing of the job (its values least of all) goes back in the message.
    answer = { id: job.id, error: "sealing failed" };
  }
  parentPort?.postMessage(answer, "bytes" in answer ? [answer.bytes] : []);
});
