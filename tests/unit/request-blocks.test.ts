// Counting a limit of requests in blocks (request-blocks.ts, through limit-counters.ts's shared
// counters), against a LimitCounter table kept in memory that answers the four statements they send.
import { describe, expect, it } from "vitest";
import type { Sql } from "../../server/db/database.ts";
import type { UnitsOfWork } from "../../server/db/unit-of-work.ts";
import type { Counter } from "../../server/modules/limit/limit.dal.ts";
import { type CountedWindow, sharedCounters } from "../../server/modules/limit/limit-counters.ts";
import type { UsageBatch } from "../../server/modules/limit/usage-batch.ts";

type Row = { requests: number; tokens: number; costMicros: number; claimed: number };

type Hooks = {
  /** Runs before a claim is answered. */
  beforeClaim?: () => Promise<void>;
  /** Runs before a write of forwarded requests is answered. */
  beforeUsed?: () => Promise<void>;
};

/** The LimitCounter table in memory, its statements answered after `hooks`. */
function counterTable(hooks: Hooks = {}) {
  const table = new Map<string, Row>();
  const rows = async (text: string, params: readonly unknown[] = []): Promise<unknown[][]> => {
    if (text.includes(`INSERT INTO "LimitCounter"`)) {
      const [id, windowStart, count, max] = params as [string, number, number, number];
      await hooks.beforeClaim?.();
      const key = `${id}|${windowStart}`;
      const row = table.get(key) ?? { requests: 0, tokens: 0, costMicros: 0, claimed: 0 };
      if (table.has(key) && row.claimed + count > max) return [];
      row.claimed += count;
      table.set(key, row);
      return [[row.claimed]];
    }
    if (text.includes(`SET "claimed" = "claimed" -`)) {
      const [count, id, windowStart] = params as [number, string, number];
      const row = table.get(`${id}|${windowStart}`);
      if (row && row.claimed >= count) row.claimed -= count;
      return [];
    }
    if (text.includes(`SET "requests" = "LimitCounter"."requests" +`)) {
      const [count, id, windowStart] = params as [number, string, number];
      await hooks.beforeUsed?.();
      const row = table.get(`${id}|${windowStart}`);
      if (!row) return [];
      row.requests += count;
      return [[row.requests, row.tokens, row.costMicros]];
    }
    if (text.startsWith("SELECT")) {
      const [id, windowStart] = params as [string, number];
      const row = table.get(`${id}|${windowStart}`);
      return row ? [[id, windowStart, row.requests, row.tokens, row.costMicros]] : [];
    }
    throw new Error(`not a statement of request blocks: ${text}`);
  };
  const sql: Sql = {
    rows,
    objects: async () => {
      throw new Error("not used");
    },
    joinsWrites: true,
    roundTrips: true,
  };
  return { sql, table };
}

const limitOf = (maxRequests: number): CountedWindow => ({
  limit: { id: "limit-1", window: "MINUTE", maxRequests, maxTokens: null, maxCostMicros: null },
  windowStart: Date.UTC(2026, 11, 6, 12, 0),
});
const window = limitOf(5);

function counters(sql: Sql) {
  const errors: unknown[] = [];
  const store = sharedCounters({
    uow: {} as UnitsOfWork,
    sql,
    batch: {} as UsageBatch,
    onError: (error) => errors.push(error),
  });
  return { store, errors };
}

describe("a limit of requests counted in blocks", () => {
  it("forwards the maximum and no more, and counts each request once", async () => {
    const { sql, table } = counterTable();
    const { store, errors } = counters(sql);
    const results = await Promise.all(Array.from({ length: 12 }, () => store.reserve([window], 0, 0, () => {})));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    await store.flush();
    expect(table.get(`${window.limit.id}|${window.windowStart}`)).toMatchObject({ requests: 5, claimed: 5 });
    expect(errors).toEqual([]);
  });

  it("refuses only once the crossing the last request made is told, however slowly it is recorded", async () => {
    // The write of forwarded requests and the crossing's record both take a while, as they do
    // on a busy database: a refusal must not overtake them.
    const { sql } = counterTable({ beforeUsed: () => new Promise((resolve) => setTimeout(resolve, 20)) });
    const { store, errors } = counters(sql);
    const told: number[] = [];
    const counted = async (_window: CountedWindow, before: Counter, after: Counter) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      for (const percent of [80, 100]) {
        if (before.requests * 100 < percent * 5 && after.requests * 100 >= percent * 5) told.push(percent);
      }
    };
    for (let i = 0; i < 5; i++) expect((await store.reserve([window], 0, 0, counted)).ok).toBe(true);
    const refused = await store.reserve([window], 0, 0, counted);
    expect(refused).toMatchObject({ ok: false, current: { requests: 5 } });
    expect(told).toEqual([80, 100]);
    expect(errors).toEqual([]);
  });

  it("claims one request itself when the block claimed ahead, that it waited on, did not fit", async () => {
    const hundred = limitOf(100);
    const key = `${hundred.limit.id}|${hundred.windowStart}`;
    let gate: Promise<void> | null = null;
    let open = () => {};
    const { sql, table } = counterTable({ beforeClaim: () => gate ?? Promise.resolve() });
    const { store } = counters(sql);
    const reserve = () => store.reserve([hundred], 0, 0, () => {});
    // One request claimed alone, then a block of three (a 32nd of what is left), one of them used.
    expect((await reserve()).ok).toBe(true);
    expect((await reserve()).ok).toBe(true);
    expect(table.get(key)?.claimed).toBe(4);
    // The next leaves one free and claims the next block ahead, held at the database...
    gate = new Promise((resolve) => {
      open = resolve;
    });
    expect((await reserve()).ok).toBe(true);
    // ...while another instance claims all but two of the window.
    (table.get(key) as Row).claimed = 98;
    const last = reserve(); // the free one
    const waiting = reserve(); // waits on the block claimed ahead, which cannot fit
    gate = null;
    open();
    expect((await last).ok).toBe(true);
    expect((await waiting).ok).toBe(true);
    expect(table.get(key)?.claimed).toBe(99);
    expect((await reserve()).ok).toBe(true);
    expect((await reserve()).ok).toBe(false);
    expect(table.get(key)?.claimed).toBe(100);
  });
});
