// Beyond one machine: several server instances on one PostgreSQL and one Redis deliver every
// notice and restart command to every subscriber and runtime; and when Redis goes away, the
// vault keeps working and recovers by itself.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRuntimeClient, createVaultClient } from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "../helpers/database.ts";
import { collect } from "../helpers/notices.ts";
import {
  eventually,
  freePort,
  hasCommand,
  newServerEnv,
  runCli,
  spawnCli,
  startServer,
  track,
} from "../helpers/processes.ts";

const sharedRedis = process.env.TEST_REDIS_URL;
let work: string;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "agent-vault-scale-"));
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  rmSync(work, { recursive: true, force: true });
});

async function newVaultProcessEnv(name: string) {
  const vault = await newServerEnv(path.join(work, name));
  cleanups.push(vault.drop);
  const { token } = JSON.parse((await runCli(["user", "create", "--name", name, "--json"], vault.env)).stdout);
  return { env: vault.env, token };
}

describe.skipIf(testDatabase !== "postgres" || !sharedRedis)("two instances on one PostgreSQL and one Redis", () => {
  it("delivers a notice made on A to a subscriber on B, and a restart sent to A to a runtime on B", async () => {
    const { env, token } = await newVaultProcessEnv("two-instances");
    const a = await startServer({ ...env, REDIS_URL: sharedRedis });
    cleanups.push(a.stop);
    const b = await startServer({ ...env, REDIS_URL: sharedRedis });
    cleanups.push(b.stop);
    const onA = createVaultClient({ url: `${a.url}/graphql`, token });
    const onB = createVaultClient({ url: `${b.url}/graphql`, token });

    const secret = await onA.addSecret({ name: "SHARED_KEY", value: "v0" });
    const agent = await onA.createAgent({ name: "scaled-bot", entryIds: [secret.id] });
    const subscriber = collect(onB.restartNeeded());
    let round = 0;
    await eventually(async () => {
      await onA.updateSecret({ id: secret.id, value: `v${++round}` });
      return subscriber.notices.length > 0;
    }, "a notice on B for an update on A");
    expect(subscriber.notices[0]).toMatchObject({ agentId: agent.id, entryName: "SHARED_KEY", change: "UPDATED" });

    const { token: runtimeToken } = await onA.createRuntimeToken({ agentId: agent.id });
    const runner = spawnCli(
      [
        "run",
        "--url",
        `${b.url}/graphql`,
        "--",
        process.execPath,
        "-e",
        'console.log("key=" + process.env.SHARED_KEY); setInterval(() => {}, 1000)',
      ],
      { AGENT_VAULT_RUNTIME_TOKEN: runtimeToken },
    );
    cleanups.push(() => {
      runner.child.kill("SIGTERM");
    });
    await eventually(() => runner.output.stdout.includes(`key=v${round}`), `the child on B; ${runner.output.stderr}`);
    await onA.updateSecret({ id: secret.id, value: "from-a" });
    // The runtime's command stream may still be connecting: restart until it hears of it.
    await eventually(
      async () => {
        if (runner.output.stdout.includes("key=from-a")) return true;
        await onA.restartAgent({ agentId: agent.id });
        await new Promise((resolve) => setTimeout(resolve, 1000));
        return runner.output.stdout.includes("key=from-a");
      },
      `the child on B to restart; ${runner.output.stderr}`,
      30_000,
    );
  });
});

describe.skipIf(testDatabase !== "postgres" || !sharedRedis)("runtimes on two instances", () => {
  it("end their command stream at once on B when their token is revoked or their agent deleted on A", async () => {
    const { env, token } = await newVaultProcessEnv("runtime-ends");
    const a = await startServer({ ...env, REDIS_URL: sharedRedis });
    cleanups.push(a.stop);
    const b = await startServer({ ...env, REDIS_URL: sharedRedis });
    cleanups.push(b.stop);
    const onA = createVaultClient({ url: `${a.url}/graphql`, token });
    const agent = await onA.createAgent({ name: "ending-bot" });
    const open = async () => {
      const created = await onA.createRuntimeToken({ agentId: agent.id });
      const runtime = createRuntimeClient({ url: `${b.url}/graphql`, token: created.token });
      const state = { hello: false, done: false };
      void (async () => {
        try {
          for await (const event of runtime.commands()) if (event.type === "hello") state.hello = true;
        } catch {}
        state.done = true;
      })();
      await eventually(() => state.hello, "the command stream on B to open");
      return { state, id: created.runtimeToken.id };
    };
    const first = await open();
    const second = await open();
    // The re-check runs every 30 s: only the event from A can end these within seconds.
    await onA.revokeRuntimeToken({ id: first.id });
    await eventually(() => first.state.done, "the revoked token's stream on B to end", 5_000);
    expect(second.state.done).toBe(false);
    await onA.deleteAgent({ agentId: agent.id });
    await eventually(() => second.state.done, "the deleted agent's stream on B to end", 5_000);
  });
});

function startRedis(port: number): ChildProcess {
  return track(
    spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    }),
  );
}

async function stopRedis(redis: ChildProcess) {
  if (redis.exitCode !== null) return;
  const exited = new Promise((resolve) => redis.once("exit", resolve));
  redis.kill("SIGKILL");
  await exited;
}

describe.skipIf(!hasCommand("redis-server"))("when Redis goes away", () => {
  it("keeps queries and mutations working, does not crash, and delivers notices again once Redis is back", async () => {
    const port = await freePort();
    let redis = startRedis(port);
    cleanups.push(() => stopRedis(redis));
    const { env, token } = await newVaultProcessEnv("redis-down");
    const server = await startServer({ ...env, REDIS_URL: `redis://127.0.0.1:${port}` });
    cleanups.push(server.stop);
    const vault = createVaultClient({ url: `${server.url}/graphql`, token });
    const secret = await vault.addSecret({ name: "RESILIENT", value: "0" });
    const agent = await vault.createAgent({ name: "resilient-bot", entryIds: [secret.id] });
    const subscriber = collect(vault.restartNeeded());
    let round = 0;
    const update = () => vault.updateSecret({ id: secret.id, value: String(++round) });
    await eventually(async () => {
      await update();
      return subscriber.notices.length > 0;
    }, "a first notice");
    // The vault's channels on a Redis it may share with others: each under its prefix.
    const channels = spawnSync("redis-cli", ["-p", String(port), "PUBSUB", "CHANNELS"], { encoding: "utf8" })
      .stdout.split("\n")
      .filter(Boolean);
    expect(channels).toContain(`agent-vault:user:${(await vault.currentToken()).id}`);
    expect(channels.filter((channel) => !channel.startsWith("agent-vault:"))).toEqual([]);

    await stopRedis(redis);
    // Without Redis: everything but live delivery goes on.
    const during = await update();
    expect(during.version).toBe(round + 1);
    expect((await vault.agent({ id: agent.id }))?.restartRequired).toBe(true);
    await vault.addVariable({ name: "ADDED_WITHOUT_REDIS", value: "yes" });
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);

    redis = startRedis(port);
    const before = subscriber.notices.length;
    await eventually(
      async () => {
        await update();
        return subscriber.notices.length > before;
      },
      "notices again after Redis is back",
      30_000,
    );
    expect(subscriber.state.error).toBeUndefined();
    expect(server.output().stderr).not.toMatch(/Unhandled|ERR_UNHANDLED_REJECTION|TypeError/);
  });
});
