// createVaultClient: one typed method per operation of the vault's API, over urql.
import { Client, type CombinedError, fetchExchange, stringifyDocument, type TypedDocumentNode } from "@urql/core";
import { createClient as createSseClient } from "graphql-sse";
import { errorFromResult, VaultError } from "./errors.ts";
import * as D from "./generated/graphql.ts";

export type VaultClientOptions = {
  /** The GraphQL address, such as http://localhost:4000/graphql. */
  url: string;
  /** An API token (avt_...). */
  token: string;
  /** A fetch implementation; the global one by default. */
  fetch?: typeof fetch;
};

type Success<R> = R extends { __typename: `Mutation${string}Success`; data: infer Data } ? Data : never;
type Input<V> = V extends { input: infer I } ? I : never;

export type RestartNotice = D.RestartNeededSubscription["restartNeeded"];

type GraphQLErrorLike = { message: string; extensions?: Record<string, unknown> | null };

function fromGraphQLErrors(errors: readonly GraphQLErrorLike[]): VaultError {
  const unauthenticated = errors.find((e) => e.extensions?.code === "UNAUTHENTICATED");
  if (unauthenticated) return new VaultError(unauthenticated.message, "UNAUTHENTICATED");
  return new VaultError(errors.map((e) => e.message).join("; "), "GRAPHQL");
}

function fromStreamError(error: unknown): VaultError {
  if (error instanceof VaultError) return error;
  const status = (error as { response?: { status?: number } })?.response?.status;
  if (status === 401)
    return new VaultError("Authentication failed: the token is missing, invalid or revoked", "UNAUTHENTICATED");
  if (Array.isArray(error)) return fromGraphQLErrors(error as GraphQLErrorLike[]);
  return new VaultError(`The subscription failed: ${(error as Error)?.message ?? String(error)}`, "NETWORK");
}

function toVaultError(error: CombinedError): VaultError {
  const unauthenticated = error.graphQLErrors.find((e) => e.extensions?.code === "UNAUTHENTICATED");
  if (unauthenticated) return new VaultError(unauthenticated.message, "UNAUTHENTICATED");
  if (error.networkError) return new VaultError(`Cannot reach the vault: ${error.networkError.message}`, "NETWORK");
  return new VaultError(error.graphQLErrors.map((e) => e.message).join("; ") || error.message, "GRAPHQL");
}

export function createVaultClient(options: VaultClientOptions) {
  const client = new Client({
    url: options.url,
    fetch: options.fetch,
    exchanges: [fetchExchange],
    requestPolicy: "network-only",
    preferGetMethod: false,
    fetchOptions: () => ({ headers: { authorization: `Bearer ${options.token}` } }),
  });

  async function query<Data, Variables extends Record<string, unknown>>(
    document: TypedDocumentNode<Data, Variables>,
    variables: Variables,
  ): Promise<Data> {
    const result = await client.query(document, variables).toPromise();
    if (result.error) throw toVaultError(result.error);
    if (!result.data) throw new VaultError("The vault answered without data", "GRAPHQL");
    return result.data;
  }

  async function mutate<Data, Variables extends { input: unknown }, Field extends keyof Data>(
    document: TypedDocumentNode<Data, Variables>,
    field: Field,
    input: Input<Variables>,
  ): Promise<Success<Data[Field]>> {
    const result = await client.mutation(document, { input } as Variables).toPromise();
    if (result.error) throw toVaultError(result.error);
    const outcome = result.data?.[field] as { __typename: string; data?: unknown } | undefined;
    if (!outcome) throw new VaultError("The vault answered without data", "GRAPHQL");
    if (outcome.__typename.endsWith("Success")) return outcome.data as Success<Data[Field]>;
    throw errorFromResult(outcome);
  }

  return {
    /** The underlying urql client, for operations of your own. */
    client,

    viewer: async () => (await query(D.ViewerDocument, {})).viewer,
    entries: async (variables: D.EntriesQueryVariables = {}) => (await query(D.EntriesDocument, variables)).entries,
    entry: async (variables: D.EntryQueryVariables) => (await query(D.EntryDocument, variables)).entry,
    entryByName: async (variables: D.EntryByNameQueryVariables) =>
      (await query(D.EntryByNameDocument, variables)).entryByName,
    agents: async (variables: D.AgentsQueryVariables = {}) => (await query(D.AgentsDocument, variables)).agents,
    agent: async (variables: D.AgentQueryVariables) => (await query(D.AgentDocument, variables)).agent,
    agentByName: async (variables: D.AgentByNameQueryVariables) =>
      (await query(D.AgentByNameDocument, variables)).agentByName,

    addSecret: (input: D.AddSecretInput) => mutate(D.AddSecretDocument, "addSecret", input),
    addVariable: (input: D.AddVariableInput) => mutate(D.AddVariableDocument, "addVariable", input),
    updateSecret: (input: D.UpdateSecretInput) => mutate(D.UpdateSecretDocument, "updateSecret", input),
    updateVariable: (input: D.UpdateVariableInput) => mutate(D.UpdateVariableDocument, "updateVariable", input),
    deleteEntry: (input: D.DeleteEntryInput) => mutate(D.DeleteEntryDocument, "deleteEntry", input),
    verifySecret: (input: D.VerifySecretInput) => mutate(D.VerifySecretDocument, "verifySecret", input),
    createAgent: (input: D.CreateAgentInput) => mutate(D.CreateAgentDocument, "createAgent", input),
    attachEntries: (input: D.AgentEntriesInput) => mutate(D.AttachEntriesDocument, "attachEntries", input),
    detachEntries: (input: D.AgentEntriesInput) => mutate(D.DetachEntriesDocument, "detachEntries", input),
    restartAgent: (input: D.AgentIdInput) => mutate(D.RestartAgentDocument, "restartAgent", input),
    deleteAgent: (input: D.AgentIdInput) => mutate(D.DeleteAgentDocument, "deleteAgent", input),
    createApiToken: (input: D.CreateApiTokenInput) => mutate(D.CreateApiTokenDocument, "createApiToken", input),
    revokeApiToken: (input: D.RevokeApiTokenInput) => mutate(D.RevokeApiTokenDocument, "revokeApiToken", input),
    importEnv: (input: D.ImportEnvInput) => mutate(D.ImportEnvDocument, "importEnv", input),
    aiProviders: async () => (await query(D.AiProvidersDocument, {})).aiProviders,
    connectAiProvider: (input: D.ConnectAiProviderInput) =>
      mutate(D.ConnectAiProviderDocument, "connectAiProvider", input),
    disconnectAiProvider: (input: D.AiProviderInput) =>
      mutate(D.DisconnectAiProviderDocument, "disconnectAiProvider", input),
    checkAiProvider: (input: D.AiProviderInput) => mutate(D.CheckAiProviderDocument, "checkAiProvider", input),
    refreshAiProvider: (input: D.AiProviderInput) => mutate(D.RefreshAiProviderDocument, "refreshAiProvider", input),
    createRuntimeToken: (input: D.CreateRuntimeTokenInput) =>
      mutate(D.CreateRuntimeTokenDocument, "createRuntimeToken", input),

    /**
     * Restart-needed notices as they happen, over server-sent events: for every agent, or for
     * one with `{ agentId }`. End it with `return()` (or `break` in a for await loop).
     */
    restartNeeded(
      variables: D.RestartNeededSubscriptionVariables = {},
      on: { connected?: () => void } = {},
    ): AsyncGenerator<RestartNotice> {
      const sse = createSseClient({
        url: options.url,
        headers: { authorization: `Bearer ${options.token}` },
        fetchFn: options.fetch,
        retryAttempts: 3,
      });
      const results = sse.iterate<D.RestartNeededSubscription>(
        { query: stringifyDocument(D.RestartNeededDocument), variables },
        { connected: () => on.connected?.() },
      );
      return (async function* () {
        try {
          for await (const result of results) {
            if (result.errors?.length) throw fromGraphQLErrors(result.errors);
            if (result.data) yield result.data.restartNeeded;
          }
        } catch (error) {
          throw fromStreamError(error);
        } finally {
          await results.return?.();
          sse.dispose();
        }
      })();
    },
  };
}

export type VaultClient = ReturnType<typeof createVaultClient>;
