// `agent-vault import FILE`: shows the plan, asks, then imports all or nothing.
import { readFile } from "node:fs/promises";
import type { ImportConflictPolicy, VaultClient } from "@agent-vault/sdk";
import type { Command } from "commander";
import { confirm } from "./confirm.ts";
import { UsageError, vaultFromEnv } from "./context.ts";
import { printJson, printLine, printTable } from "./output.ts";

export type ImportOptions = {
  variables?: boolean;
  dryRun?: boolean;
  onConflict: string;
  yes?: boolean;
  json?: boolean;
};

type Report = Awaited<ReturnType<VaultClient["importEnv"]>>;

const POLICIES: Record<string, ImportConflictPolicy> = { skip: "SKIP", overwrite: "OVERWRITE", fail: "FAIL" };

async function readInput(file: string): Promise<string> {
  if (file !== "-") return readFile(file, "utf8");
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

function printPlan(report: Report) {
  const rows = [
    ...report.created.map((name) => [name, "create"]),
    ...report.updated.map((name) => [name, "update"]),
    ...report.unchanged.map((name) => [name, "unchanged"]),
    ...report.skipped.map((name) => [name, "skip"]),
  ];
  printTable(["NAME", "ACTION"], rows);
  printLine(
    `${report.created.length} to create, ${report.updated.length} to update, ` +
      `${report.unchanged.length} unchanged, ${report.skipped.length} skipped.`,
  );
}

/** A spinner with the elapsed time on a terminal, while the vault works on a long file. */
function progress(lines: number): () => void {
  if (!process.stderr.isTTY || lines < 1000) return () => {};
  const started = Date.now();
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let frame = 0;
  const timer = setInterval(() => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(`\r${frames[frame++ % frames.length]} importing ${lines} lines… ${seconds} s`);
  }, 100);
  return () => {
    clearInterval(timer);
    process.stderr.write("\r\x1b[K");
  };
}

export async function importCommand(vault: VaultClient, file: string, options: ImportOptions): Promise<void> {
  const onConflict = POLICIES[options.onConflict.toLowerCase()];
  if (!onConflict) throw new UsageError("--on-conflict takes skip, overwrite or fail");
  const content = await readInput(file);
  const base = { content, kind: options.variables ? ("VARIABLE" as const) : ("SECRET" as const), onConflict };
  const lines = content.split("\n").length;

  if (options.yes && !options.dryRun) {
    const done = progress(lines);
    const report = await vault.importEnv({ ...base, dryRun: false }).finally(done);
    if (options.json) return printJson(report);
    printPlan(report);
    return printLine("Imported.");
  }
  let done = progress(lines);
  const plan = await vault.importEnv({ ...base, dryRun: true }).finally(done);
  if (options.dryRun) {
    if (options.json) return printJson(plan);
    printPlan(plan);
    return printLine("Dry run: nothing was written.");
  }
  if (!options.json) printPlan(plan);
  if (file === "-" || !process.stdin.isTTY) throw new UsageError("add --yes to import without being asked");
  if (!(await confirm("Import? [y/N] "))) return printLine("Nothing was imported.");
  done = progress(lines);
  const report = await vault.importEnv({ ...base, dryRun: false }).finally(done);
  if (options.json) return printJson(report);
  printLine(`Imported: ${report.created.length} created, ${report.updated.length} updated.`);
}

export function registerImport(program: Command) {
  program
    .command("import")
    .description("import a .env file (FILE, or - for standard input): all or nothing, after showing the plan")
    .argument("<file>", "the .env file, or - for standard input")
    .option("--variables", "import as variables (default: secrets)")
    .option("--dry-run", "show the plan and write nothing")
    .option("--on-conflict <policy>", "for names that exist with another value: skip, overwrite or fail", "fail")
    .option("--yes", "import without asking")
    .option("--json", "print JSON")
    .action((file: string, options: ImportOptions) => importCommand(vaultFromEnv(), file, options));
}
