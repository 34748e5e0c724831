// `agent-vault run -- COMMAND [ARGS...]`: fetch the agent's environment, start COMMAND with it,
// forward signals, and restart COMMAND when the vault says so. Nothing is written to disk, and
// the child gets only its environment and a small safe base, nothing of ours. The values of its
// secrets are concealed in its output (unless --no-masking): its stdout and stderr pass through us.
import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import type { Readable, Writable } from "node:stream";
import {
  type AgentEnvironment,
  CONCEALED,
  createRuntimeClient,
  type ValueMatcher,
  VaultError,
  valueMatcher,
} from "@agent-vault/sdk";
import { httpFetch } from "./http-fetch.ts";

export type RunOptions = { url: string; token: string; graceMs: number; masking: boolean };

const SAFE_BASE = ["PATH", "HOME", "LANG", "TERM"] as const;
const FORWARDED_SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"];
const MAX_BACKOFF_MS = 10_000;
/** How long, after the command exits, its output may still arrive through us. */
const OUTPUT_SETTLE_MS = 2_000;
// A child writing a line at a time would wake `run` for each line: what costs is the reads, not
// the bytes. A read short of a full one (64 KB) means `run` has caught up: the next waits 2 ms and
// takes what came meanwhile (a child writing 100 MB in lines: 200,000 reads become about 3,000).
// A child writing faster than that fills the reads, and they follow each other at once.
const GATHER_BELOW = 64 * 1024;
const GATHER_MS = 2;

const say = (line: string) => process.stderr.write(`agent-vault run: ${line}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The child's environment: the agent's entries, over a small base of ours (PATH, HOME, LANG, TERM).
 * An entry of the agent's with one of those names wins, and `run` says so.
 */
function childEnvironment(fetched: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of SAFE_BASE) if (process.env[name] !== undefined) env[name] = process.env[name];
  const overridden = SAFE_BASE.filter((name) => Object.hasOwn(fetched, name) && process.env[name] !== undefined);
  if (overridden.length > 0) {
    say(`${overridden.join(" and ")} ${overridden.length > 1 ? "come" : "comes"} from the vault: the agent has them`);
  }
  return { ...env, ...fetched };
}

/** What conceals the agent's secrets in its output: their values as the vault delivered them. */
function matcherFor(fetched: AgentEnvironment): ValueMatcher | null {
  const values = (fetched.concealed ?? []).flatMap((name) => {
    const value = fetched.environment[name];
    return value === undefined ? [] : [value];
  });
  return valueMatcher(values);
}

/**
 * Passes a child's output on with every form of every value replaced, holding back only what could
 * be the start of one. Resolves once the child's side has ended.
 */
function passConcealed(from: Readable, to: Writable, matcher: ValueMatcher): Promise<void> {
  const replacer = matcher.replacing(CONCEALED);
  return new Promise((resolve) => {
    from.on("data", (chunk: Buffer) => {
      const { out } = replacer.push(chunk);
      let flowing = true;
      if (out.length === 1) flowing = to.write(out[0] as Uint8Array);
      else if (out.length > 1) {
        // The pieces of one chunk in one write.
        to.cork();
        for (const piece of out) flowing = to.write(piece);
        to.uncork();
      }
      if (!flowing) {
        from.pause();
        to.once("drain", () => from.resume());
      } else if (chunk.length < GATHER_BELOW) {
        from.pause();
        setTimeout(() => from.resume(), GATHER_MS);
      }
    });
    from.once("end", () => {
      const rest = replacer.end();
      if (rest.length > 0) to.write(rest);
      resolve();
    });
    from.once("error", () => resolve());
    // Our own output closed (a pipe to `head`, say): the child finds its output closed, as it would have.
    const closed = () => from.destroy();
    to.once("error", closed);
    from.once("close", () => to.off("error", closed));
  });
}

function exitCode(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 1) : 1);
}

export async function run(command: string, args: string[], options: RunOptions): Promise<number> {
  const runtime = createRuntimeClient({ url: options.url, token: options.token, fetch: httpFetch });

  async function fetchEnvironment(): Promise<AgentEnvironment> {
    let backoff = 500;
    for (;;) {
      try {
        return await runtime.environment();
      } catch (error) {
        if (!(error instanceof VaultError) || error.code !== "NETWORK") throw error;
        say(`the vault is unreachable (${error.message}); retrying in ${Math.round(backoff / 100) / 10} s`);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
      }
    }
  }

  let current = await fetchEnvironment();
  let child: ChildProcess;
  let restarting: Promise<void> | null = null;
  let finish: (code: number) => void = () => {};
  const finished = new Promise<number>((resolve) => {
    finish = resolve;
  });

  const start = () => {
    const matcher = options.masking ? matcherFor(current) : null;
    child = spawn(command, args, {
      env: childEnvironment(current.environment),
      stdio: matcher ? ["inherit", "pipe", "pipe"] : "inherit",
    });
    const passed =
      matcher && child.stdout && child.stderr
        ? Promise.all([
            passConcealed(child.stdout, process.stdout, matcher),
            passConcealed(child.stderr, process.stderr, matcher),
          ])
        : Promise.resolve();
    child.on("error", (error) => {
      say(`cannot start ${command}: ${error.message}`);
      finish(127);
    });
    child.on("exit", (code, signal) => {
      if (restarting) return;
      // Its last output first (a process it left behind may hold the pipes open: not for long).
      const settled = new Promise((resolve) => setTimeout(resolve, OUTPUT_SETTLE_MS).unref());
      void Promise.race([passed, settled]).then(() => finish(exitCode(code, signal)));
    });
  };

  const stopChild = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), options.graceMs);
    await exited;
    clearTimeout(timer);
  };

  const restart = (automatic = false) => {
    restarting ??= (async () => {
      say(
        `restarting ${current.agent.name} with its new environment${automatic ? " (automatic: its restart policy is ON_CHANGE)" : ""}`,
      );
      await stopChild();
      try {
        current = await fetchEnvironment();
      } catch (error) {
        say(`cannot fetch the environment again: ${(error as Error).message}`);
        finish(1);
        return;
      }
      start();
    })().finally(() => {
      restarting = null;
    });
    return restarting;
  };

  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const handlers = FORWARDED_SIGNALS.map((signal) => [signal, forward(signal)] as const);
  for (const [signal, handler] of handlers) process.on(signal, handler);

  const watching = new AbortController();
  const watch = async () => {
    let backoff = 500;
    let lost = false;
    while (!watching.signal.aborted) {
      try {
        for await (const event of runtime.commands(watching.signal)) {
          backoff = 500;
          if (lost && event.type === "hello") {
            lost = false;
            say("reconnected to the vault: restart commands arrive again");
          }
          // A restart that happened while the stream was down shows as a newer start time; a
          // command older than the environment we run with is already satisfied.
          const missed = event.type === "hello" && event.startedAt !== current.startedAt;
          const stale = event.type === "restart" && event.startedAt !== null && event.startedAt === current.startedAt;
          if (missed || (event.type === "restart" && !stale)) {
            await restart(event.type === "restart" && event.automatic === true);
          }
        }
      } catch (error) {
        if (watching.signal.aborted) return;
        if (error instanceof VaultError && error.code === "UNAUTHENTICATED") {
          say(`${error.message}; no more restart commands will arrive`);
          return;
        }
      }
      if (watching.signal.aborted) return;
      if (!lost) say(`lost the connection to the vault; ${command} keeps running, reconnecting`);
      lost = true;
      await sleep(backoff);
      backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    }
  };

  start();
  void watch();
  const code = await finished;
  watching.abort();
  for (const [signal, handler] of handlers) process.off(signal, handler);
  return code;
}
