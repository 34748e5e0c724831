// The tests' typed client: the SDK's generated documents (sdk/operations), sent over a test
// vault's HTTP client, with results typed as the schema and the document say.
import type { ResultOf, TypedDocumentNode, VariablesOf } from "@graphql-typed-document-node/core";
import { print } from "graphql";
import * as D from "../../sdk/src/generated/graphql.ts";
import type { Gql } from "./test-vault.ts";

// Selections for the tests that probe the wire itself (tenancy, leaks): every field an entry
// or agent shows, written as a client would.
const ENTRY_BASE = "id name kind version fingerprint createdAt updatedAt usedByCount usedBy { id name }";
export const ENTRY_FIELDS = `${ENTRY_BASE} ... on Variable { value }`;
export const AGENT_FIELDS = `id name restartRequired lastRestartedAt pendingChanges { name change }
  entries { id name kind version }`;

const MUTATIONS = {
  addSecret: D.AddSecretDocument,
  addVariable: D.AddVariableDocument,
  updateSecret: D.UpdateSecretDocument,
  updateVariable: D.UpdateVariableDocument,
  deleteEntry: D.DeleteEntryDocument,
  verifySecret: D.VerifySecretDocument,
  restoreEntryVersion: D.RestoreEntryVersionDocument,
  createAgent: D.CreateAgentDocument,
  updateAgent: D.UpdateAgentDocument,
  attachEntries: D.AttachEntriesDocument,
  detachEntries: D.DetachEntriesDocument,
  restartAgent: D.RestartAgentDocument,
  deleteAgent: D.DeleteAgentDocument,
  createApiToken: D.CreateApiTokenDocument,
  revokeApiToken: D.RevokeApiTokenDocument,
  createRuntimeToken: D.CreateRuntimeTokenDocument,
  revokeRuntimeToken: D.RevokeRuntimeTokenDocument,
  importEnv: D.ImportEnvDocument,
  connectAiProvider: D.ConnectAiProviderDocument,
  disconnectAiProvider: D.DisconnectAiProviderDocument,
  setAgentLimit: D.SetAgentLimitDocument,
  removeAgentLimit: D.RemoveAgentLimitDocument,
} as const;

type Mutations = typeof MUTATIONS;
export type MutationName = keyof Mutations;
/** A mutation's result: its success (`{ __typename, data }`) or one of the errors its union allows. */
type Results = {
  [F in MutationName]: ResultOf<Mutations[F]>[F & keyof ResultOf<Mutations[F]>] & { __typename: string };
};
export type MutationResult<F extends MutationName> = Results[F];
export type MutationInput<F extends MutationName> = VariablesOf<Mutations[F]>["input"];
type SuccessData<F extends MutationName> = Extract<MutationResult<F>, { data: unknown }>["data"];

const printed = new WeakMap<object, string>();
function textOf(document: TypedDocumentNode<unknown, never>): string {
  let text = printed.get(document);
  if (text === undefined) {
    text = print(document);
    printed.set(document, text);
  }
  return text;
}

/** Sends a generated document and returns its data; GraphQL errors throw. */
export async function request<TResult, TVariables>(
  gql: Gql,
  document: TypedDocumentNode<TResult, TVariables>,
  variables?: TVariables,
): Promise<TResult> {
  const response = await gql<TResult>(textOf(document as TypedDocumentNode<unknown, never>), variables ?? {});
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data as TResult;
}

/**
 * Sends a document the SDK does not hold (introspection, a probe of the wire) and returns its
 * data, with the shape the caller states; GraphQL errors throw.
 */
export async function probe<TData = unknown>(gql: Gql, text: string, variables?: Record<string, unknown>) {
  const response = await gql<TData>(text, variables);
  if (response.errors || response.data == null) throw new Error(JSON.stringify(response.errors ?? response));
  return response.data;
}

/** Sends a mutation and returns its result: success or a typed error. */
export async function mutate<F extends MutationName>(
  gql: Gql,
  field: F,
  input: MutationInput<F>,
): Promise<MutationResult<F>> {
  const document = MUTATIONS[field] as unknown as TypedDocumentNode<Record<F, MutationResult<F>>, { input: unknown }>;
  const data = await request(gql, document, { input });
  return data[field];
}

/** Like mutate, but expects success and returns its data. */
export async function ok<F extends MutationName>(gql: Gql, field: F, input: MutationInput<F>): Promise<SuccessData<F>> {
  const result: { __typename: string } = await mutate(gql, field, input);
  if (!result.__typename.endsWith("Success")) throw new Error(`${field} failed: ${JSON.stringify(result)}`);
  return (result as unknown as { data: SuccessData<F> }).data;
}

/** Expects a mutation to fail with the named error, and returns that error's fields. */
export async function refused<F extends MutationName, T extends string>(
  gql: Gql,
  field: F,
  input: MutationInput<F>,
  typename: T,
): Promise<Extract<MutationResult<F>, { __typename: T }> & { __typename: T; message: string }> {
  const result: { __typename: string } = await mutate(gql, field, input);
  if (result.__typename !== typename) throw new Error(`${field}: expected ${typename}, got ${JSON.stringify(result)}`);
  return result as Extract<MutationResult<F>, { __typename: T }> & { __typename: T; message: string };
}

/** The entry with this id, or null when the user has none. */
export const findEntry = async (gql: Gql, id: string) => (await request(gql, D.EntryDocument, { id })).entry;

/** The entry with this id, which the test expects to exist. */
export async function getEntry(gql: Gql, id: string) {
  const entry = await findEntry(gql, id);
  if (!entry) throw new Error(`no entry ${id}`);
  return entry;
}

/** The agent with this id, which the test expects to exist. */
export async function getAgent(gql: Gql, id: string) {
  const agent = (await request(gql, D.AgentDocument, { id })).agent;
  if (!agent) throw new Error(`no agent ${id}`);
  return agent;
}

export const viewer = async (gql: Gql) => (await request(gql, D.ViewerDocument)).viewer;

export const entryByName = async (gql: Gql, name: string) =>
  (await request(gql, D.EntryByNameDocument, { name })).entryByName;

/** One page of entries (the first 100 unless the variables say otherwise). */
export const listEntries = async (gql: Gql, variables: D.EntriesQueryVariables = {}) =>
  (await request(gql, D.EntriesDocument, variables)).entries;

/** One page of agents (the first 100 unless the variables say otherwise). */
export const listAgents = async (gql: Gql, variables: D.AgentsQueryVariables = {}) =>
  (await request(gql, D.AgentsDocument, variables)).agents;

/** The nodes of a connection's page, in order. */
export const nodes = <T>(connection: { edges: { node: T }[] }): T[] => connection.edges.map((edge) => edge.node);

/** The runtime tokens issued to an agent (ids and names, never the tokens). */
export const getAgentRuntimeTokens = async (gql: Gql, id: string) =>
  (await request(gql, D.AgentRuntimeTokensDocument, { id })).agent?.runtimeTokens ?? [];
