// The AI providers with quick-connect cards: their variables, key shapes and key checks.

import { AiProvider, type AiProviderMethod } from "../../db/enums.ts";

export type Provider = AiProvider;
export type ConnectMethod = AiProviderMethod;
export const PROVIDERS: Provider[] = Object.values(AiProvider);

type Definition = {
  label: string;
  apiKeyVar: string;
  oauthVar?: string;
  /** Why a key cannot be this provider's, or null. Never quotes the key. */
  keyShapeProblem: (key: string) => string | null;
  defaultBaseUrl: string;
  baseUrlSetting: string;
  /** A cheap authenticated request that succeeds only with a working key. */
  checkRequest: (baseUrl: string, key: string) => { url: string; headers: Record<string, string> };
};

const startsWith = (prefix: string, label: string) => (key: string) =>
  key.startsWith(prefix) ? null : `${label} API keys start with ${prefix}; this one does not`;

export const DEFINITIONS: Record<Provider, Definition> = {
  ANTHROPIC: {
    label: "Anthropic",
    apiKeyVar: "ANTHROPIC_API_KEY",
    keyShapeProblem: startsWith("sk-ant-", "Anthropic"),
    defaultBaseUrl: "https://api.anthropic.com",
    baseUrlSetting: "AGENT_VAULT_ANTHROPIC_BASE_URL",
    checkRequest: (base, key) => ({
      url: `${base}/v1/models`,
      headers: { "x-api-key": key, "anthropic-version": "2023-06-01" },
    }),
  },
  OPENAI: {
    label: "OpenAI",
    apiKeyVar: "OPENAI_API_KEY",
    oauthVar: "OPENAI_OAUTH_TOKEN",
    keyShapeProblem: (key) => {
      if (key.startsWith("sk-ant-")) return "OpenAI API keys start with sk-; this looks like an Anthropic key";
      if (key.startsWith("sk-or-")) return "OpenAI API keys start with sk-; this looks like an OpenRouter key";
      return startsWith("sk-", "OpenAI")(key);
    },
    defaultBaseUrl: "https://api.openai.com",
    baseUrlSetting: "AGENT_VAULT_OPENAI_BASE_URL",
    checkRequest: (base, key) => ({ url: `${base}/v1/models`, headers: { authorization: `Bearer ${key}` } }),
  },
  OPENROUTER: {
    label: "OpenRouter",
    apiKeyVar: "OPENROUTER_API_KEY",
    keyShapeProblem: startsWith("sk-or-", "OpenRouter"),
    defaultBaseUrl: "https://openrouter.ai",
    baseUrlSetting: "AGENT_VAULT_OPENROUTER_BASE_URL",
    checkRequest: (base, key) => ({ url: `${base}/api/v1/key`, headers: { authorization: `Bearer ${key}` } }),
  },
};

export type ProviderBaseUrls = Record<Provider, string>;

export function providerBaseUrls(env: Record<string, string | undefined> = process.env): ProviderBaseUrls {
  const urls = {} as ProviderBaseUrls;
  for (const provider of PROVIDERS) {
    const definition = DEFINITIONS[provider];
    urls[provider] = (env[definition.baseUrlSetting] || definition.defaultBaseUrl).replace(/\/+$/, "");
  }
  return urls;
}
