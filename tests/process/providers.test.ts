// AI provider cards through the SDK, key checks against a local stand-in for the providers, and
// the OpenAI OAuth sign-in from the CLI against a real local OAuth 2.0 / OpenID Connect server.

import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createVaultClient, EntryInUseError, NotFoundError, ValidationError, type VaultClient } from "@agent-vault/sdk";
import { OAuth2Server } from "oauth2-mock-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseBytes } from "../helpers/database.ts";
import { findMarkers } from "../helpers/leak-scan.ts";
import { eventually, newServerEnv, runCli, spawnCli, startServer } from "../helpers/processes.ts";
import { startTestVault, type TestVault } from "../helpers/test-vault.ts";

const GOOD_KEYS = new Set(["sk-ant-works", "sk-or-works", "sk-works"]);
let fakeProviders: Server;
let fakeUrl: string;
let t: TestVault;

beforeAll(async () => {
  // A stand-in for the providers' APIs: it accepts only the keys in GOOD_KEYS.
  fakeProviders = createServer((request, response) => {
    const key = request.headers["x-api-key"] ?? request.headers.authorization?.replace(/^Bearer /, "");
    const known = ["/anthropic/v1/models", "/openai/v1/models", "/openrouter/api/v1/key"].includes(request.url ?? "");
    response.writeHead(!known ? 404 : GOOD_KEYS.has(String(key)) ? 200 : 401).end("{}");
  });
  await new Promise<void>((resolve) => fakeProviders.listen(0, "127.0.0.1", resolve));
  const address = fakeProviders.address();
  fakeUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  t = await startTestVault({
    providerBaseUrls: {
      ANTHROPIC: `${fakeUrl}/anthropic`,
      OPENAI: `${fakeUrl}/openai`,
      OPENROUTER: `${fakeUrl}/openrouter`,
    },
  });
});
afterAll(async () => {
  await t.close();
  fakeProviders.close();
});

async function newVault(): Promise<VaultClient> {
  const { token } = await t.newUser("cards");
  return createVaultClient({ url: "http://vault.test/graphql", token, fetch: t.vault.yoga.fetch as typeof fetch });
}

describe("AI provider cards", () => {
  it("shows one card per provider, connected once its secret exists", async () => {
    const vault = await newVault();
    const cards = await vault.aiProviders();
    expect(cards.map((c) => [c.provider, c.envVar, c.connected, c.method])).toEqual([
      ["ANTHROPIC", "ANTHROPIC_API_KEY", false, null],
      ["OPENAI", "OPENAI_API_KEY", false, null],
      ["OPENROUTER", "OPENROUTER_API_KEY", false, null],
    ]);

    for (const [provider, credential] of [
      ["ANTHROPIC", "sk-ant-abc"],
      ["OPENAI", "sk-proj-abc"],
      ["OPENROUTER", "sk-or-v1-abc"],
    ] as const) {
      const card = await vault.connectAiProvider({ provider, credential });
      expect(card).toMatchObject({ provider, connected: true, method: "API_KEY" });
      expect(card.secret?.version).toBe(1);
      expect(Date.parse(card.connectedAt ?? "")).toBeGreaterThan(Date.now() - 60_000);
      expect(JSON.stringify(card)).not.toContain(credential);
    }
    // Ordinary secrets: listed with the others and attachable.
    const names = (await vault.entries()).edges.map((edge) => edge.node.name);
    expect(names).toEqual(["ANTHROPIC_API_KEY", "OPENAI_API_KEY", "OPENROUTER_API_KEY"]);

    // A secret added by hand under a provider's name connects its card too.
    const other = await newVault();
    await other.addSecret({ name: "OPENROUTER_API_KEY", value: "sk-or-by-hand" });
    const card = (await other.aiProviders()).find((c) => c.provider === "OPENROUTER");
    expect(card).toMatchObject({ connected: true, method: "API_KEY", envVar: "OPENROUTER_API_KEY" });
  });

  it.each([
    ["ANTHROPIC", "sk-proj-wrong", "sk-ant-"],
    ["OPENROUTER", "sk-ant-wrong", "sk-or-"],
    ["OPENAI", "sk-ant-wrong-provider", "sk-"],
    ["OPENAI", "not-a-key", "sk-"],
  ] as const)(
    "refuses a %s key of the wrong shape, saying what was expected without echoing it",
    async (provider, credential, expected) => {
      const vault = await newVault();
      const error = await vault.connectAiProvider({ provider, credential }).catch((e) => e);
      expect(error).toBeInstanceOf(ValidationError);
      expect(error.field).toBe("credential");
      expect(error.message).toContain(expected);
      expect(error.message).not.toContain(credential);
      expect((await vault.entries()).totalCount).toBe(0);
    },
  );

  it("takes OAuth only for OpenAI", async () => {
    const vault = await newVault();
    const error = await vault
      .connectAiProvider({ provider: "ANTHROPIC", credential: "tok", method: "OAUTH" })
      .catch((e) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.field).toBe("method");
  });

  it("updates the secret on reconnect, with the restart rules", async () => {
    const vault = await newVault();
    const card = await vault.connectAiProvider({ provider: "ANTHROPIC", credential: "sk-ant-one" });
    const agent = await vault.createAgent({ name: "claude-bot", entryIds: [card.secret?.id as string] });
    const again = await vault.connectAiProvider({ provider: "ANTHROPIC", credential: "sk-ant-two" });
    expect(again.secret?.version).toBe(2);
    expect((await vault.agent({ id: agent.id }))?.pendingChanges).toEqual([
      { name: "ANTHROPIC_API_KEY", change: "UPDATED" },
    ]);
  });

  it("refuses disconnecting while agents use the secret, then disconnects", async () => {
    const vault = await newVault();
    const card = await vault.connectAiProvider({ provider: "OPENROUTER", credential: "sk-or-x" });
    const agent = await vault.createAgent({ name: "router-bot", entryIds: [card.secret?.id as string] });
    const refused = await vault.disconnectAiProvider({ provider: "OPENROUTER" }).catch((e) => e);
    expect(refused).toBeInstanceOf(EntryInUseError);
    expect(refused.agents).toEqual([{ id: agent.id, name: "router-bot" }]);
    expect(refused.message).toBe(
      "OPENROUTER_API_KEY is attached to agent router-bot; detach it before disconnecting OpenRouter",
    );
    await vault.detachEntries({ agentId: agent.id, entryIds: [card.secret?.id as string] });
    const disconnected = await vault.disconnectAiProvider({ provider: "OPENROUTER" });
    expect(disconnected).toMatchObject({ connected: false, secret: null });
    expect(await vault.disconnectAiProvider({ provider: "OPENROUTER" }).catch((e) => e)).toBeInstanceOf(NotFoundError);
  });

  it("checks a key with the provider only when asked, and records the answer", async () => {
    const vault = await newVault();
    await vault.connectAiProvider({ provider: "ANTHROPIC", credential: "sk-ant-works" });
    await vault.connectAiProvider({ provider: "OPENAI", credential: "sk-revoked" });
    expect((await vault.aiProviders())[0]?.lastCheckedAt).toBeNull();

    const good = await vault.checkAiProvider({ provider: "ANTHROPIC" });
    expect(good).toMatchObject({ keyAccepted: true, lastCheckError: null });
    expect(Date.parse(good.lastCheckedAt ?? "")).toBeGreaterThan(Date.now() - 60_000);
    const bad = await vault.checkAiProvider({ provider: "OPENAI" });
    expect(bad.keyAccepted).toBe(false);
    expect(await vault.checkAiProvider({ provider: "OPENROUTER" }).catch((e) => e)).toBeInstanceOf(NotFoundError);
  });
});

describe("agent-vault auth openai --oauth", () => {
  let oauthServer: OAuth2Server;
  let work: string;
  let serverEnv: Record<string, string>;
  let vaultServer: Awaited<ReturnType<typeof startServer>>;
  let cliEnv: Record<string, string>;
  let vault: VaultClient;
  let databaseUrl: string;
  let dropDatabase: () => Promise<void>;
  const issued: string[] = [];

  beforeAll(async () => {
    oauthServer = new OAuth2Server();
    await oauthServer.issuer.keys.generate("RS256");
    await oauthServer.start(0, "127.0.0.1");
    // Each token unique, even two issued within the same second.
    oauthServer.service.on("beforeTokenSigning", (token: { payload: Record<string, unknown> }) => {
      token.payload.jti = randomUUID();
    });
    oauthServer.service.on("beforeResponse", (response: { body: Record<string, unknown> }) => {
      for (const key of ["access_token", "refresh_token", "id_token"]) {
        if (typeof response.body[key] === "string") issued.push(response.body[key] as string);
      }
    });
    work = mkdtempSync(path.join(tmpdir(), "agent-vault-oauth-"));
    const vaultEnv = await newServerEnv(work);
    // The operator names the issuer; on this machine it is plain http, allowed only on request.
    serverEnv = {
      ...vaultEnv.env,
      AGENT_VAULT_OPENAI_ISSUER: oauthServer.issuer.url as string,
      AGENT_VAULT_ALLOW_LOOPBACK_ISSUER: "true",
    };
    databaseUrl = vaultEnv.databaseUrl;
    dropDatabase = vaultEnv.drop;
    const { token } = JSON.parse((await runCli(["user", "create", "--name", "codex", "--json"], serverEnv)).stdout);
    vaultServer = await startServer(serverEnv);
    cliEnv = {
      AGENT_VAULT_URL: `${vaultServer.url}/graphql`,
      AGENT_VAULT_TOKEN: token,
      AGENT_VAULT_OPENAI_ISSUER: oauthServer.issuer.url as string,
      AGENT_VAULT_OPENAI_CLIENT_ID: "agent-vault-test",
    };
    vault = createVaultClient({ url: `${vaultServer.url}/graphql`, token });
  });
  afterAll(async () => {
    await vaultServer.stop();
    await oauthServer.stop();
    await dropDatabase();
    rmSync(work, { recursive: true, force: true });
  });

  /** Runs the sign-in; `answer` plays the browser, given the authorization address. */
  async function signIn(answer: (authorizationUrl: URL) => Promise<void>, extra: string[] = []) {
    const cli = spawnCli(["auth", "openai", "--oauth", "--no-browser", ...extra], cliEnv);
    const line = await eventually(
      () => cli.output.stderr.split("\n").find((l) => /^https?:\/\//.test(l)),
      `the sign-in address; ${cli.output.stderr}`,
    );
    await answer(new URL(line as string));
    const code = await cli.exited;
    return { code, ...cli.output };
  }

  /** The issuer's answer: where it redirects the browser after an automatic approval. */
  async function approve(authorizationUrl: URL): Promise<URL> {
    const response = await fetch(authorizationUrl, { redirect: "manual" });
    return new URL(response.headers.get("location") as string);
  }

  it("completes with PKCE, shows OPENAI connected by OAuth with its expiry, and never prints the token", async () => {
    let challenge: string | null = null;
    const result = await signIn(async (url) => {
      challenge = url.searchParams.get("code_challenge");
      expect(url.searchParams.get("code_challenge_method")).toBe("S256");
      expect(url.searchParams.get("state")).toBeTruthy();
      const redirect = await approve(url);
      expect(redirect.hostname).toBe("127.0.0.1");
      expect((await fetch(redirect)).status).toBe(200);
    });
    expect(result.code, result.stderr).toBe(0);
    expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(result.stdout).toContain("OPENAI: connected by OAuth as OPENAI_OAUTH_TOKEN");

    const card = (await vault.aiProviders()).find((c) => c.provider === "OPENAI");
    expect(card).toMatchObject({ connected: true, method: "OAUTH", envVar: "OPENAI_OAUTH_TOKEN" });
    expect(Date.parse(card?.expiresAt ?? "")).toBeGreaterThan(Date.now());
    expect(issued.length).toBeGreaterThanOrEqual(2);
    expect(findMarkers(result.stdout + result.stderr, issued)).toEqual([]);
  });

  it("refreshes: a new token, a new version, and the agents using it restart-required", async () => {
    const before = (await vault.aiProviders()).find((c) => c.provider === "OPENAI");
    const agent = await vault.createAgent({ name: "codex-bot", entryIds: [before?.secret?.id as string] });
    const refreshed = await runCli(["auth", "openai", "--refresh"], cliEnv);
    expect(refreshed.code, refreshed.stderr).toBe(0);
    const after = (await vault.aiProviders()).find((c) => c.provider === "OPENAI");
    expect(after?.secret?.version).toBe((before?.secret?.version ?? 0) + 1);
    expect(after?.secret?.fingerprint).not.toBe(before?.secret?.fingerprint);
    expect((await vault.agent({ id: agent.id }))?.pendingChanges).toEqual([
      { name: "OPENAI_OAUTH_TOKEN", change: "UPDATED" },
    ]);
    expect(findMarkers(refreshed.stdout + refreshed.stderr, issued)).toEqual([]);
  });

  it("stores tokens only encrypted", async () => {
    await vaultServer.stop();
    const bytes = databaseBytes(databaseUrl);
    expect(bytes.includes(Buffer.from("OPENAI_OAUTH_TOKEN"))).toBe(true);
    expect(findMarkers(bytes, issued)).toEqual([]);
    vaultServer = await startServer(serverEnv);
    cliEnv.AGENT_VAULT_URL = `${vaultServer.url}/graphql`;
    vault = createVaultClient({ url: cliEnv.AGENT_VAULT_URL, token: cliEnv.AGENT_VAULT_TOKEN as string });
  });

  describe("failures store nothing", () => {
    beforeAll(async () => {
      const card = (await vault.aiProviders()).find((c) => c.provider === "OPENAI");
      const agents = card?.secret?.usedBy ?? [];
      for (const agent of agents) await vault.deleteAgent({ agentId: agent.id });
      await vault.disconnectAiProvider({ provider: "OPENAI" });
    });

    const notConnected = async () => {
      const card = (await vault.aiProviders()).find((c) => c.provider === "OPENAI");
      expect(card?.connected).toBe(false);
    };

    it("refuses a wrong state", async () => {
      const result = await signIn(async (url) => {
        const redirect = await approve(url);
        redirect.searchParams.set("state", "forged-state");
        await fetch(redirect);
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/state/);
      await notConnected();
    });

    it("reports a denied sign-in", async () => {
      const result = await signIn(async (url) => {
        const redirect = new URL(url.searchParams.get("redirect_uri") as string);
        redirect.searchParams.set("error", "access_denied");
        redirect.searchParams.set("state", url.searchParams.get("state") as string);
        await fetch(redirect);
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("denied");
      await notConnected();
    });

    it("gives up after the timeout", async () => {
      const result = await signIn(async () => {}, ["--timeout", "1"]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/within 1 s/);
      await notConnected();
    });

    it("says so when the issuer is unreachable", async () => {
      const result = await runCli(
        ["auth", "openai", "--oauth", "--no-browser", "--issuer", "http://127.0.0.1:9/"],
        cliEnv,
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain("issuer");
      await notConnected();
    });
  });
});
