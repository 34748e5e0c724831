// Checking a user's activity chain end to end, and pruning old events while keeping it checkable
// (activity-chain.ts holds the digests).
import type { KeyOwner } from "../../auth/viewer.ts";
import { ACTIVITY_KEY_SCHEME, type ActivityKeys } from "../../crypto/activity-keys.ts";
import type { Db, Transact, TxSql } from "../../db/database.ts";
import { type ChainHead, eventDigest, headMac, sameDigest } from "./activity-chain.ts";

export type ChainCheck = {
  ok: boolean;
  /** Events checked. */
  checked: number;
  /** The first event that does not match (null when the end of the chain is what is wrong). */
  brokenEventId: string | null;
  brokenSequence: number | null;
  reason: string | null;
};

type CheckDeps = { db: Db; chainKeys: ActivityKeys };

const CHECK_BATCH = 1000;

/** Walks the owner's chain from its anchor to its head. */
export async function verifyChain(deps: CheckDeps, owner: KeyOwner): Promise<ChainCheck> {
  const { db, chainKeys } = deps;
  const head = await db.activityChain.findUnique({ where: { userId: owner.userId } });
  const broken = (checked: number, event: { id: string; seq: number } | null, reason: string): ChainCheck => ({
    ok: false,
    checked,
    brokenEventId: event?.id ?? null,
    brokenSequence: event?.seq ?? null,
    reason,
  });
  if (!head) {
    const any = await db.activityEvent.findFirst({
      where: { userId: owner.userId },
      select: { id: true, seq: true },
    });
    return any
      ? broken(0, any, "the chain's head is missing")
      : { ok: true, checked: 0, brokenEventId: null, brokenSequence: null, reason: null };
  }
  const key = chainKeys.keyFor(owner.userId, owner.keySalt);
  if (head.keyVersion !== ACTIVITY_KEY_SCHEME || !sameDigest(headMac(key, owner.userId, head), head.headMac)) {
    return broken(0, null, "the chain's head was changed (its position, digest or anchor)");
  }
  let expected = head.anchorSeq + 1;
  let previous = head.anchorDigest;
  let checked = 0;
  for (;;) {
    const rows = await db.activityEvent.findMany({
      where: { userId: owner.userId, seq: { gte: expected } },
      orderBy: { seq: "asc" },
      take: CHECK_BATCH,
    });
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
  return { ok: true, checked, brokenEventId: null, brokenSequence: null, reason: null };
}

/**
 * Removes events older than the retention period, oldest first, each user's chain keeping an
 * anchor (the last removed position and digest) that the check starts from.
 */
export async function pruneChains(
  deps: CheckDeps & { transaction: Transact; txSql: TxSql; forgetHead: (userId: string) => void },
  retentionDays: number,
  now = new Date(),
): Promise<number> {
  const { db, txSql, chainKeys } = deps;
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const chains = await db.activityChain.findMany({ select: { userId: true } });
  let removed = 0;
  for (const { userId } of chains) {
    removed += await deps.transaction(async (tx) => {
      // Locks the head first: an event appended meanwhile would otherwise be left out of its MAC.
      await txSql(tx, 'UPDATE "ActivityChain" SET "seq" = "seq" WHERE "userId" = ?', [userId]);
      const last = await tx.activityEvent.findFirst({
        where: { userId, createdAt: { lt: cutoff } },
        orderBy: { seq: "desc" },
        select: { seq: true, digest: true },
      });
      if (!last) return 0;
      const user = await tx.user.findUniqueOrThrow({ where: { id: userId }, select: { keySalt: true } });
      const head = await tx.activityChain.findUniqueOrThrow({ where: { userId } });
      if (last.seq <= head.anchorSeq) return 0;
      const key = chainKeys.keyFor(userId, user.keySalt);
      const anchored: ChainHead = {
        seq: head.seq,
        digest: head.digest,
        anchorSeq: last.seq,
        anchorDigest: last.digest,
      };
      // The head is re-signed over the anchor, so only the vault can move it: the check of the
      // head first confirms the one it replaces was the vault's own.
      if (!sameDigest(headMac(key, userId, head), head.headMac)) return 0;
      const { count } = await tx.activityEvent.deleteMany({ where: { userId, seq: { lte: last.seq } } });
      deps.forgetHead(userId);
      await tx.activityChain.update({
        where: { userId },
        data: {
          anchorSeq: last.seq,
          anchorDigest: last.digest,
          headMac: headMac(key, userId, anchored),
          keyVersion: ACTIVITY_KEY_SCHEME,
        },
      });
      return count;
    });
  }
  return removed;
}
