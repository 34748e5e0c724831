// Restart-needed notices for subscribers: a user's own, optionally for one agent, for as long as
// the token that opened the subscription stays valid.
import type { Context } from "../../context.ts";
import { unauthenticated } from "../../context.ts";
import type { RestartNotice } from "../../events.ts";
import { requireAgents } from "../agent/agent.service.ts";

export async function* restartNotices(ctx: Context, agentId: string | null): AsyncGenerator<RestartNotice> {
  const events = ctx.events.userEvents(ctx.viewer.userId);
  try {
    if (agentId) await requireAgents(ctx.db, ctx.viewer.userId, [agentId]);
    for await (const event of events) {
      if (event.type === "token-revoked") {
        if (event.tokenId === ctx.viewer.tokenId) throw unauthenticated("The token of this subscription was revoked");
      } else if (!agentId || event.agentId === agentId) {
        yield event;
      }
    }
  } finally {
    await events.return?.();
  }
}
