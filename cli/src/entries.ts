// `agent-vault secrets|variables list|add|update|delete`.
import { collect, type EntryKind } from "@agent-vault/sdk";
import type { Command } from "commander";
import { findAgent, findEntry, type Json, UsageError, vaultFromEnv } from "./context.ts";
import { registerHistory } from "./history.ts";
import { printJson, printLine, printTable, shortTime } from "./output.ts";
import { readValue } from "./read-value.ts";

export function registerEntries(program: Command, kind: EntryKind) {
  const secret = kind === "SECRET";
  const noun = secret ? "secret" : "variable";
  const group = program.command(secret ? "secrets" : "variables").description(`manage ${noun}s`);

  group
    .command("list")
    .description(`list the ${noun}s and the agents that use them`)
    .option("--json", "print JSON")
    .action(async (options: Json) => {
      const entries = await collect(vaultFromEnv().allEntries({ kind }));
      if (options.json) return printJson(entries);
      printTable(
        secret
          ? ["NAME", "VERSION", "FINGERPRINT", "USED BY", "UPDATED"]
          : ["NAME", "VALUE", "VERSION", "USED BY", "UPDATED"],
        entries.map((entry) => [
          entry.name,
          ...(secret ? [entry.version, entry.fingerprint] : ["value" in entry ? entry.value : "", entry.version]),
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
  if (!secret) add.argument("[value]", "the value (read from standard input when left out)");
  add.action(async (name: string, ...rest: unknown[]) => {
    const valueArg = secret ? undefined : (rest[0] as string | undefined);
    const options = (secret ? rest[0] : rest[1]) as Json & { agent?: string[] };
    const vault = vaultFromEnv();
    const agentIds = await Promise.all((options.agent ?? []).map(async (ref) => (await findAgent(vault, ref)).id));
    const value = valueArg ?? (await readValue(`Value of ${name}`));
    const entry = await (secret ? vault.addSecret : vault.addVariable)({ name, value, agentIds });
    if (options.json) return printJson(entry);
    printLine(`Added ${noun} ${entry.name} (version ${entry.version}, fingerprint ${entry.fingerprint}).`);
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
  if (!secret) update.argument("[value]", "the new value (read from standard input when left out)");
  update.action(async (ref: string, ...rest: unknown[]) => {
    const valueArg = secret ? undefined : (rest[0] as string | undefined);
    const options = (secret ? rest[0] : rest[1]) as Json & { expectedVersion?: number };
    const vault = vaultFromEnv();
    const entry = await findEntry(vault, ref, kind);
    const value = valueArg ?? (await readValue(`New value of ${entry.name}`));
    const input = { id: entry.id, value, expectedVersion: options.expectedVersion };
    const updated = await (secret ? vault.updateSecret : vault.updateVariable)(input);
    if (options.json) return printJson(updated);
    const agents = updated.usedBy.map((agent) => agent.name);
    printLine(
      updated.version === entry.version
        ? `${updated.name} already had that value (version ${updated.version}).`
        : `Updated ${updated.name} to version ${updated.version}.${agents.length ? ` Restart needed: ${agents.join(", ")}.` : ""}`,
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
