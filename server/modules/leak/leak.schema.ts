import { builder } from "../../builder.ts";
import type { ActivityNotice } from "../../events/events.ts";
import { AgentRef } from "../agent/agent.schema.ts";
import { feedField } from "../notice/feed-field.ts";
import { noticeAgent, noticeDetails } from "../notice/notice-details.ts";

const OUTCOMES = {
  SECRET_LEAK_BLOCKED: "BLOCKED",
  SECRET_LEAK_REDACTED: "REDACTED",
  SECRET_LEAK_SEEN: "SEEN",
} as const;

const LeakOutcomeEnum = builder.enumType("LeakOutcome", {
  description:
    "What the broker did with a request carrying an environment secret's value (the operator's AGENT_VAULT_LEAK_POLICY).",
  values: {
    BLOCKED: { description: "Refused with 403: nothing was forwarded." },
    REDACTED: { description: "Forwarded with the value replaced by [redacted by agent-vault]." },
    SEEN: { description: "Forwarded as it was, and recorded." },
  } as const,
});

type LeakDetails = { upstreamHost: string; method: string; path: string; through: string };

const detailsOf = noticeDetails<LeakDetails>();

const LeakNoticeRef = builder.objectRef<ActivityNotice>("LeakNotice").implement({
  description:
    "A brokered request of an agent carried the value of one of its environment secrets (never the value itself).",
  fields: (t) => ({
    agent: t.prismaField({
      type: AgentRef,
      resolve: noticeAgent,
    }),
    outcome: t.field({
      type: LeakOutcomeEnum,
      resolve: (notice) => OUTCOMES[notice.action as keyof typeof OUTCOMES],
    }),
    secretName: t.string({
      description: "The secret whose value the request carried.",
      resolve: (notice) => notice.entryName ?? "",
    }),
    upstreamHost: t.string({
      description: "Where the request was going.",
      resolve: (notice) => detailsOf(notice).upstreamHost,
    }),
    method: t.string({ resolve: (notice) => detailsOf(notice).method }),
    path: t.string({
      description: "The request's path, without its query.",
      resolve: (notice) => detailsOf(notice).path,
    }),
    brokeredSecretName: t.string({
      description: "The brokered secret the request went through.",
      resolve: (notice) => detailsOf(notice).through,
    }),
    occurredAt: t.field({ type: "DateTime", resolve: (notice) => new Date(notice.createdAt) }),
  }),
});

builder.subscriptionField("secretLeaked", (t) =>
  t.field({
    type: LeakNoticeRef,
    authScopes: { AGENTS_READ: true },
    description:
      "Brokered requests found carrying the value of an agent's environment secret, as the broker blocks, redacts or records them: all of the viewer's agents, or one.",
    args: { agentId: t.arg.id({ required: false }) },
    ...feedField((args: { agentId?: string | number | null }, ctx) =>
      ctx.services.leaks.notices(args.agentId ? String(args.agentId) : null),
    ),
    resolve: (notice) => notice as ActivityNotice,
  }),
);
