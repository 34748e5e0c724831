import SchemaBuilder from "@pothos/core";
import ErrorsPlugin from "@pothos/plugin-errors";
import PrismaPlugin from "@pothos/plugin-prisma";
import RelayPlugin from "@pothos/plugin-relay";
import ScopeAuthPlugin from "@pothos/plugin-scope-auth";
import type PrismaTypes from "../prisma/sqlite/client/pothos-types.ts";
import { getDatamodel } from "../prisma/sqlite/client/pothos-types.ts";
import { ALL_SCOPES, ForbiddenError, scopeOfFailure, type TokenScope } from "./auth/scopes.ts";
import type { Context } from "./context.ts";

export const builder = new SchemaBuilder<{
  Context: Context;
  PrismaTypes: PrismaTypes;
  // Each field's scope is declared once, as its authScopes (schema.ts writes it into the field's
  // description); the token's scopes decide, checked before the resolver runs.
  AuthScopes: Record<TokenScope, boolean>;
  DefaultFieldNullability: false;
  Scalars: { DateTime: { Input: Date; Output: Date } };
}>({
  // Errors first: a missing scope on a mutation is its typed ForbiddenError result.
  plugins: [ErrorsPlugin, ScopeAuthPlugin, PrismaPlugin, RelayPlugin],
  defaultFieldNullability: false,
  scopeAuth: {
    authorizeOnSubscribe: true,
    authScopes: (ctx) =>
      Object.fromEntries(ALL_SCOPES.map((scope) => [scope, ctx.viewer.scopes.has(scope)])) as Record<
        TokenScope,
        boolean
      >,
    unauthorizedError: (_parent, _ctx, _info, result) => new ForbiddenError(scopeOfFailure(result.failure)),
  },
  prisma: {
    client: (ctx) => ctx.db,
    dmmf: getDatamodel(),
    filterConnectionTotalCount: true,
    maxConnectionSize: 100,
    defaultConnectionSize: 50,
  },
  relay: {
    clientMutationId: "omit",
    cursorType: "String",
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
  // Only the error classes a field lists become results (and, on every mutation, a missing scope);
  // anything else stays masked.
  errors: { defaultTypes: [ForbiddenError] },
});
