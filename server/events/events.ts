// Events between requests (and, with Redis, between server instances): restart-needed notices
// and token revocations for a user's subscribers, restart commands for an agent's runtimes.
// Published only after the change they describe is committed. They never carry a value.
import { setMaxListeners } from "node:events";
import type { TypedEventTarget } from "@graphql-yoga/typed-event-target";
import type { ChainedEvent } from "../modules/activity/activity-chain.ts";
import type { EnvironmentChange } from "../modules/agent/restart-state.ts";

export type RestartNotice = {
  type: "restart-needed";
  agentId: string;
  entryName: string;
  change: EnvironmentChange;
  occurredAt: string;
  /** The agent restarts by itself (its restart policy is ON_CHANGE): nobody needs to act. */
  automatic: boolean;
};
export type TokenRevoked = { type: "token-revoked"; tokenId: string };
export type UserEvent = RestartNotice | TokenRevoked;
/** `startedAt`: the start the command asks for; a runtime already running it has nothing to do. */
export type RuntimeCommand = {
  type: "restart";
  agentId: string;
  issuedAt: string;
  startedAt: string | null;
  /** Issued by the vault itself (an ON_CHANGE agent after a change), not by a person. */
  automatic: boolean;
};
/** An agent's runtime streams end: one runtime token's (revoked), or every one (the agent was deleted). */
export type RuntimeEnded = { type: "ended"; agentId: string; tokenId: string | null };
/** An activity event as published: its time as ISO text (it may cross Redis as JSON). */
export type ActivityNotice = Omit<ChainedEvent, "createdAt" | "keyVersion"> & { createdAt: string };
export type PendingNotice = { agentId: string; entryName: string; change: EnvironmentChange; automatic?: boolean };
/** An AI provider card's status changed (an OAuth token refreshed, refused, expiring). */
export type ProviderStatusNotice = {
  provider: string;
  status: string;
  lastError: string | null;
  expiresAt: string | null;
  lastRefreshedAt: string | null;
  occurredAt: string;
};

type Target = TypedEventTarget<CustomEvent>;

/** The kinds of events a user's subscribers follow (feeds.ts), and what each carries. */
export type FeedName = "restarts" | "activity" | "providers";
export type FeedEvent<F extends FeedName> = {
  restarts: RestartNotice;
  activity: ActivityNotice;
  providers: ProviderStatusNotice;
}[F];
const FEED_TOPICS: Record<FeedName, string> = { restarts: "user", activity: "activity", providers: "providers" };

/**
 * An async iterator over one topic whose listener is registered at once, not on the first
 * next(): a subscriber is live as soon as its subscription has started.
 */
function subscribe<T>(target: Target, topic: string): AsyncIterableIterator<T> {
  const queue: T[] = [];
  let wake: (() => void) | undefined;
  let done = false;
  const listener = (event: CustomEvent) => {
    queue.push(event.detail as T);
    wake?.();
  };
  target.addEventListener(topic, listener as EventListener);
  const finish = async (): Promise<IteratorResult<T>> => {
    if (!done) {
      done = true;
      target.removeEventListener(topic, listener as EventListener);
      wake?.();
    }
    return { done: true, value: undefined };
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<T>> {
      while (!done) {
        const value = queue.shift();
        if (value !== undefined) return { done: false, value };
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
      return { done: true, value: undefined };
    },
    return: finish,
    throw: async (error: unknown) => {
      await finish();
      throw error;
    },
  };
}

export type VaultEvents = ReturnType<typeof createVaultEvents>;

/**
 * The vault's events on `target` (in process, or Redis). Topic names start with `prefix`, so that
 * vaults (or other programs) sharing a Redis server keep to their own channels.
 */
export function createVaultEvents(target: Target = new EventTarget() as Target, prefix = "agent-vault:") {
  // Every open subscription is a listener: thousands on one topic are expected, not a leak.
  if (target instanceof EventTarget) setMaxListeners(0, target);
  const publish = (topic: string, detail: unknown) =>
    target.dispatchEvent(new CustomEvent(`${prefix}${topic}`, { detail }));
  return {
    restartNeeded(userId: string, notices: readonly PendingNotice[]) {
      const occurredAt = new Date().toISOString();
      for (const notice of notices) {
        publish(`user:${userId}`, {
          type: "restart-needed",
          ...notice,
          automatic: notice.automatic ?? false,
          occurredAt,
        });
      }
    },
    tokenRevoked(userId: string, tokenId: string) {
      publish(`user:${userId}`, { type: "token-revoked", tokenId });
    },
    runtimeCommand(agentId: string, type: RuntimeCommand["type"], startedAt: Date | null, automatic = false) {
      publish(`runtime:${agentId}`, {
        type,
        agentId,
        issuedAt: new Date().toISOString(),
        startedAt: startedAt?.toISOString() ?? null,
        automatic,
      });
    },
    providerStatusChanged(userId: string, notice: Omit<ProviderStatusNotice, "occurredAt">) {
      publish(`providers:${userId}`, { ...notice, occurredAt: new Date().toISOString() });
    },
    activityAdded(userId: string, event: ActivityNotice) {
      publish(`activity:${userId}`, event);
    },
    /**
     * Calls `listener` with each event of the user's feed as it is published (the restart feed
     * also carries token revocations); returns the way to stop.
     */
    listen<F extends FeedName>(
      feed: F,
      userId: string,
      listener: (event: FeedEvent<F> | TokenRevoked) => void,
    ): () => void {
      const topic = `${prefix}${FEED_TOPICS[feed]}:${userId}`;
      const handler = (event: Event) => listener((event as CustomEvent).detail as FeedEvent<F> | TokenRevoked);
      target.addEventListener(topic, handler as EventListener);
      return () => target.removeEventListener(topic, handler as EventListener);
    },
    /** Ends the agent's open command streams (of one runtime token, or all) on every instance. */
    runtimeEnded(agentId: string, tokenId: string | null) {
      publish(`runtime:${agentId}`, { type: "ended", agentId, tokenId });
    },
    runtimeCommands: (agentId: string) =>
      subscribe<RuntimeCommand | RuntimeEnded>(target, `${prefix}runtime:${agentId}`),
  };
}
