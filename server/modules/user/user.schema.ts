import { builder } from "../../builder.ts";
import { ApiTokenRef } from "../token/token.schema.ts";

export const UserRef = builder.prismaObject("User", {
  description: "One vault: everything in it belongs to this user.",
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    apiTokens: t.relation("apiTokens", { type: ApiTokenRef, query: { orderBy: { createdAt: "asc" } } }),
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
