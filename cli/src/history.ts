// `agent-vault secrets|variables history|restore`: an entry's versions, and making an earlier
// one current again.
import { collect, type EntryKind } from "@agent-vault/sdk";
import type { Command } from "commander";
import { findEntry, type Json, UsageError, vaultFromEnv } from "./context.ts";
import { printJson, printLine, printTable, shortTime } from "./output.ts";

const positiveInteger = (flag: string) => (text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a positive integer`);
  return n;
};

const actorLabel = (actor: { kind: string; name: string } | null) =>
  !actor ? "-" : actor.kind === "RUNTIME_TOKEN" ? `agent ${actor.name}` : actor.name;

export function registerHistory(group: Command, kind: EntryKind) {
  const secret = kind === "SECRET";
  const noun = secret ? "secret" : "variable";

  group
    .command("history")
    .description(`list the versions of a ${noun}, newest first${secret ? " (fingerprints, never values)" : ""}`)
    .argument("<name>", "the name (or id)")
    .option("--json", "print JSON")
    .action(async (ref: string, options: Json) => {
      const vault = vaultFromEnv();
      const entry = await findEntry(vault, ref, kind);
      const versions = await collect(vault.allEntryVersions(entry.id));
      if (options.json) return printJson({ id: entry.id, name: entry.name, versions });
      printTable(
        secret ? ["VERSION", "FINGERPRINT", "CREATED", "BY"] : ["VERSION", "VALUE", "CREATED", "BY"],
        versions.map((row) => [
          `${row.version}${row.current ? " (current)" : ""}`,
          secret ? row.fingerprint : (row.value ?? ""),
          shortTime(row.createdAt),
          actorLabel(row.actor),
        ]),
      );
    });

  group
    .command("restore")
    .description(`make an earlier version's value the ${noun}'s value again (as a new version)`)
    .argument("<name>", "the name (or id)")
    .requiredOption("--version <n>", "the version to restore", positiveInteger("--version"))
    .option(
      "--expected-version <n>",
      "refuse if the current version is not this",
      positiveInteger("--expected-version"),
    )
    .option("--json", "print JSON")
    .action(async (ref: string, options: Json & { version: number; expectedVersion?: number }) => {
      const vault = vaultFromEnv();
      const entry = await findEntry(vault, ref, kind);
      const restored = await vault.restoreEntryVersion({
        id: entry.id,
        version: options.version,
        expectedVersion: options.expectedVersion,
      });
      if (options.json) return printJson(restored);
      const agents = restored.usedBy.map((agent) => agent.name);
      printLine(
        `Restored ${restored.name} to the value of version ${options.version}, as version ${restored.version}.${
          agents.length ? ` Restart needed: ${agents.join(", ")}.` : ""
        }`,
      );
    });
}
