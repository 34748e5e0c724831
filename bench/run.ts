// `npm run bench`: how fast the vault is, as ratios to baselines measured in the same run.
// Starts the real server on a fresh SQLite database, seeds it, and measures each figure as the
// median of paired runs (baseline, then target), discarding a pair when a calibration probe shows
// the machine's speed moved by more than 15%. Prints a table and writes bench/results.json.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { createVaultClient } from "@agent-vault/sdk";
import autocannon from "autocannon";
import Database from "better-sqlite3";
import { openVaultApp } from "../server/app.ts";
import { parseMasterKeys } from "../server/crypto/master-key.ts";

const PAIRS = Number(process.env.BENCH_PAIRS ?? 5);
const DURATION = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = 10;
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
// BENCH_ONLY=1,4 measures figures 1 and 4 alone (and leaves bench/results.json as it is).
const LOADED_IMPORTS = 3;
const SETTLE_MS = 1000;
const only = new Set((process.env.BENCH_ONLY ?? "1,2,3,4,5").split(",").map(Number));
const root = path.resolve(import.meta.dirname, "..");
const work = mkdtempSync(path.join(tmpdir(), "agent-vault-bench-"));

type Figure = {
  name: string;
  unit: string;
  goal: string;
  median: number;
  min: number;
  max: number;
  met: boolean;
  pairs: number;
  discarded: number;
  detail?: Record<string, unknown>;
};
const figures: Figure[] = [];
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fixed amount of CPU work (the best of three): its time tells whether the machine's speed moved. */
function probe(): number {
  const data = Buffer.alloc(1 << 20, 7);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    for (let i = 0; i < 20; i++) createHash("sha256").update(data).digest();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

type Pair<D> = { ratio: number; detail: D };

/**
 * Runs `pair` once to warm up, then until PAIRS pairs ran on a steady machine (the probe before
 * and after within 15%); returns their ratios and details. When the machine never settles, the
 * unsteady pairs are kept and counted.
 */
async function paired<D = undefined>(
  pair: () => Promise<number | Pair<D>>,
): Promise<{ ratios: number[]; details: D[]; discarded: number }> {
  const steady: Pair<D>[] = [];
  const unsteady: Pair<D>[] = [];
  await pair();
  while (steady.length < PAIRS && unsteady.length < PAIRS * 2) {
    const before = probe();
    const result = await pair();
    const after = probe();
    const run = typeof result === "number" ? { ratio: result, detail: undefined as D } : result;
    (Math.abs(after - before) / before > 0.15 ? unsteady : steady).push(run);
  }
  const kept = steady.length > 0 ? steady : unsteady;
  return {
    ratios: kept.map((run) => run.ratio),
    details: kept.map((run) => run.detail),
    discarded: steady.length > 0 ? unsteady.length : 0,
  };
}

const stage = (text: string) => process.stderr.write(`bench: ${text}\n`);

function record(
  name: string,
  unit: string,
  goal: string,
  met: (m: number) => boolean,
  result: { ratios: number[]; discarded: number },
  detail?: Record<string, unknown>,
) {
  // A ratio of zero or less is a failed measurement (the memory figure's RSS deltas can be).
  const valid = result.ratios.filter((ratio) => Number.isFinite(ratio) && ratio > 0);
  if (valid.length === 0) {
    figures.push({
      name,
      unit,
      goal,
      median: Number.NaN,
      min: Number.NaN,
      max: Number.NaN,
      met: false,
      pairs: 0,
      discarded: result.ratios.length,
      detail: { ...detail, invalid: result.ratios },
    });
    return;
  }
  result = { ratios: valid, discarded: result.discarded + result.ratios.length - valid.length };
  const value = median(result.ratios);
  figures.push({
    name,
    unit,
    goal,
    median: Number(value.toFixed(3)),
    min: Number(Math.min(...result.ratios).toFixed(3)),
    max: Number(Math.max(...result.ratios).toFixed(3)),
    met: met(value),
    pairs: result.ratios.length,
    discarded: result.discarded,
    detail,
  });
}

type Load = { method: "POST"; path: string; headers: Record<string, string>; body?: string };

async function rps(url: string, load: Load, setup?: (body: string) => string): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}${load.path}`,
    method: load.method,
    headers: load.headers,
    body: load.body,
    connections: CONNECTIONS,
    duration: DURATION,
    ...(setup
      ? {
          requests: [
            {
              method: load.method,
              path: load.path,
              setupRequest: (req: { body?: string }) => ({ ...req, body: setup(req.body ?? "") }),
            },
          ],
        }
      : {}),
  } as autocannon.Options);
}

async function startServer(env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  // A port under Linux's ephemeral range (32768 and up), which the load's client sockets use.
  for (let attempt = 1; ; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 22_000);
    try {
      return await startServerOn(env, port);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

function startServerOn(env: Record<string, string>, port: number): Promise<{ url: string; child: ChildProcess }> {
  return new Promise((resolve, reject) => {
    // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof" profiles the server under the load.
    const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? "").split(" ").filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, path.join(root, "bin/agent-vault.mjs"), "serve"], {
      env: { ...process.env, ...env, PORT: String(port) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let errors = "";
    child.stderr?.on("data", (chunk) => {
      errors = (errors + chunk).slice(-2000);
    });
    child.stdout?.on("data", (chunk) => {
      if (String(chunk).includes("listening")) resolve({ url: `http://127.0.0.1:${port}`, child });
    });
    child.on("exit", (code) => reject(new Error(`server exited ${code}: ${errors}`)));
  });
}

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

async function startBaseline(): Promise<{ process: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench/baseline-sse.ts")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = Number(
    await new Promise<string>((resolve) => child.stdout?.once("data", (d) => resolve(String(d).trim()))),
  );
  return { process: child, port };
}

/**
 * KB of RSS per open stream in process `pid`: after a warm-up round of a few streams (so that
 * code loaded once is not counted), the growth from opening SUBSCRIBERS streams.
 */
async function rssPerSubscriber(pid: number, open: Parameters<typeof openStreams>[1]): Promise<number> {
  const warmUp = openStreams(50, open);
  while (warmUp.connected() < 50) await sleep(20);
  for (const r of warmUp.requests) r.destroy();
  await sleep(500);
  const before = rssKb(pid);
  const streams = openStreams(SUBSCRIBERS, open);
  while (streams.connected() < SUBSCRIBERS) await sleep(50);
  await sleep(500);
  const grown = rssKb(pid) - before;
  for (const r of streams.requests) r.destroy();
  return grown / SUBSCRIBERS;
}

/** Opens `count` SSE streams; resolves each stream's "first event" promise. */
function openStreams(
  count: number,
  open: () => { path: string; port: number; method: string; headers: Record<string, string>; body?: string },
) {
  const arrivals: Promise<number>[] = [];
  const requests: ReturnType<typeof httpRequest>[] = [];
  let connected = 0;
  for (let i = 0; i < count; i++) {
    const spec = open();
    arrivals.push(
      new Promise((resolve) => {
        const headers = spec.body
          ? { ...spec.headers, "content-length": String(Buffer.byteLength(spec.body)) }
          : spec.headers;
        const req = httpRequest(
          { host: "127.0.0.1", port: spec.port, path: spec.path, method: spec.method, headers, agent: false },
          (res) => {
            connected++;
            res.on("data", (chunk: Buffer) => {
              if (chunk.includes("event: next") || chunk.includes("restartNeeded")) resolve(performance.now());
            });
          },
        );
        req.on("error", () => resolve(Number.NaN));
        setTimeout(() => resolve(Number.NaN), 15_000).unref();
        if (spec.body) req.write(spec.body);
        req.end();
        requests.push(req);
      }),
    );
  }
  return { arrivals, requests, connected: () => connected };
}

async function main() {
  const started = performance.now();
  for (let i = 0; i < 5; i++) probe(); // warm the probe up
  const env = {
    AGENT_VAULT_DATA_DIR: path.join(work, "data"),
    AGENT_VAULT_MASTER_KEY: randomBytes(32).toString("base64"),
  };
  // The server: a user, 50 secrets, an agent that uses them all, and its runtime token.
  mkdirSync(env.AGENT_VAULT_DATA_DIR, { recursive: true });
  const bootstrap = await openVaultApp({
    databaseUrl: `file:${path.join(env.AGENT_VAULT_DATA_DIR, "vault.db")}`,
    masterKeys: parseMasterKeys(env.AGENT_VAULT_MASTER_KEY, "AGENT_VAULT_MASTER_KEY"),
    masterKeySource: "AGENT_VAULT_MASTER_KEY",
  });
  const { token } = await bootstrap.services.users.create("bench");
  // Fresh users for the imports (enough for every pair paired() may run), so that every line of
  // every import is a new entry.
  const importers: string[] = [];
  for (let i = 0; i < PAIRS * 3 * (1 + LOADED_IMPORTS); i++) {
    importers.push((await bootstrap.services.users.create(`importer-${i}`)).token);
  }
  await bootstrap.close();
  const { url, child } = await startServer(env);
  const vault = createVaultClient({ url: `${url}/graphql`, token });
  await vault.importEnv({
    content: Array.from({ length: 50 }, (_, i) => `SEED_${i}=${randomBytes(32).toString("base64")}`).join("\n"),
  });
  const seeded = await vault.entries({ first: 50 });
  const agent = await vault.createAgent({ name: "bench-agent", entryIds: seeded.edges.map((e) => e.node.id) });
  const runtimeToken = (await vault.createRuntimeToken({ agentId: agent.id })).token;

  const json = { "content-type": "application/json", authorization: `Bearer ${token}` };
  const hello: Load = { method: "POST", path: "/graphql", headers: json, body: JSON.stringify({ query: "{ hello }" }) };
  const ratioTo = async (target: Load, setup?: (body: string) => string) =>
    paired(async () => {
      const base = await rps(url, hello);
      const measured = await rps(url, target, setup);
      return measured.requests.average / base.requests.average;
    });

  if (only.has(1)) {
    stage("seeded; 1. runtime environment fetch");
    // 1. An agent's environment fetch (50 entries) against { hello }.
    const env1 = await ratioTo({
      method: "POST",
      path: "/runtime/environment",
      headers: { authorization: `Bearer ${runtimeToken}` },
    });
    record(
      "runtime environment fetch (50 entries) / { hello }",
      "ratio of requests/s",
      ">= 0.40",
      (m) => m >= 0.4,
      env1,
    );
  }

  if (only.has(2)) {
    stage("2. entries with usedBy");
    // 2. entries(first: 50) with usedBy and usedByCount, and SQL statements per request.
    const entriesQuery =
      "{ entries(first: 50) { totalCount edges { node { id name version fingerprint usedByCount usedBy { id name } } } } }";
    const list = await ratioTo({
      method: "POST",
      path: "/graphql",
      headers: json,
      body: JSON.stringify({ query: entriesQuery }),
    });
    const statements = await sqlStatementsPerList(entriesQuery);
    record("entries(first: 50) with usedBy / { hello }", "ratio of requests/s", ">= 0.15", (m) => m >= 0.15, list, {
      sqlStatementsPerRequest: statements,
      sqlGoal: "the same at 1, 10 and 50 entries, at most 4",
      sqlGoalMet: new Set(Object.values(statements)).size === 1 && Math.max(...Object.values(statements)) <= 4,
    });
  }

  if (only.has(3)) {
    stage("3. addSecret");
    // 3. addSecret against { hello }.
    let n = 0;
    const addQuery = "mutation ($input: AddSecretInput!) { addSecret(input: $input) { __typename } }";
    const add = await ratioTo({ method: "POST", path: "/graphql", headers: json, body: "{}" }, () =>
      JSON.stringify({ query: addQuery, variables: { input: { name: `BENCH_ADD_${n++}`, value: "sk-bench-value" } } }),
    );
    record("addSecret / { hello }", "ratio of requests/s", ">= 0.30", (m) => m >= 0.3, add);
  }

  if (only.has(4)) {
    stage("4. importEnv of 10,000 lines");
    // 4. importEnv of 10,000 lines against better-sqlite3 inserting the same rows in one transaction.
    const lines = Array.from(
      { length: 10_000 },
      (_, i) => [`IMPORT_${i}`, randomBytes(24).toString("base64")] as const,
    );
    const content = lines.map(([k, v]) => `${k}=${v}`).join("\n");
    const importer = () => createVaultClient({ url: `${url}/graphql`, token: importers.pop() as string });
    let importRun = 0;
    const helloLoad = {
      url: `${url}/graphql`,
      method: "POST" as const,
      headers: json,
      body: hello.body,
      connections: 2,
    };
    const imports = await paired(async () => {
      const db = new Database(path.join(work, `baseline-${importRun++}.db`));
      db.exec("CREATE TABLE entry (id TEXT PRIMARY KEY, name TEXT UNIQUE, value TEXT)");
      const insert = db.prepare("INSERT INTO entry VALUES (?, ?, ?)");
      const t0 = performance.now();
      db.transaction(() => {
        for (const [k, v] of lines) insert.run(randomBytes(8).toString("hex"), k, v);
      })();
      const baselineRate = lines.length / ((performance.now() - t0) / 1000);
      db.close();
      // The rate, as the baseline's: one import with nothing else running.
      const t1 = performance.now();
      await importer().importEnv({ content, kind: "SECRET" });
      const importRate = lines.length / ((performance.now() - t1) / 1000);
      // The p99 of { hello } while imports run back to back, against the same load on an idle vault.
      const idle = await autocannon({ ...helloLoad, duration: 2 });
      const during = await new Promise<autocannon.Result>((resolve, reject) => {
        const load = autocannon({ ...helloLoad, duration: 120 }, (error, result) =>
          error ? reject(error) : resolve(result),
        );
        (async () => {
          for (let i = 0; i < LOADED_IMPORTS; i++) await importer().importEnv({ content, kind: "SECRET" });
        })().then(() => load.stop(), reject);
      });
      stage(
        `import: ${(importRate / baselineRate).toFixed(3)} of the baseline; { hello } p99 ${idle.latency.p99} ms idle, ${during.latency.p99} ms during imports`,
      );
      return { ratio: importRate / baselineRate, detail: { idle: idle.latency.p99, during: during.latency.p99 } };
    });
    record(
      "importEnv 10,000 lines / better-sqlite3 one transaction",
      "ratio of lines/s",
      ">= 0.25",
      (m) => m >= 0.25,
      imports,
    );
    const p99s = imports.details;
    const p99Ratios = p99s.map((p) => p.during / Math.max(p.idle, 1));
    record(
      "{ hello } p99 during an import / idle",
      "ratio of p99 latency",
      "<= 2",
      (m) => m <= 2,
      { ratios: p99Ratios, discarded: 0 },
      { p99s },
    );
  }

  if (only.has(5)) {
    stage("5. one notice to many subscribers");
    // 5. One notice to many SSE subscribers against a bare node:http broadcast.
    const baseline = await startBaseline();
    const vaultPort = Number(new URL(url).port);
    const secret = seeded.edges[0]?.node.id as string;
    const subscription = (port: number) => () => ({
      path: "/graphql",
      port,
      method: "POST",
      headers: { ...json, accept: "text/event-stream" },
      body: JSON.stringify({ query: `subscription { restartNeeded(agentId: "${agent.id}") { entryName change } }` }),
    });
    let version = 0;
    const notices = await paired(async () => {
      const bare = openStreams(SUBSCRIBERS, () => ({ path: "/", port: baseline.port, method: "GET", headers: {} }));
      while (bare.connected() < SUBSCRIBERS) await sleep(50);
      // Subscribers connect long before a notice: both servers settle after the connections.
      await sleep(SETTLE_MS);
      const tb = performance.now();
      await fetch(`http://127.0.0.1:${baseline.port}/broadcast`).then((r) => r.text());
      const bareDone = Math.max(...(await Promise.all(bare.arrivals))) - tb;
      for (const r of bare.requests) r.destroy();

      // The change alone, with nobody listening: part of the time until all have the notice.
      await sleep(SETTLE_MS);
      const tm = performance.now();
      await vault.updateSecret({ id: secret, value: `rotated-${version++}` });
      const mutation = performance.now() - tm;

      const subs = openStreams(SUBSCRIBERS, subscription(vaultPort));
      while (subs.connected() < SUBSCRIBERS) await sleep(50);
      await sleep(SETTLE_MS);
      const tv = performance.now();
      await vault.updateSecret({ id: secret, value: `rotated-${version++}` });
      const vaultDone = Math.max(...(await Promise.all(subs.arrivals))) - tv;
      stage(
        `notice to ${SUBSCRIBERS}: ${vaultDone.toFixed(1)} ms (the change alone ${mutation.toFixed(1)} ms), bare broadcast ${bareDone.toFixed(1)} ms`,
      );
      for (const r of subs.requests) r.destroy();
      await sleep(500);
      return vaultDone / bareDone;
    });
    record(
      `one notice to ${SUBSCRIBERS} SSE subscribers / bare node:http broadcast`,
      "ratio of time until all have it",
      "<= 2",
      (m) => m <= 2,
      notices,
    );
    baseline.process.kill();

    // Memory in fresh processes: in a long-running one, RSS already holds what earlier rounds freed.
    const memory = await paired(async () => {
      const bare = await startBaseline();
      const bareKb = await rssPerSubscriber(bare.process.pid as number, () => ({
        path: "/",
        port: bare.port,
        method: "GET",
        headers: {},
      }));
      bare.process.kill();
      const fresh = await startServer(env);
      const vaultKb = await rssPerSubscriber(fresh.child.pid as number, subscription(Number(new URL(fresh.url).port)));
      fresh.child.kill();
      stage(`RSS per subscriber: ${vaultKb.toFixed(1)} KB, bare ${bareKb.toFixed(1)} KB`);
      return { ratio: vaultKb / bareKb, detail: { vault: vaultKb, baseline: bareKb } };
    });
    record("memory per SSE subscriber / bare node:http", "ratio of RSS per subscriber", "<= 5", (m) => m <= 5, memory, {
      kbPerSubscriber: memory.details,
    });
  }

  child.kill();

  const seconds = (performance.now() - started) / 1000;
  console.table(
    figures.map((f) => ({
      figure: f.name,
      median: f.median,
      range: `${f.min}–${f.max}`,
      goal: f.goal,
      met: f.met ? "yes" : "NO",
    })),
  );
  console.log(`${PAIRS} paired runs per figure, ${seconds.toFixed(0)} s in all`);
  if (process.env.BENCH_ONLY) return;
  writeFileSync(
    path.join(root, "bench/results.json"),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, pairs: PAIRS, seconds: Math.round(seconds), figures }, null, 2)}\n`,
  );
}

/** SQL statements per entries request, at 1, 10 and 50 entries, counted in process. */
async function sqlStatementsPerList(query: string): Promise<Record<string, number>> {
  let count = 0;
  const dir = mkdtempSync(path.join(work, "sql-"));
  const app = await openVaultApp({
    databaseUrl: `file:${path.join(dir, "vault.db")}`,
    masterKeys: parseMasterKeys(randomBytes(32).toString("base64"), "AGENT_VAULT_MASTER_KEY"),
    masterKeySource: "AGENT_VAULT_MASTER_KEY",
    onQuery: () => {
      count++;
    },
  });
  const { token } = await app.services.users.create("sql");
  const client = createVaultClient({ url: "http://bench/graphql", token, fetch: app.yoga.fetch as typeof fetch });
  const agent = await client.createAgent({ name: "sql-agent" });
  const result: Record<string, number> = {};
  let have = 0;
  // Authentication's own statements, counted on a request that does nothing else.
  count = 0;
  await client.client.query("{ hello }" as never, {}).toPromise();
  const authentication = count;
  for (const size of [1, 10, 50]) {
    while (have < size) await client.addSecret({ name: `SQL_${have++}`, value: "v", agentIds: [agent.id] });
    count = 0;
    await client.client.query(query as never, {}).toPromise();
    result[String(size)] = count - authentication;
  }
  await app.close();
  return result;
}

main()
  .catch((error) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => rmSync(work, { recursive: true, force: true }));
