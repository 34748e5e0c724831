#!/usr/bin/env node
// The `agent-vault` command of the vault itself: the server commands (serve, user, migrate,
// keys) and every client command of @agent-vault/cli. Each loads only its own compiled bundle.
import { readFileSync } from "node:fs";

const { version } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const SERVER_COMMANDS = [
  { name: "serve", description: "run the vault (PORT, AGENT_VAULT_DATA_DIR, DATABASE_URL, AGENT_VAULT_MASTER_KEY)" },
  { name: "user", description: "create users and issue their API tokens" },
  { name: "migrate", description: "apply the database migrations that have not run yet" },
  { name: "keys", description: "master key rotation: status, rewrap" },
];
const args = process.argv.slice(2);
const server = SERVER_COMMANDS.some((command) => command.name === args[0]);
process.exitCode = server
  ? await (await import("../dist/server/commands.js")).runServerCli(args, version)
  : await (await import("../dist/cli.js")).runUserCli(args, { version, serverCommands: SERVER_COMMANDS });
