// The activity log's hash chain. Each event's digest is an HMAC, under a key derived per user
// (user-keys.ts), over the previous event's digest and everything the event says; the chain's head
// (its last position and digest, and the anchor left by pruning) carries an HMAC of its own. An
// event edited, removed or moved in the database no longer matches; without the key, no
// matching digest can be made.
import { createHmac, type KeyObject, timingSafeEqual } from "node:crypto";

/** What an event says, as the digest covers it. */
export type ChainedEvent = {
  id: string;
  userId: string;
  seq: number;
  action: string;
  actorKind: string;
  actorId: string | null;
  actorName: string | null;
  address: string | null;
  createdAt: Date;
  entryId: string | null;
  entryName: string | null;
  agentId: string | null;
  agentName: string | null;
  details: string | null;
  keyVersion: number;
};

export type ChainHead = { seq: number; digest: string; anchorSeq: number; anchorDigest: string };

export function eventDigest(key: KeyObject, previous: string, event: ChainedEvent): string {
  const content = JSON.stringify([
    "agent-vault/activity/v1",
    event.userId,
    event.seq,
    event.id,
    event.action,
    event.actorKind,
    event.actorId,
    event.actorName,
    event.address,
    event.createdAt.toISOString(),
    event.entryId,
    event.entryName,
    event.agentId,
    event.agentName,
    event.details,
    event.keyVersion,
  ]);
  return createHmac("sha256", key).update(previous).update("\n").update(content).digest("hex");
}

export function headMac(key: KeyObject, userId: string, head: ChainHead): string {
  const content = JSON.stringify([
    "agent-vault/activity-head/v1",
    userId,
    head.seq,
    head.digest,
    head.anchorSeq,
    head.anchorDigest,
  ]);
  return createHmac("sha256", key).update(content).digest("hex");
}

export function sameDigest(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
