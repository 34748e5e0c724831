import { DateTimeResolver } from "graphql-scalars";
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
