// OAuth connections that keep themselves alive: the vault renews a token before it expires with
// no CLI call (once per expiry, however many instances share the database), the card shows its
// status, a refused refresh token gives NEEDS_REAUTH without a retry storm, and agents whose
// restart policy is ON_CHANGE restart with the new token while MANUAL ones show the change.
// Against a real OAuth server (oauth2-mock-server) whose tokens live seconds.
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createVaultClient, type ProviderStatusNotice, type VaultClient } from "@agent-vault/sdk";
import { OAuth2Server } from "oauth2-mock-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openVaultApp } from "../../server/app.ts";
import { parseMasterKeys } from "../../server/crypto/master-key.ts";
import { testDatabase } from "../helpers/database.ts";
import { findMarkers } from "../helpers/leak-scan.ts";
import { eventually, newServerEnv, runCli, spawnCli, startServer } from "../helpers/processes.ts";
import { newMasterKey, startTestVault, type TestVault } from "../helpers/test-vault.ts";

let issuer: OAuth2Server;
/** Every token the issuer handed out, to search every output for. */
const issued: string[] = [];
/** Refresh grants the issuer answered. */
let refreshes = 0;
/** How long refreshed access tokens live, in seconds. */
let refreshedLifetime = 60;
/** When set, the issuer refuses every refresh token with this error. */
let refuseWith: string | null = null;

beforeAll(async () => {
  issuer = new OAuth2Server();
  await issuer.issuer.keys.generate("RS256");
  await issuer.start(0, "127.0.0.1");
  issuer.service.on("beforeTokenSigning", (token: { payload: Record<string, unknown> }) => {
    token.payload.jti = randomUUID();
  });
  issuer.service.on(
    "beforeResponse",
    (response: { body: Record<string, unknown>; statusCode: number }, request: { body?: Record<string, string> }) => {
      if (request.body?.grant_type !== "refresh_token") return;
      refreshes++;
      if (refuseWith) {
        response.statusCode = 400;
        response.body = { error: refuseWith, error_description: "The refresh token was revoked" };
        return;
      }
      response.body.expires_in = refreshedLifetime;
      for (const key of ["access_token", "refresh_token", "id_token"]) {
        if (typeof response.body[key] === "string") issued.push(response.body[key] as string);
      }
    },
  );
});
afterAll(() => issuer.stop());

const openai = async (vault: VaultClient) => (await vault.aiProviders()).find((card) => card.provider === "OPENAI");

/** A connection made by the OAuth sign-in, whose access token expires in `expiresIn` seconds. */
async function connect(vault: VaultClient, expiresIn: number, delivery?: "BROKERED") {
  const accessToken = `access-${randomBytes(12).toString("hex")}`;
  const refreshToken = `refresh-${randomBytes(12).toString("hex")}`;
  issued.push(accessToken, refreshToken);
  await vault.connectAiProvider({
    provider: "OPENAI",
    method: "OAUTH",
    credential: accessToken,
    refreshToken,
    expiresIn,
    issuer: issuer.issuer.url as string,
    clientId: "agent-vault-test",
    delivery,
  });
  return accessToken;
}

describe("automatic refresh, in process", () => {
  const masterKeys = parseMasterKeys(newMasterKey(), "AGENT_VAULT_MASTER_KEY");
  let t: TestVault;
  const options = () => ({
    masterKeys,
    oauthIssuer: { url: issuer.issuer.url as string, allowLoopback: true },
    oauthRefreshCheckMs: 100,
  });
  beforeAll(async () => {
    t = await startTestVault(options());
  });
  afterAll(() => t.close());
  const clientFor = (token: string, app = t.vault) =>
    createVaultClient({ url: "http://vault.test/graphql", token, fetch: app.yoga.fetch as typeof fetch });

  it("renews the token before it expires with no call, as a new version, and tells subscribers", async () => {
    refuseWith = null;
    refreshedLifetime = 60;
    const { token } = await t.newUser("renewed");
    const vault = clientFor(token);
    await connect(vault, 2);
    const before = await openai(vault);
    expect(before).toMatchObject({ status: "CONNECTED", lastRefreshedAt: null, lastError: null });
    const statuses = vault.providerStatusChanged();
    const firstStatus = statuses.next();

    const after = await eventually(async () => {
      const card = await openai(vault);
      return card?.lastRefreshedAt ? card : null;
    }, "the token renewed by the vault");
    expect(after?.status).toBe("CONNECTED");
    expect(after?.secret?.version).toBe(2);
    expect(after?.secret?.fingerprint).not.toBe(before?.secret?.fingerprint);
    expect(Date.parse(after?.expiresAt ?? "")).toBeGreaterThan(Date.now() + 50_000);
    const notice = (await firstStatus).value as ProviderStatusNotice;
    expect(notice).toMatchObject({ provider: "OPENAI", status: "CONNECTED", lastError: null });
    await statuses.return(undefined);

    const [refreshed] = await vault
      .activity({ filter: { actions: ["PROVIDER_REFRESHED"] } })
      .then((page) => page.edges.map((edge) => edge.node));
    expect(refreshed?.actor).toMatchObject({ kind: "SYSTEM", name: "automatic OAuth refresh" });
    const responses = JSON.stringify([before, after, notice, refreshed]);
    expect(findMarkers(responses, issued)).toEqual([]);
    expect(findMarkers(t.databaseBytes(), issued)).toEqual([]);
  });

  it("renews a brokered token with no restart: the broker sends the new one at the next request", async () => {
    refuseWith = null;
    refreshedLifetime = 60;
    const { token } = await t.newUser("brokered-oauth");
    const vault = clientFor(token);
    const accessToken = await connect(vault, 2, "BROKERED");
    const card = await openai(vault);
    expect(card?.delivery).toBe("BROKERED");
    const secretId = card?.secret?.id as string;
    const agent = await vault.createAgent({ name: "codex", entryIds: [secretId] });
    const { token: runtimeToken } = await vault.createRuntimeToken({ agentId: agent.id });
    const fetched = await t.vault.yoga.fetch("http://vault.test/runtime/environment", {
      method: "POST",
      headers: { authorization: `Bearer ${runtimeToken}` },
    });
    const { environment } = (await fetched.json()) as { environment: Record<string, string> };
    expect(environment.OPENAI_OAUTH_TOKEN).toMatch(/^avb_/);
    expect(environment.OPENAI_BASE_URL).toBe(`http://vault.test/broker/${secretId}`);
    expect(findMarkers(JSON.stringify(environment), issued)).toEqual([]);

    await eventually(async () => (await openai(vault))?.lastRefreshedAt, "the brokered token renewed by the vault");
    expect((await vault.agent({ id: agent.id }))?.restartRequired).toBe(false);
    const opened = await t.vault.services.broker.open(secretId, environment.OPENAI_OAUTH_TOKEN as string);
    expect(opened?.value).not.toBe(accessToken);
    expect(issued).toContain(opened?.value);
  });

  it("marks a refused refresh token NEEDS_REAUTH within one attempt, and does not try again", async () => {
    refreshedLifetime = 60;
    const { token } = await t.newUser("refused");
    const vault = clientFor(token);
    await connect(vault, 2);
    refuseWith = "invalid_grant";
    const attemptsBefore = refreshes;
    const card = await eventually(async () => {
      const found = await openai(vault);
      return found?.status === "NEEDS_REAUTH" ? found : null;
    }, "the card NEEDS_REAUTH");
    expect(card?.lastError).toContain("invalid_grant");
    expect(card?.secret?.version).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(refreshes - attemptsBefore).toBe(1);
    refuseWith = null;
  });

  it("retries a temporary failure later, then renews", async () => {
    refreshedLifetime = 60;
    const { token } = await t.newUser("temporary");
    const vault = clientFor(token);
    await connect(vault, 2);
    refuseWith = "temporarily_unavailable";
    const expiring = await eventually(async () => {
      const found = await openai(vault);
      return found?.lastError ? found : null;
    }, "a failed renewal on the card");
    expect(expiring?.status).toBe("EXPIRING");
    refuseWith = null;
    const renewed = await eventually(
      async () => {
        const found = await openai(vault);
        return found?.lastRefreshedAt ? found : null;
      },
      "the renewal retried",
      20_000,
    );
    expect(renewed).toMatchObject({ status: "CONNECTED", lastError: null });
  });

  it.skipIf(testDatabase !== "postgres")(
    "renews once, not twice, with two vault instances on one database",
    async () => {
      refuseWith = null;
      refreshedLifetime = 60;
      const { token } = await t.newUser("two-instances");
      const vault = clientFor(token);
      const other = await openVaultApp({
        databaseUrl: t.databaseUrl,
        masterKeySource: "AGENT_VAULT_MASTER_KEY",
        ...options(),
      });
      try {
        const attemptsBefore = refreshes;
        await connect(vault, 1);
        await eventually(async () => (await openai(vault))?.lastRefreshedAt, "the token renewed");
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        expect(refreshes - attemptsBefore).toBe(1);
        expect((await openai(vault))?.secret?.version).toBe(2);
      } finally {
        await other.close();
      }
    },
  );
});

describe("agents after a renewal, with agent-vault run", () => {
  let work: string;
  let server: Awaited<ReturnType<typeof startServer>>;
  let vault: VaultClient;
  let graphqlUrl: string;
  let apiToken: string;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "agent-vault-lifecycle-"));
    const vaultEnv = await newServerEnv(work);
    drop = vaultEnv.drop;
    const env = {
      ...vaultEnv.env,
      AGENT_VAULT_OPENAI_ISSUER: issuer.issuer.url as string,
      AGENT_VAULT_ALLOW_LOOPBACK_ISSUER: "true",
    };
    apiToken = JSON.parse((await runCli(["user", "create", "--name", "lifecycle", "--json"], env)).stdout).token;
    server = await startServer(env);
    graphqlUrl = `${server.url}/graphql`;
    vault = createVaultClient({ url: graphqlUrl, token: apiToken });
  });
  afterAll(async () => {
    await server.stop();
    await drop();
    rmSync(work, { recursive: true, force: true });
  });

  const PRINT_TOKEN = `console.log("TOKEN=" + process.env.OPENAI_OAUTH_TOKEN);
process.on("SIGTERM", () => process.exit(0));
setInterval(() => {}, 1000);`;

  it("restarts the ON_CHANGE agent's child with the new token; the MANUAL one keeps running, restart-required", async () => {
    refuseWith = null;
    refreshedLifetime = 60;
    await connect(vault, 4);
    const secretId = (await openai(vault))?.secret?.id as string;
    const automatic = await vault.createAgent({ name: "auto-bot", entryIds: [secretId], restartPolicy: "ON_CHANGE" });
    const manual = await vault.createAgent({ name: "manual-bot", entryIds: [secretId] });
    expect(automatic.restartPolicy).toBe("ON_CHANGE");
    expect(manual.restartPolicy).toBe("MANUAL");
    const children = await Promise.all(
      [automatic, manual].map(async (agent) => {
        const { token } = await vault.createRuntimeToken({ agentId: agent.id });
        // The token itself is compared here: its output unmasked.
        return spawnCli(["run", "--no-masking", "--", process.execPath, "-e", PRINT_TOKEN], {
          AGENT_VAULT_URL: graphqlUrl,
          AGENT_VAULT_RUNTIME_TOKEN: token,
        });
      }),
    );
    const [auto, man] = children as [ReturnType<typeof spawnCli>, ReturnType<typeof spawnCli>];
    const tokensOf = (child: ReturnType<typeof spawnCli>) =>
      child.output.stdout
        .split("\n")
        .filter((line) => line.startsWith("TOKEN="))
        .map((line) => line.slice("TOKEN=".length));
    try {
      await eventually(() => tokensOf(auto).length === 1 && tokensOf(man).length === 1, "both children started");
      const first = tokensOf(auto)[0];
      const notices = vault.restartNeeded({ agentId: manual.id });
      const manualNotice = notices.next();

      // Nothing else is run: the vault renews the token, then restarts the ON_CHANGE agent.
      const restarted = await eventually(
        () => (tokensOf(auto).length >= 2 ? tokensOf(auto) : null),
        `the ON_CHANGE agent restarted; ${auto.output.stderr}`,
        30_000,
      );
      expect(restarted?.[1]).not.toBe(first);
      expect(auto.output.stderr).toContain("automatic");
      const card = await openai(vault);
      expect(card?.lastRefreshedAt).toBeTruthy();
      expect(card?.secret?.version).toBe(2);
      expect((await manualNotice).value).toMatchObject({ change: "UPDATED", automatic: false });
      await notices.return(undefined);

      expect(tokensOf(man)).toHaveLength(1);
      expect((await vault.agent({ id: manual.id }))?.pendingChanges).toEqual([
        { name: "OPENAI_OAUTH_TOKEN", change: "UPDATED" },
      ]);
      const autoAfter = await eventually(async () => {
        const agent = await vault.agent({ id: automatic.id });
        return agent?.restartRequired === false ? agent : null;
      }, "the ON_CHANGE agent's pending changes cleared");
      expect(autoAfter?.pendingChanges).toEqual([]);

      const listed = await runCli(["providers", "list"], { AGENT_VAULT_URL: graphqlUrl, AGENT_VAULT_TOKEN: apiToken });
      expect(listed.stdout).toMatch(/^OPENAI\s+connected\s/m);
      // The children printed tokens by design; the vault's own outputs never did.
      const { stdout, stderr } = server.output();
      expect(findMarkers(listed.stdout + listed.stderr + stdout + stderr, issued)).toEqual([]);
    } finally {
      for (const child of children) child.child.kill();
    }
  });

  it("gives an agent's restart policy with agents update, and one burst of changes one restart", async () => {
    const variable = await vault.addVariable({ name: "BURST", value: "0" });
    const agent = await vault.createAgent({ name: "burst-bot", entryIds: [variable.id] });
    const cli = (args: string[]) => runCli(args, { AGENT_VAULT_URL: graphqlUrl, AGENT_VAULT_TOKEN: apiToken });
    const updated = await cli(["agents", "update", "burst-bot", "--restart-policy", "on-change", "--json"]);
    expect(JSON.parse(updated.stdout)).toMatchObject({ restartPolicy: "ON_CHANGE" });
    const { token } = await vault.createRuntimeToken({ agentId: agent.id });
    const child = spawnCli(
      ["run", "--", process.execPath, "-e", `console.log("BURST=" + process.env.BURST); setInterval(() => {}, 1000);`],
      {
        AGENT_VAULT_URL: graphqlUrl,
        AGENT_VAULT_RUNTIME_TOKEN: token,
      },
    );
    const starts = () => child.output.stdout.split("\n").filter((line) => line.startsWith("BURST="));
    try {
      await eventually(() => starts().length === 1, "the child started");
      for (const value of ["1", "2", "3"]) await vault.updateVariable({ id: variable.id, value });
      await eventually(() => starts().length === 2, "one restart after the burst", 15_000);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(starts()).toEqual(["BURST=0", "BURST=3"]);
    } finally {
      child.child.kill();
    }
  });
});
