// How the benchmark measures: pairs of runs (a baseline, then the figure), a calibration probe
// that discards pairs during which the machine's speed moved, and the median of what is left.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";

export type Figure = {
  name: string;
  database: string;
  unit: string;
  goal: string;
  median: number;
  min: number;
  max: number;
  met: boolean;
  pairs: number;
  discarded: number;
  detail?: Record<string, unknown>;
};

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const stage = (text: string) => process.stderr.write(`bench: ${text}\n`);

/** A fixed amount of CPU work (the best of three): its time tells whether the machine's speed moved. */
export function probe(): number {
  const data = Buffer.alloc(1 << 20, 7);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    for (let i = 0; i < 20; i++) createHash("sha256").update(data).digest();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

export type Pair<D> = { ratio: number; detail: D };
export type Paired<D> = { ratios: number[]; details: D[]; discarded: number };

/**
 * Runs `pair` once to warm up, then until `pairs` pairs ran on a steady machine (the probe before
 * and after within 15%); returns their ratios and details. When the machine never settles, the
 * unsteady pairs are kept and counted.
 */
export async function paired<D = undefined>(pairs: number, pair: () => Promise<number | Pair<D>>): Promise<Paired<D>> {
  const steady: Pair<D>[] = [];
  const unsteady: Pair<D>[] = [];
  await pair();
  while (steady.length < pairs && unsteady.length < pairs * 2) {
    const before = probe();
    const result = await pair();
    const after = probe();
    const run = typeof result === "number" ? { ratio: result, detail: undefined as D } : result;
    (Math.abs(after - before) / before > 0.15 ? unsteady : steady).push(run);
  }
  const kept = steady.length > 0 ? steady : unsteady;
  return {
    ratios: kept.map((run) => run.ratio),
    details: kept.map((run) => run.detail),
    discarded: steady.length > 0 ? unsteady.length : 0,
  };
}

/** A figure from paired ratios: their median against the goal. */
export function figure(
  spec: { name: string; database: string; unit: string; goal: string; met: (median: number) => boolean },
  result: { ratios: number[]; discarded: number },
  detail?: Record<string, unknown>,
): Figure {
  // A ratio of zero or less is a failed measurement (the memory figure's RSS deltas can be).
  const valid = result.ratios.filter((ratio) => Number.isFinite(ratio) && ratio > 0);
  const discarded = result.discarded + result.ratios.length - valid.length;
  const { met, ...rest } = spec;
  if (valid.length === 0) {
    return { ...rest, median: Number.NaN, min: Number.NaN, max: Number.NaN, met: false, pairs: 0, discarded, detail };
  }
  const value = median(valid);
  const round = (n: number) => Number(n.toFixed(3));
  return {
    ...rest,
    median: round(value),
    min: round(Math.min(...valid)),
    max: round(Math.max(...valid)),
    met: met(value),
    pairs: valid.length,
    discarded,
    detail,
  };
}

/** CPU seconds a process has used so far, all its threads (nanosecond counters, not ticks). */
export function processCpu(pid: number): number {
  let ns = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e9;
}

/**
 * CPU seconds of a process's main thread (its event loop) so far. A server's requests per second
 * are bounded by this thread; helper threads (the garbage collector's, libuv's) run beside it.
 */
export function mainThreadCpu(pid: number): number {
  return Number(readFileSync(`/proc/${pid}/task/${pid}/schedstat`, "utf8").split(" ")[0]) / 1e9;
}

export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}
