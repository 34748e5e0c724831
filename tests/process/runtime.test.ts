// The other half of the product, with a real server and a real child process: values reach the
// agent as environment variables through `agent-vault run`, never on disk; notices reach
// subscribers over SSE and WebSocket; restartAgent restarts the child.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { CONCEALED, createVaultClient, runtimeEndpoint, type VaultClient, VaultError } from "@agent-vault/sdk";
import { createClient as createWsClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { filesUnder, scanFiles } from "../helpers/leak-scan.ts";
import { collect } from "../helpers/notices.ts";
import {
  childTempRoot,
  eventually,
  freePort,
  newServerEnv,
  runCli,
  spawnCli,
  startServer,
} from "../helpers/processes.ts";

let work: string;
let dataDir: string;
let serverEnv: Record<string, string>;
let server: Awaited<ReturnType<typeof startServer>>;
let graphqlUrl: string;
let apiToken: string;
let vault: VaultClient;
let dropDatabase: () => Promise<void>;

const secretValue = `sk-runtime-${randomBytes(10).toString("hex")}`;
const newSecretValue = `sk-rotated-${randomBytes(10).toString("hex")}`;
const variableValue = `region-${randomBytes(10).toString("hex")}`;

// The agent: prints its two variables (the secret as it is, which run conceals, and its digest),
// the names of any AGENT_VAULT_ variables it was given, and then waits, as a long-running agent would.
const AGENT_SCRIPT = `
console.log(JSON.stringify({
  secret: process.env.OPENAI_API_KEY,
  secretDigest: require("node:crypto").createHash("sha256").update(process.env.OPENAI_API_KEY).digest("hex"),
  variable: process.env.REGION,
  vaultVars: Object.keys(process.env).filter((k) => k.startsWith("AGENT_VAULT_")),
  names: Object.keys(process.env).sort(),
}));
process.on("SIGTERM", () => { console.log("stopping"); process.exit(0); });
setInterval(() => {}, 1000);
`;

const digest = (value: string) => createHash("sha256").update(value).digest("hex");

function printed(
  stdout: string,
): { secret: string; secretDigest: string; variable: string; vaultVars: string[]; names: string[] }[] {
  return stdout
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line));
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "agent-vault-runtime-"));
  const vaultEnv = await newServerEnv(work);
  dataDir = vaultEnv.dataDir;
  serverEnv = vaultEnv.env;
  dropDatabase = vaultEnv.drop;
  apiToken = JSON.parse((await runCli(["user", "create", "--name", "runner", "--json"], serverEnv)).stdout).token;
  server = await startServer(serverEnv);
  graphqlUrl = `${server.url}/graphql`;
  vault = createVaultClient({ url: graphqlUrl, token: apiToken });
});
afterAll(async () => {
  await server.stop();
  await dropDatabase();
  rmSync(work, { recursive: true, force: true });
});

describe("agent-vault run", () => {
  it("delivers values as environment variables, notices on SSE and WebSocket, restarts, and writes nothing", async () => {
    const secret = await vault.addSecret({ name: "OPENAI_API_KEY", value: secretValue });
    const variable = await vault.addVariable({ name: "REGION", value: variableValue });
    const agent = await vault.createAgent({ name: "runner-bot", entryIds: [secret.id, variable.id] });
    const { token: runtimeToken } = await vault.createRuntimeToken({ agentId: agent.id });
    expect(runtimeToken).toMatch(/^avr_/);

    const cwd = mkdtempSync(path.join(work, "cwd-"));
    const runner = spawnCli(
      ["run", "--grace-period", "5", "--", process.execPath, "-e", AGENT_SCRIPT],
      {
        AGENT_VAULT_URL: graphqlUrl,
        AGENT_VAULT_RUNTIME_TOKEN: runtimeToken,
        // The runner's own vault settings must not reach the child.
        AGENT_VAULT_TOKEN: apiToken,
        AGENT_VAULT_MASTER_KEY: serverEnv.AGENT_VAULT_MASTER_KEY,
        DATABASE_URL: "file:/nowhere.db",
        SOME_PARENT_SETTING: "parent-only",
      },
      cwd,
    );
    try {
      const [first] = (await eventually(() => {
        const all = printed(runner.output.stdout);
        return all.length > 0 ? all : null;
      }, `the agent's first output; ${runner.output.stderr}`)) as ReturnType<typeof printed>;
      // The child has the secret; its output shows it concealed (the variable as it is).
      expect(first).toMatchObject({
        secret: CONCEALED,
        secretDigest: digest(secretValue),
        variable: variableValue,
        vaultVars: [],
      });
      expect(runner.output.stdout).not.toContain(secretValue);
      expect(first?.names).not.toContain("DATABASE_URL");
      expect(first?.names).not.toContain("SOME_PARENT_SETTING");
      expect(first?.names).toContain("PATH");

      // Fetching the environment recorded that the agent runs with it.
      expect((await vault.agent({ id: agent.id }))?.restartRequired).toBe(false);

      // Subscribers over SSE (the SDK) and WebSocket (graphql-ws).
      const sse = collect(vault.restartNeeded({ agentId: agent.id }));
      const ws = createWsClient({
        url: graphqlUrl.replace(/^http/, "ws"),
        webSocketImpl: WebSocket,
        connectionParams: { authorization: `Bearer ${apiToken}` },
      });
      const wsNotices: { entryName: string; change: string; agentId: string }[] = [];
      const stopWs = ws.subscribe<{ restartNeeded: { entryName: string; change: string; agentId: string } }>(
        {
          query:
            "subscription { restartNeeded { agentId entryName change occurredAt agent { name restartRequired } } }",
        },
        {
          next: (result) => result.data && wsNotices.push(result.data.restartNeeded),
          error: () => {},
          complete: () => {},
        },
      );

      // Subscriptions start asynchronously: update until both have heard of it.
      let round = 0;
      await eventually(async () => {
        await vault.updateSecret({ id: secret.id, value: `${newSecretValue}${round++ === 0 ? "" : `-${round}`}` });
        return sse.notices.length > 0 && wsNotices.length > 0;
      }, "notices on SSE and WebSocket");
      const final = `${newSecretValue}-final`;
      await vault.updateSecret({ id: secret.id, value: final });
      expect(sse.notices[0]).toMatchObject({ agentId: agent.id, entryName: "OPENAI_API_KEY", change: "UPDATED" });
      expect(sse.notices[0]?.agent.restartRequired).toBe(true);
      expect(Date.parse(sse.notices[0]?.occurredAt ?? "")).toBeGreaterThan(Date.now() - 60_000);
      expect(wsNotices[0]).toMatchObject({ agentId: agent.id, entryName: "OPENAI_API_KEY", change: "UPDATED" });
      const pending = await vault.agent({ id: agent.id });
      expect(pending?.restartRequired).toBe(true);
      expect(pending?.pendingChanges).toEqual([{ name: "OPENAI_API_KEY", change: "UPDATED" }]);

      // restartAgent: the child stops and starts again with the new value.
      await vault.restartAgent({ agentId: agent.id });
      const runs = (await eventually(() => {
        const all = printed(runner.output.stdout);
        return all.length >= 2 ? all : null;
      }, `a restart; ${runner.output.stderr}`)) as ReturnType<typeof printed>;
      expect(runs[1]).toMatchObject({ secret: CONCEALED, secretDigest: digest(final), variable: variableValue });
      expect(runner.output.stdout).not.toContain(final);
      expect(runner.output.stdout).toContain("stopping");
      expect((await vault.agent({ id: agent.id }))?.restartRequired).toBe(false);
      stopWs();
      await ws.dispose();

      // Nothing the vault, the wrapper or the agent could write holds a value: the data directory,
      // the working directories, and the temp directories of every process (not the machine's
      // whole temp directory, which other programs fill).
      const values = [secretValue, variableValue, final, newSecretValue];
      // (The data directory exists on SQLite only.)
      expect([cwd, work, childTempRoot()].filter((dir) => !existsSync(dir))).toEqual([]);
      const roots = [dataDir, cwd, work, childTempRoot()].filter((dir) => existsSync(dir));
      // One temp directory per process this test started: the server, the CLI calls, the wrapper.
      expect(readdirSync(childTempRoot()).length).toBeGreaterThan(2);
      expect(
        scanFiles(
          roots.flatMap((dir) => filesUnder(dir)),
          values,
        ),
      ).toEqual([]);
    } finally {
      runner.child.kill("SIGTERM");
      await runner.exited;
    }
  });

  it("forwards signals and exits with the child's exit code", async () => {
    const agent = await vault.createAgent({ name: "exit-bot" });
    const { token } = await vault.createRuntimeToken({ agentId: agent.id });
    const env = { AGENT_VAULT_URL: graphqlUrl, AGENT_VAULT_RUNTIME_TOKEN: token };
    const exits = await runCli(["run", "--", process.execPath, "-e", "process.exit(7)"], env);
    expect(exits.code).toBe(7);

    const waiting = spawnCli(
      [
        "run",
        "--",
        process.execPath,
        "-e",
        'process.on("SIGTERM", () => process.exit(42)); console.log("up"); setInterval(() => {}, 1000)',
      ],
      env,
    );
    await eventually(() => waiting.output.stdout.includes("up"), "the child to start");
    waiting.child.kill("SIGTERM");
    expect(await waiting.exited).toBe(42);
  });

  it("retries while the vault is unreachable at start, and keeps the child running when it drops", async () => {
    const agent = await vault.createAgent({ name: "patient-bot", entryIds: [] });
    const { token } = await vault.createRuntimeToken({ agentId: agent.id });
    const entry = await vault.addVariable({ name: "GREETING", value: "hello", agentIds: [agent.id] });
    const port = await freePort();
    const runner = spawnCli(
      [
        "run",
        "--url",
        `http://127.0.0.1:${port}/graphql`,
        "--",
        process.execPath,
        "-e",
        'console.log("greeting=" + process.env.GREETING); setInterval(() => {}, 1000)',
      ],
      { AGENT_VAULT_RUNTIME_TOKEN: token },
    );
    let second: Awaited<ReturnType<typeof startServer>> | undefined;
    try {
      await eventually(
        () => runner.output.stderr.includes("unreachable"),
        "the runner to say the vault is unreachable",
      );
      // The same vault, now on the port the runner was told about.
      await server.stop();
      second = await startServer(serverEnv, port);
      await eventually(
        () => runner.output.stdout.includes("greeting=hello"),
        `the child to start; ${runner.output.stderr}`,
      );

      // The vault goes away: the child keeps running; it comes back: restarts reach the child.
      await second.stop();
      await eventually(() => runner.output.stderr.includes("lost the connection"), "the runner to notice the drop");
      expect(runner.child.exitCode).toBeNull();
      second = await startServer(serverEnv, port);
      const secondVault = createVaultClient({ url: `${second.url}/graphql`, token: apiToken });
      await secondVault.updateVariable({ id: entry.id, value: "welcome back" });
      // Whether the runner has reconnected yet or not, it learns of the restart.
      await secondVault.restartAgent({ agentId: agent.id });
      await eventually(
        () => runner.output.stdout.includes("greeting=welcome back"),
        `the child to restart after the reconnect; ${runner.output.stderr}`,
        30_000,
      );
      // It says so once it is back, and said the drop once.
      await eventually(() => runner.output.stderr.includes("reconnected to the vault"), "the runner to say it is back");
      expect(runner.output.stderr.split("lost the connection").length - 1).toBe(1);
    } finally {
      runner.child.kill("SIGTERM");
      await runner.exited;
      await second?.stop();
      server = await startServer(serverEnv);
      graphqlUrl = `${server.url}/graphql`;
      vault = createVaultClient({ url: graphqlUrl, token: apiToken });
    }
  });
});

describe("the runtime channel", () => {
  it("refuses API tokens, and runtime tokens everywhere else; a runtime token dies with its agent", async () => {
    const agent = await vault.createAgent({ name: "channel-bot" });
    const { token } = await vault.createRuntimeToken({ agentId: agent.id });

    const asRuntime = createVaultClient({ url: graphqlUrl, token });
    const listing = await asRuntime.entries().catch((error) => error);
    expect(listing).toBeInstanceOf(VaultError);
    expect(listing.code).toBe("UNAUTHENTICATED");

    const withApiToken = await fetch(runtimeEndpoint(graphqlUrl, "environment"), {
      method: "POST",
      headers: { authorization: `Bearer ${apiToken}` },
    });
    expect(withApiToken.status).toBe(401);
    const withRuntimeToken = await fetch(runtimeEndpoint(graphqlUrl, "environment"), {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(withRuntimeToken.status).toBe(200);
    expect(await withRuntimeToken.json()).toMatchObject({
      agent: { id: agent.id, name: "channel-bot" },
      environment: {},
    });

    await vault.deleteAgent({ agentId: agent.id });
    const afterDelete = await fetch(runtimeEndpoint(graphqlUrl, "environment"), {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    expect(afterDelete.status).toBe(401);
  });

  it("gives each user only their own notices, and ends a subscription when its token is revoked", async () => {
    const secret = await vault.addSecret({ name: "ISOLATED", value: "1" });
    const agent = await vault.createAgent({ name: "isolated-bot", entryIds: [secret.id] });
    const other = JSON.parse((await runCli(["user", "create", "--name", "other", "--json"], serverEnv)).stdout);
    const otherVault = createVaultClient({ url: graphqlUrl, token: other.token });
    const theirs = collect(otherVault.restartNeeded());

    const { token: second, apiToken: secondToken } = await vault.createApiToken({ name: "short-lived" });
    const mine = collect(createVaultClient({ url: graphqlUrl, token: second }).restartNeeded());
    let round = 0;
    await eventually(async () => {
      await vault.updateSecret({ id: secret.id, value: `v${++round}` });
      return mine.notices.length > 0;
    }, "my notice");
    expect(mine.notices[0]).toMatchObject({ agentId: agent.id, entryName: "ISOLATED" });

    await vault.revokeApiToken({ id: secondToken.id });
    await eventually(() => mine.state.done, "the revoked token's subscription to end");
    expect((mine.state.error as VaultError).code).toBe("UNAUTHENTICATED");
    expect(theirs.notices).toEqual([]);
  });
});
