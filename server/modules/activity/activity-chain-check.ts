// Checking a user's activity chain end to end, and pruning old events while keeping it checkable
// (activity-chain.ts holds the digests).
import type { KeyOwner } from "../../auth/viewer.ts";
import { ACTIVITY_KEY_SCHEME, type ActivityKeys } from "../../crypto/activity-keys.ts";
import type { Db } from "../../db/database.ts";
import type { UnitsOfWork } from "../../db/unit-of-work.ts";
import { keySaltOf } from "../user/user.dal.ts";
import { anyEvent, chainHead, chainUsers, eventsFrom, lockHead, removeEventsUpTo, setAnchor } from "./activity.dal.ts";
import { type ChainHead, eventDigest, headMac, sameDigest } from "./activity-chain.ts";

export type ChainCheck = {
  ok: boolean;
  /** Events checked. */
  checked: number;
  /** The first event that does not match (null when the end of the chain is what is wrong). */
  brokenEventId: string | null;
  brokenSequence: number | null;
  reason: string | null;
  /** The chain's head as stored (null when there is none): keep it to check against later. */
  head: { sequence: number; digest: string } | null;
};

/** A head a check confirmed before: the chain must still hold it, at its position. */
export type ExpectedHead = { sequence: number; digest: string };

type CheckDeps = { db: Db; chainKeys: ActivityKeys };

const CHECK_BATCH = 1000;

/**
 * Walks the owner's chain from its anchor to its head. With `expect` (a head an earlier check
 * confirmed, kept outside the database), the chain must still hold that event at its position: a
 * writer who removes the last events and puts an earlier genuine head back passes every MAC, but
 * not this.
 */
export async function verifyChain(deps: CheckDeps, owner: KeyOwner, expect?: ExpectedHead | null): Promise<ChainCheck> {
  const { db, chainKeys } = deps;
  const head = await chainHead(db, owner.userId);
  const stored = head ? { sequence: head.seq, digest: head.digest } : null;
  const broken = (checked: number, event: { id: string; seq: number } | null, reason: string): ChainCheck => ({
    ok: false,
    checked,
    brokenEventId: event?.id ?? null,
    brokenSequence: event?.seq ?? null,
    reason,
    head: stored,
  });
  const wentBack = (from: ExpectedHead, now: string) =>
    `the log went back: it reached event ${from.sequence} when it was last verified, and ${now} (events were removed and an earlier head put back)`;
  if (!head) {
    const any = await anyEvent(db, owner.userId);
    if (any) return broken(0, any, "the chain's head is missing");
    if (expect && expect.sequence > 0) return broken(0, null, wentBack(expect, "it is empty now"));
    return { ok: true, checked: 0, brokenEventId: null, brokenSequence: null, reason: null, head: null };
  }
  const key = chainKeys.keyFor(owner.userId, owner.keySalt);
  if (head.keyVersion !== ACTIVITY_KEY_SCHEME || !sameDigest(headMac(key, owner.userId, head), head.headMac)) {
    return broken(0, null, "the chain's head was changed (its position, digest or anchor)");
  }
  if (expect) {
    if (expect.sequence > head.seq) return broken(0, null, wentBack(expect, `ends at event ${head.seq} now`));
    // Pruned past it: the anchor, which only the vault can move, is further on.
    const atAnchor = expect.sequence === head.anchorSeq && !sameDigest(expect.digest, head.anchorDigest);
    if (atAnchor) return broken(0, null, wentBack(expect, "holds another event there now"));
  }
  let expected = head.anchorSeq + 1;
  let previous = head.anchorDigest;
  let checked = 0;
  for (;;) {
    const rows = await eventsFrom(db, owner.userId, expected, CHECK_BATCH);
    for (const row of rows) {
      if (row.seq !== expected) {
        return broken(checked, row, `event ${expected} is missing: the chain skips from ${expected - 1} to ${row.seq}`);
      }
      if (
        row.keyVersion !== ACTIVITY_KEY_SCHEME ||
        row.userId !== owner.userId ||
        !sameDigest(eventDigest(key, previous, row), row.digest)
      ) {
        return broken(checked, row, "its content or position does not match its digest (changed, moved or swapped)");
      }
      if (expect && row.seq === expect.sequence && !sameDigest(row.digest, expect.digest)) {
        return broken(checked, row, wentBack(expect, "holds another event there now"));
      }
      previous = row.digest;
      expected++;
      checked++;
    }
    if (rows.length < CHECK_BATCH) break;
  }
  if (expected - 1 !== head.seq || previous !== head.digest) {
    return broken(
      checked,
      null,
      `the chain ends at event ${expected - 1}, but its head says ${head.seq}: events were removed`,
    );
  }
  return { ok: true, checked, brokenEventId: null, brokenSequence: null, reason: null, head: stored };
}

/**
 * Removes events older than the retention period, oldest first, each user's chain keeping an
 * anchor (the last removed position and digest) that the check starts from. Only events that
 * verify are removed: the walk from the anchor checks each digest, and stops at the first event
 * that does not match (an event backdated in the database to be pruned is one), which stays, with
 * everything after it, and is named in the server's log.
 */
export async function pruneChains(
  deps: CheckDeps & {
    uow: UnitsOfWork;
    forgetHead: (userId: string) => void;
    warn: (line: string) => void;
  },
  retentionDays: number,
  now = new Date(),
): Promise<number> {
  const { db, chainKeys } = deps;
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const chains = await chainUsers(db);
  let removed = 0;
  for (const { userId } of chains) {
    removed += await deps.uow.run(async ({ db: tx, sql }) => {
      // Locks the head first: an event appended meanwhile would otherwise be left out of its MAC.
      await lockHead(sql, userId);
      const head = await chainHead(tx, userId);
      if (!head) return 0;
      const key = chainKeys.keyFor(userId, await keySaltOf(tx, userId));
      // The head is re-signed over the anchor, so only the vault can move it: the check of the
      // head first confirms the one it replaces was the vault's own.
      if (!sameDigest(headMac(key, userId, head), head.headMac)) {
        deps.warn(`Pruning the activity log of user ${userId} skipped: its head does not verify`);
        return 0;
      }
      let last: { seq: number; digest: string } | null = null;
      let previous = head.anchorDigest;
      let expected = head.anchorSeq + 1;
      walk: for (;;) {
        const rows = await eventsFrom(tx, userId, expected, CHECK_BATCH);
        for (const row of rows) {
          if (row.createdAt.getTime() >= cutoff.getTime()) break walk;
          const verifies =
            row.seq === expected &&
            row.keyVersion === ACTIVITY_KEY_SCHEME &&
            sameDigest(eventDigest(key, previous, row), row.digest);
          if (!verifies) {
            deps.warn(
              `Pruning the activity log of user ${userId} stopped at event ${row.seq} (${row.id}): it does not match its digest, so it and what follows are kept; agent-vault activity verify names it`,
            );
            break walk;
          }
          last = { seq: row.seq, digest: row.digest };
          previous = row.digest;
          expected++;
        }
        if (rows.length < CHECK_BATCH) break;
      }
      if (!last) return 0;
      const anchored: ChainHead = {
        seq: head.seq,
        digest: head.digest,
        anchorSeq: last.seq,
        anchorDigest: last.digest,
      };
      const count = await removeEventsUpTo(tx, userId, last.seq);
      deps.forgetHead(userId);
      await setAnchor(tx, userId, {
        anchorSeq: last.seq,
        anchorDigest: last.digest,
        headMac: headMac(key, userId, anchored),
        keyVersion: ACTIVITY_KEY_SCHEME,
      });
      return count;
    });
  }
  return removed;
}
