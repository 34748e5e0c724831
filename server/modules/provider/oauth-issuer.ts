// The OAuth issuer the vault talks to for OpenAI (Codex subscription) tokens: set by the operator,
// never by a tenant. A tenant's input may only name the same issuer; the vault would otherwise
// send requests (and, later, the stored refresh token) wherever a tenant pointed it.
import { ValidationError } from "../common/errors.ts";

export type OAuthIssuer = {
  /** The issuer's URL: https, or http on this machine when `allowLoopback` is set. */
  url: string;
  allowLoopback: boolean;
  /** The OAuth client id the console's sign-in uses (AGENT_VAULT_OPENAI_CLIENT_ID); none: only the CLI's. */
  clientId?: string | null;
  /** The scopes the console's sign-in asks for (AGENT_VAULT_OPENAI_SCOPE). */
  scope?: string | null;
};

export const DEFAULT_OPENAI_ISSUER = "https://auth.openai.com";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/** The operator's issuer, from AGENT_VAULT_OPENAI_ISSUER, AGENT_VAULT_ALLOW_LOOPBACK_ISSUER, AGENT_VAULT_OPENAI_CLIENT_ID and AGENT_VAULT_OPENAI_SCOPE. */
export function oauthIssuer(env: Record<string, string | undefined> = process.env): OAuthIssuer {
  return {
    url: (env.AGENT_VAULT_OPENAI_ISSUER || DEFAULT_OPENAI_ISSUER).replace(/\/+$/, ""),
    allowLoopback: env.AGENT_VAULT_ALLOW_LOOPBACK_ISSUER === "true",
    clientId: env.AGENT_VAULT_OPENAI_CLIENT_ID?.trim() || null,
    scope: env.AGENT_VAULT_OPENAI_SCOPE?.trim() || null,
  };
}

/** Whether the vault may send requests to this issuer. */
export function assertUsableIssuer(issuer: OAuthIssuer): URL {
  const url = new URL(issuer.url);
  const loopback = LOOPBACK.has(url.hostname);
  if (loopback ? !issuer.allowLoopback : url.protocol !== "https:") {
    throw new ValidationError(
      loopback
        ? "The OAuth issuer is on this machine: allowed only with AGENT_VAULT_ALLOW_LOOPBACK_ISSUER=true"
        : "The OAuth issuer must use https (AGENT_VAULT_OPENAI_ISSUER)",
      "issuer",
    );
  }
  return url;
}

/** A tenant may name the issuer that granted a token, and only the operator's. */
export function assertSameIssuer(issuer: OAuthIssuer, given: string | null | undefined): void {
  if (given == null) return;
  const same = given.replace(/\/+$/, "") === issuer.url;
  if (!same) {
    throw new ValidationError(
      "This vault uses only the OAuth issuer its operator configured (AGENT_VAULT_OPENAI_ISSUER); sign in with that one",
      "issuer",
    );
  }
}
