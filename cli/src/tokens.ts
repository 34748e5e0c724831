// `agent-vault tokens list|create|revoke`.
import type { Command } from "commander";
import { type Json, vaultFromEnv } from "./context.ts";
import { printJson, printLine, printTable, shortTime } from "./output.ts";

export function registerTokens(program: Command) {
  const group = program.command("tokens").description("manage API tokens");

  group
    .command("list")
    .description("list API tokens (never their values)")
    .option("--json", "print JSON")
    .action(async (options: Json) => {
      const tokens = (await vaultFromEnv().viewer()).apiTokens;
      if (options.json) return printJson(tokens);
      printTable(
        ["ID", "NAME", "CREATED", "REVOKED"],
        tokens.map((token) => [token.id, token.name, shortTime(token.createdAt), shortTime(token.revokedAt)]),
      );
    });

  group
    .command("create")
    .description("create an API token; it is printed once")
    .argument("<name>", "what the token is for")
    .option("--json", "print JSON")
    .action(async (name: string, options: Json) => {
      const created = await vaultFromEnv().createApiToken({ name });
      if (options.json) return printJson(created);
      printLine(`Created token ${created.apiToken.name} (${created.apiToken.id}). It is shown this once:`);
      printLine(created.token);
    });

  group
    .command("revoke")
    .description("revoke an API token")
    .argument("<id>", "the token's id (see tokens list)")
    .option("--json", "print JSON")
    .action(async (id: string, options: Json) => {
      const revoked = await vaultFromEnv().revokeApiToken({ id });
      if (options.json) return printJson(revoked);
      printLine(`Revoked token ${revoked.name}.`);
    });
}
