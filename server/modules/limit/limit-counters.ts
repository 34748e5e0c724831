// Where limits' windows are counted. Both ways count a request in all its windows or in none, and
// never let a window pass a maximum, however many requests arrive at once:
// - shared (PostgreSQL, any number of instances): a limit of requests only is counted from blocks
//   of requests each instance claims ahead of need (request-blocks.ts: the claims never pass the
//   maximum, near it a block is one request); a limit of tokens or cost by one conditional
//   statement per window, in the database, each request (limit.dal.ts's reserve);
// - in process (SQLite, whose vault is one process): in memory, checked and counted in one
//   synchronous step, loaded from the database on first use and written back within a second and
//   at shutdown (a crash loses at most that second of counts).
import type { Sql } from "../../db/database.ts";
import type { ChangeWatch } from "../../db/postgres/change-watch.ts";
import type { UnitsOfWork } from "../../db/unit-of-work.ts";
import {
  type AppliedLimit,
  type Counter,
  countersIn,
  countersOf,
  reserve,
  settle,
  writeCounters,
} from "./limit.dal.ts";
import { windowEnd } from "./limit-window.ts";
import { countsInBlocks, requestBlocks } from "./request-blocks.ts";
import type { UsageBatch } from "./usage-batch.ts";

export type CountedWindow = { limit: AppliedLimit; windowStart: number };
/**
 * Each window's counts once the request was counted, or null when they reach the database after
 * (a block's request): `counted` then hears them.
 */
export type Reservation =
  | { ok: true; counters: (Counter | null)[] }
  | { ok: false; window: CountedWindow; current: Counter };
/**
 * A block's window's counts as forwarded requests reached the database: before and after them.
 * The write is done once what it returns is.
 */
export type OnCounted = (window: CountedWindow, before: Counter, after: Counter) => Promise<void> | void;

export type CounterStore = {
  /** Counts one request, with the tokens and cost it reserves, in every window, or in none. */
  reserve(
    windows: readonly CountedWindow[],
    tokens: number,
    costMicros: number,
    counted: OnCounted,
  ): Promise<Reservation>;
  /**
   * Adds to a window's tokens and cost; its counts afterwards (null: the limit is gone, or not
   * `urgent` and left to be written with the next batch).
   */
  settle(window: CountedWindow, tokens: number, costMicros: number, urgent: boolean): Promise<Counter | null>;
  /** The counts of these windows (absent: nothing used). */
  read(windows: readonly { limitId: string; windowStart: number }[]): Promise<Map<string, Counter>>;
  /** A removed limit: its counts are gone with it. */
  forget(limitId: string): void;
  /** Writes what is not written yet, and gives back what was claimed and not used (shutdown). */
  flush(): Promise<void>;
};

const ZERO: Counter = { requests: 0, tokens: 0, costMicros: 0 };
const NOT_DURABLE = { durable: false } as const;
const FLUSH_AFTER_MS = 1000;
const keyOf = (limitId: string, windowStart: number) => `${limitId}|${windowStart}`;

/** Whether a window with `counter` may count one more request (the statement's WHERE, in memory). */
export function underMaxima(limit: AppliedLimit, counter: Counter): boolean {
  return (
    (limit.maxRequests === null || counter.requests < limit.maxRequests) &&
    (limit.maxTokens === null || counter.tokens < limit.maxTokens) &&
    (limit.maxCostMicros === null || counter.costMicros < limit.maxCostMicros)
  );
}

class Refused extends Error {
  constructor(
    readonly window: CountedWindow,
    readonly current: Counter,
  ) {
    super("refused");
  }
}

/** In the database: exact across instances. */
export function sharedCounters(deps: {
  uow: UnitsOfWork;
  sql: Sql;
  batch: UsageBatch;
  onError: (error: unknown) => void;
  /** The other instances (PostgreSQL's change watch): asked to write what they hold before counts are read. */
  others?: Pick<ChangeWatch, "heardEverywhere" | "whenAsked">;
}): CounterStore {
  const { uow, sql, batch, others } = deps;
  const blocks = requestBlocks({ sql: deps.sql, onError: deps.onError });
  others?.whenAsked(() => blocks.written());

  /** The other windows, each request a conditional statement: counts after, or a refusal. */
  async function reserveEach(
    windows: readonly CountedWindow[],
    tokens: number,
    costMicros: number,
  ): Promise<Reservation> {
    const [only] = windows;
    if (windows.length === 1 && only) {
      // One window (most requests): its one statement is a transaction of its own.
      const alone = (text: string, params?: readonly unknown[]) => sql.objects(text, params);
      const counter = await reserve(alone, only.limit, only.windowStart, tokens, costMicros, { alone: true });
      if (counter) return { ok: true, counters: [counter] };
      return { ok: false, window: only, current: await currentOf(only) };
    }
    try {
      // Committed without waiting for PostgreSQL's disk (database.ts's WriteOptions).
      const counters = await uow.sqlOnly(async (work) => {
        const counted: Counter[] = [];
        for (const window of windows) {
          const counter = await reserve(work.sql, window.limit, window.windowStart, tokens, costMicros);
          if (!counter) {
            // Which maximum it is at: this transaction changed nothing and rolls back.
            throw new Refused(window, (await countersIn(work, window.limit.id, window.windowStart)) ?? ZERO);
          }
          counted.push(counter);
        }
        return counted;
      }, NOT_DURABLE);
      return { ok: true, counters };
    } catch (error) {
      if (error instanceof Refused) return { ok: false, window: error.window, current: error.current };
      throw error;
    }
  }

  async function currentOf(window: CountedWindow): Promise<Counter> {
    const found = await countersOf(sql, [{ limitId: window.limit.id, windowStart: window.windowStart }]);
    return found.values().next().value ?? ZERO;
  }

  return {
    async reserve(windows, tokens, costMicros, counted) {
      const inBlocks = windows.filter((w) => countsInBlocks(w.limit));
      const taken: CountedWindow[] = [];
      const giveBack = () => {
        for (const window of taken) blocks.unused(window);
      };
      for (const window of inBlocks) {
        if (!(await blocks.take(window))) {
          giveBack();
          // This instance's requests of the window are written, and their crossings recorded,
          // before the refusal: whoever hears the 429 finds the 100 % in the activity log.
          await blocks.written(window);
          return { ok: false, window, current: await currentOf(window) };
        }
        taken.push(window);
      }
      const rest = windows.filter((w) => !countsInBlocks(w.limit));
      let each: Reservation = { ok: true, counters: [] };
      if (rest.length > 0) {
        try {
          each = await reserveEach(rest, tokens, costMicros);
        } catch (error) {
          giveBack();
          throw error;
        }
      }
      if (!each.ok) {
        giveBack();
        return each;
      }
      for (const window of taken) blocks.used(window, counted);
      const counters = each.counters;
      return { ok: true, counters: windows.map((w) => (countsInBlocks(w.limit) ? null : (counters.shift() ?? null))) };
    },
    async settle(window, tokens, costMicros, urgent) {
      // What only a person reads (a request limit's tokens) goes with the next batch of usage.
      if (!urgent) {
        batch.settle(window.limit.id, window.windowStart, tokens, costMicros);
        return null;
      }
      return uow.sqlOnly(
        (work) => settle(work.sql, window.limit.id, window.windowStart, tokens, costMicros),
        NOT_DURABLE,
      );
    },
    async read(windows) {
      // Every instance's forwarded requests are in the counts read.
      await blocks.written();
      await others?.heardEverywhere();
      return countersOf(sql, windows);
    },
    forget: (limitId) => blocks.forget(limitId),
    flush: () => blocks.close(),
  };
}

type Held = { limit: AppliedLimit; windowStart: number; counter: Counter; dirty: boolean };

/** In this process's memory, written back in batches: exact for a vault that is one process. */
export function inProcessCounters(deps: {
  uow: UnitsOfWork;
  sql: Sql;
  now: () => number;
  onError: (error: unknown) => void;
}): CounterStore {
  const held = new Map<string, Held>();
  const loading = new Map<string, Promise<void>>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  /** Every window in memory: those not yet there read from the database, once each. */
  async function load(windows: readonly CountedWindow[]): Promise<void> {
    const missing = windows.filter((w) => !held.has(keyOf(w.limit.id, w.windowStart)));
    if (missing.length === 0) return;
    const waits: Promise<void>[] = [];
    const toRead = missing.filter((w) => {
      const pending = loading.get(keyOf(w.limit.id, w.windowStart));
      if (pending) waits.push(pending);
      return !pending;
    });
    if (toRead.length > 0) {
      const read = countersOf(
        deps.sql,
        toRead.map((w) => ({ limitId: w.limit.id, windowStart: w.windowStart })),
      ).then((found) => {
        for (const w of toRead) {
          const key = keyOf(w.limit.id, w.windowStart);
          loading.delete(key);
          if (!held.has(key)) {
            held.set(key, {
              limit: w.limit,
              windowStart: w.windowStart,
              counter: { ...(found.get(key) ?? ZERO) },
              dirty: false,
            });
          }
        }
      });
      for (const w of toRead) loading.set(keyOf(w.limit.id, w.windowStart), read);
      waits.push(read);
    }
    await Promise.all(waits);
  }

  /** The windows' slots, loaded first when they are not in memory. */
  async function slotsOf(windows: readonly CountedWindow[]): Promise<Held[]> {
    for (;;) {
      await load(windows);
      const found = windows.map((w) => held.get(keyOf(w.limit.id, w.windowStart)));
      if (found.every((slot) => slot !== undefined)) return found as Held[];
    }
  }

  function changed(slot: Held): void {
    slot.dirty = true;
    timer ??= setTimeout(() => void flush().catch(deps.onError), FLUSH_AFTER_MS).unref();
  }

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const due = [...held.values()].filter((slot) => slot.dirty);
    for (const slot of due) slot.dirty = false;
    const now = deps.now();
    // Windows that have ended are not counted in again: forgotten once written.
    for (const [key, slot] of held) {
      if (!slot.dirty && windowEnd(slot.limit.window, slot.windowStart) < now - 60_000) held.delete(key);
    }
    if (due.length === 0) return writing;
    const rows = due.map((slot) => ({ limitId: slot.limit.id, windowStart: slot.windowStart, ...slot.counter }));
    writing = writing.then(() => deps.uow.sqlOnly((work) => writeCounters(work.sql, rows), NOT_DURABLE));
    return writing;
  }

  return {
    async reserve(windows, tokens, costMicros) {
      const found = await slotsOf(windows);
      // One synchronous step: no other request is counted between the check and the count.
      for (const [i, slot] of found.entries()) {
        if (!underMaxima(slot.limit, slot.counter)) {
          return { ok: false, window: windows[i] as CountedWindow, current: { ...slot.counter } };
        }
      }
      return {
        ok: true,
        counters: found.map((slot) => {
          slot.counter.requests += 1;
          slot.counter.tokens += tokens;
          slot.counter.costMicros += costMicros;
          changed(slot);
          return { ...slot.counter };
        }),
      };
    },
    async settle(window, tokens, costMicros) {
      const [slot] = await slotsOf([window]);
      if (!slot) return null;
      slot.counter.tokens += tokens;
      slot.counter.costMicros += costMicros;
      changed(slot);
      return { ...slot.counter };
    },
    async read(windows) {
      const found = new Map<string, Counter>();
      const inMemory = windows.filter((w) => held.has(keyOf(w.limitId, w.windowStart)));
      for (const w of inMemory) {
        found.set(keyOf(w.limitId, w.windowStart), { ...(held.get(keyOf(w.limitId, w.windowStart)) as Held).counter });
      }
      const rest = windows.filter((w) => !held.has(keyOf(w.limitId, w.windowStart)));
      for (const [key, counter] of await countersOf(deps.sql, rest)) found.set(key, counter);
      return found;
    },
    forget(limitId) {
      for (const [key, slot] of held) if (slot.limit.id === limitId) held.delete(key);
    },
    flush,
  };
}
