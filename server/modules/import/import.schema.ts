import { builder } from "../../builder.ts";
import { ErrorInterface } from "../common/common.schema.ts";
import { EnvParseError, LimitExceededError, NameTakenError, NotFoundError, ValidationError } from "../common/errors.ts";
import { EntryKindEnum } from "../entry/entry.schema.ts";
import type { ImportReport } from "./import.service.ts";
import type { NotUndone, UndoReport } from "./import-undo.ts";

const ConflictPolicyEnum = builder.enumType("ImportConflictPolicy", {
  description: "What an import does with a name that already exists with another value.",
  values: {
    SKIP: { description: "Leave the existing entry as it is." },
    OVERWRITE: { description: "Give the existing entry the file's value (a new version)." },
    FAIL: { description: "Import nothing, and name the conflicts." },
  } as const,
});

const ImportReportRef = builder.objectRef<ImportReport>("ImportReport").implement({
  description: "What an import did, or on a dry run would do, by name.",
  fields: (t) => ({
    created: t.exposeStringList("created"),
    updated: t.exposeStringList("updated"),
    unchanged: t.exposeStringList("unchanged", { description: "Names whose value was already the file's." }),
    skipped: t.exposeStringList("skipped", {
      description: "Names left out: existing ones under onConflict SKIP, and empty values under skipEmpty.",
    }),
    conflicts: t.exposeStringList("conflicts", {
      description:
        "Names that exist and stop the import: with onConflict FAIL, or an entry of the other kind. A dry run lists them; an import refuses them with NameTakenError.",
    }),
    applied: t.exposeBoolean("applied", { description: "False on a dry run: nothing was written." }),
    id: t.exposeID("id", {
      nullable: true,
      description: "The applied import's id, to undo it with undoImport; null on a dry run.",
    }),
  }),
});

const EnvLineProblemRef = builder.objectRef<{ line: number; message: string }>("EnvLineProblem").implement({
  fields: (t) => ({ line: t.exposeInt("line"), message: t.exposeString("message") }),
});

builder.objectType(EnvParseError, {
  name: "EnvParseError",
  description: "The file has bad lines; nothing was imported.",
  interfaces: [ErrorInterface],
  fields: (t) => ({ lines: t.field({ type: [EnvLineProblemRef], resolve: (error) => [...error.lines] }) }),
});

const ImportEnvInput = builder.inputType("ImportEnvInput", {
  fields: (t) => ({
    content: t.string({ required: true, description: "The .env file's text." }),
    kind: t.field({ type: EntryKindEnum, required: false, defaultValue: "SECRET" }),
    onConflict: t.field({ type: ConflictPolicyEnum, required: false, defaultValue: "FAIL" }),
    dryRun: t.boolean({ required: false, defaultValue: false, description: "Plan only; write nothing." }),
    skipEmpty: t.boolean({
      required: false,
      defaultValue: false,
      description:
        "Leave out lines with an empty value (NAME=), listing them as skipped, instead of refusing the file: a secret's value cannot be empty.",
    }),
    variables: t.stringList({
      required: false,
      description:
        "Names in the file imported as variables whatever `kind` says: the line-by-line choice of the console's plan, and `agent-vault import --variables`. Each must be a name the file sets (ValidationError otherwise).",
    }),
  }),
});

builder.mutationField("importEnv", (t) =>
  t.field({
    type: ImportReportRef,
    authScopes: { ENTRIES_WRITE: true },
    description: "Imports a .env file, all or nothing.",
    errors: { types: [ValidationError, EnvParseError, NameTakenError, LimitExceededError] },
    args: { input: t.arg({ type: ImportEnvInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.imports.importEnv(ctx.viewer, {
        content: input.content,
        kind: input.kind ?? "SECRET",
        onConflict: input.onConflict ?? "FAIL",
        dryRun: input.dryRun ?? false,
        skipEmpty: input.skipEmpty ?? false,
        variables: input.variables ?? [],
      }),
  }),
);

const NotUndoneRef = builder.objectRef<NotUndone>("ImportNotUndone").implement({
  description: "An entry an undo left as it is, and why.",
  fields: (t) => ({ name: t.exposeString("name"), reason: t.exposeString("reason") }),
});

const ImportUndoRef = builder.objectRef<UndoReport>("ImportUndo").implement({
  description: "What undoing an import did, by name.",
  fields: (t) => ({
    id: t.exposeID("id", { description: "The import's id." }),
    deleted: t.exposeStringList("deleted", { description: "Entries the import created, now deleted." }),
    restored: t.exposeStringList("restored", {
      description: "Entries the import updated, given their value from before it again (a new version).",
    }),
    notUndone: t.field({
      type: [NotUndoneRef],
      description:
        "Entries left as they are: changed or deleted since the import, or created by it and used by an agent (detach it, then undo again).",
      resolve: (report) => report.notUndone,
    }),
    complete: t.exposeBoolean("complete", {
      description: "Whether nothing of the import is left to undo; false while an entry it created is still in use.",
    }),
  }),
});

const UndoImportInput = builder.inputType("UndoImportInput", {
  fields: (t) => ({
    id: t.id({ required: true, description: "The import's id (ImportReport.id, or its activity event's importId)." }),
    dryRun: t.boolean({
      required: false,
      defaultValue: false,
      description: "Say what the undo would do, and change nothing.",
    }),
  }),
});

builder.mutationField("undoImport", (t) =>
  t.field({
    type: ImportUndoRef,
    authScopes: { ENTRIES_WRITE: true },
    description:
      "Undoes an applied import in one transaction: deletes the entries it created that no agent uses and were not changed since, and gives the entries it updated their value from before it (unless changed since). Deleting entries also needs ENTRIES_DELETE (ForbiddenError otherwise, nothing undone).",
    errors: { types: [NotFoundError, ValidationError, LimitExceededError] },
    args: { input: t.arg({ type: UndoImportInput, required: true }) },
    resolve: (_root, { input }, ctx) =>
      ctx.services.imports.undoImport(ctx.viewer, { id: String(input.id), dryRun: input.dryRun ?? false }),
  }),
);
