// `agent-vault providers list|connect|disconnect|check` and `agent-vault auth openai`.
import type { AiProvider, VaultClient } from "@agent-vault/sdk";
import type { Command } from "commander";
import { confirm } from "./confirm.ts";
import { CommandFailed, type Json, UsageError, vaultFromEnv } from "./context.ts";
import { LoginError, loginWithPkce } from "./oauth-login.ts";
import { printJson, printLine, printTable, shortTime } from "./output.ts";
import { readValue } from "./read-value.ts";

const DEFAULT_OPENAI_ISSUER = "https://auth.openai.com";
const DEFAULT_SCOPE = "openid profile email offline_access";

type Card = Awaited<ReturnType<VaultClient["aiProviders"]>>[number];

function providerArg(text: string): AiProvider {
  const provider = text.toUpperCase();
  if (provider === "ANTHROPIC" || provider === "OPENAI" || provider === "OPENROUTER") return provider;
  throw new UsageError("the provider is anthropic, openai or openrouter");
}

function describe(card: Card): string {
  if (!card.connected) return `${card.provider}: not connected.`;
  const how = card.method === "OAUTH" ? "by OAuth" : "by API key";
  const expiry = card.expiresAt ? `, expires ${shortTime(card.expiresAt)}` : "";
  const status =
    card.status === "NEEDS_REAUTH"
      ? ` The issuer refused to renew it: connect again (${card.lastError ?? "no reason given"}).`
      : card.status === "EXPIRING" && card.lastError
        ? ` Renewing it failed for now; the vault will try again (${card.lastError}).`
        : "";
  return `${card.provider}: connected ${how} as ${card.envVar}${expiry}.${status}`;
}

export function registerProviders(program: Command) {
  const vault = vaultFromEnv;
  const group = program.command("providers").description("AI provider cards: Anthropic, OpenAI, OpenRouter");

  group
    .command("list")
    .description("show each provider's card")
    .option("--json", "print JSON")
    .action(async (options: Json) => {
      const cards = await vault().aiProviders();
      if (options.json) return printJson(cards);
      printTable(
        ["PROVIDER", "STATUS", "VARIABLE", "METHOD", "USED BY", "EXPIRES", "RENEWED", "LAST CHECK"],
        cards.map((card) => [
          card.provider,
          card.status.toLowerCase().replace("_", "-"),
          card.envVar,
          card.method ?? "-",
          card.secret?.usedBy.map((agent) => agent.name).join(", ") || "-",
          shortTime(card.expiresAt),
          shortTime(card.lastRefreshedAt),
          card.lastCheckedAt
            ? `${shortTime(card.lastCheckedAt)} ${card.keyAccepted === true ? "accepted" : card.keyAccepted === false ? "refused" : (card.lastCheckError ?? "")}`
            : "-",
        ]),
      );
    });

  group
    .command("connect")
    .description("connect a provider with an API key, read from standard input or a hidden prompt")
    .argument("<provider>", "anthropic, openai or openrouter")
    .option("--yes", "replace a key that agents use without asking")
    .option(
      "--brokered",
      "keep the key in the vault: agents get a placeholder and the provider's base URL pointing at the vault",
    )
    .option("--json", "print JSON")
    .action(async (name: string, options: Json & { yes?: boolean; brokered?: boolean }) => {
      const provider = providerArg(name);
      const client = vault();
      const before = (await client.aiProviders()).find((card) => card.provider === provider);
      // A new key of a brokered provider applies to the agents' next requests: nobody restarts.
      const staysBrokered = before?.delivery === "BROKERED" && options.brokered;
      const users = before?.connected && !staysBrokered ? (before.secret?.usedBy ?? []).map((agent) => agent.name) : [];
      if (users.length > 0 && !options.yes) {
        // Asked before the key is read: a key piped on standard input leaves nobody to ask.
        process.stderr.write(
          `${before?.envVar} is connected and used by ${users.join(", ")}: a new key makes them restart-required.\n`,
        );
        if (!(await confirm(`Replace the ${provider} key? [y/N] `))) return printLine("Nothing was changed.");
      }
      const credential = await readValue(`${provider} API key`);
      const card = await client.connectAiProvider({
        provider,
        credential,
        method: "API_KEY",
        ...(options.brokered ? { delivery: "BROKERED" as const } : {}),
      });
      if (options.json) return printJson(card);
      printLine(describe(card));
      if (card.delivery === "BROKERED") {
        printLine(
          `Brokered: agents get a placeholder in ${card.envVar} and the vault's broker as ${card.secret?.upstream?.baseUrlVariable ?? "the provider's base URL"}; the key stays here.`,
        );
      }
      const restart = staysBrokered ? [] : (card.secret?.usedBy.map((agent) => agent.name) ?? []);
      if (restart.length > 0) printLine(`Restart needed: ${restart.join(", ")}.`);
    });

  group
    .command("disconnect")
    .description("delete the provider's secret (refused while agents use it)")
    .argument("<provider>", "anthropic, openai or openrouter")
    .option("--json", "print JSON")
    .action(async (name: string, options: Json) => {
      const provider = providerArg(name);
      const client = vault();
      const before = (await client.aiProviders()).find((card) => card.provider === provider);
      if (!before?.connected) {
        if (options.json) return printJson(before);
        return printLine(`${provider} is not connected: there is nothing to disconnect.`);
      }
      const card = await client.disconnectAiProvider({ provider });
      if (options.json) return printJson(card);
      printLine(`Disconnected ${provider}: ${before.envVar} was deleted.`);
    });

  group
    .command("check")
    .description("ask the provider whether the connected key works")
    .argument("<provider>", "anthropic, openai or openrouter")
    .option("--json", "print JSON")
    .action(async (name: string, options: Json) => {
      const card = await vault().checkAiProvider({ provider: providerArg(name) });
      if (options.json) printJson(card);
      else if (card.keyAccepted === true) printLine(`${card.provider} accepted the key.`);
      // A key that was refused, or a provider that could not be reached, is a failed check: exit 1.
      if (card.keyAccepted === false) throw new CommandFailed(`${card.provider} refused the key`);
      if (card.keyAccepted !== true) {
        throw new CommandFailed(`${card.provider} could not be reached: ${card.lastCheckError ?? "no answer"}`);
      }
    });

  program
    .command("auth")
    .description("connect OpenAI through a Codex subscription by OAuth (PKCE, loopback redirect)")
    .argument("<provider>", "openai")
    .option("--oauth", "sign in with a browser and store the token as OPENAI_OAUTH_TOKEN")
    .option("--refresh", "renew the stored token with its refresh token")
    .option("--issuer <url>", "the OAuth issuer (default: AGENT_VAULT_OPENAI_ISSUER or OpenAI's)")
    .option("--client-id <id>", "the OAuth client id (default: AGENT_VAULT_OPENAI_CLIENT_ID)")
    .option("--scope <scope>", "the scopes to ask for", DEFAULT_SCOPE)
    .option("--no-browser", "print the sign-in address instead of opening a browser")
    .option("--timeout <seconds>", "how long to wait for the browser", "300")
    .option("--json", "print JSON")
    .action(
      async (
        name: string,
        options: Json & {
          oauth?: boolean;
          refresh?: boolean;
          issuer?: string;
          clientId?: string;
          scope: string;
          browser: boolean;
          timeout: string;
        },
      ) => {
        if (providerArg(name) !== "OPENAI") throw new UsageError("OAuth is only for openai");
        if (options.refresh === options.oauth) throw new UsageError("choose --oauth (sign in) or --refresh (renew)");
        if (options.refresh) {
          const card = await vault().refreshAiProvider({ provider: "OPENAI" });
          if (options.json) return printJson(card);
          return printLine(`Renewed. ${describe(card)}`);
        }
        // What the vault's operator set up, unless given here: the vault accepts only its own issuer.
        const setup =
          options.issuer && options.clientId
            ? null
            : await vault()
                .aiProviderOAuth()
                .catch(() => null);
        const issuer =
          options.issuer || process.env.AGENT_VAULT_OPENAI_ISSUER || setup?.issuer || DEFAULT_OPENAI_ISSUER;
        const clientId = options.clientId || process.env.AGENT_VAULT_OPENAI_CLIENT_ID || setup?.clientId;
        if (!clientId) {
          throw new UsageError(
            "set --client-id or AGENT_VAULT_OPENAI_CLIENT_ID: the OAuth client registered with the issuer (the vault's operator has not set AGENT_VAULT_OPENAI_CLIENT_ID on the server either)",
          );
        }
        const timeoutSeconds = Number(options.timeout);
        if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0)
          throw new UsageError("--timeout takes a number of seconds");
        const client = vault();
        let tokens: Awaited<ReturnType<typeof loginWithPkce>>;
        try {
          tokens = await loginWithPkce({
            issuer,
            clientId,
            scope: options.scope,
            timeoutMs: timeoutSeconds * 1000,
            present: async (url) => {
              process.stderr.write("Sign in to OpenAI in your browser. The sign-in address:\n");
              process.stderr.write(`${url}\n`);
              if (options.browser) {
                const { default: open } = await import("open");
                await open(url).catch(() =>
                  process.stderr.write("(could not open a browser: open the address above)\n"),
                );
              }
            },
          });
        } catch (error) {
          if (error instanceof LoginError) throw new CommandFailed(`${error.message}; nothing was stored`);
          throw error;
        }
        const card = await client.connectAiProvider({
          provider: "OPENAI",
          method: "OAUTH",
          credential: tokens.accessToken,
          refreshToken: tokens.refreshToken,
          expiresIn: tokens.expiresIn,
          issuer,
          clientId,
        });
        if (options.json) return printJson(card);
        printLine(describe(card));
      },
    );
}
