// Running the real `agent-vault` command as a child process, the way a user would.
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:net";
import path from "node:path";

import { freshDatabase, testDatabase } from "./database.ts";

export const BIN = path.resolve(import.meta.dirname, "../../bin/agent-vault.mjs");

export type Run = { code: number | null; stdout: string; stderr: string };

/** A clean environment: nothing of the developer's own vault configuration leaks into a test. */
export function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("AGENT_VAULT_") && !["DATABASE_URL", "PORT", "NODE_ENV"].includes(key)) env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

export function runCli(args: string[], env: Record<string, string | undefined>, input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env), stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

/** Starts `agent-vault serve` and waits until /healthz answers. */
export async function startServer(env: Record<string, string | undefined>, fixedPort?: number) {
  const port = fixedPort ?? (await freePort());
  const { child, output } = spawnCli(["serve"], { ...env, PORT: String(port) });
  const url = `http://127.0.0.1:${port}`;
  await eventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`server exited: ${output.stderr}`);
      return fetch(`${url}/healthz`).then(
        (response) => response.ok,
        () => false,
      );
    },
    `the server to start; ${output.stderr}`,
    30_000,
  );
  return {
    url,
    port,
    output: () => ({ ...output }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** A long-running `agent-vault` child whose output is collected as it comes. */
export function spawnCli(args: string[], env: Record<string, string | undefined>, cwd?: string) {
  const child = spawn(process.execPath, [BIN, ...args], { env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"], cwd });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk) => {
    output.stdout += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output.stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output, exited };
}

/** Waits until check() is truthy, polling; fails with the message after the timeout. */
export async function eventually<T>(check: () => T | Promise<T>, message: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The environment of a vault run as a real process: a data directory in `dir`, a master key,
 * and on the postgres project a new PostgreSQL database (SQLite otherwise, in the data directory).
 */
export async function newServerEnv(dir: string) {
  const dataDir = path.join(dir, "data");
  const database = await freshDatabase(dataDir);
  const env: Record<string, string> = {
    AGENT_VAULT_DATA_DIR: dataDir,
    AGENT_VAULT_MASTER_KEY: randomBytes(32).toString("base64"),
    ...(testDatabase === "postgres" ? { DATABASE_URL: database.url } : {}),
  };
  return { env, dataDir, databaseUrl: database.url, drop: database.drop };
}

/** Whether a program is on PATH (Redis's server and client are not on every developer's machine). */
export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}
