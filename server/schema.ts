import { type GraphQLObjectType, type GraphQLSchema, lexicographicSortSchema, printSchema } from "graphql";
import { requiresScopeText, TOKEN_SCOPES } from "./auth/scopes.ts";
import { builder } from "./builder.ts";
import "./modules/common/common.schema.ts";
import "./modules/agent/agent.schema.ts";
import "./modules/attachment/attachment.schema.ts";
import "./modules/entry/entry.schema.ts";
import "./modules/entry/entry-versions.schema.ts";
import "./modules/activity/activity.schema.ts";
import "./modules/import/import.schema.ts";
import "./modules/notice/notice.schema.ts";
import "./modules/provider/provider.schema.ts";
import "./modules/runtime/runtime.schema.ts";
import "./modules/token/token.schema.ts";
import "./modules/user/user.schema.ts";

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

/**
 * Each root field's scope is declared once, as its authScopes; its description says so from that
 * same value (what clients read in GraphiQL, and what the authorization walk checks).
 */
function describeScopes(built: GraphQLSchema): GraphQLSchema {
  const roots = [built.getQueryType(), built.getMutationType(), built.getSubscriptionType()];
  for (const root of roots.filter((type): type is GraphQLObjectType => !!type)) {
    for (const field of Object.values(root.getFields())) {
      const options = field.extensions?.pothosOptions as { authScopes?: unknown } | undefined;
      const scopes = options?.authScopes;
      if (!scopes || typeof scopes !== "object") continue;
      const named = Object.keys(scopes).filter((scope) => Object.hasOwn(TOKEN_SCOPES, scope));
      if (named.length !== 1) throw new Error(`${root.name}.${field.name}: a root field requires exactly one scope`);
      const text = requiresScopeText(named[0] as keyof typeof TOKEN_SCOPES);
      field.description = field.description ? `${field.description} ${text}` : text;
    }
  }
  return built;
}

export const schema = describeScopes(builder.toSchema());

export function printSchemaFile(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
