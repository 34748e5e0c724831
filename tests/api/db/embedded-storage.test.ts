// The embedded SQLite database under load: large writes are checkpointed back into the database
// file while the vault runs, and new rows get time-ordered ids.
import { statSync } from "node:fs";
import { createVaultClient } from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../../helpers/processes.ts";
import { startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;

beforeAll(async () => {
  t = await startTestVault();
});
afterAll(() => t.close());

describe("the write-ahead log", () => {
  it("is copied into the database file while the vault keeps running", async () => {
    const file = t.databaseUrl.replace(/^file:/, "");
    const { token } = await t.newUser("bulk");
    const vault = createVaultClient({
      url: "http://vault.test/graphql",
      token,
      fetch: t.vault.yoga.fetch as typeof fetch,
    });
    const before = statSync(file).size;
    for (let round = 0; round < 3; round++) {
      const content = Array.from({ length: 5_000 }, (_, i) => `BULK_${round}_${i}=${"v".repeat(400)}`).join("\n");
      await vault.importEnv({ content, kind: "VARIABLE" });
    }
    // Over 6 MB went to the log; a checkpoint moves it into the database file.
    await eventually(() => statSync(file).size > before + 4 * 1024 * 1024, "the database file grows");
    expect((await vault.entries({ first: 1 })).totalCount).toBe(15_000);
  });
});

describe("ids", () => {
  it("are version 7 UUIDs, ordered by creation time", async () => {
    const { token } = await t.newUser("ids");
    const vault = createVaultClient({
      url: "http://vault.test/graphql",
      token,
      fetch: t.vault.yoga.fetch as typeof fetch,
    });
    const first = await vault.addSecret({ name: "FIRST", value: "a" });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await vault.addVariable({ name: "SECOND", value: "b" });
    const agent = await vault.createAgent({ name: "later" });
    for (const id of [first.id, second.id, agent.id]) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
    expect(first.id < second.id && second.id < agent.id).toBe(true);
  });
});
