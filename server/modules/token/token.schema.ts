import { builder } from "../../builder.ts";
import { NotFoundError, ValidationError } from "../common/errors.ts";
import type { TokenService } from "./token.service.ts";

export const ApiTokenRef = builder.prismaObject("ApiToken", {
  description: "A credential for the user API. Its value was shown once, when it was created.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
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
  fields: (t) => ({ name: t.string({ required: true }) }),
});

const RevokeApiTokenInput = builder.inputType("RevokeApiTokenInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

builder.mutationFields((t) => ({
  createApiToken: t.field({
    type: CreatedApiTokenRef,
    errors: { types: [ValidationError] },
    args: { input: t.arg({ type: CreateApiTokenInput, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.tokens.create(ctx.viewer, args.input),
  }),
  revokeApiToken: t.field({
    type: ApiTokenRef,
    errors: { types: [NotFoundError] },
    args: { input: t.arg({ type: RevokeApiTokenInput, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.tokens.revoke(ctx.viewer, { id: String(args.input.id) }),
  }),
}));
