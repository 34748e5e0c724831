// Rule 8 on a busy machine: with both cores kept busy by other processes, a large import
// succeeds whole, and one whose transaction is cut short leaves nothing, on SQLite and PostgreSQL.
import { type ChildProcess, spawn } from "node:child_process";
import { createVaultClient, type VaultClient } from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openVaultApp } from "../../server/app.ts";
import { parseMasterKeys } from "../../server/crypto/master-key.ts";
import { testDatabase } from "../helpers/database.ts";
import { newMasterKey, startTestVault, type TestVault } from "../helpers/test-vault.ts";

const masterKeys = parseMasterKeys(newMasterKey(), "AGENT_VAULT_MASTER_KEY");
let t: TestVault;
let busy: ChildProcess[] = [];

const clientOf = (token: string, fetch: typeof globalThis.fetch): VaultClient =>
  createVaultClient({ url: "http://vault.test/graphql", token, fetch });

const lines = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, i) => `${prefix}_${i}=value-${i}-${"v".repeat(40)}`).join("\n");

beforeAll(async () => {
  t = await startTestVault({ masterKeys });
  // Two processes that keep both cores busy, as other tenants' work on a shared machine does.
  busy = [0, 1].map(() => spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
});
afterAll(async () => {
  for (const child of busy) child.kill("SIGKILL");
  await t.close();
});

describe("a large import with both cores busy", () => {
  it.each(["SECRET", "VARIABLE"] as const)("of 10,000 %ss succeeds whole", async (kind) => {
    const { token } = await t.newUser("importer");
    const vault = clientOf(token, t.vault.yoga.fetch as typeof fetch);
    const report = await vault.importEnv({ content: lines("LOADED", 10_000), kind });
    expect(report.created).toHaveLength(10_000);
    expect((await vault.entries({ first: 1 })).totalCount).toBe(10_000);
  });

  it("whose transaction outlives its bound leaves nothing: not a row, not a version, not a staged row", async () => {
    const { token } = await t.newUser("cut-short");
    const vault = clientOf(token, t.vault.yoga.fetch as typeof fetch);
    const kept = await vault.addVariable({ name: "CUT_0", value: "before" });
    // The same database through an instance whose transactions end after 50 ms.
    const hasty = await openVaultApp({
      databaseUrl: t.databaseUrl,
      masterKeys,
      masterKeySource: "test",
      transactionBounds: { timeoutMs: 50, maxWaitMs: 10_000 },
    });
    try {
      const through = clientOf(token, hasty.yoga.fetch as typeof fetch);
      // New entries only (SQLite writes them in one transaction), then new ones with an update.
      const created = await through.importEnv({ content: lines("ONLY_NEW", 10_000), kind: "VARIABLE" }).then(
        () => "imported",
        () => "failed",
      );
      const count = (await vault.entries({ first: 1 })).totalCount;
      if (created === "imported") expect(count).toBe(10_001);
      else expect(count).toBe(1);
      // PostgreSQL writes new entries alone on a connection of its own, without Prisma's deadline.
      if (testDatabase === "sqlite") expect(created).toBe("failed");

      const before = (await vault.entries({ first: 1 })).totalCount;
      const error = await through
        .importEnv({ content: `${lines("CUT", 10_000)}`, kind: "VARIABLE", onConflict: "OVERWRITE" })
        .catch((e) => e);
      expect(error).toBeInstanceOf(Error);
      expect((await vault.entries({ first: 1 })).totalCount).toBe(before);
      const entry = await vault.entryByName({ name: "CUT_0" });
      expect(entry?.version).toBe(kept.version);
      expect(entry?.__typename === "Variable" && entry.value).toBe("before");
      expect(await t.vault.db.importStage.count()).toBe(0);
      expect(await t.vault.db.entryVersion.count()).toBe(0);
    } finally {
      await hasty.close();
    }
  });
});
