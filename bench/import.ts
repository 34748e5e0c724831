// Benchmark: importEnv of 1,000 and 10,000 lines on a fresh SQLite vault, in process.
// Prints seconds and lines per second for each size (median of several runs).
// Run: npm run bench:import
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createVaultClient } from "@agent-vault/sdk";
import { openVaultApp } from "../server/app.ts";
import { parseMasterKeys } from "../server/crypto/master-key.ts";

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZES = [1_000, 10_000];

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

function envFile(lines: number, run: number): string {
  return Array.from({ length: lines }, (_, i) => `BENCH_${run}_${i}=${randomBytes(24).toString("base64")}`).join("\n");
}

const dir = mkdtempSync(path.join(tmpdir(), "agent-vault-bench-"));
const vault = await openVaultApp({
  databaseUrl: `file:${path.join(dir, "vault.db")}`,
  masterKeys: parseMasterKeys(randomBytes(32).toString("base64"), "AGENT_VAULT_MASTER_KEY"),
  masterKeySource: "AGENT_VAULT_MASTER_KEY",
});
try {
  const rows: { lines: number; seconds: number; min: number; max: number; linesPerSecond: number }[] = [];
  for (const lines of SIZES) {
    const times: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      // A fresh user each run: every line is a new entry.
      const { token } = await vault.services.users.create(`bench-${lines}-${run}`);
      const client = createVaultClient({ url: "http://bench/graphql", token, fetch: vault.yoga.fetch as typeof fetch });
      const content = envFile(lines, run);
      const started = performance.now();
      const report = await client.importEnv({ content, kind: "SECRET" });
      times.push((performance.now() - started) / 1000);
      if (report.created.length !== lines) throw new Error(`expected ${lines} created, got ${report.created.length}`);
    }
    const seconds = median(times);
    rows.push({ lines, seconds, min: Math.min(...times), max: Math.max(...times), linesPerSecond: lines / seconds });
  }
  console.log(`importEnv on SQLite, median of ${RUNS} runs`);
  console.table(
    rows.map((row) => ({
      lines: row.lines,
      "seconds (median)": row.seconds.toFixed(3),
      "range (s)": `${row.min.toFixed(3)}–${row.max.toFixed(3)}`,
      "lines/s": Math.round(row.linesPerSecond),
    })),
  );
} finally {
  await vault.close();
  rmSync(dir, { recursive: true, force: true });
}
