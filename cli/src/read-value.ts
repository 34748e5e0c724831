// Values come from standard input or a prompt that does not echo, never from the command line,
// where other users of the machine could read them in the process list.
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { Interrupted } from "./context.ts";

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

function promptHidden(question: string): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stderr.write(chunk);
      done();
    },
  });
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  return new Promise((resolve, reject) => {
    rl.once("SIGINT", () => {
      rl.close();
      process.stderr.write("\n");
      reject(new Interrupted("interrupted: nothing was saved"));
    });
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write("\n");
      resolve(answer);
    });
    muted = true;
  });
}

/** The value piped on standard input (without its final line break), or typed at a hidden prompt. */
export async function readValue(what: string): Promise<string> {
  if (process.stdin.isTTY) return promptHidden(`${what}: `);
  return (await readAll(process.stdin)).replace(/\r?\n$/, "");
}
