import { resolveCursorConnection } from "@pothos/plugin-relay";
import { builder } from "../../builder.ts";
import type { ActivityNotice } from "../../events/events.ts";
import { feedField } from "../notice/feed-field.ts";
import { ACTIVITY_ACTIONS, type ActivityAction, type ActivityEventRow } from "./activity.service.ts";
import type { ChainCheck } from "./activity-chain-check.ts";
import type { Actor } from "./actor.ts";

export const ActorKindEnum = builder.enumType("ActorKind", {
  values: {
    API_TOKEN: { description: "Someone with an API token: id and name are the token's." },
    RUNTIME_TOKEN: { description: "An agent's runtime: id and name are the agent's, tokenId the runtime token's." },
    SYSTEM: { description: "The vault itself or its operator's command line; name says what." },
  } as const,
});

export const ActorRef = builder.objectRef<Actor>("Actor").implement({
  description: "Who did something.",
  fields: (t) => ({
    kind: t.field({ type: ActorKindEnum, resolve: (actor) => actor.kind }),
    id: t.id({ nullable: true, resolve: (actor) => actor.id }),
    name: t.exposeString("name"),
    tokenId: t.id({ nullable: true, resolve: (actor) => actor.tokenId ?? null }),
  }),
});

export const ActivityActionEnum = builder.enumType("ActivityAction", { values: ACTIVITY_ACTIONS });

type EventShape = ActivityEventRow | ActivityNotice;

const ActivityEventRef = builder.objectRef<EventShape>("ActivityEvent").implement({
  description:
    "Something that happened in the vault: who, from where, when, and the names and ids involved. Never a value.",
  fields: (t) => ({
    id: t.exposeID("id"),
    sequence: t.int({ description: "Position in the vault's tamper-evident chain.", resolve: (event) => event.seq }),
    action: t.field({ type: ActivityActionEnum, resolve: (event) => event.action as ActivityAction }),
    actor: t.field({
      type: ActorRef,
      resolve: (event) => ({
        kind: event.actorKind as Actor["kind"],
        id: event.actorId,
        name: event.actorName ?? "",
        tokenId: event.actorKind === "RUNTIME_TOKEN" ? (detailsOf(event).runtimeTokenId ?? null) : null,
      }),
    }),
    clientAddress: t.string({ nullable: true, resolve: (event) => event.address }),
    createdAt: t.field({ type: "DateTime", resolve: (event) => new Date(event.createdAt) }),
    entryId: t.id({ nullable: true, resolve: (event) => event.entryId }),
    entryName: t.string({ nullable: true, resolve: (event) => event.entryName }),
    agentId: t.id({ nullable: true, resolve: (event) => event.agentId }),
    agentName: t.string({ nullable: true, resolve: (event) => event.agentName }),
    details: t.string({
      nullable: true,
      description: "JSON: counts, versions, token and provider names. Never a value.",
      resolve: (event) => event.details,
    }),
  }),
});

function detailsOf(event: EventShape): Record<string, string | undefined> {
  try {
    return event.details ? (JSON.parse(event.details) as Record<string, string>) : {};
  } catch {
    return {};
  }
}

const ActivityFilterInput = builder.inputType("ActivityFilter", {
  fields: (t) => ({
    entryId: t.id({ required: false }),
    agentId: t.id({ required: false }),
    actions: t.field({ type: [ActivityActionEnum], required: false }),
    since: t.field({ type: "DateTime", required: false }),
    until: t.field({ type: "DateTime", required: false }),
  }),
});

const ActivityHeadRef = builder.objectRef<{ sequence: number; digest: string }>("ActivityHead").implement({
  description:
    "The end of the activity chain: keep it (agent-vault activity verify does, and prints it) to check later that the log did not go back.",
  fields: (t) => ({
    sequence: t.exposeInt("sequence", { description: "The last event's position." }),
    digest: t.exposeString("digest", { description: "The last event's digest." }),
  }),
});

const ActivityHeadInput = builder.inputType("ActivityHeadInput", {
  description: "A head an earlier check returned.",
  fields: (t) => ({
    sequence: t.int({ required: true }),
    digest: t.string({ required: true }),
  }),
});

const ActivityChainCheckRef = builder.objectRef<ChainCheck>("ActivityChainCheck").implement({
  description: "The result of walking the activity chain from its anchor to its head.",
  fields: (t) => ({
    ok: t.exposeBoolean("ok"),
    checked: t.exposeInt("checked", { description: "Events whose digest matched." }),
    brokenEventId: t.id({ nullable: true, resolve: (check) => check.brokenEventId }),
    brokenSequence: t.int({ nullable: true, resolve: (check) => check.brokenSequence }),
    reason: t.string({ nullable: true, resolve: (check) => check.reason }),
    head: t.field({
      type: ActivityHeadRef,
      nullable: true,
      description: "The chain's head now (null before the first event).",
      resolve: (check) => check.head,
    }),
  }),
});

const sequenceCursor = (seq: number) => Buffer.from(`A:${seq}`).toString("base64url");
const fromSequenceCursor = (cursor: string) =>
  Number(Buffer.from(cursor, "base64url").toString().replace(/^A:/, "")) || 0;

type FilterArg = {
  entryId?: string | number | null;
  agentId?: string | number | null;
  actions?: ActivityAction[] | null;
  since?: Date | null;
  until?: Date | null;
};
const filterOf = (filter: FilterArg | null | undefined) =>
  filter
    ? {
        entryId: filter.entryId == null ? null : String(filter.entryId),
        agentId: filter.agentId == null ? null : String(filter.agentId),
        actions: filter.actions ?? null,
        since: filter.since ?? null,
        until: filter.until ?? null,
      }
    : null;

builder.queryFields((t) => ({
  activity: t.connection({
    type: ActivityEventRef,
    authScopes: { ACTIVITY_READ: true },
    description: "What happened in the vault, newest first.",
    args: { filter: t.arg({ type: ActivityFilterInput, required: false }) },
    resolve: (_root, args, ctx) => {
      const filter = filterOf(args.filter);
      return resolveCursorConnection<Promise<EventShape[]>>(
        { args, toCursor: (event: EventShape) => sequenceCursor(event.seq), defaultSize: 50, maxSize: 100 },
        (page): Promise<EventShape[]> =>
          ctx.services.activity.page(ctx.viewer, {
            filter,
            limit: page.limit,
            inverted: page.inverted,
            after: page.after === undefined ? undefined : fromSequenceCursor(page.after),
            before: page.before === undefined ? undefined : fromSequenceCursor(page.before),
          }),
      );
    },
  }),
  verifyActivity: t.field({
    type: ActivityChainCheckRef,
    authScopes: { ACTIVITY_READ: true },
    description:
      "Walks the activity chain: names the first event that was changed, removed or reordered in the database. With expectHead (a head an earlier check returned), also fails when the log no longer holds it: it went back.",
    args: { expectHead: t.arg({ type: ActivityHeadInput, required: false }) },
    resolve: (_root, args, ctx) => ctx.services.activity.verify(ctx.viewer, args.expectHead),
  }),
}));

builder.subscriptionField("activityAdded", (t) =>
  t.field({
    type: ActivityEventRef,
    authScopes: { ACTIVITY_READ: true },
    description: "New activity events as they are recorded, optionally filtered.",
    args: { filter: t.arg({ type: ActivityFilterInput, required: false }) },
    ...feedField((args: { filter?: FilterArg | null }, ctx) =>
      ctx.services.activity.subscription(filterOf(args.filter)),
    ),
    resolve: (event) => event as ActivityNotice,
  }),
);
