// `agent-vault run -- COMMAND [ARGS...]`: the command line of run.ts.
import type { Command } from "commander";
import { UsageError, vaultUrl } from "./context.ts";
import { run } from "./run.ts";

export function registerRun(program: Command) {
  program
    .command("run")
    .description(
      "run an agent's command with its environment from the vault, restarting it when the vault says so " +
        "(token: AGENT_VAULT_RUNTIME_TOKEN)",
    )
    .usage("[--url URL] [--grace-period SECONDS] [--no-masking] -- COMMAND [ARGS...]")
    .argument("<command...>", "the command to run, after --")
    .option("--url <url>", "the vault's GraphQL address (default: AGENT_VAULT_URL)")
    .option("--grace-period <seconds>", "how long a restart waits after SIGTERM before SIGKILL", "10")
    .option("--no-masking", "pass the command's output on as it is (by default its secrets' values are concealed)")
    .passThroughOptions()
    .action(async (commandLine: string[], options: { url?: string; gracePeriod: string; masking: boolean }) => {
      const token = process.env.AGENT_VAULT_RUNTIME_TOKEN;
      if (!token) throw new UsageError("Set AGENT_VAULT_RUNTIME_TOKEN to the agent's runtime token (avr_...)");
      const grace = Number(options.gracePeriod);
      if (!Number.isFinite(grace) || grace < 0) throw new UsageError("--grace-period takes a number of seconds");
      const [command, ...args] = commandLine as [string, ...string[]];
      // The vault's own settings stay with us: run() builds the child's environment from scratch.
      const code = await run(command, args, {
        url: options.url || vaultUrl(),
        token,
        graceMs: grace * 1000,
        masking: options.masking,
      });
      process.exit(code);
    });
}
