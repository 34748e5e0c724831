import { parseScopes } from "../../auth/scopes.ts";
import { builder } from "../../builder.ts";
import { TokenScopeEnum } from "../common/common.schema.ts";
import { NotFoundError, ValidationError } from "../common/errors.ts";
import type { TokenService } from "./token.service.ts";

export const ApiTokenRef = builder.prismaObject("ApiToken", {
  description: "A credential for the user API. Its value was shown once, when it was created.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    scopes: t.field({
      type: [TokenScopeEnum],
      description: "What the token may do.",
      resolve: (token) => [...parseScopes(token.scopes)],
    }),
    expiresAt: t.expose("expiresAt", {
      type: "DateTime",
      nullable: true,
      description: "When the token stops working; null: it does not expire.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    revokedAt: t.expose("revokedAt", { type: "DateTime", nullable: true }),
  }),
});

const CreatedApiTokenRef = builder.objectRef<Awaited<ReturnType<TokenService["create"]>>>("CreatedApiToken").implement({
  fields: (t) => ({
    token: t.exposeString("token", { description: "The token itself. It is shown this once and never again." }),
    apiToken: t.field({ type: ApiTokenRef, resolve: (created) => created.apiToken }),
  }),
});

const CreateApiTokenInput = builder.inputType("CreateApiTokenInput", {
  fields: (t) => ({
    name: t.string({ required: true }),
    scopes: t.field({
      type: [TokenScopeEnum],
      required: false,
      description: "What the token may do; by default the scopes of the token that creates it, and never more.",
    }),
    expiresAt: t.field({
      type: "DateTime",
      required: false,
      description:
        "When it stops working (in the future). A token that expires creates tokens that expire no later than itself, by default when it does.",
    }),
  }),
});

const RevokeApiTokenInput = builder.inputType("RevokeApiTokenInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

builder.mutationFields((t) => ({
  createApiToken: t.field({
    type: CreatedApiTokenRef,
    authScopes: { TOKENS_MANAGE: true },
    description: "A new API token for this vault, shown once.",
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: CreateApiTokenInput, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.tokens.create(ctx.viewer, args.input),
  }),
  revokeApiToken: t.field({
    type: ApiTokenRef,
    authScopes: { TOKENS_MANAGE: true },
    description: "Revokes an API token at once; its open subscriptions end.",
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: RevokeApiTokenInput, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.tokens.revoke(ctx.viewer, { id: String(args.input.id) }),
  }),
}));
