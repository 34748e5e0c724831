import { DateTimeResolver } from "graphql-scalars";
import { ForbiddenError, TOKEN_SCOPES } from "../../auth/scopes.ts";
import { builder } from "../../builder.ts";
import {
  LimitExceededError,
  NameTakenError,
  NotFoundError,
  ProviderRequestError,
  ValidationError,
  VersionConflictError,
} from "./errors.ts";

builder.addScalarType("DateTime", DateTimeResolver);

export const ErrorInterface = builder.interfaceRef<Error>("Error").implement({
  description: "An expected failure: nothing was changed, and message says why.",
  fields: (t) => ({ message: t.exposeString("message") }),
});

export const TokenScopeEnum = builder.enumType("TokenScope", {
  description: "What an API token may do. Every field that needs one says so in its description.",
  values: Object.fromEntries(Object.entries(TOKEN_SCOPES).map(([name, description]) => [name, { description }])) as {
    [K in keyof typeof TOKEN_SCOPES]: { description: string };
  },
});

builder.objectType(ForbiddenError, {
  name: "ForbiddenError",
  description: "The token lacks a scope this needs; scope names it. Nothing was changed.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ scope: t.field({ type: TokenScopeEnum, resolve: (error) => error.scope }) }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  description: "An input broke a rule; field names the input.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ field: t.exposeString("field") }),
});

builder.objectType(NameTakenError, {
  name: "NameTakenError",
  interfaces: [ErrorInterface],
  fields: (t) => ({
    name: t.exposeString("takenName"),
    names: t.stringList({ description: "Every name that is taken.", resolve: (error) => [...error.names] }),
  }),
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "No such object in this vault (the same answer whether it never existed or is someone else's).",
  interfaces: [ErrorInterface],
});

builder.objectType(VersionConflictError, {
  name: "VersionConflictError",
  interfaces: [ErrorInterface],
  fields: (t) => ({ currentVersion: t.exposeInt("currentVersion") }),
});

builder.objectType(LimitExceededError, {
  name: "LimitExceededError",
  interfaces: [ErrorInterface],
});

builder.objectType(ProviderRequestError, {
  name: "ProviderRequestError",
  description: "A request the vault made to another service for you (an AI provider, an OAuth issuer) failed.",
  interfaces: [ErrorInterface],
});

builder.queryField("hello", (t) =>
  t.string({
    description: "A constant answer: a health probe through authentication and GraphQL, and the benchmarks' baseline.",
    resolve: () => "hello",
  }),
);
