// Renewing an OpenAI (Codex subscription) OAuth token with its refresh token, through
// openid-client. The vault calls the issuer only when a user asks for a refresh.
import * as oauth from "openid-client";

export type RefreshedTokens = { accessToken: string; refreshToken?: string; expiresIn?: number };

const isLoopback = (url: URL) => ["127.0.0.1", "localhost", "[::1]"].includes(url.hostname);

export async function refreshWithIssuer(
  issuer: string,
  clientId: string,
  refreshToken: string,
): Promise<RefreshedTokens> {
  const url = new URL(issuer);
  // Plain http is allowed for an issuer on this machine (a development or test server) only.
  const options = url.protocol === "http:" && isLoopback(url) ? { execute: [oauth.allowInsecureRequests] } : undefined;
  const config = await oauth.discovery(url, clientId, undefined, oauth.None(), options);
  const tokens = await oauth.refreshTokenGrant(config, refreshToken);
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresIn: tokens.expiresIn() };
}
