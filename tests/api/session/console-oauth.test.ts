// Connecting OpenAI by OAuth from the console: authorization code with PKCE at the operator's
// issuer and client id, the vault's own callback, finished only in the console session that
// started it; the tokens never reach a response.
import { randomUUID } from "node:crypto";
import { OAuth2Server } from "oauth2-mock-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findMarkers } from "../../helpers/leak-scan.ts";
import { startTestVault, type TestVault } from "../../helpers/test-vault.ts";

const CSRF = { "x-agent-vault-csrf": "1" };
let issuer: OAuth2Server;
const issued: string[] = [];

beforeAll(async () => {
  issuer = new OAuth2Server();
  await issuer.issuer.keys.generate("RS256");
  await issuer.start(0, "127.0.0.1");
  issuer.service.on("beforeTokenSigning", (token: { payload: Record<string, unknown> }) => {
    token.payload.jti = randomUUID();
  });
  issuer.service.on("beforeResponse", (response: { body: Record<string, unknown> }) => {
    for (const key of ["access_token", "refresh_token", "id_token"]) {
      if (typeof response.body[key] === "string") issued.push(response.body[key] as string);
    }
  });
});
afterAll(() => issuer.stop());

async function vaultWith(clientId: string | null) {
  const t = await startTestVault({
    oauthIssuer: { url: issuer.issuer.url as string, allowLoopback: true, clientId },
  });
  const user = await t.newUser("codex");
  return { t, user };
}

async function sessionOf(t: TestVault, token: string): Promise<string> {
  const response = await t.vault.yoga.fetch("http://vault.test/console/session", {
    method: "POST",
    headers: { "content-type": "application/json", ...CSRF },
    body: JSON.stringify({ token }),
  });
  return (response.headers.get("set-cookie") ?? "").split(";")[0] as string;
}

/** A GraphQL request as the console sends it (cookie and CSRF header), or with a bearer token. */
async function gql(t: TestVault, auth: { cookie: string } | { token: string }, query: string, variables = {}) {
  const headers: Record<string, string> = { "content-type": "application/json", origin: "http://console.test" };
  if ("cookie" in auth) Object.assign(headers, CSRF, { cookie: auth.cookie });
  else headers.authorization = `Bearer ${auth.token}`;
  const response = await t.vault.yoga.fetch("http://vault.test/graphql", {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: a GraphQL answer, read field by field in each test
  return { text: await response.clone().text(), body: (await response.json()) as { data: Record<string, any> } };
}

const START = `mutation($input: StartAiProviderOAuthInput!) { startAiProviderOAuth(input: $input) {
  __typename ... on MutationStartAiProviderOAuthSuccess { data { authorizationUrl } }
  ... on Error { message } ... on ValidationError { field } } }`;
const FINISH = `mutation($input: FinishAiProviderOAuthInput!) { finishAiProviderOAuth(input: $input) {
  __typename ... on MutationFinishAiProviderOAuthSuccess { data { connected method envVar delivery secret { name } } }
  ... on Error { message } ... on ValidationError { field } } }`;
const SETUP = "{ aiProviderOAuth { configured issuer missing } }";

/** The issuer approves at once: where it sends the browser back. */
async function approve(authorizationUrl: string): Promise<string> {
  const response = await fetch(authorizationUrl, { redirect: "manual" });
  return response.headers.get("location") as string;
}

describe("OpenAI by OAuth from the console", () => {
  it("says what the operator must set when the client id is missing, and starts nothing", async () => {
    const { t, user } = await vaultWith(null);
    try {
      const cookie = await sessionOf(t, user.token);
      expect((await gql(t, { cookie }, SETUP)).body.data.aiProviderOAuth).toEqual({
        configured: false,
        issuer: issuer.issuer.url,
        missing: ["AGENT_VAULT_OPENAI_CLIENT_ID"],
      });
      const started = (await gql(t, { cookie }, START, { input: { provider: "OPENAI" } })).body.data
        .startAiProviderOAuth;
      expect(started).toMatchObject({ __typename: "ValidationError", field: "clientId" });
      expect(started.message).toContain("AGENT_VAULT_OPENAI_CLIENT_ID");
    } finally {
      await t.close();
    }
  });

  it("signs in with PKCE at the vault's callback and connects OpenAI in the session that started it", async () => {
    const { t, user } = await vaultWith("console-client");
    try {
      const cookie = await sessionOf(t, user.token);
      expect((await gql(t, { cookie }, SETUP)).body.data.aiProviderOAuth).toMatchObject({
        configured: true,
        missing: [],
      });
      const started = await gql(t, { cookie }, START, { input: { provider: "OPENAI", delivery: "BROKERED" } });
      const url = new URL(started.body.data.startAiProviderOAuth.data.authorizationUrl);
      expect(url.origin).toBe(new URL(issuer.issuer.url as string).origin);
      expect(url.searchParams.get("client_id")).toBe("console-client");
      expect(url.searchParams.get("code_challenge_method")).toBe("S256");
      expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
      // The browser's origin: the console's own callback page.
      expect(url.searchParams.get("redirect_uri")).toBe("http://console.test/oauth/openai/callback");
      const back = await approve(url.toString());
      expect(back).toMatch(/^http:\/\/console\.test\/oauth\/openai\/callback\?code=/);

      // Another console session of the same user cannot finish it: the state names this one.
      const other = await sessionOf(t, user.token);
      const refused = await gql(t, { cookie: other }, FINISH, { input: { callbackUrl: back } });
      expect(refused.body.data.finishAiProviderOAuth).toMatchObject({
        __typename: "ValidationError",
        field: "callbackUrl",
      });
      // Nor can a changed state.
      const forged = back.replace(/state=([^&]+)/, (_all, state: string) => `state=${state.slice(0, -4)}AAAA`);
      const tampered = await gql(t, { cookie }, FINISH, { input: { callbackUrl: forged } });
      expect(tampered.body.data.finishAiProviderOAuth).toMatchObject({ __typename: "ValidationError" });

      const finished = await gql(t, { cookie }, FINISH, { input: { callbackUrl: back } });
      expect(finished.body.data.finishAiProviderOAuth).toEqual({
        __typename: "MutationFinishAiProviderOAuthSuccess",
        data: {
          connected: true,
          method: "OAUTH",
          envVar: "OPENAI_OAUTH_TOKEN",
          delivery: "BROKERED",
          secret: { name: "OPENAI_OAUTH_TOKEN" },
        },
      });
      expect(issued.length).toBeGreaterThanOrEqual(2);
      const said = [started.text, refused.text, tampered.text, finished.text].join("\n");
      expect(findMarkers(said, issued)).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it("is started only from a console session, and says so to a bearer token", async () => {
    const { t, user } = await vaultWith("console-client");
    try {
      const started = await gql(t, { token: user.token }, START, { input: { provider: "OPENAI" } });
      expect(started.body.data.startAiProviderOAuth).toMatchObject({ __typename: "ValidationError", field: "session" });
      expect(started.body.data.startAiProviderOAuth.message).toContain("agent-vault auth openai --oauth");
    } finally {
      await t.close();
    }
  });

  it("reports a denied sign-in and connects nothing", async () => {
    const { t, user } = await vaultWith("console-client");
    try {
      const cookie = await sessionOf(t, user.token);
      const started = await gql(t, { cookie }, START, { input: { provider: "OPENAI" } });
      const state = new URL(started.body.data.startAiProviderOAuth.data.authorizationUrl).searchParams.get("state");
      const denied = `http://console.test/oauth/openai/callback?error=access_denied&state=${state}`;
      const answer = await gql(t, { cookie }, FINISH, { input: { callbackUrl: denied } });
      expect(answer.body.data.finishAiProviderOAuth).toMatchObject({
        __typename: "ValidationError",
        message: "The sign-in was denied at the issuer",
      });
      const cards = await gql(t, { cookie }, "{ aiProviders { provider connected } }");
      expect(cards.body.data.aiProviders).toContainEqual({ provider: "OPENAI", connected: false });
    } finally {
      await t.close();
    }
  });
});
