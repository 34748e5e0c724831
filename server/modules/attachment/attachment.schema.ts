import { AGENT_READERS, ENTRY_READERS, written } from "../../auth/result-scopes.ts";
import { builder } from "../../builder.ts";
import { AgentRef } from "../agent/agent.schema.ts";
import { ErrorInterface } from "../common/common.schema.ts";
import { EntryInUseError, LimitExceededError, NotFoundError } from "../common/errors.ts";
import { compareNames } from "../entry/entry.rules.ts";
import { EntryRef } from "../entry/entry.schema.ts";

// The fields that link entries and agents.
builder.prismaObjectField(AgentRef, "entries", (t) =>
  t.field({
    type: [EntryRef],
    description: "The entries attached to this agent, by name.",
    authScopes: ENTRY_READERS,
    unauthorizedResolver: () => [],
    select: (_args, _ctx, nestedSelection) => ({
      attachments: { select: { entry: nestedSelection(true) } },
    }),
    resolve: (agent) =>
      agent.attachments.map((attachment) => attachment.entry).sort((a, b) => compareNames(a.name, b.name)),
  }),
);

// Both from one batched statement per request (attachment.service.ts's loader): a list of 50
// entries costs one query for all their agents, and Prisma's relation count would aggregate the
// whole attachment table on SQLite. A page of `entries` loads them with its rows (entry.schema.ts),
// and then neither field makes a promise.
builder.prismaInterfaceField(EntryRef, "usedBy", (t) =>
  t.field({
    type: [AgentRef],
    description: "The agents this entry is attached to, by name.",
    authScopes: AGENT_READERS,
    unauthorizedResolver: () => [],
    resolve: (entry, _args, ctx) => ctx.loaders.usedBy.load(entry),
  }),
);

builder.prismaInterfaceField(EntryRef, "usedByCount", (t) =>
  t.int({
    description: "How many agents this entry is attached to.",
    authScopes: AGENT_READERS,
    unauthorizedResolver: () => 0,
    resolve: (entry, _args, ctx) => {
      const agents = ctx.loaders.usedBy.load(entry);
      return Array.isArray(agents) ? agents.length : agents.then((loaded) => loaded.length);
    },
  }),
);

builder.objectType(EntryInUseError, {
  name: "EntryInUseError",
  description: "The entry is attached to agents; detach it from them first.",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    agents: t.field({
      type: [AgentRef],
      // Named by id and name (docs/architecture.md rule 6): the prisma plugin loads any other field
      // a client selects, which needs its own scope.
      resolve: (error) => error.agents as never,
    }),
  }),
});

const AgentEntriesInput = builder.inputType("AgentEntriesInput", {
  fields: (t) => ({ agentId: t.id({ required: true }), entryIds: t.idList({ required: true }) }),
});

const attachInput = (input: { agentId: string | number; entryIds: readonly (string | number)[] }) => ({
  agentId: String(input.agentId),
  entryIds: input.entryIds.map(String),
});

builder.mutationFields((t) => ({
  attachEntries: t.field({
    type: AgentRef,
    authScopes: { AGENTS_WRITE: true },
    description: "Attaches entries to an agent: it needs a restart to receive them.",
    errors: { types: [NotFoundError, LimitExceededError] },
    args: { input: t.arg({ type: AgentEntriesInput, required: true }) },
    resolve: async (_root, args, ctx) =>
      written(ctx, await ctx.services.attachments.attach(ctx.viewer, attachInput(args.input))),
  }),
  detachEntries: t.field({
    type: AgentRef,
    authScopes: { AGENTS_WRITE: true },
    description: "Detaches entries from an agent: it needs a restart to lose them.",
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: AgentEntriesInput, required: true }) },
    resolve: async (_root, args, ctx) =>
      written(ctx, await ctx.services.attachments.detach(ctx.viewer, attachInput(args.input))),
  }),
}));
