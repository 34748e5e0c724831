// Every subscriber of a user's events, of every kind (restart notices, activity, provider status),
// delivered the way a broadcast is: one listener per user and feed on this instance, not one per
// subscriber. An event is filtered per subscriber, its token checks run once per token, what
// subscribers with the same sharing key receive is made once (a GraphQL result, executed once per
// operation), and it is written to every subscriber in one synchronous loop. Subscribers are
// pushed to (a server-sent-event stream) or pull (an iterator, for the other transports); both join
// here. Every subscription of the API reads from this one source.
import { GraphQLError } from "graphql";
import type { StreamGuard } from "../auth/stream-checks.ts";
import { streamKey, type Viewer } from "../auth/viewer.ts";
import type { FeedEvent, FeedName, VaultEvents } from "./events.ts";

/** Where a subscriber's deliveries go; `end` closes it (after `error`, if given). */
export type FeedSink<R> = { write(delivery: R): void; end(error?: GraphQLError): void };

/**
 * What one subscription follows: a feed, the events it accepts, and (when it names something, such
 * as an agent) the check that it may, which ends the subscription with its error when it fails.
 */
export type FeedSubscription<F extends FeedName> = {
  feed: F;
  accept(event: FeedEvent<F>): boolean;
  ready?: Promise<void>;
};

export type FeedMember<F extends FeedName, R = FeedEvent<F>> = {
  viewer: Viewer;
  /** Whether this subscriber wants the event (its filter). */
  accept(event: FeedEvent<F>): boolean;
  /** Subscribers with the same sharing key get the same delivery for an event. */
  sharingKey: string;
  /** What the subscriber receives for an event (made once per sharing key). */
  prepare(event: FeedEvent<F>): R | Promise<R>;
  sink: FeedSink<R>;
};

type Joined = FeedMember<FeedName, unknown> & { tokenKey: string; closed: boolean; unwatch: () => void };
type Hub = { members: Set<Joined>; stop: () => void; queue: Promise<void> };

export const revokedError = () =>
  new GraphQLError("The token of this subscription was revoked or has expired", {
    extensions: { code: "UNAUTHENTICATED" },
  });

export const unexpectedError = () =>
  new GraphQLError("Unexpected error.", { extensions: { code: "INTERNAL_SERVER_ERROR" } });

export type Feeds = ReturnType<typeof feeds>;

export function feeds(deps: { events: VaultEvents; guard: StreamGuard }) {
  const { events, guard } = deps;
  /** By feed and user. */
  const hubs = new Map<string, Hub>();
  /** Every member of a user, of every feed: a revoked token ends all of its streams. */
  const byUser = new Map<string, Set<Joined>>();
  /** While a user has members: the listener for revocations (they travel with restart notices). */
  const revocations = new Map<string, () => void>();

  function close(member: Joined, feedKey: string, error?: GraphQLError) {
    if (member.closed) return;
    member.closed = true;
    member.unwatch();
    const hub = hubs.get(feedKey);
    hub?.members.delete(member);
    if (hub && hub.members.size === 0) {
      hub.stop();
      hubs.delete(feedKey);
    }
    const own = byUser.get(member.viewer.userId);
    own?.delete(member);
    if (own && own.size === 0) {
      byUser.delete(member.viewer.userId);
      revocations.get(member.viewer.userId)?.();
      revocations.delete(member.viewer.userId);
    }
    member.sink.end(error);
  }

  async function deliver(hub: Hub, feedKey: string, event: FeedEvent<FeedName>) {
    const targets = [...hub.members].filter((member) => member.accept(event));
    if (targets.length === 0) return;
    const valid = new Map<string, Promise<boolean>>();
    const prepared = new Map<string, Promise<unknown>>();
    for (const member of targets) {
      if (!valid.has(member.tokenKey)) valid.set(member.tokenKey, guard.beforeEvent(event, member.tokenKey));
      if (!prepared.has(member.sharingKey)) {
        prepared.set(
          member.sharingKey,
          Promise.resolve().then(() => member.prepare(event)),
        );
      }
    }
    let validity: Map<string, boolean>;
    let deliveries: Map<string, unknown>;
    try {
      [validity, deliveries] = await Promise.all([settle(valid), settle(prepared)]);
    } catch {
      for (const member of targets) close(member, feedKey, unexpectedError());
      return;
    }
    for (const member of targets) {
      if (member.closed) continue;
      if (!validity.get(member.tokenKey)) close(member, feedKey, revokedError());
      else member.sink.write(deliveries.get(member.sharingKey));
    }
  }

  function hubFor(feed: FeedName, userId: string): { hub: Hub; feedKey: string } {
    const feedKey = `${feed}\u0000${userId}`;
    let hub = hubs.get(feedKey);
    if (!hub) {
      const created: Hub = { members: new Set(), stop: () => {}, queue: Promise.resolve() };
      // One event at a time, so that every subscriber gets them in the order they were published.
      created.stop = events.listen(feed, userId, (event) => {
        if ("type" in event && event.type === "token-revoked") return;
        created.queue = created.queue
          .then(() => deliver(created, feedKey, event as FeedEvent<FeedName>))
          .catch(() => {});
      });
      hubs.set(feedKey, created);
      hub = created;
    }
    return { hub, feedKey };
  }

  const feedKeys = new WeakMap<Joined, string>();
  const closeAnywhere = (member: Joined, error?: GraphQLError) => close(member, feedKeys.get(member) as string, error);

  /** Adds a subscriber; it receives events at once. Returns the way to leave (ending it with `error`). */
  function join<F extends FeedName, R>(feed: F, subscriber: FeedMember<F, R>): (error?: GraphQLError) => void {
    const tokenKey = streamKey(subscriber.viewer);
    const member = { ...subscriber, tokenKey, closed: false, unwatch: () => {} } as unknown as Joined;
    const { hub, feedKey } = hubFor(feed, subscriber.viewer.userId);
    feedKeys.set(member, feedKey);
    hub.members.add(member);
    const userId = subscriber.viewer.userId;
    let own = byUser.get(userId);
    if (!own) {
      own = new Set();
      byUser.set(userId, own);
      // A revocation ends the token's streams of every feed, on every instance, at once.
      revocations.set(
        userId,
        events.listen("restarts", userId, (event) => {
          if (!("type" in event) || event.type !== "token-revoked") return;
          for (const found of [...(byUser.get(userId) ?? [])]) {
            if (found.viewer.tokenId === event.tokenId) closeAnywhere(found, revokedError());
          }
        }),
      );
    }
    own.add(member);
    // A sweep that finds the token gone ends the stream even when no event comes.
    member.unwatch = guard.watch(tokenKey, () => close(member, feedKey, revokedError()));
    return (error?: GraphQLError) => close(member, feedKey, error);
  }

  /** The events a subscriber accepts, as an iterator (the transports that pull). */
  function iterate<F extends FeedName>(
    feed: F,
    viewer: Viewer,
    accept: (event: FeedEvent<F>) => boolean,
  ): AsyncIterableIterator<FeedEvent<F>> {
    const queue: FeedEvent<F>[] = [];
    let ended: { error?: GraphQLError } | null = null;
    let wake: (() => void) | undefined;
    const leave = join(feed, {
      viewer,
      accept,
      sharingKey: "",
      prepare: (event) => event,
      sink: {
        write(event) {
          queue.push(event);
          wake?.();
        },
        end(error) {
          ended = { error };
          wake?.();
        },
      },
    });
    const finish = async (): Promise<IteratorResult<FeedEvent<F>>> => {
      leave(undefined);
      return { done: true, value: undefined };
    };
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next(): Promise<IteratorResult<FeedEvent<F>>> {
        for (;;) {
          const event = queue.shift();
          if (event !== undefined) return { done: false, value: event };
          if (ended) {
            if (ended.error) throw ended.error;
            return { done: true, value: undefined };
          }
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
        }
      },
      return: finish,
      throw: async (error: unknown) => {
        await finish();
        throw error;
      },
    };
  }

  return {
    join,
    iterate,

    /**
     * A subscription's events as an iterator, joining the feed on its first read (a stream handed
     * to server-sent events is never read: push joins instead); its check's error is the first
     * thing it answers.
     */
    stream<F extends FeedName>(viewer: Viewer, spec: FeedSubscription<F>): AsyncIterableIterator<FeedEvent<F>> {
      let events: AsyncIterableIterator<FeedEvent<F>> | undefined;
      let finished = false;
      return {
        [Symbol.asyncIterator]() {
          return this;
        },
        async next() {
          if (finished) return { done: true, value: undefined };
          // Listening before the check is awaited: nothing published meanwhile is missed.
          events ??= iterate(spec.feed, viewer, spec.accept);
          try {
            await spec.ready;
          } catch (error) {
            await events.return?.();
            throw error;
          }
          return events.next();
        },
        return: async () => {
          finished = true;
          await events?.return?.();
          return { done: true, value: undefined };
        },
      };
    },

    /** A subscription's deliveries pushed to `sink` with every other subscriber's; returns the way to leave. */
    push<F extends FeedName, R>(
      viewer: Viewer,
      spec: FeedSubscription<F>,
      delivery: { sharingKey: string; prepare(event: FeedEvent<F>): R | Promise<R>; sink: FeedSink<R> },
    ): () => void {
      const leave = join(spec.feed, { viewer, accept: spec.accept, ...delivery });
      spec.ready?.catch((error: unknown) => leave(error instanceof GraphQLError ? error : unexpectedError()));
      return () => leave();
    },
  };
}

async function settle<T>(promises: Map<string, Promise<T>>): Promise<Map<string, T>> {
  const entries = await Promise.all([...promises].map(async ([key, promise]) => [key, await promise] as const));
  return new Map(entries);
}
