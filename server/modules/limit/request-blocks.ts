// A limit of requests only, counted on a shared database without a statement on each request's
// way: each instance claims requests of the window ahead of need, in blocks, and forwards only the
// requests it holds. The claims never pass the maximum (one conditional statement each), so no
// more than the maximum are forwarded across every instance; far from it a block is up to 256
// requests, claimed again when half is used, and near it a block is one request, claimed when one
// is needed. What an instance does not use within a quarter of a second (or before it stops) it
// gives back, for another instance to claim. Forwarded requests are added to the window's
// "requests" (what a person reads, and what crossings are told from) after they were admitted: at
// once near the 80 % a crossing is told at, otherwise at most once a second (each statement's CPU
// falls on some request's way: written every 20 ms, a limited request's added latency at the
// median was 1.03-1.06 of the forwarder's, once a second 0.97-1.00). A read of the counts first
// has every instance write what it holds (limit.service.ts), so what a person reads is not behind;
// a refusal first has this instance write the window's requests and record their crossings.
import type { Sql } from "../../db/database.ts";
import { type AppliedLimit, addUsedRequests, type Counter, claimRequests, giveBackRequests } from "./limit.dal.ts";

type Window = { limit: AppliedLimit; windowStart: number };
/** Told a window's counts as they reach the database; what it returns is waited for before the next write. */
type OnCounted = (window: Window, before: Counter, after: Counter) => Promise<void> | void;

const MOST = 256;
/** A block is at most 1/SHARE of what is left unclaimed: the claims left for others stay many. */
const SHARE = 32;
const IDLE_MS = 250;
const WRITE_EVERY_MS = 1000;

/** Whether a limit is counted in blocks: one of requests only. */
export const countsInBlocks = (limit: AppliedLimit) =>
  limit.maxRequests !== null && limit.maxTokens === null && limit.maxCostMicros === null;

/** How many requests to claim at once, `known` the window's claims when last seen. */
export function blockSize(max: number, known: number | null): number {
  if (known === null) return 1;
  return Math.max(1, Math.min(MOST, Math.floor((max - known) / SHARE)));
}

type Block = {
  windowStart: number;
  /** Claimed by this instance and not used yet. */
  free: number;
  /** The window's claims (every instance's) when last seen, or a lower bound of them. */
  known: number | null;
  claiming: Promise<boolean> | null;
  /** The claim under way is one ahead of need: if it does not fit, a request may still claim one. */
  ahead: boolean;
  lastUse: number;
  idle?: NodeJS.Timeout;
};

type Pending = {
  window: Window;
  count: number;
  counted: OnCounted | null;
  writing: Promise<void> | null;
  /** When the last write began (performance.now()), and the timer of the next. */
  wrote: number;
  /** A request waiting to be written is near a crossing: written as soon as the last write ends. */
  urgent: boolean;
  later?: NodeJS.Timeout;
};

export function requestBlocks(deps: { sql: Sql; onError: (error: unknown) => void }) {
  const { sql, onError } = deps;
  const blocks = new Map<string, Block>();
  const pending = new Map<string, Pending>();

  function blockOf(window: Window): Block {
    let block = blocks.get(window.limit.id);
    if (!block || block.windowStart !== window.windowStart) {
      if (block?.idle) clearTimeout(block.idle);
      // A window that has ended: what was claimed in it is of no use any more.
      block = { windowStart: window.windowStart, free: 0, known: null, claiming: null, ahead: false, lastUse: 0 };
      blocks.set(window.limit.id, block);
    }
    return block;
  }

  /** Claims a block; whether it got one. `ahead`: claimed before it is needed, only as a whole block. */
  function claim(block: Block, window: Window, ahead: boolean): Promise<boolean> {
    if (block.claiming) return block.claiming;
    const max = window.limit.maxRequests as number;
    const size = blockSize(max, block.known);
    block.ahead = ahead;
    block.claiming = (async () => {
      const { id } = window.limit;
      let got = size;
      let total = await claimRequests(sql, id, window.windowStart, size, max);
      if (total === null) {
        // The claims are within `size` of the maximum.
        block.known = Math.max(block.known ?? 0, max - size + 1);
        if (ahead || size === 1) return false;
        got = 1;
        total = await claimRequests(sql, id, window.windowStart, 1, max);
        if (total === null) {
          block.known = max;
          return false;
        }
      }
      block.known = total;
      if (blocks.get(id) !== block) {
        // The window ended or the limit went meanwhile.
        await giveBackRequests(sql, id, window.windowStart, got);
        return false;
      }
      block.free += got;
      return true;
    })().finally(() => {
      block.claiming = null;
    });
    return block.claiming;
  }

  function giveBackIdle(block: Block, window: Window): void {
    block.idle = undefined;
    if (block.free === 0 || blocks.get(window.limit.id) !== block) return;
    const since = performance.now() - block.lastUse;
    if (since < IDLE_MS || block.claiming) {
      block.idle = setTimeout(() => giveBackIdle(block, window), IDLE_MS).unref();
      return;
    }
    const count = block.free;
    block.free = 0;
    if (block.known !== null) block.known -= count;
    giveBackRequests(sql, window.limit.id, window.windowStart, count).catch(onError);
  }

  /** Writes a window's forwarded requests: now, or (not `urgent`) once WRITE_EVERY_MS passed since the last. */
  function write(key: string, urgent: boolean): void {
    const entry = pending.get(key);
    if (!entry || entry.count === 0) return;
    entry.urgent ||= urgent;
    if (entry.writing) return;
    const wait = entry.wrote + WRITE_EVERY_MS - performance.now();
    if (!entry.urgent && wait > 0) {
      entry.later ??= setTimeout(() => {
        entry.later = undefined;
        write(key, true);
      }, wait).unref();
      return;
    }
    clearTimeout(entry.later);
    entry.later = undefined;
    const { window, counted } = entry;
    const count = entry.count;
    entry.count = 0;
    entry.urgent = false;
    entry.wrote = performance.now();
    entry.writing = addUsedRequests(sql, window.limit.id, window.windowStart, count).then(
      async (after) => {
        // The crossing is recorded before this write counts as done: a refusal, a read or a
        // shutdown that waits for the write finds it recorded.
        if (after && counted) {
          try {
            await counted(window, { ...after, requests: after.requests - count }, after);
          } catch (error) {
            onError(error);
          }
        }
        entry.writing = null;
        if (entry.count > 0) write(key, false);
      },
      (error) => {
        // Written with the next request of this window, or at the next read or shutdown.
        entry.count += count;
        entry.writing = null;
        onError(error);
      },
    );
  }

  /**
   * Writes the forwarded requests of every window (or of `only`) now; once they are written (or
   * failed, three times).
   */
  async function writeAll(only?: Window): Promise<void> {
    const keys = () => (only ? [`${only.limit.id}|${only.windowStart}`] : [...pending.keys()]);
    for (let pass = 0; pass < 3; pass++) {
      for (const key of keys()) write(key, true);
      const writing = keys().flatMap((key) => {
        const entry = pending.get(key);
        return entry?.writing ? [entry.writing] : [];
      });
      if (writing.length === 0) return;
      await Promise.all(writing);
    }
  }

  return {
    /** Takes one request of the window for a request about to go; false when the window has none left. */
    async take(window: Window): Promise<boolean> {
      for (;;) {
        const block = blockOf(window);
        if (block.free > 0) {
          block.free--;
          block.lastUse = performance.now();
          const size = blockSize(window.limit.maxRequests as number, block.known);
          if (size > 1 && block.free <= size / 2 && !block.claiming) claim(block, window, true).catch(onError);
          if (block.free > 0) block.idle ??= setTimeout(() => giveBackIdle(block, window), IDLE_MS).unref();
          return true;
        }
        const ahead = block.claiming !== null && block.ahead;
        // A block claimed ahead that did not fit says nothing of one request: that is claimed next.
        if (!(await claim(block, window, false)) && !ahead) return false;
      }
    },

    /** A request taken and then not sent (another limit refused it): free for the next. */
    unused(window: Window): void {
      const block = blocks.get(window.limit.id);
      if (block?.windowStart === window.windowStart) block.free++;
    },

    /** A request taken and sent: added to the window's requests, now or with the next write. */
    used(window: Window, counted: OnCounted): void {
      const key = `${window.limit.id}|${window.windowStart}`;
      let entry = pending.get(key);
      if (!entry) {
        // A new window: the limit's ended ones that have nothing left to write are done with.
        for (const [other, done] of pending) {
          if (done.window.limit.id === window.limit.id && done.count === 0 && !done.writing) pending.delete(other);
        }
        entry = { window, count: 0, counted, writing: null, wrote: 0, urgent: false };
        pending.set(key, entry);
      }
      entry.count++;
      entry.counted = counted;
      // Near a crossing (the claims, a bound of what was used, are at 80 %), it is told at once.
      const known = blocks.get(window.limit.id)?.known ?? null;
      const max = window.limit.maxRequests as number;
      write(key, known === null || known * 100 >= 80 * max);
    },

    /** Once every request this instance sent (in `window`, or in all) is in the database, its crossings recorded. */
    written: writeAll,

    forget(limitId: string): void {
      const block = blocks.get(limitId);
      if (block?.idle) clearTimeout(block.idle);
      blocks.delete(limitId);
      for (const [key, entry] of pending) {
        if (entry.window.limit.id !== limitId) continue;
        clearTimeout(entry.later);
        pending.delete(key);
      }
    },

    /** Gives back every request claimed and not used, and writes every one sent (shutdown). */
    async close(): Promise<void> {
      const returns = [...blocks.entries()].map(([limitId, block]) => {
        if (block.idle) clearTimeout(block.idle);
        const count = block.free;
        block.free = 0;
        return count > 0 ? giveBackRequests(sql, limitId, block.windowStart, count).catch(onError) : null;
      });
      blocks.clear();
      await Promise.all(returns);
      await writeAll();
    },
  };
}
