// `npm run bench`: how fast the vault is, as ratios to baselines measured in the same run, three
// runs in a row (every goal must hold in each): the hot paths on SQLite and on PostgreSQL, the
// notices, start-up, and the web console in headless Chromium. Prints a table per run and the
// three medians, and writes bench/results.json.
//
//   BENCH_RUNS=1          fewer runs (and bench/results.json is left as it is)
//   BENCH_ONLY=startup    some parts only: sqlite, postgresql, broker, tripwire, startup, console (also leaves results.json)
//   BENCH_PAIRS, BENCH_SECONDS, BENCH_SUBSCRIBERS   the effort
//   BENCH_PG_URL          the PostgreSQL server (default TEST_DATABASE_URL, or the local one)
//   BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=prof"   profiles the servers under load
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { brokerFigures, latencyPairs } from "./broker.ts";
import { consoleFigures } from "./console.ts";
import { hotPathFigures } from "./hot-paths.ts";
import { type Figure, probe, stage } from "./measure.ts";
import { root } from "./processes.ts";
import { startupFigures } from "./startup.ts";
import { tripwireFigures } from "./tripwire.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const PARTS = new Set((process.env.BENCH_ONLY ?? "sqlite,postgresql,broker,tripwire,startup,console").split(","));
const PG_URL =
  process.env.BENCH_PG_URL ?? process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

const label = (f: Figure) => `${f.name}${f.database === "postgresql" ? " [PostgreSQL]" : ""}`;

function printRun(run: number, figures: Figure[]) {
  console.log(`\nRun ${run}`);
  console.table(
    figures.map((f) => ({
      figure: label(f),
      median: f.median,
      range: `${f.min}–${f.max}`,
      goal: f.goal,
      met: f.goal === "reported" ? "-" : f.met ? "yes" : "NO",
    })),
  );
}

async function main() {
  const started = performance.now();
  for (let i = 0; i < 5; i++) probe(); // warm the probe up
  const work = mkdtempSync(path.join(tmpdir(), "agent-vault-bench-"));
  const reachable = await postgresReachable();
  const withPostgres = PARTS.has("postgresql") && reachable;
  if (PARTS.has("postgresql") && !withPostgres)
    stage(`PostgreSQL is not reachable at ${PG_URL}: its figures are left out`);
  const settings = { pairs: PAIRS, seconds: SECONDS, subscribers: SUBSCRIBERS, work, pgAdminUrl: PG_URL };
  const runs: Figure[][] = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      stage(`run ${run} of ${RUNS}`);
      const figures: Figure[] = [];
      if (PARTS.has("sqlite")) figures.push(...(await hotPathFigures("sqlite", settings)));
      if (withPostgres) figures.push(...(await hotPathFigures("postgresql", settings)));
      // The broker's figures with a limit set are taken on PostgreSQL too, when it is there.
      if (PARTS.has("broker"))
        figures.push(...(await brokerFigures({ ...settings, pgAdminUrl: reachable ? PG_URL : undefined })));
      if (PARTS.has("tripwire")) figures.push(...(await tripwireFigures(settings)));
      if (PARTS.has("startup")) figures.push(...(await startupFigures(settings)));
      if (PARTS.has("console")) figures.push(...(await consoleFigures(settings)));
      printRun(run, figures);
      runs.push(figures);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  const summary = (runs[0] ?? []).map((first, index) => {
    const medians = runs.map((figures) => figures[index]?.median ?? Number.NaN);
    const metInEach = runs.every((figures) => figures[index]?.met);
    return { figure: label(first), goal: first.goal, medians, metInEach };
  });
  console.log(
    `\n${RUNS} runs, ${PAIRS} paired measurements per figure in each (${latencyPairs({ pairs: PAIRS })} for the broker's latency)`,
  );
  console.table(
    summary.map((s) => ({
      figure: s.figure,
      medians: s.medians.join(" · "),
      goal: s.goal,
      "met in every run": s.goal === "reported" ? "-" : s.metInEach ? "yes" : "NO",
    })),
  );
  const seconds = Math.round((performance.now() - started) / 1000);
  console.log(`${seconds} s in all`);
  if (RUNS < 3 || process.env.BENCH_ONLY) return;
  writeFileSync(
    path.join(root, "bench/results.json"),
    `${JSON.stringify({ date: new Date().toISOString(), node: process.version, pairs: PAIRS, seconds, summary, runs }, null, 2)}\n`,
  );
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
