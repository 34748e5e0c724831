// docs/architecture.md rule 7: an agent runs with the environment it had when it last started. It needs a
// restart when its attached entries, or their versions, differ from that environment.
import { compareNames } from "../entry/entry.rules.ts";

export type EnvironmentChange = "ADDED" | "UPDATED" | "REMOVED";
export type RunningEntry = { entryId: string; name: string; version: number };
export type PendingChange = { name: string; change: EnvironmentChange };

export function parseRunningEnv(json: string): RunningEntry[] {
  return JSON.parse(json) as RunningEntry[];
}

export function runningEnvOf(entries: readonly { id: string; name: string; version: number }[]): string {
  return JSON.stringify(
    entries
      .map((entry) => ({ entryId: entry.id, name: entry.name, version: entry.version }))
      .sort((a, b) => compareNames(a.name, b.name)),
  );
}

export function pendingChanges(
  runningEnvJson: string,
  current: readonly { id: string; name: string; version: number }[],
): PendingChange[] {
  const running = new Map(parseRunningEnv(runningEnvJson).map((entry) => [entry.entryId, entry]));
  const changes: PendingChange[] = [];
  for (const entry of current) {
    const before = running.get(entry.id);
    if (!before) changes.push({ name: entry.name, change: "ADDED" });
    else if (before.version !== entry.version) changes.push({ name: entry.name, change: "UPDATED" });
    running.delete(entry.id);
  }
  for (const gone of running.values()) changes.push({ name: gone.name, change: "REMOVED" });
  return changes.sort((a, b) => compareNames(a.name, b.name) || compareNames(a.change, b.change));
}
