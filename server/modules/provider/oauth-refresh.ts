// Renewing an OpenAI (Codex subscription) OAuth token with its refresh token, through
// openid-client, at the issuer the operator configured.
import * as oauth from "openid-client";
import { assertUsableIssuer, type OAuthIssuer } from "./oauth-issuer.ts";

export type RefreshedTokens = { accessToken: string; refreshToken?: string; expiresIn?: number };

export async function refreshWithIssuer(
  issuer: OAuthIssuer,
  clientId: string,
  refreshToken: string,
): Promise<RefreshedTokens> {
  const url = assertUsableIssuer(issuer);
  // Plain http only for an issuer on this machine, which the operator allowed.
  const options = url.protocol === "http:" ? { execute: [oauth.allowInsecureRequests] } : undefined;
  const config = await oauth.discovery(url, clientId, undefined, oauth.None(), options);
  const tokens = await oauth.refreshTokenGrant(config, refreshToken);
  return { accessToken: tokens.access_token, refreshToken: tokens.refresh_token, expiresIn: tokens.expiresIn() };
}
