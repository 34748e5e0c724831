// agent-vault/sdk: a typed client for Agent Vault's GraphQL API.
export { createVaultClient, type RestartNotice, type VaultClient, type VaultClientOptions } from "./client.ts";
export {
  EntryInUseError,
  EnvParseError,
  LimitExceededError,
  NameTakenError,
  NotFoundError,
  ProviderRequestError,
  ValidationError,
  VaultError,
  type VaultErrorCode,
  VersionConflictError,
} from "./errors.ts";
export { graphql } from "./generated/gql.ts";
/** The generated typed documents and types, for operations of your own. */
export * from "./generated/graphql.ts";
export {
  type AgentEnvironment,
  createRuntimeClient,
  type RuntimeClient,
  type RuntimeClientOptions,
  type RuntimeEvent,
} from "./runtime.ts";
