// An operator's first day: the server commands say in one line what is wrong and what to do, and
// never quietly make a second vault or a second server on the same embedded database.
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createVaultClient } from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase } from "../helpers/database.ts";
import { freePort, newServerEnv, runCli, spawnCli, startServer } from "../helpers/processes.ts";

let work: string;
beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "agent-vault-operator-"));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Waits (up to 20 s) until a spawned `serve` says it is listening. */
async function untilListening(server: ReturnType<typeof spawnCli>): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!server.output.stdout.includes("listening") && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const oneLine = (text: string) => text.trim().split("\n").length === 1 && !/\n\s+at /.test(text);

describe.skipIf(testDatabase !== "sqlite")("the data directory", () => {
  it("is never created by a server command other than serve run from the wrong directory", async () => {
    const elsewhere = path.join(work, "elsewhere");
    mkdirSync(elsewhere);
    for (const args of [
      ["user", "create", "--name", "lost"],
      ["keys", "status"],
      ["user", "token", "--user", "x"],
    ]) {
      const run = await runCli(args, {}, undefined, elsewhere);
      expect(run.code, args.join(" ")).toBe(1);
      expect(run.stderr).toContain(`No vault in ${path.join(elsewhere, "data")}`);
      expect(run.stderr).toContain("AGENT_VAULT_DATA_DIR");
      expect(oneLine(run.stderr)).toBe(true);
    }
    expect(existsSync(path.join(elsewhere, "data"))).toBe(false);
  });

  it("is created by serve, which says so", async () => {
    const here = path.join(work, "fresh");
    mkdirSync(here);
    const server = spawnCli(["serve"], { PORT: String(await freePort()) }, here);
    try {
      await untilListening(server);
      expect(server.output.stdout).toContain(`Creating a new vault in ${path.join(here, "data")}`);
    } finally {
      server.child.kill("SIGTERM");
      await server.exited;
    }
  });

  it("takes one serve at a time, and a lock left by a killed server is taken over", async () => {
    const { env, drop } = await newServerEnv(path.join(work, "single"));
    try {
      const first = await startServer(env);
      const second = await runCli(["serve"], { ...env, PORT: String(await freePort()) });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/Another agent-vault serve \(process \d+\) is serving/);
      expect(oneLine(second.stderr)).toBe(true);
      await first.stop();
      // Killed outright: its lock stays behind, and the next serve takes it over.
      const killed = spawnCli(["serve"], { ...env, PORT: String(await freePort()) });
      await untilListening(killed);
      killed.child.kill("SIGKILL");
      await killed.exited;
      const next = await startServer(env);
      await next.stop();
    } finally {
      await drop();
    }
  });

  it("closes after a killed server left a large write-ahead log: the next command finishes with exit code 0", async () => {
    const { env, dataDir, drop } = await newServerEnv(path.join(work, "large-log"));
    try {
      const first = await runCli(["user", "create", "--name", "bulk", "--json"], env);
      expect(first.code).toBe(0);
      const { token } = JSON.parse(first.stdout);
      const port = await freePort();
      const killed = spawnCli(["serve"], { ...env, PORT: String(port) });
      await untilListening(killed);
      const vault = createVaultClient({ url: `http://127.0.0.1:${port}/graphql`, token });
      // Over 4 MB to the log, which the database checkpoints from a worker thread of its own.
      for (let round = 0; round < 3; round++) {
        const content = Array.from({ length: 5_000 }, (_, i) => `BULK_${round}_${i}=${"v".repeat(400)}`).join("\n");
        await vault.importEnv({ content, kind: "VARIABLE" });
      }
      killed.child.kill("SIGKILL");
      await killed.exited;
      expect(statSync(path.join(dataDir, "vault.db-wal")).size).toBeGreaterThan(4 * 1024 * 1024);
      // The log is still there: the next write starts the checkpointing worker, and closing must wait for it.
      for (const args of [
        ["user", "create", "--name", "after"],
        ["keys", "rewrap"],
      ]) {
        const run = await runCli(args, env);
        expect(run.stderr, args.join(" ")).toBe("");
        expect(run.code, args.join(" ")).toBe(0);
      }
    } finally {
      await drop();
    }
  });
});

describe("start-up errors", () => {
  it("says in one line that the port is in use, and that PORT is not a port", async () => {
    const { env, drop } = await newServerEnv(path.join(work, `port-${testDatabase}`));
    const blocker = createServer();
    const port = await freePort();
    await new Promise<void>((resolve) => blocker.listen(port, resolve));
    try {
      const inUse = await runCli(["serve"], { ...env, PORT: String(port) });
      expect(inUse.code).toBe(1);
      expect(inUse.stderr).toContain(`Port ${port} is in use`);
      expect(oneLine(inUse.stderr)).toBe(true);
      const notAPort = await runCli(["serve"], { ...env, PORT: "abc" });
      expect(notAPort.code).toBe(1);
      expect(notAPort.stderr).toContain("PORT must be a port number");
      expect(oneLine(notAPort.stderr)).toBe(true);
      const badPolicy = await runCli(["serve"], { ...env, PORT: "0", AGENT_VAULT_LEAK_POLICY: "warn" });
      expect(badPolicy.code).toBe(1);
      expect(badPolicy.stderr).toContain("AGENT_VAULT_LEAK_POLICY must be one of block, redact, record, off");
      expect(oneLine(badPolicy.stderr)).toBe(true);
    } finally {
      blocker.close();
      await drop();
    }
  });

  it.skipIf(testDatabase !== "postgres")(
    "says what to raise when PostgreSQL's statement timeout is too short",
    async () => {
      const { env, drop } = await newServerEnv(path.join(work, "timeout"));
      try {
        const run = await runCli(["serve"], {
          ...env,
          PORT: String(await freePort()),
          AGENT_VAULT_PG_STATEMENT_TIMEOUT_MS: "1",
          AGENT_VAULT_MASTER_KEY: randomBytes(32).toString("base64"),
        });
        expect(run.code).toBe(1);
        expect(run.stderr).toContain("statement timeout (1 ms): raise AGENT_VAULT_PG_STATEMENT_TIMEOUT_MS");
        expect(oneLine(run.stderr)).toBe(true);
      } finally {
        await drop();
      }
    },
  );
});
