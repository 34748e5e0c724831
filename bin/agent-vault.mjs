#!/usr/bin/env node
// The `agent-vault` command. TypeScript runs through tsx, so the package needs no build step for
// it. Server commands (serve, user, migrate) run the server's code; everything else is the
// SDK's client CLI, which never loads the server.
import { register } from "tsx/esm/api";

register();
const SERVER_COMMANDS = new Set(["serve", "user", "migrate", "keys"]);
const args = process.argv.slice(2);
const code = SERVER_COMMANDS.has(args[0])
  ? await (await import("../server/cli.ts")).runServerCli(args)
  : await (await import("../sdk/cli/main.ts")).runUserCli(args);
process.exitCode = code;
