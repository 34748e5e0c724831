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
  constructor(
    readonly takenName: string,
    what = "An entry",
  ) {
    super(`${what} named ${takenName} already exists (names are unique regardless of case)`);
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
  ) {
    super(
      `${entryName} is attached to ${agents.length === 1 ? "agent" : "agents"} ${agents
        .map((agent) => agent.name)
        .join(", ")}; detach it before deleting it`,
    );
  }
}

export class LimitExceededError extends VaultFailure {
  override name = "LimitExceededError";
}
