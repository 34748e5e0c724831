// `agent-vault secrets|variables list|add|update|delete`.
import { collect, type EntryKind } from "@agent-vault/sdk";
import { type Command, Option } from "commander";
import { findAgent, findEntry, type Json, UsageError, vaultFromEnv } from "./context.ts";
import { registerHistory } from "./history.ts";
import { printJson, printJsonItems, printLine, printTable, shortTime } from "./output.ts";
import { readValue } from "./read-value.ts";

type BrokerOptions = { brokered?: boolean; upstream?: string; header?: string; baseUrlVariable?: string };

function brokerOptions(command: Command) {
  command
    .option(
      "--brokered",
      "keep the value in the vault: agents get a placeholder, and the broker sends the value to --upstream",
    )
    .option("--upstream <url>", "where a brokered value may go (https://api.example.com/v1)")
    .option("--header <header>", 'how it is sent, as "Header: template" (default "Authorization: {value}")')
    .option("--base-url-variable <var>", "a variable that gives the agent the broker's address for it");
}

/** The delivery and upstream the options ask for; on an update, nothing when none is given. */
function deliveryInput(options: BrokerOptions, update = false) {
  const brokered = options.brokered || !!options.upstream;
  if (!brokered) {
    if (options.header || options.baseUrlVariable) {
      throw new UsageError("--header and --base-url-variable go with --brokered --upstream URL");
    }
    return update ? {} : { delivery: "ENVIRONMENT" as const };
  }
  if (!options.upstream) {
    if (update) return { delivery: "BROKERED" as const };
    throw new UsageError("--brokered needs --upstream URL: where the value may be sent");
  }
  let header: string | undefined;
  let template: string | undefined;
  if (options.header) {
    const colon = options.header.indexOf(":");
    header = (colon === -1 ? options.header : options.header.slice(0, colon)).trim();
    template = colon === -1 ? undefined : options.header.slice(colon + 1).trim() || undefined;
  }
  return {
    delivery: "BROKERED" as const,
    upstream: { baseUrl: options.upstream, header, template, baseUrlVariable: options.baseUrlVariable },
  };
}

const deliveryLabel = (entry: { delivery: string; upstream?: { baseUrl: string } | null }) =>
  entry.upstream ? `brokered → ${entry.upstream.baseUrl}` : "environment";

const brokeredLine = (name: string, upstream: { baseUrl: string; baseUrlVariable?: string | null }) =>
  `Brokered: agents get a placeholder in ${name}${
    upstream.baseUrlVariable ? ` and the broker's address in ${upstream.baseUrlVariable}` : ""
  }; the value goes only to ${upstream.baseUrl}.`;

/** `list --sort`'s columns, and the vault's order of each. */
const SORT_FIELDS = { name: "NAME", version: "VERSION", updated: "UPDATED_AT" } as const;

export function registerEntries(program: Command, kind: EntryKind) {
  const secret = kind === "SECRET";
  const noun = secret ? "secret" : "variable";
  const group = program.command(secret ? "secrets" : "variables").description(`manage ${noun}s`);

  group
    .command("list")
    .description(`list the ${noun}s and the agents that use them`)
    .option("--search <text>", "only those whose names hold this text (any case)")
    .addOption(
      new Option("--sort <column>", "sorted by the vault by this column, then by name")
        .choices(Object.keys(SORT_FIELDS))
        .default("name"),
    )
    .option("--desc", "in descending order")
    .option("--json", "print JSON (written a page at a time as the vault sends them)")
    .action(async (options: Json & { search?: string; sort: keyof typeof SORT_FIELDS; desc?: boolean }) => {
      const orderBy = { field: SORT_FIELDS[options.sort], direction: options.desc ? "DESC" : "ASC" } as const;
      const all = vaultFromEnv().allEntries({ kind, search: options.search, orderBy });
      if (options.json) return printJsonItems(all);
      const entries = await collect(all);
      printTable(
        secret
          ? ["NAME", "DELIVERY", "VERSION", "FINGERPRINT", "USED BY", "UPDATED"]
          : ["NAME", "VALUE", "VERSION", "USED BY", "UPDATED"],
        entries.map((entry) => [
          entry.name,
          ...(secret
            ? [deliveryLabel(entry), entry.version, entry.fingerprint]
            : ["value" in entry ? entry.value : "", entry.version]),
          entry.usedBy.map((agent) => agent.name).join(", ") || "-",
          shortTime(entry.updatedAt),
        ]),
      );
    });

  const add = group
    .command("add")
    .description(secret ? "add a secret; its value is read from standard input or a hidden prompt" : "add a variable")
    .argument("<name>", "the environment variable name")
    .option("--agent <agent...>", "attach it to these agents (names or ids)")
    .option("--json", "print JSON");
  if (secret) brokerOptions(add);
  if (!secret) add.argument("[value]", "the value (read from standard input when left out)");
  add.action(async (name: string, ...rest: unknown[]) => {
    const valueArg = secret ? undefined : (rest[0] as string | undefined);
    const options = (secret ? rest[0] : rest[1]) as Json & { agent?: string[] } & BrokerOptions;
    const delivery = deliveryInput(options);
    const vault = vaultFromEnv();
    const agentIds = await Promise.all((options.agent ?? []).map(async (ref) => (await findAgent(vault, ref)).id));
    const value = valueArg ?? (await readValue(`Value of ${name}`));
    const entry = secret
      ? await vault.addSecret({ name, value, agentIds, ...delivery })
      : await vault.addVariable({ name, value, agentIds });
    if (options.json) return printJson(entry);
    printLine(`Added ${noun} ${entry.name} (version ${entry.version}, fingerprint ${entry.fingerprint}).`);
    if (entry.upstream) printLine(brokeredLine(entry.name, entry.upstream));
  });

  const update = group
    .command("update")
    .description(secret ? "change a secret's value, read from standard input or a hidden prompt" : "change a variable")
    .argument("<name>", "the name (or id)")
    .option("--expected-version <n>", "refuse if the current version is not this", (text) => {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) throw new UsageError("--expected-version takes a positive integer");
      return n;
    })
    .option("--json", "print JSON");
  if (secret) {
    brokerOptions(update);
    update.option("--environment", "deliver it as an environment variable again (with its value)");
  }
  if (!secret) update.argument("[value]", "the new value (read from standard input when left out)");
  update.action(async (ref: string, ...rest: unknown[]) => {
    const valueArg = secret ? undefined : (rest[0] as string | undefined);
    const options = (secret ? rest[0] : rest[1]) as Json & {
      expectedVersion?: number;
      environment?: boolean;
    } & BrokerOptions;
    if (options.environment && (options.brokered || options.upstream)) {
      throw new UsageError("--environment and --brokered (or --upstream) contradict each other");
    }
    const delivery = options.environment ? { delivery: "ENVIRONMENT" as const } : deliveryInput(options, true);
    const vault = vaultFromEnv();
    const entry = await findEntry(vault, ref, kind);
    const value = valueArg ?? (await readValue(`New value of ${entry.name}`));
    const input = { id: entry.id, value, expectedVersion: options.expectedVersion };
    const updated = secret ? await vault.updateSecret({ ...input, ...delivery }) : await vault.updateVariable(input);
    if (options.json) return printJson(updated);
    const agents = updated.usedBy.map((agent) => agent.name);
    // A brokered secret's new value applies to the agents' next requests; a move is a change to restart for.
    const moved =
      updated.delivery !== entry.delivery || JSON.stringify(updated.upstream) !== JSON.stringify(entry.upstream);
    const restart = agents.length > 0 && (!updated.upstream || moved);
    printLine(
      updated.version === entry.version
        ? `${updated.name} already had that value (version ${updated.version}).`
        : `Updated ${updated.name} to version ${updated.version}.${
            restart
              ? ` Restart needed: ${agents.join(", ")}.`
              : updated.upstream && agents.length > 0
                ? " Brokered: the agents use it from their next request, no restart needed."
                : ""
          }`,
    );
  });

  group
    .command("delete")
    .description(`delete a ${noun} that no agent uses`)
    .argument("<name>", "the name (or id)")
    .option("--json", "print JSON")
    .action(async (ref: string, options: Json) => {
      const vault = vaultFromEnv();
      const entry = await findEntry(vault, ref, kind);
      const id = await vault.deleteEntry({ id: entry.id });
      if (options.json) return printJson({ id, name: entry.name });
      printLine(`Deleted ${noun} ${entry.name}.`);
    });

  registerHistory(group, kind);
}
