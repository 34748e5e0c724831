// Asking a person before something that cannot be undone. Without a terminal to ask on, the
// command is refused with the flag that skips the question.
import { createInterface } from "node:readline/promises";
import { UsageError } from "./context.ts";

/** Whether the person answered yes; `flag` is named when there is nobody to ask. */
export async function confirm(question: string, flag = "--yes"): Promise<boolean> {
  if (!process.stdin.isTTY) throw new UsageError(`add ${flag} to do this without being asked`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
}
