import { builder } from "../../builder.ts";
import { ApiTokenRef } from "../token/token.schema.ts";

export const UserRef = builder.prismaObject("User", {
  description: "One vault: everything in it belongs to this user.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    apiTokens: t.prismaField({
      type: [ApiTokenRef],
      description: "Every API token of this vault.",
      authScopes: { TOKENS_MANAGE: true },
      resolve: (query, user, _args, ctx) =>
        ctx.db.apiToken.findMany({ ...query, where: { userId: user.id }, orderBy: { createdAt: "asc" } }),
    }),
    token: t.prismaField({
      type: ApiTokenRef,
      description: "The API token that made this request: its name, scopes and expiry.",
      resolve: (query, _user, _args, ctx) =>
        ctx.db.apiToken.findUniqueOrThrow({ ...query, where: { id: ctx.viewer.tokenId } }),
    }),
  }),
});

builder.queryField("viewer", (t) =>
  t.prismaField({
    type: UserRef,
    description: "The user whose API token made this request.",
    resolve: (query, _root, _args, ctx) =>
      ctx.db.user.findUniqueOrThrow({ ...query, where: { id: ctx.viewer.userId } }),
  }),
);
