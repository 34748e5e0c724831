// The sealing thread (sealing-thread.ts): seals the values of each job it is sent with cipher.ts
// and fingerprint.ts, and answers with the blobs in one transferred buffer.
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort } from "node:worker_threads";
import { seal } from "./cipher.ts";
import { fingerprint } from "./fingerprint.ts";
import type { SealAnswer, SealJob } from "./sealing-thread.ts";

// Sealing gives way to the event loop and to other processes: this thread runs at the lowest
// priority (on Linux a thread has a nice value of its own, set through its thread id). At the
// default priority it took a core from the event loop: { hello }'s p99 during imports on SQLite
// was 1.74 and 1.86 times its idle p99, against 1.35 and 1.35 at this one (same hour, same load).
try {
  setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), 19);
} catch {
  // Not Linux: the thread keeps the process's priority.
}

function sealAll(job: SealJob): SealAnswer {
  const blobs: Buffer[] = [];
  const fingerprints: string[] = [];
  let total = 0;
  for (let i = 0; i < job.values.length; i++) {
    const entryId = job.entryIds[i] as string;
    const value = job.values[i] as string;
    const blob = seal(job.encryption, job.keyVersion, value, { userId: job.userId, entryId, kind: job.kind });
    blobs.push(blob);
    fingerprints.push(fingerprint(job.fingerprint, entryId, value));
    total += blob.length;
  }
  const bytes = new Uint8Array(total);
  const ends = new Uint32Array(blobs.length);
  let at = 0;
  for (let i = 0; i < blobs.length; i++) {
    bytes.set(blobs[i] as Buffer, at);
    at += (blobs[i] as Buffer).length;
    ends[i] = at;
  }
  return { id: job.id, bytes: bytes.buffer, ends, fingerprints: fingerprints.join("") };
}

parentPort?.on("message", (job: SealJob) => {
  let answer: SealAnswer;
  try {
    answer = sealAll(job);
  } catch {
    // Nothing of the job (its values least of all) goes back in the message.
    answer = { id: job.id, error: "sealing failed" };
  }
  parentPort?.postMessage(answer, "bytes" in answer ? [answer.bytes] : []);
});
