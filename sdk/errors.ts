// Errors the SDK rejects with. Every one is a VaultError with a `code`; expected failures of the
// API (typed results) have their own classes, with the fields their GraphQL types carry.

export type VaultErrorCode =
  | "VALIDATION"
  | "NAME_TAKEN"
  | "NOT_FOUND"
  | "VERSION_CONFLICT"
  | "ENTRY_IN_USE"
  | "LIMIT_EXCEEDED"
  | "ENV_PARSE"
  | "PROVIDER_REQUEST"
  | "UNAUTHENTICATED"
  | "NETWORK"
  | "GRAPHQL";

export class VaultError extends Error {
  override name = "VaultError";
  constructor(
    message: string,
    readonly code: VaultErrorCode,
  ) {
    super(message);
  }
}

export class ValidationError extends VaultError {
  override name = "ValidationError";
  constructor(
    message: string,
    /** The input field that broke a rule. */
    readonly field: string,
  ) {
    super(message, "VALIDATION");
  }
}

export class NameTakenError extends VaultError {
  override name = "NameTakenError";
  constructor(
    message: string,
    /** Every name that is taken (an import can meet several). */
    readonly names: string[] = [],
  ) {
    super(message, "NAME_TAKEN");
  }
}

export class NotFoundError extends VaultError {
  override name = "NotFoundError";
  constructor(message: string) {
    super(message, "NOT_FOUND");
  }
}

export class VersionConflictError extends VaultError {
  override name = "VersionConflictError";
  constructor(
    message: string,
    readonly currentVersion: number,
  ) {
    super(message, "VERSION_CONFLICT");
  }
}

export class EntryInUseError extends VaultError {
  override name = "EntryInUseError";
  constructor(
    message: string,
    /** The agents that use the entry: detach it from them first. */
    readonly agents: { id: string; name: string }[],
  ) {
    super(message, "ENTRY_IN_USE");
  }
}

export class LimitExceededError extends VaultError {
  override name = "LimitExceededError";
  constructor(message: string) {
    super(message, "LIMIT_EXCEEDED");
  }
}

export class EnvParseError extends VaultError {
  override name = "EnvParseError";
  constructor(
    message: string,
    /** Each bad line of the file: its number and what is wrong. */
    readonly lines: { line: number; message: string }[],
  ) {
    super(message, "ENV_PARSE");
  }
}

export class ProviderRequestError extends VaultError {
  override name = "ProviderRequestError";
  constructor(message: string) {
    super(message, "PROVIDER_REQUEST");
  }
}

type ErrorResult = {
  __typename: string;
  message?: string;
  field?: string;
  currentVersion?: number;
  agents?: { id: string; name: string }[];
  names?: string[];
  lines?: { line: number; message: string }[];
};

/** The SDK error for a typed error result of the API. */
export function errorFromResult(result: ErrorResult): VaultError {
  const message = result.message ?? result.__typename;
  switch (result.__typename) {
    case "ValidationError":
      return new ValidationError(message, result.field ?? "");
    case "NameTakenError":
      return new NameTakenError(message, result.names ?? []);
    case "NotFoundError":
      return new NotFoundError(message);
    case "VersionConflictError":
      return new VersionConflictError(message, result.currentVersion ?? 0);
    case "EntryInUseError":
      return new EntryInUseError(message, result.agents ?? []);
    case "EnvParseError":
      return new EnvParseError(message, result.lines ?? []);
    case "ProviderRequestError":
      return new ProviderRequestError(message);
    case "LimitExceededError":
      return new LimitExceededError(message);
    default:
      return new VaultError(message, "GRAPHQL");
  }
}
