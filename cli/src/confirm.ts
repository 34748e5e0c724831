// Asking a person before something that cannot be undone. Without a terminal to ask on, the
// command is refused with the flag that skips the question.
import { createInterface } from "node:readline/promises";
import { Interrupted, UsageError } from "./context.ts";

/**
 * Whether the person answered yes; `flag` is named when there is nobody to ask. Ctrl+C at the
 * question ends the command with one line: `undone` (what was not done).
 */
export async function confirm(question: string, flag = "--yes", undone = "nothing was done"): Promise<boolean> {
  if (!process.stdin.isTTY) throw new UsageError(`add ${flag} to do this without being asked`);
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const interrupted = new Promise<never>((_resolve, reject) =>
    rl.once("SIGINT", () => {
      process.stderr.write("\n");
      reject(new Interrupted(`interrupted: ${undone}`));
    }),
  );
  const answer = rl.question(question);
  // Closing the interface at Ctrl+C rejects the question too: that rejection says nothing new.
  answer.catch(() => {});
  try {
    return /^y(es)?$/i.test((await Promise.race([answer, interrupted])).trim());
  } finally {
    rl.close();
  }
}
