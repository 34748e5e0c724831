// Usage as a person sees it, written in batches: a busy agent must not cost a write per request.
// Rows of the same agent, secret and hour (and settlements of the same window) are summed in
// memory and written together within a second, and at shutdown. A crash loses at most that second
// of usage; limits of tokens or cost are settled at once instead (limit.service.ts).
import type { UnitsOfWork } from "../../db/unit-of-work.ts";
import { addUsage, settle, type UsageRow } from "./limit.dal.ts";

const FLUSH_AFTER_MS = 1000;

type Settlement = { limitId: string; windowStart: number; tokens: number; costMicros: number };

export type UsageBatch = ReturnType<typeof usageBatch>;

export function usageBatch(deps: { uow: UnitsOfWork; onError: (error: unknown) => void }) {
  let rows = new Map<string, UsageRow>();
  let settlements = new Map<string, Settlement>();
  let timer: NodeJS.Timeout | undefined;
  let writing: Promise<void> = Promise.resolve();

  const schedule = () => {
    timer ??= setTimeout(() => void flush().catch(deps.onError), FLUSH_AFTER_MS).unref();
  };

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = undefined;
    const due = { rows: [...rows.values()], settlements: [...settlements.values()] };
    rows = new Map();
    settlements = new Map();
    if (due.rows.length === 0 && due.settlements.length === 0) return writing;
    // One batch at a time, in order.
    writing = writing.then(() =>
      deps.uow.sqlOnly(
        async (work) => {
          for (const s of due.settlements) await settle(work.sql, s.limitId, s.windowStart, s.tokens, s.costMicros);
          for (const row of due.rows) await addUsage(work.sql, row);
        },
        { durable: false },
      ),
    );
    return writing;
  }

  return {
    add(row: UsageRow): void {
      const key = `${row.agentId}|${row.entryId}|${row.hourStart}`;
      const known = rows.get(key);
      if (!known) rows.set(key, { ...row });
      else {
        known.secretName = row.secretName;
        known.requests += row.requests;
        known.inputTokens += row.inputTokens;
        known.outputTokens += row.outputTokens;
        known.costMicros += row.costMicros;
        known.errors += row.errors;
        known.unpricedRequests += row.unpricedRequests;
      }
      schedule();
    },

    settle(limitId: string, windowStart: number, tokens: number, costMicros: number): void {
      const key = `${limitId}|${windowStart}`;
      const known = settlements.get(key);
      if (!known) settlements.set(key, { limitId, windowStart, tokens, costMicros });
      else {
        known.tokens += tokens;
        known.costMicros += costMicros;
      }
      schedule();
    },

    flush,
  };
}
