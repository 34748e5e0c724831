// Restart-needed notices for subscribers: a user's own, optionally for one agent, for as long as
// the token that opened the subscription stays valid. A plain iterator rather than an async
// generator: a notice goes through it once per subscriber, to thousands of them at once.
import { GraphQLError } from "graphql";
import type { Context } from "../../context.ts";
import { unauthenticated } from "../../context.ts";
import type { RestartNotice, UserEvent } from "../../events.ts";
import { requireAgents } from "../agent/agent.service.ts";
import { NotFoundError } from "../common/errors.ts";

export type NoticeStream = AsyncIterableIterator<RestartNotice> & {
  return(): Promise<IteratorResult<RestartNotice>>;
};

/** The notices as a subscription delivers them: an unknown agent is a NOT_FOUND GraphQL error. */
export function restartNoticeStream(ctx: Context, agentId: string | null): NoticeStream {
  let events: AsyncIterableIterator<UserEvent> | undefined;
  let finished = false;
  const finish = async (): Promise<IteratorResult<RestartNotice>> => {
    finished = true;
    await events?.return?.();
    return { done: true, value: undefined };
  };
  const start = async () => {
    // Listening first, so that nothing published while the agent is checked is missed.
    const listening = ctx.events.userEvents(ctx.viewer.userId);
    events = listening;
    if (!agentId) return listening;
    try {
      await requireAgents(ctx.db, ctx.viewer.userId, [agentId]);
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
      const source = events ?? (await start());
      while (!finished) {
        const next = await source.next();
        if (next.done) return finish();
        const event = next.value;
        if (event.type === "token-revoked") {
          if (event.tokenId !== ctx.viewer.tokenId) continue;
          await finish();
          throw unauthenticated("The token of this subscription was revoked");
        }
        if (!agentId || event.agentId === agentId) return { done: false, value: event };
      }
      return { done: true, value: undefined };
    },
    return: finish,
  };
}
