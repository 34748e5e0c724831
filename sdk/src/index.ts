// @agent-vault/sdk: a typed client for Agent Vault's GraphQL API and its runtime channel.
export {
  type ActivityEvent,
  type Agent,
  createVaultClient,
  type Entry,
  type EntryVersion,
  type LeakNotice,
  type LimitNotice,
  type ProviderStatusNotice,
  type RestartNotice,
  type VaultClient,
  type VaultClientOptions,
} from "./client.ts";
export {
  EntryInUseError,
  EnvParseError,
  ForbiddenError,
  LimitExceededError,
  NameTakenError,
  NotFoundError,
  ProviderRequestError,
  TooManyRequestsError,
  UnauthenticatedError,
  ValidationError,
  ValueUnreadableError,
  VaultError,
  type VaultErrorCode,
  VersionConflictError,
} from "./errors.ts";
/** The generated typed documents and types, for operations of your own. */
export * from "./generated/graphql.ts";
export { allNodes, collect, type Page } from "./pagination.ts";
export {
  type AgentEnvironment,
  createRuntimeClient,
  type RuntimeClient,
  type RuntimeClientOptions,
  type RuntimeEvent,
  runtimeEndpoint,
} from "./runtime.ts";
export { parseScopeName, scopeName, TOKEN_SCOPES } from "./scopes.ts";
export {
  CONCEALED,
  MIN_SCANNED_LENGTH,
  type ValueMatch,
  type ValueMatcher,
  type ValueReplacer,
  type ValueWatcher,
  valueForms,
  valueMatcher,
} from "./value-scan.ts";
