// Reading a .env file into entries, with the number of every bad line. Values come from dotenv's
// own parser, so a valid file yields exactly what dotenv yields; this module finds where each entry
// starts and ends, and what is wrong with the lines that are not valid. Problems never quote a value.
import { parse as dotenvParse } from "dotenv";
import type { EntryKind } from "../../db/enums.ts";
import { timeSlices } from "../../time-slices.ts";
import type { EnvLineProblem } from "../common/errors.ts";
import { nameKey, nameProblem, valueProblem } from "../entry/entry.rules.ts";

export type EnvEntry = { line: number; name: string; value: string };

// A quoted value as dotenv reads it (its own pattern): a backslash before the quote keeps it
// open, the first quote that leaves only spaces or a comment to the end of its line closes it.
const QUOTED: Record<string, RegExp> = {
  '"': /"(?:\\"|[^"])*"[ \t]*(?:#[^\n]*)?(?=\n|$)/y,
  "'": /'(?:\\'|[^'])*'[ \t]*(?:#[^\n]*)?(?=\n|$)/y,
  "`": /`(?:\\`|[^`])*`[ \t]*(?:#[^\n]*)?(?=\n|$)/y,
};
// A fraction of a millisecond of dotenv's parsing at a time: a thousand entries at a time was the
// largest piece of an import's own work in the slowest other requests served during imports.
const ENTRIES_PER_PARSE = 250;

// dotenv collects values in a plain object, where assigning `__proto__` sets nothing: an entry of
// that name is read on its own, under a stand-in name (the first occurrence on its line is the name).
const STAND_IN = "AGENT_VAULT_STAND_IN_NAME";
function ownValue(lines: readonly string[], from: number, to: number, name: string): string | undefined {
  if (name !== "__proto__") return undefined;
  const own = lines.slice(from, to + 1);
  own[0] = (own[0] as string).replace(name, STAND_IN);
  return dotenvParse(own.join("\n"))[STAND_IN];
}

export async function parseEnvFile(
  content: string,
  kindOf: (name: string) => EntryKind,
  options: { skipEmpty?: boolean } = {},
): Promise<{ entries: EnvEntry[]; problems: EnvLineProblem[]; empty: string[] }> {
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

  const found: { line: number; name: string; last: number }[] = [];
  const problems: EnvLineProblem[] = [];
  const seen = new Map<string, number>();
  const slices = timeSlices();

  for (let i = 0; i < lines.length; i++) {
    if (slices.due()) await slices.next();
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
    const quoted = quote ? QUOTED[quote] : undefined;
    if (quote && quoted) {
      const open = (starts[i] as number) + (raw.length - trimmed.length) + eq + 1 + valueStart;
      quoted.lastIndex = open;
      const match = quoted.exec(text);
      if (match) {
        last = lineAt(open + match[0].length - 1);
      } else {
        const close = text.indexOf(quote, open + 1);
        broken =
          close === -1 || close > (starts[i] as number) + raw.length
            ? `the ${quote} quote is never closed`
            : "unexpected text after the closing quote";
      }
    }
    i = last;

    const problem = broken ?? nameProblem(name);
    if (problem) {
      problems.push({ line: lineNumber, message: problem });
      continue;
    }
    const key = nameKey(name);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      problems.push({ line: lineNumber, message: `the name is already set on line ${earlier}` });
      continue;
    }
    seen.set(key, lineNumber);
    found.push({ line: lineNumber, name, last });
  }

  // The values: dotenv reads lines independently of what comes before them, so parsing the text
  // of a run of entries gives each the value it has in the whole file.
  const entries: EnvEntry[] = [];
  const empty: string[] = [];
  for (let first = 0; first < found.length; first += ENTRIES_PER_PARSE) {
    if (first > 0) await slices.next();
    const group = found.slice(first, first + ENTRIES_PER_PARSE);
    const from = (group[0] as (typeof group)[0]).line - 1;
    const to = (group[group.length - 1] as (typeof group)[0]).last;
    const values = dotenvParse(lines.slice(from, to + 1).join("\n"));
    for (const { line, name, last } of group) {
      const value = Object.hasOwn(values, name) ? values[name] : ownValue(lines, line - 1, last, name);
      if (value === "" && options.skipEmpty) {
        empty.push(name);
        continue;
      }
      const problem =
        value === undefined ? "this line cannot be read as NAME=value" : valueProblem(value, kindOf(name));
      if (problem) problems.push({ line, message: problem });
      else entries.push({ line, name, value: value as string });
    }
  }
  problems.sort((a, b) => a.line - b.line);
  return { entries, problems, empty };
}
