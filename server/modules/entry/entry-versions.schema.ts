import { resolveCursorConnection } from "@pothos/plugin-relay";
import { VALUE_READERS, written } from "../../auth/result-scopes.ts";
import { builder } from "../../builder.ts";
import { ActorRef } from "../activity/activity.schema.ts";
import { parseActor } from "../activity/actor.ts";
import { LimitExceededError, NotFoundError, ValidationError, VersionConflictError } from "../common/errors.ts";
import { entryById } from "./entry.dal.ts";
import { EntryRef, unreadableAsError } from "./entry.schema.ts";
import type { EntryVersionRow } from "./entry-versions.ts";

const EntryVersionRef = builder.objectRef<EntryVersionRow>("EntryVersion").implement({
  description:
    "One value an entry has had. A secret's versions show only their fingerprints; a variable's also their values.",
  fields: (t) => ({
    version: t.exposeInt("version"),
    fingerprint: t.exposeString("fingerprint"),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When this version became the value." }),
    actor: t.field({
      type: ActorRef,
      nullable: true,
      description: "Who made this version (null for versions from before history was kept).",
      resolve: (row) => parseActor(row.createdBy),
    }),
    current: t.exposeBoolean("current", { description: "Whether this is the entry's value now." }),
    value: t.string({
      nullable: true,
      description: "A variable's value in this version. Always null for a secret.",
      authScopes: VALUE_READERS,
      resolve: (row, _args, ctx) =>
        row.kind === "VARIABLE" ? unreadableAsError(() => ctx.services.entries.versions.value(ctx.viewer, row)) : null,
    }),
  }),
});

const versionCursor = (version: number) => Buffer.from(`V:${version}`).toString("base64url");
const fromVersionCursor = (cursor: string) =>
  Number(Buffer.from(cursor, "base64url").toString().replace(/^V:/, "")) || 0;

builder.prismaInterfaceField(EntryRef, "updatedBy", (t) =>
  t.field({
    type: ActorRef,
    nullable: true,
    description: "Who made the current version (null for entries from before history was kept).",
    resolve: (entry) => parseActor(entry.updatedBy),
  }),
);

builder.prismaInterfaceField(EntryRef, "versions", (t) =>
  t.connection({
    type: EntryVersionRef,
    description: "The values this entry has had, newest first: the current one and the kept earlier ones.",
    authScopes: { ENTRIES_READ: true },
    resolve: async (entry, args, ctx) => {
      const current = await entryById(ctx.db, ctx.viewer.userId, entry.id);
      return resolveCursorConnection<Promise<EntryVersionRow[]>>(
        { args, toCursor: (row: EntryVersionRow) => versionCursor(row.version), defaultSize: 50, maxSize: 100 },
        async (page): Promise<EntryVersionRow[]> =>
          current
            ? ctx.services.entries.versions.page(current, {
                limit: page.limit,
                inverted: page.inverted,
                after: page.after === undefined ? undefined : fromVersionCursor(page.after),
                before: page.before === undefined ? undefined : fromVersionCursor(page.before),
              })
            : [],
      );
    },
  }),
);

const RestoreEntryVersionInput = builder.inputType("RestoreEntryVersionInput", {
  fields: (t) => ({
    id: t.id({ required: true, description: "The entry." }),
    version: t.int({ required: true, description: "The version whose value becomes the entry's again." }),
    expectedVersion: t.int({
      required: false,
      description: "When given and not the entry's current version, nothing changes: VersionConflictError.",
    }),
  }),
});

builder.mutationField("restoreEntryVersion", (t) =>
  t.field({
    type: EntryRef,
    authScopes: { ENTRIES_WRITE: true },
    description: "Makes a new version whose value is that of an earlier one; agents using the entry need a restart.",
    errors: { types: [ValidationError, NotFoundError, VersionConflictError, LimitExceededError] },
    args: { input: t.arg({ type: RestoreEntryVersionInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const entry = await unreadableAsError(() =>
        ctx.services.entries.restore(ctx.viewer, {
          id: String(args.input.id),
          version: args.input.version,
          expectedVersion: args.input.expectedVersion,
        }),
      );
      return written(ctx, entry);
    },
  }),
);
