// The operations the tests send, written as a client following the public schema would write them.
import type { Gql } from "./test-vault.ts";

const ENTRY_BASE = "id name kind version fingerprint createdAt updatedAt usedByCount usedBy { id name }";
export const ENTRY_FIELDS = `${ENTRY_BASE} ... on Variable { value }`;
export const AGENT_FIELDS = `id name restartRequired lastRestartedAt pendingChanges { name change }
  entries { id name kind version }`;

const V = "... on ValidationError { field }";
const C = "... on VersionConflictError { currentVersion }";
const U = "... on EntryInUseError { agents { id name } }";

// For each mutation: its input type, the fields of its success data, and the error fragments
// that its result union allows.
const MUTATIONS: Record<string, [input: string, data: string | null, errors: string]> = {
  addSecret: ["AddSecretInput", ENTRY_BASE, V],
  addVariable: ["AddVariableInput", `${ENTRY_BASE} value`, V],
  updateSecret: ["UpdateSecretInput", ENTRY_BASE, `${V} ${C}`],
  updateVariable: ["UpdateVariableInput", `${ENTRY_BASE} value`, `${V} ${C}`],
  deleteEntry: ["DeleteEntryInput", null, U],
  verifySecret: ["VerifySecretInput", null, ""],
  createAgent: ["CreateAgentInput", AGENT_FIELDS, V],
  attachEntries: ["AgentEntriesInput", AGENT_FIELDS, ""],
  detachEntries: ["AgentEntriesInput", AGENT_FIELDS, ""],
  restartAgent: ["AgentIdInput", AGENT_FIELDS, ""],
  deleteAgent: ["AgentIdInput", null, ""],
  createApiToken: ["CreateApiTokenInput", "token apiToken { id name createdAt expiresAt revokedAt }", V],
  revokeApiToken: ["RevokeApiTokenInput", "id name revokedAt", ""],
  createRuntimeToken: ["CreateRuntimeTokenInput", "token runtimeToken { id }", ""],
  revokeRuntimeToken: ["RevokeRuntimeTokenInput", null, ""],
  importEnv: ["ImportEnvInput", "created updated unchanged skipped conflicts applied", V],
  connectAiProvider: ["ConnectAiProviderInput", "provider connected method", V],
};

function resultOf(field: string, dataFields: string | null, errors: string) {
  const success = `Mutation${field[0]?.toUpperCase()}${field.slice(1)}Success`;
  return `${field}(input: $input) { __typename ... on Error { message } ${errors}
    ... on ${success} { data ${dataFields ? `{ ${dataFields} }` : ""} } }`;
}

export type MutationName = keyof typeof MUTATIONS;

/** Sends a mutation and returns its typed result: `{ __typename, data }` or an error object. */
// biome-ignore lint/suspicious/noExplicitAny: results are checked field by field
export async function mutate(gql: Gql, field: MutationName, input: Record<string, unknown>): Promise<any> {
  const [inputType, dataFields, errors] = MUTATIONS[field] as [string, string | null, string];
  const response = await gql(`mutation ($input: ${inputType}!) { ${resultOf(field, dataFields, errors)} }`, { input });
  if (response.errors) throw new Error(`${field}: ${JSON.stringify(response.errors)}`);
  return response.data[field];
}

/** Like mutate, but expects success and returns its data. */
// biome-ignore lint/suspicious/noExplicitAny: results are checked field by field
export async function ok(gql: Gql, field: MutationName, input: Record<string, unknown>): Promise<any> {
  const result = await mutate(gql, field, input);
  if (!result.__typename.endsWith("Success")) throw new Error(`${field} failed: ${JSON.stringify(result)}`);
  return result.data;
}

// biome-ignore lint/suspicious/noExplicitAny: results are checked field by field
export async function query(gql: Gql, text: string, variables?: Record<string, unknown>): Promise<any> {
  const response = await gql(text, variables);
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data;
}

export const getEntry = async (gql: Gql, id: string) =>
  (await query(gql, `query ($id: ID!) { entry(id: $id) { ${ENTRY_FIELDS} } }`, { id })).entry;

export const getAgent = async (gql: Gql, id: string) =>
  (await query(gql, `query ($id: ID!) { agent(id: $id) { ${AGENT_FIELDS} } }`, { id })).agent;
