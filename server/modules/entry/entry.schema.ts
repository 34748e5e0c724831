import { resolveCursorConnection } from "@pothos/plugin-relay";
import { GraphQLError } from "graphql";
import { ViewerUnconfirmedError } from "../../auth/confirmation.ts";
import { suppliedValue, valueCheck } from "../../auth/result-scopes.ts";
import { authorize } from "../../auth/scopes.ts";
import type { Viewer } from "../../auth/viewer.ts";
import { builder } from "../../builder.ts";
import { EntryKind } from "../../db/enums.ts";
import { deliveryOf } from "../broker/delivery.ts";
import { resolveUpstream, type Upstream } from "../broker/upstream.ts";
import {
  EntryInUseError,
  LimitExceededError,
  NameTakenError,
  NotFoundError,
  ValidationError,
  VersionConflictError,
} from "../common/errors.ts";
import { selectionAsks } from "../common/selection.ts";
import { type EntryOrder, entryById, entryByNameKey, type PagePosition, pagePosition } from "./entry.dal.ts";
import { nameKey } from "./entry.rules.ts";
import type { EntryRow } from "./entry.service.ts";
import { ValueUnreadableError } from "./entry-value.ts";

/** A value that cannot be decrypted answers VALUE_UNREADABLE, naming the entry (never masked away). */
export async function unreadableAsError<T>(read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof ValueUnreadableError) {
      throw new GraphQLError(error.message, { extensions: { code: "VALUE_UNREADABLE" } });
    }
    throw error;
  }
}

// A page's cursor, opaque to clients: by name the entry's name key, in another order also the
// order's field and the entry's value of it.
const nameCursor = (nameKey: string) => Buffer.from(`E:${nameKey}`).toString("base64url");

function cursorOf(entry: EntryRow, order: EntryOrder): string {
  if (order.field === "NAME") return nameCursor(entry.nameKey);
  const position = pagePosition(entry);
  return Buffer.from(`O:${order.field}:${JSON.stringify([position?.value, entry.nameKey])}`).toString("base64url");
}

function positionOf(cursor: string, order: EntryOrder): PagePosition {
  const text = Buffer.from(cursor, "base64url").toString();
  if (order.field === "NAME" && !text.startsWith("O:")) return { nameKey: text.replace(/^E:/, "") };
  const prefix = `O:${order.field}:`;
  if (text.startsWith(prefix)) {
    try {
      const [value, nameKey] = JSON.parse(text.slice(prefix.length)) as [unknown, unknown];
      if ((typeof value === "string" || typeof value === "number") && typeof nameKey === "string") {
        return { value, nameKey };
      }
    } catch {
      // Not a cursor of ours: refused below.
    }
  }
  throw new GraphQLError("This cursor is of a page in another order: ask again from the first page", {
    extensions: { code: "BAD_USER_INPUT" },
  });
}

const EntryOrderFieldEnum = builder.enumType("EntryOrderField", {
  values: {
    NAME: { description: "By name, regardless of case." },
    KIND: { description: "Secrets, then variables (by name within each)." },
    VERSION: { description: "By version (by name among equal versions)." },
    UPDATED_AT: { description: "By when the value last changed (by name among equal times)." },
  } as const,
});

const OrderDirectionEnum = builder.enumType("OrderDirection", {
  values: { ASC: { description: "Ascending." }, DESC: { description: "Descending." } } as const,
});

const EntryOrderInput = builder.inputType("EntryOrder", {
  description: "How a list of entries is sorted, on the server: by a field, then by name in the same direction.",
  fields: (t) => ({
    field: t.field({ type: EntryOrderFieldEnum, required: true }),
    direction: t.field({ type: OrderDirectionEnum, required: false, description: "Default: ASC." }),
  }),
});

export const EntryKindEnum = builder.enumType(EntryKind, { name: "EntryKind" });

export const DeliveryEnum = builder.enumType("Delivery", {
  values: {
    ENVIRONMENT: { description: "The value is an environment variable of the agents." },
    BROKERED: {
      description:
        "The agents hold a placeholder; the vault's broker puts the value into their requests to the upstream, and nowhere else.",
    },
  } as const,
});

export const UpstreamRef = builder.objectRef<Upstream>("Upstream").implement({
  description: "Where a brokered secret's value may go, and how it is sent.",
  fields: (t) => ({
    baseUrl: t.exposeString("baseUrl", { description: "The origin and base path requests are forwarded to." }),
    header: t.exposeString("header", { description: "The header that carries the value." }),
    template: t.exposeString("template", { description: 'How the value is written in it, e.g. "Bearer {value}".' }),
    baseUrlVariable: t.exposeString("baseUrlVariable", {
      nullable: true,
      description: "The variable that gives the agents the broker's address for this secret.",
    }),
  }),
});

const UpstreamInput = builder.inputType("UpstreamInput", {
  fields: (t) => ({
    baseUrl: t.string({ required: true, description: "https, public (unless the operator allows otherwise)." }),
    header: t.string({ required: false, description: "Default: Authorization." }),
    template: t.string({ required: false, description: 'Default: "{value}". E.g. "Bearer {value}".' }),
    baseUrlVariable: t.string({
      required: false,
      description: "A variable the agents get with the broker's address for this secret (e.g. EXAMPLE_BASE_URL).",
    }),
  }),
});

export const EntryRef = builder.prismaInterface("Entry", {
  name: "Entry",
  description: "A named value that becomes one environment variable of the agents it is attached to.",
  resolveType: (entry) => (entry.kind === "SECRET" ? "Secret" : "Variable"),
  fields: (t) => ({
    id: t.exposeID("id"),
    name: t.exposeString("name"),
    kind: t.expose("kind", { type: EntryKindEnum }),
    version: t.exposeInt("version", { description: "Goes up by one with every change of the value." }),
    fingerprint: t.exposeString("fingerprint", {
      description: "A keyed digest of the value: equal values have equal fingerprints. Reveals nothing else.",
    }),
    createdAt: t.expose("createdAt", { type: "DateTime" }),
    updatedAt: t.expose("updatedAt", { type: "DateTime" }),
    delivery: t.field({
      type: DeliveryEnum,
      description:
        "How the agents get it: ENVIRONMENT (the value, as a variable) or BROKERED (a placeholder, which the vault's broker swaps for the value in requests to the upstream). Variables are always ENVIRONMENT.",
      resolve: (entry) => deliveryOf(entry),
    }),
    upstream: t.field({
      type: UpstreamRef,
      nullable: true,
      description: "Where a brokered secret's value may go; null for one delivered in the environment.",
      resolve: (entry, _args, ctx) =>
        entry.upstream ? resolveUpstream(entry.upstream, ctx.services.broker.upstreams) : null,
    }),
  }),
});

export const SecretRef = builder.prismaObject("Entry", {
  variant: "Secret",
  description: "An encrypted, write-only entry: its value is never returned.",
  interfaces: [EntryRef],
  fields: () => ({}),
});

export const VariableRef = builder.prismaObject("Entry", {
  variant: "Variable",
  description: "Plain configuration: stored encrypted like a secret, but readable.",
  interfaces: [EntryRef],
  fields: (t) => ({
    value: t.string({
      description: "The value.",
      authScopes: valueCheck,
      resolve: (entry, _args, ctx) => unreadableAsError(() => ctx.services.entries.variableValue(ctx.viewer, entry)),
    }),
  }),
});

// More than other lists: a long walk (the CLI's, a script's) of a vault of 100,000 entries takes
// fewer requests.
const ENTRY_PAGE_MAX = 500;

builder.queryFields((t) => ({
  entries: t.connection(
    {
      type: EntryRef,
      authScopes: { ENTRIES_READ: true },
      description:
        "The vault's variables and secrets, by name unless ordered otherwise: 50 a page unless asked, at most 500.",
      args: {
        kind: t.arg({ type: EntryKindEnum, required: false }),
        search: t.arg.string({
          required: false,
          description: "Only entries whose names hold this text, whatever its case (totalCount counts them).",
        }),
        orderBy: t.arg({
          type: EntryOrderInput,
          required: false,
          description: "Default: by name, ascending. A cursor works only in the order of the page that gave it.",
        }),
      },
      resolve: async (_root, args, ctx, info) => {
        let counted: number | null = null;
        const order: EntryOrder = {
          field: args.orderBy?.field ?? "NAME",
          descending: args.orderBy?.direction === "DESC",
        };
        const connection = await resolveCursorConnection<Promise<EntryRow[]>>(
          { args, toCursor: (entry: EntryRow) => cursorOf(entry, order), defaultSize: 50, maxSize: ENTRY_PAGE_MAX },
          async (page): Promise<EntryRow[]> => {
            const { rows, count } = await ctx.services.entries.page(ctx.viewer, {
              ...page,
              kind: args.kind,
              search: args.search,
              order,
              after: page.after === undefined ? undefined : positionOf(page.after, order),
              before: page.before === undefined ? undefined : positionOf(page.before, order),
              withCount: selectionAsks(info, [], ["totalCount"]),
            });
            counted = count;
            if (selectionAsks(info, ["edges", "node"], ["usedBy", "usedByCount"]))
              await ctx.loaders.usedBy.preload(rows);
            return rows;
          },
        );
        return {
          ...connection,
          totalCount: () =>
            counted !== null ? counted : ctx.services.entries.count(ctx.viewer, args.kind, args.search),
        };
      },
    },
    { fields: (t) => ({ totalCount: t.int({ resolve: (connection) => connection.totalCount() }) }) },
  ),
  entry: t.prismaField({
    type: EntryRef,
    nullable: true,
    authScopes: { ENTRIES_READ: true },
    description: "The entry with this id.",
    args: { id: t.arg.id({ required: true }) },
    resolve: (query, _root, args, ctx) => entryById(ctx.db, ctx.viewer.userId, String(args.id), query),
  }),
  entryByName: t.prismaField({
    type: EntryRef,
    nullable: true,
    authScopes: { ENTRIES_READ: true },
    description: "The entry with this name, compared regardless of case.",
    args: { name: t.arg.string({ required: true }) },
    resolve: (query, _root, args, ctx) => entryByNameKey(ctx.db, ctx.viewer.userId, nameKey(args.name), query),
  }),
}));

function addInput(name: string, brokered: boolean) {
  return builder.inputType(name, {
    fields: (t) => ({
      name: t.string({ required: true }),
      value: t.string({ required: true }),
      agentIds: t.idList({ required: false, description: "Agents to attach the new entry to." }),
      ...(brokered
        ? {
            delivery: t.field({ type: DeliveryEnum, required: false, description: "Default: ENVIRONMENT." }),
            upstream: t.field({ type: UpstreamInput, required: false, description: "Required when BROKERED." }),
          }
        : {}),
    }),
  });
}

function updateInput(name: string, brokered: boolean) {
  return builder.inputType(name, {
    fields: (t) => ({
      id: t.id({ required: true }),
      value: t.string({
        required: !brokered,
        description: brokered
          ? "The new value. Required, also to change where the value goes (its delivery or upstream): whoever moves a key must know it."
          : undefined,
      }),
      expectedVersion: t.int({
        required: false,
        description: "When given and not the entry's current version, nothing changes: VersionConflictError.",
      }),
      ...(brokered
        ? {
            delivery: t.field({ type: DeliveryEnum, required: false, description: "Default: unchanged." }),
            upstream: t.field({ type: UpstreamInput, required: false, description: "Default: unchanged." }),
          }
        : {}),
    }),
  });
}

const kinds = [
  { kind: "SECRET", ref: SecretRef, add: "addSecret", update: "updateSecret", input: "Secret" },
  { kind: "VARIABLE", ref: VariableRef, add: "addVariable", update: "updateVariable", input: "Variable" },
] as const;

for (const { kind, ref, add, update, input } of kinds) {
  const AddInput = addInput(`Add${input}Input`, kind === "SECRET");
  const UpdateInput = updateInput(`Update${input}Input`, kind === "SECRET");
  builder.mutationFields((t) => ({
    [add]: t.field({
      type: ref,
      authScopes: { ENTRIES_WRITE: true },
      description: "Adds an entry; attaching it to agents also requires AGENTS_WRITE.",
      errors: { types: [ValidationError, NameTakenError, NotFoundError, LimitExceededError] },
      args: { input: t.arg({ type: AddInput, required: true }) },
      resolve: async (_root, args, ctx) => {
        const agentIds = args.input.agentIds?.map(String) ?? [];
        const add = (viewer: Viewer) => {
          if (agentIds.length > 0) authorize(viewer, "AGENTS_WRITE", "attach an entry to agents");
          return ctx.services.entries.add(viewer, kind, { ...args.input, agentIds });
        };
        try {
          return suppliedValue(ctx, await add(ctx.viewer));
        } catch (error) {
          if (!(error instanceof ViewerUnconfirmedError)) throw error;
          // The token this instance verified changed since: read again, it may still be valid.
          const viewer = await ctx.confirmViewer();
          authorize(viewer, "ENTRIES_WRITE");
          return suppliedValue(ctx, await add(viewer));
        }
      },
    }),
    [update]: t.field({
      type: ref,
      authScopes: { ENTRIES_WRITE: true },
      description: "Gives an entry a new value.",
      errors: { types: [ValidationError, NotFoundError, VersionConflictError, LimitExceededError] },
      args: { input: t.arg({ type: UpdateInput, required: true }) },
      resolve: async (_root, args, ctx) => {
        return suppliedValue(
          ctx,
          await ctx.services.entries.update(ctx.viewer, kind, { ...args.input, id: String(args.input.id) }),
        );
      },
    }),
  }));
}

const DeleteEntryInput = builder.inputType("DeleteEntryInput", {
  fields: (t) => ({ id: t.id({ required: true }) }),
});

const VerifySecretInput = builder.inputType("VerifySecretInput", {
  fields: (t) => ({ id: t.id({ required: true }), value: t.string({ required: true }) }),
});

builder.mutationFields((t) => ({
  deleteEntry: t.field({
    type: "ID",
    authScopes: { ENTRIES_DELETE: true },
    description: "Deletes an entry that no agent uses. Success data is the deleted id.",
    errors: { types: [NotFoundError, EntryInUseError] },
    args: { input: t.arg({ type: DeleteEntryInput, required: true }) },
    resolve: (_root, args, ctx) => ctx.services.entries.delete(ctx.viewer, { id: String(args.input.id) }),
  }),
  verifySecret: t.field({
    type: "Boolean",
    authScopes: { ENTRIES_READ: true },
    description: "Whether a candidate value is the secret's value. Rate-limited.",
    errors: { types: [NotFoundError, LimitExceededError] },
    args: { input: t.arg({ type: VerifySecretInput, required: true }) },
    resolve: (_root, args, ctx) =>
      unreadableAsError(() =>
        ctx.services.entries.verify(ctx.viewer, { id: String(args.input.id), value: args.input.value }),
      ),
  }),
}));
