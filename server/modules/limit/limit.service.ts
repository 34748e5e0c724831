// Spend and rate limits per agent, enforced at the broker: a request is counted in each of its
// limits' windows before it is forwarded (refused when one is at a maximum), its tokens and cost
// reserved from what it asks for and settled from what the provider says it used. Usage per agent,
// secret and hour is what a person sees. Subscribers hear of a limit at 80 % and at 100 %.
import DataLoader from "dataloader";
import type { Viewer } from "../../auth/viewer.ts";
import type { Db, Sql } from "../../db/database.ts";
import type { ChangeWatch } from "../../db/postgres/change-watch.ts";
import type { UnitsOfWork } from "../../db/unit-of-work.ts";
import type { FeedSubscription } from "../../events/feeds.ts";
import { type ActivityService, doerOf } from "../activity/activity.service.ts";
import type { Doer } from "../activity/activity-event.ts";
import { requireAgent } from "../agent/agent.lookup.ts";
import { NotFoundError, ValidationError } from "../common/errors.ts";
import { entriesByIds } from "../entry/entry.dal.ts";
import { requireEntries } from "../entry/entry.lookup.ts";
import {
  type AppliedLimit,
  type Counter,
  costSince,
  createLimit,
  deleteLimit,
  type LimitRow,
  limitsOfAgent,
  pruneUsage,
  usageHours,
} from "./limit.dal.ts";
import { type CountedWindow, type CounterStore, inProcessCounters, sharedCounters } from "./limit-counters.ts";
import { type LimitWindow, secondsToReset, windowEnd, windowStart } from "./limit-window.ts";
import { costMicros, type PriceTable, priceOf } from "./prices.ts";
import { usageBatch } from "./usage-batch.ts";
import type { Usage } from "./usage-meter.ts";

export type LimitInput = {
  agentId: string;
  secretId?: string | null;
  window: LimitWindow;
  maxRequests?: number | null;
  maxTokens?: number | null;
  maxCostUsd?: number | null;
};

export type Used = { requests: number; tokens: number; costUsd: number };
export type AgentLimit = LimitRow & { secretName: string | null; used: Used; resetsAt: Date };

export type Measure = "requests" | "tokens" | "costUsd";

/** A brokered request on its way: whose, through which secret. */
export type LimitedRequest = {
  doer: Doer;
  agent: { id: string; name: string };
  entry: { id: string; name: string };
  provider: string | null;
};

/** What admit() counted a request in: settled once its answer has ended. */
export type Admission = {
  request: LimitedRequest;
  at: number;
  model: string | null;
  reserved: { tokens: number; costMicros: number };
  windows: CountedWindow[];
};

export type Refusal = { limit: Limit; measure: Measure; retryAfter: number };

type Limit = AppliedLimit;

const MICROS = 1_000_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const MAX_USAGE_DAYS = 400;

export class LimitRefusedError extends Error {
  override name = "LimitRefusedError";
  constructor(readonly refusal: Refusal) {
    super(`over the agent's ${refusal.limit.window.toLowerCase()} limit of ${refusal.measure}`);
  }
}

const maximaOf = (limit: Limit): [Measure, number, (counter: Counter) => number][] =>
  [
    ["requests", limit.maxRequests, (c: Counter) => c.requests] as const,
    ["tokens", limit.maxTokens, (c: Counter) => c.tokens] as const,
    ["costUsd", limit.maxCostMicros, (c: Counter) => c.costMicros] as const,
  ].filter((m): m is [Measure, number, (counter: Counter) => number] => m[1] !== null);

/** The thresholds (80 %, 100 %) a change of `before` to `after` crosses upwards. */
function crossed(before: number, after: number, max: number): number[] {
  return [80, 100].filter((percent) => before * 100 < percent * max && after * 100 >= percent * max);
}

function positiveInteger(value: number | null | undefined, field: string, what: string): number | null {
  if (value === null || value === undefined) return null;
  if (!Number.isSafeInteger(value) || value < 1)
    throw new ValidationError(`${what} must be a whole number of 1 or more`, field);
  return value;
}

export type LimitService = ReturnType<typeof limitService>;

export function limitService(deps: {
  db: Db;
  sql: Sql;
  uow: UnitsOfWork;
  activity: ActivityService;
  prices: PriceTable;
  /** Milliseconds since 1970 (tests move it). */
  now?: () => number;
  retentionDays?: number;
  /** A batch of usage that could not be written. */
  onError?: (error: unknown) => void;
  /** Where windows are counted (limit-counters.ts): in the database, or in this one process (SQLite). */
  counting?: "shared" | "in-process";
  /** PostgreSQL: the other instances, asked to write the requests they counted before counts are read. */
  changes?: ChangeWatch;
}) {
  const { db, sql, uow, activity, prices } = deps;
  const now = deps.now ?? Date.now;
  const onError = deps.onError ?? (() => {});
  const batch = usageBatch({ uow, onError });
  const counters: CounterStore =
    deps.counting === "in-process"
      ? inProcessCounters({ uow, sql, now, onError })
      : sharedCounters({ uow, sql, batch, onError, others: deps.changes });

  async function withUsed(rows: LimitRow[], names: Map<string, string>, at: number): Promise<AgentLimit[]> {
    const windows = rows.map((row) => ({ limitId: row.id, windowStart: windowStart(row.window, at) }));
    const read = await counters.read(windows);
    return rows.map((row, i) => {
      const counter = read.get(`${row.id}|${windows[i]?.windowStart}`) ?? { requests: 0, tokens: 0, costMicros: 0 };
      return {
        ...row,
        secretName: row.entryId ? (names.get(row.entryId) ?? null) : null,
        used: { requests: counter.requests, tokens: counter.tokens, costUsd: counter.costMicros / MICROS },
        resetsAt: new Date(windowEnd(row.window, at)),
      };
    });
  }

  /** Records each threshold the window's counts crossed: an activity event, heard live. */
  async function recordCrossings(
    request: LimitedRequest,
    limit: Limit,
    before: Counter,
    after: Counter,
    window: number,
  ): Promise<void> {
    for (const [measure, max, read] of maximaOf(limit)) {
      for (const percent of crossed(read(before), read(after), max)) {
        await activity.recordAlone(request.doer, {
          action: "LIMIT_REACHED",
          agent: request.agent,
          entry: request.entry,
          details: {
            limitId: limit.id,
            window: limit.window,
            windowStart: new Date(window).toISOString(),
            measure,
            percent,
            used: measure === "costUsd" ? read(after) / MICROS : read(after),
            maximum: measure === "costUsd" ? max / MICROS : max,
          },
        });
      }
    }
  }

  return {
    /** Sets a limit on an agent's brokered requests (of one secret, or all of them). */
    async set(viewer: Viewer, input: LimitInput): Promise<AgentLimit> {
      const maxRequests = positiveInteger(input.maxRequests, "maxRequests", "A maximum of requests");
      const maxTokens = positiveInteger(input.maxTokens, "maxTokens", "A maximum of tokens");
      let maxCostMicros: number | null = null;
      if (input.maxCostUsd !== null && input.maxCostUsd !== undefined) {
        maxCostMicros = Math.round(input.maxCostUsd * MICROS);
        if (!Number.isFinite(input.maxCostUsd) || maxCostMicros < 1 || maxCostMicros > Number.MAX_SAFE_INTEGER) {
          throw new ValidationError(
            "A maximum cost must be a positive amount of USD (at least $0.000001)",
            "maxCostUsd",
          );
        }
      }
      if (maxRequests === null && maxTokens === null && maxCostMicros === null) {
        throw new ValidationError(
          "A limit needs at least one maximum: maxRequests, maxTokens or maxCostUsd",
          "maxRequests",
        );
      }
      const limit = await uow.run(async (work) => {
        const agent = await requireAgent(work.db, viewer.userId, input.agentId);
        let entry: { id: string; name: string } | null = null;
        if (input.secretId) {
          const [found] = await requireEntries(work.db, viewer.userId, [input.secretId]);
          if (!found?.upstream) {
            throw new ValidationError(
              `${found?.name ?? "This secret"} is not brokered: a limit applies to requests through the broker`,
              "secretId",
            );
          }
          entry = { id: found.id, name: found.name };
        }
        const row = await createLimit(work.db, {
          userId: viewer.userId,
          agentId: agent.id,
          entryId: entry?.id ?? null,
          window: input.window,
          maxRequests,
          maxTokens,
          maxCostMicros,
        });
        await activity.record(work, doerOf(viewer), {
          action: "LIMIT_SET",
          agent,
          entry,
          details: {
            limitId: row.id,
            window: row.window,
            ...(maxRequests !== null ? { maxRequests } : {}),
            ...(maxTokens !== null ? { maxTokens } : {}),
            ...(maxCostMicros !== null ? { maxCostUsd: maxCostMicros / MICROS } : {}),
          },
        });
        return { row, names: new Map(entry ? [[entry.id, entry.name]] : []) };
      });
      const [withCounts] = await withUsed([limit.row], limit.names, now());
      return withCounts as AgentLimit;
    },

    /** Removes a limit; its counts go with it. */
    async remove(viewer: Viewer, id: string): Promise<{ id: string; agentId: string }> {
      return uow.run(async (work) => {
        const removed = await deleteLimit(work.db, viewer.userId, id);
        if (!removed) throw new NotFoundError("limit", id);
        counters.forget(removed.id);
        const agent = await requireAgent(work.db, viewer.userId, removed.agentId);
        await activity.record(work, doerOf(viewer), {
          action: "LIMIT_REMOVED",
          agent,
          details: { limitId: removed.id, window: removed.window },
        });
        return { id: removed.id, agentId: removed.agentId };
      });
    },

    /** An agent's limits, each with what its current window has used and when it resets. */
    async ofAgent(userId: string, agentId: string): Promise<AgentLimit[]> {
      const rows = await limitsOfAgent(db, userId, agentId);
      const entryIds = rows.flatMap((row) => (row.entryId ? [row.entryId] : []));
      const entries = entryIds.length ? await entriesByIds(db, userId, entryIds) : [];
      return withUsed(rows, new Map(entries.map((e) => [e.id, e.name])), now());
    },

    /**
     * Counts a request in each of its limits' windows, with what it reserves, or refuses it
     * (LimitRefusedError) and counts it nowhere. Null when no limit applies.
     */
    async admit(
      request: LimitedRequest,
      asks: { model: string | null; maxTokens: number },
      limits: Limit[],
    ): Promise<Admission | null> {
      if (limits.length === 0) return null;
      const at = now();
      const price = priceOf(prices, asks.model);
      const reserved = {
        tokens: asks.maxTokens,
        costMicros: price ? costMicros(price, 0, asks.maxTokens) : 0,
      };
      const windows = limits.map((limit) => ({ limit, windowStart: windowStart(limit.window, at) }));
      // A window whose counts reach the database after the request went hears its crossings then.
      const counted = (window: CountedWindow, before: Counter, after: Counter) =>
        recordCrossings(request, window.limit, before, after, window.windowStart).catch(onError);
      const reservation = await counters.reserve(windows, reserved.tokens, reserved.costMicros, counted);
      if (!reservation.ok) {
        const { limit } = reservation.window;
        const measure = maximaOf(limit).find(([, max, read]) => read(reservation.current) >= max)?.[0] ?? "requests";
        throw new LimitRefusedError({ limit, measure, retryAfter: secondsToReset(limit.window, at) });
      }
      for (const [i, window] of windows.entries()) {
        const counter = reservation.counters[i];
        if (!counter) continue;
        const before = {
          requests: counter.requests - 1,
          tokens: counter.tokens - reserved.tokens,
          costMicros: counter.costMicros - reserved.costMicros,
        };
        const requestsOnly = { ...window.limit, maxTokens: null, maxCostMicros: null };
        await recordCrossings(request, requestsOnly, before, counter, window.windowStart);
      }
      return {
        request,
        at,
        model: asks.model,
        reserved,
        windows,
      };
    },

    /** Now, by the limits' clock (tests move it). */
    now,

    /**
     * What a forwarded request used: its usage hour, and (when it was admitted under limits) the
     * differences from its reservation in each window.
     */
    async settle(
      request: LimitedRequest,
      admission: Admission | null,
      outcome: { usage: Usage; status: number },
    ): Promise<void> {
      const { usage } = outcome;
      const model = usage.model ?? admission?.model ?? null;
      const price = priceOf(prices, model);
      const priced = usage.found && (usage.costUsd !== null || price !== null);
      const cost =
        usage.costUsd !== null
          ? Math.round(usage.costUsd * MICROS)
          : price && usage.found
            ? costMicros(price, usage.inputTokens, usage.outputTokens)
            : 0;
      const tokens = usage.inputTokens + usage.outputTokens;
      const at = admission?.at ?? now();
      const reserved = admission?.reserved ?? { tokens: 0, costMicros: 0 };
      const dTokens = tokens - reserved.tokens;
      const dCost = cost - reserved.costMicros;
      batch.add({
        userId: request.doer.userId,
        agentId: request.agent.id,
        entryId: request.entry.id,
        hourStart: Math.floor(at / HOUR_MS) * HOUR_MS,
        secretName: request.entry.name,
        provider: request.provider ?? "",
        requests: 1,
        inputTokens: usage.inputTokens,
        outputTokens: usage.outputTokens,
        costMicros: cost,
        errors: outcome.status >= 400 || outcome.status === 0 ? 1 : 0,
        unpricedRequests: priced ? 0 : 1,
      });
      if (dTokens === 0 && dCost === 0) return;
      for (const window of admission?.windows ?? []) {
        // A limit of tokens or cost is settled at once (its next request is measured against it).
        const urgent = window.limit.maxTokens !== null || window.limit.maxCostMicros !== null;
        const after = await counters.settle(window, dTokens, dCost, urgent);
        if (!after || !urgent) continue;
        const before = {
          requests: after.requests,
          tokens: after.tokens - dTokens,
          costMicros: after.costMicros - dCost,
        };
        await recordCrossings(request, { ...window.limit, maxRequests: null }, before, after, window.windowStart);
      }
    },

    /** Writes the counts and usage not yet written (tests, and shutdown). */
    flush: async () => {
      await counters.flush();
      await batch.flush();
    },

    /** Whether a request must be read before it goes: a limit of tokens or cost needs its max_tokens. */
    needsReservation: (limits: Limit[]) => limits.some((l) => l.maxTokens !== null || l.maxCostMicros !== null),

    /** An agent's usage from `from` to `to`, in buckets of an hour or a day, per provider and secret. */
    async usage(userId: string, agentId: string, range: { from: Date; to: Date; bucket: "HOUR" | "DAY" }) {
      const from = range.from.getTime();
      const to = range.to.getTime();
      if (!(to > from)) throw new ValidationError("`to` must be after `from`", "to");
      if (to - from > MAX_USAGE_DAYS * DAY_MS) {
        throw new ValidationError(`Usage is asked for at most ${MAX_USAGE_DAYS} days at once`, "from");
      }
      const size = range.bucket === "DAY" ? DAY_MS : HOUR_MS;
      const rows = await usageHours(sql, userId, agentId, Math.floor(from / HOUR_MS) * HOUR_MS, to);
      const buckets = new Map<string, UsageBucket>();
      for (const row of rows) {
        const start = Math.floor(row.hourStart / size) * size;
        const key = `${start}|${row.provider}|${row.secretName}`;
        let bucket = buckets.get(key);
        if (!bucket) {
          bucket = {
            start: new Date(start),
            provider: row.provider || null,
            secretName: row.secretName,
            requests: 0,
            inputTokens: 0,
            outputTokens: 0,
            costUsd: 0,
            errors: 0,
            unpricedRequests: 0,
          };
          buckets.set(key, bucket);
        }
        bucket.requests += row.requests;
        bucket.inputTokens += row.inputTokens;
        bucket.outputTokens += row.outputTokens;
        bucket.costUsd += row.costMicros / MICROS;
        bucket.errors += row.errors;
        bucket.unpricedRequests += row.unpricedRequests;
      }
      return [...buckets.values()];
    },

    /** Each agent's spend today, batched per request (the Agents list). */
    spentTodayLoader(viewer: Viewer) {
      return new DataLoader<string, number>(
        async (agentIds) => {
          const costs = await costSince(sql, viewer.userId, windowStart("DAY", now()));
          return agentIds.map((id) => (costs.get(id) ?? 0) / MICROS);
        },
        { cache: false },
      );
    },

    /** Limits reached (80 %, 100 %) of the viewer's agents, or of one. */
    notices: (agentId: string | null): FeedSubscription<"activity"> => ({
      feed: "activity",
      accept: (event) => event.action === "LIMIT_REACHED" && (agentId === null || event.agentId === agentId),
    }),

    /** Removes usage older than the retention period. */
    prune: () => pruneUsage(sql, now() - (deps.retentionDays ?? 365) * DAY_MS),
  };
}

export type UsageBucket = {
  start: Date;
  provider: string | null;
  secretName: string;
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  errors: number;
  unpricedRequests: number;
};
