// Expected failures. Services throw these; the GraphQL schema turns them into typed results.
// Their messages are shown to users, so they never include a value.

export type AgentSummary = { id: string; name: string };

export class VaultFailure extends Error {}

export class ValidationError extends VaultFailure {
  override name = "ValidationError";
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
  }
}

export class NameTakenError extends VaultFailure {
  override name = "NameTakenError";
  readonly names: readonly string[];
  constructor(taken: string | readonly string[], what = "An entry", message?: string) {
    const names = typeof taken === "string" ? [taken] : [...taken];
    super(
      message ??
        (names.length === 1
          ? `${what} named ${names[0]} already exists (names are unique regardless of case)`
          : `Entries named ${names.join(", ")} already exist (names are unique regardless of case)`),
    );
    this.names = names;
  }

  get takenName(): string {
    return this.names[0] ?? "";
  }
}

export class NotFoundError extends VaultFailure {
  override name = "NotFoundError";
  constructor(what: string, id: string) {
    super(`No ${what} with id ${JSON.stringify(id)}`);
  }
}

export class VersionConflictError extends VaultFailure {
  override name = "VersionConflictError";
  constructor(
    readonly currentVersion: number,
    expectedVersion: number,
  ) {
    super(`Expected version ${expectedVersion}, but the entry is at version ${currentVersion}; nothing was changed`);
  }
}

export class EntryInUseError extends VaultFailure {
  override name = "EntryInUseError";
  constructor(
    entryName: string,
    readonly agents: AgentSummary[],
    /** What the refused action was, as "detach it before ...": "deleting it" unless said. */
    doing = "deleting it",
  ) {
    super(
      `${entryName} is attached to ${agents.length === 1 ? "agent" : "agents"} ${agents
        .map((agent) => agent.name)
        .join(", ")}; detach it before ${doing}`,
    );
  }
}

export class LimitExceededError extends VaultFailure {
  override name = "LimitExceededError";
}

export type EnvLineProblem = { line: number; message: string };

/** A .env file with bad lines: each with its number and what is wrong. Nothing was written. */
export class EnvParseError extends VaultFailure {
  override name = "EnvParseError";
  constructor(readonly lines: readonly EnvLineProblem[]) {
    super(
      `The file has ${lines.length} bad ${lines.length === 1 ? "line" : "lines"} (${lines
        .slice(0, 5)
        .map((problem) => `line ${problem.line}: ${problem.message}`)
        .join("; ")}${lines.length > 5 ? "; ..." : ""}); nothing was imported`,
    );
  }
}

/** A call the vault made for the user to another service (an AI provider, an OAuth issuer) failed. */
export class ProviderRequestError extends VaultFailure {
  override name = "ProviderRequestError";
}
