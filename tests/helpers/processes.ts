// Running the real `agent-vault` command as a child process, the way a user would. Every child
// gets a temp directory of its own (TMPDIR), under one root per test file that the leak scans
// read instead of the machine's whole temp directory, and every child still running when the
// test file's process ends is killed: a failed or timed-out test leaves no server behind.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll } from "vitest";

import { freshDatabase, testDatabase } from "./database.ts";
import { freePort } from "./free-port.ts";

export { freePort };

export const BIN = path.resolve(import.meta.dirname, "../../bin/agent-vault.mjs");

export type Run = { code: number | null; stdout: string; stderr: string };

let tempRoot: string | undefined;

/** The root of the children's temp directories (one per test file's process). */
export function childTempRoot(): string {
  tempRoot ??= mkdtempSync(path.join(tmpdir(), "agent-vault-children-"));
  return tempRoot;
}

let childCount = 0;
function privateTemp(): Record<string, string> {
  const dir = path.join(childTempRoot(), String(++childCount));
  mkdirSync(dir);
  return { TMPDIR: dir, TMP: dir, TEMP: dir };
}

const running = new Set<ChildProcess>();
function endChildren() {
  for (const child of running) child.kill("SIGKILL");
  running.clear();
  if (tempRoot) rmSync(tempRoot, { recursive: true, force: true });
  tempRoot = undefined;
}
// After the test file (its tests passed, failed or timed out), and if its process ends first.
afterAll(endChildren);
process.once("exit", endChildren);

/** Kills the child when this test file's process ends, if it still runs. */
export function track<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.once("exit", () => running.delete(child));
  return child;
}

/** A CLI call that has not finished in this long is killed: no test waits on a hung child forever. */
const CLI_TIMEOUT_MS = 45_000;

/** A clean environment: nothing of the developer's own vault configuration leaks into a test. */
export function cleanEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("AGENT_VAULT_") && !["DATABASE_URL", "PORT", "NODE_ENV"].includes(key)) env[key] = value;
  }
  Object.assign(env, privateTemp());
  for (const [key, value] of Object.entries(extra)) if (value !== undefined) env[key] = value;
  return env;
}

export function runCli(
  args: string[],
  env: Record<string, string | undefined>,
  input?: string,
  cwd?: string,
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = track(
      spawn(process.execPath, [BIN, ...args], {
        env: cleanEnv(env),
        stdio: ["pipe", "pipe", "pipe"],
        timeout: CLI_TIMEOUT_MS,
        cwd,
      }),
    ) as ReturnType<typeof spawn> & { stdout: NodeJS.ReadableStream; stderr: NodeJS.ReadableStream };
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
    child.stdin?.end(input ?? "");
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
  track(child);
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
