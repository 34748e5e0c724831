// What an import would do, name by name: a pure function of the file's entries, the entries the
// vault has with those names, and the caller's choices. No database, no keys: the service reads
// the existing entries and tells which variables already hold the file's value.
import type { EntryKind } from "../../db/enums.ts";
import { nameKey } from "../entry/entry.rules.ts";
import type { EnvEntry } from "./env-file.ts";

export type ConflictPolicy = "SKIP" | "OVERWRITE" | "FAIL";

/** What the plan needs of an existing entry. */
export type ExistingEntry = { name: string; kind: EntryKind };

export type ImportPlan<E extends ExistingEntry> = {
  created: string[];
  updated: string[];
  unchanged: string[];
  skipped: string[];
  /** Names that exist and stop the import (FAIL, or an entry of the other kind). */
  conflicts: string[];
  /** Of the conflicts, those that exist as the other kind. */
  otherKind: string[];
  toCreate: EnvEntry[];
  toUpdate: { entry: E; value: string }[];
};

/** The kind a line of the file is imported as: `kind`, or a variable when its name key is in `variables`. */
export const lineKind = (name: string, kind: EntryKind, variables?: ReadonlySet<string>): EntryKind =>
  variables?.has(nameKey(name)) ? "VARIABLE" : kind;

/**
 * The plan of importing `entries` as `kind` (those named in `variables` as variables). `existing`
 * is keyed by name key (upper case); `unchanged` holds the name keys of existing entries whose
 * value is the file's: the service says so of a secret only within verifySecret's limits
 * (docs/architecture.md rule 4). An entry of the other kind is never overwritten.
 */
export function planImport<E extends ExistingEntry>(input: {
  entries: readonly EnvEntry[];
  existing: ReadonlyMap<string, E>;
  unchanged: ReadonlySet<string>;
  kind: EntryKind;
  /** Name keys of the lines imported as variables whatever `kind` says. */
  variables?: ReadonlySet<string>;
  onConflict: ConflictPolicy;
}): ImportPlan<E> {
  const plan: ImportPlan<E> = {
    created: [],
    updated: [],
    unchanged: [],
    skipped: [],
    conflicts: [],
    otherKind: [],
    toCreate: [],
    toUpdate: [],
  };
  for (const entry of input.entries) {
    const key = nameKey(entry.name);
    const current = input.existing.get(key);
    if (!current) {
      plan.toCreate.push(entry);
      plan.created.push(entry.name);
    } else if (current.kind !== lineKind(entry.name, input.kind, input.variables)) {
      if (input.onConflict === "SKIP") plan.skipped.push(current.name);
      else {
        plan.otherKind.push(current.name);
        plan.conflicts.push(current.name);
      }
    } else if (input.unchanged.has(key)) {
      plan.unchanged.push(current.name);
    } else if (input.onConflict === "SKIP") {
      plan.skipped.push(current.name);
    } else if (input.onConflict === "OVERWRITE") {
      plan.toUpdate.push({ entry: current, value: entry.value });
      plan.updated.push(current.name);
    } else {
      plan.conflicts.push(current.name);
    }
  }
  return plan;
}
