// Counting a limit of requests in blocks (request-blocks.ts, through limit-counters.ts's shared
// counters), against a LimitCounter table kept in memory that answers the four statements they send.
import { describe, expect, it } from "vitest";
import type { Sql } from "../../server/db/database.ts";
import type { UnitsOfWork } from "../../server/db/unit-of-work.ts";
import type { Counter } from "../../server/modules/limit/limit.dal.ts";
import { type CountedWindow, sharedCounters } from "../../server/modules/limit/limit-counters.ts";
import type { UsageBatch } from "../../server/modules/limit/usage-batch.ts";

type Row = { requests: number; tokens: number; costMicros: number; claimed: number };

/** The LimitCounter table in memory; `beforeUsed` runs before each write of forwarded requests answers. */
function counterTable(beforeUsed: () => Promise<void> = async () => {}) {
  const table = new Map<string, Row>();
  const rows = async (text: string, params: readonly unknown[] = []): Promise<unknown[][]> => {
    if (text.includes(`INSERT INTO "LimitCounter"`)) {
      const [id, windowStart, count, max] = params as [string, number, number, number];
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
      await beforeUsed();
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

const window: CountedWindow = {
  limit: { id: "limit-1", window: "MINUTE", maxRequests: 5, maxTokens: null, maxCostMicros: null },
  windowStart: Date.UTC(2026, 11, 6, 12, 0),
};

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
    const { sql } = counterTable(() => new Promise((resolve) => setTimeout(resolve, 20)));
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
});
