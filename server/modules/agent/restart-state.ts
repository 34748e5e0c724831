// docs/architecture.md rule 7: an agent runs with the environment it had when it last started. It needs a
// restart when its attached entries, or their versions, differ from that environment.
import { compareNames } from "../entry/entry.rules.ts";

export type EnvironmentChange = "ADDED" | "UPDATED" | "REMOVED";
export type RunningEntry = { entryId: string; name: string; version: number };
export type PendingChange = { name: string; change: EnvironmentChange };

/** What an agent's environment holds of an entry: its version, or for a brokered secret only that it is brokered. */
type Held = { id: string; name: string; version: number; upstream?: string | null };

// A brokered secret's value is read by the broker on each request: a new value is no change to the
// agent's environment (its placeholder stays), so it is recorded as version 0, which no value has.
const heldVersion = (entry: Held) => (entry.upstream ? 0 : entry.version);

export function parseRunningEnv(json: string): RunningEntry[] {
  return JSON.parse(json) as RunningEntry[];
}

export function runningEnvOf(entries: readonly Held[]): string {
  return JSON.stringify(
    entries
      .map((entry) => ({ entryId: entry.id, name: entry.name, version: heldVersion(entry) }))
      .sort((a, b) => compareNames(a.name, b.name)),
  );
}

export function pendingChanges(runningEnvJson: string, current: readonly Held[]): PendingChange[] {
  const running = new Map(parseRunningEnv(runningEnvJson).map((entry) => [entry.entryId, entry]));
  const changes: PendingChange[] = [];
  for (const entry of current) {
    const before = running.get(entry.id);
    if (!before) changes.push({ name: entry.name, change: "ADDED" });
    else if (before.version !== heldVersion(entry)) changes.push({ name: entry.name, change: "UPDATED" });
    running.delete(entry.id);
  }
  for (const gone of running.values()) changes.push({ name: gone.name, change: "REMOVED" });
  return changes.sort((a, b) => compareNames(a.name, b.name) || compareNames(a.change, b.change));
}
