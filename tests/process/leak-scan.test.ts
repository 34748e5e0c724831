// The whole-system leak scan: a real server with its most verbose logging (DEBUG=1,
// NODE_ENV=development) and Redis, driven through the main flows and their failures by the SDK
// and the CLI, with unique marker values. Then every sink is searched for every marker in plain,
// base64, hex, JSON-escaped and UTF-16 form: HTTP responses, errors, the server's and the CLI's
// stdout and stderr, the Redis traffic, the database, and the data and temp directories.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createVaultClient, runtimeEndpoint, type VaultClient } from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { databaseBytes } from "../helpers/database.ts";
import { filesUnder, findMarkers, scanFiles } from "../helpers/leak-scan.ts";
import {
  childTempRoot,
  eventually,
  freePort,
  hasCommand,
  newServerEnv,
  runCli,
  startServer,
  track,
} from "../helpers/processes.ts";

let work: string;
let vaultEnv: Awaited<ReturnType<typeof newServerEnv>>;
let server: Awaited<ReturnType<typeof startServer>>;
const withRedis = hasCommand("redis-server") && hasCommand("redis-cli");
let redis: ChildProcess | undefined;
let monitor: ChildProcess | undefined;
let redisTraffic = "";
let token: string;
const markers: string[] = [];
const responses: string[] = [];
const cliOutput: string[] = [];

const plant = (label: string) => {
  const value = `${label}_${randomBytes(12).toString("hex")}`;
  markers.push(value);
  return value;
};

/** A fetch that keeps every response body it sees. */
const recording: typeof fetch = async (input, init) => {
  const response = await fetch(input, init);
  const type = response.headers.get("content-type") ?? "";
  if (!type.includes("event-stream")) responses.push(await response.clone().text());
  return response;
};

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "agent-vault-leakscan-"));
  // With Redis when this machine has it, so that its traffic is scanned too.
  let redisUrl: string | undefined;
  if (withRedis) {
    const redisPort = await freePort();
    redis = track(
      spawn("redis-server", ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
        stdio: "ignore",
      }),
    );
    await eventually(async () => {
      const ping = spawn("redis-cli", ["-p", String(redisPort), "ping"]);
      return new Promise<boolean>((resolve) => ping.on("exit", (code) => resolve(code === 0)));
    }, "redis to start");
    monitor = track(spawn("redis-cli", ["-p", String(redisPort), "monitor"], { stdio: ["ignore", "pipe", "ignore"] }));
    monitor.stdout?.on("data", (chunk) => {
      redisTraffic += chunk;
    });
    redisUrl = `redis://127.0.0.1:${redisPort}`;
  }

  vaultEnv = await newServerEnv(work);
  const env = { ...vaultEnv.env, DEBUG: "1", NODE_ENV: "development", ...(redisUrl ? { REDIS_URL: redisUrl } : {}) };
  const created = await runCli(["user", "create", "--name", "scanner", "--json"], env);
  cliOutput.push(created.stdout, created.stderr);
  token = JSON.parse(created.stdout).token;
  server = await startServer(env);
  const url = `${server.url}/graphql`;
  const vault: VaultClient = createVaultClient({ url, token, fetch: recording });
  const attempt = (work: () => Promise<unknown>) => work().catch((error: Error) => responses.push(error.message));

  // The main flows.
  const secret = await vault.addSecret({ name: "SCAN_SECRET", value: plant("ADD") });
  await vault.updateSecret({ id: secret.id, value: plant("UPDATE") });
  const agent = await vault.createAgent({ name: "scan-bot", entryIds: [secret.id] });
  const notices = vault.restartNeeded();
  const firstNotice = notices.next();
  await eventually(async () => {
    await vault.updateSecret({ id: secret.id, value: plant("UPDATE_NOTICED") });
    return Promise.race([firstNotice.then(() => true), new Promise((r) => setTimeout(() => r(false), 300))]);
  }, "a notice through Redis");
  await notices.return(undefined);
  await vault.restartAgent({ agentId: agent.id });
  await vault.importEnv({ content: `IMPORTED=${plant("IMPORT")}\nQUOTED="${plant("IMPORT_QUOTED")}"\n` });
  await vault.importEnv({ content: `IMPORTED=${plant("IMPORT_OVERWRITE")}\n`, onConflict: "OVERWRITE", dryRun: true });
  await vault.connectAiProvider({ provider: "ANTHROPIC", credential: `sk-ant-${plant("PROVIDER")}` });
  await vault.verifySecret({ id: secret.id, value: plant("VERIFY") });
  const { token: runtimeToken } = await vault.createRuntimeToken({ agentId: agent.id });
  const environment = await recording(runtimeEndpoint(url, "environment"), {
    method: "POST",
    headers: { authorization: `Bearer ${runtimeToken}` },
  });
  expect(environment.status).toBe(200);
  responses.pop(); // the runtime channel's answer holds the values, by design, for that agent only.

  // Their failures, each with a marker in the value.
  await attempt(() => vault.addSecret({ name: "SCAN_SECRET", value: plant("NAME_TAKEN") }));
  await attempt(() => vault.addSecret({ name: "PATH", value: plant("BAD_NAME") }));
  await attempt(() => vault.addSecret({ name: "NUL_VALUE", value: `${plant("NUL")}\u0000` }));
  await attempt(() => vault.updateSecret({ id: secret.id, value: plant("CONFLICT"), expectedVersion: 1 }));
  await attempt(() =>
    vault.importEnv({ content: `BROKEN ${plant("IMPORT_BAD_LINE")}\nX="${plant("IMPORT_UNCLOSED")}\n` }),
  );
  await attempt(() => vault.importEnv({ content: `IMPORTED=${plant("IMPORT_CONFLICT")}\n` }));
  await attempt(() =>
    vault.connectAiProvider({ provider: "OPENROUTER", credential: `sk-wrong-${plant("PROVIDER_SHAPE")}` }),
  );
  await attempt(() => vault.addSecret({ name: "X", value: { nested: plant("WRONG_TYPE") } as unknown as string }));
  await attempt(() =>
    recording(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: `mutation { addSecret(input: {name: "L", value: ${JSON.stringify(plant("LITERAL"))}, agentIds: 7}) { __typename } }`,
      }),
    }),
  );
  await attempt(() =>
    recording(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: `{"query": "mutation { addSecret(input: {name: \\"J\\", value: \\"${plant("INVALID_JSON")}\\"}) { __typename } }", oops}`,
    }),
  );
  await attempt(() =>
    recording(url, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer avt_${plant("BAD_TOKEN")}` },
      body: JSON.stringify({ query: "{ viewer { id } }" }),
    }),
  );

  // The CLI, with a value on standard input.
  const cliEnv = { AGENT_VAULT_URL: url, AGENT_VAULT_TOKEN: token };
  for (const [args, input] of [
    [["secrets", "add", "CLI_SECRET"], plant("CLI_ADD")],
    [["secrets", "update", "CLI_SECRET"], plant("CLI_UPDATE")],
    [["secrets", "list"], ""],
    [["secrets", "list", "--json"], ""],
    [["secrets", "add", "PATH"], plant("CLI_BAD_NAME")],
    [["import", "-", "--yes"], `CLI_IMPORTED=${plant("CLI_IMPORT")}\n`],
    [["import", "-", "--yes", "--json"], `BROKEN LINE ${plant("CLI_IMPORT_BAD")}\n`],
  ] as [string[], string][]) {
    const run = await runCli(args, cliEnv, input);
    cliOutput.push(run.stdout, run.stderr);
  }
}, 180_000);

afterAll(async () => {
  monitor?.kill();
  redis?.kill("SIGKILL");
  await vaultEnv?.drop();
  rmSync(work, { recursive: true, force: true });
});

describe("the leak scan", () => {
  it("finds no marker in any sink", async () => {
    await server.stop();
    const serverOutput = server.output();
    const sinks: Record<string, Buffer | string> = {
      "HTTP responses and errors": responses.join("\n"),
      "server stdout": serverOutput.stdout,
      "server stderr": serverOutput.stderr,
      "CLI output": cliOutput.join("\n"),
      "Redis traffic": redisTraffic,
      database: databaseBytes(vaultEnv.databaseUrl),
    };
    const hits = Object.entries(sinks)
      .map(([sink, content]) => ({ sink, markers: findMarkers(content, markers) }))
      .filter((hit) => hit.markers.length > 0);
    // The vault's data, this test's working directory and the temp directories of every process it
    // started: not the machine's whole temp directory, which other programs fill.
    const dirs = [vaultEnv.dataDir, work, childTempRoot()].filter((dir) => existsSync(dir));
    const files = dirs.flatMap((dir) => filesUnder(dir));
    const fileHits = scanFiles(files, markers);
    console.log(
      `leak scan: ${markers.length} markers planted, ${Object.keys(sinks).length} sinks and ${files.length} files scanned, ${hits.length + fileHits.length} hits`,
    );
    // The scan sees real traffic: the server logged, Redis carried notices, responses came back.
    expect(serverOutput.stdout.length + serverOutput.stderr.length).toBeGreaterThan(0);
    if (withRedis) expect(redisTraffic.toLowerCase(), redisTraffic.slice(0, 1500)).toContain('"publish"');
    expect(responses.length).toBeGreaterThan(15);
    expect(hits, JSON.stringify(hits)).toEqual([]);
    expect(fileHits).toEqual([]);
  });
});
