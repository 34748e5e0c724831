import {
  type GraphQLField,
  GraphQLInt,
  type GraphQLObjectType,
  type GraphQLSchema,
  getNullableType,
  isInterfaceType,
  isListType,
  isObjectType,
  lexicographicSortSchema,
  printSchema,
} from "graphql";
import { requiresScopeText, TOKEN_SCOPES, type TokenScope } from "./auth/scopes.ts";
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
import "./modules/limit/limit.schema.ts";
import "./modules/leak/leak.schema.ts";

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});

type Scopes = Record<string, unknown> | ((...args: never[]) => unknown);
const isScope = (name: string): name is TokenScope => Object.hasOwn(TOKEN_SCOPES, name);

/**
 * The sentence a field's description gets from its scopes, written once as its authScopes: a
 * scope ("Requires the X scope."), scopes of which one will do, or a check's own sentence; with
 * what the field answers without them when it answers at all (an empty list, 0, null).
 */
function scopeSentence(scopes: Scopes, field: GraphQLField<unknown, unknown>, answersWithout: boolean): string {
  if (typeof scopes === "function") return (scopes as { describes?: string }).describes ?? "";
  const any = (scopes.$any ?? {}) as Record<string, unknown>;
  const named = [...Object.keys(scopes), ...Object.keys(any)].filter(isScope);
  if (named.length === 0) return "";
  if (!answersWithout) {
    if (named.length !== 1) throw new Error(`${field.name}: a field that refuses requires exactly one scope`);
    return requiresScopeText(named[0] as TokenScope);
  }
  const type = getNullableType(field.type);
  const empty = isListType(type) ? "empty" : type === GraphQLInt ? "0" : "null";
  return `Shown with the ${named.join(" or ")} scope; ${empty} without.`;
}

/**
 * Every field's scopes are declared once, as its authScopes; its description says so from that
 * same declaration (what clients read in GraphiQL, and what the authorization walk checks). A root
 * field requires exactly one scope.
 */
function describeScopes(built: GraphQLSchema): GraphQLSchema {
  const roots = new Set([built.getQueryType(), built.getMutationType(), built.getSubscriptionType()]);
  for (const type of Object.values(built.getTypeMap())) {
    if (!(isObjectType(type) || isInterfaceType(type)) || type.name.startsWith("__")) continue;
    for (const field of Object.values(type.getFields())) {
      const options = field.extensions?.pothosOptions as
        | { authScopes?: Scopes; unauthorizedResolver?: unknown }
        | undefined;
      if (!options?.authScopes) continue;
      if (roots.has(type as GraphQLObjectType) && typeof options.authScopes === "function") {
        throw new Error(`${type.name}.${field.name}: a root field's scope is a scope, not a check`);
      }
      const text = scopeSentence(options.authScopes, field, !!options.unauthorizedResolver);
      if (text && !field.description?.includes(text)) {
        field.description = field.description ? `${field.description} ${text}` : text;
      }
    }
  }
  return built;
}

export const schema = describeScopes(builder.toSchema());

export function printSchemaFile(): string {
  return `${printSchema(lexicographicSortSchema(schema))}\n`;
}
