// importEnv: a whole .env file, all or nothing, with a plan before anything is written.
import type { RateLimits } from "../../auth/rate-limits.ts";
import type { Viewer } from "../../auth/viewer.ts";
import type { SealingThread } from "../../crypto/sealing-thread.ts";
import type { UserKeyring } from "../../crypto/user-keys.ts";
import type { Db } from "../../db/database.ts";
import type { EntryKind } from "../../db/enums.ts";
import { isUniqueViolation } from "../../db/errors.ts";
import { newId } from "../../db/ids.ts";
import type { BulkWork, UnitsOfWork } from "../../db/unit-of-work.ts";
import type { VaultEvents } from "../../events/events.ts";
import { timeSlices } from "../../time-slices.ts";
import { type ActivityInput, type ActivityService, doerOf } from "../activity/activity.service.ts";
import { actorJson } from "../activity/actor.ts";
import { assertEnvironmentsFit, attachmentsOf } from "../attachment/attachment.service.ts";
import { EnvParseError, LimitExceededError, NameTakenError, ValidationError, VaultFailure } from "../common/errors.ts";
import { countUserEntries, entriesByNameKeys, entryNameKeys, setValueAt } from "../entry/entry.dal.ts";
import { nameKey } from "../entry/entry.rules.ts";
import { batchSealer, type SealedValue, sameValue, sealValue } from "../entry/entry-value.ts";
import type { CurrentValue, EntryVersions } from "../entry/entry-versions.ts";
import { type EnvEntry, parseEnvFile } from "./env-file.ts";
import { type ImportChangeRow, pruneImports, recordImport } from "./import.dal.ts";
import { type ConflictPolicy, lineKind, planImport } from "./import-plan.ts";
import { importUndo } from "./import-undo.ts";
import { discardStaged, ENTRY_COLUMNS, publishStaged, stageRows } from "./staged-import.ts";

export type { ConflictPolicy };
export type ImportInput = {
  content: string;
  kind: EntryKind;
  onConflict: ConflictPolicy;
  dryRun: boolean;
  /** Leave out entries with an empty value (a secret's cannot be empty) instead of refusing them. */
  skipEmpty?: boolean;
  /** Names in the file imported as variables whatever `kind` says (each must be in the file). */
  variables?: readonly string[];
};
export type ImportReport = {
  created: string[];
  updated: string[];
  unchanged: string[];
  skipped: string[];
  /** Names that exist and would stop the import (FAIL, or an entry of the other kind). */
  conflicts: string[];
  applied: boolean;
  /** The applied import's id, for undoImport; null on a dry run. */
  id: string | null;
};

export const MAX_IMPORT_BYTES = 16 * 1024 * 1024;
const CHUNK = 500;
/** Values sealed per message to the sealing thread. */
const SEAL_BATCH = 1000;
// Smaller imports are sealed inline: starting the thread, and the round trip, cost more.
const SEAL_ON_THREAD_FROM = 200;
const ATTEMPTS = 3;

type EntryRow = SealedValue & {
  updatedBy: string;
  id: string;
  userId: string;
  kind: EntryKind;
  name: string;
  nameKey: string;
  version: number;
  createdAt: Date;
  updatedAt: Date;
};

/** Another writer changed an entry between the plan and the write: plan again. */
class ImportRace extends Error {}

type Existing = CurrentValue & { nameKey: string };

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

// Up to this many entries in the vault, the plan reads all their names in one query.
const NAMES_AT_ONCE = 10_000;

/**
 * The viewer's entries with the imported names. A small vault's names are read at once and only
 * the matches in full; a large vault is looked up name by name, in chunks.
 */
async function existingEntries(db: Db, userId: string, entries: readonly EnvEntry[]) {
  const found = new Map<string, Existing>();
  const total = await countUserEntries(db, userId);
  if (total === 0) return found;
  let candidates = entries.map((entry) => nameKey(entry.name));
  if (total <= NAMES_AT_ONCE) {
    const imported = new Set(candidates);
    const names = await entryNameKeys(db, userId);
    candidates = names.map((row) => row.nameKey).filter((key) => imported.has(key));
  }
  const slices = timeSlices();
  for (const part of chunks(candidates)) {
    if (slices.due()) await slices.next();
    const rows = await entriesByNameKeys(db, userId, part);
    for (const row of rows) found.set(row.nameKey, row);
  }
  return found;
}

type ImportDeps = {
  db: Db;
  /** Days an import can be undone: as long as the activity log keeps its event (default 365). */
  retentionDays?: number;
  /** verifySecret's limits: an applied import's comparison of a secret counts as an attempt. */
  rateLimits: RateLimits;
  uow: UnitsOfWork;
  activity: ActivityService;
  versions: EntryVersions;
  keyring: UserKeyring;
  events: VaultEvents;
  staging: ImportStaging;
  /** Where a large import's values are sealed (inline without one). */
  sealing?: SealingThread;
  /** The server's log. */
  warn?: (line: string) => void;
};

/** When an import's new entries go through ImportStage (modules/import/staged-import.ts). */
export type ImportStaging = {
  /** From this many new entries (SQLite: so that other tenants' writes take turns with a large import's). */
  from: number;
  /**
   * Whenever the import also updates entries (PostgreSQL: the new rows then go to pg directly and
   * move in with one statement, instead of through Prisma in the transaction of the updates).
   */
  withUpdates: boolean;
};

export type ImportService = ReturnType<typeof importService>;

export function importService(deps: ImportDeps) {
  return {
    ...importUndo(deps),

    /** Forgets imports older than the retention period: they can no longer be undone. */
    prune: (now = new Date()) =>
      pruneImports(deps.db, new Date(now.getTime() - (deps.retentionDays ?? 365) * 86_400_000)),

    async importEnv(viewer: Viewer, input: ImportInput): Promise<ImportReport> {
      if (Buffer.byteLength(input.content, "utf8") > MAX_IMPORT_BYTES) {
        throw new LimitExceededError(`A file to import is at most ${MAX_IMPORT_BYTES / 1024 / 1024} MiB`);
      }
      const variables = new Set((input.variables ?? []).map(nameKey));
      const { entries, problems, empty } = await parseEnvFile(
        input.content,
        (name) => lineKind(name, input.kind, variables),
        { skipEmpty: input.skipEmpty },
      );
      if (problems.length > 0) throw new EnvParseError(problems);
      const inFile = new Set([...entries.map((entry) => nameKey(entry.name)), ...empty.map(nameKey)]);
      const missing = (input.variables ?? []).filter((name) => !inFile.has(nameKey(name)));
      if (missing.length > 0) {
        throw new ValidationError(
          `${missing.join(", ")} ${missing.length === 1 ? "is" : "are"} not in the file: only a name the file sets can be imported as a variable`,
          "variables",
        );
      }

      for (let attempt = 1; ; attempt++) {
        try {
          const report = await planAndApply(deps, viewer, input, variables, entries);
          return { ...report, skipped: [...report.skipped, ...empty] };
        } catch (error) {
          const raced = error instanceof ImportRace || isUniqueViolation(error);
          if (!raced || attempt >= ATTEMPTS || error instanceof VaultFailure) throw error;
        }
      }
    },
  };
}

/**
 * Adds to `unchanged` the existing secrets an applied OVERWRITE import gives the value they have,
 * so that re-importing a file makes no new version and no agent restart-required. Only for a
 * token that may call verifySecret (ENTRIES_READ), and each comparison is a verifySecret attempt:
 * once its limit is reached, the rest are written as new versions. A dry run compares nothing, so
 * a plan says the same for a right and a wrong guess (SECURITY.md, Oracles).
 */
async function unchangedSecrets(
  deps: ImportDeps,
  viewer: Viewer,
  entries: readonly EnvEntry[],
  existing: ReadonlyMap<string, Existing>,
  kindOf: (name: string) => EntryKind,
  unchanged: Set<string>,
): Promise<void> {
  if (!viewer.scopes.has("ENTRIES_READ")) return;
  for (const entry of entries) {
    const key = nameKey(entry.name);
    const current = existing.get(key);
    if (current?.kind !== "SECRET" || kindOf(entry.name) !== "SECRET") continue;
    if (await deps.rateLimits.verifyAttempt(viewer.userId, viewer.tokenId, viewer.address)) return;
    if (sameValue(deps.keyring, viewer, current, entry.value)) unchanged.add(key);
  }
}

async function planAndApply(
  deps: ImportDeps,
  viewer: Viewer,
  input: ImportInput,
  /** Name keys of the lines imported as variables. */
  variables: ReadonlySet<string>,
  entries: readonly EnvEntry[],
): Promise<ImportReport> {
  const { db, uow, keyring, events, activity, versions } = deps;
  const doer = doerOf(viewer);
  const userId = viewer.userId;
  const existing = await existingEntries(db, userId, entries);
  const slices = timeSlices();
  const kindOf = (name: string) => lineKind(name, input.kind, variables);
  // Which variables already hold the file's value, and (below) which secrets.
  const unchanged = new Set<string>();
  if (input.kind === "VARIABLE" || variables.size > 0) {
    for (const entry of entries) {
      if (slices.due()) await slices.next();
      const key = nameKey(entry.name);
      const current = existing.get(key);
      if (
        kindOf(entry.name) === "VARIABLE" &&
        current?.kind === "VARIABLE" &&
        sameValue(keyring, viewer, current, entry.value)
      ) {
        unchanged.add(key);
      }
    }
  }
  if (!input.dryRun && input.onConflict === "OVERWRITE")
    await unchangedSecrets(deps, viewer, entries, existing, kindOf, unchanged);
  const { toCreate, toUpdate, otherKind, ...planned } = planImport({
    entries,
    existing,
    unchanged,
    kind: input.kind,
    variables,
    onConflict: input.onConflict,
  });
  const report: ImportReport = {
    created: planned.created,
    updated: planned.updated,
    unchanged: planned.unchanged,
    skipped: planned.skipped,
    conflicts: planned.conflicts,
    applied: false,
    id: null,
  };
  if (input.dryRun) return report;
  if (report.conflicts.length > 0) {
    if (otherKind.length === 0) throw new NameTakenError(report.conflicts);
    // Said of the file's kind of the first such line (all of them, unless some lines are marked variables).
    const imported = existing.get(nameKey(otherKind[0] as string))?.kind === "SECRET" ? "VARIABLE" : "SECRET";
    const other = imported === "SECRET" ? "a variable" : "a secret";
    throw new NameTakenError(
      report.conflicts,
      undefined,
      `${otherKind.join(", ")} already ${otherKind.length === 1 ? "exists as" : "exist, each as"} ${other}: an import never turns ${other} into ${imported === "SECRET" ? "a secret" : "a variable"} (rename it in the file, mark its line as the entry's kind, or skip it with onConflict SKIP); nothing was imported`,
    );
  }

  const now = new Date();
  const importId = newId();
  const updatedBy = actorJson(doer.actor);
  const sealMany = batchSealer(
    keyring,
    viewer,
    toCreate.length + toUpdate.length >= SEAL_ON_THREAD_FROM ? deps.sealing : undefined,
    (reason) => deps.warn?.(`An import's values are sealed on the event loop instead: ${reason}`),
  );
  // What the import did, recorded with it: counts, never names' values.
  const imported: ActivityInput = {
    action: "ENTRIES_IMPORTED",
    details: {
      importId,
      kind: input.kind,
      ...(variables.size > 0 ? { asVariables: variables.size } : {}),
      onConflict: input.onConflict,
      created: report.created.length,
      updated: report.updated.length,
      unchanged: report.unchanged.length,
      skipped: report.skipped.length,
    },
  };
  // Batches of one kind each (a value is sealed for its kind): the file's, then the lines marked variables.
  const batches: { kind: EntryKind; entries: EnvEntry[] }[] = [];
  for (const kind of [input.kind, input.kind === "SECRET" ? "VARIABLE" : "SECRET"] as const) {
    const ofKind = toCreate.filter((entry) => kindOf(entry.name) === kind);
    for (const part of chunks(ofKind, SEAL_BATCH)) batches.push({ kind, entries: part });
  }
  // Sealed a batch at a time as they are written, not all before: each row is garbage once
  // written, so the young generation's collections stay short (with every row held, their pauses
  // reached 10 ms). The next batch is sealed (on the sealing thread) while one is written.
  const sealBatch = (index: number) => {
    const { kind, entries: batch } = batches[index] as (typeof batches)[number];
    const ids = batch.map(() => newId());
    const sealing = sealMany(
      kind,
      ids,
      batch.map((entry) => entry.value),
    );
    sealing.catch(() => {}); // awaited below, unless the write stopped before
    return { kind, batch, ids, sealing };
  };
  // The first batch is sealed before any transaction opens (starting the thread takes a while).
  const first = batches.length > 0 ? sealBatch(0) : null;
  await first?.sealing;
  // What the import changed, recorded with it for undoImport: the ids it created, and its updates.
  const createdIds: string[] = [];
  const updated: ImportChangeRow[] = [];
  async function* created(): AsyncGenerator<EntryRow> {
    if (!first) return;
    let next = first;
    for (let index = 0; index < batches.length; index++) {
      const { kind, batch, ids, sealing } = next;
      const values = await sealing;
      if (index + 1 < batches.length) next = sealBatch(index + 1);
      for (let i = 0; i < batch.length; i++) {
        const entry = batch[i] as EnvEntry;
        const value = values[i] as SealedValue;
        createdIds.push(ids[i] as string);
        yield {
          id: ids[i] as string,
          userId,
          kind,
          name: entry.name,
          nameKey: nameKey(entry.name),
          version: 1,
          ciphertext: value.ciphertext,
          fingerprint: value.fingerprint,
          valueSize: value.valueSize,
          createdAt: now,
          updatedAt: now,
          updatedBy,
        };
      }
    }
  }
  const updates: { entry: Existing; sealed: SealedValue }[] = [];
  for (const { entry } of toUpdate) {
    updated.push({ entryId: entry.id, name: entry.name, version: entry.version + 1 });
  }
  const recordIn = (work: BulkWork) =>
    recordImport(work, { id: importId, userId, createdAt: now, createdIds }, updated);
  // A brokered secret keeps its upstream: its new value is sealed for it (few, and inline).
  for (const { entry, value } of toUpdate) {
    if (entry.upstream) {
      updates.push({
        entry,
        sealed: sealValue(keyring, viewer, entry.id, entry.kind, value, { upstream: entry.upstream }),
      });
    }
  }
  // An updated entry keeps its kind (the plan refuses a line of the other kind).
  for (const kind of ["SECRET", "VARIABLE"] as const) {
    const environmentUpdates = toUpdate.filter(({ entry }) => !entry.upstream && entry.kind === kind);
    for (const part of chunks(environmentUpdates, SEAL_BATCH)) {
      const sealed = await sealMany(
        kind,
        part.map(({ entry }) => entry.id),
        part.map(({ value }) => value),
      );
      for (let i = 0; i < part.length; i++) {
        updates.push({ entry: (part[i] as (typeof part)[number]).entry, sealed: sealed[i] as SealedValue });
      }
    }
  }

  const { staging } = deps;
  const stage = toCreate.length > 0 && (toCreate.length >= staging.from || (staging.withUpdates && updates.length > 0));
  if (!stage && updates.length === 0) {
    // Only new entries: they are the whole write, in a transaction of their own without Prisma.
    await uow.append("Entry", ENTRY_COLUMNS, created(), async (work) => {
      await recordIn(work);
      await activity.record(work, doer, imported);
    });
    return { ...report, applied: true, id: importId };
  }
  const staged = stage ? await stageRows(db, uow.append, userId, created()) : null;
  const affected = await uow
    .run(async (work) => {
      const tx = work.db;
      if (staged) {
        await recordIn(work);
        await publishStaged(tx, staged);
      } else {
        await work.insertRows("Entry", ENTRY_COLUMNS, created());
        await recordIn(work);
      }
      for (const { entry, sealed } of updates) {
        if (slices.due()) await slices.next();
        if ((await setValueAt(tx, entry.id, entry.version, { ...sealed, updatedBy })) === 0) throw new ImportRace();
        await versions.keepCurrent(work, viewer, entry);
      }
      await activity.record(work, doer, imported);
      // The agents using the updated entries; their environments must still fit.
      const names = new Map(updates.map(({ entry }) => [entry.id, entry.name]));
      const rows = await attachmentsOf(tx, [...names.keys()]);
      await assertEnvironmentsFit(tx, [...new Set(rows.map((row) => row.agentId))]);
      // A brokered secret's new value applies to the next request: no agent restarts for it.
      const brokered = new Set(updates.filter(({ entry }) => entry.upstream).map(({ entry }) => entry.id));
      return rows
        .filter((row) => !brokered.has(row.entryId))
        .map((row) => ({ agentId: row.agentId, name: names.get(row.entryId) as string }));
    })
    .finally(() => (staged ? discardStaged(db, staged.importId) : undefined));
  // The commit and the report's serialization each take milliseconds: not both in one go.
  await slices.next();
  events.restartNeeded(
    userId,
    affected.map((row) => ({ agentId: row.agentId, entryName: row.name, change: "UPDATED" as const })),
  );
  return { ...report, applied: true, id: importId };
}
