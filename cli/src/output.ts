// How the CLI prints: JSON for scripts (--json), aligned tables for people.

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

// Written to stdout in pieces of about this many characters: a write per item was most of the
// CLI's time listing 100,000 entries.
const FLUSH_AT = 64 * 1024;

/**
 * The items as one JSON array, the same text printJson would write, written as they come: a long
 * list (a vault's entries, a page at a time) starts at once and is never held whole.
 */
export async function printJsonItems(items: AsyncIterable<unknown>): Promise<void> {
  let first = true;
  let pending = "";
  for await (const item of items) {
    pending += `${first ? "[\n  " : ",\n  "}${JSON.stringify(item, null, 2).replace(/\n/g, "\n  ")}`;
    first = false;
    if (pending.length >= FLUSH_AT) {
      const full = !process.stdout.write(pending);
      pending = "";
      // Waits while the pipe is full, so that memory stays a page or so.
      if (full) await new Promise((resolve) => process.stdout.once("drain", resolve));
    }
  }
  process.stdout.write(first ? "[]\n" : `${pending}\n]\n`);
}

export function printTable(headers: string[], rows: (string | number)[][]): void {
  if (rows.length === 0) {
    process.stdout.write("(none)\n");
    return;
  }
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? "").length)));
  for (const row of cells) {
    process.stdout.write(
      `${row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd()}\n`,
    );
  }
}

export function printLine(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** An ISO time as "YYYY-MM-DD HH:MM:SS" (UTC), or "-". */
export const shortTime = (iso: string | null | undefined) => (iso ? iso.replace("T", " ").slice(0, 19) : "-");
