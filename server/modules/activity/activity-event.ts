// What an activity event says and who it is of: the actions, the doer (actor, keys, address)
// and the input every module records with.
import type { Confirmation, KeyOwner } from "../../auth/viewer.ts";
import { type Actor, actorOf } from "./actor.ts";

export const ACTIVITY_ACTIONS = [
  "ENTRY_ADDED",
  "ENTRY_UPDATED",
  "ENTRY_RESTORED",
  "ENTRY_DELETED",
  "ENTRY_ATTACHED",
  "ENTRY_DETACHED",
  "ENTRIES_IMPORTED",
  "IMPORT_UNDONE",
  "AGENT_CREATED",
  "AGENT_UPDATED",
  "AGENT_RESTARTED",
  "AGENT_DELETED",
  "API_TOKEN_CREATED",
  "API_TOKEN_REVOKED",
  "RUNTIME_TOKEN_CREATED",
  "RUNTIME_TOKEN_REVOKED",
  "PROVIDER_CONNECTED",
  "PROVIDER_DISCONNECTED",
  "PROVIDER_REFRESHED",
  "ENVIRONMENT_FETCHED",
  "BROKER_REQUESTS",
  "LIMIT_SET",
  "LIMIT_REMOVED",
  "LIMIT_REACHED",
  "SECRET_LEAK_BLOCKED",
  "SECRET_LEAK_REDACTED",
  "SECRET_LEAK_SEEN",
  "SIGN_IN_FAILED",
  "ACTIVITY_ROLLED_BACK",
] as const;
export type ActivityAction = (typeof ACTIVITY_ACTIONS)[number];

/**
 * Who acts, with the keys their events are chained under and the address they came from; a token
 * not read again for this request is confirmed by the statement that records its first event.
 */
export type Doer = KeyOwner & { actor: Actor; address: string | null; unconfirmed?: Confirmation };

export const doerOf = (
  viewer: KeyOwner & { address: string; unconfirmed?: Confirmation } & Parameters<typeof actorOf>[0],
): Doer => ({
  userId: viewer.userId,
  keySalt: viewer.keySalt,
  address: viewer.address,
  actor: actorOf(viewer),
  ...(viewer.unconfirmed ? { unconfirmed: viewer.unconfirmed } : {}),
});

export type ActivityInput = {
  action: ActivityAction;
  entry?: { id: string; name: string } | null;
  agent?: { id: string; name: string } | null;
  /** Counts, versions, names of tokens and providers: never a value. */
  details?: Record<string, unknown> | null;
};
