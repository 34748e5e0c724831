// `agent-vault import FILE`: shows the plan, asks, then imports all or nothing.
import { readFile } from "node:fs/promises";
import { EnvParseError, type ImportConflictPolicy, type VaultClient } from "@agent-vault/sdk";
import type { Command } from "commander";
import { confirm } from "./confirm.ts";
import { CommandFailed, UsageError, vaultFromEnv } from "./context.ts";
import { printJson, printLine, printTable } from "./output.ts";

export type ImportOptions = {
  /** true: every line a variable; NAME,NAME: those lines only. */
  variables?: boolean | string;
  skipEmpty?: boolean;
  dryRun?: boolean;
  onConflict: string;
  yes?: boolean;
  json?: boolean;
};

type Report = Awaited<ReturnType<VaultClient["importEnv"]>>;

const POLICIES: Record<string, ImportConflictPolicy> = { skip: "SKIP", overwrite: "OVERWRITE", fail: "FAIL" };

/** The lines (1-based) of bytes that are not UTF-8 text. */
function invalidLines(bytes: Buffer): number[] {
  const strict = new TextDecoder("utf-8", { fatal: true });
  const lines: number[] = [];
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end;
    try {
      strict.decode(bytes.subarray(start, stop));
    } catch {
      lines.push(line);
    }
    start = stop + 1;
  }
  return lines;
}

async function readInput(file: string): Promise<string> {
  let bytes: Buffer;
  if (file === "-") {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Buffer));
    bytes = Buffer.concat(chunks);
  } else {
    try {
      bytes = await readFile(file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code;
      throw new CommandFailed(`Cannot read ${file}: ${why}`);
    }
  }
  // Bytes that are not UTF-8 would become U+FFFD and be stored as such: refuse them instead.
  const bad = invalidLines(bytes);
  if (bad.length > 0) {
    const shown = bad.slice(0, 10).join(", ") + (bad.length > 10 ? ` and ${bad.length - 10} more` : "");
    throw new CommandFailed(
      `${file === "-" ? "The input" : file} is not UTF-8 text (line${bad.length > 1 ? "s" : ""} ${shown}): save it as UTF-8; nothing was imported`,
    );
  }
  return bytes.toString("utf8");
}

function printPlan(report: Report) {
  const rows = [
    ...report.created.map((name) => [name, "create"]),
    ...report.updated.map((name) => [name, "update"]),
    ...report.unchanged.map((name) => [name, "unchanged"]),
    ...report.skipped.map((name) => [name, "skip"]),
    ...report.conflicts.map((name) => [name, "conflict"]),
  ];
  printTable(["NAME", "ACTION"], rows);
  printLine(
    `${report.created.length} to create, ${report.updated.length} to update, ` +
      `${report.unchanged.length} unchanged, ${report.skipped.length} skipped` +
      (report.conflicts.length > 0
        ? `, ${report.conflicts.length} in conflict (they exist: --on-conflict skip or overwrite; an entry of the other kind is never overwritten).`
        : "."),
  );
}

/** Empty values in a secrets import: said before anything else, with the way around them. */
function explainEmpty(error: unknown): never {
  if (error instanceof EnvParseError) {
    const empty = error.lines.filter((problem) => /must not be empty/.test(problem.message));
    if (empty.length > 0 && empty.length === error.lines.length) {
      const lines = empty.map((problem) => problem.line).join(", ");
      throw new EnvParseError(
        `Line${empty.length > 1 ? "s" : ""} ${lines} give${empty.length > 1 ? "" : "s"} a secret an empty value (NAME=), and a secret cannot be empty: add --skip-empty to import the rest without them; nothing was imported`,
        error.lines,
      );
    }
  }
  throw error;
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

/** The names of `--variables NAME,NAME`. */
function variableNames(list: string): string[] {
  const names = list
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const odd = names.find((name) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name));
  if (names.length === 0 || odd !== undefined) {
    throw new UsageError(
      `--variables takes the names to import as variables (--variables NAME,NAME), or nothing for all of them${odd ? `: ${JSON.stringify(odd)} is not a name (the file goes before --variables)` : ""}`,
    );
  }
  return names;
}

export async function importCommand(vault: VaultClient, file: string, options: ImportOptions): Promise<void> {
  const onConflict = POLICIES[options.onConflict.toLowerCase()];
  if (!onConflict) throw new UsageError("--on-conflict takes skip, overwrite or fail");
  const marked = typeof options.variables === "string" ? variableNames(options.variables) : [];
  const content = await readInput(file);
  const base = {
    content,
    kind: options.variables === true ? ("VARIABLE" as const) : ("SECRET" as const),
    onConflict,
    skipEmpty: options.skipEmpty ?? false,
    ...(marked.length > 0 ? { variables: marked } : {}),
  };
  const lines = content.split("\n").length;

  if (options.yes && !options.dryRun) {
    const done = progress(lines);
    const report = await vault
      .importEnv({ ...base, dryRun: false })
      .catch(explainEmpty)
      .finally(done);
    if (options.json) return printJson(report);
    printPlan(report);
    printLine("Imported.");
    return printUndoHint(report);
  }
  let done = progress(lines);
  const plan = await vault
    .importEnv({ ...base, dryRun: true })
    .catch(explainEmpty)
    .finally(done);
  if (options.dryRun) {
    if (options.json) return printJson(plan);
    printPlan(plan);
    return printLine("Dry run: nothing was written.");
  }
  if (!options.json) printPlan(plan);
  if (plan.conflicts.length > 0) {
    throw new CommandFailed(`${plan.conflicts.join(", ")} already exist: nothing was imported`);
  }
  if (file === "-" || !process.stdin.isTTY) throw new UsageError("add --yes to import without being asked");
  if (!(await confirm("Import? [y/N] ", "--yes", "nothing was imported"))) return printLine("Nothing was imported.");
  done = progress(lines);
  const report = await vault.importEnv({ ...base, dryRun: false }).finally(done);
  if (options.json) return printJson(report);
  printLine(`Imported: ${report.created.length} created, ${report.updated.length} updated.`);
  printUndoHint(report);
}

function printUndoHint(report: Report) {
  if (report.id && report.created.length + report.updated.length > 0) {
    printLine(`To undo it: agent-vault import undo ${report.id}`);
  }
}

type UndoReport = Awaited<ReturnType<VaultClient["undoImport"]>>;

function printUndo(report: UndoReport) {
  printTable(
    ["NAME", "ACTION"],
    [
      ...report.deleted.map((name) => [name, "delete"]),
      ...report.restored.map((name) => [name, "restore the value from before the import"]),
      ...report.notUndone.map(({ name, reason }) => [name, `left as it is: ${reason}`]),
    ],
  );
}

/** `agent-vault import undo ID`: shows what the undo does, asks, then undoes all of it or nothing. */
export async function undoImportCommand(
  vault: VaultClient,
  id: string,
  options: { yes?: boolean; dryRun?: boolean; json?: boolean },
): Promise<void> {
  if (!options.yes || options.dryRun) {
    const plan = await vault.undoImport({ id, dryRun: true });
    if (options.json && options.dryRun) return printJson(plan);
    if (!options.json) printUndo(plan);
    if (options.dryRun) return printLine("Dry run: nothing was changed.");
    if (plan.deleted.length + plan.restored.length === 0) {
      return printLine(plan.complete ? "Nothing to undo." : "Nothing can be undone now.");
    }
    if (!process.stdin.isTTY) throw new UsageError("add --yes to undo without being asked");
    if (!(await confirm("Undo this import? [y/N] ", "--yes", "nothing was undone"))) {
      return printLine("Nothing was undone.");
    }
  }
  const report = await vault.undoImport({ id });
  if (options.json) return printJson(report);
  if (options.yes) printUndo(report);
  printLine(
    `Undone: ${report.deleted.length} deleted, ${report.restored.length} restored` +
      (report.notUndone.length > 0 ? `; ${report.notUndone.length} left as they are.` : "."),
  );
  if (!report.complete) printLine("Detach what is in use, then run this again to undo the rest.");
}

export function registerImport(program: Command) {
  const command = program
    .command("import")
    .description("import a .env file (FILE, or - for standard input): all or nothing, after showing the plan")
    .argument("<file>", "the .env file, or - for standard input")
    .option("--variables [names]", "import as variables: all lines, or those named (NAME,NAME); the rest as secrets")
    .option("--skip-empty", "leave out lines with an empty value (NAME=) instead of refusing the file")
    .option("--dry-run", "show the plan and write nothing")
    .option("--on-conflict <policy>", "for names that exist with another value: skip, overwrite or fail", "fail")
    .option("--yes", "import without asking")
    .option("--json", "print JSON")
    .action((file: string, options: ImportOptions) => importCommand(vaultFromEnv(), file, options));
  command
    .command("undo")
    .description(
      "undo an import (its id is printed by import, and in its activity event): deletes the entries it created that no agent uses, restores the values it replaced; all or nothing",
    )
    .argument("<id>", "the import's id")
    .option("--dry-run", "show what the undo would do, and change nothing")
    .option("--yes", "undo without asking")
    .option("--json", "print JSON")
    .action((id: string, options: { yes?: boolean; dryRun?: boolean; json?: boolean }) =>
      undoImportCommand(vaultFromEnv(), id, options),
    );
}
