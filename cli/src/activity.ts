// `agent-vault activity`: what happened in the vault, newest first, optionally followed live;
// `agent-vault activity verify` walks the tamper-evident chain and exits 1 naming the first
// event that does not match.
import { type ActivityAction, type ActivityEvent, type ActivityFilter, collect } from "@agent-vault/sdk";
import type { Command } from "commander";
import { formatHead, type Head, headsFile, parseHead, rememberedHead, rememberHead } from "./activity-heads.ts";
import { CommandFailed, findAgent, findEntry, type Json, UsageError, vaultFromEnv, vaultUrl } from "./context.ts";
import { printJson, printLine, printTable, shortTime } from "./output.ts";

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "2h", "30m", "7d", or an ISO time: the moment it names. */
export function sinceTime(text: string, now = Date.now()): Date {
  const match = /^(\d+)\s*([smhdw])$/.exec(text.trim());
  if (match) return new Date(now - Number(match[1]) * (UNITS[match[2] as string] as number));
  const time = Date.parse(text);
  if (Number.isNaN(time)) throw new UsageError("--since takes a duration such as 30m, 2h or 7d, or an ISO time");
  return new Date(time);
}

function actorLabel(event: ActivityEvent): string {
  const { actor } = event;
  if (actor.kind === "RUNTIME_TOKEN") return `agent ${actor.name}`;
  if (actor.kind === "SYSTEM") return actor.name;
  return `token ${actor.name}`;
}

function subject(event: ActivityEvent): string {
  const parts: string[] = [];
  if (event.entryName) parts.push(event.entryName);
  if (event.agentName) parts.push(`agent ${event.agentName}`);
  const details = event.details ? (JSON.parse(event.details) as Record<string, unknown>) : {};
  for (const [key, value] of Object.entries(details)) {
    if (value !== null && typeof value !== "object") parts.push(`${key}=${value}`);
  }
  return parts.join(" ");
}

const row = (event: ActivityEvent) => [
  shortTime(event.createdAt),
  event.action,
  actorLabel(event),
  event.clientAddress ?? "-",
  subject(event),
];
const HEADERS = ["TIME", "ACTION", "BY", "FROM", "WHAT"];

type ActivityOptions = Json & { agent?: string; entry?: string; since?: string; follow?: boolean; action?: string[] };

export function registerActivity(program: Command) {
  const activity = program
    .command("activity")
    .description("show what happened in the vault, newest first (never a value)")
    .option("--agent <name>", "only events about this agent")
    .option("--entry <name>", "only events about this secret or variable")
    .option("--since <when>", "only events since then: 30m, 2h, 7d or an ISO time")
    .option("--action <action...>", "only these actions (ENTRY_UPDATED, ENVIRONMENT_FETCHED, ...)")
    .option("--follow", "keep printing new events as they happen")
    .option("--json", "print JSON (one object per line with --follow)")
    .action(async (options: ActivityOptions) => {
      const vault = vaultFromEnv();
      const filter: ActivityFilter = {};
      if (options.agent) filter.agentId = (await findAgent(vault, options.agent)).id;
      if (options.entry) filter.entryId = (await findEntry(vault, options.entry)).id;
      if (options.since) filter.since = sinceTime(options.since).toISOString();
      if (options.action) filter.actions = options.action.map((action) => action.toUpperCase() as ActivityAction);
      if (!options.follow) {
        const events = await collect(vault.allActivity({ filter }));
        if (options.json) return printJson(events);
        return printTable(HEADERS, events.map(row));
      }
      // Following: what happened so far (oldest first), then each new event as it comes.
      const live = vault.activityAdded({ filter: { ...filter, since: undefined } });
      const earlier = (await collect(vault.allActivity({ filter }))).reverse();
      const seen = new Set(earlier.map((event) => event.id));
      const print = (event: ActivityEvent) =>
        options.json ? printLine(JSON.stringify(event)) : printLine(row(event).join("  "));
      for (const event of earlier) print(event);
      for await (const event of live) if (!seen.has(event.id)) print(event);
    });

  activity
    .command("verify")
    .description(
      "check the activity log's chain: exit 1 naming the first event changed, removed or reordered, or when the log went back behind the head verified last time",
    )
    .option("--expect-head <sequence:digest>", "also require the log to hold this head (one a verify printed before)")
    .option("--json", "print JSON")
    .action(async (options: Json & { expectHead?: string }) => {
      const explicit = options.expectHead === undefined ? null : parseHead(options.expectHead);
      if (options.expectHead !== undefined && !explicit) {
        throw new UsageError("--expect-head takes SEQUENCE:DIGEST, as agent-vault activity verify prints it");
      }
      const vault = vaultFromEnv();
      const { id: userId } = await vault.viewerIdentity();
      const remembered = rememberedHead(vaultUrl(), userId);
      const expectations = [remembered, explicit].filter((head): head is Head => head !== null);
      let check = await vault.verifyActivity({ expectHead: expectations[0] ?? null });
      for (const expectHead of expectations.slice(1)) {
        if (check.ok) check = await vault.verifyActivity({ expectHead });
      }
      if (options.json) printJson(check);
      if (!check.ok) {
        const which = check.brokenEventId
          ? `event ${check.brokenSequence} (${check.brokenEventId})`
          : "the end of the chain";
        const restored = remembered
          ? ` (if the vault was restored from a backup on purpose, remove its head from ${headsFile()})`
          : "";
        throw new CommandFailed(`The activity log does not verify at ${which}: ${check.reason}${restored}`);
      }
      // The furthest head seen is kept: a later verify fails if the log no longer holds it.
      if (check.head && (!remembered || check.head.sequence >= remembered.sequence)) {
        rememberHead(vaultUrl(), userId, check.head);
      }
      if (!options.json) {
        printLine(`The activity log verifies: ${check.checked} events checked.`);
        if (check.head) printLine(`Head: ${formatHead(check.head)} (keep it to check later with --expect-head)`);
      }
    });
}
