// An agent's environment of many values is opened off the event loop (crypto/opening-thread.ts):
// it is the same environment, byte for byte, as one opened inline, whether the thread answers,
// cannot start or is too slow; a value that does not open refuses the whole environment, naming
// its entry and nothing of any value.
import { Worker } from "node:worker_threads";
import { createRuntimeClient } from "@agent-vault/sdk";
import { afterEach, describe, expect, it } from "vitest";
import { startWorker } from "../../../server/crypto/crypto-thread.ts";
import { OPEN_ON_THREAD_FROM } from "../../../server/crypto/opening-thread.ts";
import { directSql } from "../../helpers/database.ts";
import { findMarkers } from "../../helpers/leak-scan.ts";
import { ok } from "../../helpers/operations.ts";
import { marker, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault | undefined;
afterEach(async () => {
  await t?.close();
  t = undefined;
});

/** Values of every shape an environment holds: long, several lines, CRLF, non-ASCII. */
function valuesFor(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const unique = marker(`OPEN_${i}`);
    if (i % 4 === 1) return `-----BEGIN KEY-----\r\n${unique}\r\n-----END KEY-----\r\n`;
    if (i % 4 === 2) return `${unique} é ✓ 🔑`;
    if (i % 4 === 3) return `${unique}${"x".repeat(2000)}`;
    return unique;
  });
}

async function agentWith(vault: TestVault, values: string[]) {
  const user = await vault.newUser("opener");
  const ids: string[] = [];
  for (const [i, value] of values.entries()) {
    const field = i % 2 === 0 ? "addSecret" : "addVariable";
    ids.push((await ok(user.gql, field, { name: `OPEN_${String(i).padStart(2, "0")}`, value })).id as string);
  }
  const agent = await ok(user.gql, "createAgent", { name: "opener", entryIds: ids });
  const token = (await ok(user.gql, "createRuntimeToken", { agentId: agent.id })).token as string;
  const runtime = createRuntimeClient({
    url: "http://vault.test/graphql",
    token,
    fetch: vault.vault.yoga.fetch as typeof fetch,
  });
  return { ids, runtime };
}

const expected = (values: string[]) =>
  Object.fromEntries(values.map((value, i) => [`OPEN_${String(i).padStart(2, "0")}`, value]));

describe("an environment of many values", () => {
  it.each([
    ["on the opening thread", {}],
    ["inline when the thread cannot start", { start: () => new Worker("process.exit(3)", { eval: true }) }],
    ["inline when the thread does not answer in time", { answerWithinMs: 0 }],
  ])("is delivered byte for byte %s", async (_label, options: { start?: () => Worker; answerWithinMs?: number }) => {
    let started = 0;
    const start = options.start ?? (() => startWorker({ lowestPriority: false }));
    t = await startTestVault({
      openingThread: {
        ...options,
        start: () => {
          started++;
          return start();
        },
      },
    });
    const values = valuesFor(OPEN_ON_THREAD_FROM * 2 + 3);
    const { runtime } = await agentWith(t, values);
    const first = await runtime.environment();
    expect(first.environment).toEqual(expected(values));
    expect(first.concealed).toEqual(Object.keys(expected(values)).filter((_, i) => i % 2 === 0));
    // Again, on a thread that has started (or failed) already.
    expect((await runtime.environment()).environment).toEqual(expected(values));
    expect(started).toBeGreaterThan(0);
  });

  it("of a few values is opened inline, without a thread", async () => {
    let started = 0;
    t = await startTestVault({
      openingThread: {
        start: () => {
          started++;
          return startWorker({ lowestPriority: false });
        },
      },
    });
    const values = valuesFor(OPEN_ON_THREAD_FROM - 1);
    const { runtime } = await agentWith(t, values);
    expect((await runtime.environment()).environment).toEqual(expected(values));
    expect(started).toBe(0);
  });

  it("is refused whole when one value does not open, naming that entry and no value", async () => {
    t = await startTestVault();
    const values = valuesFor(OPEN_ON_THREAD_FROM + 4);
    const { ids, runtime } = await agentWith(t, values);
    // A database writer copies one secret's ciphertext onto another: it is bound to its own entry.
    const sql = await directSql(t.databaseUrl);
    try {
      const [source] = await sql.run('SELECT "ciphertext" FROM "Entry" WHERE "id" = ?', [ids[0]]);
      await sql.run('UPDATE "Entry" SET "ciphertext" = ? WHERE "id" = ?', [source?.ciphertext, ids[6]]);
    } finally {
      await sql.close();
    }
    const refused = await runtime.environment().then(
      () => null,
      (error: Error & { code?: string }) => error,
    );
    expect(refused?.code).toBe("VALUE_UNREADABLE");
    expect(refused?.message).toContain("OPEN_06");
    expect(findMarkers(String(refused?.message), values)).toEqual([]);
  });
});
