import { builder } from "../../builder.ts";
import type { ActivityNotice } from "../../events/events.ts";
import { AgentRef } from "../agent/agent.schema.ts";
import { NotFoundError, ValidationError } from "../common/errors.ts";
import { feedField } from "../notice/feed-field.ts";
import { noticeAgent, noticeDetails } from "../notice/notice-details.ts";
import type { AgentLimit, UsageBucket, Used } from "./limit.service.ts";
import { LIMIT_WINDOWS } from "./limit-window.ts";

const LimitWindowEnum = builder.enumType("LimitWindow", {
  description: "A calendar window in UTC: counts start afresh at each minute, hour, day or month.",
  values: LIMIT_WINDOWS,
});

const UsageBucketSizeEnum = builder.enumType("UsageBucketSize", { values: ["HOUR", "DAY"] as const });

const LimitUsedRef = builder.objectRef<Used>("LimitUsed").implement({
  description:
    "What a limit's current window has used (tokens and cost include the reservations of requests in flight).",
  fields: (t) => ({
    requests: t.exposeInt("requests"),
    tokens: t.exposeFloat("tokens"),
    costUsd: t.exposeFloat("costUsd"),
  }),
});

export const AgentLimitRef = builder.objectRef<AgentLimit>("AgentLimit").implement({
  description: "A maximum on an agent's brokered requests per window: the broker answers 429 once the window is at it.",
  fields: (t) => ({
    id: t.exposeID("id"),
    agentId: t.exposeID("agentId"),
    secretId: t.exposeID("entryId", {
      nullable: true,
      description: "The one brokered secret limited; null: all of the agent's.",
    }),
    secretName: t.string({
      nullable: true,
      authScopes: { AGENTS_READ: true },
      unauthorizedResolver: () => null,
      resolve: (limit) => limit.secretName,
    }),
    window: t.field({ type: LimitWindowEnum, resolve: (limit) => limit.window }),
    maxRequests: t.exposeInt("maxRequests", { nullable: true }),
    maxTokens: t.exposeFloat("maxTokens", { nullable: true }),
    maxCostUsd: t.float({
      nullable: true,
      resolve: (limit) => (limit.maxCostMicros === null ? null : limit.maxCostMicros / 1_000_000),
    }),
    used: t.field({ type: LimitUsedRef, resolve: (limit) => limit.used }),
    resetsAt: t.field({ type: "DateTime", resolve: (limit) => limit.resetsAt }),
    createdAt: t.field({ type: "DateTime", resolve: (limit) => limit.createdAt }),
  }),
});

const UsageBucketRef = builder.objectRef<UsageBucket>("UsageBucket").implement({
  description: "An agent's brokered requests through one secret in one hour or day.",
  fields: (t) => ({
    start: t.field({ type: "DateTime", resolve: (bucket) => bucket.start }),
    provider: t.exposeString("provider", {
      nullable: true,
      description: "ANTHROPIC, OPENAI or OPENROUTER; null for a custom upstream.",
    }),
    secretName: t.exposeString("secretName"),
    requests: t.exposeInt("requests"),
    inputTokens: t.exposeFloat("inputTokens"),
    outputTokens: t.exposeFloat("outputTokens"),
    costUsd: t.exposeFloat("costUsd"),
    errors: t.exposeInt("errors", { description: "Answers with a status of 400 or more, and upstreams not reached." }),
    unpricedRequests: t.exposeInt("unpricedRequests", {
      description: "Requests whose usage could not be read, or whose model has no price: counted, not priced.",
    }),
  }),
});

builder.prismaObjectField(AgentRef, "limits", (t) =>
  t.field({
    type: [AgentLimitRef],
    description: "The agent's spend and rate limits, each with what its current window has used.",
    authScopes: { AGENTS_READ: true },
    unauthorizedResolver: () => [],
    resolve: (agent, _args, ctx) => ctx.services.limits.ofAgent(ctx.viewer.userId, agent.id),
  }),
);

builder.prismaObjectField(AgentRef, "usage", (t) =>
  t.field({
    type: [UsageBucketRef],
    description: "The agent's brokered usage from `from` to `to`, one bucket per period, provider and secret.",
    authScopes: { AGENTS_READ: true },
    unauthorizedResolver: () => [],
    args: {
      from: t.arg({ type: "DateTime", required: true }),
      to: t.arg({ type: "DateTime", required: true }),
      bucket: t.arg({ type: UsageBucketSizeEnum, required: false, defaultValue: "DAY" }),
    },
    resolve: (agent, args, ctx) =>
      ctx.services.limits.usage(ctx.viewer.userId, agent.id, {
        from: args.from,
        to: args.to,
        bucket: args.bucket ?? "DAY",
      }),
  }),
);

builder.prismaObjectField(AgentRef, "spentTodayUsd", (t) =>
  t.float({
    description: "What the agent's brokered requests cost since midnight UTC (priced requests only).",
    authScopes: { AGENTS_READ: true },
    unauthorizedResolver: () => 0,
    resolve: (agent, _args, ctx) => ctx.loaders.spentToday.load(agent.id),
  }),
);

const SetAgentLimitInput = builder.inputType("SetAgentLimitInput", {
  fields: (t) => ({
    agentId: t.id({ required: true }),
    secretId: t.id({ required: false, description: "One brokered secret; without it, all of the agent's requests." }),
    window: t.field({ type: LimitWindowEnum, required: true }),
    maxRequests: t.int({ required: false }),
    maxTokens: t.float({ required: false, description: "Input and output tokens together." }),
    maxCostUsd: t.float({ required: false }),
  }),
});

const RemoveAgentLimitInput = builder.inputType("RemoveAgentLimitInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

builder.mutationFields((t) => ({
  setAgentLimit: t.field({
    type: AgentLimitRef,
    authScopes: { LIMITS_MANAGE: true },
    description: "Limits an agent's brokered requests (of one secret, or all) per window: at least one maximum.",
    errors: { types: [ValidationError, NotFoundError] },
    args: { input: t.arg({ type: SetAgentLimitInput, required: true }) },
    resolve: (_root, args, ctx) =>
      ctx.services.limits.set(ctx.viewer, {
        agentId: String(args.input.agentId),
        secretId: args.input.secretId ? String(args.input.secretId) : null,
        window: args.input.window,
        maxRequests: args.input.maxRequests ?? null,
        maxTokens: args.input.maxTokens ?? null,
        maxCostUsd: args.input.maxCostUsd ?? null,
      }),
  }),
  removeAgentLimit: t.field({
    type: "ID",
    authScopes: { LIMITS_MANAGE: true },
    description: "Removes a limit (and its counts). Success data is the removed id.",
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: RemoveAgentLimitInput, required: true }) },
    resolve: async (_root, args, ctx) => (await ctx.services.limits.remove(ctx.viewer, String(args.input.id))).id,
  }),
}));

type LimitDetails = {
  limitId: string;
  window: (typeof LIMIT_WINDOWS)[number];
  measure: string;
  percent: number;
  used: number;
  maximum: number;
};

const detailsOf = noticeDetails<LimitDetails>();

const LimitNoticeRef = builder.objectRef<ActivityNotice>("LimitNotice").implement({
  description: "An agent's limit reached 80 % or 100 % of a maximum in its current window.",
  fields: (t) => ({
    agent: t.prismaField({
      type: AgentRef,
      resolve: noticeAgent,
    }),
    limitId: t.id({ resolve: (notice) => detailsOf(notice).limitId }),
    window: t.field({ type: LimitWindowEnum, resolve: (notice) => detailsOf(notice).window }),
    measure: t.string({
      description: "requests, tokens or costUsd: the maximum reached.",
      resolve: (notice) => detailsOf(notice).measure,
    }),
    percent: t.int({ description: "80 or 100.", resolve: (notice) => detailsOf(notice).percent }),
    used: t.float({ resolve: (notice) => detailsOf(notice).used }),
    maximum: t.float({ resolve: (notice) => detailsOf(notice).maximum }),
    secretName: t.string({ nullable: true, resolve: (notice) => notice.entryName ?? null }),
    occurredAt: t.field({ type: "DateTime", resolve: (notice) => new Date(notice.createdAt) }),
  }),
});

builder.subscriptionField("limitReached", (t) =>
  t.field({
    type: LimitNoticeRef,
    authScopes: { AGENTS_READ: true },
    description: "Notices of agents' limits at 80 % and at 100 %: all of the viewer's agents, or one.",
    args: { agentId: t.arg.id({ required: false }) },
    ...feedField((args: { agentId?: string | number | null }, ctx) =>
      ctx.services.limits.notices(args.agentId ? String(args.agentId) : null),
    ),
    resolve: (notice) => notice as ActivityNotice,
  }),
);
