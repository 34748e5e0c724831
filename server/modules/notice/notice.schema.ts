import { builder } from "../../builder.ts";
import type { RestartNotice } from "../../events/events.ts";
import { agentById } from "../agent/agent.dal.ts";
import { AgentRef, EnvironmentChangeEnum } from "../agent/agent.schema.ts";
import { NotFoundError } from "../common/errors.ts";
import { feedField } from "./feed-field.ts";

const RestartNoticeRef = builder.objectRef<RestartNotice>("RestartNotice").implement({
  description: "An agent needs a restart: one of its entries was added, updated or removed.",
  fields: (t) => ({
    agent: t.prismaField({
      type: AgentRef,
      resolve: (query, notice, _args, ctx) =>
        agentById(ctx.db, ctx.viewer.userId, notice.agentId, query).then((agent) => {
          if (!agent) throw new NotFoundError("agent", notice.agentId);
          return agent;
        }),
    }),
    agentId: t.exposeID("agentId"),
    entryName: t.exposeString("entryName"),
    change: t.field({ type: EnvironmentChangeEnum, resolve: (notice) => notice.change }),
    occurredAt: t.field({ type: "DateTime", resolve: (notice) => new Date(notice.occurredAt) }),
    automatic: t.boolean({
      description: "True when the agent restarts by itself (restart policy ON_CHANGE) once changes settle.",
      resolve: (notice) => notice.automatic ?? false,
    }),
  }),
});

builder.subscriptionField("restartNeeded", (t) =>
  t.field({
    type: RestartNoticeRef,
    authScopes: { AGENTS_READ: true },
    description: "Notices of changes that need an agent restart: all of the viewer's agents, or one.",
    args: { agentId: t.arg.id({ required: false }) },
    ...feedField((args: { agentId?: string | number | null }, ctx) =>
      ctx.services.notices.subscription(ctx.viewer, args.agentId ? String(args.agentId) : null),
    ),
    resolve: (notice) => notice as RestartNotice,
  }),
);
