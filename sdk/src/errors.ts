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
  | "FORBIDDEN"
  | "UNAUTHENTICATED"
  | "TOO_MANY_REQUESTS"
  | "VALUE_UNREADABLE"
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

/** The token lacks a scope the operation needs; `scope` names it (such as ENTRIES_WRITE). */
export class ForbiddenError extends VaultError {
  override name = "ForbiddenError";
  constructor(
    message: string,
    readonly scope: string,
  ) {
    super(message, "FORBIDDEN");
  }
}

/** The token is missing, malformed, unknown, expired or revoked. */
export class UnauthenticatedError extends VaultError {
  override name = "UnauthenticatedError";
  constructor(message: string) {
    super(message, "UNAUTHENTICATED");
  }
}

/** Too many failed attempts from this address or with this token; `retryAfter` is in seconds. */
export class TooManyRequestsError extends VaultError {
  override name = "TooManyRequestsError";
  constructor(
    message: string,
    readonly retryAfter: number | null,
  ) {
    super(message, "TOO_MANY_REQUESTS");
  }
}

/**
 * A stored value the vault refuses to hand out: it failed its integrity check (changed in the
 * database), or it is under a master key version the server no longer has. The message names
 * the entry.
 */
export class ValueUnreadableError extends VaultError {
  override name = "ValueUnreadableError";
  constructor(message: string) {
    super(message, "VALUE_UNREADABLE");
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
  scope?: unknown;
  retryAfter?: unknown;
};

/** The SDK error for a typed error result of the API, or for a GraphQL error's code. */
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
    case "ForbiddenError":
    case "FORBIDDEN":
      return new ForbiddenError(message, typeof result.scope === "string" ? result.scope : "");
    case "UNAUTHENTICATED":
      return new UnauthenticatedError(message);
    case "TOO_MANY_REQUESTS":
      return new TooManyRequestsError(message, typeof result.retryAfter === "number" ? result.retryAfter : null);
    case "VALUE_UNREADABLE":
      return new ValueUnreadableError(message);
    default:
      return new VaultError(message, "GRAPHQL");
  }
}
