import { builder } from "../../builder.ts";
import { apiTokenOf, apiTokensOf } from "../token/token.dal.ts";
import { ApiTokenRef } from "../token/token.schema.ts";
import { userById } from "./user.dal.ts";

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
      resolve: (query, user, _args, ctx) => apiTokensOf(ctx.db, user.id, query),
    }),
    token: t.prismaField({
      type: ApiTokenRef,
      description: "The API token that made this request: its name, scopes and expiry.",
      resolve: (query, _user, _args, ctx) =>
        apiTokenOf(ctx.db, ctx.viewer.userId, ctx.viewer.tokenId, query).then((token) => {
          if (!token) throw new Error("the request's own token is gone");
          return token;
        }),
    }),
  }),
});

builder.queryField("viewer", (t) =>
  t.prismaField({
    type: UserRef,
    description: "The user whose API token made this request.",
    resolve: (query, _root, _args, ctx) => userById(ctx.db, ctx.viewer.userId, query),
  }),
);
