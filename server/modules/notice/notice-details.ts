// What the fields of a notice type made from an activity event read: its details, parsed once per
// notice however many fields a subscriber asks for, and its agent.
import type { Context } from "../../context.ts";
import type { ActivityNotice } from "../../events/events.ts";
import { type AgentSelection, agentById } from "../agent/agent.dal.ts";
import { NotFoundError } from "../common/errors.ts";

export function noticeDetails<T>(): (notice: ActivityNotice) => T {
  const parsed = new WeakMap<ActivityNotice, T>();
  return (notice) => {
    let details = parsed.get(notice);
    if (!details) {
      const raw = (notice as { details?: unknown }).details;
      details = (typeof raw === "string" ? JSON.parse(raw) : raw) as T;
      parsed.set(notice, details);
    }
    return details;
  };
}

/** The agent an activity notice is of, with the subscriber's selection: a notice field's resolver. */
export const noticeAgent = (query: AgentSelection, notice: ActivityNotice, _args: unknown, ctx: Context) =>
  agentById(ctx.db, ctx.viewer.userId, String(notice.agentId), query).then((agent) => {
    if (!agent) throw new NotFoundError("agent", String(notice.agentId));
    return agent;
  });
