// The processes the benchmark measures: the vault's server as users run it (the compiled
// `agent-vault` command), the bare node:http baselines, and whole commands' CPU time.
import { type ChildProcess, execFileSync, fork, spawn } from "node:child_process";
import path from "node:path";
import { mainThreadCpu, processCpu, sleep } from "./measure.ts";

export const root = path.resolve(import.meta.dirname, "..");
export const BIN = path.join(root, "bin/agent-vault.mjs");

export type Server = {
  url: string;
  port: number;
  child: ChildProcess;
  /** CPU seconds of the server's event loop (main thread) so far. */
  cpu(): number;
  stop(): Promise<void>;
};

// A port under Linux's ephemeral range (32768 and up), which the load's client sockets use.
const randomPort = () => 10_000 + Math.floor(Math.random() * 22_000);

/** Ends a process as an operator would (SIGTERM), and waits for it. */
function stopper(child: ChildProcess) {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
}

/** `agent-vault serve` on `env`, once it says it is listening. */
export async function startVault(env: Record<string, string>, extraNodeArgs: string[] = []): Promise<Server> {
  for (let attempt = 1; ; attempt++) {
    const port = randomPort();
    try {
      return await new Promise<Server>((resolve, reject) => {
        // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof" profiles the server under the load.
        const nodeArgs = [...(process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean), ...extraNodeArgs];
        const child = spawn(process.execPath, [...nodeArgs, BIN, "serve"], {
          env: { ...process.env, ...env, PORT: String(port) },
          stdio: ["ignore", "pipe", "pipe"],
        });
        let errors = "";
        child.stderr?.on("data", (chunk) => {
          errors = (errors + chunk).slice(-2000);
        });
        child.stdout?.on("data", (chunk) => {
          if (String(chunk).includes("listening")) {
            resolve({
              url: `http://127.0.0.1:${port}`,
              port,
              child,
              cpu: () => mainThreadCpu(child.pid as number),
              stop: stopper(child),
            });
          }
        });
        child.on("exit", (code) => reject(new Error(`server exited ${code}: ${errors}`)));
      });
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/** A baseline server (bench/baseline-*.mjs), on the port it prints. */
export async function startBaseline(
  script: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<Server> {
  const child = spawn(process.execPath, [...nodeArgs, path.join(root, "bench", script)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  const port = Number(await new Promise<string>((resolve) => child.stdout?.once("data", (d) => resolve(String(d)))));
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    child,
    cpu: () => mainThreadCpu(child.pid as number),
    stop: stopper(child),
  };
}

/** bench/import-client.mjs: runs imports of `content` on request, away from the load generator. */
export function startImportClient(content: string) {
  const child = fork(path.join(root, "bench/import-client.mjs"), { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  child.send({ content });
  return {
    /** One import per token, one after another, against the vault at `url`. */
    imports: (url: string, tokens: string[]) =>
      new Promise<void>((resolve, reject) => {
        const exited = (code: number | null) => reject(new Error(`the import client exited ${code}`));
        child.once("exit", exited);
        child.once("message", (message: { done?: true; error?: string }) => {
          child.off("exit", exited);
          if (message.error) reject(new Error(`import client: ${message.error}`));
          else resolve();
        });
        child.send({ url, tokens });
      }),
    stop: stopper(child),
  };
}

/**
 * CPU seconds a command takes from its start until `url` answers: the command is started, the
 * address polled every 5 ms, and the process's CPU read the moment it answers.
 */
export async function cpuUntilReady(command: string[], env: Record<string, string>, url: string): Promise<number> {
  const child = spawn(command[0] as string, command.slice(1), {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let errors = "";
  child.stderr?.on("data", (chunk) => {
    errors = (errors + chunk).slice(-2000);
  });
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`${command.join(" ")} exited ${child.exitCode}: ${errors}`);
      const ready = await fetch(url).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) return processCpu(child.pid as number);
      await sleep(5);
    }
  } finally {
    await stopper(child)();
  }
}

const shellLine = (command: string[]) => command.map((part) => `'${part.replaceAll("'", "'\\''")}'`).join(" ");

/** The children's CPU seconds in bash's `times` output (its last line). */
function childrenSeconds(times: string): number {
  const children = times.trim().split("\n").at(-1) as string;
  return [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
}

/**
 * CPU seconds one run of a command takes, on average over `runs` runs: bash's `times` reports
 * the CPU of the children it waited for, to the millisecond.
 */
export function commandCpu(command: string[], env: Record<string, string>, runs: number): number {
  const script = `for i in $(seq ${runs}); do ${shellLine(command)} >/dev/null 2>&1 </dev/null; done; times`;
  const output = execFileSync("bash", ["-c", script], { env: { ...process.env, ...env }, encoding: "utf8" });
  return childrenSeconds(output) / runs;
}

/**
 * As commandCpu, the command's output going where an agent's output goes: into a pipe that a
 * reader (here, this process) drains, as a terminal, a log collector or a container runtime does;
 * not /dev/null, where writing costs nothing at all.
 */
export function pipedCommandCpu(command: string[], env: Record<string, string>, runs: number): Promise<number> {
  const script = `for i in $(seq ${runs}); do ${shellLine(command)} 2>/dev/null </dev/null; done; times >&2`;
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["-c", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let times = "";
    child.stdout?.resume();
    child.stderr?.on("data", (chunk) => {
      times += chunk;
    });
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`${command.join(" ")} exited ${code}`));
      else resolve(childrenSeconds(times) / runs);
    });
  });
}
