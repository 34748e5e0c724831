// The activity log: what happened in a user's vault, who did it and from where, never a value.
// Events are written in the transaction of the change they record (record), chained per user
// (activity-chain.ts), listed newest first, streamed live once committed, checked end to end
// (verify) and pruned after the retention period, leaving an anchor the check starts from.
import type { KeyOwner } from "../../auth/viewer.ts";
import type { ActivityKeys } from "../../crypto/activity-keys.ts";
import type { Db, Sql } from "../../db/database.ts";
import type { UnitsOfWork } from "../../db/unit-of-work.ts";
import type { ActivityNotice, VaultEvents } from "../../events/events.ts";
import type { FeedSubscription } from "../../events/feeds.ts";
import { type EventRow, eventPage } from "./activity.dal.ts";
import { activityAppender, toNotice } from "./activity-append.ts";
import { type ExpectedHead, pruneChains, verifyChain } from "./activity-chain-check.ts";
import { type ActivityAction, type ActivityInput, type Doer, doerOf } from "./activity-event.ts";
import { fetchBatches } from "./fetch-batches.ts";

export {
  ACTIVITY_ACTIONS,
  type ActivityAction,
  type ActivityInput,
  type Doer,
  doerOf,
} from "./activity-event.ts";

export type ActivityEventRow = EventRow;

export type ActivityFilter = {
  entryId?: string | null;
  agentId?: string | null;
  actions?: readonly ActivityAction[] | null;
  since?: Date | null;
  until?: Date | null;
};

export { toNotice };

function matches(event: ActivityNotice, filter: ActivityFilter | null): boolean {
  if (!filter) return true;
  if (filter.entryId && event.entryId !== filter.entryId) return false;
  if (filter.agentId && event.agentId !== filter.agentId) return false;
  if (filter.actions?.length && !filter.actions.includes(event.action as ActivityAction)) return false;
  const at = Date.parse(event.createdAt);
  if (filter.since && at < filter.since.getTime()) return false;
  if (filter.until && at > filter.until.getTime()) return false;
  return true;
}

export type ActivityService = ReturnType<typeof activityService>;

export function activityService(deps: {
  db: Db;
  uow: UnitsOfWork;
  chainKeys: ActivityKeys;
  events: VaultEvents;
  /** Events older than this many days are pruned (AGENT_VAULT_ACTIVITY_DAYS; default 365). */
  retentionDays?: number;
  onError?: (error: unknown) => void;
  /** Plain SQL (the appender joins a change and its event in one statement where it can). */
  sql: Sql;
  /** The server's log: a chain whose head went back, pruning that stopped at an event that does not verify. */
  warn?: (line: string) => void;
}) {
  const { db, uow, chainKeys, events } = deps;
  const retentionDays = deps.retentionDays ?? 365;
  const onError = deps.onError ?? (() => {});

  const warn = deps.warn ?? (() => {});
  const appender = activityAppender({ chainKeys, events, sql: deps.sql, warn });
  const { record, recordAtOnce } = appender;

  /** One event in a transaction of its own (what it records changed nothing stored). */
  async function recordAlone(doer: Doer, input: ActivityInput): Promise<void> {
    await uow.sqlOnly((work) => record(work, doer, input));
  }

  const fetches = fetchBatches({ record: recordAlone, doerOf, onError });

  return {
    record,
    recordAtOnce,
    recordAlone,

    /**
     * A runtime environment fetch: recorded (before the fetch answers) the first time in a minute
     * for its agent and runtime token, then only counted (fetch-batches.ts).
     */
    fetched: fetches.fetched,

    /** New events of the viewer's vault that pass `filter`. */
    subscription: (filter: ActivityFilter | null): FeedSubscription<"activity"> => ({
      feed: "activity",
      accept: (event) => matches(event, filter),
    }),

    /** Writes the counts of fetches not yet recorded (at shutdown). */
    flushFetches: fetches.flush,

    /** A page of the owner's events, newest first: keyset on the position in the chain. */
    async page(
      owner: KeyOwner,
      args: { filter?: ActivityFilter | null; before?: number; after?: number; limit: number; inverted: boolean },
    ): Promise<ActivityEventRow[]> {
      return eventPage(db, owner.userId, { ...args, filter: args.filter ?? {} });
    },

    /**
     * Walks the owner's chain from its anchor to its head (activity-chain-check.ts); with `expect`,
     * a head verified before, also that the chain still holds it.
     */
    verify: (owner: KeyOwner, expect?: ExpectedHead | null) => verifyChain({ db, chainKeys }, owner, expect),

    /** Removes events older than the retention period, leaving each chain an anchor. */
    prune: (now = new Date()) =>
      pruneChains({ db, uow, chainKeys, forgetHead: appender.forgetHead, warn }, retentionDays, now),
  };
}
