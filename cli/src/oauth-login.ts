// OAuth 2.0 authorization code with PKCE (S256) and state, with a loopback redirect on
// 127.0.0.1 (RFC 8252), through openid-client. Tokens stay in memory: they go to the vault and
// are never printed.
import { createServer, type Server } from "node:http";
import * as oauth from "openid-client";

export type LoginOptions = {
  issuer: string;
  clientId: string;
  scope: string;
  timeoutMs: number;
  /** Shows the authorization address to the user (prints it, or opens a browser). */
  present: (authorizationUrl: string) => Promise<void> | void;
};

export type LoginTokens = { accessToken: string; refreshToken?: string; expiresIn?: number };

export class LoginError extends Error {}

const isLoopback = (url: URL) => ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);

function page(title: string, text: string): string {
  return `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif"><h1>${title}</h1><p>${text}</p>`;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : 0);
    });
  });
}

export async function loginWithPkce(options: LoginOptions): Promise<LoginTokens> {
  const issuer = new URL(options.issuer);
  const insecure = issuer.protocol === "http:" && isLoopback(issuer);
  let config: oauth.Configuration;
  try {
    config = await oauth.discovery(issuer, options.clientId, undefined, oauth.None(), {
      ...(insecure ? { execute: [oauth.allowInsecureRequests] } : {}),
      timeout: 15,
    });
  } catch (error) {
    throw new LoginError(
      `Cannot read the issuer's OpenID configuration at ${issuer.origin}: ${(error as Error).message}`,
    );
  }

  const verifier = oauth.randomPKCECodeVerifier();
  const challenge = await oauth.calculatePKCECodeChallenge(verifier);
  const state = oauth.randomState();
  let settle: (url: URL) => void = () => {};
  const callback = new Promise<URL>((resolve) => {
    settle = resolve;
  });
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    if (url.pathname !== "/auth/callback") {
      response.writeHead(404).end();
      return;
    }
    const failed = url.searchParams.has("error") || url.searchParams.get("state") !== state;
    response
      .writeHead(failed ? 400 : 200, { "content-type": "text/html; charset=utf-8" })
      .end(
        failed
          ? page("Not connected", "The sign-in did not complete. Go back to the terminal.")
          : page("Connected", "You can close this window and go back to the terminal."),
      );
    settle(new URL(`http://127.0.0.1:${port}${request.url}`));
  });
  const port = await listen(server);
  const redirectUri = `http://127.0.0.1:${port}/auth/callback`;
  try {
    const authorizationUrl = oauth.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: options.scope,
      code_challenge: challenge,
      code_challenge_method: "S256",
      state,
    });
    await options.present(authorizationUrl.toString());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LoginError(`No answer from the browser within ${Math.round(options.timeoutMs / 1000)} s`)),
        options.timeoutMs,
      );
    });
    const returned = await Promise.race([callback, timeout]).finally(() => clearTimeout(timer));
    const denied = returned.searchParams.get("error");
    if (denied) {
      throw new LoginError(denied === "access_denied" ? "The sign-in was denied" : `The issuer answered ${denied}`);
    }
    if (returned.searchParams.get("state") !== state) {
      throw new LoginError("The answer's state does not match this sign-in: refused, nothing was stored");
    }
    try {
      const tokens = await oauth.authorizationCodeGrant(
        config,
        returned,
        {
          pkceCodeVerifier: verifier,
          expectedState: state,
        },
        { redirect_uri: redirectUri },
      );
      return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresIn: tokens.expiresIn() };
    } catch (error) {
      const code = (error as { error?: string; code?: string })?.error ?? (error as { code?: string })?.code;
      throw new LoginError(`The issuer did not exchange the code for a token${code ? ` (${code})` : ""}`);
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
}
