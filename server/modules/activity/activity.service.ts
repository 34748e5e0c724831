// The activity log: what happened in a user's vault, who did it and from where, never a value.
// Events are written in the transaction of the change they record (record), chained per user
// (activity-chain.ts), listed newest first, streamed live once committed, checked end to end
// (verify) and pruned after the retention period, leaving an anchor the check starts from.
import type { KeyOwner } from "../../auth/viewer.ts";
import { ACTIVITY_KEY_SCHEME, type ActivityKeys } from "../../crypto/activity-keys.ts";
import type { Db, RawSql } from "../../db/database.ts";
import { newId } from "../../db/ids.ts";
import type { SqlWork, UnitsOfWork } from "../../db/unit-of-work.ts";
import type { ActivityNotice, VaultEvents } from "../../events/events.ts";
import type { FeedSubscription } from "../../events/feeds.ts";
import {
  appendAtOnce,
  type EventRow,
  eventPage,
  headMovedError,
  insertEvent,
  readHead,
  setHead,
  takeNextPosition,
  takeOneMorePosition,
} from "./activity.dal.ts";
import { type ChainedEvent, type ChainHead, eventDigest, headMac } from "./activity-chain.ts";
import { type ExpectedHead, pruneChains, verifyChain } from "./activity-chain-check.ts";
import { type ActivityAction, type ActivityInput, type Doer, doerOf } from "./activity-event.ts";
import { systemActor } from "./actor.ts";
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

const KNOWN_HEADS = 10_000;

export const toNotice = (row: ActivityEventRow): ActivityNotice => ({ ...row, createdAt: row.createdAt.toISOString() });

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
  /** Plain SQL that can join a change and its event in one statement (PostgreSQL), for recordAtOnce. */
  joinedSql?: RawSql;
  /** The server's log: a chain whose head went back, pruning that stopped at an event that does not verify. */
  warn?: (line: string) => void;
}) {
  const { db, uow, chainKeys, events } = deps;
  const retentionDays = deps.retentionDays ?? 365;
  const onError = deps.onError ?? (() => {});

  /** The last head of each user's chain this instance wrote (a guess other instances may outdate). */
  const heads = new Map<string, ChainHead>();
  /** Each user's last append in one statement, which the next one waits for. */
  const appending = new Map<string, Promise<unknown>>();
  /**
   * The furthest position of each user's chain this instance saw committed. Chains only grow (no
   * instance ever moves a head back): a head found behind it was put back in the database.
   */
  const committed = new Map<string, number>();
  const warn = deps.warn ?? (() => {});
  function sawCommitted(userId: string, seq: number) {
    if ((committed.get(userId) ?? 0) >= seq) return;
    committed.delete(userId);
    if (committed.size >= KNOWN_HEADS) committed.delete(committed.keys().next().value as string);
    committed.set(userId, seq);
  }
  /** The event that says a chain went back, or null when it did not. */
  function rolledBack(userId: string, found: number): ActivityInput | null {
    const known = committed.get(userId);
    if (known === undefined || found >= known) return null;
    warn(
      `The activity log of user ${userId} went back from event ${known} to ${found}: events were removed from the database and an earlier head put back`,
    );
    // Reported once: the chain goes on from where it is now.
    committed.set(userId, found);
    return { action: "ACTIVITY_ROLLED_BACK", details: { from: known, to: found } };
  }
  function remember(userId: string, head: ChainHead) {
    heads.delete(userId);
    if (heads.size >= KNOWN_HEADS) heads.delete(heads.keys().next().value as string);
    heads.set(userId, head);
  }

  function eventOf(doer: Doer, input: ActivityInput, seq: number, keyVersion: number): ChainedEvent {
    return {
      id: newId(),
      userId: doer.userId,
      seq,
      action: input.action,
      actorKind: doer.actor.kind,
      actorId: doer.actor.id,
      actorName: doer.actor.name,
      address: doer.address,
      createdAt: new Date(),
      entryId: input.entry?.id ?? null,
      entryName: input.entry?.name ?? null,
      agentId: input.agent?.id ?? null,
      agentName: input.agent?.name ?? null,
      details: input.details ? JSON.stringify(input.details) : null,
      keyVersion,
    };
  }

  /** The event after `head`, its digest, and the head after it, with the head's MAC. */
  function chained(doer: Doer, input: ActivityInput, head: ChainHead) {
    const key = chainKeys.keyFor(doer.userId, doer.keySalt);
    const event = eventOf(doer, input, head.seq + 1, ACTIVITY_KEY_SCHEME);
    const digest = eventDigest(key, head.digest, event);
    const next: ChainHead = { seq: event.seq, digest, anchorSeq: head.anchorSeq, anchorDigest: head.anchorDigest };
    return {
      row: { ...event, digest },
      next,
      mac: headMac(key, doer.userId, next),
      keyVersion: ACTIVITY_KEY_SCHEME,
    };
  }

  /**
   * Appends an event to the doer's chain in the unit of work of the change it records; it is
   * published once that commits.
   */
  async function record(work: SqlWork, doer: Doer, input: ActivityInput): Promise<ActivityEventRow> {
    const run = work.sql;
    let head = await takeNextPosition(run, doer.userId, ACTIVITY_KEY_SCHEME);
    // The head is locked until the transaction ends: the notice goes in just before the event.
    const notice = rolledBack(doer.userId, head.seq);
    if (notice) {
      const vault: Doer = { ...doer, address: null, actor: systemActor("agent-vault") };
      const first = chained(vault, notice, head);
      await insertEvent(run, first.row);
      await takeOneMorePosition(run, doer.userId);
      work.afterCommit(() => publish([first.row]));
      head = first.next;
    }
    const { row, next, mac, keyVersion } = chained(doer, input, head);
    await insertEvent(run, row);
    await setHead(run, doer.userId, row.digest, mac, keyVersion);
    remember(doer.userId, next);
    work.afterCommit(() => publish([row]));
    return row;
  }

  /**
   * A change of one statement and its event, in one statement of their own (PostgreSQL): appended
   * after the head this instance last wrote, read again once if another writer moved it. Null when
   * it cannot be done so (SQLite, no chain yet, a busy chain): then nothing was written.
   */
  async function recordAtOnce(
    doer: Doer,
    input: ActivityInput,
    change: { sql: string; params: readonly unknown[] },
  ): Promise<ActivityEventRow | null> {
    const sql = deps.joinedSql;
    if (!sql) return null;
    // A user's appends from this instance take turns, so that each starts from the head the one
    // before it wrote: concurrent ones would all but one find the head moved.
    const before = appending.get(doer.userId);
    const mine = (before ?? Promise.resolve()).then(
      () => appendWithChange(sql, doer, input, change),
      () => appendWithChange(sql, doer, input, change),
    );
    appending.set(doer.userId, mine);
    try {
      return await mine;
    } finally {
      if (appending.get(doer.userId) === mine) appending.delete(doer.userId);
    }
  }

  async function appendWithChange(
    sql: RawSql,
    doer: Doer,
    input: ActivityInput,
    change: { sql: string; params: readonly unknown[] },
  ): Promise<ActivityEventRow | null> {
    for (let attempt = 0; attempt < 2; attempt++) {
      let head = attempt === 0 ? heads.get(doer.userId) : undefined;
      if (!head) {
        head = (await readHead(sql, doer.userId)) ?? undefined;
        if (!head) return null;
        // A head that went back is recorded (with its notice) in a transaction of record()'s.
        if ((committed.get(doer.userId) ?? 0) > head.seq) return null;
      }
      const { row, next, mac, keyVersion } = chained(doer, input, head);
      try {
        await appendAtOnce(sql, change, head, next, row, mac, keyVersion);
      } catch (error) {
        heads.delete(doer.userId);
        if (headMovedError(error)) continue;
        throw error;
      }
      remember(doer.userId, next);
      // One statement: committed as it returned.
      publish([row]);
      return row;
    }
    return null;
  }

  /** Once the events' transaction committed: subscribers hear them, and the chain is known to reach them. */
  function publish(rows: readonly ActivityEventRow[]) {
    for (const row of rows) {
      sawCommitted(row.userId, row.seq);
      events.activityAdded(row.userId, toNotice(row));
    }
  }

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
      pruneChains({ db, uow, chainKeys, forgetHead: (userId) => heads.delete(userId), warn }, retentionDays, now),
  };
}
