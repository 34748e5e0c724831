#!/usr/bin/env node
// The `agent-vault` command. TypeScript runs through tsx, so the package needs no build step.
import { register } from "tsx/esm/api";

register();
const { runServerCli } = await import("../server/cli.ts");
const code = await runServerCli(process.argv.slice(2));
if (code !== 0) process.exit(code);
