// Restart-needed notices to the server-sent-event subscribers of notice.fanout.ts, delivered the way
// a broadcast is: one listener per user on this instance, not one per subscriber. A notice is
// filtered by agent, its token checks run once per token, its result is computed once per
// operation, and then it is written to every subscriber in one synchronous loop. With an async
// iterator per subscriber, the same notice went through four layers of promises a thousand times.
import type { ExecutionResult } from "graphql";
import { GraphQLError } from "graphql";
import type { StreamGuard } from "../../auth/stream-checks.ts";
import { streamKey, type Viewer } from "../../auth/viewer.ts";
import type { Db } from "../../db/database.ts";
import type { RestartNotice, UserEvent, VaultEvents } from "../../events/events.ts";
import { requireAgents } from "../agent/agent.lookup.ts";
import { NotFoundError } from "../common/errors.ts";

/** Where a subscriber's results go: its stream, which `end` closes (after `error`, if given). */
export type NoticeSink = {
  write(result: ExecutionResult): void;
  end(error?: GraphQLError): void;
};

export type NoticeMember = {
  viewer: Viewer;
  agentId: string | null;
  /** Subscribers with the same sharing key get the same result for a notice. */
  sharingKey: string;
  resultFor(notice: RestartNotice): Promise<ExecutionResult>;
  sink: NoticeSink;
};

type Joined = NoticeMember & { tokenKey: string; closed: boolean; unwatch: () => void };

type UserHub = { members: Set<Joined>; stop: () => void; queue: Promise<void> };

export const revokedError = () =>
  new GraphQLError("The token of this subscription was revoked or has expired", {
    extensions: { code: "UNAUTHENTICATED" },
  });

const unexpectedError = () => new GraphQLError("Unexpected error.", { extensions: { code: "INTERNAL_SERVER_ERROR" } });

export type NoticeHub = ReturnType<typeof noticeHub>;

export function noticeHub(deps: { db: Db; events: VaultEvents; guard: StreamGuard }) {
  const { db, events, guard } = deps;
  const hubs = new Map<string, UserHub>();

  function close(member: Joined, error?: GraphQLError) {
    if (member.closed) return;
    member.closed = true;
    member.unwatch();
    const hub = hubs.get(member.viewer.userId);
    hub?.members.delete(member);
    if (hub && hub.members.size === 0) {
      hub.stop();
      hubs.delete(member.viewer.userId);
    }
    member.sink.end(error);
  }

  async function deliver(hub: UserHub, event: UserEvent) {
    if (event.type === "token-revoked") {
      for (const member of hub.members) if (member.viewer.tokenId === event.tokenId) close(member, revokedError());
      return;
    }
    const targets = [...hub.members].filter((member) => !member.agentId || member.agentId === event.agentId);
    if (targets.length === 0) return;
    const valid = new Map<string, Promise<boolean>>();
    const results = new Map<string, Promise<ExecutionResult>>();
    for (const member of targets) {
      if (!valid.has(member.tokenKey)) valid.set(member.tokenKey, guard.beforeEvent(event, member.tokenKey));
      if (!results.has(member.sharingKey)) results.set(member.sharingKey, member.resultFor(event));
    }
    let validity: Map<string, boolean>;
    let computed: Map<string, ExecutionResult>;
    try {
      [validity, computed] = await Promise.all([settle(valid), settle(results)]);
    } catch {
      for (const member of targets) close(member, unexpectedError());
      return;
    }
    for (const member of targets) {
      if (member.closed) continue;
      if (!validity.get(member.tokenKey)) close(member, revokedError());
      else member.sink.write(computed.get(member.sharingKey) as ExecutionResult);
    }
  }

  function hubFor(userId: string): UserHub {
    let hub = hubs.get(userId);
    if (!hub) {
      const created: UserHub = { members: new Set(), stop: () => {}, queue: Promise.resolve() };
      // One notice at a time, so that every subscriber gets them in the order they were published.
      created.stop = events.onUserEvent(userId, (event) => {
        created.queue = created.queue.then(() => deliver(created, event)).catch(() => {});
      });
      hubs.set(userId, created);
      hub = created;
    }
    return hub;
  }

  return {
    /** Adds a subscriber; it receives notices at once. Returns the way to leave. */
    join(subscriber: NoticeMember): () => void {
      const tokenKey = streamKey(subscriber.viewer);
      const member: Joined = { ...subscriber, tokenKey, closed: false, unwatch: () => {} };
      hubFor(subscriber.viewer.userId).members.add(member);
      // A sweep that finds the token gone ends the stream even when no notice comes.
      member.unwatch = guard.watch(tokenKey, () => close(member, revokedError()));
      if (subscriber.agentId) {
        requireAgents(db, subscriber.viewer.userId, [subscriber.agentId]).catch((error: unknown) => {
          if (error instanceof NotFoundError) {
            close(member, new GraphQLError(error.message, { extensions: { code: "NOT_FOUND" } }));
          } else close(member, unexpectedError());
        });
      }
      return () => close(member);
    },
  };
}

async function settle<T>(promises: Map<string, Promise<T>>): Promise<Map<string, T>> {
  const entries = await Promise.all([...promises].map(async ([key, promise]) => [key, await promise] as const));
  return new Map(entries);
}
