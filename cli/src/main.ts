#!/usr/bin/env node
// The bin of @agent-vault/cli: the client commands alone.
import pkg from "../package.json" with { type: "json" };
import { EXIT_USAGE } from "./context.ts";
import { runUserCli } from "./program.ts";

const SERVER_COMMANDS = new Set(["serve", "user", "migrate", "keys"]);
const args = process.argv.slice(2);
if (args[0] && SERVER_COMMANDS.has(args[0])) {
  process.stderr.write(
    `agent-vault: ${args[0]} is a server command; it comes with the vault itself (npm install agent-vault)\n`,
  );
  process.exitCode = EXIT_USAGE;
} else {
  process.exitCode = await runUserCli(args, { version: pkg.version });
}
