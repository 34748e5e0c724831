// Reading a .env file into entries, with the number of every bad line. Values come from dotenv's
// own parser, applied to each entry's lines, so a valid file yields exactly what dotenv yields;
// this module finds where each entry starts and ends, and what is wrong with the lines that are
// not valid. Problems never quote a value.
import { parse as dotenvParse } from "dotenv";
import type { EnvLineProblem } from "../common/errors.ts";
import { type EntryKind, nameKey, nameProblem, valueProblem } from "../entry/entry.rules.ts";

export type EnvEntry = { line: number; name: string; value: string };

const QUOTES = new Set(["'", '"', "`"]);
const AFTER_CLOSING_QUOTE = /^[ \t]*(#.*)?$/;

export function parseEnvFile(content: string, kind: EntryKind): { entries: EnvEntry[]; problems: EnvLineProblem[] } {
  const text = content.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  const lines = text.split("\n");
  const starts: number[] = [];
  let offset = 0;
  for (const line of lines) {
    starts.push(offset);
    offset += line.length + 1;
  }
  const lineAt = (position: number) => {
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= position) low = mid;
      else high = mid - 1;
    }
    return low;
  };

  const entries: EnvEntry[] = [];
  const problems: EnvLineProblem[] = [];
  const seen = new Map<string, number>();

  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const lineNumber = i + 1;
    const trimmed = raw.trimStart();
    if (trimmed === "" || trimmed.startsWith("#")) continue;
    if (raw.includes("\u0000")) {
      problems.push({ line: lineNumber, message: "contains a NUL character: save the file as UTF-8 text" });
      continue;
    }
    const eq = trimmed.indexOf("=");
    if (eq === -1) {
      problems.push({ line: lineNumber, message: "expected NAME=value: there is no =" });
      continue;
    }
    const name = trimmed
      .slice(0, eq)
      .trim()
      .replace(/^export\s+/, "");

    // Where the entry ends: this line, or the line of the closing quote of a multi-line value.
    let last = i;
    let broken: string | null = null;
    const afterEq = trimmed.slice(eq + 1);
    const valueStart = afterEq.length - afterEq.trimStart().length;
    const quote = afterEq[valueStart];
    if (quote && QUOTES.has(quote)) {
      const open = (starts[i] as number) + (raw.length - trimmed.length) + eq + 1 + valueStart;
      let close = text.indexOf(quote, open + 1);
      while (close !== -1 && text[close - 1] === "\\") close = text.indexOf(quote, close + 1);
      if (close === -1) {
        broken = `the ${quote} quote is never closed`;
      } else {
        last = lineAt(close);
        const rest = text.slice(close + 1, (starts[last] as number) + (lines[last] as string).length);
        if (!AFTER_CLOSING_QUOTE.test(rest)) broken = "unexpected text after the closing quote";
      }
    }
    const entryLines = lines.slice(i, last + 1).join("\n");
    i = last;

    const problem = broken ?? nameProblem(name);
    if (problem) {
      problems.push({ line: lineNumber, message: problem });
      continue;
    }
    const earlier = seen.get(nameKey(name));
    if (earlier !== undefined) {
      problems.push({ line: lineNumber, message: `the name is already set on line ${earlier}` });
      continue;
    }
    seen.set(nameKey(name), lineNumber);
    const value = dotenvParse(entryLines)[name];
    if (value === undefined) {
      problems.push({ line: lineNumber, message: "this line cannot be read as NAME=value" });
      continue;
    }
    const bad = valueProblem(value, kind);
    if (bad) {
      problems.push({ line: lineNumber, message: bad });
      continue;
    }
    entries.push({ line: lineNumber, name, value });
  }
  return { entries, problems };
}
