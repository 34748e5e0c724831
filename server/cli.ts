// The server side of the `agent-vault` command: serve, user create, migrate.
import { Command, CommanderError } from "commander";
import { loadConfig } from "./config.ts";
import { MasterKeyError } from "./crypto/master-key.ts";
import { databaseTarget } from "./db/connect.ts";
import { applyMigrations } from "./db/migrate.ts";
import { serve } from "./main.ts";
import { VaultFailure } from "./modules/common/errors.ts";
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
  return program;
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
