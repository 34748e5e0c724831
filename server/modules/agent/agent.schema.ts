import { AGENT_STATE_READERS, stateOf, written } from "../../auth/result-scopes.ts";
import { builder } from "../../builder.ts";
import { AgentRestartPolicy } from "../../db/enums.ts";
import { LimitExceededError, NameTakenError, NotFoundError, ValidationError } from "../common/errors.ts";
import { nameKey } from "../entry/entry.rules.ts";
import { agentById, agentByNameKey, agentsOf, countAgents } from "./agent.dal.ts";
import { type PendingChange, pendingChanges } from "./restart-state.ts";

export const EnvironmentChangeEnum = builder.enumType("EnvironmentChange", {
  values: ["ADDED", "UPDATED", "REMOVED"] as const,
});

export const AgentRestartPolicyEnum = builder.enumType(AgentRestartPolicy, {
  name: "AgentRestartPolicy",
  values: {
    MANUAL: { description: "Someone restarts the agent (restartAgent) after a change; until then it needs a restart." },
    ON_CHANGE: {
      description: "The vault restarts the agent's connected runtime itself once changes settle (2 s without another).",
    },
  },
});

const PendingChangeRef = builder.objectRef<PendingChange>("PendingChange").implement({
  description: "A difference between an agent's attached entries and the environment it runs with.",
  fields: (t) => ({
    name: t.exposeString("name"),
    change: t.field({ type: EnvironmentChangeEnum, resolve: (pending) => pending.change }),
  }),
});

const restartStateSelection = {
  runningEnv: true,
  attachments: { select: { entry: { select: { id: true, name: true, version: true, upstream: true } } } },
} as const;

// An agent's own state: AGENTS_READ, or the agent this request's mutation returned.
const agentState = stateOf(AGENT_STATE_READERS, "agent");

export const AgentRef = builder.prismaObject("Agent", {
  description: "A deployed AI agent, which receives its attached entries as environment variables.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    createdAt: t.expose("createdAt", { type: "DateTime", authScopes: agentState }),
    lastRestartedAt: t.expose("lastRestartedAt", { type: "DateTime", nullable: true, authScopes: agentState }),
    restartPolicy: t.expose("restartPolicy", { type: AgentRestartPolicyEnum, authScopes: agentState }),
    restartRequired: t.boolean({
      description: "True when the attached entries differ from the environment the agent runs with.",
      authScopes: agentState,
      select: restartStateSelection,
      resolve: (agent) =>
        pendingChanges(
          agent.runningEnv,
          agent.attachments.map((attachment) => attachment.entry),
        ).length > 0,
    }),
    pendingChanges: t.field({
      type: [PendingChangeRef],
      description: "What a restart would change (names of entries).",
      authScopes: AGENT_STATE_READERS,
      unauthorizedResolver: () => [],
      select: restartStateSelection,
      resolve: (agent) =>
        pendingChanges(
          agent.runningEnv,
          agent.attachments.map((attachment) => attachment.entry),
        ),
    }),
  }),
});

builder.queryFields((t) => ({
  agents: t.prismaConnection(
    {
      type: AgentRef,
      cursor: "id",
      authScopes: { AGENTS_READ: true },
      description: "The vault's agents, by name.",
      resolve: (query, _root, _args, ctx) => agentsOf(ctx.db, ctx.viewer.userId, query),
      // Asked for alone, totalCount is resolved without the field's resolver.
      totalCount: (_connection, _args, ctx) => countAgents(ctx.db, ctx.viewer.userId),
    },
    {},
  ),
  agent: t.prismaField({
    type: AgentRef,
    nullable: true,
    authScopes: { AGENTS_READ: true },
    description: "The agent with this id.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => agentById(ctx.db, ctx.viewer.userId, String(args.id), query),
  }),
  agentByName: t.prismaField({
    type: AgentRef,
    nullable: true,
    authScopes: { AGENTS_READ: true },
    description: "The agent with this name, compared regardless of case.",
    args: { name: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) => agentByNameKey(ctx.db, ctx.viewer.userId, nameKey(args.name), query),
  }),
}));

const CreateAgentInput = builder.inputType("CreateAgentInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    entryIds: t.idList({ required: false, description: "Entries the agent starts with." }),
    restartPolicy: t.field({ type: AgentRestartPolicyEnum, required: false, defaultValue: "MANUAL" }),
  }),
});

const UpdateAgentInput = builder.inputType("UpdateAgentInput", {
  fields: (t) => ({
    agentId: t.id({ required: true }),
    name: t.string({ required: false, description: "A new name." }),
    restartPolicy: t.field({ type: AgentRestartPolicyEnum, required: false }),
  }),
});

const AgentIdInput = builder.inputType("AgentIdInput", {
  fields: (t) => ({ agentId: t.id({ required: true }) }),
});

const ids = (list: readonly (string | number)[] | null | undefined) => (list ?? []).map(String);

builder.mutationFields((t) => ({
  createAgent: t.field({
    type: AgentRef,
    authScopes: { AGENTS_WRITE: true },
    description: "Creates an agent that starts with these entries.",
    errors: { types: [ValidationError, NameTakenError, NotFoundError, LimitExceededError] },
    args: { input: t.arg({ type: CreateAgentInput, required: true }) },
    resolve: async (_root, args, ctx) =>
      written(
        ctx,
        await ctx.services.agents.create(ctx.viewer, {
          name: args.input.name,
          entryIds: ids(args.input.entryIds),
          restartPolicy: args.input.restartPolicy ?? "MANUAL",
        }),
      ),
  }),
  updateAgent: t.field({
    type: AgentRef,
    authScopes: { AGENTS_WRITE: true },
    description: "Renames an agent or changes its restart policy.",
    errors: { types: [ValidationError, NameTakenError, NotFoundError] },
    args: { input: t.arg({ type: UpdateAgentInput, required: true }) },
    resolve: async (_root, args, ctx) =>
      written(
        ctx,
        await ctx.services.agents.update(ctx.viewer, {
          agentId: String(args.input.agentId),
          name: args.input.name ?? null,
          restartPolicy: args.input.restartPolicy ?? null,
        }),
      ),
  }),
  restartAgent: t.field({
    type: AgentRef,
    authScopes: { AGENTS_WRITE: true },
    description:
      "Makes the current attached entries the environment the agent runs with, and restarts its connected runtime.",
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: AgentIdInput, required: true }) },
    resolve: async (_root, args, ctx) =>
      written(ctx, await ctx.services.agents.restart(ctx.viewer, { agentId: String(args.input.agentId) })),
  }),
  deleteAgent: t.field({
    type: "ID",
    authScopes: { AGENTS_WRITE: true },
    description: "Deletes an agent and its attachments. Success data is the deleted id.",
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: AgentIdInput, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.agents.delete(ctx.viewer, { agentId: String(args.input.agentId) }),
  }),
}));
