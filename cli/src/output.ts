// How the CLI prints: JSON for scripts (--json), aligned tables for people.

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * The items as one JSON array, the same text printJson would write, each written as it comes: a
 * long list (a vault's entries, a page at a time) starts at once and is never held whole.
 */
export async function printJsonItems(items: AsyncIterable<unknown>): Promise<void> {
  let first = true;
  for await (const item of items) {
    const text = JSON.stringify(item, null, 2).replace(/\n/g, "\n  ");
    const chunk = `${first ? "[\n  " : ",\n  "}${text}`;
    first = false;
    // Waits while the pipe is full, so that memory stays a page's worth.
    if (!process.stdout.write(chunk)) await new Promise((resolve) => process.stdout.once("drain", resolve));
  }
  process.stdout.write(first ? "[]\n" : "\n]\n");
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
