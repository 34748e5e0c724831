// Appending to the activity log: each event written in the unit of work of the change it records,
// chained to the one before it in its user's chain (activity-chain.ts), and published once that
// commits; on PostgreSQL, a change of one statement and its event in one statement. A chain found
// behind what this instance committed was rolled back in the database: said in the log, and
// recorded as ACTIVITY_ROLLED_BACK.
import { confirmIn, pendingCheck } from "../../auth/confirmation.ts";
import { ACTIVITY_KEY_SCHEME, type ActivityKeys } from "../../crypto/activity-keys.ts";
import type { Sql } from "../../db/database.ts";
import { newId } from "../../db/ids.ts";
import type { SqlWork } from "../../db/unit-of-work.ts";
import type { ActivityNotice, VaultEvents } from "../../events/events.ts";
import {
  appendAtOnce,
  type EventRow,
  headMovedError,
  insertEvent,
  moveHead,
  readHead,
  setHead,
  takeNextPosition,
  takeOneMorePosition,
} from "./activity.dal.ts";
import { type ChainedEvent, type ChainHead, eventDigest, headMac } from "./activity-chain.ts";
import type { ActivityInput, Doer } from "./activity-event.ts";
import { systemActor } from "./actor.ts";

const KNOWN_HEADS = 10_000;

export const toNotice = (row: EventRow): ActivityNotice => ({ ...row, createdAt: row.createdAt.toISOString() });

export type ActivityAppender = ReturnType<typeof activityAppender>;

export function activityAppender(deps: {
  chainKeys: ActivityKeys;
  events: VaultEvents;
  /** Plain SQL; when it joins writes (PostgreSQL), recordAtOnce writes a change and its event at once. */
  sql: Sql;
  warn: (line: string) => void;
}) {
  const { chainKeys, events, warn } = deps;
  /** The last head of each user's chain this instance wrote (a guess other instances may outdate). */
  const heads = new Map<string, ChainHead>();
  /** Each user's last append in one statement, which the next one waits for. */
  const appending = new Map<string, Promise<unknown>>();
  /**
   * The furthest position of each user's chain this instance saw committed. Chains only grow (no
   * instance ever moves a head back): a head found behind it was put back in the database.
   */
  const committed = new Map<string, number>();
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
  async function record(work: SqlWork, doer: Doer, input: ActivityInput): Promise<EventRow> {
    const run = work.sql;
    await confirmIn(run, doer.unconfirmed);
    // After the head this instance last wrote, in one statement, while it is still that head.
    const known = heads.get(doer.userId);
    if (known && (committed.get(doer.userId) ?? 0) <= known.seq) {
      const { row, next, mac, keyVersion } = chained(doer, input, known);
      if (await moveHead(run, doer.userId, known, next, mac, keyVersion)) {
        await insertEvent(run, row);
        remember(doer.userId, next);
        work.afterCommit(() => publish([row]));
        return row;
      }
      heads.delete(doer.userId);
    }
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
  ): Promise<EventRow | null> {
    const { sql } = deps;
    if (!sql.joinsWrites) return null;
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
    sql: Sql,
    doer: Doer,
    input: ActivityInput,
    change: { sql: string; params: readonly unknown[] },
  ): Promise<EventRow | null> {
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
        // A token not confirmed yet is, by the same statement: nothing is written without it.
        await appendAtOnce(sql, change, head, next, row, mac, keyVersion, pendingCheck(doer.unconfirmed));
      } catch (error) {
        heads.delete(doer.userId);
        // Or the token is no longer as verified: then record() finds so in its transaction.
        if (headMovedError(error)) continue;
        throw error;
      }
      if (doer.unconfirmed) doer.unconfirmed.confirmed = true;
      remember(doer.userId, next);
      // One statement: committed as it returned.
      publish([row]);
      return row;
    }
    return null;
  }

  /** Once the events' transaction committed: subscribers hear them, and the chain is known to reach them. */
  function publish(rows: readonly EventRow[]) {
    for (const row of rows) {
      sawCommitted(row.userId, row.seq);
      events.activityAdded(row.userId, toNotice(row));
    }
  }

  return {
    record,
    recordAtOnce,
    /** This instance's guess of a user's head is stale (pruning moved its anchor). */
    forgetHead: (userId: string) => heads.delete(userId),
  };
}
