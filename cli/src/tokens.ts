// `agent-vault tokens list|create|revoke`.
import {
  type ApiTokenFieldsFragment,
  parseScopeName,
  scopeName,
  TOKEN_SCOPES,
  type TokenScope,
  type VaultClient,
} from "@agent-vault/sdk";
import type { Command } from "commander";
import { confirm } from "./confirm.ts";
import { CommandFailed, type Json, UsageError, vaultFromEnv } from "./context.ts";
import { printJson, printLine, printTable, shortTime } from "./output.ts";

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `30d`, `12h`, `90m`, `2w`, or a date (ISO 8601) as the moment a token expires. */
export function parseExpiry(text: string, now = Date.now()): Date {
  const relative = /^(\d+)\s*([mhdw])$/i.exec(text.trim());
  const at = relative ? now + Number(relative[1]) * (UNITS[relative[2]?.toLowerCase() ?? ""] ?? 0) : Date.parse(text);
  if (Number.isNaN(at)) throw new UsageError(`--expires takes a duration (30d, 12h, 90m, 2w) or a date, not ${text}`);
  return new Date(at);
}

function parseScopes(names: string[]): TokenScope[] {
  const scopes = names.flatMap((name) => name.split(",")).filter((name) => name.trim());
  return scopes.map((name) => {
    const scope = parseScopeName(name);
    if (!scope) throw new UsageError(`Unknown scope ${name}: use ${TOKEN_SCOPES.map(scopeName).join(", ")}`);
    return scope;
  });
}

const working = (token: ApiTokenFieldsFragment, now = Date.now()) =>
  !token.revokedAt && (!token.expiresAt || Date.parse(token.expiresAt) > now);

/** The one token an id or a name stands for, among those still working. */
function findToken(tokens: ApiTokenFieldsFragment[], ref: string): ApiTokenFieldsFragment {
  const byId = tokens.find((token) => token.id === ref);
  if (byId) return byId;
  const named = tokens.filter((token) => token.name === ref && working(token));
  if (named.length === 1) return named[0] as ApiTokenFieldsFragment;
  if (named.length === 0) throw new CommandFailed(`No working API token is named or has the id ${ref}`);
  throw new UsageError(
    `${named.length} working tokens are named ${ref}; give the id of one: ${named.map((t) => t.id).join(", ")}`,
  );
}

async function revoke(vault: VaultClient, ref: string, options: Json & { yes?: boolean; force?: boolean }) {
  const [{ apiTokens }, current] = await Promise.all([vault.viewer(), vault.currentToken()]);
  const target = findToken(apiTokens, ref);
  if (target.revokedAt) throw new CommandFailed(`The token ${target.name} (${target.id}) is already revoked`);
  const others = apiTokens.filter((token) => token.id !== target.id && working(token));
  if (others.length === 0 && !options.force) {
    throw new CommandFailed(
      `${target.name} is your last working API token: without it you are locked out of this vault until its operator runs agent-vault user token. Add --force to revoke it anyway`,
    );
  }
  if (current.token?.id === target.id) {
    process.stderr.write(`${target.name} is the token this command runs with (AGENT_VAULT_TOKEN): it stops working.\n`);
    if (!options.yes && !(await confirm(`Revoke ${target.name}? [y/N] `))) return printLine("Nothing was revoked.");
  }
  const revoked = await vault.revokeApiToken({ id: target.id });
  if (options.json) return printJson(revoked);
  printLine(`Revoked token ${revoked.name} (${revoked.id}).`);
}

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
        ["ID", "NAME", "SCOPES", "CREATED", "EXPIRES", "REVOKED"],
        tokens.map((token) => [
          token.id,
          token.name,
          token.scopes.length === TOKEN_SCOPES.length ? "all" : token.scopes.map(scopeName).join(","),
          shortTime(token.createdAt),
          shortTime(token.expiresAt),
          shortTime(token.revokedAt),
        ]),
      );
    });

  group
    .command("create")
    .description("create an API token; it is printed once")
    .argument("<name>", "what the token is for")
    .option(
      "--scope <scope...>",
      `what it may do (default: what this token may do): ${TOKEN_SCOPES.map(scopeName).join(", ")}`,
    )
    .option("--expires <when>", "when it stops working: a duration (30d, 12h, 90m, 2w) or a date")
    .option("--json", "print JSON")
    .action(async (name: string, options: Json & { scope?: string[]; expires?: string }) => {
      const scopes = options.scope ? parseScopes(options.scope) : undefined;
      const expiresAt = options.expires ? parseExpiry(options.expires).toISOString() : undefined;
      const created = await vaultFromEnv().createApiToken({ name, scopes, expiresAt });
      if (options.json) return printJson(created);
      const { apiToken } = created;
      const scope = apiToken.scopes.map(scopeName).join(", ");
      const until = apiToken.expiresAt ? `, until ${shortTime(apiToken.expiresAt)} UTC` : "";
      printLine(`Created token ${apiToken.name} (${apiToken.id}) for ${scope}${until}. It is shown this once:`);
      printLine(created.token);
    });

  group
    .command("revoke")
    .description("revoke an API token at once")
    .argument("<token>", "the token's name or id (see tokens list)")
    .option("--yes", "revoke the token in use without asking")
    .option("--force", "revoke even your last working token")
    .option("--json", "print JSON")
    .action((ref: string, options: Json & { yes?: boolean; force?: boolean }) => revoke(vaultFromEnv(), ref, options));
}
