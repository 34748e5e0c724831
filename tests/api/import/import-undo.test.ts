// undoImport: an applied import taken back, all or nothing, saying what it could not undo.
import {
  createRuntimeClient,
  createVaultClient,
  ForbiddenError,
  LimitExceededError,
  NotFoundError,
  ValidationError,
  type VaultClient,
} from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestVault, type TestVault } from "../../helpers/test-vault.ts";

let t: TestVault;

beforeAll(async () => {
  t = await startTestVault();
});
afterAll(() => t.close());

const clientOf = (token: string) =>
  createVaultClient({ url: "http://vault.test/graphql", token, fetch: t.vault.yoga.fetch as typeof fetch });

async function newVault(): Promise<VaultClient> {
  return clientOf((await t.newUser("undoer")).token);
}

/** Every entry's name, kind, version and (read through an agent given all of them) value. */
async function snapshot(vault: VaultClient) {
  const entries = [];
  for await (const entry of vault.allEntries()) entries.push(entry);
  const rows = entries.map((entry) => ({ name: entry.name, kind: entry.__typename }));
  if (entries.length === 0) return { rows, environment: {} };
  const agent = await vault.createAgent({
    name: `reader-${Math.random().toString(36).slice(2, 8)}`,
    entryIds: entries.map((entry) => entry.id),
  });
  const { token } = await vault.createRuntimeToken({ agentId: agent.id });
  const runtime = createRuntimeClient({
    url: "http://vault.test/graphql",
    token,
    fetch: t.vault.yoga.fetch as typeof fetch,
  });
  const { environment } = await runtime.environment();
  await vault.deleteAgent({ agentId: agent.id });
  return { rows, environment };
}

describe("undoImport", () => {
  it("leaves the vault as it was before the import: created entries deleted, updated ones given their earlier value", async () => {
    const vault = await newVault();
    await vault.addVariable({ name: "REGION", value: "eu-west-1" });
    const secret = await vault.addSecret({ name: "API_KEY", value: "before-the-import" });
    await vault.addSecret({ name: "UNTOUCHED", value: "stays" });
    const agent = await vault.createAgent({ name: "worker", entryIds: [secret.id] });
    const before = await snapshot(vault);

    const report = await vault.importEnv({
      content: "REGION=us-east-2\nAPI_KEY=from-the-file\nNEW_ONE=1\nNEW_TWO=2\n",
      variables: ["REGION"],
      onConflict: "OVERWRITE",
    });
    expect(report).toMatchObject({ created: ["NEW_ONE", "NEW_TWO"], updated: ["REGION", "API_KEY"], applied: true });
    expect(report.id).toEqual(expect.any(String));
    const imported = await vault.activity({ first: 1, filter: { actions: ["ENTRIES_IMPORTED"] } });
    expect(JSON.parse(imported.edges[0]?.node.details ?? "{}")).toMatchObject({ importId: report.id });

    // A dry run says exactly what the undo will do, and changes nothing.
    const plan = await vault.undoImport({ id: report.id as string, dryRun: true });
    expect((await vault.entries({ first: 10 })).totalCount).toBe(5);
    expect((await vault.entryByName({ name: "API_KEY" }))?.version).toBe(2);
    const undone = await vault.undoImport({ id: report.id as string });
    expect(plan).toEqual(undone);
    expect(undone).toEqual({
      id: report.id,
      deleted: ["NEW_ONE", "NEW_TWO"],
      restored: ["API_KEY", "REGION"],
      notUndone: [],
      complete: true,
    });
    expect(await snapshot(vault)).toEqual(before);
    // Restored as new versions (history keeps what the import wrote), and the agent must restart for it.
    expect((await vault.entryByName({ name: "API_KEY" }))?.version).toBe(3);
    expect((await vault.agent({ id: agent.id }))?.pendingChanges).toEqual([{ name: "API_KEY", change: "UPDATED" }]);
    const event = (await vault.activity({ first: 1, filter: { actions: ["IMPORT_UNDONE"] } })).edges[0]?.node;
    expect(event?.action).toBe("IMPORT_UNDONE");
    expect(JSON.parse(event?.details ?? "{}")).toEqual({ importId: report.id, deleted: 2, restored: 2, notUndone: 0 });

    const again = await vault.undoImport({ id: report.id as string }).catch((error) => error);
    expect(again).toBeInstanceOf(ValidationError);
    expect(again).toMatchObject({ field: "id" });
  });

  it("keeps what was changed since the import, and names it", async () => {
    const vault = await newVault();
    const region = await vault.addVariable({ name: "REGION", value: "first" });
    const report = await vault.importEnv({
      content: "REGION=second\nFRESH=x\n",
      kind: "VARIABLE",
      onConflict: "OVERWRITE",
    });
    await vault.updateVariable({ id: region.id, value: "third" });
    const fresh = await vault.entryByName({ name: "FRESH" });
    await vault.updateVariable({ id: fresh?.id as string, value: "y" });

    const undone = await vault.undoImport({ id: report.id as string });
    expect(undone).toMatchObject({
      deleted: [],
      restored: [],
      notUndone: [
        { name: "FRESH", reason: "changed since the import (now version 2)" },
        { name: "REGION", reason: "changed since the import (now version 3)" },
      ],
      complete: true,
    });
    const values = Object.fromEntries(
      (await vault.entries({ first: 10 })).edges.map(({ node }) => [
        node.name,
        node.__typename === "Variable" ? node.value : "",
      ]),
    );
    expect(values).toEqual({ FRESH: "y", REGION: "third" });
  });

  it("leaves an entry it created that an agent uses, and deletes it on a second undo once detached", async () => {
    const vault = await newVault();
    const report = await vault.importEnv({ content: "USED=1\nUNUSED=2\n" });
    const used = await vault.entryByName({ name: "USED" });
    const agent = await vault.createAgent({ name: "holder", entryIds: [used?.id as string] });

    // A token that may not read agents is not told their names.
    const { token } = await vault.createApiToken({ name: "undoer", scopes: ["ENTRIES_WRITE", "ENTRIES_DELETE"] });
    const planned = await clientOf(token).undoImport({ id: report.id as string, dryRun: true });
    expect(planned.notUndone).toEqual([{ name: "USED", reason: "used by an agent: detach it, then undo again" }]);

    const first = await vault.undoImport({ id: report.id as string });
    expect(first).toEqual({
      id: report.id,
      deleted: ["UNUSED"],
      restored: [],
      notUndone: [{ name: "USED", reason: "used by holder: detach it, then undo again" }],
      complete: false,
    });
    expect((await vault.entries({ first: 10 })).edges.map(({ node }) => node.name)).toEqual(["USED"]);

    await vault.detachEntries({ agentId: agent.id, entryIds: [used?.id as string] });
    const second = await vault.undoImport({ id: report.id as string });
    expect(second).toMatchObject({ deleted: ["USED"], notUndone: [], complete: true });
    expect((await vault.entries({ first: 10 })).totalCount).toBe(0);
  });

  it("is all or nothing: a restore that would overflow an agent's environment undoes nothing", async () => {
    const vault = await newVault();
    const big = "b".repeat(63_000);
    const large = await vault.addSecret({ name: "LARGE", value: big });
    const agent = await vault.createAgent({ name: "full", entryIds: [large.id] });
    const report = await vault.importEnv({ content: "LARGE=small\nCREATED=1\n", onConflict: "OVERWRITE" });
    // The agent's environment fills up while LARGE is small.
    const fillers = [];
    for (let i = 0; i < 16; i++) fillers.push((await vault.addSecret({ name: `FILL_${i}`, value: big })).id);
    await vault.attachEntries({ agentId: agent.id, entryIds: fillers });

    const refused = await vault.undoImport({ id: report.id as string }).catch((error) => error);
    expect(refused).toBeInstanceOf(LimitExceededError);
    expect((await vault.entryByName({ name: "CREATED" }))?.version).toBe(1);
    expect((await vault.entryByName({ name: "LARGE" }))?.version).toBe(2);

    await vault.detachEntries({ agentId: agent.id, entryIds: [fillers[0] as string] });
    expect(await vault.undoImport({ id: report.id as string })).toMatchObject({
      deleted: ["CREATED"],
      restored: ["LARGE"],
      complete: true,
    });
  });

  it("answers another user's import, and an unknown id, as not found", async () => {
    const owner = await newVault();
    const report = await owner.importEnv({ content: "MINE=1\n" });
    const other = await newVault();
    expect(await other.undoImport({ id: report.id as string }).catch((error) => error)).toBeInstanceOf(NotFoundError);
    expect(await owner.undoImport({ id: "no-such-import" }).catch((error) => error)).toBeInstanceOf(NotFoundError);
    expect((await owner.entries({ first: 10 })).totalCount).toBe(1);
  });

  it("needs ENTRIES_DELETE to delete what the import created", async () => {
    const owner = await newVault();
    const { token } = await owner.createApiToken({ name: "writer", scopes: ["ENTRIES_WRITE"] });
    const writer = clientOf(token);
    const report = await writer.importEnv({ content: "WRITTEN=1\n" });
    const refused = await writer.undoImport({ id: report.id as string }).catch((error) => error);
    expect(refused).toBeInstanceOf(ForbiddenError);
    expect(refused).toMatchObject({ scope: "ENTRIES_DELETE" });
    expect((await owner.entries({ first: 10 })).totalCount).toBe(1);

    // An import that only gave entries new values deletes nothing when undone: ENTRIES_WRITE will do.
    const update = await writer.importEnv({ content: "WRITTEN=2\n", onConflict: "OVERWRITE" });
    expect(await writer.undoImport({ id: update.id as string })).toMatchObject({
      restored: ["WRITTEN"],
      complete: true,
    });
  });

  it("gives a dry run no id", async () => {
    const vault = await newVault();
    expect(await vault.importEnv({ content: "PLANNED=1\n", dryRun: true })).toMatchObject({ applied: false, id: null });
  });

  it("undoes a large import, whose rows were staged", async () => {
    const vault = await newVault();
    await vault.addSecret({ name: "KEPT", value: "k" });
    const lines = Array.from({ length: 20_000 }, (_, i) => `BULK_${i}=v${i}`).join("\n");
    const report = await vault.importEnv({ content: `${lines}\nKEPT=changed\n`, onConflict: "OVERWRITE" });
    expect(report.created).toHaveLength(20_000);
    const undone = await vault.undoImport({ id: report.id as string });
    expect(undone).toMatchObject({ restored: ["KEPT"], complete: true });
    expect(undone.deleted).toHaveLength(20_000);
    expect((await vault.entries({ first: 10 })).totalCount).toBe(1);
  }, 120_000);
});
