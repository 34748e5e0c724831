// The server side of the `agent-vault` command: serve, user, migrate, keys. They run where the
// vault's configuration is, and open the vault's services directly (no GraphQL, no port).
import { Command, CommanderError } from "commander";
import { loadConfig } from "../config.ts";
import { MasterKeyError } from "../crypto/master-key.ts";
import { databaseTarget } from "../db/database.ts";
import { applyMigrations } from "../db/migrate.ts";
import { VaultFailure } from "../modules/common/errors.ts";
import type { KeyStatus } from "../modules/keys/keys.service.ts";
import { openVault, type Vault } from "../vault.ts";

const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;

async function withVault<T>(work: (vault: Vault) => Promise<T>): Promise<T> {
  const vault = await openVault(loadConfig());
  try {
    return await work(vault);
  } finally {
    await vault.close();
  }
}

function printKeyReport(report: KeyStatus & { rewrapped?: number }, json?: boolean) {
  if (json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const counts = Object.entries(report.byVersion).map(([version, count]) => `version ${version}: ${count}`);
  if (report.rewrapped !== undefined) process.stdout.write(`Rewrapped ${report.rewrapped} values.\n`);
  process.stdout.write(
    `Current key version ${report.currentVersion}. Stored values: ${counts.join(", ") || "none"}.\n`,
  );
  process.stdout.write(
    report.remaining === 0
      ? "Every value is under the current key.\n"
      : `${report.remaining} values are left to rewrap.\n`,
  );
}

const wholeNumber = (name: string) => (text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0)
    throw new CommanderError(EXIT_USAGE, "agent-vault.usage", `${name} takes a whole number`);
  return n;
};

export function serverProgram(version: string): Command {
  const program = new Command("agent-vault")
    .description("Agent Vault: the server commands")
    .version(version, "-V, --version", "print the version")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command("serve")
    .description("run the vault: GraphQL at /graphql, the runtime channel, health at /healthz")
    .action(async () => (await import("../main.ts")).serve());

  const user = program.command("user").description("users (each user is one vault) and their API tokens");
  user
    .command("create")
    .description("create a user and print its first API token (shown once)")
    .requiredOption("--name <name>", "the user's name")
    .option("--json", "print {userId, token} as JSON")
    .action((options: { name: string; json?: boolean }) =>
      withVault(async (vault) => {
        const { user: created, token } = await vault.services.users.create(options.name);
        if (options.json) process.stdout.write(`${JSON.stringify({ userId: created.id, token })}\n`);
        else process.stdout.write(`Created user ${created.name} (${created.id}).\nAPI token (shown once): ${token}\n`);
      }),
    );

  program
    .command("migrate")
    .description("apply the database migrations that have not run yet (serve does too)")
    .action(async () => {
      const applied = await applyMigrations(databaseTarget(loadConfig().databaseUrl));
      process.stdout.write(applied.length ? `Applied: ${applied.join(", ")}\n` : "The database is up to date.\n");
    });

  const keys = program.command("keys").description("master key rotation");
  keys
    .command("status")
    .description("count the stored values under each master key version")
    .option("--json", "print JSON")
    .action((options: { json?: boolean }) =>
      withVault(async (vault) => printKeyReport(await vault.services.keys.status(), options.json)),
    );
  keys
    .command("rewrap")
    .description("move every stored value to the current (highest) master key version; safe to interrupt and run again")
    .option("--batch <n>", "values per batch", wholeNumber("--batch"), 200)
    .option("--limit <n>", "stop after this many values", wholeNumber("--limit"))
    .option("--json", "print JSON")
    .action((options: { batch: number; limit?: number; json?: boolean }) =>
      withVault(async (vault) => {
        if (options.batch < 1) throw new CommanderError(EXIT_USAGE, "agent-vault.usage", "--batch takes 1 or more");
        const report = await vault.services.keys.rewrap({ batchSize: options.batch, limit: options.limit });
        printKeyReport(report, options.json);
      }),
    );
  return program;
}

export async function runServerCli(argv: string[], version: string): Promise<number> {
  try {
    await serverProgram(version).parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "agent-vault.usage") process.stderr.write(`agent-vault: ${error.message}\n`);
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof MasterKeyError || error instanceof VaultFailure) {
      process.stderr.write(`agent-vault: ${error.message}\n`);
      return EXIT_REFUSED;
    }
    throw error;
  }
}
