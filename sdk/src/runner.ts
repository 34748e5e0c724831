// How every generated method talks to the vault: a query resolves with its root field; a
// mutation resolves with its success data, or rejects with the error class of its typed error.
import type { AnyVariables, Client, CombinedError, TypedDocumentNode } from "@urql/core";
import { errorFromResult, VaultError } from "./errors.ts";

/** The `data` of a mutation's success member (`Mutation<Name>Success`). */
export type Success<Result> = Result extends { __typename: `Mutation${string}Success`; data: infer Data }
  ? Data
  : never;

export type OperationRunner = {
  query<Data, Variables extends AnyVariables, Field extends keyof Data>(
    document: TypedDocumentNode<Data, Variables>,
    field: Field,
    variables: Variables,
  ): Promise<Data[Field]>;
  mutation<Data, Input, Field extends keyof Data>(
    document: TypedDocumentNode<Data, { input: Input }>,
    field: Field,
    input: Input,
  ): Promise<Success<Data[Field]>>;
  mutationWithVariables<Data, Variables extends AnyVariables, Field extends keyof Data>(
    document: TypedDocumentNode<Data, Variables>,
    field: Field,
    variables: Variables,
  ): Promise<Success<Data[Field]>>;
};

type GraphQLErrorLike = { message: string; extensions?: Record<string, unknown> | null };

/** The SDK error for GraphQL errors that are not typed results. */
export function fromGraphQLErrors(errors: readonly GraphQLErrorLike[]): VaultError {
  for (const code of ["UNAUTHENTICATED", "FORBIDDEN", "TOO_MANY_REQUESTS", "VALUE_UNREADABLE"] as const) {
    const found = errors.find((error) => error.extensions?.code === code);
    if (found) return errorFromResult({ __typename: code, message: found.message, ...found.extensions });
  }
  return new VaultError(errors.map((error) => error.message).join("; "), "GRAPHQL");
}

/** A failed request, said so that a person knows what to check. */
export function networkError(url: string, error: Error & { cause?: unknown }): VaultError {
  const cause = error.cause as { code?: string; message?: string } | undefined;
  const reason = cause?.code === "ECONNREFUSED" ? "nothing is listening there" : (cause?.message ?? error.message);
  return new VaultError(
    `Cannot reach the vault at ${url} (${reason}); is it running, and is AGENT_VAULT_URL right?`,
    "NETWORK",
  );
}

/** An HTTP answer that is not GraphQL: most often an address without /graphql. */
export function httpError(url: string, status: number, statusText?: string): VaultError {
  const answer = `${status}${statusText ? ` ${statusText}` : ""}`;
  if (status === 404 && !new URL(url).pathname.endsWith("/graphql")) {
    return new VaultError(
      `The vault at ${url} answered ${answer}: the API is at ${new URL("/graphql", url)}; set AGENT_VAULT_URL to that address`,
      "NETWORK",
    );
  }
  return new VaultError(`The vault at ${url} answered ${answer}`, "NETWORK");
}

function fromCombinedError(url: string, error: CombinedError): VaultError {
  if (error.graphQLErrors.length > 0) return fromGraphQLErrors(error.graphQLErrors);
  const response = error.response as { status?: number; statusText?: string } | undefined;
  if (response?.status && response.status >= 400) return httpError(url, response.status, response.statusText);
  if (error.networkError) return networkError(url, error.networkError);
  return new VaultError(error.message, "GRAPHQL");
}

export function operationRunner(client: Client, url: string): OperationRunner {
  async function run<Data, Variables extends AnyVariables>(
    kind: "query" | "mutation",
    document: TypedDocumentNode<Data, Variables>,
    variables: Variables,
  ): Promise<Data> {
    const result = await client[kind](document, variables).toPromise();
    if (result.error) throw fromCombinedError(url, result.error);
    if (!result.data) throw new VaultError("The vault answered without data", "GRAPHQL");
    return result.data;
  }

  function unwrap(outcome: unknown) {
    const result = outcome as { __typename?: string; data?: unknown } | null | undefined;
    if (!result?.__typename) throw new VaultError("The vault answered without data", "GRAPHQL");
    if (result.__typename.endsWith("Success")) return result.data;
    throw errorFromResult(result as { __typename: string });
  }

  return {
    async query(document, field, variables) {
      return (await run("query", document, variables))[field];
    },
    async mutation(document, field, input) {
      return unwrap((await run("mutation", document, { input }))[field]) as never;
    },
    async mutationWithVariables(document, field, variables) {
      return unwrap((await run("mutation", document, variables))[field]) as never;
    },
  };
}
