// History: every earlier value of an entry is kept (sealed, bound to its version) and can be
// restored; every change is recorded in a per-user activity log whose hash chain shows an event
// changed, removed or reordered in the database. Through the SDK against the app in process, on
// whichever database the suite runs on (SQLite, or PostgreSQL with TEST_DATABASE_URL).

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  type ActivityEvent,
  collect,
  createRuntimeClient,
  createVaultClient,
  NotFoundError,
  type VaultClient,
  VersionConflictError,
} from "@agent-vault/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openVaultApp } from "../../../server/app.ts";
import { parseMasterKeys } from "../../../server/crypto/master-key.ts";
import { directSql, freshDatabase, testDatabase } from "../../helpers/database.ts";
import { findMarkers } from "../../helpers/leak-scan.ts";
import { marker, newMasterKey, startTestVault, type TestVault } from "../../helpers/test-vault.ts";

const masterKeys = parseMasterKeys(newMasterKey(), "AGENT_VAULT_MASTER_KEY");
let t: TestVault;
let sql: Awaited<ReturnType<typeof directSql>>;
/** What the server wrote to its log. */
const logged: string[] = [];
const log = (...args: unknown[]) => logged.push(args.join(" "));

const clientFor = (token: string) =>
  createVaultClient({ url: "http://vault.test/graphql", token, fetch: t.vault.yoga.fetch as typeof fetch });
const runtimeFor = (token: string) =>
  createRuntimeClient({ url: "http://vault.test/graphql", token, fetch: t.vault.yoga.fetch as typeof fetch });

async function newUser(name: string) {
  const user = await t.newUser(name);
  return { ...user, vault: clientFor(user.token) };
}

beforeAll(async () => {
  t = await startTestVault({
    versionsKept: 5,
    masterKeys,
    logging: { debug: () => {}, info: () => {}, warn: log, error: log },
  });
  sql = await directSql(t.databaseUrl);
});
afterAll(async () => {
  await sql.close();
  await t.close();
});

/** Every response body of `work`, as text, for marker scans. */
function recordingClient(token: string, bodies: string[]): VaultClient {
  const fetchAndRecord = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const response = await (t.vault.yoga.fetch as typeof fetch)(input, init);
    bodies.push(await response.clone().text());
    return response;
  }) as typeof fetch;
  return createVaultClient({ url: "http://vault.test/graphql", token, fetch: fetchAndRecord });
}

const activityOf = (vault: VaultClient, filter = {}) => collect(vault.allActivity({ filter }));

describe("versions", () => {
  it("keeps every value, restores version 1 as version 4, and never shows a secret's value", async () => {
    const { token } = await t.newUser("history");
    const bodies: string[] = [];
    const vault = recordingClient(token, bodies);
    const values = [marker("V1"), marker("V2"), marker("V3")];
    const secret = await vault.addSecret({ name: "OPENAI_API_KEY", value: values[0] as string });
    const agent = await vault.createAgent({ name: "history-bot", entryIds: [secret.id] });
    await vault.updateSecret({ id: secret.id, value: values[1] as string });
    await vault.updateSecret({ id: secret.id, value: values[2] as string });

    const restored = await vault.restoreEntryVersion({ id: secret.id, version: 1, expectedVersion: 3 });
    expect(restored.version).toBe(4);
    expect(restored.fingerprint).toBe(secret.fingerprint);
    const after = await vault.agent({ id: agent.id });
    expect(after?.restartRequired).toBe(true);
    expect(after?.pendingChanges).toEqual([{ name: "OPENAI_API_KEY", change: "UPDATED" }]);

    const versions = await collect(vault.allEntryVersions(secret.id));
    expect(versions.map((row) => row.version)).toEqual([4, 3, 2, 1]);
    expect(versions.map((row) => row.current)).toEqual([true, false, false, false]);
    expect(versions[3]?.fingerprint).toBe(secret.fingerprint);
    expect(new Set(versions.map((row) => row.fingerprint)).size).toBe(3);
    expect(versions.every((row) => row.value === null)).toBe(true);
    expect(versions[0]?.actor).toMatchObject({ kind: "API_TOKEN", name: "first token" });

    // Its value is what the agent gets after a restart.
    const runtimeToken = await vault.createRuntimeToken({ agentId: agent.id });
    const environment = await runtimeFor(runtimeToken.token).environment();
    expect(environment.environment.OPENAI_API_KEY).toBe(values[0]);

    const events = await activityOf(vault, { entryId: secret.id });
    expect(events.map((event) => event.action)).toEqual([
      "ENTRY_RESTORED",
      "ENTRY_UPDATED",
      "ENTRY_UPDATED",
      "ENTRY_ATTACHED",
      "ENTRY_ADDED",
    ]);
    for (const event of events) expect(event.actor).toMatchObject({ kind: "API_TOKEN", name: "first token" });
    expect(JSON.parse(events[0]?.details ?? "{}")).toMatchObject({ restoredFrom: 1, version: 4 });

    // Only the agent's environment fetch answers a value; nothing else did.
    const { environment: _delivered, ...rest } = environment;
    bodies.push(JSON.stringify(rest));
    expect(findMarkers(bodies.join("\n"), values)).toEqual([]);
    expect(findMarkers(t.databaseBytes(), values)).toEqual([]);
  });

  it("shows a variable's earlier values, keeps the last AGENT_VAULT_VERSIONS_KEPT, and forgets them with the entry", async () => {
    const { vault } = await newUser("variables");
    const variable = await vault.addVariable({ name: "REGION", value: "r1" });
    for (const value of ["r2", "r3", "r4", "r5", "r6", "r7"]) {
      await vault.updateVariable({ id: variable.id, value });
    }
    const versions = await collect(vault.allEntryVersions(variable.id, { pageSize: 2 }));
    expect(versions.map((row) => [row.version, row.value])).toEqual([
      [7, "r7"],
      [6, "r6"],
      [5, "r5"],
      [4, "r4"],
      [3, "r3"],
    ]);
    const forgotten = await vault.restoreEntryVersion({ id: variable.id, version: 2 }).catch((error: unknown) => error);
    expect(forgotten).toBeInstanceOf(NotFoundError);

    const back = await vault.restoreEntryVersion({ id: variable.id, version: 3 });
    expect(back.__typename === "Variable" && back.value).toBe("r3");
    expect(back.version).toBe(8);

    await vault.deleteEntry({ id: variable.id });
    const [left] = await sql.run('SELECT COUNT(*) AS "n" FROM "EntryVersion" WHERE "entryId" = ?', [variable.id]);
    expect(Number(left?.n)).toBe(0);
  });

  it("replaces a value that cannot be decrypted any more, keeping only what it can", async () => {
    const { vault } = await newUser("damaged");
    const secret = await vault.addSecret({ name: "DAMAGED_KEY", value: "before-damage" });
    // Someone with the database overwrites the stored value with another row's blob.
    const other = await vault.addSecret({ name: "DONOR_KEY", value: "donor" });
    const [donor] = await sql.run('SELECT "ciphertext" FROM "Entry" WHERE "id" = ?', [other.id]);
    await sql.run('UPDATE "Entry" SET "ciphertext" = ? WHERE "id" = ?', [donor?.ciphertext, secret.id]);
    const repaired = await vault.updateSecret({ id: secret.id, value: "after-repair" });
    expect(repaired.version).toBe(2);
    const versions = await collect(vault.allEntryVersions(secret.id));
    expect(versions.map((row) => row.version)).toEqual([2]);
  });

  it("lets exactly one of two restores with the same expectedVersion win", async () => {
    const { vault } = await newUser("race");
    const secret = await vault.addSecret({ name: "RACE_KEY", value: "one" });
    await vault.updateSecret({ id: secret.id, value: "two" });
    const results = await Promise.allSettled([
      vault.restoreEntryVersion({ id: secret.id, version: 1, expectedVersion: 2 }),
      vault.restoreEntryVersion({ id: secret.id, version: 1, expectedVersion: 2 }),
      vault.updateSecret({ id: secret.id, value: "three", expectedVersion: 2 }),
    ]);
    const won = results.filter((result) => result.status === "fulfilled");
    const lost = results.filter((result) => result.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost.map((result) => (result as PromiseRejectedResult).reason)).toEqual([
      expect.any(VersionConflictError),
      expect.any(VersionConflictError),
    ]);
    const versions = await collect(vault.allEntryVersions(secret.id));
    expect(versions.map((row) => row.version)).toEqual([3, 2, 1]);
  });

  it("shows no one else's versions or events, and restores none of their entries", async () => {
    const alice = await newUser("alice");
    const bob = await newUser("bob");
    const secret = await alice.vault.addSecret({ name: "ALICE_KEY", value: "a1" });
    await alice.vault.updateSecret({ id: secret.id, value: "a2" });
    expect(await bob.vault.entryVersions({ id: secret.id })).toBeNull();
    const refused = await bob.vault.restoreEntryVersion({ id: secret.id, version: 1 }).catch((error) => error);
    expect(refused).toBeInstanceOf(NotFoundError);
    expect(await activityOf(bob.vault, { entryId: secret.id })).toEqual([]);
    const bobs = await activityOf(bob.vault);
    expect(bobs.every((event) => event.entryName !== "ALICE_KEY")).toBe(true);
  });

  it("moves kept versions to a new master key with keys rewrap; with the old key removed, they restore and the chain verifies", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "agent-vault-history-rotate-"));
    const database = await freshDatabase(dir);
    const [v1, v2] = [newMasterKey(), newMasterKey()];
    const open = (keys: string) =>
      openVaultApp({
        databaseUrl: database.url,
        masterKeys: parseMasterKeys(keys, "AGENT_VAULT_MASTER_KEY"),
        masterKeySource: "AGENT_VAULT_MASTER_KEY",
      });
    const sdkOf = (app: Awaited<ReturnType<typeof open>>, token: string) =>
      createVaultClient({ url: "http://vault.test/graphql", token, fetch: app.yoga.fetch as typeof fetch });
    try {
      let app = await open(v1);
      const { token } = await app.services.users.create("rotating");
      let vault = sdkOf(app, token);
      const variable = await vault.addVariable({ name: "ROTATED", value: "under-v1" });
      await vault.updateVariable({ id: variable.id, value: "also-v1" });
      await app.close();

      app = await open(`1:${v1},2:${v2}`);
      const report = await app.services.keys.rewrap();
      expect(report).toMatchObject({ remaining: 0, unreadable: [], byVersion: { "2": 2 } });
      await app.close();

      app = await open(`2:${v2}`);
      vault = sdkOf(app, token);
      const versions = await collect(vault.allEntryVersions(variable.id));
      expect(versions.map((row) => row.value)).toEqual(["also-v1", "under-v1"]);
      const restored = await vault.restoreEntryVersion({ id: variable.id, version: 1 });
      expect(restored.__typename === "Variable" && restored.value).toBe("under-v1");
      expect(await vault.verifyActivity()).toMatchObject({ ok: true, checked: 4 });
      await app.close();
    } finally {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the activity log", () => {
  it("records who did what, from where, with no value; filters; and streams new events", async () => {
    const { vault, token } = await newUser("activity");
    const value = marker("ACTIVITY_VALUE");
    const stream = vault.activityAdded({});
    const first = stream.next();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const secret = await vault.addSecret({ name: "LOGGED", value });
    const streamed = (await first).value as ActivityEvent;
    expect(streamed).toMatchObject({ action: "ENTRY_ADDED", entryName: "LOGGED", entryId: secret.id });
    await stream.return(undefined);

    const agent = await vault.createAgent({ name: "logged-bot" });
    await vault.attachEntries({ agentId: agent.id, entryIds: [secret.id] });
    await vault.restartAgent({ agentId: agent.id });
    const runtimeToken = await vault.createRuntimeToken({ agentId: agent.id });
    const runtime = runtimeFor(runtimeToken.token);
    await runtime.environment();
    await runtime.environment();
    await vault.detachEntries({ agentId: agent.id, entryIds: [secret.id] });
    expect(await vault.revokeRuntimeToken({ id: runtimeToken.runtimeToken.id })).toBe(runtimeToken.runtimeToken.id);
    await expect(runtime.environment()).rejects.toMatchObject({ code: "UNAUTHENTICATED" });
    const apiToken = await vault.createApiToken({ name: "second" });
    await vault.revokeApiToken({ id: apiToken.apiToken.id });
    await vault.importEnv({ content: "IMPORTED_ONE=1\nIMPORTED_TWO=2\n", kind: "VARIABLE" });
    await vault.deleteAgent({ agentId: agent.id });
    await vault.deleteEntry({ id: secret.id });

    const events = (await activityOf(vault)).reverse();
    expect(events.map((event) => event.action)).toEqual([
      "API_TOKEN_CREATED",
      "ENTRY_ADDED",
      "AGENT_CREATED",
      "ENTRY_ATTACHED",
      "AGENT_RESTARTED",
      "RUNTIME_TOKEN_CREATED",
      "ENVIRONMENT_FETCHED",
      "ENTRY_DETACHED",
      "RUNTIME_TOKEN_REVOKED",
      "API_TOKEN_CREATED",
      "API_TOKEN_REVOKED",
      "ENTRIES_IMPORTED",
      "AGENT_DELETED",
      "ENTRY_DELETED",
    ]);
    expect(events.map((event) => event.sequence)).toEqual(events.map((_, i) => i + 1));
    const fetched = events.find((event) => event.action === "ENVIRONMENT_FETCHED");
    expect(fetched?.actor).toMatchObject({ kind: "RUNTIME_TOKEN", id: agent.id, name: "logged-bot" });
    expect(JSON.parse(fetched?.details ?? "{}")).toMatchObject({
      entries: 1,
      runtimeTokenId: runtimeToken.runtimeToken.id,
    });
    const imported = events.find((event) => event.action === "ENTRIES_IMPORTED");
    expect(JSON.parse(imported?.details ?? "{}")).toMatchObject({ created: 2, kind: "VARIABLE" });
    expect(events[0]?.actor).toMatchObject({ kind: "SYSTEM", name: "agent-vault user create" });
    expect(events[1]?.clientAddress).toBeTruthy();

    const aboutAgent = await activityOf(vault, { agentId: agent.id, actions: ["ENTRY_ATTACHED", "ENTRY_DETACHED"] });
    expect(aboutAgent.map((event) => event.action)).toEqual(["ENTRY_DETACHED", "ENTRY_ATTACHED"]);
    const future = await activityOf(vault, { since: new Date(Date.now() + 60_000).toISOString() });
    expect(future).toEqual([]);

    const page = await vault.activity({ first: 3 });
    expect(page.edges).toHaveLength(3);
    const next = await vault.activity({ first: 3, after: page.pageInfo.endCursor });
    expect(next.edges[0]?.node.sequence).toBe((page.edges[2]?.node.sequence ?? 0) - 1);

    expect(findMarkers(JSON.stringify(events), [value, token])).toEqual([]);
    expect(await vault.verifyActivity()).toMatchObject({ ok: true, checked: events.length });
  });

  it("records a sign-in with a revoked token by its prefix, never the token", async () => {
    const { vault } = await newUser("signin");
    const spare = await vault.createApiToken({ name: "spare" });
    await vault.revokeApiToken({ id: spare.apiToken.id });
    const refused = await clientFor(spare.token)
      .viewer()
      .catch((error: unknown) => error);
    expect(refused).toMatchObject({ code: "UNAUTHENTICATED" });
    const [failed] = await activityOf(vault, { actions: ["SIGN_IN_FAILED"] });
    expect(failed?.actor).toMatchObject({ kind: "API_TOKEN", id: spare.apiToken.id, name: "spare" });
    expect(JSON.parse(failed?.details ?? "{}")).toEqual({
      tokenId: spare.apiToken.id,
      tokenName: "spare",
      tokenPrefix: spare.token.slice(0, 8),
      reason: "revoked",
    });
    expect(JSON.stringify(failed)).not.toContain(spare.token);
  });

  describe("its chain", () => {
    async function chainOf(name: string) {
      const user = await newUser(name);
      const a = await user.vault.addVariable({ name: "A", value: "1" });
      await user.vault.updateVariable({ id: a.id, value: "2" });
      await user.vault.addVariable({ name: "B", value: "3" });
      await user.vault.updateVariable({ id: a.id, value: "4" });
      // The first event is the user's first token, created with the user.
      expect(await user.vault.verifyActivity()).toMatchObject({ ok: true, checked: 5 });
      const rows = await sql.run('SELECT "id", "seq" FROM "ActivityEvent" WHERE "userId" = ? ORDER BY "seq"', [
        user.id,
      ]);
      return { ...user, rows: rows.map((row) => ({ id: String(row.id), seq: Number(row.seq) })) };
    }

    it("names an edited event", async () => {
      const { vault, rows } = await chainOf("edited");
      await sql.run('UPDATE "ActivityEvent" SET "actorName" = ? WHERE "id" = ?', ["someone else", rows[1]?.id]);
      expect(await vault.verifyActivity()).toMatchObject({ ok: false, brokenEventId: rows[1]?.id, brokenSequence: 2 });
    });

    it("names the event after a deleted one", async () => {
      const { vault, rows } = await chainOf("deleted");
      await sql.run('DELETE FROM "ActivityEvent" WHERE "id" = ?', [rows[1]?.id]);
      expect(await vault.verifyActivity()).toMatchObject({ ok: false, brokenEventId: rows[2]?.id });
    });

    it("names a swapped event", async () => {
      const { vault, rows } = await chainOf("swapped");
      await sql.run('UPDATE "ActivityEvent" SET "seq" = -1 WHERE "id" = ?', [rows[1]?.id]);
      await sql.run('UPDATE "ActivityEvent" SET "seq" = 2 WHERE "id" = ?', [rows[2]?.id]);
      await sql.run('UPDATE "ActivityEvent" SET "seq" = 3 WHERE "id" = ?', [rows[1]?.id]);
      expect(await vault.verifyActivity()).toMatchObject({ ok: false, brokenEventId: rows[2]?.id, brokenSequence: 2 });
    });

    it("notices the last events removed, with the head moved back", async () => {
      const { vault, rows, id } = await chainOf("truncated");
      const [fourth] = await sql.run('SELECT "digest" FROM "ActivityEvent" WHERE "id" = ?', [rows[3]?.id]);
      await sql.run('DELETE FROM "ActivityEvent" WHERE "id" = ?', [rows[4]?.id]);
      await sql.run('UPDATE "ActivityChain" SET "seq" = 4, "digest" = ? WHERE "userId" = ?', [fourth?.digest, id]);
      expect(await vault.verifyActivity()).toMatchObject({ ok: false, brokenEventId: null });
    });

    it("notices a log rolled back to an earlier genuine head: the check against a kept head fails, and the running server records it", async () => {
      const { vault, id } = await chainOf("rolled-back");
      // The chain's row as it was after event 5, a genuine head with a valid MAC.
      const [earlier] = await sql.run('SELECT "seq", "digest", "headMac" FROM "ActivityChain" WHERE "userId" = ?', [
        id,
      ]);
      const a = await vault.addVariable({ name: "HIDDEN_1", value: "x" });
      await vault.addVariable({ name: "HIDDEN_2", value: "y" });
      const before = await vault.verifyActivity();
      expect(before).toMatchObject({ ok: true, checked: 7, head: { sequence: 7 } });
      const kept = before.head as { sequence: number; digest: string };

      // Events 6 and 7 removed and the head of event 5 put back: every MAC still matches.
      await sql.run('DELETE FROM "ActivityEvent" WHERE "userId" = ? AND "seq" > 5', [id]);
      await sql.run('UPDATE "ActivityChain" SET "seq" = ?, "digest" = ?, "headMac" = ? WHERE "userId" = ?', [
        earlier?.seq,
        earlier?.digest,
        earlier?.headMac,
        id,
      ]);
      await sql.run('DELETE FROM "Entry" WHERE "id" = ?', [a.id]);
      expect(await vault.verifyActivity()).toMatchObject({ ok: true, checked: 5 });
      const against = await vault.verifyActivity({ expectHead: kept });
      expect(against).toMatchObject({ ok: false, brokenEventId: null });
      expect(against.reason).toMatch(/went back: it reached event 7 .* ends at event 5 now/);
      // Another event put at position 7: the kept head's digest is not there.
      expect(await vault.verifyActivity({ expectHead: { sequence: 5, digest: "0".repeat(64) } })).toMatchObject({
        ok: false,
        brokenSequence: 5,
      });

      // The server that wrote events 6 and 7 sees the head behind them at its next append.
      await vault.addVariable({ name: "AFTER_ROLLBACK", value: "z" });
      const [latest, notice] = await activityOf(vault);
      expect(latest).toMatchObject({ action: "ENTRY_ADDED", entryName: "AFTER_ROLLBACK", sequence: 7 });
      expect(notice).toMatchObject({ action: "ACTIVITY_ROLLED_BACK", sequence: 6, actor: { kind: "SYSTEM" } });
      expect(JSON.parse(notice?.details ?? "{}")).toEqual({ from: 7, to: 5 });
      expect(logged.join("\n")).toContain(`The activity log of user ${id} went back from event 7 to 5`);
      expect(await vault.verifyActivity()).toMatchObject({ ok: true, checked: 7 });
      // Said once: the chain goes on from there.
      await vault.addVariable({ name: "LATER", value: "w" });
      expect((await activityOf(vault, { actions: ["ACTIVITY_ROLLED_BACK"] })).length).toBe(1);
    });

    it("does not prune an event backdated past the retention period, nor anything after it", async () => {
      const { vault, id, rows } = await chainOf("backdated");
      const old = new Date(Date.now() - 2 * 366 * 86_400_000);
      await sql.run('UPDATE "ActivityEvent" SET "createdAt" = ? WHERE "id" = ?', [
        testDatabase === "sqlite" ? old.toISOString() : old,
        rows[3]?.id,
      ]);
      const left = async () =>
        (await sql.run('SELECT "seq" FROM "ActivityEvent" WHERE "userId" = ? ORDER BY "seq"', [id])).map((row) =>
          Number(row.seq),
        );
      // Today: the events before it are recent, so none goes (events 1 to 4 went before pruning verified).
      await t.vault.services.activity.prune();
      expect(await left()).toEqual([1, 2, 3, 4, 5]);
      // A year on, events 1 to 3 are old and verify; event 4 does not: it and event 5 stay.
      await t.vault.services.activity.prune(new Date(Date.now() + 366 * 86_400_000));
      expect(await left()).toEqual([4, 5]);
      expect(logged.join("\n")).toContain(`Pruning the activity log of user ${id} stopped at event 4 (${rows[3]?.id})`);
      expect(await vault.verifyActivity()).toMatchObject({ ok: false, brokenEventId: rows[3]?.id, brokenSequence: 4 });
    });

    // Several instances share PostgreSQL; the embedded database has one server at a time.
    it.skipIf(testDatabase !== "postgres")(
      "stays whole when two vault instances on one database append to the same chain at once",
      async () => {
        const { vault, token } = await newUser("two-instances");
        await vault.addSecret({ name: "BEFORE", value: "b" });
        const other = await openVaultApp({
          databaseUrl: t.databaseUrl,
          masterKeys,
          masterKeySource: "AGENT_VAULT_MASTER_KEY",
        });
        try {
          const otherVault = createVaultClient({
            url: "http://vault.test/graphql",
            token,
            fetch: other.yoga.fetch as typeof fetch,
          });
          // Each instance's idea of the chain's end goes stale as the other appends.
          await otherVault.addSecret({ name: "FROM_OTHER", value: "o" });
          await vault.addSecret({ name: "AFTER_OTHER", value: "a" });
          const added = await Promise.all(
            Array.from({ length: 12 }, (_, i) =>
              (i % 2 ? vault : otherVault).addSecret({ name: `PARALLEL_${i}`, value: String(i) }),
            ),
          );
          // Updates append in a transaction of their own, after the head each instance last wrote.
          await Promise.all(
            added.map((secret, i) => (i % 2 ? otherVault : vault).updateSecret({ id: secret.id, value: `new ${i}` })),
          );
        } finally {
          await other.close();
        }
        const events = await activityOf(vault);
        expect(events).toHaveLength(28);
        expect(events.map((event) => event.sequence)).toEqual(events.map((_, i) => 28 - i));
        expect(await vault.verifyActivity()).toMatchObject({ ok: true, checked: 28 });
      },
    );

    it("still verifies after old events are pruned, from the recorded anchor", async () => {
      const { vault, id } = await chainOf("pruned");
      // Prune everything older than a moment from now, as a vault whose retention ran out would.
      const removed = await t.vault.services.activity.prune(new Date(Date.now() + 366 * 86_400_000));
      expect(removed).toBeGreaterThanOrEqual(5);
      const [left] = await sql.run('SELECT COUNT(*) AS "n" FROM "ActivityEvent" WHERE "userId" = ?', [id]);
      expect(Number(left?.n)).toBe(0);
      await vault.addVariable({ name: "AFTER_PRUNE", value: "x" });
      expect(await vault.verifyActivity()).toMatchObject({ ok: true, checked: 1 });
      const events = await activityOf(vault);
      expect(events.map((event) => event.sequence)).toEqual([6]);
    });
  });
});
