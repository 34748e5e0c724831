// Connecting OpenAI through a Codex subscription from the console: OAuth 2.0 authorization code
// with PKCE (S256), through openid-client, at the issuer and with the client id the operator
// configured, and the vault's own callback address. The state the browser carries is sealed
// (crypto/oauth-state.ts) and names the console session that started the sign-in: the callback
// is answered only in that session, so nobody can make another person's console connect their
// account. Tokens go from the issuer to the provider's secret and nowhere else.
import * as oauth from "openid-client";
import type { Viewer } from "../../auth/viewer.ts";
import type { OAuthStateSealer } from "../../crypto/oauth-state.ts";
import type { Delivery } from "../broker/delivery.ts";
import { ProviderRequestError, ValidationError } from "../common/errors.ts";
import { assertUsableIssuer, type OAuthIssuer } from "./oauth-issuer.ts";
import type { AiProviderCard, ProviderService } from "./provider.service.ts";

/** The path of the vault's callback, below its public address. */
export const OAUTH_CALLBACK_PATH = "/oauth/openai/callback";
/** How long a sign-in may take, from the console's click to the callback. */
const SIGN_IN_TTL_MS = 10 * 60_000;
export const DEFAULT_OAUTH_SCOPE = "openid profile email offline_access";

export type OAuthSetup = {
  configured: boolean;
  issuer: string;
  /** The operator's OAuth client id (public: it is in every authorization address). */
  clientId: string | null;
  /** What the operator must set for the console's sign-in, by environment variable. */
  missing: string[];
};

export type OAuthSignIn = ReturnType<typeof oauthSignIn>;

export function oauthSignIn(deps: {
  issuer: OAuthIssuer;
  states: OAuthStateSealer;
  providers: ProviderService;
  /** The vault's public address (AGENT_VAULT_PUBLIC_URL), else the one the console used. */
  publicUrl?: string;
}) {
  const { issuer, states, providers } = deps;

  function setup(): OAuthSetup {
    return {
      configured: Boolean(issuer.clientId),
      issuer: issuer.url,
      clientId: issuer.clientId ?? null,
      missing: issuer.clientId ? [] : ["AGENT_VAULT_OPENAI_CLIENT_ID"],
    };
  }

  function assertConfigured(): void {
    if (!issuer.clientId) {
      throw new ValidationError(
        "OAuth sign-in is not set up on this vault: its operator sets AGENT_VAULT_OPENAI_CLIENT_ID (and AGENT_VAULT_OPENAI_ISSUER for an issuer other than OpenAI's) and restarts it",
        "clientId",
      );
    }
  }

  async function configuration(): Promise<oauth.Configuration> {
    const url = assertUsableIssuer(issuer);
    try {
      return await oauth.discovery(url, issuer.clientId as string, undefined, oauth.None(), {
        ...(url.protocol === "http:" ? { execute: [oauth.allowInsecureRequests] } : {}),
        timeout: 15,
      });
    } catch (error) {
      throw new ProviderRequestError(
        `Cannot read the OAuth issuer's configuration at ${url.origin}: ${(error as Error).message}`,
      );
    }
  }

  return {
    setup,

    /** The address to send the person's browser to; the sign-in ends at the vault's callback. */
    async start(
      viewer: Viewer,
      input: { delivery?: Delivery | null; origin: string },
    ): Promise<{ authorizationUrl: string }> {
      assertConfigured();
      if (!viewer.sessionId) {
        throw new ValidationError(
          "This sign-in finishes in the console's session that starts it: start it from the console, or run agent-vault auth openai --oauth in a terminal",
          "session",
        );
      }
      const config = await configuration();
      const redirectUri = `${(deps.publicUrl ?? input.origin).replace(/\/+$/, "")}${OAUTH_CALLBACK_PATH}`;
      const verifier = oauth.randomPKCECodeVerifier();
      const state = states.seal(
        { userId: viewer.userId, sessionId: viewer.sessionId, verifier, redirectUri, delivery: input.delivery ?? null },
        SIGN_IN_TTL_MS,
      );
      const url = oauth.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: issuer.scope ?? DEFAULT_OAUTH_SCOPE,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
        state,
      });
      return { authorizationUrl: url.toString() };
    },

    /**
     * The issuer's answer at the callback (the whole address the browser came back to), in the console session
     * `viewer`: the code exchanged for tokens, which become the OpenAI card's secret.
     */
    async finish(viewer: Viewer, callbackUrl: string): Promise<AiProviderCard> {
      let returned: URL;
      try {
        returned = new URL(callbackUrl);
      } catch {
        throw new ValidationError("Give the whole address the issuer sent the browser back to", "callbackUrl");
      }
      const sealed = returned.searchParams.get("state") ?? "";
      const state = states.open(sealed);
      if (!state || state.userId !== viewer.userId || state.sessionId !== viewer.sessionId) {
        throw new ValidationError(
          "This sign-in was not started in this console session, or took longer than 10 minutes: start it again from Connect OpenAI",
          "callbackUrl",
        );
      }
      const denied = returned.searchParams.get("error");
      if (denied) {
        throw new ValidationError(
          denied === "access_denied"
            ? "The sign-in was denied at the issuer"
            : `The issuer answered ${denied.slice(0, 100)}`,
          "callbackUrl",
        );
      }
      assertConfigured();
      const config = await configuration();
      let tokens: Awaited<ReturnType<typeof oauth.authorizationCodeGrant>>;
      try {
        tokens = await oauth.authorizationCodeGrant(
          config,
          returned,
          { pkceCodeVerifier: String(state.verifier), expectedState: sealed },
          { redirect_uri: String(state.redirectUri) },
        );
      } catch (error) {
        const code = (error as { error?: string })?.error ?? (error as { code?: string })?.code;
        throw new ProviderRequestError(
          `The issuer did not exchange the code for a token${code ? ` (${String(code).slice(0, 100)})` : ""}`,
        );
      }
      return providers.connect(viewer, {
        provider: "OPENAI",
        method: "OAUTH",
        credential: tokens.access_token,
        refreshToken: tokens.refresh_token ?? null,
        expiresIn: tokens.expiresIn() ?? null,
        issuer: issuer.url,
        clientId: issuer.clientId,
        delivery: (state.delivery as Delivery | null) ?? null,
      });
    },
  };
}
