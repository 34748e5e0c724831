import { AGENT_STATE_READERS } from "../../auth/result-scopes.ts";
import { builder } from "../../builder.ts";
import { AgentRef } from "../agent/agent.schema.ts";
import { NotFoundError } from "../common/errors.ts";
import type { RuntimeService } from "./runtime.service.ts";

const RuntimeTokenRef = builder.prismaObject("RuntimeToken", {
  description: "A token for the process that runs one agent. It reads that agent's environment and nothing else.",
  fields: (t) => ({
    id: t.exposeID("id"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    // The agent by id and name; anything else of it needs its own scope (agent.schema.ts).
    agent: t.relation("agent", { type: AgentRef }),
  }),
});

const CreatedRuntimeTokenRef = builder
  .objectRef<Awaited<ReturnType<RuntimeService["createToken"]>>>("CreatedRuntimeToken")
  .implement({
    fields: (t) => ({
      token: t.exposeString("token", {
        description: "The token itself (avr_...), for AGENT_VAULT_RUNTIME_TOKEN. Shown this once.",
      }),
      runtimeToken: t.field({ type: RuntimeTokenRef, resolve: (created) => created.runtimeToken }),
    }),
  });

const CreateRuntimeTokenInput = builder.inputType("CreateRuntimeTokenInput", {
  fields: (t) => ({ agentId: t.id({ required: true }) }),
});

builder.mutationField("createRuntimeToken", (t) =>
  t.field({
    type: CreatedRuntimeTokenRef,
    authScopes: { RUNTIME_ISSUE: true },
    description: "A runtime token for one agent, which reads that agent's values; it dies with the agent.",
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: CreateRuntimeTokenInput, required: true }) },
    resolve: (_root, args, ctx) =>
      ctx.services.runtime.createToken(ctx.viewer, { agentId: String(args.input.agentId) }),
  }),
);

const RevokeRuntimeTokenInput = builder.inputType("RevokeRuntimeTokenInput", {
  fields: (t) => ({ id: t.id({ required: true, description: "The runtime token's id (not the token)." }) }),
});

builder.mutationField("revokeRuntimeToken", (t) =>
  t.field({
    type: "ID",
    authScopes: { RUNTIME_ISSUE: true },
    description:
      "Revokes one runtime token: its runtime can no longer fetch the environment, and its command stream ends. Success data is its id.",
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: RevokeRuntimeTokenInput, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.runtime.revokeToken(ctx.viewer, { id: String(args.input.id) }),
  }),
);

builder.prismaObjectField(AgentRef, "runtimeTokens", (t) =>
  t.relation("runtimeTokens", {
    description: "The agent's runtime tokens (their ids and when they were made; never the tokens).",
    authScopes: AGENT_STATE_READERS,
    unauthorizedResolver: () => [] as never,
    query: { orderBy: { createdAt: "asc" } },
  }),
);
