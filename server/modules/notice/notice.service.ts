// Restart-needed notices for subscribers: a user's own, optionally for one agent, from the user's
// feed (events/feeds.ts), as every subscription's events are.
import { GraphQLError } from "graphql";
import type { Viewer } from "../../auth/viewer.ts";
import type { Db } from "../../db/database.ts";
import type { FeedSubscription } from "../../events/feeds.ts";
import { requireAgents } from "../agent/agent.lookup.ts";
import { NotFoundError } from "../common/errors.ts";

export type NoticeService = ReturnType<typeof noticeService>;

export function noticeService(deps: { db: Db }) {
  const { db } = deps;
  /** An agent of the viewer's, or a NOT_FOUND GraphQL error (another user's agent answers the same). */
  async function checkAgent(viewer: Viewer, agentId: string): Promise<void> {
    try {
      await requireAgents(db, viewer.userId, [agentId]);
    } catch (error) {
      if (error instanceof NotFoundError) throw new GraphQLError(error.message, { extensions: { code: "NOT_FOUND" } });
      throw error;
    }
  }

  return {
    /** The restart notices of the viewer's agents, or of one: an unknown agent is a NOT_FOUND error. */
    subscription(viewer: Viewer, agentId: string | null): FeedSubscription<"restarts"> {
      if (!agentId) return { feed: "restarts", accept: () => true };
      const ready = checkAgent(viewer, agentId);
      ready.catch(() => {}); // answered by the subscription
      return { feed: "restarts", accept: (notice) => notice.agentId === agentId, ready };
    },
  };
}
