// The `agent-vault` command for users of a vault, built on the SDK. The vault's own package adds
// its server commands (serve, user, migrate, keys) on top; this package alone points to it.
import { VaultError } from "@agent-vault/sdk";
import { Command, CommanderError } from "commander";
import { registerActivity } from "./activity.ts";
import { registerAgents } from "./agents.ts";
import {
  CommandFailed,
  DEFAULT_URL,
  EXIT_INTERRUPTED,
  EXIT_REFUSED,
  EXIT_USAGE,
  Interrupted,
  UsageError,
} from "./context.ts";
import { registerEntries } from "./entries.ts";
import { registerImport } from "./import.ts";
import { printJson } from "./output.ts";
import { registerProviders } from "./providers.ts";
import { registerRun } from "./run-command.ts";
import { registerTokens } from "./tokens.ts";

/** A command of the vault's own package, listed in the help. */
export type ServerCommand = { name: string; description: string };

export type ProgramOptions = {
  version: string;
  /** The server commands this installation has; the standalone CLI has none. */
  serverCommands?: readonly ServerCommand[];
};

export function userProgram(options: ProgramOptions): Command {
  const program = new Command("agent-vault")
    .description("Agent Vault: secrets and configuration for AI agents, as environment variables")
    .version(options.version, "-V, --version", "print the version")
    .exitOverride()
    .enablePositionalOptions()
    .showHelpAfterError();
  registerEntries(program, "SECRET");
  registerEntries(program, "VARIABLE");
  registerAgents(program);
  registerTokens(program);
  registerImport(program);
  registerProviders(program);
  registerRun(program);
  registerActivity(program);
  const server = options.serverCommands ?? [];
  const width = Math.max(0, ...server.map((command) => command.name.length));
  program.addHelpText(
    "after",
    [
      "",
      server.length > 0
        ? [
            "Server commands (run where the vault's configuration is; agent-vault <command> --help):",
            ...server.map((command) => `  ${command.name.padEnd(width)}  ${command.description}`),
          ].join("\n")
        : "Server commands (serve, user, migrate, keys) come with the vault itself: npm install agent-vault.",
      "",
      `Configuration: AGENT_VAULT_URL (default ${DEFAULT_URL}) and AGENT_VAULT_TOKEN.`,
      "Exit codes: 0 done, 1 refused by the vault, 2 usage.",
    ].join("\n"),
  );
  return program;
}

/** Runs the client commands; resolves with the exit code. */
export async function runUserCli(argv: string[], options: ProgramOptions): Promise<number> {
  const json = argv.includes("--json");
  try {
    await userProgram(options).parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    if (error instanceof UsageError) {
      process.stderr.write(`agent-vault: ${error.message}\n`);
      return EXIT_USAGE;
    }
    if (error instanceof Interrupted) {
      process.stderr.write(`agent-vault: ${error.message}\n`);
      return EXIT_INTERRUPTED;
    }
    if (error instanceof CommandFailed) {
      process.stderr.write(`agent-vault: ${error.message}\n`);
      return EXIT_REFUSED;
    }
    if (error instanceof VaultError) {
      process.stderr.write(`agent-vault: ${error.message}\n`);
      if (json) {
        const { name, code, message, ...details } = error;
        printJson({ error: { type: error.name, code, message, ...details } });
      }
      return EXIT_REFUSED;
    }
    throw error;
  }
}
