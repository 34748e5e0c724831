// Restart-needed notices for subscribers: a user's own, optionally for one agent, for as long as
// the token that opened the subscription stays valid. A plain iterator rather than an async
// generator: a notice goes through it once per subscriber, to thousands of them at once.
import { GraphQLError } from "graphql";
import { type StreamGuard, streamGuard, type TokenCheck } from "../../auth/stream-checks.ts";
import { streamKey, type Viewer } from "../../auth/viewer.ts";
import type { Db } from "../../db/database.ts";
import type { RestartNotice, UserEvent, VaultEvents } from "../../events/events.ts";
import { requireAgents } from "../agent/agent.lookup.ts";
import { NotFoundError } from "../common/errors.ts";
import { noticeHub, revokedError } from "./notice.hub.ts";

export type NoticeStream = AsyncIterableIterator<RestartNotice> & {
  return(): Promise<IteratorResult<RestartNotice>>;
};

export type NoticeService = ReturnType<typeof noticeService>;

type NoticeDeps = {
  db: Db;
  events: VaultEvents;
  /** Whether an API token still works. */
  tokenValid: TokenCheck;
  /** How often an open stream re-checks its token while no notice comes. */
  recheckMs?: number;
};

export function noticeService(deps: NoticeDeps) {
  const guard = streamGuard(deps.tokenValid, deps.recheckMs);
  const hub = noticeHub({ db: deps.db, events: deps.events, guard });
  return {
    /** The notices as a subscription delivers them: an unknown agent is a NOT_FOUND GraphQL error. */
    stream: (viewer: Viewer, agentId: string | null) => restartNoticeStream(deps, guard, viewer, agentId),
    /** The same notices, pushed to a server-sent-event stream with every other subscriber of the user. */
    join: hub.join,
  };
}

function restartNoticeStream(
  { db, events }: NoticeDeps,
  guard: StreamGuard,
  viewer: Viewer,
  agentId: string | null,
): NoticeStream {
  let source: AsyncIterableIterator<UserEvent> | undefined;
  let finished = false;
  let tokenGone = false;
  let unwatch = () => {};
  const finish = async (): Promise<IteratorResult<RestartNotice>> => {
    finished = true;
    unwatch();
    await source?.return?.();
    return { done: true, value: undefined };
  };
  const start = async () => {
    // Listening first, so that nothing published while the agent is checked is missed.
    const listening = events.userEvents(viewer.userId);
    source = listening;
    // A sweep that finds the token gone ends the wait for the next event.
    unwatch = guard.watch(streamKey(viewer), () => {
      tokenGone = true;
      void listening.return?.();
    });
    if (!agentId) return listening;
    try {
      await requireAgents(db, viewer.userId, [agentId]);
    } catch (error) {
      await finish();
      if (error instanceof NotFoundError) throw new GraphQLError(error.message, { extensions: { code: "NOT_FOUND" } });
      throw error;
    }
    return listening;
  };
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next(): Promise<IteratorResult<RestartNotice>> {
      const events = source ?? (await start());
      while (!finished) {
        const next = await events.next();
        if (tokenGone) {
          await finish();
          throw revokedError();
        }
        if (next.done) return finish();
        const event = next.value;
        if (event.type === "token-revoked") {
          if (event.tokenId !== viewer.tokenId) continue;
          await finish();
          throw revokedError();
        }
        if (agentId && event.agentId !== agentId) continue;
        if (!(await guard.beforeEvent(event, streamKey(viewer)))) {
          await finish();
          throw revokedError();
        }
        return { done: false, value: event };
      }
      return { done: true, value: undefined };
    },
    return: finish,
  };
}
