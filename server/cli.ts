// The server side of the `agent-vault` command: serve, user create, migrate.
import { Command, CommanderError } from "commander";
import { loadConfig } from "./config.ts";
import { MasterKeyError } from "./crypto/master-key.ts";
import { databaseTarget } from "./db/connect.ts";
import { applyMigrations } from "./db/migrate.ts";
import { serve } from "./main.ts";
import { VaultFailure } from "./modules/common/errors.ts";
import { type KeyStatus, keyStatus, rewrap } from "./modules/keys/rewrap.service.ts";
import { createUser } from "./modules/user/user.service.ts";
import { createVault } from "./yoga.ts";

const EXIT_REFUSED = 1;
const EXIT_USAGE = 2;

export function serverProgram(): Command {
  const program = new Command("agent-vault")
    .description("Agent Vault: secrets and configuration for AI agents, as environment variables")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

  program
    .command("serve")
    .description("run the vault (PORT, AGENT_VAULT_DATA_DIR, DATABASE_URL, AGENT_VAULT_MASTER_KEY[_FILE])")
    .action(() => serve());

  const user = program.command("user").description("manage users (each user is one vault)");
  user
    .command("create")
    .description("create a user and print its first API token (shown once)")
    .requiredOption("--name <name>", "the user's name")
    .option("--json", "print {userId, token} as JSON")
    .action(async (options: { name: string; json?: boolean }) => {
      const vault = await createVault(loadConfig());
      try {
        const { user: created, token } = await createUser(vault.services.db, options.name);
        if (options.json) process.stdout.write(`${JSON.stringify({ userId: created.id, token })}\n`);
        else process.stdout.write(`Created user ${created.name} (${created.id}).\nAPI token (shown once): ${token}\n`);
      } finally {
        await vault.close();
      }
    });

  program
    .command("migrate")
    .description("apply the database migrations that have not run yet")
    .action(async () => {
      const applied = await applyMigrations(databaseTarget(loadConfig().databaseUrl));
      process.stdout.write(applied.length ? `Applied: ${applied.join(", ")}\n` : "The database is up to date.\n");
    });
  const keys = program.command("keys").description("master key rotation");
  keys
    .command("status")
    .description("count the stored values under each master key version")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const vault = await createVault(loadConfig());
      try {
        const status = await keyStatus(vault.services.db, vault.services.keyring);
        printKeyReport(status, options.json);
      } finally {
        await vault.close();
      }
    });
  keys
    .command("rewrap")
    .description("move every stored value to the current (highest) master key version; safe to interrupt and run again")
    .option("--batch <n>", "values per batch", "200")
    .option("--limit <n>", "stop after this many values")
    .option("--json", "print JSON")
    .action(async (options: { batch: string; limit?: string; json?: boolean }) => {
      const batchSize = Number(options.batch);
      const limit = options.limit === undefined ? undefined : Number(options.limit);
      if (
        !Number.isInteger(batchSize) ||
        batchSize < 1 ||
        (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
      ) {
        throw new CommanderError(2, "agent-vault.usage", "--batch and --limit take whole numbers");
      }
      const vault = await createVault(loadConfig());
      try {
        const report = await rewrap(vault.services.db, vault.services.keyring, { batchSize, limit });
        printKeyReport(report, options.json);
      } finally {
        await vault.close();
      }
    });
  return program;
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

export async function runServerCli(argv: string[]): Promise<number> {
  try {
    await serverProgram().parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? 0 : EXIT_USAGE;
    }
    if (error instanceof MasterKeyError || error instanceof VaultFailure) {
      process.stderr.write(`agent-vault: ${error.message}\n`);
      return EXIT_REFUSED;
    }
    throw error;
  }
}
